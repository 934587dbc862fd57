// Max: element-wise maximum of the present inputs. Over packed bits it is OR (the max of +1/-1);
// its gradient goes to the input that won each value (the first present one on ties).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ddnn/aggregate/aggregation_kind.hpp"

DDNN_BEGIN_NAMESPACE

struct Max : elementwise_aggregation {
  static constexpr std::string_view name = "max";
  static constexpr bool concatenates = false;

  /// out[i] = max over present inputs, taken in input order with `>`: the first present input
  /// wins ties, and `winner[i]` (if given) is the input that won. No input present: all fill.
  static void forward(aggregate_inputs inputs, Presence present, values_layout in,
                      value_domain domain, float* out, std::uint8_t* winner) noexcept {
    const std::size_t size = in.size();
    std::fill_n(out, size, absent_fill(domain));
    if (winner) std::fill_n(winner, size, std::uint8_t{0});
    bool first = true;
    for (std::size_t d = 0; d < inputs.size(); ++d) {
      if (!present[d]) continue;
      const float* v = inputs[d];
      for (std::size_t i = 0; i < size; ++i) {
        if (first || v[i] > out[i]) {
          out[i] = v[i];
          if (winner) winner[i] = std::uint8_t(d);
        }
      }
      first = false;
    }
  }

  /// The whole gradient of each value goes to the input that won it.
  static void backward(aggregate_input_gradients grads, Presence present, values_layout in,
                       const float* grad_out, const std::uint8_t* winner) noexcept {
    if (present.none(grads.size())) return;
    for (std::size_t i = 0; i < in.size(); ++i) grads[winner[i]][i] += grad_out[i];
  }

  /// OR of the present maps.
  template <std::size_t N, ShapeType S>
  static void combine_bits(std::span<const BitTensor<S>, N> inputs, Presence present,
                           BitTensor<S>& out) noexcept {
    for (std::uint64_t& w : out.words()) w = 0;
    for (std::size_t d = 0; d < N; ++d) {
      if (!present[d]) continue;
      for (std::size_t i = 0; i < S::words; ++i) out.data()[i] |= inputs[d].data()[i];
    }
  }

  /// A maximum is one of its inputs.
  [[nodiscard]] static double intermediate_bound(std::span<const double> bounds) noexcept {
    double bound = 0.0;
    for (const double b : bounds) bound = std::max(bound, b);
    return bound;
  }
};

DDNN_END_NAMESPACE
