/**
 * @file host_check.c
 * @brief Runs the firmware's TLS set-up on Linux: mbedTLS built with
 *        mbedtls_fw_config.h, all of its memory from one static buffer of
 *        FW_MBEDTLS_HEAP_LEN octets (as in main.c), entropy through the
 *        MBEDTLS_ENTROPY_HARDWARE_ALT hook (getrandom() here), the wall clock
 *        through mbedtls_platform_set_time(). It logs in over POP3S (or STLS),
 *        asks UIDL and RETRs every message, like the firmware's main loop,
 *        then prints the negotiated suite and the heap's peak use.
 *
 *   fw-host-check HOST PORT tls|stls CA.pem USER   (password in POP3_PASSWORD;
 *                                                   FW_CLOCK=seconds fakes the wall clock)
 * Exit 0 when every RETR completed and the heap never ran out.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "mbedtls/memory_buffer_alloc.h"
#include "mbedtls/platform.h"
#include "mbedtls/platform_time.h"
#include "mbedtls/platform_util.h"
#include "mbedtls/ssl.h"

#include "pop3.h"
#include "pop3_posix.h"
#include "pop3_tls.h"

#ifndef FW_MBEDTLS_HEAP_LEN
#define FW_MBEDTLS_HEAP_LEN (48U * 1024U) /* keep equal to main.c */
#endif
#define MAX_MSGS 64U

static unsigned char heap[FW_MBEDTLS_HEAP_LEN] __attribute__((aligned(8)));
static pop3_client_t client;
static pop3_posix_t port;
static pop3_tls_t tls;
static char line_buf[512], tx_buf[POP3_MIN_TX_BUF_LEN];
static const char *user, *pass;
static uint32_t msgs[MAX_MSGS];
static unsigned n_msgs, next_msg, retr_ok, retr_failed;
static uint64_t body_octets;
static const char *suite = "";
static int failed;

/* ---- the hooks the firmware's board provides --------------------------- */

int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen)
{
    (void)data;
    ssize_t n = getrandom(output, len, 0);
    if (n < 0) {
        *olen = 0;
        return -1;
    }
    *olen = (size_t)n;
    return 0;
}

mbedtls_ms_time_t mbedtls_ms_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (mbedtls_ms_time_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct tm *mbedtls_platform_gmtime_r(const mbedtls_time_t *tt, struct tm *tm_buf)
{
    time_t t = (time_t)*tt;
    return gmtime_r(&t, tm_buf);
}

void fw_mbedtls_exit(int status)
{
    fprintf(stderr, "mbedTLS heap corrupted\n");
    exit(status == 0 ? 1 : status);
}

/* FW_CLOCK=seconds pretends the board's clock says that (0: a board that never set it). */
static mbedtls_time_t wall_clock(mbedtls_time_t *out)
{
    const char *fake = getenv("FW_CLOCK");
    mbedtls_time_t now = fake != NULL ? (mbedtls_time_t)strtoll(fake, NULL, 10) : (mbedtls_time_t)time(NULL);
    if (out != NULL) {
        *out = now;
    }
    return now;
}

/* ---- the firmware's session, condensed ------------------------------------ */

static pop3_cb_action_t on_uidl(void *ctx, uint32_t msg, const char *uid, size_t len)
{
    (void)ctx;
    (void)uid;
    (void)len;
    if (n_msgs < MAX_MSGS) {
        msgs[n_msgs++] = msg;
    }
    return POP3_CB_CONTINUE;
}

static pop3_cb_action_t on_body(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    (void)data;
    body_octets += len;
    return POP3_CB_CONTINUE;
}

static void next(void)
{
    if (next_msg < n_msgs && pop3_retr(&client, msgs[next_msg++]) == POP3_OK) {
        return;
    }
    (void)pop3_quit(&client);
}

static void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    (void)ctx;
    if (st != POP3_OK) {
        fprintf(stderr, "host-check: %s: %s %.*s [%s]\n", pop3_cmd_name(cmd), pop3_status_str(st),
                (int)r->text_len, r->text, pop3_posix_tls_error(&port));
        failed = 1;
    }
    switch (cmd) {
    case POP3_CMD_CONNECT:
        if (st == POP3_OK) {
            suite = mbedtls_ssl_get_ciphersuite(&tls.ssl);
            (void)pop3_login(&client, user, pass);
            (void)pop3_uidl(&client, 0);
        }
        break;
    case POP3_CMD_UIDL:
        if (st == POP3_OK) {
            next();
        } else {
            (void)pop3_quit(&client);
        }
        break;
    case POP3_CMD_RETR:
        if (st == POP3_OK) {
            retr_ok++;
        } else {
            retr_failed++;
        }
        next();
        break;
    default:
        break;
    }
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        return NULL;
    }
    buf = calloc((size_t)n + 1U, 1); /* the host harness may use malloc; mbedTLS may not */
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n + 1U; /* PEM: the NUL is counted */
    return buf;
}

int main(int argc, char **argv)
{
    pop3_tls_config_t tc;
    pop3_config_t cfg;
    size_t ca_len = 0;
    unsigned char *ca;
    size_t cur = 0, peak = 0, cur_blocks = 0, peak_blocks = 0;

    if (argc != 6 || (pass = getenv("POP3_PASSWORD")) == NULL) {
        fprintf(stderr, "usage: POP3_PASSWORD=... %s HOST PORT tls|stls CA.pem USER\n", argv[0]);
        return 2;
    }
    user = argv[5];
    if ((ca = read_file(argv[4], &ca_len)) == NULL) {
        fprintf(stderr, "host-check: cannot read %s\n", argv[4]);
        return 2;
    }
    mbedtls_memory_buffer_alloc_init(heap, sizeof heap);
    (void)mbedtls_platform_set_time(wall_clock);

    memset(&tc, 0, sizeof tc);
    tc.host = argv[1];
    tc.ca_pem = ca;
    tc.ca_pem_len = ca_len;
    memset(&cfg, 0, sizeof cfg);
    cfg.line_buf = line_buf;
    cfg.line_buf_len = sizeof line_buf;
    cfg.tx_buf = tx_buf;
    cfg.tx_buf_len = sizeof tx_buf;
    cfg.security = strcmp(argv[3], "tls") == 0 ? POP3_SEC_IMPLICIT_TLS : POP3_SEC_STLS;
    cfg.callbacks.on_done = on_done;
    cfg.callbacks.on_body = on_body;
    cfg.callbacks.on_uidl = on_uidl;

    if (pop3_posix_init(&port, &tc, &tls) != POP3_OK) {
        return 1;
    }
    cfg.transport = pop3_posix_transport(&port);
    if (pop3_init(&client, &cfg) != POP3_OK ||
        pop3_posix_connect(&port, &client, argv[1], (uint16_t)atoi(argv[2])) != POP3_OK) {
        fprintf(stderr, "host-check: connect: %s\n", pop3_posix_net_error(&port));
        return 1;
    }
    (void)pop3_posix_run(&port);
    mbedtls_memory_buffer_alloc_max_get(&peak, &peak_blocks);
    pop3_posix_cleanup(&port);
    mbedtls_memory_buffer_alloc_cur_get(&cur, &cur_blocks);
    free(ca);

    printf("host-check %s: suite %s; %u/%u messages, %llu body octets; mbedTLS heap peak %zu of %u octets "
           "(%zu blocks), %zu left allocated after cleanup\n",
           argv[3], suite, retr_ok, n_msgs, (unsigned long long)body_octets, peak,
           (unsigned)FW_MBEDTLS_HEAP_LEN, peak_blocks, cur);
    if (mbedtls_memory_buffer_alloc_verify() != 0) {
        fprintf(stderr, "host-check: heap verification failed\n");
        return 1;
    }
    mbedtls_memory_buffer_alloc_free();
    return (failed || retr_failed != 0 || n_msgs == 0 || retr_ok != n_msgs || cur != 0) ? 1 : 0;
}
