// Trainable<Layer>: the training-time twin of every inference layer type (FirstConv, BinaryConv,
// BinaryDense, MaxPool, Conv, Dense). A batch is a float Matrix with a sample per row, each row
// a tensor's values in HWC order; bits are the values +1 and -1.
//
// Binary layers keep float shadow weights and use their signs (ddnn::sign_bit, as packing does)
// on the forward pass; the weight gradient passes straight through (weights stay in [-1, 1]).
// Their sums over +-1 or 8-bit values are integers, exact in float, so the zero-padded float
// convolution is the inference rule (a padded tap contributes 0). Binary blocks run
// conv -> max-pool -> BatchNorm -> sign (straight-through gradient where |x| <= 1), float Conv
// runs conv -> BatchNorm -> ReLU -> max-pool, logit heads fma(scale, sum, bias).
//
// In eval mode every layer computes exactly what the packed layer computes: BatchNorm through
// ddnn::batchnorm() with the exported running statistics, float sums through the float_math
// functions the float layers use, logits through fma. That is the "training-time float
// simulation" that the exactness test compares with packed inference.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "ddnn/graph/random_parameters.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/conv.hpp"
#include "ddnn/layers/dense.hpp"
#include "ddnn/layers/first_conv.hpp"
#include "ddnn/layers/max_pool.hpp"
#include "ddnn/train/batchnorm_train.hpp"
#include "ddnn/train/parallel.hpp"
#include "ddnn/train/straight_through.hpp"

DDNN_BEGIN_NAMESPACE
namespace train {

using float_math::Matrix;
using float_math::window_geometry;

/// How a forward or backward pass runs: training (batch statistics, caches for backward) or
/// evaluation (inference arithmetic), and on which threads.
struct RunContext {
  bool train = true;
  WorkerPool* pool = nullptr;  ///< null: the chunks run one after another on this thread
  /// Training only: the probability that an input value of a float Dense layer is dropped,
  /// and the seed of this step's masks, which with_stream() makes distinct per node and layer.
  double dropout = 0.0;
  std::uint64_t stream = 0;

  /// This context with a random stream of its own for part `salt` (a node, a layer).
  [[nodiscard]] RunContext with_stream(std::uint64_t salt) const noexcept {
    RunContext c = *this;
    ddnn::detail::random_stream mix(stream ^ (0xd1b54a32d192ed03u * (salt + 1)));
    c.stream = mix.next();
    return c;
  }
  /// Batches are cut into this many row chunks whatever the thread count; partial sums are
  /// added in chunk order, so results do not depend on the threads.
  static constexpr std::size_t chunks = 2;

  /// f(first_row, end_row, chunk) for each chunk of `rows`.
  template <class F>
  void for_chunks(std::size_t rows, F&& f) const {
    const std::function<void(std::size_t)> task = [&](std::size_t c) {
      const std::size_t begin = rows * c / chunks, end = rows * (c + 1) / chunks;
      if (begin < end) f(begin, end, c);
    };
    if (pool != nullptr)
      pool->run(chunks, task);
    else
      for (std::size_t c = 0; c < chunks; ++c) task(c);
  }
};

/// A parameter tensor as the optimizer sees it.
struct ParameterRef {
  std::string name;
  std::span<float> values;
  std::span<float> gradient;
  bool clip = false;  ///< binary shadow weights: clipped to [-1, 1]
};

namespace detail {

/// Uniform in [-a, a) with a = sqrt(6 / (fan_in + fan_out)) (Glorot), at most 1.
inline void glorot(Matrix& w, std::size_t fan_in, std::size_t fan_out,
                   ddnn::detail::random_stream& r) {
  const float a = std::min(1.0f, float(std::sqrt(6.0 / double(fan_in + fan_out))));
  for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = a * r.symmetric();
}

inline Matrix signs_of(const Matrix& w) { return sign_forward(w); }

/// The inverse of float_math::im2col: adds each patch value back to the input position it came
/// from (padded taps have none).
inline void col2im_add(const float* patches, const window_geometry& g, float* sample) noexcept {
  const std::size_t c = g.channels, k = g.kernel;
  for (std::size_t oy = 0; oy < g.out_h; ++oy)
    for (std::size_t ox = 0; ox < g.out_w; ++ox)
      for (std::size_t ky = 0; ky < k; ++ky) {
        const std::ptrdiff_t y = std::ptrdiff_t(oy * g.stride + ky) - std::ptrdiff_t(g.pad);
        for (std::size_t kx = 0; kx < k; ++kx, patches += c) {
          const std::ptrdiff_t x = std::ptrdiff_t(ox * g.stride + kx) - std::ptrdiff_t(g.pad);
          if (y < 0 || y >= std::ptrdiff_t(g.in_h) || x < 0 || x >= std::ptrdiff_t(g.in_w))
            continue;
          float* to = sample + (std::size_t(y) * g.in_w + std::size_t(x)) * c;
          for (std::size_t j = 0; j < c; ++j) to[j] += patches[j];
        }
      }
}

/// One sample's max-pool that also records, per output value, the input pixel that won (the
/// first in window order on ties; padded taps never win).
inline void max_pool_argmax(const float* in, const window_geometry& g, float* out,
                            std::int32_t* arg) noexcept {
  const std::size_t c = g.channels;
  for (std::size_t py = 0; py < g.out_h; ++py)
    for (std::size_t px = 0; px < g.out_w; ++px, out += c, arg += c) {
      std::fill_n(out, c, -std::numeric_limits<float>::infinity());
      std::fill_n(arg, c, -1);
      for (std::size_t ky = 0; ky < g.kernel; ++ky) {
        const std::ptrdiff_t y = std::ptrdiff_t(py * g.stride + ky) - std::ptrdiff_t(g.pad);
        if (y < 0 || y >= std::ptrdiff_t(g.in_h)) continue;
        for (std::size_t kx = 0; kx < g.kernel; ++kx) {
          const std::ptrdiff_t x = std::ptrdiff_t(px * g.stride + kx) - std::ptrdiff_t(g.pad);
          if (x < 0 || x >= std::ptrdiff_t(g.in_w)) continue;
          const auto pixel = std::int32_t(std::size_t(y) * g.in_w + std::size_t(x));
          const float* i = in + std::size_t(pixel) * c;
          for (std::size_t j = 0; j < c; ++j)
            if (i[j] > out[j] || arg[j] < 0) out[j] = i[j], arg[j] = pixel;
        }
      }
    }
}

/// Pooling with its backward pass over a batch.
class PoolTrainer {
 public:
  explicit PoolTrainer(window_geometry g) : g_(g) {}

  [[nodiscard]] Matrix forward(const Matrix& x, const RunContext& ctx) {
    const std::size_t out_size = g_.out_pixels() * g_.channels;
    Matrix out(x.rows(), Eigen::Index(out_size));
    if (ctx.train) arg_.resize(std::size_t(x.rows()) * out_size);
    ctx.for_chunks(std::size_t(x.rows()), [&](std::size_t b, std::size_t e, std::size_t) {
      for (std::size_t r = b; r < e; ++r) {
        if (ctx.train)
          max_pool_argmax(x.row(Eigen::Index(r)).data(), g_, out.row(Eigen::Index(r)).data(),
                          arg_.data() + r * out_size);
        else
          float_math::max_pool(x.row(Eigen::Index(r)).data(), g_, out.row(Eigen::Index(r)).data());
      }
    });
    return out;
  }

  /// The gradient w.r.t. the pool's input: each output's gradient goes to its winner.
  [[nodiscard]] Matrix backward(const Matrix& d, const RunContext& ctx) const {
    const std::size_t out_size = g_.out_pixels() * g_.channels, c = g_.channels;
    Matrix dx = Matrix::Zero(d.rows(), Eigen::Index(g_.in_size()));
    ctx.for_chunks(std::size_t(d.rows()), [&](std::size_t b, std::size_t e, std::size_t) {
      for (std::size_t r = b; r < e; ++r) {
        const float* dr = d.row(Eigen::Index(r)).data();
        float* to = dx.row(Eigen::Index(r)).data();
        const std::int32_t* a = arg_.data() + r * out_size;
        for (std::size_t i = 0; i < out_size; ++i) to[std::size_t(a[i]) * c + i % c] += dr[i];
      }
    });
    return dx;
  }

  [[nodiscard]] const window_geometry& geometry() const noexcept { return g_; }

 private:
  window_geometry g_;
  std::vector<std::int32_t> arg_;
};

/// The convolution part shared by binary and float conv layers: im2col + one GEMM per chunk,
/// and the two GEMMs of its backward pass.
class ConvCore {
 public:
  explicit ConvCore(window_geometry g) : g_(g) {}

  /// Sums (rows x out_pixels * filters) of x against `w` (filters x patch). With
  /// `exact_rows`, each row is computed as float_math::conv computes it (the float layers'
  /// inference arithmetic); otherwise as one GEMM per chunk (patches kept for backward).
  [[nodiscard]] Matrix forward(const Matrix& x, const Matrix& w, const RunContext& ctx,
                               bool exact_rows) {
    const auto n = std::size_t(x.rows());
    const auto pixels = g_.out_pixels(), depth = g_.patch_size();
    const auto filters = std::size_t(w.rows());
    if (exact_rows) return float_math::conv(x, g_, w);
    patches_.resize(Eigen::Index(n * pixels), Eigen::Index(depth));
    Matrix sums(Eigen::Index(n), Eigen::Index(pixels * filters));
    ctx.for_chunks(n, [&](std::size_t b, std::size_t e, std::size_t) {
      for (std::size_t r = b; r < e; ++r)
        float_math::im2col(x.row(Eigen::Index(r)).data(), g_,
                           patches_.row(Eigen::Index(r * pixels)).data());
      const auto rows = Eigen::Index((e - b) * pixels);
      Eigen::Map<Matrix> out(sums.row(Eigen::Index(b)).data(), rows, Eigen::Index(filters));
      out.noalias() = patches_.middleRows(Eigen::Index(b * pixels), rows) * w.transpose();
    });
    return sums;
  }

  /// From d sums (rows x out_pixels * filters): adds d w to `grad_w` (partials summed in chunk
  /// order) and, when asked, returns d x (else an empty matrix).
  [[nodiscard]] Matrix backward(const Matrix& d, const Matrix& w, Matrix& grad_w, bool need_dx,
                                const RunContext& ctx) const {
    const auto n = std::size_t(d.rows());
    const auto pixels = g_.out_pixels();
    const auto filters = Eigen::Index(w.rows());
    std::vector<Matrix> partial(RunContext::chunks);
    Matrix dx;
    if (need_dx) dx = Matrix::Zero(Eigen::Index(n), Eigen::Index(g_.in_size()));
    ctx.for_chunks(n, [&](std::size_t b, std::size_t e, std::size_t c) {
      const auto rows = Eigen::Index((e - b) * pixels);
      const Eigen::Map<const Matrix> dsum(d.row(Eigen::Index(b)).data(), rows, filters);
      const auto patches = patches_.middleRows(Eigen::Index(b * pixels), rows);
      partial[c].noalias() = dsum.transpose() * patches;
      if (!need_dx) return;
      Matrix dpatches = dsum * w;
      for (std::size_t r = b; r < e; ++r)
        col2im_add(dpatches.row(Eigen::Index((r - b) * pixels)).data(), g_,
                   dx.row(Eigen::Index(r)).data());
    });
    for (const Matrix& p : partial)
      if (p.size() != 0) grad_w += p;
    return dx;
  }

  [[nodiscard]] const window_geometry& geometry() const noexcept { return g_; }

 private:
  window_geometry g_;
  Matrix patches_;
};

/// A conv block's trained values: filters x patch weights with their gradient, and a BatchNorm
/// per filter.
struct ConvState {
  ConvState(std::size_t filters, std::size_t patch, ddnn::detail::random_stream& r,
            std::size_t fan_out)
      : weights(Eigen::Index(filters), Eigen::Index(patch)),
        grad(Matrix::Zero(weights.rows(), weights.cols())),
        bn(filters) {
    glorot(weights, patch, fan_out, r);
  }
  /// `clip`: binary shadow weights, kept in [-1, 1].
  void parameters(std::vector<ParameterRef>& out, const std::string& prefix, bool clip) {
    out.push_back({prefix + "weights",
                   {weights.data(), std::size_t(weights.size())},
                   {grad.data(), std::size_t(grad.size())},
                   clip});
    out.push_back({prefix + "gamma", bn.gamma, bn.grad_gamma, false});
    out.push_back({prefix + "beta", bn.beta, bn.grad_beta, false});
  }
  void zero_grad() {
    grad.setZero();
    bn.zero_grad();
  }
  [[nodiscard]] ConvParameters exported() const {
    ConvParameters p;
    p.weights.assign(weights.data(), weights.data() + weights.size());
    p.batchnorm = bn.exported();
    return p;
  }

  Matrix weights, grad;
  BatchNormTrainer bn;
};

/// (rows x pixels*channels) viewed as (rows*pixels) x channels.
inline Eigen::Map<Matrix> as_pixels(Matrix& m, std::size_t channels) {
  return {m.data(), m.size() / Eigen::Index(channels), Eigen::Index(channels)};
}

template <class Layer>
struct always_false : std::false_type {};

}  // namespace detail

/// The trainable twin of a bound layer type; specialised below for every layer kind.
template <class Layer>
class Trainable {
  static_assert(detail::always_false<Layer>::value,
                "Trainable: this layer type has no training implementation (supported: "
                "FirstConv, BinaryConv, BinaryDense, MaxPool, Conv, Dense)");
};

/// Binary convolution blocks (FirstConv on sensor values, BinaryConv on +-1):
/// sign(BatchNorm(maxpool(conv(x, sign(w))))).
template <class Layer>
class BinaryConvTrainer {
  using In = typename Layer::input_shape;
  using Spec = typename Layer::spec_type;
  using ConvShape = typename Layer::conv_shape;
  using Out = typename Layer::output_shape;
  using Pool = typename Spec::pool;
  static constexpr bool pooled = !std::is_same_v<Pool, NoPool>;
  static constexpr std::size_t F = Spec::filters;

 public:
  using layer_type = Layer;
  using parameters_type = ConvParameters;
  static constexpr std::size_t input_size = In::size, output_size = Out::size;
  static constexpr bool produces_logits = false;

  explicit BinaryConvTrainer(ddnn::detail::random_stream& r)
      : conv_(window_geometry::of(In::height, In::width, In::channels, Spec::kernel, Spec::stride,
                                  Spec::pad)),
        pool_(window_geometry::of(ConvShape::height, ConvShape::width, F, Pool::kernel,
                                  Pool::stride, Pool::pad)),
        state_(F, conv_.geometry().patch_size(), r, F * Spec::kernel * Spec::kernel) {}

  [[nodiscard]] Matrix forward(const Matrix& x, const RunContext& ctx) {
    signs_ = detail::signs_of(state_.weights);
    Matrix sums = conv_.forward(x, signs_, ctx, false);
    Matrix pooled_sums = pooled ? pool_.forward(sums, ctx) : std::move(sums);
    auto z = detail::as_pixels(pooled_sums, F);
    if (ctx.train)
      state_.bn.forward_train(z);
    else
      state_.bn.forward_eval(z);
    if (ctx.train) normalized_ = pooled_sums;
    return sign_forward(pooled_sums);
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
  using ConvShape = typename Layer::conv_shape;
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
  [[nodiscard]] ConvParameters exported() const { return state_.exported(); }

 private:
  detail::ConvCore conv_;
  detail::PoolTrainer pool_;
  detail::ConvState state_;
  Matrix normalized_;
};

/// Dense layers, binary (sign weights; bits through BatchNorm + sign, or logits) and float
/// (BatchNorm + ReLU, or logits). Logits are fma(scale, W x, bias).
template <class Layer, bool Binary, bool Logits>
class DenseTrainer {
  using In = typename Layer::input_shape;
  static constexpr std::size_t N = Layer::output_shape::size;

 public:
  using layer_type = Layer;
  using parameters_type = DenseParameters;
  static constexpr std::size_t input_size = In::size, output_size = N;
  static constexpr bool produces_logits = Logits;

  explicit DenseTrainer(ddnn::detail::random_stream& r)
      : weights_(Eigen::Index(N), Eigen::Index(In::size)),
        grad_(Matrix::Zero(weights_.rows(), weights_.cols())),
        bn_(Logits ? 0 : N) {
    detail::glorot(weights_, In::size, N, r);
    if constexpr (Logits) {
      // a binary dot over n inputs is of order sqrt(n): start with logits of order 1
      scale_.assign(N, Binary ? float(1.0 / std::sqrt(double(In::size))) : 1.0f);
      bias_.assign(N, 0.0f);
      grad_scale_.assign(N, 0.0f);
      grad_bias_.assign(N, 0.0f);
    }
  }

  [[nodiscard]] Matrix forward(const Matrix& x, const RunContext& ctx) {
    if constexpr (Binary) used_ = detail::signs_of(weights_);
    const Matrix& w = Binary ? used_ : weights_;
    dropped_ = !Binary && ctx.train && ctx.dropout > 0.0;
    if (dropped_) {
      // inverted dropout: kept inputs are scaled by 1 / (1 - p), so eval needs no change
      drop_mask_.resize(x.rows(), x.cols());
      ddnn::detail::random_stream rng(ctx.stream);
      const float keep = float(1.0 / (1.0 - ctx.dropout));
      for (Eigen::Index i = 0; i < drop_mask_.size(); ++i)
        drop_mask_.data()[i] = double(rng.next() >> 11) * 0x1.0p-53 < ctx.dropout ? 0.0f : keep;
    }
    // Binary sums are integers (exact in any order); float sums in eval mode follow Dense's own
    // per-sample product so that they agree with it bit for bit.
    if (ctx.train) input_ = dropped_ ? Matrix(x.cwiseProduct(drop_mask_)) : x;
    const Matrix& in = ctx.train ? input_ : x;  // what the layer saw (dropped when training)
    Matrix sums = (!Binary && !ctx.train) ? float_math::dense(x, w) : Matrix(in * w.transpose());
    if constexpr (Logits) {
      if (ctx.train) sums_ = sums;
      float_math::scale_bias(sums, scale_, bias_);
      return sums;
    } else {
      if (!Binary && !ctx.train) {  // exactly Dense's arithmetic
        float_math::batchnorm_relu(sums, bn_.exported());
        return sums;
      }
      auto z = detail::as_pixels(sums, N);
      if (ctx.train)
        bn_.forward_train(z);
      else
        bn_.forward_eval(z);
      if (ctx.train) normalized_ = sums;
      if constexpr (Binary)
        return sign_forward(sums);
      else
        return sums.cwiseMax(0.0f);
    }
  }

  [[nodiscard]] Matrix backward(const Matrix& d_out, bool need_dx, const RunContext&) {
    const Matrix& w = Binary ? used_ : weights_;
    Matrix d;
    if constexpr (Logits) {
      d = d_out;
      for (Eigen::Index r = 0; r < d.rows(); ++r)
        for (std::size_t n = 0; n < N; ++n) {
          const auto i = Eigen::Index(n);
          grad_scale_[n] += d(r, i) * sums_(r, i);
          grad_bias_[n] += d(r, i);
          d(r, i) *= scale_[n];
        }
    } else {
      if constexpr (Binary)
        d = sign_backward(normalized_, d_out);
      else
        d = (normalized_.array() > 0.0f).select(d_out.array(), 0.0f).matrix();
      bn_.backward(detail::as_pixels(d, N));
    }
    grad_.noalias() += d.transpose() * input_;
    if (!need_dx) return {};
    if (dropped_) return (d * w).cwiseProduct(drop_mask_);
    return d * w;
  }

  void parameters(std::vector<ParameterRef>& out, const std::string& prefix) {
    out.push_back({prefix + "weights",
                   {weights_.data(), std::size_t(weights_.size())},
                   {grad_.data(), std::size_t(grad_.size())},
                   Binary});
    if constexpr (Logits) {
      out.push_back({prefix + "scale", scale_, grad_scale_, false});
      out.push_back({prefix + "bias", bias_, grad_bias_, false});
    } else {
      out.push_back({prefix + "gamma", bn_.gamma, bn_.grad_gamma, false});
      out.push_back({prefix + "beta", bn_.beta, bn_.grad_beta, false});
    }
  }
  void zero_grad() {
    grad_.setZero();
    bn_.zero_grad();
    std::fill(grad_scale_.begin(), grad_scale_.end(), 0.0f);
    std::fill(grad_bias_.begin(), grad_bias_.end(), 0.0f);
  }
  [[nodiscard]] DenseParameters exported() const {
    DenseParameters p;
    p.weights.assign(weights_.data(), weights_.data() + weights_.size());
    if constexpr (Logits) {
      p.scale = scale_;
      p.bias = bias_;
    } else {
      p.batchnorm = bn_.exported();
    }
    return p;
  }

 private:
  Matrix weights_, grad_, used_, input_, sums_, normalized_;
  Matrix drop_mask_;      // this step's dropout mask (0 or 1 / (1 - p)) when dropped_
  bool dropped_ = false;  // the last forward pass dropped inputs
  BatchNormTrainer bn_;
  std::vector<float> scale_, bias_, grad_scale_, grad_bias_;
};

template <ShapeType In, class Spec>
class Trainable<BinaryDenseLayer<In, Spec>>
    : public DenseTrainer<BinaryDenseLayer<In, Spec>, true, Spec::produces_logits> {
  using DenseTrainer<BinaryDenseLayer<In, Spec>, true, Spec::produces_logits>::DenseTrainer;
};
template <ShapeType In, class Spec>
class Trainable<DenseLayer<In, Spec>>
    : public DenseTrainer<DenseLayer<In, Spec>, false, Spec::produces_logits> {
  using DenseTrainer<DenseLayer<In, Spec>, false, Spec::produces_logits>::DenseTrainer;
};

/// A standalone max-pool over bits (+-1): the max of +-1 values is the OR of their bits.
template <ShapeType In, class Pool>
class Trainable<MaxPoolLayer<In, Pool>> {
  using Out = typename MaxPoolLayer<In, Pool>::output_shape;

 public:
  using layer_type = MaxPoolLayer<In, Pool>;
  using parameters_type = NoParameters;
  static constexpr std::size_t input_size = In::size, output_size = Out::size;
  static constexpr bool produces_logits = false;

  explicit Trainable(ddnn::detail::random_stream&)
      : pool_(window_geometry::of(In::height, In::width, In::channels, Pool::kernel, Pool::stride,
                                  Pool::pad)) {}

  [[nodiscard]] Matrix forward(const Matrix& x, const RunContext& ctx) {
    return pool_.forward(x, ctx);
  }
  [[nodiscard]] Matrix backward(const Matrix& d, bool need_dx, const RunContext& ctx) {
    if (!need_dx) return {};
    return pool_.backward(d, ctx);
  }
  void parameters(std::vector<ParameterRef>&, const std::string&) {}
  void zero_grad() {}
  [[nodiscard]] NoParameters exported() const { return {}; }

 private:
  detail::PoolTrainer pool_;
};

/// The trainable twin of a Section's layer tuple.
template <class LayerTuple>
class TrainableChain;
template <class... Layers>
class TrainableChain<std::tuple<Layers...>> {
 public:
  static constexpr std::size_t size = sizeof...(Layers);
  using parameters_type = std::tuple<typename Trainable<Layers>::parameters_type...>;

  explicit TrainableChain(ddnn::detail::random_stream& r) : layers_(make(r)) {}

  [[nodiscard]] Matrix forward(const Matrix& x, const RunContext& ctx) {
    return forward_from<0>(x, ctx);
  }
  /// Returns d input when `need_dx`, else an empty matrix.
  [[nodiscard]] Matrix backward(const Matrix& d, bool need_dx, const RunContext& ctx) {
    return backward_from<size - 1>(d, need_dx, ctx);
  }
  void parameters(std::vector<ParameterRef>& out, const std::string& prefix) {
    std::size_t i = 0;
    std::apply(
        [&](auto&... layer) {
          ((layer.parameters(out, prefix + "layers[" + std::to_string(i++) + "]."), ...));
        },
        layers_);
  }
  void zero_grad() {
    std::apply([](auto&... layer) { (layer.zero_grad(), ...); }, layers_);
  }
  [[nodiscard]] parameters_type exported() const {
    return std::apply([](const auto&... layer) { return parameters_type(layer.exported()...); },
                      layers_);
  }
  template <std::size_t I>
  [[nodiscard]] auto& layer() noexcept {
    return std::get<I>(layers_);
  }

 private:
  // Layers are built in order so that their random draws follow the network's order.
  static std::tuple<Trainable<Layers>...> make(ddnn::detail::random_stream& r) {
    return std::tuple<Trainable<Layers>...>{Trainable<Layers>(r)...};
  }
  template <std::size_t I>
  Matrix forward_from(const Matrix& x, const RunContext& ctx) {
    Matrix y = std::get<I>(layers_).forward(x, ctx.with_stream(I));
    if constexpr (I + 1 == size)
      return y;
    else
      return forward_from<I + 1>(y, ctx);
  }
  template <std::size_t I>
  Matrix backward_from(const Matrix& d, bool need_dx, const RunContext& ctx) {
    if constexpr (I == 0)
      return std::get<0>(layers_).backward(d, need_dx, ctx);
    else
      return backward_from<I - 1>(std::get<I>(layers_).backward(d, true, ctx), need_dx, ctx);
  }

  std::tuple<Trainable<Layers>...> layers_;
};

}  // namespace train
DDNN_END_NAMESPACE
