/**
 * @file board.h
 * @brief BOARD HOOKS: everything hardware-specific the example needs.
 *
 * src/board.c holds weak placeholder versions so the image links; a real
 * board overrides them (same names, strong definitions) in its own file.
 * The placeholders are marked "BOARD HOOK" and fail safe: no random source
 * means no TLS, no wall clock means no TLS when certificate dates are checked.
 *
 * Everything here runs in the main loop's context except SysTick_Handler.
 */
#ifndef FW_BOARD_H
#define FW_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lwip/err.h"
#include "lwip/netif.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Core clock in Hz, for the SysTick millisecond tick (placeholder: 16 MHz RC oscillator). */
#ifndef FW_CORE_CLOCK_HZ
#define FW_CORE_CLOCK_HZ 16000000U
#endif

/** BOARD HOOK: clocks, pins, the 1 ms tick (sys_now), Ethernet MAC/PHY power-up. */
void board_init(void);

/**
 * BOARD HOOK: the netif init function given to netif_add(): MAC address, MTU,
 * flags, netif->linkoutput (transmit a frame) and netif->output(_ip6).
 * The placeholder makes an Ethernet netif whose transmit drops every frame.
 */
err_t board_netif_init(struct netif *netif);

/**
 * Helper for board_netif_init(): the fields every Ethernet netif here shares (name "e0",
 * etharp/ethip6 output, MTU 1500, broadcast/ARP/Ethernet flags, MLD with IPv6) and the
 * driver's transmit function. The MAC address is the caller's.
 */
void board_netif_ethernet(struct netif *netif, netif_linkoutput_fn linkoutput);

/**
 * BOARD HOOK: the receive path. Called every main-loop pass: move each received
 * frame into a pbuf (PBUF_POOL) and hand it to netif->input(p, netif); update
 * the link state (netif_set_link_up/down) from the PHY. Never call lwIP from
 * the Ethernet interrupt itself (NO_SYS=1): queue there, feed here.
 */
void board_netif_poll(struct netif *netif);

/** BOARD HOOK: lwIP's millisecond clock (declared by lwIP in lwip/sys.h). */
/* u32_t sys_now(void); */

/**
 * BOARD HOOK: the true random number generator (MBEDTLS_ENTROPY_HARDWARE_ALT).
 * Fill @p output with up to @p len octets of hardware entropy, set *olen.
 * The placeholder returns MBEDTLS_ERR_ENTROPY_SOURCE_FAILED: TLS refuses to
 * start until the board supplies real entropy.
 */
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen);

/** BOARD HOOK: random numbers for lwIP (TCP sequence numbers, DNS ids, ports). */
uint32_t board_rand(void);

/**
 * BOARD HOOK: wall-clock time, seconds since 1970 UTC (RTC, SNTP, GNSS...).
 * Return 0 while the time is not known. Used for certificate validity dates
 * when FW_CERT_DATES=1; the app does not start TLS until it is known.
 */
time_t board_unix_time(void);

/**
 * BOARD HOOK: non-volatile storage of the command-mail state (cmdmail.h's
 * cmdmail_nv_t): two slots (@p slot 0 or 1) of @p len = CMDMAIL_NV_RECORD_LEN
 * octets, each in its own flash erase-block (or EEPROM area). board_nv_write()
 * returns only once the data is durable (erase, program, read back and
 * compare); a write cut by a reset may leave its slot with any content (the
 * module's CRC and generation count take care of that), never the other slot.
 * Both return false on an error. The placeholders return false: with no
 * storage that survives a reset, no command mail is fetched (a RAM copy would
 * let an old command run again after every reboot). PORTING.md has a sketch.
 */
bool board_nv_read(unsigned slot, uint8_t *buf, size_t len);
bool board_nv_write(unsigned slot, const uint8_t *buf, size_t len);

/** BOARD HOOK: write log text (UART, SWO/ITM, RTT...). Not NUL-terminated. */
void board_log_write(const char *text, size_t len);

/** BOARD HOOK: nothing to do until the next interrupt (WFI), or return at once. */
void board_idle(void);

/* ---- Tiny logging (no printf, no heap) ---------------------------------- */

/** Write a NUL-terminated string and a newline. */
void fw_log_str(const char *s);
/** Write "label: text" (text not NUL-terminated, control characters replaced) and a newline. */
void fw_log_text(const char *label, const char *text, size_t len);
/** Write "label: value" in decimal and a newline. */
void fw_log_u32(const char *label, uint32_t value);
/** Log and halt (lwIP assertions, unrecoverable start-up errors). */
void fw_fatal(const char *what, const char *file, int line) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif /* FW_BOARD_H */
