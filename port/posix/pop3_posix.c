/**
 * @file pop3_posix.c
 * @brief POSIX port: non-blocking sockets and a poll() loop (see pop3_posix.h).
 *
 * The port only moves bytes and events; the link (port/mbedtls/pop3_link.h)
 * switches between plain and TLS and talks to the core. Received bytes wait in
 * p->rx until the link takes them, so a paused application simply stops the
 * port from reading the socket.
 */
#include "pop3_posix.h"

#include <arpa/inet.h>
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

/* ---- the raw connection under the link (pop3_link_ops_t) ------------------------ */

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

/** shutdown() + close() either way: the kernel ends the stream in order. */
static void posix_raw_close(void *ctx, bool graceful)
{
    pop3_posix_t *p = ctx;

    (void)graceful;
    posix_close_fd(p);
    posix_free_addrs(p);
    p->connecting = false;
    p->rx_off = 0;
    p->rx_len = 0;
}

static const uint8_t *posix_rx_peek(void *ctx, size_t *len)
{
    pop3_posix_t *p = ctx;

    *len = p->rx_len - p->rx_off;
    return p->rx + p->rx_off;
}

static void posix_rx_take(void *ctx, size_t n)
{
    pop3_posix_t *p = ctx;

    p->rx_off += n;
    if (p->rx_off == p->rx_len) {
        p->rx_off = 0;
        p->rx_len = 0;
    }
}

static void posix_parse_ip(const char *host, pop3_tls_ip_t *ip)
{
    char buf[INET6_ADDRSTRLEN];
    size_t n = strcspn(host, "%"); /* an IPv6 zone ("%eth0") is no part of the address */

    ip->len = 0;
    if (inet_pton(AF_INET, host, ip->octets) == 1) {
        ip->len = 4;
    } else if (n < sizeof buf) {
        memcpy(buf, host, n);
        buf[n] = '\0';
        if (inet_pton(AF_INET6, buf, ip->octets) == 1) {
            ip->len = 16;
        }
    }
}

static const pop3_link_ops_t posix_ops = {
    posix_raw_send, posix_raw_close, posix_rx_peek, posix_rx_take, posix_parse_ip
};

/* ---- public set-up --------------------------------------------------------- */

pop3_status_t pop3_posix_init(pop3_posix_t *p, const pop3_tls_config_t *tls_cfg, pop3_tls_t *tls)
{
    if (p == NULL) {
        return POP3_ERR_BAD_ARG;
    }
    memset(p, 0, sizeof *p);
    p->fd = -1;
    return pop3_link_init(&p->link, &posix_ops, p, tls_cfg, tls);
}

pop3_transport_t pop3_posix_transport(pop3_posix_t *p)
{
    return pop3_link_transport(&p->link);
}

/** Resolution or socket failure after pop3_start(): the session ends with it. */
static pop3_status_t posix_connect_failed(pop3_posix_t *p)
{
    pop3_link_fail(&p->link, POP3_ERR_TRANSPORT);
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
    if (p->fd >= 0) {
        return POP3_ERR_STATE;
    }
    p->tcp_up = false; /* a record is about one connection (pop3_posix_init() cleared it too) */
    p->first_len = 0;
    st = pop3_link_start(&p->link, c, pop3_posix_now_ms());
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
            pop3_link_fail(&p->link, POP3_ERR_TRANSPORT);
        }
        return;
    }
    p->connecting = false;
    posix_free_addrs(p);
    p->tcp_up = true;
    p->tcp_up_ms = pop3_posix_now_ms();
    pop3_link_connected(&p->link);
}

/** The connection's first octets, as received: before the link hands them to TLS or the core. */
static void posix_record_first(pop3_posix_t *p, const uint8_t *data, size_t len)
{
    size_t room = sizeof p->first - p->first_len;

    if (len > room) {
        len = room;
    }
    memcpy(p->first + p->first_len, data, len);
    p->first_len += len;
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
        posix_record_first(p, p->rx + p->rx_len, (size_t)n);
        p->rx_len += (size_t)n;
    } else if (n == 0) {
        pop3_link_eof(&p->link); /* deliver what we have first */
        posix_set_net_error(p, "connection", "closed by the server");
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        pop3_link_eof(&p->link);
        posix_set_net_error(p, "recv", strerror(errno));
    }
    pop3_link_deliver(&p->link);
}

static short posix_events(const pop3_posix_t *p)
{
    short ev = 0;

    if (p->link.closed || p->fd < 0) {
        return 0;
    }
    if (p->connecting) {
        return POLLOUT;
    }
    if (!p->link.eof && !pop3_is_paused(p->link.client) && p->rx_len < sizeof p->rx) {
        ev |= POLLIN;
    }
    if (pop3_link_wants_write(&p->link)) {
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
    if ((revents & (POLLOUT | POLLERR)) != 0) {
        pop3_link_writable(&p->link);
    }
}

pop3_status_t pop3_posix_poll(pop3_posix_t *p, int max_wait_ms)
{
    struct pollfd pfd;
    pop3_client_t *c;

    if (p == NULL || p->link.client == NULL) {
        return POP3_ERR_BAD_ARG;
    }
    c = p->link.client;
    if (p->link.wake && !p->connecting) {
        pop3_link_service(&p->link); /* what the core asked for through wake() */
    }
    /* Leftover input (TLS blocked on a write, or a resume) gets another try. */
    if (p->rx_off < p->rx_len || p->link.eof) {
        pop3_link_deliver(&p->link);
    }
    if (!p->link.closed) {
        pfd.events = posix_events(p);
        /* No events (paused, nothing to send): poll() only sleeps; a hung-up socket must not spin. */
        pfd.fd = (pfd.events != 0) ? p->fd : -1;
        pfd.revents = 0;
        if (poll(&pfd, 1, (p->link.wake && !p->connecting) ? 0 : max_wait_ms) > 0 && pfd.fd >= 0) {
            posix_handle(p, pfd.revents);
        }
    }
    pop3_tick(c, pop3_posix_now_ms());
    return (p->link.closed || pop3_state(c) == POP3_STATE_CLOSED) ? POP3_ERR_CLOSED : POP3_OK;
}

pop3_status_t pop3_posix_run(pop3_posix_t *p)
{
    if (p == NULL || p->link.client == NULL) {
        return POP3_ERR_BAD_ARG;
    }
    while (pop3_posix_poll(p, (int)POP3_POSIX_TICK_MS) == POP3_OK) {
    }
    return pop3_session_status(p->link.client);
}

void pop3_posix_cleanup(pop3_posix_t *p)
{
    if (p == NULL) {
        return;
    }
    pop3_link_cleanup(&p->link); /* aborts a running session, frees TLS; closes through posix_raw_close */
    posix_raw_close(p, false);
}

const char *pop3_posix_tls_error(const pop3_posix_t *p)
{
    return p == NULL ? "" : pop3_link_tls_error(&p->link);
}

const char *pop3_posix_net_error(const pop3_posix_t *p)
{
    return p == NULL ? "" : p->net_error;
}

bool pop3_posix_connected(const pop3_posix_t *p, uint32_t *at_ms)
{
    if (p == NULL || !p->tcp_up) {
        return false;
    }
    if (at_ms != NULL) {
        *at_ms = p->tcp_up_ms;
    }
    return true;
}

int pop3_posix_fd(const pop3_posix_t *p)
{
    return p == NULL ? -1 : p->fd;
}

size_t pop3_posix_first_octets(const pop3_posix_t *p, uint8_t *out, size_t max)
{
    size_t n;

    if (p == NULL || out == NULL) {
        return 0;
    }
    n = p->first_len < max ? p->first_len : max;
    memcpy(out, p->first, n);
    return n;
}
