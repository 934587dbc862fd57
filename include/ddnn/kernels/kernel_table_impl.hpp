// Definition of make_kernel_table<Isa>: the one place that names every kernel. Included by the
// per-ISA kernel translation units (dispatch mode) or by dispatch.hpp itself (native mode).
#pragma once
#include <type_traits>

#include "ddnn/arch/xsimd_arch.hpp"
#include "ddnn/kernels/binary_conv.hpp"
#include "ddnn/kernels/binary_dense.hpp"
#include "ddnn/kernels/first_conv.hpp"
#include "ddnn/kernels/float_dense.hpp"
#include "ddnn/kernels/kernel_table.hpp"
#include "ddnn/kernels/popcount_ceiling.hpp"

DDNN_BEGIN_NAMESPACE

template <class Isa>
struct kernel_entry_points {
  static void binary_conv(const binary_conv_plan& p, const std::uint64_t* in, std::uint64_t* out,
                          void* scratch) noexcept {
    binary_conv_forward(Isa{}, p, in, out, scratch);
  }
  static void binary_dense(const binary_dense_plan& p, const std::uint64_t* in, std::uint64_t* bits,
                           float* logits) noexcept {
    binary_dense_forward(Isa{}, p, in, bits, logits);
  }
  template <class In>
  static bool first_conv(const first_conv_plan& p, const In* in, std::uint64_t* out,
                         void* scratch) noexcept {
    if constexpr (std::is_floating_point_v<In>) {
      return first_conv_forward<Isa, In, float>(Isa{}, p, in, out, scratch);
    } else {
      if (first_conv_fits_int16<Isa, In>(Isa{}, p.kernel * p.kernel * p.channels))
        return first_conv_forward<Isa, In, std::int16_t>(Isa{}, p, in, out, scratch);
      return first_conv_forward<Isa, In, std::int32_t>(Isa{}, p, in, out, scratch);
    }
  }
  static void float_dense(const float_dense_plan& p, const float* x, std::size_t x_stride,
                          std::size_t samples, float* sums, std::size_t sums_stride) noexcept {
    float_dense_forward(Isa{}, p, x, x_stride, samples, sums, sums_stride);
  }
  static std::uint64_t ceiling(std::uint64_t iterations, std::uint64_t seed) noexcept {
    return popcount_ceiling(Isa{}, iterations, seed);
  }
};

/// An ISA whose first layer would be the very same code as its base's (the same xsimd batches:
/// VPOPCNTDQ adds nothing to 8-bit/float sums) leaves those entries empty; dispatch fills them
/// from the base table, so the same xsimd code is never compiled in two ISA translation units.
template <class Isa>
inline constexpr bool has_own_first_conv =
    is_root_isa<Isa> || !std::is_same_v<xsimd_arch_t<Isa>, xsimd_arch_t<typename Isa::base>>;

template <class Isa>
kernel_table make_kernel_table() noexcept {
  using entry = kernel_entry_points<Isa>;
  kernel_table t;
  t.isa = id_of<Isa>;
  t.binary_conv = &entry::binary_conv;
  t.binary_dense = &entry::binary_dense;
  if constexpr (has_own_first_conv<Isa>) {
    t.first_conv_u8 = &entry::template first_conv<std::uint8_t>;
    t.first_conv_i8 = &entry::template first_conv<std::int8_t>;
    t.first_conv_f32 = &entry::template first_conv<float>;
  }
  // An ISA without its own fused vector (SSE4.2; AVX2 built without -mfma) takes its base's.
  if constexpr (has_fma_unit<Isa>) t.float_dense = &entry::float_dense;
  t.popcount_ceiling = &entry::ceiling;
  t.ceiling_binops_per_iteration = ceiling_binops_per_iteration<Isa>;
  return t;
}

DDNN_END_NAMESPACE
