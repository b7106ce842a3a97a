# Included from test/CMakeLists.txt: the Cortex-M4 cross build of examples/lwip-baremetal
# (its own CMake project, arm-none-eabi toolchain) with the size table and the no-heap check.
# Run alone: ctest -L firmware --output-on-failure
find_program(POP3_ARM_NONE_EABI_GCC arm-none-eabi-gcc)
if(POP3_ARM_NONE_EABI_GCC)
  add_test(NAME firmware_lwip_baremetal
    COMMAND bash ${PROJECT_SOURCE_DIR}/examples/lwip-baremetal/build.sh
            ${CMAKE_BINARY_DIR}/examples/lwip-baremetal)
  set_tests_properties(firmware_lwip_baremetal PROPERTIES
    LABELS firmware
    TIMEOUT 1200
    SKIP_RETURN_CODE 77)         # port/lwip/pop3_lwip.c not there yet
else()
  message(STATUS "arm-none-eabi-gcc not found: firmware_lwip_baremetal test not registered "
                 "(Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi)")
endif()

# On the host, against the integration suite's Dovecot (fixture "dovecot" from
# test/integration): the firmware's mbedTLS configuration and heap size (POP3S/STLS, UIDL +
# RETR of every message, heap peak, wrong CA/host/clock refused), and the firmware's own
# src/main.c on lwIP 2.2.1 through libslirp (POP3S, STLS, DELE on bob's mailbox).
if(POP3_INTEGRATION_TESTS AND POP3_DOVECOT_EXE AND TARGET pop3-cli)
  add_test(NAME firmware_mbedtls_config_host
    COMMAND bash ${PROJECT_SOURCE_DIR}/examples/lwip-baremetal/host-check/host-check.sh
            ${CMAKE_BINARY_DIR}/test/integration/dovecot
            ${CMAKE_BINARY_DIR}/examples/lwip-baremetal-host-check)
  set_tests_properties(firmware_mbedtls_config_host PROPERTIES
    LABELS "firmware;integration"
    FIXTURES_REQUIRED dovecot
    RESOURCE_LOCK pop3_bob_mailbox
    TIMEOUT 600)
endif()
