// Portable XNOR-popcount primitive: no popcount instruction assumed. A SWAR bit count keeps
// per-byte partial counts, so 31 words accumulate before one horizontal reduction.
#pragma once
#include <cstdint>

#include "ddnn/arch/isa.hpp"

DDNN_BEGIN_NAMESPACE

template <class Isa>
struct popcount_unit;  // the contract is documented in popcount_unit.hpp

template <>
struct popcount_unit<isa::scalar> {
  static constexpr int lanes = 1;
  static constexpr int max_run = 31;  // 31 * 8 = 248 fits in a byte
  using word_vec = std::uint64_t;
  using partial_acc = std::uint64_t;  // eight byte-wide partial counts
  using count_vec = std::uint64_t;

  static word_vec load(const std::uint64_t* p) noexcept { return *p; }
  static word_vec broadcast(const std::uint64_t* p) noexcept { return *p; }
  static partial_acc zero_partial() noexcept { return 0; }
  static count_vec zero_counts() noexcept { return 0; }

  static void accumulate(partial_acc& acc, word_vec a, word_vec b) noexcept {
    std::uint64_t x = a ^ b;
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    acc += (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  }
  static void flush(count_vec& counts, partial_acc& acc) noexcept {
    const std::uint64_t pairs =
        (acc & 0x00ff00ff00ff00ffULL) + ((acc >> 8) & 0x00ff00ff00ff00ffULL);
    counts += (pairs * 0x0001000100010001ULL) >> 48;
    acc = 0;
  }
  static void store(count_vec counts, std::uint64_t* out) noexcept { out[0] = counts; }
  /// Bit l set when lane l of `counts` is <= bounds[l].
  static unsigned le_mask(count_vec counts, const std::int64_t* bounds) noexcept {
    return std::int64_t(counts) <= bounds[0] ? 1u : 0u;
  }
  static void opaque(word_vec& v) noexcept {
#if defined(__GNUC__) || defined(__clang__)
    asm volatile("" : "+r"(v));
#endif
  }
};

DDNN_END_NAMESPACE
