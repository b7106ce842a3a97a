/**
 * @file pop3_cli.c
 * @brief pop3-cli: a small command-line POP3 client on the POSIX port.
 *
 *   pop3-cli [options] COMMAND [ARG...] [COMMAND [ARG...]]...
 *   pop3-cli [options] [shell]      (the interactive session: cli_shell.c)
 *
 * All commands run in order in one session (cli_run.c); after the first
 * failure no further command runs, and QUIT is still sent while the
 * connection is usable. The first failure decides the exit status.
 *
 * Message data (RETR/TOP) goes to stdout exactly as delivered by on_body
 * (cli_print.c). The command line is parsed in cli_opts.c; the login's secret
 * and what is said about SASL in cli_auth.c. This file: the command table,
 * the set-up and main().
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
#include "cli_fetch.h"

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

/* Usage errors echo what the user typed (file names, options, commands):
 * control characters become '?' so that an argument cannot move the cursor or
 * send a terminal escape. Octets >= 0x80 stay (UTF-8 file names). */
int cli_usage_error(const char *fmt, ...)
{
    char msg[1024];
    size_t i;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (i = 0U; msg[i] != '\0'; i++) {
        if ((unsigned char)msg[i] < 0x20U || msg[i] == 0x7F) {
            msg[i] = '?';
        }
    }
    fprintf(stderr, CLI_NAME ": %s\nTry '" CLI_NAME " --help' for more information.\n", msg);
    return EXIT_USAGE;
}

/** Length without trailing CR/LF. */
size_t cli_chomp_len(const char *s, size_t len)
{
    while (len > 0U && (s[len - 1U] == '\n' || s[len - 1U] == '\r')) {
        len--;
    }
    return len;
}

/* ---- command table ------------------------------------------------------ */

#define MSG_ARG "message number"

static const cli_cmd_def_t cli_cmds[] = { /* "capa" first: cli_is_capa() */
    { "capa", 0U, 0U, { NULL, NULL }, { 0U, 0U }, pop3_capa, NULL, NULL, NULL, true },
    { "stat", 0U, 0U, { NULL, NULL }, { 0U, 0U }, pop3_stat, NULL, NULL, cli_print_stat, false },
    { "list", 0U, 1U, { MSG_ARG, NULL }, { 1U, 0U }, NULL, pop3_list, NULL, cli_print_list1, true },
    { "uidl", 0U, 1U, { MSG_ARG, NULL }, { 1U, 0U }, NULL, pop3_uidl, NULL, cli_print_uidl1, true },
    { "retr", 1U, 1U, { MSG_ARG, NULL }, { 1U, 0U }, NULL, pop3_retr, NULL, NULL, false },
    { "top", 2U, 2U, { MSG_ARG, "line count" }, { 1U, 0U }, NULL, NULL, pop3_top, NULL, false },
    { "dele", 1U, 1U, { MSG_ARG, NULL }, { 1U, 0U }, NULL, pop3_dele, NULL, NULL, false },
    { "rset", 0U, 0U, { NULL, NULL }, { 0U, 0U }, pop3_rset, NULL, NULL, NULL, false },
    { "noop", 0U, 0U, { NULL, NULL }, { 0U, 0U }, pop3_noop, NULL, NULL, NULL, false },
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
    cfg->callbacks.on_body = a->opt.fetch ? cli_fetch_on_body : cli_on_body;
    cfg->callbacks.on_list = cli_on_list;
    cfg->callbacks.on_uidl = a->opt.fetch ? cli_fetch_on_uidl : cli_on_uidl;
    cfg->callbacks.on_capa = cli_on_capa;
    cfg->callbacks.on_trace = cli_on_trace;
    if (a->opt.shell) { /* the shell shows received lines from the trace, bodies its own way */
        cfg->callbacks.on_done = cli_shell_on_done;
        cfg->callbacks.on_body = cli_shell_on_body;
        cfg->callbacks.on_trace = cli_shell_on_trace;
        cfg->callbacks.on_list = NULL;
        cfg->callbacks.on_uidl = NULL;
        cfg->callbacks.on_capa = NULL;
    }
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
    bool tls = a->opt.security != POP3_SEC_PLAINTEXT || a->opt.shell; /* the shell's STLS */

    a->tls_cfg.host = a->opt.host;
    a->tls_cfg.ca_file = a->opt.cafile != NULL ? a->opt.cafile : CLI_DEFAULT_CAFILE;
    a->tls_cfg.insecure = a->opt.insecure;
    if (a->opt.verbose) {
        a->tls_seen.verbose = stderr;
        a->tls_seen.label = a->opt.security == POP3_SEC_IMPLICIT_TLS ? "POP3S" : "STLS";
        cli_tls_attach(&a->tls_cfg, &a->tls_seen);
    }
    st = pop3_posix_init(&a->port, tls ? &a->tls_cfg : NULL, tls ? &a->tls : NULL);
    if (st != POP3_OK) {
        return st;
    }
    a->port_ready = true;
    cli_fill_config(a, &cfg);
    return pop3_init(&a->client, &cfg);
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
    if (a->opt.verbose && a->opt.cafile != NULL && a->opt.security == POP3_SEC_PLAINTEXT) {
        fprintf(stderr, CLI_NAME ": note: --cafile is not used: --plain makes no TLS connection\n");
    }
    if (a->opt.insecure) {
        fputs(CLI_NAME ": WARNING: --insecure: the server's certificate is NOT verified; anyone on "
              "the path can read and change this session, password included\n", stderr);
    }
    if (a->opt.check) {
        return cli_check_run(a);
    }
    if (a->opt.fetch && (rc = cli_fetch_prepare(a)) != EXIT_OK) {
        return rc; /* nothing sent yet */
    }
    if (cli_setup(a) != POP3_OK) {
        fputs(CLI_NAME ": cannot set up the client\n", stderr);
        return EXIT_INTERNAL;
    }
    if (a->opt.shell) {
        cli_shell(a);
    } else {
        cli_run(a);
    }
    return a->failed ? a->exit_code : EXIT_OK;
}

int main(int argc, char **argv)
{
    cli_app_t *a = &cli_app;
    int rc;

    setvbuf(stdout, cli_stdout_buf, _IOFBF, sizeof cli_stdout_buf);
    signal(SIGPIPE, SIG_IGN); /* a closed stdout is reported as an error, not a silent death */
    rc = cli_main(a, argc, argv);
    cli_fetch_finish(a);
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
    cli_tls_reset(&a->tls_seen);
    free(a->opt.jobs);
    return rc;
}
