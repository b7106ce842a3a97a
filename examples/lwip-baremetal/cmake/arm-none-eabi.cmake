# Toolchain file: bare-metal Arm Cortex-M4 with Debian's arm-none-eabi-gcc and newlib-nano.
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake [-DFW_FLOAT_ABI=hard] ...
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar)
set(CMAKE_RANLIB arm-none-eabi-ranlib)
set(CMAKE_OBJCOPY arm-none-eabi-objcopy)
set(CMAKE_SIZE arm-none-eabi-size)
set(CMAKE_NM arm-none-eabi-nm)

# No host executable can run: test the compiler by building a static library only.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# soft: any Cortex-M4 (no FPU use). hard: Cortex-M4F, the startup code enables the FPU.
set(FW_FLOAT_ABI "soft" CACHE STRING "soft or hard (Cortex-M4F with fpv4-sp-d16)")
if(FW_FLOAT_ABI STREQUAL "hard")
  set(_fw_fpu "-mfloat-abi=hard -mfpu=fpv4-sp-d16")
else()
  set(_fw_fpu "-mfloat-abi=soft")
endif()

set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m4 -mthumb ${_fw_fpu} -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "-mcpu=cortex-m4 -mthumb ${_fw_fpu}")
set(CMAKE_C_FLAGS_MINSIZEREL_INIT "-Os")
set(CMAKE_EXE_LINKER_FLAGS_INIT "--specs=nano.specs -Wl,--gc-sections")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
