// x86-64 XNOR-popcount primitive with the 64-bit POPCNT instruction (one word per step).
// Included only where the translation unit is compiled with -msse4.2 -mpopcnt.
#pragma once
#include <cstdint>

#include "ddnn/arch/isa.hpp"

DDNN_BEGIN_NAMESPACE

template <class Isa>
struct popcount_unit;  // the contract is documented in popcount_unit.hpp

template <>
struct popcount_unit<isa::sse4_2> {
  static constexpr int lanes = 1;
  static constexpr int max_run = 1 << 24;  // exact counts; no partial form
  using word_vec = std::uint64_t;
  using partial_acc = std::uint64_t;
  using count_vec = std::uint64_t;

  static word_vec load(const std::uint64_t* p) noexcept { return *p; }
  static word_vec broadcast(const std::uint64_t* p) noexcept { return *p; }
  static partial_acc zero_partial() noexcept { return 0; }
  static count_vec zero_counts() noexcept { return 0; }
  static void accumulate(partial_acc& acc, word_vec a, word_vec b) noexcept {
    // A builtin, not std::popcount: a weak std::popcount instance compiled with -mpopcnt could be
    // picked by the linker for the portable path (a Debug-build SIGILL on CPUs without POPCNT).
    acc += static_cast<std::uint64_t>(__builtin_popcountll(a ^ b));
  }
  static void flush(count_vec& counts, partial_acc& acc) noexcept {
    counts += acc;
    acc = 0;
  }
  static void store(count_vec counts, std::uint64_t* out) noexcept { out[0] = counts; }
  static unsigned le_mask(count_vec counts, const std::int64_t* bounds) noexcept {
    return std::int64_t(counts) <= bounds[0] ? 1u : 0u;
  }
  static void opaque(word_vec& v) noexcept { asm volatile("" : "+r"(v)); }
};

DDNN_END_NAMESPACE
