/*
 * Unit tests of pop3_reply.c alone: the pure reply-line decoders, called
 * directly through pop3_internal.h (no client, no transport). Line assembly
 * is fed split at every offset; the value parsers get their edge cases (the
 * uint32 / uint64 boundaries, spacing, glued junk, uid length and octets).
 * Inputs are passed with an explicit length inside a larger buffer, so a
 * parser that reads past its length argument gives a wrong answer here.
 * This file: line assembly, status lines, response codes, number pairs and
 * the test list; the rest is in test_reply_values.c.
 */
#include "fake_transport.h"

#include <stdio.h>
#include <stdlib.h>

#include "pop3_internal.h"
#include "test_reply.h"

/* ======================================================================== */
/* pop3_line_take                                                          */

#define LT_GUARD 64
#define LT_GUARD_BYTE 0x5A

typedef struct {
    char mem[1024 + LT_GUARD];
    size_t cap;
    size_t used;
} lt_buf_t;

static void lt_init(lt_buf_t *b, size_t cap)
{
    FT_CHECK(cap + LT_GUARD <= sizeof b->mem);
    memset(b->mem, 0x11, cap);
    memset(b->mem + cap, LT_GUARD_BYTE, LT_GUARD);
    b->cap = cap;
    b->used = 0;
}

static void lt_check_guard(const lt_buf_t *b)
{
    for (size_t i = 0; i < LT_GUARD; i++)
        FT_CHECK_MSG((unsigned char)b->mem[b->cap + i] == LT_GUARD_BYTE,
                     "guard octet %zu after the %zu-octet buffer was overwritten", i, b->cap);
}

/* Lines collected from a stream; `bad` set once INVALID was returned. */
typedef struct {
    char text[8][600];
    size_t len[8];
    int n;
    bool bad;
    size_t bad_at; /* stream offset where the INVALID call started */
} lt_out_t;

/* Feeds one piece; takes lines until it is used up or INVALID. */
static void lt_feed(lt_buf_t *b, lt_out_t *o, const uint8_t *p, size_t len, size_t base)
{
    size_t off = 0;
    while (off < len && !o->bad) {
        size_t taken = (size_t)-1, line_len = (size_t)-1;
        size_t used_before = b->used;
        pop3_line_result_t r = pop3_line_take(b->mem, b->cap, &b->used, p + off, len - off, &taken, &line_len);
        lt_check_guard(b);
        if (r == POP3_LINE_INVALID) {
            o->bad = true;
            o->bad_at = base + off;
            return;
        }
        FT_CHECK_MSG(taken >= 1 && taken <= len - off, "taken %zu of %zu", taken, len - off);
        if (r == POP3_LINE_PARTIAL) {
            FT_EQ(taken, len - off); /* no LF: everything is taken */
            FT_CHECK(memchr(p + off, '\n', len - off) == NULL);
            FT_EQ(b->used, used_before + taken);
        } else {
            FT_EQ(r, POP3_LINE_COMPLETE);
            FT_EQ(p[off + taken - 1], '\n'); /* taken up to and including the first LF */
            FT_CHECK(memchr(p + off, '\n', taken - 1) == NULL);
            FT_EQ(b->used, 0);
            FT_CHECK(o->n < 8);
            FT_CHECK(line_len <= b->cap);
            memcpy(o->text[o->n], b->mem, line_len);
            o->len[o->n] = line_len;
            o->n++;
        }
        off += taken;
    }
}

typedef struct {
    const char *name;
    const char *in;
    size_t in_len;
    size_t cap;
    int nlines;            /* complete lines expected before the end (or before INVALID) */
    const char *lines[4];
    bool invalid;          /* INVALID expected at some point */
    size_t partial_used;   /* octets left in the buffer at the end (no INVALID) */
} lt_case_t;

static void lt_run_split(const lt_case_t *tc, size_t at, bool bytewise)
{
    lt_buf_t b;
    lt_out_t o;
    memset(&o, 0, sizeof o);
    lt_init(&b, tc->cap);
    const uint8_t *p = (const uint8_t *)tc->in;
    if (bytewise) {
        ft_setctx("line_take '%s' byte by byte", tc->name);
        for (size_t i = 0; i < tc->in_len && !o.bad; i++) lt_feed(&b, &o, p + i, 1, i);
    } else {
        ft_setctx("line_take '%s' split at %zu", tc->name, at);
        if (at > 0) lt_feed(&b, &o, p, at, 0);
        if (at < tc->in_len) lt_feed(&b, &o, p + at, tc->in_len - at, at);
    }
    FT_EQ(o.bad, tc->invalid);
    FT_EQ(o.n, tc->nlines);
    for (int i = 0; i < tc->nlines; i++) FT_EQ_STR(o.text[i], o.len[i], tc->lines[i]);
    if (!tc->invalid) FT_EQ(b.used, tc->partial_used);
}

static void test_line_take_cases(void **state)
{
    (void)state;
    static char exact[512 + 1], over[513 + 1], exact_bare[512 + 1];
    memset(exact, 'x', 510);
    memcpy(exact + 510, "\r\n", 3);
    memset(over, 'x', 511);
    memcpy(over + 511, "\r\n", 3);
    memset(exact_bare, 'y', 511);
    memcpy(exact_bare + 511, "\n", 2);
    static char exact_line[511], exact_bare_line[512];
    memset(exact_line, 'x', 510);
    memset(exact_bare_line, 'y', 511);

    const lt_case_t cases[] = {
        {"one line", S("+OK hi\r\n"), 64, 1, {"+OK hi"}, false, 0},
        {"three lines", S("a\r\nbc\r\n\r\n"), 64, 3, {"a", "bc", ""}, false, 0},
        {"bare LF tolerated", S("a\nb\r\n"), 64, 2, {"a", "b"}, false, 0},
        {"only the final CR is removed", S("a\rb\r\r\n"), 64, 1, {"a\rb\r"}, false, 0},
        {"CR alone is not a line end", S("a\rb"), 64, 0, {0}, false, 3},
        {"partial tail kept", S("abc\r\nde"), 64, 1, {"abc"}, false, 2},
        {"NUL inside", S("ab\0c\r\n"), 64, 0, {0}, true, 0},
        {"NUL first", S("\0\r\n"), 64, 0, {0}, true, 0},
        {"NUL in second line", S("ok\r\nx\0\n"), 64, 1, {"ok"}, true, 0},
        {"exact fill, CR LF", exact, 512, 512, 1, {exact_line}, false, 0},
        {"exact fill, bare LF", exact_bare, 512, 512, 1, {exact_bare_line}, false, 0},
        {"one octet over", over, 513, 512, 0, {0}, true, 0},
        {"tiny buffer exact", S("ab\r\ncd\r\n"), 4, 2, {"ab", "cd"}, false, 0},
        {"tiny buffer, second line over", S("ab\r\ncde\r\n"), 4, 1, {"ab"}, true, 0},
        {"no LF, exact fill then LF is over", S("abcd\n"), 4, 0, {0}, true, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const lt_case_t *tc = &cases[i];
        for (size_t at = 0; at <= tc->in_len; at++) lt_run_split(tc, at, false);
        lt_run_split(tc, 0, true);
    }
}

/* The INVALID for an over-long line comes on the call that would overflow,
 * and nothing is written past the buffer: checked at every fill level. */
static void test_line_take_overflow_guard(void **state)
{
    (void)state;
    for (size_t cap = 1; cap <= 40; cap++) {
        for (size_t pre = 0; pre <= cap; pre++) {
            lt_buf_t b;
            lt_init(&b, cap);
            uint8_t in[128];
            memset(in, 'q', sizeof in);
            size_t taken = 0, line_len = 0;
            ft_setctx("overflow cap=%zu pre=%zu", cap, pre);
            if (pre > 0) {
                FT_EQ(pop3_line_take(b.mem, cap, &b.used, in, pre, &taken, &line_len), POP3_LINE_PARTIAL);
                FT_EQ(b.used, pre);
            }
            /* The rest of the line: exactly what still fits, LF included, is fine. */
            size_t room = cap - pre;
            if (room > 0) {
                lt_buf_t b2 = b;
                in[room - 1] = '\n';
                FT_EQ(pop3_line_take(b2.mem, cap, &b2.used, in, room, &taken, &line_len), POP3_LINE_COMPLETE);
                FT_EQ(line_len, cap - 1);
                lt_check_guard(&b2);
                in[room - 1] = 'q';
            }
            /* One octet more than fits: INVALID, and the guard untouched. */
            in[room] = '\n';
            FT_EQ(pop3_line_take(b.mem, cap, &b.used, in, room + 1, &taken, &line_len), POP3_LINE_INVALID);
            in[room] = 'q';
            lt_check_guard(&b);
            /* Same without any LF in the input (a partial line that does not fit). */
            lt_buf_t b3;
            lt_init(&b3, cap);
            FT_EQ(pop3_line_take(b3.mem, cap, &b3.used, in, cap + 1, &taken, &line_len), POP3_LINE_INVALID);
            lt_check_guard(&b3);
        }
    }
}

/* ======================================================================== */
/* pop3_parse_status                                                        */

static void expect_status(const char *line, size_t len, pop3_line_kind_t kind, const char *text)
{
    const char *t = NULL;
    size_t tl = (size_t)-1;
    char buf[128];
    FT_CHECK(len + 1 < sizeof buf);
    memcpy(buf, line, len);
    buf[len] = 'Z'; /* what follows the length must not count */
    char esc[256];
    ft_escape(esc, sizeof esc, line, len);
    ft_setctx("parse_status '%s'", esc);
    pop3_line_kind_t k = pop3_parse_status(buf, len, &t, &tl);
    FT_EQ(k, kind);
    if (kind != POP3_LINE_BAD) {
        FT_CHECK(t >= buf && t <= buf + len);
        FT_CHECK(t + tl == buf + len);
        FT_EQ_STR(t, tl, text);
    }
}

static void test_parse_status(void **state)
{
    (void)state;
    expect_status(S("+OK"), POP3_LINE_OK, "");
    expect_status(S("+OK "), POP3_LINE_OK, "");
    expect_status(S("+OK hello world"), POP3_LINE_OK, "hello world");
    expect_status(S("+OK  two"), POP3_LINE_OK, " two"); /* one separator only */
    expect_status(S("-ERR"), POP3_LINE_ERR, "");
    expect_status(S("-ERR "), POP3_LINE_ERR, "");
    expect_status(S("-ERR [IN-USE] locked"), POP3_LINE_ERR, "[IN-USE] locked");
    expect_status(S("+OKAY"), POP3_LINE_BAD, NULL);
    expect_status(S("+OK\tx"), POP3_LINE_BAD, NULL);
    expect_status(S("-ERROR"), POP3_LINE_BAD, NULL);
    expect_status(S("-ERR\tx"), POP3_LINE_BAD, NULL);
    /* RFC 1939 section 3: servers MUST send the indicators in upper case. */
    expect_status(S("+ok"), POP3_LINE_BAD, NULL);
    expect_status(S("+Ok x"), POP3_LINE_BAD, NULL);
    expect_status(S("-err"), POP3_LINE_BAD, NULL);
    expect_status(S("-Err x"), POP3_LINE_BAD, NULL);
    expect_status(S(""), POP3_LINE_BAD, NULL);
    /* SASL continuations (RFC 5034): "+" alone or "+ " and data; anything else after '+' is bad. */
    expect_status(S("+"), POP3_LINE_CONT, "");
    expect_status(S("+ "), POP3_LINE_CONT, "");
    expect_status(S("+ dXNlcg=="), POP3_LINE_CONT, "dXNlcg==");
    expect_status(S("+  x"), POP3_LINE_CONT, " x");
    expect_status(S("+x"), POP3_LINE_BAD, NULL);
    expect_status(S("+\tx"), POP3_LINE_BAD, NULL);
    expect_status(S("+O"), POP3_LINE_BAD, NULL);
    expect_status(S("-ER"), POP3_LINE_BAD, NULL);
    expect_status(S(" +OK"), POP3_LINE_BAD, NULL);
    expect_status(S("OK"), POP3_LINE_BAD, NULL);
    expect_status(S("* OK"), POP3_LINE_BAD, NULL);
    expect_status(S("+ERR"), POP3_LINE_BAD, NULL);
    expect_status(S("-OK"), POP3_LINE_BAD, NULL);
    /* Bounded by the length: "+OK" followed (outside the length) by 'Z'. */
    expect_status("+OKZ", 3, POP3_LINE_OK, "");
    expect_status("-ERRZ", 4, POP3_LINE_ERR, "");
}

/* ======================================================================== */
/* pop3_parse_resp_code                                                     */

static void expect_code(const char *text, size_t len, pop3_resp_code_t code)
{
    char esc[256];
    ft_escape(esc, sizeof esc, text, len);
    ft_setctx("parse_resp_code '%s' (len %zu)", esc, len);
    FT_EQ(pop3_parse_resp_code(text, len), code);
}

static void test_parse_resp_code(void **state)
{
    (void)state;
    expect_code(S("[IN-USE] mailbox locked"), POP3_RESP_IN_USE);
    expect_code(S("[IN-USE]"), POP3_RESP_IN_USE);
    expect_code(S("[LOGIN-DELAY] wait"), POP3_RESP_LOGIN_DELAY);
    expect_code(S("[SYS/TEMP] later"), POP3_RESP_SYS_TEMP);
    expect_code(S("[SYS/PERM] never"), POP3_RESP_SYS_PERM);
    expect_code(S("[AUTH] wrong password"), POP3_RESP_AUTH);
    /* Hierarchical codes (RFC 2449 section 8): match on the leading components. */
    expect_code(S("[SYS/TEMP/X] deeper"), POP3_RESP_SYS_TEMP);
    expect_code(S("[SYS/PERM/QUOTA/DISK]"), POP3_RESP_SYS_PERM);
    expect_code(S("[AUTH/EXPIRED] x"), POP3_RESP_AUTH);
    expect_code(S("[IN-USE/OTHER]"), POP3_RESP_IN_USE);
    /* Unknown or only a prefix / extension of a known component. */
    expect_code(S("[SYS] x"), POP3_RESP_OTHER);
    expect_code(S("[SYS/OTHER] x"), POP3_RESP_OTHER);
    expect_code(S("[SYS/TEMPX] x"), POP3_RESP_OTHER);
    expect_code(S("[SYS/TEM] x"), POP3_RESP_OTHER);
    expect_code(S("[IN-USEX]"), POP3_RESP_OTHER);
    expect_code(S("[IN-US]"), POP3_RESP_OTHER);
    expect_code(S("[AUTHX]"), POP3_RESP_OTHER);
    expect_code(S("[XYZZY] x"), POP3_RESP_OTHER);
    expect_code(S("[TEMP/SYS]"), POP3_RESP_OTHER);
    /* Unterminated or absent. */
    expect_code(S("[IN-USE mailbox locked"), POP3_RESP_NONE);
    expect_code(S("[SYS/TEMP"), POP3_RESP_NONE);
    expect_code(S("["), POP3_RESP_NONE);
    expect_code(S(""), POP3_RESP_NONE);
    expect_code(S("mailbox locked"), POP3_RESP_NONE);
    expect_code(S("IN-USE]"), POP3_RESP_NONE);
    expect_code(S(" [IN-USE]"), POP3_RESP_NONE);
    /* Bounded by the length: the ']' lies just outside it. */
    expect_code("[IN-USE]", 7, POP3_RESP_NONE);
    expect_code("[SYS/TEMP]", 9, POP3_RESP_NONE);
    expect_code("[AUTH] x", 1, POP3_RESP_NONE);
}

/* ======================================================================== */
/* pop3_parse_pair (STAT, LIST)                                             */

typedef bool (*pair_fn_t)(const char *, size_t, uint32_t *, uint64_t *);

static void expect_pair(pair_fn_t fn, const char *fname, const char *text, size_t len, bool ok, uint32_t a,
                        uint64_t b)
{
    char buf[128];
    FT_CHECK(len + 1 < sizeof buf);
    memcpy(buf, text, len);
    buf[len] = '7'; /* a digit just past the length must not be read */
    char esc[256];
    ft_escape(esc, sizeof esc, text, len);
    ft_setctx("%s '%s'", fname, esc);
    uint32_t va = 0xDEADBEEFU;
    uint64_t vb = 0xDEADBEEFDEADBEEFULL;
    bool r = fn(buf, len, &va, &vb);
    FT_EQ(r, ok);
    if (ok) {
        FT_EQ(va, a);
        FT_EQ(vb, b);
    }
}

static void pair_cases(pair_fn_t fn, const char *nm)
{
    expect_pair(fn, nm, S("2 320"), true, 2, 320);
    expect_pair(fn, nm, S("0 0"), true, 0, 0);
    expect_pair(fn, nm, S("1 5 free text after a space"), true, 1, 5);
    expect_pair(fn, nm, S("1 5 "), true, 1, 5);
    expect_pair(fn, nm, S("1  5"), true, 1, 5);     /* several spaces between the values */
    expect_pair(fn, nm, S("1     5  x"), true, 1, 5);
    expect_pair(fn, nm, S("007 0010"), true, 7, 10); /* leading zeros */
    /* Boundaries: uint32 message numbers, uint64 sizes. */
    expect_pair(fn, nm, S("4294967295 1"), true, 4294967295U, 1);
    expect_pair(fn, nm, S("4294967296 1"), false, 0, 0);
    expect_pair(fn, nm, S("99999999999 1"), false, 0, 0);
    expect_pair(fn, nm, S("00000000004294967295 1"), true, 4294967295U, 1);
    expect_pair(fn, nm, S("1 18446744073709551615"), true, 1, UINT64_MAX);
    expect_pair(fn, nm, S("1 18446744073709551616"), false, 0, 0);
    expect_pair(fn, nm, S("1 18446744073709551620"), false, 0, 0);
    expect_pair(fn, nm, S("1 18446744073709551625"), false, 0, 0);
    expect_pair(fn, nm, S("1 28446744073709551615"), false, 0, 0);
    expect_pair(fn, nm, S("1 99999999999999999999"), false, 0, 0);
    expect_pair(fn, nm, S("1 184467440737095516150"), false, 0, 0);
    expect_pair(fn, nm, S("1 000018446744073709551615"), true, 1, UINT64_MAX);
    expect_pair(fn, nm, S("1 18446744073709551615 x"), true, 1, UINT64_MAX);
    expect_pair(fn, nm, S("1 1844674407370955161"), true, 1, 1844674407370955161ULL);
    /* Junk glued to a value, missing parts, other separators. */
    expect_pair(fn, nm, S("1 5x"), false, 0, 0);
    expect_pair(fn, nm, S("1 5\tx"), false, 0, 0);
    expect_pair(fn, nm, S("1x 5"), false, 0, 0);
    expect_pair(fn, nm, S("1 x5"), false, 0, 0);
    expect_pair(fn, nm, S("1\t5"), false, 0, 0);
    expect_pair(fn, nm, S("15"), false, 0, 0);
    expect_pair(fn, nm, S("1"), false, 0, 0);
    expect_pair(fn, nm, S("1 "), false, 0, 0);
    expect_pair(fn, nm, S(""), false, 0, 0);
    expect_pair(fn, nm, S(" 1 5"), false, 0, 0);
    expect_pair(fn, nm, S("-1 5"), false, 0, 0);
    expect_pair(fn, nm, S("+1 5"), false, 0, 0);
    expect_pair(fn, nm, S("1 -5"), false, 0, 0);
    expect_pair(fn, nm, S("1 +5"), false, 0, 0);
    expect_pair(fn, nm, S("a b"), false, 0, 0);
    /* Bounded by the length: "1 32" of a buffer that goes on with digits. */
    expect_pair(fn, nm, "1 3299", 4, true, 1, 32);
    expect_pair(fn, nm, "12 5", 2, false, 0, 0);
}

static void test_parse_pair(void **state)
{
    (void)state;
    pair_cases(pop3_parse_pair, "parse_pair");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_take_cases),
        cmocka_unit_test(test_line_take_overflow_guard),
        cmocka_unit_test(test_parse_status),
        cmocka_unit_test(test_parse_resp_code),
        cmocka_unit_test(test_parse_pair),
        cmocka_unit_test(test_parse_uidl),
        cmocka_unit_test(test_parse_values_random),
        cmocka_unit_test(test_capa_bit),
        cmocka_unit_test(test_apop_timestamp),
    };
    return cmocka_run_group_tests_name("unit_reply", tests, NULL, NULL);
}
