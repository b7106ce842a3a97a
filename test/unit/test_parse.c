/*
 * Reply parser and body stream tests: every case is fed whole, split into two
 * pieces at EVERY offset, and one byte at a time; delivered bytes/values are
 * compared exactly. The failure message names the case and the split.
 * This file: the RETR / TOP body stream, and the test list; status lines,
 * values, entries and CAPA are in test_parse_lines.c.
 */
#include "test_parse.h"

#include <stdio.h>
#include <stdlib.h>

/* ======================================================================== */
/* RETR / TOP body stream                                                    */

typedef struct body_case {
    const char *name;
    const char *reply; /* server bytes after "RETR 1\r\n" */
    size_t reply_len;
    const char *body; /* expected on_body concatenation */
    size_t body_len;
} body_case_t;

static void run_body_once(const body_case_t *bc, ft_split_mode_t mode, size_t at)
{
    ft_setctx("body '%s' (setup)", bc->name);
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    ft_setctx("body '%s' fed %s at=%zu", bc->name, mode_name(mode), at);
    FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
    H_EXPECT_SENT(h, "RETR 1\r\n");
    const uint8_t *p = (const uint8_t *)bc->reply;
    if (mode == FT_WHOLE) {
        FT_EQ(h_feed(h, p, bc->reply_len), bc->reply_len);
    } else if (mode == FT_AT) {
        FT_EQ(h_feed(h, p, at), at);
        FT_CHECK_MSG(h->ndone == 0, "RETR reported done after only %zu of %zu reply octets", at, bc->reply_len);
        FT_CHECK_MSG(h->body_len <= bc->body_len && memcmp(h->body, bc->body, h->body_len) == 0,
                     "body after first piece (%zu octets) is not a prefix of the expected body", h->body_len);
        FT_EQ(h_feed(h, p + at, bc->reply_len - at), bc->reply_len - at);
    } else {
        for (size_t i = 0; i < bc->reply_len; i++) {
            ft_setctx("body '%s' fed byte-by-byte, byte %zu", bc->name, i);
            FT_EQ(h_feed(h, p + i, 1), 1);
            if (i + 1 < bc->reply_len)
                FT_CHECK_MSG(h->ndone == 0, "RETR reported done after only %zu of %zu octets", i + 1, bc->reply_len);
            FT_CHECK_MSG(h->body_len <= bc->body_len, "more body than expected (%zu)", h->body_len);
        }
        ft_setctx("body '%s' fed byte-by-byte", bc->name);
    }
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_OK);
    FT_EQ_MEM(h->body, h->body_len, bc->body, bc->body_len);
    FT_EQ(h->body_zero_calls, 0);
    FT_EQ(h->done[0].octets, bc->body_len);
    FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);
    FT_EQ(h->close_calls, 0);
    H_EXPECT_SENT(h, "");
}

static void run_body_case(const body_case_t *bc)
{
    run_body_once(bc, FT_WHOLE, 0);
    for (size_t at = 1; at < bc->reply_len; at++) run_body_once(bc, FT_AT, at);
    run_body_once(bc, FT_BYTES, 0);
}

#define BODY_CASE(nm, reply, body) \
    { nm, reply, sizeof(reply) - 1, body, sizeof(body) - 1 }

static const body_case_t body_cases[] = {
    BODY_CASE("dot-unstuffing", "+OK 20 octets\r\n..x\r\n...\r\nabc\r\n.\r\n", ".x\r\n..\r\nabc\r\n"),
    BODY_CASE("first body line stuffed", "+OK\r\n..\r\n.\r\n", ".\r\n"),
    BODY_CASE("stuffed line at end", "+OK\r\nA\r\n..\r\n.\r\n", "A\r\n.\r\n"),
    BODY_CASE("RFC1939: leading dot stripped even if not doubled", "+OK\r\n.x\r\n.\r\n", "x\r\n"),
    BODY_CASE("empty body", "+OK\r\n.\r\n", ""),
    BODY_CASE("body is only CRLF", "+OK\r\n\r\n.\r\n", "\r\n"),
    BODY_CASE("CRLF before final dot belongs to message", "+OK\r\nabc\r\n.\r\n", "abc\r\n"),
    BODY_CASE("blank lines", "+OK\r\na\r\n\r\n\r\nb\r\n.\r\n", "a\r\n\r\n\r\nb\r\n"),
    BODY_CASE("dots mid-line untouched", "+OK\r\na.b..c.\r\n.\r\n", "a.b..c.\r\n"),
    BODY_CASE("bare CR and CR CR LF", "+OK\r\na\rb\r\r\nc\r\r\n.\r\n", "a\rb\r\r\nc\r\r\n"),
    BODY_CASE("dot CR not followed by LF", "+OK\r\n.\rx\r\n.\r\n", "\rx\r\n"),
    BODY_CASE("dot-dot-CRLF-like line", "+OK\r\n..\r\n..\r\n...\r\n.\r\n", ".\r\n.\r\n..\r\n"),
    BODY_CASE("status text with dots", "+OK . .. .\r\nX\r\n.\r\n", "X\r\n"),
    BODY_CASE("headers and body", "+OK 45 octets\r\nSubject: hi\r\nFrom: a@b\r\n\r\nHello\r\n..\r\n.\r\n",
              "Subject: hi\r\nFrom: a@b\r\n\r\nHello\r\n.\r\n"),
    BODY_CASE("binary-ish octets", "+OK\r\n\x01\x80\xff\x7f\r\n.\r\n", "\x01\x80\xff\x7f\r\n"),
};

static void test_body_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof body_cases / sizeof body_cases[0]; i++) run_body_case(&body_cases[i]);
}

/* RFC 1939 / design: only CRLF "." CRLF ends a body; a '.' after a bare LF is
 * not at a line start (neither end marker nor stuffing). */
static const body_case_t bare_lf_cases[] = {
    BODY_CASE("bare LF then end-marker-like dot", "+OK\r\na\n.\r\nz\r\n.\r\n", "a\n.\r\nz\r\n"),
    BODY_CASE("bare LF then dot", "+OK\r\na\n.b\r\n.\r\n", "a\n.b\r\n"),
};

static void test_body_bare_lf(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bare_lf_cases / sizeof bare_lf_cases[0]; i++) run_body_case(&bare_lf_cases[i]);
}

/* TOP n 0: headers and the blank line, same stream rules. */
static void test_top_body(void **state)
{
    (void)state;
    static const char reply[] = "+OK top of message follows\r\nSubject: x\r\n..dot: y\r\n\r\n.\r\n";
    static const char body[] = "Subject: x\r\n.dot: y\r\n\r\n";
    for (size_t at = 0; at <= sizeof reply - 1; at++) {
        ft_setctx("TOP split at=%zu", at);
        harness_t *h = h_new(0, NULL);
        h_ready(h);
        FT_EQ_ST(pop3_top(h->c, 1, 0), POP3_OK);
        H_EXPECT_SENT(h, "TOP 1 0\r\n");
        h_feed_split(h, reply, sizeof reply - 1, FT_AT, at);
        FT_EQ(h->ndone, 1);
        H_EXPECT_DONE(h, 0, POP3_CMD_TOP, POP3_OK);
        FT_EQ_MEM(h->body, h->body_len, body, sizeof body - 1);
        FT_EQ(h->done[0].octets, sizeof body - 1);
    }
}

/* 100 KB line without line break, then the end: must pass with a 512-octet line buffer. */
static void run_long_body(ft_split_mode_t mode, size_t at, char *reply, size_t rlen, const char *body, size_t blen)
{
    ft_setctx("100KB body line, %s at=%zu", mode_name(mode), at);
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    FT_EQ_ST(pop3_retr(h->c, 7), POP3_OK);
    H_EXPECT_SENT(h, "RETR 7\r\n");
    FT_EQ(h_feed_split(h, reply, rlen, mode, at), rlen);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_OK);
    FT_EQ_MEM(h->body, h->body_len, body, blen);
    FT_EQ(h->done[0].octets, blen);
    FT_EQ(h->body_zero_calls, 0);
    if (mode == FT_WHOLE) FT_CHECK_MSG(h->body_calls <= 2, "whole 100KB body took %d on_body calls", h->body_calls);
}

static void test_long_body_line(void **state)
{
    (void)state;
    const size_t n = 100000;
    /* "+OK\r\n" + "..x" + n * 'y' (with ".." and "\r\n." mid-line) + "\r\n.\r\n" */
    char *reply = malloc(n + 64), *body = malloc(n + 64);
    size_t rl = 0, bl = 0;
    memcpy(reply, "+OK\r\n", 5);
    rl = 5;
    memcpy(reply + rl, "..x", 3);
    rl += 3;
    memcpy(body, ".x", 2);
    bl = 2;
    for (size_t i = 0; i < n; i++) {
        char ch = (char)('a' + (i % 26));
        if (i % 1000 == 500) ch = '.';
        if (i % 7919 == 0) ch = '\r'; /* bare CR inside the line */
        reply[rl++] = ch;
        body[bl++] = ch;
    }
    memcpy(reply + rl, "\r\n.\r\n", 5);
    rl += 5;
    memcpy(body + bl, "\r\n", 2);
    bl += 2;
    run_long_body(FT_WHOLE, 0, reply, rl, body, bl);
    run_long_body(FT_BYTES, 0, reply, rl, body, bl);
    static const size_t ats[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 511, 512, 513, 514, 515, 1024, 50000, 99999};
    for (size_t i = 0; i < sizeof ats / sizeof ats[0]; i++) run_long_body(FT_AT, ats[i], reply, rl, body, bl);
    for (size_t at = rl - 9; at < rl; at++) run_long_body(FT_AT, at, reply, rl, body, bl);
    free(reply);
    free(body);
}

/* Fed as one chunk, the body arrives in the longest runs: one on_body call per
 * stuffed dot plus one, not one per line. */
static void test_body_few_calls(void **state)
{
    (void)state;
    static char reply[8192], body[8192];
    size_t rl = 0, bl = 0;
    rl += (size_t)sprintf(reply + rl, "+OK\r\n");
    for (int i = 0; i < 100; i++) {
        int k = sprintf(reply + rl, "line %03d of the message\r\n", i);
        memcpy(body + bl, reply + rl, (size_t)k);
        rl += (size_t)k;
        bl += (size_t)k;
    }
    rl += (size_t)sprintf(reply + rl, "..stuffed\r\n");
    bl += (size_t)sprintf(body + bl, ".stuffed\r\n");
    for (int i = 0; i < 50; i++) {
        int k = sprintf(reply + rl, "more %03d\r\n", i);
        memcpy(body + bl, reply + rl, (size_t)k);
        rl += (size_t)k;
        bl += (size_t)k;
    }
    rl += (size_t)sprintf(reply + rl, ".\r\n");

    ft_setctx("few on_body calls (1 stuffed dot)");
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
    H_EXPECT_SENT(h, "RETR 1\r\n");
    FT_EQ(h_feed(h, reply, rl), rl);
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_OK);
    FT_EQ_MEM(h->body, h->body_len, body, bl);
    FT_CHECK_MSG(h->body_calls <= 2, "one chunk with 1 stuffed dot took %d on_body calls (expected <= 2)",
                 h->body_calls);

    /* Status line in one chunk, body in a second: still <= 2 calls. */
    ft_setctx("few on_body calls, status line separate");
    h = h_new(0, NULL);
    h_ready(h);
    FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
    H_EXPECT_SENT(h, "RETR 1\r\n");
    FT_EQ(h_feed(h, reply, 5), 5);
    FT_EQ(h_feed(h, reply + 5, rl - 5), rl - 5);
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_OK);
    FT_EQ_MEM(h->body, h->body_len, body, bl);
    FT_CHECK_MSG(h->body_calls <= 2, "took %d on_body calls (expected <= 2)", h->body_calls);

    /* No stuffed dot at all: exactly one call. */
    ft_setctx("few on_body calls (no stuffed dot)");
    static const char r2[] = "+OK\r\nA\r\nB\r\nC\r\nD\r\n\r\nE\r\n.\r\n";
    h = h_new(0, NULL);
    h_ready(h);
    FT_EQ_ST(pop3_retr(h->c, 2), POP3_OK);
    H_EXPECT_SENT(h, "RETR 2\r\n");
    FT_EQ(h_feed(h, S(r2)), sizeof r2 - 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_OK);
    FT_EQ_STR(h->body, h->body_len, "A\r\nB\r\nC\r\nD\r\n\r\nE\r\n");
    FT_EQ(h->body_calls, 1);
}

/*
 * The next reply arrives in its own chunk (it can only be sent after the
 * client's next command); each reply is split anywhere. Bytes after an end
 * marker in the SAME chunk were sent before that command: unsolicited, so a
 * protocol violation (the completed reply still counts).
 */
static void test_bytes_after_end_marker(void **state)
{
    (void)state;
    static const char r1[] = "+OK\r\nA\r\n..\r\n.\r\n";
    static const char r1b[] = "+OK noop done\r\n";
    const size_t len = sizeof r1 - 1;
    for (size_t run = 0; run <= len; run++) {
        /* run 0: whole; run len: byte-by-byte; otherwise split at run */
        ft_split_mode_t m = run == 0 ? FT_WHOLE : run == len ? FT_BYTES : FT_AT;
        ft_setctx("RETR then NOOP, RETR reply %s at=%zu", mode_name(m), run);
        harness_t *h = h_new(0, NULL);
        h_ready(h);
        FT_EQ_ST(pop3_retr(h->c, 3), POP3_OK);
        H_EXPECT_SENT(h, "RETR 3\r\n");
        FT_EQ_ST(pop3_noop(h->c), POP3_OK);
        FT_EQ(h_feed_split(h, r1, len, m, run), len);
        H_EXPECT_SENT(h, "NOOP\r\n");
        FT_EQ(h_feed_split(h, r1b, sizeof r1b - 1, m == FT_BYTES ? FT_BYTES : FT_WHOLE, 0), sizeof r1b - 1);
        FT_EQ(h->ndone, 2);
        H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_OK);
        H_EXPECT_DONE(h, 1, POP3_CMD_NOOP, POP3_OK);
        FT_EQ_STR(h->body, h->body_len, "A\r\n.\r\n");
        FT_EQ_STR(h->done[1].text, h->done[1].text_len, "noop done");
    }

    /* Both replies in one chunk: the NOOP "reply" predates NOOP. The failure
     * names the reply that carried the extra bytes (RETR), not NOOP, which
     * was never sent. */
    static const char both[] = "+OK\r\nA\r\n..\r\n.\r\n+OK noop done\r\n";
    for (size_t at = 0; at < 15; at++) {
        ft_setctx("RETR end marker and a line in one chunk, first split at=%zu", at);
        harness_t *h = h_new(0, NULL);
        h_ready(h);
        FT_EQ_ST(pop3_retr(h->c, 3), POP3_OK);
        FT_EQ_ST(pop3_noop(h->c), POP3_OK);
        h_feed_split(h, both, sizeof both - 1, at == 0 ? FT_WHOLE : FT_AT, at);
        FT_EQ(h->ndone, 2);
        H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_ERR_PROTOCOL);
        H_EXPECT_DONE(h, 1, POP3_CMD_NOOP, POP3_ERR_PROTOCOL);
        FT_EQ_STR(h->body, h->body_len, "A\r\n.\r\n");
        FT_CHECK(!ft_contains(h->sent, h->sent_len, "NOOP")); /* never went out */
        FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
        FT_EQ(h->close_calls, 1);
    }

    /* Multi-line after multi-line: RETR then LIST, each reply split anywhere. */
    static const char r2[] = "+OK\r\nX\r\n.\r\n";
    static const char r2b[] = "+OK 2 messages\r\n1 10\r\n2 20\r\n.\r\n";
    for (size_t at = 0; at <= sizeof r2b - 1; at++) {
        ft_setctx("RETR then LIST, LIST reply split at=%zu", at);
        harness_t *h = h_new(0, NULL);
        h_ready(h);
        FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
        FT_EQ_ST(pop3_list(h->c, 0), POP3_OK);
        h_feed_split(h, r2, sizeof r2 - 1, FT_WHOLE, 0);
        h_feed_split(h, r2b, sizeof r2b - 1, at == 0 ? FT_WHOLE : FT_AT, at);
        H_EXPECT_SENT(h, "RETR 1\r\nLIST\r\n");
        FT_EQ(h->ndone, 2);
        H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_OK);
        H_EXPECT_DONE(h, 1, POP3_CMD_LIST, POP3_OK);
        FT_EQ_STR(h->body, h->body_len, "X\r\n");
        FT_EQ(h->nlist, 2);
        FT_EQ(h->list[0].msg, 1);
        FT_EQ(h->list[0].octets, 10);
        FT_EQ(h->list[1].msg, 2);
        FT_EQ(h->list[1].octets, 20);
    }
}

/* RETR -ERR: no body, SERVER, session continues. */
static void test_retr_err(void **state)
{
    (void)state;
    ft_setctx("RETR -ERR");
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    FT_EQ_ST(pop3_retr(h->c, 9), POP3_OK);
    H_EXPECT_SENT(h, "RETR 9\r\n");
    h_feed_str(h, "-ERR no such message\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_ERR_SERVER);
    FT_EQ_STR(h->done[0].text, h->done[0].text_len, "no such message");
    FT_EQ(h->body_calls, 0);
    FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_NOOP, POP3_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_body_cases, ft_teardown),
        cmocka_unit_test_teardown(test_body_bare_lf, ft_teardown),
        cmocka_unit_test_teardown(test_top_body, ft_teardown),
        cmocka_unit_test_teardown(test_long_body_line, ft_teardown),
        cmocka_unit_test_teardown(test_body_few_calls, ft_teardown),
        cmocka_unit_test_teardown(test_bytes_after_end_marker, ft_teardown),
        cmocka_unit_test_teardown(test_retr_err, ft_teardown),
        cmocka_unit_test_teardown(test_status_lines, ft_teardown),
        cmocka_unit_test_teardown(test_status_too_long, ft_teardown),
        cmocka_unit_test_teardown(test_status_max_rfc_line, ft_teardown),
        cmocka_unit_test_teardown(test_single_line_values, ft_teardown),
        cmocka_unit_test_teardown(test_multi_line_entries, ft_teardown),
        cmocka_unit_test_teardown(test_list_line_too_long, ft_teardown),
        cmocka_unit_test_teardown(test_capa_explicit, ft_teardown),
        cmocka_unit_test_teardown(test_capa_err_plaintext, ft_teardown),
        cmocka_unit_test_teardown(test_capa_explicit_err, ft_teardown),
        cmocka_unit_test_teardown(test_capa_long_line, ft_teardown),
    };
    return cmocka_run_group_tests_name("unit_parse", tests, NULL, NULL);
}
