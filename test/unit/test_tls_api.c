/*
 * The TLS adapter's version knobs and getters (port/mbedtls/pop3_tls.h) that
 * need no handshake: which versions a build can offer, what pop3_tls_setup()
 * refuses, and what the getters say before any handshake. The callbacks and
 * the getters after a handshake are checked against real servers
 * (integration.cli_tls_details, hostile.check).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <mbedtls/version.h>

#include "pop3_tls.h"

#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_SSL_PROTO_TLS1_3) && POP3_TLS13_ENABLE
#define HAVE13 true
#else
#define HAVE13 false
#endif

static long raw_send(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    (void)data;
    return (long)len;
}

/* pop3_tls_setup() with the given versions; insecure, so no CA is needed. */
static pop3_status_t setup(pop3_tls_t *t, uint16_t min_v, uint16_t max_v)
{
    pop3_tls_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.host = "localhost";
    cfg.insecure = true;
    cfg.min_version = min_v;
    cfg.max_version = max_v;
    pop3_tls_init(t);
    return pop3_tls_setup(t, &cfg, NULL, raw_send, NULL);
}

static void test_version_supported(void **state)
{
    (void)state;
    assert_true(pop3_tls_version_supported(POP3_TLS_VERSION_1_2));
    assert_int_equal(pop3_tls_version_supported(POP3_TLS_VERSION_1_3), HAVE13);
    assert_false(pop3_tls_version_supported(0x0301U)); /* TLS 1.0 */
    assert_false(pop3_tls_version_supported(0x0302U));
    assert_false(pop3_tls_version_supported(0x0305U));
    assert_false(pop3_tls_version_supported(0U));
}

static void test_setup_versions(void **state)
{
    static pop3_tls_t t;
    (void)state;
    assert_int_equal(setup(&t, 0U, 0U), POP3_OK);
    pop3_tls_free(&t);
    assert_int_equal(setup(&t, POP3_TLS_VERSION_1_2, POP3_TLS_VERSION_1_2), POP3_OK);
    pop3_tls_free(&t);
    assert_int_equal(setup(&t, 0x0302U, 0U), POP3_ERR_BAD_ARG);
    assert_string_equal(pop3_tls_error_str(&t), "TLS versions before 1.2 are not offered");
    pop3_tls_free(&t);
    assert_int_equal(setup(&t, POP3_TLS_VERSION_1_3, POP3_TLS_VERSION_1_2), POP3_ERR_BAD_ARG);
    assert_string_equal(pop3_tls_error_str(&t), HAVE13 ? "min_version above max_version"
                                                       : "TLS 1.3 is not available in this build");
    pop3_tls_free(&t);
    assert_int_equal(setup(&t, POP3_TLS_VERSION_1_3, 0U), HAVE13 ? POP3_OK : POP3_ERR_BAD_ARG);
    pop3_tls_free(&t);
    assert_int_equal(setup(&t, POP3_TLS_VERSION_1_3, POP3_TLS_VERSION_1_3), HAVE13 ? POP3_OK : POP3_ERR_BAD_ARG);
    if (!HAVE13) {
        assert_string_equal(pop3_tls_error_str(&t), "TLS 1.3 is not available in this build");
    }
    pop3_tls_free(&t);
    assert_int_equal(setup(&t, 0U, 0x0305U), POP3_ERR_BAD_ARG);
    pop3_tls_free(&t);
}

static void test_getters_before_handshake(void **state)
{
    static pop3_tls_t t;
    (void)state;
    assert_null(pop3_tls_version(NULL));
    assert_null(pop3_tls_ciphersuite(NULL));
    assert_null(pop3_tls_peer_cert(NULL));
    assert_int_equal(pop3_tls_verify_flags(NULL), 0U);
    assert_int_equal(setup(&t, 0U, 0U), POP3_OK);
    assert_null(pop3_tls_version(&t));
    assert_null(pop3_tls_ciphersuite(&t));
    assert_null(pop3_tls_peer_cert(&t));
    assert_int_equal(pop3_tls_verify_flags(&t), 0U);
    pop3_tls_free(&t);
    assert_null(pop3_tls_version(&t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_supported),
        cmocka_unit_test(test_setup_versions),
        cmocka_unit_test(test_getters_before_handshake),
    };
    return cmocka_run_group_tests_name("unit_tls_api", tests, NULL, NULL);
}
