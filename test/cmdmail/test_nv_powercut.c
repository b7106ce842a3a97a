/* Power cuts and NV faults around the command-mail module, through its public
 * API only (cmdmail.h). An NV backend in RAM (two slots) fails, tears or
 * completes-then-dies at the Nth write, or fails the Nth read; a step counter
 * cuts the power before any API call (and before each command runs). After
 * each cut the device "reboots" (fresh context, cmdmail_setup on the same NV)
 * and polls the same mailbox again. Checked after every boot and call:
 *  - a command never runs twice, across reboots;
 *  - an accepted Seq whose commands did not all finish is reported by
 *    cmdmail_setup (pending_seq), or was refused with CMDMAIL_NV_ERROR: never
 *    lost silently;
 *  - last_seq after a boot is the last durably accepted one or the one whose
 *    write was cut (a torn write leaves the previous state), never older;
 *  - every verdict is what the state allows (new valid -> accepted, old ->
 *    replayed, ...);
 *  - with more messages than CMDMAIL_SEEN_MAX (this test builds the module
 *    with a small table), an old message is downloaded again and refused.
 * Messages are signed here (cmdmail_test_msg.h), not by the module's code. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdmail.h"
#include "cmdmail_test_msg.h"

static int failures;
#define CHECK(c, ...) do { if (!(c)) { failures++; if (failures <= 30) { \
    printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #c); printf(__VA_ARGS__); printf("\n"); } } } while (0)

/* ---- NV in RAM ------------------------------------------------------------ */
enum { M_NONE, M_FAIL, M_TEAR_HALF, M_TEAR_LAST, M_TEAR_ERASED, M_GARBAGE, M_DONE_DIE, M_COUNT };
static const char *const mode_name[] = {"none", "fail", "tear-half", "tear-all-but-last", "tear-erased",
                                        "garbage", "complete-then-die"};

typedef struct nv {
    uint8_t slot[2][CMDMAIL_NV_RECORD_LEN];
    unsigned writes, reads;
    unsigned fault_write;   /* 1-based index of the write that meets `mode`; 0: none */
    int mode;
    unsigned fail_read;     /* 1-based index of a read that fails; 0: none */
    bool dead;              /* the power is off: nothing more happens */
    bool write_failed;      /* a write returned false (M_FAIL) since the flag was cleared */
    uint32_t rng;
} nv_t;

static bool nv_read(void *ctx, unsigned slot, uint8_t *buf, size_t len)
{
    nv_t *nv = ctx;
    if (nv->dead || slot > 1 || len != CMDMAIL_NV_RECORD_LEN) return false;
    if (++nv->reads == nv->fail_read) return false;
    memcpy(buf, nv->slot[slot], len);
    return true;
}

static bool nv_write(void *ctx, unsigned slot, const uint8_t *buf, size_t len)
{
    nv_t *nv = ctx;
    size_t i;
    if (nv->dead || slot > 1 || len != CMDMAIL_NV_RECORD_LEN) return false;
    if (++nv->writes != nv->fault_write) {
        memcpy(nv->slot[slot], buf, len);
        return true;
    }
    switch (nv->mode) {
    case M_FAIL: nv->write_failed = true; return false;
    case M_TEAR_HALF: memcpy(nv->slot[slot], buf, len / 2); break;
    case M_TEAR_LAST: memcpy(nv->slot[slot], buf, len - 1); break;
    case M_TEAR_ERASED: memset(nv->slot[slot], 0xFF, len); memcpy(nv->slot[slot], buf, 8); break;
    case M_GARBAGE:
        for (i = 0; i < len; i++) {
            nv->rng = nv->rng * 1103515245u + 12345u;
            nv->slot[slot][i] = (uint8_t)(nv->rng >> 16);
        }
        break;
    case M_DONE_DIE: memcpy(nv->slot[slot], buf, len); nv->dead = true; return true;
    default: break;
    }
    nv->dead = true; /* the write was cut by the power loss */
    return false;
}

/* ---- the mailbox ---------------------------------------------------------- */
enum { K_VALID, K_UNSIGNED, K_TAMPERED, K_WRONGDEV, K_EXPIRED };
#define NMSG_MAX (CMDMAIL_SEEN_MAX + 32U)
#define NCMD_MAX 3
typedef struct msg {
    char uid[24];
    int kind;
    bool retr_fails_once;   /* the first RETR of this message breaks off half-way */
    uint64_t seq;
    size_t ncmds;
    char cmds[NCMD_MAX][40];
    char text[2048];
    size_t len;
} msg_t;

static const uint8_t key[32] = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba,
                                0xcb, 0xdc, 0xed, 0xfe, 0x0f, 1, 2, 3, 4, 5, 6, 7, 8,
                                9, 10, 11, 12, 13, 14, 15, 16};
#define DEVICE "lamp-0042"
#define NOW 1800000000
static msg_t box[NMSG_MAX];
static size_t nbox;
/* Messages each poll sees: polls 0..2 (left on the server, new ones arrive). */
static size_t poll_len[3];

static void add(int kind, uint64_t seq, size_t ncmds)
{
    msg_t *m = &box[nbox];
    const char *cp[NCMD_MAX];
    size_t i;
    int64_t exp_future = NOW + 3600, exp_past = NOW - 1;
    snprintf(m->uid, sizeof m->uid, "UID%02zu-%" PRIu64, nbox, seq);
    m->kind = kind;
    m->seq = seq;
    m->ncmds = ncmds;
    for (i = 0; i < ncmds; i++) {
        snprintf(m->cmds[i], sizeof m->cmds[i], "relay %zu on seq %" PRIu64, i, seq);
        cp[i] = m->cmds[i];
    }
    if (kind == K_UNSIGNED) {
        m->len = (size_t)snprintf(m->text, sizeof m->text,
                                  "From: someone@example.net\r\nSubject: hello %zu\r\n\r\nNo block here.\r\nSeq: 99\r\n", nbox);
    } else {
        m->len = tm_message(m->text, sizeof m->text, key, sizeof key, kind == K_WRONGDEV ? "lamp-0043" : DEVICE,
                            seq, kind == K_EXPIRED ? &exp_past : (seq % 2 ? &exp_future : NULL), cp, ncmds,
                            kind == K_TAMPERED);
    }
    if (m->len == 0) { printf("cannot build message %zu\n", nbox); exit(1); }
    nbox++;
}

/* ---- the world the device lives in (what the test knows) ------------------ */
typedef struct world {
    nv_t nv;
    unsigned step, cut_step;  /* power goes off before step cut_step (1-based); 0: never */
    uint64_t known_last;      /* last_seq the module confirmed (accepted, power on) or loaded */
    int inflight;             /* message whose accept write was under way when the power went, else -1 */
    unsigned exec[NMSG_MAX][NCMD_MAX];
    bool done_ok[NMSG_MAX], reported[NMSG_MAX], nv_error[NMSG_MAX], accepted[NMSG_MAX];
    unsigned redownloaded_refused; /* valid old messages fetched again after an earlier poll and refused */
    bool polled_once[NMSG_MAX], retr_failed[NMSG_MAX];
    unsigned reboots, writes_total;
    unsigned steps_polls, writes_polls; /* at the end of the three polls (before the checking ones) */
    unsigned chunk_seed;
} world_t;

static bool tick(world_t *w)
{
    if (w->nv.dead) return false;
    if (++w->step == w->cut_step) w->nv.dead = true;
    return !w->nv.dead;
}

static int64_t clock_now(void *ctx) { (void)ctx; return NOW; }

static int find_seq(uint64_t seq)
{
    size_t i;
    for (i = 0; i < nbox; i++)
        if (box[i].kind == K_VALID && box[i].seq == seq) return (int)i;
    return -1;
}

/* What cmdmail_setup reported, against what the test knows. */
static void check_boot(world_t *w, const cmdmail_result_t *r)
{
    uint64_t L = r->last_seq;
    int idx;
    bool all_run = true;
    size_t c;
    if (w->inflight >= 0 && L == box[w->inflight].seq) {
        w->known_last = L; /* the cut write was durable: the block counts as accepted */
        w->accepted[w->inflight] = true;
    }
    CHECK(L == w->known_last, "boot: last_seq %" PRIu64 ", expected %" PRIu64 " (state went back or was invented)",
          L, w->known_last);
    w->inflight = -1;
    if (L == 0) {
        CHECK(r->pending_seq == 0, "boot: pending %" PRIu64 " with no accepted Seq", r->pending_seq);
        return;
    }
    idx = find_seq(L);
    if (idx < 0) { CHECK(0, "boot: last_seq %" PRIu64 " is no valid message's", L); return; }
    for (c = 0; c < box[idx].ncmds; c++) all_run = all_run && w->exec[idx][c] == 1;
    if (w->done_ok[idx])
        CHECK(r->pending_seq == 0, "boot: Seq %" PRIu64 " done but reported pending", L);
    else if (!all_run)
        CHECK(r->pending_seq == L, "boot: Seq %" PRIu64 " not finished, pending reported %" PRIu64 " (lost silently)",
              L, r->pending_seq);
    else
        CHECK(r->pending_seq == 0 || r->pending_seq == L, "boot: pending %" PRIu64 " (last %" PRIu64 ")",
              r->pending_seq, L);
    if (r->pending_seq == L) w->reported[idx] = true;
}

/* One poll over the first n messages. false: the power went off. */
static bool poll(world_t *w, size_t n)
{
    cmdmail_t m;
    cmdmail_config_t cfg;
    cmdmail_result_t r;
    size_t i, c, off;
    bool ok;
    cmdmail_init(&m);
    memset(&cfg, 0, sizeof cfg);
    cfg.device_id = DEVICE;
    cfg.key = key;
    cfg.key_len = sizeof key;
    cfg.nv.ctx = &w->nv;
    cfg.nv.read = nv_read;
    cfg.nv.write = nv_write;
    cfg.now = clock_now;
    if (!tick(w)) goto lost;
    memset(&r, 0x55, sizeof r);
    ok = cmdmail_setup(&m, &cfg, &r);
    if (w->nv.dead) goto lost;
    CHECK(ok, "cmdmail_setup failed on readable NV");
    if (!ok) goto lost;
    check_boot(w, &r);
    CHECK(cmdmail_cmd(&m, 0) == NULL, "a command is handed out right after setup");
    for (i = 0; i < n; i++) {
        msg_t *mm = &box[i];
        cmdmail_verdict_t v;
        uint64_t before = w->known_last;
        if (!tick(w)) goto lost;
        if (cmdmail_seen(&m, mm->uid, strlen(mm->uid))) continue;
        if (!tick(w)) goto lost;
        cmdmail_msg_begin(&m, mm->uid, strlen(mm->uid));
        if (!tick(w)) goto lost;
        if (mm->retr_fails_once && !w->retr_failed[i]) {
            w->retr_failed[i] = true;
            cmdmail_msg_data(&m, mm->text, mm->len / 2);
            v = cmdmail_msg_end(&m, false, &r);
            if (w->nv.dead) goto lost;
            CHECK(v == CMDMAIL_INCOMPLETE, "%s: broken RETR: %s", mm->uid, cmdmail_verdict_str(v));
            CHECK(cmdmail_cmd(&m, 0) == NULL, "%s: incomplete, yet a command", mm->uid);
            CHECK(!cmdmail_seen(&m, mm->uid, strlen(mm->uid)), "%s: incomplete, yet marked seen", mm->uid);
            continue;
        }
        for (off = 0; off < mm->len;) { /* pieces of 1..13 octets, varying per run */
            size_t k = 1 + (w->chunk_seed++ * 7u + i) % 13u;
            if (k > mm->len - off) k = mm->len - off;
            cmdmail_msg_data(&m, mm->text + off, k);
            off += k;
        }
        if (!tick(w)) goto lost;
        w->nv.write_failed = false;
        if (mm->kind == K_VALID && mm->seq > before) w->inflight = (int)i;
        memset(&r, 0x55, sizeof r);
        v = cmdmail_msg_end(&m, true, &r);
        if (w->nv.dead) goto lost;
        w->inflight = -1;
        CHECK((unsigned)v < CMDMAIL_VERDICT_COUNT_, "verdict %d", (int)v);
        switch (mm->kind) {
        case K_VALID:
            if (mm->seq > before)
                CHECK(v == CMDMAIL_ACCEPTED || (v == CMDMAIL_NV_ERROR && w->nv.write_failed),
                      "%s Seq %" PRIu64 " (last %" PRIu64 "): %s, expected accepted", mm->uid, mm->seq, before,
                      cmdmail_verdict_str(v));
            else {
                CHECK(v == CMDMAIL_REPLAYED, "%s Seq %" PRIu64 " (last %" PRIu64 "): %s, expected replayed", mm->uid,
                      mm->seq, before, cmdmail_verdict_str(v));
                if (w->polled_once[i] && v == CMDMAIL_REPLAYED) w->redownloaded_refused++;
            }
            if (v == CMDMAIL_ACCEPTED || v == CMDMAIL_REPLAYED)
                CHECK(r.seq == mm->seq, "%s: res.seq %" PRIu64, mm->uid, r.seq);
            break;
        case K_UNSIGNED: CHECK(v == CMDMAIL_UNSIGNED, "%s: %s, expected unsigned", mm->uid, cmdmail_verdict_str(v)); break;
        case K_TAMPERED: CHECK(v == CMDMAIL_INVALID, "%s: %s, expected invalid", mm->uid, cmdmail_verdict_str(v)); break;
        case K_WRONGDEV: CHECK(v == CMDMAIL_WRONG_DEVICE, "%s: %s", mm->uid, cmdmail_verdict_str(v)); break;
        case K_EXPIRED: CHECK(v == CMDMAIL_EXPIRED, "%s: %s", mm->uid, cmdmail_verdict_str(v)); break;
        default: break;
        }
        if (v == CMDMAIL_NV_ERROR) {
            w->nv_error[i] = true;
            /* refused for a local fault: it must be fetched again, not skipped as seen */
            CHECK(!cmdmail_seen(&m, mm->uid, strlen(mm->uid)), "%s: marked seen after nv_error", mm->uid);
        }
        if (v != CMDMAIL_ACCEPTED) {
            CHECK(cmdmail_cmd(&m, 0) == NULL, "%s: %s but a command is handed out", mm->uid, cmdmail_verdict_str(v));
            CHECK(r.last_seq == w->known_last, "%s: res.last_seq %" PRIu64 ", expected %" PRIu64, mm->uid,
                  r.last_seq, w->known_last);
            continue;
        }
        if (mm->kind != K_VALID) continue; /* already reported above */
        w->known_last = mm->seq;
        w->accepted[i] = true;
        CHECK(r.last_seq == mm->seq, "%s: res.last_seq %" PRIu64, mm->uid, r.last_seq);
        CHECK(r.cmd_count == mm->ncmds, "%s: cmd_count %zu, expected %zu", mm->uid, r.cmd_count, mm->ncmds);
        for (c = 0; c < mm->ncmds; c++) {
            const char *s;
            if (!tick(w)) goto lost; /* power off before command c runs */
            s = cmdmail_cmd(&m, c);
            CHECK(s != NULL && strcmp(s, mm->cmds[c]) == 0, "%s cmd %zu: \"%s\"", mm->uid, c, s ? s : "(null)");
            w->exec[i][c]++;
            CHECK(w->exec[i][c] == 1, "%s: command %zu ran %u times", mm->uid, c, w->exec[i][c]);
        }
        CHECK(cmdmail_cmd(&m, mm->ncmds) == NULL, "%s: a command past cmd_count", mm->uid);
        if (!tick(w)) goto lost;
        w->nv.write_failed = false;
        ok = cmdmail_commands_done(&m);
        if (w->nv.dead) goto lost;
        CHECK(ok || w->nv.write_failed, "commands_done failed on working NV");
        if (ok) w->done_ok[i] = true;
    }
    for (i = 0; i < n; i++) w->polled_once[i] = true;
    if (!tick(w)) goto lost;
    w->nv.write_failed = false;
    ok = cmdmail_flush(&m);
    if (w->nv.dead) goto lost;
    CHECK(ok || w->nv.write_failed, "flush failed on working NV");
    cmdmail_free(&m);
    return true;
lost:
    /* The power went off: the device stops; the test keeps no handle on m's state. */
    cmdmail_free(&m);
    return false;
}

static void world_init(world_t *w, unsigned chunk_seed)
{
    memset(w, 0, sizeof *w);
    memset(w->nv.slot, 0xFF, sizeof w->nv.slot); /* erased flash: first boot */
    w->nv.rng = 12345u + chunk_seed;
    w->inflight = -1;
    w->chunk_seed = chunk_seed;
}

/* Runs the three polls (each repeated after a power loss until it completes)
 * and a last poll that must run nothing; then the never-lost check. */
static void run(world_t *w, const char *what)
{
    unsigned p, before_exec = 0, after_exec = 0;
    size_t i, c;
    int f0 = failures;
    for (p = 0; p < 3; p++) {
        while (!poll(w, poll_len[p])) {
            w->writes_total += w->nv.writes;
            w->nv.dead = false;      /* reboot: one fault per run */
            w->nv.fault_write = 0;
            w->cut_step = 0;
            w->reboots++;
            if (w->reboots > 20) { CHECK(0, "%s: no progress", what); return; }
        }
    }
    w->steps_polls = w->step;
    w->writes_polls = w->nv.writes;
    w->cut_step = 0;
    w->nv.fault_write = 0;
    /* a block refused with nv_error is still new: this poll may accept it */
    CHECK(poll(w, poll_len[2]), "%s: settling poll lost power", what);
    for (i = 0; i < nbox; i++)
        for (c = 0; c < NCMD_MAX; c++) before_exec += w->exec[i][c];
    CHECK(poll(w, poll_len[2]), "%s: verification poll lost power", what);
    for (i = 0; i < nbox; i++)
        for (c = 0; c < NCMD_MAX; c++) after_exec += w->exec[i][c];
    CHECK(before_exec == after_exec, "%s: the verification poll ran commands", what);
    for (i = 0; i < nbox; i++) {
        bool all = true;
        if (!w->accepted[i]) continue;
        for (c = 0; c < box[i].ncmds; c++) all = all && w->exec[i][c] == 1;
        CHECK(all || w->reported[i], "%s: %s accepted, commands not all run, never reported pending", what, box[i].uid);
    }
    if (failures != f0) printf("  ^ in run: %s\n", what);
}

/* Setup with the kth read failing must fail (not fall back to an older slot). */
static void read_faults(world_t *w)
{
    unsigned k;
    for (k = 1; k <= 4; k++) {
        cmdmail_t m;
        cmdmail_config_t cfg;
        cmdmail_result_t r;
        bool ok;
        memset(&cfg, 0, sizeof cfg);
        cfg.device_id = DEVICE;
        cfg.key = key;
        cfg.key_len = sizeof key;
        cfg.nv.ctx = &w->nv;
        cfg.nv.read = nv_read;
        cfg.nv.write = nv_write;
        w->nv.reads = 0;
        w->nv.fail_read = k;
        cmdmail_init(&m);
        ok = cmdmail_setup(&m, &cfg, &r);
        if (w->nv.reads >= k) CHECK(!ok, "setup succeeded although read %u failed", k);
        cmdmail_free(&m);
        w->nv.fail_read = 0;
        cmdmail_init(&m);
        memset(&r, 0, sizeof r);
        CHECK(cmdmail_setup(&m, &cfg, &r) && r.last_seq == w->known_last,
              "after a failed read %u: last_seq %" PRIu64 ", expected %" PRIu64, k, r.last_seq, w->known_last);
        cmdmail_free(&m);
    }
}

int main(void)
{
    static world_t w;
    unsigned golden_writes, golden_steps, n, mode, runs = 0;
    size_t i, fill;
    char what[96];
    /* poll 0: a mix, then enough filler to overflow the seen-UID table */
    add(K_VALID, 10, 2);
    add(K_UNSIGNED, 0, 0);
    add(K_VALID, 13, 1);   /* odd Seq: with Expires in the future */
    add(K_TAMPERED, 14, 1);
    add(K_VALID, 11, 1);   /* out of order: replayed */
    add(K_WRONGDEV, 1000000, 1);
    add(K_EXPIRED, 2000001, 1);
    add(K_VALID, 16, 3);
    for (fill = 0; fill < CMDMAIL_SEEN_MAX + 2; fill++) add(K_UNSIGNED, 0, 0);
    add(K_VALID, 18, 1);   /* after the filler: stays the newest UID */
    add(K_VALID, 19, 1);   /* its first RETR breaks off: accepted on the next poll */
    box[nbox - 1].retr_fails_once = true;
    poll_len[0] = nbox;
    add(K_VALID, 20, 1);
    add(K_VALID, 10, 2);   /* the first block again under another UID (forwarded): replayed */
    poll_len[1] = nbox;
    add(K_VALID, 21, 2);
    poll_len[2] = nbox;
    if (nbox > NMSG_MAX) { printf("mailbox too big\n"); return 1; }

    /* the fault-free run: the reference for counts and the expected outcome */
    world_init(&w, 0);
    run(&w, "no fault");
    golden_writes = w.writes_polls;
    golden_steps = w.steps_polls;
    {
        static const uint64_t want[] = {10, 13, 16, 18, 19, 20, 21};
        size_t k;
        for (i = 0; i < nbox; i++) {
            bool expect = false;
            for (k = 0; k < sizeof want / sizeof want[0]; k++)
                expect = expect || (box[i].kind == K_VALID && box[i].seq == want[k] && i != poll_len[1] - 1);
            CHECK(w.accepted[i] == expect, "no fault: %s accepted=%d", box[i].uid, (int)w.accepted[i]);
        }
    }
    CHECK(w.redownloaded_refused > 0, "no old valid message was downloaded again and refused (seen table of %u)",
          (unsigned)CMDMAIL_SEEN_MAX);
    CHECK(golden_writes > 0 && golden_writes < 60, "NV writes in the fault-free run: %u (bounded writes)", golden_writes);
    printf("fault-free run: %u NV writes, %u steps, %u old valid messages fetched again and refused\n",
           golden_writes, golden_steps, w.redownloaded_refused);
    read_faults(&w);

    for (n = 1; n <= golden_writes + 1; n++)
        for (mode = M_FAIL; mode < M_COUNT; mode++) {
            world_init(&w, n * 31u + mode);
            w.nv.fault_write = n;
            w.nv.mode = (int)mode;
            snprintf(what, sizeof what, "write %u: %s", n, mode_name[mode]);
            run(&w, what);
            runs++;
        }
    for (n = 1; n <= golden_steps; n++) {
        world_init(&w, n);
        w.cut_step = n;
        snprintf(what, sizeof what, "power off before step %u", n);
        run(&w, what);
        runs++;
    }
    printf("%u fault runs: %s (%d failed checks)\n", runs, failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
