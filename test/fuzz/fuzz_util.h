/*
 * Small helpers shared by the libFuzzer engines (fuzz_harness*.c for
 * fuzz_reply/fuzz_session, fuzz_api*.c): the invariant check that aborts so
 * libFuzzer records the input, and byte-range helpers.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fz_violation(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

/* Prints "FUZZ INVARIANT VIOLATED (file:line): ..." (run.sh greps for it) and aborts. */
static void fz_violation(const char *file, int line, const char *fmt, ...)
{
    const char *base = strrchr(file, '/');
    va_list ap;

    fprintf(stderr, "\nFUZZ INVARIANT VIOLATED (%s:%d): ", base != NULL ? base + 1 : file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    fflush(stderr);
    abort();
}

#define FZ_CHECK(cond, ...)                                                                              \
    do {                                                                                                 \
        if (!(cond)) {                                                                                   \
            fz_violation(__FILE__, __LINE__, __VA_ARGS__);                                               \
        }                                                                                                \
    } while (0)

/* Whether @p needle (n > 0 octets) occurs in @p hay. */
static inline bool mem_contains(const void *hay, size_t hay_len, const void *needle, size_t n)
{
    const uint8_t *h = hay;
    size_t i;

    if (n == 0 || hay_len < n) {
        return false;
    }
    for (i = 0; i + n <= hay_len; i++) {
        if (h[i] == *(const uint8_t *)needle && memcmp(h + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

/* Whether [p, p+len) lies inside [base, base+base_len). */
static inline bool ptr_in(const void *p, size_t len, const void *base, size_t base_len)
{
    const uint8_t *x = p, *b = base;

    return b != NULL && x >= b && x <= b + base_len && len <= (size_t)(b + base_len - x);
}

/* What the core may hand to send: its transmit buffer (queued commands), or
 * the unsent tail of one of its own constant set-up lines. */
static inline bool fz_sendable(const uint8_t *data, size_t len, const char *tx, size_t tx_len)
{
    static const char *const own[] = {"CAPA\r\n", "STLS\r\n"};
    size_t i;

    if (ptr_in(data, len, tx, tx_len)) {
        return true;
    }
    for (i = 0; i < sizeof own / sizeof own[0]; i++) {
        if (len <= 6 && memcmp(data, own[i] + 6 - len, len) == 0) {
            return true;
        }
    }
    return false;
}

#endif
