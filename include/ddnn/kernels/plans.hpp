// Kernel plans: plain, ISA-independent descriptions of one layer's work (geometry plus pointers
// into parameters the layer owns). Layers build them once; every ISA's kernel reads the same plan.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ddnn/core/config.hpp"

DDNN_BEGIN_NAMESPACE

/// Outputs are packed in groups of this many filters, k-major inside a group, so one packed
/// weight layout serves every ISA (1, 2, 4 or 8 lanes of 64 bits).
inline constexpr int filter_group = 8;

/// Max-pool window over a conv output, then per-channel threshold and flip into packed bits.
struct pool_threshold_geometry {
  int in_h = 0, in_w = 0;          ///< conv output extent (the pool's input)
  int kernel = 1, stride = 1, pad = 0;
  int out_h = 0, out_w = 0;        ///< pooled extent
  int channels = 0;                ///< filters
  int out_words = 0;               ///< words per output pixel
  std::ptrdiff_t row_stride = 0, pixel_stride = 0, channel_stride = 0;  ///< sums layout
};

/// Binary input and weights: XNOR-popcount conv, exact zero padding, fused max-pool, thresholds.
struct binary_conv_plan {
  int in_h = 0, in_w = 0, in_words = 0;  ///< input extent; words per input pixel
  int kernel = 0, stride = 0, pad = 0;
  int out_h = 0, out_w = 0;              ///< conv output extent
  int filters = 0, groups = 0;           ///< groups = ceil(filters / filter_group)
  const std::uint64_t* weights = nullptr;  ///< [group][kernel*kernel*in_words][filter_group]
  /// Border correction: s = base[(row_class[oy] * col_classes + col_class[ox]) * groups *
  /// filter_group + f] - 2 * popcount, where base = valid taps + 2 * popcount(weights on padding).
  const std::int32_t* row_class = nullptr;
  const std::int32_t* col_class = nullptr;
  int col_classes = 0;
  const std::int32_t* base = nullptr;
  pool_threshold_geometry pool;
  const std::int32_t* thresholds = nullptr;  ///< bit = (s >= threshold) XOR flip
  const std::uint64_t* flip = nullptr;       ///< [out_words]
};

/// Bytes of scratch a binary conv needs: a zero-padded input copy and the integer sums.
[[nodiscard]] constexpr std::size_t scratch_bytes(const binary_conv_plan& p) noexcept {
  const std::size_t padded = std::size_t(p.in_h + 2 * p.pad) * std::size_t(p.in_w + 2 * p.pad) *
                             std::size_t(p.in_words) * sizeof(std::uint64_t);
  const std::size_t sums = std::size_t(p.out_h) * std::size_t(p.out_w) * std::size_t(p.groups) *
                           filter_group * sizeof(std::int32_t);
  return padded + sums;
}

/// Binary dense: bits in; either thresholded bits or float logits out.
struct binary_dense_plan {
  int in_words = 0;                       ///< packed input words
  int in_bits = 0;                        ///< valid input bits (K)
  int outputs = 0, groups = 0;
  const std::uint64_t* weights = nullptr;  ///< [group][in_words][filter_group]
  bool logits = false;
  const std::int32_t* thresholds = nullptr;  ///< bits mode: bit = (s >= threshold) XOR flip
  const std::uint64_t* flip = nullptr;
  const float* scale = nullptr;  ///< logits mode: logit = fma(scale, float(s), bias)
  const float* bias = nullptr;
};

/// First layer: 8-bit or float input, binary weights, exact accumulation, pool, thresholds.
struct first_conv_plan {
  int in_h = 0, in_w = 0, channels = 0;
  int kernel = 0, stride = 0, pad = 0;
  int out_h = 0, out_w = 0, filters = 0;
  const std::int8_t* weight_signs = nullptr;  ///< [filter][ky][kx][c], each +1 or -1
  pool_threshold_geometry pool;
  const std::int32_t* int_thresholds = nullptr;  ///< for 8-bit input
  const float* float_thresholds = nullptr;       ///< for float input
  const std::uint64_t* flip = nullptr;
};

/// Bytes of scratch a first-layer conv needs: padded planar input and planar sums (4-byte values).
[[nodiscard]] constexpr std::size_t scratch_bytes(const first_conv_plan& p) noexcept {
  const std::size_t planes =
      std::size_t(p.channels) * std::size_t(p.in_h + 2 * p.pad) * std::size_t(p.in_w + 2 * p.pad);
  // one spare row of values lets the stride-1 vector loop read a full batch past the last column
  const std::size_t sums = std::size_t(p.filters) * std::size_t(p.out_h) * std::size_t(p.out_w);
  return (planes + sums + 64) * 4;
}

DDNN_END_NAMESPACE
