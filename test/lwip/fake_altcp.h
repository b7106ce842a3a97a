/*
 * A fake altcp layer for in-process tests of port/lwip: real lwIP pbufs and
 * altcp dispatch (altcp.c), with fake_altcp.c standing in for altcp_tcp.c
 * (link with lwip_<pair>_fakealtcp, which leaves altcp_tcp.c out). The test
 * drives the pcb's callbacks itself (connected, recv, sent, poll) and decides
 * when altcp_write fails and when lwIP reports an error.
 * Also provides sys_now() (fake_now) and pop3_lwip_test_rand().
 * Used by test/lwip/lwip_fake_test.c and test/fault/fault_lwip.c.
 */
#ifndef POP3_FAKE_ALTCP_H
#define POP3_FAKE_ALTCP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "lwip/altcp.h"
#include "lwip/pbuf.h"

#include "pop3.h"

/** State of the one fake pcb; a test resets it with memset between sessions. */
typedef struct {
    struct altcp_pcb *pcb;  /* NULL once closed/aborted/freed */
    size_t recved;          /* total acknowledged with altcp_recved */
    size_t delivered;       /* total handed to the recv callback (kept by the test) */
    u16_t sndbuf;           /* what altcp_sndbuf() reports; longer writes are a failed check */
    bool write_err_mem;     /* altcp_write fails with ERR_MEM */
    bool close_fails;       /* altcp_close fails with ERR_MEM */
    int closes, aborts, outputs, connects;
    u8_t ip_type;           /* of the last altcp_tcp_new_ip_type() */
} fake_altcp_t;

extern fake_altcp_t fake;
extern u32_t fake_now;      /* sys_now() */

/** Every check the fake makes on the client's use of altcp (ok false: failed). */
typedef void (*fake_altcp_check_fn)(int line, bool ok, const char *fmt, va_list ap);
/** Calls lwIP's err callback for fake_altcp_error(). */
typedef void (*fake_altcp_call_err_fn)(altcp_err_fn e, void *arg, err_t err);

/**
 * Per-test settings, set once (not touched by fake_altcp_reset()): the fake wire
 * @p sent (capacity @p sent_size; a write beyond it gets ERR_MEM) with its length
 * in @p *sent_len, what altcp_mss() reports, and the hooks (@p call_err NULL:
 * the err callback is called directly).
 */
void fake_altcp_configure(char *sent, size_t sent_size, size_t *sent_len, u16_t mss, fake_altcp_check_fn check,
                          fake_altcp_call_err_fn call_err);

/** A new session: fake zeroed (no pcb, nothing counted), altcp_sndbuf() at @p sndbuf. */
void fake_altcp_reset(u16_t sndbuf);

/** @p cfg zeroed, then the client's buffers, security and plaintext-login permission. */
void fake_altcp_client_config(pop3_config_t *cfg, char *line_buf, size_t line_buf_len, char *tx_buf,
                              size_t tx_buf_len, pop3_security_t sec, bool allow_plaintext_login);

/** One pbuf of @p type holding @p len octets of @p data (aborts if lwIP has none left). */
struct pbuf *fake_altcp_pbuf(const char *data, u16_t len, pbuf_type type);

/** pbufs (pool and RAM) and lwIP heap in use: 0 once everything delivered was freed. */
size_t fake_altcp_pbufs_in_use(void);

/** lwIP's view of a fatal error: the pcb is freed first, then err is called. */
void fake_altcp_error(err_t err);

#endif
