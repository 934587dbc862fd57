// The per-ISA XNOR-popcount primitive every binary kernel is tiled from, and the hub that
// includes each ISA's definition only when the compiler flags of this translation unit allow it.
//
// popcount_unit<Isa> is the whole contract between kernels and the arch layer:
//   lanes            64-bit lanes per word_vec
//   max_run          words that may be accumulated into a partial_acc before a flush
//   load(p)          `lanes` consecutive words;   broadcast(p) one word in every lane
//   accumulate(acc, a, b)   acc += popcount(a XOR b), per lane, in a partial form
//   flush(counts, acc)      counts += exact per-lane totals of acc; acc = 0
//   store(counts, out)      counts as `lanes` uint64 values
//   le_mask(counts, bounds) bit l set when lane l's count <= bounds[l] (int64)
//   opaque(v)               hides v's value from the optimiser (benchmarks of the ceiling)
// Everything is a static member of a specialisation over the ISA tag, so the code for two ISAs
// can never share a symbol (see tests/cmake/check_weak_symbols.cmake).
#pragma once
#include "ddnn/arch/isa.hpp"

DDNN_BEGIN_NAMESPACE

template <class Isa>
struct popcount_unit;  // specialised per ISA below

DDNN_END_NAMESPACE

// DDNN_FLAGS_ALLOW_<ISA>: 1 when this translation unit's compiler flags allow the ISA's code
// (scalar always does). The one place these conditions are written: the includes below and
// ddnn/kernels/native_kernel_tables.hpp test them.
#define DDNN_FLAGS_ALLOW_SCALAR 1
#if defined(__x86_64__) && defined(__SSE4_2__) && defined(__POPCNT__)
#define DDNN_FLAGS_ALLOW_SSE4_2 1
#else
#define DDNN_FLAGS_ALLOW_SSE4_2 0
#endif
#if defined(__x86_64__) && defined(__AVX2__) && defined(__POPCNT__)
#define DDNN_FLAGS_ALLOW_AVX2 1
#else
#define DDNN_FLAGS_ALLOW_AVX2 0
#endif
#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512BW__)
#define DDNN_FLAGS_ALLOW_AVX512BW 1
#else
#define DDNN_FLAGS_ALLOW_AVX512BW 0
#endif
#if DDNN_FLAGS_ALLOW_AVX512BW && defined(__AVX512VPOPCNTDQ__)
#define DDNN_FLAGS_ALLOW_AVX512VPOPCNTDQ 1
#else
#define DDNN_FLAGS_ALLOW_AVX512VPOPCNTDQ 0
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#define DDNN_FLAGS_ALLOW_NEON 1
#else
#define DDNN_FLAGS_ALLOW_NEON 0
#endif

#include "ddnn/arch/popcount_scalar.hpp"
#if DDNN_FLAGS_ALLOW_SSE4_2
#include "ddnn/arch/popcount_sse4_2.hpp"
#endif
#if DDNN_FLAGS_ALLOW_AVX2
#include "ddnn/arch/popcount_avx2.hpp"
#endif
#if DDNN_FLAGS_ALLOW_AVX512BW
#include "ddnn/arch/popcount_avx512.hpp"  // with VPOPCNTDQ's unit where the flags allow it
#endif
#if DDNN_FLAGS_ALLOW_NEON
#include "ddnn/arch/popcount_neon.hpp"
#endif

DDNN_BEGIN_NAMESPACE
/// True when this translation unit's compiler flags allow code for `Isa`.
template <class Isa>
inline constexpr bool compiled_for = requires {
  popcount_unit<Isa>::lanes;
};
DDNN_END_NAMESPACE
