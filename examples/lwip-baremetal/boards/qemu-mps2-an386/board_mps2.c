/**
 * @file board_mps2.c
 * @brief Board hooks (board.h) for QEMU's mps2-an386 (Cortex-M4, 25 MHz):
 *        CMSDK UART0 log, SysTick millisecond clock, LAN9118 netif (receive
 *        signalled by its interrupt, or polled), fault handlers, a painted stack.
 *
 * TEST-BOARD-ONLY parts are marked so: entropy and the wall clock come from
 * the QEMU host through semihosting (qemu_run.c, semihost.c). A product
 * implements the same hooks with its TRNG and its RTC/SNTP clock.
 */
#include "board.h"

#include <string.h>

#include "lan9118_netif.h"
#include "lwip/sys.h"
#include "qemu_run.h"
#include "semihost.h"

/* ---- CMSDK UART0 ------------------------------------------------------------ */
#define UART0_BASE 0x40004000UL
#define UART_DATA (*(volatile uint32_t *)(UART0_BASE + 0x00U))
#define UART_STATE (*(volatile uint32_t *)(UART0_BASE + 0x04U))
#define UART_CTRL (*(volatile uint32_t *)(UART0_BASE + 0x08U))
#define UART_BAUDDIV (*(volatile uint32_t *)(UART0_BASE + 0x10U))
#define UART_STATE_TX_FULL 0x1U
#define UART_CTRL_TX_EN 0x1U
#define UART_BAUD 115200U

/* ---- SysTick (architectural) ---------------------------------------------------- */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010UL)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014UL)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018UL)
#define SYST_CSR_ENABLE_TICKINT_CLKSOURCE 0x7UL

/* ---- System control block: fault status --------------------------------------- */
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28UL)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2CUL)
#define SCB_MMFAR (*(volatile uint32_t *)0xE000ED34UL)
#define SCB_BFAR (*(volatile uint32_t *)0xE000ED38UL)

#define SCB_VTOR (*(volatile uint32_t *)0xE000ED08UL)

#define STACK_PAINT 0xC5C5C5C5UL
#define LAN9118_IRQN 13U      /* mps2-an386: ETHERNET interrupt */
#define RAM_VECTORS (16U + 64U) /* core exceptions + the first 64 device interrupts */

typedef void (*vector_t)(void);
extern const vector_t fw_vector_table[]; /* src/startup.c: 16 + 82 entries in flash */

/* A copy of the vector table in RAM with the Ethernet entry set (src/startup.c's table
 * routes every device interrupt but its part-specific ETH_IRQHandler to Default_Handler).
 * VTOR needs the table aligned to its size rounded up to a power of two. */
static vector_t ram_vectors[RAM_VECTORS] __attribute__((aligned(512)));

extern uint32_t _sstack, _estack; /* mps2-an386.ld */

static volatile uint32_t ms_ticks;
static struct netif *the_netif;

void SysTick_Handler(void)
{
    ms_ticks++;
}

u32_t sys_now(void)
{
    return ms_ticks;
}

void board_log_write(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while ((UART_STATE & UART_STATE_TX_FULL) != 0U) {
        }
        UART_DATA = (uint8_t)text[i];
    }
}

/* The stack's bounds as addresses (linker symbols are not C objects: compare integers). */
static uintptr_t stack_bottom(void)
{
    return (uintptr_t)&_sstack;
}

static uintptr_t stack_top(void)
{
    return (uintptr_t)&_estack;
}

/* Paint the unused stack below the current frame; board_stack_high_water() reads it back. */
static void stack_paint(void)
{
    uintptr_t sp;

    __asm volatile("mov %0, sp" : "=r"(sp));
    for (uintptr_t a = stack_bottom(); a + 64U < sp; a += 4U) { /* leave this frame's neighbourhood */
        *(volatile uint32_t *)a = STACK_PAINT;
    }
}

uint32_t board_stack_high_water(void)
{
    uintptr_t a = stack_bottom();

    while (a < stack_top() && *(const volatile uint32_t *)a == STACK_PAINT) {
        a += 4U;
    }
    return (uint32_t)(stack_top() - a);
}

uint32_t board_stack_size(void)
{
    return (uint32_t)(stack_top() - stack_bottom());
}

void board_init(void)
{
    stack_paint();
    UART_BAUDDIV = FW_CORE_CLOCK_HZ / UART_BAUD; /* >= 16 */
    UART_CTRL = UART_CTRL_TX_EN;
    SYST_RVR = (FW_CORE_CLOCK_HZ / 1000U) - 1U;
    SYST_CVR = 0U;
    SYST_CSR = SYST_CSR_ENABLE_TICKINT_CLKSOURCE;
    qemu_run_init(); /* TEST-BOARD-ONLY: settings from the QEMU command line */
}

static void ethernet_irq(void)
{
    lan9118_netif_isr();
}

static void netif_irq_setup(void)
{
    for (unsigned i = 0; i < RAM_VECTORS; i++) {
        ram_vectors[i] = fw_vector_table[i];
    }
    ram_vectors[16U + LAN9118_IRQN] = ethernet_irq;
    __asm volatile("dsb" ::: "memory");
    SCB_VTOR = (uint32_t)(uintptr_t)ram_vectors;
    __asm volatile("dsb\n\tisb" ::: "memory");
    lan9118_netif_irq_enable(LAN9118_IRQN);
}

err_t board_netif_init(struct netif *netif)
{
    err_t err = lan9118_netif_init(netif);

    if (err != ERR_OK) {
        fw_log_str("lan9118: no chip at 0x40200000");
        semihost_exit(SEMIHOST_EXIT_FAULT);
    }
    the_netif = netif;
    if (qemu_run_netif_irq()) { /* default; netif=poll on the command line polls instead */
        netif_irq_setup();
    }
    return err;
}

void board_netif_poll(struct netif *netif)
{
    lan9118_netif_poll(netif);
}

const struct netif *board_netif(void)
{
    return the_netif;
}

/* TEST-BOARD-ONLY: host random bytes (/dev/urandom through semihosting). A product reads its TRNG. */
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen)
{
    long n = semihost_read_file("/dev/urandom", output, len);

    (void)data;
    *olen = n > 0 ? (size_t)n : 0U;
    return n == (long)len ? 0 : -1;
}

/* lwIP's LWIP_RAND(): a xorshift seeded once from the entropy hook (TCP ISNs, ports, DNS ids). */
uint32_t board_rand(void)
{
    static uint32_t state;

    if (state == 0U) {
        size_t got = 0;
        (void)mbedtls_hardware_poll(NULL, (unsigned char *)&state, sizeof state, &got);
        state |= 1U;
    }
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

void board_idle(void)
{
    qemu_run_check(); /* TEST-BOARD-ONLY: deadline */
    __asm volatile("wfi");
}

/* ---- Faults: report on the UART, exit with SEMIHOST_EXIT_FAULT ------------------ */

static void log_hex(const char *label, uint32_t v)
{
    char hex[10] = { '0', 'x' };

    for (int i = 0; i < 8; i++) {
        hex[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xFU];
    }
    fw_log_text(label, hex, sizeof hex);
}

void board_fault_report(const uint32_t *frame, uint32_t exc_return)
{
    uint32_t ipsr;

    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    fw_log_u32("FAULT: exception", ipsr & 0x1FFU);
    log_hex("  pc", frame[6]);
    log_hex("  lr", frame[5]);
    log_hex("  sp", (uint32_t)(uintptr_t)frame);
    log_hex("  exc_return", exc_return);
    log_hex("  cfsr", SCB_CFSR);
    log_hex("  hfsr", SCB_HFSR);
    log_hex("  mmfar", SCB_MMFAR);
    log_hex("  bfar", SCB_BFAR);
    semihost_exit(SEMIHOST_EXIT_FAULT);
}

/* The stacked frame is on MSP or PSP (EXC_RETURN bit 2); hand it to the C reporter. */
__attribute__((naked)) void HardFault_Handler(void)
{
    __asm volatile(
        "tst lr, #4\n\t"
        "ite eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "mov r1, lr\n\t"
        "b board_fault_report\n\t");
}

void NMI_Handler(void) __attribute__((alias("HardFault_Handler")));
void MemManage_Handler(void) __attribute__((alias("HardFault_Handler")));
void BusFault_Handler(void) __attribute__((alias("HardFault_Handler")));
void UsageFault_Handler(void) __attribute__((alias("HardFault_Handler")));
