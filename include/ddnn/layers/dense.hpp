// Dense: a float fully connected layer for the upper tiers: the float dense kernel's sums (one
// fixed order of summation, so a batch gives each sample the bits it gets alone), then
// BatchNorm + ReLU (hidden layers) or a per-output scale and bias (logits, exit heads).
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ddnn/core/aligned_buffer.hpp"
#include "ddnn/core/bit_tensor.hpp"
#include "ddnn/core/tensor.hpp"
#include "ddnn/kernels/dispatch.hpp"
#include "ddnn/layers/activation.hpp"
#include "ddnn/layers/batchnorm_sign.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/layer_kind.hpp"
#include "ddnn/layers/layer_support.hpp"

DDNN_BEGIN_NAMESPACE

namespace float_math {

/// A float dense layer's weights packed for the float dense kernel (kernels/float_dense.hpp).
/// Every sum it computes is the plain loop s = fma(w[o][k], x[k], s) over k = 0, 1, ... from
/// s = +0, whatever the number of samples and the ISA: one sample alone and the same sample in
/// any batch give the same bits, and so do packed inference and the trainer's simulation.
class DenseWeights {
 public:
  DenseWeights() = default;
  /// `weights` is outputs x inputs (a row per output); the kernels are `isa`'s (all ISAs give
  /// the same sums; they differ in speed only). Throws ddnn::error when `isa` does not run here.
  explicit DenseWeights(const Matrix& weights, isa_id isa = best_isa())
      : outputs_(std::size_t(weights.rows())),
        inputs_(std::size_t(weights.cols())),
        panels_(panel_count(outputs_) * float_panel_width * inputs_),
        kernels_(&kernels(isa)) {
    for (std::size_t o = 0; o < outputs_; ++o) {
      float* column = panels_.data() + (o / float_panel_width) * float_panel_width * inputs_ +
                      o % float_panel_width;
      for (std::size_t k = 0; k < inputs_; ++k)
        column[k * float_panel_width] = weights(Eigen::Index(o), Eigen::Index(k));
    }
  }

  [[nodiscard]] std::size_t outputs() const noexcept { return outputs_; }
  [[nodiscard]] std::size_t inputs() const noexcept { return inputs_; }

  /// sums (samples x outputs(), rows sums_stride floats apart) of x (samples x inputs(), rows
  /// x_stride floats apart).
  void sums(const float* x, std::size_t x_stride, std::size_t samples, float* sums,
            std::size_t sums_stride) const noexcept {
    const float_dense_plan plan{.outputs = outputs_, .depth = inputs_, .panels = panels_.data()};
    kernels_->float_dense(plan, x, x_stride, samples, sums, sums_stride);
  }

 private:
  static std::size_t panel_count(std::size_t outputs) noexcept {
    return (outputs + float_panel_width - 1) / float_panel_width;
  }

  std::size_t outputs_ = 0, inputs_ = 0;
  AlignedBuffer<float> panels_;
  const kernel_table* kernels_ = nullptr;
};

/// Batch dense sums: x is N x inputs; returns N x outputs, each row equal bit for bit to what
/// Dense computes for that sample before BatchNorm or scale and bias.
[[nodiscard]] inline Matrix dense(const Eigen::Ref<const Matrix>& x, const Matrix& weights) {
  if (x.cols() != weights.cols())
    detail::fail("float_math::dense: input has " + std::to_string(x.cols()) +
                 " columns, the weights " + std::to_string(weights.cols()));
  Matrix out(x.rows(), weights.rows());
  if (x.rows() == 0 || weights.rows() == 0) return out;
  DenseWeights(weights).sums(x.data(), std::size_t(x.outerStride()), std::size_t(x.rows()),
                             out.data(), std::size_t(out.outerStride()));
  return out;
}

}  // namespace float_math

template <ShapeType In, class Spec>
class DenseLayer;

/// Layer spec: `Dense<256>` maps any tensor to 256 floats, y = relu(batchnorm(W x));
/// `Dense<10, Activation::none>` to 10 logits, y = fma(scale, W x, bias) (as BinaryDense's).
/// Weights are real values [output][input value, HWC order], in the same DenseParameters.
template <std::size_t Outputs, Activation A = Activation::relu>
struct Dense {
  static_assert(Outputs >= 1, "Dense requires at least one output");
  static constexpr std::size_t outputs = Outputs;
  static constexpr Activation activation = A;
  static constexpr bool produces_logits = A == Activation::none;
  using parameters_type = DenseParameters;
  template <ShapeType In>
  using output_shape = Vector<Outputs>;
  template <ShapeType In>
  using bind = DenseLayer<In, Dense>;
};

/// Dense bound to input shape In. Reads a float tensor, or a bit tensor as +1.0f / -1.0f (the
/// values a binary device sends). Const and shareable between threads (scratch is per thread).
template <ShapeType In, class Spec>
class DenseLayer
    : public detail::returns_output<DenseLayer<In, Spec>, Tensor<float, In>, BitTensor<In>> {
  static constexpr std::size_t N = Spec::outputs;

 public:
  using input_shape = In;
  using spec_type = Spec;
  using output_shape = Vector<N>;
  using output_type = Tensor<float, output_shape>;
  static constexpr bool produces_logits = Spec::produces_logits;
  using parameters_type = DenseParameters;
  static constexpr std::size_t weight_count = N * In::size;

  // ---- the layer kind's pieces (layer_kind.hpp) ----
  static constexpr std::string_view kind = "Dense";
  static constexpr bool is_float = true;
  [[nodiscard]] static constexpr layer_description description() noexcept {
    return detail::dense_description(kind, N, produces_logits ? "logits" : "relu");
  }
  [[nodiscard]] static constexpr DenseExpectation expectation() noexcept {
    return {weight_count, N, produces_logits ? Output::logits : Output::bits,
            WeightEncoding::floats};
  }
  /// A float per weight; a scale and bias per logit, or a BatchNorm (4 floats) per output.
  static constexpr parameter_storage storage{32 * weight_count, (produces_logits ? 8 : 16) * N};
  /// Weights uniform in +-sqrt(3 / inputs); logit heads scales in [1, 2), others BatchNorm steps
  /// near 0.
  [[nodiscard]] static DenseParameters random_parameters(detail::random_stream& r) {
    DenseParameters p;
    p.weights = detail::random_floats(r, weight_count, In::size);
    if constexpr (produces_logits)
      detail::random_logit_head(r, N, 1.0f, p);
    else
      p.batchnorm = detail::random_batchnorm(r, N, 0, 1);
    return p;
  }

  /// Copies the weights and either the BatchNorms (relu) or the scales and biases (logits); the
  /// other fields are ignored. `isa` picks the float dense kernel (every ISA gives the same
  /// sums). Throws ddnn::error on wrong sizes, non-finite values or an invalid BatchNorm.
  explicit DenseLayer(const DenseParameters& parameters, isa_id isa = best_isa()) {
    detail::require_count(parameters.weights.size(), weight_count, "Dense weights");
    detail::require_finite(parameters.weights, "Dense weights");
    if constexpr (produces_logits) {
      detail::require_count(parameters.scale.size(), N, "Dense scale");
      detail::require_count(parameters.bias.size(), N, "Dense bias");
      detail::require_finite(parameters.scale, "Dense scale");
      detail::require_finite(parameters.bias, "Dense bias");
      scale_ = parameters.scale;
      bias_ = parameters.bias;
    } else {
      detail::require_count(parameters.batchnorm.size(), N, "Dense batchnorm");
      for (std::size_t n = 0; n < N; ++n)
        validate(parameters.batchnorm[n], "Dense output " + std::to_string(n));
      batchnorm_ = parameters.batchnorm;
    }
    weights_ = Eigen::Map<const float_math::Matrix>(parameters.weights.data(), Eigen::Index(N),
                                                    Eigen::Index(In::size));
    packed_ = float_math::DenseWeights(weights_, isa);
  }

  /// Throws ddnn::error when an input value is NaN or infinite, or an output overflowed.
  void forward(const Tensor<float, In>& input, output_type& output) const {
    detail::require_finite_input(input.values(), "Dense");
    run(input.data(), output.data(), scratch(0));
  }
  void forward(const BitTensor<In>& input, output_type& output) const {
    float* values = scratch(detail::scratch_floats(In::size));
    detail::signs_to_floats(input, values);
    run(values, output.data(), values + detail::scratch_floats(In::size));
  }
  /// The layer on many samples at once, as one matrix product: outputs[i] is what
  /// forward(inputs[i]) gives, bit for bit. Throws what forward() throws for the first sample
  /// that makes it throw (then no output is complete).
  template <class Input>
  requires(
      std::same_as<Input, Tensor<float, In>> ||
      std::same_as<Input, BitTensor<In>>) void forward_batch(std::span<const Input> inputs,
                                                             std::span<output_type> outputs) const {
    if (inputs.size() != outputs.size())
      detail::fail("Dense::forward_batch: " + std::to_string(inputs.size()) + " inputs but " +
                   std::to_string(outputs.size()) + " outputs");
    constexpr std::size_t K = detail::scratch_floats(In::size), S = detail::scratch_floats(N);
    for (std::size_t first = 0; first < inputs.size(); first += batch_block) {
      const std::size_t count = std::min(batch_block, inputs.size() - first);
      float* x = static_cast<float*>(detail::thread_scratch(count * (K + S) * sizeof(float)));
      float* sums = x + count * K;
      for (std::size_t i = 0; i < count; ++i) {
        const Input& input = inputs[first + i];
        if constexpr (std::same_as<Input, BitTensor<In>>) {
          detail::signs_to_floats(input, x + i * K);
        } else {
          detail::require_finite_input(input.values(), "Dense");
          std::copy_n(input.data(), In::size, x + i * K);
        }
      }
      packed_.sums(x, K, count, sums, S);
      for (std::size_t i = 0; i < count; ++i) finish(sums + i * S, outputs[first + i].data());
    }
  }

  /// Samples forward_batch() multiplies together: a block's inputs and the weights' panel it
  /// works on stay in cache together.
  static constexpr std::size_t batch_block = 64;
  static constexpr bool forward_batches = true;

  /// Any other input is a compile error that says what is wrong.
  template <class T, ShapeType Other, class Out>
  void forward(const Tensor<T, Other>&, Out&) const {
    static_assert(std::is_same_v<T, float>, "Dense takes a float Tensor or a BitTensor");
    static_assert(detail::input_shape_of_layer<In, Other>::matches,
                  "Dense input tensor shape does not match the shape the layer was bound to");
    static_assert(std::is_same_v<Out, output_type>,
                  "Dense output must be a float Tensor of the layer's output shape");
  }
  template <ShapeType Other, class Out>
  void forward(const BitTensor<Other>&, Out&) const {
    static_assert(detail::input_shape_of_layer<In, Other>::matches,
                  "Dense input tensor shape does not match the shape the layer was bound to");
    static_assert(std::is_same_v<Out, output_type>,
                  "Dense output must be a float Tensor of the layer's output shape");
  }

  /// outputs x inputs, row n = output n's weights over the HWC input values.
  [[nodiscard]] const float_math::Matrix& weights() const noexcept { return weights_; }
  [[nodiscard]] std::span<const BatchNorm> batchnorm() const noexcept { return batchnorm_; }
  [[nodiscard]] std::span<const float> scale() const noexcept { return scale_; }
  [[nodiscard]] std::span<const float> bias() const noexcept { return bias_; }

 private:
  // Per-thread scratch: `leading` floats for the caller, then the sums.
  [[nodiscard]] static float* scratch(std::size_t leading) {
    return static_cast<float*>(detail::thread_scratch((leading + N) * sizeof(float)));
  }

  void run(const float* input, float* output, float* sums) const {
    packed_.sums(input, In::size, 1, sums, N);
    finish(sums, output);
  }

  // The activation on one sample's sums.
  void finish(const float* sums, float* output) const {
    detail::require_finite_output({sums, N}, "Dense", "sum");
    if constexpr (produces_logits) {
      float_math::scale_bias(sums, output, scale_, bias_);
      detail::require_finite_output({output, N}, "Dense", "logit");
    } else {
      float_math::batchnorm_relu(sums, output, N, batchnorm_);
    }
  }

  float_math::Matrix weights_;
  float_math::DenseWeights packed_;
  std::vector<BatchNorm> batchnorm_;
  std::vector<float> scale_, bias_;
};

DDNN_END_NAMESPACE
