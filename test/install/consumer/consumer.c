/*
 * An application outside the source tree, built against an installed pop3 by
 * test/install/run.sh (find_package(pop3 CONFIG), and pkg-config). Checks that what the
 * package gives compiles, links and runs:
 * - pop3_status_str() texts and pop3_init()'s argument check (pop3::core);
 * - CONSUMER_POSIX: a POSIX-port session with implicit TLS against a closed loopback
 *   port ends with POP3_ERR_TRANSPORT, reported once (links pop3_tls and mbedTLS).
 * Exit status 0 when every check holds.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "pop3.h"
#ifdef CONSUMER_POSIX
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pop3_posix.h"
#endif

static int failures;
#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "consumer: check failed at line %d: %s\n", __LINE__, #cond); \
            failures++;                                                                \
        }                                                                              \
    } while (0)

static int connect_reports;
static pop3_status_t connect_status = POP3_STATUS_COUNT_;

static void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    (void)ctx;
    (void)r;
    if (cmd == POP3_CMD_CONNECT) {
        connect_reports++;
        connect_status = st;
    }
}

static long no_send(void *ctx, const uint8_t *d, size_t n)
{
    (void)ctx;
    (void)d;
    (void)n;
    return -1;
}

static void no_close(void *ctx)
{
    (void)ctx;
}

static char line_buf[1024];
static char tx_buf[POP3_MIN_TX_BUF_LEN];

/* The core alone: argument check, then a session whose connection fails. */
static void check_core(void)
{
    pop3_client_t c;
    pop3_config_t cfg;
    const char *ok = pop3_status_str(POP3_OK);
    const char *transport = pop3_status_str(POP3_ERR_TRANSPORT);

    CHECK(ok != NULL && transport != NULL && ok[0] != '\0' && transport[0] != '\0');
    CHECK(ok != NULL && transport != NULL && strcmp(ok, transport) != 0);

    memset(&cfg, 0, sizeof cfg);
    CHECK(pop3_init(&c, &cfg) == POP3_ERR_BAD_ARG); /* no buffers, no transport */

    cfg.line_buf = line_buf;
    cfg.line_buf_len = sizeof line_buf;
    cfg.tx_buf = tx_buf;
    cfg.tx_buf_len = sizeof tx_buf;
    cfg.transport.send = no_send;
    cfg.transport.close = no_close;
    cfg.callbacks.on_done = on_done;
    cfg.security = POP3_SEC_PLAINTEXT;
    CHECK(pop3_init(&c, &cfg) == POP3_OK);
    CHECK(pop3_start(&c, 0) == POP3_OK);
    pop3_on_closed(&c, POP3_ERR_TRANSPORT);
    CHECK(pop3_state(&c) == POP3_STATE_CLOSED);
    CHECK(pop3_session_status(&c) == POP3_ERR_TRANSPORT);
    CHECK(connect_reports == 1 && connect_status == POP3_ERR_TRANSPORT);
}

#ifdef CONSUMER_POSIX
/* A loopback port nobody listens on: bound to get a free number, then closed. */
static uint16_t closed_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    uint16_t port = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0) {
        port = ntohs(a.sin_port);
    }
    if (fd >= 0) {
        close(fd);
    }
    return port;
}

static void check_posix(void)
{
    static pop3_posix_t port;
    static pop3_tls_t tls;
    pop3_tls_config_t tls_cfg;
    pop3_client_t c;
    pop3_config_t cfg;
    pop3_status_t st;
    uint16_t p = closed_port();

    CHECK(p != 0);
    memset(&tls_cfg, 0, sizeof tls_cfg);
    tls_cfg.host = "127.0.0.1";
    CHECK(pop3_posix_init(&port, &tls_cfg, &tls) == POP3_OK);

    memset(&cfg, 0, sizeof cfg);
    cfg.line_buf = line_buf;
    cfg.line_buf_len = sizeof line_buf;
    cfg.tx_buf = tx_buf;
    cfg.tx_buf_len = sizeof tx_buf;
    cfg.transport = pop3_posix_transport(&port);
    cfg.callbacks.on_done = on_done;
    cfg.security = POP3_SEC_IMPLICIT_TLS;
    CHECK(pop3_init(&c, &cfg) == POP3_OK);

    connect_reports = 0;
    st = pop3_posix_connect(&port, &c, "127.0.0.1", p);
    if (st == POP3_OK) {
        st = pop3_posix_run(&port);
        CHECK(connect_reports == 1);
    }
    CHECK(st == POP3_ERR_TRANSPORT);
    CHECK(connect_reports <= 1);
    printf("consumer: posix session to 127.0.0.1:%u: %s (%s)\n", (unsigned)p, pop3_status_str(st),
           pop3_posix_net_error(&port));
    pop3_posix_cleanup(&port);
}
#endif

int main(void)
{
    check_core();
#ifdef CONSUMER_POSIX
    check_posix();
#endif
    if (failures != 0) {
        fprintf(stderr, "consumer: %d check(s) failed\n", failures);
        return 1;
    }
    printf("consumer: ok (APOP %s)\n", POP3_APOP_ENABLE ? "on" : "off");
    return 0;
}
