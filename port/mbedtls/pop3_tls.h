/**
 * @file pop3_tls.h
 * @brief mbedTLS session over any non-blocking byte transport (shared by the
 *        POSIX and lwIP ports). The port pushes received ciphertext in with
 *        pop3_tls_feed(); plaintext goes to the core with pop3_on_input();
 *        the core's sends go through pop3_tls_send(). mbedTLS version
 *        differences (2.28 / 3.x) stay inside this adapter.
 *
 * Safe by default: MBEDTLS_SSL_VERIFY_REQUIRED, the host name always set
 * (SNI + certificate name check); a host given as an IP address is checked
 * against the certificate's iPAddress entries, never skipped.
 *
 * mbedTLS versions: 2.28 LTS and 3.6 LTS are tested. TLS 1.2 is the minimum;
 * with 3.6 (TLS 1.3 compiled in by default) TLS 1.3 is offered too, unless
 * POP3_TLS13_ENABLE is 0. With 3.x, pop3_tls_init() calls psa_crypto_init()
 * (process-wide, idempotent); the application may call
 * mbedtls_psa_crypto_free() once every session is freed. pop3_tls_init()
 * refuses to run (POP3_ERR_TLS) when the mbedTLS library is not the release
 * its headers describe (MBEDTLS_VERSION_C).
 */
#ifndef POP3_TLS_H
#define POP3_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "pop3.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Decrypted octets held for the core when it pauses mid-record. */
#ifndef POP3_TLS_PLAIN_BUF_LEN
#define POP3_TLS_PLAIN_BUF_LEN 2048U
#endif

/** 1: offer TLS 1.3 as well as 1.2 when mbedTLS has it (3.6 default); 0: TLS 1.2 only
 *  (e.g. to use max_fragment_length, which TLS 1.3 lacks). No effect on 2.28. */
#ifndef POP3_TLS13_ENABLE
#define POP3_TLS13_ENABLE 1
#endif

/** Longest host name kept (RFC 1035: 253). */
#ifndef POP3_TLS_HOST_MAX_LEN
#define POP3_TLS_HOST_MAX_LEN 254U
#endif

typedef struct pop3_tls_config {
    /** Server name: sent as SNI (unless an IP literal) and checked against the certificate. Required. */
    const char *host;
    /** Trust anchors from a PEM file (NULL: use ca_pem). */
    const char *ca_file;
    /** Trust anchors as a PEM buffer, its terminating NUL counted in ca_pem_len (mbedTLS rule). */
    const unsigned char *ca_pem;
    size_t ca_pem_len;
    /** Skip certificate verification. Dangerous: for tests against self-signed servers only. */
    bool insecure;
} pop3_tls_config_t;

/**
 * Lower transport: send ciphertext without blocking. Returns octets accepted,
 * 0 for would-block, negative on error (same contract as pop3_transport_t::send).
 */
typedef long (*pop3_tls_raw_send_fn)(void *raw_ctx, const uint8_t *data, size_t len);

/** One TLS session. Caller-owned; treat fields as private. */
typedef struct pop3_tls {
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    pop3_tls_raw_send_fn raw_send;
    void *raw_ctx;
    pop3_client_t *client;
    const uint8_t *in;        /* ciphertext offered by the current pop3_tls_feed() */
    size_t in_len;
    size_t in_used;
    uint8_t plain[POP3_TLS_PLAIN_BUF_LEN];
    size_t plain_off;
    size_t plain_len;
    int state;                /* private: idle / handshaking / open / failed */
    int last_mbedtls_err;
    uint32_t verify_flags;
    bool insecure;
    bool host_is_ip;
    uint8_t host_ip[16];
    size_t host_ip_len;
    char host[POP3_TLS_HOST_MAX_LEN + 1];
    size_t write_len;         /* length of an mbedtls_ssl_write() that returned WANT_WRITE (retry must repeat it) */
    bool raw_blocked;         /* the lower transport refused bytes: wait for writable */
    char reason[128];         /* text for pop3_tls_error_str() */
} pop3_tls_t;

/**
 * Load trust anchors, seed the DRBG and configure a TLS client. Nothing is sent.
 * @return POP3_OK, POP3_ERR_BAD_ARG (no host, CR/LF in host), POP3_ERR_CERT
 *         (CA file/buffer unusable), POP3_ERR_TLS (mbedTLS set-up failed).
 */
pop3_status_t pop3_tls_init(pop3_tls_t *t, const pop3_tls_config_t *cfg,
                            pop3_tls_raw_send_fn raw_send, void *raw_ctx);

/**
 * Start the handshake on a connected transport; plaintext is handed to @p c.
 * Call from the port's pop3_transport_t::start_tls. The handshake proceeds as
 * pop3_tls_feed() and pop3_tls_on_writable() are called; its end is reported
 * with pop3_on_tls_done(c, ...).
 */
pop3_status_t pop3_tls_start(pop3_tls_t *t, pop3_client_t *c);

/**
 * Ciphertext arrived: drive the handshake or decrypt, and pass plaintext to
 * the core (respecting its pause). Returns how many ciphertext octets were
 * taken; the port keeps the rest (lwIP: altcp_recved only what was taken) and
 * offers it again later. Errors are reported to the core (pop3_on_closed()).
 */
size_t pop3_tls_feed(pop3_tls_t *t, const uint8_t *data, size_t len);

/** Offer held plaintext to the core again (after pop3_resume()). */
void pop3_tls_pump(pop3_tls_t *t);

/** True when held plaintext waits for the core. */
bool pop3_tls_has_pending(const pop3_tls_t *t);

/**
 * True when mbedTLS has ciphertext the lower transport refused (would-block):
 * the port should wait for writable and then call pop3_tls_on_writable().
 */
bool pop3_tls_wants_write(const pop3_tls_t *t);

/** The lower transport became writable (continues a handshake or a pending write). */
void pop3_tls_on_writable(pop3_tls_t *t);

/**
 * Encrypt and send for the core (pop3_transport_t::send when TLS is active).
 * Returns octets of @p data accepted, 0 for would-block, negative on error.
 */
long pop3_tls_send(pop3_tls_t *t, const uint8_t *data, size_t len);

/** Send close_notify (best effort, non-blocking). */
void pop3_tls_close_notify(pop3_tls_t *t);

/** Release mbedTLS state. Safe to call twice. */
void pop3_tls_free(pop3_tls_t *t);

/** A short text explaining the last failure (e.g. "certificate not for this host"); "" if none. Never NULL. */
const char *pop3_tls_error_str(const pop3_tls_t *t);

#ifdef __cplusplus
}
#endif

#endif /* POP3_TLS_H */
