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

/* SASL: XOAUTH2/OAUTHBEARER and PLAIN/LOGIN need only base64 (already in for PEM).
 * CRAM-MD5 and SCRAM would add MD5, SHA-1 and PBKDF2 code the example does not use. */
#define POP3_SASL_ENABLE 1
#define POP3_SASL_CRAM_MD5_ENABLE 0
#define POP3_SASL_SCRAM_ENABLE 0

/* The app queues at most LOGIN, UIDL, then RETR (+DELE) one message at a time, then QUIT. */
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
