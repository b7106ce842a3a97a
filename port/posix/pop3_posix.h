/**
 * @file pop3_posix.h
 * @brief POSIX port: non-blocking TCP (IPv4/IPv6), a poll() loop that drives
 *        the core, and TLS through the shared link (port/mbedtls/pop3_link.h:
 *        implicit TLS and the STLS upgrade). For Linux tools and host tests.
 *
 * Use:
 *   pop3_posix_t port; pop3_tls_t tls;
 *   pop3_posix_init(&port, &tls_cfg, &tls);  // or (&port, NULL, NULL): plaintext only
 *   cfg.transport = pop3_posix_transport(&port);
 *   pop3_init(&client, &cfg);
 *   pop3_posix_connect(&port, &client, "mail.example.com", 995);
 *   pop3_retr(&client, 1); pop3_quit(&client);
 *   pop3_posix_run(&port);   // returns when the session is closed
 */
#ifndef POP3_POSIX_H
#define POP3_POSIX_H

#include <stdint.h>

#include "pop3.h"
#include "pop3_link.h"
#include "pop3_tls.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Socket receive staging buffer. */
#ifndef POP3_POSIX_RX_BUF_LEN
#define POP3_POSIX_RX_BUF_LEN 16384U
#endif

/**
 * How many of the connection's first octets the port records as received,
 * before TLS or the core sees them (pop3_posix_first_octets()).
 */
#ifndef POP3_POSIX_FIRST_LEN
#define POP3_POSIX_FIRST_LEN 16U
#endif

/** Longest wait of one poll() round, so pop3_tick() runs regularly. */
#ifndef POP3_POSIX_TICK_MS
#define POP3_POSIX_TICK_MS 100U
#endif

struct addrinfo; /* <netdb.h> */

typedef struct pop3_posix {
    pop3_link_t link;         /* plain/TLS switching, shared with the lwIP port */
    int fd;
    bool connecting;
    struct addrinfo *ai_list; /* getaddrinfo() result while connecting; freed once connected */
    struct addrinfo *ai_next; /* next address to try if the current connect fails */
    uint8_t rx[POP3_POSIX_RX_BUF_LEN];
    size_t rx_off;
    size_t rx_len;
    char net_error[96];       /* why the network side failed, for people */
    bool tcp_up;              /* this connection's TCP connect completed (pop3_posix_connected()) */
    uint32_t tcp_up_ms;       /* pop3_posix_now_ms() when it did */
    uint8_t first[POP3_POSIX_FIRST_LEN]; /* its first octets as received (pop3_posix_first_octets()) */
    size_t first_len;
} pop3_posix_t;

/**
 * Prepare a port. @p tls_cfg and @p tls are both NULL (plaintext only) or both
 * set; they must outlive the port. @p tls is initialised here (pop3_tls_init())
 * and set up on first use (start_tls).
 * @return POP3_OK or POP3_ERR_BAD_ARG.
 */
pop3_status_t pop3_posix_init(pop3_posix_t *p, const pop3_tls_config_t *tls_cfg, pop3_tls_t *tls);

/** The transport to put into pop3_config_t before pop3_init(). */
pop3_transport_t pop3_posix_transport(pop3_posix_t *p);

/**
 * Resolve @p host (getaddrinfo, blocking, IPv4 and IPv6) and start a
 * non-blocking connect to the first address that accepts it; calls pop3_start().
 * @return POP3_OK or POP3_ERR_TRANSPORT (resolution/socket failure).
 */
pop3_status_t pop3_posix_connect(pop3_posix_t *p, pop3_client_t *c, const char *host, uint16_t port);

/**
 * One round: poll() up to @p max_wait_ms, move bytes, call pop3_tick().
 * @return POP3_OK while the session runs, POP3_ERR_CLOSED once it is closed.
 */
pop3_status_t pop3_posix_poll(pop3_posix_t *p, int max_wait_ms);

/** Poll until the session is closed; returns pop3_session_status(). */
pop3_status_t pop3_posix_run(pop3_posix_t *p);

/**
 * End a session that still runs with pop3_abort() (pending commands end with
 * POP3_ERR_ABORTED), close the socket, free TLS state. pop3_posix_tls_error()
 * still answers afterwards.
 */
void pop3_posix_cleanup(pop3_posix_t *p);

/** Why TLS failed, if it did (empty string otherwise). */
const char *pop3_posix_tls_error(const pop3_posix_t *p);

/**
 * Why the connection failed or ended, if the network said so (e.g.
 * "connect: Connection refused", "resolve mail.example: Name or service not
 * known", "connection closed by the server"); empty string otherwise.
 */
const char *pop3_posix_net_error(const pop3_posix_t *p);

/**
 * Whether the TCP connection of this port's session was established, and when.
 * Stays true after the connection ends; false again after pop3_posix_init().
 * For diagnostics such as "connected, but no greeting came".
 * @param at_ms  if not NULL and the result is true: pop3_posix_now_ms() at the
 *               moment the connect completed.
 * @return true once the connect completed (already so when the core hears of it).
 */
bool pop3_posix_connected(const pop3_posix_t *p, uint32_t *at_ms);

/**
 * The first octets the server sent on this port's connection, exactly as they
 * came off the socket: under implicit TLS, the raw octets the TLS layer then
 * consumed (a record header, or the "+OK" of a plaintext server). The port
 * records up to POP3_POSIX_FIRST_LEN octets in its own read path (no extra
 * system call, no MSG_PEEK, nothing allocated); later octets are not recorded.
 * The record stays after the connection ends and is cleared by
 * pop3_posix_init(). It lets a tool tell "this port speaks TLS from the first
 * byte" (0x15-0x17 0x03) from "this port speaks plaintext POP3" ("+OK").
 *
 * An octet is recorded when the port reads it, which is before the core or
 * TLS sees it, so within a callback fired by that input the record already
 * holds it.
 *
 * The lwIP port does not offer this (yet); it could, by copying from the
 * pbuf in its recv callback before handing it to the link.
 *
 * @param out  where to copy them (may be NULL when @p max is 0).
 * @param max  room in @p out.
 * @return the number of octets copied: the octets recorded so far, at most
 *         @p max; 0 if nothing arrived (or @p p is NULL).
 */
size_t pop3_posix_first_octets(const pop3_posix_t *p, uint8_t *out, size_t max);

/**
 * The connection's socket, for an application that waits on it together with
 * its own descriptors (e.g. a terminal) in its own poll(). Only to wait for
 * POLLIN: reading, writing or closing it is the port's job, so after poll()
 * returns call pop3_posix_poll(p, 0). Data that TLS already holds decrypted
 * does not show on the socket, so wait no longer than POP3_POSIX_TICK_MS.
 * @return the descriptor, or -1 while there is none (before the connect,
 *         after the close).
 */
int pop3_posix_fd(const pop3_posix_t *p);

/** Monotonic milliseconds (CLOCK_MONOTONIC), for pop3_start()/pop3_tick(). */
uint32_t pop3_posix_now_ms(void);

#ifdef __cplusplus
}
#endif

#endif /* POP3_POSIX_H */
