/*
 * unit_session: the security policy (plaintext login opt-in, STLS and its
 * failures, implicit TLS), the password wiped from tx_buf and masked in the
 * trace, APOP
 * (the test list and main() are in test_session.c).
 */
#include "test_session.h"

#include <stdio.h>
#include <stdlib.h>

/* ======================================================================== */
/* Security policy                                                            */

void test_plaintext_login_refused(void **state)
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

void test_stls_missing(void **state)
{
    (void)state;
    ft_setctx("STLS mode, CAPA without STLS");
    harness_t *h = stls_to_capa(0, "+OK\r\nUSER\r\nUIDL\r\n.\r\n", true);
    H_EXPECT_SENT(h, "");
    expect_fatal_connect(h, POP3_ERR_SECURITY, true);
    FT_EQ(h->start_tls_calls, 0);
}

void test_stls_capa_err(void **state)
{
    (void)state;
    ft_setctx("STLS mode, CAPA -ERR");
    harness_t *h = stls_to_capa(0, "-ERR what?\r\n", true);
    H_EXPECT_SENT(h, "");
    expect_fatal_connect(h, POP3_ERR_SECURITY, true);
    FT_EQ(h->start_tls_calls, 0);
}

void test_stls_refused(void **state)
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
void test_stls_injection(void **state)
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

void test_stls_success_caps_reset(void **state)
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

void test_stls_handshake_fail(void **state)
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

void test_implicit_tls(void **state)
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

void test_password_wiped_and_masked(void **state)
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

void test_apop(void **state)
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
