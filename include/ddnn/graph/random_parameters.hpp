// Random parameters for any DDNN graph type, each layer's drawn by its kind
// (Layer::random_parameters: signs for binary weights, BatchNorm steps inside the reachable sum
// range, small logit scales). For trying a topology out (examples, benchmarks, tests) before it
// is trained; deterministic for a seed on every platform.
#pragma once
#include <cstdint>
#include <tuple>
#include <utility>
#include <vector>

#include "ddnn/core/random_stream.hpp"
#include "ddnn/graph/ddnn.hpp"

DDNN_BEGIN_NAMESPACE

namespace detail {
template <class LayerTuple, std::size_t... I>
auto random_layers(random_stream& r, std::index_sequence<I...>) {
  // Braced initialisation evaluates left to right: the draws happen in layer order.
  return std::tuple{std::tuple_element_t<I, LayerTuple>::random_parameters(r)...};
}
}  // namespace detail

/// Random parameters for every node of every tier of `Graph`, every exit at `threshold`.
template <class Graph>
[[nodiscard]] typename Graph::parameters_type random_parameters(std::uint64_t seed,
                                                                double threshold = 0.5) {
  detail::random_stream r(seed);
  typename Graph::parameters_type p;
  [&]<std::size_t... T>(std::index_sequence<T...>) {
    (
        [&] {
          using Tier = typename Graph::template tier<T>;
          using LayerTuple = typename Tier::section::layer_types;
          auto& tp = p.template tier<T>();
          tp.threshold = threshold;
          if constexpr (Tier::exit::concatenates)
            tp.exit_combine = Tier::exit::combine_layer::random_parameters(r);
          for (auto& node : tp.nodes) {
            node.layers = detail::random_layers<LayerTuple>(
                r, std::make_index_sequence<std::tuple_size_v<LayerTuple>>{});
            if constexpr (Tier::has_exit)
              node.exit_head = Tier::exit::head_layer::random_parameters(r);
          }
        }(),
        ...);
  }
  (std::make_index_sequence<Graph::tier_count>{});
  return p;
}

DDNN_END_NAMESPACE
