# Cross build for 64-bit Arm Linux with Debian's cross toolchain, tests run under qemu-user:
#   apt install g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
#   cmake -S . -B build-aarch64 -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
#         -DDDNN_BUILD_BENCHMARKS=OFF
#   cmake --build build-aarch64 && ctest --test-dir build-aarch64
# ddnn_add_kernels() then builds the scalar and neon kernels. Benchmarks need an arm64 Google
# Benchmark (not installed by the cross toolchain): keep DDNN_BUILD_BENCHMARKS OFF.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(DDNN_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${DDNN_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${DDNN_CROSS_TRIPLE}-g++)

# Target libraries (libc, libstdc++) live in the cross sysroot; qemu-aarch64 is told where, as
# binfmt_misc is usually not set up (no kernel support for running foreign binaries directly). ctest and doctest_discover_tests run
# test executables through this emulator.
set(CMAKE_FIND_ROOT_PATH /usr/${DDNN_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-L;/usr/${DDNN_CROSS_TRIPLE})

# Header-only dependencies are used straight from the build host. xsimd's config is installed in
# the host's multiarch directory, which a cross build does not search; doctest's and
# nlohmann_json's and Eigen's are architecture-independent (/usr/lib/cmake, /usr/share/cmake).
foreach(pkg_dir IN ITEMS "xsimd=/usr/lib/x86_64-linux-gnu/cmake/xsimd"
                         "doctest=/usr/lib/cmake/doctest"
                         "nlohmann_json=/usr/share/cmake/nlohmann_json"
                         "Eigen3=/usr/share/eigen3/cmake")
  string(REPLACE "=" ";" pkg_dir "${pkg_dir}")
  list(GET pkg_dir 0 pkg)
  list(GET pkg_dir 1 dir)
  if(NOT DEFINED ${pkg}_DIR AND EXISTS ${dir})
    set(${pkg}_DIR ${dir} CACHE PATH "Header-only ${pkg} from the build host")
  endif()
endforeach()
