// BinaryDense: a fully connected layer on packed bits. Either bits -> bits through folded
// BatchNorm thresholds, or bits -> float logits with a per-output scale and bias (exit heads).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "ddnn/core/bit_tensor.hpp"
#include "ddnn/core/tensor.hpp"
#include "ddnn/kernels/dispatch.hpp"
#include "ddnn/layers/batchnorm_sign.hpp"
#include "ddnn/layers/layer_kind.hpp"
#include "ddnn/layers/layer_support.hpp"

DDNN_BEGIN_NAMESPACE

template <ShapeType In, class Spec>
class BinaryDenseLayer;

/// Layer spec: `BinaryDense<256>` maps any bit tensor to 256 bits; `BinaryDense<10,
/// Output::logits>` to 10 float logits, logit = fma(scale, s, bias) for the integer dot s.
template <std::size_t Outputs, Output Produces = Output::bits>
struct BinaryDense {
  static_assert(Outputs >= 1, "BinaryDense requires at least one output");
  static constexpr std::size_t outputs = Outputs;
  static constexpr Output produces = Produces;
  static constexpr bool produces_logits = Produces == Output::logits;
  using parameters_type = DenseParameters;
  template <ShapeType In>
  using output_shape = Vector<Outputs>;
  template <ShapeType In>
  using bind = BinaryDenseLayer<In, BinaryDense>;
};

template <ShapeType In, class Spec>
class BinaryDenseLayer : public detail::returns_output<BinaryDenseLayer<In, Spec>, BitTensor<In>> {
  static constexpr std::size_t N = Spec::outputs;
  static constexpr bool to_logits = Spec::produces == Output::logits;
  static constexpr int groups = int((N + filter_group - 1) / filter_group);

 public:
  using input_shape = In;
  using spec_type = Spec;
  using output_shape = Vector<N>;
  using output_type =
      std::conditional_t<to_logits, Tensor<float, output_shape>, BitTensor<output_shape>>;
  using parameters_type = DenseParameters;
  static constexpr std::size_t weight_count = N * In::size;

  // ---- the layer kind's pieces (layer_kind.hpp) ----
  static constexpr std::string_view kind = "BinaryDense";
  static constexpr bool is_float = false;
  [[nodiscard]] static constexpr layer_description description() noexcept {
    return detail::dense_description(kind, N, to_logits ? "logits" : "bits");
  }
  [[nodiscard]] static constexpr DenseExpectation expectation() noexcept {
    return {weight_count, N, Spec::produces, WeightEncoding::signs};
  }
  /// 1 bit per weight; a 4-byte scale and bias per logit, or a 4-byte threshold per bit.
  static constexpr parameter_storage storage{weight_count, (to_logits ? 8 : 4) * N};
  /// Signs; logit heads scales about 1 / sqrt(inputs), bit outputs BatchNorm steps within the
  /// sums' spread.
  [[nodiscard]] static DenseParameters random_parameters(detail::random_stream& r) {
    DenseParameters p;
    p.weights = detail::random_signs(r, weight_count);
    const float spread = std::sqrt(float(In::size));
    if constexpr (to_logits)
      detail::random_logit_head(r, N, spread, p);
    else
      p.batchnorm = detail::random_batchnorm(r, N, 0, spread);
    return p;
  }

  explicit BinaryDenseLayer(const DenseParameters& parameters, isa_id isa = best_isa())
      : kernels_(&kernels(isa)) {
    detail::require_count(parameters.weights.size(), weight_count, "BinaryDense weights");
    detail::require_finite(parameters.weights, "BinaryDense weights");
    weights_ = AlignedBuffer<std::uint64_t>(std::size_t(groups) * filter_group * In::words);
    for (std::size_t n = 0; n < N; ++n)
      for (std::size_t i = 0; i < In::size; ++i) {
        if (!sign_bit(parameters.weights[n * In::size + i])) continue;
        const std::size_t pixel = i / In::channels, c = i % In::channels;
        const std::size_t k = pixel * In::words_per_pixel + c / 64;
        weights_[((n / filter_group) * In::words + k) * filter_group + n % filter_group] |=
            std::uint64_t{1} << (c % 64);
      }
    if constexpr (to_logits) {
      detail::require_count(parameters.scale.size(), N, "BinaryDense scale");
      detail::require_count(parameters.bias.size(), N, "BinaryDense bias");
      detail::require_finite(parameters.scale, "BinaryDense scale");
      detail::require_finite(parameters.bias, "BinaryDense bias");
      std::copy(parameters.scale.begin(), parameters.scale.end(), scale_.begin());
      std::copy(parameters.bias.begin(), parameters.bias.end(), bias_.begin());
      // The kernel computes fmaf(scale, s, bias) for s in [-K, K]; rounding is monotone, so the
      // two ends bound every reachable logit. A head that can give an infinite logit is broken.
      for (std::size_t n = 0; n < N; ++n)
        if (!std::isfinite(reachable_logit(n, -1)) || !std::isfinite(reachable_logit(n, 1)))
          detail::fail("BinaryDense output " + std::to_string(n) + ": scale " +
                       std::to_string(scale_[n]) + " and bias " + std::to_string(bias_[n]) +
                       " give a non-finite logit for a reachable sum (+-" +
                       std::to_string(In::size) + ")");
    } else {
      detail::require_count(parameters.batchnorm.size(), N, "BinaryDense batchnorm");
      const auto k = std::int32_t(In::size);
      for (std::size_t n = 0; n < N; ++n) {
        validate(parameters.batchnorm[n], "BinaryDense output " + std::to_string(n));
        const auto folded = fold_integer(parameters.batchnorm[n], -k, k);
        // s = K - 2 * popcount >= t  <=>  popcount <= floor((K - t) / 2)
        const std::int64_t slack = std::int64_t{k} - folded.threshold;
        count_bounds_[n] = slack >= 0 ? slack / 2 : -1;
        if (folded.flip) flip_[n / 64] |= std::uint64_t{1} << (n % 64);
      }
      for (std::size_t n = N; n < count_bounds_.size(); ++n) count_bounds_[n] = -1;
    }
  }

  [[nodiscard]] isa_id isa() const noexcept { return kernels_->isa; }

  /// The largest |logit| any input can give (logit heads only): what an aggregator above may
  /// have to add up.
  [[nodiscard]] double max_abs_logit() const noexcept requires to_logits {
    double bound = 0.0;
    for (std::size_t n = 0; n < N; ++n)
      bound = std::max({bound, std::fabs(double(reachable_logit(n, -1))),
                        std::fabs(double(reachable_logit(n, 1)))});
    return bound;
  }

  void forward(const BitTensor<In>& input, output_type& output) const {
    const binary_dense_plan p = plan();
    if constexpr (to_logits)
      kernels_->binary_dense(p, input.data(), nullptr, output.data());
    else
      kernels_->binary_dense(p, input.data(), output.data(), nullptr);
  }
  template <ShapeType Other, class Out>
  void forward(const BitTensor<Other>&, Out&) const {
    static_assert(detail::input_shape_of_layer<In, Other>::matches,
                  "BinaryDense input tensor shape does not match the shape the layer was bound to");
  }

 private:
  // Output n's logit at the sum +K (end 1) or -K (end -1), as the kernel computes it.
  [[nodiscard]] float reachable_logit(std::size_t n, int end) const noexcept {
    return __builtin_fmaf(scale_[n], float(end) * float(In::size), bias_[n]);
  }

  [[nodiscard]] binary_dense_plan plan() const noexcept {
    binary_dense_plan p;
    p.in_words = int(In::words), p.in_bits = int(In::size);
    p.outputs = int(N), p.groups = groups;
    p.weights = weights_.data();
    p.logits = to_logits;
    p.count_bounds = count_bounds_.data(), p.flip = flip_.data();
    p.scale = scale_.data(), p.bias = bias_.data();
    return p;
  }

  const kernel_table* kernels_;
  AlignedBuffer<std::uint64_t> weights_;
  AlignedBuffer<std::int64_t> count_bounds_{std::size_t(groups) * filter_group};
  AlignedBuffer<std::uint64_t> flip_{words_for_bits(N)};
  AlignedBuffer<float> scale_{N}, bias_{N};
};

DDNN_END_NAMESPACE
