/* SASL AUTH (RFC 5034) on the scripted transport: every mechanism against
 * published test vectors (RFC 4616, RFC 2195, RFC 5802) or payloads built
 * independently here, long tokens streamed in pieces, the choice of
 * mechanism, the faults of issue 9, and that no secret reaches a trace or
 * stays in tx_buf. This file: each mechanism, and the test list; the choice,
 * policy and faults are in test_sasl_policy.c, the set-up in test_sasl_util.c. */
#include <stdio.h>
#include <stdlib.h>

#include "test_sasl.h"

/* Base64 of @p n octets (an independent encoder for expectations). */
static size_t b64(char *out, const void *data, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = data;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

/* The secret is neither in the trace nor left in tx_buf, and no response line
 * the client sent (everything but the AUTH verb and the core's own commands) was traced. */
static void expect_no_secret(harness_t *h, const char *secret)
{
    FT_CHECK(!ft_contains(h->trace, h->trace_len, secret));
    FT_CHECK(!ft_contains(h->tx_buf, h->tx_buf_len, secret));
    for (size_t i = 0; i < h->sent_len;) {
        const uint8_t *nl = memchr(h->sent + i, '\n', h->sent_len - i);
        size_t end = nl != NULL ? (size_t)(nl - h->sent) : h->sent_len;
        char line[8192];
        size_t n = end - i;
        if (n > 0 && h->sent[end - 1] == '\r') n--;
        const char *p = (const char *)h->sent + i;
        if (n >= 4 && memcmp(p, "AUTH ", 5 < n ? 5 : n) == 0) { /* "AUTH MECH <initial response>" */
            const char *sp = memchr(p + 5, ' ', n - 5);
            n = sp != NULL ? n - (size_t)(sp + 1 - p) : 0;
            p = sp != NULL ? sp + 1 : p;
        }
        if (n >= 4 && n < sizeof line && !(n == 4 && (memcmp(p, "CAPA", 4) == 0 || memcmp(p, "QUIT", 4) == 0))) {
            memcpy(line, p, n);
            line[n] = '\0';
            FT_CHECK_MSG(!ft_contains(h->trace, h->trace_len, line), "response '%s' traced", line);
        }
        i = end + 1;
    }
}

/* ---- each mechanism --------------------------------------------------------------- */

static void test_plain_initial_response(void **state)
{
    (void)state;
    ft_setctx("PLAIN with an initial response");
    harness_t *h = ready_for_auth(CAPA_ALL);
    pop3_sasl_creds_t cr = pw_creds("alice", "secret");
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_PLAIN, &cr), POP3_OK);
    H_EXPECT_SENT(h, "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"); /* RFC 4616: NUL alice NUL secret */
    FT_EQ(h->ndone, 0);
    h_feed_str(h, "+OK Logged in.\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_OK);
    FT_EQ(h->ndone, 1);
    FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);
    FT_EQ(pop3_auth_mech(h->c), POP3_SASL_PLAIN);
    FT_CHECK(ft_contains(h->trace, h->trace_len, "S:AUTH PLAIN ***"));
    expect_no_secret(h, "secret");
}

static void test_plain_authzid_and_continuation(void **state)
{
    (void)state;
    ft_setctx("PLAIN, authzid, sent after an empty continuation when too long for the line");
    harness_t *h = ready_for_auth(CAPA_ALL);
    static char pw[300];
    memset(pw, 'p', sizeof pw - 1);
    pop3_sasl_creds_t cr = pw_creds("alice", pw);
    cr.authzid = "shared";
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_PLAIN, &cr), POP3_OK);
    H_EXPECT_SENT(h, "AUTH PLAIN\r\n");
    h_feed_str(h, "+ \r\n");
    char raw[400], exp[600];
    size_t n = 0;
    memcpy(raw, "shared\0alice\0", 13);
    n = 13;
    memcpy(raw + n, pw, strlen(pw));
    n += strlen(pw);
    b64(exp, raw, n);
    strcat(exp, "\r\n");
    H_EXPECT_SENT(h, exp);
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_OK);
    FT_CHECK(ft_contains(h->trace, h->trace_len, "S:AUTH PLAIN\n"));
    FT_CHECK(ft_contains(h->trace, h->trace_len, "S:***\n"));
    expect_no_secret(h, pw);
}

static void test_login(void **state)
{
    (void)state;
    ft_setctx("LOGIN");
    harness_t *h = ready_for_auth(CAPA_ALL);
    pop3_sasl_creds_t cr = pw_creds("alice", "secret");
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_LOGIN, &cr), POP3_OK);
    H_EXPECT_SENT(h, "AUTH LOGIN\r\n");
    h_feed_str(h, "+ VXNlcm5hbWU6\r\n");
    H_EXPECT_SENT(h, "YWxpY2U=\r\n");
    h_feed_str(h, "+ UGFzc3dvcmQ6\r\n");
    H_EXPECT_SENT(h, "c2VjcmV0\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_OK);
    expect_no_secret(h, "secret");
}

static void test_cram_md5_rfc2195(void **state)
{
    (void)state;
    ft_setctx("CRAM-MD5, RFC 2195 section 2's example");
    harness_t *h = ready_for_auth(CAPA_ALL);
    pop3_sasl_creds_t cr = pw_creds("tim", "tanstaaftanstaaf");
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_CRAM_MD5, &cr), POP3_OK);
    H_EXPECT_SENT(h, "AUTH CRAM-MD5\r\n");
    h_feed_str(h, "+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n");
    H_EXPECT_SENT(h, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_OK);
    expect_no_secret(h, "tanstaaftanstaaf");
}

static void scram_to_final(harness_t *h, pop3_sasl_creds_t *cr, ft_split_mode_t mode)
{
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_SCRAM_SHA_1, cr), POP3_OK);
    H_EXPECT_SENT(h, "AUTH SCRAM-SHA-1 " SCRAM_CF "\r\n");
    static const char sf[] = "+ " SCRAM_SF "\r\n";
    h_feed_split(h, sf, sizeof sf - 1, mode, 0);
    H_EXPECT_SENT(h, SCRAM_CFIN "\r\n");
}

static void test_scram_sha1_rfc5802(void **state)
{
    (void)state;
    for (int mode = FT_WHOLE; mode <= FT_BYTES; mode += FT_BYTES) {
        ft_setctx("SCRAM-SHA-1, RFC 5802 section 5, split %d", mode);
        harness_t *h = ready_for_auth(CAPA_ALL);
        pop3_sasl_creds_t cr = pw_creds("user", "pencil");
        scram_to_final(h, &cr, (ft_split_mode_t)mode);
        static const char fin[] = "+ " SCRAM_SFIN "\r\n";
        h_feed_split(h, fin, sizeof fin - 1, (ft_split_mode_t)mode, 0);
        H_EXPECT_SENT(h, "\r\n"); /* server signature verified: the empty answer */
        FT_EQ(h->ndone, 0);
        h_feed_str(h, "+OK Logged in\r\n");
        H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_OK);
        FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);
        expect_no_secret(h, "pencil");
        h_free_all();
    }
}

static void test_scram_wrong_server_signature(void **state)
{
    (void)state;
    ft_setctx("SCRAM: a wrong server signature fails the login, only '*' follows");
    harness_t *h = ready_for_auth(CAPA_ALL);
    pop3_sasl_creds_t cr = pw_creds("user", "pencil");
    scram_to_final(h, &cr, FT_WHOLE);
    FT_EQ_ST(pop3_stat(h->c), POP3_OK); /* queued behind AUTH: never sent */
    h_feed_str(h, "+ " SCRAM_SFIN_BAD "\r\n");
    H_EXPECT_SENT(h, "*\r\n");
    FT_EQ(h->ndone, 0);
    h_feed_str(h, "-ERR Authentication cancelled\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_ERR_SECURITY);
    H_EXPECT_DONE(h, 1, POP3_CMD_STAT, POP3_ERR_SECURITY);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    FT_EQ(pop3_session_status(h->c), POP3_ERR_SECURITY);
    H_EXPECT_SENT(h, "");
}

static void test_scram_early_ok(void **state)
{
    (void)state;
    ft_setctx("SCRAM: +OK before the server signature");
    harness_t *h = ready_for_auth(CAPA_ALL);
    pop3_sasl_creds_t cr = pw_creds("user", "pencil");
    scram_to_final(h, &cr, FT_WHOLE);
    h_feed_str(h, "+OK trust me\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_ERR_SECURITY);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    H_EXPECT_SENT(h, "");
}

static void test_scram_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *sf; /* server-first, plain text */
        pop3_status_t st;
    } cases[] = {
        {"r=someoneelse123456789012345,s=QSXCR+Q6sek8bf92,i=4096", POP3_ERR_SECURITY}, /* not our nonce */
        {"r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096", POP3_ERR_SECURITY},   /* nothing added */
        {"r=fyko+d2lbbFgONRv9qkxdawLxyz,s=QSXCR+Q6sek8bf92,i=1", POP3_ERR_SECURITY},   /* too few rounds */
        {"r=fyko+d2lbbFgONRv9qkxdawLxyz,s=QSXCR+Q6sek8bf92,i=99999999", POP3_ERR_SECURITY},
        {"m=ext,r=fyko+d2lbbFgONRv9qkxdawLxyz,s=QSXCR+Q6sek8bf92,i=4096", POP3_ERR_PROTOCOL},
        {"r=fyko+d2lbbFgONRv9qkxdawLxyz,s=!!!!,i=4096", POP3_ERR_PROTOCOL},
        {"r=fyko+d2lbbFgONRv9qkxdawLxyz,i=4096", POP3_ERR_PROTOCOL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ft_setctx("SCRAM server-first '%s'", cases[i].sf);
        harness_t *h = ready_for_auth(CAPA_ALL);
        pop3_sasl_creds_t cr = pw_creds("user", "pencil");
        FT_EQ_ST(pop3_auth(h->c, POP3_SASL_SCRAM_SHA_1, &cr), POP3_OK);
        H_EXPECT_SENT(h, "AUTH SCRAM-SHA-1 " SCRAM_CF "\r\n");
        char line[400] = "+ ";
        b64(line + 2, cases[i].sf, strlen(cases[i].sf));
        strcat(line, "\r\n");
        h_feed_str(h, line);
        H_EXPECT_SENT(h, "*\r\n");
        h_feed_str(h, "-ERR cancelled\r\n");
        H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, cases[i].st);
        FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
        h_free_all();
    }
}

/* ---- OAuth ------------------------------------------------------------------------ */

static void test_xoauth2_short_and_error(void **state)
{
    (void)state;
    ft_setctx("XOAUTH2: initial response, then the error challenge of a refused token");
    harness_t *h = ready_for_auth(CAPA_ALL);
    pop3_sasl_creds_t cr = pw_creds("alice@example.com", "ya29.token");
    cr.is_token = true;
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_XOAUTH2, &cr), POP3_OK);
    char exp[400] = "AUTH XOAUTH2 ";
    static const char payload[] = "user=alice@example.com\x01" "auth=Bearer ya29.token\x01\x01";
    b64(exp + strlen(exp), payload, sizeof payload - 1);
    strcat(exp, "\r\n");
    H_EXPECT_SENT(h, exp);
    h_feed_str(h, "+ eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==\r\n");
    H_EXPECT_SENT(h, "\r\n");
    h_feed_str(h, "-ERR [AUTH] Invalid credentials\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_ERR_AUTH_TOKEN);
    FT_EQ_STR(h->done[0].oauth_status, strlen(h->done[0].oauth_status), "401");
    FT_EQ_STR(h->done[0].oauth_scope, strlen(h->done[0].oauth_scope), "https://mail.google.com/");
    FT_EQ(h->done[0].code, POP3_RESP_AUTH);
    FT_EQ(pop3_state(h->c), POP3_STATE_AUTH); /* usable: a fresh token may be tried */
    expect_no_secret(h, "ya29.token");
}

static void test_oauthbearer_error_answer(void **state)
{
    (void)state;
    ft_setctx("OAUTHBEARER: the error challenge is answered with AQ==");
    harness_t *h = ready_for_auth(CAPA_ALL);
    pop3_sasl_creds_t cr = pw_creds("alice", "tok");
    cr.is_token = true;
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_BEST, &cr), POP3_OK); /* best for a token: OAUTHBEARER */
    char exp[400] = "AUTH OAUTHBEARER ";
    static const char payload[] = "n,a=alice,\x01" "auth=Bearer tok\x01\x01"; /* authzid defaults to the user */
    b64(exp + strlen(exp), payload, sizeof payload - 1);
    strcat(exp, "\r\n");
    H_EXPECT_SENT(h, exp);
    h_feed_str(h, "+ eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=\r\n"); /* {"status":"invalid_token"} */
    H_EXPECT_SENT(h, "AQ==\r\n");
    h_feed_str(h, "-ERR Authentication failed\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_ERR_AUTH_TOKEN);
    FT_EQ_STR(h->done[0].oauth_status, strlen(h->done[0].oauth_status), "invalid_token");
    FT_EQ(h->done[0].oauth_scope[0], '\0');
}

/* A 4,000-octet token from "flash", through pieces of tx_buf; both continuation forms. */
static void test_long_token_streamed(void **state)
{
    (void)state;
    static char token[4001];
    for (size_t i = 0; i < 4000; i++) token[i] = (char)('A' + (i * 7) % 26);
    const char *forms[] = {"+\r\n", "+ \r\n"};
    for (int f = 0; f < 2; f++) {
        ft_setctx("XOAUTH2, 4000-octet token via read_secret, continuation '%s'", f ? "+ " : "+");
        harness_t *h = ready_for_auth(CAPA_ALL);
        flash_t fl = {token, 4000, 0, 0};
        pop3_sasl_creds_t cr;
        memset(&cr, 0, sizeof cr);
        cr.user = "bob@example.org";
        cr.read_secret = flash_read;
        cr.read_ctx = &fl;
        cr.secret_len = 4000;
        cr.is_token = true;
        h->accept_max = 37; /* short sends: pieces are offered again from where they stopped */
        FT_EQ_ST(pop3_auth(h->c, POP3_SASL_XOAUTH2, &cr), POP3_OK);
        FT_CHECK(fl.reads > 0); /* checked for CR/LF/NUL when queued */
        H_EXPECT_SENT(h, "AUTH XOAUTH2\r\n"); /* too long for the AUTH line */
        int sends = h->send_calls;
        h_feed_str(h, forms[f]);
        static char payload[4100], exp[5600];
        size_t n = (size_t)snprintf(payload, sizeof payload, "user=bob@example.org\x01" "auth=Bearer %s\x01\x01", token);
        b64(exp, payload, n);
        strcat(exp, "\r\n");
        H_EXPECT_SENT(h, exp);
        FT_CHECK(h->send_calls - sends > (int)(5400 / POP3_SASL_PIECE_LEN)); /* in pieces */
        for (size_t i = h->tx_buf_len - POP3_SASL_PIECE_LEN; i < h->tx_buf_len; i++)
            FT_EQ(h->tx_buf[i], 0); /* every piece wiped */
        h_feed_str(h, "+OK\r\n");
        H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_OK);
        FT_CHECK(!ft_contains(h->trace, h->trace_len, "ABCDEFG") && !ft_contains(h->trace, h->trace_len, "QUJD"));
        h_free_all();
    }
}

static void test_read_secret_fails_mid_line(void **state)
{
    (void)state;
    ft_setctx("read_secret fails while the token streams: the session ends, AUTH reported once");
    static char token[2000];
    memset(token, 't', sizeof token);
    harness_t *h = ready_for_auth(CAPA_ALL);
    flash_t fl = {token, sizeof token, 0, 0};
    pop3_sasl_creds_t cr;
    memset(&cr, 0, sizeof cr);
    cr.user = "bob";
    cr.read_secret = flash_read;
    cr.read_ctx = &fl;
    cr.secret_len = sizeof token;
    cr.is_token = true;
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_XOAUTH2, &cr), POP3_OK);
    H_EXPECT_SENT(h, "AUTH XOAUTH2\r\n");
    fl.fail_after = fl.reads + 3;
    h_feed_str(h, "+\r\n");
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_ERR_ABORTED);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    FT_EQ(h->close_calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_plain_initial_response, ft_teardown),
        cmocka_unit_test_teardown(test_plain_authzid_and_continuation, ft_teardown),
        cmocka_unit_test_teardown(test_login, ft_teardown),
        cmocka_unit_test_teardown(test_cram_md5_rfc2195, ft_teardown),
        cmocka_unit_test_teardown(test_scram_sha1_rfc5802, ft_teardown),
        cmocka_unit_test_teardown(test_scram_wrong_server_signature, ft_teardown),
        cmocka_unit_test_teardown(test_scram_early_ok, ft_teardown),
        cmocka_unit_test_teardown(test_scram_refusals, ft_teardown),
        cmocka_unit_test_teardown(test_xoauth2_short_and_error, ft_teardown),
        cmocka_unit_test_teardown(test_oauthbearer_error_answer, ft_teardown),
        cmocka_unit_test_teardown(test_long_token_streamed, ft_teardown),
        cmocka_unit_test_teardown(test_read_secret_fails_mid_line, ft_teardown),
        cmocka_unit_test_teardown(test_best_and_never_weaker, ft_teardown),
        cmocka_unit_test_teardown(test_bad_args_and_policy, ft_teardown),
        cmocka_unit_test_teardown(test_faults, ft_teardown),
        cmocka_unit_test_teardown(test_injection_after_continuation, ft_teardown),
        cmocka_unit_test_teardown(test_cancel, ft_teardown),
        cmocka_unit_test_teardown(test_cut_at_every_byte, ft_teardown),
        cmocka_unit_test_teardown(test_rng_fails, ft_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
