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
