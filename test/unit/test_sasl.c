/* SASL AUTH (RFC 5034) on the scripted transport: every mechanism against
 * published test vectors (RFC 4616, RFC 2195, RFC 5802) or payloads built
 * independently here, long tokens streamed in pieces, the choice of
 * mechanism, the faults of issue 9, and that no secret reaches a trace or
 * stays in tx_buf. */
#include <stdio.h>
#include <stdlib.h>

#include "fake_transport.h"

#define CAPA_ALL "+OK\r\nUSER\r\nSASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER\r\n.\r\n"

/* RFC 5802 section 5's client nonce "fyko+d2lbbFgONRv9qkxdawL", decoded: the
 * core base64-encodes what rng returns. */
static const unsigned char rfc5802_rnd[18] = {127, 41, 40, 249, 221, 165, 109, 177, 96,
                                              56,  212, 111, 246, 169, 49, 117, 172, 11};

static int fixed_rng(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    if (len != sizeof rfc5802_rnd) return -1;
    memcpy(buf, rfc5802_rnd, len);
    return 0;
}

static int failing_rng(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return -1;
}


/* A secret kept "in flash": read through the callback, counting reads. */
typedef struct {
    const char *data;
    size_t len;
    int reads;
    int fail_after; /* fail the Nth read (1-based), 0 = never */
} flash_t;

static bool flash_read(void *ctx, size_t off, uint8_t *buf, size_t len)
{
    flash_t *f = ctx;
    f->reads++;
    if (f->fail_after != 0 && f->reads >= f->fail_after) return false;
    if (off + len > f->len) FT_FAIL("read_secret past the end: %zu + %zu > %zu", off, len, f->len);
    memcpy(buf, f->data + off, len);
    return true;
}

static harness_t *ready_for_auth(const char *capa)
{
    harness_t *h = h_new(0, NULL);
    h_connect(h, "+OK POP3 ready\r\n", capa);
    h_reset_records(h);
    return h;
}

static pop3_sasl_creds_t pw_creds(const char *user, const char *pw)
{
    pop3_sasl_creds_t c;
    memset(&c, 0, sizeof c);
    c.user = user;
    c.secret = pw;
    c.rng = fixed_rng;
    return c;
}

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

/* RFC 5802 section 5 (SCRAM-SHA-1: user "user", password "pencil"). */
#define SCRAM_CF "biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM"
#define SCRAM_SF "cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng=="
#define SCRAM_CFIN                                                                                     \
    "Yz1iaXdzLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdMM3JmY05IWUpZMVpWdldWczdqLHA9djBYOHYzQnoyVDBDSkdiSlF5RjBYK0hJ" \
    "NFRzPQ=="
#define SCRAM_SFIN "dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9"
#define SCRAM_SFIN_BAD "dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS0E9"

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

/* ---- choice and policy ---------------------------------------------------------- */

static void test_best_and_never_weaker(void **state)
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

static void test_bad_args_and_policy(void **state)
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

static void test_faults(void **state)
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

static void test_injection_after_continuation(void **state)
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

static void test_cancel(void **state)
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

static void test_cut_at_every_byte(void **state)
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

static void test_rng_fails(void **state)
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
