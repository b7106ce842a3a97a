/**
 * @file cli_tls.h
 * @brief pop3-cli: what a TLS handshake showed (version, cipher suite, the
 *        server's certificate chain, the verification result), collected
 *        through the TLS adapter's callbacks (pop3_tls_config_t::on_cert,
 *        ::on_handshake) and printed with -v (cli_tls.c). `check` reads the
 *        same record (cli_check.c).
 */
#ifndef POP3_CLI_TLS_H
#define POP3_CLI_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <mbedtls/x509_crt.h>

#include "pop3.h"
#include "pop3_tls.h"

#define CLI_TLS_MAX_CERTS 8U

/** One certificate, formatted (sanitized text: no control characters). */
typedef struct cli_cert_info {
    char subject[256];
    char issuer[256];
    char san[512];            /* "DNS:localhost, IP:127.0.0.1"; "" if none */
    char not_before[32];      /* "2026-12-01 17:35:12 UTC" */
    char not_after[32];
    long days_left;           /* whole days until not_after; negative once expired */
    bool not_yet_valid;       /* not_before is in the future */
    bool verified;            /* it went through verification (flags below mean something) */
    bool from_ca_file;        /* in the verified chain but not sent by the server (trust anchor) */
    int depth;                /* in the verified chain (0: the server's own), -1 if not in it */
    uint32_t flags;           /* MBEDTLS_X509_BADCERT_* of that certificate */
    unsigned char *der;       /* copy of the DER (heap), to match presented and verified ones */
    size_t der_len;
} cli_cert_info_t;

/** What one handshake showed. Put its address in pop3_tls_config_t::cb_ctx. */
typedef struct cli_tls_seen {
    FILE *verbose;            /* non-NULL: print the details there when the handshake ends */
    const char *label;        /* "POP3S", "STLS": which handshake, for the printout */
    void (*after)(void *arg); /* non-NULL: called at the end of the handshake callback */
    void *after_arg;
    bool done;                /* the handshake ended (ok or not) */
    pop3_status_t status;
    char version[16];         /* "TLSv1.3"; "" unless it succeeded */
    char cipher[96];
    char reason[POP3_TLS_REASON_LEN];
    uint32_t verify_flags;    /* of a failed verification; 0 otherwise */
    bool verified;            /* verification ran (not --insecure) */
    cli_cert_info_t chain[CLI_TLS_MAX_CERTS]; /* as mbedTLS verified it, in callback order (top first) */
    size_t nchain;
    cli_cert_info_t sent[CLI_TLS_MAX_CERTS];  /* as the server presented them, leaf first */
    size_t nsent;
    size_t more;              /* certificates not kept (beyond CLI_TLS_MAX_CERTS) */
} cli_tls_seen_t;

/** Points @p cfg's callbacks at @p s (and clears @p s). */
void cli_tls_attach(pop3_tls_config_t *cfg, cli_tls_seen_t *s);

/** Frees the DER copies and clears the record (keeps verbose, label and after). */
void cli_tls_reset(cli_tls_seen_t *s);

/** Verification flags in words, ", "-separated ("expired, name mismatch"); "ok" for 0. */
void cli_tls_flags_text(uint32_t flags, char *out, size_t out_len);

/** Prints the record: version, cipher, the presented chain, the reason of a failure. */
void cli_tls_print(FILE *f, const cli_tls_seen_t *s);

/** The server's own certificate (leaf), or NULL if none was seen. */
const cli_cert_info_t *cli_tls_leaf(const cli_tls_seen_t *s);

#endif /* POP3_CLI_TLS_H */
