// Square roots rounded as IEEE 754 says (as std::sqrt), many at a time. A vector sqrt
// instruction rounds the same way on every CPU; the reciprocal-square-root estimates that fast
// library code starts from do not (x86's RSQRTPS differs between Intel and AMD, ARM's FRSQRTE
// between cores), so a result built on them would depend on the machine it ran on.
#pragma once
#include <cmath>
#include <cstddef>

#include "ddnn/core/config.hpp"

#if defined(__x86_64__) && defined(__AVX__)
#include <immintrin.h>
#elif defined(__x86_64__) && defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#endif

DDNN_BEGIN_NAMESPACE
namespace detail {

/// out[i] = sqrt(in[i]) for i < n, correctly rounded, with the widest vector sqrt this TU's flags
/// allow: the same bits as std::sqrt on every ISA and CPU. `in` and `out` may be the same.
inline void exact_sqrt(const float* in, float* out, std::size_t n) noexcept {
#if defined(__x86_64__) && defined(__AVX__)
  const std::size_t body = n / 8 * 8;
  for (std::size_t i = 0; i < body; i += 8)
    _mm256_storeu_ps(out + i, _mm256_sqrt_ps(_mm256_loadu_ps(in + i)));
#elif defined(__x86_64__) && defined(__SSE2__)
  const std::size_t body = n / 4 * 4;
  for (std::size_t i = 0; i < body; i += 4)
    _mm_storeu_ps(out + i, _mm_sqrt_ps(_mm_loadu_ps(in + i)));
#elif defined(__aarch64__) && defined(__ARM_NEON)
  const std::size_t body = n / 4 * 4;
  for (std::size_t i = 0; i < body; i += 4) vst1q_f32(out + i, vsqrtq_f32(vld1q_f32(in + i)));
#else
  const std::size_t body = 0;
#endif
  for (std::size_t i = body; i < n; ++i) out[i] = std::sqrt(in[i]);
}

}  // namespace detail
DDNN_END_NAMESPACE
