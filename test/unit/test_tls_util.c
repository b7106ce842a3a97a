/*
 * The TLS adapter's pure helpers (port/mbedtls/pop3_tls_util.c): the host
 * check, the iPAddress match, and the failure texts the CLI prints (and the
 * integration and hostile tests expect).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <mbedtls/asn1.h>
#include <mbedtls/error.h>
#include <mbedtls/x509_crt.h>

#include "pop3_tls_util.h"

/* ---- pop3_tls_host_copy ------------------------------------------------------ */

static pop3_status_t copy(char *dst, size_t dst_len, const char *host, bool is_ip)
{
    memset(dst, '#', dst_len);
    return pop3_tls_host_copy(dst, dst_len, host, is_ip);
}

static void test_host_copy_names(void **state)
{
    static const char *const ok[] = { "mail.example.com", "localhost", "4chan.org", "123abc",
                                      "1.2.3.4.example", "xn--bcher-kva.example", "a" };
    char dst[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(copy(dst, sizeof dst, ok[i], false), POP3_OK);
        assert_string_equal(dst, ok[i]);
    }
}

static void test_host_copy_refused(void **state)
{
    static const char *const bad[] = { "", "mail example.com", "mail.example.com\r\nUSER x", "tab\there",
                                       "del\x7f", "caf\xc3\xa9.example", "nul-free-but-ctl\x01" };
    char dst[64];
    size_t i;

    (void)state;
    assert_int_equal(copy(dst, sizeof dst, NULL, false), POP3_ERR_BAD_ARG);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(copy(dst, sizeof dst, bad[i], false), POP3_ERR_BAD_ARG);
        assert_int_equal(copy(dst, sizeof dst, bad[i], true), POP3_ERR_BAD_ARG);
        assert_int_equal(dst[0], '#'); /* left alone */
    }
}

static void test_host_copy_length(void **state)
{
    char dst[8];

    (void)state;
    assert_int_equal(copy(dst, sizeof dst, "abcdefg", false), POP3_OK); /* 7 + NUL fits */
    assert_string_equal(dst, "abcdefg");
    assert_int_equal(copy(dst, sizeof dst, "abcdefgh", false), POP3_ERR_BAD_ARG);
    assert_int_equal(dst[0], '#');
    assert_int_equal(copy(dst, 1, "a", false), POP3_ERR_BAD_ARG);
}

/* A host that can only be an IP literal is never checked as a name (fail closed). */
static void test_host_copy_ip_literals(void **state)
{
    static const char *const ips[] = { "127.0.0.1", "10.1", "0177.0.0.1", "1.2.3.4.", "::1", "fe80::1%eth0",
                                       "2001:db8::a:b", "a:b", "..." };
    char dst[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof ips / sizeof ips[0]; i++) {
        assert_int_equal(copy(dst, sizeof dst, ips[i], false), POP3_ERR_BAD_ARG);
        assert_int_equal(copy(dst, sizeof dst, ips[i], true), POP3_OK);
        assert_string_equal(dst, ips[i]);
    }
}

/* ---- pop3_tls_crt_has_ip ---------------------------------------------------------- */

static void san(mbedtls_x509_sequence *s, int tag, const void *p, size_t len, mbedtls_x509_sequence *next)
{
    memset(s, 0, sizeof *s);
    s->buf.tag = tag;
    s->buf.p = (unsigned char *)(uintptr_t)p;
    s->buf.len = len;
    s->next = next;
}

static void test_crt_has_ip(void **state)
{
    static const uint8_t v4[4] = { 127, 0, 0, 1 };
    static const uint8_t v4b[4] = { 127, 0, 0, 2 };
    static const uint8_t v6[16] = { [15] = 1 };
    static const uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
    static const char dns_bytes[4] = { 127, 0, 0, 2 }; /* a dNSName with an address's octets */
    mbedtls_x509_sequence s_ip6, s_dns;
    mbedtls_x509_crt crt;

    (void)state;
    mbedtls_x509_crt_init(&crt);
    assert_false(pop3_tls_crt_has_ip(&crt, v4, 4)); /* no SAN at all */

    san(&s_ip6, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7, v6, 16, NULL);
    san(&s_dns, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2, dns_bytes, 4, &s_ip6);
    san(&crt.subject_alt_names, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7, v4, 4, &s_dns);

    assert_true(pop3_tls_crt_has_ip(&crt, v4, 4));
    assert_true(pop3_tls_crt_has_ip(&crt, v6, 16));
    assert_false(pop3_tls_crt_has_ip(&crt, v4b, 4));  /* only as a dNSName: not an address */
    assert_false(pop3_tls_crt_has_ip(&crt, v6b, 16));
    assert_false(pop3_tls_crt_has_ip(&crt, v6, 4));   /* lengths must match */
    assert_false(pop3_tls_crt_has_ip(&crt, v6 + 12, 4));
}

/* ---- pop3_tls_text_cert ------------------------------------------------------------- */

static const char *cert_text(uint32_t flags, const char *host)
{
    static char out[256];

    memset(out, '#', sizeof out);
    pop3_tls_text_cert(out, 128, flags, host);
    assert_int_equal(out[128], '#');
    return out;
}

static void test_text_cert_single(void **state)
{
    (void)state;
    assert_string_equal(cert_text(MBEDTLS_X509_BADCERT_NOT_TRUSTED, "h"), "certificate not trusted (unknown CA)");
    assert_string_equal(cert_text(MBEDTLS_X509_BADCERT_CN_MISMATCH, "127.0.0.2"),
                        "certificate not valid for host '127.0.0.2'");
    assert_string_equal(cert_text(MBEDTLS_X509_BADCERT_EXPIRED, "h"), "certificate expired");
    assert_string_equal(cert_text(MBEDTLS_X509_BADCERT_FUTURE, "h"), "certificate not valid yet");
    assert_string_equal(cert_text(MBEDTLS_X509_BADCERT_REVOKED, "h"), "certificate revoked");
    assert_string_equal(cert_text(MBEDTLS_X509_BADCERT_MISSING, "h"), "server sent no certificate");
    assert_string_equal(cert_text(MBEDTLS_X509_BADCERT_EXT_KEY_USAGE | MBEDTLS_X509_BADCERT_NS_CERT_TYPE, "h"),
                        "certificate not meant for a TLS server");
    assert_string_equal(cert_text(MBEDTLS_X509_BADCERT_BAD_KEY, "h"),
                        "certificate uses a weak or unsupported algorithm or key");
}

static void test_text_cert_several(void **state)
{
    (void)state;
    assert_string_equal(cert_text(MBEDTLS_X509_BADCERT_CN_MISMATCH | MBEDTLS_X509_BADCERT_NOT_TRUSTED |
                                      MBEDTLS_X509_BADCERT_EXPIRED,
                                  "mail.example.com"),
                        "certificate not trusted (unknown CA); certificate expired; "
                        "certificate not valid for host 'mail.example.com'");
}

static void test_text_cert_unknown_flags(void **state)
{
    (void)state;
    assert_string_equal(cert_text(MBEDTLS_X509_BADCRL_NOT_TRUSTED, "h"),
                        "certificate verification failed (flags 0x10)");
    assert_string_equal(cert_text(0, "h"), "certificate verification failed (flags 0x0)");
    assert_string_equal(cert_text(0x40000000U, "h"), "certificate verification failed (flags 0x40000000)");
}

static void test_text_cert_cut(void **state)
{
    char host[201];
    char want[128];
    char out[16];
    const char *t;

    (void)state;
    memset(host, 'x', 200);
    host[200] = '\0';
    t = cert_text(MBEDTLS_X509_BADCERT_CN_MISMATCH, host);
    strcpy(want, "certificate not valid for host '");
    memset(want + strlen(want), 'x', 80);
    want[32 + 80] = '\0';
    strcat(want, "'");
    assert_string_equal(t, want); /* the host is cut at 80 octets */

    memset(out, '#', sizeof out);
    pop3_tls_text_cert(out, 10, MBEDTLS_X509_BADCERT_NOT_TRUSTED, "h");
    assert_string_equal(out, "certifica");
    assert_int_equal(out[10], '#');
    pop3_tls_text_cert(out, 1, MBEDTLS_X509_BADCERT_NOT_TRUSTED | MBEDTLS_X509_BADCERT_CN_MISMATCH, "h");
    assert_string_equal(out, "");
    pop3_tls_text_cert(out, 3, 0, "h");
    assert_string_equal(out, "ce");
}

/* ---- pop3_tls_text_code --------------------------------------------------------------- */

static void want_code(const char *what, int code, const char *suffix)
{
    char out[160];
    char msg[80] = "";
    char want[200];

#if defined(MBEDTLS_ERROR_C)
    mbedtls_strerror(code, msg, sizeof msg);
#endif
    strcpy(want, what);
    strcat(want, ": ");
    strcat(want, msg);
    strcat(want, suffix);
    pop3_tls_text_code(out, sizeof out, what, code);
    assert_string_equal(out, want);
}

static void test_text_code(void **state)
{
    (void)state;
    want_code("TLS handshake failed", -0x7780, " (-0x7780)");
    want_code("TLS receive failed", -0x7200, " (-0x7200)");
    want_code("cannot load CA file", -0x3E00, " (-0x3E00)");
    want_code("odd", 0x12, " (0x0012)");
    want_code("odd", -0x12345, " (-0x12345)");
    want_code("odd", -0x7FFFFFFF, " (-0x7FFFFFFF)");
}

static void test_text_code_cut(void **state)
{
    char out[24];

    (void)state;
    memset(out, '#', sizeof out);
    pop3_tls_text_code(out, 8, "TLS handshake failed", -0x7780);
    assert_string_equal(out, "TLS han");
    assert_int_equal(out[8], '#');
    pop3_tls_text_code(out, 1, "x", -1);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_copy_names),
        cmocka_unit_test(test_host_copy_refused),
        cmocka_unit_test(test_host_copy_length),
        cmocka_unit_test(test_host_copy_ip_literals),
        cmocka_unit_test(test_crt_has_ip),
        cmocka_unit_test(test_text_cert_single),
        cmocka_unit_test(test_text_cert_several),
        cmocka_unit_test(test_text_cert_unknown_flags),
        cmocka_unit_test(test_text_cert_cut),
        cmocka_unit_test(test_text_code),
        cmocka_unit_test(test_text_code_cut),
    };
    return cmocka_run_group_tests_name("unit_tls_util", tests, NULL, NULL);
}
