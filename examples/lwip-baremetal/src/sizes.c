/**
 * @file sizes.c
 * @brief Not linked into the image: each array below has the size of one
 *        library object, so `arm-none-eabi-nm -S` on this object file reports
 *        sizeof() as the target compiler sees it (no target run needed).
 */
#include "cmdmail.h"
#include "cmdmail_poll.h"
#include "mbedtls/sha256.h"
#include "pop3.h"
#include "pop3_tls.h"
#if __has_include("pop3_lwip.h")
#include "pop3_lwip.h"
#endif

char fw_sizeof_pop3_client_t[sizeof(pop3_client_t)];
char fw_sizeof_pop3_tls_t[sizeof(pop3_tls_t)];
char fw_sizeof_mbedtls_ssl_context[sizeof(mbedtls_ssl_context)];
char fw_sizeof_mbedtls_ssl_config[sizeof(mbedtls_ssl_config)];
char fw_sizeof_mbedtls_x509_crt[sizeof(mbedtls_x509_crt)];
char fw_sizeof_mbedtls_entropy_context[sizeof(mbedtls_entropy_context)];
char fw_sizeof_mbedtls_ctr_drbg_context[sizeof(mbedtls_ctr_drbg_context)];
#if __has_include("pop3_lwip.h")
char fw_sizeof_pop3_lwip_t[sizeof(pop3_lwip_t)];
#endif
char fw_sizeof_cmdmail_t[sizeof(cmdmail_t)];
char fw_sizeof_cmdmail_poll_t[sizeof(cmdmail_poll_t)];
/* What cmdmail_setup()'s mbedtls_md_setup(hmac = 1) takes from mbedTLS's allocator:
 * the SHA-256 context and the HMAC ipad/opad (2 x the 64-octet block), without the
 * allocator's own header per block. */
char fw_sizeof_cmdmail_hmac_heap[sizeof(mbedtls_sha256_context) + 2U * 64U];
