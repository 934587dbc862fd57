// Float activations of the upper-tier layers (Conv, Dense) and the element-wise math they share
// with training: BatchNorm + ReLU per channel, per-output scale and bias for logits, over Eigen.
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "ddnn/core/bit_tensor.hpp"
#include "ddnn/core/error.hpp"
#include "ddnn/core/finite.hpp"
#include "ddnn/layers/batchnorm_sign.hpp"

DDNN_BEGIN_NAMESPACE

/// What a float layer applies to its BatchNorm output: relu(y) = max(0, y), or nothing, in which
/// case the layer produces logits through a per-output scale and bias instead of a BatchNorm.
enum class Activation { none, relu };

/// max(0, v); +0 for v = -0.
[[nodiscard]] inline float relu(float v) noexcept { return v > 0.0f ? v : 0.0f; }

/// The forward math of the float layers, shared with training. A batch is a Matrix with one
/// sample per row, each row a tensor's values in HWC order. Every batch function computes row i
/// with exactly the operations the layer performs on sample i, so training's forward pass and
/// inference agree bit for bit.
namespace float_math {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// out = relu(batchnorm(sums, bn[channel])) over `count` HWC values with bn.size() channels;
/// out may be sums.
inline void batchnorm_relu(const float* sums, float* out, std::size_t count,
                           std::span<const BatchNorm> bn) noexcept {
  const std::size_t channels = bn.size();
  for (std::size_t i = 0; i < count; i += channels)
    for (std::size_t c = 0; c < channels; ++c) out[i + c] = relu(batchnorm(sums[i + c], bn[c]));
}

/// out = fma(scale, sums, bias) per output (the rule of BinaryDense's logits); out may be sums.
inline void scale_bias(const float* sums, float* out, std::span<const float> scale,
                       std::span<const float> bias) noexcept {
  for (std::size_t i = 0; i < scale.size(); ++i) out[i] = std::fma(scale[i], sums[i], bias[i]);
}

/// Batch forms: every row of z in place; channel = column % bn.size() (HWC rows).
inline void batchnorm_relu(Eigen::Ref<Matrix> z, std::span<const BatchNorm> bn) {
  if (bn.empty() || std::size_t(z.cols()) % bn.size() != 0)
    detail::fail("float_math::batchnorm_relu: " + std::to_string(z.cols()) +
                 " columns are not whole pixels of " + std::to_string(bn.size()) + " channels");
  for (Eigen::Index r = 0; r < z.rows(); ++r)
    batchnorm_relu(z.row(r).data(), z.row(r).data(), std::size_t(z.cols()), bn);
}

inline void scale_bias(Eigen::Ref<Matrix> z, std::span<const float> scale,
                       std::span<const float> bias) {
  if (scale.size() != std::size_t(z.cols()) || bias.size() != std::size_t(z.cols()))
    detail::fail("float_math::scale_bias: expected " + std::to_string(z.cols()) +
                 " scales and biases, got " + std::to_string(scale.size()) + " and " +
                 std::to_string(bias.size()));
  for (Eigen::Index r = 0; r < z.rows(); ++r)
    scale_bias(z.row(r).data(), z.row(r).data(), scale, bias);
}

}  // namespace float_math

namespace detail {

/// The 8 values (+1.0f for a set bit, -1.0f for a clear one, lowest bit first) of each byte.
inline constexpr auto byte_signs = [] {
  std::array<std::array<float, 8>, 256> t{};
  for (std::size_t byte = 0; byte < 256; ++byte)
    for (std::size_t b = 0; b < 8; ++b) t[byte][b] = (byte >> b) & 1u ? 1.0f : -1.0f;
  return t;
}();

/// Bits as the +1.0f / -1.0f values a binary device sends, HWC. A byte at a time: a float
/// layer's input from a binary tier is thousands of bits per sample.
template <ShapeType S>
void signs_to_floats(const BitTensor<S>& bits, float* out) noexcept {
  const std::uint64_t* words = bits.data();
  for (std::size_t p = 0; p < S::pixels; ++p)
    for (std::size_t w = 0; w < S::words_per_pixel; ++w) {
      const std::uint64_t word = *words++;
      const std::size_t count = std::min(bits_per_word, S::channels - w * bits_per_word);
      std::size_t b = 0;
      for (; b + 8 <= count; b += 8, out += 8)
        std::copy_n(byte_signs[(word >> b) & 0xffu].data(), 8, out);
      for (; b < count; ++b) *out++ = (word >> b) & 1u ? 1.0f : -1.0f;
    }
}

/// Throws ddnn::error naming `layer` when an input value is NaN or infinite.
inline void require_finite_input(std::span<const float> values, const char* layer) {
  if (const std::size_t i = first_non_finite(values); i < values.size())
    fail(std::string(layer) + ": input value " + std::to_string(i) + " is NaN or infinite");
}

/// Throws ddnn::error naming `layer` when its finite inputs gave a NaN or infinite `value`
/// (a sum or a logit that left float range), so the error names the layer where that happened,
/// not the next one (whose activation might even have hidden it: ReLU maps -inf and NaN to 0).
inline void require_finite_output(std::span<const float> values, const char* layer,
                                  const char* value) {
  if (const std::size_t i = first_non_finite(values); i < values.size())
    fail(std::string(layer) + ": " + value + " " + std::to_string(i) +
         " is not finite (finite inputs overflowed float range)");
}

/// Floats of thread scratch rounded up to whole cache lines, so every region stays aligned.
[[nodiscard]] constexpr std::size_t scratch_floats(std::size_t count) noexcept {
  return (count + 15) / 16 * 16;
}

}  // namespace detail
DDNN_END_NAMESPACE
