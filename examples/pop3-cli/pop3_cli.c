/**
 * @file pop3_cli.c
 * @brief pop3-cli: a small command-line POP3 client on the POSIX port.
 *
 *   pop3-cli [options] COMMAND [ARG...] [COMMAND [ARG...]]...
 *
 * All commands run in order in one session. Each is queued from on_done of
 * the previous one; after the first failure no further command runs, and QUIT
 * is still sent while the connection is usable. The first failure decides the
 * exit status (see cli_exit_code()).
 *
 * Message data (RETR/TOP) goes to stdout exactly as delivered by on_body.
 * Every piece of server text shown to the user passes through pop3_sanitize().
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pop3.h"
#include "pop3_posix.h"
#include "pop3_tls.h"

#define CLI_NAME "pop3-cli"
#define CLI_LINE_BUF_LEN 1024U
#define CLI_TX_BUF_LEN 1024U
#define CLI_PASS_BUF_LEN 512U
#define CLI_TEXT_MAX 200U            /* server text shown in an error line */
#define CLI_STDOUT_BUF_LEN (256U * 1024U)
#define CLI_DEFAULT_CAFILE "/etc/ssl/certs/ca-certificates.crt"
#define CLI_DEFAULT_TIMEOUT_MS 30000U
#define CLI_MAX_ARGS 2U

/* Octets a command adds around the user name / password ("USER " + CRLF,
 * "APOP " + " " + 32 hex digits + CRLF). */
#define CLI_USER_OVERHEAD 7U
#define CLI_APOP_OVERHEAD 40U

#if defined(__GNUC__)
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLI_PRINTF(f, a)
#endif

/* Exit statuses. */
enum {
    EXIT_OK = 0,
    EXIT_INTERNAL = 1,
    EXIT_USAGE = 2,
    EXIT_NETWORK = 3,
    EXIT_TLS = 4,
    EXIT_AUTH = 5,
    EXIT_SERVER = 6,
    EXIT_PROTOCOL = 7,
    EXIT_TIMEOUT = 8,
    EXIT_POLICY = 9
};

struct cli_app;
struct cli_job;

/** Prints the single-line result of a command from its on_done reply. */
typedef bool (*cli_print_fn)(struct cli_app *a, const struct cli_job *job, const pop3_reply_t *r);

/** One CLI command: how to parse it, how to start it, how to show its result. */
typedef struct cli_cmd_def {
    const char *name;
    uint8_t min_args;
    uint8_t max_args;
    const char *arg_name[CLI_MAX_ARGS];
    uint32_t arg_min[CLI_MAX_ARGS];
    /* Exactly one of these is set; f1 also serves optional-argument commands (0 = none). */
    pop3_status_t (*f0)(pop3_client_t *c);
    pop3_status_t (*f1)(pop3_client_t *c, uint32_t a0);
    pop3_status_t (*f2)(pop3_client_t *c, uint32_t a0, uint32_t a1);
    cli_print_fn print; /* NULL: nothing printed at completion */
} cli_cmd_def_t;

typedef struct cli_job {
    const cli_cmd_def_t *def;
    uint8_t nargs;
    uint32_t arg[CLI_MAX_ARGS];
} cli_job_t;

typedef struct cli_opts {
    const char *host;
    uint32_t port;             /* 0: default for the security mode */
    pop3_security_t security;
    bool security_set;
    bool allow_plaintext_login;
    bool insecure;
    bool apop;
    bool verbose;
    const char *cafile;
    const char *user;
    const char *pass_file;
    uint32_t timeout_ms;
    cli_job_t *jobs;
    size_t njobs;
} cli_opts_t;

typedef struct cli_app {
    cli_opts_t opt;
    size_t next_job;
    const cli_job_t *current;  /* command in flight */
    int exit_code;             /* set by the first failure */
    bool failed;
    bool stopping;             /* QUIT queued or abort requested */
    bool want_abort;           /* pop3_abort() from the main loop */
    bool port_ready;           /* pop3_posix_init() done: cleanup needed */
    char pass[CLI_PASS_BUF_LEN];
    char line_buf[CLI_LINE_BUF_LEN];
    char tx_buf[CLI_TX_BUF_LEN];
    pop3_tls_config_t tls_cfg;
    pop3_tls_t tls;
    pop3_posix_t port;
    pop3_client_t client;
} cli_app_t;

static cli_app_t cli_app;
static char cli_stdout_buf[CLI_STDOUT_BUF_LEN];

/* ---- small helpers ------------------------------------------------------ */

static void cli_wipe(void *p, size_t n)
{
    volatile unsigned char *v = (volatile unsigned char *)p;
    while (n-- > 0U) {
        *v++ = 0U;
    }
}

static CLI_PRINTF(1, 2) int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs(CLI_NAME ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry '" CLI_NAME " --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

/** Strictly decimal (digits only, no sign or space), within [min, max]. */
static bool cli_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
    uint64_t v = 0U;
    if (*s == '\0') {
        return false;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
        v = v * 10U + (uint64_t)(*s - '0');
        if (v > max) {
            return false;
        }
    }
    if (v < min) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

/** Sanitized copy of server text; "..." marks a cut. */
static void cli_sanitize_cut(char *out, size_t out_len, const char *text, size_t len)
{
    size_t n = pop3_sanitize(out, out_len, text, len);
    if (n < len && out_len > 4U) {
        if (n > out_len - 4U) {
            n = out_len - 4U;
        }
        memcpy(out + n, "...", 4U);
    }
}

/** Length without trailing CR/LF. */
static size_t cli_chomp_len(const char *s, size_t len)
{
    while (len > 0U && (s[len - 1U] == '\n' || s[len - 1U] == '\r')) {
        len--;
    }
    return len;
}

/* ---- output ------------------------------------------------------------- */

static void cli_fail(cli_app_t *a, int code, const char *fmt, ...) CLI_PRINTF(3, 4);

/** Records a failure; only the first one is reported and decides the exit status. */
static void cli_fail(cli_app_t *a, int code, const char *fmt, ...)
{
    va_list ap;
    if (a->failed) {
        return;
    }
    a->failed = true;
    a->exit_code = code;
    fputs(CLI_NAME ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void cli_stdout_failed(cli_app_t *a)
{
    cli_fail(a, EXIT_INTERNAL, "writing to standard output failed: %s", strerror(errno));
}

static bool cli_write(cli_app_t *a, const char *data, size_t len)
{
    if (fwrite(data, 1U, len, stdout) != len) {
        cli_stdout_failed(a);
        return false;
    }
    return true;
}

/** "N TEXT\n" with TEXT sanitized. */
static bool cli_print_num_text(cli_app_t *a, uint32_t n, const char *text, size_t len)
{
    char buf[CLI_LINE_BUF_LEN + 1U];
    pop3_sanitize(buf, sizeof buf, text, len);
    if (printf("%" PRIu32 " %s\n", n, buf) < 0) {
        cli_stdout_failed(a);
        return false;
    }
    return true;
}

static bool cli_print_stat(cli_app_t *a, const cli_job_t *job, const pop3_reply_t *r)
{
    (void)job;
    if (printf("%" PRIu32 " %" PRIu64 "\n", r->count, r->octets) < 0) {
        cli_stdout_failed(a);
        return false;
    }
    return true;
}

static bool cli_print_list1(cli_app_t *a, const cli_job_t *job, const pop3_reply_t *r)
{
    if (job->nargs == 0U) {
        return true; /* the entries went to on_list */
    }
    if (printf("%" PRIu32 " %" PRIu64 "\n", r->msg, r->octets) < 0) {
        cli_stdout_failed(a);
        return false;
    }
    return true;
}

static bool cli_print_uidl1(cli_app_t *a, const cli_job_t *job, const pop3_reply_t *r)
{
    if (job->nargs == 0U) {
        return true; /* the entries went to on_uidl */
    }
    return cli_print_num_text(a, r->msg, r->uid, r->uid_len);
}

/* ---- command table ------------------------------------------------------ */

#define MSG_ARG "message number"

static const cli_cmd_def_t cli_cmds[] = {
    { "capa", 0U, 0U, { NULL, NULL }, { 0U, 0U }, pop3_capa, NULL, NULL, NULL },
    { "stat", 0U, 0U, { NULL, NULL }, { 0U, 0U }, pop3_stat, NULL, NULL, cli_print_stat },
    { "list", 0U, 1U, { MSG_ARG, NULL }, { 1U, 0U }, NULL, pop3_list, NULL, cli_print_list1 },
    { "uidl", 0U, 1U, { MSG_ARG, NULL }, { 1U, 0U }, NULL, pop3_uidl, NULL, cli_print_uidl1 },
    { "retr", 1U, 1U, { MSG_ARG, NULL }, { 1U, 0U }, NULL, pop3_retr, NULL, NULL },
    { "top", 2U, 2U, { MSG_ARG, "line count" }, { 1U, 0U }, NULL, NULL, pop3_top, NULL },
    { "dele", 1U, 1U, { MSG_ARG, NULL }, { 1U, 0U }, NULL, pop3_dele, NULL, NULL },
    { "rset", 0U, 0U, { NULL, NULL }, { 0U, 0U }, pop3_rset, NULL, NULL, NULL },
    { "noop", 0U, 0U, { NULL, NULL }, { 0U, 0U }, pop3_noop, NULL, NULL, NULL },
};

static const cli_cmd_def_t *cli_find_cmd(const char *name)
{
    size_t i;
    for (i = 0U; i < sizeof cli_cmds / sizeof cli_cmds[0]; i++) {
        if (strcasecmp(cli_cmds[i].name, name) == 0) {
            return &cli_cmds[i];
        }
    }
    return NULL;
}

static pop3_status_t cli_start_job(pop3_client_t *c, const cli_job_t *job)
{
    const cli_cmd_def_t *d = job->def;
    if (d->f2 != NULL) {
        return d->f2(c, job->arg[0], job->arg[1]);
    }
    if (d->f1 != NULL) {
        return d->f1(c, job->nargs > 0U ? job->arg[0] : 0U);
    }
    return d->f0(c);
}

/** "RETR 7", "TOP 7 0", "LIST". */
static void cli_job_label(const cli_job_t *job, char *out, size_t out_len)
{
    size_t i;
    int n = snprintf(out, out_len, "%s", job->def->name);
    for (i = 0U; n > 0 && i < job->nargs; i++) {
        size_t used = strlen(out);
        n = snprintf(out + used, out_len - used, " %" PRIu32, job->arg[i]);
    }
    for (i = 0U; out[i] != '\0'; i++) {
        if (out[i] >= 'a' && out[i] <= 'z') {
            out[i] = (char)(out[i] - 'a' + 'A');
        }
    }
}

/* ---- failure reporting -------------------------------------------------- */

static int cli_exit_code(pop3_status_t st)
{
    switch (st) {
    case POP3_OK: return EXIT_OK;
    case POP3_ERR_TRANSPORT: case POP3_ERR_CLOSED: return EXIT_NETWORK;
    case POP3_ERR_TLS: case POP3_ERR_CERT: return EXIT_TLS;
    case POP3_ERR_AUTH: return EXIT_AUTH;
    case POP3_ERR_SERVER: return EXIT_SERVER;
    case POP3_ERR_PROTOCOL: return EXIT_PROTOCOL;
    case POP3_ERR_TIMEOUT: return EXIT_TIMEOUT;
    case POP3_ERR_SECURITY: return EXIT_POLICY;
    default: return EXIT_INTERNAL;
    }
}

/** What went wrong, for "pop3-cli: WHAT failed: DETAIL". */
static void cli_describe(const cli_app_t *a, pop3_status_t st, const pop3_reply_t *r,
                         char *out, size_t out_len)
{
    char text[CLI_TEXT_MAX];
    bool has_text = r != NULL && r->text != NULL && r->text_len > 0U;
    const char *tls_err = pop3_posix_tls_error(&a->port);

    if (has_text) {
        cli_sanitize_cut(text, sizeof text, r->text, cli_chomp_len(r->text, r->text_len));
    }
    if ((st == POP3_ERR_SERVER || st == POP3_ERR_AUTH) && r != NULL) {
        snprintf(out, out_len, "server said: -ERR%s%s", has_text ? " " : "", has_text ? text : "");
    } else if ((st == POP3_ERR_TLS || st == POP3_ERR_CERT) && tls_err != NULL && tls_err[0] != '\0') {
        pop3_sanitize(text, sizeof text, tls_err, strlen(tls_err));
        snprintf(out, out_len, "%s: %s", pop3_status_str(st), text);
    } else if ((st == POP3_ERR_TRANSPORT || st == POP3_ERR_CLOSED) &&
               pop3_posix_net_error(&a->port)[0] != '\0') {
        snprintf(out, out_len, "%s (%s)", pop3_status_str(st), pop3_posix_net_error(&a->port));
    } else if (has_text) {
        snprintf(out, out_len, "%s (server sent: %s)", pop3_status_str(st), text);
    } else {
        snprintf(out, out_len, "%s", pop3_status_str(st));
    }
}

static void cli_fail_status(cli_app_t *a, const char *what, pop3_status_t st, const pop3_reply_t *r)
{
    char detail[2U * CLI_TEXT_MAX];
    if (a->failed) {
        return;
    }
    cli_describe(a, st, r, detail, sizeof detail);
    if (st == POP3_ERR_STATE && a->opt.user == NULL) {
        strncat(detail, " (not logged in: use --user)", sizeof detail - strlen(detail) - 1U);
    } else if (st == POP3_ERR_SECURITY && a->opt.security == POP3_SEC_STLS &&
               pop3_state(&a->client) != POP3_STATE_TRANSACTION) {
        strncat(detail, " (STLS not offered or refused; try --tls)", sizeof detail - strlen(detail) - 1U);
    }
    cli_fail(a, cli_exit_code(st), "%s failed: %s", what, detail);
}

/* ---- session flow ------------------------------------------------------- */

/** Ends the session: QUIT if the connection is usable, else abort from the main loop. */
static void cli_stop(cli_app_t *a)
{
    if (a->stopping) {
        return;
    }
    a->stopping = true;
    if (pop3_state(&a->client) == POP3_STATE_CLOSED) {
        return;
    }
    /* The core closes the session itself on every fatal error, so an open
     * session can still carry QUIT whatever the failure was. */
    if (pop3_quit(&a->client) == POP3_OK) {
        return;
    }
    a->want_abort = true; /* pop3_abort() is not called from inside a callback */
}

static void cli_run_next(cli_app_t *a)
{
    const cli_job_t *job;
    pop3_status_t st;

    if (a->next_job >= a->opt.njobs) {
        cli_stop(a);
        return;
    }
    job = &a->opt.jobs[a->next_job++];
    st = cli_start_job(&a->client, job);
    if (st != POP3_OK) {
        char label[64];
        cli_job_label(job, label, sizeof label);
        cli_fail_status(a, label, st, NULL);
        cli_stop(a);
        return;
    }
    a->current = job;
}

static void cli_login(cli_app_t *a)
{
    pop3_status_t st;
    if (a->opt.apop && !pop3_has_apop(&a->client)) {
        cli_wipe(a->pass, sizeof a->pass);
        cli_fail(a, EXIT_INTERNAL, "APOP login failed: the server's greeting has no APOP timestamp");
        cli_stop(a);
        return;
    }
    st = a->opt.apop ? pop3_apop(&a->client, a->opt.user, a->pass)
                     : pop3_login(&a->client, a->opt.user, a->pass);
    cli_wipe(a->pass, sizeof a->pass); /* the core formatted it into tx_buf already */
    if (st != POP3_OK) {
        cli_fail_status(a, a->opt.apop ? "APOP login" : "login", st, NULL);
        cli_stop(a);
    }
}

static void cli_fail_cmd(cli_app_t *a, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    char label[300];
    const char *h = a->opt.host;
    if (cmd == POP3_CMD_CONNECT) {
        snprintf(label, sizeof label, strchr(h, ':') != NULL ? "connection to [%s]:%" PRIu32
                                                               : "connection to %s:%" PRIu32,
                 h, a->opt.port);
    } else if (cmd == POP3_CMD_LOGIN || cmd == POP3_CMD_APOP) {
        snprintf(label, sizeof label, "%s", cmd == POP3_CMD_APOP ? "APOP login" : "login");
    } else if (cmd != POP3_CMD_QUIT && a->current != NULL) {
        cli_job_label(a->current, label, sizeof label);
    } else {
        snprintf(label, sizeof label, "%s", pop3_cmd_name(cmd));
    }
    cli_fail_status(a, label, st, r);
}

static void cli_on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    cli_app_t *a = ctx;
    const cli_job_t *job = a->current;

    if (st != POP3_OK) {
        cli_fail_cmd(a, cmd, st, r);
        cli_stop(a);
        return;
    }
    if (cmd == POP3_CMD_QUIT || a->stopping) {
        return;
    }
    if (cmd == POP3_CMD_CONNECT && a->opt.user != NULL) {
        cli_login(a);
        return;
    }
    a->current = NULL;
    if (cmd != POP3_CMD_CONNECT && cmd != POP3_CMD_LOGIN && cmd != POP3_CMD_APOP &&
        job != NULL && job->def->print != NULL && !job->def->print(a, job, r)) {
        cli_stop(a);
        return;
    }
    cli_run_next(a);
}

static pop3_cb_action_t cli_on_body(void *ctx, const char *data, size_t len)
{
    cli_app_t *a = ctx;
    return cli_write(a, data, len) ? POP3_CB_CONTINUE : POP3_CB_ABORT;
}

static pop3_cb_action_t cli_on_list(void *ctx, uint32_t msg, uint64_t octets)
{
    cli_app_t *a = ctx;
    if (printf("%" PRIu32 " %" PRIu64 "\n", msg, octets) < 0) {
        cli_stdout_failed(a);
        return POP3_CB_ABORT;
    }
    return POP3_CB_CONTINUE;
}

static pop3_cb_action_t cli_on_uidl(void *ctx, uint32_t msg, const char *uid, size_t uid_len)
{
    return cli_print_num_text(ctx, msg, uid, uid_len) ? POP3_CB_CONTINUE : POP3_CB_ABORT;
}

static pop3_cb_action_t cli_on_capa(void *ctx, const char *line, size_t len)
{
    char buf[CLI_LINE_BUF_LEN + 1U];
    size_t n = pop3_sanitize(buf, sizeof buf - 1U, line, cli_chomp_len(line, len));
    buf[n++] = '\n';
    return cli_write(ctx, buf, n) ? POP3_CB_CONTINUE : POP3_CB_ABORT;
}

static void cli_on_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len)
{
    char buf[CLI_LINE_BUF_LEN + 1U];
    (void)ctx;
    pop3_sanitize(buf, sizeof buf, line, cli_chomp_len(line, len));
    fprintf(stderr, "%s %s\n", dir == POP3_TRACE_SENT ? "C:" : "S:", buf);
}

/* ---- option parsing ----------------------------------------------------- */

static void cli_help(void)
{
    fputs("Usage: " CLI_NAME " [options] COMMAND [ARG...] [COMMAND [ARG...]]...\n"
          "Run POP3 commands in order in one session; message data goes to stdout.\n"
          "\n"
          "  -H, --host HOST          server; also the name used for SNI and the certificate check\n"
          "  -p, --port PORT          default 995 with --tls, else 110\n"
          "      --tls                implicit TLS (POP3S)\n"
          "      --starttls           upgrade with STLS, fail if not offered (the default without --tls)\n"
          "      --plain              no TLS; credentials refused unless --allow-plaintext-login too\n"
          "      --allow-plaintext-login  second opt-in for sending credentials without TLS\n"
          "      --cafile FILE        trust anchors (PEM); default " CLI_DEFAULT_CAFILE "\n"
          "      --insecure           skip certificate verification (dangerous)\n"
          "  -u, --user USER          password from $POP3_PASSWORD, or --pass-file (which wins)\n"
          "      --pass-file FILE     first line of FILE is the password\n"
          "      --apop               log in with APOP instead of USER/PASS\n"
          "      --timeout MS         reply timeout (also bounds connect+greeting and TLS), default 30000\n"
          "  -v, --verbose            protocol trace on stderr, secrets masked\n"
          "  -h, --help               show this help\n"
          "\n"
          "Commands: capa | stat | list [N] | uidl [N] | retr N | top N LINES | dele N | rset | noop\n"
          "\n"
          "Exit status: 0 ok, 1 internal error, 2 usage, 3 network, 4 TLS/certificate,\n"
          "5 authentication rejected, 6 command refused (-ERR), 7 protocol violation,\n"
          "8 timeout, 9 refused by security policy.\n",
          stdout);
}

enum {
    OPT_TLS = 256, OPT_STARTTLS, OPT_PLAIN, OPT_ALLOW_PLAIN, OPT_CAFILE,
    OPT_INSECURE, OPT_PASS_FILE, OPT_APOP, OPT_TIMEOUT
};

static const struct option cli_long_opts[] = {
    { "host", required_argument, NULL, 'H' },
    { "port", required_argument, NULL, 'p' },
    { "tls", no_argument, NULL, OPT_TLS },
    { "starttls", no_argument, NULL, OPT_STARTTLS },
    { "plain", no_argument, NULL, OPT_PLAIN },
    { "allow-plaintext-login", no_argument, NULL, OPT_ALLOW_PLAIN },
    { "cafile", required_argument, NULL, OPT_CAFILE },
    { "insecure", no_argument, NULL, OPT_INSECURE },
    { "user", required_argument, NULL, 'u' },
    { "pass-file", required_argument, NULL, OPT_PASS_FILE },
    { "apop", no_argument, NULL, OPT_APOP },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

static int cli_set_security(cli_opts_t *o, pop3_security_t sec)
{
    if (o->security_set && o->security != sec) {
        return cli_usage_error("--tls, --starttls and --plain are mutually exclusive");
    }
    o->security = sec;
    o->security_set = true;
    return EXIT_OK;
}

/** One option; returns EXIT_OK, or an exit status (-1: help shown). */
static int cli_apply_opt(cli_opts_t *o, int ch, const char *arg)
{
    switch (ch) {
    case 'H': o->host = arg; return EXIT_OK;
    case 'p':
        return cli_parse_u32(arg, 1U, 65535U, &o->port)
                   ? EXIT_OK : cli_usage_error("invalid port '%s' (1-65535)", arg);
    case OPT_TLS: return cli_set_security(o, POP3_SEC_IMPLICIT_TLS);
    case OPT_STARTTLS: return cli_set_security(o, POP3_SEC_STLS);
    case OPT_PLAIN: return cli_set_security(o, POP3_SEC_PLAINTEXT);
    case OPT_ALLOW_PLAIN: o->allow_plaintext_login = true; return EXIT_OK;
    case OPT_CAFILE: o->cafile = arg; return EXIT_OK;
    case OPT_INSECURE: o->insecure = true; return EXIT_OK;
    case 'u': o->user = arg; return EXIT_OK;
    case OPT_PASS_FILE: o->pass_file = arg; return EXIT_OK;
    case OPT_APOP: o->apop = true; return EXIT_OK;
    case OPT_TIMEOUT:
        return cli_parse_u32(arg, 1U, UINT32_MAX, &o->timeout_ms)
                   ? EXIT_OK : cli_usage_error("invalid timeout '%s' (milliseconds, 1-4294967295)", arg);
    case 'v': o->verbose = true; return EXIT_OK;
    case 'h': cli_help(); return -1;
    default: /* getopt_long already said what is wrong */
        fputs("Try '" CLI_NAME " --help' for more information.\n", stderr);
        return EXIT_USAGE;
    }
}

/** Parses the arguments of one command starting at argv[*i]. */
static int cli_parse_job_args(cli_job_t *job, int argc, char **argv, int *i)
{
    const cli_cmd_def_t *d = job->def;
    while (job->nargs < d->max_args) {
        const char *arg = *i < argc ? argv[*i] : NULL;
        uint8_t k = job->nargs;
        if (arg == NULL || (k >= d->min_args && cli_find_cmd(arg) != NULL)) {
            if (k < d->min_args) {
                return cli_usage_error("%s: missing %s", d->name, d->arg_name[k]);
            }
            break;
        }
        if (!cli_parse_u32(arg, d->arg_min[k], UINT32_MAX, &job->arg[k])) {
            return cli_usage_error("%s: invalid %s '%s' (decimal, %" PRIu32 "-4294967295)",
                                   d->name, d->arg_name[k], arg, d->arg_min[k]);
        }
        job->nargs++;
        (*i)++;
    }
    return EXIT_OK;
}

static int cli_parse_jobs(cli_opts_t *o, int argc, char **argv, int first)
{
    int i = first;
    if (first >= argc) {
        return cli_usage_error("no command given");
    }
    o->jobs = calloc((size_t)(argc - first), sizeof *o->jobs);
    if (o->jobs == NULL) {
        fprintf(stderr, CLI_NAME ": out of memory\n");
        return EXIT_INTERNAL;
    }
    while (i < argc) {
        cli_job_t *job = &o->jobs[o->njobs];
        int rc;
        job->def = cli_find_cmd(argv[i]);
        if (job->def == NULL) {
            return cli_usage_error("unknown command '%s'", argv[i]);
        }
        /* Only CAPA works before login (RFC 2449); say so before connecting. */
        if (o->user == NULL && job->def->f0 != pop3_capa) {
            return cli_usage_error("'%s' needs a login: give --user", job->def->name);
        }
        i++;
        rc = cli_parse_job_args(job, argc, argv, &i);
        if (rc != EXIT_OK) {
            return rc;
        }
        o->njobs++;
    }
    return EXIT_OK;
}

static bool cli_has_ctl(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20U || *s == 0x7F) {
            return true;
        }
    }
    return false;
}

static int cli_check_user(const cli_opts_t *o)
{
    size_t max = POP3_CMD_MAX_LEN - (o->apop ? CLI_APOP_OVERHEAD : CLI_USER_OVERHEAD);
    if (o->user[0] == '\0' || cli_has_ctl(o->user)) {
        return cli_usage_error("invalid user name (empty or control characters)");
    }
    if (strlen(o->user) > max) {
        return cli_usage_error("user name too long (at most %zu octets)", max);
    }
    return EXIT_OK;
}

static int cli_check_tls_opts(const cli_opts_t *o)
{
    FILE *f;
    if (o->security == POP3_SEC_PLAINTEXT && (o->cafile != NULL || o->insecure)) {
        return cli_usage_error("--cafile and --insecure need TLS (not --plain)");
    }
    if (o->security != POP3_SEC_PLAINTEXT && o->allow_plaintext_login) {
        return cli_usage_error("--allow-plaintext-login only applies with --plain");
    }
    if (o->cafile == NULL) {
        return EXIT_OK;
    }
    f = fopen(o->cafile, "r");
    if (f == NULL) {
        return cli_usage_error("--cafile %s: %s", o->cafile, strerror(errno));
    }
    fclose(f);
    return EXIT_OK;
}

/** Cross-option checks after parsing. */
static int cli_check_opts(const cli_opts_t *o)
{
    int rc;
    if (o->host == NULL || o->host[0] == '\0' || cli_has_ctl(o->host)) {
        return cli_usage_error(o->host == NULL ? "no server given (use --host)" : "invalid host name");
    }
    if (o->user == NULL && (o->pass_file != NULL || o->apop)) {
        return cli_usage_error("--pass-file and --apop need --user");
    }
    rc = cli_check_tls_opts(o);
    if (rc == EXIT_OK && o->user != NULL) {
        rc = cli_check_user(o);
    }
    return rc;
}

static int cli_parse_args(cli_opts_t *o, int argc, char **argv)
{
    int ch;
    int rc;
    o->timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
    while ((ch = getopt_long(argc, argv, "H:p:u:vh", cli_long_opts, NULL)) != -1) {
        rc = cli_apply_opt(o, ch, optarg);
        if (rc != EXIT_OK) {
            return rc;
        }
    }
    rc = cli_check_opts(o);
    if (rc != EXIT_OK) {
        return rc;
    }
    if (o->port == 0U) {
        o->port = o->security == POP3_SEC_IMPLICIT_TLS ? 995U : 110U;
    }
    return cli_parse_jobs(o, argc, argv, optind);
}

/* ---- password ----------------------------------------------------------- */

/** First line of @p path into a->pass (unbuffered: no stray copies in stdio). */
static int cli_read_pass_file(cli_app_t *a, const char *path)
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
        too_long = too_long || n >= sizeof a->pass - 1U;
        if (!too_long) {
            a->pass[n++] = (char)ch;
        }
    }
    ch = ferror(f);
    fclose(f);
    n = cli_chomp_len(a->pass, n);
    a->pass[n] = '\0';
    if (ch != 0 || nul || too_long) {
        cli_wipe(a->pass, sizeof a->pass);
        return cli_usage_error("--pass-file %s: %s", path,
                               ch != 0 ? "read error" : nul ? "NUL in password" : "password too long");
    }
    return EXIT_OK;
}

static int cli_get_password(cli_app_t *a)
{
    const cli_opts_t *o = &a->opt;
    const char *env = getenv("POP3_PASSWORD");
    size_t max = o->apop ? sizeof a->pass - 1U : POP3_CMD_MAX_LEN - CLI_USER_OVERHEAD;
    int rc = EXIT_OK;

    if (o->pass_file != NULL) {
        rc = cli_read_pass_file(a, o->pass_file);
    } else if (env != NULL && env[0] != '\0' && strlen(env) < sizeof a->pass) {
        memcpy(a->pass, env, strlen(env) + 1U);
    } else {
        return cli_usage_error(env != NULL && env[0] != '\0' ? "POP3_PASSWORD is too long"
                               : "--user needs a password: set POP3_PASSWORD or use --pass-file");
    }
    if (rc == EXIT_OK && (a->pass[0] == '\0' || strpbrk(a->pass, "\r\n") != NULL || strlen(a->pass) > max)) {
        cli_wipe(a->pass, sizeof a->pass);
        rc = cli_usage_error("the password is empty, too long (max %zu octets) or contains CR/LF", max);
    }
    return rc;
}

/* ---- set-up and main loop ------------------------------------------------ */

static void cli_fill_config(cli_app_t *a, pop3_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->line_buf = a->line_buf;
    cfg->line_buf_len = sizeof a->line_buf;
    cfg->tx_buf = a->tx_buf;
    cfg->tx_buf_len = sizeof a->tx_buf;
    cfg->transport = pop3_posix_transport(&a->port);
    cfg->callbacks.ctx = a;
    cfg->callbacks.on_done = cli_on_done;
    cfg->callbacks.on_body = cli_on_body;
    cfg->callbacks.on_list = cli_on_list;
    cfg->callbacks.on_uidl = cli_on_uidl;
    cfg->callbacks.on_capa = cli_on_capa;
    cfg->callbacks.on_trace = a->opt.verbose ? cli_on_trace : NULL;
    cfg->security = a->opt.security;
    cfg->allow_plaintext_login = a->opt.allow_plaintext_login;
    /* One knob for the shell user: it bounds the greeting and each handshake too. */
    cfg->reply_timeout_ms = a->opt.timeout_ms;
    cfg->connect_timeout_ms = a->opt.timeout_ms;
    cfg->tls_timeout_ms = a->opt.timeout_ms;
}

static pop3_status_t cli_setup(cli_app_t *a)
{
    pop3_config_t cfg;
    pop3_status_t st;
    bool tls = a->opt.security != POP3_SEC_PLAINTEXT;

    a->tls_cfg.host = a->opt.host;
    a->tls_cfg.ca_file = a->opt.cafile != NULL ? a->opt.cafile : CLI_DEFAULT_CAFILE;
    a->tls_cfg.insecure = a->opt.insecure;
    st = pop3_posix_init(&a->port, tls ? &a->tls_cfg : NULL, tls ? &a->tls : NULL);
    if (st != POP3_OK) {
        return st;
    }
    a->port_ready = true;
    cli_fill_config(a, &cfg);
    return pop3_init(&a->client, &cfg);
}

static void cli_run(cli_app_t *a)
{
    pop3_status_t st = pop3_posix_connect(&a->port, &a->client, a->opt.host, (uint16_t)a->opt.port);
    if (st != POP3_OK) {
        cli_fail_cmd(a, POP3_CMD_CONNECT, st, NULL);
        return;
    }
    while (pop3_posix_poll(&a->port, (int)POP3_POSIX_TICK_MS) == POP3_OK) {
        if (a->want_abort) {
            a->want_abort = false;
            pop3_abort(&a->client);
        }
    }
    st = pop3_session_status(&a->client);
    if (st != POP3_OK) { /* e.g. closed without a pending command to report it */
        cli_fail_status(a, "session", st, NULL);
    }
}

static int cli_main(cli_app_t *a, int argc, char **argv)
{
    int rc = cli_parse_args(&a->opt, argc, argv);
    if (rc != EXIT_OK) {
        return rc < 0 ? EXIT_OK : rc;
    }
    if (a->opt.user != NULL && a->opt.security == POP3_SEC_PLAINTEXT && !a->opt.allow_plaintext_login) {
        fputs(CLI_NAME ": refusing to send the password without TLS "
              "(add --allow-plaintext-login to --plain if you really mean it)\n", stderr);
        return EXIT_POLICY;
    }
    if (a->opt.user != NULL && (rc = cli_get_password(a)) != EXIT_OK) {
        return rc;
    }
    if (a->opt.insecure) {
        fputs(CLI_NAME ": WARNING: --insecure: the server's certificate is NOT verified; anyone on "
              "the path can read and change this session, password included\n", stderr);
    }
    if (cli_setup(a) != POP3_OK) {
        fputs(CLI_NAME ": cannot set up the client\n", stderr);
        return EXIT_INTERNAL;
    }
    cli_run(a);
    return a->failed ? a->exit_code : EXIT_OK;
}

int main(int argc, char **argv)
{
    cli_app_t *a = &cli_app;
    int rc;

    setvbuf(stdout, cli_stdout_buf, _IOFBF, sizeof cli_stdout_buf);
    signal(SIGPIPE, SIG_IGN); /* a closed stdout is reported as an error, not a silent death */
    rc = cli_main(a, argc, argv);
    cli_wipe(a->pass, sizeof a->pass);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_stdout_failed(a);
        if (rc == EXIT_OK) {
            rc = EXIT_INTERNAL;
        }
    }
    if (a->port_ready) {
        pop3_posix_cleanup(&a->port);
    }
    free(a->opt.jobs);
    return rc;
}
