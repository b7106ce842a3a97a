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

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/version.h>

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

/* 3.x with TLS 1.3 compiled in (3.6 enables it by default). */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_SSL_PROTO_TLS1_3)
#define TLS_HAVE_TLS13 1
#else
#define TLS_HAVE_TLS13 0
#endif

enum {
    TLS_ST_IDLE = 0,   /* configured, handshake not started */
    TLS_ST_HANDSHAKE,
    TLS_ST_OPEN,
    TLS_ST_CLOSED,     /* close_notify sent or received, or the core closed */
    TLS_ST_FAILED,
    TLS_ST_FREED
};

/* Private marker in verify_flags: the leaf certificate went through tls_verify_cb. */
#define TLS_LEAF_CHECKED 0x80000000UL

/* GeneralName iPAddress [7], primitive (RFC 5280 section 4.2.1.6). */
#define TLS_SAN_IP_TAG (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7)

static const char tls_pers[] = "pop3_tls client";

/* ---- failure reasons ---------------------------------------------------- */

/*
 * The reason text is built with these bounded appenders rather than snprintf:
 * newlib-nano's snprintf pulls malloc into firmware images. Truncation is
 * harmless (the text is for people).
 */
static void tls_reason_cat_n(pop3_tls_t *t, const char *text, size_t n)
{
    size_t used = strlen(t->reason);
    size_t room = sizeof t->reason - 1U - used;

    n = n < room ? n : room;
    memcpy(t->reason + used, text, n);
    t->reason[used + n] = '\0';
}

static void tls_reason_cat(pop3_tls_t *t, const char *text)
{
    tls_reason_cat_n(t, text, strlen(text));
}

/** Appends "0x" and @p v in upper-case hex, at least @p min_digits digits. */
static void tls_reason_hex(pop3_tls_t *t, uint32_t v, unsigned min_digits)
{
    static const char hexdig[] = "0123456789ABCDEF";
    char buf[10];
    size_t i = sizeof buf;

    do {
        buf[--i] = hexdig[v & 0xFU];
        v >>= 4;
        if (min_digits > 0U) {
            min_digits--;
        }
    } while (v != 0U || min_digits > 0U);
    buf[--i] = 'x';
    buf[--i] = '0';
    tls_reason_cat_n(t, buf + i, sizeof buf - i);
}

static void tls_set_reason(pop3_tls_t *t, const char *text)
{
    t->reason[0] = '\0';
    tls_reason_cat(t, text);
}

/** "what: mbedTLS text (-0xNNNN)" so logs carry both the meaning and the code. */
static void tls_set_mbedtls_reason(pop3_tls_t *t, const char *what, int err)
{
    char msg[80] = "";

    t->last_mbedtls_err = err;
#if defined(MBEDTLS_ERROR_C)
    mbedtls_strerror(err, msg, sizeof msg);
#endif
    tls_set_reason(t, what);
    tls_reason_cat(t, ": ");
    tls_reason_cat(t, msg);
    tls_reason_cat(t, err < 0 ? " (-" : " (");
    tls_reason_hex(t, (uint32_t)(err < 0 ? -(long)err : (long)err), 4);
    tls_reason_cat(t, ")");
}

/** Append one certificate problem to the reason ("a; b"). */
static void tls_append_reason(pop3_tls_t *t, const char *text)
{
    if (t->reason[0] != '\0') {
        tls_reason_cat(t, "; ");
    }
    tls_reason_cat(t, text);
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
};

static void tls_set_cert_reason(pop3_tls_t *t, uint32_t flags)
{
    size_t i;

    t->reason[0] = '\0';
    for (i = 0; i < sizeof tls_cert_reasons / sizeof tls_cert_reasons[0]; i++) {
        if ((flags & tls_cert_reasons[i].flag) != 0U) {
            tls_append_reason(t, tls_cert_reasons[i].text);
        }
    }
    if ((flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) != 0U) {
        size_t n = strlen(t->host);
        tls_append_reason(t, "certificate not valid for host '");
        tls_reason_cat_n(t, t->host, n < 80U ? n : 80U);
        tls_reason_cat(t, "'");
    }
    if (t->reason[0] == '\0') {
        tls_set_reason(t, "certificate verification failed (flags ");
        tls_reason_hex(t, flags, 1);
        tls_reason_cat(t, ")");
    }
}

/* ---- IP literal parsing (no inet_pton: keep the file free of OS headers) ---- */

static int tls_hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

/** Strict dotted quad (like inet_pton: no leading zeros, no short forms); must end the string. */
static bool tls_parse_ipv4(const char *s, uint8_t out[4])
{
    size_t i;

    for (i = 0; i < 4U; i++) {
        unsigned int v = 0;
        size_t digits = 0;
        while (*s >= '0' && *s <= '9') {
            if (digits != 0U && v == 0U) {
                return false;
            }
            v = v * 10U + (unsigned int)(*s - '0');
            if (v > 255U) {
                return false;
            }
            digits++;
            s++;
        }
        if (digits == 0U) {
            return false;
        }
        out[i] = (uint8_t)v;
        if (i < 3U && *s++ != '.') {
            return false;
        }
    }
    return *s == '\0';
}

/** Expand "::" (at byte @p gap) so that @p n parsed octets fill 16. */
static bool tls_ipv6_expand(const uint8_t *b, size_t n, int gap, uint8_t out[16])
{
    size_t g;

    if (gap < 0) {
        if (n != 16U) {
            return false;
        }
        memcpy(out, b, 16);
        return true;
    }
    g = (size_t)gap;
    if (n > 14U) {
        return false;
    }
    memset(out, 0, 16);
    memcpy(out, b, g);
    memcpy(out + 16U - (n - g), b + g, n - g);
    return true;
}

/** RFC 4291 text form, "::" compression and a trailing dotted quad allowed. */
static bool tls_parse_ipv6(const char *s, uint8_t out[16])
{
    uint8_t b[16];
    size_t n = 0;
    int gap = -1;

    if (*s == ':' && *++s != ':') {
        return false; /* a leading colon must be part of "::" */
    }
    while (*s != '\0') {
        const char *start = s;
        unsigned int v = 0;
        size_t digits = 0;

        if (*s == ':') { /* the second colon of "::" */
            if (gap >= 0) {
                return false;
            }
            gap = (int)n;
            s++;
            continue;
        }
        while (tls_hex_digit(*s) >= 0 && digits < 5U) {
            v = (v << 4) | (unsigned int)tls_hex_digit(*s++);
            digits++;
        }
        if (*s == '.') {
            if (n > 12U || !tls_parse_ipv4(start, b + n)) {
                return false;
            }
            n += 4U;
            break;
        }
        if (digits == 0U || digits > 4U || n > 14U) {
            return false;
        }
        b[n++] = (uint8_t)(v >> 8);
        b[n++] = (uint8_t)v;
        if (*s == ':') {
            if (*++s == '\0') {
                return false; /* trailing single colon */
            }
        } else if (*s != '\0') {
            return false;
        }
    }
    return tls_ipv6_expand(b, n, gap, out);
}

/** Fill host_ip if the host is an IPv4 or IPv6 literal (an IPv6 "%zone" is ignored). */
static void tls_classify_host(pop3_tls_t *t)
{
    char buf[46];
    size_t len = strcspn(t->host, "%");

    t->host_is_ip = false;
    t->host_ip_len = 0;
    if (strchr(t->host, ':') == NULL) {
        if (tls_parse_ipv4(t->host, t->host_ip)) {
            t->host_is_ip = true;
            t->host_ip_len = 4;
        }
        return;
    }
    if (len >= sizeof buf) {
        return;
    }
    memcpy(buf, t->host, len);
    buf[len] = '\0';
    if (tls_parse_ipv6(buf, t->host_ip)) {
        t->host_is_ip = true;
        t->host_ip_len = 16;
    }
}

/* ---- certificate check for IP hosts -------------------------------------- */

/** Does the certificate list @p ip among its iPAddress subjectAltNames? */
static bool tls_crt_has_ip(const mbedtls_x509_crt *crt, const uint8_t *ip, size_t ip_len)
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

/**
 * Called by mbedTLS for each certificate of the chain, leaf last (depth 0).
 * For an IP host, no host name was given to mbedTLS: it would go out as SNI,
 * which RFC 6066 forbids (neither 2.28 nor 3.6 filters IP literals out of
 * SNI), and 2.28 cannot match iPAddress entries (3.6 can). So the address is
 * checked here, the same way for every version, and can only fail closed.
 */
static int tls_verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    pop3_tls_t *t = ctx;

    if (depth == 0) {
        if (t->host_is_ip) {
            if (tls_crt_has_ip(crt, t->host_ip, t->host_ip_len)) {
                *flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
            } else {
                *flags |= (uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
            }
        }
        t->verify_flags |= TLS_LEAF_CHECKED;
    }
    t->verify_flags |= *flags;
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

/** Printable ASCII, no spaces: anything else cannot be a host and must not reach logs. */
static pop3_status_t tls_copy_host(pop3_tls_t *t, const char *host)
{
    size_t len;

    if (host == NULL) {
        return POP3_ERR_BAD_ARG;
    }
    for (len = 0; host[len] != '\0'; len++) {
        if (len >= POP3_TLS_HOST_MAX_LEN || host[len] <= ' ' || host[len] > '~') {
            return POP3_ERR_BAD_ARG;
        }
    }
    if (len == 0U) {
        return POP3_ERR_BAD_ARG;
    }
    memcpy(t->host, host, len + 1U);
    tls_classify_host(t);
    return POP3_OK;
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
            tls_set_mbedtls_reason(t, "cannot load CA file", ret);
            return POP3_ERR_CERT;
        }
    }
    if (cfg->ca_pem != NULL) {
        ret = mbedtls_x509_crt_parse(&t->ca, cfg->ca_pem, cfg->ca_pem_len);
        if (ret < 0) {
            tls_set_mbedtls_reason(t, "cannot parse CA certificates", ret);
            return POP3_ERR_CERT;
        }
    }
    if (t->ca.raw.p == NULL) {
        tls_set_reason(t, "no usable CA certificate found");
        return POP3_ERR_CERT;
    }
    return POP3_OK;
}

/**
 * Headers and library of one release? A mix (e.g. 3.6 headers, 2.28 library)
 * often links and then corrupts memory: refuse to run instead.
 */
static bool tls_library_matches(pop3_tls_t *t)
{
#if defined(MBEDTLS_VERSION_C)
    unsigned int lib = mbedtls_version_get_number();

    if (lib != (unsigned int)MBEDTLS_VERSION_NUMBER) {
        tls_set_reason(t, "mbedTLS library ");
        tls_reason_hex(t, lib, 8);
        tls_reason_cat(t, " does not match its headers ");
        tls_reason_hex(t, (uint32_t)MBEDTLS_VERSION_NUMBER, 8);
        return false;
    }
#else
    (void)t;
#endif
    return true;
}

/** Start PSA crypto if this mbedTLS needs it. Process-wide and idempotent. */
static bool tls_psa_init(pop3_tls_t *t)
{
#if TLS_NEED_PSA_INIT
    psa_status_t st = psa_crypto_init();

    if (st != PSA_SUCCESS) {
        tls_set_reason(t, "PSA crypto initialisation failed (status ");
        tls_reason_cat(t, st < 0 ? "-" : "");
        tls_reason_hex(t, (uint32_t)(st < 0 ? -(long)st : (long)st), 1);
        tls_reason_cat(t, ")");
        return false;
    }
#else
    (void)t;
#endif
    return true;
}

static int tls_seed(pop3_tls_t *t)
{
    return mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
                                 (const unsigned char *)tls_pers, sizeof tls_pers - 1U);
}

static int tls_configure(pop3_tls_t *t)
{
    int ret = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
                                          MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        return ret;
    }
#if MBEDTLS_VERSION_NUMBER >= 0x03020000
    mbedtls_ssl_conf_min_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_2);
#elif MBEDTLS_VERSION_NUMBER < 0x03000000 /* 3.0/3.1 have nothing older than 1.2 */
    /* Debian's 2.28 still enables TLS 1.0/1.1; RFC 8996 deprecates them. */
    mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#endif
#if TLS_HAVE_TLS13
#if !POP3_TLS13_ENABLE
    mbedtls_ssl_conf_max_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_2);
#endif
#if defined(MBEDTLS_SSL_SESSION_TICKETS) && defined(MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_DISABLED)
    /* 3.6.1+: TLS 1.3 tickets are parsed and dropped, never surfaced as an error
     * (already the default; said here so a changed default cannot surprise us).
     * 3.6.0 always reports them: the read and write loops retry. */
    mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
        &t->conf, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_DISABLED);
#endif
#endif
    mbedtls_ssl_conf_authmode(&t->conf, t->insecure ? MBEDTLS_SSL_VERIFY_NONE
                                                    : MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
    mbedtls_ssl_conf_verify(&t->conf, tls_verify_cb, t);
    mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
    return 0;
}

pop3_status_t pop3_tls_init(pop3_tls_t *t, const pop3_tls_config_t *cfg,
                            pop3_tls_raw_send_fn raw_send, void *raw_ctx)
{
    pop3_status_t st;
    int ret;

    if (t == NULL || cfg == NULL || raw_send == NULL) {
        return POP3_ERR_BAD_ARG;
    }
    memset(t, 0, sizeof *t);
    mbedtls_ssl_init(&t->ssl);
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_x509_crt_init(&t->ca);
    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->drbg);
    t->raw_send = raw_send;
    t->raw_ctx = raw_ctx;
    t->insecure = cfg->insecure;

    st = tls_copy_host(t, cfg->host);
    if (st != POP3_OK) {
        tls_set_reason(t, "missing or invalid host name");
    } else if (!tls_library_matches(t) || !tls_psa_init(t)) {
        st = POP3_ERR_TLS;
    } else if ((ret = tls_seed(t)) != 0) {
        tls_set_mbedtls_reason(t, "random generator seeding failed", ret);
        st = POP3_ERR_TLS;
    } else if ((st = tls_load_ca(t, cfg)) == POP3_OK && (ret = tls_configure(t)) != 0) {
        tls_set_mbedtls_reason(t, "TLS configuration failed", ret);
        st = POP3_ERR_TLS;
    }
    if (st != POP3_OK) {
        pop3_tls_free(t); /* keeps the reason */
        return st;
    }
    t->state = TLS_ST_IDLE;
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

    t->state = TLS_ST_FAILED;
    t->last_mbedtls_err = ret;
    if (flags == 0xFFFFFFFFUL) { /* no session to ask: use what the callback saw */
        flags = t->verify_flags & ~(uint32_t)TLS_LEAF_CHECKED;
    }
    if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED || (!t->insecure && flags != 0U)) {
        t->verify_flags = flags;
        tls_set_cert_reason(t, flags);
        return POP3_ERR_CERT;
    }
    tls_set_mbedtls_reason(t, "TLS handshake failed", ret);
    return POP3_ERR_TLS;
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
    if (t->host_is_ip && !t->insecure && (t->verify_flags & TLS_LEAF_CHECKED) == 0U) {
        t->state = TLS_ST_FAILED;
        tls_set_reason(t, "server certificate was not checked against the IP address");
        return POP3_ERR_CERT;
    }
    t->state = TLS_ST_OPEN;
    return POP3_OK;
}

/** Drive the handshake from feed/writable and report its end to the core. */
static void tls_handshake_step(pop3_tls_t *t)
{
    pop3_status_t st = tls_handshake_run(t);

    if (st != POP3_OK) {
        pop3_on_tls_done(t->client, st);
    } else if (t->state == TLS_ST_OPEN) {
        pop3_on_tls_done(t->client, POP3_OK);
    }
}

pop3_status_t pop3_tls_start(pop3_tls_t *t, pop3_client_t *c)
{
    int ret;

    if (t == NULL || c == NULL) {
        return POP3_ERR_BAD_ARG;
    }
    if (t->state != TLS_ST_IDLE) {
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
        ret = mbedtls_ssl_set_hostname(&t->ssl, t->host_is_ip ? NULL : t->host);
    }
    if (ret != 0) {
        t->state = TLS_ST_FAILED;
        tls_set_mbedtls_reason(t, "TLS set-up failed", ret);
        return POP3_ERR_TLS;
    }
    t->state = TLS_ST_HANDSHAKE;
    /* Sends the ClientHello now; the outcome is reported to the core later, never from here. */
    return tls_handshake_run(t);
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
    size_t n;

    if (t->plain_off == t->plain_len) {
        return true;
    }
    n = pop3_on_input(t->client, t->plain + t->plain_off, t->plain_len - t->plain_off);
    t->plain_off += n;
    if (t->plain_off < t->plain_len) {
        return false;
    }
    t->plain_off = 0;
    t->plain_len = 0;
    return true;
}

static void tls_read_failed(pop3_tls_t *t, int ret)
{
    if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
        t->state = TLS_ST_CLOSED; /* an orderly close, not a TLS failure: no reason */
        pop3_on_closed(t->client, POP3_ERR_TRANSPORT);
        return;
    }
    t->state = TLS_ST_FAILED;
    tls_set_mbedtls_reason(t, "TLS receive failed", ret);
    pop3_on_closed(t->client, POP3_ERR_TLS);
}

/**
 * Hand plaintext to the core until it pauses or mbedTLS needs more
 * ciphertext. mbedTLS may already hold decrypted octets or whole records,
 * so this also runs with no new input (pop3_tls_pump()).
 */
static void tls_deliver(pop3_tls_t *t)
{
    while (tls_core_ready(t) && tls_offer_plain(t) && tls_core_ready(t)) {
        int ret = mbedtls_ssl_read(&t->ssl, t->plain, sizeof t->plain);
        if (ret > 0) {
            t->plain_len = (size_t)ret;
            continue;
        }
        if (tls_ticket(ret)) {
            continue; /* 3.6.0 TLS 1.3: a ticket arrived, not data */
        }
        if (!tls_want(ret)) {
            tls_read_failed(t, ret);
        }
        return;
    }
}

size_t pop3_tls_feed(pop3_tls_t *t, const uint8_t *data, size_t len)
{
    size_t used;

    if (t == NULL) {
        return 0;
    }
    if (t->state == TLS_ST_CLOSED || t->state == TLS_ST_FAILED) {
        return len; /* nothing can use it any more */
    }
    if (t->state != TLS_ST_HANDSHAKE && t->state != TLS_ST_OPEN) {
        return 0;
    }
    t->in = data;
    t->in_len = (data != NULL) ? len : 0U;
    t->in_used = 0;
    if (t->state == TLS_ST_HANDSHAKE) {
        tls_handshake_step(t);
    }
    /* Application data may follow the server's Finished in the same segment. */
    tls_deliver(t);
    used = t->in_used;
    t->in = NULL;
    t->in_len = 0;
    t->in_used = 0;
    return used;
}

void pop3_tls_pump(pop3_tls_t *t)
{
    if (t != NULL) {
        (void)pop3_tls_feed(t, NULL, 0);
    }
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

void pop3_tls_on_writable(pop3_tls_t *t)
{
    if (t == NULL) {
        return;
    }
    t->raw_blocked = false;
    if (t->state == TLS_ST_HANDSHAKE) {
        tls_handshake_step(t);
        tls_deliver(t);
    } else if (t->state == TLS_ST_OPEN && t->write_len == 0U) {
        /* A read may have stopped on WANT_WRITE (alerts, 3.x key updates). */
        tls_deliver(t);
    }
    /* A pending application write is flushed when the core retries its send. */
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
    t->state = TLS_ST_FAILED;
    tls_set_mbedtls_reason(t, "TLS send failed", ret);
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

    if (t == NULL || t->state == TLS_ST_FREED) {
        return;
    }
    mbedtls_ssl_free(&t->ssl);
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_x509_crt_free(&t->ca);
    mbedtls_ctr_drbg_free(&t->drbg);
    mbedtls_entropy_free(&t->entropy);
    /* Wipe held plaintext and DRBG state; the failure reason holds no secret. */
    memcpy(reason, t->reason, sizeof reason);
    mbedtls_platform_zeroize(t, sizeof *t);
    memcpy(t->reason, reason, sizeof reason);
    t->state = TLS_ST_FREED;
}

const char *pop3_tls_error_str(const pop3_tls_t *t)
{
    if (t == NULL) {
        return "no TLS session";
    }
    return t->reason;
}
