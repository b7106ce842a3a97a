/**
 * @file pop3_tls_util.c
 * @brief The TLS adapter's pure helpers (see pop3_tls_util.h).
 *
 * Texts are built with one bounded appender rather than snprintf: newlib-nano's
 * snprintf pulls malloc into firmware images. Truncation is harmless (the
 * texts are for people).
 */
#include "pop3_tls_util.h"

#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/error.h>
#include <mbedtls/x509.h>

/* GeneralName iPAddress [7], primitive (RFC 5280 section 4.2.1.6). */
#define TLS_SAN_IP_TAG (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7)

/** Append at most @p max octets of @p s to the text in @p out. */
static void text_add(char *out, size_t out_len, const char *s, size_t max)
{
    size_t used = strlen(out);
    size_t n = strlen(s);

    n = n < max ? n : max;
    n = n < out_len - 1U - used ? n : out_len - 1U - used;
    memcpy(out + used, s, n);
    out[used + n] = '\0';
}

#define TEXT_ALL ((size_t)-1)

/** Append @p prefix, "0x" and @p v in upper-case hex (at least @p digits digits), then @p suffix. */
static void text_hex(char *out, size_t out_len, const char *prefix, uint32_t v, unsigned digits,
                     const char *suffix)
{
    char buf[11];
    size_t i = sizeof buf - 1U;
    unsigned n = 0;

    buf[i] = '\0';
    do {
        buf[--i] = "0123456789ABCDEF"[v & 0xFU];
        v >>= 4;
        n++;
    } while (v != 0U || n < digits);
    buf[--i] = 'x';
    buf[--i] = '0';
    text_add(out, out_len, prefix, TEXT_ALL);
    text_add(out, out_len, buf + i, TEXT_ALL);
    text_add(out, out_len, suffix, TEXT_ALL);
}

pop3_status_t pop3_tls_host_copy(char *dst, size_t dst_len, const char *host, bool is_ip)
{
    size_t len;

    if (host == NULL || host[0] == '\0') {
        return POP3_ERR_BAD_ARG;
    }
    for (len = 0; host[len] != '\0'; len++) {
        if (len + 1U >= dst_len || host[len] <= ' ' || host[len] > '~') {
            return POP3_ERR_BAD_ARG;
        }
    }
    if (!is_ip && (strchr(host, ':') != NULL || host[strspn(host, "0123456789.")] == '\0')) {
        return POP3_ERR_BAD_ARG;
    }
    memcpy(dst, host, len + 1U);
    return POP3_OK;
}

bool pop3_tls_crt_has_ip(const mbedtls_x509_crt *crt, const uint8_t *ip, size_t ip_len)
{
    const mbedtls_x509_sequence *san;

    /* mbedTLS 2.28 and 3.x keep every GeneralName here, raw (iPAddress: 4 or 16 octets). */
    for (san = &crt->subject_alt_names; san != NULL; san = san->next) {
        if (san->buf.p != NULL && san->buf.tag == TLS_SAN_IP_TAG && san->buf.len == ip_len &&
            memcmp(san->buf.p, ip, ip_len) == 0) {
            return true;
        }
    }
    return false;
}

static const struct {
    uint32_t flag;
    const char *text;
} tls_cert_reasons[] = {
    { MBEDTLS_X509_BADCERT_NOT_TRUSTED, "certificate not trusted (unknown CA)" },
    { MBEDTLS_X509_BADCERT_EXPIRED, "certificate expired" },
    { MBEDTLS_X509_BADCERT_FUTURE, "certificate not valid yet" },
    { MBEDTLS_X509_BADCERT_REVOKED, "certificate revoked" },
    { MBEDTLS_X509_BADCERT_MISSING, "server sent no certificate" },
    { MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE |
          MBEDTLS_X509_BADCERT_NS_CERT_TYPE,
      "certificate not meant for a TLS server" },
    { MBEDTLS_X509_BADCERT_BAD_MD | MBEDTLS_X509_BADCERT_BAD_PK | MBEDTLS_X509_BADCERT_BAD_KEY,
      "certificate uses a weak or unsupported algorithm or key" },
    { MBEDTLS_X509_BADCERT_CN_MISMATCH, "certificate not valid for host '" }, /* + host + "'" */
};

void pop3_tls_text_cert(char *out, size_t out_len, uint32_t flags, const char *host)
{
    size_t i;

    out[0] = '\0';
    for (i = 0; i < sizeof tls_cert_reasons / sizeof tls_cert_reasons[0]; i++) {
        if ((flags & tls_cert_reasons[i].flag) != 0U) {
            text_add(out, out_len, out[0] != '\0' ? "; " : "", TEXT_ALL);
            text_add(out, out_len, tls_cert_reasons[i].text, TEXT_ALL);
        }
    }
    if ((flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) != 0U) {
        text_add(out, out_len, host, 80U);
        text_add(out, out_len, "'", TEXT_ALL);
    }
    if (out[0] == '\0') {
        text_hex(out, out_len, "certificate verification failed (flags ", flags, 1U, ")");
    }
}

void pop3_tls_text_code(char *out, size_t out_len, const char *what, int code)
{
    char msg[80] = "";
    uint32_t mag = code < 0 ? 0U - (uint32_t)code : (uint32_t)code;

#if defined(MBEDTLS_ERROR_C)
    mbedtls_strerror(code, msg, sizeof msg);
#endif
    out[0] = '\0';
    text_add(out, out_len, what, TEXT_ALL);
    text_add(out, out_len, ": ", TEXT_ALL);
    text_add(out, out_len, msg, TEXT_ALL);
    text_hex(out, out_len, code < 0 ? " (-" : " (", mag, 4U, ")");
}
