// The per-ISA fused multiply-add vector the float kernels are tiled from. Fused means a * b + c
// rounded once per lane, so an ISA with fused instructions and the portable std::fma give the
// very same float: the float kernels' sums are then equal bit for bit on every ISA.
//
// fma_unit<Isa> is the whole contract between the float kernels and the arch layer:
//   width          floats per vec
//   load(p)        `width` consecutive floats;  broadcast(p) one float in every lane
//   zero()         +0.0f in every lane;         store(p, v) `width` floats
//   fmadd(a, b, c) a * b + c per lane, rounded once
// An ISA without fused instructions (SSE4.2) has no specialisation: its float kernels are the
// portable ISA's (std::fma, which the C library computes exactly, in software if it must).
// Everything is a static member of a specialisation over the ISA tag, so the code for two ISAs
// can never share a symbol.
#pragma once
#include <cmath>

#include "ddnn/arch/isa.hpp"

#if defined(__x86_64__) && (defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__)))
#include <immintrin.h>
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#endif

DDNN_BEGIN_NAMESPACE

template <class Isa>
struct fma_unit;  // specialised below where the ISA fuses; see has_fma_unit

template <>
struct fma_unit<isa::scalar> {
  static constexpr int width = 1;
  using vec = float;
  static vec load(const float* p) noexcept { return *p; }
  static vec broadcast(const float* p) noexcept { return *p; }
  static vec zero() noexcept { return 0.0f; }
  static void store(float* p, vec v) noexcept { *p = v; }
  // std::fma, never a * b + c: that is fused or not depending on the caller's -ffp-contract.
  static vec fmadd(vec a, vec b, vec c) noexcept { return std::fma(a, b, c); }
};

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
template <>
struct fma_unit<isa::avx2> {
  static constexpr int width = 8;
  using vec = __m256;
  static vec load(const float* p) noexcept { return _mm256_loadu_ps(p); }
  static vec broadcast(const float* p) noexcept { return _mm256_broadcast_ss(p); }
  static vec zero() noexcept { return _mm256_setzero_ps(); }
  static void store(float* p, vec v) noexcept { _mm256_storeu_ps(p, v); }
  static vec fmadd(vec a, vec b, vec c) noexcept { return _mm256_fmadd_ps(a, b, c); }
};
#endif

#if defined(__x86_64__) && defined(__AVX512F__)
template <>
struct fma_unit<isa::avx512bw> {
  static constexpr int width = 16;
  using vec = __m512;
  static vec load(const float* p) noexcept { return _mm512_loadu_ps(p); }
  static vec broadcast(const float* p) noexcept { return _mm512_set1_ps(*p); }
  static vec zero() noexcept { return _mm512_setzero_ps(); }
  static void store(float* p, vec v) noexcept { _mm512_storeu_ps(p, v); }
  static vec fmadd(vec a, vec b, vec c) noexcept { return _mm512_fmadd_ps(a, b, c); }
};
#endif

#if defined(__aarch64__) && defined(__ARM_NEON)
template <>
struct fma_unit<isa::neon> {
  static constexpr int width = 4;
  using vec = float32x4_t;
  static vec load(const float* p) noexcept { return vld1q_f32(p); }
  static vec broadcast(const float* p) noexcept { return vld1q_dup_f32(p); }
  static vec zero() noexcept { return vdupq_n_f32(0.0f); }
  static void store(float* p, vec v) noexcept { vst1q_f32(p, v); }
  static vec fmadd(vec a, vec b, vec c) noexcept { return vfmaq_f32(c, a, b); }
};
#endif

/// True when this translation unit's compiler flags give `Isa` its own fused vector (AVX2
/// needs -mfma besides -mavx2).
template <class Isa>
inline constexpr bool has_fma_unit = requires {
  fma_unit<Isa>::width;
};

DDNN_END_NAMESPACE
