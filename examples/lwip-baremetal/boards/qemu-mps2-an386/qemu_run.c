/**
 * @file qemu_run.c
 * @brief TEST-BOARD-ONLY: one test run of the unchanged application under QEMU.
 *
 * Reads its settings from the QEMU command line (qemu_run.h), supplies the
 * wall clock the run asks for (board_unix_time), loads the trust anchor from
 * a host file, and judges the run from the application's hooks: after the
 * first session it exits through semihosting with 0 only when the session
 * ended with a clean QUIT, every expected message arrived complete and the
 * byte total matches. It also reports the figures the test prints: body
 * octets per message, the stack high-water mark, the mbedTLS heap high-water
 * mark.
 */
#include "qemu_run.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "lan9118_netif.h"
#include "lwip/ip4_addr.h"
#include "lwip/sys.h"
#include "semihost.h"

#define CMDLINE_LEN 512U
#define CA_MAX 8192U
#define TOKEN_MAX 8192U /* OAuth tokens: Microsoft's exceed 2,500 octets */
#define HEAP_PAINT 0xA5U
#define HEAP_SKIP 64U /* memory_buffer_alloc's first header lives here: never painted */

static struct {
    char cmdline[CMDLINE_LEN];
    pop3_security_t sec;
    uint16_t port;
    const char *host;
    const char *user;
    const char *pass;
    const char *ca_path;
    const char *token_path;
    const char *nv_path;
    uint32_t nv_writes;
    bool clock_none;
    uint32_t clock_fixed;
    uint32_t expect_msgs;
    uint32_t expect_bytes;
    uint32_t deadline_ms;
    bool crash;
    bool netif_poll;
    /* the run */
    bool dhcp_logged;
    bool body_started;
    uint32_t body_start_ms;
    uint32_t body_ms;
    uint32_t msg_bytes;
    uint32_t total_bytes;
    uint32_t complete;
    uint32_t incomplete;
    unsigned char *heap;
    size_t heap_len;
} run;

static unsigned char ca_pem[CA_MAX];
static size_t ca_pem_len;
static char token[TOKEN_MAX];
static size_t token_len;

/* Not inlined, not merged: the TCG plugin counts phases from their addresses. */
__attribute__((noinline, used)) void qemu_mark_body_start(void)
{
    __asm volatile("" ::: "memory");
}

__attribute__((noinline, used)) void qemu_mark_body_end(void)
{
    __asm volatile("nop" ::: "memory");
}

/* crash=1: an undefined instruction, so the test sees the fault handler report and exit. */
__attribute__((noinline, used)) void qemu_run_crash(void)
{
    __asm volatile("udf #0");
}

static void config_fail(const char *what)
{
    fw_log_text("qemu-run: bad setting", what, strlen(what));
    semihost_exit(SEMIHOST_EXIT_CONFIG);
}

static void parse(char *s)
{
    while (*s != '\0') {
        char *key = s;
        char *val;
        while (*s != '\0' && *s != ' ') {
            s++;
        }
        if (*s == ' ') {
            *s++ = '\0';
        }
        val = strchr(key, '=');
        if (val == NULL) {
            continue; /* the -kernel file name QEMU puts first */
        }
        *val++ = '\0';
        if (strcmp(key, "sec") == 0) {
            if (strcmp(val, "tls") == 0) {
                run.sec = POP3_SEC_IMPLICIT_TLS;
            } else if (strcmp(val, "stls") == 0) {
                run.sec = POP3_SEC_STLS;
            } else if (strcmp(val, "plain") == 0) {
                run.sec = POP3_SEC_PLAINTEXT;
            } else {
                config_fail("sec");
            }
        } else if (strcmp(key, "port") == 0) {
            run.port = (uint16_t)strtoul(val, NULL, 10);
        } else if (strcmp(key, "host") == 0) {
            run.host = val;
        } else if (strcmp(key, "user") == 0) {
            run.user = val;
        } else if (strcmp(key, "pass") == 0) {
            run.pass = val;
        } else if (strcmp(key, "ca") == 0) {
            run.ca_path = val;
        } else if (strcmp(key, "nv") == 0) {
            run.nv_path = val;
        } else if (strcmp(key, "token") == 0) {
            run.token_path = val;
        } else if (strcmp(key, "clock") == 0) {
            run.clock_none = strcmp(val, "none") == 0;
            run.clock_fixed = strcmp(val, "host") == 0 || run.clock_none ? 0U : (uint32_t)strtoul(val, NULL, 10);
        } else if (strcmp(key, "expect") == 0) {
            run.expect_msgs = (uint32_t)strtoul(val, NULL, 10);
        } else if (strcmp(key, "bytes") == 0) {
            run.expect_bytes = (uint32_t)strtoul(val, NULL, 10);
        } else if (strcmp(key, "netif") == 0) {
            run.netif_poll = strcmp(val, "poll") == 0;
            if (!run.netif_poll && strcmp(val, "irq") != 0) {
                config_fail("netif");
            }
        } else if (strcmp(key, "crash") == 0) {
            run.crash = strcmp(val, "1") == 0;
        } else if (strcmp(key, "deadline") == 0) {
            run.deadline_ms = (uint32_t)strtoul(val, NULL, 10) * 1000U;
        } else {
            config_fail(key);
        }
    }
}

void qemu_run_init(void)
{
    run.sec = POP3_SEC_IMPLICIT_TLS;
    run.host = "localhost";
    run.user = "alice";
    run.pass = "secret";
    run.deadline_ms = 60000U;
    if (semihost_cmdline(run.cmdline, sizeof run.cmdline) < 0) {
        config_fail("no command line (semihosting off?)");
    }
    parse(run.cmdline);
    if (run.port == 0U) {
        config_fail("port");
    }
    if (run.sec != POP3_SEC_PLAINTEXT) {
        if (run.ca_path == NULL) {
            config_fail("ca");
        }
        long n = semihost_read_file(run.ca_path, ca_pem, sizeof ca_pem - 1U);
        if (n <= 0) {
            config_fail(run.ca_path);
        }
        ca_pem[n] = '\0';
        ca_pem_len = (size_t)n + 1U; /* PEM: the NUL is counted */
    }
    if (run.token_path != NULL) {
        long n = semihost_read_file(run.token_path, token, sizeof token);
        if (n <= 0 || (size_t)n == sizeof token) {
            config_fail(run.token_path); /* missing, empty, or too long for TOKEN_MAX */
        }
        token_len = (size_t)n;
        while (token_len > 0U && (token[token_len - 1U] == '\n' || token[token_len - 1U] == '\r')) {
            token_len--;
        }
    }
    if (run.nv_path != NULL) {
        uint8_t probe;
        if (semihost_pread(run.nv_path, 0U, &probe, 1U) < 0) {
            config_fail(run.nv_path); /* missing: the test gives an existing (maybe empty) file */
        }
    }
    fw_log_str("qemu-run: mps2-an386, settings from the command line");
    if (run.crash) {
        qemu_run_crash();
    }
}

pop3_security_t qemu_run_security(void) { return run.sec; }
uint16_t qemu_run_port(void) { return run.port; }
const char *qemu_run_host(void) { return run.host; }
const char *qemu_run_user(void) { return run.user; }
const char *qemu_run_pass(void) { return run.pass; }
const unsigned char *qemu_run_ca(void) { return ca_pem; }
size_t qemu_run_token_len(void) { return token_len; }

/* The token as a product would stream it from flash: the core asks for pieces when it sends them. */
bool qemu_run_token_read(void *ctx, size_t offset, uint8_t *buf, size_t len)
{
    (void)ctx;
    if (offset > token_len || len > token_len - offset) {
        return false;
    }
    memcpy(buf, token + offset, len);
    return true;
}
size_t qemu_run_ca_len(void) { return ca_pem_len; }
bool qemu_run_netif_irq(void) { return !run.netif_poll; }
const char *qemu_run_nv_path(void) { return run.nv_path; }
void qemu_run_nv_written(void) { run.nv_writes++; }

/* TEST-BOARD-ONLY: the host's clock (SYS_TIME), or none, or a fixed time. A product: RTC/SNTP. */
time_t board_unix_time(void)
{
    if (run.clock_none) {
        return 0;
    }
    return (time_t)(run.clock_fixed != 0U ? run.clock_fixed : semihost_time());
}

static void log_ip(void)
{
    const struct netif *n = board_netif();
    char text[16];

    if (n == NULL || ip4_addr_isany_val(*netif_ip4_addr(n))) {
        return;
    }
    (void)ip4addr_ntoa_r(netif_ip4_addr(n), text, sizeof text);
    fw_log_text("qemu-run: address", text, strlen(text));
    run.dhcp_logged = true;
}

void qemu_run_check(void)
{
    if (!run.dhcp_logged) {
        log_ip();
    }
    if (run.deadline_ms != 0U && sys_now() >= run.deadline_ms) {
        fw_log_u32("qemu-run: FAIL: no verdict before the deadline, ms", run.deadline_ms);
        semihost_exit(SEMIHOST_EXIT_DEADLINE);
    }
}

/* ---- The application's hooks --------------------------------------------------- */

void app_tls_heap(unsigned char *heap, size_t len)
{
    run.heap = heap;
    run.heap_len = len;
    memset(heap + HEAP_SKIP, HEAP_PAINT, len - HEAP_SKIP);
}

/* Octets of the heap touched so far, from its start: an upper bound of the peak in use. */
static uint32_t heap_high_water(void)
{
    size_t top = run.heap_len;

    while (top > HEAP_SKIP && run.heap[top - 1U] == HEAP_PAINT) {
        top--;
    }
    return (uint32_t)top;
}

void app_mail_data(const char *data, size_t len)
{
    (void)data;
    if (!run.body_started) {
        run.body_started = true;
        run.body_start_ms = sys_now();
        qemu_mark_body_start();
    }
    run.msg_bytes += (uint32_t)len;
}

void app_mail_end(const char *uid, size_t uid_len, bool complete)
{
    fw_log_text(complete ? "mail done" : "mail incomplete", uid, uid_len);
    fw_log_u32("  octets", run.msg_bytes);
    run.total_bytes += run.msg_bytes;
    run.msg_bytes = 0;
    if (complete) {
        run.complete++;
    } else {
        run.incomplete++;
    }
    if (run.complete + run.incomplete == run.expect_msgs) {
        run.body_ms = sys_now() - run.body_start_ms;
        qemu_mark_body_end();
    }
}

void app_session_end(pop3_status_t status)
{
    const char *st = pop3_status_str(status);
    bool good = status == POP3_OK && run.incomplete == 0U && run.complete == run.expect_msgs &&
                run.total_bytes == run.expect_bytes;
    uint32_t stack = board_stack_high_water();

    fw_log_text("qemu-run: session", st, strlen(st));
    fw_log_u32("qemu-run: messages complete", run.complete);
    fw_log_u32("qemu-run: messages incomplete", run.incomplete);
    fw_log_u32("qemu-run: body octets", run.total_bytes);
    fw_log_u32("qemu-run: body ms (SysTick, QEMU virtual time)", run.body_ms);
    fw_log_u32("qemu-run: netif interrupts", lan9118_irq_count());
    fw_log_u32("qemu-run: netif frames dropped", lan9118_rx_dropped());
    fw_log_u32("qemu-run: stack high-water", stack);
    fw_log_u32("qemu-run: stack size", board_stack_size());
    fw_log_u32("qemu-run: NV writes", run.nv_writes);
    if (run.heap != NULL) {
        fw_log_u32("qemu-run: mbedTLS heap high-water", heap_high_water());
    }
    if (stack >= board_stack_size()) {
        fw_log_str("qemu-run: FAIL: the stack overflowed its paint");
        good = false;
    }
    if (!good) {
        fw_log_u32("qemu-run: FAIL: expected messages", run.expect_msgs);
        fw_log_u32("qemu-run: FAIL: expected octets", run.expect_bytes);
        semihost_exit(SEMIHOST_EXIT_FAILED);
    }
    fw_log_str("qemu-run: OK");
    semihost_exit(SEMIHOST_EXIT_OK);
}
