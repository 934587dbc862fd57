// The table of kernel entry points for one ISA. Layers hold a pointer to one table, chosen once
// at construction; inner loops never branch on the ISA.
#pragma once
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
  std::uint64_t (*popcount_ceiling)(std::uint64_t iterations, std::uint64_t seed) noexcept = nullptr;
  std::uint64_t ceiling_binops_per_iteration = 0;
};

/// Builds the table for `Isa`. Defined in kernel_table_impl.hpp; in dispatch mode each ISA's
/// instance lives in its own translation unit compiled with that ISA's flags.
template <class Isa>
kernel_table make_kernel_table() noexcept;

DDNN_END_NAMESPACE
