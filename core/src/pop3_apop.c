/* APOP digest (RFC 1939 section 7): MD5 over timestamp || secret, from mbedTLS.
 * Built only with POP3_APOP_ENABLE; the rest of the core needs no crypto. */
#include "pop3_internal.h"

#if POP3_APOP_ENABLE
#include <mbedtls/md5.h>
#include <mbedtls/version.h>

#if !defined(MBEDTLS_MD5_C)
#error "APOP needs MD5 from mbedTLS (MBEDTLS_MD5_C), or build with POP3_APOP_ENABLE=0"
#endif
/* The build system says which mbedTLS it found (CMakeLists.txt); a different
 * header here means another mbedtls/ directory came first on the include path. */
#if defined(POP3_MBEDTLS_VERSION_NUMBER) && POP3_MBEDTLS_VERSION_NUMBER != MBEDTLS_VERSION_NUMBER
#error "mbedTLS headers in use differ from the ones the build configured (include path order)"
#endif

/* mbedTLS 2.x names the int-returning MD5 calls *_ret; 3.x dropped the suffix. */
#if MBEDTLS_VERSION_NUMBER < 0x03000000
#define POP3_MD5_STARTS mbedtls_md5_starts_ret
#define POP3_MD5_UPDATE mbedtls_md5_update_ret
#define POP3_MD5_FINISH mbedtls_md5_finish_ret
#else
#define POP3_MD5_STARTS mbedtls_md5_starts
#define POP3_MD5_UPDATE mbedtls_md5_update
#define POP3_MD5_FINISH mbedtls_md5_finish
#endif

bool pop3_apop_digest(const char *ts, size_t ts_len, const char *secret, size_t secret_len, char out[32])
{
    static const char hexdig[] = "0123456789abcdef";
    mbedtls_md5_context md5;
    unsigned char sum[16];
    bool ok;
    size_t i;

    mbedtls_md5_init(&md5);
    ok = POP3_MD5_STARTS(&md5) == 0 && POP3_MD5_UPDATE(&md5, (const unsigned char *)ts, ts_len) == 0 &&
         POP3_MD5_UPDATE(&md5, (const unsigned char *)secret, secret_len) == 0 &&
         POP3_MD5_FINISH(&md5, sum) == 0;
    mbedtls_md5_free(&md5); /* wipes the context, which held the password */
    for (i = 0; ok && i < sizeof sum; i++) {
        out[2U * i] = hexdig[sum[i] >> 4];
        out[2U * i + 1U] = hexdig[sum[i] & 0x0FU];
    }
    pop3_wipe(sum, sizeof sum);
    return ok;
}
#else
/* Keeps the translation unit non-empty (ISO C) when APOP is compiled out. */
typedef int pop3_apop_disabled_t;
#endif
