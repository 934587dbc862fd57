// Binary dense kernel: one packed input row against groups of packed output rows, then either
// integer thresholds into bits or per-output scale and bias into float logits.
#pragma once
#include <cstdint>

#include "ddnn/kernels/xnor_tile.hpp"

DDNN_BEGIN_NAMESPACE

template <class Isa, int Groups>
inline void binary_dense_groups(Isa isa, const binary_dense_plan& p, const std::uint64_t* input,
                                int first_group, std::uint64_t* out_bits,
                                float* out_logits) noexcept {
  const std::ptrdiff_t group_stride = std::ptrdiff_t(p.in_words) * filter_group;
  const std::uint64_t* rows[1] = {input};
  std::uint64_t counts[1][Groups * filter_group];
  xnor_tile<Isa, 1, Groups>(isa, rows, row_layout{1, p.in_words, 0},
                            p.weights + first_group * group_stride, group_stride, counts);
  const int first = first_group * filter_group;
  const int end = first + Groups * filter_group < p.outputs ? first + Groups * filter_group : p.outputs;
  for (int n = first; n < end; ++n) {
    const std::int32_t s = p.in_bits - 2 * std::int32_t(counts[0][n - first]);
    if (p.logits) {
      // fma is exactly rounded everywhere, so every ISA and the reference agree to the bit.
      out_logits[n] = __builtin_fmaf(p.scale[n], float(s), p.bias[n]);
    } else {
      out_bits[n / 64] |= std::uint64_t{s >= p.thresholds[n]} << (n % 64);
    }
  }
}

template <class Isa>
void binary_dense_forward(Isa isa, const binary_dense_plan& p, const std::uint64_t* input,
                          std::uint64_t* out_bits, float* out_logits) noexcept {
  if (!p.logits) {
    const int words = (p.outputs + 63) / 64;
    for (int w = 0; w < words; ++w) out_bits[w] = 0;
  }
  constexpr int block = tile_config<Isa>::dense_groups;
  int g = 0;
  for (; g + block <= p.groups; g += block)
    binary_dense_groups<Isa, block>(isa, p, input, g, out_bits, out_logits);
  for (; g < p.groups; ++g) binary_dense_groups<Isa, 1>(isa, p, input, g, out_bits, out_logits);
  if (!p.logits) {
    const int words = (p.outputs + 63) / 64;
    for (int w = 0; w < words; ++w) out_bits[w] ^= p.flip[w];
  }
}

DDNN_END_NAMESPACE
