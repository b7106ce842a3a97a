/*
 * libFuzzer target: API misuse. The input is a program that calls the public
 * functions of core/include/pop3.h in any order with any arguments, while the
 * server's bytes (also from the input) arrive split anywhere; the fake port
 * and the application callbacks take their decisions from the input too.
 * Input format, invariants and the other files: fuzz_api.h. This file: the
 * program operations and LLVMFuzzerTestOneInput.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static const char *const canned[16] = {
    "+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n",
    "+OK\r\nTOP\r\nUIDL\r\nUSER\r\nSTLS\r\nPIPELINING\r\nUTF8\r\n.\r\n",
    "+OK\r\nTOP\r\nUIDL\r\nUSER\r\nSASL PLAIN\r\nRESP-CODES\r\n.\r\n",
    "+OK\r\n",
    "-ERR [SYS/TEMP] no\r\n",
    "+OK 2 320\r\n",
    "+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n",
    "+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n",
    "+OK message follows\r\nSubject: x\r\n\r\nline\r\n..dot\r\n.\r\n",
    "+OK 1 120\r\n",
    "+OK 1 whqtswO00WBw418f9t5JxYwZ\r\n",
    "+OK bye\r\n",
    "+OK\r\nabc\r\n..x\r\n",
    ".\r\n",
    NULL, /* a 600-octet line, built at run time */
    "-ERR [AUTH] bad\r\n",
};
static char long_line[603];

/* ------------------------------------------------------------------------ */
/* Program operations                                                       */
/* ------------------------------------------------------------------------ */

static void *keep(size_t n)
{
    void *p = n > 0 ? malloc(n) : NULL;

    if (p != NULL) {
        memset(p, 0x5A, n);
        A.allocs[A.nallocs++] = p;
    }
    return p;
}

/* Whether the application may call pop3_init() on the client now: nothing owed, no live session. */
static bool may_reinit(void)
{
    if (!A.touched || !A.init_ok) {
        return true;
    }
    if (A.accounting && owed_count() > 0) {
        return false;
    }
    return pop3_state(cl()) == POP3_STATE_CLOSED || (pop3_state(cl()) == POP3_STATE_IDLE && A.starts_ok == 0);
}

static void op_init(void)
{
    static const size_t lbl[4] = {512, 513, 1024, 511};
    static const size_t txl[4] = {POP3_MIN_TX_BUF_LEN, POP3_MIN_TX_BUF_LEN + 1U, POP3_MIN_TX_BUF_LEN + 300U,
                                  POP3_MIN_TX_BUF_LEN - 1U};
    static const uint32_t tmo[4] = {0, 1, 50, 30000};
    static const int badsec[4] = {3, 4, 255, -1};
    uint8_t c1 = prog(), c2 = prog(), c3 = prog(), c5;
    pop3_config_t cfg;
    bool null_c, null_cfg, valid;
    int fault = (c2 >> 4) & 7;
    pop3_status_t st;

    (void)prog(); /* c4: reserved */
    c5 = prog();
    null_c = fault == 4;
    null_cfg = fault == 5;
    if ((!null_c && !may_reinit()) || A.epochs >= API_MAXEPOCH) {
        return;
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.line_buf_len = lbl[c2 & 3];
    cfg.tx_buf_len = txl[(c2 >> 2) & 3];
    cfg.line_buf = fault == 6 ? NULL : keep(cfg.line_buf_len);
    cfg.tx_buf = fault == 7 ? NULL : keep(cfg.tx_buf_len);
    A.epochs++;
    cfg.transport.ctx = &A.ctx_tp;
    cfg.transport.send = api_send;
    cfg.transport.start_tls = (c1 & 8) ? NULL : api_start_tls;
    cfg.transport.close = api_close;
    cfg.transport.wake = (c1 & 16) ? NULL : api_wake;
    if (c2 & 0x80) {
        if (c3 & 0x80) {
            cfg.transport.close = NULL;
        } else {
            cfg.transport.send = NULL;
        }
    }
    cfg.callbacks.ctx = &A.ctx_cb;
    cfg.callbacks.on_done = (c1 & 0x80) ? NULL : on_done;
    cfg.callbacks.on_body = on_body;
    cfg.callbacks.on_list = on_list;
    cfg.callbacks.on_uidl = on_uidl;
    cfg.callbacks.on_capa = on_capa;
    cfg.callbacks.on_trace = (c1 & 0x20) ? on_trace : NULL;
    if (c1 & 0x40) {
        cfg.callbacks.on_body = (c5 & 1) ? NULL : on_body;
        cfg.callbacks.on_list = (c5 & 2) ? NULL : on_list;
        cfg.callbacks.on_uidl = (c5 & 4) ? NULL : on_uidl;
        cfg.callbacks.on_capa = (c5 & 8) ? NULL : on_capa;
    }
    cfg.security = (c1 & 3) == 3 ? (pop3_security_t)badsec[(c5 >> 4) & 3] : (pop3_security_t)(c1 & 3);
    cfg.allow_plaintext_login = (c1 & 4) != 0;
    cfg.connect_timeout_ms = tmo[c3 & 3];
    cfg.reply_timeout_ms = tmo[(c3 >> 2) & 3];
    cfg.tls_timeout_ms = tmo[(c3 >> 4) & 3];
    valid = !null_c && !null_cfg && cfg.line_buf != NULL && cfg.tx_buf != NULL &&
            cfg.line_buf_len >= POP3_MIN_LINE_BUF_LEN && cfg.tx_buf_len >= POP3_MIN_TX_BUF_LEN &&
            cfg.transport.send != NULL && cfg.transport.close != NULL && (c1 & 3) != 3 &&
            ((c1 & 3) == POP3_SEC_PLAINTEXT || cfg.transport.start_tls != NULL);
    if (!A.touched && !null_c && (c5 & 0x80)) {
        memset(&A.client, 0xA5, sizeof A.client);
    }
    dbg("pop3_init(%s, %s) security %d, %s", null_c ? "NULL" : "c", null_cfg ? "NULL" : "cfg", (int)cfg.security,
        valid ? "valid" : "invalid");
    enter(K_INIT);
    st = pop3_init(null_c ? NULL : cl(), null_cfg ? NULL : &cfg);
    leave();
    FZ_CHECK(st == (valid ? POP3_OK : POP3_ERR_BAD_ARG), "pop3_init of a%s config returned %s", valid ? " valid" : "n invalid",
             pop3_status_str(st));
    if (null_c) {
        return;
    }
    /* A new client as far as the application is concerned. */
    A.touched = true;
    A.init_ok = st == POP3_OK;
    A.accounting = cfg.callbacks.on_done != NULL;
    A.security = cfg.security;
    A.allow_plain = cfg.allow_plaintext_login;
    A.start_tls_null = cfg.transport.start_tls == NULL;
    A.line_buf = cfg.line_buf;
    A.line_buf_len = cfg.line_buf_len;
    A.tx_buf = cfg.tx_buf;
    A.tx_buf_len = cfg.tx_buf_len;
    A.starts_ok = 0;
    A.connected = A.core_closed = A.port_closed = A.closed_seen = false;
    A.connect_reports = 0;
    A.connect_ok = A.tls_requested = A.tls_up = false;
    A.start_tls_calls = 0;
    A.pause_asked = false;
    A.pending_valid = A.blocked = false;
    memset(&A.fr, 0, sizeof A.fr);
    A.in_auth = A.auth_resp = false;
    A.raw_out = false;
    A.line_len = 0;
    A.held_len = 0;
    A.head = A.nq;
    if (A.init_ok) {
        FZ_CHECK(pop3_state(cl()) == POP3_STATE_IDLE, "state %d after pop3_init", (int)pop3_state(cl()));
    }
}

static void op_start(uint8_t t)
{
    static const uint32_t nows[4] = {1000U, 0U, 0xFFFFFF00U, 0x7FFFFFFFU};
    bool idle;
    pop3_status_t st;

    if (!A.touched) {
        return;
    }
#ifdef FZ_EXPLORE_AROUND_KNOWN_BUGS
    if (!A.init_ok) {
        return; /* failed_init_* */
    }
#endif
    idle = A.init_ok && pop3_state(cl()) == POP3_STATE_IDLE;
    A.now = nows[t & 3];
    enter(K_START);
    st = pop3_start(cl(), A.now);
    leave();
    dbg("pop3_start -> %s", pop3_status_str(st));
    FZ_CHECK(st == POP3_OK || st == POP3_ERR_STATE, "pop3_start returned %s", pop3_status_str(st));
    if (st == POP3_OK) {
        FZ_CHECK(A.init_ok, "pop3_start succeeded on a client whose pop3_init() failed");
        FZ_CHECK(idle, "pop3_start succeeded on a client that was not IDLE (started twice or closed)");
        A.starts_ok++;
        FZ_CHECK(pop3_state(cl()) != POP3_STATE_IDLE, "still IDLE after pop3_start");
    } else {
        FZ_CHECK(!idle, "pop3_start refused an IDLE client");
    }
}

/* The framer's view of a complete server line (its first octets in head). */
static void frame_line(void)
{
    const char *h = A.fr.head;
    size_t n = A.fr.len - 2U; /* without CR LF */
    bool ok = n >= 3 && memcmp(h, "+OK", 3) == 0 && (n == 3 || h[3] == ' ');

    if (!A.fr.greeted) {
        A.fr.greeted = true;
    } else if (A.fr.in_multi) {
        if (n == 1 && h[0] == '.') {
            A.fr.in_multi = false;
            A.fr.next++;
        }
    } else if (A.fr.next >= A.fr.nsent) {
        A.fr.off = true; /* a reply to nothing sent: the core ends the session, or the framing is unknown */
    } else if (ok && A.fr.multi[A.fr.next]) {
        A.fr.in_multi = true;
    } else {
        A.fr.next++;
    }
}

/*
 * Frames the octets the core consumed: the greeting, then one reply per sent
 * line, multi-line ones ending at a "." line. Only CR LF ends a line here;
 * at a bare LF (where the core's status-line and body rules differ) framing
 * stops for this client and the liveness check with it.
 */
static void frame(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n && !A.fr.off; i++) {
        if (A.fr.len < sizeof A.fr.head) {
            A.fr.head[A.fr.len] = (char)p[i];
        }
        A.fr.len++;
        if (p[i] == '\n') {
            if (!A.fr.cr) {
                A.fr.off = true;
                break;
            }
            frame_line();
            A.fr.len = 0;
        }
        A.fr.cr = p[i] == '\r';
    }
}

/* Offers up to @p k held octets (in one pop3_on_input call) if the port would. */
static bool deliver_once(size_t k)
{
    pop3_client_t *c = cl();
    uint8_t *blk;
    size_t n, r;

    if (!port_window() || A.held_len == 0 || pop3_is_paused(c)) {
        return false;
    }
    n = k < A.held_len ? k : A.held_len;
    blk = malloc(n);
    memcpy(blk, A.held, n);
    dbg("pop3_on_input %zu octets \"%.*s\"", n, (int)(n < 60 ? n : 60), (const char *)blk);
    enter(K_INPUT);
    r = pop3_on_input(c, blk, n);
    leave();
    free(blk);
    dbg("  consumed %zu", r);
    FZ_CHECK(r <= n, "pop3_on_input returned %zu for %zu octets", r, n);
    if (r < n) {
        FZ_CHECK(pop3_is_paused(c) || pop3_state(c) == POP3_STATE_CLOSED,
                 "pop3_on_input consumed %zu of %zu octets while neither paused nor closed", r, n);
    }
    frame(A.held, r);
    memmove(A.held, A.held + r, A.held_len - r);
    A.held_len -= r;
    quiescent("pop3_on_input");
    if (pop3_state(c) == POP3_STATE_CLOSED) {
        A.held_len = 0; /* the port drops what it still holds */
    }
    return r == n;
}

static void hold(const uint8_t *p, size_t n)
{
    if (!port_window()) {
        return; /* nobody is connected: the bytes go nowhere */
    }
    if (n > API_HELD_CAP - A.held_len) {
        n = API_HELD_CAP - A.held_len;
    }
    memcpy(A.held + A.held_len, p, n);
    A.held_len += n;
}

static void deliver_pieces(size_t piece)
{
    while (A.held_len > 0 && deliver_once(piece)) {
    }
}

static void op_feed(bool split)
{
    size_t n = prog(), piece = split ? prog() : 0, i;
    uint8_t buf[256];

    for (i = 0; i < n && prog_more(); i++) {
        buf[i] = prog();
    }
    hold(buf, i);
    deliver_pieces(split ? (piece == 0 ? 1U : piece) : API_HELD_CAP);
}

static void op_canned(void)
{
    uint8_t i = prog(), k = prog();
    const char *s = canned[i & 15] != NULL ? canned[i & 15] : long_line;

    hold((const uint8_t *)s, strlen(s));
    if (k != 0) {
        (void)deliver_once(k);
    }
    deliver_pieces(API_HELD_CAP);
}

static void op_port(int op, uint8_t arg)
{
    static const pop3_status_t tls_st[4] = {POP3_OK, POP3_ERR_CERT, POP3_ERR_TLS, POP3_OK};
    static const uint32_t deltas[8] = {1, 50, 1000, 29999, 30000, 30001, 60000, 0x7FFFFFFFU};
    pop3_client_t *c = cl();

    if (op == OP_TICK) {
        if (A.touched && A.init_ok) {
            A.now += deltas[arg & 7];
            dbg("pop3_tick(%u)", (unsigned)A.now);
            enter(K_TICK);
            pop3_tick(c, A.now);
            leave();
            quiescent("pop3_tick");
        }
        return;
    }
    if (!port_window()) {
        return;
    }
    switch (op) {
    case OP_CONNECTED:
        dbg("pop3_on_connected");
        A.connected = true;
        enter(K_CONNECTED);
        pop3_on_connected(c);
        leave();
        quiescent("pop3_on_connected");
        break;
    case OP_TLS_DONE: {
        pop3_status_t st = tls_st[arg & 3];
        bool real = A.tls_requested;
        dbg("pop3_on_tls_done(%s)%s", pop3_status_str(st), real ? "" : " (spurious)");
        if (real) {
            A.tls_requested = false;
            A.tls_up = st == POP3_OK;
            FZ_CHECK(!A.pending_valid || !A.tls_up, "bytes still unsent when TLS starts");
        }
        enter(K_TLS_DONE);
        pop3_on_tls_done(c, st);
        leave();
        if (real && st != POP3_OK) {
            FZ_CHECK(pop3_state(c) == POP3_STATE_CLOSED, "session open after a failed handshake");
        }
        quiescent("pop3_on_tls_done");
        break;
    }
    case OP_CLOSED: {
        pop3_status_t st = (pop3_status_t)(arg % (unsigned)POP3_STATUS_COUNT_);
        dbg("pop3_on_closed(%s)", pop3_status_str(st));
        A.port_closed = true;
        enter(K_CLOSED);
        pop3_on_closed(c, st);
        leave();
        FZ_CHECK(pop3_state(c) == POP3_STATE_CLOSED, "state %d after pop3_on_closed", (int)pop3_state(c));
        quiescent("pop3_on_closed");
        A.held_len = 0;
        break;
    }
    default: /* OP_WRITABLE */
        dbg("pop3_on_writable");
        enter(K_WRITABLE);
        pop3_on_writable(c);
        leave();
        quiescent("pop3_on_writable");
        break;
    }
}

static void op_resume(void)
{
    if (!A.touched) {
        return;
    }
#ifdef FZ_EXPLORE_AROUND_KNOWN_BUGS
    if (!A.init_ok) {
        return; /* failed_init_* */
    }
#endif
    dbg("pop3_resume");
    A.pause_asked = false;
    enter(K_RESUME);
    pop3_resume(cl());
    leave();
    quiescent("pop3_resume");
}

static void op_abort(void)
{
    bool was_open;

    if (!A.touched) {
        return;
    }
#ifdef FZ_EXPLORE_AROUND_KNOWN_BUGS
    if (!A.init_ok) {
        return; /* failed_init_* */
    }
    if (A.starts_ok == 0 && pop3_state(cl()) != POP3_STATE_CLOSED) {
        return; /* abort_before_start_reports_connect */
    }
#endif
    dbg("pop3_abort");
    was_open = A.init_ok && pop3_state(cl()) != POP3_STATE_CLOSED;
    enter(K_ABORT);
    A.stack[A.depth - 1].was_open = was_open;
    pop3_abort(cl());
    leave();
    if (A.init_ok) {
        FZ_CHECK(pop3_state(cl()) == POP3_STATE_CLOSED, "state %d after pop3_abort()", (int)pop3_state(cl()));
        if (was_open) {
            FZ_CHECK(pop3_session_status(cl()) == POP3_ERR_ABORTED, "session status %s after pop3_abort()",
                     pop3_status_str(pop3_session_status(cl())));
        }
    }
    quiescent("pop3_abort");
}

static void op_command(void)
{
    command(prog);
    quiescent("a command function");
}

static void finish(void)
{
    if (!A.touched) {
        return;
    }
#ifdef FZ_EXPLORE_AROUND_KNOWN_BUGS
    if (!A.init_ok) {
        return; /* failed_init_* */
    }
#endif
    if (port_window() && (dec() & 1)) {
        op_port(OP_CLOSED, POP3_ERR_TRANSPORT);
    } else {
#ifdef FZ_EXPLORE_AROUND_KNOWN_BUGS
        if (A.starts_ok == 0 && A.init_ok && pop3_state(cl()) != POP3_STATE_CLOSED) {
            return; /* abort_before_start_reports_connect */
        }
#endif
        op_abort();
    }
    /* The closed client: nothing may happen any more. */
    op_port(OP_TICK, 7);
    op_resume();
    A.front = A.back; /* plain arguments only, no decisions left */
    command(prog);
    quiescent("a command on the closed client");
    op_abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int i;

    if (size > API_MAX_INPUT) {
        return 0;
    }
    if (long_line[0] == '\0') {
        memset(long_line, 'x', 600);
        memcpy(long_line + 600, "\r\n", 3);
    }
    memset(&A, 0, sizeof A);
    A.data = data;
    A.front = 0;
    A.back = size;
    while (prog_more()) {
        uint8_t op = (uint8_t)(prog() % OP_COUNT);
        switch (op) {
        case OP_INIT: op_init(); break;
        case OP_START: op_start(prog()); break;
        case OP_CONNECTED:
        case OP_WRITABLE: op_port(op, 0); break;
        case OP_TLS_DONE:
        case OP_CLOSED:
        case OP_TICK: op_port(op, prog()); break;
        case OP_FEED: op_feed(false); break;
        case OP_FEED_SPLIT: op_feed(true); break;
        case OP_CANNED: op_canned(); break;
        case OP_DELIVER: {
            uint8_t k = prog();
            (void)deliver_once(k == 0 ? API_HELD_CAP : k);
            break;
        }
        case OP_CMD: op_command(); break;
        case OP_RESUME: op_resume(); break;
        case OP_ABORT: op_abort(); break;
        case OP_QUERY: queries(prog()); break;
        case OP_BURST: {
            int k = (prog() & 7) + 1;
            while (k-- > 0) {
                op_command();
            }
            break;
        }
        case OP_POLICY: {
            uint8_t k = prog();
            A.policy[k % D_KINDS] = prog();
            break;
        }
        default: break;
        }
    }
    memset(A.policy, 0, sizeof A.policy);
    finish();
    for (i = 0; i < A.nallocs; i++) {
        free(A.allocs[i]);
    }
    for (i = 0; i < A.nauth; i++) {
        free(A.auth[i].strs[0]);
        free(A.auth[i].strs[1]);
        free(A.auth[i].strs[2]);
    }
    return 0;
}
