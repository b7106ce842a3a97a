/* The poll driver (cmdmail_poll.h) against an in-memory POP3 server, with a
 * real cmdmail_t on a two-slot NV in RAM (poll_rig.h). Mailboxes (poll_mail.h,
 * signed by gen_poll_mail.py with Python's hmac) hold valid, replayed,
 * out-of-order, unsigned, tampered, wrong-key and wrong-device messages, some
 * quoted-printable or base64, with lines the server must dot-stuff. Checked:
 * exactly the valid commands run, once, in order; each message's verdict;
 * the stats of every poll exactly; the policies (keep, delete accepted,
 * delete refused, both) over two polls and a reboot; a mailbox larger than
 * CMDMAIL_POLL_BATCH, listed in order and in reverse; new mail between
 * polls; more mail than the seen-UID table; -ERR to one RETR, to a DELE, to
 * UIDL, to QUIT; the connection lost inside a RETR; login refused; an NV write that
 * fails; every whole RETR delivers its message octet for octet (the server
 * dot-stuffs, the client unstuffs). Replies reach the client whole in
 * two halves, or in random pieces (1 to 900 octets) from several seeds. */
#include <stdio.h>
#include <string.h>

#include "poll_rig.h"
#include "poll_check.h"


typedef struct {
    unsigned listed, skipped, fetched, accepted, refused, commands, deleted;
    pop3_status_t status;
    pop3_cmd_t failed_cmd;
    bool nv_error;
} want_t;

static void check_stats(const rig_t *r, const want_t *w)
{
    const cmdmail_poll_stats_t *s = &r->end;
    CHECK(!r->stalled);
    CHECK_EQ(r->end_calls, 1);
    CHECK_EQ(s->listed, w->listed);
    CHECK_EQ(s->skipped, w->skipped);
    CHECK_EQ(s->fetched, w->fetched);
    CHECK_EQ(s->accepted, w->accepted);
    CHECK_EQ(s->refused, w->refused);
    CHECK_EQ(s->commands, w->commands);
    CHECK_EQ(s->deleted, w->deleted);
    CHECK_EQ(s->status, w->status);
    if (w->status != POP3_OK)
        CHECK_EQ(s->failed_cmd, w->failed_cmd);
    CHECK_EQ(s->nv_error, w->nv_error);
    CHECK(memcmp(s, cmdmail_poll_stats(&r->p), sizeof(*s)) == 0);
    CHECK_EQ(r->bodies_bad, 0); /* every whole RETR delivered its message exactly */
    CHECK_EQ(r->srv.protocol_errors, 0);
    if (failures > 0 && failures <= 40 && r->trace_len > 0)
        printf("--- last trace lines ---\n%s------\n", r->trace);
}

#define ALL (~0U)
/* The run log holds, from entry `from` on, exactly the commands of the valid
 * blocks of box[0..n-1] but box[skip], in order. */
static void check_ran(const rig_t *r, unsigned from, const pm_msg_t *box, unsigned n, unsigned skip)
{
    unsigned i, j, k = from;
    CHECK(!r->ran_overflow);
    for (i = 0; i < n; i++) {
        if (box[i].verdict != CMDMAIL_ACCEPTED || i == skip)
            continue;
        for (j = 0; j < box[i].ncmds; j++, k++) {
            if (k >= r->nran) {
                CHECK(k < r->nran);
                return;
            }
            CHECK_EQ(r->ran[k].seq, box[i].seq);
            CHECK_EQ(r->ran[k].index, j);
            CHECK(strcmp(r->ran[k].cmd, box[i].cmds[j]) == 0);
        }
    }
    CHECK_EQ(r->nran, k);
}

static void boot(rig_t *r)
{
    r->power = &no_cut;
    CHECK(rig_boot(r));
}

static unsigned count_verdict(const pm_msg_t *box, unsigned n, bool accepted)
{
    unsigned i, k = 0;
    for (i = 0; i < n; i++)
        k += (box[i].verdict == CMDMAIL_ACCEPTED) == accepted;
    return k;
}

static unsigned count_cmds(const pm_msg_t *box, unsigned n)
{
    unsigned i, k = 0;
    for (i = 0; i < n; i++)
        k += box[i].verdict == CMDMAIL_ACCEPTED ? box[i].ncmds : 0U;
    return k;
}

static uint64_t max_seq(const pm_msg_t *box, unsigned n)
{
    unsigned i;
    uint64_t m = 0;
    for (i = 0; i < n; i++)
        if (box[i].verdict == CMDMAIL_ACCEPTED && box[i].seq > m)
            m = box[i].seq;
    return m;
}

static bool deletes(cmdmail_poll_policy_t pol, cmdmail_verdict_t v)
{
    return v == CMDMAIL_ACCEPTED ? pol.delete_accepted : pol.delete_refused;
}

/* Verdict, Seq and the deleting flag of every message of the last poll, in box order. */
static void check_seen(const rig_t *r, const pm_msg_t *box, unsigned n)
{
    unsigned i;
    CHECK_EQ(r->nseen, n);
    for (i = 0; i < n && i < r->nseen; i++) {
        CHECK(strcmp(r->seen[i].uid, box[i].uid) == 0);
        CHECK_EQ(r->seen[i].verdict, box[i].verdict);
        if (box[i].seq != 0)
            CHECK_EQ(r->seen[i].seq, box[i].seq);
        CHECK_EQ(r->seen[i].retr_status, POP3_OK);
        CHECK_EQ(r->seen[i].deleting, deletes(r->policy, box[i].verdict));
    }
}

/* After everything was handled: a poll downloads nothing and runs nothing. */
static void check_quiet_poll(rig_t *r, unsigned on_server)
{
    unsigned before = r->nran;
    want_t w = {on_server, on_server, 0, 0, 0, 0, 0, POP3_OK, POP3_CMD_CONNECT, false};
    rig_poll(r);
    check_stats(r, &w);
    CHECK_EQ(r->nseen, 0);
    CHECK_EQ(r->nran, before);
    CHECK_EQ(ps_count(&r->srv), on_server);
}

static void test_policies(const pm_msg_t *box, unsigned n, const char *name)
{
    static const cmdmail_poll_policy_t pols[4] = {{false, false}, {true, false}, {false, true}, {true, true}};
    unsigned pi, split, i;
    for (pi = 0; pi < 4; pi++) {
        for (split = 0; split < 4; split++) {
            cmdmail_poll_policy_t pol = pols[pi];
            unsigned acc = count_verdict(box, n, true), ref = n - acc, left = 0, bad = (unsigned)failures;
            unsigned deleted = (pol.delete_accepted ? acc : 0) + (pol.delete_refused ? ref : 0);
            want_t w = {n, 0, n, acc, ref, count_cmds(box, n), deleted, POP3_OK, POP3_CMD_CONNECT, false};
            snprintf(ctx, sizeof(ctx), "%s, delete accepted %d refused %d, split %u", name, pol.delete_accepted,
                     pol.delete_refused, split);
            rig_init(&R, box, n, pol);
            R.split = split;
            boot(&R);
            CHECK_EQ(R.boot_pending, 0);
            rig_poll(&R);
            check_stats(&R, &w);
            check_seen(&R, box, n);
            check_ran(&R, 0, box, n, ALL);
            CHECK_EQ(R.bodies_ok, n);
            for (i = 0; i < n; i++) {
                CHECK_EQ(ps_has(&R.srv, box[i].uid), !deletes(pol, box[i].verdict));
                left += !deletes(pol, box[i].verdict);
            }
            CHECK_EQ(ps_count(&R.srv), left);
            /* a second poll with the same state, then one after a reboot from NV */
            check_quiet_poll(&R, left);
            rig_power_off(&R);
            boot(&R);
            CHECK_EQ(R.boot_pending, 0);
            CHECK_EQ(R.boot_last, max_seq(box, n));
            check_quiet_poll(&R, left);
            /* new mail: only it is fetched */
            rig_add(&R, &PM_LATE[0]);
            {
                want_t w2 = {left + 1, left, 1, 1, 0, 1, pol.delete_accepted, POP3_OK, POP3_CMD_CONNECT, false};
                rig_poll(&R);
                check_stats(&R, &w2);
                CHECK(R.nseen == 1 && strcmp(R.seen[0].uid, PM_LATE[0].uid) == 0);
                CHECK(R.nran == count_cmds(box, n) + 1 && R.ran[R.nran - 1].seq == 200);
            }
            rig_power_off(&R);
            if ((unsigned)failures == bad)
                printf("ok   %s\n", ctx);
        }
    }
}

static void test_big(void)
{
    static const cmdmail_poll_policy_t pols[2] = {{false, false}, {true, true}};
    unsigned pi, i, j;
    for (pi = 0; pi < 2; pi++) {
        unsigned n = PM_BIG_N, acc = count_verdict(PM_BIG, n, true), bad = (unsigned)failures;
        want_t w = {n, 0, n, acc, n - acc, count_cmds(PM_BIG, n), pols[pi].delete_accepted ? n : 0, POP3_OK,
                    POP3_CMD_CONNECT, false};
        snprintf(ctx, sizeof(ctx), "%u messages, batch %u, delete %d", n, (unsigned)CMDMAIL_POLL_BATCH,
                 pols[pi].delete_accepted);
        rig_init(&R, PM_BIG, n, pols[pi]);
        R.split = 7 + pi;
        boot(&R);
        rig_poll(&R);
        check_stats(&R, &w);
        check_seen(&R, PM_BIG, n); /* each message once, in order */
        for (i = 0; i < R.nseen; i++)
            for (j = i + 1; j < R.nseen; j++)
                CHECK(strcmp(R.seen[i].uid, R.seen[j].uid) != 0);
        check_ran(&R, 0, PM_BIG, n, ALL);
        /* one UIDL per batch: ceil(n / BATCH) listings */
        CHECK_EQ(R.srv.uidls, (n + CMDMAIL_POLL_BATCH - 1) / CMDMAIL_POLL_BATCH);
        CHECK_EQ(R.srv.retrs, n);
        R.srv.uidls = 0;
        check_quiet_poll(&R, pols[pi].delete_accepted ? 0 : n);
        CHECK_EQ(R.srv.uidls, 1);
        rig_power_off(&R);
        if ((unsigned)failures == bad)
            printf("ok   %s\n", ctx);
    }
}

/* The server lists UIDL highest number first: still each once, lowest first. */
static void test_uidl_reverse(void)
{
    unsigned n = PM_BIG_N, acc = count_verdict(PM_BIG, n, true), bad = (unsigned)failures;
    want_t w = {n, 0, n, acc, n - acc, count_cmds(PM_BIG, n), 0, POP3_OK, POP3_CMD_CONNECT, false};
    snprintf(ctx, sizeof(ctx), "UIDL listed in reverse, %u messages", n);
    rig_init(&R, PM_BIG, n, KEEP);
    R.split = 11;
    R.srv.uidl_reverse = true;
    boot(&R);
    rig_poll(&R);
    check_stats(&R, &w);
    check_seen(&R, PM_BIG, n);
    check_ran(&R, 0, PM_BIG, n, ALL);
    rig_power_off(&R);
    if ((unsigned)failures == bad)
        printf("ok   %s\n", ctx);
}

/* -ERR to UIDL: nothing fetched, the poll says why, QUIT still goes. */
static void test_uidl_err(void)
{
    want_t w = {0, 0, 0, 0, 0, 0, 0, POP3_ERR_SERVER, POP3_CMD_UIDL, false};
    unsigned bad = (unsigned)failures;
    snprintf(ctx, sizeof(ctx), "-ERR to UIDL");
    rig_init(&R, PM_MIXED, PM_MIXED_N, DELETE_ALL);
    R.srv.uidl_err = true;
    boot(&R);
    rig_poll(&R);
    check_stats(&R, &w);
    CHECK_EQ(R.srv.retrs, 0);
    CHECK(strcmp(R.srv.last_cmd, "QUIT") == 0);
    CHECK_EQ(R.nran, 0);
    rig_power_off(&R);
    if ((unsigned)failures == bad)
        printf("ok   %s\n", ctx);
}

/* -ERR to one DELE (both delete policies): the poll goes on; the message, seen,
 * is deleted by the next poll without being fetched again. */
static void test_dele_err(void)
{
    const pm_msg_t *box = PM_MIXED;
    unsigned n = PM_MIXED_N, acc = count_verdict(box, n, true), bad = (unsigned)failures;
    want_t w = {n, 0, n, acc, n - acc, count_cmds(box, n), n - 1, POP3_OK, POP3_CMD_CONNECT, false};
    want_t w2 = {1, 1, 0, 0, 0, 0, 1, POP3_OK, POP3_CMD_CONNECT, false};
    snprintf(ctx, sizeof(ctx), "-ERR to DELE 1");
    rig_init(&R, box, n, DELETE_ALL);
    R.srv.dele_err = 1;
    boot(&R);
    rig_poll(&R);
    check_stats(&R, &w);
    CHECK_EQ(ps_count(&R.srv), 1);
    CHECK(ps_has(&R.srv, box[0].uid));
    R.srv.dele_err = 0;
    rig_poll(&R);
    check_stats(&R, &w2);
    CHECK_EQ(ps_count(&R.srv), 0);
    check_ran(&R, 0, box, n, ALL);
    rig_power_off(&R);
    if ((unsigned)failures == bad)
        printf("ok   %s\n", ctx);
}

/* -ERR to QUIT (nothing removed): the poll says so; the next one deletes the
 * seen messages without fetching them again. */
static void test_quit_err(void)
{
    const pm_msg_t *box = PM_MIXED;
    unsigned n = PM_MIXED_N, acc = count_verdict(box, n, true), bad = (unsigned)failures;
    want_t w = {n, 0, n, acc, n - acc, count_cmds(box, n), n, POP3_ERR_SERVER, POP3_CMD_QUIT, false};
    want_t w2 = {n, n, 0, 0, 0, 0, n, POP3_OK, POP3_CMD_CONNECT, false};
    snprintf(ctx, sizeof(ctx), "-ERR to QUIT");
    rig_init(&R, box, n, DELETE_ALL);
    R.srv.quit_err = true;
    boot(&R);
    rig_poll(&R);
    check_stats(&R, &w);
    CHECK_EQ(ps_count(&R.srv), n);
    R.srv.quit_err = false;
    rig_poll(&R);
    check_stats(&R, &w2);
    CHECK_EQ(ps_count(&R.srv), 0);
    check_ran(&R, 0, box, n, ALL);
    rig_power_off(&R);
    if ((unsigned)failures == bad)
        printf("ok   %s\n", ctx);
}

/* More messages than the seen-UID table: a later poll downloads the forgotten
 * ones again and refuses them as replays; nothing runs twice. */
static void test_seen_overflow(void)
{
#if PM_OVER_N > CMDMAIL_SEEN_MAX
    const pm_msg_t *box = PM_OVER;
    unsigned n = PM_OVER_N, extra = PM_OVER_N - CMDMAIL_SEEN_MAX, i, round, bad = (unsigned)failures;
    want_t w = {n, 0, n, n, 0, n, 0, POP3_OK, POP3_CMD_CONNECT, false};
    want_t w2 = {n, n - extra, extra, 0, extra, 0, 0, POP3_OK, POP3_CMD_CONNECT, false};
    snprintf(ctx, sizeof(ctx), "%u messages, seen table of %u", n, (unsigned)CMDMAIL_SEEN_MAX);
    rig_init(&R, box, n, KEEP);
    R.split = 13;
    boot(&R);
    rig_poll(&R);
    check_stats(&R, &w);
    check_ran(&R, 0, box, n, ALL);
    for (round = 0; round < 2; round++) { /* each poll forgets the next oldest ones */
        rig_poll(&R);
        check_stats(&R, &w2);
        CHECK_EQ(R.nseen, extra);
        for (i = 0; i < R.nseen; i++) {
            CHECK(strcmp(R.seen[i].uid, box[round * extra + i].uid) == 0);
            CHECK_EQ(R.seen[i].verdict, CMDMAIL_REPLAYED);
        }
        CHECK_EQ(R.nran, n);
    }
    rig_power_off(&R);
    if ((unsigned)failures == bad)
        printf("ok   %s\n", ctx);
#endif
}

/* -ERR to the RETR of box[bad_idx] (a valid block): it is INCOMPLETE, the others are handled. */
static void test_retr_err(unsigned bad_idx, cmdmail_verdict_t next_poll)
{
    const pm_msg_t *box = PM_MIXED;
    unsigned n = PM_MIXED_N, acc = count_verdict(box, n, true), bad = (unsigned)failures, i;
    want_t w = {n, 0, n, acc - 1, n - acc + 1, count_cmds(box, n) - box[bad_idx].ncmds, 0, POP3_OK,
                POP3_CMD_CONNECT, false};
    const rig_seen_t *s;
    snprintf(ctx, sizeof(ctx), "-ERR to RETR %u", bad_idx + 1);
    rig_init(&R, box, n, KEEP);
    R.split = 3;
    R.srv.retr_err = bad_idx + 1;
    boot(&R);
    rig_poll(&R);
    check_stats(&R, &w);
    CHECK_EQ(R.nseen, n);
    for (i = 0; i < n && i < R.nseen; i++) {
        CHECK(strcmp(R.seen[i].uid, box[i].uid) == 0);
        CHECK_EQ(R.seen[i].verdict, i == bad_idx ? CMDMAIL_INCOMPLETE : box[i].verdict);
        CHECK_EQ(R.seen[i].retr_status, i == bad_idx ? POP3_ERR_SERVER : POP3_OK);
    }
    check_ran(&R, 0, box, n, bad_idx);
    /* The server reads it again: only that message is fetched (the others are seen). */
    R.srv.retr_err = 0;
    rig_poll(&R);
    s = rig_seen_uid(&R, box[bad_idx].uid);
    CHECK_EQ(R.nseen, 1);
    CHECK(s != NULL && s->verdict == next_poll);
    CHECK_EQ(R.end.fetched, 1);
    if (next_poll == CMDMAIL_ACCEPTED)
        check_ran(&R, 0, box, n, ALL);
    else /* a later Seq was accepted meanwhile: this one is a replay now, reported, not run */
        check_ran(&R, 0, box, n, bad_idx);
    rig_power_off(&R);
    if ((unsigned)failures == bad)
        printf("ok   %s\n", ctx);
}

/* The connection is lost inside the RETR of message 3 (seq 101). */
static void test_lost_in_retr(cmdmail_poll_policy_t pol)
{
    const pm_msg_t *box = PM_MIXED;
    unsigned n = PM_MIXED_N, bad = (unsigned)failures, i;
    bool da = pol.delete_accepted;
    want_t w = {n, 0, 3, 1, 2, box[0].ncmds, da ? 1U + pol.delete_refused : 0U, POP3_ERR_TRANSPORT,
                POP3_CMD_RETR, false};
    snprintf(ctx, sizeof(ctx), "connection lost in RETR 3, delete %d/%d", pol.delete_accepted,
             pol.delete_refused);
    rig_init(&R, box, n, pol);
    R.split = 5;
    R.drop_msg = 3;
    R.drop_after = strlen(box[2].text) / 2;
    boot(&R);
    rig_poll(&R);
    check_stats(&R, &w);
    CHECK_EQ(R.nseen, 3);
    if (R.nseen == 3) {
        CHECK_EQ(R.seen[0].verdict, CMDMAIL_ACCEPTED);
        CHECK_EQ(R.seen[1].verdict, CMDMAIL_UNSIGNED);
        CHECK_EQ(R.seen[2].verdict, CMDMAIL_INCOMPLETE);
        CHECK_EQ(R.seen[2].retr_status, POP3_ERR_TRANSPORT);
        CHECK(!R.seen[2].deleting);
    }
    check_ran(&R, 0, box, 1, ALL); /* seq 100 only */
    CHECK_EQ(ps_count(&R.srv), n);  /* no QUIT: no DELE took effect */
    /* The next poll handles the rest; what was seen is not fetched again. */
    R.drop_msg = 0;
    rig_poll(&R);
    CHECK_EQ(R.end.status, POP3_OK);
    CHECK_EQ(R.end.skipped, 2);
    CHECK_EQ(R.end.fetched, n - 2);
    check_ran(&R, 0, box, n, ALL);
    for (i = 0; i < n; i++)
        if (pol.delete_accepted && pol.delete_refused) /* seen and still listed: deleted now */
            CHECK(!ps_has(&R.srv, box[i].uid));
    rig_power_off(&R);
    if ((unsigned)failures == bad)
        printf("ok   %s\n", ctx);
}

static void test_login_refused(void)
{
    want_t w = {0, 0, 0, 0, 0, 0, 0, POP3_ERR_AUTH, POP3_CMD_LOGIN, false};
    unsigned bad = (unsigned)failures;
    snprintf(ctx, sizeof(ctx), "login refused");
    rig_init(&R, PM_MIXED, PM_MIXED_N, DELETE_ALL);
    R.srv.pass = "not-the-password";
    boot(&R);
    rig_poll(&R);
    check_stats(&R, &w);
    CHECK(R.login_called);
    CHECK_EQ(R.nseen, 0);
    CHECK_EQ(R.nran, 0);
    CHECK_EQ(R.srv.retrs, 0);
    CHECK_EQ(R.srv.uidls, 0);
    CHECK_EQ(R.nv_attempts, 0);
    CHECK_EQ(ps_count(&R.srv), PM_MIXED_N);
    rig_power_off(&R);
    if ((unsigned)failures == bad)
        printf("ok   %s\n", ctx);
}

/* The NV write that would accept box[9] (seq 106, the 7th write) fails: nothing
 * of it runs, it is not seen, and the next poll accepts it. */
static void test_nv_error(void)
{
    const pm_msg_t *box = PM_MIXED;
    unsigned n = PM_MIXED_N, acc = count_verdict(box, n, true), bad = (unsigned)failures;
    want_t w = {n, 0, n, acc - 1, n - acc + 1, count_cmds(box, n) - box[9].ncmds, 0, POP3_OK,
                POP3_CMD_CONNECT, true};
    snprintf(ctx, sizeof(ctx), "NV write of the last accept fails");
    rig_init(&R, box, n, DELETE_ALL);
    R.policy.delete_refused = false;
    R.nv_fail_at = 7;
    boot(&R);
    rig_poll(&R);
    w.deleted = acc - 1;
    check_stats(&R, &w);
    CHECK(R.nseen == n && R.seen[9].verdict == CMDMAIL_NV_ERROR && !R.seen[9].deleting);
    check_ran(&R, 0, box, n, 9);
    CHECK(ps_has(&R.srv, box[9].uid));
    rig_poll(&R);
    CHECK_EQ(R.end.fetched, 1);
    CHECK_EQ(R.end.accepted, 1);
    CHECK(!R.end.nv_error);
    check_ran(&R, 0, box, n, ALL);
    CHECK(!ps_has(&R.srv, box[9].uid));
    rig_power_off(&R);
    if ((unsigned)failures == bad)
        printf("ok   %s\n", ctx);
}

int main(void)
{
    if (setjmp(no_cut) != 0) { /* the rig cuts the power only when asked to (cut_at) */
        printf("FAIL: unexpected power cut\n");
        return 1;
    }
    test_policies(PM_MIXED, PM_MIXED_N, "mixed mailbox");
    test_big();
    test_retr_err(9, CMDMAIL_ACCEPTED);
    test_retr_err(2, CMDMAIL_REPLAYED);
    test_lost_in_retr(KEEP);
    test_lost_in_retr(DELETE_ALL);
    test_uidl_reverse();
    test_uidl_err();
    test_dele_err();
    test_quit_err();
    test_seen_overflow();
    test_login_refused();
    test_nv_error();
    printf("%s (%d failures)\n", failures ? "FAILED" : "all poll tests passed", failures);
    return failures ? 1 : 0;
}
