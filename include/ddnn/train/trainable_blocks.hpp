// The pieces the trainable layers share: Glorot initialisation, the inverse of im2col, max-pool
// with its argmax, the conv GEMMs with their backward pass, and a conv block's trained state.
#pragma once
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "ddnn/graph/random_parameters.hpp"
#include "ddnn/layers/conv.hpp"
#include "ddnn/train/batchnorm_train.hpp"
#include "ddnn/train/run_context.hpp"
#include "ddnn/train/straight_through.hpp"

DDNN_BEGIN_NAMESPACE
namespace train {

using ddnn::window_geometry;
using float_math::Matrix;

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
      const window_range rows = g.rows(py), cols = g.cols(px);
      for (std::size_t y = rows.begin; y < rows.end; ++y)
        for (std::size_t x = cols.begin; x < cols.end; ++x) {
          const auto pixel = std::int32_t(y * g.in_w + x);
          const float* i = in + std::size_t(pixel) * c;
          for (std::size_t j = 0; j < c; ++j)
            if (i[j] > out[j] || arg[j] < 0) out[j] = i[j], arg[j] = pixel;
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

  /// The sums forward() gives, in eval mode, where every input and weight is +1 or -1 (a binary
  /// conv: the signs of the block before, sign weights, zero padding), F filters: each tap inside
  /// the image adds C - 2 popcount(x XOR w) over its C channels packed as bits. The sums are
  /// integers far below 2^24, which the GEMM gets exactly as well, in any order: the same floats.
  /// It keeps no patches (backward needs forward()'s), so an evaluation of many samples does not
  /// hold all of their patches at once (the GEMM path's 10,000 test digits: 800 MB); with them
  /// written, training's batches are faster through the GEMM (measured: 368 against 318 us for
  /// 48 samples of the main job's second conv, AMD Zen 5).
  template <std::size_t F>
  [[nodiscard]] Matrix forward_signs(const Matrix& x, const Matrix& w,
                                     const RunContext& ctx) const {
    const auto n = std::size_t(x.rows());
    const std::size_t pixels = g_.out_pixels(), c = g_.channels, k = g_.kernel;
    const std::size_t words = (c + 63) / 64, taps = k * k;
    if (std::size_t(x.cols()) != g_.in_size())
      ddnn::detail::fail("ConvCore::forward_signs: input has " + std::to_string(x.cols()) +
                         " values a row, expected " + std::to_string(g_.in_size()));
    if (std::size_t(w.rows()) != F || std::size_t(w.cols()) != g_.patch_size())
      ddnn::detail::fail("ConvCore::forward_signs: weights are " + std::to_string(w.rows()) +
                         " x " + std::to_string(w.cols()) + ", expected " + std::to_string(F) +
                         " x " + std::to_string(g_.patch_size()));
    // weight bits, [tap][word][filter]: the filters of a word side by side
    std::vector<std::uint64_t> w_bits(taps * words * F, 0);
    for (std::size_t f = 0; f < F; ++f)
      for (std::size_t t = 0; t < taps; ++t)
        for (std::size_t ch = 0; ch < c; ++ch)
          if (w(Eigen::Index(f), Eigen::Index(t * c + ch)) > 0.0f)
            w_bits[(t * words + ch / 64) * F + f] |= std::uint64_t(1) << (ch % 64);
    Matrix sums(Eigen::Index(n), Eigen::Index(pixels * F));
    ctx.for_chunks(n, [&](std::size_t b, std::size_t e, std::size_t) {
      std::vector<std::uint64_t> x_bits(g_.in_h * g_.in_w * words);
      for (std::size_t r = b; r < e; ++r) {
        const float* sample = x.row(Eigen::Index(r)).data();
        for (std::size_t p = 0; p < g_.in_h * g_.in_w; ++p)
          for (std::size_t q = 0; q < words; ++q) {
            const float* v = sample + p * c + q * 64;
            const std::size_t m = std::min<std::size_t>(64, c - q * 64);
            std::uint64_t word = 0;
            for (std::size_t j = 0; j < m; ++j) word |= std::uint64_t(v[j] > 0.0f) << j;
            x_bits[p * words + q] = word;
          }
        float* out = sums.row(Eigen::Index(r)).data();
        for (std::size_t oy = 0; oy < g_.out_h; ++oy) {
          const window_range ys = g_.rows(oy);  // input rows inside the image
          for (std::size_t ox = 0; ox < g_.out_w; ++ox, out += F) {
            const window_range xs = g_.cols(ox);
            std::uint64_t differ[F] = {};
            std::size_t inside = 0;  // taps inside the image; padding adds nothing
            for (std::size_t y = ys.begin; y < ys.end; ++y) {
              const std::size_t ky = y + g_.pad - oy * g_.stride;
              for (std::size_t xx = xs.begin; xx < xs.end; ++xx, ++inside) {
                const std::uint64_t* in = &x_bits[(y * g_.in_w + xx) * words];
                const std::uint64_t* wt =
                    &w_bits[(ky * k + xx + g_.pad - ox * g_.stride) * words * F];
                for (std::size_t q = 0; q < words; ++q)
                  for (std::size_t f = 0; f < F; ++f)
                    differ[f] += std::uint64_t(std::popcount(in[q] ^ wt[q * F + f]));
              }
            }
            // each tap inside the image adds c - 2 * its differing bits
            const auto agree = std::int64_t(inside * c);
            for (std::size_t f = 0; f < F; ++f) out[f] = float(agree - 2 * std::int64_t(differ[f]));
          }
        }
      }
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

}  // namespace detail

}  // namespace train
DDNN_END_NAMESPACE
