/**
 * @file pop3_posix.c
 * @brief POSIX port: non-blocking sockets and a poll() loop (see pop3_posix.h).
 *
 * The port only moves bytes and events; the core does the protocol. Received
 * bytes wait in p->rx until the core (or the TLS adapter) takes them, so a
 * paused application simply stops the port from reading the socket.
 */
#include "pop3_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* then SO_NOSIGPIPE (BSD) below keeps SIGPIPE away */
#endif

uint32_t pop3_posix_now_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        return 0;
    }
    /* Wraps every ~49 days; the core compares times modulo 2^32. */
    return (uint32_t)((uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U);
}

/* ---- socket helpers ------------------------------------------------------ */

/** Keeps the first reason only: later errors are usually consequences. */
static void posix_set_net_error(pop3_posix_t *p, const char *what, const char *why)
{
    if (p->net_error[0] == '\0') {
        (void)snprintf(p->net_error, sizeof p->net_error, "%s: %s", what, why);
    }
}

static void posix_close_fd(pop3_posix_t *p)
{
    if (p->fd >= 0) {
        (void)shutdown(p->fd, SHUT_WR);
        (void)close(p->fd);
        p->fd = -1;
    }
}

static void posix_free_addrs(pop3_posix_t *p)
{
    if (p->ai_list != NULL) {
        freeaddrinfo(p->ai_list);
    }
    p->ai_list = NULL;
    p->ai_next = NULL;
}

static int posix_socket_for(const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    int fl;

    if (fd < 0) {
        return -1;
    }
    fl = fcntl(fd, F_GETFL, 0);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        (void)close(fd);
        return -1;
    }
#ifdef SO_NOSIGPIPE
    {
        int one = 1;
        (void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
    }
#endif
    return fd;
}

/** Start a non-blocking connect to the next address that takes one. */
static pop3_status_t posix_try_next_addr(pop3_posix_t *p)
{
    while (p->ai_next != NULL) {
        const struct addrinfo *ai = p->ai_next;
        int fd;

        p->ai_next = ai->ai_next;
        fd = posix_socket_for(ai);
        if (fd < 0) {
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS ||
            errno == EINTR) {
            /* Even an immediate success is reported from the loop (POLLOUT). */
            p->fd = fd;
            p->connecting = true;
            p->net_error[0] = '\0'; /* an earlier address's failure no longer matters */
            return POP3_OK;
        }
        posix_set_net_error(p, "connect", strerror(errno));
        (void)close(fd);
    }
    posix_free_addrs(p);
    return POP3_ERR_TRANSPORT;
}

/* ---- transport callbacks (called by the core) ----------------------------- */

/** Plain socket send: also the TLS adapter's lower transport. */
static long posix_raw_send(void *ctx, const uint8_t *data, size_t len)
{
    pop3_posix_t *p = ctx;
    ssize_t n;

    if (p->fd < 0 || p->connecting) {
        return p->fd < 0 ? -1 : 0;
    }
    if (len > (size_t)LONG_MAX) {
        len = (size_t)LONG_MAX;
    }
    n = send(p->fd, data, len, MSG_NOSIGNAL);
    if (n >= 0) {
        return (long)n;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        return 0;
    }
    posix_set_net_error(p, "send", strerror(errno));
    return -1;
}

static long posix_send(void *ctx, const uint8_t *data, size_t len)
{
    pop3_posix_t *p = ctx;

    if (p->closed) {
        return -1;
    }
    return p->tls_on ? pop3_tls_send(p->tls, data, len) : posix_raw_send(p, data, len);
}

static void posix_note_tls_error(pop3_posix_t *p)
{
    (void)snprintf(p->tls_error, sizeof p->tls_error, "%s", pop3_tls_error_str(p->tls));
}

static int posix_start_tls(void *ctx)
{
    pop3_posix_t *p = ctx;

    if (p->tls == NULL || p->tls_cfg == NULL || p->tls_on || p->closed) {
        return -1;
    }
    if (!p->tls_ready) {
        if (pop3_tls_init(p->tls, p->tls_cfg, posix_raw_send, p) != POP3_OK) {
            posix_note_tls_error(p);
            return -1;
        }
        p->tls_ready = true;
    }
    if (pop3_tls_start(p->tls, p->client) != POP3_OK) {
        posix_note_tls_error(p);
        return -1;
    }
    p->tls_on = true;
    return 0;
}

static void posix_close(void *ctx)
{
    pop3_posix_t *p = ctx;

    if (p->closed) {
        return;
    }
    p->closed = true;
    if (p->tls_on) {
        pop3_tls_close_notify(p->tls);
    }
    posix_close_fd(p);
    posix_free_addrs(p);
}

/** Never calls the core: the loop acts on the flag (pop3.h contract). */
static void posix_wake(void *ctx)
{
    pop3_posix_t *p = ctx;

    p->wake = true;
}

/* ---- public set-up --------------------------------------------------------- */

pop3_status_t pop3_posix_init(pop3_posix_t *p, const pop3_tls_config_t *tls_cfg, pop3_tls_t *tls)
{
    if (p == NULL || ((tls_cfg == NULL) != (tls == NULL))) {
        return POP3_ERR_BAD_ARG;
    }
    memset(p, 0, sizeof *p);
    p->fd = -1;
    p->tls = tls;
    p->tls_cfg = tls_cfg;
    return POP3_OK;
}

pop3_transport_t pop3_posix_transport(pop3_posix_t *p)
{
    pop3_transport_t tr;

    tr.ctx = p;
    tr.send = posix_send;
    tr.start_tls = posix_start_tls;
    tr.close = posix_close;
    tr.wake = posix_wake;
    return tr;
}

/** Resolution or socket failure after pop3_start(): the session ends with it. */
static pop3_status_t posix_connect_failed(pop3_posix_t *p)
{
    posix_free_addrs(p);
    if (!p->closed) {
        pop3_on_closed(p->client, POP3_ERR_TRANSPORT);
        p->closed = true;
    }
    return POP3_ERR_TRANSPORT;
}

pop3_status_t pop3_posix_connect(pop3_posix_t *p, pop3_client_t *c, const char *host, uint16_t port)
{
    struct addrinfo hints;
    char service[8];
    pop3_status_t st;

    if (p == NULL || c == NULL || host == NULL || port == 0U) {
        return POP3_ERR_BAD_ARG;
    }
    if (p->fd >= 0 || p->client != NULL) {
        return POP3_ERR_STATE;
    }
    p->client = c;
    st = pop3_start(c, pop3_posix_now_ms());
    if (st != POP3_OK) {
        return st;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    (void)snprintf(service, sizeof service, "%u", (unsigned int)port);
    {
        int rc = getaddrinfo(host, service, &hints, &p->ai_list);
        if (rc != 0) {
            p->ai_list = NULL;
            posix_set_net_error(p, "resolve", gai_strerror(rc));
            return posix_connect_failed(p);
        }
    }
    p->ai_next = p->ai_list;
    if (posix_try_next_addr(p) != POP3_OK) {
        return posix_connect_failed(p);
    }
    return POP3_OK;
}

/* ---- the loop ---------------------------------------------------------------- */

/** The port saw the connection end: tell the core once and drop the socket. */
static void posix_fail(pop3_posix_t *p, pop3_status_t status)
{
    if (p->closed) {
        return;
    }
    pop3_on_closed(p->client, status);
    posix_close(p);
}

/** POLLOUT while connecting: did it work? If not, try the next address. */
static void posix_finish_connect(pop3_posix_t *p)
{
    int err = 0;
    socklen_t len = sizeof err;

    if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
    }
    if (err == EINPROGRESS || err == EALREADY) {
        return;
    }
    if (err != 0) {
        p->net_error[0] = '\0';
        posix_set_net_error(p, "connect", strerror(err));
        posix_close_fd(p);
        p->connecting = false;
        if (posix_try_next_addr(p) != POP3_OK) {
            posix_fail(p, POP3_ERR_TRANSPORT);
        }
        return;
    }
    p->connecting = false;
    posix_free_addrs(p);
    pop3_on_connected(p->client);
}

/**
 * STLS: bytes still in rx when start_tls happened were sent in plaintext
 * after "+OK". They must never reach the TLS session (response injection);
 * the core already refuses them, and if it did not close, the port does.
 */
static void posix_drop_pre_tls(pop3_posix_t *p)
{
    bool had = p->rx_off < p->rx_len;

    p->rx_off = 0;
    p->rx_len = 0;
    if (had && !p->closed && pop3_state(p->client) != POP3_STATE_CLOSED) {
        posix_fail(p, POP3_ERR_PROTOCOL);
    }
}

static void posix_deliver_plain(pop3_posix_t *p)
{
    size_t n;

    if (p->rx_off == p->rx_len || pop3_is_paused(p->client)) {
        return;
    }
    n = pop3_on_input(p->client, p->rx + p->rx_off, p->rx_len - p->rx_off);
    p->rx_off += n;
    if (p->tls_on) {
        posix_drop_pre_tls(p);
    }
}

static void posix_deliver_tls(pop3_posix_t *p)
{
    size_t n;

    /* Plaintext held by the adapter or by mbedTLS comes before new ciphertext. */
    pop3_tls_pump(p->tls);
    if (p->closed || p->rx_off == p->rx_len) {
        return;
    }
    n = pop3_tls_feed(p->tls, p->rx + p->rx_off, p->rx_len - p->rx_off);
    p->rx_off += n;
}

/** Hand what is waiting to the core; report EOF once everything went through. */
static void posix_deliver(pop3_posix_t *p)
{
    if (!p->closed && !p->connecting) {
        if (p->tls_on) {
            posix_deliver_tls(p);
        } else {
            posix_deliver_plain(p);
        }
    }
    if (p->rx_off == p->rx_len) {
        p->rx_off = 0;
        p->rx_len = 0;
    }
    if (p->eof && !p->closed && p->rx_len == 0U && !(p->tls_on && pop3_tls_has_pending(p->tls))) {
        posix_fail(p, POP3_ERR_TRANSPORT);
    }
}

static void posix_read(pop3_posix_t *p)
{
    ssize_t n;

    if (p->rx_off > 0U) {
        memmove(p->rx, p->rx + p->rx_off, p->rx_len - p->rx_off);
        p->rx_len -= p->rx_off;
        p->rx_off = 0;
    }
    if (p->rx_len == sizeof p->rx) {
        return;
    }
    n = recv(p->fd, p->rx + p->rx_len, sizeof p->rx - p->rx_len, 0);
    if (n > 0) {
        p->rx_len += (size_t)n;
    } else if (n == 0) {
        p->eof = true; /* deliver what we have first */
        posix_set_net_error(p, "connection", "closed by the server");
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        p->eof = true;
        posix_set_net_error(p, "recv", strerror(errno));
    }
    posix_deliver(p);
}

static void posix_writable(pop3_posix_t *p)
{
    if (p->tls_on) {
        pop3_tls_on_writable(p->tls);
    }
    if (!p->closed && pop3_wants_write(p->client)) {
        pop3_on_writable(p->client);
    }
}

/** Work the core asked for through wake(), done from the loop. */
static void posix_service(pop3_posix_t *p)
{
    if (p->closed || p->connecting || !p->wake) {
        return;
    }
    p->wake = false;
    posix_deliver(p);
    if (!p->closed) {
        pop3_on_writable(p->client);
    }
}

static short posix_events(const pop3_posix_t *p)
{
    short ev = 0;

    if (p->closed || p->fd < 0) {
        return 0;
    }
    if (p->connecting) {
        return POLLOUT;
    }
    if (!p->eof && !pop3_is_paused(p->client) && p->rx_len < sizeof p->rx) {
        ev |= POLLIN;
    }
    /* During the handshake only TLS itself writes (the core's sends return 0). */
    if ((pop3_wants_write(p->client) && pop3_state(p->client) != POP3_STATE_TLS) ||
        (p->tls_on && pop3_tls_wants_write(p->tls))) {
        ev |= POLLOUT;
    }
    return ev;
}

static void posix_handle(pop3_posix_t *p, short revents)
{
    if (p->connecting) {
        if ((revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
            posix_finish_connect(p);
        }
        return;
    }
    if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        posix_read(p);
    }
    if (!p->closed && (revents & (POLLOUT | POLLERR)) != 0) {
        posix_writable(p);
    }
}

pop3_status_t pop3_posix_poll(pop3_posix_t *p, int max_wait_ms)
{
    struct pollfd pfd;

    if (p == NULL || p->client == NULL) {
        return POP3_ERR_BAD_ARG;
    }
    posix_service(p);
    /* Leftover input (TLS blocked on a write, or a resume) gets another try. */
    if (p->rx_off < p->rx_len || p->eof) {
        posix_deliver(p);
    }
    if (!p->closed) {
        pfd.events = posix_events(p);
        /* No events (paused, nothing to send): poll() only sleeps; a hung-up socket must not spin. */
        pfd.fd = (pfd.events != 0) ? p->fd : -1;
        pfd.revents = 0;
        if (poll(&pfd, 1, (p->wake && !p->connecting) ? 0 : max_wait_ms) > 0 && pfd.fd >= 0) {
            posix_handle(p, pfd.revents);
        }
    }
    if (!p->closed && pop3_state(p->client) == POP3_STATE_CLOSED) {
        posix_close(p); /* the core (or the TLS adapter) ended it without close() */
    }
    pop3_tick(p->client, pop3_posix_now_ms());
    return (p->closed || pop3_state(p->client) == POP3_STATE_CLOSED) ? POP3_ERR_CLOSED : POP3_OK;
}

pop3_status_t pop3_posix_run(pop3_posix_t *p)
{
    if (p == NULL || p->client == NULL) {
        return POP3_ERR_BAD_ARG;
    }
    while (pop3_posix_poll(p, (int)POP3_POSIX_TICK_MS) == POP3_OK) {
    }
    return pop3_session_status(p->client);
}

void pop3_posix_cleanup(pop3_posix_t *p)
{
    if (p == NULL) {
        return;
    }
    p->closed = true;
    posix_close_fd(p);
    posix_free_addrs(p);
    if (p->tls_ready) {
        posix_note_tls_error(p);
        pop3_tls_free(p->tls);
        p->tls_ready = false;
    }
    p->tls_on = false;
    p->rx_off = 0;
    p->rx_len = 0;
}

const char *pop3_posix_tls_error(const pop3_posix_t *p)
{
    if (p == NULL) {
        return "";
    }
    return p->tls_ready ? pop3_tls_error_str(p->tls) : p->tls_error;
}

const char *pop3_posix_net_error(const pop3_posix_t *p)
{
    return p == NULL ? "" : p->net_error;
}
