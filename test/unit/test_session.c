/*
 * Session state machine tests with the scripted fake transport: login flow,
 * security policy (STLS / implicit TLS / plaintext opt-in), argument checks,
 * timeouts, close mid-reply, pause/resume/abort, short sends, APOP, several
 * clients side by side.
 */
#include "fake_transport.h"

#include <stdio.h>
#include <stdlib.h>

static ft_opts_t stls_opts(void)
{
    ft_opts_t o;
    memset(&o, 0, sizeof o);
    o.security = POP3_SEC_STLS;
    return o;
}

static ft_opts_t implicit_opts(void)
{
    ft_opts_t o;
    memset(&o, 0, sizeof o);
    o.security = POP3_SEC_IMPLICIT_TLS;
    return o;
}

static bool sent_contains(const harness_t *h, const char *needle)
{
    return ft_contains(h->sent, h->sent_len, needle);
}

/* ======================================================================== */
/* Full PLAINTEXT session                                                    */

static void test_full_session_plaintext(void **state)
{
    (void)state;
    ft_setctx("full PLAINTEXT session");
    harness_t *h = h_new(0, NULL);
    FT_EQ(pop3_state(h->c), POP3_STATE_IDLE);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    FT_EQ(pop3_state(h->c), POP3_STATE_CONNECTING);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_ERR_STATE);
    pop3_on_connected(h->c);
    H_EXPECT_SENT(h, "");
    FT_EQ(pop3_state(h->c), POP3_STATE_GREETING);
    FT_EQ(h->start_tls_calls, 0);
    h_feed_str(h, "+OK POP3 server ready\r\n");
    H_EXPECT_SENT(h, "CAPA\r\n");
    FT_EQ(pop3_state(h->c), POP3_STATE_SETUP);
    FT_EQ(h->ndone, 0);
    h_feed_str(h, "+OK Capability list follows\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n");
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, POP3_OK);
    FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);
    FT_EQ(pop3_caps(h->c), POP3_CAP_USER | POP3_CAP_UIDL | POP3_CAP_TOP | POP3_CAP_KNOWN);
    FT_EQ(pop3_has_apop(h->c), false);

    FT_EQ_ST(pop3_login(h->c, "alice", "secret"), POP3_OK);
    H_EXPECT_SENT(h, "USER alice\r\n"); /* PASS must wait for +OK to USER */
    FT_EQ(h->ndone, 1);
    h_feed_str(h, "+OK alice\r\n");
    H_EXPECT_SENT(h, "PASS secret\r\n");
    FT_EQ(h->ndone, 1);
    h_feed_str(h, "+OK maildrop locked and ready\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_LOGIN, POP3_OK);
    FT_EQ_STR(h->done[1].text, h->done[1].text_len, "maildrop locked and ready");
    FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);

    FT_EQ_ST(pop3_stat(h->c), POP3_OK);
    H_EXPECT_SENT(h, "STAT\r\n");
    h_feed_str(h, "+OK 2 320\r\n");
    H_EXPECT_DONE(h, 2, POP3_CMD_STAT, POP3_OK);
    FT_EQ(h->done[2].count, 2);
    FT_EQ(h->done[2].octets, 320);

    FT_EQ_ST(pop3_list(h->c, 0), POP3_OK);
    H_EXPECT_SENT(h, "LIST\r\n");
    h_feed_str(h, "+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n");
    H_EXPECT_DONE(h, 3, POP3_CMD_LIST, POP3_OK);
    FT_EQ(h->nlist, 2);
    FT_EQ(h->list[0].msg, 1);
    FT_EQ(h->list[0].octets, 120);
    FT_EQ(h->list[1].msg, 2);
    FT_EQ(h->list[1].octets, 200);

    FT_EQ_ST(pop3_uidl(h->c, 0), POP3_OK);
    H_EXPECT_SENT(h, "UIDL\r\n");
    h_feed_str(h, "+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n");
    H_EXPECT_DONE(h, 4, POP3_CMD_UIDL, POP3_OK);
    FT_EQ(h->nuidl, 2);
    FT_EQ(h->uidl[0].msg, 1);
    FT_EQ_STR(h->uidl[0].uid, h->uidl[0].len, "whqtswO00WBw418f9t5JxYwZ");
    FT_EQ(h->uidl[1].msg, 2);
    FT_EQ_STR(h->uidl[1].uid, h->uidl[1].len, "QhdPYR:00WBw1Ph7x7");

    FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
    H_EXPECT_SENT(h, "RETR 1\r\n");
    h_feed_str(h, "+OK 120 octets\r\nSubject: t\r\n\r\n..dot\r\nbody\r\n.\r\n");
    H_EXPECT_DONE(h, 5, POP3_CMD_RETR, POP3_OK);
    FT_EQ_STR(h->body, h->body_len, "Subject: t\r\n\r\n.dot\r\nbody\r\n");
    h->body_len = 0;

    FT_EQ_ST(pop3_top(h->c, 1, 0), POP3_OK);
    H_EXPECT_SENT(h, "TOP 1 0\r\n");
    h_feed_str(h, "+OK\r\nSubject: t\r\n\r\n.\r\n");
    H_EXPECT_DONE(h, 6, POP3_CMD_TOP, POP3_OK);
    FT_EQ_STR(h->body, h->body_len, "Subject: t\r\n\r\n");

    FT_EQ_ST(pop3_top(h->c, 4294967295U, 4294967295U), POP3_OK);
    H_EXPECT_SENT(h, "TOP 4294967295 4294967295\r\n");
    h_feed_str(h, "-ERR no such message\r\n");
    H_EXPECT_DONE(h, 7, POP3_CMD_TOP, POP3_ERR_SERVER);

    FT_EQ_ST(pop3_dele(h->c, 1), POP3_OK);
    H_EXPECT_SENT(h, "DELE 1\r\n");
    h_feed_str(h, "+OK message 1 deleted\r\n");
    H_EXPECT_DONE(h, 8, POP3_CMD_DELE, POP3_OK);

    FT_EQ_ST(pop3_rset(h->c), POP3_OK);
    H_EXPECT_SENT(h, "RSET\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 9, POP3_CMD_RSET, POP3_OK);

    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 10, POP3_CMD_NOOP, POP3_OK);

    FT_EQ_ST(pop3_list(h->c, 2), POP3_OK);
    H_EXPECT_SENT(h, "LIST 2\r\n");
    h_feed_str(h, "+OK 2 200\r\n");
    H_EXPECT_DONE(h, 11, POP3_CMD_LIST, POP3_OK);
    FT_EQ(h->done[11].msg, 2);
    FT_EQ(h->done[11].octets, 200);

    FT_EQ_ST(pop3_uidl(h->c, 2), POP3_OK);
    H_EXPECT_SENT(h, "UIDL 2\r\n");
    h_feed_str(h, "+OK 2 QhdPYR:00WBw1Ph7x7\r\n");
    H_EXPECT_DONE(h, 12, POP3_CMD_UIDL, POP3_OK);
    FT_EQ(h->done[12].msg, 2);
    FT_EQ_STR(h->done[12].uid, h->done[12].uid_len, "QhdPYR:00WBw1Ph7x7");

    FT_EQ(h->close_calls, 0);
    FT_EQ_ST(pop3_quit(h->c), POP3_OK);
    H_EXPECT_SENT(h, "QUIT\r\n");
    FT_EQ(h->close_calls, 0);
    h_feed_str(h, "+OK dewey POP3 server signing off\r\n");
    H_EXPECT_DONE(h, 13, POP3_CMD_QUIT, POP3_OK);
    FT_EQ(h->ndone, 14);
    FT_EQ(h->close_calls, 1);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    FT_EQ_ST(pop3_session_status(h->c), POP3_OK);
    FT_CHECK(!h->send_after_close);
    FT_EQ(h->send_zero_len_calls, 0);

    /* nothing is accepted after the session closed */
    FT_CHECK(pop3_noop(h->c) != POP3_OK);
    FT_EQ(h->ndone, 14);
    pop3_tick(h->c, 999999);
    FT_EQ(h->ndone, 14);
    FT_EQ(h->close_calls, 1);
}

/* Everything queued before pop3_start, served by a script in whole / split / byte chunks. */
static void test_queue_before_connect(void **state)
{
    (void)state;
    static const ft_script_t script[] = {
        {NULL, "+OK ready\r\n"},
        {"CAPA\r\n", "+OK\r\nUSER\r\nPIPELINING\r\n.\r\n"},
        {"USER bob\r\n", "+OK\r\n"},
        {"PASS pw\r\n", "+OK\r\n"},
        {"STAT\r\n", "+OK 1 10\r\n"},
        {"RETR 1\r\n", "+OK\r\nhi\r\n.\r\n"},
        {"DELE 1\r\n", "+OK\r\n"},
        {"QUIT\r\n", "+OK bye\r\n"},
    };
    static const pop3_cmd_t order[] = {POP3_CMD_CONNECT, POP3_CMD_LOGIN, POP3_CMD_STAT,
                                       POP3_CMD_RETR,    POP3_CMD_DELE,  POP3_CMD_QUIT};
    for (int m = 0; m < 3; m++) {
        ft_setctx("commands queued before start, replies %s",
                  m == FT_WHOLE ? "whole" : m == FT_AT ? "split in half" : "byte-by-byte");
        harness_t *h = h_new(0, NULL);
        FT_EQ_ST(pop3_login(h->c, "bob", "pw"), POP3_OK);
        FT_EQ_ST(pop3_stat(h->c), POP3_OK);
        FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
        FT_EQ_ST(pop3_dele(h->c, 1), POP3_OK);
        FT_EQ_ST(pop3_quit(h->c), POP3_OK);
        FT_EQ(h->sent_len, 0);
        FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
        FT_EQ(h->sent_len, 0);
        pop3_on_connected(h->c);
        h_pump(h);
        FT_EQ(h->sent_len, 0); /* nothing before the greeting */
        h_serve(h, script, sizeof script / sizeof script[0], (ft_split_mode_t)m);
        FT_EQ(h->ndone, 6);
        for (int i = 0; i < 6; i++) H_EXPECT_DONE(h, i, order[i], POP3_OK);
        FT_EQ_STR(h->body, h->body_len, "hi\r\n");
        FT_EQ(h->close_calls, 1);
        FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    }
}

/* RFC 2449 section 6.6: no pipelining unless the server lists PIPELINING. */
static void test_no_pipelining_without_cap(void **state)
{
    (void)state;
    ft_setctx("no PIPELINING capability: one command in flight");
    harness_t *h = h_new(0, NULL);
    h_ready(h); /* CAPA: USER UIDL TOP */
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    FT_EQ_ST(pop3_stat(h->c), POP3_OK);
    FT_EQ_ST(pop3_retr(h->c, 2), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "STAT\r\n");
    h_feed_str(h, "+OK 1 1\r\n");
    H_EXPECT_SENT(h, "RETR 2\r\n");
    h_feed_str(h, "+OK\r\n.\r\n");
    FT_EQ(h->ndone, 3);
    H_EXPECT_DONE(h, 2, POP3_CMD_RETR, POP3_OK);
}

/* on_done may queue the next command. */
static void done_hook_chain(harness_t *h, const ft_done_t *d)
{
    if (d->cmd == POP3_CMD_CONNECT && d->status == POP3_OK) FT_EQ_ST(pop3_login(h->c, "u", "p"), POP3_OK);
    if (d->cmd == POP3_CMD_LOGIN && d->status == POP3_OK) FT_EQ_ST(pop3_stat(h->c), POP3_OK);
    if (d->cmd == POP3_CMD_STAT && d->status == POP3_OK) FT_EQ_ST(pop3_quit(h->c), POP3_OK);
}

static void test_commands_from_callbacks(void **state)
{
    (void)state;
    static const ft_script_t script[] = {
        {NULL, "+OK ready\r\n"},
        {"CAPA\r\n", "+OK\r\nUSER\r\n.\r\n"},
        {"USER u\r\n", "+OK\r\n"},
        {"PASS p\r\n", "+OK\r\n"},
        {"STAT\r\n", "+OK 0 0\r\n"},
        {"QUIT\r\n", "+OK\r\n"},
    };
    ft_setctx("commands queued from on_done");
    harness_t *h = h_new(0, NULL);
    h->done_hook = done_hook_chain;
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    pop3_on_connected(h->c);
    h_serve(h, script, sizeof script / sizeof script[0], FT_WHOLE);
    FT_EQ(h->ndone, 4);
    H_EXPECT_DONE(h, 3, POP3_CMD_QUIT, POP3_OK);
    FT_EQ(h->close_calls, 1);
}

/* ======================================================================== */
/* Security policy                                                            */

static void test_plaintext_login_refused(void **state)
{
    (void)state;
    ft_opts_t o = h_plain_opts();
    o.allow_plaintext_login = false;
    ft_setctx("PLAINTEXT without allow_plaintext_login");
    harness_t *h = h_new(0, &o);
    /* before start */
    FT_EQ_ST(pop3_login(h->c, "u", "p"), POP3_ERR_SECURITY);
    h_connect(h, "+OK hi <1.2@h>\r\n", "+OK\r\nUSER\r\n.\r\n");
    FT_EQ_ST(pop3_login(h->c, "u", "secret"), POP3_ERR_SECURITY);
    FT_EQ_ST(pop3_apop(h->c, "u", "secret"), POP3_ERR_SECURITY);
    H_EXPECT_SENT(h, "");
    FT_EQ(h->ndone, 1); /* only CONNECT; refused commands never fire on_done */
    FT_CHECK(!ft_contains(h->tx_buf, h->tx_buf_len, "secret"));
    /* other commands still work (CAPA: valid in AUTHORIZATION) */
    FT_EQ_ST(pop3_capa(h->c), POP3_OK);
    H_EXPECT_SENT(h, "CAPA\r\n");
}

/* STLS mode: start, greeting, CAPA with the given reply. */
static harness_t *stls_to_capa(int slot, const char *capa_reply, bool queue_login)
{
    ft_opts_t o = stls_opts();
    harness_t *h = h_new(slot, &o);
    if (queue_login) FT_EQ_ST(pop3_login(h->c, "u", "secret"), POP3_OK);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    pop3_on_connected(h->c);
    FT_EQ(h->start_tls_calls, 0);
    H_EXPECT_SENT(h, "");
    h_feed_str(h, "+OK POP3 ready\r\n");
    H_EXPECT_SENT(h, "CAPA\r\n");
    h_feed_str(h, capa_reply);
    return h;
}

static void expect_fatal_connect(harness_t *h, pop3_status_t st, bool login_queued)
{
    FT_EQ(h->ndone, login_queued ? 2 : 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, st);
    if (login_queued) {
        FT_EQ(h->done[1].cmd, POP3_CMD_LOGIN);
        FT_CHECK_MSG(h->done[1].status != POP3_OK, "queued LOGIN completed OK after CONNECT failed");
    }
    FT_EQ(h->close_calls, 1);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    FT_EQ_ST(pop3_session_status(h->c), st);
    FT_CHECK_MSG(!sent_contains(h, "USER") && !sent_contains(h, "PASS") && !sent_contains(h, "secret"),
                 "credentials were sent");
    FT_CHECK(!h->send_after_close);
}

static void test_stls_missing(void **state)
{
    (void)state;
    ft_setctx("STLS mode, CAPA without STLS");
    harness_t *h = stls_to_capa(0, "+OK\r\nUSER\r\nUIDL\r\n.\r\n", true);
    H_EXPECT_SENT(h, "");
    expect_fatal_connect(h, POP3_ERR_SECURITY, true);
    FT_EQ(h->start_tls_calls, 0);
}

static void test_stls_capa_err(void **state)
{
    (void)state;
    ft_setctx("STLS mode, CAPA -ERR");
    harness_t *h = stls_to_capa(0, "-ERR what?\r\n", true);
    H_EXPECT_SENT(h, "");
    expect_fatal_connect(h, POP3_ERR_SECURITY, true);
    FT_EQ(h->start_tls_calls, 0);
}

static void test_stls_refused(void **state)
{
    (void)state;
    ft_setctx("STLS mode, STLS -ERR");
    harness_t *h = stls_to_capa(0, "+OK\r\nSTLS\r\nUSER\r\n.\r\n", true);
    H_EXPECT_SENT(h, "STLS\r\n");
    FT_EQ(h->ndone, 0);
    h_feed_str(h, "-ERR TLS not available\r\n");
    H_EXPECT_SENT(h, "");
    expect_fatal_connect(h, POP3_ERR_SECURITY, true);
    FT_EQ(h->start_tls_calls, 0);

    ft_setctx("STLS mode, STLS -ERR followed by pipelined +OK lines");
    h = stls_to_capa(0, "+OK\r\nSTLS\r\nUSER\r\n.\r\n", true);
    H_EXPECT_SENT(h, "STLS\r\n");
    h_feed_str(h, "-ERR no\r\n+OK\r\n+OK\r\n+OK\r\n");
    H_EXPECT_SENT(h, "");
    expect_fatal_connect(h, POP3_ERR_SECURITY, true);
    FT_EQ(h->start_tls_calls, 0);
}

/* Response injection: bytes after "+OK\r\n" to STLS. */
static void test_stls_injection(void **state)
{
    (void)state;
    static const char *const tails[] = {"X", "+OK\r\n", "-ERR\r\n", "+OK\r\nUSER\r\n.\r\n", "\r\n"};
    static const char okline[] = "+OK Begin TLS negotiation\r\n";
    const size_t oklen = sizeof okline - 1;
    for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
        char reply[128];
        size_t len = (size_t)snprintf(reply, sizeof reply, "%s%s", okline, tails[t]);
        /* at < oklen: the tail arrives in the same chunk as the end of the +OK line.
           at == oklen: the tail arrives in a later chunk, after start_tls.  at == len: whole. */
        for (size_t at = 1; at <= len; at++) {
            if (at > oklen && at < len) continue;
            char esc[64];
            ft_escape(esc, sizeof esc, tails[t], strlen(tails[t]));
            ft_setctx("STLS +OK followed by \"%s\", split at=%zu (+OK line is %zu octets)", esc, at, oklen);
            harness_t *h = stls_to_capa(0, "+OK\r\nSTLS\r\nUSER\r\n.\r\n", true);
            H_EXPECT_SENT(h, "STLS\r\n");
            bool same_chunk = at < oklen || at == len;
            h_feed(h, reply, at);
            if (at < len) h_feed(h, reply + at, len - at);
            H_EXPECT_SENT(h, "");
            if (same_chunk)
                FT_CHECK_MSG(h->start_tls_calls == 0,
                             "start_tls called although bytes followed +OK in the same chunk");
            else
                FT_EQ(h->start_tls_calls, 1);
            expect_fatal_connect(h, POP3_ERR_PROTOCOL, true);
        }
    }
    /* byte-by-byte: the first extra byte arrives after start_tls */
    ft_setctx("STLS +OK followed by \"X\" byte-by-byte");
    harness_t *h = stls_to_capa(0, "+OK\r\nSTLS\r\nUSER\r\n.\r\n", true);
    H_EXPECT_SENT(h, "STLS\r\n");
    h_feed_split(h, "+OK\r\nX", 6, FT_BYTES, 0);
    FT_EQ(h->start_tls_calls, 1);
    expect_fatal_connect(h, POP3_ERR_PROTOCOL, true);
}

static void test_stls_success_caps_reset(void **state)
{
    (void)state;
    static const char capa2[] = "+OK\r\nTOP\r\nUSER\r\n.\r\n";
    for (size_t at = 0; at <= sizeof capa2 - 1; at++) {
        ft_setctx("STLS upgrade, post-TLS CAPA split at=%zu", at);
        harness_t *h = stls_to_capa(0, "+OK\r\nUIDL\r\nSTLS\r\nUSER\r\nPIPELINING\r\n.\r\n", true);
        H_EXPECT_SENT(h, "STLS\r\n");
        FT_EQ(h->ndone, 0);
        h_feed_str(h, "+OK Begin TLS\r\n");
        FT_EQ(h->start_tls_calls, 1);
        FT_EQ(pop3_state(h->c), POP3_STATE_TLS);
        H_EXPECT_SENT(h, "");
        FT_EQ(h->ndone, 0);
        FT_EQ(h->close_calls, 0);
        pop3_on_tls_done(h->c, POP3_OK);
        h_pump(h);
        H_EXPECT_SENT(h, "CAPA\r\n");
        FT_EQ(h->ndone, 0);
        h_feed_split(h, capa2, sizeof capa2 - 1, FT_AT, at);
        H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, POP3_OK);
        FT_EQ(pop3_caps(h->c), POP3_CAP_TOP | POP3_CAP_USER | POP3_CAP_KNOWN);
        FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);
        FT_EQ(h->ncapa, 0);
        /* the login queued before the upgrade goes out only now */
        H_EXPECT_SENT(h, "USER u\r\n");
        h_feed_str(h, "+OK\r\n");
        H_EXPECT_SENT(h, "PASS secret\r\n");
        h_feed_str(h, "+OK\r\n");
        H_EXPECT_DONE(h, 1, POP3_CMD_LOGIN, POP3_OK);
        FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);
    }
}

static void test_stls_handshake_fail(void **state)
{
    (void)state;
    static const pop3_status_t fails[] = {POP3_ERR_CERT, POP3_ERR_TLS};
    for (int i = 0; i < 2; i++) {
        ft_setctx("STLS handshake fails with %s", ft_status_name(fails[i]));
        harness_t *h = stls_to_capa(0, "+OK\r\nSTLS\r\nUSER\r\n.\r\n", true);
        FT_EQ_ST(pop3_noop(h->c), POP3_OK);
        H_EXPECT_SENT(h, "STLS\r\n");
        h_feed_str(h, "+OK\r\n");
        FT_EQ(h->start_tls_calls, 1);
        pop3_on_tls_done(h->c, fails[i]);
        h_pump(h);
        H_EXPECT_SENT(h, "");
        FT_EQ(h->ndone, 3);
        H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, fails[i]);
        FT_CHECK(h->done[1].status != POP3_OK && h->done[2].status != POP3_OK);
        FT_EQ(h->close_calls, 1);
        FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
        FT_EQ_ST(pop3_session_status(h->c), fails[i]);
    }
}

static void test_implicit_tls(void **state)
{
    (void)state;
    ft_setctx("IMPLICIT_TLS session");
    ft_opts_t o = implicit_opts();
    harness_t *h = h_new(0, &o);
    FT_EQ_ST(pop3_login(h->c, "u", "p"), POP3_OK); /* no plaintext opt-in needed */
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    FT_EQ(h->start_tls_calls, 0);
    pop3_on_connected(h->c);
    FT_EQ(h->start_tls_calls, 1);
    FT_EQ(h->sent_at_start_tls, 0);
    FT_EQ(pop3_state(h->c), POP3_STATE_TLS);
    H_EXPECT_SENT(h, "");
    pop3_on_tls_done(h->c, POP3_OK);
    h_pump(h);
    H_EXPECT_SENT(h, "");
    FT_EQ(pop3_state(h->c), POP3_STATE_GREETING);
    h_feed_str(h, "+OK ready\r\n");
    H_EXPECT_SENT(h, "CAPA\r\n");
    h_feed_str(h, "+OK\r\nSTLS\r\nUSER\r\n.\r\n"); /* STLS listed: must not be used over TLS */
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, POP3_OK);
    H_EXPECT_SENT(h, "USER u\r\n");
    FT_EQ(h->start_tls_calls, 1);

    ft_setctx("IMPLICIT_TLS, certificate rejected");
    h = h_new(0, &o);
    FT_EQ_ST(pop3_login(h->c, "u", "secret"), POP3_OK);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    pop3_on_connected(h->c);
    FT_EQ(h->start_tls_calls, 1);
    pop3_on_tls_done(h->c, POP3_ERR_CERT);
    h_pump(h);
    H_EXPECT_SENT(h, "");
    expect_fatal_connect(h, POP3_ERR_CERT, true);

    ft_setctx("IMPLICIT_TLS, start_tls fails to start");
    h = h_new(0, &o);
    h->start_tls_ret = -1;
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    pop3_on_connected(h->c);
    h_pump(h);
    FT_EQ(h->ndone, 1);
    FT_EQ(h->done[0].cmd, POP3_CMD_CONNECT);
    FT_CHECK(h->done[0].status != POP3_OK);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    H_EXPECT_SENT(h, "");
}

/* ======================================================================== */
/* Arguments                                                                  */

static void test_bad_args(void **state)
{
    (void)state;
    ft_setctx("bad arguments");
    harness_t *h = h_new(0, NULL);
    h_connect(h, "+OK hi\r\n", "+OK\r\nUSER\r\n.\r\n");
    static const char *const bad[] = {"a\rb", "a\nb", "ab\r\n", "\r", "\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char e[32];
        ft_escape(e, sizeof e, bad[i], strlen(bad[i]));
        ft_setctx("bad user \"%s\"", e);
        FT_EQ_ST(pop3_login(h->c, bad[i], "p"), POP3_ERR_BAD_ARG);
        ft_setctx("bad password \"%s\"", e);
        FT_EQ_ST(pop3_login(h->c, "u", bad[i]), POP3_ERR_BAD_ARG);
    }
    ft_setctx("NULL user/password");
    FT_EQ_ST(pop3_login(h->c, NULL, "p"), POP3_ERR_BAD_ARG);
    FT_EQ_ST(pop3_login(h->c, "u", NULL), POP3_ERR_BAD_ARG);

    char user[300];
    memset(user, 'u', sizeof user);
    user[249] = '\0'; /* "USER " + 249 + CRLF = 256 > 255 */
    ft_setctx("user of 249 octets (USER command 256 octets)");
    FT_EQ_ST(pop3_login(h->c, user, "p"), POP3_ERR_BAD_ARG);
    ft_setctx("password of 249 octets (PASS command 256 octets)");
    FT_EQ_ST(pop3_login(h->c, "u", user), POP3_ERR_BAD_ARG);
    user[299] = '\0';
    ft_setctx("user of 299 octets");
    FT_EQ_ST(pop3_login(h->c, user, "p"), POP3_ERR_BAD_ARG);
    ft_setctx("nothing sent after refused logins");
    H_EXPECT_SENT(h, "");
    FT_EQ(h->ndone, 1);

    ft_setctx("user of 248 octets (USER command exactly 255 octets) is accepted");
    user[248] = '\0';
    FT_EQ_ST(pop3_login(h->c, user, "p"), POP3_OK);
    char exp[320];
    snprintf(exp, sizeof exp, "USER %s\r\n", user);
    FT_EQ(strlen(exp), 255);
    H_EXPECT_SENT(h, exp);
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "PASS p\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_LOGIN, POP3_OK);

    ft_setctx("message number 0");
    FT_EQ_ST(pop3_retr(h->c, 0), POP3_ERR_BAD_ARG);
    FT_EQ_ST(pop3_dele(h->c, 0), POP3_ERR_BAD_ARG);
    FT_EQ_ST(pop3_top(h->c, 0, 3), POP3_ERR_BAD_ARG);
    H_EXPECT_SENT(h, "");
    FT_EQ(h->ndone, 2);
    ft_setctx("queue still sane after refused commands");
    FT_EQ_ST(pop3_retr(h->c, 4294967295U), POP3_OK);
    H_EXPECT_SENT(h, "RETR 4294967295\r\n");
    h_feed_str(h, "+OK\r\n.\r\n");
    H_EXPECT_DONE(h, 2, POP3_CMD_RETR, POP3_OK);
    FT_EQ(h->ndone, 3);
}

static void test_queue_full(void **state)
{
    (void)state;
    ft_setctx("queue full");
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    h->accept_max = 0; /* keep everything queued */
    int accepted = 0;
    pop3_status_t st = POP3_OK;
    for (int i = 0; i < 100; i++) {
        st = pop3_noop(h->c);
        if (st != POP3_OK) break;
        accepted++;
    }
    FT_EQ_ST(st, POP3_ERR_QUEUE_FULL);
    FT_CHECK_MSG(accepted >= 1 && accepted <= (int)POP3_QUEUE_LEN, "accepted %d commands", accepted);
    FT_EQ(h->ndone, 0);
    h->accept_max = SIZE_MAX;
    ft_script_t script[100];
    for (int i = 0; i < accepted; i++) {
        script[i].cmd = "NOOP\r\n";
        script[i].reply = "+OK\r\n";
    }
    h_serve(h, script, (size_t)accepted, FT_WHOLE);
    FT_EQ(h->ndone, accepted); /* exactly once per accepted command */
    for (int i = 0; i < accepted; i++) H_EXPECT_DONE(h, i, POP3_CMD_NOOP, POP3_OK);
}

/* ======================================================================== */
/* Timeouts                                                                   */

static void test_timeout_connect(void **state)
{
    (void)state;
    ft_setctx("connect timeout, no greeting");
    ft_opts_t o = h_plain_opts();
    o.connect_timeout_ms = 5000;
    harness_t *h = h_new(0, &o);
    FT_EQ_ST(pop3_login(h->c, "u", "secret"), POP3_OK);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    h_tick(h, 2000);
    pop3_on_connected(h->c);
    h_tick(h, 5900);
    FT_EQ(h->ndone, 0);
    FT_EQ(h->close_calls, 0);
    h_tick(h, 6100);
    expect_fatal_connect(h, POP3_ERR_TIMEOUT, true);

    ft_setctx("connect timeout, TCP never connects");
    h = h_new(0, &o);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    h_tick(h, 5900);
    FT_EQ(h->ndone, 0);
    h_tick(h, 6100);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, POP3_ERR_TIMEOUT);
    FT_EQ(h->close_calls, 1);

    ft_setctx("default connect timeout (cfg 0 = POP3_CONNECT_TIMEOUT_MS)");
    h = h_new(0, NULL);
    FT_EQ_ST(pop3_start(h->c, 0), POP3_OK);
    pop3_on_connected(h->c);
    h_tick(h, POP3_CONNECT_TIMEOUT_MS - 100);
    FT_EQ(h->ndone, 0);
    h_tick(h, POP3_CONNECT_TIMEOUT_MS + 100);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, POP3_ERR_TIMEOUT);
}

static void test_timeout_reply(void **state)
{
    (void)state;
    ft_setctx("reply timeout");
    ft_opts_t o = h_plain_opts();
    o.reply_timeout_ms = 3000;
    harness_t *h = h_new(0, &o);
    h_ready(h);
    h_tick(h, 2000);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\n");
    FT_EQ_ST(pop3_stat(h->c), POP3_OK);
    h_tick(h, 4900);
    FT_EQ(h->ndone, 0);
    h_tick(h, 5100);
    FT_EQ(h->ndone, 2);
    H_EXPECT_DONE(h, 0, POP3_CMD_NOOP, POP3_ERR_TIMEOUT);
    FT_CHECK(h->done[1].status != POP3_OK);
    FT_EQ(h->close_calls, 1);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    FT_EQ_ST(pop3_session_status(h->c), POP3_ERR_TIMEOUT);

    ft_setctx("no reply timeout while idle");
    h = h_new(0, &o);
    h_ready(h);
    h_tick(h, 2000);
    h_tick(h, 100000);
    h_tick(h, 2000000);
    FT_EQ(h->ndone, 0);
    FT_EQ(h->close_calls, 0);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\n");
    h_tick(h, 2002000);
    FT_EQ(h->ndone, 0);
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_NOOP, POP3_OK);

    ft_setctx("reply timeout while a multi-line reply stalls");
    h = h_new(0, &o);
    h_ready(h);
    h_tick(h, 2000);
    FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
    H_EXPECT_SENT(h, "RETR 1\r\n");
    h_feed_str(h, "+OK\r\npartial");
    h_tick(h, 4500);
    FT_EQ(h->ndone, 0);
    h_tick(h, 5100);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_ERR_TIMEOUT);
}

static void test_timeout_rearmed_by_bytes(void **state)
{
    (void)state;
    ft_setctx("slow but steady RETR does not time out");
    ft_opts_t o = h_plain_opts();
    o.reply_timeout_ms = 3000;
    harness_t *h = h_new(0, &o);
    h_ready(h);
    uint32_t t = 2000;
    h_tick(h, t);
    FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
    H_EXPECT_SENT(h, "RETR 1\r\n");
    static const char reply[] = "+OK\r\nabcdefghijklmnopqrstuvwxyz\r\n.\r\n";
    for (size_t i = 0; i < sizeof reply - 1; i++) {
        t += 2000; /* each byte arrives 2 s after the previous, total far above 3 s */
        h_tick(h, t);
        FT_CHECK_MSG(h->ndone == 0, "RETR ended (%s) after byte %zu", ft_status_name(h->done[0].status), i);
        h_feed(h, reply + i, 1);
    }
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_OK);
    FT_EQ_STR(h->body, h->body_len, "abcdefghijklmnopqrstuvwxyz\r\n");
    FT_EQ(h->close_calls, 0);
}

static void test_timeout_tls(void **state)
{
    (void)state;
    ft_setctx("implicit TLS handshake timeout");
    ft_opts_t o = implicit_opts();
    o.tls_timeout_ms = 4000;
    o.connect_timeout_ms = 60000;
    harness_t *h = h_new(0, &o);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    pop3_on_connected(h->c);
    FT_EQ(h->start_tls_calls, 1);
    h_tick(h, 4900);
    FT_EQ(h->ndone, 0);
    h_tick(h, 5100);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, POP3_ERR_TIMEOUT);
    FT_EQ(h->close_calls, 1);

    ft_setctx("STLS handshake timeout");
    o = stls_opts();
    o.tls_timeout_ms = 4000;
    o.connect_timeout_ms = 60000;
    h = h_new(0, &o);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    pop3_on_connected(h->c);
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "CAPA\r\n");
    h_feed_str(h, "+OK\r\nSTLS\r\n.\r\n");
    H_EXPECT_SENT(h, "STLS\r\n");
    h_tick(h, 2000);
    h_feed_str(h, "+OK\r\n");
    FT_EQ(h->start_tls_calls, 1);
    h_tick(h, 5900);
    FT_EQ(h->ndone, 0);
    h_tick(h, 6100);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, POP3_ERR_TIMEOUT);
    FT_EQ(h->close_calls, 1);
}

static void test_timeout_wrap(void **state)
{
    (void)state;
    ft_setctx("connect timeout across uint32 wrap");
    ft_opts_t o = h_plain_opts();
    o.connect_timeout_ms = 1000;
    o.reply_timeout_ms = 3000;
    harness_t *h = h_new(0, &o);
    const uint32_t t0 = 0xFFFFFFF0U;
    h->now = t0;
    FT_EQ_ST(pop3_start(h->c, t0), POP3_OK);
    h_tick(h, t0);
    h_tick(h, t0 + 500U); /* wraps to 0x1E4 */
    h_tick(h, t0 + 999U);
    FT_EQ(h->ndone, 0);
    FT_EQ(h->close_calls, 0);
    h_tick(h, t0 + 1100U);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, POP3_ERR_TIMEOUT);

    ft_setctx("reply timeout across uint32 wrap");
    h = h_new(0, &o);
    const uint32_t t1 = 0xFFFFF000U;
    h->now = t1;
    h_ready(h);
    h_tick(h, 0xFFFFFF00U);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\n");
    h_tick(h, 0xFFFFFFFFU);
    h_tick(h, 0x00000100U);
    h_tick(h, 0xFFFFFF00U + 2900U);
    FT_EQ(h->ndone, 0);
    h_tick(h, 0xFFFFFF00U + 3100U);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_NOOP, POP3_ERR_TIMEOUT);
}

/* ======================================================================== */
/* Connection lost                                                            */

static void test_closed_mid_retr(void **state)
{
    (void)state;
    static const char full[] = "+OK\r\nline1\r\n..line2\r\n.\r\n";
    static const char body[] = "line1\r\n.line2\r\n";
    /* close after every prefix that is not the complete reply */
    for (size_t cut = 0; cut < sizeof full - 1; cut++) {
        ft_setctx("server closes mid-RETR after %zu octets", cut);
        harness_t *h = h_new(0, NULL);
        h_ready(h);
        FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
        H_EXPECT_SENT(h, "RETR 1\r\n");
        FT_EQ_ST(pop3_noop(h->c), POP3_OK);
        h_feed(h, full, cut);
        FT_EQ(h->ndone, 0);
        h_closed(h, POP3_ERR_TRANSPORT);
        FT_EQ(h->ndone, 2);
        H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_ERR_TRANSPORT);
        FT_EQ(h->done[1].cmd, POP3_CMD_NOOP);
        FT_CHECK(h->done[1].status != POP3_OK);
        FT_CHECK_MSG(h->body_len <= sizeof body - 1 && memcmp(h->body, body, h->body_len) == 0,
                     "delivered body (%zu octets) is not a prefix of the message", h->body_len);
        FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
        FT_EQ_ST(pop3_session_status(h->c), POP3_ERR_TRANSPORT);
        FT_CHECK(pop3_noop(h->c) != POP3_OK);
        FT_EQ(h->ndone, 2);
    }

    ft_setctx("server closes while idle");
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    h_closed(h, POP3_ERR_TRANSPORT);
    FT_EQ(h->ndone, 0);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    FT_EQ_ST(pop3_session_status(h->c), POP3_ERR_TRANSPORT);

    ft_setctx("connection fails before greeting");
    h = h_new(0, NULL);
    FT_EQ_ST(pop3_login(h->c, "u", "p"), POP3_OK);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    h_closed(h, POP3_ERR_TRANSPORT);
    FT_EQ(h->ndone, 2);
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, POP3_ERR_TRANSPORT);
    FT_CHECK(h->done[1].status != POP3_OK);
    H_EXPECT_SENT(h, "");
}

static void test_send_error(void **state)
{
    (void)state;
    ft_setctx("send returns a fatal error");
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    h->send_fail = true;
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    h_pump(h);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_NOOP, POP3_ERR_TRANSPORT);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    FT_EQ(h->close_calls, 1);
}

/* ======================================================================== */
/* Flow control                                                               */

static void test_pause_resume(void **state)
{
    (void)state;
    static const char reply[] = "+OK\r\nAAA\r\n..B\r\nCCC\r\n..\r\nDDD\r\n.\r\n";
    static const char body[] = "AAA\r\n.B\r\nCCC\r\n.\r\nDDD\r\n";
    const size_t len = sizeof reply - 1;
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        ft_setctx("pause on every on_body call, %s", bytewise ? "byte-by-byte" : "one chunk");
        harness_t *h = h_new(0, NULL);
        h_ready(h);
        h->body_pause_always = true;
        FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
        H_EXPECT_SENT(h, "RETR 1\r\n");
        FT_EQ_ST(pop3_noop(h->c), POP3_OK);
        size_t off = 0;
        int pauses = 0;
        while (off < len) {
            size_t want = bytewise ? 1 : len - off;
            int calls = h->body_calls;
            size_t n = h_feed(h, reply + off, want);
            off += n;
            if (pop3_is_paused(h->c)) {
                pauses++;
                FT_CHECK_MSG(pauses < 100, "too many pauses");
                FT_EQ(h->body_calls, calls + 1);
                if (!bytewise) FT_CHECK_MSG(n < want, "paused but consumed all %zu octets", want);
                /* while paused nothing is consumed and nothing delivered */
                calls = h->body_calls;
                if (off < len) FT_EQ(h_feed(h, reply + off, len - off), 0);
                FT_EQ(h->body_calls, calls);
                FT_EQ(h->ndone, 0);
                int w = h->wake_calls;
                pop3_resume(h->c);
                FT_EQ(h->wake_calls, w + 1);
                FT_CHECK(!pop3_is_paused(h->c));
                h_pump(h);
            } else {
                FT_EQ(n, want);
            }
        }
        FT_CHECK(pauses >= 3);
        FT_EQ(h->ndone, 1);
        H_EXPECT_SENT(h, "NOOP\r\n");
        h_feed_str(h, "+OK noop\r\n"); /* its own chunk: sent after NOOP */
        FT_EQ(h->ndone, 2);
        H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_OK);
        H_EXPECT_DONE(h, 1, POP3_CMD_NOOP, POP3_OK);
        FT_EQ_MEM(h->body, h->body_len, body, sizeof body - 1);
        FT_EQ(h->done[0].octets, sizeof body - 1);
    }

    ft_setctx("pause in on_list");
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    h->list_pause_at = 1;
    FT_EQ_ST(pop3_list(h->c, 0), POP3_OK);
    H_EXPECT_SENT(h, "LIST\r\n");
    static const char lr[] = "+OK\r\n1 10\r\n2 20\r\n.\r\n";
    size_t n = h_feed(h, lr, sizeof lr - 1);
    FT_CHECK(n < sizeof lr - 1);
    FT_CHECK(pop3_is_paused(h->c));
    FT_EQ(h->nlist, 1);
    FT_EQ(h->ndone, 0);
    pop3_resume(h->c);
    FT_EQ(h->wake_calls, 1);
    FT_EQ(h_feed(h, lr + n, sizeof lr - 1 - n), sizeof lr - 1 - n);
    FT_EQ(h->nlist, 2);
    FT_EQ(h->list[1].msg, 2);
    FT_EQ(h->list[1].octets, 20);
    H_EXPECT_DONE(h, 0, POP3_CMD_LIST, POP3_OK);
}

static void test_abort_from_callback(void **state)
{
    (void)state;
    static const char reply[] = "+OK\r\nAAA\r\n..B\r\nCCC\r\n.\r\n";
    static const char body[] = "AAA\r\n.B\r\nCCC\r\n";
    const size_t len = sizeof reply - 1;
    for (size_t run = 0; run <= len; run++) {
        ft_split_mode_t m = run == 0 ? FT_WHOLE : run == len ? FT_BYTES : FT_AT;
        ft_setctx("on_body returns ABORT, %s at=%zu", m == FT_WHOLE ? "whole" : m == FT_AT ? "split" : "bytes", run);
        harness_t *h = h_new(0, NULL);
        h_ready(h);
        h->body_abort_at = 1;
        FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
        H_EXPECT_SENT(h, "RETR 1\r\n");
        FT_EQ_ST(pop3_noop(h->c), POP3_OK);
        FT_EQ(h_feed_split(h, reply, len, m, run), len);
        H_EXPECT_SENT(h, "NOOP\r\n");
        h_feed_str(h, "+OK noop\r\n");
        FT_EQ(h->body_calls, 1);
        FT_CHECK(h->body_len <= sizeof body - 1 && memcmp(h->body, body, h->body_len) == 0);
        FT_EQ(h->ndone, 2);
        H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_ERR_ABORTED);
        H_EXPECT_DONE(h, 1, POP3_CMD_NOOP, POP3_OK);
        FT_EQ_STR(h->done[1].text, h->done[1].text_len, "noop");
        FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);
        FT_EQ(h->close_calls, 0);
    }
}

/* Issue 7, defects 3 and 4: pop3_abort() is allowed from every callback, on_trace
 * included, at any point of a session; each accepted command (and CONNECT) is
 * then reported exactly once, nothing is sent after close, nothing crashes. */
static void abort_done_hook(harness_t *h, const ft_done_t *d)
{
    (void)d;
    if (h->ndone == *(const int *)h->user) pop3_abort(h->c);
}

static void test_abort_from_any_callback(void **state)
{
    (void)state;
    static const char *const replies[] = {
        "+OK hi\r\n", "+OK\r\nUSER\r\nUIDL\r\n.\r\n", "+OK\r\n", "+OK in\r\n", "+OK\r\nTOP\r\nUIDL\r\n.\r\n",
        "+OK 2 10\r\n", "+OK\r\n1 5\r\n2 5\r\n.\r\n", "+OK\r\n1 a\r\n2 b\r\n.\r\n", "+OK\r\nbo\r\n..dy\r\n.\r\n",
        "+OK bye\r\n"};
    static const pop3_cmd_t cmds[] = {POP3_CMD_CONNECT, POP3_CMD_LOGIN, POP3_CMD_CAPA, POP3_CMD_STAT,
                                      POP3_CMD_LIST, POP3_CMD_UIDL, POP3_CMD_RETR, POP3_CMD_QUIT};
    static const char *const kinds[] = {"on_trace", "on_done", "on_body", "on_list/on_uidl/on_capa"};
    for (int kind = 0; kind < 4; kind++) {
        for (int k = 1; k <= 24; k++) {
            ft_setctx("pop3_abort() from %s call %d", kinds[kind], k);
            harness_t *h = h_new(0, NULL);
            int at = k;
            h->user = &at;
            if (kind == 0) h->trace_core_abort_at = k;
            if (kind == 1) h->done_hook = abort_done_hook;
            if (kind == 2) h->body_core_abort_at = k;
            if (kind == 3) h->entry_core_abort_at = k;
            FT_EQ_ST(pop3_start(h->c, 0), POP3_OK);
            FT_EQ_ST(pop3_login(h->c, "u", "p"), POP3_OK);
            FT_EQ_ST(pop3_capa(h->c), POP3_OK);
            FT_EQ_ST(pop3_stat(h->c), POP3_OK);
            FT_EQ_ST(pop3_list(h->c, 0), POP3_OK);
            FT_EQ_ST(pop3_uidl(h->c, 0), POP3_OK);
            FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
            FT_EQ_ST(pop3_quit(h->c), POP3_OK);
            pop3_on_connected(h->c);
            for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
                if (pop3_state(h->c) == POP3_STATE_CLOSED) break;
                h_feed_str(h, replies[i]);
            }
            FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
            FT_EQ(h->ndone, 8);
            for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
                int n = 0;
                for (int j = 0; j < h->ndone; j++) n += h->done[j].cmd == cmds[i];
                FT_CHECK_MSG(n == 1, "%s reported %d times", pop3_cmd_name(cmds[i]), n);
            }
            FT_CHECK(h->close_calls <= 1);
            FT_CHECK(!h->send_after_close);
            pop3_abort(h->c); /* closed: does nothing */
            FT_EQ(h->ndone, 8);
            h_free_all();
        }
    }
}

static void test_pop3_abort(void **state)
{
    (void)state;
    ft_setctx("pop3_abort with RETR in flight and NOOP queued");
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
    H_EXPECT_SENT(h, "RETR 1\r\n");
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    h_feed_str(h, "+OK\r\nabc");
    pop3_abort(h->c);
    h_pump(h);
    FT_EQ(h->ndone, 2);
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_ERR_ABORTED);
    H_EXPECT_DONE(h, 1, POP3_CMD_NOOP, POP3_ERR_ABORTED);
    FT_EQ(h->close_calls, 1);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    FT_EQ_ST(pop3_session_status(h->c), POP3_ERR_ABORTED);
    FT_CHECK_MSG(!sent_contains(h, "QUIT"), "pop3_abort sent QUIT");
}

/* ======================================================================== */
/* Short sends                                                                */

/* Port contract: a short send is re-offered at once; after 0 (would-block) the
 * core sends nothing until pop3_on_writable(), then offers the same bytes. */
static void test_short_send_waits_for_writable(void **state)
{
    (void)state;
    ft_setctx("would-block: no send before pop3_on_writable");
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    h->auto_pump = false;
    h->accept_max = 1;
    int calls = h->send_calls;
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    FT_CHECK_MSG(h->send_calls - calls == 6, "1 octet per call: expected 6 sends for NOOP, got %d",
                 h->send_calls - calls);
    H_EXPECT_SENT(h, "NOOP\r\n");
    FT_CHECK(!pop3_wants_write(h->c));
    h_feed_str(h, "+OK\r\n");
    h->accept_max = 0; /* would-block */
    calls = h->send_calls;
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    FT_CHECK_MSG(h->send_calls - calls == 1, "would-block: expected one send attempt, got %d",
                 h->send_calls - calls);
    FT_CHECK(pop3_wants_write(h->c));
    FT_EQ_ST(pop3_stat(h->c), POP3_OK); /* queued behind: must not trigger a send */
    FT_CHECK_MSG(h->send_calls - calls == 1, "send retried before pop3_on_writable");
    h->accept_max = 2;
    int guard = 0;
    while (pop3_wants_write(h->c) && guard++ < 100) {
        pop3_on_writable(h->c);
    }
    H_EXPECT_SENT(h, "NOOP\r\n");
}

static void drain_writable(harness_t *h, const size_t *pattern, size_t np)
{
    for (size_t i = 0; i < 2000 && (pop3_wants_write(h->c) || h->wake_pending); i++) {
        h->budget_per_writable = pattern[i % np];
        h_writable(h);
    }
}

static void test_short_sends(void **state)
{
    (void)state;
    static const size_t one[] = {1};
    ft_setctx("socket with room for one octet per writable event");
    harness_t *h = h_new(0, NULL);
    h_connect(h, "+OK hi\r\n", "+OK\r\nUSER\r\n.\r\n");
    h->auto_pump = false;
    h->budget_mode = true;
    h->budget = 1;
    h->budget_per_writable = 1;
    FT_EQ_ST(pop3_login(h->c, "alice", "secret"), POP3_OK);
    FT_CHECK_MSG(h_unchecked(h) == 1, "%zu octets sent with room for 1", h_unchecked(h));
    FT_CHECK(pop3_wants_write(h->c));
    drain_writable(h, one, 1);
    H_EXPECT_SENT(h, "USER alice\r\n");
    FT_CHECK(!pop3_wants_write(h->c));
    h->budget = 0; /* reply arrives while the socket is full */
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "");
    FT_CHECK(pop3_wants_write(h->c));
    drain_writable(h, one, 1);
    H_EXPECT_SENT(h, "PASS secret\r\n");
    FT_CHECK_MSG(!ft_contains(h->tx_buf, h->tx_buf_len, "secret"), "password still in tx_buf after PASS was sent");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_LOGIN, POP3_OK);
    FT_CHECK(!ft_contains(h->tx_buf, h->tx_buf_len, "secret"));

    ft_setctx("would-block then irregular partial sends");
    h = h_new(0, NULL);
    h_ready(h);
    h->auto_pump = false;
    h->budget_mode = true;
    h->budget = 0;
    h->budget_per_writable = 0;
    FT_EQ_ST(pop3_retr(h->c, 12345), POP3_OK);
    FT_EQ_ST(pop3_dele(h->c, 12345), POP3_OK);
    h_writable(h);
    h_writable(h);
    H_EXPECT_SENT(h, "");
    FT_CHECK(pop3_wants_write(h->c));
    static const size_t pattern[] = {3, 0, 0, 1, 0, 2, 7, 0, 1};
    drain_writable(h, pattern, sizeof pattern / sizeof pattern[0]);
    H_EXPECT_SENT(h, "RETR 12345\r\n"); /* no PIPELINING: DELE waits for the reply */
    h->budget_per_writable = 2;
    h->budget = 2;
    h_feed_str(h, "+OK\r\nx\r\n.\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_OK);
    drain_writable(h, pattern, sizeof pattern / sizeof pattern[0]);
    H_EXPECT_SENT(h, "DELE 12345\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_DELE, POP3_OK);
}

static void test_password_wiped_and_masked(void **state)
{
    (void)state;
    ft_setctx("password wiped from tx_buf and masked in trace");
    harness_t *h = h_new(0, NULL);
    h_connect(h, "+OK hi\r\n", "+OK\r\nUSER\r\n.\r\n");
    FT_EQ_ST(pop3_login(h->c, "alice", "secret"), POP3_OK);
    H_EXPECT_SENT(h, "USER alice\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "PASS secret\r\n");
    FT_CHECK_MSG(!ft_contains(h->tx_buf, h->tx_buf_len, "secret"), "password still in tx_buf right after PASS was sent");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_LOGIN, POP3_OK);
    FT_CHECK(!ft_contains(h->tx_buf, h->tx_buf_len, "secret"));
    FT_CHECK_MSG(!ft_contains(h->line_buf, h->line_buf_len, "secret"), "password in line_buf");
    FT_CHECK_MSG(!ft_contains(h->trace, h->trace_len, "secret"), "password appears in on_trace");
    FT_CHECK_MSG(ft_contains(h->trace, h->trace_len, "PASS ***\n"), "trace lacks the fixed mask \"PASS ***\"");
    FT_CHECK_MSG(ft_contains(h->trace, h->trace_len, "USER alice"), "trace lacks \"USER alice\"");

    ft_setctx("password wiped when the session fails before PASS is sent");
    h = h_new(0, NULL);
    h_connect(h, "+OK hi\r\n", "+OK\r\nUSER\r\n.\r\n");
    FT_EQ_ST(pop3_login(h->c, "alice", "secret"), POP3_OK);
    H_EXPECT_SENT(h, "USER alice\r\n");
    h_feed_str(h, "-ERR no such user\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_LOGIN, POP3_ERR_AUTH);
    H_EXPECT_SENT(h, "");
    FT_CHECK_MSG(!ft_contains(h->tx_buf, h->tx_buf_len, "secret"), "unsent password left in tx_buf after LOGIN failed");
}

/* ======================================================================== */
/* APOP                                                                       */

static void test_apop(void **state)
{
    (void)state;
    ft_setctx("APOP RFC 1939 example");
    harness_t *h = h_new(0, NULL);
    FT_CHECK(pop3_apop(h->c, "mrose", "tanstaaf") != POP3_OK); /* no greeting yet */
    h_connect(h, "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n", "+OK\r\nUSER\r\n.\r\n");
    FT_CHECK(pop3_has_apop(h->c));
    FT_EQ_ST(pop3_apop(h->c, "mrose\r", "tanstaaf"), POP3_ERR_BAD_ARG);
    FT_EQ_ST(pop3_apop(h->c, "mrose", "tans\ntaaf"), POP3_ERR_BAD_ARG);
    H_EXPECT_SENT(h, "");
    FT_EQ_ST(pop3_apop(h->c, "mrose", "tanstaaf"), POP3_OK);
    H_EXPECT_SENT(h, "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n");
    h_feed_str(h, "+OK mrose's maildrop has 2 messages (320 octets)\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_APOP, POP3_OK);
    FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);
    FT_CHECK(!ft_contains(h->trace, h->trace_len, "tanstaaf"));

    ft_setctx("APOP rejected");
    h = h_new(0, NULL);
    h_connect(h, "+OK <a.b@c>\r\n", "+OK\r\n.\r\n");
    FT_EQ_ST(pop3_apop(h->c, "u", "p"), POP3_OK);
    h_feed_str(h, "-ERR [AUTH] permission denied\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_APOP, POP3_ERR_AUTH);
    FT_EQ(h->done[1].code, POP3_RESP_AUTH);
    FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);

    static const char *const no_ts[] = {
        "+OK POP3 server ready\r\n",
        "+OK POP3 <unterminated\r\n",
        "+OK POP3 no-at> <x\r\n",
    };
    for (size_t i = 0; i < sizeof no_ts / sizeof no_ts[0]; i++) {
        ft_setctx("APOP with greeting %zu (no valid timestamp)", i);
        h = h_new(0, NULL);
        h_connect(h, no_ts[i], "+OK\r\n.\r\n");
        FT_CHECK(!pop3_has_apop(h->c));
        FT_EQ_ST(pop3_apop(h->c, "u", "p"), POP3_ERR_STATE);
        H_EXPECT_SENT(h, "");
        FT_EQ(h->ndone, 1);
    }

    ft_setctx("APOP timestamp longer than POP3_APOP_TIMESTAMP_MAX_LEN");
    static char greet[600];
    size_t gl = (size_t)sprintf(greet, "+OK <");
    memset(greet + gl, '7', 300);
    gl += 300;
    sprintf(greet + gl, "@host>\r\n");
    h = h_new(0, NULL);
    h_connect(h, greet, "+OK\r\n.\r\n");
    FT_CHECK(!pop3_has_apop(h->c));
    FT_EQ_ST(pop3_apop(h->c, "u", "p"), POP3_ERR_STATE);
    H_EXPECT_SENT(h, "");
}

/* ======================================================================== */
/* Several clients, error replies                                             */

static void test_two_clients(void **state)
{
    (void)state;
    ft_setctx("two clients side by side");
    harness_t *a = h_new(0, NULL);
    harness_t *b = h_new(1, NULL);
    FT_EQ_ST(pop3_start(a->c, 1000), POP3_OK);
    FT_EQ_ST(pop3_start(b->c, 1000), POP3_OK);
    pop3_on_connected(a->c);
    pop3_on_connected(b->c);
    h_feed_str(a, "+OK a <1.1@a>\r\n");
    h_feed_str(b, "+OK b\r\n");
    H_EXPECT_SENT(a, "CAPA\r\n");
    H_EXPECT_SENT(b, "CAPA\r\n");
    h_feed_str(b, "+OK\r\nUSER\r\nUIDL\r\n.\r\n");
    FT_EQ(a->ndone, 0);
    h_feed_str(a, "+OK\r\nUSER\r\nTOP\r\n.\r\n");
    FT_EQ(pop3_caps(a->c), POP3_CAP_USER | POP3_CAP_TOP | POP3_CAP_KNOWN);
    FT_EQ(pop3_caps(b->c), POP3_CAP_USER | POP3_CAP_UIDL | POP3_CAP_KNOWN);
    FT_CHECK(pop3_has_apop(a->c));
    FT_CHECK(!pop3_has_apop(b->c));
    FT_EQ_ST(pop3_login(a->c, "alice", "pa"), POP3_OK);
    FT_EQ_ST(pop3_login(b->c, "bob", "pb"), POP3_OK);
    H_EXPECT_SENT(a, "USER alice\r\n");
    H_EXPECT_SENT(b, "USER bob\r\n");
    h_feed_str(a, "+OK\r\n");
    h_feed_str(b, "+OK\r\n");
    H_EXPECT_SENT(a, "PASS pa\r\n");
    H_EXPECT_SENT(b, "PASS pb\r\n");
    h_feed_str(b, "+OK\r\n");
    h_feed_str(a, "+OK\r\n");
    FT_EQ_ST(pop3_retr(a->c, 1), POP3_OK);
    FT_EQ_ST(pop3_retr(b->c, 2), POP3_OK);
    H_EXPECT_SENT(a, "RETR 1\r\n");
    H_EXPECT_SENT(b, "RETR 2\r\n");
    static const char ra[] = "+OK\r\naaaa\r\n..a\r\n.\r\n";
    static const char rb[] = "+OK\r\nbbbbbbbb\r\n.\r\n";
    for (size_t i = 0; i < sizeof ra - 1 || i < sizeof rb - 1; i++) {
        if (i < sizeof ra - 1) h_feed(a, ra + i, 1);
        if (i < sizeof rb - 1) h_feed(b, rb + i, 1);
    }
    FT_EQ_STR(a->body, a->body_len, "aaaa\r\n.a\r\n");
    FT_EQ_STR(b->body, b->body_len, "bbbbbbbb\r\n");
    H_EXPECT_DONE(a, 2, POP3_CMD_RETR, POP3_OK);
    H_EXPECT_DONE(b, 2, POP3_CMD_RETR, POP3_OK);
    /* one closes, the other goes on */
    h_closed(a, POP3_ERR_TRANSPORT);
    FT_EQ(pop3_state(a->c), POP3_STATE_CLOSED);
    FT_EQ(pop3_state(b->c), POP3_STATE_TRANSACTION);
    FT_EQ_ST(pop3_noop(b->c), POP3_OK);
    H_EXPECT_SENT(b, "NOOP\r\n");
    H_EXPECT_SENT(a, "");
}

static void test_error_replies(void **state)
{
    (void)state;
    ft_setctx("-ERR greeting");
    harness_t *h = h_new(0, NULL);
    FT_EQ_ST(pop3_login(h->c, "u", "secret"), POP3_OK);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    pop3_on_connected(h->c);
    h_feed_str(h, "-ERR [SYS/TEMP] too busy\r\n");
    H_EXPECT_SENT(h, "");
    expect_fatal_connect(h, POP3_ERR_SERVER, true);
    FT_EQ_STR(h->done[0].text, h->done[0].text_len, "[SYS/TEMP] too busy");
    FT_EQ(h->done[0].code, POP3_RESP_SYS_TEMP);

    ft_setctx("wrong password");
    h = h_new(0, NULL);
    h_connect(h, "+OK\r\n", "+OK\r\nUSER\r\n.\r\n");
    FT_EQ_ST(pop3_login(h->c, "alice", "wrong"), POP3_OK);
    H_EXPECT_SENT(h, "USER alice\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "PASS wrong\r\n");
    h_feed_str(h, "-ERR [AUTH] invalid password\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_LOGIN, POP3_ERR_AUTH);
    FT_EQ_STR(h->done[1].text, h->done[1].text_len, "[AUTH] invalid password");
    FT_EQ(h->done[1].code, POP3_RESP_AUTH);
    FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);
    FT_EQ(h->close_calls, 0);
    ft_setctx("login retry after wrong password");
    FT_EQ_ST(pop3_login(h->c, "alice", "right"), POP3_OK);
    H_EXPECT_SENT(h, "USER alice\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "PASS right\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 2, POP3_CMD_LOGIN, POP3_OK);
    FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);

    ft_setctx("USER rejected: PASS never sent");
    h = h_new(0, NULL);
    h_connect(h, "+OK\r\n", "+OK\r\nUSER\r\n.\r\n");
    FT_EQ_ST(pop3_login(h->c, "mallory", "secret"), POP3_OK);
    H_EXPECT_SENT(h, "USER mallory\r\n");
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    h_feed_str(h, "-ERR [IN-USE] locked\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_LOGIN, POP3_ERR_AUTH);
    FT_EQ(h->done[1].code, POP3_RESP_IN_USE);
    FT_CHECK(!sent_contains(h, "PASS"));
    /* NOOP is a TRANSACTION command: it cannot run after the failed login */
    H_EXPECT_DONE(h, 2, POP3_CMD_NOOP, POP3_ERR_STATE);
    H_EXPECT_SENT(h, "");
    FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);

    ft_setctx("QUIT -ERR still closes");
    h = h_new(0, NULL);
    h_ready(h);
    FT_EQ_ST(pop3_quit(h->c), POP3_OK);
    H_EXPECT_SENT(h, "QUIT\r\n");
    h_feed_str(h, "-ERR some deleted messages not removed\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_QUIT, POP3_ERR_SERVER);
    FT_EQ(h->close_calls, 1);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);

    ft_setctx("QUIT in AUTH state");
    h = h_new(0, NULL);
    h_connect(h, "+OK\r\n", "+OK\r\n.\r\n");
    FT_EQ_ST(pop3_quit(h->c), POP3_OK);
    H_EXPECT_SENT(h, "QUIT\r\n");
    h_feed_str(h, "+OK bye\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_QUIT, POP3_OK);
    FT_EQ(h->close_calls, 1);
    FT_EQ_ST(pop3_session_status(h->c), POP3_OK);

    ft_setctx("unsolicited bytes while idle");
    h = h_new(0, NULL);
    h_ready(h);
    h_feed_str(h, "+OK surprise\r\n");
    FT_EQ(h->ndone, 0);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    FT_EQ_ST(pop3_session_status(h->c), POP3_ERR_PROTOCOL);
    FT_EQ(h->close_calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_full_session_plaintext, ft_teardown),
        cmocka_unit_test_teardown(test_queue_before_connect, ft_teardown),
        cmocka_unit_test_teardown(test_no_pipelining_without_cap, ft_teardown),
        cmocka_unit_test_teardown(test_commands_from_callbacks, ft_teardown),
        cmocka_unit_test_teardown(test_plaintext_login_refused, ft_teardown),
        cmocka_unit_test_teardown(test_stls_missing, ft_teardown),
        cmocka_unit_test_teardown(test_stls_capa_err, ft_teardown),
        cmocka_unit_test_teardown(test_stls_refused, ft_teardown),
        cmocka_unit_test_teardown(test_stls_injection, ft_teardown),
        cmocka_unit_test_teardown(test_stls_success_caps_reset, ft_teardown),
        cmocka_unit_test_teardown(test_stls_handshake_fail, ft_teardown),
        cmocka_unit_test_teardown(test_implicit_tls, ft_teardown),
        cmocka_unit_test_teardown(test_bad_args, ft_teardown),
        cmocka_unit_test_teardown(test_queue_full, ft_teardown),
        cmocka_unit_test_teardown(test_timeout_connect, ft_teardown),
        cmocka_unit_test_teardown(test_timeout_reply, ft_teardown),
        cmocka_unit_test_teardown(test_timeout_rearmed_by_bytes, ft_teardown),
        cmocka_unit_test_teardown(test_timeout_tls, ft_teardown),
        cmocka_unit_test_teardown(test_timeout_wrap, ft_teardown),
        cmocka_unit_test_teardown(test_closed_mid_retr, ft_teardown),
        cmocka_unit_test_teardown(test_send_error, ft_teardown),
        cmocka_unit_test_teardown(test_pause_resume, ft_teardown),
        cmocka_unit_test_teardown(test_abort_from_callback, ft_teardown),
        cmocka_unit_test_teardown(test_pop3_abort, ft_teardown),
        cmocka_unit_test_teardown(test_abort_from_any_callback, ft_teardown),
        cmocka_unit_test_teardown(test_short_send_waits_for_writable, ft_teardown),
        cmocka_unit_test_teardown(test_short_sends, ft_teardown),
        cmocka_unit_test_teardown(test_password_wiped_and_masked, ft_teardown),
        cmocka_unit_test_teardown(test_apop, ft_teardown),
        cmocka_unit_test_teardown(test_two_clients, ft_teardown),
        cmocka_unit_test_teardown(test_error_replies, ft_teardown),
    };
    return cmocka_run_group_tests_name("unit_session", tests, NULL, NULL);
}
