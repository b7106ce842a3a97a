/**
 * @file pop3_lwip.c
 * @brief lwIP port: altcp raw-API callbacks drive the core (see pop3_lwip.h).
 *
 * Receive: pbufs are kept in p->rx until the core (or the TLS adapter) takes
 * their bytes; only consumed octets are acknowledged with altcp_recved(), so
 * a paused application closes the TCP window. Send: altcp_write() within
 * altcp_sndbuf(); "no room" and ERR_MEM are would-block (0) and retried from
 * the sent and poll callbacks. Closing: the core's close() closes gracefully
 * after a normal end (QUIT) and aborts after a failure; the err callback means
 * lwIP already freed the pcb.
 *
 * Re-entrancy: the core calls send/start_tls/close from inside pop3_on_input()
 * and friends, i.e. from inside our lwIP callbacks. Every loop therefore
 * re-checks p->closed after each call into the core, and a pcb aborted inside
 * one of its own callbacks makes that callback return ERR_ABRT.
 */
#include "pop3_lwip.h"

#include <string.h>

#include "lwip/tcp.h"
#if LWIP_ALTCP
#include "lwip/altcp_tcp.h"
#endif
#if LWIP_DNS
#include "lwip/dns.h"
#endif
#include "lwip/sys.h"

/* ---- small helpers ------------------------------------------------------- */

static void lw_copy_text(char *dst, size_t dst_len, const char *a, const char *b)
{
    size_t n = 0;
    const char *s;

    for (s = a; s != NULL && *s != '\0' && n + 1U < dst_len; s++) {
        dst[n++] = *s;
    }
    for (s = b; s != NULL && *s != '\0' && n + 1U < dst_len; s++) {
        dst[n++] = *s;
    }
    if (dst_len > 0U) {
        dst[n] = '\0';
    }
}

/** Keeps the first reason only: later errors are usually consequences. */
static void lw_set_net_error(pop3_lwip_t *p, const char *what, const char *why)
{
    if (p->net_error[0] == '\0') {
        lw_copy_text(p->net_error, sizeof p->net_error, what, why);
    }
}

static const char *lw_err_text(err_t err)
{
    switch (err) {
    case ERR_RST:
        return "connection reset";
    case ERR_ABRT:
        return "connection aborted (timeout or no memory)";
    case ERR_CLSD:
        return "connection closed";
    case ERR_TIMEOUT:
        return "timeout";
    case ERR_MEM:
        return "out of memory";
    case ERR_RTE:
        return "no route";
    case ERR_CONN:
        return "not connected";
    default:
        return "error";
    }
}

/** Acknowledge @p n octets to TCP (re-opens the window by that much). */
static void lw_ack(pop3_lwip_t *p, size_t n)
{
    while (n > 0U && p->pcb != NULL) {
        u16_t step = (u16_t)(n > 0xFFFFU ? 0xFFFFU : n);
        altcp_recved(p->pcb, step);
        n -= step;
    }
}

/** Drop every held pbuf (not acknowledged: the caller decides). */
static void lw_free_rx(pop3_lwip_t *p)
{
    if (p->rx != NULL) {
        (void)pbuf_free(p->rx);
    }
    p->rx = NULL;
    p->rx_off = 0;
    p->rx_len = 0;
}

/** @p n octets of the head pbuf were taken: acknowledge them, free what is done. */
static void lw_consume(pop3_lwip_t *p, size_t n)
{
    struct pbuf *head = p->rx;

    lw_ack(p, n);
    p->rx_off = (u16_t)(p->rx_off + n);
    p->rx_len -= n;
    if (p->rx_off >= head->len) {
        struct pbuf *next = head->next;

        /* Unlink the head: the chain's reference to next becomes ours. */
        head->next = NULL;
        head->tot_len = head->len;
        (void)pbuf_free(head);
        p->rx = next;
        p->rx_off = 0;
    }
}

static void lw_detach(struct altcp_pcb *pcb)
{
    altcp_arg(pcb, NULL);
    altcp_recv(pcb, NULL);
    altcp_sent(pcb, NULL);
    altcp_err(pcb, NULL);
    altcp_poll(pcb, NULL, 0);
}

/**
 * Let go of the pcb: close gracefully (held input acknowledged first, so no
 * RST for unread data), or abort. altcp_close() failing (ERR_MEM) falls back
 * to altcp_abort(), so a pcb never leaks.
 */
static void lw_drop_pcb(pop3_lwip_t *p, bool graceful)
{
    struct altcp_pcb *pcb = p->pcb;

    if (graceful) {
        lw_ack(p, p->rx_len);
    }
    lw_free_rx(p);
    if (pcb == NULL) {
        return;
    }
    p->pcb = NULL;
    p->connecting = false;
    lw_detach(pcb);
    if (graceful && altcp_close(pcb) == ERR_OK) {
        return;
    }
    altcp_abort(pcb);
    if (p->in_cb) {
        p->aborted_in_cb = true;
    }
}

/** The port saw the connection fail or end: tell the core once, drop the pcb. */
static void lw_fail(pop3_lwip_t *p, pop3_status_t status, bool graceful)
{
    if (!p->closed) {
        p->closed = true;
        pop3_on_closed(p->client, status);
    }
    lw_drop_pcb(p, graceful);
}

/* ---- transport callbacks (called by the core) ------------------------------ */

/** Plain altcp send: also the TLS adapter's lower transport. */
static long lw_raw_send(void *ctx, const uint8_t *data, size_t len)
{
    pop3_lwip_t *p = ctx;
    size_t n;
    err_t err;

    if (p->pcb == NULL) {
        return -1;
    }
    if (p->connecting || len == 0U) {
        return 0;
    }
    n = altcp_sndbuf(p->pcb);
    if (n > len) {
        n = len;
    }
    if (n == 0U) {
        return 0; /* sent callback (or poll) retries */
    }
    if (n > 0xFFFFU) {
        n = 0xFFFFU;
    }
    err = altcp_write(p->pcb, data, (u16_t)n, TCP_WRITE_FLAG_COPY);
    while (err == ERR_MEM && n > 128U) {
        n /= 2U; /* the heap may still fit a smaller piece */
        err = altcp_write(p->pcb, data, (u16_t)n, TCP_WRITE_FLAG_COPY);
    }
    if (err == ERR_MEM) {
        return 0; /* out of segments/pbufs: would-block, retried from sent/poll */
    }
    if (err != ERR_OK) {
        p->last_err = err;
        lw_set_net_error(p, "send: ", lw_err_text(err));
        return -1;
    }
    (void)altcp_output(p->pcb); /* ERR_MEM here is retried by lwIP's own timers */
    return (long)n;
}

static long lw_send(void *ctx, const uint8_t *data, size_t len)
{
    pop3_lwip_t *p = ctx;

    if (p->closed || p->pcb == NULL) {
        return -1;
    }
    return p->tls_on ? pop3_tls_send(p->tls, data, len) : lw_raw_send(p, data, len);
}

static void lw_note_tls_error(pop3_lwip_t *p)
{
    lw_copy_text(p->tls_error, sizeof p->tls_error, pop3_tls_error_str(p->tls), NULL);
}

static int lw_start_tls(void *ctx)
{
    pop3_lwip_t *p = ctx;

    if (p->tls == NULL || p->tls_cfg == NULL || p->tls_on || p->closed || p->pcb == NULL) {
        return -1;
    }
    if (!p->tls_ready) {
        if (pop3_tls_init(p->tls, p->tls_cfg, lw_raw_send, p) != POP3_OK) {
            lw_note_tls_error(p);
            return -1;
        }
        p->tls_ready = true;
    }
    if (pop3_tls_start(p->tls, p->client) != POP3_OK) {
        lw_note_tls_error(p);
        return -1;
    }
    p->tls_on = true;
    return 0;
}

/** The core is done: graceful close after a normal end (QUIT), abort after a failure. */
static void lw_close(void *ctx)
{
    pop3_lwip_t *p = ctx;
    bool graceful = pop3_session_status(p->client) == POP3_OK;

    p->closed = true;
    if (p->tls_on && graceful && p->pcb != NULL) {
        pop3_tls_close_notify(p->tls);
    }
    lw_drop_pcb(p, graceful);
}

/** Never calls the core (pop3.h contract): service/poll act on the flag. */
static void lw_wake(void *ctx)
{
    pop3_lwip_t *p = ctx;

    p->wake = true;
}

/* ---- delivering input -------------------------------------------------------- */

/**
 * STLS: bytes still held when start_tls happened were sent in plaintext after
 * "+OK". They must never reach the TLS session (response injection); if the
 * core did not already close for them, the port does.
 */
static void lw_drop_pre_tls(pop3_lwip_t *p)
{
    if (p->rx_len == 0U) {
        lw_free_rx(p);
        return;
    }
    lw_set_net_error(p, "stls: ", "plaintext after +OK");
    lw_fail(p, POP3_ERR_PROTOCOL, false);
}

static void lw_deliver_plain(pop3_lwip_t *p)
{
    while (p->rx != NULL && !p->closed && !p->tls_on && !pop3_is_paused(p->client)) {
        size_t avail = (size_t)p->rx->len - p->rx_off;
        size_t n = 0;

        if (avail > 0U) {
            n = pop3_on_input(p->client, (const uint8_t *)p->rx->payload + p->rx_off, avail);
        }
        if (p->closed) {
            return; /* the core closed: rx is already freed */
        }
        lw_consume(p, n);
        if (n < avail) {
            break;
        }
    }
    if (p->tls_on && !p->closed) {
        lw_drop_pre_tls(p);
    }
}

static void lw_deliver_tls(pop3_lwip_t *p)
{
    /* Plaintext held by the adapter comes before new ciphertext. */
    pop3_tls_pump(p->tls);
    while (p->rx != NULL && !p->closed) {
        size_t avail = (size_t)p->rx->len - p->rx_off;
        size_t n = 0;

        if (avail > 0U) {
            n = pop3_tls_feed(p->tls, (const uint8_t *)p->rx->payload + p->rx_off, avail);
        }
        if (p->closed) {
            return;
        }
        lw_consume(p, n);
        if (n < avail) {
            break;
        }
    }
}

/** The core (or the TLS adapter) ended the session without close(): drop the pcb. */
static void lw_sync_closed(pop3_lwip_t *p)
{
    if (!p->closed && p->client != NULL && pop3_state(p->client) == POP3_STATE_CLOSED) {
        p->closed = true;
        lw_drop_pcb(p, pop3_session_status(p->client) == POP3_OK);
    }
}

/** Hand what is held to the core; report the peer's close once everything went through. */
static void lw_deliver(pop3_lwip_t *p)
{
    if (p->closed || p->connecting || p->client == NULL) {
        return;
    }
    if (p->tls_on) {
        lw_deliver_tls(p);
    } else {
        lw_deliver_plain(p);
    }
    lw_sync_closed(p);
    if (p->eof && !p->closed && p->rx_len == 0U && !(p->tls_on && pop3_tls_has_pending(p->tls))) {
        lw_fail(p, POP3_ERR_TRANSPORT, true);
    }
}

static void lw_writable(pop3_lwip_t *p)
{
    if (p->closed || p->connecting || p->pcb == NULL) {
        return;
    }
    if (p->tls_on) {
        pop3_tls_on_writable(p->tls);
    }
    if (!p->closed && pop3_wants_write(p->client)) {
        pop3_on_writable(p->client);
    }
    lw_sync_closed(p);
}

/** Everything that may be waiting: sends to retry, input to re-feed. */
static void lw_kick(pop3_lwip_t *p)
{
    p->wake = false;
    lw_writable(p);
    lw_deliver(p);
}

/* ---- lwIP callbacks ------------------------------------------------------------ */

static void lw_enter(pop3_lwip_t *p)
{
    p->in_cb = true;
    p->aborted_in_cb = false;
}

static err_t lw_leave(pop3_lwip_t *p)
{
    bool aborted = p->aborted_in_cb;

    p->in_cb = false;
    p->aborted_in_cb = false;
    return aborted ? ERR_ABRT : ERR_OK;
}

static err_t lw_recv(void *arg, struct altcp_pcb *pcb, struct pbuf *pb, err_t err)
{
    pop3_lwip_t *p = arg;

    if (p == NULL || p->pcb != pcb) {
        /* Not ours any more (cannot happen after lw_detach; be safe). */
        if (pb != NULL) {
            altcp_recved(pcb, pb->tot_len);
            (void)pbuf_free(pb);
        }
        return ERR_OK;
    }
    lw_enter(p);
    if (pb == NULL) {
        p->eof = true;
        lw_set_net_error(p, "connection ", "closed by the server");
    } else if (err != ERR_OK) {
        altcp_recved(pcb, pb->tot_len); /* lwIP never does this today: drop, keep the window */
        (void)pbuf_free(pb);
    } else {
        size_t n = 0;
        const struct pbuf *q;

        for (q = pb; q != NULL; q = q->next) {
            n += q->len; /* tot_len would wrap once chains are concatenated */
        }
        if (p->rx == NULL) {
            p->rx = pb;
            p->rx_off = 0;
        } else {
            pbuf_cat(p->rx, pb);
        }
        p->rx_len += n;
    }
    lw_deliver(p);
    return lw_leave(p);
}

/* cppcheck-suppress constParameter ; the signature is lwIP's */
static err_t lw_sent(void *arg, struct altcp_pcb *pcb, u16_t len)
{
    pop3_lwip_t *p = arg;

    LWIP_UNUSED_ARG(len);
    if (p == NULL || p->pcb != pcb) {
        return ERR_OK;
    }
    lw_enter(p);
    lw_kick(p);
    return lw_leave(p);
}

/* cppcheck-suppress constParameter ; the signature is lwIP's */
static err_t lw_poll(void *arg, struct altcp_pcb *pcb)
{
    pop3_lwip_t *p = arg;

    if (p == NULL || p->pcb != pcb) {
        return ERR_OK;
    }
    lw_enter(p);
    lw_kick(p);
    if (!p->closed) {
        pop3_tick(p->client, sys_now());
        lw_sync_closed(p);
    }
    return lw_leave(p);
}

/** lwIP already freed the pcb: never touch it again. */
static void lw_err(void *arg, err_t err)
{
    pop3_lwip_t *p = arg;

    if (p == NULL) {
        return;
    }
    p->pcb = NULL;
    p->connecting = false;
    p->last_err = err;
    lw_set_net_error(p, "tcp: ", lw_err_text(err));
    lw_free_rx(p);
    if (!p->closed) {
        p->closed = true;
        pop3_on_closed(p->client, POP3_ERR_TRANSPORT);
    }
}

/* cppcheck-suppress constParameter ; the signature is lwIP's */
static err_t lw_connected(void *arg, struct altcp_pcb *pcb, err_t err)
{
    pop3_lwip_t *p = arg;

    if (p == NULL || p->pcb != pcb) {
        return ERR_OK;
    }
    lw_enter(p);
    if (err != ERR_OK) {
        /* lwIP reports failures through the err callback; be safe anyway. */
        lw_set_net_error(p, "connect: ", lw_err_text(err));
        lw_fail(p, POP3_ERR_TRANSPORT, false);
    } else if (!p->closed) {
        p->connecting = false;
        pop3_on_connected(p->client);
        lw_sync_closed(p);
        if (!p->closed && pop3_wants_write(p->client)) {
            pop3_on_writable(p->client);
        }
    }
    return lw_leave(p);
}

/* ---- connecting -------------------------------------------------------------------- */

static pop3_status_t lw_open(pop3_lwip_t *p, const ip_addr_t *addr)
{
    struct altcp_pcb *pcb = altcp_tcp_new_ip_type(IP_GET_TYPE(addr));
    err_t err;

    if (pcb == NULL) {
        lw_set_net_error(p, "tcp: ", "no pcb (MEMP_NUM_TCP_PCB)");
        lw_fail(p, POP3_ERR_TRANSPORT, false);
        return POP3_ERR_TRANSPORT;
    }
    p->pcb = pcb;
    p->connecting = true;
    altcp_arg(pcb, p);
    altcp_recv(pcb, lw_recv);
    altcp_sent(pcb, lw_sent);
    altcp_err(pcb, lw_err);
    altcp_poll(pcb, lw_poll, (u8_t)POP3_LWIP_POLL_INTERVAL);
    err = altcp_connect(pcb, addr, p->port, lw_connected);
    if (err != ERR_OK) {
        p->last_err = err;
        lw_set_net_error(p, "connect: ", lw_err_text(err));
        lw_fail(p, POP3_ERR_TRANSPORT, false);
        return POP3_ERR_TRANSPORT;
    }
    return POP3_OK;
}

static pop3_status_t lw_begin(pop3_lwip_t *p, pop3_client_t *c, u16_t port)
{
    pop3_status_t st;

    if (p->client != NULL || p->started) {
        return POP3_ERR_STATE;
    }
    st = pop3_start(c, sys_now());
    if (st != POP3_OK) {
        return st;
    }
    p->client = c;
    p->started = true;
    p->port = port;
    return POP3_OK;
}

#if LWIP_DNS
static void lw_dns_found(const char *name, const ip_addr_t *addr, void *arg)
{
    pop3_lwip_t *p = arg;

    LWIP_UNUSED_ARG(name);
    p->dns_pending = false;
    if (p->closed) {
        return; /* the session ended (timeout, abort) while the query ran */
    }
    if (addr == NULL) {
        lw_set_net_error(p, "dns: ", "name not resolved");
        lw_fail(p, POP3_ERR_TRANSPORT, false);
        return;
    }
    (void)lw_open(p, addr);
}
#endif

pop3_status_t pop3_lwip_connect_ip(pop3_lwip_t *p, pop3_client_t *c, const ip_addr_t *addr, u16_t port)
{
    ip_addr_t copy;
    pop3_status_t st;

    if (p == NULL || c == NULL || addr == NULL || port == 0U) {
        return POP3_ERR_BAD_ARG;
    }
    ip_addr_copy(copy, *addr);
    st = lw_begin(p, c, port);
    if (st != POP3_OK) {
        return st;
    }
    return lw_open(p, &copy);
}

pop3_status_t pop3_lwip_connect(pop3_lwip_t *p, pop3_client_t *c, const char *host, u16_t port)
{
    ip_addr_t addr;
    size_t len;
    pop3_status_t st;

    if (p == NULL || c == NULL || host == NULL || port == 0U) {
        return POP3_ERR_BAD_ARG;
    }
    len = strlen(host);
    if (len == 0U || len > POP3_LWIP_HOST_MAX_LEN) {
        return POP3_ERR_BAD_ARG;
    }
    if (ipaddr_aton(host, &addr)) {
        return pop3_lwip_connect_ip(p, c, &addr, port);
    }
    st = lw_begin(p, c, port);
    if (st != POP3_OK) {
        return st;
    }
    memcpy(p->host, host, len + 1U);
#if LWIP_DNS
    {
        err_t err;

        p->dns_pending = true;
        err = dns_gethostbyname(p->host, &addr, lw_dns_found, p);
        if (err == ERR_OK) {
            p->dns_pending = false; /* cached or literal: no callback comes */
            return lw_open(p, &addr);
        }
        if (err == ERR_INPROGRESS) {
            return POP3_OK;
        }
        p->dns_pending = false;
        lw_set_net_error(p, "dns: ", lw_err_text(err));
    }
#else
    lw_set_net_error(p, "dns: ", "not available (LWIP_DNS=0)");
#endif
    lw_fail(p, POP3_ERR_TRANSPORT, false);
    return POP3_ERR_TRANSPORT;
}

/* ---- public ------------------------------------------------------------------------ */

pop3_status_t pop3_lwip_init(pop3_lwip_t *p, const pop3_tls_config_t *tls_cfg, pop3_tls_t *tls)
{
    if (p == NULL || ((tls_cfg == NULL) != (tls == NULL))) {
        return POP3_ERR_BAD_ARG;
    }
    memset(p, 0, sizeof *p);
    p->tls = tls;
    p->tls_cfg = tls_cfg;
    p->last_err = ERR_OK;
    return POP3_OK;
}

pop3_transport_t pop3_lwip_transport(pop3_lwip_t *p)
{
    pop3_transport_t tr;

    tr.ctx = p;
    tr.send = lw_send;
    tr.start_tls = lw_start_tls;
    tr.close = lw_close;
    tr.wake = lw_wake;
    return tr;
}

void pop3_lwip_service(pop3_lwip_t *p)
{
    if (p == NULL || p->client == NULL || p->closed) {
        return;
    }
    if (p->wake || p->rx != NULL || p->eof || pop3_wants_write(p->client) ||
        (p->tls_on && (pop3_tls_wants_write(p->tls) || pop3_tls_has_pending(p->tls)))) {
        lw_kick(p);
    }
    if (!p->closed) {
        pop3_tick(p->client, sys_now());
        lw_sync_closed(p);
    }
}

bool pop3_lwip_needs_service(const pop3_lwip_t *p)
{
    return p != NULL && !p->closed && (p->wake || (p->rx != NULL && !pop3_is_paused(p->client)));
}

bool pop3_lwip_is_idle(const pop3_lwip_t *p)
{
    return p == NULL || (p->pcb == NULL && !p->dns_pending && (p->closed || !p->started));
}

void pop3_lwip_cleanup(pop3_lwip_t *p)
{
    if (p == NULL) {
        return;
    }
    if (!p->closed && p->client != NULL && pop3_state(p->client) != POP3_STATE_CLOSED) {
        pop3_abort(p->client); /* pending commands end with POP3_ERR_ABORTED; close() aborts */
    }
    p->closed = true;
    lw_drop_pcb(p, false);
    lw_free_rx(p);
    if (p->tls_ready) {
        lw_note_tls_error(p);
        pop3_tls_free(p->tls);
        p->tls_ready = false;
    }
    p->tls_on = false;
    p->wake = false;
}

const char *pop3_lwip_tls_error(const pop3_lwip_t *p)
{
    if (p == NULL) {
        return "";
    }
    return p->tls_ready ? pop3_tls_error_str(p->tls) : p->tls_error;
}

const char *pop3_lwip_net_error(const pop3_lwip_t *p)
{
    return p == NULL ? "" : p->net_error;
}

size_t pop3_lwip_held(const pop3_lwip_t *p)
{
    return p == NULL ? 0U : p->rx_len;
}
