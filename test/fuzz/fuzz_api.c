/*
 * libFuzzer target: API misuse. The input is a program that calls the public
 * functions of core/include/pop3.h in any order with any arguments, while the
 * server's bytes (also from the input) arrive split anywhere; the fake port
 * and the application callbacks take their decisions from the input too.
 *
 * INPUT FORMAT (test/fuzz/make_seeds.py: api_encode() writes it)
 *
 *   The PROGRAM is read from the front, one operation after another. The
 *   DECISIONS are read from the back, last byte first, whenever the core
 *   calls the fake port or a callback; when the two meet, the program ends
 *   and every further decision is 0 (accept everything, continue).
 *
 *   Program operations, op = byte % 18 (arguments follow the op byte):
 *     0  nop
 *     1  pop3_init    c1 c2 c3 c4 c5 (config below); skipped while the client
 *                     still has work (a command owed, or a live session)
 *     2  pop3_start   t: now = {1000, 0, 0xFFFFFF00, 0x7FFFFFFF}[t & 3]
 *     3  pop3_on_connected
 *     4  pop3_on_tls_done  s: {OK, CERT, TLS, OK}[s & 3]
 *     5  pop3_on_closed    s: status s % POP3_STATUS_COUNT_ (POP3_OK included)
 *     6  pop3_tick    d: now += {1, 50, 1000, 29999, 30000, 30001, 60000, 2^31-1}[d & 7]
 *     7  pop3_on_writable
 *     8  feed         n, n octets: appended to the port's receive buffer, all
 *                     of it offered in one pop3_on_input()
 *     9  feed split   n, k, n octets: appended, offered in pieces of k (0: 1)
 *    10  canned       i, k: canned server reply i % 16 (canned[] below)
 *                     appended and offered split after k octets (k = 0: whole)
 *    11  deliver      k: offer the first k held octets (0: all)
 *    12  command      selector (+ arguments), see "Commands"
 *    13  pop3_resume
 *    14  pop3_abort
 *    15  queries      v: pop3_state/is_paused/wants_write/session_status/caps/
 *                     has_apop, pop3_status_str(v - 8), pop3_cmd_name(v - 8),
 *                     pop3_sanitize into an exact v-octet buffer
 *    16  burst        k, then (k & 7) + 1 commands
 *    17  policy       k, v: from now on decision kind k % 5 (send, streaming
 *                     callbacks, on_done, on_trace, start_tls) is v for every
 *                     call; v = 0: one decision byte per call again (default)
 *   The port's entry points (3-5, 7-11) run only between a successful
 *   pop3_start() and the close (core's transport.close or pop3_on_closed), and
 *   no input is offered while the client is paused (the port stops reading);
 *   pop3_tick() runs whenever the client was initialised. Application
 *   functions (12-16) run at any time once pop3_init() was called on the
 *   client, also after a failed pop3_init() and after the close.
 *   After the program: pop3_abort() (or pop3_on_closed(TRANSPORT) if the
 *   decision byte is odd and the port is open), then pop3_tick(), pop3_resume(),
 *   pop3_stat() and pop3_abort() again on the closed client.
 *
 *   Config (op 1):
 *     c1 bits 0-1 security STLS, IMPLICIT_TLS, PLAINTEXT, out of range
 *              ({3, 4, 255, -1}[c5 >> 4 & 3]); bit 2 allow_plaintext_login;
 *              bit 3 start_tls NULL; bit 4 wake NULL; bit 5 on_trace set;
 *              bit 6 the streaming callbacks in c5 bits 0-3 (body, list,
 *              uidl, capa) NULL; bit 7 on_done NULL (no accounting then)
 *     c2 bits 0-1 line_buf_len {512, 513, 1024, 511}; bits 2-3 tx_buf_len
 *              {MIN, MIN+1, MIN+300, MIN-1}; bits 4-6 {4: client NULL,
 *              5: cfg NULL, 6: line_buf NULL, 7: tx_buf NULL, else none};
 *              bit 7: send NULL (c3 bit 7 clear) or close NULL (set)
 *     c3 bits 0-1, 2-3, 4-5: connect, reply, TLS timeout {0, 1, 50, 30000} ms
 *     c5 bit 7: before the first pop3_init() the client's memory is 0xA5
 *              (stack garbage) instead of zero (a static object)
 *     (c4 is reserved and ignored.) Buffers are exactly sized heap blocks.
 *
 *   Commands: selector s; function {CAPA, LOGIN, APOP, STAT, LIST, UIDL, RETR,
 *   TOP, DELE, RSET, NOOP, QUIT, AUTH, RETR, LIST, UIDL}[s & 15];
 *   s >> 4 == 0: plain arguments (message 1, TOP 1 0, "alice"/"pw-S3cr3t!x"),
 *   no more bytes; 15: the client pointer is NULL (plain arguments); else
 *   each argument takes one more byte: a number {0, 1, 2, 3, 10, 2^31-1,
 *   2^32-2, 2^32-1}[b & 7], a string (user, then password) from api_strings[]
 *   [b & 15], where 14 takes a length byte and that many raw input octets.
 *   AUTH (pop3_auth(); only with on_done set, so the exchange's end is known):
 *   plain: PLAIN for "alice"/"pw-S3cr3t!x"; else a byte m: mechanism m % 9
 *   (8: out of range), m >> 4: 15 creds NULL, else bit 0 is_token, bit 1 the
 *   secret through read_secret, bit 2 rng NULL, bit 3 an authzid (a third
 *   string); then the user and secret strings. At most API_MAXAUTH per run
 *   (the creds stay valid until the run ends).
 *
 *   Decisions: send() {0: all; 1-0xEF: min(b, len); 0xF0-0xF7: 0 (would-block,
 *   pop3_on_writable comes from the program); 0xF8-0xFB: -1, -2, -100,
 *   LONG_MIN; else all}; start_tls() (b >= 0xF0: -1, else 0); every callback
 *   b: returns {CONTINUE, CONTINUE, PAUSE, ABORT}[b & 3] (streaming ones),
 *   then side effect (b >> 2) & 7 = {none, none, queue a command (selector
 *   and arguments from the decisions), pop3_abort(), pop3_resume(), queue two,
 *   queries, pop3_resume() + queue one}. Side effects happen before the
 *   callback returns; callbacks never call the port entry points (pop3.h).
 *   A policy (op 17) replaces the byte from the back by a fixed value for
 *   every decision of its kind until it is set to 0 again (seeds use it, so
 *   "pause at every on_body" does not depend on how many sends came first).
 *
 * INVARIANTS (abort() on violation): no crash, no sanitizer report;
 *   pop3_init() accepts exactly the valid configs; after a failed pop3_init()
 *   the client cannot be started, accepts no command and calls nothing back;
 *   pop3_start() succeeds at most once per pop3_init(); every command whose
 *   queue function returned POP3_OK gets on_done exactly once, in queue order,
 *   none for a refused one (NULL, CR/LF, too long, message 0, closed client,
 *   plaintext login without the opt-in are refused); POP3_CMD_CONNECT at most
 *   once per successful pop3_start() and exactly once if it started and
 *   closed, before any command's report; on_done(POP3_OK) only inside
 *   pop3_on_input(), POP3_ERR_ABORTED for everything pop3_abort() ends, an
 *   error for everything pop3_on_closed()/pop3_tick() end; once the session
 *   is CLOSED every owed report has been made when the call returns, no
 *   callback but on_done of owed commands, and no send/start_tls/close/wake
 *   afterwards (close at most once, never after pop3_on_closed, only in
 *   CLOSED); CLOSED is final; pop3_state() always a valid state; streaming
 *   callbacks only inside pop3_on_input() itself (not from a nested call),
 *   for the command in flight, never while paused or after ABORT;
 *   pop3_on_input() consumes all unless paused or closed; after a would-block
 *   pop3_wants_write() is true (and only with octets unsent); no stall: the
 *   set-up always has its CAPA/STLS in flight, and a ready session that owes
 *   commands has one in flight (sent with its reply incomplete, as framed from
 *   the consumed octets, or waiting to be written; framing, and this check,
 *   stop at a bare LF or a reply to nothing sent); send only after
 *   pop3_on_connected(), inside tx_buf, the same bytes again after a short
 *   send or would-block; sent lines end in CR LF, hold no CR/NUL, are at most
 *   POP3_CMD_MAX_LEN octets (SASL responses: base64, "*" or empty, any
 *   length, only while AUTH is owed first); pop3_auth() refuses what pop3.h
 *   says it refuses; before CONNECT only CAPA/STLS; no credential
 *   before TLS (or ever over plaintext without the opt-in), nothing at all
 *   before implicit TLS is up; callbacks get the right ctx and readable data.
 *
 * FZ_EXPLORE_AROUND_KNOWN_BUGS (development builds only, never the ctest one;
 * run.sh --explore): steer around defects already recorded in
 * regressions/fuzz_api/ so the fuzzer can look for others.
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "pop3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define API_MAXQ 2048      /* commands accounted in one run */
#define API_MAXEPOCH 8     /* pop3_init() calls on the client in one run */
#define API_HELD_CAP 65536 /* port receive buffer */
#define API_PENDING_CAP 1024
#define API_MAX_NEST 6     /* callbacks calling the library calling callbacks... */
#define API_MAX_INPUT 65536
#define API_MAXAUTH 8      /* pop3_auth() calls with creds in one run */

enum { OP_NOP, OP_INIT, OP_START, OP_CONNECTED, OP_TLS_DONE, OP_CLOSED, OP_TICK, OP_WRITABLE, OP_FEED,
       OP_FEED_SPLIT, OP_CANNED, OP_DELIVER, OP_CMD, OP_RESUME, OP_ABORT, OP_QUERY, OP_BURST, OP_POLICY, OP_COUNT };

/* Kinds of decisions (op 17). */
enum { D_SEND, D_STREAM, D_DONE, D_TRACE, D_START_TLS, D_KINDS };

/* Library calls in progress (innermost last), for the "who may call what" rules. */
enum { K_INIT, K_START, K_CONNECTED, K_INPUT, K_WRITABLE, K_TLS_DONE, K_CLOSED, K_TICK, K_CMD, K_RESUME,
       K_ABORT, K_QUERY };
static const char *const k_names[] = {"pop3_init", "pop3_start", "pop3_on_connected", "pop3_on_input",
                                      "pop3_on_writable", "pop3_on_tls_done", "pop3_on_closed", "pop3_tick",
                                      "a command function", "pop3_resume", "pop3_abort", "a query"};

static const char *const canned[16] = {
    "+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n",
    "+OK\r\nTOP\r\nUIDL\r\nUSER\r\nSTLS\r\nPIPELINING\r\n.\r\n",
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

static const uint32_t nums[8] = {0, 1, 2, 3, 10, 0x7FFFFFFFU, 0xFFFFFFFEU, 0xFFFFFFFFU};

/* String arguments; lengths 215/216 bracket APOP's limit, 248/249 USER/PASS's. */
static const struct {
    const char *s; /* NULL with len 0: the NULL pointer; NULL with len > 0: len 'u's */
    size_t len;
} api_strings[16] = {
    {"alice", 5}, {"pw-S3cr3t!x", 11}, {"", 0}, {NULL, 0}, {"a\r\nDELE 1", 9}, {"a\rb", 3}, {"a\nb", 3},
    {"tab\there", 8}, {NULL, 215}, {NULL, 216}, {NULL, 248}, {NULL, 249}, {NULL, 250}, {NULL, 600},
    {NULL, 0} /* raw input octets */, {"\x1b[2J\x7f\x01\xff", 7},
};

typedef struct {
    uint8_t cmd;        /* pop3_cmd_t */
    uint32_t msg;       /* LIST/UIDL: 0 = multi-line */
    bool provisional;   /* its queue function has not returned yet */
    bool rejected;      /* its queue function returned an error */
    bool done;
    bool cb_abort;      /* a streaming callback returned ABORT for it */
    pop3_status_t st;
} api_q_t;

typedef struct {
    int kind;
    bool was_open;      /* K_ABORT: the session was not CLOSED when it was called */
} frame_t;

static struct {
    const uint8_t *data;
    size_t front, back;

    pop3_client_t client;
    int ctx_cb, ctx_tp;          /* addresses used as the two ctx pointers */
    void *allocs[API_MAXEPOCH * 2];
    int nallocs;
    int epochs;

    /* the current pop3_init() of the client */
    bool touched;                /* pop3_init() was called on &client */
    bool init_ok;
    bool accounting;             /* on_done is set */
    pop3_security_t security;
    bool allow_plain;
    char *line_buf, *tx_buf;
    size_t line_buf_len, tx_buf_len;
    int starts_ok;
    bool connected;              /* pop3_on_connected() was called */
    bool core_closed;            /* transport.close was called */
    bool port_closed;            /* pop3_on_closed() was called */
    bool closed_seen;            /* pop3_state() was CLOSED */
    int connect_reports;
    bool connect_ok;
    bool tls_requested, tls_up;
    int start_tls_calls;
    bool pause_asked;            /* a callback returned PAUSE, no pop3_resume() since */

    /* send contract and sent lines */
    uint8_t pending[API_PENDING_CAP];
    size_t pending_len;
    bool pending_valid;
    bool blocked;                /* the last send() returned 0 */

    /* Framing of the consumed server octets against the commands sent, for
     * the liveness check: how many sent commands still await their reply. */
    struct {
        bool multi[API_MAXQ];    /* per sent line: +OK starts a multi-line reply */
        int nsent, next;         /* lines sent; index of the line whose reply comes next */
        bool greeted, in_multi, off;
        char head[5];            /* first octets of the current line */
        size_t len;              /* octets of the current line so far */
        bool cr;                 /* the last octet was CR */
    } fr;
    char line[POP3_CMD_MAX_LEN + 2];
    size_t line_len;
    bool in_auth;                /* an AUTH line went out and AUTH is not reported yet */
    bool auth_resp;              /* the line being sent is a SASL response (any length) */

    /* pop3_auth() credentials, valid until the run ends */
    struct {
        pop3_sasl_creds_t creds;
        char *strs[3];
        uint32_t rng;
    } auth[API_MAXAUTH];
    int nauth;

    /* port receive side */
    uint8_t held[API_HELD_CAP];
    size_t held_len;

    /* commands */
    api_q_t q[API_MAXQ];
    int nq, head;

    frame_t stack[64];
    int depth;
    int nest;                    /* callbacks on the stack */
    uint32_t now;
    uint8_t policy[D_KINDS];
} A;

static char long_line[603];
static int api_debug = -1;

static void dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void dbg(const char *fmt, ...)
{
    va_list ap;

    if (api_debug < 0) {
        api_debug = getenv("FZ_TRACE") != NULL;
    }
    if (!api_debug) {
        return;
    }
    va_start(ap, fmt);
    fprintf(stderr, "[api] ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

/* ------------------------------------------------------------------------ */
/* Input                                                                    */
/* ------------------------------------------------------------------------ */

static bool prog_more(void)
{
    return A.front < A.back;
}

static uint8_t prog(void)
{
    return A.front < A.back ? A.data[A.front++] : 0;
}

static uint8_t dec(void)
{
    return A.back > A.front ? A.data[--A.back] : 0;
}

typedef uint8_t (*src_t)(void);

/* One decision of kind @p k: the policy if set, else the next byte from the back. */
static uint8_t decide(int k)
{
    return A.policy[k] != 0 ? A.policy[k] : dec();
}

/* ------------------------------------------------------------------------ */
/* Bookkeeping                                                              */
/* ------------------------------------------------------------------------ */

static pop3_client_t *cl(void)
{
    return &A.client;
}

static bool is_open(void)
{
    return !A.core_closed && !A.port_closed;
}

static bool port_window(void)
{
    return A.init_ok && A.starts_ok > 0 && is_open();
}

static void enter(int kind)
{
    FZ_CHECK(A.depth < (int)(sizeof A.stack / sizeof A.stack[0]), "harness: call stack too deep");
    A.stack[A.depth].kind = kind;
    A.stack[A.depth].was_open = false;
    A.depth++;
}

static void leave(void)
{
    A.depth--;
}

static int innermost(void)
{
    return A.depth > 0 ? A.stack[A.depth - 1].kind : -1;
}

static const char *inner_name(void)
{
    return A.depth > 0 ? k_names[A.stack[A.depth - 1].kind] : "(nothing)";
}

/* First command still owed a report (provisional ones included). */
static api_q_t *owed(void)
{
    while (A.head < A.nq && (A.q[A.head].done || A.q[A.head].rejected)) {
        A.head++;
    }
    return A.head < A.nq ? &A.q[A.head] : NULL;
}

static int owed_count(void)
{
    int i, n = 0;

    for (i = A.head; i < A.nq; i++) {
        n += !A.q[i].done && !A.q[i].rejected;
    }
    return n;
}

static void check_state(const char *where)
{
    pop3_state_t s = pop3_state(cl());

    FZ_CHECK((unsigned)s <= (unsigned)POP3_STATE_CLOSED, "pop3_state() = %d (%s)", (int)s, where);
    if (A.closed_seen) {
        FZ_CHECK(s == POP3_STATE_CLOSED, "state %d after CLOSED (%s)", (int)s, where);
    }
}

/* Rules every call from the core into the harness obeys. */
static void from_core(const char *what, const void *ctx, const void *want_ctx)
{
    FZ_CHECK(A.touched && A.init_ok, "%s called on a client whose pop3_init() failed (from %s)", what, inner_name());
    FZ_CHECK(ctx == want_ctx, "%s: wrong ctx pointer", what);
    FZ_CHECK(A.depth > 0, "%s called outside any library call", what);
    FZ_CHECK(innermost() != K_INIT && innermost() != K_START, "%s called from inside %s", what, inner_name());
    check_state(what);
}

static void touch(const void *p, size_t n)
{
    const volatile uint8_t *v = p;
    uint8_t acc = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        acc ^= v[i];
    }
    (void)acc;
}

/* After every call the harness makes at top level: the state between events. */
static void quiescent(const char *after)
{
    pop3_client_t *c = cl();
    int i;

    FZ_CHECK(A.depth == 0, "harness: depth %d", A.depth);
    if (!A.touched || !A.init_ok) {
        return;
    }
    check_state(after);
    if (pop3_state(c) == POP3_STATE_CLOSED) {
        A.closed_seen = true;
        if (A.accounting) {
            for (i = A.head; i < A.nq; i++) {
                FZ_CHECK(A.q[i].done || A.q[i].rejected, "after %s: session CLOSED but %s (#%d, accepted) never got on_done",
                         after, pop3_cmd_name((pop3_cmd_t)A.q[i].cmd), i);
            }
            if (A.starts_ok > 0) {
                FZ_CHECK(A.connect_reports == 1, "after %s: session started and CLOSED, CONNECT reported %d times", after,
                         A.connect_reports);
            }
        }
        if (A.starts_ok > 0) {
            FZ_CHECK(A.core_closed || A.port_closed, "after %s: session CLOSED but transport close not called", after);
        }
        FZ_CHECK(!pop3_wants_write(c), "after %s: wants write while CLOSED", after);
        return;
    }
    if (A.blocked) {
        FZ_CHECK(pop3_wants_write(c), "after %s: send() would-block but pop3_wants_write() is false (no "
                 "pop3_on_writable() would ever come)", after);
    }
    if (pop3_wants_write(c)) {
        FZ_CHECK(A.pending_valid, "after %s: pop3_wants_write() with no unsent octets", after);
    }
    /* Liveness: the set-up always has its CAPA/STLS in flight; a ready session that owes commands
     * has one in flight (sent, its reply not complete) or waiting to be written. */
    if (!A.fr.off && !A.pending_valid && !pop3_is_paused(c) && A.fr.next >= A.fr.nsent) {
        FZ_CHECK(pop3_state(c) != POP3_STATE_SETUP, "after %s: set-up stalled (every reply received, nothing sent)",
                 after);
        if (A.accounting && (pop3_state(c) == POP3_STATE_AUTH || pop3_state(c) == POP3_STATE_TRANSACTION)) {
            FZ_CHECK(owed_count() == 0, "after %s: %d commands owed (%s first), every reply received, nothing sent: "
                     "stalled", after, owed_count(), pop3_cmd_name((pop3_cmd_t)owed()->cmd));
        }
    }
    if (pop3_is_paused(c) && pop3_state(c) != POP3_STATE_CLOSED) {
        FZ_CHECK(A.pause_asked, "after %s: paused although no callback returned PAUSE since the last resume", after);
    }
}

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

/* One complete line the core sent (CR LF removed). */
static void sent_line(const char *l, size_t n)
{
    static const char *const verbs[] = {"USER", "PASS", "APOP", "AUTH", "STAT", "LIST", "UIDL", "RETR",
                                        "TOP",  "DELE", "RSET", "NOOP", "QUIT", "CAPA", "STLS"};
    bool known = false, cred;
    size_t i;

    for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        known = known || verb_is(l, n, verbs[i]);
    }
    FZ_CHECK(known, "sent an unknown command line \"%.*s\"", (int)n, l);
    FZ_CHECK(memchr(l, '\0', n) == NULL && memchr(l, '\r', n) == NULL, "sent line holds NUL or CR: \"%.*s\"", (int)n, l);
    if (A.fr.nsent < API_MAXQ) {
        A.fr.multi[A.fr.nsent++] = verb_is(l, n, "CAPA") || verb_is(l, n, "RETR") || verb_is(l, n, "TOP") ||
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
        FZ_CHECK(A.security == POP3_SEC_STLS && !A.tls_up, "STLS sent with security %d, TLS up %d", (int)A.security, A.tls_up);
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

static long api_send(void *ctx, const uint8_t *data, size_t len)
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

static int api_start_tls(void *ctx)
{
    from_core("transport.start_tls", ctx, &A.ctx_tp);
    FZ_CHECK(is_open(), "start_tls called after the close");
    FZ_CHECK(A.connected, "start_tls before pop3_on_connected()");
    FZ_CHECK(A.security != POP3_SEC_PLAINTEXT, "start_tls in PLAINTEXT mode");
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

static void api_close(void *ctx)
{
    from_core("transport.close", ctx, &A.ctx_tp);
    FZ_CHECK(!A.core_closed, "transport.close called twice");
    FZ_CHECK(!A.port_closed, "transport.close called after pop3_on_closed()");
    FZ_CHECK(pop3_state(cl()) == POP3_STATE_CLOSED, "transport.close called in state %d (not CLOSED)", (int)pop3_state(cl()));
    dbg("close");
    A.core_closed = true;
}

static void api_wake(void *ctx)
{
    from_core("transport.wake", ctx, &A.ctx_tp);
    FZ_CHECK(is_open(), "transport.wake called after the close");
}

/* ------------------------------------------------------------------------ */
/* Commands                                                                 */
/* ------------------------------------------------------------------------ */

static void queries(uint8_t v);

/* A string argument: *owned is a heap copy to free after the call (or NULL). */
static const char *str_arg(src_t src, char **owned, size_t *len, bool *bad)
{
    uint8_t s = src();
    unsigned k = s & 15U;
    char *p;
    size_t n, i;

    *owned = NULL;
    if (k == 3) {
        *bad = true;
        *len = 0;
        return NULL;
    }
    if (k == 14) {
        n = src();
        p = malloc(n + 1U);
        for (i = 0; i < n; i++) {
            p[i] = (char)src();
        }
        p[n] = '\0';
    } else {
        n = api_strings[k].len;
        p = malloc(n + 1U);
        if (api_strings[k].s != NULL) {
            memcpy(p, api_strings[k].s, n);
        } else {
            memset(p, 'u', n);
        }
        p[n] = '\0';
    }
    *owned = p;
    *len = strlen(p);
    if (memchr(p, '\r', *len) != NULL || memchr(p, '\n', *len) != NULL) {
        *bad = true; /* pop3.h: CR, LF (or NUL) in a string is refused */
    }
    return p;
}

/* read_secret: the slot's secret string. */
static bool auth_read(void *ctx, size_t off, uint8_t *buf, size_t len)
{
    const char *sec = *(char *const *)ctx;
    size_t n = strlen(sec);

    FZ_CHECK(off <= n && len <= n - off, "read_secret [%zu, +%zu) beyond %zu octets", off, len, n);
    memcpy(buf, sec + off, len);
    return true;
}

/* SCRAM nonce source: deterministic (a test). */
static int api_rng(void *ctx, unsigned char *buf, size_t len)
{
    uint32_t *x = ctx;
    size_t i;

    for (i = 0; i < len; i++) {
        *x ^= *x << 13;
        *x ^= *x >> 17;
        *x ^= *x << 5;
        buf[i] = (unsigned char)(*x >> 24);
    }
    return 0;
}

/* A control octet (pop3_sasl.h refuses them in user and authzid). */
static bool has_ctl(const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20U || (unsigned char)*s == 0x7FU) {
            return true;
        }
    }
    return false;
}

static bool token_ok(const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        if ((unsigned char)*s < 0x21U || (unsigned char)*s > 0x7EU) {
            return false;
        }
    }
    return true;
}

/*
 * pop3_auth() with arguments from @p src (format in the header). What pop3.h
 * says is refused must be; the exchange itself is checked in sent_bytes().
 */
static void auth_command(src_t src, bool plain, pop3_client_t *c)
{
    uint8_t m = plain ? (uint8_t)POP3_SASL_PLAIN : src();
    unsigned flags = (unsigned)m >> 4;
    int mech = plain ? POP3_SASL_PLAIN : m % 9;
    bool bad = false, may_accept;
    size_t ul = 5, pl = 11, zl = 0;
    pop3_sasl_creds_t *cr = NULL;
    api_q_t *e = NULL;
    int idx, k;
    pop3_status_t st;

    if (!A.accounting || A.nauth >= API_MAXAUTH) {
        return; /* without on_done the end of the exchange is unknown; creds slots used up */
    }
    k = A.nauth++;
    cr = &A.auth[k].creds;
    memset(cr, 0, sizeof *cr);
    if (plain) {
        A.auth[k].strs[0] = strdup("alice");
        A.auth[k].strs[1] = strdup("pw-S3cr3t!x");
        flags = 0;
    } else {
        A.auth[k].strs[0] = (char *)str_arg(src, &A.auth[k].strs[0], &ul, &bad);
        A.auth[k].strs[1] = (char *)str_arg(src, &A.auth[k].strs[1], &pl, &bad);
        if (flags & 8U) {
            bool zbad = false; /* a NULL authzid means none: only CR/LF make it bad */
            A.auth[k].strs[2] = (char *)str_arg(src, &A.auth[k].strs[2], &zl, &zbad);
            bad = bad || (zbad && A.auth[k].strs[2] != NULL);
        }
    }
    cr->user = A.auth[k].strs[0];
    cr->authzid = A.auth[k].strs[2];
    cr->is_token = (flags & 1U) != 0;
    if (flags & 2U) {
        cr->read_secret = auth_read;
        cr->read_ctx = &A.auth[k].strs[1];
        cr->secret_len = pl;
        bad = bad || A.auth[k].strs[1] == NULL;
    } else {
        cr->secret = A.auth[k].strs[1];
    }
    if (!(flags & 4U)) {
        A.auth[k].rng = 0x2545F491U;
        cr->rng = api_rng;
        cr->rng_ctx = &A.auth[k].rng;
    }
    bad = bad || ul == 0 || mech >= POP3_SASL_MECH_COUNT_ || pl == 0 || has_ctl(cr->user) || has_ctl(cr->authzid);
    if (mech == POP3_SASL_XOAUTH2 || mech == POP3_SASL_OAUTHBEARER || (mech == POP3_SASL_BEST && cr->is_token)) {
        bad = bad || !token_ok(A.auth[k].strs[1]); /* pop3_sasl.h: printable ASCII, no space (0x01 frames the payload) */
    }
    if (mech == POP3_SASL_SCRAM_SHA_1 || mech == POP3_SASL_SCRAM_SHA_256) {
        bad = bad || cr->rng == NULL || zl > 0;
    }
    if (mech == POP3_SASL_CRAM_MD5 || mech == POP3_SASL_SCRAM_SHA_1 || mech == POP3_SASL_SCRAM_SHA_256) {
        bad = bad || pl > POP3_SASL_PASSWORD_MAX_LEN;
    }
    may_accept = c != NULL && A.init_ok && !bad && flags != 15U && pop3_state(c) != POP3_STATE_CLOSED;
    if (A.security == POP3_SEC_PLAINTEXT && !A.allow_plain) {
        may_accept = false;
    }
    if (A.nq >= API_MAXQ) {
        return;
    }
    idx = A.nq++;
    e = &A.q[idx];
    memset(e, 0, sizeof *e);
    e->cmd = POP3_CMD_AUTH;
    e->provisional = true;
    dbg("command AUTH %s flags %x user %zu secret %zu authzid %zu%s", pop3_sasl_mech_name((pop3_sasl_mech_t)mech), flags,
        ul, pl, zl, bad ? " (bad)" : "");
    enter(K_CMD);
    st = pop3_auth(c, (pop3_sasl_mech_t)mech, flags == 15U ? NULL : cr);
    leave();
    dbg("  -> %s", pop3_status_str(st));
    FZ_CHECK((unsigned)st < (unsigned)POP3_STATUS_COUNT_, "pop3_auth returned status %d", (int)st);
    if (st == POP3_OK) {
        FZ_CHECK(may_accept, "pop3_auth accepted what pop3_sasl.h says is refused (bad creds: empty, control octets, a "
                 "token not printable ASCII; SCRAM without rng or with an authzid, long CRAM/SCRAM password, mechanism "
                 "out of range, plaintext without the opt-in, closed)");
    }
    e->provisional = false;
    if (st != POP3_OK) {
        FZ_CHECK(!e->done, "pop3_auth returned %s but on_done reported it", pop3_status_str(st));
        e->rejected = true;
    }
}

/* Queues one command chosen by a selector from @p src, checking what pop3.h promises. */
static void command(src_t src)
{
    static const uint8_t fns[16] = {POP3_CMD_CAPA, POP3_CMD_LOGIN, POP3_CMD_APOP, POP3_CMD_STAT,
                                    POP3_CMD_LIST, POP3_CMD_UIDL,  POP3_CMD_RETR, POP3_CMD_TOP,
                                    POP3_CMD_DELE, POP3_CMD_RSET,  POP3_CMD_NOOP, POP3_CMD_QUIT,
                                    POP3_CMD_AUTH, POP3_CMD_RETR, POP3_CMD_LIST, POP3_CMD_UIDL};
    uint8_t s = src();
    int cmd = fns[s & 15];
    bool plain = (s >> 4) == 0, null_client = (s >> 4) == 15;
    uint32_t msg = 1, lines = 0;
    const char *user = "alice", *pass = "pw-S3cr3t!x";
    char *uo = NULL, *po = NULL;
    size_t ul = 5, pl = 11;
    bool bad = false, was_closed, may_accept;
    pop3_client_t *c = null_client ? NULL : cl();
    api_q_t *e = NULL;
    int idx = -1;
    pop3_status_t st;

    if (!plain && !null_client) {
        switch (cmd) {
        case POP3_CMD_LIST:
        case POP3_CMD_UIDL:
        case POP3_CMD_RETR:
        case POP3_CMD_DELE:
            msg = nums[src() & 7];
            break;
        case POP3_CMD_TOP:
            msg = nums[src() & 7];
            lines = nums[src() & 7];
            break;
        case POP3_CMD_LOGIN:
        case POP3_CMD_APOP:
            user = str_arg(src, &uo, &ul, &bad);
            pass = str_arg(src, &po, &pl, &bad);
            break;
        default:
            break;
        }
    }
    if (cmd == POP3_CMD_LIST || cmd == POP3_CMD_UIDL) {
        msg = plain ? 0 : msg; /* plain LIST/UIDL: the multi-line form */
    }
    if (cmd == POP3_CMD_RETR || cmd == POP3_CMD_TOP || cmd == POP3_CMD_DELE) {
        bad = bad || msg == 0;
    }
    if (cmd == POP3_CMD_LOGIN) {
        bad = bad || 5U + ul + 2U > POP3_CMD_MAX_LEN || 5U + pl + 2U > POP3_CMD_MAX_LEN;
    }
    if (cmd == POP3_CMD_APOP) {
        bad = bad || 5U + ul + 1U + 32U + 2U > POP3_CMD_MAX_LEN;
    }
    if (c != NULL && !A.touched) {
        goto out; /* the application never called pop3_init() on it: uninitialised memory */
    }
    if (cmd == POP3_CMD_AUTH) {
        auth_command(src, plain, c);
        goto out;
    }
#ifdef FZ_EXPLORE_AROUND_KNOWN_BUGS
    if (c != NULL && !A.init_ok) {
        goto out; /* failed_init_* */
    }
#endif
    was_closed = c != NULL && A.init_ok && pop3_state(c) == POP3_STATE_CLOSED;
    may_accept = c != NULL && A.init_ok && !bad && !was_closed;
    if ((cmd == POP3_CMD_LOGIN || cmd == POP3_CMD_APOP) && A.security == POP3_SEC_PLAINTEXT && !A.allow_plain) {
        may_accept = false;
    }
    if (c != NULL && A.accounting) {
        if (A.nq >= API_MAXQ) {
            goto out;
        }
        /* The entry exists before the call: the core may report it from inside. */
        idx = A.nq++;
        e = &A.q[idx];
        memset(e, 0, sizeof *e);
        e->cmd = (uint8_t)cmd;
        e->msg = msg;
        e->provisional = true;
    }
    dbg("command %s msg %u%s", pop3_cmd_name((pop3_cmd_t)cmd), (unsigned)msg, c == NULL ? " (NULL client)" : "");
    enter(K_CMD);
    switch (cmd) {
    case POP3_CMD_CAPA: st = pop3_capa(c); break;
    case POP3_CMD_LOGIN: st = pop3_login(c, user, pass); break;
    case POP3_CMD_APOP: st = pop3_apop(c, user, pass); break;
    case POP3_CMD_STAT: st = pop3_stat(c); break;
    case POP3_CMD_LIST: st = pop3_list(c, msg); break;
    case POP3_CMD_UIDL: st = pop3_uidl(c, msg); break;
    case POP3_CMD_RETR: st = pop3_retr(c, msg); break;
    case POP3_CMD_TOP: st = pop3_top(c, msg, lines); break;
    case POP3_CMD_DELE: st = pop3_dele(c, msg); break;
    case POP3_CMD_RSET: st = pop3_rset(c); break;
    case POP3_CMD_NOOP: st = pop3_noop(c); break;
    default: st = pop3_quit(c); break;
    }
    leave();
    dbg("  -> %s", pop3_status_str(st));
    FZ_CHECK((unsigned)st < (unsigned)POP3_STATUS_COUNT_, "%s returned status %d", pop3_cmd_name((pop3_cmd_t)cmd), (int)st);
    if (st == POP3_OK) {
        FZ_CHECK(c != NULL, "%s accepted a NULL client", pop3_cmd_name((pop3_cmd_t)cmd));
        FZ_CHECK(A.init_ok, "%s accepted by a client whose pop3_init() failed", pop3_cmd_name((pop3_cmd_t)cmd));
        FZ_CHECK(!was_closed, "%s accepted by a CLOSED client", pop3_cmd_name((pop3_cmd_t)cmd));
        FZ_CHECK(may_accept, "%s accepted with an argument pop3.h says is refused (NULL, CR/LF, too long, message 0)"
                 " or a plaintext login without the opt-in", pop3_cmd_name((pop3_cmd_t)cmd));
    }
    if (e != NULL) {
        e->provisional = false;
        if (st != POP3_OK) {
            FZ_CHECK(!e->done, "%s returned %s but on_done reported it", pop3_cmd_name((pop3_cmd_t)cmd), pop3_status_str(st));
            e->rejected = true;
        }
    }
out:
    free(uo);
    free(po);
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
    return e->cmd == POP3_CMD_RETR || e->cmd == POP3_CMD_TOP;
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

static pop3_cb_action_t on_body(void *ctx, const char *data, size_t len)
{
    FZ_CHECK(len > 0 && data != NULL, "on_body with %s, length %zu", data == NULL ? "NULL" : "data", len);
    touch(data, len);
    return stream_cb("on_body", ctx, fits_body);
}

static pop3_cb_action_t on_list(void *ctx, uint32_t msg, uint64_t octets)
{
    (void)msg;
    (void)octets;
    return stream_cb("on_list", ctx, fits_list);
}

static pop3_cb_action_t on_uidl(void *ctx, uint32_t msg, const char *uid, size_t uid_len)
{
    size_t i;

    (void)msg;
    FZ_CHECK(uid != NULL && uid_len >= 1 && uid_len <= 70, "on_uidl: uid of %zu octets", uid_len);
    for (i = 0; i < uid_len; i++) {
        FZ_CHECK(uid[i] >= 0x21 && uid[i] <= 0x7E, "on_uidl: uid octet 0x%02x", (unsigned char)uid[i]);
    }
    return stream_cb("on_uidl", ctx, fits_uidl);
}

static pop3_cb_action_t on_capa(void *ctx, const char *line, size_t len)
{
    FZ_CHECK(line != NULL && len > 0, "on_capa with an empty line");
    touch(line, len);
    FZ_CHECK(memchr(line, '\n', len) == NULL, "on_capa line holds LF");
    return stream_cb("on_capa", ctx, fits_capa);
}

static void on_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len)
{
    from_core("on_trace", ctx, &A.ctx_cb);
    FZ_CHECK(is_open() && pop3_state(cl()) != POP3_STATE_CLOSED, "on_trace after the session closed");
    FZ_CHECK(dir == POP3_TRACE_SENT || dir == POP3_TRACE_RECEIVED, "on_trace direction %d", (int)dir);
    FZ_CHECK(len == 0 || line != NULL, "on_trace: NULL line of %zu octets", len);
    touch(line, len);
    (void)cb_decide(D_TRACE);
}

static void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
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
        if (st == POP3_OK && (cmd == POP3_CMD_LOGIN || cmd == POP3_CMD_APOP || cmd == POP3_CMD_AUTH)) {
            FZ_CHECK((A.security == POP3_SEC_PLAINTEXT && A.allow_plain) || A.tls_up, "logged in without TLS");
        }
        e->done = true;
        e->st = st;
    }
    (void)cb_decide(D_DONE);
}

/* ------------------------------------------------------------------------ */
/* Queries                                                                  */
/* ------------------------------------------------------------------------ */

static void queries(uint8_t v)
{
    pop3_client_t *c = cl();
    const char *s;
    char *out;
    size_t n, i;
    static const char text[] = "+OK \x1b]0;x\x07 caf\xc3\xa9\r\n\0tail";

    s = pop3_status_str((pop3_status_t)((int)v - 8));
    FZ_CHECK(s != NULL, "pop3_status_str(%d) is NULL", (int)v - 8);
    touch(s, strlen(s));
    s = pop3_cmd_name((pop3_cmd_t)((int)v - 8));
    FZ_CHECK(s != NULL, "pop3_cmd_name(%d) is NULL", (int)v - 8);
    touch(s, strlen(s));
    out = malloc(v > 0 ? v : 1U);
    n = pop3_sanitize(v > 0 ? out : NULL, v, text, sizeof text - 1U);
    if (v > 0) {
        FZ_CHECK(n < v && out[n] == '\0', "pop3_sanitize(%u) wrote %zu octets without room for NUL", (unsigned)v, n);
        for (i = 0; i < n; i++) {
            FZ_CHECK(out[i] >= 0x20 && out[i] <= 0x7E, "pop3_sanitize left octet 0x%02x", (unsigned char)out[i]);
        }
    } else {
        FZ_CHECK(n == 0, "pop3_sanitize into 0 octets wrote %zu", n);
    }
    free(out);
    if (!A.touched) {
        return;
    }
#ifdef FZ_EXPLORE_AROUND_KNOWN_BUGS
    if (!A.init_ok) {
        return; /* failed_init_* */
    }
#endif
    enter(K_QUERY);
    check_state("query");
    (void)pop3_is_paused(c);
    (void)pop3_wants_write(c);
    (void)pop3_caps(c);
    (void)pop3_has_apop(c);
    FZ_CHECK((unsigned)pop3_session_status(c) < (unsigned)POP3_STATUS_COUNT_, "pop3_session_status() = %d",
             (int)pop3_session_status(c));
    leave();
}

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
