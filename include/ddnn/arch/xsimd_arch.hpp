// Maps ddnn ISA tags to xsimd architectures, for kernels written once over xsimd batches (the
// 8-bit/float first layer). `void` means "no SIMD batch; use the scalar loop".
#pragma once
#include <xsimd/xsimd.hpp>

#include "ddnn/arch/isa.hpp"

DDNN_BEGIN_NAMESPACE

/// By default an ISA uses its base's batches: VPOPCNTDQ adds nothing to AVX-512 BW's, and an ISA
/// this TU's flags do not enable gets those of the nearest level below that they do.
template <class Isa>
struct xsimd_arch_of : xsimd_arch_of<typename Isa::base> {};
template <>
struct xsimd_arch_of<isa::scalar> {
  using type = void;
};
#if XSIMD_WITH_SSE4_2
template <>
struct xsimd_arch_of<isa::sse4_2> {
  using type = xsimd::sse4_2;
};
#endif
#if XSIMD_WITH_AVX2
template <>
struct xsimd_arch_of<isa::avx2> {
  using type = xsimd::avx2;
};
#endif
#if XSIMD_WITH_AVX512BW
template <>
struct xsimd_arch_of<isa::avx512bw> {
  using type = xsimd::avx512bw;
};
#endif
#if XSIMD_WITH_NEON64
template <>
struct xsimd_arch_of<isa::neon> {
  using type = xsimd::neon64;
};
#endif

template <class Isa>
using xsimd_arch_t = typename xsimd_arch_of<Isa>::type;

DDNN_END_NAMESPACE
