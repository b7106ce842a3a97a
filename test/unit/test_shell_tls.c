/*
 * unit_shell, continued: pop3_stls() in a plaintext session (the connect
 * phase's upgrade: injection refused, handshake, CAPA again, then a login
 * without allow_plaintext_login) and pop3_utf8() (RFC 6856).
 */
#include "test_shell.h"

#include <stdio.h>

/* ======================================================================== */
/* pop3_stls                                                                  */

/* A plaintext session (no allow_plaintext_login) on a server offering STLS, STLS sent. */
static harness_t *stls_sent(int slot)
{
    harness_t *h = auth_session(slot, false, CAPA_STLS);
    FT_EQ(pop3_caps(h->c), POP3_CAP_STLS | POP3_CAP_USER | POP3_CAP_KNOWN);
    FT_EQ_ST(pop3_user(h->c, "alice"), POP3_ERR_SECURITY);
    FT_EQ_ST(pop3_stls(h->c), POP3_OK);
    H_EXPECT_SENT(h, "STLS\r\n");
    return h;
}

void test_stls_then_login(void **state)
{
    (void)state;
    static const char ok[] = "+OK Begin TLS\r\n";
    static const char capa2[] = "+OK\r\nUSER\r\nTOP\r\nUTF8\r\n.\r\n";
    for (size_t at = 0; at <= sizeof capa2 - 1; at++) {
        ft_setctx("pop3_stls, +OK and the CAPA again split at %zu", at);
        harness_t *h = stls_sent(0);
        FT_EQ_ST(pop3_command(h->c, "XAFTER", false), POP3_OK); /* waits for the upgrade */
        h_feed_split(h, ok, sizeof ok - 1, FT_AT, at < sizeof ok - 1 ? at : 0);
        FT_EQ(h->start_tls_calls, 1);
        FT_EQ(pop3_state(h->c), POP3_STATE_TLS);
        FT_EQ(h->ndone, 0);
        H_EXPECT_SENT(h, "");
        FT_EQ_ST(pop3_stls(h->c), POP3_ERR_STATE); /* under way */
        pop3_on_tls_done(h->c, POP3_OK);
        h_pump(h);
        H_EXPECT_SENT(h, "CAPA\r\n");
        FT_EQ_ST(pop3_stls(h->c), POP3_ERR_STATE);
        FT_EQ(pop3_caps(h->c), 0); /* forgotten at once (RFC 2595 section 4) */
        h_feed_split(h, capa2, sizeof capa2 - 1, FT_AT, at);
        FT_EQ(h->ndone, 1); /* STLS only: CONNECT is not reported again */
        H_EXPECT_DONE(h, 0, POP3_CMD_STLS, POP3_OK);
        FT_EQ(h->done[0].state_at, POP3_STATE_AUTH);
        FT_EQ(pop3_caps(h->c), POP3_CAP_USER | POP3_CAP_TOP | POP3_CAP_UTF8 | POP3_CAP_KNOWN);
        FT_EQ(h->ncapa, 0);
        H_EXPECT_SENT(h, "XAFTER\r\n");
        h_feed_str(h, "+OK\r\n");
        /* Encrypted now: the login needs no allow_plaintext_login. */
        FT_EQ_ST(pop3_user(h->c, "alice"), POP3_OK);
        H_EXPECT_SENT(h, "USER alice\r\n");
        h_feed_str(h, "+OK\r\n");
        FT_EQ_ST(pop3_pass(h->c, "s3cret"), POP3_OK);
        H_EXPECT_SENT(h, "PASS s3cret\r\n");
        h_feed_str(h, "+OK\r\n");
        H_EXPECT_DONE(h, 3, POP3_CMD_PASS, POP3_OK);
        FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);
        FT_EQ_ST(pop3_stls(h->c), POP3_ERR_STATE);
        check_no_secret(h);
        FT_CHECK(ft_contains(h->trace, h->trace_len, "S:STLS\nR:+OK Begin TLS\nS:CAPA\n"));
    }
    ft_setctx("pop3_stls, then pop3_login");
    harness_t *h = stls_sent(0);
    h_feed_str(h, "+OK\r\n");
    pop3_on_tls_done(h->c, POP3_OK);
    h_feed_str(h, "+OK\r\n.\r\n"); /* the CAPA again lists nothing */
    H_EXPECT_DONE(h, 0, POP3_CMD_STLS, POP3_OK);
    FT_EQ(pop3_caps(h->c), POP3_CAP_KNOWN);
    FT_EQ_ST(pop3_stls(h->c), POP3_ERR_STATE); /* already upgraded */
    FT_EQ_ST(pop3_login(h->c, "alice", "s3cret"), POP3_OK);
    h_feed_str(h, "+OK\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_LOGIN, POP3_OK);

    ft_setctx("pop3_stls: -ERR to the CAPA again still completes the upgrade");
    h = stls_sent(0);
    h_feed_str(h, "+OK\r\n");
    pop3_on_tls_done(h->c, POP3_OK);
    h_feed_str(h, "-ERR no CAPA\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_STLS, POP3_OK);
    FT_EQ(pop3_caps(h->c), 0);
}

void test_stls_failures(void **state)
{
    (void)state;
    ft_setctx("-ERR to STLS: POP3_ERR_SERVER, plaintext session goes on");
    harness_t *h = stls_sent(0);
    h_feed_split(h, S("-ERR not now\r\n"), FT_BYTES, 0);
    H_EXPECT_DONE(h, 0, POP3_CMD_STLS, POP3_ERR_SERVER);
    expect_text(&h->done[0], "not now");
    FT_EQ(h->start_tls_calls, 0);
    FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);
    FT_EQ(pop3_caps(h->c), POP3_CAP_STLS | POP3_CAP_USER | POP3_CAP_KNOWN);
    FT_EQ_ST(pop3_user(h->c, "alice"), POP3_ERR_SECURITY); /* still plaintext */
    FT_EQ_ST(pop3_command(h->c, "XNEXT", false), POP3_OK);
    H_EXPECT_SENT(h, "XNEXT\r\n");

    static const char *const tails[] = {"X", "+OK\r\n", "-ERR\r\n", "+OK\r\nUSER\r\n.\r\n", "\r\n"};
    for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
        char reply[64], esc[64];
        size_t len = (size_t)snprintf(reply, sizeof reply, "+OK go\r\n%s", tails[t]);
        ft_escape(esc, sizeof esc, tails[t], strlen(tails[t]));
        for (size_t at = 0; at < 8; at++) { /* every split inside "+OK go\r\n": the tail comes with its end */
            ft_setctx("injection: \"%s\" after +OK to STLS, split at %zu", esc, at);
            h = stls_sent(0);
            FT_EQ_ST(pop3_command(h->c, "XNEXT", false), POP3_OK);
            h_feed_split(h, reply, len, FT_AT, at);
            FT_CHECK_MSG(h->start_tls_calls == 0, "start_tls called although bytes followed +OK");
            FT_EQ(h->ndone, 2); /* STLS, then the queued command: no CONNECT */
            H_EXPECT_DONE(h, 0, POP3_CMD_STLS, POP3_ERR_PROTOCOL);
            FT_EQ(h->done[1].cmd, POP3_CMD_RAW);
            FT_EQ_ST(pop3_session_status(h->c), POP3_ERR_PROTOCOL);
            FT_EQ(h->close_calls, 1);
            H_EXPECT_SENT(h, "");
        }
    }

    static const pop3_status_t fails[] = {POP3_ERR_CERT, POP3_ERR_TLS};
    for (int i = 0; i < 2; i++) {
        ft_setctx("pop3_stls: handshake fails with %s", ft_status_name(fails[i]));
        h = stls_sent(0);
        h_feed_str(h, "+OK\r\n");
        pop3_on_tls_done(h->c, fails[i]);
        FT_EQ(h->ndone, 1);
        H_EXPECT_DONE(h, 0, POP3_CMD_STLS, fails[i]);
        FT_EQ(h->close_calls, 1);
        H_EXPECT_SENT(h, "");
    }
    ft_setctx("pop3_stls: start_tls fails");
    h = stls_sent(0);
    h->start_tls_ret = -1;
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_STLS, POP3_ERR_TLS);
    FT_EQ(h->ndone, 1);

    ft_setctx("pop3_stls: handshake times out");
    h = stls_sent(0);
    h_feed_str(h, "+OK\r\n");
    h_tick(h, h->now + POP3_TLS_TIMEOUT_MS + 1U);
    H_EXPECT_DONE(h, 0, POP3_CMD_STLS, POP3_ERR_TIMEOUT);
    FT_EQ(h->ndone, 1);

    ft_setctx("pop3_stls refused: after login");
    h = trans_session(0, CAPA_STLS);
    FT_EQ_ST(pop3_stls(h->c), POP3_ERR_STATE);
    ft_setctx("pop3_stls refused: not a plaintext session");
    ft_opts_t o;
    memset(&o, 0, sizeof o);
    o.security = POP3_SEC_IMPLICIT_TLS;
    h = h_new(0, &o);
    FT_EQ_ST(pop3_stls(h->c), POP3_ERR_STATE);
    o.security = POP3_SEC_STLS;
    h = h_new(0, &o);
    FT_EQ_ST(pop3_stls(h->c), POP3_ERR_STATE);
    ft_setctx("pop3_stls refused: the port has no start_tls");
    h = auth_session(0, false, CAPA_STLS);
    h->c->cfg.transport.start_tls = NULL; /* what a plaintext-only port passes to pop3_init */
    FT_EQ_ST(pop3_stls(h->c), POP3_ERR_UNSUPPORTED);
    H_EXPECT_SENT(h, "");
    ft_setctx("two pop3_stls queued: the second refused when its turn comes");
    h = stls_sent(0);
    FT_EQ_ST(pop3_stls(h->c), POP3_OK);
    h_feed_str(h, "+OK\r\n");
    pop3_on_tls_done(h->c, POP3_OK);
    h_feed_str(h, "+OK\r\n.\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_STLS, POP3_OK);
    H_EXPECT_DONE(h, 1, POP3_CMD_STLS, POP3_ERR_STATE);
    H_EXPECT_SENT(h, "CAPA\r\n");
    ft_setctx("pop3_stls queued behind a login: refused in TRANSACTION");
    h = auth_session(0, true, CAPA_STLS);
    FT_EQ_ST(pop3_login(h->c, "u", "p"), POP3_OK);
    FT_EQ_ST(pop3_stls(h->c), POP3_OK);
    h_feed_str(h, "+OK\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_STLS, POP3_ERR_STATE);
    FT_EQ(h->start_tls_calls, 0);
}

/* ======================================================================== */
/* pop3_utf8                                                                  */

void test_utf8(void **state)
{
    (void)state;
    static const char ok[] = "+OK UTF8 enabled\r\n";
    for (size_t at = 0; at <= sizeof ok - 1; at++) {
        ft_setctx("UTF8 advertised, +OK split at %zu", at);
        harness_t *h = auth_session(0, true, CAPA_UTF8);
        FT_EQ(pop3_utf8_on(h->c), false);
        FT_EQ_ST(pop3_utf8(h->c), POP3_OK);
        H_EXPECT_SENT(h, "UTF8\r\n");
        h_feed_split(h, ok, sizeof ok - 1, FT_AT, at);
        H_EXPECT_DONE(h, 0, POP3_CMD_UTF8, POP3_OK);
        expect_text(&h->done[0], "UTF8 enabled");
        FT_EQ(pop3_utf8_on(h->c), true);
        FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);
        FT_CHECK(ft_contains(h->trace, h->trace_len, "S:UTF8\nR:+OK UTF8 enabled\n"));
    }
    ft_setctx("UTF8: -ERR");
    harness_t *h = auth_session(0, true, CAPA_UTF8);
    FT_EQ_ST(pop3_utf8(h->c), POP3_OK);
    h_feed_str(h, "-ERR not today\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_UTF8, POP3_ERR_SERVER);
    FT_EQ(pop3_utf8_on(h->c), false);
    FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);

    ft_setctx("UTF8 not advertised");
    h = auth_session(0, true, CAPA_PLAIN);
    FT_EQ_ST(pop3_utf8(h->c), POP3_ERR_UNSUPPORTED);
    H_EXPECT_SENT(h, "");
    FT_EQ(h->ndone, 0);
    ft_setctx("UTF8 before CAPA is known");
    h = h_new(0, NULL);
    FT_EQ_ST(pop3_utf8(h->c), POP3_ERR_UNSUPPORTED);
    ft_setctx("UTF8 in TRANSACTION: refused when its turn comes");
    h = trans_session(0, CAPA_UTF8);
    FT_EQ_ST(pop3_utf8(h->c), POP3_OK);
    H_EXPECT_DONE(h, 0, POP3_CMD_UTF8, POP3_ERR_STATE);
    H_EXPECT_SENT(h, "");
    ft_setctx("UTF8 queued behind STLS, gone from the CAPA after TLS");
    h = auth_session(0, false, "+OK\r\nSTLS\r\nUTF8\r\n.\r\n");
    FT_EQ_ST(pop3_stls(h->c), POP3_OK);
    FT_EQ_ST(pop3_utf8(h->c), POP3_OK);
    h_feed_str(h, "+OK\r\n");
    pop3_on_tls_done(h->c, POP3_OK);
    h_feed_str(h, "+OK\r\nUSER\r\n.\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_STLS, POP3_OK);
    H_EXPECT_DONE(h, 1, POP3_CMD_UTF8, POP3_ERR_UNSUPPORTED);
    H_EXPECT_SENT(h, "STLS\r\nCAPA\r\n");
    ft_setctx("UTF-8 mode agreed in plaintext is gone after pop3_stls()");
    h = auth_session(0, false, "+OK\r\nSTLS\r\nUTF8\r\n.\r\n");
    FT_EQ_ST(pop3_utf8(h->c), POP3_OK);
    h_feed_str(h, "+OK\r\n");
    FT_EQ(pop3_utf8_on(h->c), true);
    FT_EQ_ST(pop3_stls(h->c), POP3_OK);
    h_feed_str(h, "+OK\r\n");
    pop3_on_tls_done(h->c, POP3_OK);
    FT_EQ(pop3_utf8_on(h->c), false);
    h_feed_str(h, "+OK\r\nUTF8\r\n.\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_STLS, POP3_OK);
    FT_EQ_ST(pop3_utf8(h->c), POP3_OK); /* asked again inside TLS */
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 2, POP3_CMD_UTF8, POP3_OK);
    FT_EQ(pop3_utf8_on(h->c), true);
    H_EXPECT_SENT(h, "UTF8\r\nSTLS\r\nCAPA\r\nUTF8\r\n");
    ft_setctx("UTF8 on a closed session");
    h = auth_session(0, true, CAPA_UTF8);
    h_closed(h, POP3_ERR_TRANSPORT);
    FT_EQ_ST(pop3_utf8(h->c), POP3_ERR_CLOSED);
}

