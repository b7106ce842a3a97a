/**
 * @file cli_fetch.c
 * @brief pop3-cli fetch --maildir DIR: UIDL, then RETR of every message not
 *        stored before (a bounded window of them pipelined), each stored
 *        through cli_maildir.c, recorded, then DELE (unless --keep), QUIT.
 *        The guarantee and the order of the steps: cli_fetch.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_fetch.h"

/* RETRs queued at once (the core sends as many as its pipeline depth allows):
 * enough to hide the round trip, few enough that the core's queue
 * (POP3_QUEUE_LEN) keeps room for the DELEs behind them. */
#define CLI_FETCH_WINDOW ((POP3_QUEUE_LEN / 2U) > 0U ? (POP3_QUEUE_LEN / 2U) : 1U)
#define CLI_FETCH_PROGRESS_S 0.2

typedef struct fetch_msg {
    uint32_t num;
    char *uid;                 /* heap; NULL without UIDL (--all) */
    bool stored;               /* this run, or before (in the state file, or its name in new/ or cur/) */
} fetch_msg_t;

typedef enum { FETCH_UIDL, FETCH_STAT, FETCH_RUN } fetch_phase_t;

struct cli_fetch {
    cli_md_t md;
    fetch_phase_t phase;
    fetch_msg_t *msgs;
    size_t nmsgs;
    size_t cap;
    size_t *todo;              /* indexes into msgs, in message order */
    size_t ntodo;
    size_t next_todo;          /* the next to RETR */
    size_t fifo[CLI_FETCH_WINDOW]; /* the RETRs queued and not answered, oldest first */
    size_t fifo_head;
    size_t retr_inflight;
    size_t retr_done;          /* RETR replies seen (the k of the test hooks) */
    uint32_t *dele;            /* message numbers to DELE, stored already */
    size_t ndele;
    size_t next_dele;
    size_t dele_inflight;
    size_t dele_ok;            /* +OK to DELE: deleted once QUIT succeeds */
    size_t stored_new;         /* stored this run */
    uint64_t bytes;            /* octets received in bodies */
    bool body_failed;          /* the Maildir refused a write: md.err says why */
    bool planned;
    bool quit_ok;
    bool tty;
    bool ended;                /* the progress line got its final form and newline */
    double t0;
    double last_draw;
};

#ifdef CLI_FETCH_TEST_HOOKS
/* Test build only: POP3_CLI_TEST_CRASH=STAGE:K dies by SIGKILL at STAGE of the
 * K-th message fetched (body, stored, recorded) or K-th DELE answered (deleted). */
static void fetch_hook(const char *stage, size_t k)
{
    const char *e = getenv("POP3_CLI_TEST_CRASH");
    size_t n = strlen(stage);
    if (e != NULL && strncmp(e, stage, n) == 0 && e[n] == ':' && strtoul(e + n + 1, NULL, 10) == k) {
        fflush(stdout);
        (void)kill(getpid(), SIGKILL);
    }
}
#else
#define fetch_hook(stage, k) ((void)0)
#endif

static double fetch_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- progress and summary ---------------------------------------------- */

static void fetch_human(double v, char *out, size_t out_len)
{
    static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    size_t u = 0U;
    while (v >= 1024.0 && u + 1U < sizeof unit / sizeof unit[0]) {
        v /= 1024.0;
        u++;
    }
    snprintf(out, out_len, u == 0U ? "%.0f %s" : "%.1f %s", v, unit[u]);
}

/* On a terminal only: "fetch: 3/10 messages, 1.2 MiB, 850.0 KiB/s", redrawn in place. */
static void fetch_progress(struct cli_fetch *f, bool final)
{
    char got[32];
    char rate[32];
    double now;
    double dt;
    if (!f->tty || !f->planned || f->ntodo == 0U || f->ended) {
        return;
    }
    now = fetch_now();
    if (!final && now - f->last_draw < CLI_FETCH_PROGRESS_S) {
        return;
    }
    f->last_draw = now;
    dt = now - f->t0 > 0.001 ? now - f->t0 : 0.001;
    fetch_human((double)f->bytes, got, sizeof got);
    fetch_human((double)f->bytes / dt, rate, sizeof rate);
    fprintf(stderr, "\r" CLI_NAME " fetch: %zu/%zu messages, %s, %s/s\033[K%s", f->stored_new,
            f->ntodo, got, rate, final ? "\n" : "");
    fflush(stderr);
    f->ended = final;
}

/* ---- failures ------------------------------------------------------------ */

/* No QUIT after a failure: the DELEs of this run are not committed (the next
 * run deletes what was stored); pop3_abort() runs from the main loop. */
static void fetch_abort(cli_app_t *a)
{
    a->stopping = true;
    a->want_abort = true;
}

static void fetch_local_fail(cli_app_t *a, uint32_t num)
{
    fetch_progress(a->fetch, true); /* the error line goes below it, not onto it */
    cli_fail(a, EXIT_LOCAL, "storing message %" PRIu32 " in %s failed: %s; nothing is deleted "
             "on the server in this run", num, a->opt.maildir, a->fetch->md.err);
    fetch_abort(a);
}

static void fetch_cmd_fail(cli_app_t *a, const char *cmd, uint32_t num, pop3_status_t st,
                           const pop3_reply_t *r)
{
    char label[48];
    snprintf(label, sizeof label, num > 0U ? "%s %" PRIu32 : "%s", cmd, num);
    fetch_progress(a->fetch, true);
    cli_fail_status(a, label, st, r);
    fetch_abort(a);
}

/* ---- the run ------------------------------------------------------------- */

/* DELEs first (stored already), then RETRs up to the window; QUIT when all answered. */
static void fetch_pump(cli_app_t *a)
{
    struct cli_fetch *f = a->fetch;
    pop3_status_t st;
    while (!a->stopping && f->next_dele < f->ndele) {
        st = pop3_dele(&a->client, f->dele[f->next_dele]);
        if (st == POP3_ERR_QUEUE_FULL && f->retr_inflight + f->dele_inflight > 0U) {
            return; /* the rest when replies come */
        }
        if (st != POP3_OK) {
            fetch_cmd_fail(a, "DELE", f->dele[f->next_dele], st, NULL);
            return;
        }
        f->next_dele++;
        f->dele_inflight++;
    }
    while (!a->stopping && f->next_todo < f->ntodo && f->retr_inflight < CLI_FETCH_WINDOW) {
        const fetch_msg_t *m = &f->msgs[f->todo[f->next_todo]];
        st = pop3_retr(&a->client, m->num);
        if (st == POP3_ERR_QUEUE_FULL && f->retr_inflight + f->dele_inflight > 0U) {
            return;
        }
        if (st != POP3_OK) {
            fetch_cmd_fail(a, "RETR", m->num, st, NULL);
            return;
        }
        f->fifo[(f->fifo_head + f->retr_inflight) % CLI_FETCH_WINDOW] = f->todo[f->next_todo];
        f->next_todo++;
        f->retr_inflight++;
    }
    if (!a->stopping && f->next_todo == f->ntodo && f->retr_inflight == 0U &&
        f->next_dele == f->ndele && f->dele_inflight == 0U) {
        cli_stop(a); /* QUIT: commits the DELEs */
    }
}

static int fetch_uid_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Step 3: the state file lists every UID on the server that is stored. */
static bool fetch_save_state(cli_app_t *a)
{
    struct cli_fetch *f = a->fetch;
    char **uids = malloc((f->nmsgs > 0U ? f->nmsgs : 1U) * sizeof *uids);
    size_t n = 0U;
    size_t i;
    bool ok;
    if (uids == NULL) {
        snprintf(f->md.err, sizeof f->md.err, "out of memory");
        return false;
    }
    for (i = 0U; i < f->nmsgs; i++) {
        if (f->msgs[i].stored && f->msgs[i].uid != NULL) {
            uids[n++] = f->msgs[i].uid;
        }
    }
    ok = cli_md_save_state(&f->md, uids, n);
    free(uids);
    return ok;
}

/* A UID listed twice would make "stored" ambiguous, and a DELE could then hit
 * a message never stored: refused. */
static bool fetch_uids_unique(cli_app_t *a)
{
    struct cli_fetch *f = a->fetch;
    char **u = malloc((f->nmsgs > 0U ? f->nmsgs : 1U) * sizeof *u);
    size_t i;
    bool ok = true;
    if (u == NULL) {
        cli_fail(a, EXIT_INTERNAL, "out of memory");
        return false;
    }
    for (i = 0U; i < f->nmsgs; i++) {
        u[i] = f->msgs[i].uid;
    }
    qsort(u, f->nmsgs, sizeof *u, fetch_uid_cmp);
    for (i = 1U; ok && i < f->nmsgs; i++) {
        if (strcmp(u[i - 1U], u[i]) == 0) {
            char s[80];
            cli_sanitize_cut(s, sizeof s, u[i], strlen(u[i]));
            cli_fail(a, EXIT_PROTOCOL, "UIDL lists the unique ID '%s' twice; refusing to fetch "
                     "(a DELE could remove a message that was not stored)", s);
            ok = false;
        }
    }
    free(u);
    return ok;
}

/* After UIDL (or STAT with --all): what is stored already is deleted (unless
 * --keep), the rest is fetched. */
static void fetch_plan(cli_app_t *a)
{
    struct cli_fetch *f = a->fetch;
    size_t i;
    if (f->phase == FETCH_UIDL) {
        if (!fetch_uids_unique(a)) {
            cli_stop(a);
            return;
        }
    }
    f->todo = malloc((f->nmsgs > 0U ? f->nmsgs : 1U) * sizeof *f->todo);
    f->dele = malloc((f->nmsgs > 0U ? f->nmsgs : 1U) * sizeof *f->dele);
    if (f->todo == NULL || f->dele == NULL) {
        cli_fail(a, EXIT_INTERNAL, "out of memory");
        cli_stop(a);
        return;
    }
    for (i = 0U; i < f->nmsgs; i++) {
        fetch_msg_t *m = &f->msgs[i];
        m->stored = m->uid != NULL && cli_md_known(&f->md, m->uid);
        if (!m->stored) {
            f->todo[f->ntodo++] = i;
        } else if (!a->opt.keep) {
            f->dele[f->ndele++] = m->num;
        }
    }
    /* Records what a killed run stored unrecorded, and forgets UIDs the server no longer has. */
    if (f->phase == FETCH_UIDL && !fetch_save_state(a)) {
        cli_fail(a, EXIT_LOCAL, "%s", f->md.err);
        cli_stop(a);
        return;
    }
    f->phase = FETCH_RUN;
    f->planned = true;
    f->t0 = f->last_draw = fetch_now();
    fetch_pump(a);
}

static void fetch_retr_done(cli_app_t *a, pop3_status_t st, const pop3_reply_t *r)
{
    struct cli_fetch *f = a->fetch;
    fetch_msg_t *m;
    if (f->retr_inflight == 0U) {
        return;
    }
    m = &f->msgs[f->fifo[f->fifo_head]];
    f->fifo_head = (f->fifo_head + 1U) % CLI_FETCH_WINDOW;
    f->retr_inflight--;
    f->retr_done++;
    if (a->stopping) {
        cli_md_discard(&f->md);
        return;
    }
    if (st != POP3_OK) {
        cli_md_discard(&f->md); /* a partial body is never renamed into new/ */
        if (f->body_failed) {
            fetch_local_fail(a, m->num);
        } else {
            fetch_cmd_fail(a, "RETR", m->num, st, r);
        }
        return;
    }
    if ((f->md.fd < 0 && !cli_md_begin(&f->md, m->uid)) || !cli_md_commit(&f->md)) {
        fetch_local_fail(a, m->num);
        return;
    }
    m->stored = true;
    f->stored_new++;
    fetch_hook("stored", f->retr_done);
    if (m->uid != NULL && !fetch_save_state(a)) {
        fetch_local_fail(a, m->num);
        return;
    }
    fetch_hook("recorded", f->retr_done);
    if (!a->opt.keep) {
        f->dele[f->ndele++] = m->num;
    }
    fetch_progress(f, false);
    fetch_pump(a);
}

/* --all on a server without UIDL: messages 1..count, none known. */
static bool fetch_all_msgs(cli_app_t *a, uint32_t count)
{
    struct cli_fetch *f = a->fetch;
    fetch_msg_t *m;
    uint32_t i;
    for (i = 0U; i < f->nmsgs; i++) {
        free(f->msgs[i].uid); /* a refused UIDL listed none; freed all the same */
    }
    f->nmsgs = 0U;
    m = count > 0U ? realloc(f->msgs, count * sizeof *m) : f->msgs;
    if (count > 0U && m == NULL) {
        cli_fail(a, EXIT_INTERNAL, "out of memory");
        return false;
    }
    f->msgs = m;
    for (i = 0U; i < count; i++) {
        m[i].num = i + 1U;
        m[i].uid = NULL;
        m[i].stored = false;
    }
    f->nmsgs = count;
    return true;
}

static void fetch_listing_done(cli_app_t *a, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    struct cli_fetch *f = a->fetch;
    if (cmd == POP3_CMD_UIDL && st == POP3_ERR_SERVER && !a->opt.fetch_all) {
        char text[CLI_TEXT_MAX];
        cli_sanitize_cut(text, sizeof text, r->text != NULL ? r->text : "",
                         r->text != NULL ? cli_chomp_len(r->text, r->text_len) : 0U);
        cli_fail(a, EXIT_SERVER, "fetch: the server refused UIDL (-ERR %s): without unique IDs new "
                 "messages cannot be told from those fetched before; --all fetches every message "
                 "(and deletes it unless --keep)", text);
        cli_stop(a);
        return;
    }
    if (cmd == POP3_CMD_UIDL && st == POP3_ERR_SERVER) {
        f->phase = FETCH_STAT;
        if ((st = pop3_stat(&a->client)) != POP3_OK) {
            fetch_cmd_fail(a, "STAT", 0U, st, NULL);
        }
        return;
    }
    if (st != POP3_OK) {
        fetch_cmd_fail(a, cmd == POP3_CMD_UIDL ? "UIDL" : "STAT", 0U, st, r);
        return;
    }
    if (cmd == POP3_CMD_STAT && !fetch_all_msgs(a, r->count)) {
        cli_stop(a);
        return;
    }
    fetch_plan(a);
}

void cli_fetch_done(cli_app_t *a, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    struct cli_fetch *f = a->fetch;
    if (cmd == POP3_CMD_RETR) {
        fetch_retr_done(a, st, r);
    } else if (cmd == POP3_CMD_QUIT) {
        f->quit_ok = st == POP3_OK;
        if (st != POP3_OK) {
            cli_fail_status(a, "QUIT", st, r);
        }
    } else if (a->stopping) {
        return; /* commands queued behind a failure, ended by the abort */
    } else if (cmd == POP3_CMD_DELE) {
        uint32_t num = f->dele[f->next_dele - f->dele_inflight]; /* answered in queue order */
        f->dele_inflight--;
        if (st != POP3_OK) {
            fetch_cmd_fail(a, "DELE", num, st, r);
            return;
        }
        f->dele_ok++;
        fetch_hook("deleted", f->dele_ok);
        fetch_pump(a);
    } else if (cmd == POP3_CMD_UIDL || cmd == POP3_CMD_STAT) {
        fetch_listing_done(a, cmd, st, r);
    } else if (st != POP3_OK) {
        fetch_cmd_fail(a, pop3_cmd_name(cmd), 0U, st, r);
    }
}

pop3_cb_action_t cli_fetch_on_uidl(void *ctx, uint32_t msg, const char *uid, size_t uid_len)
{
    cli_app_t *a = ctx;
    struct cli_fetch *f = a->fetch;
    if (f->nmsgs == f->cap) {
        size_t cap = f->cap == 0U ? 64U : f->cap * 2U;
        fetch_msg_t *m = realloc(f->msgs, cap * sizeof *m);
        if (m == NULL) {
            return POP3_CB_ABORT;
        }
        f->msgs = m;
        f->cap = cap;
    }
    f->msgs[f->nmsgs].num = msg;
    f->msgs[f->nmsgs].stored = false;
    f->msgs[f->nmsgs].uid = malloc(uid_len + 1U);
    if (f->msgs[f->nmsgs].uid == NULL) {
        return POP3_CB_ABORT;
    }
    memcpy(f->msgs[f->nmsgs].uid, uid, uid_len);
    f->msgs[f->nmsgs].uid[uid_len] = '\0';
    f->nmsgs++;
    return POP3_CB_CONTINUE;
}

/* Bodies come in RETR order: this one belongs to the oldest RETR on the wire. */
pop3_cb_action_t cli_fetch_on_body(void *ctx, const char *data, size_t len)
{
    cli_app_t *a = ctx;
    struct cli_fetch *f = a->fetch;
    const fetch_msg_t *m;
    if (a->stopping || f->body_failed || f->retr_inflight == 0U) {
        return POP3_CB_CONTINUE; /* behind a failure: dropped, its tmp file removed at on_done */
    }
    m = &f->msgs[f->fifo[f->fifo_head]];
    if ((f->md.fd < 0 && !cli_md_begin(&f->md, m->uid)) || !cli_md_write(&f->md, data, len)) {
        f->body_failed = true;
        return POP3_CB_ABORT;
    }
    f->bytes += len;
    fetch_hook("body", f->retr_done + 1U);
    fetch_progress(f, false);
    return POP3_CB_CONTINUE;
}

/* ---- set-up and end ------------------------------------------------------ */

/* The account's server: HOST, or HOST:PORT unless the port is 110 or 995
 * (one mailbox over STLS and POP3S). Two servers on one host must not share
 * UIDs: a DELE could then hit a message of the other that was never stored. */
static char *fetch_server_name(const cli_app_t *a)
{
    size_t n = strlen(a->opt.host) + 16U;
    char *s = malloc(n);
    bool std_port = a->opt.port == 110U || a->opt.port == 995U;
    if (s != NULL) {
        snprintf(s, n, std_port ? "%s" : strchr(a->opt.host, ':') != NULL ? "[%s]:%" PRIu32 : "%s:%" PRIu32,
                 a->opt.host, a->opt.port);
    }
    return s;
}

int cli_fetch_prepare(cli_app_t *a)
{
    struct cli_fetch *f = calloc(1U, sizeof *f);
    char *server = fetch_server_name(a);
    bool ok;
    if (f == NULL || server == NULL) {
        free(f);
        free(server);
        fputs(CLI_NAME ": out of memory\n", stderr);
        return EXIT_INTERNAL;
    }
    a->fetch = f;
    f->tty = isatty(STDERR_FILENO) != 0;
    ok = cli_md_open(&f->md, a->opt.maildir, a->opt.state_file, a->opt.user, server);
    free(server);
    if (!ok) {
        fprintf(stderr, CLI_NAME ": fetch: %s\n", f->md.err);
        return EXIT_LOCAL;
    }
    if (f->md.stale_removed > 0U) {
        fprintf(stderr, CLI_NAME ": fetch: removed %zu partial message%s left in tmp/ by an "
                "interrupted run\n", f->md.stale_removed, f->md.stale_removed == 1U ? "" : "s");
    }
    if (f->md.repaired > 0U) {
        fprintf(stderr, CLI_NAME ": fetch: %zu message%s stored by an interrupted run but not "
                "recorded: found in the Maildir, not fetched again\n", f->md.repaired,
                f->md.repaired == 1U ? "" : "s");
    }
    return EXIT_OK;
}

void cli_fetch_begin(cli_app_t *a)
{
    pop3_status_t st = pop3_uidl(&a->client, 0U);
    a->fetching = true;
    a->fetch->phase = FETCH_UIDL;
    if (st != POP3_OK) {
        fetch_cmd_fail(a, "UIDL", 0U, st, NULL);
    }
}

void cli_fetch_finish(cli_app_t *a)
{
    struct cli_fetch *f = a->fetch;
    size_t i;
    if (f == NULL) {
        return;
    }
    if (f->planned) {
        char got[32];
        fetch_progress(f, true);
        fetch_human((double)f->bytes, got, sizeof got);
        printf(CLI_NAME " fetch: %zu new message%s stored in %s (%s received); ", f->stored_new,
               f->stored_new == 1U ? "" : "s", a->opt.maildir, got);
        if (a->opt.keep) {
            printf("all kept on the server (--keep)\n");
        } else if (f->quit_ok) {
            printf("%zu deleted from the server\n", f->dele_ok);
        } else {
            printf("none deleted from the server (the session ended without QUIT; the next run "
                   "deletes what was stored)\n");
        }
    }
    cli_md_close(&f->md);
    for (i = 0U; i < f->nmsgs; i++) {
        free(f->msgs[i].uid);
    }
    free(f->msgs);
    free(f->todo);
    free(f->dele);
    free(f);
    a->fetch = NULL;
}
