/**
 * @file snprintf_check.c
 * @brief src/fw_snprintf.c (compiled here as fw_test_snprintf) against the C
 *        library's snprintf: same text, same return value, same truncation,
 *        for the conversions it supports, at every buffer size.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int fw_test_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

static int failures;

static void check(const char *fmt, ...)
{
    char want[256], got[256];
    va_list ap, ap2;

    for (size_t size = 0; size <= 100; size++) {
        int rw, rg;
        memset(want, 'X', sizeof want);
        memset(got, 'X', sizeof got);
        va_start(ap, fmt);
        va_copy(ap2, ap);
        rw = vsnprintf(want, size, fmt, ap);
        rg = fw_test_vsnprintf(got, size, fmt, ap2);
        va_end(ap2);
        va_end(ap);
        if (rw != rg || memcmp(want, got, sizeof want) != 0) {
            fprintf(stderr, "snprintf_check: \"%s\" size %zu: libc %d \"%.*s\", fw %d \"%.*s\"\n", fmt, size,
                    rw, (int)(size ? size - 1 : 0), want, rg, (int)(size ? size - 1 : 0), got);
            failures++;
            return;
        }
    }
}

int main(void)
{
    check("plain text");
    check("%s: %s (-0x%04X)", "TLS handshake failed", "", 0x7780U);
    check("certificate not valid for host '%.80s'", "a-very-long-host-name.example.com");
    check("%.3s|%5s|%-5s|%s", "abcdef", "ab", "ab", (const char *)"x");
    check("%d %i %u %x %X %c %%", -42, 7, 4000000000U, 0xbeefU, 0xbeefU, 'q');
    check("%5d|%-5d|%05d|%.3d|%ld|%lu|%lld|%llu", 42, 42, -42, 7, -123456789L, 123456789UL,
          -1234567890123LL, 18446744073709551615ULL);
    check("%zu %hhu %hu %lx", (size_t)12345, 300, 70000, 0xdeadbeefUL);
    check("%*d|%-*d|%.*s", 6, 12, 6, 12, 2, "xyz");
    check("PSA crypto initialisation failed (%ld)", -134L);
    check("%d", -2147483647 - 1);
    if (failures == 0) {
        printf("snprintf_check: fw_snprintf matches the C library\n");
    }
    return failures == 0 ? 0 : 1;
}
