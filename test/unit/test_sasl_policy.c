/*
 * unit_sasl: the choice of mechanism (BEST never picks a weaker one), bad
 * arguments and the security policy, the faults of issue 9, injection after
 * a continuation, cancel, a cut at every byte, a failing random source (the
 * test list and main() are in test_sasl.c).
 */
#include <stdio.h>
#include <stdlib.h>

#include "test_sasl.h"

/* ---- choice and policy ---------------------------------------------------------- */

void test_best_and_never_weaker(void **state)
{
    (void)state;
    ft_setctx("BEST takes SCRAM-SHA-256 when offered");
    harness_t *h = ready_for_auth(CAPA_ALL);
    pop3_sasl_creds_t cr = pw_creds("user", "pencil");
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_BEST, &cr), POP3_OK);
    FT_CHECK(h->sent_len > 24 && memcmp(h->sent + h->sent_mark, "AUTH SCRAM-SHA-256 ", 19) == 0);
    FT_EQ(pop3_auth_mech(h->c), POP3_SASL_SCRAM_SHA_256);
    h_free_all();

    ft_setctx("BEST without rng skips SCRAM: CRAM-MD5");
    h = ready_for_auth(CAPA_ALL);
    cr.rng = NULL;
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_BEST, &cr), POP3_OK);
    H_EXPECT_SENT(h, "AUTH CRAM-MD5\r\n");
    h_free_all();

    ft_setctx("SCRAM-SHA-256 asked, only PLAIN offered: refused, nothing sent");
    h = ready_for_auth("+OK\r\nSASL PLAIN\r\n.\r\n");
    cr = pw_creds("user", "pencil");
    FT_EQ(pop3_sasl_mechs(h->c), 1U << POP3_SASL_PLAIN);
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_SCRAM_SHA_256, &cr), POP3_OK);
    H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_ERR_SECURITY);
    H_EXPECT_SENT(h, "");
    FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);
    FT_EQ_ST(pop3_quit(h->c), POP3_OK);
    H_EXPECT_SENT(h, "QUIT\r\n");
    h_free_all();

    ft_setctx("BEST for a token when only passwords are offered: refused");
    h = ready_for_auth("+OK\r\nSASL PLAIN LOGIN\r\n.\r\n");
    cr.is_token = true;
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_BEST, &cr), POP3_OK);
    H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_ERR_SECURITY);
    H_EXPECT_SENT(h, "");
    h_free_all();

    ft_setctx("no SASL line in CAPA: a named mechanism is tried, BEST is refused");
    h = ready_for_auth("+OK\r\nUSER\r\n.\r\n");
    cr = pw_creds("alice", "secret");
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_BEST, &cr), POP3_OK);
    H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_ERR_SECURITY);
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_PLAIN, &cr), POP3_OK);
    H_EXPECT_SENT(h, "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
    h_feed_str(h, "-ERR [AUTH] no\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_AUTH, POP3_ERR_AUTH);
    FT_EQ(h->done[1].code, POP3_RESP_AUTH);
    FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);
}

void test_bad_args_and_policy(void **state)
{
    (void)state;
    ft_setctx("pop3_auth() argument checks");
    harness_t *h = ready_for_auth(CAPA_ALL);
    pop3_sasl_creds_t cr = pw_creds("alice", "secret");
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_PLAIN, NULL), POP3_ERR_BAD_ARG);
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_MECH_COUNT_, &cr), POP3_ERR_BAD_ARG);
    cr.user = "";
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_PLAIN, &cr), POP3_ERR_BAD_ARG);
    cr.user = "al\rice";
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_PLAIN, &cr), POP3_ERR_BAD_ARG);
    cr.user = "alice";
    cr.secret = "pass\nword";
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_PLAIN, &cr), POP3_ERR_BAD_ARG);
    cr.authzid = "x\ry";
    cr.secret = "secret";
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_PLAIN, &cr), POP3_ERR_BAD_ARG);
    cr.authzid = "admin";
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_SCRAM_SHA_256, &cr), POP3_ERR_BAD_ARG); /* no authzid with SCRAM */
    cr.authzid = NULL;
    cr.rng = NULL;
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_SCRAM_SHA_1, &cr), POP3_ERR_BAD_ARG);
    static char longpw[POP3_SASL_PASSWORD_MAX_LEN + 2];
    memset(longpw, 'x', sizeof longpw - 1);
    cr.secret = longpw;
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_CRAM_MD5, &cr), POP3_ERR_BAD_ARG);
    /* A NUL, CR or LF in a secret read from flash is found before anything is sent. */
    static const char bad[] = "0123456789abcdefghij0123456789abcdefghij0123456789abcdefghij0123456789\r";
    flash_t fl = {bad, sizeof bad - 1, 0, 0};
    cr.secret = NULL;
    cr.read_secret = flash_read;
    cr.read_ctx = &fl;
    cr.secret_len = sizeof bad - 1;
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_XOAUTH2, &cr), POP3_ERR_BAD_ARG);
    cr.secret_len = 0;
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_XOAUTH2, &cr), POP3_ERR_BAD_ARG);
    /* A token with 0x01 could add XOAUTH2 fields; a user with it too. Spaces are not b64token. */
    cr.read_secret = NULL;
    cr.secret = "tok\x01host=evil";
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_XOAUTH2, &cr), POP3_ERR_BAD_ARG);
    cr.secret = "tok en";
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_OAUTHBEARER, &cr), POP3_ERR_BAD_ARG);
    cr.is_token = true;
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_BEST, &cr), POP3_ERR_BAD_ARG);
    cr.is_token = false;
    cr.secret = "pass word"; /* fine as a password */
    cr.user = "al\x01ice";
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_XOAUTH2, &cr), POP3_ERR_BAD_ARG);
    cr.user = "alice";
    H_EXPECT_SENT(h, "");
    FT_EQ(h->ndone, 0);

    /* One AUTH at a time. */
    cr = pw_creds("alice", "secret");
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_LOGIN, &cr), POP3_OK);
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_LOGIN, &cr), POP3_ERR_QUEUE_FULL);
    h_free_all();

    ft_setctx("plaintext: refused without allow_plaintext_login");
    ft_opts_t o = h_plain_opts();
    o.allow_plaintext_login = false;
    h = h_new(0, &o);
    h_connect(h, "+OK\r\n", CAPA_ALL);
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_SCRAM_SHA_256, &cr), POP3_ERR_SECURITY);
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_XOAUTH2, &cr), POP3_ERR_SECURITY);
    H_EXPECT_SENT(h, "");
}

/* ---- server faults ------------------------------------------------------------------- */

void test_faults(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        pop3_sasl_mech_t mech;
        const char *auth_line; /* expected AUTH line */
        const char *server;    /* what the server sends after it */
        const char *answer;    /* what the client must send then ("" nothing) */
        const char *end;       /* server's final line, or NULL */
        pop3_status_t st;
        bool closed;
    } cases[] = {
        {"invalid base64", POP3_SASL_LOGIN, "AUTH LOGIN\r\n", "+ VXNl!!==\r\n", "*\r\n", "-ERR ok\r\n",
         POP3_ERR_PROTOCOL, true},
        {"base64 with a space", POP3_SASL_LOGIN, "AUTH LOGIN\r\n", "+ VXNl cm5h\r\n", "*\r\n", "-ERR\r\n",
         POP3_ERR_PROTOCOL, true},
        {"challenge to a mechanism that has none", POP3_SASL_PLAIN, "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n",
         "+ Zm9v\r\n", "*\r\n", "-ERR\r\n", POP3_ERR_PROTOCOL, true},
        {"empty challenge to CRAM-MD5", POP3_SASL_CRAM_MD5, "AUTH CRAM-MD5\r\n", "+ \r\n", "*\r\n",
         "-ERR\r\n", POP3_ERR_PROTOCOL, true},
        {"continuation after the last step", POP3_SASL_LOGIN, "AUTH LOGIN\r\n",
         "+ VQ==\r\n+ UA==\r\n+ eA==\r\n", "YWxpY2U=\r\nc2VjcmV0\r\n*\r\n", "-ERR\r\n", POP3_ERR_PROTOCOL, true},
        {"+OK too early", POP3_SASL_LOGIN, "AUTH LOGIN\r\n", "+ VQ==\r\n+OK\r\n", "YWxpY2U=\r\n", NULL,
         POP3_ERR_PROTOCOL, true},
        {"-ERR mid-exchange", POP3_SASL_LOGIN, "AUTH LOGIN\r\n", "+ VQ==\r\n-ERR [SYS/TEMP] later\r\n",
         "YWxpY2U=\r\n", NULL, POP3_ERR_AUTH, false},
        {"+OK after '*'", POP3_SASL_LOGIN, "AUTH LOGIN\r\n", "+ !!!!\r\n", "*\r\n", "+OK\r\n",
         POP3_ERR_PROTOCOL, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ft_setctx("fault: %s", cases[i].what);
        harness_t *h = ready_for_auth(CAPA_ALL);
        pop3_sasl_creds_t cr = pw_creds("alice", "secret");
        FT_EQ_ST(pop3_auth(h->c, cases[i].mech, &cr), POP3_OK);
        H_EXPECT_SENT(h, cases[i].auth_line);
        /* line by line: each needs the previous answer first */
        const char *p = cases[i].server;
        while (*p != '\0' && pop3_state(h->c) != POP3_STATE_CLOSED) {
            const char *nl = strchr(p, '\n');
            h_feed(h, p, (size_t)(nl - p) + 1);
            p = nl + 1;
        }
        H_EXPECT_SENT(h, cases[i].answer);
        if (cases[i].end != NULL) {
            FT_EQ(h->ndone, 0);
            h_feed_str(h, cases[i].end);
        }
        FT_EQ(h->ndone, 1);
        H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, cases[i].st);
        FT_EQ(pop3_state(h->c) == POP3_STATE_CLOSED, cases[i].closed);
        H_EXPECT_SENT(h, "");
        h_free_all();
    }
}

void test_injection_after_continuation(void **state)
{
    (void)state;
    ft_setctx("bytes after a challenge in the same input: refused before anything is answered");
    harness_t *h = ready_for_auth(CAPA_ALL);
    pop3_sasl_creds_t cr = pw_creds("alice", "secret");
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_LOGIN, &cr), POP3_OK);
    H_EXPECT_SENT(h, "AUTH LOGIN\r\n");
    h_feed_str(h, "+ VQ==\r\n+OK\r\n");
    H_EXPECT_SENT(h, "");
    H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_ERR_PROTOCOL);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    h_free_all();

    ft_setctx("a byte while a response streams: the session ends");
    h = ready_for_auth(CAPA_ALL);
    h->accept_max = 0; /* would-block: the AUTH line waits */
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_LOGIN, &cr), POP3_OK);
    h_feed_str(h, "+ \r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_ERR_PROTOCOL);
}

void test_cancel(void **state)
{
    (void)state;
    ft_setctx("pop3_auth_cancel while waiting for a challenge");
    harness_t *h = ready_for_auth(CAPA_ALL);
    pop3_sasl_creds_t cr = pw_creds("alice", "secret");
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_LOGIN, &cr), POP3_OK);
    H_EXPECT_SENT(h, "AUTH LOGIN\r\n");
    pop3_auth_cancel(h->c);
    h_feed_str(h, "+ VXNlcm5hbWU6\r\n");
    H_EXPECT_SENT(h, "*\r\n");
    h_feed_str(h, "-ERR cancelled\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_ERR_ABORTED);
    FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);
    /* A new AUTH may follow at once. */
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_PLAIN, &cr), POP3_OK);
    H_EXPECT_SENT(h, "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
    h_free_all();

    ft_setctx("cancelled before its turn: reported unsent");
    h = h_new(0, NULL);
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_PLAIN, &cr), POP3_OK);
    pop3_auth_cancel(h->c);
    h_connect(h, "+OK\r\n", CAPA_ALL);
    H_EXPECT_DONE(h, 1, POP3_CMD_AUTH, POP3_ERR_ABORTED);
    H_EXPECT_SENT(h, "");
}

void test_cut_at_every_byte(void **state)
{
    (void)state;
    /* The whole SCRAM exchange's server side; the connection is lost after k octets. */
    static const char *server[] = {"+ " SCRAM_SF "\r\n", "+ " SCRAM_SFIN "\r\n", "+OK\r\n"};
    size_t total = 0;
    for (size_t i = 0; i < 3; i++) total += strlen(server[i]);
    for (size_t cut = 0; cut < total; cut++) {
        ft_setctx("SCRAM exchange cut after %zu server octets", cut);
        harness_t *h = ready_for_auth(CAPA_ALL);
        pop3_sasl_creds_t cr = pw_creds("user", "pencil");
        FT_EQ_ST(pop3_auth(h->c, POP3_SASL_SCRAM_SHA_1, &cr), POP3_OK);
        size_t fed = 0;
        for (size_t i = 0; i < 3 && fed < cut; i++) {
            size_t l = strlen(server[i]);
            size_t k = cut - fed < l ? cut - fed : l;
            h_feed(h, server[i], k);
            fed += k;
        }
        h_closed(h, POP3_ERR_TRANSPORT);
        FT_EQ(h->ndone, 1);
        H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_ERR_TRANSPORT);
        h_free_all();
    }
}

void test_rng_fails(void **state)
{
    (void)state;
    ft_setctx("SCRAM: rng fails when AUTH's turn comes: reported unsent, session usable");
    harness_t *h = ready_for_auth(CAPA_ALL);
    pop3_sasl_creds_t cr;
    memset(&cr, 0, sizeof cr);
    cr.user = "user";
    cr.secret = "pencil";
    cr.rng = failing_rng;
    FT_EQ_ST(pop3_auth(h->c, POP3_SASL_SCRAM_SHA_256, &cr), POP3_OK);
    H_EXPECT_DONE(h, 0, POP3_CMD_AUTH, POP3_ERR_ABORTED);
    H_EXPECT_SENT(h, "");
    FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);
}
