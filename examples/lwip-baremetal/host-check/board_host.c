/**
 * @file board_host.c
 * @brief The firmware's board hooks on Linux, so the unchanged src/main.c runs
 *        in a test process: the Ethernet netif goes through libslirp (guest
 *        10.0.2.15, gateway 10.0.2.2 = the host's 127.0.0.1) with the link part of
 *        test/lwip/slirp_netif.c (which also supplies sys_now(), CLOCK_MONOTONIC),
 *        entropy is getrandom(), the wall clock is time().
 *
 * The run is judged from the application hooks: session 1 must fetch every
 * message completely and end with a clean QUIT; session 2 (after
 * FW_FETCH_INTERVAL_MS) must fetch nothing, because every UID is in the
 * command-mail module's seen set (its NV slots are RAM here, for the life of
 * the process); mbedTLS's heap must be empty after each session.
 * Exit 0 on success, 1 on failure (also when no verdict came within FW_HOST_DEADLINE_S).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "board.h"
#include "lwip/sys.h"
#include "mbedtls/memory_buffer_alloc.h"
#include "pop3.h"
#include "slirp_netif.h"

#ifndef FW_HOST_EXPECT_MSGS
#define FW_HOST_EXPECT_MSGS 6U
#endif
#ifndef FW_HOST_DEADLINE_S
#define FW_HOST_DEADLINE_S 240
#endif

/* ---- randomness, log (sys_now() is slirp_netif.c's) ---------------------------- */

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

/* ---- the netif: test/lwip/slirp_netif.c's link part ------------------------------ */

void board_init(void)
{
    slirp_link_init();
}

err_t board_netif_init(struct netif *netif)
{
    return slirp_link_netif_init(netif);
}

void board_netif_poll(struct netif *netif)
{
    slirp_link_poll(netif, 5);
}

/* ---- the command-mail state's NV slots: RAM, for the life of this test process ------- */

static uint8_t nv_slots[2][1024];
static bool nv_written[2];

bool board_nv_read(unsigned slot, uint8_t *buf, size_t len)
{
    if (slot > 1U || len > sizeof nv_slots[0]) {
        return false;
    }
    memset(buf, 0xFF, len); /* never written: like erased flash */
    if (nv_written[slot]) {
        memcpy(buf, nv_slots[slot], len);
    }
    return true;
}

bool board_nv_write(unsigned slot, const uint8_t *buf, size_t len)
{
    if (slot > 1U || len > sizeof nv_slots[0]) {
        return false;
    }
    memcpy(nv_slots[slot], buf, len);
    nv_written[slot] = true;
    return true;
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
