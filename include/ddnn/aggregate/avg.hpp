// Avg: the mean of the present inputs (summed in input order, then divided by their count).
// Over packed bits it is the per-bit majority, a tie giving +1 (sign(0) = +1).
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ddnn/aggregate/aggregation_kind.hpp"

DDNN_BEGIN_NAMESPACE

struct Avg : elementwise_aggregation {
  static constexpr std::string_view name = "avg";
  static constexpr bool concatenates = false;

  /// Reals: the mean. Signs (+1/-1 simulating bits): the majority, a tie giving +1, exactly as
  /// combine_bits decides. No input present: all fill.
  static void forward(aggregate_inputs inputs, Presence present, values_layout in,
                      value_domain domain, float* out, std::uint8_t*) noexcept {
    const std::size_t size = in.size();
    std::size_t count = 0;
    for (std::size_t d = 0; d < inputs.size(); ++d) {
      if (!present[d]) continue;
      const float* v = inputs[d];
      for (std::size_t i = 0; i < size; ++i) out[i] = count == 0 ? v[i] : out[i] + v[i];
      ++count;
    }
    if (count == 0) {
      std::fill_n(out, size, absent_fill(domain));
      return;
    }
    for (std::size_t i = 0; i < size; ++i)
      out[i] =
          domain == value_domain::sign ? (out[i] >= 0.0f ? 1.0f : -1.0f) : out[i] / float(count);
  }

  /// The mean's gradient, shared equally (the majority's, straight through).
  static void backward(aggregate_input_gradients grads, Presence present, values_layout in,
                       const float* grad_out, const std::uint8_t*) noexcept {
    const std::size_t count = present.count(grads.size());
    if (count == 0) return;
    for (std::size_t d = 0; d < grads.size(); ++d) {
      if (!present[d]) continue;
      float* g = grads[d];
      for (std::size_t i = 0; i < in.size(); ++i) g[i] += grad_out[i] / float(count);
    }
  }

  /// Per-bit majority of the present maps, a tie giving +1 (bit 1).
  template <std::size_t N, ShapeType S>
  static void combine_bits(std::span<const BitTensor<S>, N> inputs, Presence present,
                           BitTensor<S>& out) noexcept {
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
        if ((needed >> j) & 1u) {
          equal &= count[j];
        } else {
          greater |= equal & count[j];
          equal &= ~count[j];
        }
      }
      out.data()[i] = (greater | equal) & BitTensor<S>::valid_mask(i % S::words_per_pixel);
    }
  }

  /// The sum before the division can reach the sum of the inputs' bounds.
  [[nodiscard]] static double intermediate_bound(std::span<const double> bounds) noexcept {
    double bound = 0.0;
    for (const double b : bounds) bound += b;
    return bound;
  }
};

DDNN_END_NAMESPACE
