/*
 * Host harness: lwIP (NO_SYS=1) inside this process, one Ethernet netif whose
 * frames go through libslirp to the host's sockets. Guest 10.0.2.15/24,
 * gateway 10.0.2.2 = the host's 127.0.0.1 (restricted=0). DHCP and DNS off.
 * Nothing leaves the machine.
 */
#ifndef POP3_TEST_SLIRP_NETIF_H
#define POP3_TEST_SLIRP_NETIF_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/netif.h"

/* ---- The link: libslirp attached to a netif the caller created ------------------------
 * Used on its own by examples/lwip-baremetal/host-check/board_host.c (the firmware's
 * lwipopts, its own lwip_init/netif_add/sys_check_timeouts) and by the harness below.
 * This file also provides sys_now() (CLOCK_MONOTONIC, ms) and pop3_lwip_test_rand(). */

/** Ignore SIGPIPE and start slirp (10.0.2.0/24, host 10.0.2.2 = 127.0.0.1, no DHCP/DNS).
 *  Exits the process on failure. */
void slirp_link_init(void);
/** netif_add() init function: Ethernet, MAC 52:54:00:12:34:56, MTU 1500, frames to slirp. */
err_t slirp_link_netif_init(struct netif *nif);
/** One round: poll slirp's sockets (up to max_wait_ms), run slirp's timers, feed the
 *  frames slirp queued to nif->input. lwIP's own timers are the caller's. */
void slirp_link_poll(struct netif *nif, int max_wait_ms);
/** Feed what is still queued to nif (if not NULL), stop slirp, drop the rest. */
void slirp_link_shutdown(struct netif *nif);

/* ---- The harness: lwIP + the link + one netif 10.0.2.15/24 ------------------------------ */

/** Start lwIP and slirp, bring the netif up. Exits the process on failure. */
void harness_init(void);
/** One round: poll slirp's sockets (up to max_wait_ms), run timers, feed frames to lwIP. */
void harness_poll(int max_wait_ms);
/** The guest netif. */
struct netif *harness_netif(void);
/** Frames moved in each direction (diagnostics). */
void harness_counts(unsigned long *to_host, unsigned long *to_guest);
void harness_shutdown(void);

#endif
