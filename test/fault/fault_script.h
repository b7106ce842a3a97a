/*
 * Fault injection: the reference POP3 session and its oracle, shared by the
 * harness on the core's port contract (fault_core.c) and the one on the lwIP
 * port with a fake altcp layer (fault_lwip.c).
 *
 * The session: greeting, CAPA, [STLS, CAPA,] USER/PASS (or a SASL login:
 * AUTH PLAIN, or the three steps of SCRAM-SHA-256), LIST, UIDL, RETR 1 of a
 * multi-segment dot-stuffed message, DELE 1, QUIT. The server's replies,
 * concatenated, form one stream; a run delivers a prefix of it (cut) or all
 * of it split at chosen offsets, and the oracle says what the client must
 * have reported and sent for that prefix.
 */
#ifndef FAULT_SCRIPT_H
#define FAULT_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pop3.h"

#define FS_MAX_STEPS 16
#define FS_STREAM_CAP 16384
#define FS_MSG_CAP 12288
#define FS_MAX_DONE 16
#define FS_SENT_CAP 2048
#define FS_NONE ((size_t)-1)
#define FS_NO_CMD ((int)-1)

/* How the application queues DELE. */
typedef enum {
    FS_DELE_AFTER_RETR_OK = 0, /* app logic: DELE 1 + QUIT queued from RETR's on_done(POP3_OK) */
    FS_DELE_UP_FRONT           /* stricter variant: DELE 1 + QUIT queued right after RETR */
} fs_dele_mode_t;

/* How the session logs in. */
typedef enum {
    FS_LOGIN_USER_PASS = 0,
    FS_LOGIN_SASL_PLAIN,  /* AUTH PLAIN with the initial response, one reply */
    FS_LOGIN_SASL_SCRAM   /* AUTH SCRAM-SHA-256: client-first, client-final, empty answer to server-final */
} fs_login_t;

typedef struct {
    const char *cmd;   /* the client line that triggers the reply (CRLF included); NULL: greeting */
    size_t start, end; /* the reply's octets in the stream: [start, end) */
    int done_cmd;      /* pop3_cmd_t whose on_done this reply completes, or FS_NO_CMD */
    bool stls;         /* the reply is "+OK" to STLS: a TLS handshake follows */
    int after;         /* its command goes out once this many replies are complete (0: its index) */
} fs_step_t;

typedef struct {
    char stream[FS_STREAM_CAP];
    size_t len;
    fs_step_t steps[FS_MAX_STEPS];
    int nsteps;
    int retr_step;
    char msg[FS_MSG_CAP]; /* the true message (what on_body must produce) */
    size_t msg_len;
    size_t body_start;    /* stream offset of the first octet of the dot-stuffed body */
    size_t body_end;      /* stream offset of the terminating ".\r\n" */
    uint32_t list_size[2];
    const char *uid[2];
    bool stls;
    bool retr_err;        /* RETR answered -ERR (no body) */
    fs_dele_mode_t dele_mode;
    fs_login_t login;
    bool pipelined;       /* PIPELINING advertised; LIST UIDL RETR 1 NOOP a batch, then DELE 1, then QUIT */
} fs_session_t;

typedef struct {
    bool stls;         /* security STLS (the harness fakes the handshake) instead of plaintext */
    bool short_msg;    /* a ~150-octet message instead of ~4.5 KB (for pair loops) */
    bool retr_err;     /* "-ERR" to RETR */
    fs_dele_mode_t dele_mode;
    fs_login_t login;
    bool pipelined;    /* PIPELINING (RFC 2449): needs FS_DELE_UP_FRONT and USER/PASS */
} fs_opts_t;

/* The SCRAM client nonce source the expected exchange was computed for
 * (scram_vectors.py): xorshift32 from FS_SCRAM_RNG_SEED, top octet per step. */
#define FS_SCRAM_RNG_SEED 0x2545F491U
int fs_scram_rng(void *ctx, unsigned char *buf, size_t len);

void fs_build(fs_session_t *s, const fs_opts_t *o);

/* What a run observed (filled by the harness). */
typedef struct {
    int done_cmd[FS_MAX_DONE];
    pop3_status_t done_st[FS_MAX_DONE];
    uint64_t done_octets[FS_MAX_DONE];
    size_t done_sent_at[FS_MAX_DONE]; /* octets the client had sent when on_done fired */
    int ndone;
    bool done_overflow;
    char sent[FS_SENT_CAP];           /* every octet the client sent */
    size_t sent_len;
    char body[FS_MSG_CAP];
    size_t body_len;
    bool body_overflow;
    uint32_t list_msg[4];
    uint64_t list_size[4];
    int nlist;
    uint32_t uidl_msg[4];
    char uidl[4][72];
    size_t uidl_len[4];
    int nuidl;
    pop3_status_t session_status;
    pop3_state_t state;
    size_t delivered; /* stream octets the client consumed */
} fs_obs_t;

/*
 * Checks a finished run against the oracle: the session failed after the
 * client had consumed `cut` octets of the stream (FS_NONE: all delivered, then
 * the peer closed), with `fail_st` (POP3_ERR_TRANSPORT for a cut or a failed
 * send, POP3_ERR_TIMEOUT for a stalled server, POP3_ERR_ABORTED for
 * pop3_abort()). The command in flight and those queued must end with
 * fail_st, the earlier ones as the server answered. partial_tail: 1 = the
 * last command due may have gone out only in part (a send that failed
 * half-way: a proper prefix, maybe empty; pipelined: of the batch it was in); 2 = any prefix of it, whole
 * included (the session ended inside a callback, before or after it was sent). Returns true if the run matches; else writes why.
 */
bool fs_check(const fs_session_t *s, size_t cut, pop3_status_t fail_st, int partial_tail, const fs_obs_t *o,
              char *why, size_t why_len);

/* Index of the step whose reply ends exactly at k, or -1. */
int fs_boundary(const fs_session_t *s, size_t k);

/* Message octets a correct unstuffer has produced from the stream prefix [0, k). */
size_t fs_body_ref(const fs_session_t *s, size_t k);

const char *fs_status_name(pop3_status_t st);

#endif
