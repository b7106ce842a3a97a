/**
 * @file pop3_tls.c
 * @brief mbedTLS session over a push-model byte pipe (see pop3_tls.h).
 *
 * Ciphertext is pushed in with pop3_tls_feed(); the BIO receive callback only
 * reads from that borrowed buffer, so mbedTLS takes just what it needs and
 * the port keeps the rest (TCP backpressure works per octet, not per record).
 * All mbedTLS 2.28 / 3.x differences stay in this file, keyed on
 * MBEDTLS_VERSION_NUMBER. No OS headers: the lwIP port builds it too.
 */
#include "pop3_tls.h"

#include <limits.h>
#include <string.h>

#include <mbedtls/net_sockets.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/version.h>

#include "pop3_tls_priv.h"
#include "pop3_tls_util.h"

#if MBEDTLS_VERSION_NUMBER < 0x021C0000
/* Older releases drop iPAddress SANs while parsing: IP hosts could not be checked. */
#error "pop3_tls.c needs mbedTLS 2.28 or later"
#endif

/* The build system says which mbedTLS it found (CMakeLists.txt); a different
 * header here means another mbedtls/ directory came first on the include path. */
#if defined(POP3_MBEDTLS_VERSION_NUMBER) && POP3_MBEDTLS_VERSION_NUMBER != MBEDTLS_VERSION_NUMBER
#error "mbedTLS headers in use differ from the ones the build configured (include path order)"
#endif

/*
 * PSA crypto must be running before a handshake in 3.x (TLS 1.3 and, in 3.6,
 * parts of X.509 and TLS 1.2 go through PSA), and in 2.28 when
 * MBEDTLS_USE_PSA_CRYPTO is on.
 */
#if defined(MBEDTLS_PSA_CRYPTO_C) && \
    (MBEDTLS_VERSION_NUMBER >= 0x03000000 || defined(MBEDTLS_USE_PSA_CRYPTO))
#define TLS_NEED_PSA_INIT 1
#include <psa/crypto.h>
#else
#define TLS_NEED_PSA_INIT 0
#endif

static const char tls_pers[] = "pop3_tls client";

static void tls_set_reason(pop3_tls_t *t, const char *text)
{
    size_t n = strlen(text);

    n = n < sizeof t->reason - 1U ? n : sizeof t->reason - 1U;
    memcpy(t->reason, text, n);
    t->reason[n] = '\0';
}

/** Record an mbedTLS failure: "what: text (-0xNNNN)". */
static pop3_status_t tls_fail(pop3_tls_t *t, const char *what, int err, pop3_status_t st)
{
    t->state = TLS_ST_FAILED;
    pop3_tls_text_code(t->reason, sizeof t->reason, what, err);
    return st;
}

/* ---- certificate check for IP hosts -------------------------------------- */

/**
 * Called by mbedTLS for each certificate of the chain, leaf last (depth 0).
 * For an IP host, no host name was given to mbedTLS: it would go out as SNI,
 * which RFC 6066 forbids (neither 2.28 nor 3.6 filters IP literals out of
 * SNI; 3.6 could match iPAddress entries, but only for a name set that way),
 * and 2.28 cannot match iPAddress entries. So the address is checked here, the
 * same way for every version, and can only fail closed.
 */
static int tls_verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    pop3_tls_t *t = ctx;

    if (depth == 0) {
        if (t->host_ip.len != 0U) {
            if (pop3_tls_crt_has_ip(crt, t->host_ip.octets, t->host_ip.len)) {
                *flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
            } else {
                *flags |= (uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
            }
        }
        t->verify_flags |= TLS_LEAF_CHECKED;
    }
    t->verify_flags |= *flags;
    if (t->on_cert != NULL) {
        t->on_cert(t->cb_ctx, crt, depth, *flags);
    }
    return 0;
}

/* ---- BIO callbacks ------------------------------------------------------- */

/** A TLS 1.3 NewSessionTicket was processed: not data, not an error; call again. */
static bool tls_ticket(int ret)
{
#if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
    return ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET;
#else
    (void)ret;
    return false;
#endif
}

/** Hands mbedTLS ciphertext from the current pop3_tls_feed() only. */
static int tls_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    pop3_tls_t *t = ctx;
    size_t avail = (t->in != NULL) ? t->in_len - t->in_used : 0U;

    if (avail == 0U) {
        return MBEDTLS_ERR_SSL_WANT_READ;
    }
    if (len > avail) {
        len = avail;
    }
    if (len > (size_t)INT_MAX) {
        len = (size_t)INT_MAX;
    }
    memcpy(buf, t->in + t->in_used, len);
    t->in_used += len;
    return (int)len;
}

static int tls_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    pop3_tls_t *t = ctx;
    long n;

    if (len > (size_t)INT_MAX) {
        len = (size_t)INT_MAX;
    }
    n = t->raw_send(t->raw_ctx, buf, len);
    if (n == 0) {
        t->raw_blocked = true;
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    if (n < 0) {
        return MBEDTLS_ERR_NET_SEND_FAILED;
    }
    t->raw_blocked = false;
    return (unsigned long)n > len ? (int)len : (int)n;
}

/* ---- set-up -------------------------------------------------------------- */

void pop3_tls_init(pop3_tls_t *t)
{
    if (t == NULL) {
        return;
    }
    memset(t, 0, sizeof *t);
    mbedtls_ssl_init(&t->ssl);
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_x509_crt_init(&t->ca);
    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->drbg);
    t->state = TLS_ST_INIT;
}

static pop3_status_t tls_load_ca(pop3_tls_t *t, const pop3_tls_config_t *cfg)
{
    int ret;

    if (cfg->ca_file == NULL && cfg->ca_pem == NULL) {
        if (cfg->insecure) {
            return POP3_OK;
        }
        tls_set_reason(t, "no trust anchors given (ca_file or ca_pem)");
        return POP3_ERR_BAD_ARG;
    }
    if (cfg->ca_file != NULL) {
#if defined(MBEDTLS_FS_IO)
        /* > 0: some entries of a bundle did not parse; the others are loaded. */
        ret = mbedtls_x509_crt_parse_file(&t->ca, cfg->ca_file);
#else
        ret = MBEDTLS_ERR_X509_FEATURE_UNAVAILABLE;
#endif
        if (ret < 0) {
            return tls_fail(t, "cannot load CA file", ret, POP3_ERR_CERT);
        }
    }
    if (cfg->ca_pem != NULL) {
        ret = mbedtls_x509_crt_parse(&t->ca, cfg->ca_pem, cfg->ca_pem_len);
        if (ret < 0) {
            return tls_fail(t, "cannot parse CA certificates", ret, POP3_ERR_CERT);
        }
    }
    if (t->ca.raw.p == NULL) {
        tls_set_reason(t, "no usable CA certificate found");
        return POP3_ERR_CERT;
    }
    return POP3_OK;
}

/** Start PSA crypto if this mbedTLS needs it. Process-wide and idempotent. */
static pop3_status_t tls_psa_init(pop3_tls_t *t)
{
#if TLS_NEED_PSA_INIT
    psa_status_t st = psa_crypto_init();

    if (st != PSA_SUCCESS) {
        return tls_fail(t, "PSA crypto initialisation failed", (int)st, POP3_ERR_TLS);
    }
#else
    (void)t;
#endif
    return POP3_OK;
}

/* RFC 6066 max_fragment_length (POP3_TLS_MAX_FRAG_LEN in pop3_tls.h). */
#if POP3_TLS_MAX_FRAG_LEN != 0
#if !defined(MBEDTLS_SSL_MAX_FRAGMENT_LENGTH)
#error "POP3_TLS_MAX_FRAG_LEN needs MBEDTLS_SSL_MAX_FRAGMENT_LENGTH in the mbedTLS configuration"
#endif
#if POP3_TLS_MAX_FRAG_LEN == 512
#define TLS_MFL_CODE MBEDTLS_SSL_MAX_FRAG_LEN_512
#elif POP3_TLS_MAX_FRAG_LEN == 1024
#define TLS_MFL_CODE MBEDTLS_SSL_MAX_FRAG_LEN_1024
#elif POP3_TLS_MAX_FRAG_LEN == 2048
#define TLS_MFL_CODE MBEDTLS_SSL_MAX_FRAG_LEN_2048
#elif POP3_TLS_MAX_FRAG_LEN == 4096
#define TLS_MFL_CODE MBEDTLS_SSL_MAX_FRAG_LEN_4096
#else
#error "POP3_TLS_MAX_FRAG_LEN must be 0, 512, 1024, 2048 or 4096"
#endif
#endif

/**
 * Check the version knobs against what this build can speak; 0 becomes the
 * default. @return false (reason set) if one is unusable.
 */
static int tls_configure(pop3_tls_t *t)
{
    int ret = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
                                          MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        return ret;
    }
#if MBEDTLS_VERSION_NUMBER >= 0x03020000
    /* The enum's values are the wire numbers, as POP3_TLS_VERSION_* are. */
    mbedtls_ssl_conf_min_tls_version(&t->conf, (mbedtls_ssl_protocol_version)t->min_version);
    mbedtls_ssl_conf_max_tls_version(&t->conf, (mbedtls_ssl_protocol_version)t->max_version);
#elif MBEDTLS_VERSION_NUMBER < 0x03000000 /* 3.0/3.1 have nothing older than 1.2 */
    /* Debian's 2.28 still enables TLS 1.0/1.1; RFC 8996 deprecates them. */
    mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#endif
#if TLS_HAVE_TLS13
#if defined(MBEDTLS_SSL_SESSION_TICKETS) && defined(MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_DISABLED)
    /* 3.6.1+: TLS 1.3 tickets are parsed and dropped, never surfaced as an error
     * (already the default; said here so a changed default cannot surprise us).
     * 3.6.0 always reports them: the read and write loops retry. */
    mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
        &t->conf, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_DISABLED);
#endif
#endif
#if POP3_TLS_MAX_FRAG_LEN != 0
    ret = mbedtls_ssl_conf_max_frag_len(&t->conf, TLS_MFL_CODE);
    if (ret != 0) {
        return ret;
    }
#endif
    mbedtls_ssl_conf_authmode(&t->conf, t->insecure ? MBEDTLS_SSL_VERIFY_NONE
                                                    : MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
    mbedtls_ssl_conf_verify(&t->conf, tls_verify_cb, t);
    mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
    return 0;
}

pop3_status_t pop3_tls_setup(pop3_tls_t *t, const pop3_tls_config_t *cfg, const pop3_tls_ip_t *host_ip,
                             pop3_tls_raw_send_fn raw_send, void *raw_ctx)
{
    bool is_ip = host_ip != NULL && (host_ip->len == 4U || host_ip->len == 16U);
    const char *why;
    pop3_status_t st;
    int ret;

    if (t == NULL || cfg == NULL || raw_send == NULL) {
        return POP3_ERR_BAD_ARG;
    }
    if (t->state != TLS_ST_INIT) {
        return POP3_ERR_STATE;
    }
    t->state = TLS_ST_FAILED; /* until everything below worked */
    t->raw_send = raw_send;
    t->raw_ctx = raw_ctx;
    t->insecure = cfg->insecure;
    t->on_cert = cfg->on_cert;
    t->on_handshake = cfg->on_handshake;
    t->cb_ctx = cfg->cb_ctx;
    why = pop3_tls_pick_versions(t, cfg);
    if (why != NULL) {
        tls_set_reason(t, why);
        return POP3_ERR_BAD_ARG;
    }
    if (is_ip) {
        t->host_ip = *host_ip;
    }
    if (pop3_tls_host_copy(t->host, sizeof t->host, cfg->host, is_ip) != POP3_OK) {
        tls_set_reason(t, "missing or invalid host name");
        return POP3_ERR_BAD_ARG;
    }
    st = tls_psa_init(t);
    if (st != POP3_OK) {
        return st;
    }
    ret = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
                                (const unsigned char *)tls_pers, sizeof tls_pers - 1U);
    if (ret != 0) {
        return tls_fail(t, "random generator seeding failed", ret, POP3_ERR_TLS);
    }
    st = tls_load_ca(t, cfg);
    if (st != POP3_OK) {
        return st;
    }
    ret = tls_configure(t);
    if (ret != 0) {
        return tls_fail(t, "TLS configuration failed", ret, POP3_ERR_TLS);
    }
    t->state = TLS_ST_READY;
    return POP3_OK;
}

/* ---- handshake ----------------------------------------------------------- */

static bool tls_want(int ret)
{
    return ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE;
}

/** Classify a failed handshake and record why. */
static pop3_status_t tls_handshake_failure(pop3_tls_t *t, int ret)
{
    uint32_t flags = mbedtls_ssl_get_verify_result(&t->ssl);

    if (flags == 0xFFFFFFFFUL) { /* no session to ask: use what the callback saw */
        flags = t->verify_flags & ~(uint32_t)TLS_LEAF_CHECKED;
    }
    if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED || (!t->insecure && flags != 0U)) {
        t->state = TLS_ST_FAILED;
        t->verify_flags = flags;
        pop3_tls_text_cert(t->reason, sizeof t->reason, flags, t->host);
        return POP3_ERR_CERT;
    }
    return tls_fail(t, "TLS handshake failed", ret, POP3_ERR_TLS);
}

/**
 * One more handshake step. Returns POP3_OK while it goes on or when it ended
 * (state tells which), or the failure status.
 */
static pop3_status_t tls_handshake_run(pop3_tls_t *t)
{
    int ret = mbedtls_ssl_handshake(&t->ssl);

    if (tls_want(ret)) {
        return POP3_OK;
    }
    if (ret != 0) {
        return tls_handshake_failure(t, ret);
    }
    /* Belt and braces: an IP host must have gone through tls_verify_cb. */
    if (t->host_ip.len != 0U && !t->insecure && (t->verify_flags & TLS_LEAF_CHECKED) == 0U) {
        t->state = TLS_ST_FAILED;
        tls_set_reason(t, "server certificate was not checked against the IP address");
        return POP3_ERR_CERT;
    }
    t->state = TLS_ST_OPEN;
    return POP3_OK;
}

/** Drive the handshake from feed/writable and report its end to the core. */
static pop3_status_t tls_handshake_step(pop3_tls_t *t)
{
    pop3_status_t st = tls_handshake_run(t);

    if (st != POP3_OK || t->state == TLS_ST_OPEN) {
        if (t->on_handshake != NULL) {
            t->on_handshake(t->cb_ctx, t, st);
        }
        pop3_on_tls_done(t->client, st);
    }
    return st;
}

pop3_status_t pop3_tls_start(pop3_tls_t *t, pop3_client_t *c)
{
    int ret;

    if (t == NULL || c == NULL) {
        return POP3_ERR_BAD_ARG;
    }
    if (t->state != TLS_ST_READY) {
        return POP3_ERR_STATE;
    }
    t->client = c;
    ret = mbedtls_ssl_setup(&t->ssl, &t->conf);
    if (ret == 0) {
        mbedtls_ssl_set_bio(&t->ssl, t, tls_bio_send, tls_bio_recv, NULL);
        /*
         * Always called. For an IP literal, NULL says "no SNI, no built-in
         * name check" (3.6 requires the explicit call); tls_verify_cb checks
         * the address instead.
         */
        ret = mbedtls_ssl_set_hostname(&t->ssl, t->host_ip.len != 0U ? NULL : t->host);
    }
    if (ret != 0) {
        return tls_fail(t, "TLS set-up failed", ret, POP3_ERR_TLS);
    }
    t->state = TLS_ST_HANDSHAKE;
    return tls_handshake_run(t); /* the ClientHello: an end is reported later, never from here */
}

/* ---- application data ---------------------------------------------------- */

static bool tls_core_ready(const pop3_tls_t *t)
{
    return t->state == TLS_ST_OPEN && !pop3_is_paused(t->client) &&
           pop3_state(t->client) != POP3_STATE_CLOSED;
}

/** Offer held plaintext. @return true if all of it was taken. */
static bool tls_offer_plain(pop3_tls_t *t)
{
    if (t->plain_off < t->plain_len) {
        t->plain_off += pop3_on_input(t->client, t->plain + t->plain_off, t->plain_len - t->plain_off);
        if (t->plain_off < t->plain_len) {
            return false;
        }
    }
    t->plain_off = 0;
    t->plain_len = 0;
    return true;
}

/**
 * Hand plaintext to the core until it pauses or mbedTLS needs more
 * ciphertext. mbedTLS may already hold decrypted octets or whole records,
 * so this also runs with no new input (pop3_tls_pump()).
 */
static pop3_status_t tls_deliver(pop3_tls_t *t)
{
    while (tls_core_ready(t) && tls_offer_plain(t) && tls_core_ready(t)) {
        int ret = mbedtls_ssl_read(&t->ssl, t->plain, sizeof t->plain);

        if (ret > 0) {
            t->plain_len = (size_t)ret;
        } else if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            t->state = TLS_ST_CLOSED; /* an orderly close, not a TLS failure: no reason */
            return POP3_ERR_TRANSPORT;
        } else if (tls_want(ret)) {
            break;
        } else if (!tls_ticket(ret)) { /* a ticket (3.6.0, TLS 1.3) is no data: read on */
            return tls_fail(t, "TLS receive failed", ret, POP3_ERR_TLS);
        }
    }
    return POP3_OK;
}

pop3_status_t pop3_tls_feed(pop3_tls_t *t, const uint8_t *data, size_t len, size_t *used)
{
    pop3_status_t st = POP3_OK;

    if (used != NULL) {
        *used = 0;
    }
    if (t == NULL) {
        return POP3_ERR_BAD_ARG;
    }
    if (t->state != TLS_ST_HANDSHAKE && t->state != TLS_ST_OPEN) {
        return POP3_ERR_STATE;
    }
    t->in = data;
    t->in_len = (data != NULL) ? len : 0U;
    t->in_used = 0;
    if (t->state == TLS_ST_HANDSHAKE) {
        st = tls_handshake_step(t);
    }
    if (st == POP3_OK) {
        st = tls_deliver(t); /* application data may follow the server's Finished at once */
    }
    if (used != NULL) {
        *used = t->in_used;
    }
    t->in = NULL;
    t->in_len = 0;
    t->in_used = 0;
    return st;
}

pop3_status_t pop3_tls_pump(pop3_tls_t *t)
{
    if (t == NULL || (t->state != TLS_ST_HANDSHAKE && t->state != TLS_ST_OPEN)) {
        return POP3_OK;
    }
    return pop3_tls_feed(t, NULL, 0, NULL);
}

bool pop3_tls_has_pending(const pop3_tls_t *t)
{
    if (t == NULL || t->state != TLS_ST_OPEN) {
        return false;
    }
    return t->plain_off < t->plain_len || mbedtls_ssl_get_bytes_avail(&t->ssl) != 0U ||
           mbedtls_ssl_check_pending(&t->ssl) != 0;
}

bool pop3_tls_wants_write(const pop3_tls_t *t)
{
    return t != NULL && t->raw_blocked &&
           (t->state == TLS_ST_HANDSHAKE || t->state == TLS_ST_OPEN);
}

pop3_status_t pop3_tls_on_writable(pop3_tls_t *t)
{
    if (t == NULL) {
        return POP3_OK;
    }
    t->raw_blocked = false;
    /* A read may have stopped on WANT_WRITE (alerts, 3.x key updates); a pending
     * application write is flushed when the core retries its send. */
    if (t->state == TLS_ST_HANDSHAKE || t->write_len == 0U) {
        return pop3_tls_pump(t);
    }
    return POP3_OK;
}

long pop3_tls_send(pop3_tls_t *t, const uint8_t *data, size_t len)
{
    size_t n = len;
    int ret;

    if (t == NULL || data == NULL) {
        return -1;
    }
    if (t->state == TLS_ST_HANDSHAKE) {
        return 0; /* the core waits for pop3_on_tls_done() anyway */
    }
    if (t->state != TLS_ST_OPEN) {
        return -1;
    }
    /*
     * After WANT_WRITE mbedTLS holds an encrypted record of write_len octets
     * and must be called again with the same data; the core re-offers the
     * same start, maybe longer, so repeat exactly write_len octets.
     */
    if (t->write_len != 0U) {
        if (len < t->write_len) {
            return -1;
        }
        n = t->write_len;
    }
    if (n > (size_t)INT_MAX) {
        n = (size_t)INT_MAX;
    }
    do {
        ret = mbedtls_ssl_write(&t->ssl, data, n);
    } while (tls_ticket(ret));
    if (ret >= 0) {
        t->write_len = 0;
        return (long)ret;
    }
    if (tls_want(ret)) {
        t->write_len = n;
        return 0;
    }
    (void)tls_fail(t, "TLS send failed", ret, POP3_ERR_TLS);
    return -1;
}

void pop3_tls_close_notify(pop3_tls_t *t)
{
    if (t == NULL) {
        return;
    }
    if (t->state == TLS_ST_OPEN) {
        (void)mbedtls_ssl_close_notify(&t->ssl); /* best effort, never waits */
    }
    if (t->state == TLS_ST_OPEN || t->state == TLS_ST_HANDSHAKE) {
        t->state = TLS_ST_CLOSED;
    }
}

void pop3_tls_free(pop3_tls_t *t)
{
    char reason[sizeof t->reason];

    if (t == NULL || t->state == TLS_ST_NONE) {
        return;
    }
    mbedtls_ssl_free(&t->ssl);
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_x509_crt_free(&t->ca);
    mbedtls_ctr_drbg_free(&t->drbg);
    mbedtls_entropy_free(&t->entropy);
    /* Wipe held plaintext and DRBG state; the failure reason holds no secret. */
    memcpy(reason, t->reason, sizeof reason);
    mbedtls_platform_zeroize(t, sizeof *t); /* state is TLS_ST_NONE again */
    memcpy(t->reason, reason, sizeof reason);
}

const char *pop3_tls_error_str(const pop3_tls_t *t)
{
    if (t == NULL) {
        return "no TLS session";
    }
    return t->reason;
}
