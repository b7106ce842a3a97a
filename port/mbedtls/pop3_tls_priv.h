/**
 * @file pop3_tls_priv.h
 * @brief Private to the TLS adapter: what pop3_tls.c (the session) and
 *        pop3_tls_info.c (version knobs, getters) share about pop3_tls_t.
 */
#ifndef POP3_TLS_PRIV_H
#define POP3_TLS_PRIV_H

#include <mbedtls/version.h>

#include "pop3_tls.h"

/* 3.x with TLS 1.3 compiled in (3.6 enables it by default). */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_SSL_PROTO_TLS1_3)
#define TLS_HAVE_TLS13 1
#else
#define TLS_HAVE_TLS13 0
#endif

/* The highest version this build offers. */
#if TLS_HAVE_TLS13 && POP3_TLS13_ENABLE
#define TLS_TOP_VERSION POP3_TLS_VERSION_1_3
#else
#define TLS_TOP_VERSION POP3_TLS_VERSION_1_2
#endif

/* The states pop3_tls.h names. NONE is 0: a zeroed or freed object. */
enum {
    TLS_ST_NONE = 0,   /* never initialised, or freed */
    TLS_ST_INIT,       /* pop3_tls_init() done, nothing allocated */
    TLS_ST_READY,      /* pop3_tls_setup() done, handshake not started */
    TLS_ST_HANDSHAKE,
    TLS_ST_OPEN,
    TLS_ST_CLOSED,     /* close_notify sent or received */
    TLS_ST_FAILED      /* set-up, handshake or record failure; reason set */
};

/* Private marker in verify_flags: the leaf certificate went through tls_verify_cb. */
#define TLS_LEAF_CHECKED 0x80000000UL

/**
 * Check @p cfg's version knobs against what this build can speak and store
 * them in @p t (0 becomes the default). @return NULL, or why they are unusable.
 */
const char *pop3_tls_pick_versions(pop3_tls_t *t, const pop3_tls_config_t *cfg);

#endif /* POP3_TLS_PRIV_H */
