# Included from test/CMakeLists.txt: the Cortex-M4 firmware (board qemu-mps2-an386) run
# under QEMU against a private Dovecot inside `unshare -n`: POP3S, STLS, plaintext, the
# negative TLS runs, signed command mail across reboots (NV slots in a host file), and the
# measurement table (BUILD/test/qemu/qemu-table.md).
# Run alone: ctest -L qemu --output-on-failure
# Skips (77) when qemu-system-arm is missing or no network namespace can be made.
find_program(POP3_ARM_NONE_EABI_GCC arm-none-eabi-gcc)
find_program(POP3_DOVECOT_EXE dovecot PATHS /usr/sbin /usr/local/sbin)
if(POP3_ARM_NONE_EABI_GCC AND POP3_DOVECOT_EXE)
  add_test(NAME firmware_qemu
    COMMAND bash ${PROJECT_SOURCE_DIR}/test/qemu/run.sh ${CMAKE_BINARY_DIR}/test/qemu)
  set_tests_properties(firmware_qemu PROPERTIES
    LABELS qemu
    TIMEOUT 600
    SKIP_RETURN_CODE 77)
else()
  message(STATUS "arm-none-eabi-gcc or dovecot not found: firmware_qemu test not registered "
                 "(test/install-deps.sh)")
endif()
