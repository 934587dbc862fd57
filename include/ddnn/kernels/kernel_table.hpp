// The table of kernel entry points for one ISA. Layers hold a pointer to one table, chosen once
// at construction; inner loops never branch on the ISA.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ddnn/arch/isa.hpp"
#include "ddnn/kernels/plans.hpp"

DDNN_BEGIN_NAMESPACE

struct kernel_table {
  isa_id isa = isa_id::scalar;
  void (*binary_conv)(const binary_conv_plan&, const std::uint64_t* input, std::uint64_t* output,
                      void* scratch) noexcept = nullptr;
  void (*binary_dense)(const binary_dense_plan&, const std::uint64_t* input,
                       std::uint64_t* out_bits, float* out_logits) noexcept = nullptr;
  bool (*first_conv_u8)(const first_conv_plan&, const std::uint8_t* input, std::uint64_t* output,
                        void* scratch) noexcept = nullptr;
  bool (*first_conv_i8)(const first_conv_plan&, const std::int8_t* input, std::uint64_t* output,
                        void* scratch) noexcept = nullptr;
  bool (*first_conv_f32)(const first_conv_plan&, const float* input, std::uint64_t* output,
                         void* scratch) noexcept = nullptr;
  void (*float_dense)(const float_dense_plan&, const float* x, std::size_t x_stride,
                      std::size_t samples, float* sums, std::size_t sums_stride) noexcept = nullptr;
  std::uint64_t (*popcount_ceiling)(std::uint64_t iterations,
                                    std::uint64_t seed) noexcept = nullptr;
  std::uint64_t ceiling_binops_per_iteration = 0;
};

/// The ISA whose kernels fill the entries an ISA's own table leaves empty: its tag's base (where
/// the base is not compiled in, dispatch goes on down to the nearest level that is).
[[nodiscard]] constexpr isa_id base_isa(isa_id id) noexcept {
  return visit_isa(id, isa_id::scalar, [](auto tag) { return decltype(tag)::base::id; });
}

/// Fills every empty entry of `t` from `base`.
constexpr void fill_missing(kernel_table& t, const kernel_table& base) noexcept {
  if (!t.binary_conv) t.binary_conv = base.binary_conv;
  if (!t.binary_dense) t.binary_dense = base.binary_dense;
  if (!t.first_conv_u8) t.first_conv_u8 = base.first_conv_u8;
  if (!t.first_conv_i8) t.first_conv_i8 = base.first_conv_i8;
  if (!t.first_conv_f32) t.first_conv_f32 = base.first_conv_f32;
  if (!t.float_dense) t.float_dense = base.float_dense;
  if (!t.popcount_ceiling) {
    t.popcount_ceiling = base.popcount_ceiling;
    t.ceiling_binops_per_iteration = base.ceiling_binops_per_iteration;
  }
}

/// Builds the table for `Isa`. Defined in kernel_table_impl.hpp; in dispatch mode each ISA's
/// instance lives in its own translation unit compiled with that ISA's flags.
template <class Isa>
kernel_table make_kernel_table() noexcept;

DDNN_END_NAMESPACE
