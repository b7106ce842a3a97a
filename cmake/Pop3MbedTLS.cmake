# Finds mbedTLS and defines the INTERFACE target pop3_mbedtls (include dir ahead of any
# other, the libraries, POP3_MBEDTLS_VERSION_NUMBER for the sources' header check).
#
#   -DMBEDTLS_DIR=PREFIX  headers and libraries from PREFIX only (e.g. an install made by
#                         test/deps/build-mbedtls.sh); empty: the system's (Debian 12: 2.28).
#
# Sets MBEDTLS_INCLUDE_DIR, MBEDCRYPTO_LIB (cache; the fuzz build and lint use them),
# POP3_MBEDTLS_LIBRARIES, POP3_MBEDTLS_VERSION_NUMBER, POP3_MBEDTLS_VERSION_STRING.
# Refuses at configure time headers and a library of different releases.
set(MBEDTLS_DIR "" CACHE PATH "Prefix of an mbedTLS install to use instead of the system one")
set(_pop3_mb_libvars MBEDTLS_LIB MBEDX509_LIB MBEDCRYPTO_LIB MBEDTLS_EVEREST_LIB MBEDTLS_P256M_LIB)
# find_path/find_library results are cached: forget them when MBEDTLS_DIR changes.
if(NOT "${MBEDTLS_DIR}" STREQUAL "${POP3_MBEDTLS_DIR_USED}")
  foreach(_v MBEDTLS_INCLUDE_DIR ${_pop3_mb_libvars})
    unset(${_v} CACHE)
  endforeach()
  set(POP3_MBEDTLS_DIR_USED "${MBEDTLS_DIR}" CACHE INTERNAL "MBEDTLS_DIR of the cached mbedTLS paths")
endif()
set(_pop3_mb_inc "")
set(_pop3_mb_lib "")
if(MBEDTLS_DIR)
  set(_pop3_mb_inc PATHS ${MBEDTLS_DIR}/include NO_DEFAULT_PATH)
  set(_pop3_mb_lib PATHS ${MBEDTLS_DIR}/lib ${MBEDTLS_DIR}/library NO_DEFAULT_PATH)
  # 3.x optional drivers, separate archives (used only if enabled in its config).
  find_library(MBEDTLS_EVEREST_LIB everest ${_pop3_mb_lib})
  find_library(MBEDTLS_P256M_LIB p256m ${_pop3_mb_lib})
endif()
find_path(MBEDTLS_INCLUDE_DIR mbedtls/ssl.h ${_pop3_mb_inc})
find_library(MBEDTLS_LIB mbedtls ${_pop3_mb_lib})
find_library(MBEDX509_LIB mbedx509 ${_pop3_mb_lib})
find_library(MBEDCRYPTO_LIB mbedcrypto ${_pop3_mb_lib})
if(NOT MBEDTLS_INCLUDE_DIR OR NOT MBEDTLS_LIB OR NOT MBEDX509_LIB OR NOT MBEDCRYPTO_LIB)
  message(FATAL_ERROR "mbedTLS not found: run test/install-deps.sh (Debian: libmbedtls-dev) or set MBEDTLS_DIR")
endif()
set(POP3_MBEDTLS_LIBRARIES "")
foreach(_v ${_pop3_mb_libvars})
  if(${_v})
    list(APPEND POP3_MBEDTLS_LIBRARIES ${${_v}})
  endif()
endforeach()

# Which release the headers are (3.x: build_info.h; 2.x: version.h).
set(_pop3_mb_h ${MBEDTLS_INCLUDE_DIR}/mbedtls/build_info.h)
if(NOT EXISTS ${_pop3_mb_h})
  set(_pop3_mb_h ${MBEDTLS_INCLUDE_DIR}/mbedtls/version.h)
endif()
file(STRINGS ${_pop3_mb_h} _pop3_mb_v REGEX "^#define MBEDTLS_VERSION_(NUMBER|STRING)[ \t]")
string(REGEX MATCH "NUMBER[ \t]+(0x[0-9A-Fa-f]+)" _m "${_pop3_mb_v}")
set(POP3_MBEDTLS_VERSION_NUMBER "${CMAKE_MATCH_1}")
string(REGEX MATCH "STRING[ \t]+\"([^\"]*)\"" _m "${_pop3_mb_v}")
set(POP3_MBEDTLS_VERSION_STRING "${CMAKE_MATCH_1}")
if(NOT POP3_MBEDTLS_VERSION_NUMBER)
  message(FATAL_ERROR "mbedTLS: no MBEDTLS_VERSION_NUMBER in ${_pop3_mb_h}")
endif()
message(STATUS "mbedTLS ${POP3_MBEDTLS_VERSION_STRING} (MBEDTLS_VERSION_NUMBER ${POP3_MBEDTLS_VERSION_NUMBER}): "
  "headers ${MBEDTLS_INCLUDE_DIR}, library ${MBEDTLS_LIB}")

# Headers and libraries must be the same release: a mix compiles and links more often
# than not and then corrupts memory. Host builds run the library's
# mbedtls_version_get_number() against the header, once per version + libraries.
set(_pop3_mb_key "${POP3_MBEDTLS_VERSION_NUMBER} ${POP3_MBEDTLS_LIBRARIES}")
if(NOT CMAKE_CROSSCOMPILING AND NOT "${POP3_MBEDTLS_MATCH}" STREQUAL "${_pop3_mb_key}")
  try_run(_run_rc _compile_ok ${CMAKE_BINARY_DIR}/pop3_mbedtls_check
    ${CMAKE_CURRENT_LIST_DIR}/pop3_mbedtls_check.c
    CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${MBEDTLS_INCLUDE_DIR}"
    LINK_LIBRARIES ${POP3_MBEDTLS_LIBRARIES}
    COMPILE_OUTPUT_VARIABLE _compile_out RUN_OUTPUT_VARIABLE _run_out)
  if(NOT _compile_ok)
    message(FATAL_ERROR "mbedTLS: cannot build a program against ${MBEDTLS_INCLUDE_DIR} + ${MBEDTLS_LIB}:\n${_compile_out}")
  endif()
  if(NOT _run_rc EQUAL 0)
    message(FATAL_ERROR "mbedTLS: headers say ${POP3_MBEDTLS_VERSION_NUMBER} but the library reports ${_run_out} "
      "(mixed installs?): headers ${MBEDTLS_INCLUDE_DIR}, library ${MBEDTLS_LIB}")
  endif()
  message(STATUS "mbedTLS: library reports ${_run_out}, same as its headers")
  set(POP3_MBEDTLS_MATCH "${_pop3_mb_key}" CACHE INTERNAL "mbedTLS headers and library checked")
endif()

add_library(pop3_mbedtls INTERFACE)
target_include_directories(pop3_mbedtls SYSTEM BEFORE INTERFACE ${MBEDTLS_INCLUDE_DIR})
target_link_libraries(pop3_mbedtls INTERFACE ${POP3_MBEDTLS_LIBRARIES})
target_compile_definitions(pop3_mbedtls INTERFACE POP3_MBEDTLS_VERSION_NUMBER=${POP3_MBEDTLS_VERSION_NUMBER})
