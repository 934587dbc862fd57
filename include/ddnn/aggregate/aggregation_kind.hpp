// What an aggregation kind (Max, Avg, Concat, or a new one) must provide, as one checklist the
// compiler checks: its model-file name, its packed-bit combine, and its float combine and gradient.
#pragma once
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ddnn/aggregate/presence.hpp"
#include "ddnn/core/bit_tensor.hpp"
#include "ddnn/core/shape.hpp"

DDNN_BEGIN_NAMESPACE

/// How the N inputs of one aggregate lay out their values: `pixels` x `channels` (HWC, channels
/// innermost). Max and Avg combine value by value; Concat interleaves channels per pixel.
struct values_layout {
  std::size_t pixels = 1;
  std::size_t channels = 1;
  [[nodiscard]] constexpr std::size_t size() const noexcept { return pixels * channels; }
};

/// What the float values stand for: real numbers (logits, float feature maps), or +1/-1 signs
/// simulating packed bits (the trainer's float twin of a binary feature map).
enum class value_domain : std::uint8_t { real, sign };

/// The value an absent input contributes where one must (Concat), and what every output holds
/// when no input is present: 0 for reals, -1 (bit 0) for signs.
[[nodiscard]] constexpr float absent_fill(value_domain domain) noexcept {
  return domain == value_domain::sign ? -1.0f : 0.0f;
}

/// What element-wise kinds (Max, Avg) share: the aggregate has its inputs' shape.
struct elementwise_aggregation {
  template <std::size_t N, ShapeType S>
  using output_shape = S;
  [[nodiscard]] static constexpr std::size_t output_size(std::size_t, values_layout in) noexcept {
    return in.size();
  }
};

/// A float aggregate's inputs: one pointer per input (absent ones included, never read).
using aggregate_inputs = std::span<const float* const>;
/// The gradients of a float aggregate's inputs, one pointer per input (absent ones never written).
using aggregate_input_gradients = std::span<float* const>;

// ---- the pieces, one named concept each --------------------------------------------------------

/// The name it has in model files ("max", "avg", "concat").
template <class Kind>
concept NamedAggregation = requires {
  { Kind::name } -> std::convertible_to<std::string_view>;
  { Kind::concatenates } -> std::convertible_to<bool>;
};

/// Float combine over a presence mask (inference over logits and training's forward pass):
/// `forward(inputs, present, layout, domain, out, winner)` writes output_size(N, layout) values;
/// `winner` (nullable, layout.size() entries) records what backward needs.
template <class Kind>
concept CombinesFloats = requires(aggregate_inputs inputs, Presence present, values_layout layout,
                                  value_domain domain, float* out, std::uint8_t* winner) {
  Kind::forward(inputs, present, layout, domain, out, winner);
  { Kind::output_size(std::size_t{1}, layout) } -> std::convertible_to<std::size_t>;
};

/// The gradient of forward: `backward(grads, present, layout, grad_out, winner)` adds each
/// present input's share of `grad_out` to its gradient.
template <class Kind>
concept DifferentiatesFloats = requires(aggregate_input_gradients grads, Presence present,
                                        values_layout layout, const float* grad_out,
                                        const std::uint8_t* winner) {
  Kind::backward(grads, present, layout, grad_out, winner);
};

/// Packed-bit combine of N maps of one shape (inference over binary feature maps).
template <class Kind>
concept CombinesBits =
    requires(std::span<const BitTensor<Shape<1, 1, 1>>, 2> inputs, Presence present,
             BitTensor<typename Kind::template output_shape<2, Shape<1, 1, 1>>>& out) {
  Kind::combine_bits(inputs, present, out);
};

/// The largest |value| forward computes along the way, from each input's bound (so a graph can
/// refuse parameters whose combine would overflow, e.g. Avg's sum before it divides).
template <class Kind>
concept BoundsItsValues = requires(std::span<const double> input_bounds) {
  { Kind::intermediate_bound(input_bounds) } -> std::convertible_to<double>;
};

/// Every piece an aggregation kind needs (see docs/extending.md).
template <class Kind>
concept AggregationKind = NamedAggregation<Kind> && CombinesFloats<Kind> &&
    DifferentiatesFloats<Kind> && CombinesBits<Kind> && BoundsItsValues<Kind>;

/// The same checklist as static_asserts, so a kind that lacks a piece is named with the piece.
template <class Kind>
constexpr bool check_aggregation_kind() {
  static_assert(NamedAggregation<Kind>,
                "an aggregation kind requires `static constexpr std::string_view name` (its "
                "model-file name) and `static constexpr bool concatenates`");
  static_assert(CombinesFloats<Kind>,
                "an aggregation kind requires static forward(inputs, present, layout, domain, "
                "out, winner) and output_size(n, layout): its float combine");
  static_assert(DifferentiatesFloats<Kind>,
                "an aggregation kind requires static backward(grads, present, layout, grad_out, "
                "winner): the gradient of its float combine, for training");
  static_assert(CombinesBits<Kind>,
                "an aggregation kind requires a template output_shape<N, S> and static "
                "combine_bits(inputs, present, out): its packed-bit combine");
  static_assert(BoundsItsValues<Kind>,
                "an aggregation kind requires static intermediate_bound(input_bounds): the "
                "largest value its combine computes");
  return true;
}

DDNN_END_NAMESPACE
