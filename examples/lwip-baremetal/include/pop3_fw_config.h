/**
 * @file pop3_fw_config.h
 * @brief POP3 library knobs for this firmware (-DPOP3_CONFIG_FILE='"pop3_fw_config.h"').
 */
#ifndef POP3_FW_CONFIG_H
#define POP3_FW_CONFIG_H

#ifndef FW_APOP
#define FW_APOP 0
#endif

/* APOP needs MD5 from mbedTLS: only with MBEDTLS_MD5_C (FW_APOP=1 enables both). */
#define POP3_APOP_ENABLE FW_APOP

/*
 * SASL AUTH (pop3_auth()): the firmware logs in with XOAUTH2 when its settings hold an
 * OAuth token (src/fw_login.c), as Exchange Online, Outlook.com and Gmail require; PLAIN,
 * LOGIN and OAUTHBEARER come with the same code. Needs MBEDTLS_BASE64_C. FW_SASL=0 leaves
 * AUTH out (USER/PASS only).
 * CRAM-MD5 stays out: it needs MD5 in mbedTLS, protects nothing that TLS does not already,
 * and no provider that needs OAuth offers it. SCRAM stays out by default (FW_SASL_SCRAM=1
 * adds it, with SHA-1 and PKCS#5 in mbedTLS): it costs flash and one PBKDF2 of at least
 * 4,096 iterations per login on a Cortex-M4, for servers that also take PLAIN over TLS.
 */
#ifndef FW_SASL
#define FW_SASL 1
#endif
#ifndef FW_SASL_SCRAM
#define FW_SASL_SCRAM 0
#endif
#define POP3_SASL_ENABLE FW_SASL
#define POP3_SASL_CRAM_MD5_ENABLE 0
#define POP3_SASL_SCRAM_ENABLE (FW_SASL && FW_SASL_SCRAM)

/* The app queues at most LOGIN (or AUTH), UIDL, then RETR (+DELE) one message at a time, then QUIT. */
#define POP3_QUEUE_LEN 4U

/* Shorter deadlines than the desktop defaults: a device retries on its next poll. */
#define POP3_CONNECT_TIMEOUT_MS 20000U
#define POP3_REPLY_TIMEOUT_MS   30000U
#define POP3_TLS_TIMEOUT_MS     30000U

/* RFC 6066 max_fragment_length: matches MBEDTLS_SSL_IN_CONTENT_LEN in mbedtls_fw_config.h. */
#ifndef FW_TLS_MAX_FRAG
#define FW_TLS_MAX_FRAG 1
#endif
#if FW_TLS_MAX_FRAG
#define POP3_TLS_MAX_FRAG_LEN 4096U
#endif

/* Plaintext held by the TLS adapter when the body callback pauses mid-record. */
#define POP3_TLS_PLAIN_BUF_LEN  1024U

#endif /* POP3_FW_CONFIG_H */
