/**
 * @file fw_mbedtls_platform.c
 * @brief mbedTLS platform functions this firmware supplies instead of libc's
 *        (see mbedtls_fw_config.h): monotonic milliseconds from sys_now(),
 *        gmtime without newlib's malloc'ing gmtime(), and a halting exit.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "mbedtls/build_info.h"
#include "mbedtls/platform_time.h"
#include "mbedtls/platform_util.h"

#include "board.h"
#include "lwip/sys.h"

/* MBEDTLS_PLATFORM_MS_TIME_ALT: sys_now() widened to 64 bits (called often enough not to miss a wrap). */
mbedtls_ms_time_t mbedtls_ms_time(void)
{
    static uint32_t last, high;
    uint32_t now = sys_now();

    if (now < last) {
        high++;
    }
    last = now;
    return (mbedtls_ms_time_t)(((uint64_t)high << 32) | now);
}

#if defined(MBEDTLS_PLATFORM_GMTIME_R_ALT)
/* newlib's gmtime() allocates its result buffer with malloc; gmtime_r() does not. */
struct tm *mbedtls_platform_gmtime_r(const mbedtls_time_t *tt, struct tm *tm_buf)
{
    time_t t = (time_t)*tt;

    return gmtime_r(&t, tm_buf);
}
#endif

void fw_mbedtls_exit(int status)
{
    (void)status;
    fw_fatal("mbedTLS heap corrupted", __FILE_NAME__, __LINE__);
}
