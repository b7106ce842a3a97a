# Source lists of the POP3 library, for builds that do not use its CMakeLists.txt
# (firmware projects), in the manner of lwIP's src/Filelists.cmake:
#
#   set(POP3_DIR path/to/pop3)            # optional: defaults to this file's directory
#   include(${POP3_DIR}/Filelists.cmake)
#   add_library(pop3 STATIC ${POP3_CORE_SRCS} ${POP3_TLS_SRCS} ${POP3_LWIP_SRCS})
#   target_include_directories(pop3 PUBLIC ${POP3_CORE_INCLUDE_DIRS} ${POP3_TLS_INCLUDE_DIRS}
#                                          ${POP3_LWIP_INCLUDE_DIRS})
#
# Filelists.mk holds the same lists for make; the test "filelists" checks that both
# name the same files and that every .c under core/src and port/ is in exactly one list.
# The project's own CMakeLists.txt, the firmware example and the fuzz build use these
# lists, so a file added here is built everywhere.
if(NOT POP3_DIR)
  set(POP3_DIR "${CMAKE_CURRENT_LIST_DIR}")
endif()

# Protocol engine (no I/O; C library only, plus mbedTLS MD5 when POP3_APOP_ENABLE=1 and
# base64/MD/SHA/PKCS5 when POP3_SASL_ENABLE=1: see config/pop3_config_defaults.h).
set(POP3_CORE_SRCS
  ${POP3_DIR}/core/src/pop3_api.c
  ${POP3_DIR}/core/src/pop3_session.c
  ${POP3_DIR}/core/src/pop3_dispatch.c
  ${POP3_DIR}/core/src/pop3_queue.c
  ${POP3_DIR}/core/src/pop3_reply.c
  ${POP3_DIR}/core/src/pop3_body.c
  ${POP3_DIR}/core/src/pop3_util.c
  ${POP3_DIR}/core/src/pop3_apop.c
  ${POP3_DIR}/core/src/pop3_sasl.c
  ${POP3_DIR}/core/src/pop3_sasl_codec.c
  ${POP3_DIR}/core/src/pop3_sasl_crypto.c)
set(POP3_CORE_INCLUDE_DIRS ${POP3_DIR}/core/include ${POP3_DIR}/config)

# TLS adapter: mbedTLS over any non-blocking byte pipe (both ports use it).
set(POP3_TLS_SRCS
  ${POP3_DIR}/port/mbedtls/pop3_tls.c
  ${POP3_DIR}/port/mbedtls/pop3_tls_util.c
  ${POP3_DIR}/port/mbedtls/pop3_tls_info.c
  ${POP3_DIR}/port/mbedtls/pop3_link.c)
set(POP3_TLS_INCLUDE_DIRS ${POP3_DIR}/port/mbedtls)

# lwIP port (altcp raw API; needs lwIP's include dirs and your lwipopts.h).
set(POP3_LWIP_SRCS ${POP3_DIR}/port/lwip/pop3_lwip.c)
set(POP3_LWIP_INCLUDE_DIRS ${POP3_DIR}/port/lwip)

# POSIX port (non-blocking sockets, poll()).
set(POP3_POSIX_SRCS ${POP3_DIR}/port/posix/pop3_posix.c)
set(POP3_POSIX_INCLUDE_DIRS ${POP3_DIR}/port/posix)
