/**
 * @file pop3_tls_info.c
 * @brief The TLS adapter's version knobs and what a handshake showed (see
 *        pop3_tls.h): kept apart from the session code in pop3_tls.c.
 */
#include "pop3_tls_priv.h"

bool pop3_tls_version_supported(uint16_t version)
{
    return version >= POP3_TLS_VERSION_1_2 && version <= TLS_TOP_VERSION;
}

const char *pop3_tls_pick_versions(pop3_tls_t *t, const pop3_tls_config_t *cfg)
{
    uint16_t top = TLS_TOP_VERSION;
    uint16_t lo = cfg->min_version != 0U ? cfg->min_version : POP3_TLS_VERSION_1_2;
    uint16_t hi = cfg->max_version != 0U ? cfg->max_version : top;

    if (lo < POP3_TLS_VERSION_1_2) {
        return "TLS versions before 1.2 are not offered";
    }
    if (lo > top || hi > top) {
        return "TLS 1.3 is not available in this build";
    }
    if (lo > hi) {
        return "min_version above max_version";
    }
    t->min_version = lo;
    t->max_version = hi;
    return NULL;
}

/* A handshake succeeded (the session may have closed since). */
static bool tls_done_ok(const pop3_tls_t *t)
{
    return t != NULL && (t->state == TLS_ST_OPEN || t->state == TLS_ST_CLOSED);
}

const char *pop3_tls_version(const pop3_tls_t *t)
{
    return tls_done_ok(t) ? mbedtls_ssl_get_version(&t->ssl) : NULL;
}

const char *pop3_tls_ciphersuite(const pop3_tls_t *t)
{
    return tls_done_ok(t) ? mbedtls_ssl_get_ciphersuite(&t->ssl) : NULL;
}

uint32_t pop3_tls_verify_flags(const pop3_tls_t *t)
{
    return t != NULL ? t->verify_flags & ~(uint32_t)TLS_LEAF_CHECKED : 0U;
}

const mbedtls_x509_crt *pop3_tls_peer_cert(const pop3_tls_t *t)
{
#if defined(MBEDTLS_SSL_KEEP_PEER_CERTIFICATE)
    return tls_done_ok(t) ? mbedtls_ssl_get_peer_cert(&t->ssl) : NULL;
#else
    (void)t;
    return NULL;
#endif
}
