/**
 * @file pop3_config_defaults.h
 * @brief Compile-time defaults of the POP3 client, lwIP/coreMQTT style.
 *
 * Every knob is guarded by `#ifndef`, so a project overrides it by defining it
 * first: either on the compiler command line or in its own header named by
 * `POP3_CONFIG_FILE` (e.g. `-DPOP3_CONFIG_FILE=\"my_pop3_config.h\"`), which is
 * included before the defaults below. See config/pop3_config_sample.h.
 * Units are part of the names (_MS milliseconds, _LEN octets).
 */
#ifndef POP3_CONFIG_DEFAULTS_H
#define POP3_CONFIG_DEFAULTS_H

#ifdef POP3_CONFIG_FILE
#include POP3_CONFIG_FILE
#endif

/* Removed or renamed knobs fail loudly instead of being silently ignored. */
#ifdef POP3_LINE_MAX
#error "POP3_LINE_MAX was removed: the line buffer is caller-owned, pass its size in pop3_config_t"
#endif

/** Commands that can wait in the queue at once (in flight included), 1 to 32. */
#ifndef POP3_QUEUE_LEN
#define POP3_QUEUE_LEN 8U
#endif
#if POP3_QUEUE_LEN < 1 || POP3_QUEUE_LEN > 32
#error "POP3_QUEUE_LEN must be 1 .. 32"
#endif

/**
 * Most commands on the wire at once when the server advertises PIPELINING
 * (RFC 2449), at most POP3_QUEUE_LEN; pop3_config_t::pipeline_depth can lower
 * it per client. 1 = pipelining compiled out.
 */
#ifndef POP3_PIPELINE_DEPTH
#define POP3_PIPELINE_DEPTH POP3_QUEUE_LEN
#endif
#if POP3_PIPELINE_DEPTH < 1 || POP3_PIPELINE_DEPTH > POP3_QUEUE_LEN
#error "POP3_PIPELINE_DEPTH must be 1 .. POP3_QUEUE_LEN"
#endif

/** Smallest receive line buffer accepted: RFC 1939/2449 reply lines are <= 512 octets. */
#ifndef POP3_MIN_LINE_BUF_LEN
#define POP3_MIN_LINE_BUF_LEN 512U
#endif

/** Longest command the client will send, CRLF included (RFC 2449 section 4). */
#ifndef POP3_CMD_MAX_LEN
#define POP3_CMD_MAX_LEN 255U
#endif

/**
 * SASL AUTH (RFC 5034, pop3_auth()): PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER.
 * Needs mbedTLS base64 (MBEDTLS_BASE64_C). 0 leaves it out.
 */
#ifndef POP3_SASL_ENABLE
#define POP3_SASL_ENABLE 1
#endif
/** SASL CRAM-MD5: needs POP3_SASL_ENABLE and mbedTLS MD5 + MD (HMAC). */
#ifndef POP3_SASL_CRAM_MD5_ENABLE
#define POP3_SASL_CRAM_MD5_ENABLE POP3_SASL_ENABLE
#endif
/** SASL SCRAM-SHA-1 and SCRAM-SHA-256: needs POP3_SASL_ENABLE and mbedTLS SHA-1, SHA-256, MD, PKCS5. */
#ifndef POP3_SASL_SCRAM_ENABLE
#define POP3_SASL_SCRAM_ENABLE POP3_SASL_ENABLE
#endif

#if POP3_SASL_ENABLE
/**
 * Octets at the end of tx_buf through which SASL responses stream, piece by
 * piece (each piece: up to this many octets of base64 and CR LF). Queued
 * commands use the rest. At least 32; a multiple of 4 plus 2 wastes nothing.
 */
#ifndef POP3_SASL_PIECE_LEN
#define POP3_SASL_PIECE_LEN 130U
#endif
/** Longest password for CRAM-MD5 and SCRAM (read whole as the HMAC key, on the stack). */
#ifndef POP3_SASL_PASSWORD_MAX_LEN
#define POP3_SASL_PASSWORD_MAX_LEN 128U
#endif
/** SCRAM client nonce: base64 characters (from 3/4 as many random octets; a multiple of 4). */
#ifndef POP3_SCRAM_CNONCE_LEN
#define POP3_SCRAM_CNONCE_LEN 24U
#endif
/** SCRAM iteration counts accepted from the server (RFC 7677 asks at least 4096;
 * the maximum bounds the time one login may take). */
#ifndef POP3_SCRAM_MIN_ITERATIONS
#define POP3_SCRAM_MIN_ITERATIONS 4096U
#endif
#ifndef POP3_SCRAM_MAX_ITERATIONS
#define POP3_SCRAM_MAX_ITERATIONS 100000U
#endif
/** Longest SCRAM salt accepted (decoded octets). */
#ifndef POP3_SCRAM_SALT_MAX_LEN
#define POP3_SCRAM_SALT_MAX_LEN 64U
#endif
/** Room kept for the "status" and "scope" of a rejected OAuth token's JSON (longer ones are cut). */
#ifndef POP3_OAUTH_STATUS_MAX_LEN
#define POP3_OAUTH_STATUS_MAX_LEN 24U
#endif
#ifndef POP3_OAUTH_SCOPE_MAX_LEN
#define POP3_OAUTH_SCOPE_MAX_LEN 72U
#endif
#define POP3_SASL_TX_RESERVE_LEN POP3_SASL_PIECE_LEN
#else
#define POP3_SASL_TX_RESERVE_LEN 0U
#endif

/**
 * Smallest transmit buffer accepted: USER and PASS of maximal length are
 * formatted together, so an empty queue always takes any valid command and
 * POP3_ERR_QUEUE_FULL only ever means "wait for a completion"; with SASL, the
 * piece area comes on top. (The core's own CAPA and STLS are constants and
 * need no room here.)
 */
#ifndef POP3_MIN_TX_BUF_LEN
#define POP3_MIN_TX_BUF_LEN (POP3_CMD_MAX_LEN + POP3_CMD_MAX_LEN + POP3_SASL_TX_RESERVE_LEN)
#endif

/** Longest APOP timestamp (angle brackets included) kept from the greeting. */
#ifndef POP3_APOP_TIMESTAMP_MAX_LEN
#define POP3_APOP_TIMESTAMP_MAX_LEN 128U
#endif

/** Default time allowed for TCP connect plus the greeting. 0 disables. */
#ifndef POP3_CONNECT_TIMEOUT_MS
#define POP3_CONNECT_TIMEOUT_MS 30000U
#endif

/** Default longest silence while a reply is awaited (re-armed by every byte). */
#ifndef POP3_REPLY_TIMEOUT_MS
#define POP3_REPLY_TIMEOUT_MS 30000U
#endif

/** Default time allowed for a TLS handshake (implicit TLS or STLS). */
#ifndef POP3_TLS_TIMEOUT_MS
#define POP3_TLS_TIMEOUT_MS 30000U
#endif

/**
 * APOP support (RFC 1939 section 7) needs MD5, taken from mbedTLS.
 * Set to 0 to build the core with the C library alone (the build then links
 * no mbedTLS into the core either).
 */
#ifndef POP3_APOP_ENABLE
#define POP3_APOP_ENABLE 1
#endif

/*
 * Features that can be compiled out to save code (1 = built). The "minimal"
 * profile (config/pop3_config_minimal.h) sets them all to 0: USER/PASS over
 * implicit TLS, STAT, UIDL, RETR, DELE, QUIT. A function compiled out is not
 * declared in pop3.h, so a call to it fails at compile time.
 */
/** Protocol trace (pop3_callbacks_t::on_trace). */
#ifndef POP3_TRACE_ENABLE
#define POP3_TRACE_ENABLE 1
#endif
/** pop3_top(). */
#ifndef POP3_TOP_ENABLE
#define POP3_TOP_ENABLE 1
#endif
/** pop3_list() and on_list. */
#ifndef POP3_LIST_ENABLE
#define POP3_LIST_ENABLE 1
#endif
/** pop3_capa() and on_capa (the core's own CAPA at connect stays). */
#ifndef POP3_CAPA_ENABLE
#define POP3_CAPA_ENABLE 1
#endif
/** POP3_SEC_STLS (RFC 2595); without it pop3_init() refuses that mode. */
#ifndef POP3_STLS_ENABLE
#define POP3_STLS_ENABLE 1
#endif
/** pop3_command(): command lines as typed, for a shell. */
#ifndef POP3_RAW_ENABLE
#define POP3_RAW_ENABLE 1
#endif
/** pop3_rset() and pop3_noop(). */
#ifndef POP3_RSET_NOOP_ENABLE
#define POP3_RSET_NOOP_ENABLE 1
#endif
/** Descriptive pop3_status_str() texts (else only "success" / "error"). */
#ifndef POP3_STATUS_TEXT_ENABLE
#define POP3_STATUS_TEXT_ENABLE 1
#endif

/**
 * Engine invariants (queue bounds, transmit buffer use, decoder states) are
 * checked with POP3_ASSERT(cond). Off by default (compiles to nothing); the
 * test builds set POP3_ASSERT_ENABLE=1, which aborts on a broken invariant.
 * An integrator may map POP3_ASSERT to its own handler instead.
 */
#ifndef POP3_ASSERT
#if defined(POP3_ASSERT_ENABLE) && POP3_ASSERT_ENABLE
#include <stdlib.h>
#define POP3_ASSERT(cond) do { if (!(cond)) { abort(); } } while (0)
#else
#define POP3_ASSERT(cond) do { } while (0)
#endif
#endif

/**
 * Logging: each macro takes a printf-style parenthesised argument list, e.g.
 * `POP3_LOG_DEBUG(("state %d", s))`. They compile to nothing unless the
 * integrator maps them (e.g. to printf or LWIP_PLATFORM_DIAG). The core never
 * passes a password, APOP digest or other secret to them.
 */
#ifndef POP3_LOG_ERROR
#define POP3_LOG_ERROR(args) do { } while (0)
#endif
#ifndef POP3_LOG_WARN
#define POP3_LOG_WARN(args) do { } while (0)
#endif
#ifndef POP3_LOG_DEBUG
#define POP3_LOG_DEBUG(args) do { } while (0)
#endif

#endif /* POP3_CONFIG_DEFAULTS_H */
