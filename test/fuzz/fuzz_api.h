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
 *    10  canned       i, k: canned server reply i % 16 (canned[] in fuzz_api.c)
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
 *   TOP, DELE, RSET, NOOP, QUIT, AUTH, RAW, USER, STLS}[s & 15];
 *   s >> 4 == 0: plain arguments (message 1, TOP 1 0, "alice"/"pw-S3cr3t!x",
 *   RAW "XTND" one-line, USER "alice", STLS), no more bytes; 15: the client
 *   pointer is NULL (plain arguments); else each argument takes one more
 *   byte: a number {0, 1, 2, 3, 10, 2^31-1, 2^32-2, 2^32-1}[b & 7], a string
 *   (user, then password) from api_strings[] (fuzz_api_cmd.c) [b & 15], where
 *   14 takes a length byte and that many raw input octets. RAW: a string (the
 *   line), then a byte whose bit 0 asks for a block; USER: a byte whose bit 0
 *   makes it PASS, then the string; STLS: a byte whose bit 0 makes it UTF8.
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
 *
 * The files, lowest first (each calls only files listed before it):
 *   fuzz_api_state.c  the run state, the input streams, the bookkeeping of
 *                     library calls and owed commands, the queries
 *   fuzz_api_cmd.c    the command functions with fuzzed arguments
 *   fuzz_api_port.c   the fake transport and the application callbacks
 *   fuzz_api.c        the program operations and LLVMFuzzerTestOneInput
 * This header: what they share.
 */
#ifndef FUZZ_API_H
#define FUZZ_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pop3.h"

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
extern const char *const k_names[];

typedef struct {
    uint8_t cmd;        /* pop3_cmd_t */
    uint32_t msg;       /* LIST/UIDL: 0 = multi-line; RAW: 1 = a block follows +OK */
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
typedef struct api_state {
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
    bool start_tls_null;         /* the config has no start_tls (pop3_stls() must refuse) */
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
    bool raw_out;                /* a raw line (pop3_command) went out and is not reported yet */
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
} api_state_t;

extern api_state_t A;

/* A source of argument bytes: prog (the program) or dec (the decisions). */
typedef uint8_t (*src_t)(void);

/* fuzz_api_state.c */
void dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool prog_more(void);
uint8_t prog(void);
uint8_t dec(void);
uint8_t decide(int k);
pop3_client_t *cl(void);
bool is_open(void);
bool port_window(void);
void enter(int kind);
void leave(void);
int innermost(void);
const char *inner_name(void);
api_q_t *owed(void);
int owed_count(void);
void check_state(const char *where);
void from_core(const char *what, const void *ctx, const void *want_ctx);
void touch(const void *p, size_t n);
void quiescent(const char *after);
void queries(uint8_t v);

/* fuzz_api_cmd.c */
void command(src_t src);

/* fuzz_api_port.c */
long api_send(void *ctx, const uint8_t *data, size_t len);
int api_start_tls(void *ctx);
void api_close(void *ctx);
void api_wake(void *ctx);
pop3_cb_action_t on_body(void *ctx, const char *data, size_t len);
pop3_cb_action_t on_list(void *ctx, uint32_t msg, uint64_t octets);
pop3_cb_action_t on_uidl(void *ctx, uint32_t msg, const char *uid, size_t uid_len);
pop3_cb_action_t on_capa(void *ctx, const char *line, size_t len);
void on_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len);
void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r);

#endif
