/**
 * @file pop3_lwip.h
 * @brief lwIP port: the POP3 core on lwIP's altcp raw API (NO_SYS=1 main loop,
 *        or the tcpip thread with an OS), TLS through the link shared with the
 *        POSIX port (port/mbedtls/pop3_link.h) over the plain altcp connection,
 *        for implicit TLS (POP3S) and the STLS upgrade. No heap: every object
 *        is the caller's.
 *
 * Use (NO_SYS=1):
 * @code
 *   static pop3_lwip_t port;  static pop3_tls_t tls;  static pop3_client_t client;
 *   pop3_lwip_init(&port, &tls_cfg, &tls);            // or (&port, NULL, NULL): plaintext only
 *   cfg.transport = pop3_lwip_transport(&port);
 *   pop3_init(&client, &cfg);
 *   pop3_lwip_connect(&port, &client, "mail.example.com", 995);  // or pop3_lwip_connect_ip()
 *   pop3_login(&client, user, pass); pop3_retr(&client, 1); pop3_quit(&client);
 *   for (;;) {
 *       netif_poll / ethernetif_input(...);  sys_check_timeouts();
 *       pop3_lwip_service(&port);            // re-feeds input held while paused, retries sends
 *       if (pop3_lwip_is_idle(&port)) break; // session over, lwIP holds no reference to port
 *   }
 *   pop3_lwip_cleanup(&port);
 * @endcode
 *
 * Threading: every function here, like every function of the client, must run
 * in lwIP's context: the NO_SYS main loop, or the tcpip thread (from an OS task
 * use tcpip_callback(), or LOCK_TCPIP_CORE() with LWIP_TCPIP_CORE_LOCKING).
 *
 * Flow control: received pbufs the core does not consume (its application
 * returned POP3_CB_PAUSE) stay with the port and are not acknowledged with
 * altcp_recved(), so the advertised TCP window shrinks to 0 and the server
 * stops. pop3_resume() wakes the port (transport.wake, which never calls the
 * core); the held input is re-fed from pop3_lwip_service() or, at the latest,
 * from the next altcp poll callback (POP3_LWIP_POLL_INTERVAL).
 *
 * Needs in lwipopts.h: LWIP_TCP=1 (LWIP_ALTCP=1 or 0: with 0 the altcp_*
 * calls are lwIP's plain tcp_* functions); LWIP_DNS=1 for
 * pop3_lwip_connect() with a name (an address literal works without DNS).
 * The application provides sys_now() (used for pop3_start()/pop3_tick()).
 * TLS uses altcp_tcp only (no altcp_tls): mbedTLS runs in pop3_tls_t.
 *
 * Size knobs: POP3_LWIP_ERROR_TEXT 0 drops the network failure texts
 * (pop3_lwip_net_error() is then always ""; statuses are unchanged); DNS
 * support follows LWIP_DNS.
 */
#ifndef POP3_LWIP_H
#define POP3_LWIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/opt.h"
#include "lwip/altcp.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"

#include "pop3.h"
#include "pop3_link.h"
#include "pop3_tls.h"

#if !LWIP_TCP
#error "pop3_lwip needs LWIP_TCP=1 in lwipopts.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/**
 * altcp_poll() interval in TCP coarse timer ticks (500 ms each in stock lwIP):
 * the rate of pop3_tick() calls and of the fallback retry/re-feed when the
 * application does not call pop3_lwip_service().
 */
#ifndef POP3_LWIP_POLL_INTERVAL
#define POP3_LWIP_POLL_INTERVAL 1U
#endif

/** Longest host name pop3_lwip_connect() takes (RFC 1035: 253). */
#ifndef POP3_LWIP_HOST_MAX_LEN
#define POP3_LWIP_HOST_MAX_LEN 254U
#endif

/** 1: keep texts for pop3_lwip_net_error(); 0: compile them out (smaller firmware). */
#ifndef POP3_LWIP_ERROR_TEXT
#define POP3_LWIP_ERROR_TEXT 1
#endif

/**
 * The port object. Caller-owned (static, or inside your own struct); treat
 * every field as private. It must stay valid until pop3_lwip_is_idle()
 * (lwIP keeps it as callback argument of the pcb and of a pending DNS query).
 */
typedef struct pop3_lwip {
    pop3_link_t link;                 /* plain/TLS switching, shared with the POSIX port */
    struct altcp_pcb *pcb;            /* NULL once closed, aborted or freed by lwIP (err callback) */
    struct pbuf *rx;                  /* received, not yet consumed (not acknowledged) */
    size_t rx_len;                    /* octets held in rx from rx_off on (pbuf tot_len is only 16 bits) */
    u16_t rx_off;                     /* octets of rx (the head pbuf) already consumed */
    u16_t port;                       /* server port, kept while DNS resolves */
    bool dns_pending;                 /* a dns_gethostbyname() callback is still to come */
    bool connecting;                  /* altcp_connect() issued, not yet connected */
    bool in_cb;                       /* inside an lwIP callback of this pcb */
    bool aborted_in_cb;               /* altcp_abort() ran inside that callback: return ERR_ABRT */
#if POP3_LWIP_ERROR_TEXT
    char net_error[64];
#endif
} pop3_lwip_t;

/**
 * Prepare a port. @p tls_cfg and @p tls are both NULL (plaintext only) or both
 * set; they must outlive the port. @p tls is initialised here (pop3_tls_init())
 * and set up on first use (start_tls).
 * @return POP3_OK or POP3_ERR_BAD_ARG.
 */
pop3_status_t pop3_lwip_init(pop3_lwip_t *p, const pop3_tls_config_t *tls_cfg, pop3_tls_t *tls);

/** The transport to put into pop3_config_t before pop3_init(). */
pop3_transport_t pop3_lwip_transport(pop3_lwip_t *p);

/**
 * Connect to @p host: an IPv4/IPv6 address literal, or a name resolved with
 * dns_gethostbyname() (needs LWIP_DNS; the address type follows lwIP's
 * LWIP_DNS_ADDRTYPE_DEFAULT). Calls pop3_start(c, sys_now()) first, so the
 * connect timeout covers DNS, TCP connect and the greeting.
 * @return POP3_OK if under way (a later failure reaches on_done of
 *         POP3_CMD_CONNECT); POP3_ERR_BAD_ARG; POP3_ERR_STATE (already used);
 *         POP3_ERR_TRANSPORT (DNS not available, no pcb, connect refused at once;
 *         the session is then closed with that status).
 */
pop3_status_t pop3_lwip_connect(pop3_lwip_t *p, pop3_client_t *c, const char *host, u16_t port);

/**
 * Connect to an address (IPv4 or IPv6, as lwIP is configured). Same as
 * pop3_lwip_connect() without DNS. @p addr is copied.
 */
pop3_status_t pop3_lwip_connect_ip(pop3_lwip_t *p, pop3_client_t *c, const ip_addr_t *addr, u16_t port);

/**
 * Do the work the core asked for (transport.wake after pop3_resume()): re-feed
 * held input, retry sends, report a peer close once all data went through,
 * and pop3_tick(sys_now()). Cheap when there is nothing to do; call it from
 * the main loop (or after pop3_resume(), from lwIP's context, never from
 * inside a client callback). Without it the poll callback does the same,
 * only later.
 */
void pop3_lwip_service(pop3_lwip_t *p);

/** True when the core asked to be served (pop3_lwip_service() has work). */
bool pop3_lwip_needs_service(const pop3_lwip_t *p);

/**
 * True when the session is over and lwIP holds no reference to @p p any more
 * (no pcb, no pending DNS query): @p p may then be reused or go out of scope.
 */
bool pop3_lwip_is_idle(const pop3_lwip_t *p);

/**
 * Abort the connection if still open (no QUIT: use pop3_quit() for a clean
 * end), free held pbufs and TLS state. A session still running is ended with
 * pop3_abort(): its pending commands complete with POP3_ERR_ABORTED (the
 * application stopped it; the connection did not fail). pop3_lwip_tls_error()
 * still answers afterwards. A DNS query still pending keeps its reference to
 * @p p (lwIP cannot cancel it): keep @p p until pop3_lwip_is_idle().
 */
void pop3_lwip_cleanup(pop3_lwip_t *p);

/** Why TLS failed, if it did ("certificate not for this host", ...); "" otherwise. */
const char *pop3_lwip_tls_error(const pop3_lwip_t *p);

/**
 * Why the network side failed or ended ("dns: name not resolved", "tcp: connection
 * reset"...); "" otherwise, and always "" with POP3_LWIP_ERROR_TEXT 0.
 */
const char *pop3_lwip_net_error(const pop3_lwip_t *p);

/**
 * Octets received but held (not yet consumed by the core, not acknowledged
 * with altcp_recved()). For tests and diagnostics: bounded by TCP_WND.
 */
size_t pop3_lwip_held(const pop3_lwip_t *p);

#ifdef __cplusplus
}
#endif

#endif /* POP3_LWIP_H */
