/*
 * fault_core: the client under test on a fake port (send modes, faults at the
 * nth send, pause or callback), the scripted server that releases each reply
 * when its command arrives, and one run checked against the oracle (the loops
 * and main() are in fault_core.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_app.h"
#include "fault_core.h"
#include "heap_guard.h"
#include "pop3.h"

/* ---- the client under test and its fake port --------------------------------- */

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
    fa_obs_done(o, cmd, st, r);
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
    if (!fa_obs_body(o, data, len)) return POP3_CB_CONTINUE;
    return maybe_pause();
}

static pop3_cb_action_t t_list(void *ctx, uint32_t msg, uint64_t octets)
{
    fs_obs_t *o = &T.obs;

    (void)ctx;
    fa_obs_list(o, msg, octets);
    return maybe_pause();
}

static pop3_cb_action_t t_uidl(void *ctx, uint32_t msg, const char *uid, size_t len)
{
    fs_obs_t *o = &T.obs;

    (void)ctx;
    fa_obs_uidl(o, msg, uid, len);
    return maybe_pause();
}

/* ---- the scripted server and the delivery engine ------------------------------- */

/* Next segment boundary after pos: natural ones (RETR body in MSS-sized segments) and the fault's. */
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

bool fc_run(const fs_session_t *s, const fault_t *f, const char *what, const char *label, fc_tally_t *t)
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

    if (fa_queue_work(&T.c, s, &T.creds, &T.rng) != POP3_OK) harness_fail("queueing refused");

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
        if (injected || f->nsplits > 0 || f->bytewise) t->faults++;
    }
    T.obs.state = pop3_state(&T.c);
    T.obs.session_status = pop3_session_status(&T.c);
    T.obs.delivered = pos;
    t->runs++;
    t->fault_hit = T.fault_hit;
    if (T.err[0] == '\0' && fs_check(s, k, fail_st, !T.fault_hit ? 0 : f->kind == F_SENDFAIL ? 1 : f->kind == F_CBABORT ? 2 : 0, &T.obs, why, sizeof why)) return true;
    t->failures++;
    if (t->failures <= 10) {
        fprintf(stderr, "FAIL [%s: %s%s%s] %s\n", what, label, T.cb_where[0] ? ", pop3_abort() inside " : "",
                T.cb_where, T.err[0] ? T.err : why);
        fprintf(stderr, "  (kind %d nth %d, cut %zu%s, %zu split(s)%s, pause every %d, send mode %d; "
                "consumed %zu of %zu octets)\n", (int)f->kind, f->nth,
                f->cut == FS_NONE ? (size_t)0 : f->cut, f->cut == FS_NONE ? " = none" : "", f->nsplits,
                f->bytewise ? ", bytewise" : "", f->pause_every, (int)f->send_mode, T.obs.delivered, s->len);
    }
    return false;
}

