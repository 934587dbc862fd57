// Library-wide configuration: version, the versioned namespace, and the kernel build mode.
// Every ddnn header includes this first.
#pragma once

#define DDNN_VERSION_MAJOR 0
#define DDNN_VERSION_MINOR 1
#define DDNN_VERSION_PATCH 0

// A versioned inline namespace so that two ddnn versions in one program cannot silently mix.
#define DDNN_BEGIN_NAMESPACE \
  namespace ddnn {           \
  inline namespace v0 {
#define DDNN_END_NAMESPACE \
  }                        \
  }

// Kernel build mode.
//  * Dispatch mode (DDNN_DISPATCH defined, set by the CMake helper ddnn_add_kernels()): the per-ISA
//    kernels are compiled once each in their own translation unit with matching -m flags, and the
//    ISA is chosen at run time by CPU detection. DDNN_KERNELS_<ISA> names the compiled ones.
//  * Native mode (the default for a plain #include): kernels are instantiated inline for every ISA
//    the compiler flags of the including translation unit allow (scalar always; AVX2 with -mavx2;
//    everything with -march=native). No CMake help and no run-time dispatch is needed.
#if defined(DDNN_DISPATCH)
#define DDNN_DISPATCH_MODE 1
#else
#define DDNN_DISPATCH_MODE 0
#endif
