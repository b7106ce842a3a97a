/* Host harness: lwIP netif <-> libslirp (see slirp_netif.h). Test code: may use malloc. */
#define _POSIX_C_SOURCE 200809L
#ifndef LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS /* <arpa/inet.h> (via libslirp.h) has them */
#endif
#include "slirp_netif.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <slirp/libslirp.h>

#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/init.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

/* ---- clock and randomness for lwIP ----------------------------------------- */

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000U + (uint64_t)ts.tv_nsec;
}

u32_t sys_now(void)
{
    return (u32_t)(mono_ns() / 1000000U);
}

static uint32_t rand_state;

unsigned int pop3_lwip_test_rand(void)
{
    uint32_t x = rand_state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rand_state = x;
    return x;
}

/* ---- frames from slirp, queued: never re-enter lwIP from slirp's callbacks ---- */

typedef struct frame {
    struct frame *next;
    size_t len;
    uint8_t data[];
} frame_t;

static frame_t *q_head, *q_tail;
static unsigned long n_to_host, n_to_guest;

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    frame_t *f = malloc(sizeof *f + len);

    (void)opaque;
    if (f == NULL) {
        return -1;
    }
    f->next = NULL;
    f->len = len;
    memcpy(f->data, buf, len);
    if (q_tail != NULL) {
        q_tail->next = f;
    } else {
        q_head = f;
    }
    q_tail = f;
    return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    (void)opaque;
    fprintf(stderr, "slirp: guest error: %s\n", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
    (void)opaque;
    return (int64_t)mono_ns();
}

/* slirp timers (ms on the clock above); only a handful ever exist. */
#define MAX_TIMERS 16
typedef struct stimer {
    bool used, armed;
    SlirpTimerCb cb;
    void *cb_opaque;
    int64_t expire_ms;
} stimer_t;
static stimer_t timers[MAX_TIMERS];

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    (void)opaque;
    for (int i = 0; i < MAX_TIMERS; i++) {
        if (!timers[i].used) {
            timers[i] = (stimer_t){ .used = true, .cb = cb, .cb_opaque = cb_opaque };
            return &timers[i];
        }
    }
    fprintf(stderr, "slirp: out of timers\n");
    abort();
}

static void cb_timer_free(void *timer, void *opaque)
{
    (void)opaque;
    ((stimer_t *)timer)->used = false;
    ((stimer_t *)timer)->armed = false;
}

static void cb_timer_mod(void *timer, int64_t expire_time, void *opaque)
{
    (void)opaque;
    ((stimer_t *)timer)->expire_ms = expire_time;
    ((stimer_t *)timer)->armed = true;
}

static void cb_register_poll_fd(int fd, void *opaque) { (void)fd; (void)opaque; }
static void cb_unregister_poll_fd(int fd, void *opaque) { (void)fd; (void)opaque; }
static void cb_notify(void *opaque) { (void)opaque; }

static const SlirpCb slirp_cbs = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_unregister_poll_fd,
    .notify = cb_notify,
};

static Slirp *slirp;

/* ---- the link ------------------------------------------------------------------- */

static err_t link_output(struct netif *nif, struct pbuf *p)
{
    uint8_t buf[2048];

    (void)nif;
    if (p->tot_len > sizeof buf) {
        return ERR_IF;
    }
    pbuf_copy_partial(p, buf, p->tot_len, 0);
    n_to_host++;
    slirp_input(slirp, buf, p->tot_len); /* replies are only queued (cb_send_packet) */
    return ERR_OK;
}

err_t slirp_link_netif_init(struct netif *nif)
{
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

    nif->name[0] = 's';
    nif->name[1] = 'l';
    nif->mtu = 1500;
    nif->hwaddr_len = 6;
    memcpy(nif->hwaddr, mac, 6);
    nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
    nif->linkoutput = link_output;
    nif->output = etharp_output;
#if LWIP_IPV6
    nif->output_ip6 = ethip6_output;
#endif
    return ERR_OK;
}

void slirp_link_init(void)
{
    SlirpConfig cfg;

    /* slirp writes to host sockets the server may have closed (as QEMU, ignore SIGPIPE). */
    signal(SIGPIPE, SIG_IGN);
    memset(&cfg, 0, sizeof cfg);
    cfg.version = 4;
    cfg.restricted = 0; /* the gateway 10.0.2.2 reaches the host's 127.0.0.1 */
    cfg.in_enabled = true;
    inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
    inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
    inet_pton(AF_INET, "10.0.2.2", &cfg.vhost);
    inet_pton(AF_INET, "10.0.2.15", &cfg.vdhcp_start);
    inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
    cfg.in6_enabled = false;
    cfg.if_mtu = 1500;
    cfg.if_mru = 1500;
    cfg.disable_host_loopback = false;
    cfg.disable_dns = true;
    cfg.disable_dhcp = true;
    slirp = slirp_new(&cfg, &slirp_cbs, NULL);
    if (slirp == NULL) {
        fprintf(stderr, "slirp_new failed\n");
        exit(2);
    }
}

/* ---- the loop ------------------------------------------------------------------------ */

#define MAX_FDS 64
static struct pollfd pfds[MAX_FDS];
static int n_pfds;

static int add_poll(int fd, int events, void *opaque)
{
    short ev = 0;

    (void)opaque;
    if (n_pfds >= MAX_FDS) {
        fprintf(stderr, "slirp: too many fds\n");
        abort();
    }
    if (events & SLIRP_POLL_IN) ev |= POLLIN;
    if (events & SLIRP_POLL_OUT) ev |= POLLOUT;
    if (events & SLIRP_POLL_PRI) ev |= POLLPRI;
    pfds[n_pfds].fd = fd;
    pfds[n_pfds].events = ev;
    pfds[n_pfds].revents = 0;
    return n_pfds++;
}

static int get_revents(int idx, void *opaque)
{
    short r = pfds[idx].revents;
    int ev = 0;

    (void)opaque;
    if (r & POLLIN) ev |= SLIRP_POLL_IN;
    if (r & POLLOUT) ev |= SLIRP_POLL_OUT;
    if (r & POLLPRI) ev |= SLIRP_POLL_PRI;
    if (r & POLLERR) ev |= SLIRP_POLL_ERR;
    if (r & POLLHUP) ev |= SLIRP_POLL_HUP;
    return ev;
}

static void run_slirp_timers(void)
{
    int64_t now = (int64_t)(mono_ns() / 1000000U);

    for (int i = 0; i < MAX_TIMERS; i++) {
        if (timers[i].used && timers[i].armed && timers[i].expire_ms <= now) {
            timers[i].armed = false;
            timers[i].cb(timers[i].cb_opaque);
        }
    }
}

static void feed_frames(struct netif *nif)
{
    while (q_head != NULL) {
        frame_t *f = q_head;
        struct pbuf *p;

        q_head = f->next;
        if (q_head == NULL) {
            q_tail = NULL;
        }
        p = pbuf_alloc(PBUF_RAW, (u16_t)f->len, PBUF_POOL);
        if (p != NULL) {
            pbuf_take(p, f->data, (u16_t)f->len);
            n_to_guest++;
            if (nif->input(p, nif) != ERR_OK) {
                pbuf_free(p);
            }
        } /* else: dropped, as a real NIC would; TCP retransmits */
        free(f);
    }
}

void slirp_link_poll(struct netif *nif, int max_wait_ms)
{
    uint32_t timeout = (uint32_t)(max_wait_ms < 0 ? 0 : max_wait_ms);
    int rc;

    if (q_head != NULL) {
        timeout = 0;
    }
    n_pfds = 0;
    slirp_pollfds_fill(slirp, &timeout, add_poll, NULL);
    rc = poll(pfds, (nfds_t)n_pfds, (int)timeout);
    slirp_pollfds_poll(slirp, rc < 0, get_revents, NULL);
    run_slirp_timers();
    feed_frames(nif);
}

void slirp_link_shutdown(struct netif *nif)
{
    if (nif != NULL) {
        feed_frames(nif);
    }
    if (slirp != NULL) {
        slirp_cleanup(slirp);
        slirp = NULL;
    }
    while (q_head != NULL) {
        frame_t *f = q_head;
        q_head = f->next;
        free(f);
    }
    q_tail = NULL;
}

/* ---- the harness ----------------------------------------------------------------------- */

static struct netif guest;

struct netif *harness_netif(void)
{
    return &guest;
}

void harness_counts(unsigned long *to_host, unsigned long *to_guest)
{
    *to_host = n_to_host;
    *to_guest = n_to_guest;
}

void harness_init(void)
{
    ip4_addr_t ip, mask, gw;

    rand_state = (uint32_t)mono_ns() | 1U;
    lwip_init();
    slirp_link_init();

    IP4_ADDR(&ip, 10, 0, 2, 15);
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 10, 0, 2, 2);
    if (netif_add(&guest, &ip, &mask, &gw, NULL, slirp_link_netif_init, ethernet_input) == NULL) {
        fprintf(stderr, "netif_add failed\n");
        exit(2);
    }
    netif_set_default(&guest);
    netif_set_up(&guest);
    netif_set_link_up(&guest);
}

void harness_poll(int max_wait_ms)
{
    slirp_link_poll(&guest, max_wait_ms);
    sys_check_timeouts();
}

void harness_shutdown(void)
{
    slirp_link_shutdown(&guest);
}
