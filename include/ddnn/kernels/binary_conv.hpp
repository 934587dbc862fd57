// Binary convolution kernel: zero-pads the packed input once, runs XNOR-popcount tiles straight
// over the padded rows (no im2col), applies the exact border correction, then pools and thresholds.
#pragma once
#include <cstdint>
#include <cstring>

#include "ddnn/kernels/pool_threshold.hpp"
#include "ddnn/kernels/xnor_tile.hpp"

DDNN_BEGIN_NAMESPACE

template <class Isa, int Rows>
inline void binary_conv_rows(Isa isa, const binary_conv_plan& p, const std::uint64_t* padded,
                             int first_pixel, std::int32_t* sums) noexcept {
  const int padded_w = p.in_w + 2 * p.pad;
  const int filters_padded = p.groups * filter_group;
  const row_layout layout{p.kernel, p.kernel * p.in_words,
                          std::ptrdiff_t(padded_w) * p.in_words};
  const std::ptrdiff_t group_stride = std::ptrdiff_t(p.kernel) * p.kernel * p.in_words * filter_group;
  const std::uint64_t* rows[Rows];
  const std::int32_t* base[Rows];
  for (int m = 0; m < Rows; ++m) {
    const int oy = (first_pixel + m) / p.out_w;
    const int ox = (first_pixel + m) % p.out_w;
    rows[m] = padded + (std::ptrdiff_t(oy) * p.stride * padded_w + std::ptrdiff_t(ox) * p.stride) *
                           p.in_words;
    base[m] = p.base + std::ptrdiff_t(p.row_class[oy] * p.col_classes + p.col_class[ox]) *
                           filters_padded;
  }
  for (int g = 0; g < p.groups; ++g) {
    std::uint64_t counts[Rows][filter_group];
    xnor_tile<Isa, Rows, 1>(isa, rows, layout, p.weights + g * group_stride, group_stride, counts);
    for (int m = 0; m < Rows; ++m) {
      std::int32_t* out = sums + std::ptrdiff_t(first_pixel + m) * filters_padded + g * filter_group;
      const std::int32_t* b = base[m] + g * filter_group;
      for (int j = 0; j < filter_group; ++j) out[j] = b[j] - 2 * std::int32_t(counts[m][j]);
    }
  }
}

template <class Isa>
void binary_conv_forward(Isa isa, const binary_conv_plan& p, const std::uint64_t* input,
                         std::uint64_t* output, void* scratch) noexcept {
  const int padded_w = p.in_w + 2 * p.pad;
  const int padded_h = p.in_h + 2 * p.pad;
  auto* padded = static_cast<std::uint64_t*>(scratch);
  const std::size_t padded_words = std::size_t(padded_h) * padded_w * p.in_words;
  std::memset(padded, 0, padded_words * sizeof(std::uint64_t));
  for (int y = 0; y < p.in_h; ++y)
    std::memcpy(padded + (std::size_t(y + p.pad) * padded_w + p.pad) * p.in_words,
                input + std::size_t(y) * p.in_w * p.in_words,
                std::size_t(p.in_w) * p.in_words * sizeof(std::uint64_t));
  auto* sums = reinterpret_cast<std::int32_t*>(padded + padded_words);

  constexpr int block = tile_config<Isa>::conv_rows;
  const int pixels = p.out_h * p.out_w;
  int pixel = 0;
  for (; pixel + block <= pixels; pixel += block)
    binary_conv_rows<Isa, block>(isa, p, padded, pixel, sums);
  for (; pixel < pixels; ++pixel) binary_conv_rows<Isa, 1>(isa, p, padded, pixel, sums);

  pool_threshold_pack(isa, p.pool, sums, p.thresholds, p.flip, output);
}

DDNN_END_NAMESPACE
