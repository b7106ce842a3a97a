/*
 * Shared libFuzzer harness: a fake port driving the POP3 core with fuzzed
 * server bytes, splits, pauses, aborts, short sends and clock ticks, plus a
 * reference model of the reply framing and of dot-unstuffing that the core's
 * results are checked against. Input format: fuzz_harness.h.
 *
 * Every invariant failure prints "FUZZ INVARIANT VIOLATED: ..." and abort()s
 * so libFuzzer records the input as a crash.
 */
#include "fuzz_auth.h"
#include "fuzz_harness.h"
#include "fuzz_util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3.h"

#define FZ_MAX_INPUT (1U << 20)
#define FZ_MAXQ 256   /* user commands queued in one run */
#define FZ_MAXD 512   /* commands sent in one run */
#define FZ_MAXRUNS 8192
#define FZ_PENDING_CAP 1024

static const char FZ_USER[] = "alice";
static const char FZ_PASS[] = "pw-S3cr3t!x";

/* ------------------------------------------------------------------------ */
/* Run state                                                                */
/* ------------------------------------------------------------------------ */

typedef struct {
    const uint8_t *p;
    size_t n, i;
} fz_stream_t;

static uint8_t fz_next(fz_stream_t *s)
{
    uint8_t b;

    if (s->n == 0) {
        return 0;
    }
    b = s->p[s->i];
    s->i = (s->i + 1U) % s->n;
    return b;
}

/* One command the harness queued successfully (on_done owed). */
typedef struct {
    int cmd;             /* pop3_cmd_t */
    uint32_t a, b;       /* arguments (a = 0: LIST/UIDL without argument) */
    bool done;
    bool pass_done;      /* LOGIN: its PASS line was completely sent */
    pop3_status_t st;
    int last_d;          /* last sent command for it (USER/PASS: PASS if sent), -1 none */
    size_t body_start;   /* into fz.body */
    size_t body_len;
    int entries;         /* streaming callbacks received */
    int abort_entry;     /* entry (1-based) whose callback returned ABORT, 0 none */
    bool cb_abort;       /* a streaming callback returned POP3_CB_ABORT */
    bool app_abort;      /* pop3_abort() was called while it was the head */
    size_t offered_end;  /* stream bytes offered when on_done fired */
    size_t consumed_before; /* stream bytes known consumed before the core call that reported it */
    uint64_t octets;
} fz_q_t;

/* One command as the core offered it to send (first offer). */
typedef struct {
    char verb[5];
    bool has_arg;
    int q;               /* user command, -1 for the core's own CAPA/STLS */
    int abort_entry;     /* copied from the user command when its callback aborted */
    int lines;           /* AUTH: complete lines sent (the AUTH line included) */
} fz_d_t;

/* Reference framing of one reply. */
typedef struct {
    int kind;            /* 0 incomplete, 1 +OK, 2 -ERR, 3 malformed */
    bool complete;
    size_t end;          /* stream offset after the reply (valid if complete) */
    size_t out_start, out_len; /* reference body (RETR/TOP) in fz.ref_out */
    int entries;
} fz_ref_t;

/* A body run delivered to on_body. */
typedef struct {
    int q;
    size_t out_index;    /* position in that command's body */
    size_t len;
    long stream_off;     /* offset in the server stream, -1 if not inside the input */
} fz_run_t;

static struct {
    int target;
    uint8_t opt0, opt1;
    pop3_security_t security;
    bool allow_plain;
    bool apop;
    bool early_queue;
    bool no_auth;
    bool login_queued;        /* a USER/PASS login was queued (its password enters tx_buf) */
    bool tls_boundary;
    bool auth_queued;
    int tls_outcome;
    bool start_tls_fails;

    fz_stream_t script, split, act, sendp;
    size_t script_pos;
    bool script_from_input;
    const uint8_t *default_script;
    size_t default_script_len;

    pop3_client_t client;
    char *line_buf;
    size_t line_buf_len;
    char *tx_buf;
    size_t tx_buf_len;
    uint32_t now;

    /* server stream */
    uint8_t *srv;
    size_t srv_len;
    size_t consumed;          /* octets the core consumed */
    bool in_input;            /* inside pop3_on_input */
    const uint8_t *chunk;     /* heap copy being fed */
    size_t chunk_len;
    size_t chunk_base;        /* stream offset of chunk[0] */
    bool quiet;               /* fixed prefix: no fuzzed decisions */

    /* fake port */
    uint8_t *sent;
    size_t sent_len, sent_cap;
    size_t sent_pre_tls;      /* sent_len when TLS came up (SIZE_MAX: never) */
    uint8_t pending[FZ_PENDING_CAP];
    size_t pending_len;       /* offered but not accepted */
    bool pending_valid;
    int close_calls;
    bool port_closed;         /* pop3_on_closed was called */
    int start_tls_calls;
    bool tls_requested;       /* start_tls called, pop3_on_tls_done not yet */
    bool tls_started_in_input;
    bool tls_ok;
    bool stls_sent;
    bool pass_sent;           /* PASS fully accepted by send */
    bool in_core;

    /* commands */
    fz_q_t q[FZ_MAXQ];
    int nq;
    int ndone;                /* user on_done calls so far */
    int connect_done;
    pop3_status_t connect_st;
    bool closed_seen;
    fz_d_t d[FZ_MAXD];
    int nd;
    bool paused;              /* a callback returned PAUSE, no resume yet */

    /* bodies */
    uint8_t *body;
    size_t body_total;
    fz_run_t runs[FZ_MAXRUNS];
    int nruns;
    bool runs_overflow;

    /* reference */
    fz_ref_t ref[FZ_MAXD];
    fz_ref_t ref_greet;
    uint8_t *ref_out;
    size_t *ref_map;
    size_t ref_out_len;
    int lim_nd, lim_lines;
    bool lim_sent, lim_valid;
    size_t lim_value;
} fz;

static int fz_debug = -1; /* FZ_TRACE=1 in the environment: print the run's events to stderr */

static void dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void dbg(const char *fmt, ...)
{
    va_list ap;

    if (fz_debug < 0) {
        fz_debug = getenv("FZ_TRACE") != NULL;
    }
    if (!fz_debug) {
        return;
    }
    va_start(ap, fmt);
    fprintf(stderr, "[fz] ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static const char *st_name(pop3_status_t st)
{
    return pop3_status_str(st);
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */
/* ------------------------------------------------------------------------ */

/* A decision for fuzz_auth.c (read_secret). */
static uint8_t fz_decide(void)
{
    return fz.quiet ? 0 : fz_next(&fz.act);
}

/* Where a callback pointer may point: the chunk being fed or the line buffer. */
static long check_rx_ptr(const char *what, const void *p, size_t len)
{
    if (len == 0) {
        return -1;
    }
    FZ_CHECK(p != NULL, "%s: NULL pointer with length %zu", what, len);
    if (fz.in_input && ptr_in(p, len, fz.chunk, fz.chunk_len)) {
        return (long)(fz.chunk_base + (size_t)((const uint8_t *)p - fz.chunk));
    }
    if (len == 1 && *(const char *)p == '\r') {
        return -1; /* the CR of a ".\r" that was stuffing: a constant of the body decoder */
    }
    FZ_CHECK(ptr_in(p, len, fz.line_buf, fz.line_buf_len), "%s: pointer %p (+%zu) outside the input chunk and the line buffer",
             what, p, len);
    return -1;
}

static bool is_body_cmd(int cmd)
{
    return cmd == POP3_CMD_RETR || cmd == POP3_CMD_TOP;
}

static fz_q_t *head_q(void)
{
    return fz.ndone < fz.nq ? &fz.q[fz.ndone] : NULL;
}

/* ------------------------------------------------------------------------ */
/* Queueing commands                                                        */
/* ------------------------------------------------------------------------ */

static void after_core(void);

/* Queues opcode @p b (see the header). Returns false only on POP3_ERR_QUEUE_FULL. */
static bool queue_op(uint8_t b)
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
static void pump_script(void)
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

/* First offer of a new command: which one it is, and is it the one that is due? */
static void new_command(const uint8_t *data, size_t len)
{
    fz_d_t *d;
    char exp[600];
    size_t vl;

    FZ_CHECK(fz.nd < FZ_MAXD, "harness: too many commands sent");
    FZ_CHECK(len >= 6 && data[len - 2] == '\r' && data[len - 1] == '\n', "offered command is not one CRLF line (%zu octets)", len);
    FZ_CHECK(memchr(data, '\n', len) == data + len - 1, "offered text holds more than one line");
    d = &fz.d[fz.nd];
    memset(d, 0, sizeof *d);
    for (vl = 0; vl < 4 && vl < len && data[vl] != ' ' && data[vl] != '\r'; vl++) {
        d->verb[vl] = (char)data[vl];
    }
    d->has_arg = data[vl] == ' ';
    d->q = -1;
    if (fz.connect_done == 0) {
        /* Before the session is ready only the core's own CAPA / STLS may go out. */
        FZ_CHECK((len == 6 && memcmp(data, "CAPA\r\n", 6) == 0) || (len == 6 && memcmp(data, "STLS\r\n", 6) == 0),
                 "command %.*s sent before the session was ready", (int)(len - 2), (const char *)data);
        if (memcmp(data, "STLS", 4) == 0) {
            FZ_CHECK(fz.security == POP3_SEC_STLS && !fz.tls_ok && !fz.stls_sent, "STLS sent in the wrong mode or twice");
        } else {
            FZ_CHECK(fz.security != POP3_SEC_STLS || !fz.stls_sent || fz.tls_ok, "CAPA sent between STLS and the handshake");
        }
    } else {
        fz_q_t *e = head_q();
        bool pass = len > 5 && memcmp(data, "PASS ", 5) == 0;
        FZ_CHECK(e != NULL, "command %.*s sent but nothing is queued", (int)(len - 2), (const char *)data);
        d->q = fz.ndone;
        if (e->cmd == POP3_CMD_APOP) {
            size_t i;
            FZ_CHECK(len == 5 + strlen(FZ_USER) + 1 + 32 + 2 && memcmp(data, "APOP alice ", 11) == 0,
                     "APOP text wrong: %.*s", (int)(len - 2), (const char *)data);
            for (i = 11; i < 11 + 32; i++) {
                FZ_CHECK((data[i] >= '0' && data[i] <= '9') || (data[i] >= 'a' && data[i] <= 'f'), "APOP digest not hex");
            }
        } else {
            expected_text(e, pass, exp, sizeof exp);
            FZ_CHECK(strlen(exp) == len && memcmp(exp, data, len) == 0, "sent %.*s while %.*s is due", (int)(len - 2),
                     (const char *)data, (int)strlen(exp) - 2, exp);
            if (pass) {
                FZ_CHECK(e->last_d >= 0 && memcmp(fz.d[e->last_d].verb, "USER", 4) == 0, "PASS sent without USER first");
            }
        }
        e->last_d = fz.nd;
    }
    fz.nd++;
}

static void ref_frame(int n, bool keep, size_t *last_start, size_t *last_end);
static bool ref_line(size_t *pos, size_t *ls, size_t *ll);

/* A SASL continuation line: "+" alone or "+ " and more ("+OK" is a status). */
static bool is_cont(size_t ls, size_t ll)
{
    return ll >= 1 && fz.srv[ls] == '+' && (ll == 1 || fz.srv[ls + 1] == ' ');
}

/* The head command is an AUTH still owed its report: its octets are one exchange (fuzz_auth.c). */
static bool auth_in_flight(void)
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

static long fz_send(void *ctx, const uint8_t *data, size_t len)
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
        /* Port contract: after a short send or a would-block the same bytes come again. */
        FZ_CHECK(len >= fz.pending_len && memcmp(data, fz.pending, fz.pending_len) == 0,
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

static int fz_start_tls(void *ctx)
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

static void fz_close(void *ctx)
{
    (void)ctx;
    FZ_CHECK(fz.close_calls == 0, "transport close called twice");
    FZ_CHECK(!fz.port_closed, "transport close called after pop3_on_closed");
    FZ_CHECK(pop3_state(&fz.client) == POP3_STATE_CLOSED, "close called before the session state is CLOSED");
    fz.close_calls++;
}

static void fz_wake(void *ctx)
{
    (void)ctx;
}

/* ------------------------------------------------------------------------ */
/* Application callbacks                                                    */
/* ------------------------------------------------------------------------ */

/* Shared by the streaming callbacks: order, pause and abort rules, then a decision. */
static pop3_cb_action_t stream_cb(const char *what, int want_cmd)
{
    fz_q_t *e = head_q();
    uint8_t b;

    FZ_CHECK(!fz.closed_seen, "%s after the session closed", what);
    FZ_CHECK(fz.in_input, "%s outside pop3_on_input", what);
    FZ_CHECK(!fz.paused, "%s while paused", what);
    FZ_CHECK(e != NULL && fz.connect_done > 0, "%s with no command in flight", what);
    FZ_CHECK(e->cmd == want_cmd || (want_cmd == POP3_CMD_RETR && e->cmd == POP3_CMD_TOP), "%s while %s is due", what,
             pop3_cmd_name((pop3_cmd_t)e->cmd));
    FZ_CHECK(e->last_d >= 0, "%s for a command never sent", what);
    FZ_CHECK(!e->cb_abort, "%s after the callback returned ABORT for this command", what);
    FZ_CHECK(fz.q[fz.ndone].a == 0 || is_body_cmd(e->cmd), "%s for a single-line LIST/UIDL n", what);
    e->entries++;
    dbg("%s entry %d", what, e->entries);
    b = fz.quiet ? 0 : (uint8_t)(fz_next(&fz.act) & 15);
    if (b <= 11) {
        return POP3_CB_CONTINUE;
    }
    if (b <= 13) {
        fz.paused = true;
        return POP3_CB_PAUSE;
    }
    if (b == 14) {
        e->cb_abort = true;
        e->abort_entry = e->entries;
        fz.d[e->last_d].abort_entry = e->entries;
        return POP3_CB_ABORT;
    }
    e->app_abort = true;
    pop3_abort(&fz.client);
    return POP3_CB_CONTINUE;
}

static pop3_cb_action_t on_body(void *ctx, const char *data, size_t len)
{
    fz_q_t *e = head_q();
    int qi = fz.ndone;
    long off;
    pop3_cb_action_t act;

    (void)ctx;
    FZ_CHECK(len > 0, "on_body with length 0");
    FZ_CHECK(data != NULL, "on_body with NULL data");
    if (fz.in_input && ptr_in(data, len, fz.chunk, fz.chunk_len)) {
        off = (long)(fz.chunk_base + (size_t)((const uint8_t *)data - fz.chunk));
    } else if (ptr_in(data, len, fz.line_buf, fz.line_buf_len)) {
        off = -1;
    } else {
        /* The core hands a lone CR of ".\rX" from a constant (pop3_body.c). */
        FZ_CHECK(len == 1 && data[0] == '\r', "on_body: pointer %p (+%zu) outside the input chunk and the line buffer",
                 (const void *)data, len);
        off = -1;
    }
    act = stream_cb("on_body", POP3_CMD_RETR);
    if (e->body_len == 0) {
        e->body_start = fz.body_total;
    }
    FZ_CHECK(e->body_start + e->body_len == fz.body_total, "body of two commands interleaved");
    FZ_CHECK(fz.body_total + len <= fz.srv_len, "more body octets than server octets");
    memcpy(fz.body + fz.body_total, data, len);
    if (fz.nruns < FZ_MAXRUNS) {
        fz_run_t *r = &fz.runs[fz.nruns++];
        r->q = qi; /* fz.ndone moves on if the callback called pop3_abort() */
        r->out_index = e->body_len;
        r->len = len;
        r->stream_off = off;
    } else {
        fz.runs_overflow = true;
    }
    fz.body_total += len;
    e->body_len += len;
    return act;
}

static pop3_cb_action_t on_list(void *ctx, uint32_t msg, uint64_t octets)
{
    (void)ctx;
    (void)msg;
    (void)octets;
    return stream_cb("on_list", POP3_CMD_LIST);
}

static pop3_cb_action_t on_uidl(void *ctx, uint32_t msg, const char *uid, size_t uid_len)
{
    size_t i;

    (void)ctx;
    (void)msg;
    FZ_CHECK(uid_len >= 1 && uid_len <= 70, "on_uidl: uid of %zu octets", uid_len);
    check_rx_ptr("on_uidl uid", uid, uid_len);
    for (i = 0; i < uid_len; i++) {
        FZ_CHECK(uid[i] >= 0x21 && uid[i] <= 0x7E, "on_uidl: uid octet 0x%02x", (unsigned char)uid[i]);
    }
    return stream_cb("on_uidl", POP3_CMD_UIDL);
}

static pop3_cb_action_t on_capa(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    FZ_CHECK(len > 0, "on_capa with an empty line");
    check_rx_ptr("on_capa line", line, len);
    FZ_CHECK(memchr(line, '\n', len) == NULL, "on_capa line holds LF");
    return stream_cb("on_capa", POP3_CMD_CAPA);
}

static void on_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len)
{
    (void)ctx;
    if (dir == POP3_TRACE_SENT && auth_in_flight()) {
        fa_trace(line, len); /* its masks may be constants: checked for content instead */
    } else if (len > 0) {
        if (dir == POP3_TRACE_SENT) {
            /* Queued commands are traced from tx_buf; the core's own "CAPA"/"STLS" from its constants. */
            FZ_CHECK(ptr_in(line, len, fz.tx_buf, fz.tx_buf_len) ||
                         (len == 4 && (memcmp(line, "CAPA", 4) == 0 || memcmp(line, "STLS", 4) == 0)),
                     "sent trace outside tx_buf and the core's own CAPA/STLS");
        } else {
            check_rx_ptr("received trace", line, len);
        }
    }
    if (dir == POP3_TRACE_SENT) { /* (the server may echo anything back) */
        FZ_CHECK(!mem_contains(line, len, FZ_PASS, strlen(FZ_PASS)), "password in a sent-command trace line");
    }
}

static void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    uint8_t b;

    (void)ctx;
    dbg("on_done(%s, %s) text \"%.*s\"", pop3_cmd_name(cmd), st_name(st), (int)(r != NULL && r->text_len < 80 ? r->text_len : 0),
        r != NULL && r->text != NULL ? r->text : "");
    FZ_CHECK(r != NULL, "on_done with a NULL reply");
    FZ_CHECK((unsigned)st < (unsigned)POP3_STATUS_COUNT_, "on_done with status %d", (int)st);
    FZ_CHECK(!fz.closed_seen, "on_done(%s, %s) after the session closed", pop3_cmd_name(cmd), st_name(st));
    if (r->text_len > 0) {
        check_rx_ptr("reply text", r->text, r->text_len);
    }
    if (r->uid_len > 0) {
        check_rx_ptr("reply uid", r->uid, r->uid_len);
    }
    if (cmd != POP3_CMD_AUTH || st != POP3_ERR_AUTH_TOKEN) {
        FZ_CHECK(r->oauth_status == NULL && r->oauth_scope == NULL, "on_done(%s, %s) with OAuth fields",
                 pop3_cmd_name(cmd), st_name(st));
    } else {
        /* Copied out of the server's JSON into the client (not line_buf): in range, and readable (ASan). */
        FZ_CHECK(r->oauth_status == NULL || (r->oauth_status_len <= POP3_OAUTH_STATUS_MAX_LEN &&
                                             !mem_contains(r->oauth_status, r->oauth_status_len, "\r", 1)),
                 "oauth_status of %zu octets", r->oauth_status_len);
        FZ_CHECK(r->oauth_scope == NULL || (r->oauth_scope_len <= POP3_OAUTH_SCOPE_MAX_LEN &&
                                            !mem_contains(r->oauth_scope, r->oauth_scope_len, "\r", 1)),
                 "oauth_scope of %zu octets", r->oauth_scope_len);
    }
    if (cmd == POP3_CMD_AUTH) {
        fa_reported(); /* tx_buf is checked once the core's call returned (wiping) */
    }
    if (cmd == POP3_CMD_CONNECT) {
        FZ_CHECK(fz.connect_done == 0, "CONNECT reported twice");
        FZ_CHECK(fz.ndone == 0, "CONNECT reported after a command");
        fz.connect_done = 1;
        fz.connect_st = st;
        if (st == POP3_OK) {
            FZ_CHECK(fz.security == POP3_SEC_PLAINTEXT || fz.tls_ok, "session ready without TLS (downgrade)");
        }
    } else {
        fz_q_t *e = head_q();
        FZ_CHECK(fz.connect_done > 0, "on_done(%s) before CONNECT", pop3_cmd_name(cmd));
        FZ_CHECK(e != NULL, "on_done(%s, %s) with nothing queued (extra report)", pop3_cmd_name(cmd), st_name(st));
        FZ_CHECK(e->cmd == (int)cmd, "on_done(%s) while %s is due (order)", pop3_cmd_name(cmd),
                 pop3_cmd_name((pop3_cmd_t)e->cmd));
        e->done = true;
        e->st = st;
        e->octets = r->octets;
        e->offered_end = fz.in_input ? fz.chunk_base + fz.chunk_len : fz.consumed;
        e->consumed_before = fz.in_input ? fz.chunk_base : fz.consumed;
        if ((cmd == POP3_CMD_LOGIN || cmd == POP3_CMD_APOP || cmd == POP3_CMD_AUTH) && st == POP3_OK) {
            FZ_CHECK(fz.security == POP3_SEC_PLAINTEXT || fz.tls_ok, "logged in without TLS");
        }
        if (st == POP3_OK && is_body_cmd((int)cmd)) {
            FZ_CHECK(r->octets == e->body_len, "%s OK: reply octets %llu but %zu delivered", pop3_cmd_name(cmd),
                     (unsigned long long)r->octets, e->body_len);
        }
        fz.ndone++;
    }
    if (fz.quiet) {
        return;
    }
    b = fz_next(&fz.act);
    if ((b & 15) >= 10 && (b & 15) <= 13) {
        (void)queue_op((uint8_t)(b >> 4));
    } else if ((b & 15) == 14) {
        fz_q_t *e = head_q();
#ifdef FZ_EXPLORE_AROUND_KNOWN_BUGS
        if (cmd == POP3_CMD_CONNECT && st != POP3_OK) {
            return; /* connect_reported_twice_abort_in_greeting_err */
        }
#endif
        if (e != NULL) {
            e->app_abort = true;
        }
        pop3_abort(&fz.client);
    } else if ((b & 15) == 15) {
        pop3_resume(&fz.client);
    }
    pump_script();
}

/* ------------------------------------------------------------------------ */
/* Checks after every core entry point                                      */
/* ------------------------------------------------------------------------ */

/* A queued login whose PASS is not sent yet legitimately holds the password in tx_buf. */
static bool login_waiting(void)
{
    int i;

    for (i = fz.ndone; i < fz.nq; i++) {
        if (fz.q[i].cmd == POP3_CMD_LOGIN && !fz.q[i].pass_done) {
            return true;
        }
    }
    return false;
}

static void after_core(void)
{
    pop3_client_t *c = &fz.client;

    fa_end();
    if (!login_waiting()) {
        fa_check_no_secret("tx_buf", fz.tx_buf, fz.tx_buf_len);
    }

    if ((fz.pass_sent || (fz.apop && !fz.login_queued)) && !login_waiting()) {
        FZ_CHECK(!mem_contains(fz.tx_buf, fz.tx_buf_len, FZ_PASS, strlen(FZ_PASS)),
                 "password still in tx_buf after PASS was sent");
    }
    if (pop3_state(c) == POP3_STATE_CLOSED && !fz.closed_seen) {
        int i;
        fz.closed_seen = true;
        FZ_CHECK(fz.connect_done == 1, "session closed without reporting CONNECT");
        for (i = 0; i < fz.nq; i++) {
            FZ_CHECK(fz.q[i].done, "session closed but %s (#%d) never got on_done", pop3_cmd_name((pop3_cmd_t)fz.q[i].cmd), i);
        }
        FZ_CHECK(!mem_contains(fz.tx_buf, fz.tx_buf_len, FZ_PASS, strlen(FZ_PASS)), "password left in tx_buf after close");
        FZ_CHECK(fz.port_closed || fz.close_calls == 1, "session closed but transport close not called");
    }
    if (fz.closed_seen) {
        FZ_CHECK(pop3_state(c) == POP3_STATE_CLOSED, "session left CLOSED");
        FZ_CHECK(!pop3_wants_write(c), "wants write after close");
    }
    if (!fz.paused) {
        FZ_CHECK(!pop3_is_paused(c) || fz.closed_seen, "core paused although no callback asked");
    }
}

static void tick(uint8_t sel)
{
    static const uint32_t deltas[8] = {1, 50, 1000, 29999, 30000, 30001, 60000, 0x7FFFFFFFU};

    fz.now += deltas[sel & 7];
    pop3_tick(&fz.client, fz.now);
    after_core();
}

static void resume(void)
{
    fz.paused = false;
    pop3_resume(&fz.client);
    after_core();
}

/* Feeds server bytes [off, off+len) in one pop3_on_input call. */
static size_t feed(size_t off, size_t len)
{
    uint8_t *blk = malloc(len);
    size_t r;
    bool was_tls_started = fz.tls_started_in_input;

    FZ_CHECK(blk != NULL, "harness: out of memory");
    memcpy(blk, fz.srv + off, len);
    fz.in_input = true;
    fz.chunk = blk;
    fz.chunk_len = len;
    fz.chunk_base = off;
    dbg("feed [%zu, +%zu)", off, len);
    r = pop3_on_input(&fz.client, blk, len);
    fz.in_input = false;
    dbg("  consumed %zu%s", r, pop3_is_paused(&fz.client) ? " (paused)" : "");
    FZ_CHECK(r <= len, "pop3_on_input returned %zu for %zu octets", r, len);
    if (r < len) {
        FZ_CHECK(pop3_is_paused(&fz.client) || pop3_state(&fz.client) == POP3_STATE_CLOSED,
                 "pop3_on_input consumed %zu of %zu octets while neither paused nor closed", r, len);
    }
    if (!was_tls_started && fz.tls_started_in_input) {
        /* Response injection (CVE-2021-22947 class): TLS only when "+OK" ended the chunk. */
        FZ_CHECK(r == len && blk[len - 1] == '\n', "STLS handshake started with %zu octets after the +OK in the same chunk",
                 len - r);
        FZ_CHECK(fz.srv[off + len - 1] == '\n', "STLS handshake started mid-line");
    }
    fz.consumed = off + r;
    free(blk);
    fz.chunk = NULL;
    after_core();
    return r;
}

/* ------------------------------------------------------------------------ */
/* Reference model of the server stream                                     */
/* ------------------------------------------------------------------------ */

/* One line ending in LF (CR before it removed). */
static bool ref_line(size_t *pos, size_t *ls, size_t *ll)
{
    const uint8_t *nl;
    size_t e, n;

    if (*pos >= fz.srv_len) {
        return false;
    }
    nl = memchr(fz.srv + *pos, '\n', fz.srv_len - *pos);
    if (nl == NULL) {
        return false;
    }
    e = (size_t)(nl - fz.srv);
    n = e - *pos;
    if (n > 0 && fz.srv[e - 1] == '\r') {
        n--;
    }
    *ls = *pos;
    *ll = n;
    *pos = e + 1U;
    return true;
}

static int ref_kind(size_t ls, size_t ll)
{
    const uint8_t *l = fz.srv + ls;

    if (ll >= 3 && memcmp(l, "+OK", 3) == 0 && (ll == 3 || l[3] == ' ')) {
        return 1;
    }
    if (ll >= 4 && memcmp(l, "-ERR", 4) == 0 && (ll == 4 || l[4] == ' ')) {
        return 2;
    }
    return 3;
}

/*
 * Reference unstuffer (RFC 1939 section 3, the policy in README "Protocol
 * notes"): only CR LF ends a body line; "." CR LF at a line start ends the
 * body; any other '.' at a line start is dropped. The CRLF before the final
 * "." belongs to the message. With @p keep, the output and the stream offset
 * of each output octet go to ref_out/ref_map.
 */
static bool ref_body(size_t *pos, bool keep)
{
    size_t i = *pos;
    bool bol = true, prev_cr = false;

    while (i < fz.srv_len) {
        uint8_t b = fz.srv[i];
        if (bol) {
            bol = false;
            if (b == '.') {
                if (i + 2U < fz.srv_len && fz.srv[i + 1] == '\r' && fz.srv[i + 2] == '\n') {
                    *pos = i + 3U;
                    return true;
                }
                i++;
                prev_cr = false;
                continue;
            }
        }
        if (keep) {
            fz.ref_out[fz.ref_out_len] = b;
            fz.ref_map[fz.ref_out_len] = i;
            fz.ref_out_len++;
        }
        bol = b == '\n' && prev_cr;
        prev_cr = b == '\r';
        i++;
    }
    return false;
}

/* CAPA / LIST / UIDL lines up to "."; after an aborted entry the rest is drained as a body. */
static bool ref_lines(size_t *pos, fz_ref_t *r, bool capa, int abort_entry)
{
    size_t ls, ll;

    while (ref_line(pos, &ls, &ll)) {
        if (ll == 1 && fz.srv[ls] == '.') {
            return true;
        }
        if (ll > 0 && fz.srv[ls] == '.') {
            ls++;
            ll--;
        }
        if (capa && ll == 0) {
            continue;
        }
        r->entries++;
        if (abort_entry > 0 && r->entries == abort_entry) {
            return ref_body(pos, false);
        }
    }
    return false;
}

/*
 * The reply to AUTH: continuation lines, then one status line. A
 * well-behaved server sends element i only after the client's line i (the
 * AUTH line is line 0): with @p limit, where it may have sent up to once the
 * client sent @p lines complete lines. Returns whether framing goes on after it.
 */
static bool ref_auth(size_t *pos, fz_ref_t *r, int lines, size_t *limit)
{
    size_t ls, ll;
    int el = 0;
    bool set = false;

    if (limit != NULL && lines == 0) {
        *limit = *pos;
        set = true;
    }
    while (ref_line(pos, &ls, &ll)) {
        if (is_cont(ls, ll)) {
            r->entries++;
            if (limit != NULL && !set && ++el == lines) {
                *limit = *pos;
                set = true;
            }
            continue;
        }
        r->kind = ref_kind(ls, ll);
        r->complete = true;
        r->end = *pos;
        if (limit != NULL && !set) {
            *limit = *pos;
        }
        return r->kind != 3;
    }
    if (limit != NULL && !set) {
        *limit = fz.srv_len; /* the stream ends inside what the server may send */
    }
    return false;
}

/*
 * Frames the greeting and the replies to the first @p n sent commands. With
 * @p keep the results go to fz.ref / fz.ref_greet / fz.ref_out; otherwise only
 * where the last reply starts and ends is computed (fz.srv_len when unknown).
 */
static void ref_frame(int n, bool keep, size_t *last_start, size_t *last_end)
{
    size_t pos = 0, ls, ll;
    int k;
    fz_ref_t scratch;

    *last_start = *last_end = fz.srv_len;
    if (keep) {
        memset(&fz.ref_greet, 0, sizeof fz.ref_greet);
        fz.ref_out_len = 0;
    }
    if (!ref_line(&pos, &ls, &ll)) {
        return;
    }
    if (keep) {
        fz.ref_greet.kind = ref_kind(ls, ll);
        fz.ref_greet.complete = true;
        fz.ref_greet.end = pos;
    }
    if (n == 0) {
        *last_start = *last_end = pos;
        return;
    }
    for (k = 0; k < n; k++) {
        fz_d_t *d = &fz.d[k];
        fz_ref_t *r = keep ? &fz.ref[k] : &scratch;
        bool body = memcmp(d->verb, "RETR", 4) == 0 || memcmp(d->verb, "TOP", 4) == 0;
        bool capa = memcmp(d->verb, "CAPA", 4) == 0;
        bool multi = capa || ((memcmp(d->verb, "LIST", 4) == 0 || memcmp(d->verb, "UIDL", 4) == 0) && !d->has_arg);

        memset(r, 0, sizeof *r);
        if (k == n - 1) {
            *last_start = pos;
        }
        if (memcmp(d->verb, "AUTH", 4) == 0) {
            if (!ref_auth(&pos, r, d->lines, k == n - 1 ? last_end : NULL)) {
                return;
            }
            continue;
        }
        if (!ref_line(&pos, &ls, &ll)) {
            return;
        }
        r->kind = ref_kind(ls, ll);
        if (r->kind == 3) {
            r->complete = true;
            r->end = pos;
            if (k == n - 1) {
                *last_end = pos;
            }
            return; /* the core closes here; nothing after this is framed */
        }
        if (r->kind == 2 || (!body && !multi)) {
            r->complete = true;
            r->end = pos;
        } else {
            if (keep) {
                r->out_start = fz.ref_out_len;
            }
            r->complete = body ? ref_body(&pos, keep) : ref_lines(&pos, r, capa, d->abort_entry);
            if (keep) {
                r->out_len = fz.ref_out_len - r->out_start;
            }
            r->end = pos;
            if (!r->complete) {
                return;
            }
        }
        if (k == n - 1) {
            *last_end = pos;
        }
    }
}

static void ref_build(void)
{
    size_t s0, e0;

    ref_frame(fz.nd, true, &s0, &e0);
}

/*
 * A well-behaved server (opt0 bit 7 clear) sends nothing beyond the reply to
 * the last command it has completely received: the stream offset up to which
 * bytes may be fed now.
 */
static size_t wb_limit(void)
{
    size_t s0, e0;
    bool sent = !fz.pending_valid;

    int lines = fz.nd > 0 ? fz.d[fz.nd - 1].lines : 0;
    bool auth = fz.nd > 0 && memcmp(fz.d[fz.nd - 1].verb, "AUTH", 4) == 0;

    if (fz.lim_nd != fz.nd || fz.lim_sent != sent || fz.lim_lines != lines || !fz.lim_valid) {
        ref_frame(fz.nd, false, &s0, &e0);
        fz.lim_value = sent || auth ? e0 : s0; /* AUTH: by complete lines (ref_auth) */
        fz.lim_nd = fz.nd;
        fz.lim_sent = sent;
        fz.lim_lines = lines;
        fz.lim_valid = true;
    }
    return fz.lim_value;
}

/* ------------------------------------------------------------------------ */
/* End-of-run checks against the reference                                  */
/* ------------------------------------------------------------------------ */

static void check_against_reference(void)
{
    int i;

    ref_build();
    if (fz.connect_done && fz.connect_st == POP3_OK) {
        FZ_CHECK(fz.ref_greet.kind == 1, "CONNECT OK without a +OK greeting");
    }
    for (i = 0; i < fz.nq; i++) {
        fz_q_t *e = &fz.q[i];
        const char *name = pop3_cmd_name((pop3_cmd_t)e->cmd);
        fz_ref_t *r = e->last_d >= 0 ? &fz.ref[e->last_d] : NULL;
        bool reply_based = e->st == POP3_OK || e->st == POP3_ERR_SERVER || e->st == POP3_ERR_AUTH ||
                           (e->st == POP3_ERR_ABORTED && e->cb_abort && !e->app_abort) ||
                           (e->cmd == POP3_CMD_AUTH && e->st == POP3_ERR_AUTH_TOKEN);

#ifdef FZ_EXPLORE_AROUND_KNOWN_BUGS
        if (r == NULL && e->st == POP3_ERR_SERVER) {
            continue; /* unsent_command_reported_server_err_after_quit_err */
        }
#endif
        if (reply_based) {
            FZ_CHECK(r != NULL, "#%d %s reported %s but was never sent", i, name, st_name(e->st));
            FZ_CHECK(r->complete && r->end <= e->offered_end,
                     "#%d %s reported %s before its reply was complete (reference: %s, end %zu, offered %zu)", i, name,
                     st_name(e->st), r->complete ? "complete" : "incomplete", r->end, e->offered_end);
            if (e->st == POP3_OK) {
                FZ_CHECK(r->kind == 1, "#%d %s reported OK but the reply was not +OK", i, name);
            } else if (e->st != POP3_ERR_ABORTED && e->st != POP3_ERR_AUTH_TOKEN) {
                FZ_CHECK(r->kind == 2, "#%d %s reported %s but the reply was not -ERR", i, name, st_name(e->st));
            }
            if (e->st == POP3_OK && (e->cmd == POP3_CMD_LIST || e->cmd == POP3_CMD_UIDL || e->cmd == POP3_CMD_CAPA) &&
                e->a == 0) {
                FZ_CHECK(e->entries == r->entries, "#%d %s OK with %d entries, reference %d", i, name, e->entries, r->entries);
            }
        } else if (r != NULL && r->complete && r->kind != 3 && e->st != POP3_ERR_ABORTED) {
            FZ_CHECK(r->end > e->consumed_before,
                     "#%d %s reported %s although its whole reply had been consumed earlier (end %zu <= %zu)", i, name,
                     st_name(e->st), r->end, e->consumed_before);
        }
        if (is_body_cmd(e->cmd)) {
            size_t ref_len = r != NULL && r->kind == 1 ? r->out_len : 0;
            const uint8_t *ref = r != NULL ? fz.ref_out + r->out_start : NULL;
            FZ_CHECK(e->body_len <= ref_len && (e->body_len == 0 || memcmp(fz.body + e->body_start, ref, e->body_len) == 0),
                     "#%d %s: delivered body (%zu octets) is not a prefix of the reference body (%zu octets)", i, name,
                     e->body_len, ref_len);
            if (e->st == POP3_OK) {
                FZ_CHECK(r != NULL && r->complete && e->body_len == ref_len,
                         "#%d %s OK with %zu octets, reference body %zu octets%s", i, name, e->body_len, ref_len,
                         r != NULL && r->complete ? "" : " (no end marker)");
            }
            if (e->st == POP3_ERR_ABORTED && e->cb_abort && !e->app_abort) {
                FZ_CHECK(e->octets == e->body_len, "#%d %s ABORTED: octets %llu, delivered %zu", i, name,
                         (unsigned long long)e->octets, e->body_len);
            }
        }
    }
    if (!fz.runs_overflow) {
        for (i = 0; i < fz.nruns; i++) {
            const fz_run_t *run = &fz.runs[i];
            const fz_q_t *e = &fz.q[run->q];
            const fz_ref_t *r = &fz.ref[e->last_d];
            size_t t;
            if (run->stream_off < 0) {
                continue;
            }
            for (t = 0; t < run->len; t++) {
                FZ_CHECK(run->out_index + t < r->out_len &&
                             fz.ref_map[r->out_start + run->out_index + t] == (size_t)run->stream_off + t,
                         "body run %d of #%d: octet %zu comes from stream offset %zu, reference says otherwise", i, run->q,
                         run->out_index + t, (size_t)run->stream_off + t);
            }
        }
    }
}

/* ------------------------------------------------------------------------ */
/* The run                                                                  */
/* ------------------------------------------------------------------------ */

static const uint8_t reply_script[] = {0, 1, 3, 2, 4, 5, 6, 7, 8, 9, 10};
/* login (12) / APOP (13) is added in front by the session target */
static const uint8_t session_script[] = {0, 1, 3, 5, 8, 10};

static const char reply_prefix[] = "+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n"
                                   "+OK\r\nUSER\r\nTOP\r\nUIDL\r\n.\r\n"
                                   "+OK\r\n"
                                   "+OK logged in\r\n";

static void free_run(void)
{
    free(fz.line_buf);
    free(fz.tx_buf);
    free(fz.srv);
    free(fz.sent);
    free(fz.body);
    free(fz.ref_out);
    free(fz.ref_map);
}

static const uint8_t *section(const uint8_t *data, size_t size, size_t *pos, fz_stream_t *s)
{
    size_t n = 0;

    memset(s, 0, sizeof *s);
    if (*pos < size) {
        n = data[(*pos)++];
        if (n > size - *pos) {
            n = size - *pos;
        }
        s->p = data + *pos;
        s->n = n;
        *pos += n;
    }
    return s->p;
}

static void handle_tls(void)
{
    pop3_status_t st = POP3_OK;

    fz.tls_requested = false;
    if (fz.tls_outcome == 1) {
        st = POP3_ERR_CERT;
    } else if (fz.tls_outcome == 2) {
        st = POP3_ERR_TLS;
    }
    if (st == POP3_OK) {
        fz.tls_ok = true;
        fz.sent_pre_tls = fz.sent_len;
        FZ_CHECK(!fz.pending_valid, "bytes still unsent when TLS starts");
    }
    pop3_on_tls_done(&fz.client, st);
    after_core();
    if (st != POP3_OK) {
        FZ_CHECK(pop3_state(&fz.client) == POP3_STATE_CLOSED, "session open after a failed handshake");
        FZ_CHECK(pop3_session_status(&fz.client) == st, "handshake failure %s reported as %s", st_name(st),
                 st_name(pop3_session_status(&fz.client)));
    }
}

int fz_run(const uint8_t *data, size_t size, int target)
{
    pop3_config_t cfg;
    size_t pos = 2, srv_off = 0, prefix_len = 0;
    static const size_t lbl[4] = {512, 513, 600, 1024};
    unsigned long iter, max_iter, stalled = 0;

    if (size < 2 || size > FZ_MAX_INPUT) {
        return 0;
    }
    memset(&fz, 0, sizeof fz);
    fa_reset(fz_decide);
    fz.target = target;
    fz.opt0 = data[0];
#ifdef FZ_EXPLORE_AROUND_KNOWN_BUGS
    /* Development only, never in the ctest build: steer around library bugs
     * already reported (regressions/) while exploring for others. */
    fz.opt0 &= (uint8_t)~0x80U; /* early_reply_while_command_unsent */
#endif
    fz.opt1 = data[1];
    section(data, size, &pos, &fz.script);
    section(data, size, &pos, &fz.split);
    section(data, size, &pos, &fz.act);
    section(data, size, &pos, &fz.sendp);
    fz.script_from_input = (fz.opt0 & 0x20) != 0;
    fz.sent_pre_tls = (size_t)-1;
    if (target == FZ_TARGET_REPLY) {
        fz.security = POP3_SEC_PLAINTEXT;
        fz.allow_plain = true;
        fz.default_script = reply_script;
        fz.default_script_len = sizeof reply_script;
        prefix_len = sizeof reply_prefix - 1U;
    } else {
        static const pop3_security_t modes[4] = {POP3_SEC_STLS, POP3_SEC_IMPLICIT_TLS, POP3_SEC_PLAINTEXT,
                                                 POP3_SEC_PLAINTEXT};
        fz.security = modes[fz.opt1 & 3];
        fz.allow_plain = (fz.opt1 & 3) == 3;
        fz.apop = (fz.opt1 & 4) != 0;
        fz.early_queue = (fz.opt1 & 8) != 0;
        fz.tls_outcome = (fz.opt1 >> 4) & 3;
        fz.start_tls_fails = (fz.opt1 & 0x40) != 0;
        fz.no_auth = (fz.opt1 & 0x80) != 0;
        fz.tls_boundary = (fz.opt0 & 0x40) != 0;
        fz.default_script = session_script;
        fz.default_script_len = sizeof session_script;
    }

    /* Server stream: [fixed prefix] + fuzzed bytes. */
    fz.srv_len = prefix_len + (size - pos);
    fz.srv = malloc(fz.srv_len + 1U);
    memcpy(fz.srv, reply_prefix, prefix_len);
    memcpy(fz.srv + prefix_len, data + pos, size - pos);
    fz.body = malloc(fz.srv_len + 1U);
    fz.ref_out = malloc(fz.srv_len + 1U);
    fz.ref_map = malloc((fz.srv_len + 1U) * sizeof *fz.ref_map);

    /* Exactly sized heap buffers so ASan sees any write past them. */
    fz.line_buf_len = lbl[fz.opt0 & 3];
    fz.tx_buf_len = POP3_MIN_TX_BUF_LEN + ((fz.opt0 & 4) ? 100U : 0U);
    fz.line_buf = malloc(fz.line_buf_len);
    fz.tx_buf = malloc(fz.tx_buf_len);
    fa_set_tx(fz.tx_buf, fz.tx_buf_len);
    memset(&cfg, 0, sizeof cfg);
    cfg.line_buf = fz.line_buf;
    cfg.line_buf_len = fz.line_buf_len;
    cfg.tx_buf = fz.tx_buf;
    cfg.tx_buf_len = fz.tx_buf_len;
    cfg.transport.send = fz_send;
    cfg.transport.start_tls = fz_start_tls;
    cfg.transport.close = fz_close;
    cfg.transport.wake = fz_wake;
    cfg.callbacks.on_done = on_done;
    cfg.callbacks.on_body = on_body;
    cfg.callbacks.on_list = on_list;
    cfg.callbacks.on_uidl = on_uidl;
    cfg.callbacks.on_capa = on_capa;
    cfg.callbacks.on_trace = on_trace;
    cfg.security = fz.security;
    cfg.allow_plaintext_login = fz.allow_plain;
    FZ_CHECK(pop3_init(&fz.client, &cfg) == POP3_OK, "pop3_init failed");

    fz.now = 1000U;
    FZ_CHECK(pop3_start(&fz.client, fz.now) == POP3_OK, "pop3_start failed");
    if (target == FZ_TARGET_SESSION) {
        pump_script(); /* only with opt1 bit 3: commands queued before the connection */
    }
    pop3_on_connected(&fz.client);
    after_core();

    if (target == FZ_TARGET_REPLY) {
        /* Fixed prefix, quietly: greeting, CAPA, USER, PASS; then TRANSACTION. */
        fz.quiet = true;
        /* One reply per chunk: a server answers only what it was asked. */
        static const char *const ends[] = {"\r\n", "\n.\r\n", "+OK\r\n", "logged in\r\n"};
        size_t k, at = 0;
        for (k = 0; k < 4; k++) {
            size_t end = (size_t)(strstr(reply_prefix + at, ends[k]) - reply_prefix) + strlen(ends[k]);
            FZ_CHECK(feed(at, end - at) == end - at, "fixed prefix: reply %zu not consumed", k);
            at = end;
            if (k == 1) {
                FZ_CHECK(fz.connect_done == 1 && fz.connect_st == POP3_OK, "fixed prefix: CONNECT failed");
                (void)queue_op(12);
            }
        }
        FZ_CHECK(at == prefix_len, "fixed prefix: length");
        srv_off = at;
        FZ_CHECK(pop3_state(&fz.client) == POP3_STATE_TRANSACTION && fz.ndone == 1 && fz.q[0].st == POP3_OK,
                 "fixed prefix: not in TRANSACTION");
        fz.quiet = false;
        pump_script();
    }

    max_iter = 4UL * fz.srv_len + 256UL;
    for (iter = 0; iter < max_iter && !fz.closed_seen; iter++) {
        uint8_t b;
        size_t len, wb_cut = (size_t)-1;

        pump_script();
        if (fz.tls_requested) {
            if (fz.tls_outcome == 3 && srv_off < fz.srv_len) {
                /* Plaintext arriving before the handshake ended: a conforming port
                 * drops it and fails; here it reaches the core, which must not
                 * treat it as a reply. */
                fz.tls_outcome = 0;
                srv_off += feed(srv_off, 1);
                if (fz.closed_seen) {
                    break;
                }
            }
            handle_tls();
            continue;
        }
        if (pop3_is_paused(&fz.client)) {
            b = fz_next(&fz.act);
            if (b & 0x10) {
                tick(b);
            }
            resume();
            continue;
        }
        if (pop3_wants_write(&fz.client)) {
            pop3_on_writable(&fz.client);
            after_core();
        }
        if (srv_off >= fz.srv_len || fz.closed_seen) {
            break;
        }
        if (!(fz.opt0 & 0x80)) {
            /* A well-behaved server answers only what it has received. */
            size_t lim = wb_limit();
            if (srv_off >= lim) {
                if (fz.pending_valid) {
                    if (++stalled > 64) {
                        break; /* the client cannot send: the server waits (end action follows) */
                    }
                    continue;
                }
                lim = fz.srv_len; /* nothing more was asked: the rest is unsolicited */
            }
            stalled = 0;
            if (lim < fz.srv_len) {
                wb_cut = lim - srv_off;
            }
        }
        b = fz_next(&fz.split);
        len = b == 0 ? fz.srv_len - srv_off : ((b & 0x7FU) == 0 ? 128U : (size_t)(b & 0x7FU));
        if (len > fz.srv_len - srv_off) {
            len = fz.srv_len - srv_off;
        }
        if (len > wb_cut) {
            len = wb_cut;
        }
        if (fz.tls_boundary && fz.stls_sent && !fz.tls_ok) {
            /* A well-behaved server: its TLS records follow the handshake, so
             * the plaintext reply to STLS ends its segment. */
            const uint8_t *nl = memchr(fz.srv + srv_off, '\n', len);
            if (nl != NULL) {
                len = (size_t)(nl - (fz.srv + srv_off)) + 1U;
            }
        }
        if (b & 0x80) {
            tick(fz_next(&fz.act));
            if (fz.closed_seen) {
                break;
            }
        }
        srv_off += feed(srv_off, len);
    }

    /* The server's bytes are exhausted (or the session ended). */
    if (!fz.closed_seen) {
        switch ((fz.opt0 >> 3) & 3) {
        case 0:
            fz.port_closed = true;
            pop3_on_closed(&fz.client, POP3_ERR_TRANSPORT);
            break;
        case 1:
            fz.now += 0x7FFFFFFFU;
            pop3_tick(&fz.client, fz.now);
            break;
        case 2:
            if (head_q() != NULL) {
                head_q()->app_abort = true;
            }
            pop3_abort(&fz.client);
            break;
        default:
            fz.port_closed = true;
            pop3_on_closed(&fz.client, POP3_OK);
            break;
        }
        after_core();
        if (!fz.closed_seen) {
            fz.port_closed = true;
            pop3_on_closed(&fz.client, POP3_ERR_TRANSPORT);
            after_core();
        }
    }
    FZ_CHECK(fz.closed_seen, "session not closed after the port reported the close");
    check_against_reference();
    free_run();
    return 0;
}
