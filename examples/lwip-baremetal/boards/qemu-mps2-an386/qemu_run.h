/**
 * @file qemu_run.h
 * @brief TEST-BOARD-ONLY: the QEMU test run. Settings come from the QEMU
 *        command line (-append, read with SYS_GET_CMDLINE), the verdict leaves
 *        through SYS_EXIT_EXTENDED. See PORTING.md, "The QEMU board".
 *
 * -append "key=value ..." keys:
 *   sec=tls|stls|plain   POP3S (implicit TLS), STLS, or plaintext
 *   port=N               server port (QEMU's user network: 10.0.2.2 = the host's 127.0.0.1)
 *   host=NAME            name for SNI and the certificate check (default localhost)
 *   ca=PATH              host file with the trust anchor (PEM), read through semihosting
 *   user=U pass=P        login
 *   token=PATH           host file with an OAuth access token: log in with XOAUTH2 (the
 *                        token streamed through qemu_run_token_read()), not USER/PASS
 *   clock=host|none|N    wall clock: the host's (SYS_TIME), never set (0), or fixed N (Unix s)
 *   expect=N bytes=B     the run holds only if N messages arrive complete, B octets in all
 *   deadline=S           exit with SEMIHOST_EXIT_DEADLINE after S seconds (default 60)
 *   netif=irq|poll       LAN9118 receive signalled by its interrupt (default) or polled
 *   nv=PATH              existing host file holding the command-mail state's two NV slots
 *                        (nv_semihost.c), shared by boots in a row; without it, RAM for one boot
 *   crash=1              execute an undefined instruction at start (tests the fault handler)
 */
#ifndef QEMU_RUN_H
#define QEMU_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/netif.h"
#include "pop3.h"

#ifdef __cplusplus
extern "C" {
#endif

void qemu_run_init(void);
void qemu_run_check(void);

pop3_security_t qemu_run_security(void);
uint16_t qemu_run_port(void);
const char *qemu_run_host(void);
const char *qemu_run_user(void);
const char *qemu_run_pass(void);
const unsigned char *qemu_run_ca(void);
size_t qemu_run_ca_len(void);
size_t qemu_run_token_len(void);
bool qemu_run_token_read(void *ctx, size_t offset, uint8_t *buf, size_t len);
bool qemu_run_netif_irq(void);
const char *qemu_run_nv_path(void);
void qemu_run_nv_written(void);

/* board_mps2.c */
uint32_t board_stack_high_water(void);
uint32_t board_stack_size(void);
const struct netif *board_netif(void);

/* Phase marks for the instruction-counting TCG plugin (test/qemu/insn_count.c finds them by symbol). */
void qemu_mark_body_start(void);
void qemu_mark_body_end(void);

#ifdef __cplusplus
}
#endif

#endif /* QEMU_RUN_H */
