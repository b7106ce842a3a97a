/*
 * unit_parse: status lines, single-line values (STAT, LIST n, UIDL n),
 * multi-line entries (LIST, UIDL), CAPA, each fed whole, split at every
 * offset and byte by byte (the test list and main() are in test_parse.c).
 */
#include "test_parse.h"

#include <stdio.h>
#include <stdlib.h>

/* ======================================================================== */
/* Status lines (via NOOP in TRANSACTION)                                   */

typedef struct status_case {
    const char *name;
    const char *line;
    size_t len;
    pop3_status_t status;
    const char *text; /* NULL: don't check */
    pop3_resp_code_t code;
} status_case_t;

static void run_status_once(const status_case_t *sc, ft_split_mode_t mode, size_t at)
{
    ft_setctx("status '%s' (setup)", sc->name);
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    ft_setctx("status '%s' %s at=%zu", sc->name, mode_name(mode), at);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\n");
    size_t n = h_feed_split(h, sc->line, sc->len, mode, at);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_NOOP, sc->status);
    if (sc->status == POP3_ERR_PROTOCOL) {
        FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
        FT_EQ_ST(pop3_session_status(h->c), POP3_ERR_PROTOCOL);
        FT_EQ(h->close_calls, 1);
        FT_CHECK_MSG(!h->send_after_close, "send called after close");
    } else {
        FT_EQ(n, sc->len);
        FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);
        FT_EQ(h->close_calls, 0);
        if (sc->text) FT_EQ_STR(h->done[0].text, h->done[0].text_len, sc->text);
        FT_EQ(h->done[0].code, sc->code);
    }
    H_EXPECT_SENT(h, "");
}

static void run_status_case(const status_case_t *sc)
{
    run_status_once(sc, FT_WHOLE, 0);
    if (sc->len <= 2000)
        for (size_t at = 1; at < sc->len; at++) run_status_once(sc, FT_AT, at);
    else {
        static const size_t ats[] = {1, 4, 5, 511, 512, 513, 600};
        for (size_t i = 0; i < sizeof ats / sizeof ats[0]; i++) run_status_once(sc, FT_AT, ats[i]);
    }
    run_status_once(sc, FT_BYTES, 0);
}

#define SC(nm, line, st, text, code) \
    { nm, line, sizeof(line) - 1, st, text, code }

static const status_case_t status_cases[] = {
    SC("+OK with text", "+OK fine\r\n", POP3_OK, "fine", POP3_RESP_NONE),
    SC("+OK bare", "+OK\r\n", POP3_OK, "", POP3_RESP_NONE),
    SC("-ERR text", "-ERR something failed\r\n", POP3_ERR_SERVER, "something failed", POP3_RESP_NONE),
    SC("-ERR bare", "-ERR\r\n", POP3_ERR_SERVER, "", POP3_RESP_NONE),
    SC("[IN-USE]", "-ERR [IN-USE] mailbox locked\r\n", POP3_ERR_SERVER, "[IN-USE] mailbox locked", POP3_RESP_IN_USE),
    SC("[LOGIN-DELAY]", "-ERR [LOGIN-DELAY] wait\r\n", POP3_ERR_SERVER, "[LOGIN-DELAY] wait", POP3_RESP_LOGIN_DELAY),
    SC("[SYS/TEMP]", "-ERR [SYS/TEMP] try later\r\n", POP3_ERR_SERVER, "[SYS/TEMP] try later", POP3_RESP_SYS_TEMP),
    SC("[SYS/PERM]", "-ERR [SYS/PERM] broken\r\n", POP3_ERR_SERVER, "[SYS/PERM] broken", POP3_RESP_SYS_PERM),
    SC("[AUTH]", "-ERR [AUTH] no\r\n", POP3_ERR_SERVER, "[AUTH] no", POP3_RESP_AUTH),
    SC("[FOO] -> OTHER", "-ERR [FOO] x\r\n", POP3_ERR_SERVER, "[FOO] x", POP3_RESP_OTHER),
    SC("[SYS/FOO] -> OTHER", "-ERR [SYS/FOO] x\r\n", POP3_ERR_SERVER, "[SYS/FOO] x", POP3_RESP_OTHER),
    SC("[IN-USEX] is not IN-USE", "-ERR [IN-USEX] x\r\n", POP3_ERR_SERVER, "[IN-USEX] x", POP3_RESP_OTHER),
    SC("code without text", "-ERR [IN-USE]\r\n", POP3_ERR_SERVER, "[IN-USE]", POP3_RESP_IN_USE),
    SC("unterminated bracket", "-ERR [IN-USE no close\r\n", POP3_ERR_SERVER, "[IN-USE no close", POP3_RESP_NONE),
    SC("no code in +OK", "+OK [IN-USE] odd\r\n", POP3_OK, "[IN-USE] odd", POP3_RESP_NONE),
    SC("lower-case +ok", "+ok\r\n", POP3_ERR_PROTOCOL, NULL, POP3_RESP_NONE),
    SC("lower-case -err", "-err no\r\n", POP3_ERR_PROTOCOL, NULL, POP3_RESP_NONE),
    SC("mixed +Ok", "+Ok\r\n", POP3_ERR_PROTOCOL, NULL, POP3_RESP_NONE),
    SC("plus alone", "+\r\n", POP3_ERR_PROTOCOL, NULL, POP3_RESP_NONE),
    SC("plus space (SASL continuation)", "+ \r\n", POP3_ERR_PROTOCOL, NULL, POP3_RESP_NONE),
    SC("no status", "hello\r\n", POP3_ERR_PROTOCOL, NULL, POP3_RESP_NONE),
    SC("empty line", "\r\n", POP3_ERR_PROTOCOL, NULL, POP3_RESP_NONE),
    SC("NUL in +OK line", "+OK a\0b\r\n", POP3_ERR_PROTOCOL, NULL, POP3_RESP_NONE),
    SC("NUL in -ERR line", "-ERR a\0b\r\n", POP3_ERR_PROTOCOL, NULL, POP3_RESP_NONE),
    SC("NUL right after +OK", "+OK\0\r\n", POP3_ERR_PROTOCOL, NULL, POP3_RESP_NONE),
};

void test_status_lines(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof status_cases / sizeof status_cases[0]; i++) run_status_case(&status_cases[i]);
}

static char *make_long_line(size_t total, size_t *len)
{
    char *p = malloc(total);
    memcpy(p, "+OK ", 4);
    memset(p + 4, 'a', total - 6);
    p[total - 2] = '\r';
    p[total - 1] = '\n';
    *len = total;
    return p;
}

/* A status line longer than the 512-octet line buffer: PROTOCOL, never an overflow. */
void test_status_too_long(void **state)
{
    (void)state;
    static const size_t sizes[] = {600, 100000};
    for (size_t i = 0; i < 2; i++) {
        size_t len;
        char *l = make_long_line(sizes[i], &len);
        char nm[64];
        snprintf(nm, sizeof nm, "status line of %zu octets", len);
        status_case_t sc = {nm, l, len, POP3_ERR_PROTOCOL, NULL, POP3_RESP_NONE};
        run_status_case(&sc);
        /* -ERR variant */
        memcpy(l, "-ERR", 4);
        snprintf(nm, sizeof nm, "-ERR line of %zu octets", len);
        status_case_t sc2 = {nm, l, len, POP3_ERR_PROTOCOL, NULL, POP3_RESP_NONE};
        run_status_once(&sc2, FT_WHOLE, 0);
        run_status_once(&sc2, FT_BYTES, 0);
        free(l);
    }
}

/* RFC 1939: a reply line is up to 512 octets including CRLF; a 512-octet
 * line buffer (POP3_MIN_LINE_BUF_LEN) must take it. */
void test_status_max_rfc_line(void **state)
{
    (void)state;
    size_t len;
    char *l = make_long_line(512, &len);
    char *exp = malloc(507);
    memset(exp, 'a', 506);
    exp[506] = '\0';
    status_case_t sc = {"512-octet +OK line (RFC maximum)", l, len, POP3_OK, exp, POP3_RESP_NONE};
    run_status_case(&sc);
    free(l);
    free(exp);
}

/* ======================================================================== */
/* Numbers: STAT, LIST n, LIST, UIDL                                         */

typedef struct single_case {
    const char *name;
    pop3_cmd_t cmd; /* STAT, LIST (n), UIDL (n) */
    uint32_t arg;
    const char *sent;
    const char *line;
    pop3_status_t status;
    uint32_t count_or_msg;
    uint64_t octets;
    const char *uid;
} single_case_t;

static void run_single_once(const single_case_t *sc, ft_split_mode_t mode, size_t at)
{
    ft_setctx("'%s' (setup)", sc->name);
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    ft_setctx("'%s' %s at=%zu", sc->name, mode_name(mode), at);
    if (sc->cmd == POP3_CMD_STAT) FT_EQ_ST(pop3_stat(h->c), POP3_OK);
    else if (sc->cmd == POP3_CMD_LIST) FT_EQ_ST(pop3_list(h->c, sc->arg), POP3_OK);
    else FT_EQ_ST(pop3_uidl(h->c, sc->arg), POP3_OK);
    H_EXPECT_SENT(h, sc->sent);
    h_feed_split(h, sc->line, strlen(sc->line), mode, at);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, sc->cmd, sc->status);
    FT_EQ(h->nlist, 0);
    FT_EQ(h->nuidl, 0);
    if (sc->status == POP3_OK) {
        const ft_done_t *d = &h->done[0];
        if (sc->cmd == POP3_CMD_STAT) {
            FT_EQ(d->count, sc->count_or_msg);
            FT_EQ(d->octets, sc->octets);
        } else if (sc->cmd == POP3_CMD_LIST) {
            FT_EQ(d->msg, sc->count_or_msg);
            FT_EQ(d->octets, sc->octets);
        } else {
            FT_EQ(d->msg, sc->count_or_msg);
            FT_CHECK(!d->uid_null);
            FT_EQ_STR(d->uid, d->uid_len, sc->uid);
        }
        FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);
    } else if (sc->status == POP3_ERR_PROTOCOL) {
        FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
        FT_EQ(h->close_calls, 1);
    }
}

static void run_single_case(const single_case_t *sc)
{
    size_t len = strlen(sc->line);
    run_single_once(sc, FT_WHOLE, 0);
    for (size_t at = 1; at < len; at++) run_single_once(sc, FT_AT, at);
    run_single_once(sc, FT_BYTES, 0);
}

static const single_case_t single_cases[] = {
    {"STAT 64-bit octets", POP3_CMD_STAT, 0, "STAT\r\n", "+OK 3 4294967800\r\n", POP3_OK, 3, 4294967800ULL, NULL},
    {"STAT max uint32 count", POP3_CMD_STAT, 0, "STAT\r\n", "+OK 4294967295 1\r\n", POP3_OK, 4294967295U, 1, NULL},
    {"STAT max uint64 octets", POP3_CMD_STAT, 0, "STAT\r\n", "+OK 1 18446744073709551615\r\n", POP3_OK, 1,
     18446744073709551615ULL, NULL},
    {"STAT zero", POP3_CMD_STAT, 0, "STAT\r\n", "+OK 0 0\r\n", POP3_OK, 0, 0, NULL},
    {"STAT with trailing text (RFC 1939 allows)", POP3_CMD_STAT, 0, "STAT\r\n", "+OK 2 320 extra info\r\n", POP3_OK,
     2, 320, NULL},
    {"STAT count 2^32", POP3_CMD_STAT, 0, "STAT\r\n", "+OK 4294967296 10\r\n", POP3_ERR_PROTOCOL, 0, 0, NULL},
    {"STAT count 2^32+3 (wrap to 3)", POP3_CMD_STAT, 0, "STAT\r\n", "+OK 4294967299 10\r\n", POP3_ERR_PROTOCOL, 0, 0, NULL},
    {"STAT octets 2^64", POP3_CMD_STAT, 0, "STAT\r\n", "+OK 1 18446744073709551616\r\n", POP3_ERR_PROTOCOL, 0, 0, NULL},
    {"STAT octets 2^64+5 (wrap to 5)", POP3_CMD_STAT, 0, "STAT\r\n", "+OK 1 18446744073709551621\r\n", POP3_ERR_PROTOCOL,
     0, 0, NULL},
    {"STAT garbage x y", POP3_CMD_STAT, 0, "STAT\r\n", "+OK x y\r\n", POP3_ERR_PROTOCOL, 0, 0, NULL},
    {"STAT missing octets", POP3_CMD_STAT, 0, "STAT\r\n", "+OK 3\r\n", POP3_ERR_PROTOCOL, 0, 0, NULL},
    {"STAT empty", POP3_CMD_STAT, 0, "STAT\r\n", "+OK\r\n", POP3_ERR_PROTOCOL, 0, 0, NULL},
    {"STAT negative", POP3_CMD_STAT, 0, "STAT\r\n", "+OK -1 5\r\n", POP3_ERR_PROTOCOL, 0, 0, NULL},
    {"STAT digits then junk", POP3_CMD_STAT, 0, "STAT\r\n", "+OK 3x 5\r\n", POP3_ERR_PROTOCOL, 0, 0, NULL},
    {"STAT octets then junk", POP3_CMD_STAT, 0, "STAT\r\n", "+OK 3 5x\r\n", POP3_ERR_PROTOCOL, 0, 0, NULL},
    {"STAT -ERR", POP3_CMD_STAT, 0, "STAT\r\n", "-ERR no\r\n", POP3_ERR_SERVER, 0, 0, NULL},
    {"LIST n", POP3_CMD_LIST, 2, "LIST 2\r\n", "+OK 2 200\r\n", POP3_OK, 2, 200, NULL},
    {"LIST n 64-bit", POP3_CMD_LIST, 4294967295U, "LIST 4294967295\r\n", "+OK 4294967295 4294967800\r\n", POP3_OK,
     4294967295U, 4294967800ULL, NULL},
    {"LIST n msg 2^32", POP3_CMD_LIST, 1, "LIST 1\r\n", "+OK 4294967296 5\r\n", POP3_ERR_PROTOCOL, 0, 0, NULL},
    {"LIST n garbage", POP3_CMD_LIST, 1, "LIST 1\r\n", "+OK x y\r\n", POP3_ERR_PROTOCOL, 0, 0, NULL},
    {"LIST n -ERR", POP3_CMD_LIST, 5, "LIST 5\r\n", "-ERR no such message\r\n", POP3_ERR_SERVER, 0, 0, NULL},
    {"UIDL n", POP3_CMD_UIDL, 2, "UIDL 2\r\n", "+OK 2 QhdPYR:00WBw1Ph7x7\r\n", POP3_OK, 2, 0, "QhdPYR:00WBw1Ph7x7"},
    {"UIDL n 70-char uid", POP3_CMD_UIDL, 1, "UIDL 1\r\n",
     "+OK 1 0123456789012345678901234567890123456789012345678901234567890123456789\r\n", POP3_OK, 1, 0,
     "0123456789012345678901234567890123456789012345678901234567890123456789"},
    {"UIDL n 71-char uid", POP3_CMD_UIDL, 1, "UIDL 1\r\n",
     "+OK 1 01234567890123456789012345678901234567890123456789012345678901234567890\r\n", POP3_ERR_PROTOCOL, 0, 0, NULL},
    {"UIDL n uid with DEL", POP3_CMD_UIDL, 1, "UIDL 1\r\n", "+OK 1 ab\x7f\r\n", POP3_ERR_PROTOCOL, 0, 0, NULL},
    {"UIDL n uid with 0x80", POP3_CMD_UIDL, 1, "UIDL 1\r\n", "+OK 1 ab\x80z\r\n", POP3_ERR_PROTOCOL, 0, 0, NULL},
    {"UIDL n uid with ESC", POP3_CMD_UIDL, 1, "UIDL 1\r\n", "+OK 1 a\x1b[2Jb\r\n", POP3_ERR_PROTOCOL, 0, 0, NULL},
    {"UIDL n missing uid", POP3_CMD_UIDL, 1, "UIDL 1\r\n", "+OK 1\r\n", POP3_ERR_PROTOCOL, 0, 0, NULL},
    {"UIDL n -ERR", POP3_CMD_UIDL, 3, "UIDL 3\r\n", "-ERR no such message\r\n", POP3_ERR_SERVER, 0, 0, NULL},
};

void test_single_line_values(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof single_cases / sizeof single_cases[0]; i++) run_single_case(&single_cases[i]);
}

/* ---- multi-line LIST / UIDL ---- */

typedef struct multi_case {
    const char *name;
    bool uidl;
    const char *reply;
    pop3_status_t status;
    int n;
    uint32_t msgs[4];
    uint64_t octets[4];
    const char *uids[4];
} multi_case_t;

static void run_multi_once(const multi_case_t *mc, ft_split_mode_t mode, size_t at)
{
    ft_setctx("'%s' (setup)", mc->name);
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    ft_setctx("'%s' %s at=%zu", mc->name, mode_name(mode), at);
    size_t len = strlen(mc->reply);
    if (mc->uidl) {
        FT_EQ_ST(pop3_uidl(h->c, 0), POP3_OK);
        H_EXPECT_SENT(h, "UIDL\r\n");
    } else {
        FT_EQ_ST(pop3_list(h->c, 0), POP3_OK);
        H_EXPECT_SENT(h, "LIST\r\n");
    }
    if (mode == FT_AT) {
        h_feed(h, mc->reply, at);
        FT_CHECK_MSG(h->ndone == 0 || mc->status != POP3_OK, "done after %zu of %zu octets", at, len);
        h_feed(h, mc->reply + at, len - at);
    } else {
        h_feed_split(h, mc->reply, len, mode, at);
    }
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, mc->uidl ? POP3_CMD_UIDL : POP3_CMD_LIST, mc->status);
    if (mc->status != POP3_OK) {
        if (mc->status == POP3_ERR_PROTOCOL) {
            FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
            FT_EQ(h->close_calls, 1);
        }
        /* entries before the bad one may have been delivered; never more than n */
        FT_CHECK(h->nlist <= mc->n && h->nuidl <= mc->n);
        return;
    }
    if (mc->uidl) {
        FT_EQ(h->nlist, 0);
        FT_EQ(h->nuidl, mc->n);
        for (int i = 0; i < mc->n; i++) {
            ft_setctx("'%s' %s at=%zu entry %d", mc->name, mode_name(mode), at, i);
            FT_EQ(h->uidl[i].msg, mc->msgs[i]);
            FT_EQ_STR(h->uidl[i].uid, h->uidl[i].len, mc->uids[i]);
        }
    } else {
        FT_EQ(h->nuidl, 0);
        FT_EQ(h->nlist, mc->n);
        for (int i = 0; i < mc->n; i++) {
            ft_setctx("'%s' %s at=%zu entry %d", mc->name, mode_name(mode), at, i);
            FT_EQ(h->list[i].msg, mc->msgs[i]);
            FT_EQ(h->list[i].octets, mc->octets[i]);
        }
    }
    FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);
}

static void run_multi_case(const multi_case_t *mc)
{
    size_t len = strlen(mc->reply);
    run_multi_once(mc, FT_WHOLE, 0);
    for (size_t at = 1; at < len; at++) run_multi_once(mc, FT_AT, at);
    run_multi_once(mc, FT_BYTES, 0);
}

static const multi_case_t multi_cases[] = {
    {"LIST all, sizes above 2^32", false,
     "+OK 3 messages\r\n1 120\r\n2 4294967800\r\n3 18446744073709551615\r\n.\r\n", POP3_OK, 3, {1, 2, 3},
     {120, 4294967800ULL, 18446744073709551615ULL}, {0}},
    {"LIST all, empty", false, "+OK 0 messages\r\n.\r\n", POP3_OK, 0, {0}, {0}, {0}},
    {"LIST all, trailing info after size (RFC 1939)", false, "+OK\r\n1 120 extra\r\n2 7\r\n.\r\n", POP3_OK, 2, {1, 2},
     {120, 7}, {0}},
    {"LIST all, msg 4294967295", false, "+OK\r\n4294967295 1\r\n.\r\n", POP3_OK, 1, {4294967295U}, {1}, {0}},
    {"LIST all, msg 2^32", false, "+OK\r\n1 5\r\n4294967296 10\r\n.\r\n", POP3_ERR_PROTOCOL, 1, {0}, {0}, {0}},
    {"LIST all, size 2^64", false, "+OK\r\n1 18446744073709551616\r\n.\r\n", POP3_ERR_PROTOCOL, 0, {0}, {0}, {0}},
    {"LIST all, garbage entry", false, "+OK\r\nx 10\r\n.\r\n", POP3_ERR_PROTOCOL, 0, {0}, {0}, {0}},
    {"LIST all, missing size", false, "+OK\r\n1\r\n.\r\n", POP3_ERR_PROTOCOL, 0, {0}, {0}, {0}},
    {"LIST all, -ERR", false, "-ERR no\r\n", POP3_ERR_SERVER, 0, {0}, {0}, {0}},
    {"UIDL all", true, "+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n", POP3_OK, 2, {1, 2},
     {0}, {"whqtswO00WBw418f9t5JxYwZ", "QhdPYR:00WBw1Ph7x7"}},
    {"UIDL all, all printable chars", true, "+OK\r\n1 !~\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}\r\n.\r\n", POP3_OK, 1, {1},
     {0}, {"!~\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"}},
    {"UIDL all, 70-char uid", true,
     "+OK\r\n7 0123456789012345678901234567890123456789012345678901234567890123456789\r\n.\r\n", POP3_OK, 1, {7}, {0},
     {"0123456789012345678901234567890123456789012345678901234567890123456789"}},
    {"UIDL all, 71-char uid", true,
     "+OK\r\n7 01234567890123456789012345678901234567890123456789012345678901234567890\r\n.\r\n", POP3_ERR_PROTOCOL, 0,
     {0}, {0}, {0}},
    {"UIDL all, uid with control char", true, "+OK\r\n1 ok\r\n2 a\x01z\r\n.\r\n", POP3_ERR_PROTOCOL, 1, {0}, {0}, {0}},
    {"UIDL all, uid with 0x80", true, "+OK\r\n1 \x80\x81\r\n.\r\n", POP3_ERR_PROTOCOL, 0, {0}, {0}, {0}},
    {"UIDL all, uid with DEL", true, "+OK\r\n1 a\x7f\r\n.\r\n", POP3_ERR_PROTOCOL, 0, {0}, {0}, {0}},
    {"UIDL all, msg 2^32", true, "+OK\r\n4294967296 abc\r\n.\r\n", POP3_ERR_PROTOCOL, 0, {0}, {0}, {0}},
    {"UIDL all, empty uid", true, "+OK\r\n1 \r\n.\r\n", POP3_ERR_PROTOCOL, 0, {0}, {0}, {0}},
};

void test_multi_line_entries(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof multi_cases / sizeof multi_cases[0]; i++) run_multi_case(&multi_cases[i]);
}

/* A LIST entry longer than the line buffer: PROTOCOL, no overflow. */
void test_list_line_too_long(void **state)
{
    (void)state;
    static char reply[4096];
    size_t rl = (size_t)sprintf(reply, "+OK\r\n1 ");
    memset(reply + rl, '1', 2000);
    rl += 2000;
    rl += (size_t)sprintf(reply + rl, "\r\n.\r\n");
    for (int m = 0; m < 3; m++) {
        ft_setctx("LIST entry of 2000 digits, %s", mode_name((ft_split_mode_t)m));
        harness_t *h = h_new(0, NULL);
        h_ready(h);
        FT_EQ_ST(pop3_list(h->c, 0), POP3_OK);
        H_EXPECT_SENT(h, "LIST\r\n");
        h_feed_split(h, reply, rl, (ft_split_mode_t)m, 700);
        FT_EQ(h->ndone, 1);
        H_EXPECT_DONE(h, 0, POP3_CMD_LIST, POP3_ERR_PROTOCOL);
        FT_EQ(h->nlist, 0);
    }
}

/* ======================================================================== */
/* CAPA                                                                       */

void test_capa_explicit(void **state)
{
    (void)state;
    static const char reply[] = "+OK Capability list follows\r\n"
                                "TOP\r\n"
                                "\r\n"
                                "USER\r\n"
                                "   \r\n"
                                "X-JUNK foo bar\r\n"
                                "TOPS\r\n"
                                "USERNAME\r\n"
                                "SASL PLAIN LOGIN\r\n"
                                "RESP-CODES\r\n"
                                "LOGIN-DELAY 900\r\n"
                                "PIPELINING\r\n"
                                "EXPIRE NEVER\r\n"
                                "UIDL\r\n"
                                "IMPLEMENTATION Shlemazle-Plotz-v302\r\n"
                                "AUTH-RESP-CODE\r\n"
                                "UTF8 USER\r\n"
                                ".\r\n";
    static const char *const lines[] = {"TOP", "USER", "X-JUNK foo bar", "TOPS", "USERNAME",
                                        "SASL PLAIN LOGIN", "RESP-CODES", "LOGIN-DELAY 900", "PIPELINING",
                                        "EXPIRE NEVER", "UIDL", "IMPLEMENTATION Shlemazle-Plotz-v302",
                                        "AUTH-RESP-CODE", "UTF8 USER"};
    const uint32_t want = POP3_CAP_TOP | POP3_CAP_USER | POP3_CAP_SASL | POP3_CAP_RESP_CODES |
                          POP3_CAP_LOGIN_DELAY | POP3_CAP_PIPELINING | POP3_CAP_EXPIRE | POP3_CAP_UIDL |
                          POP3_CAP_IMPLEMENTATION | POP3_CAP_AUTH_RESP_CODE | POP3_CAP_UTF8 | POP3_CAP_KNOWN;
    const size_t len = sizeof reply - 1;
    for (size_t run = 0; run <= len; run++) {
        ft_split_mode_t m = run == 0 ? FT_WHOLE : run == len ? FT_BYTES : FT_AT;
        ft_setctx("explicit CAPA %s at=%zu", mode_name(m), run);
        harness_t *h = h_new(0, NULL);
        /* auto CAPA at connect: on_capa must NOT fire for it; PLAINTEXT must not STLS */
        h_connect(h, "+OK hi\r\n", "+OK\r\nSTLS\r\nTOP\r\n.\r\n");
        FT_EQ(h->ncapa, 0);
        FT_EQ(pop3_caps(h->c), POP3_CAP_STLS | POP3_CAP_TOP | POP3_CAP_KNOWN);
        FT_EQ_ST(pop3_capa(h->c), POP3_OK);
        H_EXPECT_SENT(h, "CAPA\r\n");
        h_feed_split(h, reply, len, m, run);
        FT_EQ(h->ndone, 2);
        H_EXPECT_DONE(h, 1, POP3_CMD_CAPA, POP3_OK);
        FT_EQ(pop3_caps(h->c), want);
        /* delivered lines: every non-blank one, in order, without CRLF */
        size_t k = 0;
        for (int i = 0; i < h->ncapa; i++) {
            const ft_capa_t *cl = &h->capa[i];
            FT_CHECK_MSG(!ft_contains(cl->line, cl->len, "\r") && !ft_contains(cl->line, cl->len, "\n"),
                         "on_capa line %d contains CR/LF", i);
            bool blank = true;
            for (size_t j = 0; j < cl->len; j++)
                if (cl->line[j] != ' ') blank = false;
            if (blank) continue;
            FT_CHECK_MSG(k < sizeof lines / sizeof lines[0], "extra on_capa line %d", i);
            FT_EQ_STR(cl->line, cl->len, lines[k]);
            k++;
        }
        FT_EQ(k, sizeof lines / sizeof lines[0]);
        FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);
        H_EXPECT_SENT(h, "");
    }
}

/* CAPA -ERR in PLAINTEXT mode (old server): session still usable, caps unknown. */
void test_capa_err_plaintext(void **state)
{
    (void)state;
    ft_setctx("auto CAPA -ERR in PLAINTEXT mode");
    harness_t *h = h_new(0, NULL);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    pop3_on_connected(h->c);
    h_feed_str(h, "+OK hi\r\n");
    H_EXPECT_SENT(h, "CAPA\r\n");
    h_feed_str(h, "-ERR unknown command\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, POP3_OK);
    FT_EQ(pop3_caps(h->c) & POP3_CAP_KNOWN, 0);
    FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);
    FT_EQ_ST(pop3_login(h->c, "u", "p"), POP3_OK);
    H_EXPECT_SENT(h, "USER u\r\n");
}

/* Explicit CAPA -ERR: SERVER, caps unchanged. */
void test_capa_explicit_err(void **state)
{
    (void)state;
    ft_setctx("explicit CAPA -ERR");
    harness_t *h = h_new(0, NULL);
    h_connect(h, "+OK hi\r\n", "+OK\r\nTOP\r\n.\r\n");
    FT_EQ_ST(pop3_capa(h->c), POP3_OK);
    H_EXPECT_SENT(h, "CAPA\r\n");
    h_feed_str(h, "-ERR no\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_CAPA, POP3_ERR_SERVER);
    FT_EQ(h->ncapa, 0);
    FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);
}

/* CAPA line longer than the line buffer: no crash; either skipped or PROTOCOL. */
void test_capa_long_line(void **state)
{
    (void)state;
    static char reply[8192];
    size_t rl = (size_t)sprintf(reply, "+OK\r\nTOP\r\nX-LONG ");
    memset(reply + rl, 'z', 3000);
    rl += 3000;
    rl += (size_t)sprintf(reply + rl, "\r\nUIDL\r\n.\r\n");
    for (int m = 0; m < 3; m++) {
        ft_setctx("CAPA with a 3000-octet line, %s", mode_name((ft_split_mode_t)m));
        harness_t *h = h_new(0, NULL);
        h_connect(h, "+OK hi\r\n", "+OK\r\nUSER\r\n.\r\n");
        FT_EQ_ST(pop3_capa(h->c), POP3_OK);
        H_EXPECT_SENT(h, "CAPA\r\n");
        h_feed_split(h, reply, rl, (ft_split_mode_t)m, 1000);
        FT_EQ(h->ndone, 2);
        FT_EQ(h->done[1].cmd, POP3_CMD_CAPA);
        FT_CHECK_MSG(h->done[1].status == POP3_OK || h->done[1].status == POP3_ERR_PROTOCOL,
                     "CAPA ended with %s", ft_status_name(h->done[1].status));
        for (int i = 0; i < h->ncapa; i++) FT_CHECK(h->capa[i].len <= h->line_buf_len);
    }
}
