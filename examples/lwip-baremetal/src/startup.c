/**
 * @file startup.c
 * @brief Minimal Cortex-M4 start-up: vector table, .data copy, .bss clear,
 *        FPU enable (hard-float builds), then main(). A real board usually
 *        takes its vendor's start-up file (with the full IRQ table) instead.
 */
#include <stdint.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);

void Reset_Handler(void);
void Default_Handler(void);
void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));
/* BOARD HOOK: the Ethernet MAC interrupt (vector number is part-specific; 61 on STM32F4). */
void ETH_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));

#define FW_NUM_IRQ 82U
#define FW_ETH_IRQ 61U

typedef void (*vector_t)(void);

/* The core vectors plus FW_NUM_IRQ device interrupts (all unused but Ethernet). */
__attribute__((section(".isr_vector"), used))
const vector_t fw_vector_table[16U + FW_NUM_IRQ] = {
    [0] = (vector_t)(uintptr_t)&_estack,
    [1] = Reset_Handler,
    [2] = NMI_Handler,
    [3] = HardFault_Handler,
    [4] = MemManage_Handler,
    [5] = BusFault_Handler,
    [6] = UsageFault_Handler,
    [11] = SVC_Handler,
    [12] = DebugMon_Handler,
    [14] = PendSV_Handler,
    [15] = SysTick_Handler,
    [16U ... 16U + FW_ETH_IRQ - 1U] = Default_Handler,
    [16U + FW_ETH_IRQ] = ETH_IRQHandler,
    [16U + FW_ETH_IRQ + 1U ... 16U + FW_NUM_IRQ - 1U] = Default_Handler,
};

void Reset_Handler(void)
{
    uint32_t *src = &_sidata;
    uint32_t *dst;

    for (dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0U;
    }
#if defined(__ARM_FP)
    /* CPACR: full access to CP10/CP11 before any floating-point instruction. */
    *(volatile uint32_t *)0xE000ED88UL |= (0xFUL << 20);
    __asm volatile("dsb\n\tisb");
#endif
    (void)main();
    for (;;) {
    }
}

void Default_Handler(void)
{
    for (;;) {
    }
}
