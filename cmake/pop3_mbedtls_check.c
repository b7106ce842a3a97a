/* Configure-time check (cmake/Pop3MbedTLS.cmake): does the mbedTLS library report the
 * release its headers describe? Prints the library's number; exit 1 on a mismatch. */
#include <stdio.h>
#include <mbedtls/version.h>

int main(void)
{
#if defined(MBEDTLS_VERSION_C)
    unsigned int lib = mbedtls_version_get_number();
    printf("0x%08X", lib);
    return lib == (unsigned int)MBEDTLS_VERSION_NUMBER ? 0 : 1;
#else
    printf("unknown (MBEDTLS_VERSION_C off)");
    return 0;
#endif
}
