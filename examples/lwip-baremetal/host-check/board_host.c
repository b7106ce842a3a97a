/**
 * @file board_host.c
 * @brief The firmware's board hooks on Linux, so the unchanged src/main.c runs
 *        in a test process: the Ethernet netif goes through libslirp (guest
 *        10.0.2.15, gateway 10.0.2.2 = the host's 127.0.0.1), sys_now() is
 *        CLOCK_MONOTONIC, entropy is getrandom(), the wall clock is time().
 *
 * The run is judged from the application hooks: session 1 must fetch every
 * message completely and end with a clean QUIT; session 2 (after
 * FW_FETCH_INTERVAL_MS) must fetch nothing, because every UID is in the
 * seen table; mbedTLS's heap must be empty after each session.
 * Exit 0 on success, 1 on failure (also when no verdict came within FW_HOST_DEADLINE_S).
 */
#define _GNU_SOURCE
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS /* <arpa/inet.h> has them */
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <slirp/libslirp.h>

#include "board.h"
#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "mbedtls/memory_buffer_alloc.h"
#include "pop3.h"

#ifndef FW_HOST_EXPECT_MSGS
#define FW_HOST_EXPECT_MSGS 6U
#endif
#ifndef FW_HOST_DEADLINE_S
#define FW_HOST_DEADLINE_S 240
#endif

/* ---- clocks, randomness, log ------------------------------------------------- */

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

u32_t sys_now(void)
{
    return (u32_t)(mono_ns() / 1000000ULL);
}

int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen)
{
    ssize_t n = getrandom(output, len, 0);

    (void)data;
    *olen = n > 0 ? (size_t)n : 0U;
    return n > 0 ? 0 : -1;
}

uint32_t board_rand(void)
{
    uint32_t v = 0;
    size_t got;

    (void)mbedtls_hardware_poll(NULL, (unsigned char *)&v, sizeof v, &got);
    return v;
}

time_t board_unix_time(void)
{
    return time(NULL);
}

void board_log_write(const char *text, size_t len)
{
    fwrite(text, 1, len, stderr);
}

void board_idle(void)
{
    /* board_netif_poll() already waits in poll() */
}

/* ---- slirp ------------------------------------------------------------------- */

typedef struct frame {
    struct frame *next;
    size_t len;
    uint8_t data[];
} frame_t;

static Slirp *slirp;
static frame_t *q_head, *q_tail;

/* Frames for the guest are only queued here; lwIP is never re-entered from slirp. */
static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    frame_t *f = malloc(sizeof *f + len); /* the host harness may allocate */

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
    fprintf(stderr, "slirp: %s\n", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
    (void)opaque;
    return (int64_t)mono_ns();
}

#define MAX_TIMERS 16
typedef struct {
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
    exit(1);
}

static void cb_timer_free(void *timer, void *opaque)
{
    (void)opaque;
    ((stimer_t *)timer)->used = false;
    ((stimer_t *)timer)->armed = false;
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    (void)opaque;
    ((stimer_t *)timer)->expire_ms = expire_ms;
    ((stimer_t *)timer)->armed = true;
}

static void cb_fd(int fd, void *opaque)
{
    (void)fd;
    (void)opaque;
}

static void cb_notify(void *opaque)
{
    (void)opaque;
}

static const SlirpCb slirp_cbs = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_fd,
    .unregister_poll_fd = cb_fd,
    .notify = cb_notify,
};

#define MAX_FDS 64
static struct pollfd pfds[MAX_FDS];
static int n_pfds;

static int add_poll(int fd, int events, void *opaque)
{
    short ev = 0;

    (void)opaque;
    if (n_pfds >= MAX_FDS) {
        fprintf(stderr, "slirp: too many fds\n");
        exit(1);
    }
    if (events & SLIRP_POLL_IN) ev |= POLLIN;
    if (events & SLIRP_POLL_OUT) ev |= POLLOUT;
    if (events & SLIRP_POLL_PRI) ev |= POLLPRI;
    pfds[n_pfds] = (struct pollfd){ .fd = fd, .events = ev };
    return n_pfds++;
}

static int get_revents(int idx, void *opaque)
{
    short re = pfds[idx].revents;
    int ev = 0;

    (void)opaque;
    if (re & POLLIN) ev |= SLIRP_POLL_IN;
    if (re & POLLOUT) ev |= SLIRP_POLL_OUT;
    if (re & POLLPRI) ev |= SLIRP_POLL_PRI;
    if (re & POLLERR) ev |= SLIRP_POLL_ERR;
    if (re & POLLHUP) ev |= SLIRP_POLL_HUP;
    return ev;
}

static err_t host_linkoutput(struct netif *nif, struct pbuf *p)
{
    uint8_t buf[2048];

    (void)nif;
    if (p->tot_len > sizeof buf) {
        return ERR_IF;
    }
    pbuf_copy_partial(p, buf, p->tot_len, 0);
    slirp_input(slirp, buf, p->tot_len);
    return ERR_OK;
}

void board_init(void)
{
    SlirpConfig cfg;

    signal(SIGPIPE, SIG_IGN);
    memset(&cfg, 0, sizeof cfg);
    cfg.version = 4;
    cfg.restricted = 0; /* 10.0.2.2 reaches the host's 127.0.0.1 */
    cfg.in_enabled = true;
    inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
    inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
    inet_pton(AF_INET, "10.0.2.2", &cfg.vhost);
    inet_pton(AF_INET, "10.0.2.15", &cfg.vdhcp_start);
    inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
    cfg.if_mtu = 1500;
    cfg.if_mru = 1500;
    cfg.disable_dns = true;
    cfg.disable_dhcp = true;
    slirp = slirp_new(&cfg, &slirp_cbs, NULL);
    if (slirp == NULL) {
        fprintf(stderr, "slirp_new failed\n");
        exit(1);
    }
}

err_t board_netif_init(struct netif *netif)
{
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

    netif->name[0] = 's';
    netif->name[1] = 'l';
    netif->mtu = 1500;
    netif->hwaddr_len = 6;
    memcpy(netif->hwaddr, mac, sizeof mac);
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
    netif->linkoutput = host_linkoutput;
    netif->output = etharp_output;
    return ERR_OK;
}

void board_netif_poll(struct netif *netif)
{
    uint32_t timeout = 5;
    int64_t now_ms;

    n_pfds = 0;
    slirp_pollfds_fill(slirp, &timeout, add_poll, NULL);
    if (poll(pfds, (nfds_t)n_pfds, (int)(timeout < 5U ? timeout : 5U)) < 0) {
        n_pfds = 0;
    }
    slirp_pollfds_poll(slirp, 0, get_revents, NULL);
    now_ms = (int64_t)(mono_ns() / 1000000ULL);
    for (int i = 0; i < MAX_TIMERS; i++) {
        if (timers[i].used && timers[i].armed && timers[i].expire_ms <= now_ms) {
            timers[i].armed = false;
            timers[i].cb(timers[i].cb_opaque);
        }
    }
    while (q_head != NULL) {
        frame_t *f = q_head;
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)f->len, PBUF_POOL);

        q_head = f->next;
        if (q_head == NULL) {
            q_tail = NULL;
        }
        if (p != NULL) {
            pbuf_take(p, f->data, (u16_t)f->len);
            if (netif->input(p, netif) != ERR_OK) {
                pbuf_free(p);
            }
        }
        free(f);
    }
}

/* ---- the verdict, from the application's hooks ------------------------------------ */

static unsigned session, complete[3], incomplete[3];

void app_mail_end(const char *uid, size_t uid_len, bool ok)
{
    unsigned s = session < 2U ? session : 2U;

    fprintf(stderr, "host-run: session %u: %.*s %s\n", session + 1U, (int)uid_len, uid,
            ok ? "complete" : "INCOMPLETE");
    if (ok) {
        complete[s]++;
    } else {
        incomplete[s]++;
    }
}

/* FW_HOST_EXPECT=N (environment) overrides the messages expected in session 1. */
static unsigned expected_first(void)
{
    const char *e = getenv("FW_HOST_EXPECT");

    return e != NULL ? (unsigned)strtoul(e, NULL, 10) : FW_HOST_EXPECT_MSGS;
}

void app_session_end(pop3_status_t status)
{
    size_t cur = 0, blocks = 0, peak = 0, peak_blocks = 0;
    unsigned want = session == 0U ? expected_first() : 0U;
    bool good;

    mbedtls_memory_buffer_alloc_cur_get(&cur, &blocks);
    mbedtls_memory_buffer_alloc_max_get(&peak, &peak_blocks);
    fprintf(stderr, "host-run: session %u ended: %s; %u complete, %u incomplete; mbedTLS heap %zu in use, peak %zu\n",
            session + 1U, pop3_status_str(status), complete[session], incomplete[session], cur, peak);
    good = status == POP3_OK && cur == 0U && incomplete[session] == 0U &&
           complete[session] == want;
    if (!good) {
        fprintf(stderr, "host-run: FAIL in session %u (expected %u complete messages)\n", session + 1U, want);
        exit(1);
    }
    if (++session == 2U) {
        fprintf(stderr, "host-run: OK: all messages fetched once, none again; heap empty after each session\n");
        exit(0);
    }
}

/* A watchdog for sessions that never end. */
static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "host-run: FAIL: no verdict before the deadline\n";
    (void)!write(2, msg, sizeof msg - 1U);
    _exit(1);
}

__attribute__((constructor)) static void host_run_start(void)
{
    signal(SIGALRM, on_alarm);
    alarm(FW_HOST_DEADLINE_S);
}
