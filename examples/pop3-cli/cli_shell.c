/**
 * @file cli_shell.c
 * @brief pop3-cli's interactive session: `pop3-cli -H HOST` with no command
 *        (or the command `shell`) reads commands line by line from stdin, a
 *        terminal or a pipe, and shows the server's replies on stdout.
 *
 * Every command goes through the core: the known ones through their own
 * functions (pop3_capa(), pop3_retr(), pop3_user(), pop3_stls(), ...), the
 * rest through pop3_command(), sent as typed. The core adds CRLF, whatever
 * ended the typed line. One command at a time: the next line is read (and
 * the prompt shown, on a terminal) only once the reply ended, so nothing is
 * ever sent into a reply that is still coming.
 *
 * What is shown: the greeting, then for each command the lines the server
 * sent, from the trace (status lines, CAPA/LIST/UIDL lines with their final
 * "."), and bodies (RETR, TOP, `+CMD`) from on_body: unstuffed, or, in raw
 * mode, dot-stuffed again with the final "." as RFC 1939 frames them.
 * Everything passes through a sanitiser: printable ASCII and TAB stay,
 * every other octet shows as '?', so that no server can drive the terminal.
 * Messages of the shell itself go to stderr, the prompt too.
 *
 * Secrets: a password typed after PASS (or APOP USER) is taken from the line
 * buffer, which is wiped after each command; the core traces PASS as "***".
 * PASS, APOP USER and AUTH MECH alone take the secret as -u does (cli_auth.c:
 * --pass-file, $POP3_PASSWORD, else a prompt without echo when stdin is a
 * terminal, cli_tty.c). There is no history.
 */
#include <errno.h>
#include <inttypes.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "cli_shell.h"


pop3_cb_action_t cli_shell_on_body(void *ctx, const char *data, size_t len)
{
    cli_app_t *a = ctx;
    return a->shell != NULL && cli_sh_body_write(a, a->shell, data, len) ? POP3_CB_CONTINUE : POP3_CB_ABORT;
}

void cli_shell_on_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len)
{
    cli_app_t *a = ctx;
    cli_shell_t *sh = a->shell;
    cli_on_trace(ctx, dir, line, len); /* the advice's watch, and -v on stderr */
    if (sh == NULL || dir != POP3_TRACE_RECEIVED || !sh->show) {
        return;
    }
    sh->got_line = true;
    (void)cli_sh_line_write(a, sh, line, cli_chomp_len(line, len));
    if (sh->connecting) {
        sh->show = false; /* the greeting only: the core's own CAPA/STLS show with -v */
    }
}

/* ---- results ------------------------------------------------------------------------ */

static const char *sh_hint(const cli_app_t *a, const char *label, pop3_status_t st)
{
    pop3_state_t s = pop3_state(&a->client);
    switch (st) {
    case POP3_ERR_STATE:
        if (strcmp(label, "STLS") == 0) {
            return " (once, before the login, in a session started with --plain)";
        }
        if (strcmp(label, "PASS") == 0 && s == POP3_STATE_AUTH) {
            return " (right after a USER that got +OK)";
        }
        return s == POP3_STATE_AUTH ? " (not logged in: USER and PASS, APOP or AUTH first)"
               : s == POP3_STATE_TRANSACTION ? " (only before the login)" : "";
    case POP3_ERR_SECURITY:
        return " (no TLS on this connection: type STLS first, or start with --allow-plaintext-login)";
    case POP3_ERR_UNSUPPORTED:
        return " (the server does not advertise it in CAPA)";
    case POP3_ERR_BAD_ARG:
        return " (empty, too long for a POP3 command line, or a control character)";
    default:
        return "";
    }
}

/** A command that was not answered by the server's own -ERR: say why. */
static void sh_refused(const cli_app_t *a, const char *label, pop3_status_t st)
{
    cli_sh_say("%s: %s%s", label, pop3_status_str(st), sh_hint(a, label, st));
}

static void sh_login_done(cli_app_t *a, cli_shell_t *sh, pop3_cmd_t cmd, pop3_status_t st,
                          const pop3_reply_t *r)
{
    char label[64];
    sh->login = false;
    sh->connecting = false;
    if (st == POP3_OK) {
        a->watch.logged_in = cmd != POP3_CMD_QUIT;
        sh->busy = false;
        return;
    }
    if (cmd == POP3_CMD_AUTH) {
        cli_auth_label(a, label, sizeof label);
    } else {
        snprintf(label, sizeof label, "%s", cmd == POP3_CMD_APOP ? "APOP login" : "login");
    }
    cli_fail_status(a, label, st, r);
    if (pop3_quit(&a->client) != POP3_OK) { /* busy until QUIT is done or the session closed */
        a->want_abort = true;
    }
}

/** The session is ready (and --utf8 done): the login of -u, or the first command. */
static void sh_connected(cli_app_t *a, cli_shell_t *sh)
{
    if (a->opt.user != NULL) {
        sh->login = true;
        cli_login(a); /* on a failure: reported, QUIT queued */
        return;
    }
    sh->connecting = false;
    sh->busy = false;
}

void cli_shell_on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    cli_app_t *a = ctx;
    cli_shell_t *sh = a->shell;
    bool closed = pop3_state(&a->client) == POP3_STATE_CLOSED;

    if (cmd == POP3_CMD_AUTH || cmd == POP3_CMD_APOP || cmd == POP3_CMD_LOGIN || cmd == POP3_CMD_PASS) {
        cli_secret_wipe(&a->sec); /* the core is done with it */
    }
    if (cmd == POP3_CMD_AUTH) {
        cli_verbose_auth(a, st);
    }
    if (sh == NULL) {
        return;
    }
    if (cmd == POP3_CMD_DELE || cmd == POP3_CMD_RSET) { /* for a range's last number (cli_shell_range.c) */
        sh->deleted = st != POP3_OK ? sh->deleted : cmd == POP3_CMD_DELE ? sh->deleted + 1U : 0U;
    }
    if (sh->body) {
        cli_sh_body_end(a, sh, st == POP3_OK);
    }
    if (cmd == POP3_CMD_CONNECT) {
        if (st != POP3_OK) {
            char label[300];
            snprintf(label, sizeof label, strchr(a->opt.host, ':') != NULL ? "connection to [%s]:%" PRIu32
                                                                          : "connection to %s:%" PRIu32,
                     a->opt.host, a->opt.port);
            cli_fail_status(a, label, st, r);
            sh->busy = false;
        } else if (cli_utf8_start(a)) {
            sh->opt_utf8 = true; /* the login, if any, after its reply */
        } else {
            sh_connected(a, sh);
        }
        return;
    }
    if (sh->opt_utf8 && cmd == POP3_CMD_UTF8) {
        sh->opt_utf8 = false;
        st = cli_utf8_done(a, st, r); /* refused: a note, not a failure */
        if (st != POP3_OK) {
            cli_fail_status(a, "UTF8 (--utf8)", st, r);
            sh->busy = false;
        } else {
            sh_connected(a, sh);
        }
        return;
    }
    if (sh->login) {
        sh_login_done(a, sh, cmd, st, r);
        return;
    }
    if (sh->range && (closed || st == POP3_ERR_ABORTED)) {
        sh->range = sh->counting = false; /* reported below as any command */
    } else if (sh->range && cli_sh_range_done(a, sh, st, r)) {
        return;
    }
    sh->busy = false;
    a->watch.logged_in = a->watch.logged_in || (st == POP3_OK && (cmd == POP3_CMD_PASS || cmd == POP3_CMD_APOP ||
                                                                  cmd == POP3_CMD_AUTH));
    if (cmd == POP3_CMD_CAPA && st == POP3_OK) {
        cli_verbose_capa(a);
    }
    if (st == POP3_OK || cmd == POP3_CMD_QUIT) {
        return;
    }
    if (closed && cmd == POP3_CMD_STLS && st == POP3_ERR_PROTOCOL) {
        cli_fail_status(a, "STLS (bytes came after its +OK before TLS: response injection refused)", st, r);
    } else if (closed) {
        cli_fail_status(a, sh->label, st, r); /* the session is over: the usual report */
    } else if (!sh->got_line || (st != POP3_ERR_SERVER && st != POP3_ERR_AUTH && st != POP3_ERR_AUTH_TOKEN)) {
        sh_refused(a, sh->label, st); /* the server's -ERR, if any, was shown already */
    }
}

/* ---- typed commands ------------------------------------------------------------------ */

/** Reads the secret for PASS/APOP/AUTH: $POP3_PASSWORD, --pass-file, or the prompt. */
static bool sh_secret(cli_app_t *a, cli_shell_t *sh, bool apop, bool auth, pop3_sasl_mech_t mech)
{
    a->opt.user = sh->user;
    a->opt.apop = apop;
    a->opt.auth = auth;
    a->opt.auth_mech = mech;
    if (cli_get_secrets(a) != EXIT_OK) {
        cli_secret_wipe(&a->sec);
        return false;
    }
    return true;
}

static bool sh_set_user(cli_shell_t *sh, const char *name)
{
    if (name == NULL || name[0] == '\0' || strlen(name) >= sizeof sh->user) {
        cli_sh_say("%s: give a user name (at most %u octets)", sh->label, (unsigned)POP3_CMD_MAX_LEN);
        return false;
    }
    memcpy(sh->user, name, strlen(name) + 1U);
    return true;
}

/* Splits off the next blank-separated word of *rest (NUL-terminated in place). */
static char *sh_word(char **rest)
{
    char *s = *rest;
    char *w;
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    if (*s == '\0') {
        *rest = s;
        return NULL;
    }
    w = s;
    while (*s != '\0' && *s != ' ' && *s != '\t') {
        s++;
    }
    if (*s != '\0') {
        *s++ = '\0';
    }
    *rest = s;
    return w;
}

/** The login commands: USER NAME, PASS [SECRET], APOP NAME [SECRET], AUTH MECH [NAME]. */
static pop3_status_t sh_login_cmd(cli_app_t *a, cli_shell_t *sh, const char *verb, char *rest, bool *sent)
{
    pop3_client_t *c = &a->client;
    pop3_status_t st;
    *sent = false;
    if (strcasecmp(verb, "user") == 0) {
        while (*rest == ' ' || *rest == '\t') {
            rest++;
        }
        return sh_set_user(sh, rest) ? (*sent = true, pop3_user(c, sh->user)) : POP3_OK;
    }
    if (strcasecmp(verb, "pass") == 0) {
        if (*rest == ' ') {
            rest++;
        }
        if (*rest != '\0') { /* PASS takes the rest of the line, blanks included (RFC 1939) */
            *sent = true;
            return pop3_pass(c, rest);
        }
        if (sh->user[0] == '\0') { /* before asking for a password that could not be sent */
            cli_sh_say("PASS: type USER NAME first");
            return POP3_OK;
        }
        if (!sh_secret(a, sh, false, false, POP3_SASL_BEST)) {
            return POP3_OK;
        }
    } else if (strcasecmp(verb, "apop") == 0) {
        if (!sh_set_user(sh, sh_word(&rest))) {
            return POP3_OK;
        }
        if (*rest != '\0') {
            size_t n = strlen(rest);
            if (n >= sizeof a->sec.pass) {
                cli_sh_say("APOP: the password is too long");
                return POP3_OK;
            }
            memcpy(a->sec.pass, rest, n + 1U);
        } else if (!sh_secret(a, sh, true, false, POP3_SASL_BEST)) {
            return POP3_OK;
        }
    } else { /* auth */
        pop3_sasl_mech_t m;
        const char *mech = sh_word(&rest);
        const char *name = sh_word(&rest);
        if (mech == NULL || !pop3_sasl_mech_parse(mech, strlen(mech), &m)) {
            cli_sh_say("AUTH: give a mechanism: plain, login, cram-md5, scram-sha-1, scram-sha-256, "
                   "xoauth2, oauthbearer or best (then the user name, if not given with -u or USER)");
            return POP3_OK;
        }
        if (!sh_set_user(sh, name != NULL ? name : sh->user[0] != '\0' ? sh->user : a->opt.user) ||
            !sh_secret(a, sh, false, true, m)) {
            return POP3_OK;
        }
        *sent = true;
        st = pop3_auth(c, m, &a->creds); /* the creds stay in a->sec until AUTH is reported */
        if (st != POP3_OK) {
            cli_secret_wipe(&a->sec);
        }
        return st;
    }
    *sent = true;
    st = strcasecmp(verb, "pass") == 0 ? pop3_pass(c, a->sec.pass) : pop3_apop(c, sh->user, a->sec.pass);
    cli_secret_wipe(&a->sec); /* formatted into tx_buf already */
    return st;
}

/** Commands of the command table (pop3_cli.c) and QUIT, STLS, UTF8; false: not one of them. */
static bool sh_known(cli_app_t *a, cli_shell_t *sh, const char *verb, char *rest, pop3_status_t *st, bool *sent)
{
    pop3_client_t *c = &a->client;
    const cli_cmd_def_t *d = cli_find_cmd(verb);
    const char *w0;
    const char *w1;
    const char *w2;
    uint32_t n0 = 0U;
    uint32_t n1 = 0U;

    *sent = true;
    if (strcasecmp(verb, "quit") == 0 || strcasecmp(verb, "stls") == 0 || strcasecmp(verb, "utf8") == 0) {
        *st = verb[0] == 'q' || verb[0] == 'Q' ? pop3_quit(c) : verb[0] == 's' || verb[0] == 'S'
                                                                 ? pop3_stls(c) : pop3_utf8(c);
        return true;
    }
    if (strcasecmp(verb, "user") == 0 || strcasecmp(verb, "pass") == 0 || strcasecmp(verb, "apop") == 0 ||
        strcasecmp(verb, "auth") == 0) {
        *st = sh_login_cmd(a, sh, verb, rest, sent);
        return true;
    }
    if (d == NULL) {
        return false;
    }
    w0 = sh_word(&rest);
    w1 = sh_word(&rest);
    *sent = false;
    *st = POP3_OK;
    w2 = sh_word(&rest);
    if (w0 != NULL && cli_sh_range(a, sh, d, &w0, w1, w2 != NULL, st, sent)) {
        return true;
    }
    if (w2 != NULL || (w0 == NULL && d->min_args > 0U) || (w1 != NULL && d->max_args < 2U) ||
        (w1 == NULL && d->min_args == 2U) || (w0 != NULL && d->max_args == 0U) ||
        (w0 != NULL && !cli_sh_u32(w0, false, &n0)) || (w1 != NULL && !cli_sh_u32(w1, true, &n1))) {
        cli_sh_say("%s: usage: %s%s%s (message numbers from 1; '!%s ...' sends a line as typed)", sh->label,
               d->name, d->max_args > 0U ? (d->min_args > 0U ? " N" : " [N]") : "",
               d->max_args > 1U ? " LINES" : "", d->name);
        return true;
    }
    *sent = true;
    sh->body = d->f1 == pop3_retr || d->f2 == pop3_top;
    *st = d->f2 != NULL ? d->f2(c, n0, n1) : d->f1 != NULL ? d->f1(c, n0) : d->f0(c);
    return true;
}

/* ".raw [on|off]", ".help". */
static void sh_directive(cli_shell_t *sh, char *line)
{
    char *rest = line + 1;
    const char *name = sh_word(&rest);
    const char *arg = sh_word(&rest);
    if (name != NULL && strcasecmp(name, "raw") == 0 && sh_word(&rest) == NULL) {
        if (arg != NULL && strcasecmp(arg, "on") != 0 && strcasecmp(arg, "off") != 0) {
            cli_sh_say(".raw: on or off");
            return;
        }
        if (arg != NULL) {
            sh->raw = strcasecmp(arg, "on") == 0;
        }
        cli_sh_say("raw %s: bodies are shown %s", sh->raw ? "on" : "off",
               sh->raw ? "dot-stuffed, with the final \".\" (as on the wire)" : "unstuffed");
    } else if (name != NULL && strcasecmp(name, "help") == 0) {
        fflush(stdout);
        cli_shell_help(stderr);
    } else {
        cli_sh_say("unknown directive (.raw on|off, .help)");
    }
}

/** One typed line: its command queued (sh->busy) or a message printed. */
static void sh_dispatch(cli_app_t *a, cli_shell_t *sh, char *line)
{
    char word[sizeof sh->label];
    char *rest = line;
    pop3_status_t st = POP3_OK;
    bool sent = false;
    size_t n;
    size_t i;

    while (*rest == ' ' || *rest == '\t') {
        rest++;
    }
    if (*rest == '\0' || *rest == '#') {
        return; /* blank lines and comments (scripts) */
    }
    if (*rest == '.') {
        sh_directive(sh, rest);
        return;
    }
    n = strcspn(rest + (*rest == '+' || *rest == '!'), " \t") + (*rest == '+' || *rest == '!');
    snprintf(word, sizeof word, "%.*s", (int)n, rest);
    for (i = 0U; word[i] != '\0'; i++) {
        word[i] = word[i] >= 'a' && word[i] <= 'z' ? (char)(word[i] - 'a' + 'A') : cli_sh_clean((unsigned char)word[i]);
    }
    memcpy(sh->label, word, sizeof word);
    sh->got_line = false;
    sh->show = true;
    sh->body = false;
    sh->bol = true;
    sh->cr = false;
    sh->busy = true; /* before the call: a refusal when its turn comes is reported from inside it */
    if (*rest == '+' || *rest == '!') { /* as typed: "+" reads a multi-line reply */
        sh->body = *rest == '+';
        sent = true;
        st = pop3_command(&a->client, rest + 1, *rest == '+');
    } else {
        char verb[sizeof sh->label];
        char *args = rest + n;
        snprintf(verb, sizeof verb, "%.*s", (int)n, rest);
        if (!sh_known(a, sh, verb, args, &st, &sent)) {
            sent = true;
            st = pop3_command(&a->client, line, false); /* unknown: as typed, one line */
        }
    }
    if (!sent || st != POP3_OK) {
        sh->busy = false; /* nothing queued: no on_done comes */
        sh->body = false;
    }
    if (sent && st != POP3_OK) {
        sh_refused(a, sh->label, st);
    }
}

/* ---- the loop ------------------------------------------------------------------------ */

/** Runs the port until the command queued is done (sh->busy clear) or the session closed. */
static void sh_wait(cli_app_t *a, cli_shell_t *sh)
{
    while (sh->busy && pop3_posix_poll(&a->port, cli_watch_poll(a)) == POP3_OK) {
        if (a->want_abort) {
            a->want_abort = false;
            pop3_abort(&a->client);
        }
    }
    if (fflush(stdout) != 0) {
        cli_stdout_failed(a);
    }
}

/*
 * The next typed line. While waiting, the connection is served too, so that
 * a server closing an idle session is noticed at once.
 * @return 1 a line, 0 end of input, -1 the session closed.
 */
static int sh_next_line(cli_app_t *a, cli_shell_t *sh, char *line, size_t line_len)
{
    for (;;) {
        struct pollfd pfd[2];
        nfds_t nfd = 1U;
        if (cli_sh_take_line(sh, line, line_len)) {
            return 1;
        }
        if (sh->eof) {
            return 0;
        }
        if (pop3_state(&a->client) == POP3_STATE_CLOSED) {
            return -1;
        }
        pfd[0].fd = STDIN_FILENO;
        pfd[0].events = POLLIN;
        pfd[1].fd = pop3_posix_fd(&a->port);
        if (pfd[1].fd >= 0) {
            pfd[1].events = POLLIN;
            nfd = 2U;
        }
        if (poll(pfd, nfd, (int)POP3_POSIX_TICK_MS) > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            ssize_t k = read(STDIN_FILENO, sh->in + sh->in_len, sizeof sh->in - sh->in_len);
            if (k > 0) {
                sh->in_len += (size_t)k;
            } else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
                sh->eof = true;
            }
        }
        if (pop3_posix_poll(&a->port, 0) != POP3_OK) {
            return -1;
        }
    }
}

void cli_shell(cli_app_t *a)
{
    cli_shell_t sh;
    char line[SH_IN_LEN + 1U];
    const char *user = a->opt.user; /* typed logins point it into sh meanwhile */
    pop3_status_t st;
    bool idle = false;

    memset(&sh, 0, sizeof sh);
    sh.tty_in = isatty(STDIN_FILENO) != 0;
    sh.tty_out = isatty(STDOUT_FILENO) != 0;
    sh.raw = a->opt.raw;
    /* UTF-8 text is shown only to a terminal that expects it (LC_CTYPE only: numbers stay C) */
    sh.utf8 = setlocale(LC_CTYPE, "") != NULL && strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    sh.show = sh.connecting = sh.busy = true;
    snprintf(sh.label, sizeof sh.label, "session");
    a->shell = &sh;
    st = pop3_posix_connect(&a->port, &a->client, a->opt.host, (uint16_t)a->opt.port);
    if (st != POP3_OK) {
        cli_fail_status(a, "connection", st, NULL);
        a->shell = NULL;
        return;
    }
    sh_wait(a, &sh);
    while (pop3_state(&a->client) != POP3_STATE_CLOSED) {
        int got;
        if (sh.tty_in) {
            fputs(SH_PROMPT, stderr);
            fflush(stderr);
        }
        /* stdout gone (a closed pipe): reported once, then QUIT as at the end of input */
        got = ferror(stdout) ? 0 : sh_next_line(a, &sh, line, sizeof line);
        if (got < 0) {
            idle = true;
            break;
        }
        if (got == 0) { /* Ctrl-D, or the end of a script: QUIT */
            if (sh.tty_in) {
                fputc('\n', stderr);
            }
            snprintf(sh.label, sizeof sh.label, "QUIT");
            sh.show = true;
            sh.busy = true;
            st = pop3_quit(&a->client);
            if (st != POP3_OK) {
                sh.busy = false;
                sh_refused(a, sh.label, st);
                a->want_abort = true;
                pop3_abort(&a->client);
            }
        } else {
            sh_dispatch(a, &sh, line);
        }
        cli_wipe(line, sizeof line); /* it may have held a password */
        sh_wait(a, &sh);
    }
    st = pop3_session_status(&a->client);
    if (st != POP3_OK) { /* not reported by a command: lost while waiting for input */
        cli_fail_status(a, idle ? "session (while waiting for a command)" : "session", st, NULL);
    }
    cli_wipe(sh.in, sizeof sh.in);
    a->opt.user = user;
    a->shell = NULL;
}
