/**
 * @file pop3_tls.h
 * @brief mbedTLS session over any non-blocking byte transport (shared by the
 *        POSIX and lwIP ports through pop3_link.h). The caller pushes received
 *        ciphertext in with pop3_tls_feed(); the core's sends go through
 *        pop3_tls_send(). mbedTLS version differences (2.28 / 3.x) stay inside
 *        this adapter.
 *
 * Life cycle, mbedTLS's own pattern:
 *   pop3_tls_init()   infallible: every context initialised, nothing allocated;
 *   pop3_tls_setup()  fallible: trust anchors loaded, DRBG seeded, client configured;
 *   pop3_tls_start()  handshake on a connected transport;
 *   pop3_tls_free()   safe at any point after init (after a failed setup, twice).
 *
 * Who tells the core what:
 * - plaintext: the adapter, with pop3_on_input() (it stops when the core
 *   pauses and holds the rest for pop3_tls_pump());
 * - the end of the handshake: the adapter, with pop3_on_tls_done(), at most
 *   once after a pop3_tls_start() that returned POP3_OK (success or failure;
 *   a failure status is returned to the caller as well);
 * - everything else (a record failure, the peer's close_notify, a failing
 *   lower transport): nobody here. pop3_tls_feed(), pop3_tls_pump() and
 *   pop3_tls_on_writable() return it; the caller reports it with
 *   pop3_on_closed() if the core has not closed already. The adapter never
 *   calls pop3_on_closed().
 *
 * What a handshake showed, for logs and server checks (optional, see
 * pop3_tls_config_t): on_cert for each certificate as mbedTLS verifies it,
 * on_handshake at its end; the getters pop3_tls_version(),
 * pop3_tls_ciphersuite(), pop3_tls_verify_flags(), pop3_tls_peer_cert().
 * The min_version/max_version knobs let a checker offer one version at a time.
 *
 * Safe by default: MBEDTLS_SSL_VERIFY_REQUIRED, the host name always set
 * (SNI + certificate name check). A host given as an IP address is checked
 * against the certificate's iPAddress entries, never skipped: the caller parses
 * it (inet_pton(), ipaddr_aton()) and passes the address to pop3_tls_setup();
 * a host that can only be an IP literal but comes without its address is refused.
 *
 * mbedTLS versions: 2.28 LTS and 3.6 LTS are tested. TLS 1.2 is the minimum;
 * with 3.6 (TLS 1.3 compiled in by default) TLS 1.3 is offered too, unless
 * POP3_TLS13_ENABLE is 0. With 3.x, pop3_tls_setup() calls psa_crypto_init()
 * (process-wide, idempotent); the application may call
 * mbedtls_psa_crypto_free() once every session is freed. That the mbedTLS
 * library is the release its headers describe is checked by the build
 * (CMakeLists.txt), not at run time.
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

/**
 * RFC 6066 max_fragment_length to ask for (TLS 1.2): 0 (default) asks nothing, else 512,
 * 1024, 2048 or 4096 octets. Lets MBEDTLS_SSL_IN_CONTENT_LEN shrink from 16 KiB to that
 * size, but only servers that agree can then be reached: one that ignores the extension
 * and sends full records ends the handshake or the session with POP3_ERR_TLS. Needs
 * MBEDTLS_SSL_MAX_FRAGMENT_LENGTH in the mbedTLS configuration; TLS 1.3 has no such
 * extension (cap the version with POP3_TLS13_ENABLE=0).
 */
#ifndef POP3_TLS_MAX_FRAG_LEN
#define POP3_TLS_MAX_FRAG_LEN 0U
#endif

/** Longest host name kept (RFC 1035: 253). */
#ifndef POP3_TLS_HOST_MAX_LEN
#define POP3_TLS_HOST_MAX_LEN 254U
#endif

/** Room for pop3_tls_error_str(), NUL included (longer texts are cut). */
#ifndef POP3_TLS_REASON_LEN
#define POP3_TLS_REASON_LEN 128U
#endif

/** TLS versions for pop3_tls_config_t::min_version / max_version: the wire numbers. */
#define POP3_TLS_VERSION_1_2 0x0303U
#define POP3_TLS_VERSION_1_3 0x0304U

struct pop3_tls;

/**
 * Called from mbedTLS's certificate verification, once for each certificate of
 * the chain it built from what the server presented: from the top (a trust
 * anchor from the CA list when one was found, else the last presented
 * certificate that chains) down to the server's own certificate (@p depth 0),
 * which comes last. @p flags are that certificate's MBEDTLS_X509_BADCERT_*
 * problems (0: none; for depth 0 they include a name mismatch). The leaf's
 * crt->next lists the rest of what the server sent, in its order. @p crt and
 * everything it points to are valid only during the call. Not called when
 * verification is off (insecure: see pop3_tls_peer_cert()). The callback must
 * not call into the session.
 */
typedef void (*pop3_tls_cert_fn)(void *ctx, const mbedtls_x509_crt *crt, int depth, uint32_t flags);

/**
 * Called once when a handshake started by pop3_tls_start() ends, just before
 * pop3_on_tls_done() tells the core, with the same @p status (POP3_OK,
 * POP3_ERR_CERT, POP3_ERR_TLS). The getters (pop3_tls_version(),
 * pop3_tls_ciphersuite(), pop3_tls_verify_flags(), pop3_tls_peer_cert(),
 * pop3_tls_error_str()) may be called on @p t during the call; nothing else.
 */
typedef void (*pop3_tls_handshake_fn)(void *ctx, const struct pop3_tls *t, pop3_status_t status);

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
    /**
     * Lowest and highest TLS version to offer (POP3_TLS_VERSION_*; 0: the
     * default, TLS 1.2 up to what the build has and POP3_TLS13_ENABLE allows).
     * A version this mbedTLS build cannot speak makes pop3_tls_setup() fail
     * with POP3_ERR_BAD_ARG (e.g. TLS 1.3 with 2.28): to probe which
     * versions a server accepts, one session per version.
     */
    uint16_t min_version;
    uint16_t max_version;
    /** Optional: each certificate as it is verified (see pop3_tls_cert_fn). NULL: none. */
    pop3_tls_cert_fn on_cert;
    /** Optional: the end of each handshake (see pop3_tls_handshake_fn). NULL: none. */
    pop3_tls_handshake_fn on_handshake;
    /** First argument of on_cert and on_handshake. */
    void *cb_ctx;
} pop3_tls_config_t;

/** An IP address in network byte order, as the port's own parser produced it. */
typedef struct pop3_tls_ip {
    uint8_t len;         /**< 4 (IPv4) or 16 (IPv6); 0: not an address */
    uint8_t octets[16];
} pop3_tls_ip_t;

/**
 * Lower transport: send ciphertext without blocking. Returns octets accepted,
 * 0 for would-block, negative on error (same contract as pop3_transport_t::send).
 */
typedef long (*pop3_tls_raw_send_fn)(void *raw_ctx, const uint8_t *data, size_t len);

/**
 * One TLS session. Caller-owned; treat fields as private. Its state (private)
 * is one of: none (never initialised, or freed: pop3_tls_free() does nothing),
 * initialised, set up, handshaking, open, closed (close_notify sent or
 * received), failed (set-up, handshake or record failure; the reason is kept).
 */
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
    size_t write_len;         /* length of an mbedtls_ssl_write() that returned WANT_WRITE (retry must repeat it) */
    uint32_t verify_flags;
    uint8_t state;            /* see above */
    bool insecure;
    bool raw_blocked;
    uint16_t min_version;     /* from the config (0: default) */
    uint16_t max_version;
    pop3_tls_cert_fn on_cert;
    pop3_tls_handshake_fn on_handshake;
    void *cb_ctx;         /* the lower transport refused bytes: wait for writable */
    pop3_tls_ip_t host_ip;    /* len 0: host is a name */
    char host[POP3_TLS_HOST_MAX_LEN + 1];
    char reason[POP3_TLS_REASON_LEN]; /* text for pop3_tls_error_str() */
} pop3_tls_t;

/**
 * Initialise every context; allocates nothing, cannot fail. Call once on a
 * fresh object, or again after pop3_tls_free().
 */
void pop3_tls_init(pop3_tls_t *t);

/**
 * Load trust anchors, seed the DRBG and configure a TLS client. Nothing is
 * sent. Once per pop3_tls_init(); after a failure only pop3_tls_error_str()
 * and pop3_tls_free() make sense.
 * @param host_ip  the address @p cfg->host stands for if it is an IP literal
 *                 (NULL or len 0: a name). A host with a ':' or made of digits
 *                 and dots only is never a name: without its address it is refused.
 * @param raw_send lower transport for ciphertext; @p raw_ctx is its first argument.
 * @return POP3_OK, POP3_ERR_BAD_ARG (NULL, no usable host name, no trust
 *         anchors), POP3_ERR_STATE (not just initialised), POP3_ERR_CERT (CA
 *         file/buffer unusable), POP3_ERR_TLS (mbedTLS set-up failed).
 */
pop3_status_t pop3_tls_setup(pop3_tls_t *t, const pop3_tls_config_t *cfg, const pop3_tls_ip_t *host_ip,
                             pop3_tls_raw_send_fn raw_send, void *raw_ctx);

/**
 * Start the handshake on a connected transport (sends the ClientHello);
 * plaintext is handed to @p c. Call from pop3_transport_t::start_tls. The
 * handshake proceeds as pop3_tls_feed() and pop3_tls_on_writable() are
 * called; its end is reported with pop3_on_tls_done(c, ...), never from here.
 * @return POP3_OK, POP3_ERR_BAD_ARG, POP3_ERR_STATE (not set up), POP3_ERR_TLS.
 */
pop3_status_t pop3_tls_start(pop3_tls_t *t, pop3_client_t *c);

/**
 * Ciphertext arrived: drive the handshake or decrypt, and pass plaintext to
 * the core (respecting its pause). @p *used (may be NULL) gets how many
 * ciphertext octets were taken; the caller keeps the rest (lwIP: altcp_recved
 * only what was taken) and offers it again later.
 * @return POP3_OK while the session is usable; POP3_ERR_TRANSPORT when the
 *         peer closed the TLS session; POP3_ERR_TLS (record failure) or the
 *         handshake's failure (POP3_ERR_TLS, POP3_ERR_CERT: already given to
 *         pop3_on_tls_done()); POP3_ERR_STATE when no handshake or session runs.
 */
pop3_status_t pop3_tls_feed(pop3_tls_t *t, const uint8_t *data, size_t len, size_t *used);

/** Offer held plaintext to the core again (after pop3_resume()). Returns as pop3_tls_feed(); POP3_OK when nothing runs. */
pop3_status_t pop3_tls_pump(pop3_tls_t *t);

/** True when held plaintext waits for the core. */
bool pop3_tls_has_pending(const pop3_tls_t *t);

/**
 * True when mbedTLS has ciphertext the lower transport refused (would-block):
 * the port should wait for writable and then call pop3_tls_on_writable().
 */
bool pop3_tls_wants_write(const pop3_tls_t *t);

/** The lower transport became writable (continues a handshake or a stalled read). Returns as pop3_tls_pump(). */
pop3_status_t pop3_tls_on_writable(pop3_tls_t *t);

/**
 * Encrypt and send for the core (pop3_transport_t::send when TLS is active).
 * Returns octets of @p data accepted, 0 for would-block, negative on error.
 */
long pop3_tls_send(pop3_tls_t *t, const uint8_t *data, size_t len);

/** Send close_notify if the session is open (best effort, non-blocking); the session is closed after it. */
void pop3_tls_close_notify(pop3_tls_t *t);

/**
 * Release mbedTLS state and wipe the object, keeping only the failure reason.
 * Safe after pop3_tls_init() alone, after a failed pop3_tls_setup(), and twice.
 */
void pop3_tls_free(pop3_tls_t *t);

/**
 * The negotiated protocol version, e.g. "TLSv1.2" or "TLSv1.3" (mbedTLS's
 * names), once a handshake succeeded and until pop3_tls_free(); NULL otherwise.
 * Static storage.
 */
const char *pop3_tls_version(const pop3_tls_t *t);

/**
 * The negotiated cipher suite, in mbedTLS's spelling (e.g.
 * "TLS-ECDHE-RSA-WITH-AES-256-GCM-SHA384", "TLS1-3-AES-256-GCM-SHA384"), once a
 * handshake succeeded and until pop3_tls_free(); NULL otherwise. Static storage.
 */
const char *pop3_tls_ciphersuite(const pop3_tls_t *t);

/**
 * MBEDTLS_X509_BADCERT_* flags of the last verification: after a handshake
 * that failed with POP3_ERR_CERT, what was wrong (0 if the failure was no
 * certificate problem); after a success, 0. 0 also when nothing was verified.
 * Reset by pop3_tls_free().
 */
uint32_t pop3_tls_verify_flags(const pop3_tls_t *t);

/**
 * The server's certificate chain as received (leaf first, then crt->next),
 * after a successful handshake and until pop3_tls_free(); NULL otherwise, or
 * when mbedTLS is built without MBEDTLS_SSL_KEEP_PEER_CERTIFICATE. Owned by
 * the session. This is how an insecure session can show what it accepted.
 */
const mbedtls_x509_crt *pop3_tls_peer_cert(const pop3_tls_t *t);

/**
 * Can this build offer TLS version @p version (POP3_TLS_VERSION_*) as
 * pop3_tls_config_t::min_version / max_version? (TLS 1.3: mbedTLS 3.x with
 * TLS 1.3 compiled in and POP3_TLS13_ENABLE.)
 */
bool pop3_tls_version_supported(uint16_t version);

/** A short text explaining the last failure (e.g. "certificate not trusted (unknown CA)"); "" if none. Never NULL. */
const char *pop3_tls_error_str(const pop3_tls_t *t);

#ifdef __cplusplus
}
#endif

#endif /* POP3_TLS_H */
