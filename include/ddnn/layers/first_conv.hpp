// FirstConv: the device's first layer. Sensor input (uint8, int8 or float, HWC) against binary
// weights, exact integer sums for 8-bit input, then max-pool and folded BatchNorm+sign into bits.
#pragma once
#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "ddnn/core/bit_tensor.hpp"
#include "ddnn/core/tensor.hpp"
#include "ddnn/core/window.hpp"
#include "ddnn/kernels/dispatch.hpp"
#include "ddnn/layers/batchnorm_sign.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/layer_kind.hpp"
#include "ddnn/layers/layer_support.hpp"
#include "ddnn/layers/max_pool.hpp"

DDNN_BEGIN_NAMESPACE

template <ShapeType In, class Spec>
class FirstConvLayer;

/// Layer spec, like BinaryConv but for non-binary input:
/// `FirstConv<4, 3, 1, 1, MaxPool<3, 2, 1>>::bind<Shape<32, 32, 3>>`.
template <std::size_t Filters, std::size_t Kernel, std::size_t Stride = 1, std::size_t Pad = 0,
          PoolWindow Pool = NoPool>
struct FirstConv : BinaryConv<Filters, Kernel, Stride, Pad, Pool> {
  template <ShapeType In>
  using bind = FirstConvLayer<In, FirstConv>;
};

template <ShapeType In, class Spec>
class FirstConvLayer
    : public detail::windowed_layer<In, Spec, WeightEncoding::signs>,
      public detail::returns_output<FirstConvLayer<In, Spec>, Tensor<std::uint8_t, In>,
                                    Tensor<std::int8_t, In>, Tensor<float, In>> {
  static constexpr std::size_t F = Spec::filters;
  static constexpr std::size_t K = Spec::kernel;
  static_assert(window_fits(In::height, K, Spec::pad),
                "FirstConv kernel is taller than the zero-padded input");
  static_assert(window_fits(In::width, K, Spec::pad),
                "FirstConv kernel is wider than the zero-padded input");
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
                "FirstConv pooling window is larger than the padded conv output");
  /// Largest |sum| for 8-bit input (255 per tap and channel).
  static constexpr std::int32_t max_sum = std::int32_t(255 * K * K * In::channels);

  // ---- the layer kind's pieces (layer_kind.hpp) ----
  static constexpr std::string_view kind = "FirstConv";
  [[nodiscard]] static constexpr layer_description description() noexcept {
    return detail::window_description<Spec>(kind);
  }
  /// Signs, and BatchNorm steps within the spread of sums of 8-bit values (mean ~128) under
  /// random signs: about 128 * sqrt(taps).
  [[nodiscard]] static ConvParameters random_parameters(detail::random_stream& r) {
    constexpr std::size_t taps = K * K * In::channels;
    const float spread = 128.0f * std::sqrt(float(taps));
    return {detail::random_signs(r, weight_count), detail::random_batchnorm(r, F, 0, spread)};
  }

  explicit FirstConvLayer(const ConvParameters& parameters, isa_id isa = best_isa())
      : kernels_(&kernels(isa)) {
    detail::require_count(parameters.weights.size(), weight_count, "FirstConv weights");
    detail::require_count(parameters.batchnorm.size(), F, "FirstConv batchnorm");
    detail::require_finite(parameters.weights, "FirstConv weights");
    for (std::size_t i = 0; i < weight_count; ++i)
      signs_[i] = sign_bit(parameters.weights[i]) ? 1 : -1;
    for (std::size_t f = 0; f < F; ++f) {
      validate(parameters.batchnorm[f], "FirstConv filter " + std::to_string(f));
      const auto integer = fold_integer(parameters.batchnorm[f], -max_sum, max_sum);
      const auto real = fold_float(parameters.batchnorm[f]);
      int_thresholds_[f] = integer.threshold;
      float_thresholds_[f] = real.threshold;
      if (integer.flip) flip_[f / 64] |= std::uint64_t{1} << (f % 64);
    }
  }

  [[nodiscard]] isa_id isa() const noexcept { return kernels_->isa; }

  void forward(const Tensor<std::uint8_t, In>& input, BitTensor<output_shape>& output) const {
    const first_conv_plan p = plan();
    kernels_->first_conv_u8(p, input.data(), output.data(),
                            detail::thread_scratch(scratch_bytes(p)));
  }
  void forward(const Tensor<std::int8_t, In>& input, BitTensor<output_shape>& output) const {
    const first_conv_plan p = plan();
    kernels_->first_conv_i8(p, input.data(), output.data(),
                            detail::thread_scratch(scratch_bytes(p)));
  }
  /// Throws ddnn::error when an input value is NaN or infinite.
  void forward(const Tensor<float, In>& input, BitTensor<output_shape>& output) const {
    const first_conv_plan p = plan();
    if (!kernels_->first_conv_f32(p, input.data(), output.data(),
                                  detail::thread_scratch(scratch_bytes(p))))
      detail::fail("FirstConv: input contains a NaN or infinite value");
  }
  template <class T, ShapeType Other, class Out>
  void forward(const Tensor<T, Other>&, Out&) const {
    static_assert(detail::input_shape_of_layer<In, Other>::matches,
                  "FirstConv input tensor shape does not match the shape the layer was bound to");
  }

 private:
  [[nodiscard]] first_conv_plan plan() const noexcept {
    first_conv_plan p;
    p.in_h = int(In::height), p.in_w = int(In::width), p.channels = int(In::channels);
    p.kernel = int(K), p.stride = int(Spec::stride), p.pad = int(Spec::pad);
    p.out_h = int(conv_shape::height), p.out_w = int(conv_shape::width), p.filters = int(F);
    p.weight_signs = signs_.data();
    p.pool = detail::pool_geometry_of<conv_shape, output_shape, Pool>();
    p.int_thresholds = int_thresholds_.data(), p.float_thresholds = float_thresholds_.data();
    p.flip = flip_.data();
    return p;
  }

  const kernel_table* kernels_;
  AlignedBuffer<std::int8_t> signs_{weight_count};
  AlignedBuffer<std::int32_t> int_thresholds_{F};
  AlignedBuffer<float> float_thresholds_{F};
  AlignedBuffer<std::uint64_t> flip_{words_for_bits(F)};
};

DDNN_END_NAMESPACE
