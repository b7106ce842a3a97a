/**
 * @file main.c
 * @brief Bare-metal (NO_SYS=1) Cortex-M4 firmware: every FW_FETCH_INTERVAL_MS
 *        it logs in to a POP3 server (POP3S by default) and polls the mailbox
 *        for signed command mail (fw_cmdmail.c, examples/cmdmail): UIDL, RETR
 *        of each message not seen yet, the body streamed through the
 *        command-mail module, the verified commands run, DELE by policy, QUIT.
 *
 * No heap anywhere: lwIP uses its static pools, mbedTLS allocates from a static
 * buffer (mbedtls_memory_buffer_alloc), the POP3 client, its buffers and the
 * command-mail state are static; the seen-UID set lives in NV (board_nv_*).
 * No printf to a console: fw_log_*().
 *
 * Board-specific parts are hooks (board.h / board.c). Settings below are
 * compile-time macros; override them with -D or edit here.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lwip/dns.h"
#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"
#if LWIP_DHCP
#include "lwip/dhcp.h"
#endif

#include "mbedtls/memory_buffer_alloc.h"
#include "mbedtls/platform.h"
#include "mbedtls/platform_time.h"

#include "board.h"
#include "fw_cmdmail.h"
#include "fw_login.h"
#include "pop3.h"
#include "pop3_lwip.h"
#include "pop3_tls.h"

/* ---- Settings --------------------------------------------------------- */

/* A board may supply its own settings header (-DFW_BOARD_CONFIG='"file.h"'); its macros
 * may expand to run-time values (boards/qemu-mps2-an386 reads them from QEMU's command line). */
#ifdef FW_BOARD_CONFIG
#include FW_BOARD_CONFIG
#endif

#ifndef FW_POP3_HOST
#define FW_POP3_HOST "pop.example.com" /* name (DNS) or address literal; also the certificate name */
#endif
#ifndef FW_POP3_ADDR
#define FW_POP3_ADDR "" /* non-empty: connect to this address literal, still verify FW_POP3_HOST */
#endif
#ifndef FW_POP3_SECURITY
#define FW_POP3_SECURITY POP3_SEC_IMPLICIT_TLS /* or POP3_SEC_STLS (port 110) */
#endif
#ifndef FW_POP3_PORT
#define FW_POP3_PORT ((FW_POP3_SECURITY) == POP3_SEC_IMPLICIT_TLS ? 995U : 110U)
#endif
/* The login's settings (FW_POP3_USER, FW_POP3_PASS, FW_POP3_OAUTH2_TOKEN...): src/fw_login.c. */
#ifndef FW_ALLOW_PLAINTEXT_LOGIN
#define FW_ALLOW_PLAINTEXT_LOGIN false /* true: USER/PASS may cross the network in clear (POP3_SEC_PLAINTEXT) */
#endif
#ifndef FW_TRUST_ANCHORS
#define FW_TRUST_ANCHORS fw_trust_anchors_pem         /* src/trust_anchors.c */
#define FW_TRUST_ANCHORS_LEN fw_trust_anchors_pem_len
#endif
#ifndef FW_FETCH_INTERVAL_MS
#define FW_FETCH_INTERVAL_MS 60000U
#endif
#ifndef FW_CLOSE_GRACE_MS
#define FW_CLOSE_GRACE_MS 5000U /* wait this long for a graceful close before aborting */
#endif
/* Device id, key and delete policy (FW_CMDMAIL_*, FW_DELETE_*): include/fw_cmdmail.h. */
#ifndef FW_MBEDTLS_HEAP_LEN
#define FW_MBEDTLS_HEAP_LEN (48U * 1024U) /* one TLS 1.2 session with 16 KiB/4 KiB records peaks near 33 KB */
#endif
#ifndef FW_LINE_BUF_LEN
#define FW_LINE_BUF_LEN 512U
#endif
#ifndef FW_CERT_DATES
#define FW_CERT_DATES 1
#endif

/* Static addressing when DHCP is off (FW_DHCP=0). */
#ifndef FW_IP4_ADDR
#define FW_IP4_ADDR "192.168.1.50"
#endif
#ifndef FW_IP4_MASK
#define FW_IP4_MASK "255.255.255.0"
#endif
#ifndef FW_IP4_GW
#define FW_IP4_GW "192.168.1.1"
#endif
#ifndef FW_DNS_SERVER
#define FW_DNS_SERVER "192.168.1.1"
#endif

/* ---- Static memory ---------------------------------------------------- */

static struct netif fw_netif;

/* mbedTLS's only memory; aligned for its block headers. */
static unsigned char mbedtls_heap[FW_MBEDTLS_HEAP_LEN] __attribute__((aligned(8)));

static pop3_client_t client;
static pop3_lwip_t port;
static pop3_tls_t tls;
static char line_buf[FW_LINE_BUF_LEN];
static char tx_buf[POP3_MIN_TX_BUF_LEN];

extern const unsigned char fw_trust_anchors_pem[];
extern const size_t fw_trust_anchors_pem_len;

static struct {
    uint32_t next_fetch_ms;
    uint32_t closed_at_ms;
    bool session_active;
    bool session_closed_seen; /* CLOSED noticed at closed_at_ms */
    bool port_cleaned;        /* pop3_lwip_cleanup() done, waiting for lwIP to let go */
    bool waiting_logged;
} app;                        /* zero-initialised: .bss, not .data */

static pop3_callbacks_t poll_cb; /* the poll's callbacks, which on_body hands on to */

/* ---- Hooks ------------------------------------------------------------------ */

/* Hook: a session ended (POP3_OK after a clean QUIT) and its resources are free again. Weak. */
__attribute__((weak)) void app_session_end(pop3_status_t status)
{
    (void)status;
}

/* Hook: every fragment of the message being fetched, before the command-mail module sees it. Weak. */
__attribute__((weak)) void app_mail_data(const char *data, size_t len)
{
    (void)data;
    (void)len;
}

/* Hook: mbedTLS's static heap, once mbedtls_memory_buffer_alloc_init() set it up. Weak. */
__attribute__((weak)) void app_tls_heap(unsigned char *heap, size_t len)
{
    (void)heap;
    (void)len;
}

/* ---- Session callbacks: the poll's (fw_cmdmail.c), the log from its hook -------- */

static void log_failure(pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    const char *name = pop3_cmd_name(cmd);
    const char *what = pop3_status_str(st);

    fw_log_text(name, what, strlen(what));
    if (r->text_len != 0U) {
        fw_log_text("  server", r->text, r->text_len);
    }
    if (st == POP3_ERR_TLS || st == POP3_ERR_CERT) {
        const char *why = pop3_lwip_tls_error(&port);
        fw_log_text("  tls", why, strlen(why));
    } else if (st == POP3_ERR_TRANSPORT || st == POP3_ERR_TIMEOUT) {
        const char *why = pop3_lwip_net_error(&port);
        fw_log_text("  net", why, strlen(why));
    }
}

/* The poll's hook: every completion, before the poll acts on it (so a failure
 * is logged ahead of the poll's summary). */
static void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    (void)ctx;
    /* POP3_ERR_STATE: a queued command cancelled behind an earlier failure (logged there). */
    if (st != POP3_OK && st != POP3_ERR_STATE) {
        log_failure(cmd, st, r);
        if (cmd == POP3_CMD_LOGIN || cmd == POP3_CMD_AUTH) {
            fw_login_failed(st, r); /* a refused OAuth token: its JSON fields, the refresh hook */
        }
    }
}

static pop3_cb_action_t on_body(void *ctx, const char *data, size_t len)
{
    app_mail_data(data, len);
    return poll_cb.on_body(ctx, data, len);
}

/* ---- Session lifecycle (main loop) ----------------------------------------- */

static bool network_ready(void)
{
    if (!netif_is_up(&fw_netif) || !netif_is_link_up(&fw_netif)) {
        return false;
    }
#if LWIP_IPV6
    for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
        if (ip6_addr_ispreferred(netif_ip6_addr_state(&fw_netif, i)) &&
            !ip6_addr_islinklocal(netif_ip6_addr(&fw_netif, i))) {
            return true;
        }
    }
#endif
    return !ip4_addr_isany_val(*netif_ip4_addr(&fw_netif));
}

static bool clock_ready(void)
{
#if FW_CERT_DATES
    if ((FW_POP3_SECURITY) != POP3_SEC_PLAINTEXT && board_unix_time() == 0) {
        if (!app.waiting_logged) {
            fw_log_str("waiting for the wall clock (certificate dates are checked)");
            app.waiting_logged = true;
        }
        return false;
    }
#endif
    return true;
}

static void session_start(uint32_t now)
{
    static pop3_tls_config_t tls_cfg; /* must outlive the port */
    pop3_config_t cfg;
    pop3_status_t st;

    tls_cfg.host = FW_POP3_HOST; /* SNI and the certificate name check */
    tls_cfg.ca_pem = FW_TRUST_ANCHORS;
    tls_cfg.ca_pem_len = FW_TRUST_ANCHORS_LEN;
    tls_cfg.insecure = false;

    memset(&cfg, 0, sizeof cfg);
    cfg.line_buf = line_buf;
    cfg.line_buf_len = sizeof line_buf;
    cfg.tx_buf = tx_buf;
    cfg.tx_buf_len = sizeof tx_buf;
    cfg.security = FW_POP3_SECURITY;
    cfg.allow_plaintext_login = FW_ALLOW_PLAINTEXT_LOGIN;

    app.next_fetch_ms = now + FW_FETCH_INTERVAL_MS;
    memset(&poll_cb, 0, sizeof poll_cb);
    if (!fw_cmdmail_begin(&poll_cb, on_done)) {
        return; /* logged; tried again after FW_FETCH_INTERVAL_MS */
    }
    cfg.callbacks = poll_cb;
    cfg.callbacks.on_body = on_body;
    if ((FW_POP3_SECURITY) == POP3_SEC_PLAINTEXT) {
        st = pop3_lwip_init(&port, NULL, NULL);
    } else {
        st = pop3_lwip_init(&port, &tls_cfg, &tls);
    }
    if (st == POP3_OK) {
        cfg.transport = pop3_lwip_transport(&port);
        st = pop3_init(&client, &cfg);
    }
    if (st != POP3_OK) {
        fw_log_text("setup", pop3_status_str(st), strlen(pop3_status_str(st)));
        fw_cmdmail_end();
        return;
    }
    fw_cmdmail_attach(&client);
    app.session_active = true;
    app.session_closed_seen = false;
    app.port_cleaned = false;
    fw_log_str("connecting");
    /* A failure here is also reported to on_done(POP3_CMD_CONNECT); the main loop cleans up. */
    (void)pop3_lwip_connect(&port, &client, FW_POP3_ADDR[0] != '\0' ? FW_POP3_ADDR : FW_POP3_HOST,
                            (u16_t)(FW_POP3_PORT));
}

/* Once the client is closed: let lwIP finish the close, then release the port. */
static void session_reap(uint32_t now)
{
    if (pop3_state(&client) != POP3_STATE_CLOSED) {
        return;
    }
    if (!app.session_closed_seen) {
        app.session_closed_seen = true;
        app.closed_at_ms = now;
        fw_log_text("session end", pop3_status_str(pop3_session_status(&client)),
                    strlen(pop3_status_str(pop3_session_status(&client))));
    }
    if (!pop3_lwip_is_idle(&port) && (uint32_t)(now - app.closed_at_ms) < FW_CLOSE_GRACE_MS) {
        return;
    }
    if (!app.port_cleaned) {
        pop3_lwip_cleanup(&port); /* frees TLS state: the mbedTLS heap is empty again */
        app.port_cleaned = true;
    }
    if (pop3_lwip_is_idle(&port)) { /* a pending DNS answer may still hold &port */
        app.session_active = false;
        fw_cmdmail_end(); /* before the hook: mbedTLS's heap is empty again */
        app_session_end(pop3_session_status(&client));
    }
}

/* ---- mbedTLS platform glue ---------------------------------------------------- */

/* Wall clock (MBEDTLS_PLATFORM_TIME_ALT): certificate dates, and the ClientHello's gmt_unix_time. */
static mbedtls_time_t fw_mbedtls_time(mbedtls_time_t *out)
{
    mbedtls_time_t now = (mbedtls_time_t)board_unix_time();

    if (out != NULL) {
        *out = now;
    }
    return now;
}

static void tls_platform_init(void)
{
    /* Every mbedtls_calloc()/mbedtls_free() now works on mbedtls_heap: no libc heap. */
    mbedtls_memory_buffer_alloc_init(mbedtls_heap, sizeof mbedtls_heap);
    app_tls_heap(mbedtls_heap, sizeof mbedtls_heap);
    (void)mbedtls_platform_set_time(fw_mbedtls_time);
}

/* ---- Network ------------------------------------------------------------------- */

static void net_init(void)
{
    ip4_addr_t addr, mask, gw;

    lwip_init();
#if LWIP_DHCP
    ip4_addr_set_zero(&addr);
    ip4_addr_set_zero(&mask);
    ip4_addr_set_zero(&gw);
#else
    (void)ip4addr_aton(FW_IP4_ADDR, &addr);
    (void)ip4addr_aton(FW_IP4_MASK, &mask);
    (void)ip4addr_aton(FW_IP4_GW, &gw);
#endif
    if (netif_add(&fw_netif, &addr, &mask, &gw, NULL, board_netif_init, ethernet_input) == NULL) {
        fw_fatal("netif_add", __FILE_NAME__, __LINE__);
    }
    netif_set_default(&fw_netif);
    netif_set_up(&fw_netif);
#if LWIP_IPV6
    netif_create_ip6_linklocal_address(&fw_netif, 1);
    fw_netif.ip6_autoconfig_enabled = 1; /* SLAAC */
#endif
#if LWIP_DHCP
    (void)dhcp_start(&fw_netif); /* DHCP also supplies the DNS servers */
#else
    {
        ip_addr_t dns;
        if (ipaddr_aton(FW_DNS_SERVER, &dns)) {
            dns_setserver(0, &dns);
        }
    }
#endif
}

/* ---- Main loop ------------------------------------------------------------------- */

int main(void)
{
    board_init();
    tls_platform_init();
    net_init();
    fw_log_str("pop3 firmware up");
    fw_cmdmail_boot();
    app.next_fetch_ms = sys_now();

    for (;;) {
        uint32_t now;

        board_netif_poll(&fw_netif); /* received frames into lwIP */
        sys_check_timeouts();        /* TCP, ARP, DHCP, DNS timers */
        now = sys_now();

        if (app.session_active) {
            pop3_lwip_service(&port); /* held input, send retries, pop3_tick() */
            session_reap(now);
        } else if ((int32_t)(now - app.next_fetch_ms) >= 0 && network_ready() && clock_ready()) {
            session_start(now);
        }
        board_idle();
    }
}
