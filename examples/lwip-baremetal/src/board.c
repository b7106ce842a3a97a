/**
 * @file board.c
 * @brief BOARD HOOKS: weak placeholders so the image links without hardware.
 *
 * Replace each function marked "BOARD HOOK" with a strong definition in your
 * board support file (same name); these weak versions then drop out. The
 * placeholders fail safe: no entropy means TLS will not start, no wall clock
 * means no TLS while certificate dates are checked, no NV storage means no
 * command mail is fetched, and every transmitted frame is dropped. Only the SysTick millisecond clock is real (every
 * Cortex-M4 has one; set FW_CORE_CLOCK_HZ to your core clock).
 */
#include "board.h"

#include <string.h>

#include "lwip/etharp.h"
#include "lwip/sys.h"
#include "mbedtls/entropy.h"
#if LWIP_IPV6
#include "lwip/ethip6.h"
#endif

#define FW_WEAK __attribute__((weak))

/* ARMv7-M SysTick registers (architectural, same on every Cortex-M4). */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010UL)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014UL)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018UL)
#define SYST_CSR_ENABLE_TICKINT_CLKSOURCE 0x7UL

static volatile uint32_t ms_ticks;

/* BOARD HOOK: the millisecond tick. Replace if your HAL owns SysTick. */
FW_WEAK void SysTick_Handler(void)
{
    ms_ticks++;
}

/* BOARD HOOK: clocks, pins, PHY. The placeholder only starts the 1 ms SysTick. */
FW_WEAK void board_init(void)
{
    SYST_RVR = (FW_CORE_CLOCK_HZ / 1000U) - 1U;
    SYST_CVR = 0U;
    SYST_CSR = SYST_CSR_ENABLE_TICKINT_CLKSOURCE;
}

/* BOARD HOOK: lwIP's clock. */
FW_WEAK u32_t sys_now(void)
{
    return ms_ticks;
}

/* BOARD HOOK: transmit one Ethernet frame. The placeholder drops it. */
static err_t board_linkoutput(struct netif *netif, struct pbuf *p)
{
    (void)netif;
    (void)p;
    return ERR_OK;
}

void board_netif_ethernet(struct netif *netif, netif_linkoutput_fn linkoutput)
{
    netif->name[0] = 'e';
    netif->name[1] = '0';
    netif->output = etharp_output;
#if LWIP_IPV6
    netif->output_ip6 = ethip6_output;
#endif
    netif->linkoutput = linkoutput;
    netif->mtu = 1500;
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
#if LWIP_IPV6 && LWIP_IPV6_MLD
    netif->flags |= NETIF_FLAG_MLD6; /* the driver's multicast filter must pass MLD */
#endif
}

/* BOARD HOOK: set up the netif (MAC address from OTP/EEPROM, driver, flags). */
FW_WEAK err_t board_netif_init(struct netif *netif)
{
    static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 }; /* locally administered */

    board_netif_ethernet(netif, board_linkoutput);
    netif->hwaddr_len = 6;
    memcpy(netif->hwaddr, mac, sizeof mac);
    return ERR_OK;
}

/* BOARD HOOK: receive path. The placeholder receives nothing and reports the link up. */
FW_WEAK void board_netif_poll(struct netif *netif)
{
    /* Real driver: while (frame = eth_rx_dequeue()) { p = pbuf_alloc(PBUF_RAW, len, PBUF_POOL);
     * copy or chain the frame; if (netif->input(p, netif) != ERR_OK) pbuf_free(p); } */
    if (!netif_is_link_up(netif)) {
        netif_set_link_up(netif);
    }
}

/* BOARD HOOK: hardware TRNG. Without one, refuse: TLS must not run on guessable keys. */
FW_WEAK int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen)
{
    (void)data;
    (void)output;
    (void)len;
    *olen = 0;
    return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
}

/* BOARD HOOK: lwIP's LWIP_RAND(). The placeholder mixes the TRNG (if any) with SysTick. */
FW_WEAK uint32_t board_rand(void)
{
    static uint32_t state;
    uint32_t hw = 0;
    size_t got = 0;

    if (mbedtls_hardware_poll(NULL, (unsigned char *)&hw, sizeof hw, &got) == 0 && got == sizeof hw) {
        return hw;
    }
    state ^= SYST_CVR ^ (sys_now() << 16) ^ 0x9E3779B9UL;
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

/* BOARD HOOK: wall clock (RTC/SNTP). The placeholder does not know the time. */
FW_WEAK time_t board_unix_time(void)
{
    return 0;
}

/* BOARD HOOK: the command-mail state's two NV slots. Without storage, refuse (board.h). */
FW_WEAK bool board_nv_read(unsigned slot, uint8_t *buf, size_t len)
{
    (void)slot;
    (void)buf;
    (void)len;
    return false;
}

FW_WEAK bool board_nv_write(unsigned slot, const uint8_t *buf, size_t len)
{
    (void)slot;
    (void)buf;
    (void)len;
    return false;
}

/* BOARD HOOK: log output (UART, ITM, RTT). The placeholder discards it. */
FW_WEAK void board_log_write(const char *text, size_t len)
{
    (void)text;
    (void)len;
}

/* BOARD HOOK: sleep until the next interrupt (SysTick wakes us every ms). */
FW_WEAK void board_idle(void)
{
    __asm volatile("wfi");
}
