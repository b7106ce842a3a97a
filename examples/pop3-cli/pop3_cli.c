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
 * The command line is parsed in cli_opts.c; the login's secret and what is
 * said about SASL in cli_auth.c.
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

#include "cli.h"

#define CLI_TEXT_MAX 200U            /* server text shown in an error line */
#define CLI_STDOUT_BUF_LEN (256U * 1024U)

static cli_app_t cli_app;
static char cli_stdout_buf[CLI_STDOUT_BUF_LEN];

/* ---- small helpers ------------------------------------------------------ */

void cli_wipe(void *p, size_t n)
{
    volatile unsigned char *v = (volatile unsigned char *)p;
    while (n-- > 0U) {
        *v++ = 0U;
    }
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs(CLI_NAME ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry '" CLI_NAME " --help' for more information.\n", stderr);
    return EXIT_USAGE;
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
size_t cli_chomp_len(const char *s, size_t len)
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

/* Writes @p v in decimal just before @p end (at most 20 octets); returns its first octet. */
static char *cli_fmt_u64(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10U);
        v /= 10U;
    } while (v != 0U);
    return end;
}

/** "N TEXT\n" with TEXT sanitized: one entry of a 100,000-line listing, so no printf. */
static bool cli_print_num_text(cli_app_t *a, uint64_t n, const char *text, size_t len)
{
    char buf[20U + 1U + CLI_LINE_BUF_LEN + 1U];
    char *start = cli_fmt_u64(buf + 20, n);
    size_t k = 20U;
    buf[k++] = ' ';
    k += pop3_sanitize(buf + k, sizeof buf - k, text, len);
    buf[k++] = '\n'; /* over the NUL pop3_sanitize wrote */
    return cli_write(a, start, (size_t)(buf + k - start));
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

static const cli_cmd_def_t cli_cmds[] = { /* "capa" first: cli_is_capa() */
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

const cli_cmd_def_t *cli_find_cmd(const char *name)
{
    size_t i;
    for (i = 0U; i < sizeof cli_cmds / sizeof cli_cmds[0]; i++) {
        if (strcasecmp(cli_cmds[i].name, name) == 0) {
            return &cli_cmds[i];
        }
    }
    return NULL;
}

bool cli_is_capa(const cli_cmd_def_t *d)
{
    return d == &cli_cmds[0];
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
    case POP3_ERR_AUTH: case POP3_ERR_AUTH_TOKEN: return EXIT_AUTH;
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
    } else if (st == POP3_ERR_TIMEOUT && pop3_unanswered(&a->client) > 1U) {
        size_t used = strlen(detail);
        snprintf(detail + used, sizeof detail - used,
                 " (%u pipelined commands unanswered: the server advertises PIPELINING but may not"
                 " handle it; try --no-pipelining)", pop3_unanswered(&a->client));
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

/* The job in flight whose reply comes next, or NULL. */
static const cli_job_t *cli_current(const cli_app_t *a)
{
    return a->done_job < a->next_job ? &a->opt.jobs[a->done_job] : NULL;
}

/* Queues jobs: one at a time, or as many as the core takes when it pipelines
 * (it holds each back until it may go out). A DELE is queued only once every
 * job before it succeeded, since the CLI stops at the first failure: "retr 1
 * dele 1" never deletes a message whose RETR failed. QUIT when all are done. */
static void cli_run_more(cli_app_t *a)
{
    while (!a->stopping && a->next_job < a->opt.njobs) {
        const cli_job_t *job = &a->opt.jobs[a->next_job];
        bool idle = a->done_job == a->next_job;
        pop3_status_t st;
        if (!idle && (!pop3_pipelining(&a->client) || job->def->f1 == pop3_dele)) {
            return;
        }
        st = cli_start_job(&a->client, job);
        if (st == POP3_ERR_QUEUE_FULL && !idle) {
            return; /* the rest when replies come */
        }
        if (st != POP3_OK) {
            char label[64];
            cli_job_label(job, label, sizeof label);
            cli_fail_status(a, label, st, NULL);
            cli_stop(a);
            return;
        }
        a->next_job++;
    }
    if (a->done_job == a->opt.njobs) {
        cli_stop(a);
    }
}

/** SASL AUTH: the creds point into a->sec, which stays until AUTH is reported. */
static void cli_auth(cli_app_t *a)
{
    pop3_status_t st = pop3_auth(&a->client, a->opt.auth_mech, &a->creds);
    if (st != POP3_OK) {
        char label[64];
        cli_secret_wipe(&a->sec);
        cli_auth_label(a, label, sizeof label);
        cli_fail_status(a, label, st, NULL);
        cli_stop(a);
    }
}

static void cli_login(cli_app_t *a)
{
    pop3_status_t st;
    if (a->opt.auth) {
        cli_auth(a);
        return;
    }
    if (a->opt.apop && !pop3_has_apop(&a->client)) {
        cli_secret_wipe(&a->sec);
        cli_fail(a, EXIT_INTERNAL, "APOP login failed: the server's greeting has no APOP timestamp");
        cli_stop(a);
        return;
    }
    st = a->opt.apop ? pop3_apop(&a->client, a->opt.user, a->sec.pass)
                     : pop3_login(&a->client, a->opt.user, a->sec.pass);
    cli_secret_wipe(&a->sec); /* the core formatted it into tx_buf already */
    if (st != POP3_OK) {
        cli_fail_status(a, a->opt.apop ? "APOP login" : "login", st, NULL);
        cli_stop(a);
    }
}

/** AUTH's own failures: a refused token, or no usable mechanism. */
static bool cli_fail_auth(cli_app_t *a, pop3_status_t st, const pop3_reply_t *r)
{
    char label[64];
    char detail[3U * CLI_TEXT_MAX];
    char text[CLI_TEXT_MAX];
    size_t n;
    if (st != POP3_ERR_AUTH_TOKEN && st != POP3_ERR_SECURITY) {
        return false;
    }
    cli_auth_label(a, label, sizeof label);
    cli_auth_describe(a, st, r, detail, sizeof detail);
    n = strlen(detail);
    if (r != NULL && r->text != NULL && r->text_len > 0U && n < sizeof detail) {
        cli_sanitize_cut(text, sizeof text, r->text, cli_chomp_len(r->text, r->text_len));
        snprintf(detail + n, sizeof detail - n, "; server said: -ERR %s", text);
    }
    cli_fail(a, cli_exit_code(st), "%s failed: %s", label, detail);
    return true;
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
    } else if (cmd == POP3_CMD_AUTH) {
        if (cli_fail_auth(a, st, r)) {
            return;
        }
        cli_auth_label(a, label, sizeof label);
    } else if (cmd != POP3_CMD_QUIT && cli_current(a) != NULL) {
        cli_job_label(cli_current(a), label, sizeof label);
    } else {
        snprintf(label, sizeof label, "%s", pop3_cmd_name(cmd));
    }
    cli_fail_status(a, label, st, r);
}

static void cli_on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    cli_app_t *a = ctx;
    bool is_job = cmd != POP3_CMD_CONNECT && cmd != POP3_CMD_LOGIN && cmd != POP3_CMD_APOP &&
                  cmd != POP3_CMD_AUTH && cmd != POP3_CMD_QUIT;
    const cli_job_t *job = is_job ? cli_current(a) : NULL;

    if (cmd == POP3_CMD_AUTH) {
        cli_secret_wipe(&a->sec); /* the core is done with the creds */
        cli_verbose_auth(a, st);
    }
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
    if (job != NULL) {
        a->done_job++;
    }
    if (cmd == POP3_CMD_CAPA) {
        cli_verbose_capa(a);
    }
    if (job != NULL && job->def->print != NULL && !job->def->print(a, job, r)) {
        cli_stop(a);
        return;
    }
    cli_run_more(a);
}

static pop3_cb_action_t cli_on_body(void *ctx, const char *data, size_t len)
{
    cli_app_t *a = ctx;
    if (a->stopping) {
        return POP3_CB_CONTINUE; /* a pipelined RETR behind a failure: not shown, as if never sent */
    }
    return cli_write(a, data, len) ? POP3_CB_CONTINUE : POP3_CB_ABORT;
}

static pop3_cb_action_t cli_on_list(void *ctx, uint32_t msg, uint64_t octets)
{
    cli_app_t *a = ctx;
    char num[20];
    char *n = cli_fmt_u64(num + sizeof num, octets);
    return cli_print_num_text(a, msg, n, (size_t)(num + sizeof num - n)) ? POP3_CB_CONTINUE : POP3_CB_ABORT;
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

/* The core masks the secrets of what it sends (the password of PASS, the APOP digest, every
 * AUTH response) before the trace sees a line; the CLI adds nothing of its own here. */
static void cli_on_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len)
{
    char buf[CLI_LINE_BUF_LEN + 1U];
    (void)ctx;
    pop3_sanitize(buf, sizeof buf, line, cli_chomp_len(line, len));
    fprintf(stderr, "%s %s\n", dir == POP3_TRACE_SENT ? "C:" : "S:", buf);
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
    cfg->pipeline_depth = a->opt.no_pipelining ? 1U : 0U;
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
        fprintf(stderr, CLI_NAME ": refusing to send the %s without TLS "
                "(add --allow-plaintext-login to --plain if you really mean it)\n",
                a->opt.auth ? "credentials" : "password");
        return EXIT_POLICY;
    }
    if (a->opt.user != NULL && (rc = cli_get_secrets(a)) != EXIT_OK) {
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
    cli_secret_wipe(&a->sec);
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
