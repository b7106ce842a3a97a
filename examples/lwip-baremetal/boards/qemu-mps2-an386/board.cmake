# Board: QEMU mps2-an386 (Cortex-M4, LAN9118). Included by ../../CMakeLists.txt when
# -DFW_BOARD=qemu-mps2-an386. Adds the board sources to the application, sets the
# linker script and the board's settings header. The generic src/board.c stays in
# the build: its weak placeholders are overridden here.
set(_b "${CMAKE_CURRENT_LIST_DIR}")
target_sources(fw_app PRIVATE
  "${_b}/board_mps2.c" "${_b}/lan9118_netif.c" "${_b}/semihost.c" "${_b}/qemu_run.c")
target_include_directories(fw_app PRIVATE "${_b}")
target_compile_definitions(fw_app PRIVATE
  FW_CORE_CLOCK_HZ=25000000U
  "FW_BOARD_CONFIG=\"board_config.h\"")
set(FW_LINKER_SCRIPT "${_b}/mps2-an386.ld")
