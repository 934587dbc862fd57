// Concat: the inputs side by side, channel-interleaved per pixel (input d's channel c becomes
// channel d*C + c); an absent input's channels hold the fill (0.0f, or -1 / bit 0 for bits).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ddnn/aggregate/aggregation_kind.hpp"

DDNN_BEGIN_NAMESPACE

struct Concat {
  static constexpr std::string_view name = "concat";
  static constexpr bool concatenates = true;

  template <std::size_t N, ShapeType S>
  using output_shape = Shape<S::height, S::width, N * S::channels>;

  [[nodiscard]] static constexpr std::size_t output_size(std::size_t n, values_layout in) noexcept {
    return n * in.size();
  }

  static void forward(aggregate_inputs inputs, Presence present, values_layout in,
                      value_domain domain, float* out, std::uint8_t*) noexcept {
    const std::size_t n = inputs.size(), c = in.channels;
    std::fill_n(out, n * in.size(), absent_fill(domain));
    for (std::size_t d = 0; d < n; ++d) {
      if (!present[d]) continue;
      for (std::size_t p = 0; p < in.pixels; ++p)
        std::copy_n(inputs[d] + p * c, c, out + (p * n + d) * c);
    }
  }

  /// Each present input gets back its own channels' gradient.
  static void backward(aggregate_input_gradients grads, Presence present, values_layout in,
                       const float* grad_out, const std::uint8_t*) noexcept {
    const std::size_t n = grads.size(), c = in.channels;
    for (std::size_t d = 0; d < n; ++d) {
      if (!present[d]) continue;
      for (std::size_t p = 0; p < in.pixels; ++p)
        for (std::size_t k = 0; k < c; ++k) grads[d][p * c + k] += grad_out[(p * n + d) * c + k];
    }
  }

  /// Channel concat of packed maps, with absent maps' channels left at bit 0 (-1).
  template <std::size_t N, ShapeType S>
  static void combine_bits(std::span<const BitTensor<S>, N> inputs, Presence present,
                           BitTensor<output_shape<N, S>>& out) noexcept {
    using Out = output_shape<N, S>;
    for (std::uint64_t& w : out.words()) w = 0;
    for (std::size_t d = 0; d < N; ++d) {
      if (!present[d]) continue;
      for (std::size_t p = 0; p < S::pixels; ++p)
        detail::copy_bits(inputs[d].data() + p * S::words_per_pixel, S::channels,
                          out.data() + p * Out::words_per_pixel, d * S::channels);
    }
  }

  /// Concatenation copies its inputs.
  [[nodiscard]] static double intermediate_bound(std::span<const double> bounds) noexcept {
    double bound = 0.0;
    for (const double b : bounds) bound = std::max(bound, b);
    return bound;
  }
};

DDNN_END_NAMESPACE
