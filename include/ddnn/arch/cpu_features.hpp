// Which ISAs the running CPU (and its operating system) supports, read once per process.
// This says nothing about what was compiled in; see ddnn/kernels/dispatch.hpp for that.
#pragma once
#include "ddnn/arch/isa.hpp"

DDNN_BEGIN_NAMESPACE

namespace detail {
inline cpu_features read_cpu_features() noexcept {
  cpu_features f;
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  // __builtin_cpu_supports checks the OS (XCR0) state too, unlike xsimd 8.1's detection.
  __builtin_cpu_init();
  f.sse4_2 = __builtin_cpu_supports("sse4.2");
  f.popcnt = __builtin_cpu_supports("popcnt");
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
  f.avx512cd = __builtin_cpu_supports("avx512cd");
  f.avx512dq = __builtin_cpu_supports("avx512dq");
  f.avx512vl = __builtin_cpu_supports("avx512vl");
  f.avx512vpopcntdq = __builtin_cpu_supports("avx512vpopcntdq");
#elif defined(__aarch64__)
  f.neon = true;  // Advanced SIMD is architecturally mandatory on AArch64.
#endif
  return f;
}
}  // namespace detail

/// The running CPU's features, detected on first use and cached for the process.
[[nodiscard]] inline const cpu_features& cpu() noexcept {
  static const cpu_features features = detail::read_cpu_features();
  return features;
}

/// True when the running CPU can execute code built for `id` (its tag's `supported_by`).
[[nodiscard]] inline bool cpu_supports(isa_id id) noexcept {
  return visit_isa(id, false, [](auto tag) { return decltype(tag)::supported_by(cpu()); });
}

DDNN_END_NAMESPACE
