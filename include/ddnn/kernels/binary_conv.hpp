// Binary convolution kernel: zero-pads the packed input once, runs XNOR-popcount tiles straight
// over the padded rows (no im2col), thresholds each count in registers against a bound that
// already holds the exact border correction, then OR-pools the raw bits and flips.
#pragma once
#include <bit>
#include <cstdint>
#include <cstring>

#include "ddnn/kernels/pool_bits.hpp"
#include "ddnn/kernels/xnor_tile.hpp"

DDNN_BEGIN_NAMESPACE

static_assert(std::endian::native == std::endian::little,
              "ddnn's kernels write 8-filter groups as bytes of little-endian 64-bit words");

template <class Isa, int Rows, int SegmentWords>
inline void binary_conv_rows(Isa isa, const binary_conv_plan& p, const std::uint64_t* padded,
                             int first_pixel, std::uint64_t* raw) noexcept {
  using unit = popcount_unit<Isa>;
  const int padded_w = p.in_w + 2 * p.pad;
  const std::ptrdiff_t filters_padded = std::ptrdiff_t(p.groups) * filter_group;
  const row_layout layout{p.kernel, p.kernel * p.in_words, std::ptrdiff_t(padded_w) * p.in_words};
  const std::ptrdiff_t group_stride =
      std::ptrdiff_t(p.kernel) * p.kernel * p.in_words * filter_group;
  const std::uint64_t* rows[Rows];
  const std::int64_t* bounds[Rows];
  unsigned char* out[Rows];
  for (int m = 0; m < Rows; ++m) {
    const int oy = (first_pixel + m) / p.out_w;
    const int ox = (first_pixel + m) % p.out_w;
    rows[m] = padded + (std::ptrdiff_t(oy) * p.stride * padded_w + std::ptrdiff_t(ox) * p.stride) *
                           p.in_words;
    bounds[m] = p.count_bounds +
                std::ptrdiff_t(p.row_class[oy] * p.col_classes + p.col_class[ox]) * filters_padded;
    out[m] = reinterpret_cast<unsigned char*>(raw + std::ptrdiff_t(first_pixel + m) * p.pool.words);
  }
  for (int g = 0; g < p.groups; ++g) {
    unsigned bits[Rows] = {};
    xnor_tile<Isa, Rows, 1, SegmentWords>(
        isa, rows, layout, p.weights + g * group_stride, group_stride,
        [&](int m, int, int v, typename unit::count_vec counts) noexcept {
          bits[m] |= unit::le_mask(counts, bounds[m] + g * filter_group + v * unit::lanes)
                     << (v * unit::lanes);
        });
    for (int m = 0; m < Rows; ++m) out[m][g] = static_cast<unsigned char>(bits[m]);
  }
}

template <class Isa, int SegmentWords>
inline void binary_conv_pixels(Isa isa, const binary_conv_plan& p, const std::uint64_t* padded,
                               std::uint64_t* raw) noexcept {
  constexpr int block = tile_config<Isa>::conv_rows;
  const int pixels = p.out_h * p.out_w;
  int pixel = 0;
  for (; pixel + block <= pixels; pixel += block)
    binary_conv_rows<Isa, block, SegmentWords>(isa, p, padded, pixel, raw);
  for (; pixel < pixels; ++pixel)
    binary_conv_rows<Isa, 1, SegmentWords>(isa, p, padded, pixel, raw);
}

template <class Isa>
void binary_conv_forward(Isa isa, const binary_conv_plan& p, const std::uint64_t* input,
                         std::uint64_t* output, void* scratch) noexcept {
  const int padded_w = p.in_w + 2 * p.pad;
  const int padded_h = p.in_h + 2 * p.pad;
  auto* padded = static_cast<std::uint64_t*>(scratch);
  const std::size_t padded_words = std::size_t(padded_h) * padded_w * p.in_words;
  if (p.pad > 0) std::memset(padded, 0, padded_words * sizeof(std::uint64_t));
  for (int y = 0; y < p.in_h; ++y)
    std::memcpy(padded + (std::size_t(y + p.pad) * padded_w + p.pad) * p.in_words,
                input + std::size_t(y) * p.in_w * p.in_words,
                std::size_t(p.in_w) * p.in_words * sizeof(std::uint64_t));
  // Without pooling the raw bits go straight to the output and are flipped in place.
  std::uint64_t* raw = (p.pool.kernel != 1 || p.pool.stride != 1) ? padded + padded_words : output;
  const std::ptrdiff_t pixels = std::ptrdiff_t(p.out_h) * p.out_w;
  // Groups fill whole bytes; words a filter count of 8k+... leaves partly unwritten start at zero.
  std::memset(raw, 0, std::size_t(pixels) * std::size_t(p.pool.words) * sizeof(std::uint64_t));

  // A patch row is kernel * in_words words; common lengths get a fully unrolled tile.
  switch (p.kernel * p.in_words) {
    case 1:
      binary_conv_pixels<Isa, 1>(isa, p, padded, raw);
      break;
    case 2:
      binary_conv_pixels<Isa, 2>(isa, p, padded, raw);
      break;
    case 3:
      binary_conv_pixels<Isa, 3>(isa, p, padded, raw);
      break;
    case 5:
      binary_conv_pixels<Isa, 5>(isa, p, padded, raw);
      break;
    case 6:
      binary_conv_pixels<Isa, 6>(isa, p, padded, raw);
      break;
    default:
      binary_conv_pixels<Isa, 0>(isa, p, padded, raw);
      break;
  }

  if ((p.pool.kernel != 1 || p.pool.stride != 1))
    pool_bits_flip(isa, p.pool, raw, p.flip, output);
  else
    flip_bits(isa, pixels, p.pool.words, output, p.flip, output);
}

DDNN_END_NAMESPACE
