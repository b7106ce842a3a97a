/**
 * @file fw_snprintf.c
 * @brief A small, heap-free snprintf()/vsnprintf() that replaces newlib's.
 *
 * Why: newlib-nano's snprintf (nano-vfprintf.c, __ssputs_r) references
 * _malloc_r/_realloc_r/_free_r for asprintf's growing buffers, so a single
 * snprintf call links all of malloc into the image. The POP3 library never
 * calls it (the TLS adapter builds its failure reasons with its own bounded
 * appender), but mbedTLS does in a few functions (mbedtls_strerror() with
 * FW_MBEDTLS_ERROR_STRINGS, the X.509 and OID text helpers) that an image may
 * link, so this firmware defines both functions itself; the linker then never
 * pulls newlib's stdio. Supported: %d %i %u %x %X %c %s %p %%, flags '-' '0',
 * width and precision (digits or '*'), length modifiers hh h l ll z t.
 * No floating point. Output is NUL-terminated whenever size > 0; the return
 * value is the length the whole output would have had (C99).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    char *buf;
    size_t size;
    size_t len; /* octets of the whole output, stored or not */
} out_t;

typedef struct {
    bool left;
    bool zero;
    int width;
    int prec; /* -1: none */
} spec_t;

static void out_char(out_t *o, char c)
{
    if (o->len + 1U < o->size) {
        o->buf[o->len] = c;
    }
    o->len++;
}

static void out_pad(out_t *o, char c, int n)
{
    for (; n > 0; n--) {
        out_char(o, c);
    }
}

static void out_str(out_t *o, const spec_t *sp, const char *s)
{
    size_t n = 0;

    if (s == NULL) {
        s = "(null)";
    }
    while (s[n] != '\0' && (sp->prec < 0 || n < (size_t)sp->prec)) {
        n++;
    }
    if (!sp->left) {
        out_pad(o, ' ', sp->width - (int)n);
    }
    for (size_t i = 0; i < n; i++) {
        out_char(o, s[i]);
    }
    if (sp->left) {
        out_pad(o, ' ', sp->width - (int)n);
    }
}

static void out_num(out_t *o, const spec_t *sp, uint64_t v, bool neg, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    int zeros, pad;

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v != 0U);
    zeros = (sp->prec > n) ? sp->prec - n : 0;
    pad = sp->width - n - zeros - (neg ? 1 : 0);
    if (sp->zero && !sp->left && sp->prec < 0) {
        zeros += pad > 0 ? pad : 0;
        pad = 0;
    }
    if (!sp->left) {
        out_pad(o, ' ', pad);
    }
    if (neg) {
        out_char(o, '-');
    }
    out_pad(o, '0', zeros);
    while (n > 0) {
        out_char(o, tmp[--n]);
    }
    if (sp->left) {
        out_pad(o, ' ', pad);
    }
}

typedef enum { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T } len_t;

/* Fetch an argument with the size its length modifier says (size_t is 32 bits on Cortex-M). */
static int64_t get_signed(va_list *ap, len_t len)
{
    switch (len) {
    case LEN_LL: return va_arg(*ap, long long);
    case LEN_L: return va_arg(*ap, long);
    case LEN_Z:
    case LEN_T: return va_arg(*ap, ptrdiff_t);
    case LEN_H: return (short)va_arg(*ap, int);
    case LEN_HH: return (signed char)va_arg(*ap, int);
    default: return va_arg(*ap, int);
    }
}

static uint64_t get_unsigned(va_list *ap, len_t len)
{
    switch (len) {
    case LEN_LL: return va_arg(*ap, unsigned long long);
    case LEN_L: return va_arg(*ap, unsigned long);
    case LEN_Z:
    case LEN_T: return va_arg(*ap, size_t);
    case LEN_H: return (unsigned short)va_arg(*ap, unsigned int);
    case LEN_HH: return (unsigned char)va_arg(*ap, unsigned int);
    default: return va_arg(*ap, unsigned int);
    }
}

/* Reads a decimal number or '*' (from the arguments). */
static int read_int(const char **fmt, va_list *ap)
{
    int v = 0;

    if (**fmt == '*') {
        (*fmt)++;
        return va_arg(*ap, int);
    }
    while (**fmt >= '0' && **fmt <= '9') {
        v = v * 10 + (**fmt - '0');
        (*fmt)++;
    }
    return v;
}

static void format(out_t *o, const char *fmt, va_list *ap)
{
    while (*fmt != '\0') {
        spec_t sp = { false, false, 0, -1 };
        len_t len = LEN_NONE;
        char c;

        if (*fmt != '%') {
            out_char(o, *fmt++);
            continue;
        }
        fmt++;
        for (;; fmt++) {
            if (*fmt == '-') {
                sp.left = true;
            } else if (*fmt == '0') {
                sp.zero = true;
            } else {
                break;
            }
        }
        sp.width = read_int(&fmt, ap);
        if (sp.width < 0) {
            sp.left = true;
            sp.width = -sp.width;
        }
        if (*fmt == '.') {
            fmt++;
            sp.prec = read_int(&fmt, ap);
        }
        while (*fmt == 'h' || *fmt == 'l' || *fmt == 'z' || *fmt == 't') {
            len = (*fmt == 'h') ? (len == LEN_H ? LEN_HH : LEN_H)
                : (*fmt == 'l') ? (len == LEN_L ? LEN_LL : LEN_L)
                : (*fmt == 'z') ? LEN_Z : LEN_T;
            fmt++;
        }
        c = *fmt;
        if (c == '\0') {
            break;
        }
        fmt++;
        switch (c) {
        case 'd':
        case 'i': {
            int64_t v = get_signed(ap, len);
            out_num(o, &sp, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0, 10U, false);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
            out_num(o, &sp, get_unsigned(ap, len), false, c == 'u' ? 10U : 16U, c == 'X');
            break;
        case 'p':
            out_char(o, '0');
            out_char(o, 'x');
            out_num(o, &sp, (uintptr_t)va_arg(*ap, void *), false, 16U, false);
            break;
        case 'c': {
            char ch[2] = { (char)va_arg(*ap, int), '\0' };
            sp.prec = 1;
            out_str(o, &sp, ch);
            break;
        }
        case 's':
            out_str(o, &sp, va_arg(*ap, const char *));
            break;
        default: /* "%%" and anything unsupported: print the character */
            out_char(o, c);
            break;
        }
    }
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
    out_t o = { buf, size, 0U };
    va_list copy;

    va_copy(copy, ap);
    format(&o, fmt, &copy);
    va_end(copy);
    if (size > 0U) {
        buf[o.len < size ? o.len : size - 1U] = '\0';
    }
    return o.len > (size_t)INT32_MAX ? -1 : (int)o.len;
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
