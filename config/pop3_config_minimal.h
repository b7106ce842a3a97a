/**
 * @file pop3_config_minimal.h
 * @brief The "minimal" size profile: USER/PASS login over TLS (no SASL), STAT, UIDL, RETR,
 *        DELE and QUIT; every optional feature compiled out.
 *
 * Build the library and the application with
 *   -DPOP3_CONFIG_FILE=\"pop3_config_minimal.h\"
 * or include this file from your own configuration header (your other settings,
 * such as POP3_QUEUE_LEN or the timeouts, may go before or after it). What each
 * knob removes is described in pop3_config_defaults.h, where every one defaults to 1.
 * examples/lwip-baremetal builds this profile for its size table.
 */
#ifndef POP3_CONFIG_MINIMAL_H
#define POP3_CONFIG_MINIMAL_H

#define POP3_TRACE_ENABLE       0 /* protocol trace (on_trace) */
#define POP3_APOP_ENABLE        0 /* APOP login (MD5 from mbedTLS) */
#define POP3_SASL_ENABLE        0 /* SASL AUTH (base64, HMAC, SHA, PBKDF2 from mbedTLS) */
#define POP3_TOP_ENABLE         0 /* TOP */
#define POP3_LIST_ENABLE        0 /* LIST */
#define POP3_CAPA_ENABLE        0 /* explicit pop3_capa() and on_capa */
#define POP3_STLS_ENABLE        0 /* STLS upgrade: implicit TLS (POP3S, port 995) only */
#define POP3_RSET_NOOP_ENABLE   0 /* RSET and NOOP */
#define POP3_RAW_ENABLE         0 /* pop3_command(): lines as typed */
#define POP3_STATUS_TEXT_ENABLE 0 /* long pop3_status_str() texts */
#define POP3_PIPELINE_DEPTH     1 /* PIPELINING (commands one at a time) */
#define POP3_LWIP_ERROR_TEXT    0 /* lwIP port: texts of network errors */

#endif /* POP3_CONFIG_MINIMAL_H */
