// Packed binary activations: bit 1 encodes +1, bit 0 encodes -1, HWC with channels innermost,
// each pixel padded to whole 64-bit words whose unused high bits are always zero.
#pragma once
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "ddnn/core/aligned_buffer.hpp"
#include "ddnn/core/error.hpp"
#include "ddnn/core/shape.hpp"

DDNN_BEGIN_NAMESPACE

/// The sign convention of the whole library: a value packs to bit 1 (+1) when it is >= 0.
/// Unsigned 8-bit values are centred first: bit 1 when the value is >= 128.
[[nodiscard]] constexpr bool sign_bit(float v) noexcept { return v >= 0.0f; }
[[nodiscard]] constexpr bool sign_bit(std::int8_t v) noexcept { return v >= 0; }
[[nodiscard]] constexpr bool sign_bit(std::uint8_t v) noexcept { return v >= 128; }

template <ShapeType S>
class BitTensor {
 public:
  using shape = S;
  static constexpr std::size_t words_per_pixel = S::words_per_pixel;

  BitTensor() : words_(S::words) {}

  [[nodiscard]] bool bit(std::size_t y, std::size_t x, std::size_t c) const noexcept {
    const std::uint64_t w = words_[(y * S::width + x) * words_per_pixel + c / bits_per_word];
    return (w >> (c % bits_per_word)) & 1u;
  }
  void set_bit(std::size_t y, std::size_t x, std::size_t c, bool value) noexcept {
    std::uint64_t& w = words_[(y * S::width + x) * words_per_pixel + c / bits_per_word];
    const std::uint64_t mask = std::uint64_t{1} << (c % bits_per_word);
    w = value ? (w | mask) : (w & ~mask);
  }
  /// +1 or -1 for the value at (y, x, c).
  [[nodiscard]] int value(std::size_t y, std::size_t x, std::size_t c) const noexcept {
    return bit(y, x, c) ? 1 : -1;
  }

  [[nodiscard]] std::uint64_t* data() noexcept { return words_.data(); }
  [[nodiscard]] const std::uint64_t* data() const noexcept { return words_.data(); }
  [[nodiscard]] std::span<std::uint64_t> words() noexcept { return words_.span(); }
  [[nodiscard]] std::span<const std::uint64_t> words() const noexcept { return words_.span(); }

  /// Replaces the packed words; throws ddnn::error on a wrong count or a set padding bit,
  /// because a set padding bit would silently change every dot product that reads it.
  void assign_words(std::span<const std::uint64_t> words) {
    if (words.size() != S::words)
      detail::fail("BitTensor expects " + std::to_string(S::words) + " words, got " +
                   std::to_string(words.size()));
    for (std::size_t i = 0; i < words.size(); ++i) {
      if (words[i] & ~valid_mask(i % words_per_pixel))
        detail::fail("BitTensor word " + std::to_string(i) + " has padding bits set");
      words_[i] = words[i];
    }
  }

  /// Mask of the bits of word `word_in_pixel` that hold channels.
  [[nodiscard]] static constexpr std::uint64_t valid_mask(std::size_t word_in_pixel) noexcept {
    const std::size_t first = word_in_pixel * bits_per_word;
    const std::size_t count = S::channels - first;
    return count >= bits_per_word ? ~std::uint64_t{0} : (std::uint64_t{1} << count) - 1;
  }

  friend bool operator==(const BitTensor& a, const BitTensor& b) noexcept {
    return std::equal(a.words_.begin(), a.words_.end(), b.words_.begin());
  }

 private:
  AlignedBuffer<std::uint64_t> words_;
};

/// Packs HWC `values` by sign into `out`. Throws ddnn::error on a wrong count or a NaN.
template <class T, ShapeType S>
void pack_signs(std::span<const T> values, BitTensor<S>& out) {
  if (values.size() != S::size)
    detail::fail("pack_signs expects " + std::to_string(S::size) + " values, got " +
                 std::to_string(values.size()));
  std::uint64_t* words = out.data();
  for (std::size_t p = 0; p < S::pixels; ++p) {
    for (std::size_t w = 0; w < S::words_per_pixel; ++w) {
      std::uint64_t word = 0;
      const std::size_t first = w * bits_per_word;
      const std::size_t last = std::min(S::channels, first + bits_per_word);
      for (std::size_t c = first; c < last; ++c) {
        const T v = values[p * S::channels + c];
        if constexpr (std::is_floating_point_v<T>) {
          if (std::isnan(v))
            detail::fail("pack_signs: NaN at value " + std::to_string(p * S::channels + c));
        }
        word |= std::uint64_t{sign_bit(v)} << (c - first);
      }
      words[p * S::words_per_pixel + w] = word;
    }
  }
}

template <ShapeType S, class T>
[[nodiscard]] BitTensor<S> pack_signs(std::span<const T> values) {
  BitTensor<S> out;
  pack_signs(values, out);
  return out;
}

/// Whether T is a BitTensor (of any shape).
template <class T>
inline constexpr bool is_bit_tensor = false;
template <ShapeType S>
inline constexpr bool is_bit_tensor<BitTensor<S>> = true;

namespace detail {
/// ORs `count` bits starting at bit 0 of `src` into `dst` starting at bit `offset`.
inline void copy_bits(const std::uint64_t* src, std::size_t count, std::uint64_t* dst,
                      std::size_t offset) noexcept {
  for (std::size_t done = 0; done < count;) {
    const std::size_t take = count - done < 64 ? count - done : 64;
    const std::size_t s_word = done / 64, s_bit = done % 64;
    std::uint64_t chunk = src[s_word] >> s_bit;
    if (s_bit != 0 && s_bit + take > 64) chunk |= src[s_word + 1] << (64 - s_bit);
    if (take < 64) chunk &= (std::uint64_t{1} << take) - 1;
    const std::size_t at = offset + done, d_word = at / 64, d_bit = at % 64;
    dst[d_word] |= chunk << d_bit;
    if (d_bit != 0 && d_bit + take > 64) dst[d_word + 1] |= chunk >> (64 - d_bit);
    done += take;
  }
}
}  // namespace detail

DDNN_END_NAMESPACE
