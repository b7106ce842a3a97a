/**
 * @file fw_log.c
 * @brief A few logging helpers over board_log_write(): no printf, no heap.
 */
#include "board.h"

#include <string.h>

void fw_log_str(const char *s)
{
    board_log_write(s, strlen(s));
    board_log_write("\r\n", 2);
}

void fw_log_text(const char *label, const char *text, size_t len)
{
    char buf[96];
    size_t n = 0;

    while (n < len && n < sizeof buf) {
        unsigned char ch = (unsigned char)text[n];
        buf[n] = (ch < 0x20U || ch > 0x7EU) ? '?' : (char)ch; /* server text: no terminal escapes */
        n++;
    }
    board_log_write(label, strlen(label));
    board_log_write(": ", 2);
    board_log_write(buf, n);
    board_log_write("\r\n", 2);
}

void fw_log_u32(const char *label, uint32_t value)
{
    char digits[10];
    size_t n = sizeof digits;

    do {
        digits[--n] = (char)('0' + (value % 10U));
        value /= 10U;
    } while (value != 0U && n > 0U);
    fw_log_text(label, digits + n, sizeof digits - n);
}

void fw_fatal(const char *what, const char *file, int line)
{
    fw_log_text("FATAL", what, strlen(what));
    fw_log_text("  at", file, strlen(file));
    fw_log_u32("  line", (uint32_t)line);
#if defined(__arm__)
    __asm volatile("cpsid i");
#endif
    for (;;) {
        /* a watchdog, if the board has one, resets the device */
    }
}
