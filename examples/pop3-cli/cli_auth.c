/**
 * @file cli_auth.c
 * @brief pop3-cli: the SASL side of the login. The secret (password or OAuth
 *        2.0 access token), read before connecting, never from the command
 *        line, never printed; the random source SCRAM's client nonce needs;
 *        what the user is told about mechanisms and a refused token.
 *
 * Password: --pass-file FILE (first line) or $POP3_PASSWORD; else, when stdin
 *           is a terminal, asked there without echo (cli_tty.c).
 * Token:    --oauth2-token-file FILE (first line) or $POP3_OAUTH2_TOKEN.
 * Files are read as bytes with read(2) (no stdio buffer keeps a copy), so a
 * NUL inside is seen and refused; a token may have any length (heap buffer).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define CLI_TOKEN_MIN_CAP 4096U
#define CLI_READ_CHUNK 4096U

static const char cli_drbg_pers[] = "pop3-cli SASL";

/** Frees a heap buffer after wiping it. */
static void cli_free_wiped(char *p, size_t n)
{
    if (p != NULL) {
        cli_wipe(p, n);
        free(p);
    }
}

/** Doubles s->token's capacity, wiping the old copy. */
static bool cli_token_grow(cli_secret_t *s)
{
    size_t cap = s->token_cap < CLI_TOKEN_MIN_CAP ? CLI_TOKEN_MIN_CAP : s->token_cap * 2U;
    char *p;
    if (cap < s->token_cap) {
        return false; /* overflow: cannot happen for any real file */
    }
    p = malloc(cap);
    if (p == NULL) {
        return false;
    }
    if (s->token_len > 0U) {
        memcpy(p, s->token, s->token_len);
    }
    cli_free_wiped(s->token, s->token_cap);
    s->token = p;
    s->token_cap = cap;
    return true;
}

/** What is wrong with a secret of @p len octets, or NULL if it is usable. */
static const char *cli_secret_problem(const char *p, size_t len, bool token)
{
    size_t i;
    if (len == 0U) {
        return "empty";
    }
    for (i = 0U; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == '\0') {
            return "contains NUL";
        }
        if (ch == '\r' || ch == '\n') {
            return "contains CR or LF";
        }
        /* A bearer token is printable ASCII (RFC 6750 b64token); XOAUTH2 separates its
         * fields with 0x01 and the core refuses anything else (pop3_auth()). */
        if (token && (ch <= 0x20U || ch >= 0x7FU)) {
            return "contains a space, a control character or a non-ASCII octet";
        }
    }
    return NULL;
}

/** First line of @p path into s->token (trailing CR dropped). */
static int cli_read_token_file(cli_secret_t *s, const char *path)
{
    const char *why = NULL;
    char *nl = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return cli_usage_error("--oauth2-token-file %s: %s", path, strerror(errno));
    }
    while (nl == NULL) {
        ssize_t n;
        if (s->token_cap - s->token_len < CLI_READ_CHUNK && !cli_token_grow(s)) {
            why = "out of memory";
            break;
        }
        n = read(fd, s->token + s->token_len, CLI_READ_CHUNK);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            why = n < 0 ? strerror(errno) : NULL;
            break;
        }
        nl = memchr(s->token + s->token_len, '\n', (size_t)n);
        s->token_len += (size_t)n;
    }
    close(fd);
    if (why == NULL) {
        if (nl != NULL) { /* the rest of the file is not the token: wipe it */
            cli_wipe(nl, s->token_len - (size_t)(nl - s->token));
            s->token_len = (size_t)(nl - s->token);
        }
        if (s->token_len > 0U && s->token[s->token_len - 1U] == '\r') {
            s->token[--s->token_len] = '\0';
        }
        why = cli_secret_problem(s->token, s->token_len, true);
    }
    if (why != NULL) {
        return cli_usage_error("--oauth2-token-file %s: the token %s", path, why);
    }
    s->token[s->token_len] = '\0'; /* room: each read leaves space, or the newline is cut off */
    return EXIT_OK;
}

static int cli_token_from_env(cli_secret_t *s, const char *env)
{
    size_t len = strlen(env);
    const char *why = cli_secret_problem(env, len, true);
    if (why != NULL) {
        return cli_usage_error("POP3_OAUTH2_TOKEN: the token %s", why);
    }
    while (s->token_cap < len + 1U) {
        if (!cli_token_grow(s)) {
            return cli_usage_error("POP3_OAUTH2_TOKEN: out of memory");
        }
    }
    memcpy(s->token, env, len + 1U);
    s->token_len = len;
    return EXIT_OK;
}

/** First line of @p path into s->pass (unbuffered: no stray copies in stdio). */
static int cli_read_pass_file(cli_secret_t *s, const char *path)
{
    size_t n = 0U;
    bool nul = false;
    bool too_long = false;
    int ch;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return cli_usage_error("--pass-file %s: %s", path, strerror(errno));
    }
    setvbuf(f, NULL, _IONBF, 0U);
    while ((ch = getc(f)) != EOF && ch != '\n') {
        nul = nul || ch == '\0';
        too_long = too_long || n >= sizeof s->pass - 1U;
        if (!too_long) {
            s->pass[n++] = (char)ch;
        }
    }
    ch = ferror(f);
    fclose(f);
    n = cli_chomp_len(s->pass, n);
    s->pass[n] = '\0';
    if (ch != 0 || nul || too_long) {
        cli_wipe(s->pass, sizeof s->pass);
        return cli_usage_error("--pass-file %s: %s", path,
                               ch != 0 ? "read error" : nul ? "NUL in password" : "password too long");
    }
    return EXIT_OK;
}

/** Longest password the login in use can take. */
static size_t cli_pass_max(const cli_opts_t *o)
{
    if (!o->auth) {
        return o->apop ? CLI_PASS_BUF_LEN - 1U : POP3_CMD_MAX_LEN - CLI_USER_OVERHEAD;
    }
    switch (o->auth_mech) {
    case POP3_SASL_CRAM_MD5: case POP3_SASL_SCRAM_SHA_1: case POP3_SASL_SCRAM_SHA_256:
        return POP3_SASL_PASSWORD_MAX_LEN; /* the HMAC key is read whole */
    default:
        return CLI_PASS_BUF_LEN - 1U; /* streamed by the core: only our buffer bounds it */
    }
}

/* Nothing else supplied a password: ask at the terminal, without echo. */
static int cli_prompt_password(cli_secret_t *s, const cli_opts_t *o)
{
    char prompt[CLI_TEXT_MAX + 16U];
    char user[CLI_TEXT_MAX];
    cli_secret_read_t res;
    pop3_sanitize(user, sizeof user, o->user, strlen(o->user));
    snprintf(prompt, sizeof prompt, "Password for %s: ", user);
    res = cli_tty_secret(prompt, s->pass, sizeof s->pass);
    switch (res) {
    case CLI_SECRET_OK: return EXIT_OK;
    case CLI_SECRET_NO_TTY:
        return cli_usage_error("no password: set POP3_PASSWORD or use --pass-file (stdin is not a"
                               " terminal, so it cannot be asked)");
    case CLI_SECRET_TOO_LONG: return cli_usage_error("the password is too long");
    default: return cli_usage_error("no password typed");
    }
}

static int cli_get_password(cli_secret_t *s, const cli_opts_t *o)
{
    const char *env = getenv("POP3_PASSWORD");
    size_t max = cli_pass_max(o);
    int rc = EXIT_OK;

    if (o->pass_file != NULL) {
        rc = cli_read_pass_file(s, o->pass_file);
    } else if (env != NULL && env[0] != '\0' && strlen(env) < sizeof s->pass) {
        memcpy(s->pass, env, strlen(env) + 1U);
    } else if (env != NULL && env[0] != '\0') {
        return cli_usage_error("POP3_PASSWORD is too long");
    } else {
        rc = cli_prompt_password(s, o);
        if (rc != EXIT_OK) {
            return rc;
        }
    }
    if (rc == EXIT_OK && (s->pass[0] == '\0' || strpbrk(s->pass, "\r\n") != NULL || strlen(s->pass) > max)) {
        cli_wipe(s->pass, sizeof s->pass);
        rc = cli_usage_error("the password is empty, too long (max %zu octets) or contains CR/LF", max);
    }
    return rc;
}

/** Does this login take the OAuth token? (best: when one is given.) */
static bool cli_wants_token(const cli_opts_t *o, const char *env_token)
{
    if (!o->auth) {
        return false;
    }
    if (cli_mech_is_oauth(o->auth_mech)) {
        return true;
    }
    /* best: an explicit file decides; the environment only when no --pass-file. */
    return o->auth_mech == POP3_SASL_BEST &&
           (o->token_file != NULL || (o->pass_file == NULL && env_token != NULL && env_token[0] != '\0'));
}

static int cli_get_token(cli_secret_t *s, const cli_opts_t *o, const char *env)
{
    if (o->token_file != NULL) {
        return cli_read_token_file(s, o->token_file);
    }
    if (env != NULL) {
        return cli_token_from_env(s, env);
    }
    return cli_usage_error("--auth %s needs an OAuth token: use --oauth2-token-file or set POP3_OAUTH2_TOKEN",
                           pop3_sasl_mech_name(o->auth_mech));
}

/** Seeds the DRBG that supplies SCRAM's client nonce. */
static int cli_seed_rng(cli_secret_t *s)
{
    int ret;
    mbedtls_entropy_init(&s->entropy);
    mbedtls_ctr_drbg_init(&s->drbg);
    s->rng_ready = true; /* initialised: cli_secret_wipe() frees it */
    ret = mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->entropy,
                                (const unsigned char *)cli_drbg_pers, sizeof cli_drbg_pers - 1U);
    if (ret != 0) {
        fprintf(stderr, CLI_NAME ": cannot seed the random generator (mbedTLS -0x%04x)\n", (unsigned)-ret);
        return EXIT_INTERNAL;
    }
    return EXIT_OK;
}

int cli_get_secrets(cli_app_t *a)
{
    const cli_opts_t *o = &a->opt;
    const char *env_token = getenv("POP3_OAUTH2_TOKEN");
    bool token = cli_wants_token(o, env_token);
    int rc;

    if (env_token != NULL && env_token[0] == '\0') {
        env_token = NULL;
    }
    rc = token ? cli_get_token(&a->sec, o, env_token) : cli_get_password(&a->sec, o);
    if (rc != EXIT_OK || !o->auth) {
        return rc;
    }
    memset(&a->creds, 0, sizeof a->creds);
    a->creds.user = o->user;
    a->creds.secret = token ? a->sec.token : a->sec.pass;
    a->creds.is_token = token;
    if (!token && (o->auth_mech == POP3_SASL_BEST || o->auth_mech == POP3_SASL_SCRAM_SHA_1 ||
                   o->auth_mech == POP3_SASL_SCRAM_SHA_256)) {
        rc = cli_seed_rng(&a->sec);
        a->creds.rng = mbedtls_ctr_drbg_random;
        a->creds.rng_ctx = &a->sec.drbg;
    }
    return rc;
}

void cli_secret_wipe(cli_secret_t *s)
{
    cli_wipe(s->pass, sizeof s->pass);
    cli_free_wiped(s->token, s->token_cap);
    s->token = NULL;
    s->token_len = 0U;
    s->token_cap = 0U;
    if (s->rng_ready) {
        mbedtls_ctr_drbg_free(&s->drbg); /* zeroizes its state */
        mbedtls_entropy_free(&s->entropy);
        s->rng_ready = false;
    }
}

/* ---- what the user is told ------------------------------------------------ */

void cli_mech_names(uint32_t bits, char *out, size_t out_len)
{
    int m;
    size_t used = 0U;
    out[0] = '\0';
    for (m = 1; m < (int)POP3_SASL_MECH_COUNT_ && used < out_len; m++) {
        if ((bits & (1UL << m)) != 0U) {
            int n = snprintf(out + used, out_len - used, "%s%s", used > 0U ? " " : "",
                             pop3_sasl_mech_name((pop3_sasl_mech_t)m));
            used += n > 0 ? (size_t)n : 0U;
        }
    }
    if (out[0] == '\0') {
        snprintf(out, out_len, "none");
    }
}

/** "login (AUTH SCRAM-SHA-256)": the mechanism in use, else the one asked for. */
void cli_auth_label(const cli_app_t *a, char *out, size_t out_len)
{
    pop3_sasl_mech_t m = pop3_auth_mech(&a->client);
    snprintf(out, out_len, "login (AUTH %s)",
             pop3_sasl_mech_name(m != POP3_SASL_BEST ? m : a->opt.auth_mech));
}

/** -v: which mechanism AUTH used (the trace shows only "AUTH <MECH>" and masks). */
void cli_verbose_auth(const cli_app_t *a, pop3_status_t st)
{
    pop3_sasl_mech_t m = pop3_auth_mech(&a->client);
    if (a->opt.verbose) {
        fprintf(stderr, CLI_NAME ": SASL mechanism %s (asked: %s): %s\n",
                m != POP3_SASL_BEST ? pop3_sasl_mech_name(m) : "none chosen",
                pop3_sasl_mech_name(a->opt.auth_mech), st == POP3_OK ? "logged in" : pop3_status_str(st));
    }
}

/** -v: of the server's SASL line, the mechanisms this client can use (stdout stays the server's list). */
void cli_verbose_capa(const cli_app_t *a)
{
    if (a->opt.verbose) {
        char names[160];
        cli_mech_names(pop3_sasl_mechs(&a->client), names, sizeof names);
        fprintf(stderr, CLI_NAME ": SASL mechanisms offered that " CLI_NAME " supports (--auth): %s\n", names);
    }
}

/** `FIELD "VALUE"` from the refused token's JSON, if the server sent it. */
static size_t cli_json_field(char *out, size_t out_len, bool first, const char *name, const char *v, size_t len)
{
    char clean[96];
    int n;
    if (v == NULL || len == 0U) {
        return 0U;
    }
    pop3_sanitize(clean, sizeof clean, v, len);
    n = snprintf(out, out_len, "%s%s \"%s\"", first ? "" : ", ", name, clean);
    return n > 0 && (size_t)n < out_len ? (size_t)n : 0U;
}

void cli_auth_describe(const cli_app_t *a, pop3_status_t st, const pop3_reply_t *r,
                       char *out, size_t out_len)
{
    char extra[256];
    uint32_t offered = pop3_sasl_mechs(&a->client);
    pop3_sasl_mech_t used_mech = pop3_auth_mech(&a->client);
    extra[0] = '\0';
    if (st == POP3_ERR_AUTH_TOKEN) {
        if (r != NULL) {
            size_t used = cli_json_field(extra, sizeof extra, true, "status", r->oauth_status, r->oauth_status_len);
            (void)cli_json_field(extra + used, sizeof extra - used, used == 0U, "scope",
                                 r->oauth_scope, r->oauth_scope_len);
        }
        snprintf(out, out_len, "the server rejected the OAuth token%s%s%s: refresh it "
                 "(a new access token from the refresh token) rather than retry it",
                 extra[0] != '\0' ? " (" : "", extra, extra[0] != '\0' ? ")" : "");
        return;
    }
    /* Not chosen (best found nothing), or named but not in the server's list. */
    if (st == POP3_ERR_SECURITY && offered != 0U &&
        (used_mech == POP3_SASL_BEST || (offered & (1UL << used_mech)) == 0U)) {
        cli_mech_names(offered, extra, sizeof extra);
        snprintf(out, out_len, "%s (the server offers SASL %s; --auth never falls back to another)",
                 pop3_status_str(st), extra);
        return;
    }
    snprintf(out, out_len, "%s", pop3_status_str(st));
}
