// BinaryConv: binary (+1/-1) input and weights, integer XNOR-popcount sums with exact zero
// padding, optional fused max-pool, BatchNorm+sign folded into per-channel integer thresholds.
#pragma once
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <map>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "ddnn/core/bit_tensor.hpp"
#include "ddnn/core/window.hpp"
#include "ddnn/kernels/dispatch.hpp"
#include "ddnn/layers/batchnorm_sign.hpp"
#include "ddnn/layers/layer_kind.hpp"
#include "ddnn/layers/layer_support.hpp"
#include "ddnn/layers/max_pool.hpp"

DDNN_BEGIN_NAMESPACE

template <ShapeType In, class Spec>
class BinaryConvLayer;

/// Layer spec: Filters output channels, Kernel x Kernel window, Stride, zero Pad, then Pool.
/// `BinaryConv<64, 3, 1, 1>::bind<Shape<16, 16, 64>>` is the layer for a 16x16x64 input.
template <std::size_t Filters, std::size_t Kernel, std::size_t Stride = 1, std::size_t Pad = 0,
          PoolWindow Pool = NoPool>
struct BinaryConv {
  static_assert(Filters >= 1, "BinaryConv requires at least one filter");
  static_assert(Kernel >= 1, "BinaryConv requires a kernel of at least 1");
  static_assert(Stride >= 1, "BinaryConv requires a stride of at least 1");
  static_assert(Pad < Kernel, "BinaryConv requires padding smaller than the kernel");
  static constexpr std::size_t filters = Filters;
  static constexpr std::size_t kernel = Kernel;
  static constexpr std::size_t stride = Stride;
  static constexpr std::size_t pad = Pad;
  using pool = Pool;
  using parameters_type = ConvParameters;
  static constexpr bool produces_logits = false;

  template <ShapeType In>
  using conv_shape = Shape<window_output_extent(In::height, Kernel, Stride, Pad),
                           window_output_extent(In::width, Kernel, Stride, Pad), Filters>;
  template <ShapeType In>
  using output_shape = typename Pool::template output_shape<conv_shape<In>>;
  template <ShapeType In>
  using bind = BinaryConvLayer<In, BinaryConv>;
};

template <ShapeType In, class Spec>
class BinaryConvLayer : public detail::windowed_layer<In, Spec, WeightEncoding::signs>,
                        public detail::returns_output<BinaryConvLayer<In, Spec>, BitTensor<In>> {
  static constexpr std::size_t F = Spec::filters;
  static constexpr std::size_t K = Spec::kernel;
  static_assert(window_fits(In::height, K, Spec::pad),
                "BinaryConv kernel is taller than the zero-padded input");
  static_assert(window_fits(In::width, K, Spec::pad),
                "BinaryConv kernel is wider than the zero-padded input");
  using Pool = typename Spec::pool;
  using window_base = detail::windowed_layer<In, Spec, WeightEncoding::signs>;

 public:
  using typename window_base::conv_shape;
  using typename window_base::input_shape;
  using typename window_base::output_shape;
  using typename window_base::parameters_type;
  using window_base::geometry;
  using window_base::pool_geometry;
  using window_base::weight_count;
  using output_type = BitTensor<output_shape>;
  static_assert(window_fits(conv_shape::height, Pool::kernel, Pool::pad) &&
                    window_fits(conv_shape::width, Pool::kernel, Pool::pad),
                "BinaryConv pooling window is larger than the padded conv output");
  /// Taps times channels: sums lie in [-max_sum, max_sum].
  static constexpr std::int32_t max_sum = std::int32_t(K * K * In::channels);

  // ---- the layer kind's pieces (layer_kind.hpp) ----
  static constexpr std::string_view kind = "BinaryConv";
  [[nodiscard]] static constexpr layer_description description() noexcept {
    return detail::window_description<Spec>(kind);
  }
  /// Signs, and BatchNorm steps within the sums' spread (about sqrt(taps)).
  [[nodiscard]] static ConvParameters random_parameters(detail::random_stream& r) {
    constexpr std::size_t taps = K * K * In::channels;
    return {detail::random_signs(r, weight_count),
            detail::random_batchnorm(r, F, 0, std::sqrt(float(taps)))};
  }

  /// Packs `parameters`; chooses the kernels for `isa` (default: the fastest this CPU runs).
  /// Throws ddnn::error on wrong sizes or non-finite values.
  explicit BinaryConvLayer(const ConvParameters& parameters, isa_id isa = best_isa())
      : kernels_(&kernels(isa)) {
    detail::require_count(parameters.weights.size(), weight_count, "BinaryConv weights");
    detail::require_count(parameters.batchnorm.size(), F, "BinaryConv batchnorm");
    detail::require_finite(parameters.weights, "BinaryConv weights");
    const std::vector<int> tap_popcounts = pack_weights(parameters.weights);
    for (std::size_t f = 0; f < F; ++f) {
      validate(parameters.batchnorm[f], "BinaryConv filter " + std::to_string(f));
      const auto folded = fold_integer(parameters.batchnorm[f], -max_sum, max_sum);
      thresholds_[f] = folded.threshold;
      if (folded.flip) flip_[f / 64] |= std::uint64_t{1} << (f % 64);
    }
    build_count_bounds(tap_popcounts);
  }

  [[nodiscard]] isa_id isa() const noexcept { return kernels_->isa; }

  void forward(const BitTensor<In>& input, BitTensor<output_shape>& output) const {
    const binary_conv_plan p = plan();
    kernels_->binary_conv(p, input.data(), output.data(), detail::thread_scratch(scratch_bytes(p)));
  }
  /// Any other input shape is a compile error that names both shapes.
  template <ShapeType Other, ShapeType Out>
  void forward(const BitTensor<Other>&, BitTensor<Out>&) const {
    static_assert(detail::input_shape_of_layer<In, Other>::matches,
                  "BinaryConv input tensor shape does not match the shape the layer was bound to");
    static_assert(std::is_same_v<Out, output_shape>,
                  "BinaryConv output tensor shape does not match the layer's output shape");
  }

  [[nodiscard]] std::span<const std::int32_t> thresholds() const noexcept {
    return thresholds_.span().first(F);
  }
  [[nodiscard]] std::span<const std::uint64_t> flip_mask() const noexcept { return flip_.span(); }

 private:
  static constexpr int groups = int((F + filter_group - 1) / filter_group);
  static constexpr std::size_t padded_filters = std::size_t(groups) * filter_group;
  static constexpr std::size_t patch_words = K * K * In::words_per_pixel;

  /// Packs the weights; returns the popcount of each filter's weights at each tap (the border
  /// correction needs it once, at construction).
  std::vector<int> pack_weights(const std::vector<float>& w) {
    weights_ = AlignedBuffer<std::uint64_t>(padded_filters * patch_words);
    std::vector<int> tap_popcounts(F * K * K, 0);
    for (std::size_t f = 0; f < F; ++f)
      for (std::size_t t = 0; t < K * K; ++t)
        for (std::size_t c = 0; c < In::channels; ++c) {
          if (!sign_bit(w[(f * K * K + t) * In::channels + c])) continue;
          const std::size_t k = t * In::words_per_pixel + c / 64;
          weights_[((f / filter_group) * patch_words + k) * filter_group + f % filter_group] |=
              std::uint64_t{1} << (c % 64);
          ++tap_popcounts[f * K * K + t];
        }
    return tap_popcounts;
  }

  // One border class per distinct valid-tap range along each axis. For a class, filter f's sum
  // is s = valid_taps * C - 2 * (popcount - popcount of f's weights on padded taps), since padded
  // input words are zero; the raw bit s >= threshold becomes popcount <= a per-class bound.
  void build_count_bounds(const std::vector<int>& tap_popcounts) {
    auto classify = [](std::size_t out, std::size_t in, std::vector<std::int32_t>& cls,
                       std::vector<std::pair<int, int>>& ranges) {
      std::map<std::pair<int, int>, int> ids;
      for (std::size_t o = 0; o < out; ++o) {
        const int origin = int(o * Spec::stride) - int(Spec::pad);
        const std::pair<int, int> range{std::max(0, -origin), std::min(int(K), int(in) - origin)};
        auto [it, inserted] = ids.emplace(range, int(ranges.size()));
        if (inserted) ranges.push_back(range);
        cls.push_back(it->second);
      }
    };
    std::vector<std::pair<int, int>> rows, cols;
    std::vector<std::int32_t> row_cls, col_cls;
    classify(conv_shape::height, In::height, row_cls, rows);
    classify(conv_shape::width, In::width, col_cls, cols);
    row_class_ = AlignedBuffer<std::int32_t>(row_cls.size());
    std::copy(row_cls.begin(), row_cls.end(), row_class_.begin());
    col_class_ = AlignedBuffer<std::int32_t>(col_cls.size());
    std::copy(col_cls.begin(), col_cls.end(), col_class_.begin());
    col_classes_ = int(cols.size());
    count_bounds_ = AlignedBuffer<std::int64_t>(rows.size() * cols.size() * padded_filters);
    for (std::size_t r = 0; r < rows.size(); ++r)
      for (std::size_t c = 0; c < cols.size(); ++c)
        for (std::size_t f = 0; f < padded_filters; ++f) {
          std::int64_t& bound = count_bounds_[(r * cols.size() + c) * padded_filters + f];
          if (f >= F) {
            bound = -1;  // padding filters: never set
            continue;
          }
          std::int64_t valid_taps = 0, padded_ones = 0;
          for (int ky = 0; ky < int(K); ++ky)
            for (int kx = 0; kx < int(K); ++kx) {
              const bool valid = ky >= rows[r].first && ky < rows[r].second &&
                                 kx >= cols[c].first && kx < cols[c].second;
              if (valid)
                ++valid_taps;
              else
                padded_ones += tap_popcounts[f * K * K + std::size_t(ky) * K + std::size_t(kx)];
            }
          // s >= t  <=>  base - 2 * popcount >= t  <=>  popcount <= floor((base - t) / 2)
          const std::int64_t base = valid_taps * std::int64_t(In::channels) + 2 * padded_ones;
          const std::int64_t slack = base - thresholds_[f];
          bound = slack >= 0 ? slack / 2 : -1;
        }
  }

  [[nodiscard]] binary_conv_plan plan() const noexcept {
    binary_conv_plan p;
    p.in_h = int(In::height), p.in_w = int(In::width), p.in_words = int(In::words_per_pixel);
    p.kernel = int(K), p.stride = int(Spec::stride), p.pad = int(Spec::pad);
    p.out_h = int(conv_shape::height), p.out_w = int(conv_shape::width);
    p.filters = int(F), p.groups = groups;
    p.weights = weights_.data();
    p.row_class = row_class_.data(), p.col_class = col_class_.data();
    p.col_classes = col_classes_, p.count_bounds = count_bounds_.data();
    p.pool = detail::pool_geometry_of<conv_shape, output_shape, Pool>();
    p.flip = flip_.data();
    return p;
  }

  const kernel_table* kernels_;
  AlignedBuffer<std::uint64_t> weights_;
  AlignedBuffer<std::int32_t> row_class_, col_class_;
  AlignedBuffer<std::int64_t> count_bounds_;
  int col_classes_ = 0;
  AlignedBuffer<std::int32_t> thresholds_{padded_filters};
  AlignedBuffer<std::uint64_t> flip_{words_for_bits(F)};
};

DDNN_END_NAMESPACE
