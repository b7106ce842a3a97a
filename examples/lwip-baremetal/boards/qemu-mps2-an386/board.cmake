# Board: QEMU mps2-an386 (Cortex-M4, LAN9118). Included by ../../CMakeLists.txt when
# -DFW_BOARD=qemu-mps2-an386. Names the board sources for the application, the
# linker script and the board's settings header. The generic src/board.c stays in
# the build: its weak placeholders are overridden here.
set(_b "${CMAKE_CURRENT_LIST_DIR}")
set(FW_BOARD_SRCS "${_b}/board_mps2.c" "${_b}/lan9118_netif.c" "${_b}/semihost.c" "${_b}/qemu_run.c"
  "${_b}/nv_semihost.c")
set(FW_BOARD_INCLUDE_DIRS "${_b}")
set(FW_BOARD_DEFINES FW_CORE_CLOCK_HZ=25000000U "FW_BOARD_CONFIG=\"board_config.h\"")
set(FW_LINKER_SCRIPT "${_b}/mps2-an386.ld")

# A second image for the cipher-suite comparison: the same objects, but mbedTLS's
# suite list (ssl_ciphersuites.c, rebuilt alone with FW_PREFER_CHACHAPOLY=0) puts
# AES-GCM first. Linked as an object, it defines every symbol of that file, so
# the archive's default ssl_ciphersuites.c.obj is never pulled in. Called by
# ../../CMakeLists.txt once the full profile's targets exist.
function(fw_board_targets)
  add_library(fw_mbedtls_aesgcm_suites OBJECT "${MBEDTLS_DIR}/library/ssl_ciphersuites.c")
  target_include_directories(fw_mbedtls_aesgcm_suites PRIVATE "${MBEDTLS_DIR}/library")
  target_compile_definitions(fw_mbedtls_aesgcm_suites PRIVATE FW_PREFER_CHACHAPOLY=0)
  if(FW_HAVE_LWIP_PORT)
    add_executable(pop3-fw-aesgcm.elf $<TARGET_OBJECTS:fw_app> $<TARGET_OBJECTS:fw_mbedtls_aesgcm_suites>)
    target_link_options(pop3-fw-aesgcm.elf PRIVATE
      -nostartfiles "-T${FW_LINKER_SCRIPT}" "-Wl,-Map=${CMAKE_CURRENT_BINARY_DIR}/pop3-fw-aesgcm.map")
    set_target_properties(pop3-fw-aesgcm.elf PROPERTIES LINK_DEPENDS "${FW_LINKER_SCRIPT}")
    target_link_libraries(pop3-fw-aesgcm.elf PRIVATE
      pop3_lwip pop3_tls pop3_core fw_cmdmail fw_lwip fw_mbedtls fw_mbedx509 fw_mbedcrypto)
  endif()
endfunction()

# The record ciphers at -O2 instead of -Os (FW_FAST_RECORD_CRYPTO, ON here): at -Os GCC
# keeps chacha20_quarter_round() a called function, 4 calls per column/diagonal round.
# Costs flash, saves instructions per TLS octet (PORTING.md, "Measured under QEMU").
option(FW_FAST_RECORD_CRYPTO "compile mbedTLS's AES, GCM, ChaCha20 and Poly1305 with -O2" ON)
if(FW_FAST_RECORD_CRYPTO)
  foreach(_f aes gcm chacha20 poly1305 chachapoly)
    set_source_files_properties("${MBEDTLS_DIR}/library/${_f}.c" PROPERTIES COMPILE_OPTIONS "-O2")
  endforeach()
endif()
