/*
 * SASL logins of the lwIP port against the Dovecot fixture (lwip_live TEST
 * sasl-stls, sasl-tls, sasl-oauthbearer): pop3_auth() with PLAIN and
 * SCRAM-SHA-256 (password in memory), XOAUTH2 with the fixture's 4,000-octet
 * token streamed through read_secret (as a device reads it from flash), each
 * followed by STAT, which must match expected/stat; a wrong SCRAM password
 * (POP3_ERR_AUTH) and an expired token (POP3_ERR_AUTH_TOKEN with the JSON's
 * status and scope) are refused and leave the session usable for QUIT.
 * sasl-oauthbearer: OAUTHBEARER with the long token, both transports.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include "lwip_live.h"
#include "test_check.h"

/* A token kept "elsewhere": read_secret copies pieces of it on request. */
typedef struct {
    const char *data;
    size_t len;
    unsigned reads;
    size_t max_read;
} flash_t;

static bool read_flash(void *ctx, size_t offset, uint8_t *buf, size_t len)
{
    flash_t *f = ctx;

    if (offset > f->len || len > f->len - offset) {
        return false;
    }
    memcpy(buf, f->data + offset, len);
    f->reads++;
    if (len > f->max_read) {
        f->max_read = len;
    }
    return true;
}

static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;

/* First line of DIR/name (a token file), malloc'd. */
static char *read_line(const char *name, size_t *len)
{
    char *s = read_file(name, len);

    *len = strcspn(s, "\r\n");
    s[*len] = '\0';
    return s;
}

/*
 * One session: pop3_auth(mech, creds), then STAT if want == POP3_OK, then QUIT.
 * Returns the AUTH result's copy (status, oauth fields) in *out.
 */
static void sasl_session(mode_t_ mode, const char *what, pop3_sasl_mech_t mech, const pop3_sasl_creds_t *cr,
                         pop3_status_t want, result_t *out)
{
    session_t *s = calloc(1, sizeof *s);
    char *stat_txt;
    size_t stat_len;
    unsigned long want_count = 0;
    unsigned long long want_octets = 0;
    int n_want = want == POP3_OK ? 3 : 2;
    size_t pool_before = pool_used();
    const char *mname = mode == M_TLS ? "tls" : "stls";

    stat_txt = read_file("expected/stat", &stat_len);
    CHECK(sscanf(stat_txt, "%lu %llu", &want_count, &want_octets) == 2, "expected/stat: '%s'", stat_txt);
    free(stat_txt);

    session_setup(s, mode, NULL, NULL);
    session_connect(s, mode);
    CHECK(pop3_auth(&s->client, mech, cr) == POP3_OK, "%s %s: queue auth", mname, what);
    if (want == POP3_OK) {
        CHECK(pop3_stat(&s->client) == POP3_OK, "queue stat");
    }
    CHECK(pop3_quit(&s->client) == POP3_OK, "queue quit");
    session_run(s, 60, NULL);
    expect_connect(s, POP3_OK);
    CHECK(s->n_res == n_want, "%s %s: %d results, expected %d", mname, what, s->n_res, n_want);
    if (s->n_res == n_want) {
        const result_t *a = result(s, 0, POP3_CMD_AUTH);
        const result_t *q = result(s, n_want - 1, POP3_CMD_QUIT);

        if (a != NULL) {
            CHECK(a->st == want, "%s %s: AUTH %s, expected %s", mname, what, pop3_status_str(a->st),
                  pop3_status_str(want));
            *out = *a;
            memset(&out->data, 0, sizeof out->data);
        }
        CHECK(pop3_auth_mech(&s->client) == mech, "%s %s: mechanism used %s", mname, what,
              pop3_sasl_mech_name(pop3_auth_mech(&s->client)));
        if (want == POP3_OK) {
            const result_t *st = result(s, 1, POP3_CMD_STAT);

            if (st != NULL) {
                CHECK(st->st == POP3_OK && st->count == want_count && st->octets == want_octets,
                      "%s %s: STAT %s %u %llu, expected %lu %llu", mname, what, pop3_status_str(st->st),
                      (unsigned)st->count, (unsigned long long)st->octets, want_count, want_octets);
            }
        }
        if (q != NULL) {
            CHECK(q->st == POP3_OK, "%s %s: QUIT after AUTH: %s", mname, what, pop3_status_str(q->st));
        }
    }
    CHECK(pool_used() == pool_before, "%s %s: pbufs leaked: %zu in use, %zu before", mname, what, pool_used(),
          pool_before);
    printf("%s %s: %s\n", mname, what, s->n_res > 0 ? pop3_status_str(s->res[0].st) : "no result");
    session_free(s);
    free(s);
}

static void expect_streamed(const char *what, const flash_t *f)
{
    /* the token went out in pieces that fit the transmit buffer's SASL reserve, never whole */
    CHECK(f->reads >= 2U && f->max_read <= POP3_SASL_PIECE_LEN && f->max_read < f->len,
          "%s: token read %u times, largest read %zu octets (of %zu; piece %u)", what, f->reads, f->max_read,
          f->len, (unsigned)POP3_SASL_PIECE_LEN);
}

void test_sasl(mode_t_ mode, bool oauthbearer)
{
    pop3_sasl_creds_t cr;
    result_t r;
    size_t long_len, exp_len;
    char *long_tok = read_line("tokens/long.token", &long_len);
    char *exp_tok = read_line("tokens/expired.token", &exp_len);
    flash_t flash = { long_tok, long_len, 0U, 0U };
    static const char pers[] = "lwip_live_sasl";

    CHECK(long_len == 4000U, "tokens/long.token: %zu octets, expected 4000", long_len);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    CHECK(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, (const unsigned char *)pers,
                                sizeof pers - 1U) == 0,
          "seed the DRBG");

    memset(&cr, 0, sizeof cr);
    cr.user = "alice";
    cr.read_secret = read_flash;
    cr.read_ctx = &flash;
    cr.secret_len = long_len;
    cr.is_token = true;
    if (oauthbearer) {
        memset(&r, 0, sizeof r);
        sasl_session(mode, "OAUTHBEARER (4000-octet token via read_secret)", POP3_SASL_OAUTHBEARER, &cr, POP3_OK, &r);
        expect_streamed("OAUTHBEARER", &flash);
    } else {
        memset(&r, 0, sizeof r);
        sasl_session(mode, "XOAUTH2 (4000-octet token via read_secret)", POP3_SASL_XOAUTH2, &cr, POP3_OK, &r);
        expect_streamed("XOAUTH2", &flash);

        /* an expired token from memory: its own status, with Dovecot's JSON fields */
        memset(&cr, 0, sizeof cr);
        cr.user = "alice";
        cr.secret = exp_tok;
        cr.is_token = true;
        memset(&r, 0, sizeof r);
        sasl_session(mode, "XOAUTH2 (expired token)", POP3_SASL_XOAUTH2, &cr, POP3_ERR_AUTH_TOKEN, &r);
        CHECK(strcmp(r.oauth_status, "401") == 0 && strcmp(r.oauth_scope, "mail") == 0,
              "expired token: oauth status '%s' scope '%s', expected '401' 'mail'", r.oauth_status, r.oauth_scope);

        memset(&cr, 0, sizeof cr);
        cr.user = "alice";
        cr.secret = alice_pw;
        memset(&r, 0, sizeof r);
        sasl_session(mode, "PLAIN", POP3_SASL_PLAIN, &cr, POP3_OK, &r);

        cr.rng = mbedtls_ctr_drbg_random;
        cr.rng_ctx = &drbg;
        memset(&r, 0, sizeof r);
        sasl_session(mode, "SCRAM-SHA-256", POP3_SASL_SCRAM_SHA_256, &cr, POP3_OK, &r);

        cr.secret = "not-the-password";
        memset(&r, 0, sizeof r);
        sasl_session(mode, "SCRAM-SHA-256 (wrong password)", POP3_SASL_SCRAM_SHA_256, &cr, POP3_ERR_AUTH, &r);
    }
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    memset(long_tok, 0, long_len);
    memset(exp_tok, 0, exp_len);
    free(long_tok);
    free(exp_tok);
}
