/**
 * @file pop3_tls_util.h
 * @brief Private to the TLS adapter: its pure helpers (host checks, the
 *        iPAddress match, failure texts). No session state, no I/O; unit-tested
 *        on their own (test/unit/test_tls_util.c).
 */
#ifndef POP3_TLS_UTIL_H
#define POP3_TLS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/x509_crt.h>

#include "pop3.h"

/**
 * Check @p host for use as the TLS server name and copy it into @p dst.
 * Refused (POP3_ERR_BAD_ARG, @p dst left alone): NULL, empty, @p dst_len or
 * more octets, an octet outside '!'..'~' (CR, LF, spaces, controls, non-ASCII
 * never reach SNI or logs), and, unless @p is_ip, a host that can only be an
 * IP literal (a ':' anywhere, or digits and dots only: RFC 3696 section 2):
 * such a host must come with its parsed address, or it would be checked as a
 * name (fail closed).
 */
pop3_status_t pop3_tls_host_copy(char *dst, size_t dst_len, const char *host, bool is_ip);

/** Does @p crt list @p ip (@p ip_len octets: 4 or 16) among its iPAddress subjectAltNames? */
bool pop3_tls_crt_has_ip(const mbedtls_x509_crt *crt, const uint8_t *ip, size_t ip_len);

/**
 * The reason for failed certificate verification @p flags (MBEDTLS_X509_BADCERT_*):
 * every known problem, "; "-separated, e.g. "certificate not trusted (unknown
 * CA)" or "certificate not valid for host 'x'" (@p host cut at 80 octets);
 * "certificate verification failed (flags 0x...)" if none is known.
 * Always NUL-terminated within @p out_len (>= 1); longer texts are cut.
 */
void pop3_tls_text_cert(char *out, size_t out_len, uint32_t flags, const char *host);

/**
 * "what: mbedTLS text (-0xNNNN)" for mbedTLS error @p code, so logs carry both
 * the meaning and the code (the text part is empty without MBEDTLS_ERROR_C).
 * Always NUL-terminated within @p out_len (>= 1).
 */
void pop3_tls_text_code(char *out, size_t out_len, const char *what, int code);

#endif /* POP3_TLS_UTIL_H */
