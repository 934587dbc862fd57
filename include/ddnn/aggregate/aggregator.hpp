// Aggregator<Max|Avg|Concat>: fuses N devices' outputs, over float logits or packed binary
// feature maps, honouring a presence mask. Semantics (docs/semantics.md):
//   logits  Max: element-wise max of present inputs; Avg: mean of present inputs (summed in
//           device order, then divided); Concat: device d's values at [d*C, d*C + C), absent
//           devices filled with 0.0f.
//   bits    Max: OR of present inputs (max of +1/-1); Avg: per-bit majority of present inputs,
//           a tie gives +1 (the library's sign(0) = +1); Concat: channel concat, device d's
//           channel c becomes channel d*C + c, absent devices filled with -1 (bit 0).
// With no device present every combine() returns false ("no answer") and zeroes its output.
#pragma once
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "ddnn/aggregate/presence.hpp"
#include "ddnn/core/bit_tensor.hpp"
#include "ddnn/core/tensor.hpp"

DDNN_BEGIN_NAMESPACE

struct Max {};
struct Avg {};
struct Concat {};

template <class Kind>
concept AggregationKind =
    std::is_same_v<Kind, Max> || std::is_same_v<Kind, Avg> || std::is_same_v<Kind, Concat>;

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

template <std::size_t N>
inline void check_devices(Presence present) {
  static_assert(N >= 1 && N <= max_devices, "Aggregator requires between 1 and 64 devices");
  present.check_within(N);
}
}  // namespace detail

template <AggregationKind Kind>
struct Aggregator {
  static constexpr bool concatenates = std::is_same_v<Kind, Concat>;

  /// Shape of the aggregate of N inputs of shape S.
  template <std::size_t N, ShapeType S>
  using output_shape =
      std::conditional_t<concatenates, Shape<S::height, S::width, N * S::channels>, S>;

  /// Any N inputs held in a std::array (see the span overloads below).
  template <class Input, std::size_t N, class Output>
  [[nodiscard]] static bool combine(const std::array<Input, N>& inputs, Presence present,
                                    Output& out) {
    return combine(std::span<const Input, N>(inputs), present, out);
  }

  /// Any other combination of inputs and output: a readable error instead of "no match".
  template <class Input, std::size_t N, class Output>
  static bool combine(std::span<const Input, N>, Presence, Output&) {
    static_assert(sizeof(Input) == 0,
                  "Aggregator::combine requires an output of the aggregate's kind and shape: "
                  "bits stay bits and floats stay floats; Concat of N maps HxWxC gives "
                  "HxWx(N*C), Max and Avg keep HxWxC");
    return false;
  }

  /// Logits (or any float tensors). Returns false, with `out` zeroed, when none is present.
  template <std::size_t N, ShapeType S>
  [[nodiscard]] static bool combine(std::span<const Tensor<float, S>, N> inputs, Presence present,
                                    Tensor<float, output_shape<N, S>>& out) {
    detail::check_devices<N>(present);
    for (float& v : out.values()) v = 0.0f;
    if (present.none(N)) return false;
    if constexpr (concatenates) {
      for (std::size_t d = 0; d < N; ++d) {
        if (!present[d]) continue;  // the documented fill, 0.0f, is already there
        for (std::size_t p = 0; p < S::pixels; ++p)
          for (std::size_t c = 0; c < S::channels; ++c)
            out[p * N * S::channels + d * S::channels + c] = inputs[d][p * S::channels + c];
      }
    } else {
      bool first = true;
      for (std::size_t d = 0; d < N; ++d) {
        if (!present[d]) continue;
        for (std::size_t i = 0; i < S::size; ++i) {
          const float v = inputs[d][i];
          if (first)
            out[i] = v;
          else if constexpr (std::is_same_v<Kind, Max>)
            out[i] = v > out[i] ? v : out[i];
          else
            out[i] = out[i] + v;
        }
        first = false;
      }
      if constexpr (std::is_same_v<Kind, Avg>) {
        const float n = float(present.count(N));
        for (float& v : out.values()) v = v / n;
      }
    }
    return true;
  }

  /// Packed binary feature maps. Returns false, with `out` all -1 (bits 0), when none is present.
  template <std::size_t N, ShapeType S>
  [[nodiscard]] static bool combine(std::span<const BitTensor<S>, N> inputs, Presence present,
                                    BitTensor<output_shape<N, S>>& out) {
    detail::check_devices<N>(present);
    for (std::uint64_t& w : out.words()) w = 0;
    if (present.none(N)) return false;
    constexpr std::size_t wpp = S::words_per_pixel;
    if constexpr (concatenates) {
      using Out = output_shape<N, S>;
      for (std::size_t d = 0; d < N; ++d) {
        if (!present[d]) continue;  // the documented fill, -1 (bit 0), is already there
        for (std::size_t p = 0; p < S::pixels; ++p)
          detail::copy_bits(inputs[d].data() + p * wpp, S::channels,
                            out.data() + p * Out::words_per_pixel, d * S::channels);
      }
    } else if constexpr (std::is_same_v<Kind, Max>) {
      for (std::size_t d = 0; d < N; ++d) {
        if (!present[d]) continue;
        for (std::size_t i = 0; i < S::words; ++i) out.data()[i] |= inputs[d].data()[i];
      }
    } else {  // Avg: majority, ties to +1
      // A bit-sliced vertical counter: plane j holds bit j of every position's count of +1s.
      constexpr std::size_t planes = std::bit_width(N);
      const std::size_t needed = (present.count(N) + 1) / 2;  // +1s needed: 2 * ones >= voters
      for (std::size_t i = 0; i < S::words; ++i) {
        std::uint64_t count[planes] = {};
        for (std::size_t d = 0; d < N; ++d) {
          if (!present[d]) continue;
          std::uint64_t carry = inputs[d].data()[i];
          for (std::size_t j = 0; j < planes && carry; ++j) {
            const std::uint64_t next = count[j] & carry;
            count[j] ^= carry;
            carry = next;
          }
        }
        // count >= needed, bit-sliced, from the most significant plane down
        std::uint64_t greater = 0, equal = ~std::uint64_t{0};
        for (std::size_t j = planes; j-- > 0;) {
          const bool bit = (needed >> j) & 1u;
          if (bit) {
            equal &= count[j];
          } else {
            greater |= equal & count[j];
            equal &= ~count[j];
          }
        }
        out.data()[i] = (greater | equal) & BitTensor<S>::valid_mask(i % wpp);
      }
    }
    return true;
  }
};

DDNN_END_NAMESPACE
