// Trainable twins of the convolution blocks: FirstConv and BinaryConv (sign weights, then
// max-pool, BatchNorm and sign) and float Conv (BatchNorm, ReLU, max-pool).
#pragma once
#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/conv.hpp"
#include "ddnn/layers/first_conv.hpp"
#include "ddnn/train/trainable.hpp"
#include "ddnn/train/trainable_blocks.hpp"

DDNN_BEGIN_NAMESPACE
namespace train {

/// Binary convolution blocks (FirstConv on sensor values, BinaryConv on +-1):
/// sign(BatchNorm(maxpool(conv(x, sign(w))))).
template <class Layer>
class BinaryConvTrainer {
  using In = typename Layer::input_shape;
  using Spec = typename Layer::spec_type;
  using Out = typename Layer::output_shape;
  using Pool = typename Spec::pool;
  static constexpr bool pooled = !std::is_same_v<Pool, NoPool>;
  static constexpr std::size_t F = Spec::filters;
  /// A BinaryConv reads the signs of the block before (+1 or -1), a FirstConv sensor values.
  static constexpr bool sign_inputs = std::is_same_v<Layer, BinaryConvLayer<In, Spec>>;

 public:
  using layer_type = Layer;
  using parameters_type = ConvParameters;
  static constexpr std::size_t input_size = In::size, output_size = Out::size;
  static constexpr bool produces_logits = false;

  explicit BinaryConvTrainer(ddnn::detail::random_stream& r)
      : conv_(Layer::geometry),
        pool_(Layer::pool_geometry),
        state_(F, Layer::geometry.patch_size(), r, F * Spec::kernel * Spec::kernel) {}

  [[nodiscard]] Matrix forward(const Matrix& x, const RunContext& ctx) {
    signs_ = detail::signs_of(state_.weights);
    Matrix sums = sign_inputs && !ctx.train ? conv_.template forward_signs<F>(x, signs_, ctx)
                                            : conv_.forward(x, signs_, ctx, false);
    Matrix pooled_sums = pooled ? pool_.forward(sums, ctx) : std::move(sums);
    auto z = detail::as_pixels(pooled_sums, F);
    if (ctx.train)
      state_.bn.forward_train(z);
    else
      state_.bn.forward_eval(z);
    Matrix bits = sign_forward(pooled_sums);
    if (ctx.train) normalized_ = std::move(pooled_sums);  // what backward's sign gradient reads
    return bits;
  }

  [[nodiscard]] Matrix backward(const Matrix& d_out, bool need_dx, const RunContext& ctx) {
    Matrix d = sign_backward(normalized_, d_out);
    state_.bn.backward(detail::as_pixels(d, F));
    const Matrix d_sums = pooled ? pool_.backward(d, ctx) : std::move(d);
    return conv_.backward(d_sums, signs_, state_.grad, need_dx, ctx);
  }

  void parameters(std::vector<ParameterRef>& out, const std::string& prefix) {
    state_.parameters(out, prefix, true);
  }
  void zero_grad() { state_.zero_grad(); }
  /// f(BatchNormTrainer&) for its BatchNorm.
  template <class F>
  void for_each_batchnorm(F&& f) {
    f(state_.bn);
  }
  [[nodiscard]] ConvParameters exported() const { return state_.exported(); }

 private:
  detail::ConvCore conv_;
  detail::PoolTrainer pool_;
  detail::ConvState state_;
  Matrix signs_, normalized_;
};

template <ShapeType In, class Spec>
class Trainable<FirstConvLayer<In, Spec>> : public BinaryConvTrainer<FirstConvLayer<In, Spec>> {
  using BinaryConvTrainer<FirstConvLayer<In, Spec>>::BinaryConvTrainer;
};
template <ShapeType In, class Spec>
class Trainable<BinaryConvLayer<In, Spec>> : public BinaryConvTrainer<BinaryConvLayer<In, Spec>> {
  using BinaryConvTrainer<BinaryConvLayer<In, Spec>>::BinaryConvTrainer;
};

/// Float Conv: maxpool(relu(BatchNorm(conv(x, w)))).
template <ShapeType In, class Spec>
class Trainable<ConvLayer<In, Spec>> {
  using Layer = ConvLayer<In, Spec>;
  using Out = typename Layer::output_shape;
  using Pool = typename Spec::pool;
  static constexpr bool pooled = !std::is_same_v<Pool, NoPool>;
  static constexpr std::size_t F = Spec::filters;

 public:
  using layer_type = Layer;
  using parameters_type = ConvParameters;
  static constexpr std::size_t input_size = In::size, output_size = Out::size;
  static constexpr bool produces_logits = false;

  explicit Trainable(ddnn::detail::random_stream& r)
      : conv_(Layer::geometry),
        pool_(Layer::pool_geometry),
        state_(F, Layer::geometry.patch_size(), r, F * Spec::kernel * Spec::kernel) {}

  [[nodiscard]] Matrix forward(const Matrix& x, const RunContext& ctx) {
    Matrix z = conv_.forward(x, state_.weights, ctx, !ctx.train);
    if (!ctx.train) {  // exactly ConvLayer's arithmetic
      state_.bn.record(detail::as_pixels(z, F));
      float_math::batchnorm_relu(z, state_.bn.exported());
      return pooled ? pool_.forward(z, ctx) : z;
    }
    state_.bn.forward_train(detail::as_pixels(z, F));
    normalized_ = z;
    z = z.cwiseMax(0.0f);
    return pooled ? pool_.forward(z, ctx) : z;
  }

  [[nodiscard]] Matrix backward(const Matrix& d_out, bool need_dx, const RunContext& ctx) {
    Matrix d = pooled ? pool_.backward(d_out, ctx) : d_out;
    d = (normalized_.array() > 0.0f).select(d.array(), 0.0f).matrix();
    state_.bn.backward(detail::as_pixels(d, F));
    return conv_.backward(d, state_.weights, state_.grad, need_dx, ctx);
  }

  void parameters(std::vector<ParameterRef>& out, const std::string& prefix) {
    state_.parameters(out, prefix, false);
  }
  void zero_grad() { state_.zero_grad(); }
  /// f(BatchNormTrainer&) for its BatchNorm.
  template <class F>
  void for_each_batchnorm(F&& f) {
    f(state_.bn);
  }
  [[nodiscard]] ConvParameters exported() const { return state_.exported(); }

 private:
  detail::ConvCore conv_;
  detail::PoolTrainer pool_;
  detail::ConvState state_;
  Matrix normalized_;
};

}  // namespace train
DDNN_END_NAMESPACE
