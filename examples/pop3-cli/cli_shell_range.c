/**
 * @file cli_shell_range.c
 * @brief pop3-cli's shell: message ranges typed as in one-shot runs
 *        ("retr 1-3", "dele all", "top 2-4 0", "list 1-3", "uidl all").
 *
 * The range is parsed and resolved by the code of one-shot runs
 * (cli_job_range(), cli_job_resolve()), after a STAT whose reply is not
 * shown (-v traces it): "all" becomes 1..count, a range past the last message
 * is refused before any of it is sent. STAT leaves out messages marked
 * deleted, whose numbers stay taken (RFC 1939), so the DELEs the shell saw
 * succeed since the login or RSET are added to its count. Then one command
 * per message, each queued once the previous reply ended and shown as the
 * server sent it; the shell reads the next line only after the last. A -ERR
 * (a deleted message, say) does not stop a RETR/TOP/LIST/UIDL range; a DELE
 * range stops at the first one, as in one-shot runs.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_shell.h"

/* Strictly decimal (cli_shell.h). */
bool cli_sh_u32(const char *s, bool zero_ok, uint32_t *out)
{
    uint64_t v = 0U;
    if (s == NULL || *s == '\0') {
        return false;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || (v = v * 10U + (uint64_t)(*s - '0')) > UINT32_MAX) {
            return false;
        }
    }
    if (v == 0U && !zero_ok) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

/** Queues the next command of the range (sh->job.sent); false if refused (reported). */
static bool sh_range_next(cli_app_t *a, cli_shell_t *sh)
{
    cli_job_t *job = &sh->job;
    pop3_status_t st;
    cli_job_label(job, job->sent, sh->label, sizeof sh->label);
    sh->show = true;
    sh->got_line = false;
    sh->bol = true;
    sh->cr = false;
    sh->body = job->def->f1 == pop3_retr || job->def->f2 == pop3_top;
    st = cli_job_start(&a->client, job);
    if (st != POP3_OK) {
        sh->body = false;
        sh->range = false;
        sh->busy = false;
        cli_sh_say("%s: %s", sh->label, pop3_status_str(st));
        return false;
    }
    return true;
}

/** Queues the STAT that resolves @p job; not POP3_OK: nothing queued. */
static pop3_status_t sh_range_begin(cli_app_t *a, cli_shell_t *sh, const cli_job_t *job)
{
    pop3_status_t st = pop3_stat(&a->client);
    if (st == POP3_OK) {
        sh->job = *job;
        sh->job.sent = 0U;
        sh->job.done = 0U;
        sh->range = true;
        sh->counting = true;
        sh->show = false; /* the STAT is the shell's own: traced with -v, not shown */
        sh->body = false;
    }
    return st;
}

/* "retr 1-3", "top all 0", "dele all", "list all" typed (cli_shell.h). */
bool cli_sh_range(cli_app_t *a, cli_shell_t *sh, const cli_cmd_def_t *d, const char **w0, const char *w1,
                  bool more, pop3_status_t *st, bool *sent)
{
    cli_job_t job;
    char why[200];
    memset(&job, 0, sizeof job);
    job.def = d;
    switch (cli_job_range(&job, *w0, why, sizeof why)) {
    case CLI_RANGE_NO:
        return false;
    case CLI_RANGE_WHOLE:
        *w0 = NULL; /* "list all 2": a usage error below */
        return false;
    case CLI_RANGE_BAD:
        cli_sh_say("%s", why);
        return true;
    default:
        break;
    }
    if (more || (d->max_args < 2U) != (w1 == NULL) || (w1 != NULL && !cli_sh_u32(w1, true, &job.arg[1]))) {
        cli_sh_say("%s: usage: %s FIRST-LAST%s or %s all%s", sh->label, d->name, d->max_args > 1U ? " LINES" : "",
                   d->name, d->max_args > 1U ? " LINES" : "");
        return true;
    }
    job.nargs = d->max_args > 1U ? 2U : 1U;
    *sent = true;
    *st = sh_range_begin(a, sh, &job);
    return true;
}

bool cli_sh_range_done(cli_app_t *a, cli_shell_t *sh, pop3_status_t st, const pop3_reply_t *r)
{
    cli_job_t *job = &sh->job;
    char why[200];
    if (sh->counting) {
        sh->counting = false;
        if (st != POP3_OK || r == NULL) {
            sh->range = false;
            sh->busy = false;
            cli_sh_say("%s: STAT (the message count for the range) failed: %s; nothing else sent",
                       sh->label, pop3_status_str(st));
            return true;
        }
        if (!cli_job_resolve(job, r->count + sh->deleted < r->count ? UINT32_MAX : r->count + sh->deleted, why,
                             sizeof why) || job->n == 0U) {
            if (job->n == 0U) { /* "all" on an empty mailbox */
                snprintf(why, sizeof why, "%s all: the mailbox is empty; no command was run", job->def->name);
            }
            sh->range = false;
            sh->busy = false;
            cli_sh_say("%s", why);
            return true;
        }
        (void)sh_range_next(a, sh);
        return true;
    }
    job->sent++;
    if (st == POP3_OK) {
        job->done++;
    }
    if ((st != POP3_OK && job->def->f1 == pop3_dele) || job->sent == job->n) {
        sh->range = false;
        if (st != POP3_OK && job->sent < job->n) {
            cli_sh_say("%s: the rest of the range (%" PRIu32 " more) was not sent", sh->label,
                       job->n - job->sent);
        }
        return false; /* the usual end of a command: its report, the next line */
    }
    (void)sh_range_next(a, sh);
    return true;
}
