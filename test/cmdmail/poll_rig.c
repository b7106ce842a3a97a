/* The device of the poll tests (see poll_rig.h). */
#include "poll_rig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const ev_names[EV_COUNT] = {"nv-before", "nv-torn",  "run-before", "run-after",
                                                "send",      "reply",    "reply-mid"};

const char *rig_ev_name(rig_ev_t e) { return (unsigned)e < EV_COUNT ? ev_names[e] : "?"; }

/* Counts the event; true if it is the one that cuts the power. */
static bool cut_here(rig_t *r, rig_ev_t kind)
{
    r->events++;
    r->ev_count[kind]++;
    if (r->cut_at == 0 || r->events != r->cut_at)
        return false;
    if (r->link_cut && kind != EV_SEND && kind != EV_REPLY && kind != EV_REPLY_MID)
        return false; /* a connection cannot be lost inside an NV write or a command */
    r->cut_kind = kind;
    r->cut_done = true;
    return true;
}

static void power_cut(rig_t *r)
{
    longjmp(*r->power, 1);
}

/* ---- NV: two slots in RAM ------------------------------------------------- */

static bool nv_read(void *ctx, unsigned slot, uint8_t *buf, size_t len)
{
    rig_t *r = ctx;
    if (slot > 1 || len != CMDMAIL_NV_RECORD_LEN)
        return false;
    memcpy(buf, r->nv[slot], len);
    return true;
}

static bool nv_write(void *ctx, unsigned slot, const uint8_t *buf, size_t len)
{
    rig_t *r = ctx;
    if (slot > 1 || len != CMDMAIL_NV_RECORD_LEN)
        return false;
    if (++r->nv_attempts == r->nv_fail_at)
        return false;
    if (cut_here(r, EV_NV_BEFORE))
        power_cut(r);
    if (cut_here(r, EV_NV_TORN)) {
        size_t i;
        switch (r->events % 3U) { /* what a cut page program leaves */
        case 0: memcpy(r->nv[slot], buf, len / 2); memset(r->nv[slot] + len / 2, 0xFF, len - len / 2); break;
        case 1: memcpy(r->nv[slot], buf, len - 1); r->nv[slot][len - 1] ^= 0x5A; break;
        default:
            for (i = 0; i < len; i++)
                r->nv[slot][i] = (uint8_t)(buf[i] ^ (i * 131U + r->events));
            break;
        }
        power_cut(r);
    }
    memcpy(r->nv[slot], buf, len);
    r->nv_writes++;
    return true;
}

/* ---- the transport ---------------------------------------------------------- */

static long t_send(void *ctx, const uint8_t *data, size_t len)
{
    rig_t *r = ctx;
    if (cut_here(r, EV_SEND)) {
        if (!r->link_cut)
            power_cut(r);
        r->link_lost = true;
        ps_drop(&r->srv);
        return -1; /* the connection broke: the line never arrives */
    }
    return ps_send(&r->srv, data, len);
}

static void t_close(void *ctx)
{
    rig_t *r = ctx;
    r->closed = true;
    if (r->srv.state != PS_DONE)
        ps_drop(&r->srv); /* closed without a successful QUIT */
}

/* ---- the poll's hooks -------------------------------------------------------- */

static pop3_status_t h_login(void *ctx, pop3_client_t *c)
{
    rig_t *r = ctx;
    r->login_called = true;
    return pop3_login(c, "device", "s3cret");
}

static void h_run(void *ctx, uint64_t seq, size_t index, const char *cmd)
{
    rig_t *r = ctx;
    if (cut_here(r, EV_RUN_BEFORE))
        power_cut(r);
    if (r->nran < RIG_MAX_RAN) {
        rig_ran_t *x = &r->ran[r->nran++];
        x->seq = seq;
        x->index = index;
        snprintf(x->cmd, sizeof(x->cmd), "%s", cmd);
    } else {
        r->ran_overflow = true;
    }
    if (cut_here(r, EV_RUN_AFTER))
        power_cut(r);
}

/* Between the client and the poll: keeps a copy of the body, then hands it on. */
static pop3_cb_action_t h_body(void *ctx, const char *data, size_t len)
{
    rig_t *r = cmdmail_poll_ctx(ctx);
    if (r->body_len + len <= sizeof(r->body)) {
        memcpy(r->body + r->body_len, data, len);
        r->body_len += len;
    } else {
        r->body_overflow = true;
    }
    return r->poll_on_body(ctx, data, len);
}

/* Between the client and the poll: records each completion, then hands it on. */
static void h_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *reply)
{
    rig_t *r = cmdmail_poll_ctx(ctx);
    if (r->ndone < RIG_MAX_DONE) {
        r->done[r->ndone].cmd = cmd;
        r->done[r->ndone].st = st;
        r->ndone++;
    } else {
        r->done_overflow = true;
    }
    r->poll_on_done(ctx, cmd, st, reply);
}

/* A whole RETR must have delivered the message exactly (dot-unstuffed). */
static void check_body(rig_t *r, const cmdmail_poll_msg_t *m)
{
    unsigned i;
    for (i = 0; i < r->nbox; i++) {
        const char *t = r->box[i]->text;
        if (strlen(r->box[i]->uid) != m->uid_len || memcmp(r->box[i]->uid, m->uid, m->uid_len) != 0)
            continue;
        if (!r->body_overflow && r->body_len == strlen(t) && memcmp(r->body, t, r->body_len) == 0)
            r->bodies_ok++;
        else
            r->bodies_bad++;
        return;
    }
    r->bodies_bad++; /* a UID that is not in the box */
}

static void h_message(void *ctx, const cmdmail_poll_msg_t *m)
{
    rig_t *r = ctx;
    rig_seen_t *s;
    if (m->retr_status == POP3_OK)
        check_body(r, m);
    r->body_len = 0;
    r->body_overflow = false;
    if (r->nseen >= RIG_MAX_SEEN)
        return;
    s = &r->seen[r->nseen++];
    memset(s, 0, sizeof(*s));
    if (m->uid != NULL && m->uid_len < sizeof(s->uid))
        memcpy(s->uid, m->uid, m->uid_len);
    s->verdict = m->verdict;
    s->seq = m->res != NULL ? m->res->seq : 0;
    s->retr_status = m->retr_status;
    s->deleting = m->deleting;
}

static void h_end(void *ctx, const cmdmail_poll_stats_t *st)
{
    rig_t *r = ctx;
    r->end_calls++;
    r->end = *st;
}

static void h_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len)
{
    rig_t *r = cmdmail_poll_ctx(ctx);
    char tmp[100];
    int n = snprintf(tmp, sizeof(tmp), "%s%.*s\n", dir == POP3_TRACE_SENT ? "C: " : "S: ",
                     (int)(len > 80 ? 80 : len), line);
    if (n <= 0)
        return;
    if (r->trace_len + (size_t)n >= sizeof(r->trace)) { /* keep the newer half */
        size_t keep = sizeof(r->trace) / 2;
        memmove(r->trace, r->trace + r->trace_len - keep, keep);
        r->trace_len = keep;
    }
    memcpy(r->trace + r->trace_len, tmp, (size_t)n);
    r->trace_len += (size_t)n;
    r->trace[r->trace_len] = '\0';
}

/* ---- life ---------------------------------------------------------------------- */

void rig_init(rig_t *r, const pm_msg_t *box, unsigned n, cmdmail_poll_policy_t policy)
{
    unsigned i;
    memset(r, 0, sizeof(*r));
    memset(r->nv, 0xFF, sizeof(r->nv)); /* erased flash */
    ps_init(&r->srv, "device", "s3cret");
    for (i = 0; i < n; i++)
        rig_add(r, &box[i]);
    r->policy = policy;
}

void rig_add(rig_t *r, const pm_msg_t *m)
{
    ps_add(&r->srv, m->uid, m->text);
    r->box[r->nbox++] = m;
}

bool rig_boot(rig_t *r)
{
    cmdmail_config_t cfg;
    cmdmail_result_t res;
    memset(&cfg, 0, sizeof(cfg));
    cfg.device_id = PM_DEVICE;
    cfg.key = PM_KEY;
    cfg.key_len = sizeof(PM_KEY);
    cfg.nv.ctx = r;
    cfg.nv.read = nv_read;
    cfg.nv.write = nv_write;
    cmdmail_init(&r->cm);
    r->cm_up = true; /* cmdmail_free is needed even after a failed setup */
    if (!cmdmail_setup(&r->cm, &cfg, &res))
        return false;
    r->boot_pending = res.pending_seq;
    if (res.pending_seq != 0 && r->npendings < sizeof(r->pendings) / sizeof(r->pendings[0]))
        r->pendings[r->npendings++] = res.pending_seq;
    r->boot_last = res.last_seq;
    return true;
}

void rig_power_off(rig_t *r)
{
    if (r->cm_up)
        cmdmail_free(&r->cm); /* the device's RAM is gone; this only returns mbedTLS's heap */
    r->cm_up = false;
    memset(&r->c, 0, sizeof(r->c));
    memset(&r->p, 0, sizeof(r->p));
    if (r->srv.state != PS_OFF && r->srv.state != PS_DONE)
        ps_drop(&r->srv);
    r->srv.state = PS_OFF;
}

static size_t piece(rig_t *r, size_t left)
{
    size_t max;
    if (r->split == 0)
        return left;
    r->rng ^= r->rng << 13;
    r->rng ^= r->rng >> 17;
    r->rng ^= r->rng << 5;
    max = (r->rng & 3U) == 0 ? 1U : (r->rng & 3U) == 1 ? 7U : 900U;
    max = 1U + (r->rng >> 8) % max;
    return max < left ? max : left;
}

/* Hands [from, to) of the pending reply to the client in pieces. false: the session ended. */
static bool deliver(rig_t *r, size_t from, size_t to, const char *reply)
{
    static char buf[PS_OUT_CAP];
    size_t pos = from;
    bool retr = strcmp(r->srv.last_cmd, "RETR") == 0 && r->srv.last_arg == r->drop_msg && r->drop_msg != 0;
    while (pos < to) {
        size_t n = piece(r, to - pos), got;
        if (retr && pos < r->drop_after && pos + n >= r->drop_after)
            n = r->drop_after - pos;
        if (retr && pos >= r->drop_after) { /* the connection is lost here */
            ps_drop(&r->srv);
            pop3_on_closed(&r->c, POP3_ERR_TRANSPORT);
            return false;
        }
        memcpy(buf, reply + pos, n);
        got = pop3_on_input(&r->c, (const uint8_t *)buf, n);
        pos += got;
        if (got < n)
            return false; /* closed (the poll driver never pauses here) */
    }
    return true;
}

/* The cut event of a reply: the power goes (no return), or the link. */
static bool link_lost(rig_t *r)
{
    if (!r->link_cut)
        power_cut(r);
    r->link_lost = true;
    ps_drop(&r->srv);
    pop3_on_closed(&r->c, POP3_ERR_TRANSPORT);
    return true;
}

const cmdmail_poll_stats_t *rig_poll(rig_t *r)
{
    static char reply[PS_OUT_CAP];
    cmdmail_poll_config_t pc;
    pop3_config_t cc;
    memset(&pc, 0, sizeof(pc));
    pc.cm = &r->cm;
    pc.policy = r->policy;
    pc.ctx = r;
    pc.login = h_login;
    pc.run = h_run;
    pc.on_message = h_message;
    pc.on_end = h_end;
    pc.on_done = r->hook;
    r->nseen = 0;
    r->ndone = 0;
    r->done_overflow = false;
    r->end_calls = 0;
    memset(&r->end, 0, sizeof(r->end));
    r->stalled = false;
    r->link_lost = false;
    r->login_called = false;
    r->closed = false;
    r->rng = r->split * 2654435761U + 1U;
    cmdmail_poll_init(&r->p, &pc);

    memset(&cc, 0, sizeof(cc));
    cc.line_buf = r->line_buf;
    cc.line_buf_len = sizeof(r->line_buf);
    cc.tx_buf = r->tx_buf;
    cc.tx_buf_len = sizeof(r->tx_buf);
    cc.transport.ctx = r;
    cc.transport.send = t_send;
    cc.transport.close = t_close;
    cc.security = POP3_SEC_PLAINTEXT;
    cc.allow_plaintext_login = true;
    cc.callbacks.on_trace = h_trace;
    cmdmail_poll_callbacks(&r->p, &cc.callbacks);
    r->poll_on_body = cc.callbacks.on_body;
    cc.callbacks.on_body = h_body;
    r->poll_on_done = cc.callbacks.on_done;
    cc.callbacks.on_done = h_done;
    r->body_len = 0;
    r->body_overflow = false;
    if (pop3_init(&r->c, &cc) != POP3_OK) {
        r->stalled = true;
        return &r->end;
    }
    cmdmail_poll_attach(&r->p, &r->c);
    ps_connect(&r->srv);
    pop3_start(&r->c, 0);
    pop3_on_connected(&r->c);
    while (!r->closed && pop3_state(&r->c) != POP3_STATE_CLOSED) {
        size_t n = ps_pending(&r->srv);
        if (n == 0) {
            r->stalled = true; /* the client waits for nothing the server owes */
            break;
        }
        /* The whole reply leaves the server now; the client reads it in pieces. */
        memcpy(reply, ps_pending_data(&r->srv), n);
        ps_consumed(&r->srv, n);
        if (cut_here(r, EV_REPLY) && link_lost(r))
            break;
        if (!deliver(r, 0, n / 2, reply))
            break;
        if (n >= 2 && cut_here(r, EV_REPLY_MID) && link_lost(r))
            break;
        if (!deliver(r, n / 2, n, reply))
            break;
    }
    if (r->link_lost) {
        r->link_end_calls = r->end_calls;
        r->link_end = r->end;
    }
    if (!cmdmail_poll_finished(&r->p))
        r->stalled = true;
    if (r->srv.state != PS_DONE && r->srv.state != PS_OFF)
        ps_drop(&r->srv);
    r->srv.state = PS_OFF;
    return &r->end;
}

const rig_seen_t *rig_seen_uid(const rig_t *r, const char *uid)
{
    unsigned i;
    for (i = 0; i < r->nseen; i++) {
        if (strcmp(r->seen[i].uid, uid) == 0)
            return &r->seen[i];
    }
    return NULL;
}

unsigned rig_ran_count(const rig_t *r, uint64_t seq)
{
    unsigned i, k = 0;
    for (i = 0; i < r->nran; i++)
        k += r->ran[i].seq == seq;
    return k;
}

bool rig_was_pending(const rig_t *r, uint64_t seq)
{
    unsigned i;
    for (i = 0; i < r->npendings; i++)
        if (r->pendings[i] == seq)
            return true;
    return false;
}
