// Compile-time tensor shapes (height x width x channels, HWC) and the packed-bit geometry that
// follows from them: one or more 64-bit words per pixel, channels innermost.
#pragma once
#include <cstddef>

#include "ddnn/core/config.hpp"

DDNN_BEGIN_NAMESPACE

inline constexpr std::size_t bits_per_word = 64;

/// Number of 64-bit words that hold `channels` bits.
[[nodiscard]] constexpr std::size_t words_for_bits(std::size_t channels) noexcept {
  return (channels + bits_per_word - 1) / bits_per_word;
}

/// A height x width x channels shape known at compile time. A dense vector of N values is
/// Shape<1, 1, N>.
template <std::size_t H, std::size_t W, std::size_t C>
struct Shape {
  static_assert(H > 0 && W > 0 && C > 0, "Shape requires every extent to be positive");
  static constexpr std::size_t height = H;
  static constexpr std::size_t width = W;
  static constexpr std::size_t channels = C;
  static constexpr std::size_t pixels = H * W;
  static constexpr std::size_t size = H * W * C;  ///< number of values
  /// Packed-bit layout: each pixel owns words_per_pixel words; unused high bits are zero.
  static constexpr std::size_t words_per_pixel = words_for_bits(C);
  static constexpr std::size_t words = pixels * words_per_pixel;
};

/// A flat vector of N values.
template <std::size_t N>
using Vector = Shape<1, 1, N>;

namespace detail {
template <class T>
inline constexpr bool is_shape_v = false;
template <std::size_t H, std::size_t W, std::size_t C>
inline constexpr bool is_shape_v<Shape<H, W, C>> = true;
}  // namespace detail

/// A type is a ShapeType when it is some ddnn::Shape<H, W, C>.
template <class T>
concept ShapeType = detail::is_shape_v<T>;

/// Output extent of a convolution or pooling window along one axis.
[[nodiscard]] constexpr std::size_t window_output_extent(std::size_t in, std::size_t kernel,
                                                         std::size_t stride,
                                                         std::size_t pad) noexcept {
  return (in + 2 * pad < kernel) ? 0 : (in + 2 * pad - kernel) / stride + 1;
}

DDNN_END_NAMESPACE
