/**
 * @file arch/cc.h
 * @brief lwIP compiler/platform glue for Cortex-M with arm-none-eabi-gcc and
 *        newlib(-nano). No printf: diagnostics and assertions go to the
 *        board's log hook (fw_log.h), so newlib's stdio (and its malloc) stay out.
 */
#ifndef LWIP_ARCH_CC_H
#define LWIP_ARCH_CC_H

#include <stdint.h>

/* Cortex-M is little-endian (newlib's <machine/endian.h> may have said so already). */
#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN
#endif

/* newlib has <errno.h>; lwIP's raw API does not need errno at all. */
#define LWIP_ERRNO_STDINCLUDE 1

/* GCC packs structures with attributes. */
#define PACK_STRUCT_BEGIN
#define PACK_STRUCT_STRUCT __attribute__((packed))
#define PACK_STRUCT_END
#define PACK_STRUCT_FIELD(x) x

/* Byte swapping in one instruction (REV). */
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))

/* Diagnostics: one fixed string, no formatting (the argument list is dropped). */
void fw_log_str(const char *s);
void fw_fatal(const char *what, const char *file, int line) __attribute__((noreturn));
#define LWIP_PLATFORM_DIAG(x) do { } while (0)
#define LWIP_PLATFORM_ASSERT(x) fw_fatal((x), __FILE_NAME__, __LINE__)

/* Random numbers for TCP initial sequence numbers, DNS ids and ports: board hook. */
uint32_t board_rand(void);
#define LWIP_RAND() ((u32_t)board_rand())

#endif /* LWIP_ARCH_CC_H */
