/**
 * @file mbedtls_fw_config.h
 * @brief mbedTLS 3.6 LTS configuration for the bare-metal POP3 client:
 *        a TLS 1.2 client only, selected with -DMBEDTLS_CONFIG_FILE='"mbedtls_fw_config.h"'.
 *
 * What it can talk to:
 *   - TLS 1.2 (no 1.0/1.1, no 1.3: 1.3 in 3.6 needs PSA crypto, ~+25 KB);
 *   - ECDHE-ECDSA and ECDHE-RSA key exchange with AES-128/256-GCM and
 *     ChaCha20-Poly1305 (the suites every current POP3S server offers);
 *   - curves x25519, secp256r1, secp384r1; RSA up to 4096 bits (PKCS#1 v1.5
 *     signatures, which is what TLS 1.2 servers and CAs use);
 *   - certificate chains signed with SHA-256/384/512; trust anchors in PEM
 *     (FW_MBEDTLS_PEM, default on) or DER.
 * Left out: TLS server, renegotiation, session tickets/cache, CBC suites,
 * static RSA key exchange, DHE, PSK, TLS 1.3, file system, sockets, timing.
 *
 * Memory: MBEDTLS_PLATFORM_MEMORY with MBEDTLS_PLATFORM_NO_STD_FUNCTIONS, so
 * mbedtls_calloc()/mbedtls_free() start out as stubs returning NULL and libc's
 * calloc/free are never referenced; main() routes them to
 * mbedtls_memory_buffer_alloc_init() on a static buffer (FW_MBEDTLS_HEAP_LEN).
 *
 * Board hooks this configuration needs (see board.h):
 *   - mbedtls_hardware_poll(): the true random source (MBEDTLS_ENTROPY_HARDWARE_ALT);
 *   - mbedtls_ms_time(): monotonic milliseconds (MBEDTLS_PLATFORM_MS_TIME_ALT),
 *     made from sys_now() in src/fw_mbedtls_platform.c;
 *   - wall-clock time set with mbedtls_platform_set_time() (MBEDTLS_PLATFORM_TIME_ALT):
 *     certificate validity dates with FW_CERT_DATES (MBEDTLS_HAVE_TIME_DATE).
 */
#ifndef MBEDTLS_FW_CONFIG_H
#define MBEDTLS_FW_CONFIG_H

#ifndef FW_CERT_DATES
#define FW_CERT_DATES 1
#endif
#ifndef FW_MBEDTLS_PEM
#define FW_MBEDTLS_PEM 1
#endif
#ifndef FW_APOP
#define FW_APOP 0
#endif
#ifndef FW_SASL
#define FW_SASL 1
#endif
#ifndef FW_SASL_SCRAM
#define FW_SASL_SCRAM 0
#endif
#ifndef FW_MBEDTLS_ERROR_STRINGS
#define FW_MBEDTLS_ERROR_STRINGS 0
#endif

/* ---- Platform --------------------------------------------------------- */
#define MBEDTLS_HAVE_ASM                      /* Thumb-2 multiply-accumulate in bignum */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY               /* calloc/free through function pointers... */
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS     /* ...that never default to libc's calloc/free */
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C         /* main(): mbedtls_memory_buffer_alloc_init() */
#define MBEDTLS_NO_PLATFORM_ENTROPY           /* no /dev/urandom */
#define MBEDTLS_ENTROPY_HARDWARE_ALT          /* board hook: mbedtls_hardware_poll() */
#define MBEDTLS_DEPRECATED_REMOVED
/* NO_STD_FUNCTIONS also drops the snprintf defaults: name them (src/fw_snprintf.c
 * provides heap-free versions; newlib-nano's would link malloc). */
#include <stdio.h>
#define MBEDTLS_PLATFORM_SNPRINTF_MACRO       snprintf
#define MBEDTLS_PLATFORM_VSNPRINTF_MACRO      vsnprintf
/* memory_buffer_alloc calls mbedtls_exit() on heap corruption: halt via the log hook
 * instead of newlib's exit() (which needs _exit and friends). src/fw_mbedtls_platform.c */
void fw_mbedtls_exit(int status) __attribute__((noreturn));
#define MBEDTLS_PLATFORM_EXIT_MACRO           fw_mbedtls_exit

#define MBEDTLS_HAVE_TIME                     /* time: only for the ClientHello's gmt_unix_time without DATE */
#define MBEDTLS_PLATFORM_TIME_ALT             /* main(): mbedtls_platform_set_time(board clock), never libc time() */
#define MBEDTLS_PLATFORM_MS_TIME_ALT          /* mbedtls_ms_time() from sys_now(), never clock_gettime() */
#if FW_CERT_DATES
#define MBEDTLS_HAVE_TIME_DATE                /* check notBefore/notAfter of certificates */
#define MBEDTLS_PLATFORM_GMTIME_R_ALT         /* newlib's gmtime() mallocs; fw_mbedtls_platform.c uses gmtime_r() */
#endif

/* ---- Random ------------------------------------------------------------ */
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C

/* ---- Symmetric crypto and hashes ---------------------------------------- */
#define MBEDTLS_CIPHER_C
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES                /* tables in flash, not 8 KiB of RAM */
#define MBEDTLS_AES_FEWER_TABLES              /* 2 KiB of tables instead of 8 KiB */
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_SHA224_C                      /* sha256.c requires both in 3.6 */
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_SHA512_SMALLER
#if FW_APOP
#define MBEDTLS_MD5_C                         /* APOP digest (core: POP3_APOP_ENABLE) */
#endif
#if FW_SASL && FW_SASL_SCRAM
#define MBEDTLS_SHA1_C                        /* SCRAM-SHA-1 (core: POP3_SASL_SCRAM_ENABLE) */
#define MBEDTLS_PKCS5_C                       /* PBKDF2 for SCRAM's salted password */
#endif

/* ---- Public key ---------------------------------------------------------- */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_MPI_MAX_SIZE                  512   /* RSA-4096 roots */
#define MBEDTLS_MPI_WINDOW_SIZE               2
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_WINDOW_SIZE               2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM         0     /* no per-curve precomputed tables in RAM */
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C                  /* ECDSA signature encoding */
#define MBEDTLS_OID_C

/* ---- X.509 ------------------------------------------------------------------ */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_REMOVE_INFO              /* no human-readable certificate dumps */
#if FW_MBEDTLS_PEM
#define MBEDTLS_PEM_PARSE_C                   /* trust anchors may be PEM text */
#endif
#if FW_MBEDTLS_PEM || FW_SASL
#define MBEDTLS_BASE64_C                      /* PEM; SASL AUTH's challenges and responses */
#endif

/* ---- TLS 1.2 client ----------------------------------------------------- */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_SERVER_NAME_INDICATION    /* SNI: the adapter always sets the host name */
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
/* The client's preference order (servers that honour it, e.g. Dovecot/OpenSSL by default,
 * pick the first they share). ChaCha20-Poly1305 first (FW_PREFER_CHACHAPOLY=1, default): on
 * a Cortex-M4, which has no AES instructions, its record crypto took 32 guest instructions
 * per body octet against 96 for AES-128-GCM (ciphers at -O2; 61 against 155 at -Os), see
 * PORTING.md, "Measured under QEMU". FW_PREFER_CHACHAPOLY=0
 * puts AES-GCM first (cores with an AES/GHASH accelerator). Only ssl_ciphersuites.c reads it. */
#ifndef FW_PREFER_CHACHAPOLY
#define FW_PREFER_CHACHAPOLY 1
#endif
#if FW_PREFER_CHACHAPOLY
#define MBEDTLS_SSL_CIPHERSUITES \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, \
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, \
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, \
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
#else
#define MBEDTLS_SSL_CIPHERSUITES \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, \
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, \
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, \
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
#endif
/*
 * Record buffers. FW_TLS_MAX_FRAG (default 1): the adapter asks for RFC 6066
 * max_fragment_length 4096 (POP3_TLS_MAX_FRAG_LEN in pop3_fw_config.h), so the
 * input buffer is 4 KiB: 12 KiB less RAM, but only servers that agree can be
 * reached (Dovecot with OpenSSL 1.1.1+ does). FW_TLS_MAX_FRAG=0: a server may send
 * 16 KiB records, so the input buffer stays at the TLS maximum. The client only
 * sends short commands: 4 KiB out.
 */
#ifndef FW_TLS_MAX_FRAG
#define FW_TLS_MAX_FRAG 1
#endif
#if FW_TLS_MAX_FRAG
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MBEDTLS_SSL_IN_CONTENT_LEN            4096
#else
#define MBEDTLS_SSL_IN_CONTENT_LEN            16384
#endif
#define MBEDTLS_SSL_OUT_CONTENT_LEN           4096

#if FW_MBEDTLS_ERROR_STRINGS
#define MBEDTLS_ERROR_C                       /* mbedtls_strerror(): ~10 KB of strings */
#endif

#endif /* MBEDTLS_FW_CONFIG_H */
