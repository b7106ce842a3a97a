/**
 * @file mbedtls_host_config.h
 * @brief The firmware's mbedTLS configuration, unchanged, plus what the host
 *        check needs to measure it: heap statistics (MBEDTLS_MEMORY_DEBUG).
 */
#ifndef MBEDTLS_HOST_CONFIG_H
#define MBEDTLS_HOST_CONFIG_H

#include "mbedtls_fw_config.h"

#define MBEDTLS_MEMORY_DEBUG                   /* mbedtls_memory_buffer_alloc_max_get() */
#define MBEDTLS_PLATFORM_FPRINTF_MACRO fprintf /* used by the debug status dump */

#endif
