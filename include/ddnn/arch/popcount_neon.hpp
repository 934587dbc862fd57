// AArch64 NEON XNOR-popcount primitive: vcnt per byte into byte accumulators, reduced with
// pairwise widening adds. Included only where the compiler targets AArch64 with NEON.
#pragma once
#include <arm_neon.h>

#include <cstdint>

#include "ddnn/arch/isa.hpp"

DDNN_BEGIN_NAMESPACE

template <class Isa>
struct popcount_unit;  // the contract is documented in popcount_unit.hpp

template <>
struct popcount_unit<isa::neon> {
  static constexpr int lanes = 2;
  static constexpr int max_run = 31;
  using word_vec = uint64x2_t;
  using partial_acc = uint8x16_t;
  using count_vec = uint64x2_t;

  static word_vec load(const std::uint64_t* p) noexcept { return vld1q_u64(p); }
  static word_vec broadcast(const std::uint64_t* p) noexcept { return vld1q_dup_u64(p); }
  static partial_acc zero_partial() noexcept { return vdupq_n_u8(0); }
  static count_vec zero_counts() noexcept { return vdupq_n_u64(0); }
  static void accumulate(partial_acc& acc, word_vec a, word_vec b) noexcept {
    acc = vaddq_u8(acc, vcntq_u8(vreinterpretq_u8_u64(veorq_u64(a, b))));
  }
  static void flush(count_vec& counts, partial_acc& acc) noexcept {
    counts = vpadalq_u32(counts, vpaddlq_u16(vpaddlq_u8(acc)));
    acc = vdupq_n_u8(0);
  }
  static void store(count_vec counts, std::uint64_t* out) noexcept { vst1q_u64(out, counts); }
  static unsigned le_mask(count_vec counts, const std::int64_t* bounds) noexcept {
    const uint64x2_t le = vcleq_s64(vreinterpretq_s64_u64(counts), vld1q_s64(bounds));
    return unsigned(vgetq_lane_u64(le, 0) & 1u) | unsigned(vgetq_lane_u64(le, 1) & 1u) << 1;
  }
  static void opaque(word_vec& v) noexcept { asm volatile("" : "+w"(v)); }
};

DDNN_END_NAMESPACE
