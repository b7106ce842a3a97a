/**
 * @file main.c
 * @brief Bare-metal (NO_SYS=1) Cortex-M4 firmware: every FW_FETCH_INTERVAL_MS
 *        it logs in to a POP3 server (POP3S by default), asks UIDL, fetches each
 *        message whose UID it has not seen yet with RETR, streams the body to a
 *        command parser, optionally deletes it, and QUITs.
 *
 * No heap anywhere: lwIP uses its static pools, mbedTLS allocates from a static
 * buffer (mbedtls_memory_buffer_alloc), the POP3 client and its buffers are
 * static, the seen-UID table is a fixed array. No printf: fw_log_*().
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
#ifndef FW_DELETE_AFTER_FETCH
#define FW_DELETE_AFTER_FETCH 0 /* 1: DELE each message once its body arrived completely */
#endif
#ifndef FW_SEEN_UIDS
#define FW_SEEN_UIDS 16U /* UIDs remembered (RAM only): size it to the mailbox, or use DELE */
#endif
#ifndef FW_MBEDTLS_HEAP_LEN
#define FW_MBEDTLS_HEAP_LEN (48U * 1024U) /* one TLS 1.2 session with 16 KiB/4 KiB records peaks near 33 KB */
#endif
#ifndef FW_LINE_BUF_LEN
#define FW_LINE_BUF_LEN 512U
#endif
#ifndef FW_CMD_LINE_LEN
#define FW_CMD_LINE_LEN 80U /* longest command line kept by the example parser */
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

#define UID_MAX_LEN 70U /* RFC 1939: 1-70 octets */

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

/* One remembered message: its UID, and what this session learned about it. */
typedef struct {
    char uid[UID_MAX_LEN];
    uint8_t uid_len;  /* 0: free slot */
    bool fetched;     /* body received completely in some session */
    bool listed;      /* present in this session's UIDL */
    uint32_t msg;     /* message number in this session */
} seen_uid_t;

static struct {
    seen_uid_t seen[FW_SEEN_UIDS];
    uint32_t next_fetch_ms;
    uint32_t closed_at_ms;
    bool session_active;
    bool session_closed_seen; /* CLOSED noticed at closed_at_ms */
    bool port_cleaned;        /* pop3_lwip_cleanup() done, waiting for lwIP to let go */
    bool waiting_logged;
    uint16_t table_full;       /* new UIDs not tracked this session (table full) */
} app;                         /* zero-initialised: .bss, not .data */

static int current = -1;       /* seen[] slot of the message being fetched, -1 none */

/* ---- Mail consumer: an example command parser --------------------------- */

/* Hook: one command line found in a message body ("cmd: reboot"). Weak: replace it. */
__attribute__((weak)) void app_command(const char *line, size_t len)
{
    fw_log_text("command", line, len);
}

/* Hook: a session ended (POP3_OK after a clean QUIT) and its resources are free again. Weak. */
__attribute__((weak)) void app_session_end(pop3_status_t status)
{
    (void)status;
}

/*
 * Hook: a message ended. @p complete is true only when its end marker arrived
 * (RETR returned POP3_OK). Commands reach app_command() while the body streams,
 * before this is known: an application that must act on whole messages only
 * stages them there and commits here. Weak: replace it.
 */
__attribute__((weak)) void app_mail_end(const char *uid, size_t uid_len, bool complete)
{
    fw_log_text(complete ? "mail done" : "mail incomplete", uid, uid_len);
}

/* Hook: every fragment of the message being fetched, before the parser sees it. Weak: replace it. */
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

/*
 * The body arrives in fragments split anywhere. The parser skips the header
 * block, then hands each body line starting with "cmd:" (truncated at
 * FW_CMD_LINE_LEN) to app_command(). Fixed memory; of any other line it keeps
 * only the first few octets.
 */
static struct {
    bool in_body;
    bool overflow;
    size_t len;
    char line[FW_CMD_LINE_LEN];
} parser;

static void parser_begin(void)
{
    memset(&parser, 0, sizeof parser);
}

static void parser_line_end(void)
{
    size_t n = parser.len;

    if (n > 0U && parser.line[n - 1U] == '\r') {
        n--;
    }
    if (!parser.in_body) {
        parser.in_body = (n == 0U && !parser.overflow); /* blank line ends the headers */
    } else if (n >= 4U && memcmp(parser.line, "cmd:", 4) == 0) {
        app_command(parser.line, n);
    }
    parser.len = 0;
    parser.overflow = false;
}

/*
 * How much of a line the parser keeps: in the headers only enough to tell a blank line
 * ("" or "\r"), in the body enough to tell "cmd:", and a whole command line (up to
 * FW_CMD_LINE_LEN). The rest of any other line is skipped with memchr() to the next LF,
 * so the parser costs about as much per octet as the C library's memchr.
 */
static size_t parser_want(void)
{
    if (!parser.in_body) {
        return 2U;
    }
    if (parser.len >= 4U && memcmp(parser.line, "cmd:", 4) == 0) {
        return sizeof parser.line;
    }
    return 4U;
}

static void parser_take(const char *data, size_t len)
{
    while (len > 0U && !parser.overflow) {
        size_t want = parser_want();
        size_t n;

        if (parser.len >= want) {
            parser.overflow = true; /* not needed (or longer than FW_CMD_LINE_LEN): skip the rest */
            break;
        }
        n = want - parser.len < len ? want - parser.len : len;
        memcpy(parser.line + parser.len, data, n);
        parser.len += n;
        data += n;
        len -= n;
    }
}

static pop3_cb_action_t on_body(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    app_mail_data(data, len);
    while (len > 0U) {
        const char *nl = memchr(data, '\n', len);
        size_t seg = nl != NULL ? (size_t)(nl - data) : len;

        parser_take(data, seg);
        if (nl == NULL) {
            break;
        }
        parser_line_end();
        data = nl + 1;
        len -= seg + 1U;
    }
    return POP3_CB_CONTINUE; /* POP3_CB_PAUSE holds the TCP window closed until pop3_resume() */
}

/* ---- Seen-UID table ------------------------------------------------------- */

static int seen_find(const char *uid, size_t len)
{
    for (unsigned i = 0; i < FW_SEEN_UIDS; i++) {
        if (app.seen[i].uid_len == len && memcmp(app.seen[i].uid, uid, len) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int seen_free_slot(void)
{
    for (unsigned i = 0; i < FW_SEEN_UIDS; i++) {
        if (app.seen[i].uid_len == 0U) {
            return (int)i;
        }
    }
    return -1;
}

static pop3_cb_action_t on_uidl(void *ctx, uint32_t msg, const char *uid, size_t uid_len)
{
    int i;

    (void)ctx;
    if (uid_len == 0U || uid_len > UID_MAX_LEN) {
        return POP3_CB_CONTINUE; /* the core already enforces 1-70 */
    }
    i = seen_find(uid, uid_len);
    if (i < 0) {
        i = seen_free_slot();
        if (i < 0) {
            app.table_full++; /* fetched in a later session, once slots free up */
            return POP3_CB_CONTINUE;
        }
        memcpy(app.seen[i].uid, uid, uid_len);
        app.seen[i].uid_len = (uint8_t)uid_len;
        app.seen[i].fetched = false;
    }
    app.seen[i].listed = true;
    app.seen[i].msg = msg;
    return POP3_CB_CONTINUE;
}

/* After UIDL: forget UIDs no longer on the server, so the table only holds live ones. */
static void seen_prune(void)
{
    for (unsigned i = 0; i < FW_SEEN_UIDS; i++) {
        if (app.seen[i].uid_len != 0U && !app.seen[i].listed) {
            app.seen[i].uid_len = 0U;
        }
    }
}

static void seen_start_session(void)
{
    for (unsigned i = 0; i < FW_SEEN_UIDS; i++) {
        app.seen[i].listed = false;
    }
    app.table_full = 0;
    current = -1;
}

/* ---- Session logic (runs inside client callbacks) ------------------------- */

static void session_quit(void)
{
    if (pop3_quit(&client) != POP3_OK) {
        pop3_abort(&client); /* closed already, or the queue is wedged: end it now */
    }
}

/* Queue RETR for the oldest listed message not fetched yet (mail order), or QUIT. */
static void fetch_next(void)
{
    int next = -1;

    for (unsigned i = 0; i < FW_SEEN_UIDS; i++) {
        const seen_uid_t *s = &app.seen[i];
        if (s->uid_len != 0U && s->listed && !s->fetched && (next < 0 || s->msg < app.seen[next].msg)) {
            next = (int)i;
        }
    }
    if (next >= 0 && pop3_retr(&client, app.seen[next].msg) == POP3_OK) {
        current = next;
        parser_begin();
        fw_log_text("fetch", app.seen[next].uid, app.seen[next].uid_len);
        return;
    }
    current = -1;
    session_quit();
}

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

static void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    (void)ctx;
    if (pop3_state(&client) == POP3_STATE_CLOSED && cmd != POP3_CMD_QUIT) {
        if (st != POP3_OK) {
            log_failure(cmd, st, r);
        }
        if (cmd == POP3_CMD_RETR && current >= 0) { /* connection lost mid-body: fetched again next time */
            app_mail_end(app.seen[current].uid, app.seen[current].uid_len, false);
            current = -1;
        }
        return; /* the session is over; the main loop cleans up */
    }
    switch (cmd) {
    case POP3_CMD_CONNECT:
        if (st != POP3_OK) {
            log_failure(cmd, st, r);
            return;
        }
        /* USER/PASS, or AUTH XOAUTH2 with the token; UIDL waits behind the login. */
        if (fw_login_start(&client) != POP3_OK || pop3_uidl(&client, 0) != POP3_OK) {
            session_quit();
        }
        break;
    case POP3_CMD_LOGIN:
    case POP3_CMD_AUTH:
        if (st != POP3_OK) {
            log_failure(cmd, st, r); /* the queued UIDL ends with POP3_ERR_STATE: QUIT there */
            fw_login_failed(st, r);  /* a refused OAuth token: its JSON fields, the refresh hook */
        }
        break;
    case POP3_CMD_UIDL:
        if (st != POP3_OK) {
            if (st != POP3_ERR_STATE) {
                log_failure(cmd, st, r);
            }
            session_quit();
            break;
        }
        seen_prune();
        if (app.table_full != 0U) {
            fw_log_u32("seen-UID table full, messages left for later", app.table_full);
        }
        fetch_next();
        break;
    case POP3_CMD_RETR:
        if (current >= 0) {
            seen_uid_t *s = &app.seen[current];
            if (st == POP3_OK && parser.len != 0U) {
                parser_line_end(); /* last line without CRLF */
            }
            app_mail_end(s->uid, s->uid_len, st == POP3_OK);
            /* POP3_OK: the end marker arrived, the message is complete. A message the
             * application aborted on purpose is not fetched again either. */
            s->fetched = (st == POP3_OK || st == POP3_ERR_ABORTED);
            if (st != POP3_OK) {
                log_failure(cmd, st, r);
            }
            if (FW_DELETE_AFTER_FETCH && st == POP3_OK && pop3_dele(&client, s->msg) == POP3_OK) {
                break; /* fetch_next() after DELE */
            }
        }
        fetch_next();
        break;
    case POP3_CMD_DELE:
        if (st != POP3_OK) {
            log_failure(cmd, st, r);
        }
        fetch_next();
        break;
    case POP3_CMD_QUIT:
        if (st != POP3_OK) {
            log_failure(cmd, st, r);
        }
        break;
    default:
        break;
    }
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
    cfg.callbacks.on_done = on_done;
    cfg.callbacks.on_body = on_body;
    cfg.callbacks.on_uidl = on_uidl;

    app.next_fetch_ms = now + FW_FETCH_INTERVAL_MS;
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
        return;
    }
    seen_start_session();
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
