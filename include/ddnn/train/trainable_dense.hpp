// Trainable twins of the dense layers: BinaryDense (sign weights; bits through BatchNorm + sign,
// or logits) and float Dense (BatchNorm + ReLU, or logits); logits are fma(scale, W x, bias).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/dense.hpp"
#include "ddnn/train/trainable.hpp"
#include "ddnn/train/trainable_blocks.hpp"

DDNN_BEGIN_NAMESPACE
namespace train {

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
    Matrix sums;
    if (!Binary && !ctx.train) {
      // Dense's own per-sample sums (each row alone, so chunks of rows give the same bits), the
      // weights packed once for all chunks.
      if (x.cols() != w.cols())
        ddnn::detail::fail("Dense: input has " + std::to_string(x.cols()) + " columns, the " +
                           "weights " + std::to_string(w.cols()));
      const float_math::DenseWeights& packed = packed_for_eval(w);
      sums.resize(x.rows(), w.rows());
      ctx.for_chunks(std::size_t(x.rows()), [&](std::size_t b, std::size_t e, std::size_t) {
        packed.sums(x.row(Eigen::Index(b)).data(), std::size_t(x.outerStride()), e - b,
                    sums.row(Eigen::Index(b)).data(), std::size_t(sums.outerStride()));
      });
    } else {
      // One GEMM per chunk of rows, on the context's threads (the float cloud's 3360 x 512 is
      // the biggest product of a step). Binary sums are exact in any order; float training sums
      // depend on the chunks, which do not depend on the threads.
      sums.resize(in.rows(), w.rows());
      ctx.for_chunks(std::size_t(in.rows()), [&](std::size_t b, std::size_t e, std::size_t) {
        const auto rows = Eigen::Index(e - b);
        sums.middleRows(Eigen::Index(b), rows).noalias() =
            in.middleRows(Eigen::Index(b), rows) * w.transpose();
      });
    }
    if constexpr (Logits) {
      if (ctx.train) sums_ = sums;
      float_math::scale_bias(sums, scale_, bias_);
      return sums;
    } else {
      if (!Binary && !ctx.train) {  // exactly Dense's arithmetic
        bn_.record(detail::as_pixels(sums, N));
        float_math::batchnorm_relu(sums, bn_.exported());
        return sums;
      }
      auto z = detail::as_pixels(sums, N);
      if (ctx.train)
        bn_.forward_train(z);
      else
        bn_.forward_eval(z);
      Matrix out;
      if constexpr (Binary)
        out = sign_forward(sums);
      else
        out = sums.cwiseMax(0.0f);
      if (ctx.train) normalized_ = std::move(sums);  // what backward's gradient gate reads
      return out;
    }
  }

  [[nodiscard]] Matrix backward(const Matrix& d_out, bool need_dx, const RunContext& ctx) {
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
    // Each chunk of outputs adds its own rows of the weight gradient; each chunk of samples
    // computes its own rows of d x.
    ctx.for_chunks(N, [&](std::size_t b, std::size_t e, std::size_t) {
      const auto outputs = Eigen::Index(e - b);
      grad_.middleRows(Eigen::Index(b), outputs).noalias() +=
          d.middleCols(Eigen::Index(b), outputs).transpose() * input_;
    });
    if (!need_dx) return {};
    Matrix dx(d.rows(), w.cols());
    ctx.for_chunks(std::size_t(d.rows()), [&](std::size_t b, std::size_t e, std::size_t) {
      const auto rows = Eigen::Index(e - b);
      auto out = dx.middleRows(Eigen::Index(b), rows);
      out.noalias() = d.middleRows(Eigen::Index(b), rows) * w;
      if (dropped_) out.array() *= drop_mask_.middleRows(Eigen::Index(b), rows).array();
    });
    return dx;
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
  /// f(BatchNormTrainer&) for its BatchNorm (a logits layer has none).
  template <class F>
  void for_each_batchnorm(F&& f) {
    if constexpr (!Logits) f(bn_);
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
  /// `w` packed for Dense's kernel, packed again only when its bits changed since: they change
  /// through the spans parameter_refs() hands out, unseen here, so they are compared (the float
  /// cloud's 6.9 MB in about 0.4 ms, against 2 ms to pack them; an evaluation calls this per
  /// chunk of samples).
  const float_math::DenseWeights& packed_for_eval(const Matrix& w) {
    const bool same =
        eval_packed_ && eval_source_.rows() == w.rows() && eval_source_.cols() == w.cols() &&
        std::memcmp(eval_source_.data(), w.data(), sizeof(float) * std::size_t(w.size())) == 0;
    if (!same) {
      eval_packed_.emplace(w);
      eval_source_ = w;
    }
    return *eval_packed_;
  }

  Matrix weights_, grad_, used_, input_, sums_, normalized_;
  std::optional<float_math::DenseWeights> eval_packed_;  // see packed_for_eval
  Matrix eval_source_;
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

}  // namespace train
DDNN_END_NAMESPACE
