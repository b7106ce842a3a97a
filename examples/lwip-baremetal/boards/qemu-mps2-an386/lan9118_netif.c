/**
 * @file lan9118_netif.c
 * @brief SMSC LAN9118 lwIP driver, polled or interrupt-signalled. Register layout and FIFO formats
 *        from the LAN9118 datasheet; two QEMU 7.2 model facts are noted where
 *        they matter (TX_FIFO_INF counts words, unimplemented MAC registers
 *        abort the emulator: only MAC_CR, ADDRH/L, MII_ACC/DATA are touched).
 *
 * Data moves 32 bits at a time in both directions: received frames are read
 * word by word straight into the pbuf payload (4-aligned PBUF_POOL buffers);
 * transmitted pbufs go out as one TX buffer each, with the chip's "data start
 * offset" absorbing a payload that does not start on a word boundary, so no
 * frame is copied twice.
 */
#include "lan9118_netif.h"

#include "board.h"

#include <stdbool.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "lwip/snmp.h"
#include "lwip/sys.h"
#if LWIP_IPV6
#include "lwip/ethip6.h"
#endif

#define REG(off) (*(volatile uint32_t *)(LAN9118_BASE + (off)))
#define RX_DATA_FIFO REG(0x00U)
#define TX_DATA_FIFO REG(0x20U)
#define RX_STATUS_FIFO REG(0x40U)
#define TX_STATUS_FIFO REG(0x48U)
#define ID_REV REG(0x50U)
#define IRQ_CFG REG(0x54U)
#define INT_STS REG(0x58U)
#define INT_EN REG(0x5CU)
#define BYTE_TEST REG(0x64U)
#define RX_CFG REG(0x6CU)
#define TX_CFG REG(0x70U)
#define HW_CFG REG(0x74U)
#define RX_FIFO_INF REG(0x7CU)
#define TX_FIFO_INF REG(0x80U)
#define PMT_CTRL REG(0x84U)
#define MAC_CSR_CMD REG(0xA4U)
#define MAC_CSR_DATA REG(0xA8U)

#define BYTE_TEST_VALUE 0x87654321UL
#define HW_CFG_SRST 0x1UL
#define PMT_CTRL_READY 0x1UL
#define TX_CFG_TX_ON 0x2UL
#define MAC_CSR_BUSY 0x80000000UL
#define MAC_CSR_READ 0x40000000UL

#define MAC_CR 1U
#define MAC_ADDRH 2U
#define MAC_ADDRL 3U
#define MAC_MII_ACC 6U
#define MAC_MII_DATA 7U
#define MAC_CR_FDPX 0x00100000UL
#define MAC_CR_TXEN 0x00000008UL
#define MAC_CR_RXEN 0x00000004UL
#define MII_ACC_BUSY 0x1UL
#define MII_PHY_ADDR (1UL << 11) /* internal PHY */
#define PHY_BSR 1U
#define PHY_BSR_LINK 0x0004U

/* TX command A / B (datasheet 3.13.2) */
#define TXA_FIRST 0x00002000UL
#define TXA_LAST 0x00001000UL
#define TXA_OFFSET_SHIFT 16U
/* RX status word */
#define RXS_ERROR 0x00008000UL
#define RXS_LEN(s) (((s) >> 16) & 0x3FFFU)
#define RX_FCS_LEN 4U

#define INT_RSFL 0x00000008UL /* RX status FIFO level (FIFO_INT bits 7:0, 0 = any frame) */
#define NVIC_ISER(n) (*(volatile uint32_t *)(0xE000E100UL + 4U * (n)))
#define NVIC_ICER(n) (*(volatile uint32_t *)(0xE000E180UL + 4U * (n)))
#define NVIC_ICPR(n) (*(volatile uint32_t *)(0xE000E280UL + 4U * (n)))
#define LINK_CHECK_MS 500U

#define SPIN_LIMIT 100000U

static uint32_t rx_dropped;
static bool irq_mode;
static unsigned irq_num;
static volatile bool irq_seen;
static volatile uint32_t irq_count;
static uint32_t next_link_check;

uint32_t lan9118_rx_dropped(void)
{
    return rx_dropped;
}

static bool mac_wait(void)
{
    for (unsigned i = 0; i < SPIN_LIMIT; i++) {
        if ((MAC_CSR_CMD & MAC_CSR_BUSY) == 0U) {
            return true;
        }
    }
    return false;
}

static uint32_t mac_read(unsigned reg)
{
    MAC_CSR_CMD = MAC_CSR_BUSY | MAC_CSR_READ | reg;
    (void)mac_wait();
    return MAC_CSR_DATA;
}

static void mac_write(unsigned reg, uint32_t val)
{
    MAC_CSR_DATA = val;
    MAC_CSR_CMD = MAC_CSR_BUSY | reg;
    (void)mac_wait();
}

static uint16_t phy_read(unsigned reg)
{
    mac_write(MAC_MII_ACC, MII_PHY_ADDR | ((uint32_t)reg << 6) | MII_ACC_BUSY);
    for (unsigned i = 0; i < SPIN_LIMIT && (mac_read(MAC_MII_ACC) & MII_ACC_BUSY) != 0U; i++) {
    }
    return (uint16_t)mac_read(MAC_MII_DATA);
}

/* Free space in the TX data FIFO, in 32-bit words. The datasheet gives TDFREE in
 * bytes; QEMU 7.2's model counts words. LAN9118_TX_FREE_IN_BYTES=1 for the chip. */
static uint32_t tx_free_words(void)
{
    uint32_t free = TX_FIFO_INF & 0xFFFFU;
#if defined(LAN9118_TX_FREE_IN_BYTES) && LAN9118_TX_FREE_IN_BYTES
    free /= 4U;
#endif
    return free;
}

static void tx_status_drain(void)
{
    uint32_t used = (TX_FIFO_INF >> 16) & 0xFFU;

    while (used-- > 0U) {
        (void)TX_STATUS_FIFO;
    }
}

static err_t lan9118_linkoutput(struct netif *netif, struct pbuf *p)
{
    uint32_t need = 0;
    const struct pbuf *q;
    const struct pbuf *last = NULL;

    (void)netif;
    if (p->tot_len > 1514U) { /* the chip appends the FCS */
        return ERR_BUF;
    }
    for (q = p; q != NULL; q = q->next) {
        if (q->len != 0U) {
            uintptr_t a = (uintptr_t)q->payload;
            need += 2U + (uint32_t)(((a & 3U) + q->len + 3U) / 4U);
            last = q;
        }
    }
    for (unsigned i = 0; tx_free_words() < need; i++) {
        if (i == SPIN_LIMIT) {
            return ERR_IF;
        }
    }
    bool first = true;
    for (q = p; q != NULL; q = q->next) {
        if (q->len == 0U) {
            continue;
        }
        uintptr_t a = (uintptr_t)q->payload;
        uint32_t off = (uint32_t)(a & 3U);
        const volatile uint32_t *w = (const uint32_t *)(a - off); /* aligned word reads stay in RAM */
        uint32_t words = (off + q->len + 3U) / 4U;

        TX_DATA_FIFO = (first ? TXA_FIRST : 0U) | (q == last ? TXA_LAST : 0U) |
                       (off << TXA_OFFSET_SHIFT) | q->len;
        TX_DATA_FIFO = ((uint32_t)p->tot_len << 16) | p->tot_len; /* tag = length */
        while (words-- > 0U) {
            TX_DATA_FIFO = *w++;
        }
        first = false;
    }
    tx_status_drain();
    return ERR_OK;
}

static void rx_discard_words(uint32_t words)
{
    while (words-- > 0U) {
        (void)RX_DATA_FIFO;
    }
}

static void rx_one(struct netif *netif, uint32_t status)
{
    uint32_t len = RXS_LEN(status);
    uint32_t words = (len + 3U) / 4U;
    uint32_t frame = len > RX_FCS_LEN ? len - RX_FCS_LEN : 0U;
    struct pbuf *p;

    if ((status & RXS_ERROR) != 0U || frame < 14U || frame > 1514U) {
        rx_discard_words(words);
        rx_dropped++;
        return;
    }
    p = pbuf_alloc(PBUF_RAW, (u16_t)frame, PBUF_POOL);
    if (p == NULL) {
        rx_discard_words(words);
        rx_dropped++;
        return;
    }
    uint32_t left = words;
    if (p->next == NULL) {
        /* One pool buffer (PBUF_POOL_BUFSIZE holds a full frame): words straight in,
         * the last partial word through memcpy so nothing past the frame is written. */
        uint32_t *dst = (uint32_t *)p->payload; /* PBUF_POOL payloads are MEM_ALIGNMENT (4) aligned */
        uint32_t n = frame / 4U;
        left -= n;
        while (n-- > 0U) {
            *dst++ = RX_DATA_FIFO;
        }
        if ((frame & 3U) != 0U) {
            uint32_t v = RX_DATA_FIFO;
            left--;
            memcpy(dst, &v, frame & 3U);
        }
    } else {
        /* A chain (smaller pool buffers than this example's): via a word buffer. */
        static uint32_t bounce[(1514U + 3U) / 4U];
        uint32_t n = (frame + 3U) / 4U;
        left -= n;
        for (uint32_t i = 0; i < n; i++) {
            bounce[i] = RX_DATA_FIFO;
        }
        (void)pbuf_take(p, bounce, (u16_t)frame);
    }
    rx_discard_words(left); /* the FCS (and padding) */
    if (netif->input(p, netif) != ERR_OK) {
        pbuf_free(p);
    }
}

void lan9118_netif_isr(void)
{
    NVIC_ICER(irq_num / 32U) = 1UL << (irq_num % 32U); /* level stays high until the loop drains */
    irq_seen = true;
    irq_count++;
}

uint32_t lan9118_irq_count(void)
{
    return irq_count;
}

void lan9118_netif_irq_enable(unsigned irqn)
{
    irq_num = irqn;
    irq_mode = true;
    irq_seen = true; /* drain whatever came before */
    INT_STS = INT_RSFL;
    INT_EN = INT_RSFL;
    NVIC_ICPR(irqn / 32U) = 1UL << (irqn % 32U);
    NVIC_ISER(irqn / 32U) = 1UL << (irqn % 32U);
}

static void link_check(struct netif *netif)
{
    bool up = (phy_read(PHY_BSR) & PHY_BSR_LINK) != 0U;

    if (up && !netif_is_link_up(netif)) {
        netif_set_link_up(netif);
    } else if (!up && netif_is_link_up(netif)) {
        netif_set_link_down(netif);
    }
}

void lan9118_netif_poll(struct netif *netif)
{
    uint32_t now = sys_now();
    uint32_t pending;

    if ((int32_t)(now - next_link_check) >= 0) {
        next_link_check = now + LINK_CHECK_MS;
        link_check(netif);
    }
    if (irq_mode) {
        if (!irq_seen) {
            return;
        }
        irq_seen = false;
        INT_STS = INT_RSFL; /* clear first: a frame arriving while we drain sets it again */
    }
    pending = (RX_FIFO_INF >> 16) & 0xFFU;
    while (pending-- > 0U) {
        rx_one(netif, RX_STATUS_FIFO);
    }
    if (irq_mode) {
        NVIC_ISER(irq_num / 32U) = 1UL << (irq_num % 32U);
    }
}

err_t lan9118_netif_init(struct netif *netif)
{
    uint32_t lo, hi;

    if (BYTE_TEST != BYTE_TEST_VALUE || (ID_REV >> 16) != 0x0118U) {
        return ERR_IF;
    }
    HW_CFG = HW_CFG_SRST;
    for (unsigned i = 0; (HW_CFG & HW_CFG_SRST) != 0U || (PMT_CTRL & PMT_CTRL_READY) == 0U; i++) {
        if (i == SPIN_LIMIT) {
            return ERR_IF;
        }
    }
    INT_EN = 0U;          /* polled until lan9118_netif_irq_enable() */
    INT_STS = 0xFFFFFFFFUL;
    IRQ_CFG = 0x111U;     /* IRQ enabled, active high, push-pull: pends only on events */
    RX_CFG = 0U;          /* no data offset, no end padding */

    lo = mac_read(MAC_ADDRL);
    hi = mac_read(MAC_ADDRH);
    netif->hwaddr[0] = (u8_t)lo;
    netif->hwaddr[1] = (u8_t)(lo >> 8);
    netif->hwaddr[2] = (u8_t)(lo >> 16);
    netif->hwaddr[3] = (u8_t)(lo >> 24);
    netif->hwaddr[4] = (u8_t)hi;
    netif->hwaddr[5] = (u8_t)(hi >> 8);
    netif->hwaddr_len = 6;

    /* Unicast to our address and broadcast only (the MAC resets to promiscuous mode). */
    mac_write(MAC_CR, MAC_CR_FDPX | MAC_CR_TXEN | MAC_CR_RXEN);
    TX_CFG = TX_CFG_TX_ON;

    /* With IPv6 MLD the multicast filter needs MAC_CR_MCPAS or the hash (not set here). */
    board_netif_ethernet(netif, lan9118_linkoutput);
    return ERR_OK;
}
