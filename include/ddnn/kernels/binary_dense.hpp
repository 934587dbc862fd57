// Binary dense kernel: one packed input row against groups of packed output rows, then either
// thresholds into bits (compared in registers) or per-output scale and bias into float logits.
#pragma once
#include <cstdint>

#include "ddnn/kernels/xnor_tile.hpp"

DDNN_BEGIN_NAMESPACE

template <class Isa, int Groups>
inline void binary_dense_groups(Isa isa, const binary_dense_plan& p, const std::uint64_t* input,
                                int first_group, std::uint64_t* out_bits,
                                float* out_logits) noexcept {
  using unit = popcount_unit<Isa>;
  const std::ptrdiff_t group_stride = std::ptrdiff_t(p.in_words) * filter_group;
  const std::uint64_t* rows[1] = {input};
  const int first = first_group * filter_group;
  const std::uint64_t* weights = p.weights + first_group * group_stride;
  const row_layout layout{1, p.in_words, 0};
  if (p.logits) {
    xnor_tile<Isa, 1, Groups>(isa, rows, layout, weights, group_stride,
                              [&](int, int g, int v, typename unit::count_vec counts) noexcept {
                                std::uint64_t c[unit::lanes];
                                unit::store(counts, c);
                                for (int l = 0; l < unit::lanes; ++l) {
                                  const int n = first + g * filter_group + v * unit::lanes + l;
                                  if (n >= p.outputs) break;
                                  const std::int32_t s = p.in_bits - 2 * std::int32_t(c[l]);
                                  // fma is exactly rounded everywhere, so every ISA and the
                                  // reference agree to the bit.
                                  out_logits[n] = __builtin_fmaf(p.scale[n], float(s), p.bias[n]);
                                }
                              });
  } else {
    unsigned bits[Groups] = {};
    xnor_tile<Isa, 1, Groups>(
        isa, rows, layout, weights, group_stride,
        [&](int, int g, int v, typename unit::count_vec counts) noexcept {
          bits[g] |=
              unit::le_mask(counts, p.count_bounds + first + g * filter_group + v * unit::lanes)
              << (v * unit::lanes);
        });
    auto* out = reinterpret_cast<unsigned char*>(out_bits);
    for (int g = 0; g < Groups; ++g) out[first_group + g] = static_cast<unsigned char>(bits[g]);
  }
}

template <class Isa>
void binary_dense_forward(Isa isa, const binary_dense_plan& p, const std::uint64_t* input,
                          std::uint64_t* out_bits, float* out_logits) noexcept {
  const int words = (p.outputs + 63) / 64;
  if (!p.logits)
    for (int w = 0; w < words; ++w) out_bits[w] = 0;
  constexpr int block = tile_config<Isa>::dense_groups;
  int g = 0;
  for (; g + block <= p.groups; g += block)
    binary_dense_groups<Isa, block>(isa, p, input, g, out_bits, out_logits);
  for (; g < p.groups; ++g) binary_dense_groups<Isa, 1>(isa, p, input, g, out_bits, out_logits);
  if (!p.logits)
    for (int w = 0; w < words; ++w) out_bits[w] ^= p.flip[w];
}

DDNN_END_NAMESPACE
