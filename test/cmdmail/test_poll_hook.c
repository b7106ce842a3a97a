/* The poll's completion hook (cmdmail_poll_config_t::on_done) against the
 * in-memory POP3 server (poll_rig.h). Checked: the hook sees every completion
 * exactly once and in order -- the same list the rig records between the
 * client and the poll, and the list the mailbox and policy predict (CONNECT,
 * LOGIN, UIDL per batch, RETR and DELE of each message, QUIT) -- with failures
 * (login refused, -ERR to UIDL, to one RETR, to QUIT) and a connection lost
 * inside a RETR; that it fires before the poll acts (that message's
 * on_message and the poll's on_end come after it, the poll's status is not
 * set yet); that it gets cfg.ctx and the server's text; that a NULL hook
 * gives the same poll (stats, commands run, completions) as a hook. */
#include <stdio.h>
#include <string.h>

#include "poll_rig.h"
#include "poll_check.h"


/* What the hook saw at each call, and the state of the poll then. */
typedef struct {
    pop3_cmd_t cmd;
    pop3_status_t st;
    bool ctx_ok;              /* ctx was cfg.ctx */
    unsigned nseen;           /* on_message calls so far */
    unsigned end_calls;       /* on_end calls so far */
    pop3_status_t poll_status; /* cmdmail_poll_stats() then */
    pop3_state_t state;       /* pop3_state() then */
    char text[64];            /* the reply's text, copied */
} hook_rec_t;

#define MAX_REC 256
static hook_rec_t rec[MAX_REC];
static unsigned nrec;
static bool rec_overflow;

static void hook(void *c, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *reply)
{
    hook_rec_t *h;
    size_t n;
    if (nrec >= MAX_REC) {
        rec_overflow = true;
        return;
    }
    h = &rec[nrec++];
    memset(h, 0, sizeof(*h));
    h->cmd = cmd;
    h->st = st;
    h->ctx_ok = c == &R;
    h->nseen = R.nseen;
    h->end_calls = R.end_calls;
    h->poll_status = cmdmail_poll_stats(&R.p)->status;
    h->state = pop3_state(&R.c);
    n = reply->text_len < sizeof(h->text) - 1 ? reply->text_len : sizeof(h->text) - 1;
    if (n > 0)
        memcpy(h->text, reply->text, n);
}

/* The completions a poll must report, built from the mailbox and the policy. */
typedef struct { pop3_cmd_t cmd; pop3_status_t st; } exp_t;
static exp_t want[MAX_REC];
static unsigned nwant;

static void expect(pop3_cmd_t cmd, pop3_status_t st)
{
    if (nwant < MAX_REC) {
        want[nwant].cmd = cmd;
        want[nwant].st = st;
    }
    nwant++;
}

static bool deletes(cmdmail_poll_policy_t pol, cmdmail_verdict_t v)
{
    return v == CMDMAIL_ACCEPTED ? pol.delete_accepted : pol.delete_refused;
}

/* A poll of messages [0, upto) of a fresh box: a UIDL before each batch, RETR
 * (with -ERR for message retr_err, 1-based) and DELE by policy. */
static void expect_session(const pm_msg_t *box, unsigned upto, cmdmail_poll_policy_t pol, unsigned retr_err)
{
    unsigned i;
    nwant = 0;
    expect(POP3_CMD_CONNECT, POP3_OK);
    expect(POP3_CMD_LOGIN, POP3_OK);
    for (i = 0; i < upto; i++) {
        bool bad = i + 1 == retr_err;
        if (i % CMDMAIL_POLL_BATCH == 0)
            expect(POP3_CMD_UIDL, POP3_OK);
        expect(POP3_CMD_RETR, bad ? POP3_ERR_SERVER : POP3_OK);
        if (!bad && deletes(pol, box[i].verdict))
            expect(POP3_CMD_DELE, POP3_OK);
    }
}

/* The hook saw exactly what the client reported (the rig's record) and what
 * the mailbox predicts, once each, in order; each before the poll acted. */
static void check_hook(void)
{
    unsigned i, retrs = 0;
    bool failed = false;
    CHECK(!rec_overflow && !R.done_overflow && nwant <= MAX_REC);
    CHECK_EQ(nrec, R.ndone);
    CHECK_EQ(nrec, nwant);
    for (i = 0; i < nrec && i < R.ndone && i < nwant; i++) {
        CHECK_EQ(rec[i].cmd, R.done[i].cmd);
        CHECK_EQ(rec[i].st, R.done[i].st);
        CHECK_EQ(rec[i].cmd, want[i].cmd);
        CHECK_EQ(rec[i].st, want[i].st);
        CHECK(rec[i].ctx_ok);
        CHECK_EQ(rec[i].end_calls, 0);         /* on_end comes after the last one */
        if (!failed) /* up to the first failure: the poll has not recorded it yet */
            CHECK_EQ(rec[i].poll_status, POP3_OK);
        failed = failed || (rec[i].st != POP3_OK && rec[i].cmd != POP3_CMD_RETR);
        if (rec[i].cmd == POP3_CMD_RETR)
            CHECK_EQ(rec[i].nseen, retrs++);   /* this message's on_message comes after */
    }
    CHECK_EQ(R.end_calls, 1);
    CHECK(cmdmail_poll_finished(&R.p));
}

static void start(const char *name, const pm_msg_t *box, unsigned n, cmdmail_poll_policy_t pol, bool with_hook)
{
    snprintf(ctx, sizeof(ctx), "%s%s", name, with_hook ? "" : ", NULL hook");
    rig_init(&R, box, n, pol);
    R.split = 9;
    R.hook = with_hook ? hook : NULL;
    R.power = &no_cut;
    CHECK(rig_boot(&R));
    nrec = 0;
    rec_overflow = false;
}

static void done(unsigned bad)
{
    rig_power_off(&R);
    if ((unsigned)failures == bad)
        printf("ok   %s\n", ctx);
}

/* A whole poll, both with the hook and without: the hook changes nothing. */
static void test_whole(cmdmail_poll_policy_t pol)
{
    static cmdmail_poll_stats_t st0;
    static rig_ran_t ran0[RIG_MAX_RAN];
    static exp_t done0[RIG_MAX_DONE];
    unsigned n = PM_MIXED_N, nran0, ndone0, i, bad = (unsigned)failures;
    char name[64];
    snprintf(name, sizeof(name), "whole poll, delete %d/%d", pol.delete_accepted, pol.delete_refused);
    start(name, PM_MIXED, n, pol, false);
    rig_poll(&R);
    CHECK_EQ(nrec, 0);
    st0 = R.end;
    nran0 = R.nran;
    memcpy(ran0, R.ran, sizeof(ran0));
    ndone0 = R.ndone;
    for (i = 0; i < R.ndone; i++) {
        done0[i].cmd = R.done[i].cmd;
        done0[i].st = R.done[i].st;
    }
    done(bad);

    bad = (unsigned)failures;
    start(name, PM_MIXED, n, pol, true);
    rig_poll(&R);
    expect_session(PM_MIXED, n, pol, 0);
    expect(POP3_CMD_QUIT, POP3_OK);
    check_hook();
    CHECK_EQ(R.end.status, POP3_OK);
    CHECK_EQ(R.nseen, n);
    /* the same poll as without the hook */
    CHECK(memcmp(&R.end, &st0, sizeof(st0)) == 0);
    CHECK_EQ(R.nran, nran0);
    CHECK(memcmp(R.ran, ran0, sizeof(ran0)) == 0);
    CHECK_EQ(R.ndone, ndone0);
    for (i = 0; i < R.ndone && i < ndone0; i++)
        CHECK(R.done[i].cmd == done0[i].cmd && R.done[i].st == done0[i].st);
    for (i = 0; i < nrec; i++)
        if (rec[i].cmd == POP3_CMD_QUIT)
            CHECK(strcmp(rec[i].text, "bye") == 0);
    done(bad);
}

static void test_login_refused(void)
{
    unsigned bad = (unsigned)failures;
    start("login refused", PM_MIXED, PM_MIXED_N, DELETE_ALL, true);
    R.srv.pass = "not-the-password";
    rig_poll(&R);
    nwant = 0;
    expect(POP3_CMD_CONNECT, POP3_OK);
    expect(POP3_CMD_LOGIN, POP3_ERR_AUTH);
    expect(POP3_CMD_QUIT, POP3_OK);
    check_hook();
    CHECK_EQ(R.end.status, POP3_ERR_AUTH);
    CHECK(nrec >= 2 && strstr(rec[1].text, "invalid password") != NULL);
    done(bad);
}

static void test_uidl_err(void)
{
    unsigned bad = (unsigned)failures;
    start("-ERR to UIDL", PM_MIXED, PM_MIXED_N, KEEP, true);
    R.srv.uidl_err = true;
    rig_poll(&R);
    nwant = 0;
    expect(POP3_CMD_CONNECT, POP3_OK);
    expect(POP3_CMD_LOGIN, POP3_OK);
    expect(POP3_CMD_UIDL, POP3_ERR_SERVER);
    expect(POP3_CMD_QUIT, POP3_OK);
    check_hook();
    CHECK(nrec >= 3 && strstr(rec[2].text, "no listing now") != NULL);
    done(bad);
}

/* -ERR to the RETR of message 3: the hook sees it, the poll goes on. */
static void test_retr_err(void)
{
    unsigned n = PM_MIXED_N, bad = (unsigned)failures, i;
    start("-ERR to RETR 3", PM_MIXED, n, DELETE_ALL, true);
    R.srv.retr_err = 3;
    rig_poll(&R);
    expect_session(PM_MIXED, n, DELETE_ALL, 3);
    expect(POP3_CMD_QUIT, POP3_OK);
    check_hook();
    CHECK_EQ(R.end.status, POP3_OK);
    for (i = 0; i < nrec; i++)
        if (rec[i].st == POP3_ERR_SERVER)
            CHECK(rec[i].cmd == POP3_CMD_RETR && rec[i].nseen == 2 &&
                  strcmp(rec[i].text, "cannot read that message") == 0);
    done(bad);
}

/* The connection is lost inside the RETR of message 3: that completion is the last. */
static void test_lost(void)
{
    unsigned bad = (unsigned)failures;
    start("connection lost in RETR 3", PM_MIXED, PM_MIXED_N, DELETE_ALL, true);
    R.drop_msg = 3;
    R.drop_after = strlen(PM_MIXED[2].text) / 2;
    rig_poll(&R);
    expect_session(PM_MIXED, 2, DELETE_ALL, 0);
    expect(POP3_CMD_RETR, POP3_ERR_TRANSPORT);
    check_hook();
    CHECK_EQ(R.end.status, POP3_ERR_TRANSPORT);
    CHECK(nrec > 0 && rec[nrec - 1].state == POP3_STATE_CLOSED);
    done(bad);
}

static void test_quit_err(void)
{
    unsigned n = PM_MIXED_N, bad = (unsigned)failures;
    start("-ERR to QUIT", PM_MIXED, n, DELETE_ALL, true);
    R.srv.quit_err = true;
    rig_poll(&R);
    expect_session(PM_MIXED, n, DELETE_ALL, 0);
    expect(POP3_CMD_QUIT, POP3_ERR_SERVER);
    check_hook();
    CHECK_EQ(R.end.status, POP3_ERR_SERVER);
    CHECK(nrec > 0 && strstr(rec[nrec - 1].text, "not removed") != NULL);
    done(bad);
}

int main(void)
{
    if (setjmp(no_cut) != 0) { /* the rig cuts the power only when asked to (cut_at) */
        printf("FAIL: unexpected power cut\n");
        return 1;
    }
    test_whole(KEEP);
    test_whole(DELETE_ALL);
    test_login_refused();
    test_uidl_err();
    test_retr_err();
    test_lost();
    test_quit_err();
    printf("%s (%d failures)\n", failures ? "FAILED" : "all poll hook tests passed", failures);
    return failures ? 1 : 0;
}
