/**
 * @file cmdd_opts.c
 * @brief pop3-cmdd: the command line, the device key, the login's secret.
 *        All of it is checked before any connection: a usage error never
 *        touches the network. The secret follows pop3-cli's conventions
 *        (--pass-file or $POP3_PASSWORD; --oauth2-token-file or
 *        $POP3_OAUTH2_TOKEN), is never on the command line and never logged,
 *        and its file is read again before every poll (a token refreshed by
 *        another program is picked up).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdd.h"

static void opts_help(void)
{
    fputs("Usage: " CMDD_NAME " [options] --host HOST --user USER --device ID --key-file FILE\n"
          "                 --state FILE (--once | --interval SECONDS) (--exec PROGRAM | --json)\n"
          "Polls a POP3 mailbox for signed command mail (examples/cmdmail/FORMAT.md) and hands\n"
          "each accepted command, at most once, to a handler. Log on stderr, one line per event.\n"
          "\n"
          "Server:\n"
          "  -H, --host HOST          server; also the name the certificate must carry\n"
          "  -p, --port PORT          default 995 with --tls, else 110\n"
          "      --tls                implicit TLS (POP3S)\n"
          "      --starttls           STLS, refused if not offered (the default)\n"
          "      --plain              no TLS; needs --allow-plaintext-login as well\n"
          "      --allow-plaintext-login  second opt-in: send the credentials without TLS\n"
          "      --cafile FILE        trust anchors (PEM); default " CMDD_DEFAULT_CAFILE "\n"
          "      --timeout MS         reply, connect and handshake timeout, default 30000\n"
          "Login (the secret is read again before each poll, never given on the command line):\n"
          "  -u, --user USER          password from --pass-file FILE (first line) or $POP3_PASSWORD\n"
          "      --pass-file FILE\n"
          "      --auth MECH          SASL instead of USER/PASS: plain, login, cram-md5, scram-sha-1,\n"
          "                           scram-sha-256, xoauth2, oauthbearer, best\n"
          "      --oauth2-token-file FILE  OAuth access token (first line), else $POP3_OAUTH2_TOKEN\n"
          "Commands:\n"
          "      --device ID          this device's id (1-32 of A-Z a-z 0-9 . _ -)\n"
          "      --key-file FILE      its key: 32 raw octets (cmdmail-sign --keygen), or 16-64 octets\n"
          "                           raw, or 32-128 hexadecimal digits\n"
          "      --state FILE         last Seq and seen messages (FILE.lock: one daemon per state)\n"
          "      --init-state         FILE may be missing: first run, fresh state (without it a\n"
          "                           missing FILE is an error: old commands would run again)\n"
          "      --once               one poll, then exit (cron)\n"
          "      --interval SECONDS   poll every SECONDS until SIGTERM/SIGINT\n"
          "      --keep               leave accepted messages on the server (the default)\n"
          "      --delete             delete accepted messages after their commands ran\n"
          "      --delete-refused     delete unsigned, invalid, replayed, expired, oversized mail too\n"
          "      --exec PROGRAM       run PROGRAM WORD... per command (no shell); environment\n"
          "                           CMDMAIL_SEQ, CMDMAIL_DEVICE, CMDMAIL_INDEX\n"
          "      --json               one JSON line per command on stdout: seq, index, cmd, device, uid\n"
          "  -v, --verbose            protocol trace on stderr (secrets masked)\n"
          "  -h, --help\n"
          "\n"
          "Exit status: 0 ok (also after a stop by SIGTERM/SIGINT), 1 internal error, 2 usage\n"
          "(options, key file, device id, secret), 3 network, 4 TLS/certificate, 5 login refused,\n"
          "6 other -ERR, 7 protocol violation, 8 timeout, 9 security policy, 10 state file error,\n"
          "11 state file locked by another " CMDD_NAME ". With --interval, failed polls are logged\n"
          "and retried; 1, 2, 9 and 10 end the daemon.\n",
          stdout);
}

static int opts_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static int opts_error(const char *fmt, ...)
{
    va_list ap;
    fputs(CMDD_NAME ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see " CMDD_NAME " --help)\n", stderr);
    return CMDD_EXIT_USAGE;
}

enum {
    O_TLS = 300, O_STARTTLS, O_PLAIN, O_ALLOW, O_CAFILE, O_TIMEOUT, O_PASS, O_AUTH, O_TOKEN,
    O_DEVICE, O_KEY, O_STATE, O_INIT, O_ONCE, O_INTERVAL, O_KEEP, O_DELETE, O_DELREF, O_EXEC, O_JSON
};

static const struct option opts_long[] = {
    { "host", required_argument, NULL, 'H' }, { "port", required_argument, NULL, 'p' },
    { "tls", no_argument, NULL, O_TLS }, { "starttls", no_argument, NULL, O_STARTTLS },
    { "plain", no_argument, NULL, O_PLAIN }, { "allow-plaintext-login", no_argument, NULL, O_ALLOW },
    { "cafile", required_argument, NULL, O_CAFILE }, { "timeout", required_argument, NULL, O_TIMEOUT },
    { "user", required_argument, NULL, 'u' }, { "pass-file", required_argument, NULL, O_PASS },
    { "auth", required_argument, NULL, O_AUTH }, { "oauth2-token-file", required_argument, NULL, O_TOKEN },
    { "device", required_argument, NULL, O_DEVICE }, { "key-file", required_argument, NULL, O_KEY },
    { "state", required_argument, NULL, O_STATE }, { "init-state", no_argument, NULL, O_INIT },
    { "once", no_argument, NULL, O_ONCE }, { "interval", required_argument, NULL, O_INTERVAL },
    { "keep", no_argument, NULL, O_KEEP }, { "delete", no_argument, NULL, O_DELETE },
    { "delete-refused", no_argument, NULL, O_DELREF }, { "exec", required_argument, NULL, O_EXEC },
    { "json", no_argument, NULL, O_JSON }, { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
};

/** Decimal digits only, within [lo, hi]. */
static bool opts_number(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    unsigned long long v = 0U;
    if (s[0] == '\0' || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10U) {
        return false;
    }
    v = strtoull(s, NULL, 10);
    if (v < lo || v > hi) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

static int opts_security(cmdd_opts_t *o, pop3_security_t s)
{
    if (o->security_set && o->security != s) {
        return opts_error("--tls, --starttls and --plain exclude each other");
    }
    o->security = s;
    o->security_set = true;
    return CMDD_EXIT_OK;
}

static int opts_policy(cmdd_opts_t *o, bool del)
{
    if (o->policy_set && o->delete_accepted != del) {
        return opts_error("--keep and --delete exclude each other");
    }
    o->delete_accepted = del;
    o->policy_set = true;
    return CMDD_EXIT_OK;
}

static int opts_apply(cmdd_opts_t *o, int ch, const char *arg)
{
    switch (ch) {
    case 'H': o->host = arg; break;
    case 'p':
        if (!opts_number(arg, 1U, 65535U, &o->port)) {
            return opts_error("--port '%s': a number 1-65535", arg);
        }
        break;
    case O_TLS: return opts_security(o, POP3_SEC_IMPLICIT_TLS);
    case O_STARTTLS: return opts_security(o, POP3_SEC_STLS);
    case O_PLAIN: return opts_security(o, POP3_SEC_PLAINTEXT);
    case O_ALLOW: o->allow_plaintext_login = true; break;
    case O_CAFILE: o->cafile = arg; break;
    case O_TIMEOUT:
        if (!opts_number(arg, 1U, 3600000U, &o->timeout_ms)) {
            return opts_error("--timeout '%s': milliseconds, 1-3600000", arg);
        }
        break;
    case 'u': o->user = arg; break;
    case O_PASS: o->pass_file = arg; break;
    case O_AUTH:
        if (!pop3_sasl_mech_parse(arg, strlen(arg), &o->mech)) {
            return opts_error("--auth '%s': unknown SASL mechanism", arg);
        }
        o->auth = true;
        break;
    case O_TOKEN: o->token_file = arg; break;
    case O_DEVICE: o->device = arg; break;
    case O_KEY: o->key_file = arg; break;
    case O_STATE: o->state_file = arg; break;
    case O_INIT: o->init_state = true; break;
    case O_ONCE: o->once = true; break;
    case O_INTERVAL:
        if (!opts_number(arg, 1U, 86400U * 7U, &o->interval_s)) {
            return opts_error("--interval '%s': seconds, 1-604800", arg);
        }
        break;
    case O_KEEP: return opts_policy(o, false);
    case O_DELETE: return opts_policy(o, true);
    case O_DELREF: o->delete_refused = true; break;
    case O_EXEC: o->exec = arg; break;
    case O_JSON: o->json = true; break;
    case 'v': o->verbose = true; break;
    case 'h': opts_help(); return -1;
    default: return CMDD_EXIT_USAGE; /* getopt_long said what */
    }
    return CMDD_EXIT_OK;
}

/* getopt_long() takes unambiguous prefixes: "--pass SECRET" would read as
 * --pass-file and echo the secret as a file name in an error. The options
 * naming secret files are therefore only taken written in full. */
static bool opts_full_name(int ch, char **argv)
{
    const char *want = ch == O_PASS ? "--pass-file" : ch == O_TOKEN ? "--oauth2-token-file" : NULL;
    const char *typed;
    size_t n;
    if (want == NULL) {
        return true;
    }
    typed = (optarg == argv[optind - 1]) ? argv[optind - 2] : argv[optind - 1];
    n = strlen(want);
    return strncmp(typed, want, n) == 0 && (typed[n] == '\0' || typed[n] == '=');
}

static bool opts_has_ctl(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20U || (unsigned char)*s >= 0x7FU) {
            return true;
        }
    }
    return false;
}

/** FORMAT.md: 1-32 octets of A-Z a-z 0-9 . _ - */
static bool opts_device_ok(const char *d)
{
    size_t n = strlen(d);
    return n >= 1U && n <= CMDMAIL_DEVICE_MAX_LEN &&
           strspn(d, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static bool opts_is_oauth(pop3_sasl_mech_t m)
{
    return m == POP3_SASL_XOAUTH2 || m == POP3_SASL_OAUTHBEARER;
}

static int opts_check_login(const cmdd_opts_t *o)
{
    if (o->user == NULL || o->user[0] == '\0' || opts_has_ctl(o->user)) {
        return opts_error(o->user == NULL ? "--user is needed" : "invalid --user (empty or control characters)");
    }
    if (strlen(o->user) > POP3_CMD_MAX_LEN - 7U) {
        return opts_error("--user: at most %u octets", (unsigned)(POP3_CMD_MAX_LEN - 7U));
    }
    if (o->token_file != NULL && (!o->auth || (o->mech != POP3_SASL_BEST && !opts_is_oauth(o->mech)))) {
        return opts_error("--oauth2-token-file needs --auth xoauth2, oauthbearer or best");
    }
    if (o->token_file != NULL && o->pass_file != NULL) {
        return opts_error("--oauth2-token-file and --pass-file: give one secret");
    }
    if (o->pass_file != NULL && o->auth && opts_is_oauth(o->mech)) {
        return opts_error("--auth %s takes a token (--oauth2-token-file), not --pass-file",
                          pop3_sasl_mech_name(o->mech));
    }
    return CMDD_EXIT_OK;
}

static int opts_check_server(cmdd_opts_t *o)
{
    if (o->host == NULL || o->host[0] == '\0' || opts_has_ctl(o->host)) {
        return opts_error(o->host == NULL ? "--host is needed" : "invalid --host");
    }
    if (o->security == POP3_SEC_PLAINTEXT && o->cafile != NULL) {
        return opts_error("--cafile needs TLS (not --plain)");
    }
    if (o->security != POP3_SEC_PLAINTEXT && o->allow_plaintext_login) {
        return opts_error("--allow-plaintext-login applies only with --plain");
    }
    if (o->cafile != NULL && access(o->cafile, R_OK) != 0) {
        return opts_error("--cafile %s: %s", o->cafile, strerror(errno));
    }
    if (o->port == 0U) {
        o->port = o->security == POP3_SEC_IMPLICIT_TLS ? 995U : 110U;
    }
    return CMDD_EXIT_OK;
}

static int opts_check(cmdd_opts_t *o)
{
    int rc = opts_check_server(o);
    if (rc == CMDD_EXIT_OK) {
        rc = opts_check_login(o);
    }
    if (rc != CMDD_EXIT_OK) {
        return rc;
    }
    if (o->device == NULL || !opts_device_ok(o->device)) {
        return opts_error(o->device == NULL ? "--device is needed"
                          : "invalid --device: 1-32 characters of A-Z a-z 0-9 . _ -");
    }
    if (o->key_file == NULL || o->state_file == NULL) {
        return opts_error("--key-file and --state are needed");
    }
    if (o->once == (o->interval_s != 0U)) {
        return opts_error("give exactly one of --once and --interval");
    }
    if (o->exec == NULL && !o->json) {
        return opts_error("no handler: give --exec PROGRAM or --json (or both)");
    }
    if (o->exec != NULL && o->exec[0] == '\0') {
        return opts_error("--exec: empty program name");
    }
    return CMDD_EXIT_OK;
}

int cmdd_parse_args(cmdd_opts_t *o, int argc, char **argv)
{
    int ch;
    o->timeout_ms = CMDD_TIMEOUT_MS;
    while ((ch = getopt_long(argc, argv, "H:p:u:vh", opts_long, NULL)) != -1) {
        int rc;
        if (!opts_full_name(ch, argv)) {
            return opts_error("write --pass-file and --oauth2-token-file in full");
        }
        rc = opts_apply(o, ch, optarg);
        if (rc != CMDD_EXIT_OK) {
            return rc;
        }
    }
    if (optind < argc) {
        return opts_error("unexpected argument '%s'", argv[optind]);
    }
    return opts_check(o);
}

/* ---- files ---------------------------------------------------------------- */

/** Up to @p cap octets of @p path into @p buf (unbuffered read(2): no stdio copy). */
static ssize_t opts_slurp(const char *path, uint8_t *buf, size_t cap)
{
    size_t got = 0U;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    return (ssize_t)got;
}

static int opts_hex(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c |= 0x20;
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* Key files: exactly 32 octets are raw (what cmdmail-sign --keygen writes, read
 * the same way by cmdmail-sign); a file of hex digits and white space only is
 * hex (32-128 digits); anything else of 16-64 octets is raw. */
int cmdd_read_key(cmdd_app_t *a)
{
    uint8_t buf[130];
    size_t i;
    size_t digits = 0U;
    bool texty = true;
    ssize_t n = opts_slurp(a->opt.key_file, buf, sizeof buf);
    if (n < 0) {
        return opts_error("--key-file %s: %s", a->opt.key_file, strerror(errno));
    }
    if (n == 32) {
        memcpy(a->key, buf, 32U);
        a->key_len = 32U;
        cmdd_wipe(buf, sizeof buf);
        return CMDD_EXIT_OK;
    }
    for (i = 0U; i < (size_t)n; i++) {
        if (opts_hex(buf[i]) >= 0) {
            digits++;
        } else if (strchr(" \t\r\n", buf[i]) == NULL || buf[i] == '\0') {
            texty = false;
        }
    }
    a->key_len = 0U;
    if (texty) { /* only hex digits and white space: hex, or an error */
        if (digits % 2U != 0U || digits < 32U || digits > 128U) {
            cmdd_wipe(buf, sizeof buf);
            return opts_error("--key-file %s: %zu hex digits (need an even number, 32-128)",
                              a->opt.key_file, digits);
        }
        for (i = 0U, digits = 0U; i < (size_t)n; i++) {
            int v = opts_hex(buf[i]);
            if (v >= 0) {
                a->key[digits / 2U] = (uint8_t)((digits % 2U == 0U) ? v << 4 : (a->key[digits / 2U] | v));
                digits++;
            }
        }
        a->key_len = digits / 2U;
    } else if (n >= 16 && n <= 64) {
        memcpy(a->key, buf, (size_t)n);
        a->key_len = (size_t)n;
    }
    cmdd_wipe(buf, sizeof buf);
    if (a->key_len == 0U) {
        return opts_error("--key-file %s: %zd octets: a key is 16-64 octets raw (32 recommended: "
                          "cmdmail-sign --keygen) or 32-128 hex digits", a->opt.key_file, n);
    }
    return CMDD_EXIT_OK;
}

/* ---- the login's secret ------------------------------------------------------ */

static bool opts_wants_token(const cmdd_opts_t *o)
{
    const char *env = getenv("POP3_OAUTH2_TOKEN");
    if (!o->auth) {
        return false;
    }
    return opts_is_oauth(o->mech) ||
           (o->mech == POP3_SASL_BEST && (o->token_file != NULL ||
                                          (o->pass_file == NULL && env != NULL && env[0] != '\0')));
}

/** First line of the file, or the variable, into s->text; CR before the LF dropped. */
static int opts_load_secret(cmdd_secret_t *s, const char *file, const char *var, const char *what,
                            const char *noun)
{
    ssize_t n;
    char *nl;
    if (file != NULL) {
        n = opts_slurp(file, (uint8_t *)s->text, sizeof s->text - 1U);
        if (n < 0) {
            return opts_error("%s %s: %s", what, file, strerror(errno));
        }
    } else {
        const char *v = getenv(var);
        if (v == NULL || v[0] == '\0') {
            return opts_error("no %s: set %s or use %s", noun, var, what);
        }
        n = (ssize_t)strlen(v);
        if ((size_t)n > sizeof s->text - 1U) {
            return opts_error("%s is too long", var);
        }
        memcpy(s->text, v, (size_t)n);
    }
    s->text[n] = '\0';
    nl = memchr(s->text, '\n', (size_t)n);
    if (nl == NULL && (size_t)n == sizeof s->text - 1U) {
        return opts_error("the secret of %s is too long", file != NULL ? file : var);
    }
    s->len = nl != NULL ? (size_t)(nl - s->text) : (size_t)n;
    if (s->len > 0U && s->text[s->len - 1U] == '\r') {
        s->len--;
    }
    cmdd_wipe(s->text + s->len, sizeof s->text - s->len); /* the rest of the file is not the secret */
    return CMDD_EXIT_OK;
}

/** Longest password the login can take. */
static size_t opts_pass_max(const cmdd_opts_t *o)
{
    if (!o->auth) {
        return POP3_CMD_MAX_LEN - 7U; /* "PASS " + CRLF on one line */
    }
    if (o->mech == POP3_SASL_CRAM_MD5 || o->mech == POP3_SASL_SCRAM_SHA_1 || o->mech == POP3_SASL_SCRAM_SHA_256) {
        return POP3_SASL_PASSWORD_MAX_LEN;
    }
    return CMDD_PASS_MAX;
}

static int opts_seed(cmdd_app_t *a)
{
    static const char pers[] = "pop3-cmdd SCRAM nonce";
    int ret;
    if (a->rng_ready) {
        return CMDD_EXIT_OK;
    }
    mbedtls_entropy_init(&a->entropy);
    mbedtls_ctr_drbg_init(&a->drbg);
    a->rng_ready = true;
    ret = mbedtls_ctr_drbg_seed(&a->drbg, mbedtls_entropy_func, &a->entropy,
                                (const unsigned char *)pers, sizeof pers - 1U);
    if (ret != 0) {
        cmdd_log("ERROR cannot seed the random generator (mbedTLS -0x%04x)", (unsigned)-ret);
        return CMDD_EXIT_INTERNAL;
    }
    return CMDD_EXIT_OK;
}

int cmdd_read_secret(cmdd_app_t *a)
{
    const cmdd_opts_t *o = &a->opt;
    cmdd_secret_t *s = &a->sec;
    size_t i;
    int rc;
    s->is_token = opts_wants_token(o);
    rc = s->is_token ? opts_load_secret(s, o->token_file, "POP3_OAUTH2_TOKEN", "--oauth2-token-file", "OAuth token")
                     : opts_load_secret(s, o->pass_file, "POP3_PASSWORD", "--pass-file", "password");
    if (rc != CMDD_EXIT_OK) {
        cmdd_secret_wipe(a);
        return rc;
    }
    for (i = 0U; i < s->len; i++) {
        unsigned char c = (unsigned char)s->text[i];
        if (c == '\0' || c == '\r' || (s->is_token && (c <= 0x20U || c >= 0x7FU))) {
            cmdd_secret_wipe(a);
            return opts_error(s->is_token ? "the OAuth token has a space, control or non-ASCII octet"
                                          : "the password contains NUL or CR");
        }
    }
    if (s->len == 0U || (!s->is_token && s->len > opts_pass_max(o))) {
        cmdd_secret_wipe(a);
        return opts_error("the %s is empty or too long (max %zu octets)",
                          s->is_token ? "token" : "password", s->is_token ? (size_t)CMDD_TOKEN_MAX : opts_pass_max(o));
    }
    memset(&a->creds, 0, sizeof a->creds);
    a->creds.user = o->user;
    a->creds.secret = s->text;
    a->creds.is_token = s->is_token;
    if (o->auth && !s->is_token &&
        (o->mech == POP3_SASL_BEST || o->mech == POP3_SASL_SCRAM_SHA_1 || o->mech == POP3_SASL_SCRAM_SHA_256)) {
        rc = opts_seed(a);
        a->creds.rng = mbedtls_ctr_drbg_random;
        a->creds.rng_ctx = &a->drbg;
    }
    return rc;
}

void cmdd_secret_wipe(cmdd_app_t *a)
{
    cmdd_wipe(a->sec.text, sizeof a->sec.text);
    a->sec.len = 0U;
}
