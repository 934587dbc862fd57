// Aggregator<Max|Avg|Concat>: fuses N nodes' outputs, float logits or packed binary feature maps,
// honouring a presence mask. Each kind's rules live in its own header (max.hpp, avg.hpp,
// concat.hpp; docs/semantics.md has the table); this is the typed front door every tier uses.
// With no input present every combine() returns false ("no answer") and fills its output.
#pragma once
#include <array>
#include <cstddef>
#include <span>

#include "ddnn/aggregate/aggregation_kind.hpp"
#include "ddnn/aggregate/avg.hpp"
#include "ddnn/aggregate/concat.hpp"
#include "ddnn/aggregate/max.hpp"
#include "ddnn/aggregate/presence.hpp"
#include "ddnn/core/bit_tensor.hpp"
#include "ddnn/core/tensor.hpp"

DDNN_BEGIN_NAMESPACE

namespace detail {
template <std::size_t N>
inline void check_devices(Presence present) {
  static_assert(N >= 1 && N <= max_devices, "Aggregator requires between 1 and 64 devices");
  present.check_within(N);
}
}  // namespace detail

template <class Kind>
struct Aggregator {
  static_assert(check_aggregation_kind<Kind>());
  using kind = Kind;
  static constexpr bool concatenates = Kind::concatenates;
  static constexpr std::string_view name = Kind::name;

  /// Shape of the aggregate of N inputs of shape S.
  template <std::size_t N, ShapeType S>
  using output_shape = typename Kind::template output_shape<N, S>;

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
    std::array<const float*, N> values;
    for (std::size_t d = 0; d < N; ++d) values[d] = inputs[d].data();
    Kind::forward(values, present, {S::pixels, S::channels}, value_domain::real, out.data(),
                  nullptr);
    return !present.none(N);
  }

  /// Packed binary feature maps. Returns false, with `out` all -1 (bits 0), when none is present.
  template <std::size_t N, ShapeType S>
  [[nodiscard]] static bool combine(std::span<const BitTensor<S>, N> inputs, Presence present,
                                    BitTensor<output_shape<N, S>>& out) {
    detail::check_devices<N>(present);
    if (present.none(N)) {
      for (std::uint64_t& w : out.words()) w = 0;
      return false;
    }
    Kind::template combine_bits<N, S>(inputs, present, out);
    return true;
  }
};

DDNN_END_NAMESPACE
