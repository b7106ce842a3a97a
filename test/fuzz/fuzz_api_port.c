/*
 * fuzz_api (fuzz_api.h): what the library calls: the fake transport (send
 * with fuzzed short sends and errors, the send contract, the lines sent) and
 * the application callbacks (decisions from the input, calls back into the
 * library from inside them).
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_api.h"
#include "fuzz_util.h"
#include "pop3.h"

/* ------------------------------------------------------------------------ */
/* Fake transport                                                           */
/* ------------------------------------------------------------------------ */

static bool b64_char(uint8_t ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' ||
           ch == '=';
}

static bool verb_is(const char *l, size_t n, const char *v)
{
    size_t k = strlen(v);

    return n >= k && memcmp(l, v, k) == 0 && (n == k || l[k] == ' ');
}

/* Whether the STLS on the wire is pop3_stls()'s (without on_done the queue is
 * not known: any may be). */
static bool typed_stls(void)
{
    return owed() != NULL ? owed()->cmd == POP3_CMD_STLS : !A.accounting;
}

/* One complete line the core sent (CR LF removed). */
static void sent_line(const char *l, size_t n)
{
    static const char *const verbs[] = {"USER", "PASS", "APOP", "AUTH", "STAT", "LIST", "UIDL", "RETR",
                                        "TOP",  "DELE", "RSET", "NOOP", "QUIT", "CAPA", "STLS", "UTF8"};
    /* A line as typed goes out alone, so it is the command owed first (not
     * during the set-up: the core's own CAPA may go out while it waits). */
    pop3_state_t s = pop3_state(cl());
    const api_q_t *raw = (s == POP3_STATE_AUTH || s == POP3_STATE_TRANSACTION) && owed() != NULL &&
                         owed()->cmd == POP3_CMD_RAW ? owed() : NULL;
    bool known = false, cred;
    size_t i;

    for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        known = known || verb_is(l, n, verbs[i]);
    }
    FZ_CHECK(known || raw != NULL || !A.accounting, "sent an unknown command line \"%.*s\" (a raw line pipelined?)", (int)n, l);
    FZ_CHECK(memchr(l, '\0', n) == NULL && memchr(l, '\r', n) == NULL, "sent line holds NUL or CR: \"%.*s\"", (int)n, l);
    /* Never pipelined: out only once every earlier command was reported (it is
     * owed first, above), and nothing behind it before its own report. */
    FZ_CHECK(!A.raw_out, "\"%.*s\" sent while a raw line awaits its reply", (int)n, l);
    A.raw_out = raw != NULL;
    if (A.fr.nsent < API_MAXQ) {
        A.fr.multi[A.fr.nsent++] = raw != NULL ? raw->msg != 0 :
                                   verb_is(l, n, "CAPA") || verb_is(l, n, "RETR") || verb_is(l, n, "TOP") ||
                                   ((verb_is(l, n, "LIST") || verb_is(l, n, "UIDL")) && n == 4);
    } else {
        A.fr.off = true;
    }
    cred = verb_is(l, n, "USER") || verb_is(l, n, "PASS") || verb_is(l, n, "APOP") || verb_is(l, n, "AUTH");
    if (A.accounting && A.connect_reports == 0) { /* (without on_done CONNECT is not seen) */
        FZ_CHECK(verb_is(l, n, "CAPA") || verb_is(l, n, "STLS"), "\"%.*s\" sent before CONNECT was reported", (int)n, l);
    }
    if (cred) {
        FZ_CHECK((A.security == POP3_SEC_PLAINTEXT && A.allow_plain) || A.tls_up, "credentials (\"%.4s\") sent %s", l,
                 A.security == POP3_SEC_PLAINTEXT ? "over plaintext without allow_plaintext_login" : "before TLS was up");
    }
    if (verb_is(l, n, "STLS")) {
        /* The set-up's own, or pop3_stls() in a plaintext session. */
        bool typed = A.security == POP3_SEC_PLAINTEXT && typed_stls();
        FZ_CHECK(A.security == (typed ? POP3_SEC_PLAINTEXT : POP3_SEC_STLS) && !A.tls_up,
                 "STLS sent with security %d, TLS up %d, pop3_stls() owed %d", (int)A.security, A.tls_up, typed);
    }
    if (verb_is(l, n, "UTF8")) {
        FZ_CHECK((pop3_caps(cl()) & POP3_CAP_UTF8) != 0, "UTF8 sent although the CAPA in force does not list it");
    }
    if (verb_is(l, n, "AUTH")) {
        FZ_CHECK(owed() != NULL && owed()->cmd == POP3_CMD_AUTH, "AUTH sent while %s is owed first",
                 owed() != NULL ? pop3_cmd_name((pop3_cmd_t)owed()->cmd) : "nothing");
        A.in_auth = true;
    }
}

static void sent_bytes(const uint8_t *p, size_t n)
{
    size_t i;

    if (A.security == POP3_SEC_IMPLICIT_TLS) {
        FZ_CHECK(A.tls_up, "%zu octets sent before the implicit TLS handshake completed", n);
    }
    for (i = 0; i < n; i++) {
        if (A.auth_resp) {
            /* A SASL response: base64, "*" or empty, of any length; a credential. */
            FZ_CHECK(b64_char(p[i]) || p[i] == '*' || p[i] == '\r' || p[i] == '\n', "SASL response holds 0x%02x", p[i]);
            FZ_CHECK((A.security == POP3_SEC_PLAINTEXT && A.allow_plain) || A.tls_up, "SASL response sent %s",
                     A.security == POP3_SEC_PLAINTEXT ? "over plaintext without allow_plaintext_login" : "before TLS was up");
            if (p[i] == '\n') {
                if (A.fr.nsent < API_MAXQ) {
                    A.fr.multi[A.fr.nsent++] = false; /* answered by one line: a continuation or the status */
                } else {
                    A.fr.off = true;
                }
            }
            continue;
        }
        FZ_CHECK(A.line_len < sizeof A.line, "sent a line longer than POP3_CMD_MAX_LEN: \"%.40s...\"", A.line);
        A.line[A.line_len++] = (char)p[i];
        if (p[i] == '\n') {
            FZ_CHECK(A.line_len >= 2 && A.line[A.line_len - 2] == '\r', "sent line ends in a bare LF");
            sent_line(A.line, A.line_len - 2U);
            A.line_len = 0;
            A.auth_resp = A.in_auth; /* after the AUTH line, only responses until AUTH is reported */
        }
    }
}

long api_send(void *ctx, const uint8_t *data, size_t len)
{
    uint8_t b;
    long r;
    static const long negs[4] = {-1, -2, -100, LONG_MIN};

    from_core("transport.send", ctx, &A.ctx_tp);
    FZ_CHECK(is_open(), "send called after the close (%s)", A.port_closed ? "pop3_on_closed" : "transport.close");
    FZ_CHECK(pop3_state(cl()) != POP3_STATE_CLOSED, "send called in state CLOSED");
    FZ_CHECK(A.connected, "send called before pop3_on_connected()");
    FZ_CHECK(len > 0, "send called with length 0");
    FZ_CHECK(fz_sendable(data, len, A.tx_buf, A.tx_buf_len), "send data outside tx_buf and the core's own CAPA/STLS");
    if (A.pending_valid) {
        FZ_CHECK(len >= A.pending_len && memcmp(data, A.pending, A.pending_len) == 0,
                 "send contract: %zu octets \"%.*s\" offered after \"%.*s\" was left unsent", len, (int)(len < 60 ? len : 60),
                 (const char *)data, (int)(A.pending_len < 60 ? A.pending_len : 60), (const char *)A.pending);
    }
    b = decide(D_SEND);
    if (b == 0 || b >= 0xFC) {
        r = (long)len;
    } else if (b < 0xF0) {
        r = (long)(b < len ? b : len);
    } else if (b < 0xF8) {
        r = 0;
    } else {
        r = negs[b - 0xF8];
    }
    dbg("send %zu \"%.*s\" -> %ld", len, (int)(len > 2 ? len - 2 : len), (const char *)data, r);
    if (r > 0) {
        sent_bytes(data, (size_t)r);
    }
    A.blocked = r == 0;
    if (r >= 0 && (size_t)r < len) {
        FZ_CHECK(len - (size_t)r <= API_PENDING_CAP, "harness: pending too long");
        memcpy(A.pending, data + r, len - (size_t)r);
        A.pending_len = len - (size_t)r;
        A.pending_valid = true;
    } else {
        A.pending_valid = false;
    }
    return r;
}

int api_start_tls(void *ctx)
{
    from_core("transport.start_tls", ctx, &A.ctx_tp);
    FZ_CHECK(is_open(), "start_tls called after the close");
    FZ_CHECK(A.connected, "start_tls before pop3_on_connected()");
    FZ_CHECK(A.security != POP3_SEC_PLAINTEXT || typed_stls(),
             "start_tls in PLAINTEXT mode without pop3_stls()");
    FZ_CHECK(A.start_tls_calls == 0, "start_tls called twice in one session");
    FZ_CHECK(!A.pending_valid, "start_tls while command bytes are unsent");
    A.start_tls_calls++;
    if (decide(D_START_TLS) >= 0xF0) {
        dbg("start_tls -> -1");
        return -1;
    }
    dbg("start_tls -> 0");
    A.tls_requested = true;
    return 0;
}

void api_close(void *ctx)
{
    from_core("transport.close", ctx, &A.ctx_tp);
    FZ_CHECK(!A.core_closed, "transport.close called twice");
    FZ_CHECK(!A.port_closed, "transport.close called after pop3_on_closed()");
    FZ_CHECK(pop3_state(cl()) == POP3_STATE_CLOSED, "transport.close called in state %d (not CLOSED)", (int)pop3_state(cl()));
    dbg("close");
    A.core_closed = true;
}

void api_wake(void *ctx)
{
    from_core("transport.wake", ctx, &A.ctx_tp);
    FZ_CHECK(is_open(), "transport.wake called after the close");
}

/* ------------------------------------------------------------------------ */
/* Application callbacks                                                    */
/* ------------------------------------------------------------------------ */

static void cb_abort(void)
{
    dbg("  callback: pop3_abort");
    enter(K_ABORT);
    A.stack[A.depth - 1].was_open = pop3_state(cl()) != POP3_STATE_CLOSED;
    pop3_abort(cl());
    leave();
    check_state("pop3_abort from a callback");
    FZ_CHECK(pop3_state(cl()) == POP3_STATE_CLOSED, "pop3_abort() from a callback left state %d", (int)pop3_state(cl()));
}

static void cb_resume(void)
{
    dbg("  callback: pop3_resume");
    A.pause_asked = false;
    enter(K_RESUME);
    pop3_resume(cl());
    leave();
}

/* A callback's side effects and its answer, from one decision byte. */
static pop3_cb_action_t cb_decide(int kind)
{
    static const pop3_cb_action_t acts[4] = {POP3_CB_CONTINUE, POP3_CB_CONTINUE, POP3_CB_PAUSE, POP3_CB_ABORT};
    uint8_t d = decide(kind);

    if (A.nest >= API_MAX_NEST) {
        return POP3_CB_CONTINUE;
    }
    A.nest++;
    switch ((d >> 2) & 7) {
    case 2: command(dec); break;
    case 3: cb_abort(); break;
    case 4: cb_resume(); break;
    case 5: command(dec); command(dec); break;
    case 6: queries(dec()); break;
    case 7: cb_resume(); command(dec); break;
    default: break;
    }
    A.nest--;
    return acts[d & 3];
}

/* Shared by on_body/on_list/on_uidl/on_capa. */
static pop3_cb_action_t stream_cb(const char *what, const void *ctx, bool (*fits)(const api_q_t *))
{
    api_q_t *e = owed();
    pop3_cb_action_t act;

    from_core(what, ctx, &A.ctx_cb);
    FZ_CHECK(is_open() && pop3_state(cl()) != POP3_STATE_CLOSED, "%s after the session closed", what);
    FZ_CHECK(innermost() == K_INPUT, "%s called from inside %s (only pop3_on_input() itself delivers data)", what, inner_name());
    FZ_CHECK(!A.pause_asked, "%s while paused", what);
    if (A.accounting) {
        FZ_CHECK(A.connect_ok, "%s before CONNECT succeeded", what);
        FZ_CHECK(e != NULL, "%s with no command owed", what);
        FZ_CHECK(fits(e), "%s while %s%s is in flight", what, pop3_cmd_name((pop3_cmd_t)e->cmd), e->msg != 0 ? " n" : "");
        FZ_CHECK(!e->cb_abort, "%s after the callback returned ABORT for this %s", what, pop3_cmd_name((pop3_cmd_t)e->cmd));
    }
    act = cb_decide(D_STREAM);
#ifdef FZ_EXPLORE_AROUND_KNOWN_BUGS
    if (act == POP3_CB_PAUSE && pop3_state(cl()) == POP3_STATE_CLOSED) {
        act = POP3_CB_CONTINUE; /* pause_after_abort_in_callback_wakes_closed_port */
    }
#endif
    dbg("%s -> %d", what, (int)act);
    if (act == POP3_CB_PAUSE) {
        A.pause_asked = true;
    } else if (act == POP3_CB_ABORT && e != NULL && !e->done) {
        e->cb_abort = true;
    }
    return act;
}

static bool fits_body(const api_q_t *e)
{
    return e->cmd == POP3_CMD_RETR || e->cmd == POP3_CMD_TOP || (e->cmd == POP3_CMD_RAW && e->msg != 0);
}

static bool fits_list(const api_q_t *e)
{
    return e->cmd == POP3_CMD_LIST && e->msg == 0;
}

static bool fits_uidl(const api_q_t *e)
{
    return e->cmd == POP3_CMD_UIDL && e->msg == 0;
}

static bool fits_capa(const api_q_t *e)
{
    return e->cmd == POP3_CMD_CAPA;
}

pop3_cb_action_t on_body(void *ctx, const char *data, size_t len)
{
    FZ_CHECK(len > 0 && data != NULL, "on_body with %s, length %zu", data == NULL ? "NULL" : "data", len);
    touch(data, len);
    return stream_cb("on_body", ctx, fits_body);
}

pop3_cb_action_t on_list(void *ctx, uint32_t msg, uint64_t octets)
{
    (void)msg;
    (void)octets;
    return stream_cb("on_list", ctx, fits_list);
}

pop3_cb_action_t on_uidl(void *ctx, uint32_t msg, const char *uid, size_t uid_len)
{
    size_t i;

    (void)msg;
    FZ_CHECK(uid != NULL && uid_len >= 1 && uid_len <= 70, "on_uidl: uid of %zu octets", uid_len);
    for (i = 0; i < uid_len; i++) {
        FZ_CHECK(uid[i] >= 0x21 && uid[i] <= 0x7E, "on_uidl: uid octet 0x%02x", (unsigned char)uid[i]);
    }
    return stream_cb("on_uidl", ctx, fits_uidl);
}

pop3_cb_action_t on_capa(void *ctx, const char *line, size_t len)
{
    FZ_CHECK(line != NULL && len > 0, "on_capa with an empty line");
    touch(line, len);
    FZ_CHECK(memchr(line, '\n', len) == NULL, "on_capa line holds LF");
    return stream_cb("on_capa", ctx, fits_capa);
}

void on_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len)
{
    from_core("on_trace", ctx, &A.ctx_cb);
    FZ_CHECK(is_open() && pop3_state(cl()) != POP3_STATE_CLOSED, "on_trace after the session closed");
    FZ_CHECK(dir == POP3_TRACE_SENT || dir == POP3_TRACE_RECEIVED, "on_trace direction %d", (int)dir);
    FZ_CHECK(len == 0 || line != NULL, "on_trace: NULL line of %zu octets", len);
    touch(line, len);
    (void)cb_decide(D_TRACE);
}

void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    int k = innermost();

    from_core("on_done", ctx, &A.ctx_cb);
    FZ_CHECK(A.accounting, "on_done called although it is NULL in the config");
    FZ_CHECK(r != NULL, "on_done with a NULL reply");
    FZ_CHECK((unsigned)cmd < (unsigned)POP3_CMD_COUNT_, "on_done with command %d", (int)cmd);
    FZ_CHECK((unsigned)st < (unsigned)POP3_STATUS_COUNT_, "on_done with status %d", (int)st);
    touch(r->text, r->text_len);
    touch(r->uid, r->uid_len);
    dbg("on_done(%s, %s) inside %s", pop3_cmd_name(cmd), pop3_status_str(st), inner_name());
    FZ_CHECK(st != POP3_OK || k == K_INPUT, "on_done(%s, OK) from inside %s (only a reply can complete a command)",
             pop3_cmd_name(cmd), inner_name());
    if (k == K_ABORT && A.stack[A.depth - 1].was_open) {
        FZ_CHECK(st == POP3_ERR_ABORTED, "pop3_abort() ended %s with %s, not ABORTED", pop3_cmd_name(cmd), pop3_status_str(st));
    }
    FZ_CHECK((k != K_CLOSED && k != K_TICK) || st != POP3_OK, "%s completed %s with POP3_OK", inner_name(), pop3_cmd_name(cmd));
    if (cmd == POP3_CMD_CONNECT) {
        FZ_CHECK(A.connect_reports < A.starts_ok,
                 "CONNECT reported %s (%s)", A.starts_ok == 0 ? "without a successful pop3_start()" : "twice for one start",
                 pop3_status_str(st));
        A.connect_reports++;
        if (st == POP3_OK) {
            FZ_CHECK(is_open() && pop3_state(cl()) != POP3_STATE_CLOSED, "CONNECT OK on a closed session");
            FZ_CHECK(A.security == POP3_SEC_PLAINTEXT || A.tls_up, "CONNECT OK without TLS (downgrade)");
            A.connect_ok = true;
        }
    } else {
        api_q_t *e = owed();
        FZ_CHECK(e != NULL, "on_done(%s, %s) but no accepted command is owed a report (extra or refused command)",
                 pop3_cmd_name(cmd), pop3_status_str(st));
        FZ_CHECK(e->cmd == (uint8_t)cmd, "on_done(%s) while %s (#%d) is owed first (order)", pop3_cmd_name(cmd),
                 pop3_cmd_name((pop3_cmd_t)e->cmd), (int)(e - A.q));
        FZ_CHECK(A.starts_ok == 0 || A.connect_reports > 0, "on_done(%s) before CONNECT was reported", pop3_cmd_name(cmd));
        FZ_CHECK(!e->cb_abort || st != POP3_OK, "%s OK after its callback returned ABORT", pop3_cmd_name(cmd));
        if (cmd == POP3_CMD_AUTH) {
            A.in_auth = A.auth_resp = false;
        }
        if (cmd == POP3_CMD_RAW) {
            A.raw_out = false;
        }
        if (st == POP3_OK && (cmd == POP3_CMD_LOGIN || cmd == POP3_CMD_APOP || cmd == POP3_CMD_AUTH ||
                              cmd == POP3_CMD_PASS)) {
            FZ_CHECK((A.security == POP3_SEC_PLAINTEXT && A.allow_plain) || A.tls_up, "logged in without TLS");
            FZ_CHECK(pop3_state(cl()) == POP3_STATE_TRANSACTION, "%s OK but state %d", pop3_cmd_name(cmd),
                     (int)pop3_state(cl()));
        }
        if (st == POP3_OK && cmd == POP3_CMD_STLS) {
            FZ_CHECK(A.tls_up && pop3_state(cl()) == POP3_STATE_AUTH, "STLS OK with TLS up %d, state %d", A.tls_up,
                     (int)pop3_state(cl()));
        }
        if (st == POP3_OK && cmd == POP3_CMD_UTF8) {
            FZ_CHECK(pop3_utf8_on(cl()), "UTF8 OK but pop3_utf8_on() is false");
        }
        e->done = true;
        e->st = st;
    }
    (void)cb_decide(D_DONE);
}
