/**
 * @file pop3_link.h
 * @brief The byte pipe under the core, plain or TLS: what the POSIX and lwIP
 *        ports share. A port moves bytes and timers; the link does the rest.
 *
 * The link is the core's pop3_transport_t (pop3_link_transport()). Under it
 * the port provides a raw connection (pop3_link_ops_t): a non-blocking send,
 * a close, a view of the input it holds, and an IP-literal parser. The link
 * - sets TLS up on the first start_tls (pop3_tls_setup(), with the host's
 *   address as the port's parser reads it) and starts the handshake;
 * - sends plain or through TLS;
 * - delivers held input to the core, or as ciphertext to the TLS adapter, and
 *   takes from the port only what was consumed (backpressure);
 * - refuses plaintext that was already held when TLS started (sent after the
 *   "+OK" to STLS: response injection): the session ends with POP3_ERR_PROTOCOL;
 * - reports the peer's end of stream only once everything held went through;
 * - keeps the TLS failure text (pop3_link_tls_error()), also after cleanup.
 *
 * Who tells the core what (see pop3_tls.h for the adapter's share):
 * - the port: pop3_start() through pop3_link_start(), pop3_tick();
 * - the link: pop3_on_connected(), pop3_on_input() (plaintext),
 *   pop3_on_writable(), pop3_on_closed() (once, only if the core has not
 *   closed already), pop3_abort() from pop3_link_cleanup();
 * - the TLS adapter: pop3_on_input() (decrypted plaintext), pop3_on_tls_done().
 * The port calls pop3_link_fail() for what only it can see (connect failure,
 * reset), never pop3_on_closed() itself.
 *
 * Re-entrancy: the core calls the transport (send, start_tls, close) from
 * inside pop3_on_input() and friends, i.e. from inside every function below
 * that delivers; ops->close may therefore run inside them. After a call into
 * the core the link never touches the port's input again once closed.
 */
#ifndef POP3_LINK_H
#define POP3_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pop3.h"
#include "pop3_tls.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The raw connection a port gives the link (a const table: it can live in flash). */
typedef struct pop3_link_ops {
    /** Send without blocking: octets accepted, 0 would-block, negative on error (pop3_transport_t::send). */
    long (*send)(void *ctx, const uint8_t *data, size_t len);
    /**
     * Let go of the connection and of every input octet held, at most once per
     * session. @p graceful: after a normal end (QUIT, or the peer's close): close
     * and acknowledge; otherwise aborting is fine.
     */
    void (*close)(void *ctx, bool graceful);
    /** The next run of input held (*len = 0 if none). Valid until rx_take() or close(). */
    const uint8_t *(*rx_peek)(void *ctx, size_t *len);
    /** @p n octets of that run were consumed (lwIP: acknowledge them). */
    void (*rx_take)(void *ctx, size_t n);
    /** Parse @p host as an IPv4/IPv6 literal into @p ip (len 0: not one). For the certificate check. */
    void (*parse_ip)(const char *host, pop3_tls_ip_t *ip);
} pop3_link_ops_t;

/** One link. Caller-owned (inside the port object); the port may read the flags, never write them. */
typedef struct pop3_link {
    const pop3_link_ops_t *ops;
    void *ctx;                        /* the port: first argument of every op */
    pop3_client_t *client;            /* set by pop3_link_start() */
    pop3_tls_t *tls;                  /* NULL: plaintext only */
    const pop3_tls_config_t *tls_cfg;
    bool up;                          /* pop3_link_connected() done */
    bool tls_on;                      /* start_tls happened: input goes through TLS */
    bool eof;                         /* the peer ended its stream */
    bool closed;                      /* the core closed, or was told: no more calls into it */
    bool wake;                        /* transport.wake: pop3_link_service() has work */
} pop3_link_t;

/**
 * Prepare a link (pop3_tls_init() on @p tls). @p tls_cfg and @p tls are both
 * NULL (plaintext only) or both set; they, @p ops and @p ctx must outlive it.
 * @return POP3_OK, or POP3_ERR_BAD_ARG: the link is then inert (it cannot be
 *         started; pop3_link_cleanup() does nothing).
 */
pop3_status_t pop3_link_init(pop3_link_t *l, const pop3_link_ops_t *ops, void *ctx,
                             const pop3_tls_config_t *tls_cfg, pop3_tls_t *tls);

/** The transport to put into pop3_config_t before pop3_init() (ctx is @p l). */
pop3_transport_t pop3_link_transport(pop3_link_t *l);

/** pop3_start(c, now_ms) and bind @p c. @return its status, or POP3_ERR_STATE if already bound (or inert). */
pop3_status_t pop3_link_start(pop3_link_t *l, pop3_client_t *c, uint32_t now_ms);

/** The raw connection is up: pop3_on_connected() (implicit TLS starts here), then a pending send. */
void pop3_link_connected(pop3_link_t *l);

/**
 * Hand what the port holds (ops->rx_peek) to the core or to TLS until it is
 * all taken, the core pauses, or the session ends; then, if the peer ended
 * its stream and nothing is left, end the session (POP3_ERR_TRANSPORT).
 */
void pop3_link_deliver(pop3_link_t *l);

/** The peer ended its stream (recv 0 / NULL pbuf): reported by pop3_link_deliver() once drained. */
void pop3_link_eof(pop3_link_t *l);

/** The raw connection can take more: TLS continues, then the core's pending send. */
void pop3_link_writable(pop3_link_t *l);

/** What transport.wake asked for and what may be waiting: writable, then deliver. Clears wake. */
void pop3_link_service(pop3_link_t *l);

/**
 * True when pop3_link_service() has work besides held input: wake, a TLS or
 * core send waiting for room, plaintext held by TLS, an end of stream to report.
 */
bool pop3_link_busy(const pop3_link_t *l);

/** True when the port should wait for writable (the core's send outside a handshake, or TLS). */
bool pop3_link_wants_write(const pop3_link_t *l);

/** The port saw the connection fail: tell the core once (@p status) and close without grace. */
void pop3_link_fail(pop3_link_t *l, pop3_status_t status);

/**
 * End a session that is still running with pop3_abort() (pending commands end
 * with POP3_ERR_ABORTED; the core's close aborts the connection), then free
 * TLS state. The failure text stays readable.
 */
void pop3_link_cleanup(pop3_link_t *l);

/** Why TLS failed, if it did; "" otherwise (also after cleanup). Never NULL. */
const char *pop3_link_tls_error(const pop3_link_t *l);

#ifdef __cplusplus
}
#endif

#endif /* POP3_LINK_H */
