/**
 * @file cli_run.c
 * @brief pop3-cli: the session flow. Jobs are queued from on_done of the
 *        previous one (or pipelined); after the first failure no further job
 *        runs, and QUIT is still sent while the connection is usable.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_fetch.h"

/* The message number of command @p k of a job (a range counts up from arg[0]). */
static uint32_t cli_job_msg(const cli_job_t *job, uint32_t k)
{
    return job->range ? job->arg[0] + k : job->arg[0];
}

/* Command number job->sent of a job: cli.h. */
pop3_status_t cli_job_start(pop3_client_t *c, const cli_job_t *job)
{
    const cli_cmd_def_t *d = job->def;
    if (d->f2 != NULL) {
        return d->f2(c, cli_job_msg(job, job->sent), job->arg[1]);
    }
    if (d->f1 != NULL) {
        return d->f1(c, job->nargs > 0U ? cli_job_msg(job, job->sent) : 0U);
    }
    return d->f0(c);
}

/* "RETR 7", "TOP 7 0", "LIST": cli.h. */
void cli_job_label(const cli_job_t *job, uint32_t k, char *out, size_t out_len)
{
    size_t i;
    int n = snprintf(out, out_len, "%s", job->def->name);
    for (i = 0U; n > 0 && i < job->nargs; i++) {
        size_t used = strlen(out);
        n = snprintf(out + used, out_len - used, " %" PRIu32, i == 0U ? cli_job_msg(job, k) : job->arg[i]);
    }
    for (i = 0U; out[i] != '\0'; i++) {
        if (out[i] >= 'a' && out[i] <= 'z') {
            out[i] = (char)(out[i] - 'a' + 'A');
        }
    }
}

/* ---- failure reporting -------------------------------------------------- */

int cli_exit_code(pop3_status_t st)
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

void cli_fail_status(cli_app_t *a, const char *what, pop3_status_t st, const pop3_reply_t *r)
{
    char detail[4U * CLI_TEXT_MAX];
    cli_watch_first(a); /* TLS octets where the greeting was due outrank what the core made of them */
    if (a->failed) {
        return;
    }
    cli_describe(a, st, r, detail, sizeof detail);
    cli_advise(a, st, r, detail, sizeof detail);
    if (st == POP3_ERR_STATE && a->opt.user == NULL) {
        strncat(detail, " (not logged in: use --user)", sizeof detail - strlen(detail) - 1U);
    } else if (st == POP3_ERR_TIMEOUT && pop3_unanswered(&a->client) > 1U) {
        size_t used = strlen(detail);
        snprintf(detail + used, sizeof detail - used,
                 " (%u pipelined commands unanswered: the server advertises PIPELINING but may not"
                 " handle it; try --no-pipelining)", pop3_unanswered(&a->client));
    }
    cli_fail(a, cli_advise_exit(a, st, r, cli_exit_code(st)), "%s failed: %s", what, detail);
}

/* ---- session flow ------------------------------------------------------- */

/* The session's end (cli.h). */
void cli_stop(cli_app_t *a)
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

/* The job whose command's reply comes next, or NULL. */
static cli_job_t *cli_current(cli_app_t *a)
{
    return a->inflight > 0U ? &a->opt.jobs[a->done_job] : NULL;
}

/* Moves past jobs queued in full (next_job) and reported in full (done_job);
 * a range of no message ("retr all" on an empty mailbox) is both at once. */
static void cli_advance(cli_app_t *a)
{
    const cli_job_t *j = a->opt.jobs;
    while (a->next_job < a->opt.njobs && j[a->next_job].sent == j[a->next_job].n) {
        a->next_job++;
    }
    while (a->done_job < a->next_job && j[a->done_job].done == j[a->done_job].n) {
        a->done_job++;
    }
}

/* Queues job commands (a range is one command per message): one at a time, or
 * as many as the core takes when it pipelines (it holds each back until it may
 * go out). A DELE is queued only once every command before it succeeded, since
 * the CLI stops at the first failure: "retr 1-3 dele 1-3" never deletes a
 * message whose RETR failed, and "dele 1-3" stops at the first refused one.
 * QUIT when all are done. */
static void cli_run_more(cli_app_t *a)
{
    while (!a->stopping) {
        cli_job_t *job;
        bool idle = a->inflight == 0U;
        pop3_status_t st;
        cli_advance(a);
        if (a->next_job >= a->opt.njobs) {
            break;
        }
        job = &a->opt.jobs[a->next_job];
        if (!idle && (!pop3_pipelining(&a->client) || job->def->f1 == pop3_dele)) {
            return;
        }
        st = cli_job_start(&a->client, job);
        if (st == POP3_ERR_QUEUE_FULL && !idle) {
            return; /* the rest when replies come */
        }
        if (st != POP3_OK) {
            char label[64];
            cli_job_label(job, job->sent, label, sizeof label);
            cli_fail_status(a, label, st, NULL);
            cli_stop(a);
            return;
        }
        job->sent++;
        a->inflight++;
    }
    if (!a->stopping && a->inflight == 0U) {
        cli_stop(a);
    }
}

/* "retr 1-5": what was typed, for the range check's message. */
static void cli_range_label(const cli_job_t *job, char *out, size_t out_len)
{
    if (job->all) {
        snprintf(out, out_len, "%s all", job->def->name);
    } else {
        snprintf(out, out_len, "%s %" PRIu32 "-%" PRIu32, job->def->name, job->arg[0], job->last);
    }
}

/* After a STAT: "all" becomes 1..count, a range past the last message is refused (cli.h). */
bool cli_job_resolve(cli_job_t *job, uint32_t count, char *why, size_t why_len)
{
    char label[64];
    if (!job->range) {
        return true;
    }
    if (job->all) {
        job->arg[0] = 1U;
        job->last = count;
        job->n = count;
        return true;
    }
    if (job->last <= count) {
        return true;
    }
    cli_range_label(job, label, sizeof label);
    if (count == 0U) {
        snprintf(why, why_len, "%s: the mailbox is empty; no command was run", label);
    } else {
        snprintf(why, why_len, "%s: the mailbox has %" PRIu32 " message%s (1-%" PRIu32
                 "); no command was run ('all' takes every message)", label, count,
                 count == 1U ? "" : "s", count);
    }
    return false;
}

/* After the STAT before the jobs: every range resolved before any job runs
 * (message numbers do not change during a session, RFC 1939, so the count
 * holds for the whole job list). */
static bool cli_resolve_ranges(cli_app_t *a, uint32_t count)
{
    size_t i;
    a->counted = true;
    a->msg_count = count;
    for (i = 0U; i < a->opt.njobs; i++) {
        char why[200];
        if (!cli_job_resolve(&a->opt.jobs[i], count, why, sizeof why)) {
            cli_fail(a, EXIT_SERVER, "%s", why);
            return false;
        }
    }
    return true;
}

/** Before the first job: STAT if a range needs the count, then the jobs. */
static void cli_begin_jobs(cli_app_t *a)
{
    pop3_status_t st;
    if (!a->need_count || a->counted) {
        cli_run_more(a);
        return;
    }
    st = pop3_stat(&a->client);
    if (st != POP3_OK) {
        cli_fail_status(a, "STAT (message count for a range)", st, NULL);
        cli_stop(a);
        return;
    }
    a->counting = true;
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

void cli_login(cli_app_t *a)
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
    } else if (cmd != POP3_CMD_QUIT && cmd != POP3_CMD_UTF8 && cli_current(a) != NULL) {
        cli_job_label(cli_current(a), cli_current(a)->done, label, sizeof label);
    } else {
        snprintf(label, sizeof label, "%s", pop3_cmd_name(cmd));
    }
    cli_fail_status(a, label, st, r);
}

/** The STAT before the jobs ended. */
static void cli_count_done(cli_app_t *a, pop3_status_t st, const pop3_reply_t *r)
{
    a->counting = false;
    if (st != POP3_OK) {
        cli_fail_status(a, "STAT (message count for a range)", st, r);
        cli_stop(a);
        return;
    }
    if (!cli_resolve_ranges(a, r->count)) {
        cli_stop(a);
        return;
    }
    cli_run_more(a);
}

void cli_on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    cli_app_t *a = ctx;
    bool is_job = cmd != POP3_CMD_CONNECT && cmd != POP3_CMD_LOGIN && cmd != POP3_CMD_APOP &&
                  cmd != POP3_CMD_AUTH && cmd != POP3_CMD_QUIT && cmd != POP3_CMD_UTF8;
    cli_job_t *job = is_job ? cli_current(a) : NULL;

    if (cmd == POP3_CMD_AUTH) {
        cli_secret_wipe(&a->sec); /* the core is done with the creds */
        cli_verbose_auth(a, st);
    }
    if (a->fetching) {
        cli_fetch_done(a, cmd, st, r);
        return;
    }
    if (cmd == POP3_CMD_STAT && a->counting) {
        cli_count_done(a, st, r);
        return;
    }
    if (cmd == POP3_CMD_UTF8) {
        st = cli_utf8_done(a, st, r); /* --utf8 refused: a note, not a failure */
    }
    if (st != POP3_OK) {
        cli_fail_cmd(a, cmd, st, r);
        cli_stop(a);
        return;
    }
    if (cmd == POP3_CMD_QUIT || a->stopping) {
        return;
    }
    a->watch.logged_in = a->watch.logged_in || cmd == POP3_CMD_LOGIN || cmd == POP3_CMD_APOP ||
                         cmd == POP3_CMD_AUTH;
    if (cmd == POP3_CMD_CONNECT && cli_utf8_start(a)) {
        return; /* the login or the jobs follow UTF8's reply */
    }
    if ((cmd == POP3_CMD_CONNECT || cmd == POP3_CMD_UTF8) && a->opt.user != NULL) {
        cli_login(a);
        return;
    }
    if (cmd == POP3_CMD_CAPA) {
        cli_verbose_capa(a);
    }
    if (job == NULL && a->opt.fetch) {
        cli_fetch_begin(a);
        return;
    }
    if (job == NULL) {
        cli_begin_jobs(a); /* connected (no login), or logged in */
        return;
    }
    a->inflight--;
    job->done++;
    if ((job->def->print != NULL && !job->def->print(a, job, r)) ||
        (job->done == job->n && job->def->doc && (!cli_doc_begin(a, job) || !cli_doc_end(a, true)))) {
        cli_stop(a);
        return;
    }
    cli_run_more(a);
}

void cli_run(cli_app_t *a)
{
    pop3_status_t st;
    size_t i;
    for (i = 0U; i < a->opt.njobs; i++) {
        a->need_count = a->need_count || a->opt.jobs[i].range;
    }
    st = pop3_posix_connect(&a->port, &a->client, a->opt.host, (uint16_t)a->opt.port);
    if (st != POP3_OK) {
        cli_fail_cmd(a, POP3_CMD_CONNECT, st, NULL);
        return;
    }
    while (pop3_posix_poll(&a->port, cli_watch_poll(a)) == POP3_OK) {
        if (a->want_abort) {
            a->want_abort = false;
            pop3_abort(&a->client);
        }
    }
    st = pop3_session_status(&a->client);
    if (st != POP3_OK) { /* e.g. closed without a pending command to report it */
        cli_fail_status(a, "session", st, NULL);
    }
    (void)cli_doc_end(a, false); /* a listing cut by a failure still ends as valid JSON */
}
