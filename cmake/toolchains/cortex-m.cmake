# Cross build for Arm Cortex-M microcontrollers (bare metal, picolibc), programs run under
# qemu-system-arm:
#   apt install gcc-arm-none-eabi libstdc++-arm-none-eabi-dev picolibc-arm-none-eabi qemu-system-arm
#   cmake -S examples/mcu_device -B build-m4 -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/cortex-m.cmake -DDDNN_MCU_CPU=cortex-m4f \
#         -DDDNN_DEVICE_HEADER=/path/to/device.hpp
#   cmake --build build-m4 && ctest --test-dir build-m4
# DDNN_MCU_CPU chooses the core and the board qemu emulates:
#   cortex-m4f  Cortex-M4 with its single-precision FPU (hard float), board mps2-an386
#   cortex-m3   Cortex-M3, no FPU (soft float),                         board mps2-an385
#   cortex-m0   Cortex-M0 (Armv6-M, soft float, 16 KB of RAM),          board microbit
# Programs link picolibc with its semihosting crt0: it enables the FPU, catches faults, and
# passes stdout and main's return value to the host through qemu's semihosting.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(DDNN_MCU_CPU cortex-m4f CACHE STRING "Cortex-M core: cortex-m4f, cortex-m3 or cortex-m0")
set_property(CACHE DDNN_MCU_CPU PROPERTY STRINGS cortex-m4f cortex-m3 cortex-m0)
if(DDNN_MCU_CPU STREQUAL "cortex-m4f")
  set(ddnn_mcu_flags "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
  set(DDNN_MCU_BOARD mps2-an386)
  set(ddnn_mcu_memory 0x0 0x400000 0x20000000 0x400000)
elseif(DDNN_MCU_CPU STREQUAL "cortex-m3")
  set(ddnn_mcu_flags "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft")
  set(DDNN_MCU_BOARD mps2-an385)
  set(ddnn_mcu_memory 0x0 0x400000 0x20000000 0x400000)
elseif(DDNN_MCU_CPU STREQUAL "cortex-m0")
  set(ddnn_mcu_flags "-mcpu=cortex-m0 -mthumb -mfloat-abi=soft")
  set(DDNN_MCU_BOARD microbit)
  set(ddnn_mcu_memory 0x0 0x40000 0x20000000 0x4000)
else()
  message(FATAL_ERROR "cortex-m.cmake: DDNN_MCU_CPU is '${DDNN_MCU_CPU}'; use cortex-m4f, "
                      "cortex-m3 or cortex-m0")
endif()
list(GET ddnn_mcu_memory 0 ddnn_flash)
list(GET ddnn_mcu_memory 1 ddnn_flash_size)
list(GET ddnn_mcu_memory 2 ddnn_ram)
list(GET ddnn_mcu_memory 3 ddnn_ram_size)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
# -ffp-contract=off: GCC would otherwise fuse a * b + c into one vfma where the source rounds
# twice (exported devices do not depend on it; code beside them may).
set(CMAKE_C_FLAGS_INIT "${ddnn_mcu_flags} -ffunction-sections -fdata-sections -ffp-contract=off --specs=picolibcpp.specs")
set(CMAKE_CXX_FLAGS_INIT "${CMAKE_C_FLAGS_INIT} -fno-exceptions -fno-rtti")
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "--oslib=semihost --crt0=semihost -Wl,--gc-sections -Wl,--defsym=__flash=${ddnn_flash} -Wl,--defsym=__flash_size=${ddnn_flash_size} -Wl,--defsym=__ram=${ddnn_ram} -Wl,--defsym=__ram_size=${ddnn_ram_size}")
# Link through the C driver: g++ would add -lstdc++, whose Cortex-M build is a separate 1 GB
# package that header-only code without heap or exceptions does not need.
set(CMAKE_CXX_LINK_EXECUTABLE
    "<CMAKE_C_COMPILER> <FLAGS> <CMAKE_CXX_LINK_FLAGS> <LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES>")

# ctest runs each program on the emulated board; its exit status is main's return value.
set(CMAKE_CROSSCOMPILING_EMULATOR
    qemu-system-arm;-M;${DDNN_MCU_BOARD};-display;none;-serial;none;-monitor;none;-chardev;stdio,id=sh0;-semihosting-config;enable=on,target=native,chardev=sh0;-kernel)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
