// Conv: a float convolution for the upper tiers (edge, cloud): zero padding, BatchNorm, ReLU,
// then float max-pooling. Computed as im2col plus one Eigen GEMM; reads float or bit input.
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ddnn/core/bit_tensor.hpp"
#include "ddnn/core/tensor.hpp"
#include "ddnn/core/window.hpp"
#include "ddnn/kernels/dispatch.hpp"
#include "ddnn/layers/activation.hpp"
#include "ddnn/layers/batchnorm_sign.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/layer_kind.hpp"
#include "ddnn/layers/layer_support.hpp"
#include "ddnn/layers/max_pool.hpp"

DDNN_BEGIN_NAMESPACE

namespace float_math {

using ddnn::window_geometry;

/// Writes sample's patches, one row of patch_size() values per output pixel, zeros for padding.
inline void im2col(const float* sample, const window_geometry& g, float* patches) noexcept {
  const std::size_t c = g.channels, k = g.kernel;
  for (std::size_t oy = 0; oy < g.out_h; ++oy)
    for (std::size_t ox = 0; ox < g.out_w; ++ox) {
      const std::ptrdiff_t x0 = std::ptrdiff_t(ox * g.stride) - std::ptrdiff_t(g.pad);
      // taps [kx_begin, kx_end) of each kernel row lie inside the image: one contiguous copy
      const auto kx_begin = std::size_t(std::max<std::ptrdiff_t>(0, -x0));
      const auto kx_end = std::size_t(
          std::clamp<std::ptrdiff_t>(std::ptrdiff_t(g.in_w) - x0, 0, std::ptrdiff_t(k)));
      for (std::size_t ky = 0; ky < k; ++ky, patches += k * c) {
        const std::ptrdiff_t y = std::ptrdiff_t(oy * g.stride + ky) - std::ptrdiff_t(g.pad);
        if (y < 0 || y >= std::ptrdiff_t(g.in_h) || kx_begin >= kx_end) {
          std::fill_n(patches, k * c, 0.0f);
          continue;
        }
        const auto first_x = std::size_t(x0 + std::ptrdiff_t(kx_begin));
        const float* row = sample + (std::size_t(y) * g.in_w + first_x) * c;
        std::fill_n(patches, kx_begin * c, 0.0f);
        std::copy_n(row, (kx_end - kx_begin) * c, patches + kx_begin * c);
        std::fill_n(patches + kx_end * c, (k - kx_end) * c, 0.0f);
      }
    }
}

/// One sample's conv sums, HWC [out_pixel][filter]: patches x weights^T in one GEMM.
/// `weights` is filters x patch_size(); `patches` holds out_pixels() x patch_size() floats of
/// scratch (unused for identity patches). Equals a plain loop up to float rounding: the order
/// of the additions is Eigen's.
inline void conv_sums(const float* sample, const window_geometry& g, const Matrix& weights,
                      float* patches, float* sums) {
  const auto pixels = Eigen::Index(g.out_pixels()), depth = Eigen::Index(g.patch_size());
  if (!g.identity_patches()) im2col(sample, g, patches);
  const Eigen::Map<const Matrix> lhs(g.identity_patches() ? sample : patches, pixels, depth);
  Eigen::Map<Matrix>(sums, pixels, weights.rows()).noalias() = lhs * weights.transpose();
}

/// One sample's max-pool per channel; padded taps never win (every window has a valid tap).
inline void max_pool(const float* in, const window_geometry& g, float* out) noexcept {
  const std::size_t c = g.channels;
  for (std::size_t py = 0; py < g.out_h; ++py)
    for (std::size_t px = 0; px < g.out_w; ++px, out += c) {
      std::fill_n(out, c, -std::numeric_limits<float>::infinity());
      const window_range rows = g.rows(py), cols = g.cols(px);
      for (std::size_t y = rows.begin; y < rows.end; ++y)
        for (std::size_t x = cols.begin; x < cols.end; ++x) {
          const float* i = in + (y * g.in_w + x) * c;
          for (std::size_t j = 0; j < c; ++j) out[j] = std::max(out[j], i[j]);
        }
    }
}

/// Batch conv sums: x is N x g.in_size(), weights filters x g.patch_size() ([filter][ky][kx]
/// [channel]); returns N x (g.out_pixels() * filters), HWC rows, each equal bit for bit to
/// conv_sums on that sample (and so to what Conv computes before its BatchNorm).
[[nodiscard]] inline Matrix conv(const Eigen::Ref<const Matrix>& x, const window_geometry& g,
                                 const Matrix& weights) {
  if (std::size_t(x.cols()) != g.in_size() || std::size_t(weights.cols()) != g.patch_size())
    detail::fail("float_math::conv: input has " + std::to_string(x.cols()) + " columns and " +
                 "weights " + std::to_string(weights.cols()) + ", the geometry needs " +
                 std::to_string(g.in_size()) + " and " + std::to_string(g.patch_size()));
  Matrix out(x.rows(), Eigen::Index(g.out_pixels()) * weights.rows());
  std::vector<float> patches(g.identity_patches() ? 0 : g.out_pixels() * g.patch_size());
  for (Eigen::Index r = 0; r < x.rows(); ++r)
    conv_sums(x.row(r).data(), g, weights, patches.data(), out.row(r).data());
  return out;
}

/// Batch max-pool: x is N x g.in_size(); returns N x (g.out_pixels() * g.channels). Requires
/// padding of at most half the window (as MaxPool does), so that no window is all padding.
[[nodiscard]] inline Matrix max_pool(const Eigen::Ref<const Matrix>& x, const window_geometry& g) {
  if (2 * g.pad > g.kernel)
    detail::fail("float_math::max_pool: padding must be at most half the window");
  if (std::size_t(x.cols()) != g.in_size())
    detail::fail("float_math::max_pool: input has " + std::to_string(x.cols()) +
                 " columns, the geometry needs " + std::to_string(g.in_size()));
  Matrix out(x.rows(), Eigen::Index(g.out_pixels() * g.channels));
  for (Eigen::Index r = 0; r < x.rows(); ++r) max_pool(x.row(r).data(), g, out.row(r).data());
  return out;
}

}  // namespace float_math

template <ShapeType In, class Spec>
class ConvLayer;

/// Layer spec: Filters output channels, Kernel x Kernel window, Stride, zero Pad, then Pool:
/// y = pool(relu(batchnorm(conv(x)))) in float. `Conv<16, 3, 1, 1, MaxPool<3, 1, 1>>` takes
/// the same ConvParameters as BinaryConv, but uses the weights as real values, not signs.
template <std::size_t Filters, std::size_t Kernel, std::size_t Stride = 1, std::size_t Pad = 0,
          PoolWindow Pool = NoPool>
struct Conv {
  static_assert(Filters >= 1, "Conv requires at least one filter");
  static_assert(Kernel >= 1, "Conv requires a kernel of at least 1");
  static_assert(Stride >= 1, "Conv requires a stride of at least 1");
  static_assert(Pad < Kernel, "Conv requires padding smaller than the kernel");
  static constexpr std::size_t filters = Filters;
  static constexpr std::size_t kernel = Kernel;
  static constexpr std::size_t stride = Stride;
  static constexpr std::size_t pad = Pad;
  static constexpr bool produces_logits = false;
  using pool = Pool;
  using parameters_type = ConvParameters;

  template <ShapeType In>
  using conv_shape = Shape<window_output_extent(In::height, Kernel, Stride, Pad),
                           window_output_extent(In::width, Kernel, Stride, Pad), Filters>;
  template <ShapeType In>
  using output_shape = typename Pool::template output_shape<conv_shape<In>>;
  template <ShapeType In>
  using bind = ConvLayer<In, Conv>;
};

/// Conv bound to input shape In. Reads a float tensor, or a bit tensor as +1.0f / -1.0f (the
/// values a binary device sends). Const and shareable between threads (scratch is per thread).
template <ShapeType In, class Spec>
class ConvLayer
    : public detail::windowed_layer<In, Spec, WeightEncoding::floats>,
      public detail::returns_output<ConvLayer<In, Spec>, Tensor<float, In>, BitTensor<In>> {
  static constexpr std::size_t F = Spec::filters;
  static constexpr std::size_t K = Spec::kernel;
  static_assert(window_fits(In::height, K, Spec::pad),
                "Conv kernel is taller than the zero-padded input");
  static_assert(window_fits(In::width, K, Spec::pad),
                "Conv kernel is wider than the zero-padded input");
  using Pool = typename Spec::pool;
  using window_base = detail::windowed_layer<In, Spec, WeightEncoding::floats>;

 public:
  using typename window_base::conv_shape;
  using typename window_base::input_shape;
  using typename window_base::output_shape;
  using typename window_base::parameters_type;
  using window_base::geometry;
  using window_base::pool_geometry;
  using window_base::weight_count;
  using output_type = Tensor<float, output_shape>;
  static_assert(window_fits(conv_shape::height, Pool::kernel, Pool::pad) &&
                    window_fits(conv_shape::width, Pool::kernel, Pool::pad),
                "Conv pooling window is larger than the padded conv output");
  static constexpr bool produces_logits = false;

  // ---- the layer kind's pieces (layer_kind.hpp) ----
  static constexpr std::string_view kind = "Conv";
  [[nodiscard]] static constexpr layer_description description() noexcept {
    return detail::window_description<Spec>(kind);
  }
  /// Weights uniform in +-sqrt(3 / taps), BatchNorm steps near 0.
  [[nodiscard]] static ConvParameters random_parameters(detail::random_stream& r) {
    constexpr std::size_t taps = K * K * In::channels;
    return {detail::random_floats(r, weight_count, taps), detail::random_batchnorm(r, F, 0, 1)};
  }

  /// Copies the weights ([filter][ky][kx][channel]) and BatchNorms. `isa` is taken for uniform
  /// construction only: Eigen chose its SIMD when this was compiled. Throws ddnn::error on wrong
  /// sizes, non-finite values or an invalid BatchNorm.
  explicit ConvLayer(const ConvParameters& parameters, [[maybe_unused]] isa_id isa = best_isa()) {
    detail::require_count(parameters.weights.size(), weight_count, "Conv weights");
    detail::require_count(parameters.batchnorm.size(), F, "Conv batchnorm");
    detail::require_finite(parameters.weights, "Conv weights");
    for (std::size_t f = 0; f < F; ++f)
      validate(parameters.batchnorm[f], "Conv filter " + std::to_string(f));
    weights_ = Eigen::Map<const float_math::Matrix>(parameters.weights.data(), Eigen::Index(F),
                                                    Eigen::Index(geometry.patch_size()));
    batchnorm_ = parameters.batchnorm;
  }

  /// Throws ddnn::error when an input value is NaN or infinite, or an output overflowed.
  void forward(const Tensor<float, In>& input, output_type& output) const {
    detail::require_finite_input(input.values(), "Conv");
    run(input.data(), output.data(), scratch(0));
  }
  void forward(const BitTensor<In>& input, output_type& output) const {
    float* values = scratch(detail::scratch_floats(In::size));
    detail::signs_to_floats(input, values);
    run(values, output.data(), values + detail::scratch_floats(In::size));
  }
  /// Any other input is a compile error that says what is wrong.
  template <class T, ShapeType Other, class Out>
  void forward(const Tensor<T, Other>&, Out&) const {
    static_assert(std::is_same_v<T, float>, "Conv takes a float Tensor or a BitTensor");
    static_assert(detail::input_shape_of_layer<In, Other>::matches,
                  "Conv input tensor shape does not match the shape the layer was bound to");
    static_assert(std::is_same_v<Out, output_type>,
                  "Conv output must be a float Tensor of the layer's output shape");
  }
  template <ShapeType Other, class Out>
  void forward(const BitTensor<Other>&, Out&) const {
    static_assert(detail::input_shape_of_layer<In, Other>::matches,
                  "Conv input tensor shape does not match the shape the layer was bound to");
    static_assert(std::is_same_v<Out, output_type>,
                  "Conv output must be a float Tensor of the layer's output shape");
  }

  /// filters x (K * K * channels), row f = filter f's weights [ky][kx][channel].
  [[nodiscard]] const float_math::Matrix& weights() const noexcept { return weights_; }
  [[nodiscard]] std::span<const BatchNorm> batchnorm() const noexcept { return batchnorm_; }

 private:
  static constexpr bool pooled = !std::is_same_v<Pool, NoPool>;
  static constexpr std::size_t patch_floats =
      geometry.identity_patches()
          ? 0
          : detail::scratch_floats(geometry.out_pixels() * geometry.patch_size());
  static constexpr std::size_t sums_floats = conv_shape::size;

  // Per-thread scratch: `leading` floats for the caller, then patches and conv sums.
  [[nodiscard]] static float* scratch(std::size_t leading) {
    return static_cast<float*>(
        detail::thread_scratch((leading + patch_floats + sums_floats) * sizeof(float)));
  }

  // The GEMM writes to scratch, never to the output tensor: Eigen first zeroes its destination
  // with packet stores guarded at run time, which GCC 12 flags (-Warray-bounds) when it sees
  // the destination is a small allocation. BatchNorm + ReLU (or the pool) then fill the output.
  void run(const float* input, float* output, float* work) const {
    float* sums = work + patch_floats;
    float_math::conv_sums(input, geometry, weights_, work, sums);
    detail::require_finite_output({sums, conv_shape::size}, "Conv", "sum");
    if constexpr (pooled) {
      float_math::batchnorm_relu(sums, sums, conv_shape::size, batchnorm_);
      float_math::max_pool(sums, pool_geometry, output);
    } else {
      float_math::batchnorm_relu(sums, output, conv_shape::size, batchnorm_);
    }
  }

  float_math::Matrix weights_;
  std::vector<BatchNorm> batchnorm_;
};

DDNN_END_NAMESPACE
