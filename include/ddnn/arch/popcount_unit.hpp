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

#include "ddnn/arch/popcount_scalar.hpp"
#if defined(__x86_64__) && defined(__SSE4_2__) && defined(__POPCNT__)
#include "ddnn/arch/popcount_sse4_2.hpp"
#endif
#if defined(__x86_64__) && defined(__AVX2__) && defined(__POPCNT__)
#include "ddnn/arch/popcount_avx2.hpp"
#endif
#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512BW__)
#include "ddnn/arch/popcount_avx512.hpp"
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#include "ddnn/arch/popcount_neon.hpp"
#endif

DDNN_BEGIN_NAMESPACE
/// True when this translation unit's compiler flags allow code for `Isa`.
template <class Isa>
inline constexpr bool compiled_for = requires {
  popcount_unit<Isa>::lanes;
};
DDNN_END_NAMESPACE
