/**
 * @file pop3.h
 * @brief Minimal embedded POP3 client: the transport-agnostic protocol engine.
 *
 * The engine does no I/O, never allocates and never reads a clock. A port
 * (port/posix, port/lwip) moves bytes and events in and out:
 *
 *   port -> core : pop3_start(), pop3_on_connected(), pop3_on_input(),
 *                  pop3_on_writable(), pop3_on_tls_done(), pop3_on_closed(),
 *                  pop3_tick()
 *   core -> port : pop3_transport_t::send / start_tls / close / wake
 *
 * The application queues commands (pop3_login(), pop3_retr(), ...) and gets
 * results through pop3_callbacks_t. Every buffer, the client object included,
 * belongs to the caller; several clients may run side by side.
 *
 * Threading: a client is not thread-safe. Call every function of one client
 * from one thread (lwIP: the tcpip thread or the NO_SYS main loop).
 */
#ifndef POP3_H
#define POP3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pop3_config_defaults.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The library's one status type. Every public function returns it or says why not. */
typedef enum pop3_status {
    POP3_OK = 0,            /**< Success. */
    POP3_ERR_SERVER,        /**< The server answered -ERR (text and code in pop3_reply_t). */
    POP3_ERR_AUTH,          /**< Login rejected (-ERR to USER, PASS, APOP or AUTH). */
    POP3_ERR_AUTH_TOKEN,    /**< AUTH XOAUTH2/OAUTHBEARER: the server rejected the OAuth token (refresh it, do not retry it). */
    POP3_ERR_PROTOCOL,      /**< The server broke the protocol (malformed/over-long line, injection...). */
    POP3_ERR_TRANSPORT,     /**< Connection failed, reset or closed by the peer. */
    POP3_ERR_TLS,           /**< TLS handshake or record failure. */
    POP3_ERR_CERT,          /**< Certificate not trusted, expired, or not for this host. */
    POP3_ERR_TIMEOUT,       /**< A configured deadline passed. */
    POP3_ERR_ABORTED,       /**< Stopped by the application (callback returned POP3_CB_ABORT, or pop3_abort()). */
    POP3_ERR_BAD_ARG,       /**< Invalid argument: NULL, 0 message number, CR/LF/NUL in a string, too long. */
    POP3_ERR_STATE,         /**< Not allowed in the current session state. */
    POP3_ERR_SECURITY,      /**< Refused by security policy (STLS missing/refused, plaintext login not allowed). */
    POP3_ERR_QUEUE_FULL,    /**< No room in the command queue or transmit buffer; retry after a completion. */
    POP3_ERR_CLOSED,        /**< The session ended before the command could run. */
    POP3_ERR_UNSUPPORTED,   /**< The server does not advertise it in CAPA (pop3_utf8()), or the port cannot (pop3_stls() without start_tls). */
    POP3_STATUS_COUNT_      /**< Number of values (not a status). */
} pop3_status_t;

/**
 * Human-readable, constant description of a status (never NULL). With
 * POP3_STATUS_TEXT_ENABLE=0 only "success" or "error" (saves the texts).
 */
const char *pop3_status_str(pop3_status_t status);

/** Transport security mode. The safe default is POP3_SEC_STLS. */
typedef enum pop3_security {
    POP3_SEC_STLS = 0,      /**< Plain TCP, then STLS (RFC 2595) required before anything else. */
    POP3_SEC_IMPLICIT_TLS,  /**< TLS from the first byte (POP3S, port 995, RFC 8314). */
    POP3_SEC_PLAINTEXT      /**< No TLS at all. Credentials also need allow_plaintext_login. */
} pop3_security_t;

/** Commands, as reported to pop3_callbacks_t::on_done. */
typedef enum pop3_cmd {
    POP3_CMD_CONNECT = 0, /**< Greeting, CAPA, STLS and CAPA again: the session is ready. */
    POP3_CMD_CAPA,
    POP3_CMD_LOGIN,       /**< USER + PASS, reported once. */
    POP3_CMD_APOP,
    POP3_CMD_AUTH,        /**< SASL AUTH (RFC 5034), the whole exchange, reported once. */
    POP3_CMD_STAT,
    POP3_CMD_LIST,
    POP3_CMD_UIDL,
    POP3_CMD_RETR,
    POP3_CMD_TOP,
    POP3_CMD_DELE,
    POP3_CMD_RSET,
    POP3_CMD_NOOP,
    POP3_CMD_QUIT,
    POP3_CMD_RAW,         /**< A line as typed (pop3_command()). */
    POP3_CMD_USER,        /**< USER alone (pop3_user()). */
    POP3_CMD_PASS,        /**< PASS alone (pop3_pass()). */
    POP3_CMD_STLS,        /**< STLS asked by the application (pop3_stls()): handshake and CAPA again included. */
    POP3_CMD_UTF8,        /**< UTF8 (RFC 6856, pop3_utf8()). */
    POP3_CMD_COUNT_
} pop3_cmd_t;

/** Name of a command ("RETR", ...; "CONNECT" for the session start, "LOGIN", "RAW"). */
const char *pop3_cmd_name(pop3_cmd_t cmd);

/** Response codes (RFC 2449 section 8, RFC 3206) found in brackets after -ERR. */
typedef enum pop3_resp_code {
    POP3_RESP_NONE = 0,
    POP3_RESP_IN_USE,      /**< [IN-USE]: mailbox locked by another session. */
    POP3_RESP_LOGIN_DELAY, /**< [LOGIN-DELAY]: logged in too recently. */
    POP3_RESP_SYS_TEMP,    /**< [SYS/TEMP]: temporary server failure, retry later. */
    POP3_RESP_SYS_PERM,    /**< [SYS/PERM]: permanent server failure. */
    POP3_RESP_AUTH,        /**< [AUTH]: credentials wrong (RFC 3206). */
    POP3_RESP_OTHER        /**< Some other bracketed code. */
} pop3_resp_code_t;

/**
 * Capability bits learned from CAPA (cleared after STLS, RFC 2595 section 4).
 * Macros rather than enumerators: POP3_CAP_KNOWN does not fit an int.
 */
#define POP3_CAP_TOP            (1UL << 0)
#define POP3_CAP_USER           (1UL << 1)
#define POP3_CAP_SASL           (1UL << 2)
#define POP3_CAP_RESP_CODES     (1UL << 3)
#define POP3_CAP_LOGIN_DELAY    (1UL << 4)
#define POP3_CAP_PIPELINING     (1UL << 5)
#define POP3_CAP_EXPIRE         (1UL << 6)
#define POP3_CAP_UIDL           (1UL << 7)
#define POP3_CAP_IMPLEMENTATION (1UL << 8)
#define POP3_CAP_STLS           (1UL << 9)
#define POP3_CAP_AUTH_RESP_CODE (1UL << 10)
#define POP3_CAP_UTF8           (1UL << 11)
#define POP3_CAP_KNOWN          (1UL << 31) /**< Set once a CAPA reply succeeded on the current transport. */

/**
 * The outcome of a command, passed to on_done. Pointers are valid only during
 * the callback: copy what you need.
 */
typedef struct pop3_reply {
    const char *text;          /**< Reply text after "+OK "/"-ERR " (not NUL-terminated; may be empty). */
    size_t text_len;           /**< Octets in text. */
    pop3_resp_code_t code;     /**< Parsed response code of an -ERR, else POP3_RESP_NONE. */
    uint32_t msg;              /**< LIST n / UIDL n: the message number. */
    uint32_t count;            /**< STAT: number of messages. */
    uint64_t octets;           /**< STAT: mailbox size. LIST n: message size. RETR/TOP: body octets delivered. */
    const char *uid;           /**< UIDL n: the unique id (not NUL-terminated). */
    size_t uid_len;            /**< Octets in uid. */
    /** POP3_ERR_AUTH_TOKEN: "status" of the server's JSON error (e.g. "401", "invalid_token"); NULL if none. */
    const char *oauth_status;
    size_t oauth_status_len;
    /**
     * POP3_ERR_AUTH_TOKEN: "scope" the server asked for; NULL if none. Both are
     * cut to the POP3_OAUTH_*_MAX_LEN knobs, octets outside 0x20-0x7E made '?'.
     */
    const char *oauth_scope;
    size_t oauth_scope_len;
} pop3_reply_t;

/** What a streaming callback asks the engine to do next. */
typedef enum pop3_cb_action {
    POP3_CB_CONTINUE = 0, /**< Keep going. */
    POP3_CB_PAUSE,        /**< Stop consuming input until pop3_resume(); the port stops reading. */
    POP3_CB_ABORT         /**< Drop the rest of this reply; the command ends with POP3_ERR_ABORTED. */
} pop3_cb_action_t;

/** Direction of a trace line. */
typedef enum pop3_trace_dir { POP3_TRACE_SENT = 0, POP3_TRACE_RECEIVED } pop3_trace_dir_t;

/**
 * Application callbacks. All are optional (NULL) except that a command whose
 * data would go to a NULL streaming callback simply drops that data.
 * Every pointer handed to a callback is valid only during that call.
 * Callbacks may queue new commands (sent once the callback returned and, in
 * pop3_on_input(), the input was taken), call
 * pop3_resume(), pop3_abort() and the queries; they must not call the port
 * entry points (pop3_on_input() etc.) of the same client. After pop3_abort()
 * from a callback, what that callback returns is ignored; the commands still
 * queued end with POP3_ERR_ABORTED.
 */
typedef struct pop3_callbacks {
    /** Opaque pointer given back as the first argument of every callback. */
    void *ctx;
    /**
     * A command finished (in queue order). Fires exactly once per accepted
     * command, and once for POP3_CMD_CONNECT when the session is ready or failed.
     * @param status POP3_OK, or why it failed. For RETR/TOP, POP3_OK means the
     *               whole body, end marker included, was delivered.
     * @param reply  Server text and parsed values (never NULL).
     */
    void (*on_done)(void *ctx, pop3_cmd_t cmd, pop3_status_t status, const pop3_reply_t *reply);
    /**
     * RETR/TOP body data (and a multi-line pop3_command()'s block),
     * dot-unstuffed, CRLF kept, in the longest runs the input allows (may be
     * called any number of times, never with len 0).
     */
    pop3_cb_action_t (*on_body)(void *ctx, const char *data, size_t len);
    /** One LIST entry: message number and size as the server stated it. */
    pop3_cb_action_t (*on_list)(void *ctx, uint32_t msg, uint64_t octets);
    /** One UIDL entry: message number and unique id (1-70 octets, 0x21-0x7E). */
    pop3_cb_action_t (*on_uidl)(void *ctx, uint32_t msg, const char *uid, size_t uid_len);
    /** One capability line of an explicit pop3_capa() (not of the automatic CAPA at connect). */
    pop3_cb_action_t (*on_capa)(void *ctx, const char *line, size_t len);
    /**
     * Protocol trace: each command line sent (secrets replaced by a fixed "***") and
     * each status or list line received (bodies are not traced). For -v style logs.
     * Needs POP3_TRACE_ENABLE (else never called).
     */
    void (*on_trace)(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len);
} pop3_callbacks_t;

/**
 * What the port provides. Contract:
 * - send: MUST NOT block. Returns the number of octets accepted (0..len; 0 means
 *   would-block), or a negative value on a fatal transport error. After a
 *   short send the core offers the rest again at once; after 0 it waits for
 *   pop3_on_writable() and then offers the same bytes again (same start, same
 *   order, never fewer). When TLS is active the port encrypts.
 * - start_tls: begin a TLS handshake on the live connection (implicit TLS right
 *   after connect; STLS after "+OK"). Returns 0 if started; the port later calls
 *   pop3_on_tls_done() exactly once. The core refuses bytes that followed the
 *   "+OK" in the same pop3_on_input() call (it never calls start_tls then);
 *   bytes the port still holds, or receives in plaintext before the handshake,
 *   MUST NOT be fed into the TLS session: the port drops them and ends the
 *   session (POP3_ERR_PROTOCOL) - response injection, CVE-2021-22947 class.
 * - close: the core is finished with the connection (after QUIT or a fatal
 *   error). pop3_session_status() is already set when close is called:
 *   POP3_OK means a normal QUIT (close gracefully), anything else a failure
 *   (abort is fine). The port MUST NOT call the core's entry points for this
 *   connection afterwards except pop3_tick(). The core does not call close
 *   after pop3_on_closed(): the port that reported the loss cleans up itself.
 * - wake (optional): pop3_resume() was called after a pause. The port MUST NOT
 *   call back into the core from inside wake; it re-feeds the input it
 *   withheld from its own loop (lwIP: from the poll/recv path).
 */
typedef struct pop3_transport {
    void *ctx;
    long (*send)(void *ctx, const uint8_t *data, size_t len);
    int (*start_tls)(void *ctx);
    void (*close)(void *ctx);
    void (*wake)(void *ctx);
} pop3_transport_t;

/** Everything pop3_init() needs. Buffers are owned by the caller and must outlive the client. */
typedef struct pop3_config {
    char *line_buf;             /**< Receive line buffer, >= POP3_MIN_LINE_BUF_LEN octets. */
    size_t line_buf_len;
    char *tx_buf;               /**< Transmit buffer, >= POP3_MIN_TX_BUF_LEN octets; queued commands wait here. */
    size_t tx_buf_len;
    pop3_transport_t transport;
    pop3_callbacks_t callbacks;
    pop3_security_t security;   /**< Default (0) is POP3_SEC_STLS. */
    bool allow_plaintext_login; /**< Second opt-in needed to send credentials with POP3_SEC_PLAINTEXT. */
    uint32_t connect_timeout_ms; /**< 0 = POP3_CONNECT_TIMEOUT_MS. */
    uint32_t reply_timeout_ms;   /**< 0 = POP3_REPLY_TIMEOUT_MS. */
    uint32_t tls_timeout_ms;     /**< 0 = POP3_TLS_TIMEOUT_MS. */
    /**
     * Commands on the wire at once when the server advertises PIPELINING
     * (RFC 2449), in TRANSACTION state: 0 (or more than POP3_PIPELINE_DEPTH)
     * = POP3_PIPELINE_DEPTH, 1 = one at a time (pipelining off, for servers
     * that advertise it and then break). QUIT is never pipelined: it goes
     * out once every reply came.
     */
    uint8_t pipeline_depth;
} pop3_config_t;

/**
 * Session states (RFC 1939 section 3, plus transport phases), as pop3_state()
 * reports them. The engine runs finer steps inside SETUP and TLS:
 *
 * @verbatim
 *  IDLE --pop3_start()--> CONNECTING --pop3_on_connected()--+
 *                                                          |
 *        +--------------- POP3_SEC_IMPLICIT_TLS -----------+---- otherwise ----+
 *        v                                                                     |
 *       TLS (handshake) --pop3_on_tls_done(OK)--> GREETING <-------------------+
 *                                                    | +OK greeting
 *                                                    v
 *                                          SETUP: CAPA (sent by the core)
 *                             STLS required |                | not required
 *                                           v                |
 *                                SETUP: STLS --+OK--> TLS    |
 *                                                      |     |
 *                            SETUP: CAPA again <-------+     |
 *                                     |                      |
 *                                     v                      v
 *                                    AUTH --LOGIN/APOP +OK--> TRANSACTION
 *                                     |                           |
 *                                     +-------- QUIT +OK ---------+--> CLOSED (POP3_OK)
 *
 *  Any state: a fatal error, a deadline, pop3_abort() or the peer's close
 *  --> CLOSED, with the reason in pop3_session_status().
 * @endverbatim
 *
 * POP3_CMD_CONNECT is reported when AUTH is reached (POP3_OK) or the session
 * closed before it (the reason). pop3_pass() +OK also leads to TRANSACTION;
 * pop3_stls() takes a POP3_SEC_PLAINTEXT session from AUTH through TLS and
 * SETUP (CAPA again) back to AUTH, reported as POP3_CMD_STLS (CONNECT is not
 * reported again).
 */
typedef enum pop3_state {
    POP3_STATE_IDLE = 0,   /**< Initialised, not started. */
    POP3_STATE_CONNECTING, /**< Waiting for the TCP connection. */
    POP3_STATE_TLS,        /**< TLS handshake in progress (implicit TLS or after STLS). */
    POP3_STATE_GREETING,   /**< Waiting for the greeting. */
    POP3_STATE_SETUP,      /**< The core's own CAPA / STLS / CAPA-again exchange. */
    POP3_STATE_AUTH,       /**< AUTHORIZATION: ready for login. */
    POP3_STATE_TRANSACTION,/**< Logged in. */
    POP3_STATE_CLOSED      /**< Finished (QUIT done or fatal error); see pop3_session_status(). */
} pop3_state_t;

#include "pop3_sasl.h" /* SASL types and pop3_auth() (RFC 5034) */

/** @cond PRIVATE: one queued command; its text waits in tx_buf. */
typedef struct pop3_queue_entry {
    uint8_t cmd;        /* pop3_cmd_t */
    uint8_t lines;      /* lines of its text not yet sent (USER + PASS: 2) */
    uint16_t tx_len;    /* octets of its text still in tx_buf */
    uint32_t msg;       /* message number argument (0: none) */
} pop3_queue_entry_t;
/** @endcond */

/**
 * The client. Allocate it anywhere (static, stack, inside your own struct);
 * treat every field as private and use the functions below.
 */
typedef struct pop3_client {
    pop3_config_t cfg;
    pop3_status_t session_status;
    uint32_t caps;
    uint32_t now_ms;
    uint32_t deadline_ms;
    uint64_t body_octets;  /* octets delivered by the current RETR/TOP */
    size_t line_len;       /* octets accumulated in line_buf (in a raw command's block: its status line, kept there) */
    size_t tx_len;         /* octets of queued command text in tx_buf */
    const char *out;       /* the line being sent: tx_buf, or the core's own CAPA/STLS */
    uint16_t out_len;      /* its length, CRLF included (0: nothing being sent) */
    uint16_t out_sent;     /* octets of it the port accepted */
    uint8_t phase;         /* the engine's state (pop3_session.c) */
    uint8_t rx;            /* what incoming bytes are: nothing, status line, list lines, body */
    uint8_t body_state;    /* position in the body decoder */
    bool deadline_armed;
    bool paused;
    bool discarding;       /* rest of a multi-line reply dropped after ABORT */
    bool want_write;
    bool in_callback;
    bool input_held;       /* in pop3_on_input(), or paused with input not taken: those bytes came
                              before anything sent now, so nothing is sent (pop3_pump) */
    bool more_input;       /* bytes follow the line being handled in this pop3_on_input() */
    uint8_t q_sent;        /* queue entries from the head on the wire, replies awaited */
    uint8_t out_entries;   /* queue entries whose text the line(s) being sent carry */
    uint8_t dele_reserved; /* RETRs that queue a DELE when they succeed: room kept for it */
    uint32_t dele_after;   /* bit i: queue slot i is such a RETR (pop3_retr_dele) */
    uint8_t unanswered;    /* commands on the wire when the session failed */
    bool user_ok;          /* the last command was a USER that got +OK: PASS may follow */
    bool utf8_on;          /* +OK to UTF8 (RFC 6856) */
    uint8_t q_head;
    uint8_t q_count;
    pop3_queue_entry_t queue[POP3_QUEUE_LEN];
#if POP3_APOP_ENABLE
    char apop_ts[POP3_APOP_TIMESTAMP_MAX_LEN];
    uint8_t apop_ts_len;
#endif
#if POP3_SASL_ENABLE
    bool out_stream;       /* the line being sent is a SASL line, produced piece by piece */
    uint16_t sasl_offered; /* bit (1 << pop3_sasl_mech_t) per mechanism in CAPA's SASL line */
    uint8_t sasl_used;     /* mechanism of the current or last AUTH (the state is wiped after it) */
    pop3_sasl_state_t sasl;
#endif
} pop3_client_t;

/**
 * Prepare a client. Copies @p cfg (the buffers it points to stay the caller's).
 * @return POP3_OK, or POP3_ERR_BAD_ARG: NULL pointers, buffers below
 *         POP3_MIN_LINE_BUF_LEN / POP3_MIN_TX_BUF_LEN, no send or close, no
 *         start_tls while security is not POP3_SEC_PLAINTEXT, or a security
 *         mode compiled out (POP3_STLS_ENABLE=0). After a failure the client
 *         is CLOSED with session status POP3_ERR_BAD_ARG: pop3_start() refuses
 *         it (POP3_ERR_STATE), commands return POP3_ERR_CLOSED, and the port
 *         entry points do nothing. Never calls the transport or a callback.
 */
pop3_status_t pop3_init(pop3_client_t *c, const pop3_config_t *cfg);

/* ---- Port entry points -------------------------------------------------- */

/**
 * The port is about to connect: arms the connect+greeting deadline.
 * @param now_ms the port's millisecond clock (any origin; wraps are handled).
 * @return POP3_OK or POP3_ERR_STATE if already started.
 */
pop3_status_t pop3_start(pop3_client_t *c, uint32_t now_ms);

/** The TCP connection is up. With implicit TLS the core now calls start_tls. */
void pop3_on_connected(pop3_client_t *c);

/**
 * Bytes arrived (plaintext; TLS already removed), split anywhere.
 * Bytes that follow the end of a reply are the next reply only if its
 * command was on the wire when they arrived (pipelining); otherwise they
 * cannot be an answer to anything: that reply is refused (never reported
 * POP3_OK; a -ERR keeps its status) and the session ends with
 * POP3_ERR_PROTOCOL. No command is sent while a call is taking its input (or
 * while input is held back by a pause): those released by its replies or
 * queued by its callbacks go out when it returns. A port should pass
 * everything it has received in one call (it may split at will when it must).
 * @return octets consumed. Less than @p len only when the application paused
 *         (pop3_is_paused()) or the session closed; the port keeps the rest
 *         and offers it again after pop3_resume() (lwIP: withhold altcp_recved).
 */
size_t pop3_on_input(pop3_client_t *c, const uint8_t *data, size_t len);

/** The transport can take more bytes after a short send. */
void pop3_on_writable(pop3_client_t *c);

/**
 * The TLS handshake ended.
 * @param status POP3_OK, POP3_ERR_CERT (verification failed) or POP3_ERR_TLS.
 */
void pop3_on_tls_done(pop3_client_t *c, pop3_status_t status);

/**
 * The connection closed or failed (peer close, reset, connect failure).
 * Pending commands complete with an error; a partial body is never reported
 * complete. @param status POP3_ERR_TRANSPORT, POP3_ERR_TLS, ...
 */
void pop3_on_closed(pop3_client_t *c, pop3_status_t status);

/** Periodic clock: checks deadlines. Call at least every few hundred ms. */
void pop3_tick(pop3_client_t *c, uint32_t now_ms);

/* ---- Commands ------------------------------------------------------------
 * Each queues a command and returns at once; the result comes to on_done.
 * The text is formatted into tx_buf during the call, so argument strings need
 * not outlive it. Strings with CR, LF or NUL, or commands longer than
 * POP3_CMD_MAX_LEN, are refused with POP3_ERR_BAD_ARG before anything is sent.
 * Returns POP3_OK if queued (on_done will fire), else an error (it will not).
 * Commands queued before the session is ready wait for POP3_CMD_CONNECT.
 * The session state is checked when a command's turn comes, not when it is
 * queued: a TRANSACTION command queued behind a login that then fails ends
 * with POP3_ERR_STATE without being sent.
 */

#if POP3_CAPA_ENABLE
/** CAPA: capability lines to on_capa; bits available from pop3_caps(). Needs POP3_CAPA_ENABLE. */
pop3_status_t pop3_capa(pop3_client_t *c);
#endif
/**
 * USER + PASS. Refused with POP3_ERR_SECURITY over plaintext unless
 * allow_plaintext_login. The password is wiped from tx_buf once sent.
 */
pop3_status_t pop3_login(pop3_client_t *c, const char *user, const char *pass);
#if POP3_APOP_ENABLE
/**
 * APOP (RFC 1939 section 7): needs the greeting's timestamp, so call it after
 * POP3_CMD_CONNECT succeeded. POP3_ERR_STATE if there was no valid timestamp.
 * Same plaintext policy as pop3_login(). Needs POP3_APOP_ENABLE.
 */
pop3_status_t pop3_apop(pop3_client_t *c, const char *user, const char *pass);
#endif
/** STAT: count and octets in on_done's reply. */
pop3_status_t pop3_stat(pop3_client_t *c);
#if POP3_LIST_ENABLE
/** LIST (msg 0: every message, to on_list) or LIST msg (single line, values in reply). Needs POP3_LIST_ENABLE. */
pop3_status_t pop3_list(pop3_client_t *c, uint32_t msg);
#endif
/** UIDL (msg 0: every message, to on_uidl) or UIDL msg (values in reply). */
pop3_status_t pop3_uidl(pop3_client_t *c, uint32_t msg);
/** RETR msg: the body streams to on_body. */
pop3_status_t pop3_retr(pop3_client_t *c, uint32_t msg);
#if POP3_TOP_ENABLE
/** TOP msg lines: headers, blank line and @p lines body lines to on_body. Needs POP3_TOP_ENABLE. */
pop3_status_t pop3_top(pop3_client_t *c, uint32_t msg, uint32_t lines);
#endif
/**
 * DELE msg (committed only by a successful QUIT). Commands are independent: a
 * DELE queued right behind a RETR is sent even if that RETR got -ERR (only
 * never before that RETR's reply ended, when pipelined). To delete only what
 * was fetched, use pop3_retr_dele() or queue DELE from RETR's on_done on POP3_OK.
 */
pop3_status_t pop3_dele(pop3_client_t *c, uint32_t msg);
/**
 * RETR msg, then DELE msg only if the whole body arrived: the DELE is queued
 * when RETR ends with POP3_OK (before RETR's on_done, so it is reported
 * after it), room for it kept from now on. A failed RETR queues nothing.
 */
pop3_status_t pop3_retr_dele(pop3_client_t *c, uint32_t msg);
#if POP3_RSET_NOOP_ENABLE
/** RSET: undo the DELEs of this session. Needs POP3_RSET_NOOP_ENABLE. */
pop3_status_t pop3_rset(pop3_client_t *c);
/** NOOP: keep the session alive. Needs POP3_RSET_NOOP_ENABLE. */
pop3_status_t pop3_noop(pop3_client_t *c);
#endif
/** QUIT: ends the session; deletions are committed (UPDATE state) on +OK. */
pop3_status_t pop3_quit(pop3_client_t *c);

/* ---- Commands for an interactive shell ---------------------------------- */

#if POP3_RAW_ENABLE
/**
 * A command line as typed, for an interactive shell or a server test. Needs
 * POP3_RAW_ENABLE. Allowed in AUTHORIZATION and TRANSACTION. Reported as
 * POP3_CMD_RAW.
 *
 * @param line      the command without CR LF (the core adds it); sent as is.
 *                  Copied during the call.
 * @param multiline false: the reply is one status line. true: after +OK a
 *                  dot-terminated block follows, delivered to on_body
 *                  dot-unstuffed with CR LF kept, like RETR's body (a -ERR
 *                  has no block). Choose it the way the server will answer:
 *                  a wrong guess ends in a timeout or a protocol error.
 * @return POP3_OK if queued. POP3_ERR_BAD_ARG: NULL or empty, CR or LF in
 *         it, nothing but blanks, longer than POP3_CMD_MAX_LEN with CR LF,
 *         or its first word (after leading blanks, any case) is one whose
 *         effect the core must follow itself: USER, PASS, APOP, AUTH, STLS,
 *         QUIT or UTF8 (use pop3_user(), pop3_pass(), pop3_apop(),
 *         pop3_auth(), pop3_stls(), pop3_quit(), pop3_utf8()).
 *         POP3_ERR_QUEUE_FULL, POP3_ERR_CLOSED as for every command.
 *
 * Never pipelined: it goes out only once every earlier reply ended, and
 * nothing goes out behind it before its reply ended (an unknown command may
 * confuse a server). on_done gets the status line's text (also after a
 * block) and, with @p multiline, the block's octets in reply->octets. A -ERR
 * is POP3_ERR_SERVER. on_trace shows the line sent and the status line.
 */
pop3_status_t pop3_command(pop3_client_t *c, const char *line, bool multiline);
#endif

/**
 * USER alone: the first half of pop3_login(), for a shell that types USER and
 * PASS one at a time. AUTHORIZATION only (POP3_ERR_STATE when its turn
 * comes otherwise). Same policy as pop3_login(): POP3_ERR_SECURITY over
 * plaintext unless allow_plaintext_login (or after a successful pop3_stls()).
 * POP3_ERR_BAD_ARG: NULL/empty, CR or LF, too long. A -ERR is POP3_ERR_AUTH.
 * Reported as POP3_CMD_USER.
 */
pop3_status_t pop3_user(pop3_client_t *c, const char *user);
/**
 * PASS alone: the second half of pop3_login(). Only right after a successful
 * USER (RFC 1939 section 7), so POP3_ERR_STATE unless the last command queued
 * is a USER, or nothing is queued and the last command sent was a USER that
 * got +OK (call it from that USER's on_done, or behind it); and, when its
 * turn comes, POP3_ERR_STATE if its USER failed or another command went out
 * in between. The password is copied into tx_buf, wiped
 * once sent (or dropped), and traced as "PASS ***". Same plaintext policy and
 * argument checks as pop3_user(). +OK moves the session to TRANSACTION as
 * pop3_login()'s does; -ERR is POP3_ERR_AUTH (USER must be sent again).
 * Reported as POP3_CMD_PASS.
 */
pop3_status_t pop3_pass(pop3_client_t *c, const char *pass);

#if POP3_STLS_ENABLE
/**
 * STLS (RFC 2595) asked by the application in a session started as
 * POP3_SEC_PLAINTEXT: in AUTHORIZATION, before a login. Needs
 * POP3_STLS_ENABLE and the transport's start_tls. The same machinery as the
 * connect phase: bytes that follow the "+OK" in the same input are refused
 * (response injection: the session ends with POP3_ERR_PROTOCOL), then the
 * port's start_tls, pop3_on_tls_done(), capabilities cleared and CAPA sent
 * again. Reported as POP3_CMD_STLS once that CAPA ended (POP3_OK), or with
 * the failure (POP3_ERR_TLS, POP3_ERR_CERT, ... : the session is closed).
 * Meanwhile pop3_state() says POP3_STATE_TLS, then POP3_STATE_SETUP, and
 * queued commands wait. A -ERR is POP3_ERR_SERVER and the plaintext session
 * goes on. After
 * POP3_OK the session counts as encrypted: logins no longer need
 * allow_plaintext_login. Not refused when CAPA did not list STLS (the server
 * answers).
 * @return POP3_OK if queued; POP3_ERR_STATE: not a POP3_SEC_PLAINTEXT
 *         session, already upgraded (or the upgrade under way), or in
 *         TRANSACTION (a second pop3_stls() queued before the first ended is
 *         refused with POP3_ERR_STATE when its turn comes);
 *         POP3_ERR_UNSUPPORTED: the transport has no start_tls.
 */
pop3_status_t pop3_stls(pop3_client_t *c);
#endif

/**
 * UTF8 (RFC 6856): asks the server for UTF-8 mode (UTF-8 in user names,
 * passwords, reply texts and message headers). AUTHORIZATION only, so call it
 * after POP3_CMD_CONNECT and before the login. Reported as POP3_CMD_UTF8;
 * on +OK pop3_utf8_on() becomes true; a -ERR is POP3_ERR_SERVER.
 * @return POP3_OK if queued; POP3_ERR_UNSUPPORTED if the CAPA in force does
 *         not list UTF8 (RFC 6856: the client must not send it then; also
 *         checked again when its turn comes, e.g. after STLS).
 */
pop3_status_t pop3_utf8(pop3_client_t *c);
/** Whether the server accepted UTF8 (RFC 6856 UTF-8 mode) on the current transport (false again after pop3_stls()). */
bool pop3_utf8_on(const pop3_client_t *c);

/* ---- Flow control and queries ------------------------------------------ */

/** Resume after a callback returned POP3_CB_PAUSE (calls transport.wake). */
void pop3_resume(pop3_client_t *c);
/** True while input is paused by the application. */
bool pop3_is_paused(const pop3_client_t *c);
/** True when the core has unsent bytes and waits for pop3_on_writable(). */
bool pop3_wants_write(const pop3_client_t *c);
/**
 * Stop now: pending commands end with POP3_ERR_ABORTED, the transport is
 * closed without QUIT (deletions are not committed). Allowed from callbacks;
 * does nothing on a closed (or never initialised) client.
 */
void pop3_abort(pop3_client_t *c);

pop3_state_t pop3_state(const pop3_client_t *c);
/** Why the session closed (POP3_OK after a normal QUIT). */
pop3_status_t pop3_session_status(const pop3_client_t *c);
/** POP3_CAP_* bits in force (after STLS: the post-TLS list). */
uint32_t pop3_caps(const pop3_client_t *c);
/** Whether the greeting carried an APOP timestamp (always false without POP3_APOP_ENABLE). */
bool pop3_has_apop(const pop3_client_t *c);
/** Whether queued commands go out pipelined now (PIPELINING advertised, depth > 1, TRANSACTION). */
bool pop3_pipelining(const pop3_client_t *c);
/**
 * Commands that were on the wire, their replies awaited, when the session
 * failed (0 while it runs). A timeout with several: the server may advertise
 * PIPELINING without handling it (try pipeline_depth = 1).
 */
unsigned pop3_unanswered(const pop3_client_t *c);

/**
 * Copy server text for display, replacing control characters and non-ASCII
 * octets (terminal escapes) with '?'. Always NUL-terminates when out_len > 0.
 * @return octets written, NUL excluded.
 */
size_t pop3_sanitize(char *out, size_t out_len, const char *text, size_t text_len);

#ifdef __cplusplus
}
#endif

#endif /* POP3_H */
