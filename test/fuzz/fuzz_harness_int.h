/*
 * The pieces of the fuzz_reply / fuzz_session harness (fuzz_harness.h) that
 * its files share: the run state, one per process, reset by every fz_run(),
 * and the functions one file calls in another. The files, lowest first:
 *   fuzz_harness_ref.c   the run state, small helpers, the reference model of
 *                        the server stream
 *   fuzz_harness_port.c  queueing commands and the fake transport
 *   fuzz_harness_cb.c    the application callbacks and the end-of-run checks
 *   fuzz_harness.c       the checks after every core call, and the run
 * Each calls only files listed before it.
 */
#ifndef FUZZ_HARNESS_INT_H
#define FUZZ_HARNESS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz_harness.h"
#include "pop3.h"

#define FZ_MAX_INPUT (1U << 20)
#define FZ_MAXQ 256   /* user commands queued in one run */
#define FZ_MAXD 512   /* commands sent in one run */
#define FZ_MAXRUNS 8192
#define FZ_PENDING_CAP 1024

static const char FZ_USER[] = "alice";
static const char FZ_PASS[] = "pw-S3cr3t!x";

typedef struct {
    const uint8_t *p;
    size_t n, i;
} fz_stream_t;

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
    size_t arrived;      /* server octets fed when it was first offered (fz.fed_end) */
} fz_d_t;

/* Reference framing of one reply. */
typedef struct {
    int kind;            /* 0 incomplete, 1 +OK, 2 -ERR, 3 malformed */
    bool complete;
    size_t start;        /* stream offset of its first line */
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
typedef struct fz_state {
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
    size_t fed_end;           /* end of the furthest chunk fed so far */
    size_t tls_off;           /* stream offset where TLS came up (0: plaintext or implicit) */

    /* pipelining (RFC 2449) */
    unsigned depth;           /* cfg.pipeline_depth as the core applies it (1: off) */
    bool trans;               /* a login reported OK: TRANSACTION, the only state that pipelines */
    int max_wire;             /* most commands on the wire at once (diagnostics) */

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
    int lim_nd, lim_lines, lim_k;
    bool lim_sent, lim_valid;
    size_t lim_value;
} fz_state_t;

extern fz_state_t fz;

/* fuzz_harness_ref.c */
uint8_t fz_next(fz_stream_t *s);
void dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *st_name(pop3_status_t st);
uint8_t fz_decide(void);
long check_rx_ptr(const char *what, const void *p, size_t len);
bool is_body_cmd(int cmd);
fz_q_t *head_q(void);
bool is_cont(size_t ls, size_t ll);
bool ref_line(size_t *pos, size_t *ls, size_t *ll);
void ref_frame(int n, bool keep, size_t *last_start, size_t *last_end);
void ref_build(void);
size_t wb_limit(void);
bool pipelining_evidence(void);

/* fuzz_harness_port.c */
bool queue_op(uint8_t b);
void pump_script(void);
bool auth_in_flight(void);
long fz_send(void *ctx, const uint8_t *data, size_t len);
int fz_start_tls(void *ctx);
void fz_close(void *ctx);
void fz_wake(void *ctx);

/* fuzz_harness_cb.c */
pop3_cb_action_t on_body(void *ctx, const char *data, size_t len);
pop3_cb_action_t on_list(void *ctx, uint32_t msg, uint64_t octets);
pop3_cb_action_t on_uidl(void *ctx, uint32_t msg, const char *uid, size_t uid_len);
pop3_cb_action_t on_capa(void *ctx, const char *line, size_t len);
void on_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len);
void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r);
void check_against_reference(void);

#endif
