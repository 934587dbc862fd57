// Aggregator<Max|Avg|Concat>: fuses N devices' outputs, over float logits or packed binary
// feature maps, honouring a presence mask. Semantics (DESIGN.md section 2):
//   logits  Max: element-wise max of present inputs; Avg: mean of present inputs (summed in
//           device order, then divided); Concat: device d's values at [d*C, d*C + C), absent
//           devices filled with 0.0f.
//   bits    Max: OR of present inputs (max of +1/-1); Avg: per-bit majority of present inputs,
//           a tie gives +1 (the library's sign(0) = +1); Concat: channel concat, device d's
//           channel c becomes channel d*C + c, absent devices filled with -1 (bit 0).
// With no device present every combine() returns false ("no answer") and zeroes its output.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
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

  /// Logits (or any float tensors). Returns false, with `out` zeroed, when none is present.
  template <std::size_t N, ShapeType S>
  [[nodiscard]] static bool combine(const std::array<Tensor<float, S>, N>& inputs, Presence present,
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
  [[nodiscard]] static bool combine(const std::array<BitTensor<S>, N>& inputs, Presence present,
                                    BitTensor<output_shape<N, S>>& out) {
    detail::check_devices<N>(present);
    for (std::uint64_t& w : out.words()) w = 0;
    if (present.none(N)) return false;
    constexpr std::size_t wpp = S::words_per_pixel;
    if constexpr (concatenates) {
      for (std::size_t d = 0; d < N; ++d) {
        if (!present[d]) continue;  // the documented fill, -1 (bit 0), is already there
        for (std::size_t y = 0; y < S::height; ++y)
          for (std::size_t x = 0; x < S::width; ++x)
            for (std::size_t c = 0; c < S::channels; ++c)
              if (inputs[d].bit(y, x, c)) out.set_bit(y, x, d * S::channels + c, true);
      }
    } else if constexpr (std::is_same_v<Kind, Max>) {
      for (std::size_t d = 0; d < N; ++d) {
        if (!present[d]) continue;
        for (std::size_t i = 0; i < S::words; ++i) out.data()[i] |= inputs[d].data()[i];
      }
    } else {  // Avg: majority, ties to +1
      const std::size_t voters = present.count(N);
      for (std::size_t i = 0; i < S::words; ++i) {
        const std::uint64_t valid = BitTensor<S>::valid_mask(i % wpp);
        std::uint64_t word = 0;
        for (std::size_t b = 0; b < 64; ++b) {
          if (!((valid >> b) & 1u)) break;
          std::size_t ones = 0;
          for (std::size_t d = 0; d < N; ++d)
            if (present[d]) ones += (inputs[d].data()[i] >> b) & 1u;
          if (2 * ones >= voters) word |= std::uint64_t{1} << b;
        }
        out.data()[i] = word;
      }
    }
    return true;
  }
};

DDNN_END_NAMESPACE
