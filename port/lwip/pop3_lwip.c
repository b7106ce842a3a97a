/**
 * @file pop3_lwip.c
 * @brief lwIP port: altcp raw-API callbacks drive the core (see pop3_lwip.h).
 *
 * The port moves bytes and timers; the link (port/mbedtls/pop3_link.h)
 * switches between plain and TLS and talks to the core.
 *
 * Receive: pbufs are kept in p->rx until the link takes their bytes; only
 * consumed octets are acknowledged with altcp_recved(), so a paused
 * application closes the TCP window. Send: altcp_write() within
 * altcp_sndbuf(); "no room" and ERR_MEM are would-block (0) and retried from
 * the sent and poll callbacks. Closing: the core's close() closes gracefully
 * after a normal end (QUIT) and aborts after a failure; the err callback means
 * lwIP already freed the pcb.
 *
 * Re-entrancy: the core calls send/start_tls/close from inside pop3_on_input()
 * and friends, i.e. from inside our lwIP callbacks (through the link). The
 * link re-checks that the session is open after each call into the core, and
 * a pcb aborted inside one of its own callbacks makes that callback return
 * ERR_ABRT.
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

/* ---- failure texts (POP3_LWIP_ERROR_TEXT) ----------------------------------- */

#if POP3_LWIP_ERROR_TEXT
/** Keeps the first reason only: later errors are usually consequences. */
static void lw_set_net_error(pop3_lwip_t *p, const char *what, const char *why)
{
    size_t n = 0;
    const char *s;

    if (p->net_error[0] != '\0') {
        return;
    }
    for (s = what; *s != '\0' && n + 1U < sizeof p->net_error; s++) {
        p->net_error[n++] = *s;
    }
    for (s = why; *s != '\0' && n + 1U < sizeof p->net_error; s++) {
        p->net_error[n++] = *s;
    }
    p->net_error[n] = '\0';
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
#define LW_NET_ERROR(p, what, why) lw_set_net_error((p), (what), (why))
#else
#define LW_NET_ERROR(p, what, why) ((void)(p))
#endif

/* ---- held input ------------------------------------------------------------- */

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

/* ---- the raw connection under the link (pop3_link_ops_t) --------------------- */

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
        LW_NET_ERROR(p, "send: ", lw_err_text(err));
        return -1;
    }
    (void)altcp_output(p->pcb); /* ERR_MEM here is retried by lwIP's own timers */
    return (long)n;
}

static void lw_raw_close(void *ctx, bool graceful)
{
    lw_drop_pcb(ctx, graceful);
}

static const uint8_t *lw_rx_peek(void *ctx, size_t *len)
{
    pop3_lwip_t *p = ctx;

    while (p->rx != NULL && p->rx_off >= p->rx->len) {
        lw_consume(p, 0); /* an empty or used-up head pbuf */
    }
    *len = p->rx != NULL ? (size_t)p->rx->len - p->rx_off : 0U;
    return p->rx != NULL ? (const uint8_t *)p->rx->payload + p->rx_off : NULL;
}

static void lw_rx_take(void *ctx, size_t n)
{
    pop3_lwip_t *p = ctx;

    if (p->rx != NULL) {
        lw_consume(p, n);
    }
}

/** The host as lwIP reads it (ipaddr_aton()), so the certificate is checked for the address connected to. */
static void lw_parse_ip(const char *host, pop3_tls_ip_t *ip)
{
    ip_addr_t a;

    ip->len = 0;
    if (!ipaddr_aton(host, &a)) {
        return;
    }
#if LWIP_IPV6
    if (IP_IS_V6(&a)) {
        memcpy(ip->octets, ip_2_ip6(&a)->addr, 16);
        ip->len = 16;
        return;
    }
#endif
#if LWIP_IPV4
    memcpy(ip->octets, &ip_2_ip4(&a)->addr, 4);
    ip->len = 4;
#endif
}

static const pop3_link_ops_t lw_ops = {
    lw_raw_send, lw_raw_close, lw_rx_peek, lw_rx_take, lw_parse_ip
};

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
        pop3_link_eof(&p->link);
        LW_NET_ERROR(p, "connection ", "closed by the server");
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
    pop3_link_deliver(&p->link);
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
    pop3_link_service(&p->link);
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
    pop3_link_service(&p->link);
    if (!p->link.closed) {
        pop3_tick(p->link.client, sys_now());
    }
    return lw_leave(p);
}

/** lwIP already freed the pcb: never touch it again. */
static void lw_err(void *arg, err_t err)
{
    pop3_lwip_t *p = arg;

    LWIP_UNUSED_ARG(err);
    if (p == NULL) {
        return;
    }
    p->pcb = NULL;
    p->connecting = false;
    LW_NET_ERROR(p, "tcp: ", lw_err_text(err));
    pop3_link_fail(&p->link, POP3_ERR_TRANSPORT); /* held pbufs go with lw_raw_close() */
    lw_free_rx(p);
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
        LW_NET_ERROR(p, "connect: ", lw_err_text(err));
        pop3_link_fail(&p->link, POP3_ERR_TRANSPORT);
    } else {
        p->connecting = false;
        pop3_link_connected(&p->link);
    }
    return lw_leave(p);
}

/* ---- connecting -------------------------------------------------------------------- */

/** Connecting failed at once: tell the core, drop the pcb. */
static pop3_status_t lw_open_failed(pop3_lwip_t *p)
{
    pop3_link_fail(&p->link, POP3_ERR_TRANSPORT);
    return POP3_ERR_TRANSPORT;
}

static pop3_status_t lw_open(pop3_lwip_t *p, const ip_addr_t *addr)
{
    struct altcp_pcb *pcb = altcp_tcp_new_ip_type(IP_GET_TYPE(addr));
    err_t err;

    if (pcb == NULL) {
        LW_NET_ERROR(p, "tcp: ", "no pcb (MEMP_NUM_TCP_PCB)");
        return lw_open_failed(p);
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
        LW_NET_ERROR(p, "connect: ", lw_err_text(err));
        return lw_open_failed(p);
    }
    return POP3_OK;
}

static pop3_status_t lw_begin(pop3_lwip_t *p, pop3_client_t *c, u16_t port)
{
    pop3_status_t st = pop3_link_start(&p->link, c, sys_now());

    if (st == POP3_OK) {
        p->port = port;
    }
    return st;
}

#if LWIP_DNS
static void lw_dns_found(const char *name, const ip_addr_t *addr, void *arg)
{
    pop3_lwip_t *p = arg;

    LWIP_UNUSED_ARG(name);
    p->dns_pending = false;
    if (p->link.closed) {
        return; /* the session ended (timeout, abort) while the query ran */
    }
    if (addr == NULL) {
        LW_NET_ERROR(p, "dns: ", "name not resolved");
        (void)lw_open_failed(p);
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
#if LWIP_DNS
    {
        /* lwIP copies the name into its query table: host need not outlive the call. */
        err_t err;

        p->dns_pending = true;
        err = dns_gethostbyname(host, &addr, lw_dns_found, p);
        if (err == ERR_OK) {
            p->dns_pending = false; /* cached or literal: no callback comes */
            return lw_open(p, &addr);
        }
        if (err == ERR_INPROGRESS) {
            return POP3_OK;
        }
        p->dns_pending = false;
        LW_NET_ERROR(p, "dns: ", lw_err_text(err));
    }
#else
    LW_NET_ERROR(p, "dns: ", "not available (LWIP_DNS=0)");
#endif
    return lw_open_failed(p);
}

/* ---- public ------------------------------------------------------------------------ */

pop3_status_t pop3_lwip_init(pop3_lwip_t *p, const pop3_tls_config_t *tls_cfg, pop3_tls_t *tls)
{
    if (p == NULL) {
        return POP3_ERR_BAD_ARG;
    }
    memset(p, 0, sizeof *p);
    return pop3_link_init(&p->link, &lw_ops, p, tls_cfg, tls);
}

pop3_transport_t pop3_lwip_transport(pop3_lwip_t *p)
{
    return pop3_link_transport(&p->link);
}

void pop3_lwip_service(pop3_lwip_t *p)
{
    if (p == NULL || p->link.client == NULL || p->link.closed) {
        return;
    }
    if (p->rx != NULL || pop3_link_busy(&p->link)) {
        pop3_link_service(&p->link);
    }
    if (!p->link.closed) {
        pop3_tick(p->link.client, sys_now());
    }
}

bool pop3_lwip_needs_service(const pop3_lwip_t *p)
{
    return p != NULL && !p->link.closed &&
           (p->link.wake || (p->rx != NULL && !pop3_is_paused(p->link.client)));
}

bool pop3_lwip_is_idle(const pop3_lwip_t *p)
{
    return p == NULL || (p->pcb == NULL && !p->dns_pending && (p->link.closed || p->link.client == NULL));
}

void pop3_lwip_cleanup(pop3_lwip_t *p)
{
    if (p == NULL) {
        return;
    }
    /* A running session ends with pop3_abort(): the core's close() aborts the pcb. */
    pop3_link_cleanup(&p->link);
    lw_drop_pcb(p, false);
}

const char *pop3_lwip_tls_error(const pop3_lwip_t *p)
{
    return p == NULL ? "" : pop3_link_tls_error(&p->link);
}

const char *pop3_lwip_net_error(const pop3_lwip_t *p)
{
#if POP3_LWIP_ERROR_TEXT
    return p == NULL ? "" : p->net_error;
#else
    LWIP_UNUSED_ARG(p);
    return "";
#endif
}

size_t pop3_lwip_held(const pop3_lwip_t *p)
{
    return p == NULL ? 0U : p->rx_len;
}
