/**
 * @file lan9118_netif.h
 * @brief lwIP netif driver for the SMSC LAN9118 (as on the Arm MPS2 boards and
 *        in QEMU's mps2-an386), polled, 32-bit FIFO access.
 */
#ifndef LAN9118_NETIF_H
#define LAN9118_NETIF_H

#include <stdint.h>

#include "lwip/err.h"
#include "lwip/netif.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Register block base address (mps2-an386: 0x40200000). */
#ifndef LAN9118_BASE
#define LAN9118_BASE 0x40200000UL
#endif

/**
 * netif init callback for netif_add(): resets the chip, checks BYTE_TEST and
 * ID_REV, takes the MAC address the chip holds (its EEPROM; QEMU: -nic
 * ...,mac=), enables the MAC (no promiscuous mode) and TX. ERR_IF when the
 * chip does not answer.
 */
err_t lan9118_netif_init(struct netif *netif);

/**
 * Move every received frame into lwIP (netif->input) and follow the PHY link
 * state. Call from the main loop only (NO_SYS=1: never from an interrupt).
 * In interrupt mode (lan9118_netif_irq_enable()) it returns at once unless the
 * interrupt reported frames or the periodic link check is due.
 */
void lan9118_netif_poll(struct netif *netif);

/**
 * Interrupt mode: the chip raises its IRQ line (active high, push-pull) when
 * the receive status FIFO holds a frame. The caller routes NVIC interrupt
 * @p irqn to lan9118_netif_isr() and this enables it. Without this call the
 * driver is polled on every lan9118_netif_poll().
 */
void lan9118_netif_irq_enable(unsigned irqn);

/** The interrupt handler: masks the NVIC line and flags the main loop; touches no lwIP state. */
void lan9118_netif_isr(void);

/** Interrupts taken (interrupt mode). */
uint32_t lan9118_irq_count(void);

/** Frames dropped by the driver: no pbuf free, or a receive error status. */
uint32_t lan9118_rx_dropped(void);

#ifdef __cplusplus
}
#endif

#endif /* LAN9118_NETIF_H */
