// AVX-512 XNOR-popcount primitives: avx512bw runs the nibble-table scheme on 512-bit registers;
// avx512vpopcntdq has a popcount instruction per 64-bit lane and needs no partial form.
// Included only where the translation unit is compiled with -mavx512f -mavx512bw.
#pragma once
#include <immintrin.h>

#include <cstdint>

#include "ddnn/arch/isa.hpp"

DDNN_BEGIN_NAMESPACE

template <class Isa>
struct popcount_unit;  // the contract is documented in popcount_unit.hpp

template <>
struct popcount_unit<isa::avx512bw> {
  static constexpr int lanes = 8;
  static constexpr int max_run = 31;
  using word_vec = __m512i;
  using partial_acc = __m512i;
  using count_vec = __m512i;

  static word_vec load(const std::uint64_t* p) noexcept { return _mm512_loadu_si512(p); }
  static word_vec broadcast(const std::uint64_t* p) noexcept {
    return _mm512_set1_epi64(static_cast<long long>(*p));
  }
  static partial_acc zero_partial() noexcept { return _mm512_setzero_si512(); }
  static count_vec zero_counts() noexcept { return _mm512_setzero_si512(); }

  static void accumulate(partial_acc& acc, word_vec a, word_vec b) noexcept {
    const __m512i table = _mm512_set4_epi32(0x04030302, 0x03020201, 0x03020201, 0x02010100);
    const __m512i low_nibbles = _mm512_set1_epi8(0x0f);
    const __m512i x = _mm512_xor_si512(a, b);
    const __m512i lo = _mm512_and_si512(x, low_nibbles);
    const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(x, 4), low_nibbles);
    acc = _mm512_add_epi8(
        acc, _mm512_add_epi8(_mm512_shuffle_epi8(table, lo), _mm512_shuffle_epi8(table, hi)));
  }
  static void flush(count_vec& counts, partial_acc& acc) noexcept {
    counts = _mm512_add_epi64(counts, _mm512_sad_epu8(acc, _mm512_setzero_si512()));
    acc = _mm512_setzero_si512();
  }
  static void store(count_vec counts, std::uint64_t* out) noexcept {
    _mm512_storeu_si512(out, counts);
  }
  static unsigned le_mask(count_vec counts, const std::int64_t* bounds) noexcept {
    return _mm512_cmple_epi64_mask(counts, _mm512_loadu_si512(bounds));
  }
  static void opaque(word_vec& v) noexcept { asm volatile("" : "+v"(v)); }
};

#if defined(__AVX512VPOPCNTDQ__)
template <>
struct popcount_unit<isa::avx512vpopcntdq> {
  static constexpr int lanes = 8;
  static constexpr int max_run = 1 << 24;
  using word_vec = __m512i;
  using partial_acc = __m512i;
  using count_vec = __m512i;

  static word_vec load(const std::uint64_t* p) noexcept { return _mm512_loadu_si512(p); }
  static word_vec broadcast(const std::uint64_t* p) noexcept {
    return _mm512_set1_epi64(static_cast<long long>(*p));
  }
  static partial_acc zero_partial() noexcept { return _mm512_setzero_si512(); }
  static count_vec zero_counts() noexcept { return _mm512_setzero_si512(); }
  static void accumulate(partial_acc& acc, word_vec a, word_vec b) noexcept {
    acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_xor_si512(a, b)));
  }
  static void flush(count_vec& counts, partial_acc& acc) noexcept {
    counts = _mm512_add_epi64(counts, acc);
    acc = _mm512_setzero_si512();
  }
  static void store(count_vec counts, std::uint64_t* out) noexcept {
    _mm512_storeu_si512(out, counts);
  }
  static unsigned le_mask(count_vec counts, const std::int64_t* bounds) noexcept {
    return _mm512_cmple_epi64_mask(counts, _mm512_loadu_si512(bounds));
  }
  static void opaque(word_vec& v) noexcept { asm volatile("" : "+v"(v)); }
};
#endif

DDNN_END_NAMESPACE
