// AVX2 XNOR-popcount primitive: the nibble-table popcount (vpshufb twice per 256 bits) into
// byte accumulators, reduced to 64-bit lanes with vpsadbw (Mula, Kurz, Lemire 2018).
// Included only where the translation unit is compiled with -mavx2 -mpopcnt.
#pragma once
#include <immintrin.h>

#include <cstdint>

#include "ddnn/arch/isa.hpp"

DDNN_BEGIN_NAMESPACE

template <class Isa>
struct popcount_unit;  // the contract is documented in popcount_unit.hpp

template <>
struct popcount_unit<isa::avx2> {
  static constexpr int lanes = 4;
  static constexpr int max_run = 31;  // each byte gains at most 8 per step: 31 * 8 = 248
  using word_vec = __m256i;
  using partial_acc = __m256i;
  using count_vec = __m256i;

  static word_vec load(const std::uint64_t* p) noexcept {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  }
  static word_vec broadcast(const std::uint64_t* p) noexcept {
    return _mm256_set1_epi64x(static_cast<long long>(*p));
  }
  static partial_acc zero_partial() noexcept { return _mm256_setzero_si256(); }
  static count_vec zero_counts() noexcept { return _mm256_setzero_si256(); }

  static void accumulate(partial_acc& acc, word_vec a, word_vec b) noexcept {
    const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                                           0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low_nibbles = _mm256_set1_epi8(0x0f);
    const __m256i x = _mm256_xor_si256(a, b);
    const __m256i lo = _mm256_and_si256(x, low_nibbles);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), low_nibbles);
    acc = _mm256_add_epi8(
        acc, _mm256_add_epi8(_mm256_shuffle_epi8(table, lo), _mm256_shuffle_epi8(table, hi)));
  }
  static void flush(count_vec& counts, partial_acc& acc) noexcept {
    counts = _mm256_add_epi64(counts, _mm256_sad_epu8(acc, _mm256_setzero_si256()));
    acc = _mm256_setzero_si256();
  }
  static void store(count_vec counts, std::uint64_t* out) noexcept {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), counts);
  }
  static unsigned le_mask(count_vec counts, const std::int64_t* bounds) noexcept {
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bounds));
    const int greater = _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(counts, b)));
    return unsigned(~greater) & 0xfu;
  }
  static void opaque(word_vec& v) noexcept { asm volatile("" : "+x"(v)); }
};

DDNN_END_NAMESPACE
