/*
 * Fault injection on the core through a scripted fake transport.
 *
 * One full session (fault_script.c) is replayed again and again, also with a
 * SASL login (AUTH PLAIN, AUTH SCRAM-SHA-256) in place of USER/PASS:
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
 * Usage: fault_core [--summary FILE] [--quick]
 * Prints per-loop counts; writes "faults_injected=N" to FILE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_script.h"
#include "heap_guard.h"
#include "pop3.h"

/* ---- the client under test and its fake port --------------------------------- */

typedef enum { SEND_ALL = 0, SEND_TRICKLE, SEND_BLOCK_ALT, SEND_MODES } send_mode_t;

typedef enum {
    F_CUT = 0,   /* at stream offset `cut`: the port reports pop3_on_closed(POP3_ERR_TRANSPORT) */
    F_STALL,     /* at `cut`: the server goes silent; pop3_tick() an hour later */
    F_ABORT,     /* at `cut`: the application calls pop3_abort() */
    F_SENDFAIL,  /* the nth send() call fails (returns -1) */
    F_PAUSECUT,  /* the nth time the application paused: the connection drops while input is held */
    F_CBABORT    /* the application calls pop3_abort() inside its nth callback (on_done/on_body/...) */
} fault_kind_t;

typedef struct {
    size_t cut;                /* FS_NONE: no cut */
    const size_t *splits;      /* sorted extra segment boundaries */
    size_t nsplits;
    bool bytewise;             /* every octet its own segment */
    int pause_every;           /* streaming callbacks return PAUSE on every Nth call (0: never) */
    send_mode_t send_mode;
    fault_kind_t kind;
    int nth;                   /* F_SENDFAIL, F_PAUSECUT */
} fault_t;

static struct {
    pop3_client_t c;
    char line_buf[POP3_MIN_LINE_BUF_LEN];
    char tx_buf[POP3_MIN_TX_BUF_LEN];
    fs_obs_t obs;
    const fs_session_t *s;
    const fault_t *f;
    int send_calls;
    int close_calls;
    int start_tls_calls;
    bool tls_pending;
    bool wake;
    bool closed;            /* the port reported the loss, or the core closed */
    int cb_calls;
    int pauses;
    int cb_seen;
    char cb_where[64];      /* F_CBABORT: the callback that aborted */
    bool fault_hit;         /* F_SENDFAIL / F_PAUSECUT happened */
    pop3_sasl_creds_t creds; /* SASL sessions: kept until AUTH is reported (pop3_auth()) */
    uint32_t rng;
    char err[512];          /* harness-level failure */
} T;

static void harness_fail(const char *msg)
{
    if (T.err[0] == '\0') snprintf(T.err, sizeof T.err, "%s", msg);
}

static long t_send(void *ctx, const uint8_t *data, size_t len)
{
    size_t n = len;

    (void)ctx;
    hg_cb_enter();
    T.send_calls++;
    if (T.closed || T.close_calls > 0) harness_fail("send after close / pop3_on_closed");
    if (len == 0) harness_fail("send of 0 octets");
    if (T.f->kind == F_SENDFAIL && T.send_calls == T.f->nth) {
        T.fault_hit = true;
        hg_cb_leave();
        return -1;
    }
    if (T.f->send_mode == SEND_TRICKLE) n = 1;
    if (T.f->send_mode == SEND_BLOCK_ALT && (T.send_calls & 1)) n = 0;
    if (n > len) n = len;
    if (T.obs.sent_len + n > sizeof T.obs.sent) {
        harness_fail("client sent too much");
        n = 0;
    }
    memcpy(T.obs.sent + T.obs.sent_len, data, n);
    T.obs.sent_len += n;
    hg_cb_leave();
    return (long)n;
}

static int t_start_tls(void *ctx)
{
    (void)ctx;
    T.start_tls_calls++;
    T.tls_pending = true;
    return 0;
}

static void t_close(void *ctx)
{
    (void)ctx;
    T.close_calls++;
    if (T.closed) harness_fail("close after pop3_on_closed");
}

static void t_wake(void *ctx)
{
    (void)ctx;
    T.wake = true;
}

/* F_CBABORT: the nth callback aborts the session from inside. */
static bool maybe_abort(const char *where)
{
    if (T.f->kind != F_CBABORT || T.fault_hit || ++T.cb_seen != T.f->nth) return false;
    T.fault_hit = true;
    snprintf(T.cb_where, sizeof T.cb_where, "%s", where);
    hg_cb_leave();
    HG_LIB(pop3_abort(&T.c));
    hg_cb_enter();
    if (pop3_state(&T.c) != POP3_STATE_CLOSED) harness_fail("pop3_abort() in a callback did not close");
    return true;
}

static pop3_cb_action_t maybe_pause(void)
{
    bool aborted;

    hg_cb_enter();
    aborted = maybe_abort("a streaming callback (on_body/on_list/on_uidl)");
    hg_cb_leave();
    if (aborted) return POP3_CB_CONTINUE;
    T.cb_calls++;
    return T.f->pause_every > 0 && T.cb_calls % T.f->pause_every == 0 ? POP3_CB_PAUSE : POP3_CB_CONTINUE;
}

static void t_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    fs_obs_t *o = &T.obs;

    (void)ctx;
    hg_cb_enter();
    if (o->ndone >= FS_MAX_DONE) {
        o->done_overflow = true;
    } else {
        o->done_cmd[o->ndone] = (int)cmd;
        o->done_st[o->ndone] = st;
        o->done_octets[o->ndone] = r->octets;
        o->done_sent_at[o->ndone] = o->sent_len;
        o->ndone++;
    }
    char where[64];

    snprintf(where, sizeof where, "on_done(%s, %s)", pop3_cmd_name(cmd), fs_status_name(st));
    if (maybe_abort(where)) {
        hg_cb_leave();
        return;
    }
    /* The application: DELE only once RETR delivered the whole message, then QUIT. */
    if (cmd == POP3_CMD_RETR && T.s->dele_mode == FS_DELE_AFTER_RETR_OK) {
        if (st == POP3_OK) {
            if (pop3_dele(&T.c, 1) != POP3_OK) harness_fail("pop3_dele from on_done refused");
        }
        if (pop3_state(&T.c) != POP3_STATE_CLOSED && pop3_quit(&T.c) != POP3_OK)
            harness_fail("pop3_quit from on_done refused");
    }
    hg_cb_leave();
}

static pop3_cb_action_t t_body(void *ctx, const char *data, size_t len)
{
    fs_obs_t *o = &T.obs;

    (void)ctx;
    if (len == 0) harness_fail("on_body with len 0");
    if (o->body_len + len > sizeof o->body) {
        o->body_overflow = true;
        return POP3_CB_CONTINUE;
    }
    memcpy(o->body + o->body_len, data, len);
    o->body_len += len;
    return maybe_pause();
}

static pop3_cb_action_t t_list(void *ctx, uint32_t msg, uint64_t octets)
{
    fs_obs_t *o = &T.obs;

    (void)ctx;
    if (o->nlist < 4) {
        o->list_msg[o->nlist] = msg;
        o->list_size[o->nlist] = octets;
    }
    o->nlist++;
    return maybe_pause();
}

static pop3_cb_action_t t_uidl(void *ctx, uint32_t msg, const char *uid, size_t len)
{
    fs_obs_t *o = &T.obs;

    (void)ctx;
    if (o->nuidl < 4) {
        o->uidl_msg[o->nuidl] = msg;
        o->uidl_len[o->nuidl] = len < sizeof o->uidl[0] ? len : sizeof o->uidl[0];
        memcpy(o->uidl[o->nuidl], uid, o->uidl_len[o->nuidl]);
    }
    o->nuidl++;
    return maybe_pause();
}

/* ---- the scripted server and the delivery engine ------------------------------- */

/* Next segment boundary after pos: natural ones (RETR body in MSS-sized segments) and the fault's. */
#define SEG 536U
static size_t next_boundary(const fs_session_t *s, const fault_t *f, size_t pos, size_t limit)
{
    size_t b = limit;

    if (f->bytewise) return pos + 1 < limit ? pos + 1 : limit;
    {
        const fs_step_t *r = &s->steps[s->retr_step];
        if (pos >= r->start && pos < r->end) {
            size_t nb = r->start + ((pos - r->start) / SEG + 1U) * SEG;
            if (nb < b) b = nb;
        }
    }
    for (size_t i = 0; i < f->nsplits; i++) {
        if (f->splits[i] > pos) {
            if (f->splits[i] < b) b = f->splits[i];
            break;
        }
    }
    return b;
}

typedef struct {
    size_t read;      /* client octets the server has parsed */
    int next;         /* next step whose command is awaited */
    size_t avail;     /* stream octets the server is willing to send */
} server_t;

/* Reads complete command lines; each one releases its reply. */
static void server_read(const fs_session_t *s, server_t *sv)
{
    for (;;) {
        const char *p = T.obs.sent + sv->read;
        size_t left = T.obs.sent_len - sv->read, l = 0;
        while (l + 1 < left && !(p[l] == '\r' && p[l + 1] == '\n')) l++;
        if (l + 1 >= left) return;
        l += 2;
        if (sv->next >= s->nsteps) {
            harness_fail("client sent a command after the script ended");
            sv->read += l;
            continue;
        }
        if (strlen(s->steps[sv->next].cmd) != l || memcmp(s->steps[sv->next].cmd, p, l) != 0) {
            char m[160];
            snprintf(m, sizeof m, "server expected \"%.*s\", got \"%.*s\"",
                     (int)strlen(s->steps[sv->next].cmd) - 2, s->steps[sv->next].cmd, (int)l - 2, p);
            harness_fail(m);
        }
        sv->read += l;
        sv->avail = s->steps[sv->next].end;
        sv->next++;
    }
}

static void pump_writes(void)
{
    for (int i = 0; i < 10000 && !T.closed && pop3_wants_write(&T.c); i++) {
        HG_LIB(pop3_on_writable(&T.c));
    }
    if (!T.closed && pop3_wants_write(&T.c)) harness_fail("client keeps asking to write");
}

static const char *g_what; /* loop name, for messages */
static unsigned long g_failures, g_runs, g_faults;

static bool run(const fs_session_t *s, const fault_t *f, const char *label)
{
    pop3_config_t cfg;
    server_t sv = {0, 1, 0};
    size_t pos = 0;
    pop3_status_t st, fail_st;
    size_t k;
    char why[512];

    memset(&T, 0, sizeof T);
    T.s = s;
    T.f = f;
    memset(&cfg, 0, sizeof cfg);
    cfg.line_buf = T.line_buf;
    cfg.line_buf_len = sizeof T.line_buf;
    cfg.tx_buf = T.tx_buf;
    cfg.tx_buf_len = sizeof T.tx_buf;
    cfg.transport.send = t_send;
    cfg.transport.start_tls = t_start_tls;
    cfg.transport.close = t_close;
    cfg.transport.wake = t_wake;
    cfg.callbacks.on_done = t_done;
    cfg.callbacks.on_body = t_body;
    cfg.callbacks.on_list = t_list;
    cfg.callbacks.on_uidl = t_uidl;
    cfg.security = s->stls ? POP3_SEC_STLS : POP3_SEC_PLAINTEXT;
    cfg.allow_plaintext_login = true;
    HG_LIB_RET(st, pop3_init(&T.c, &cfg));
    if (st != POP3_OK) harness_fail("pop3_init");

    /* The application queues its work before connecting (allowed: it waits for CONNECT). */
    if (s->login == FS_LOGIN_USER_PASS) {
        HG_LIB_RET(st, pop3_login(&T.c, "alice", "secret"));
    } else {
        T.creds.user = "alice";
        T.creds.secret = "secret";
        T.rng = FS_SCRAM_RNG_SEED;
        T.creds.rng = fs_scram_rng;
        T.creds.rng_ctx = &T.rng;
        HG_LIB_RET(st, pop3_auth(&T.c, s->login == FS_LOGIN_SASL_PLAIN ? POP3_SASL_PLAIN : POP3_SASL_SCRAM_SHA_256,
                                 &T.creds));
    }
    if (st == POP3_OK) HG_LIB_RET(st, pop3_list(&T.c, 0));
    if (st == POP3_OK) HG_LIB_RET(st, pop3_uidl(&T.c, 0));
    if (st == POP3_OK) HG_LIB_RET(st, pop3_retr(&T.c, 1));
    if (st == POP3_OK && s->dele_mode == FS_DELE_UP_FRONT) {
        HG_LIB_RET(st, pop3_dele(&T.c, 1));
        if (st == POP3_OK) HG_LIB_RET(st, pop3_quit(&T.c));
    }
    if (st != POP3_OK) harness_fail("queueing refused");

    HG_LIB_RET(st, pop3_start(&T.c, 1000));
    HG_LIB(pop3_on_connected(&T.c));
    sv.avail = s->steps[0].end;

    for (int iter = 0; iter < 1000000 && T.err[0] == '\0'; iter++) {
        pump_writes();
        server_read(s, &sv);
        if (pos == f->cut) {
            if (f->kind == F_CUT) {
                T.closed = true;
                HG_LIB(pop3_on_closed(&T.c, POP3_ERR_TRANSPORT));
            } else if (f->kind == F_STALL) {
                HG_LIB(pop3_tick(&T.c, 1000U + 3600U * 1000U));
            } else {
                HG_LIB(pop3_abort(&T.c));
            }
            break;
        }
        if (pop3_state(&T.c) == POP3_STATE_CLOSED) break;
        if (T.tls_pending) {
            T.tls_pending = false;
            HG_LIB(pop3_on_tls_done(&T.c, POP3_OK));
            continue;
        }
        if (pop3_is_paused(&T.c)) {
            if (f->kind == F_PAUSECUT && ++T.pauses == f->nth) {
                T.fault_hit = true;
                T.closed = true;
                HG_LIB(pop3_on_closed(&T.c, POP3_ERR_TRANSPORT));
                if (pop3_is_paused(&T.c)) harness_fail("still paused after pop3_on_closed");
                break;
            }
            HG_LIB(pop3_resume(&T.c));
            if (!T.wake) harness_fail("pop3_resume did not call wake");
            T.wake = false;
            continue;
        }
        if (pos < sv.avail) {
            size_t limit = sv.avail < f->cut ? sv.avail : f->cut;
            size_t end = next_boundary(s, f, pos, limit);
            size_t got;
            HG_LIB_RET(got, pop3_on_input(&T.c, (const uint8_t *)s->stream + pos, end - pos));
            if (got > end - pos) harness_fail("pop3_on_input consumed more than given");
            if (got < end - pos && !pop3_is_paused(&T.c) && pop3_state(&T.c) != POP3_STATE_CLOSED)
                harness_fail("pop3_on_input kept input while neither paused nor closed");
            pos += got;
            continue;
        }
        break; /* nothing more to deliver */
    }
    {
        /* What the oracle expects: failure status, where the client stood, who closes. */
        bool injected = f->kind >= F_SENDFAIL ? T.fault_hit : f->cut < s->len;
        bool port_lost = f->kind == F_CUT || f->kind == F_PAUSECUT;
        int nd = T.obs.ndone;
        switch (f->kind) {
        case F_STALL: fail_st = POP3_ERR_TIMEOUT; break;
        case F_ABORT:
        case F_CBABORT: fail_st = POP3_ERR_ABORTED; break;
        default: fail_st = POP3_ERR_TRANSPORT; break;
        }
        k = f->kind >= F_SENDFAIL ? pos : f->cut;
        if (!injected) {
            /* No fault happened (or after QUIT): the peer closes, which must change nothing. */
            k = FS_NONE;
            if (!T.closed) {
                T.closed = true;
                HG_LIB(pop3_on_closed(&T.c, POP3_ERR_TRANSPORT));
            }
            if (T.obs.ndone != nd) harness_fail("pop3_on_closed after QUIT fired on_done");
            if (T.close_calls != 1) harness_fail("close not called exactly once after QUIT");
        } else if (port_lost && T.close_calls != 0) {
            harness_fail("core called close although the port reported the loss");
        } else if (!port_lost && T.close_calls != 1) {
            harness_fail("core did not call close exactly once after the failure");
        }
        if (injected && f->kind == F_SENDFAIL && fs_boundary(s, pos) < 0) {
            harness_fail("a command was sent before its predecessor's reply was consumed");
        }
        if (injected || f->nsplits > 0 || f->bytewise) g_faults++;
    }
    T.obs.state = pop3_state(&T.c);
    T.obs.session_status = pop3_session_status(&T.c);
    T.obs.delivered = pos;
    g_runs++;
    if (T.err[0] == '\0' && fs_check(s, k, fail_st, !T.fault_hit ? 0 : f->kind == F_SENDFAIL ? 1 : f->kind == F_CBABORT ? 2 : 0, &T.obs, why, sizeof why)) return true;
    g_failures++;
    if (g_failures <= 10) {
        fprintf(stderr, "FAIL [%s: %s%s%s] %s\n", g_what, label, T.cb_where[0] ? ", pop3_abort() inside " : "",
                T.cb_where, T.err[0] ? T.err : why);
        fprintf(stderr, "  (kind %d nth %d, cut %zu%s, %zu split(s)%s, pause every %d, send mode %d; "
                "consumed %zu of %zu octets)\n", (int)f->kind, f->nth,
                f->cut == FS_NONE ? (size_t)0 : f->cut, f->cut == FS_NONE ? " = none" : "", f->nsplits,
                f->bytewise ? ", bytewise" : "", f->pause_every, (int)f->send_mode, T.obs.delivered, s->len);
    }
    return false;
}

/* ---- the loops -------------------------------------------------------------------- */

static void report(const char *what, unsigned long runs, unsigned long fails)
{
    printf("  %-62s %7lu runs%s\n", what, runs, fails ? "  <-- FAILURES" : "");
    fflush(stdout);
}

static void loop_cut(const fs_session_t *s, const char *what, fault_kind_t kind, int pause_every, send_mode_t sm,
                     bool bytewise)
{
    unsigned long r0 = g_runs, f0 = g_failures;
    char label[64];

    g_what = what;
    for (size_t k = 0; k <= s->len; k++) {
        fault_t f = {k, NULL, 0, bytewise, pause_every, sm, kind, 0};
        snprintf(label, sizeof label, "at offset %zu", k);
        run(s, &f, label);
    }
    report(what, g_runs - r0, g_failures - f0);
}

/* F_SENDFAIL / F_PAUSECUT: the nth event, for every n until a run has no nth event. */
static void loop_nth(const fs_session_t *s, const char *what, fault_kind_t kind, int pause_every, send_mode_t sm)
{
    unsigned long r0 = g_runs, f0 = g_failures;
    char label[64];

    g_what = what;
    for (int n = 1; n < 100000; n++) {
        fault_t f = {FS_NONE, NULL, 0, false, pause_every, sm, kind, n};
        snprintf(label, sizeof label, "event %d", n);
        run(s, &f, label);
        if (!T.fault_hit) break;
    }
    report(what, g_runs - r0, g_failures - f0);
}

static void loop_split(const fs_session_t *s, const char *what, bool vary)
{
    unsigned long r0 = g_runs, f0 = g_failures;
    char label[64];

    g_what = what;
    for (size_t k = 1; k < s->len; k++) {
        size_t sp[1] = {k};
        fault_t f = {FS_NONE, sp, 1, false, vary ? (int)(k % 4) : 0, vary ? (send_mode_t)(k % SEND_MODES) : SEND_ALL,
                     F_CUT, 0};
        snprintf(label, sizeof label, "split at %zu", k);
        run(s, &f, label);
    }
    report(what, g_runs - r0, g_failures - f0);
}

static void loop_pairs(const fs_session_t *s, const char *what, bool with_cut)
{
    unsigned long r0 = g_runs, f0 = g_failures;
    char label[64];

    g_what = what;
    for (size_t a = 1; a < s->len; a++) {
        for (size_t b = a + 1; b <= s->len; b++) {
            if (with_cut) {
                /* one split at a, cut at b */
                size_t sp[1] = {a};
                fault_t f = {b, sp, 1, false, (int)((a + b) % 3), (send_mode_t)(b % SEND_MODES), F_CUT, 0};
                snprintf(label, sizeof label, "split at %zu, cut at %zu", a, b);
                run(s, &f, label);
            } else if (b < s->len) {
                size_t sp[2] = {a, b};
                fault_t f = {FS_NONE, sp, 2, false, (int)((a + b) % 3), (send_mode_t)(a % SEND_MODES), F_CUT, 0};
                snprintf(label, sizeof label, "splits at %zu,%zu", a, b);
                run(s, &f, label);
            }
        }
    }
    report(what, g_runs - r0, g_failures - f0);
}

static void single(const fs_session_t *s, const char *what, bool bytewise, int pause_every, send_mode_t sm,
                   bool is_fault)
{
    unsigned long r0 = g_runs, f0 = g_failures;
    fault_t f = {FS_NONE, NULL, 0, bytewise, pause_every, sm, F_CUT, 0};

    (void)is_fault;
    g_what = what;
    run(s, &f, what);
    report(what, g_runs - r0, g_failures - f0);
}

int main(int argc, char **argv)
{
    static fs_session_t full, full_up, full_stls, shrt, err_a, err_b, sasl_plain, scram, scram_up, scram_stls;
    const char *summary = NULL;
    bool quick = false;
    fs_opts_t o;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--summary") && i + 1 < argc) summary = argv[++i];
        else if (!strcmp(argv[i], "--quick")) quick = true;
        else {
            fprintf(stderr, "usage: %s [--summary FILE] [--quick]\n", argv[0]);
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
    loop_split(&full, "split at every offset", false);
    loop_split(&full, "split at every offset, varied pauses and sends", true);
    loop_split(&full_up, "split at every offset (DELE queued up front)", true);
    loop_split(&full_stls, "split at every offset, STLS session", true);
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
    loop_split(&scram, "SCRAM: split at every offset, varied pauses and sends", true);
    single(&scram, "SCRAM: one octet per segment, 1-octet sends", true, 1, SEND_TRICKLE, true);

    printf("  shorter session: %zu server octets\n", shrt.len);
    loop_pairs(&shrt, "short session: split at every pair of offsets", false);
    if (!quick) {
        loop_pairs(&shrt, "short session: split at a, cut at every b > a", true);
    }

    printf("fault_core: %lu runs, %lu faults injected, %lu failed; heap calls by the library: %lu "
           "(by mbedTLS's own allocator: %lu; harness: %lu)\n", g_runs, g_faults, g_failures, hg_violations,
           hg_mbedtls_calls, hg_harness_calls);
    if (summary != NULL) {
        FILE *fp = fopen(summary, "w");
        if (fp == NULL || fprintf(fp, "faults_injected=%lu\n", g_faults) < 0 || fclose(fp) != 0) {
            fprintf(stderr, "cannot write %s\n", summary);
            return 1;
        }
    }
    if (hg_violations > 0) {
        fprintf(stderr, "FAIL: the library called the heap %lu times (see HEAP GUARD above)\n", hg_violations);
        return 1;
    }
    return g_failures == 0 ? 0 : 1;
}
