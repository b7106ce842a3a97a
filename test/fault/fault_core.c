/*
 * Fault injection on the core through a scripted fake transport.
 *
 * One full session (fault_script.c) is replayed again and again, also with a
 * SASL login (AUTH PLAIN, AUTH SCRAM-SHA-256) in place of USER/PASS, and
 * pipelined (PIPELINING advertised, the work queued up front in two batches):
 *   - cut: the server's stream stops after every possible octet offset and the
 *     port reports pop3_on_closed(POP3_ERR_TRANSPORT);
 *   - split: the stream is delivered with an extra segment boundary at every
 *     offset (with varied send behaviour and application pauses), at every
 *     pair of offsets of a shorter session, and one octet at a time;
 * and every run is checked against the oracle (fs_check): statuses, bytes sent
 * (DELE never before RETR completed), body a prefix of the message and
 * complete only with POP3_OK, LIST/UIDL entries, consumption.
 *
 * Heap: linked with --wrap=malloc,calloc,realloc,free (heap_guard.c); every
 * call into the library is bracketed, so any allocation by the library fails
 * the run. The harness itself uses static buffers only. Built with ASan,
 * LeakSanitizer checks at exit that nothing leaked.
 *
 * This file: the loops and main(); the fake port, the scripted server and one
 * run are in fault_core_run.c, the application's queueing and recording in
 * fault_app.c (shared with fault_lwip.c).
 *
 * Usage: fault_core [--summary FILE] [--quick] [--known-bugs]
 * --known-bugs also runs the loops of known, unfixed core bugs (they fail; none now).
 * Prints per-loop counts; writes "faults_injected=N" to FILE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_app.h"
#include "fault_core.h"
#include "heap_guard.h"
#include "pop3.h"

/* ---- the loops -------------------------------------------------------------------- */

static const char *g_what; /* loop name, for messages */
static fc_tally_t g;

static void loop_cut(const fs_session_t *s, const char *what, fault_kind_t kind, int pause_every, send_mode_t sm,
                     bool bytewise)
{
    unsigned long r0 = g.runs, f0 = g.failures;
    char label[64];

    g_what = what;
    for (size_t k = 0; k <= s->len; k++) {
        fault_t f = {k, NULL, 0, bytewise, pause_every, sm, kind, 0};
        snprintf(label, sizeof label, "at offset %zu", k);
        fc_run(s, &f, g_what, label, &g);
    }
    fa_report(what, g.runs - r0, g.failures - f0);
}

/* F_SENDFAIL / F_PAUSECUT: the nth event, for every n until a run has no nth event. */
static void loop_nth(const fs_session_t *s, const char *what, fault_kind_t kind, int pause_every, send_mode_t sm)
{
    unsigned long r0 = g.runs, f0 = g.failures;
    char label[64];

    g_what = what;
    for (int n = 1; n < 100000; n++) {
        fault_t f = {FS_NONE, NULL, 0, false, pause_every, sm, kind, n};
        snprintf(label, sizeof label, "event %d", n);
        fc_run(s, &f, g_what, label, &g);
        if (!g.fault_hit) break;
    }
    fa_report(what, g.runs - r0, g.failures - f0);
}

/* vary: pauses and the first nmodes send modes in turn. */
static void loop_split(const fs_session_t *s, const char *what, bool vary, int nmodes)
{
    unsigned long r0 = g.runs, f0 = g.failures;
    char label[64];

    g_what = what;
    for (size_t k = 1; k < s->len; k++) {
        size_t sp[1] = {k};
        fault_t f = {FS_NONE, sp, 1, false, vary ? (int)(k % 4) : 0, vary ? (send_mode_t)(k % (size_t)nmodes) : SEND_ALL,
                     F_CUT, 0};
        snprintf(label, sizeof label, "split at %zu", k);
        fc_run(s, &f, g_what, label, &g);
    }
    fa_report(what, g.runs - r0, g.failures - f0);
}

static void loop_pairs(const fs_session_t *s, const char *what, bool with_cut)
{
    unsigned long r0 = g.runs, f0 = g.failures;
    char label[64];

    g_what = what;
    for (size_t a = 1; a < s->len; a++) {
        for (size_t b = a + 1; b <= s->len; b++) {
            if (with_cut) {
                /* one split at a, cut at b */
                size_t sp[1] = {a};
                fault_t f = {b, sp, 1, false, (int)((a + b) % 3), (send_mode_t)(b % SEND_MODES), F_CUT, 0};
                snprintf(label, sizeof label, "split at %zu, cut at %zu", a, b);
                fc_run(s, &f, g_what, label, &g);
            } else if (b < s->len) {
                size_t sp[2] = {a, b};
                fault_t f = {FS_NONE, sp, 2, false, (int)((a + b) % 3), (send_mode_t)(a % SEND_MODES), F_CUT, 0};
                snprintf(label, sizeof label, "splits at %zu,%zu", a, b);
                fc_run(s, &f, g_what, label, &g);
            }
        }
    }
    fa_report(what, g.runs - r0, g.failures - f0);
}

static void single(const fs_session_t *s, const char *what, bool bytewise, int pause_every, send_mode_t sm,
                   bool is_fault)
{
    unsigned long r0 = g.runs, f0 = g.failures;
    fault_t f = {FS_NONE, NULL, 0, bytewise, pause_every, sm, F_CUT, 0};

    (void)is_fault;
    g_what = what;
    fc_run(s, &f, g_what, what, &g);
    fa_report(what, g.runs - r0, g.failures - f0);
}

int main(int argc, char **argv)
{
    static fs_session_t full, full_up, full_stls, shrt, err_a, err_b, sasl_plain, scram, scram_up, scram_stls, pipe,
        pipe_stls;
    const char *summary = NULL;
    bool quick = false, known = false;
    fs_opts_t o;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--summary") && i + 1 < argc) summary = argv[++i];
        else if (!strcmp(argv[i], "--quick")) quick = true;
        else if (!strcmp(argv[i], "--known-bugs")) known = true;
        else {
            fprintf(stderr, "usage: %s [--summary FILE] [--quick] [--known-bugs]\n", argv[0]);
            return 2;
        }
    }
    if (!hg_self_test()) {
        fprintf(stderr, "FAIL: heap guard self-test: --wrap=malloc/free not in effect\n");
        return 1;
    }

    memset(&o, 0, sizeof o);
    fs_build(&full, &o);
    o.dele_mode = FS_DELE_UP_FRONT;
    fs_build(&full_up, &o);
    o.dele_mode = FS_DELE_AFTER_RETR_OK;
    o.stls = true;
    fs_build(&full_stls, &o);
    o.stls = false;
    o.short_msg = true;
    fs_build(&shrt, &o);
    o.short_msg = false;
    o.retr_err = true;
    fs_build(&err_a, &o);
    o.dele_mode = FS_DELE_UP_FRONT;
    fs_build(&err_b, &o);
    /* SASL logins: the short message keeps the SCRAM loops (PBKDF2 per run) brief. */
    memset(&o, 0, sizeof o);
    o.short_msg = true;
    o.login = FS_LOGIN_SASL_PLAIN;
    fs_build(&sasl_plain, &o);
    o.login = FS_LOGIN_SASL_SCRAM;
    fs_build(&scram, &o);
    o.dele_mode = FS_DELE_UP_FRONT;
    fs_build(&scram_up, &o);
    o.dele_mode = FS_DELE_AFTER_RETR_OK;
    o.stls = true;
    fs_build(&scram_stls, &o);
    /* PIPELINING: everything queued up front; two batches (DELE 1 waits for RETR 1). */
    memset(&o, 0, sizeof o);
    o.pipelined = true;
    o.dele_mode = FS_DELE_UP_FRONT;
    fs_build(&pipe, &o);
    o.stls = true; /* PIPELINING only in the CAPA after TLS */
    fs_build(&pipe_stls, &o);

    printf("fault injection on the core: session of %zu server octets (message %zu octets, "
           "dot-stuffed, RETR in %u-octet segments)\n", full.len, full.msg_len, SEG);
#if defined(__SANITIZE_ADDRESS__)
    printf("  (AddressSanitizer build: LeakSanitizer checks for leaks at exit)\n");
#else
    printf("  (no AddressSanitizer in this build: no leak check)\n");
#endif

    /* Baselines: no fault. */
    single(&full, "baseline: full session, natural segments", false, 0, SEND_ALL, false);
    single(&full_stls, "baseline: full session with STLS", false, 0, SEND_ALL, false);
    single(&err_a, "RETR -ERR, app queues DELE only after RETR OK: no DELE", false, 0, SEND_ALL, false);
    single(&err_b, "RETR -ERR, DELE queued up front: DELE sent (app's choice)", false, 0, SEND_ALL, false);

    /* (a) the connection cut at every offset. */
    loop_cut(&full, "cut at every offset (DELE after RETR OK)", F_CUT, 0, SEND_ALL, false);
    loop_cut(&full_up, "cut at every offset (DELE queued up front)", F_CUT, 0, SEND_ALL, false);
    loop_cut(&full_stls, "cut at every offset, STLS session", F_CUT, 0, SEND_ALL, false);
    loop_cut(&full, "cut at every offset, pausing callbacks, 1-octet sends", F_CUT, 1, SEND_TRICKLE, false);
    if (!quick) {
        loop_cut(&full, "cut at every offset, octet-per-segment delivery", F_CUT, 0, SEND_BLOCK_ALT, true);
    }
    loop_cut(&err_b, "cut at every offset, RETR -ERR, DELE up front", F_CUT, 0, SEND_ALL, false);
    loop_nth(&full, "cut while paused with input held, every pause", F_PAUSECUT, 1, SEND_ALL);
    /* Related faults at every offset: the server stalls (timeout), the application aborts. */
    loop_cut(&full, "server stalls at every offset (reply timeout)", F_STALL, 0, SEND_ALL, false);
    loop_cut(&full_stls, "server stalls at every offset, STLS session", F_STALL, 0, SEND_ALL, false);
    loop_cut(&full, "pop3_abort() at every offset", F_ABORT, 0, SEND_ALL, false);
    /* send() failing at every call, whole or octet by octet. */
    loop_nth(&full, "send fails at every call", F_SENDFAIL, 0, SEND_ALL);
    loop_nth(&full_up, "send fails at every call (DELE queued up front)", F_SENDFAIL, 0, SEND_ALL);
    loop_nth(&full_stls, "send fails at every call, STLS session", F_SENDFAIL, 0, SEND_ALL);
    loop_nth(&full, "send fails at every call, 1-octet sends", F_SENDFAIL, 0, SEND_TRICKLE);
    loop_nth(&full, "send fails at every call, would-block every other", F_SENDFAIL, 2, SEND_BLOCK_ALT);
    /* The application aborts from inside each of its callbacks in turn. */
    loop_nth(&full_up, "pop3_abort() inside every callback (DELE queued up front)", F_CBABORT, 0, SEND_ALL);

    /* (b) the stream split at every offset. */
    loop_split(&full, "split at every offset", false, SEND_MODES);
    loop_split(&full, "split at every offset, varied pauses and sends", true, SEND_MODES);
    loop_split(&full_up, "split at every offset (DELE queued up front)", true, SEND_MODES);
    loop_split(&full_stls, "split at every offset, STLS session", true, SEND_MODES);
    single(&full, "one octet per segment", true, 0, SEND_ALL, true);
    single(&full, "one octet per segment, pausing on every callback", true, 1, SEND_TRICKLE, true);
    single(&full_stls, "one octet per segment, STLS", true, 2, SEND_BLOCK_ALT, true);
    /* (c) a SASL login (AUTH PLAIN; SCRAM-SHA-256 in three steps) faulted the same ways. */
    printf("  SASL sessions: AUTH PLAIN %zu, SCRAM-SHA-256 %zu server octets\n", sasl_plain.len, scram.len);
    single(&scram, "baseline: SCRAM-SHA-256 login", false, 0, SEND_ALL, false);
    loop_cut(&sasl_plain, "AUTH PLAIN: cut at every offset", F_CUT, 0, SEND_ALL, false);
    loop_nth(&sasl_plain, "AUTH PLAIN: send fails at every call, 1-octet sends", F_SENDFAIL, 0, SEND_TRICKLE);
    loop_cut(&scram, "SCRAM: cut at every offset", F_CUT, 0, SEND_ALL, false);
    loop_cut(&scram_stls, "SCRAM: cut at every offset, STLS session", F_CUT, 0, SEND_BLOCK_ALT, false);
    loop_cut(&scram, "SCRAM: server stalls at every offset", F_STALL, 0, SEND_ALL, false);
    loop_cut(&scram, "SCRAM: pop3_abort() at every offset", F_ABORT, 0, SEND_ALL, false);
    loop_nth(&scram, "SCRAM: send fails at every call", F_SENDFAIL, 0, SEND_ALL);
    loop_nth(&scram, "SCRAM: send fails at every call, 1-octet sends", F_SENDFAIL, 0, SEND_TRICKLE);
    loop_nth(&scram_up, "SCRAM: pop3_abort() inside every callback (DELE queued up front)", F_CBABORT, 0, SEND_ALL);
    loop_split(&scram, "SCRAM: split at every offset, varied pauses and sends", true, SEND_MODES);
    single(&scram, "SCRAM: one octet per segment, 1-octet sends", true, 1, SEND_TRICKLE, true);

    /* (d) a pipelined session (RFC 2449): LIST UIDL RETR 1 NOOP in one send, then DELE 1 QUIT. */
    printf("  pipelined session: %zu server octets\n", pipe.len);
    single(&pipe, "pipelined: baseline", false, 0, SEND_ALL, false);
    loop_cut(&pipe, "pipelined: cut at every offset", F_CUT, 0, SEND_ALL, false);
    loop_cut(&pipe_stls, "pipelined: cut at every offset, STLS session", F_CUT, 0, SEND_ALL, false);
    loop_cut(&pipe, "pipelined: cut at every offset, pausing callbacks, 1-octet sends", F_CUT, 1, SEND_TRICKLE,
             false);
    loop_cut(&pipe, "pipelined: server stalls at every offset", F_STALL, 0, SEND_ALL, false);
    loop_cut(&pipe, "pipelined: pop3_abort() at every offset", F_ABORT, 0, SEND_ALL, false);
    loop_nth(&pipe, "pipelined: cut while paused with input held, every pause", F_PAUSECUT, 1, SEND_ALL);
    loop_nth(&pipe, "pipelined: send fails at every call", F_SENDFAIL, 0, SEND_ALL);
    loop_nth(&pipe, "pipelined: send fails at every call, 1-octet sends", F_SENDFAIL, 0, SEND_TRICKLE);
    loop_nth(&pipe, "pipelined: pop3_abort() inside every callback", F_CBABORT, 0, SEND_ALL);
    loop_split(&pipe, "pipelined: split at every offset, varied pauses, whole and 1-octet sends", true, 2);
    /* With would-block sends: a reply to an earlier pipelined command while the
     * next batch is blocked in send (once refused as premature). */
    loop_split(&pipe, "pipelined: split at every offset, would-block sends", true, SEND_MODES);
    single(&pipe, "pipelined: one octet per segment, pausing on every callback", true, 1, SEND_TRICKLE, true);
    (void)known; /* no open core bug has a loop of its own now */

    printf("  shorter session: %zu server octets\n", shrt.len);
    loop_pairs(&shrt, "short session: split at every pair of offsets", false);
    if (!quick) {
        loop_pairs(&shrt, "short session: split at a, cut at every b > a", true);
    }

    printf("fault_core: %lu runs, %lu faults injected, %lu failed; heap calls by the library: %lu "
           "(by mbedTLS's own allocator: %lu; harness: %lu)\n", g.runs, g.faults, g.failures, hg_violations,
           hg_mbedtls_calls, hg_harness_calls);
    if (summary != NULL && !fa_write_summary(summary, g.faults)) return 1;
    if (hg_violations > 0) {
        fprintf(stderr, "FAIL: the library called the heap %lu times (see HEAP GUARD above)\n", hg_violations);
        return 1;
    }
    return g.failures == 0 ? 0 : 1;
}
