/*
 * fuzz_harness (fuzz_harness_int.h): queueing commands from the script, and
 * the fake transport (send with fuzzed short sends, would-block and errors,
 * the send contract, the security checks on what was sent, start_tls, close,
 * wake).
 */
#include "fuzz_auth.h"
#include "fuzz_harness_int.h"
#include "fuzz_util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3.h"

/* ------------------------------------------------------------------------ */
/* Queueing commands                                                        */
/* ------------------------------------------------------------------------ */


/* Queues opcode @p b (see the header). Returns false only on POP3_ERR_QUEUE_FULL. */
bool queue_op(uint8_t b)
{
    pop3_client_t *c = &fz.client;
    int op = b & 15;
    uint32_t n = (uint32_t)(b >> 4) + 1U;
    int cmd;
    uint32_t a = 0, bb = 0;
    pop3_status_t st;

    fz_q_t *e;
    int idx;

    /* The entry exists before the call: the core may send it, or even report
     * it (POP3_ERR_STATE), from inside the call. */
    if (fz.nq >= FZ_MAXQ) {
        return true; /* an application that queues for ever: stop it here */
    }
    idx = fz.nq++;
    e = &fz.q[idx];
    memset(e, 0, sizeof *e);
    e->last_d = -1;
    e->cmd = -1;
    switch (op) {
    case 0: cmd = POP3_CMD_STAT; break;
    case 1: cmd = POP3_CMD_LIST; break;
    case 2: cmd = POP3_CMD_LIST; a = n; break;
    case 3: cmd = POP3_CMD_UIDL; break;
    case 4: cmd = POP3_CMD_UIDL; a = n; break;
    case 5: cmd = POP3_CMD_RETR; a = n; break;
    case 6: cmd = POP3_CMD_TOP; a = n; bb = n - 1U; break;
    case 7: cmd = POP3_CMD_NOOP; break;
    case 8: cmd = POP3_CMD_DELE; a = n; break;
    case 9: cmd = POP3_CMD_RSET; break;
    case 10: cmd = POP3_CMD_QUIT; break;
    case 11: cmd = POP3_CMD_CAPA; break;
    case 12: cmd = (b >> 4) != 0 ? POP3_CMD_AUTH : POP3_CMD_LOGIN; break;
    case 13: cmd = (b >> 4) != 0 ? POP3_CMD_AUTH : POP3_CMD_APOP; break;
    case 14: cmd = POP3_CMD_RETR; a = 4294967295U; break;
    default: cmd = POP3_CMD_TOP; a = n; bb = 4294967295U; break;
    }
    e->cmd = cmd;
    e->a = a;
    e->b = bb;
#ifdef FZ_EXPLORE_AROUND_KNOWN_BUGS
    if (op == 12 && (pop3_state(c) >= POP3_STATE_TRANSACTION || fz.login_queued)) {
        fz.nq--; /* login_refused_at_dispatch_reported_twice */
        return true;
    }
#endif
    fz.login_queued = fz.login_queued || cmd == POP3_CMD_LOGIN;
    switch (op) {
    case 0: st = pop3_stat(c); break;
    case 1: case 2: st = pop3_list(c, a); break;
    case 3: case 4: st = pop3_uidl(c, a); break;
    case 5: case 14: st = pop3_retr(c, a); break;
    case 6: case 15: st = pop3_top(c, a, bb); break;
    case 7: st = pop3_noop(c); break;
    case 8: st = pop3_dele(c, a); break;
    case 9: st = pop3_rset(c); break;
    case 10: st = pop3_quit(c); break;
    case 11: st = pop3_capa(c); break;
    case 12: st = cmd == POP3_CMD_AUTH ? fa_queue(c, POP3_SASL_BEST, true, false) : pop3_login(c, FZ_USER, FZ_PASS); break;
    default:
        if (cmd == POP3_CMD_AUTH) {
            unsigned h = (unsigned)b >> 4;
            st = fa_queue(c, (pop3_sasl_mech_t)(h & 7U), false, h > 8U);
        } else {
            st = pop3_apop(c, FZ_USER, FZ_PASS);
        }
        break;
    }
    if (st != POP3_OK) {
        /* Not queued: nothing may have happened to it, or after it. */
        FZ_CHECK(fz.nq == idx + 1 && !e->done && e->last_d < 0, "%s refused (%s) but the core acted on it",
                 pop3_cmd_name((pop3_cmd_t)cmd), st_name(st));
        fz.nq--;
    }
    if (fz.closed_seen) {
        FZ_CHECK(st == POP3_ERR_CLOSED, "queueing %s after the session closed returned %s", pop3_cmd_name((pop3_cmd_t)cmd),
                 st_name(st));
        return true;
    }
    if ((cmd == POP3_CMD_LOGIN || cmd == POP3_CMD_APOP || cmd == POP3_CMD_AUTH) && fz.security == POP3_SEC_PLAINTEXT &&
        !fz.allow_plain) {
        FZ_CHECK(st != POP3_OK, "%s accepted over plaintext without allow_plaintext_login", pop3_cmd_name((pop3_cmd_t)cmd));
    }
    dbg("queue %s -> %s", pop3_cmd_name((pop3_cmd_t)cmd), st_name(st));
    if (st == POP3_OK) {

        return true;
    }
    FZ_CHECK(st == POP3_ERR_QUEUE_FULL || st == POP3_ERR_STATE || st == POP3_ERR_SECURITY || st == POP3_ERR_CLOSED,
             "queueing %s returned %s", pop3_cmd_name((pop3_cmd_t)cmd), st_name(st));
    FZ_CHECK(st != POP3_ERR_CLOSED || pop3_state(c) == POP3_STATE_CLOSED, "POP3_ERR_CLOSED while the session is open");
    return st != POP3_ERR_QUEUE_FULL;
}

static bool may_queue_script(void)
{
    if (fz.target == FZ_TARGET_SESSION && !fz.early_queue) {
        return fz.connect_done > 0 && fz.connect_st == POP3_OK;
    }
    return true;
}

/* Queues script commands while the queue has room. */
void pump_script(void)
{
    const uint8_t *s = fz.script_from_input ? fz.script.p : fz.default_script;
    size_t n = fz.script_from_input ? fz.script.n : fz.default_script_len;

    if (fz.quiet || !may_queue_script()) {
        return;
    }
    if (fz.target == FZ_TARGET_SESSION && !fz.no_auth && !fz.auth_queued) {
        if (!queue_op(fz.apop ? 13 : 12)) {
            return;
        }
        fz.auth_queued = true;
    }
    while (fz.script_pos < n && fz.nq < FZ_MAXQ - 8) {
        if (!queue_op(s[fz.script_pos])) {
            return; /* full: retry later */
        }
        fz.script_pos++;
    }
}

/* ------------------------------------------------------------------------ */
/* Fake transport                                                           */
/* ------------------------------------------------------------------------ */

static void sent_append(const uint8_t *p, size_t n)
{
    if (fz.sent_len + n > fz.sent_cap) {
        size_t cap = (fz.sent_len + n) * 2U + 256U;
        uint8_t *x = realloc(fz.sent, cap);
        FZ_CHECK(x != NULL, "harness: out of memory");
        fz.sent = x;
        fz.sent_cap = cap;
    }
    memcpy(fz.sent + fz.sent_len, p, n);
    fz.sent_len += n;
}

/* Security: what may have been sent before TLS (or ever, without the plaintext opt-in). */
static void check_sent_security(void)
{
    static const char *const banned[] = {"USER", "PASS", "APOP", "AUTH"};
    size_t lim = fz.sent_len < fz.sent_pre_tls ? fz.sent_len : fz.sent_pre_tls;
    size_t i;
    bool guarded = fz.security != POP3_SEC_PLAINTEXT || !fz.allow_plain;

    if (guarded) {
        for (i = 0; i < 4; i++) {
            FZ_CHECK(!mem_contains(fz.sent, lim, banned[i], 4), "\"%s\" sent %s", banned[i],
                     fz.security == POP3_SEC_PLAINTEXT ? "over plaintext without the opt-in" : "before TLS was up");
        }
        FZ_CHECK(!mem_contains(fz.sent, lim, FZ_PASS, strlen(FZ_PASS)), "password sent before TLS / without opt-in");
    }
    if (fz.security == POP3_SEC_IMPLICIT_TLS) {
        FZ_CHECK(lim == 0, "%zu octets sent before the implicit TLS handshake completed", lim);
    }
    if (fz.apop && !fz.login_queued) {
        FZ_CHECK(!mem_contains(fz.sent, fz.sent_len, FZ_PASS, strlen(FZ_PASS)), "APOP session sent the password in clear");
    }
}

/* The text the core must send for user command @p e (NULL for APOP: checked apart). */
static void expected_text(const fz_q_t *e, bool pass, char *out, size_t out_len)
{
    const char *v = pop3_cmd_name((pop3_cmd_t)e->cmd);

    if (e->cmd == POP3_CMD_LOGIN) {
        snprintf(out, out_len, pass ? "PASS %s\r\n" : "USER %s\r\n", pass ? FZ_PASS : FZ_USER);
    } else if (e->cmd == POP3_CMD_TOP) {
        snprintf(out, out_len, "TOP %u %u\r\n", (unsigned)e->a, (unsigned)e->b);
    } else if (e->a != 0) {
        snprintf(out, out_len, "%s %u\r\n", v, (unsigned)e->a);
    } else {
        snprintf(out, out_len, "%s\r\n", v);
    }
}

/* The queue entry whose line is due next: the first not yet offered (a
 * LOGIN whose USER went out owes its PASS). -1: nothing is due. */
static int due_q(bool *pass)
{
    int i;

    *pass = false;
    for (i = fz.ndone; i < fz.nq; i++) {
        const fz_q_t *e = &fz.q[i];
        if (e->last_d < 0) {
            return i;
        }
        if (e->cmd == POP3_CMD_LOGIN && memcmp(fz.d[e->last_d].verb, "USER", 4) == 0) {
            *pass = true;
            return i;
        }
    }
    return -1;
}

/*
 * The core's pipelining rules (RFC 2449; pop3_dispatch.c) for a line of user
 * command @p i sent while the @p i - ndone before it await their replies, or
 * in an offer of several lines: only when pipelining is in force (a login
 * succeeded, PIPELINING advertised since TLS came up, depth > 1), at most
 * depth on the wire, one-line commands only, never QUIT (it waits for every
 * reply: Dovecot 2.3 drops buffered output at a pipelined QUIT) nor a raw
 * pop3_command() line, nothing behind either, no DELE n behind a RETR/TOP n
 * still unanswered.
 */
static void check_pipelined(int i, const char *line, size_t len)
{
    const fz_q_t *e = &fz.q[i];
    int j, ahead = i - fz.ndone;

    FZ_CHECK(fz.depth > 1, "%.*s pipelined with pipeline_depth 1", (int)(len - 2), line);
    FZ_CHECK(fz.trans, "%.*s pipelined outside TRANSACTION", (int)(len - 2), line);
    FZ_CHECK(pipelining_evidence(), "%.*s pipelined, but no PIPELINING advertised since TLS came up", (int)(len - 2), line);
    FZ_CHECK(pop3_pipelining(&fz.client), "%.*s pipelined while pop3_pipelining() is false", (int)(len - 2), line);
    FZ_CHECK((unsigned)ahead < fz.depth, "%d commands on the wire, depth %u", ahead + 1, fz.depth);
    FZ_CHECK(e->cmd != POP3_CMD_LOGIN && e->cmd != POP3_CMD_APOP && e->cmd != POP3_CMD_AUTH &&
                 e->cmd != POP3_CMD_QUIT && e->cmd != POP3_CMD_RAW,
             "%s pipelined", pop3_cmd_name((pop3_cmd_t)e->cmd));
    for (j = fz.ndone; j < i; j++) {
        FZ_CHECK(fz.q[j].cmd != POP3_CMD_QUIT && fz.q[j].cmd != POP3_CMD_RAW, "%.*s sent behind %s", (int)(len - 2),
                 line, pop3_cmd_name((pop3_cmd_t)fz.q[j].cmd));
        FZ_CHECK(e->cmd != POP3_CMD_DELE || !is_body_cmd(fz.q[j].cmd) || fz.q[j].a != e->a,
                 "DELE %u sent while %s %u awaits its reply", (unsigned)e->a, pop3_cmd_name((pop3_cmd_t)fz.q[j].cmd),
                 (unsigned)e->a);
    }
    if (ahead + 1 > fz.max_wire) {
        fz.max_wire = ahead + 1;
    }
}

/* One line of a first offer: which command it is, and is it the one that is due? */
static void new_line(const uint8_t *data, size_t len, bool several)
{
    fz_d_t *d;
    char exp[600];
    size_t vl;

    FZ_CHECK(fz.nd < FZ_MAXD, "harness: too many commands sent");
    FZ_CHECK(len >= 6, "offered command line of %zu octets", len);
    d = &fz.d[fz.nd];
    memset(d, 0, sizeof *d);
    d->arrived = fz.fed_end;
    for (vl = 0; vl < 4 && vl < len && data[vl] != ' ' && data[vl] != '\r'; vl++) {
        d->verb[vl] = (char)data[vl];
    }
    d->has_arg = data[vl] == ' ';
    d->q = -1;
    if (fz.connect_done == 0) {
        /* Before the session is ready only the core's own CAPA / STLS may go out, alone. */
        FZ_CHECK(!several, "offered text holds more than one line before the session was ready");
        FZ_CHECK((len == 6 && memcmp(data, "CAPA\r\n", 6) == 0) || (len == 6 && memcmp(data, "STLS\r\n", 6) == 0),
                 "command %.*s sent before the session was ready", (int)(len - 2), (const char *)data);
        if (memcmp(data, "STLS", 4) == 0) {
            FZ_CHECK(fz.security == POP3_SEC_STLS && !fz.tls_ok && !fz.stls_sent, "STLS sent in the wrong mode or twice");
        } else {
            FZ_CHECK(fz.security != POP3_SEC_STLS || !fz.stls_sent || fz.tls_ok, "CAPA sent between STLS and the handshake");
        }
    } else {
        bool pass;
        int i = due_q(&pass);
        fz_q_t *e;
        FZ_CHECK(i >= 0, "command %.*s sent but nothing is queued", (int)(len - 2), (const char *)data);
        e = &fz.q[i];
        if (several || i > fz.ndone) {
            check_pipelined(i, (const char *)data, len);
        }
        d->q = i;
        if (e->cmd == POP3_CMD_APOP) {
            size_t k;
            FZ_CHECK(len == 5 + strlen(FZ_USER) + 1 + 32 + 2 && memcmp(data, "APOP alice ", 11) == 0,
                     "APOP text wrong: %.*s", (int)(len - 2), (const char *)data);
            for (k = 11; k < 11 + 32; k++) {
                FZ_CHECK((data[k] >= '0' && data[k] <= '9') || (data[k] >= 'a' && data[k] <= 'f'), "APOP digest not hex");
            }
        } else {
            expected_text(e, pass, exp, sizeof exp);
            FZ_CHECK(strlen(exp) == len && memcmp(exp, data, len) == 0, "sent %.*s while %.*s is due", (int)(len - 2),
                     (const char *)data, (int)strlen(exp) - 2, exp);
        }
        e->last_d = fz.nd;
    }
    fz.nd++;
}

/* First offer of new text: one command line, or several when pipelined. */
static void new_command(const uint8_t *data, size_t len)
{
    const uint8_t *nl = memchr(data, '\n', len);
    bool several = nl != NULL && nl != data + len - 1;

    FZ_CHECK(len >= 6 && data[len - 2] == '\r' && data[len - 1] == '\n', "offered text is not CRLF lines (%zu octets)", len);
    while (len > 0) {
        size_t n;
        nl = memchr(data, '\n', len);
        n = (size_t)(nl - data) + 1U;
        FZ_CHECK(n >= 2 && data[n - 2] == '\r', "offered line does not end in CRLF");
        new_line(data, n, several);
        data += n;
        len -= n;
    }
}


/* The head command is an AUTH still owed its report: its octets are one exchange (fuzz_auth.c). */
bool auth_in_flight(void)
{
    fz_q_t *h = head_q();

    return fz.connect_done > 0 && h != NULL && h->cmd == POP3_CMD_AUTH && !h->done;
}

/* Continuations of the current AUTH reply offered to the core so far. */
static int auth_conts(void)
{
    size_t s0, e0, ls, ll, bound = fz.in_input ? fz.chunk_base + fz.chunk_len : fz.consumed;
    int n = 0;

    ref_frame(fz.nd, false, &s0, &e0);
    while (ref_line(&s0, &ls, &ll) && s0 <= bound && is_cont(ls, ll)) {
        n++;
    }
    return n;
}

static void auth_begin(void)
{
    fz_d_t *d;

    FZ_CHECK(fz.nd < FZ_MAXD, "harness: too many commands sent");
    d = &fz.d[fz.nd];
    memset(d, 0, sizeof *d);
    memcpy(d->verb, "AUTH", 4);
    d->has_arg = true;
    d->q = fz.ndone;
    head_q()->last_d = fz.nd;
    fz.nd++;
    fa_begin();
}

long fz_send(void *ctx, const uint8_t *data, size_t len)
{
    uint8_t b;
    long r;
    bool auth = auth_in_flight();

    (void)ctx;
    FZ_CHECK(fz.close_calls == 0 && !fz.port_closed, "send called after the connection was closed");
    FZ_CHECK(pop3_state(&fz.client) != POP3_STATE_CLOSED, "send called in state CLOSED");
    FZ_CHECK(len > 0, "send called with length 0");
    FZ_CHECK(fz_sendable(data, len, fz.tx_buf, fz.tx_buf_len), "send data outside tx_buf and the core's own CAPA/STLS");
    if (fz.pending_valid) {
        /* Port contract: after a short send or a would-block the same bytes come again (and only they). */
        FZ_CHECK(len == fz.pending_len && memcmp(data, fz.pending, fz.pending_len) == 0,
                 "send contract: offered %zu octets \"%.*s\" after %zu octets \"%.*s\" were left unsent", len,
                 (int)(len < 60 ? len : 60), (const char *)data, fz.pending_len,
                 (int)(fz.pending_len < 60 ? fz.pending_len : 60), (const char *)fz.pending);
    } else if (auth) {
        if (!fa_active()) {
            auth_begin();
        }
    } else {
        new_command(data, len);
    }
    b = fz.quiet ? 0 : fz_next(&fz.sendp);
    dbg("send %zu octets \"%.*s\" -> code 0x%02x", len, (int)(len > 2 ? len - 2 : len), (const char *)data, b);
    if (b == 0xFE) {
        r = -1;
    } else if (b == 0xFF) {
        r = 0;
    } else if (b == 0) {
        r = (long)len;
    } else {
        r = (long)(b < len ? b : len);
    }
    if (r > 0) {
        sent_append(data, (size_t)r);
        check_sent_security();
        if (auth) {
            fa_sent(data, (size_t)r, auth_conts());
            fz.d[fz.nd - 1].lines = fa_lines();
        }
    }
    if (r >= 0 && (size_t)r < len) {
        FZ_CHECK(len - (size_t)r <= FZ_PENDING_CAP, "harness: pending too long");
        memcpy(fz.pending, data + r, len - (size_t)r);
        fz.pending_len = len - (size_t)r;
        fz.pending_valid = true;
    } else if (r >= 0) {
        fz.pending_valid = false;
        fz.pending_len = 0;
        if (fz.nd > 0 && memcmp(fz.d[fz.nd - 1].verb, "PASS", 4) == 0) {
            fz.pass_sent = true;
            if (fz.d[fz.nd - 1].q >= 0) {
                fz.q[fz.d[fz.nd - 1].q].pass_done = true;
            }
        }
        if (fz.nd > 0 && memcmp(fz.d[fz.nd - 1].verb, "STLS", 4) == 0) {
            fz.stls_sent = true;
        }
    }
    return r;
}

int fz_start_tls(void *ctx)
{
    (void)ctx;
    FZ_CHECK(fz.close_calls == 0 && !fz.port_closed, "start_tls after close");
    FZ_CHECK(fz.security != POP3_SEC_PLAINTEXT, "start_tls in PLAINTEXT mode");
    FZ_CHECK(pop3_state(&fz.client) == POP3_STATE_TLS, "start_tls outside state TLS");
    FZ_CHECK(fz.start_tls_calls == 0, "start_tls called twice");
    if (fz.security == POP3_SEC_STLS) {
        FZ_CHECK(fz.stls_sent, "start_tls before STLS was sent completely");
        FZ_CHECK(fz.in_input, "STLS handshake started outside pop3_on_input");
        fz.tls_started_in_input = true;
    } else {
        FZ_CHECK(!fz.in_input && fz.consumed == 0, "implicit TLS started after input");
    }
    fz.start_tls_calls++;
    if (fz.start_tls_fails) {
        return -1;
    }
    fz.tls_requested = true;
    return 0;
}

void fz_close(void *ctx)
{
    (void)ctx;
    FZ_CHECK(fz.close_calls == 0, "transport close called twice");
    FZ_CHECK(!fz.port_closed, "transport close called after pop3_on_closed");
    FZ_CHECK(pop3_state(&fz.client) == POP3_STATE_CLOSED, "close called before the session state is CLOSED");
    fz.close_calls++;
}

void fz_wake(void *ctx)
{
    (void)ctx;
}
