/* Private declarations shared by the core's source files. Not installed.
 *
 * Who calls whom (no file calls back into one that calls it):
 *   pop3_api.c      init, commands, queries       -> dispatch, queue, util, apop
 *   pop3_session.c  state machine, port entries   -> dispatch, queue, reply, body
 *   pop3_dispatch.c sending, dispatch, completion -> queue, util
 *   pop3_queue.c    command table, queue, tx_buf  -> util
 *   pop3_reply.c    pure reply-line decoders      -> (C library only)
 *   pop3_body.c     pure dot-stuffed body decoder -> (C library only)
 *   pop3_util.c     status texts, wipe, sanitize  -> (C library only)
 * test/core_alone/layering.py checks this graph from the objects' symbols.
 *   pop3_apop.c     APOP digest                   -> mbedTLS MD5
 */
#ifndef POP3_INTERNAL_H
#define POP3_INTERNAL_H

#include "pop3.h"

/* Engine phases (pop3_client_t::phase), finer than pop3_state_t: the set-up
 * steps each have their own. The order matters: every phase before
 * POP3_P_AUTH is part of connecting. */
enum {
    POP3_P_IDLE = 0,
    POP3_P_CONNECTING,
    POP3_P_TLS,         /* implicit TLS handshake, before the greeting */
    POP3_P_GREETING,
    POP3_P_CAPA,        /* the core's first CAPA */
    POP3_P_STLS,        /* STLS sent */
    POP3_P_STLS_TLS,    /* handshake after +OK to STLS */
    POP3_P_RECAPA,      /* CAPA again, inside TLS */
    POP3_P_AUTH,
    POP3_P_TRANSACTION,
    POP3_P_CLOSED,
    POP3_P_COUNT_
};

/* What incoming bytes are (pop3_client_t::rx). */
enum {
    POP3_RX_NONE = 0, /* nothing expected: any byte is a protocol violation */
    POP3_RX_STATUS,   /* a status line (+OK / -ERR) */
    POP3_RX_LINES,    /* lines of a multi-line reply (CAPA, LIST, UIDL) */
    POP3_RX_BODY      /* dot-stuffed body of RETR / TOP (or a dropped multi-line tail) */
};

/* ---- pop3_reply.c: pure decoders of reply lines (no client state) ---------- */

/* Result of classifying a status line. */
typedef enum { POP3_LINE_OK, POP3_LINE_ERR, POP3_LINE_CONT, POP3_LINE_BAD } pop3_line_kind_t;

/* Outcome of pop3_line_take(). */
typedef enum {
    POP3_LINE_PARTIAL = 0, /* all input taken, no line end yet */
    POP3_LINE_COMPLETE,    /* a line ended: *line_len octets, CR LF removed */
    POP3_LINE_INVALID      /* longer than the buffer, or a NUL inside: protocol violation */
} pop3_line_result_t;

/*
 * Appends input up to and including the first LF to buf (cap octets, *used
 * already there). Returns the octets taken in *taken. On COMPLETE, *line_len
 * is the line without its CR LF (a bare LF is tolerated) and *used is reset.
 */
pop3_line_result_t pop3_line_take(char *buf, size_t cap, size_t *used, const uint8_t *data, size_t len,
                                  size_t *taken, size_t *line_len);
pop3_line_kind_t pop3_parse_status(const char *line, size_t len, const char **text, size_t *text_len);
pop3_resp_code_t pop3_parse_resp_code(const char *text, size_t len);
/* A number and a size: "count octets" of STAT, "msg octets" of LIST n and each LIST line. */
bool pop3_parse_pair(const char *text, size_t len, uint32_t *num, uint64_t *octets);
/* "msg uid" of UIDL n and of each UIDL line: the uid is checked (1-70 octets, 0x21-0x7E). */
bool pop3_parse_uidl(const char *text, size_t len, uint32_t *msg, const char **uid, size_t *uid_len);
/* POP3_CAP_* bit of one CAPA line (0 for capabilities we do not track). */
uint32_t pop3_capa_bit(const char *line, size_t len);
bool pop3_apop_timestamp(const char *text, size_t len, const char **ts, size_t *ts_len);
/* Bits (1 << pop3_sasl_mech_t) of the known mechanisms a CAPA "SASL ..." line lists (0 for other lines). */
uint32_t pop3_sasl_offered(const char *line, size_t len);

/* ---- pop3_body.c: pure decoder of a dot-stuffed multi-line body ------------- */

/* Decoder states; POP3_B_BOL (line start) is where every body begins. */
enum { POP3_B_BOL = 0, POP3_B_MID, POP3_B_MID_CR, POP3_B_DOT, POP3_B_DOT_CR, POP3_B_COUNT_ };

/* One step of the decoder: a run of message data, and whether the body ended. */
typedef struct {
    const uint8_t *data; /* data run (inside the input, or a constant CR); NULL if none */
    size_t len;
    bool end;            /* the end marker "." CR LF completed at the returned offset */
} pop3_body_run_t;

/*
 * Decodes from data[0] (len > 0); returns the octets consumed (<= len; 0 only
 * with the one-octet run of a ".\r" whose CR turned out to be data). Stops
 * after one data run, at the end marker, or at the end of the input, so the
 * caller can hand the run to the application (and pause) between steps.
 */
size_t pop3_body_decode(uint8_t *state, const uint8_t *data, size_t len, pop3_body_run_t *run);

/* ---- pop3_queue.c: command table, queue and transmit buffer ------------------ */

/* How a command's reply is read. */
typedef enum {
    POP3_RK_LINE = 0, /* one status line */
    POP3_RK_LINES,    /* status, then lines up to "." (CAPA; LIST/UIDL without argument) */
    POP3_RK_BODY,     /* status, then a dot-stuffed body (RETR, TOP) */
    POP3_RK_DIALOG    /* each +OK releases the next line of the command (USER, PASS; SASL next) */
} pop3_reply_kind_t;

/* One row of the command table. */
typedef struct {
    char verb[5];   /* wire verb of its first line */
    uint8_t kind;   /* pop3_reply_kind_t */
    uint8_t states; /* bit (1 << pop3_state_t) for each public state that allows it */
} pop3_cmd_info_t;

#define POP3_ST_AUTH (1U << POP3_STATE_AUTH)
#define POP3_ST_TRANS (1U << POP3_STATE_TRANSACTION)

const pop3_cmd_info_t *pop3_cmd_info(unsigned cmd);

/* Formats one command's text into tx_buf behind what is queued, not committed yet. */
typedef struct {
    pop3_client_t *c;
    size_t len;        /* octets of the command so far (written unless full) */
    size_t line_start; /* where the current line began */
    uint8_t lines;  /* lines ended so far */
    bool too_long;  /* a line over POP3_CMD_MAX_LEN: the caller's fault */
    bool full;      /* no room behind queued commands: retry later */
} pop3_fmt_t;

void pop3_fmt_begin(pop3_fmt_t *f, pop3_client_t *c, const char *verb);
void pop3_fmt_put(pop3_fmt_t *f, const char *s, size_t n);
void pop3_fmt_u32(pop3_fmt_t *f, uint32_t v);
/* Ends the current line (CR LF); a dialog command starts its next line with @p verb. */
void pop3_fmt_line(pop3_fmt_t *f, const char *verb);
/* Commits the text (its last line ended here) as a queue entry; or returns why not and wipes it. */
pop3_status_t pop3_fmt_commit(pop3_fmt_t *f, pop3_cmd_t cmd, uint32_t msg);

#if POP3_SASL_ENABLE
/* Queues a command without text in tx_buf (AUTH: its lines are produced as they go). */
void pop3_q_push_bare(pop3_client_t *c, pop3_cmd_t cmd);
#endif
/* Room for @p slots more entries (the caller also checks the session is open). */
bool pop3_q_has_room(const pop3_client_t *c, unsigned slots);
/* Keeps room for a DELE in tx_buf (false: not enough free); pop3_retr_dele(). */
bool pop3_q_reserve_dele(pop3_client_t *c);
/* Entry @p i of the queue (0 = head), or NULL. */
pop3_queue_entry_t *pop3_q_at(pop3_client_t *c, unsigned i);
/* "DELE 4294967295" CR LF: the room a pop3_retr_dele() keeps. */
#define POP3_DELE_LINE_LEN 17U
/* Bit of pop3_client_t::dele_after for the queue entry @p e. */
#define POP3_SLOT_BIT(c, e) ((uint32_t)1U << (unsigned)((e) - (c)->queue))
pop3_queue_entry_t *pop3_q_head(pop3_client_t *c);
/* Removes the head entry and wipes what is left of its text (an unsent PASS...)
 * and, for AUTH, the SASL state. */
void pop3_q_pop(pop3_client_t *c);
/* Removes the first @p n octets of tx_buf (a line that was sent) and wipes the freed tail. */
void pop3_tx_drop(pop3_client_t *c, size_t n);

/* ---- pop3_dispatch.c: the session's lower half ---------------------------- */

#define POP3_CLOSED(c) ((c)->phase == POP3_P_CLOSED)


/* The public state of the engine's phase. */
pop3_state_t pop3_phase_state(const pop3_client_t *c);
/* Deadline @p timeout_ms from now (0: none). */
void pop3_arm(pop3_client_t *c, uint32_t timeout_ms);
/* Re-arms the silence deadline when a reply is awaited (input, resume). */
void pop3_rearm(pop3_client_t *c);
/* Callbacks, marked as such (commands queued inside wait for the return).
 * @p r NULL: the command ended without reply values (never sent, closed...). */
void pop3_report(pop3_client_t *c, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r);
#if POP3_TRACE_ENABLE
void pop3_trace(pop3_client_t *c, pop3_trace_dir_t dir, const char *line, size_t len);
#else
#define pop3_trace(c, dir, line, len) ((void)0)
#endif
/* Closed now with @p st, no report; the port's close() if @p close_transport. */
void pop3_end_session(pop3_client_t *c, pop3_status_t st, bool close_transport);
/* Every queued command is reported with @p st; then every buffer is wiped. */
void pop3_fail_queue(pop3_client_t *c, pop3_status_t st);
/* Ends the session with @p st: CONNECT (if not ready yet) and every queued command are reported. */
void pop3_fail(pop3_client_t *c, pop3_status_t st, bool close_transport);
/* True (and the session failed, naming the reply) if bytes follow a reply's end in the same input. */
bool pop3_trailing(pop3_client_t *c);
/* A reply ends here: nothing more is expected. False if refused for what followed it. */
bool pop3_ends_clean(pop3_client_t *c);
/* Sends @p line (CR LF included; kept by the caller until sent) and the queue head's next line. */
void pop3_send_line(pop3_client_t *c, const char *line, size_t len);
void pop3_send_queued_line(pop3_client_t *c);
/* Offers the unsent rest of the current line to the port again. */
void pop3_flush(pop3_client_t *c);
/* A status line is awaited from now on, within @p timeout_ms. */
void pop3_expect_status(pop3_client_t *c, uint32_t timeout_ms);
/* Starts the next queued command if the line is free and the state allows. */
void pop3_pump(pop3_client_t *c);
/* Queued commands may go out before the replies to those ahead (RFC 2449). */
bool pop3_pipelining_on(const pop3_client_t *c);
/* Ends the in-flight command with @p st and the session with @p session_st
 * (POP3_OK: a normal end); the commands behind it end unsent. */
void pop3_finish_close(pop3_client_t *c, pop3_status_t st, pop3_status_t session_st, const pop3_reply_t *r);
#if POP3_SASL_ENABLE
/* Sends the SASL line pop3_sasl.c prepared, piece by piece; a status line is awaited once it is out. */
void pop3_send_stream(pop3_client_t *c);
#endif
/* Ends the in-flight command with @p st (QUIT ends the session) and starts the next. */
void pop3_finish(pop3_client_t *c, pop3_status_t st, const pop3_reply_t *r);

/* ---- SASL (RFC 5034) ---------------------------------------------------------- */
#if POP3_SASL_ENABLE
/* pop3_sasl_codec.c: pure helpers (mbedTLS base64). */
/* Strict base64 (no spaces) decoded over itself; false if invalid. */
bool pop3_b64_decode_inplace(char *s, size_t n, size_t *out);
/* Base64 of n octets into dst (cap includes room for a NUL); returns its length, 0 if it did not fit. */
size_t pop3_b64_encode(char *dst, size_t cap, const uint8_t *src, size_t n);
/* Value of attribute "key=" in a SCRAM message (RFC 5802 section 5.1). */
bool pop3_scram_attr(const char *msg, size_t len, char key, const char **val, size_t *val_len);
/* Raw value of "key" in a flat JSON object (a string's text, or a number). */
bool pop3_json_str(const char *j, size_t len, const char *key, const char **val, size_t *val_len);

/* pop3_sasl.c: mechanisms and the response producer. */
/* Checks the application's arguments and takes over the state for a new AUTH. */
pop3_status_t pop3_sasl_prepare(pop3_client_t *c, pop3_sasl_mech_t mech, const pop3_sasl_creds_t *creds);
/* AUTH's turn: chooses the mechanism and prepares the AUTH line; else why not (nothing sent). */
pop3_status_t pop3_sasl_begin(pop3_client_t *c);
/* A "+ " continuation (its base64 text, decoded in place): prepares the answer,
 * or "*" and returns the fault to report once the server answered it. */
pop3_status_t pop3_sasl_challenge(pop3_client_t *c, char *text, size_t n);
/* +OK: POP3_OK if the exchange was complete, else the fault. */
pop3_status_t pop3_sasl_success(const pop3_client_t *c);
/* -ERR: POP3_ERR_AUTH, or POP3_ERR_AUTH_TOKEN with the JSON fields copied to
 * @p keep (POP3_OAUTH_STATUS_MAX_LEN + POP3_OAUTH_SCOPE_MAX_LEN octets) and set in @p r. */
pop3_status_t pop3_sasl_failure(const pop3_client_t *c, pop3_resp_code_t code, pop3_reply_t *r, char *keep);
/* Next piece of the line under way into out (POP3_SASL_PIECE_LEN octets); 0 if read_secret failed. */
size_t pop3_sasl_piece(pop3_client_t *c, char *out, size_t cap);
bool pop3_sasl_line_done(const pop3_client_t *c);
/* What the trace shows for the line just sent (at most 32 octets): secrets as "***". */
size_t pop3_sasl_trace_text(const pop3_client_t *c, char *buf);

/* pop3_sasl_crypto.c: CRAM-MD5 and SCRAM through mbedTLS. */
#if POP3_SASL_CRAM_MD5_ENABLE
pop3_status_t pop3_cram_digest(pop3_client_t *c, const char *chal, size_t n);
#endif
#if POP3_SASL_SCRAM_ENABLE
/* server-first: checks it, derives ClientProof and the ServerSignature to expect. */
pop3_status_t pop3_scram_first(pop3_client_t *c, const char *msg, size_t len);
/* server-final: POP3_OK only if its signature is the expected one. */
pop3_status_t pop3_scram_final(pop3_client_t *c, const char *msg, size_t len);
#endif
#endif

/* ---- pop3_apop.c ------------------------------------------------------------- */
#if POP3_APOP_ENABLE
/* Writes 32 lower-case hex digits of MD5(timestamp || secret) to out. */
bool pop3_apop_digest(const char *ts, size_t ts_len, const char *secret, size_t secret_len, char out[32]);
#endif

/* ---- pop3_util.c ------------------------------------------------------------- */

/* Overwrite memory in a way the compiler may not drop. */
void pop3_wipe(void *p, size_t len);
/* Caller strings: non-NULL, non-empty, no CR or LF; *len gets strlen. */
bool pop3_arg_valid(const char *s, size_t *len);

#endif /* POP3_INTERNAL_H */
