// Kernel plans: plain, ISA-independent descriptions of one layer's work (geometry plus pointers
// into parameters the layer owns). Layers build them once; every ISA's kernel reads the same plan.
// Plans hold data only: a member function called from a kernel would be compiled into every ISA's
// object as one weak symbol (tests/cmake/check_weak_symbols.cmake).
#pragma once
#include <cstddef>
#include <cstdint>

#include "ddnn/core/config.hpp"

DDNN_BEGIN_NAMESPACE

/// Outputs are packed in groups of this many filters, k-major inside a group, so one packed
/// weight layout serves every ISA (1, 2, 4 or 8 lanes of 64 bits).
inline constexpr int filter_group = 8;

/// Max-pool window over a conv output's raw threshold bits.
struct pool_geometry {
  int in_h = 0, in_w = 0;  ///< conv output extent (the pool's input)
  int kernel = 1, stride = 1, pad = 0;
  int out_h = 0, out_w = 0;  ///< pooled extent
  int words = 0;             ///< words per pixel (channels / 64, rounded up)
};

/// Binary input and weights: XNOR-popcount conv, exact zero padding, fused max-pool, thresholds.
struct binary_conv_plan {
  int in_h = 0, in_w = 0, in_words = 0;  ///< input extent; words per input pixel
  int kernel = 0, stride = 0, pad = 0;
  int out_h = 0, out_w = 0;                ///< conv output extent
  int filters = 0, groups = 0;             ///< groups = ceil(filters / filter_group)
  const std::uint64_t* weights = nullptr;  ///< [group][kernel*kernel*in_words][filter_group]
  /// Output pixel (oy, ox) belongs to border class row_class[oy] * col_classes + col_class[ox].
  /// With s = valid taps - 2 * (popcount - popcount of weights on padding), the raw bit
  /// (s >= threshold) is (popcount <= count_bounds[class * groups * filter_group + f]).
  const std::int32_t* row_class = nullptr;
  const std::int32_t* col_class = nullptr;
  int col_classes = 0;
  const std::int64_t* count_bounds = nullptr;
  pool_geometry pool;
  const std::uint64_t* flip = nullptr;  ///< [pool.words]; applied after pooling
};

/// Bytes of scratch a binary conv needs: a zero-padded input copy and the raw bit map.
[[nodiscard]] constexpr std::size_t scratch_bytes(const binary_conv_plan& p) noexcept {
  const std::size_t padded =
      std::size_t(p.in_h + 2 * p.pad) * std::size_t(p.in_w + 2 * p.pad) * std::size_t(p.in_words);
  const std::size_t raw = std::size_t(p.out_h) * std::size_t(p.out_w) * std::size_t(p.pool.words);
  return (padded + raw) * sizeof(std::uint64_t);
}

/// Binary dense: bits in; either thresholded bits or float logits out.
struct binary_dense_plan {
  int in_words = 0;  ///< packed input words
  int in_bits = 0;   ///< valid input bits (K)
  int outputs = 0, groups = 0;
  const std::uint64_t* weights = nullptr;  ///< [group][in_words][filter_group]
  bool logits = false;
  /// bits mode: bit = (popcount <= count_bounds[n]) XOR flip[n / 64]
  const std::int64_t* count_bounds = nullptr;
  const std::uint64_t* flip = nullptr;
  const float* scale = nullptr;  ///< logits mode: logit = fma(scale, float(s), bias)
  const float* bias = nullptr;
};

/// Outputs per panel of packed float dense weights: a multiple of every ISA's register block.
inline constexpr std::size_t float_panel_width = 64;

/// Float dense: real weights packed in panels (see kernels/float_dense.hpp), sums out.
struct float_dense_plan {
  std::size_t outputs = 0, depth = 0;
  /// [outputs / float_panel_width rounded up][depth][float_panel_width], padding outputs zero
  const float* panels = nullptr;
};

/// First layer: 8-bit or float input, binary weights, exact accumulation, pool, thresholds.
struct first_conv_plan {
  int in_h = 0, in_w = 0, channels = 0;
  int kernel = 0, stride = 0, pad = 0;
  int out_h = 0, out_w = 0, filters = 0;
  const std::int8_t* weight_signs = nullptr;  ///< [filter][ky][kx][c], each +1 or -1
  pool_geometry pool;
  const std::int32_t* int_thresholds = nullptr;  ///< 8-bit input: raw bit = (s >= threshold)
  const float* float_thresholds = nullptr;       ///< float input: raw bit = (s >= threshold)
  const std::uint64_t* flip = nullptr;           ///< applied after pooling
};

/// Values a first-layer conv's vectors may read and write past the padded input and the sums
/// (one vector's worth of the widest ISA: 64 16-bit lanes).
inline constexpr std::size_t first_conv_overrun = 64;

/// Bytes of scratch a first-layer conv needs: the padded planar input, one filter's sums (rows
/// as wide as the padded input) and a row of column maxima (4-byte values), each with room for
/// one vector past its end, and the per-filter tap tables.
[[nodiscard]] constexpr std::size_t scratch_bytes(const first_conv_plan& p) noexcept {
  const std::size_t padded_w = std::size_t(p.in_w + 2 * p.pad);
  const std::size_t planes =
      (std::size_t(p.channels) * std::size_t(p.in_h + 2 * p.pad) * padded_w + first_conv_overrun) *
      4;
  const std::size_t sums = (std::size_t(p.out_h) * padded_w + first_conv_overrun) * 4;
  const std::size_t column_max = 2 * std::size_t(p.out_w + 2 * p.pool.pad + p.pool.kernel) * 4;
  const std::size_t taps = std::size_t(p.kernel) * std::size_t(p.kernel) * std::size_t(p.channels);
  const std::size_t tables = taps * std::size_t(p.filters) * (sizeof(std::ptrdiff_t) + 4);
  // unpooled 8-bit sums: a bit plane per 16 filters (int16 sums; per 32 for int32 sums)
  const std::size_t bit_planes = (std::size_t(p.filters) + 15) / 16 * sums;
  return planes + sums + column_max + 8 + tables + std::size_t(p.filters) * 4 + bit_planes;
}

DDNN_END_NAMESPACE
