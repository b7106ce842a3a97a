/* Power cuts at every step of whole fetches: the poll driver, a real
 * cmdmail_t on a two-slot NV in RAM and the in-memory POP3 server
 * (poll_rig.h). One life of the device is: boot, poll, poll. Each step a cut
 * can hit is an event (poll_rig.h: every NV write, cut before it and during
 * it; every command run, cut before and after; every command line the client
 * sends - USER, PASS, UIDL, RETR, DELE, QUIT ...; every reply, cut before it
 * and half-way through). For every event k of that life, for each policy:
 * cut the power at k (the server drops the DELEs not committed by QUIT; NV
 * keeps what was written, a torn slot included), reboot from NV, poll to the
 * end, poll once more, boot once more; then check:
 *  - setup succeeds after the cut and at the end (the NV state loads);
 *  - only valid blocks' commands ran, each at most once, in order;
 *  - each valid block ran wholly, or setup after the cut reported its Seq
 *    as pending (never lost silently);
 *  - the last poll downloads and runs nothing; last_seq is the highest Seq;
 *  - with both delete policies the server ends empty; with keep it keeps
 *    everything; with delete-accepted refused messages stay.
 * The same sweep again with the connection lost (instead of the power) at
 * every send and reply event: the poll ends once with a failure, the device
 * lives on, and every valid block runs wholly, once (nothing pending).
 * And, with both delete policies, two power cuts: the first at every NV
 * write or command, the second at every event of the life after it.
 * Replies are cut into pieces chosen by k, so every run splits differently. */
#include <stdio.h>
#include <string.h>

#include "poll_rig.h"

static int failures;
static unsigned cur_k;
static const char *cur_pol, *cur_what = "power cut";
#define CHECK(c)                                                                                             \
    do {                                                                                                     \
        if (!(c)) {                                                                                          \
            failures++;                                                                                      \
            if (failures <= 30)                                                                              \
                printf("FAIL %s:%d: %s [policy %s, %s at event %u (%s)]\n", __FILE__, __LINE__, #c, cur_pol, \
                       cur_what, cur_k, rig_ev_name(R.cut_kind));                                           \
        }                                                                                                    \
    } while (0)

static rig_t R; /* large: not on the stack */
static jmp_buf power;

static const pm_msg_t *const BOX = PM_CUT;
#define NBOX PM_CUT_N

static const pm_msg_t *valid_block(uint64_t seq)
{
    unsigned i;
    for (i = 0; i < NBOX; i++)
        if (BOX[i].verdict == CMDMAIL_ACCEPTED && BOX[i].seq == seq)
            return &BOX[i];
    return NULL;
}

/* The highest Seq of which a command ran. */
static uint64_t ran_max(void)
{
    uint64_t m = 0;
    unsigned i;
    for (i = 0; i < R.nran; i++)
        if (R.ran[i].seq > m)
            m = R.ran[i].seq;
    return m;
}

/* The poll that lost its link ended once, with a failure. */
static void check_link_poll(void)
{
    if (!R.link_lost)
        return;
    CHECK(R.link_end_calls == 1);
    CHECK(R.link_end.status != POP3_OK);
    CHECK(!R.stalled);
}

/* One life of the device up to the cut at event k (0: no cut); true if the
 * cut came. link: the connection is lost at k instead, and the life goes on. */
static bool life_until_cut(unsigned k, cmdmail_poll_policy_t pol, bool link)
{
    rig_init(&R, BOX, NBOX, pol);
    R.split = k;
    R.cut_at = k;
    R.link_cut = link;
    R.power = &power;
    if (setjmp(power) == 0) {
        CHECK(rig_boot(&R));
        rig_poll(&R);
        check_link_poll();
        rig_poll(&R);
        check_link_poll();
        CHECK(link || !R.cut_done); /* a power cut never returns here */
    }
    rig_power_off(&R);
    R.cut_at = 0;
    return R.cut_done;
}

/* A second power cut at event k2 of the life after the first cut (boot,
 * poll, poll); true if it came. */
static bool second_cut(unsigned k2)
{
    R.cut_at = R.events + k2;
    R.cut_done = false;
    if (setjmp(power) == 0) {
        CHECK(rig_boot(&R));
        CHECK(R.boot_last >= ran_max());
        rig_poll(&R);
        rig_poll(&R);
    }
    rig_power_off(&R);
    R.cut_at = 0;
    return R.cut_done;
}

static void check_after(cmdmail_poll_policy_t pol, bool link)
{
    uint64_t pending;
    unsigned i, before;
    /* reboot after the cut (after a lost link: a clean restart) */
    CHECK(rig_boot(&R));
    pending = R.boot_pending;
    CHECK(pending == 0 || valid_block(pending) != NULL);
    CHECK(R.boot_last >= ran_max()); /* a command ran only after its Seq was durable */
    if (link)
        CHECK(pending == 0); /* no power cut: every accepted block ran wholly */
    rig_poll(&R);
    CHECK(!R.stalled && R.end_calls == 1 && R.end.status == POP3_OK && !R.end.nv_error);
    before = R.nran;
    rig_poll(&R); /* everything was handled: nothing is downloaded or run */
    CHECK(!R.stalled && R.end_calls == 1 && R.end.status == POP3_OK);
    CHECK(R.end.fetched == 0 && R.end.accepted == 0 && R.end.commands == 0);
    CHECK(R.nran == before);
    rig_power_off(&R);
    CHECK(rig_boot(&R));
    CHECK(R.boot_last == 14);
    rig_power_off(&R);

    /* only valid commands, each at most once, in (Seq, index) order */
    CHECK(!R.ran_overflow);
    for (i = 0; i < R.nran; i++) {
        const pm_msg_t *b = valid_block(R.ran[i].seq);
        CHECK(b != NULL);
        if (b != NULL) {
            CHECK(R.ran[i].index < b->ncmds);
            if (R.ran[i].index < b->ncmds)
                CHECK(strcmp(R.ran[i].cmd, b->cmds[R.ran[i].index]) == 0);
        }
        if (i > 0)
            CHECK(R.ran[i - 1].seq < R.ran[i].seq ||
                  (R.ran[i - 1].seq == R.ran[i].seq && R.ran[i - 1].index < R.ran[i].index));
    }
    /* each valid block wholly, or reported pending */
    for (i = 0; i < NBOX; i++) {
        unsigned n;
        if (BOX[i].verdict != CMDMAIL_ACCEPTED)
            continue;
        n = rig_ran_count(&R, BOX[i].seq);
        CHECK(n <= BOX[i].ncmds);
        if (n != BOX[i].ncmds) {
            CHECK(rig_was_pending(&R, BOX[i].seq));
            if (!rig_was_pending(&R, BOX[i].seq))
                printf("  block %llu ran %u of %u commands, pending reported: %llu\n",
                       (unsigned long long)BOX[i].seq, n, BOX[i].ncmds, (unsigned long long)pending);
        }
    }
    /* what the server keeps */
    for (i = 0; i < NBOX; i++) {
        bool there = ps_has(&R.srv, BOX[i].uid), acc = BOX[i].verdict == CMDMAIL_ACCEPTED;
        if (pol.delete_accepted && pol.delete_refused)
            CHECK(!there);
        else if (!pol.delete_accepted && !pol.delete_refused)
            CHECK(there);
        else if (!acc)
            CHECK(there); /* delete-accepted only: refused messages stay */
    }
    CHECK(R.srv.protocol_errors == 0);
}

int main(void)
{
    static const struct { const char *name; cmdmail_poll_policy_t pol; } pols[] = {
        {"keep", {false, false}}, {"delete-accepted", {true, false}}, {"delete-all", {true, true}}};
    unsigned pi, k, total = 0, links = 0, doubles = 0, kinds[EV_COUNT] = {0}, e, left_on_server = 0, mode;
    for (pi = 0; pi < sizeof(pols) / sizeof(pols[0]); pi++) {
        unsigned events;
        cur_pol = pols[pi].name;
        cur_what = "no cut";
        cur_k = 0;
        /* the life without a cut: how many events it has, and that it is right */
        if (life_until_cut(0, pols[pi].pol, false))
            CHECK(!"a cut came uninvited");
        events = R.events;
        check_after(pols[pi].pol, false);
        for (mode = 0; mode < 2; mode++) {
            cur_what = mode == 0 ? "power cut" : "connection lost";
            for (k = 1; k <= events; k++) {
                int bad = failures;
                cur_k = k;
                if (!life_until_cut(k, pols[pi].pol, mode == 1)) {
                    CHECK(mode == 1); /* a lost link only at a send or a reply */
                    continue;
                }
                if (mode == 0) {
                    kinds[R.cut_kind]++;
                    total++;
                } else {
                    links++;
                }
                check_after(pols[pi].pol, mode == 1);
                if (mode == 0 && pols[pi].pol.delete_accepted && !pols[pi].pol.delete_refused) {
                    unsigned i, left = 0;
                    for (i = 0; i < NBOX; i++)
                        left += BOX[i].verdict == CMDMAIL_ACCEPTED && ps_has(&R.srv, BOX[i].uid);
                    left_on_server += left > 0;
                }
                if (failures != bad && R.trace_len > 0 && failures <= 30)
                    printf("--- last trace lines ---\n%s------\n", R.trace);
            }
        }
        printf("policy %s: %u events in a life of boot, poll, poll\n", pols[pi].name, events);
        if (!(pols[pi].pol.delete_accepted && pols[pi].pol.delete_refused))
            continue;
        /* Two cuts: the first at each NV write or command, the second at every
         * event of the next life (boot, poll, poll). */
        cur_what = "second power cut";
        for (k = 1; k <= events; k++) {
            unsigned k2;
            cur_k = k;
            if (!life_until_cut(k, pols[pi].pol, false) || R.cut_kind > EV_RUN_AFTER)
                continue;
            for (k2 = 1;; k2++) {
                int bad = failures;
                bool cut;
                if (k2 > 1)
                    life_until_cut(k, pols[pi].pol, false);
                cut = second_cut(k2);
                if (cut)
                    doubles++;
                check_after(pols[pi].pol, false);
                if (failures != bad && failures <= 30)
                    printf("  (second cut at event %u of the next life)\n", k2);
                if (!cut)
                    break;
            }
        }
    }
    printf("power cut at %u points (", total);
    for (e = 0; e < EV_COUNT; e++)
        printf("%s%s %u", e ? ", " : "", rig_ev_name((rig_ev_t)e), kinds[e]);
    printf("), connection lost at %u points, %u pairs of power cuts: %s\n", links, doubles,
           failures ? "INVARIANTS BROKEN" : "all invariants held");
    printf("delete-accepted only: after %u of its power cuts accepted messages stay on the server for good "
           "(DELE not committed; seen, so never fetched or deleted again)\n",
           left_on_server);
    return failures ? 1 : 0;
}
