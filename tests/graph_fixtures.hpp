// Test fixtures for DDNN graphs: random parameters for any graph type (layer by layer, from the
// bound layer types), random sensor inputs, and the four topologies of issue 3.
#pragma once
#include <cstdint>
#include <random>
#include <tuple>
#include <utility>

#include "ddnn/graph/ddnn.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/first_conv.hpp"
#include "ddnn/layers/max_pool.hpp"
#include "reference.hpp"

namespace fixtures {
using namespace ddnn;

template <ShapeType In, class Spec>
ConvParameters random_layer(std::mt19937& rng, const FirstConvLayer<In, Spec>*) {
  constexpr std::size_t taps = Spec::kernel * Spec::kernel * In::channels;
  return {ref::random_signs(rng, Spec::filters * taps),
          ref::random_bn(rng, int(Spec::filters), float(255 * taps) / 6.0f)};
}
template <ShapeType In, class Spec>
ConvParameters random_layer(std::mt19937& rng, const BinaryConvLayer<In, Spec>*) {
  constexpr std::size_t taps = Spec::kernel * Spec::kernel * In::channels;
  return {ref::random_signs(rng, Spec::filters * taps),
          ref::random_bn(rng, int(Spec::filters), float(taps) / 4.0f)};
}
template <ShapeType In, class Spec>
DenseParameters random_layer(std::mt19937& rng, const BinaryDenseLayer<In, Spec>*) {
  DenseParameters p;
  p.weights = ref::random_signs(rng, Spec::outputs * In::size);
  if constexpr (Spec::produces_logits) {
    std::uniform_real_distribution<float> scale(0.01f, 0.2f), bias(-1.0f, 1.0f);
    for (std::size_t n = 0; n < Spec::outputs; ++n) {
      p.scale.push_back(scale(rng));
      p.bias.push_back(bias(rng));
    }
  } else {
    p.batchnorm = ref::random_bn(rng, int(Spec::outputs), float(In::size) / 4.0f);
  }
  return p;
}
template <ShapeType In, class Pool>
NoParameters random_layer(std::mt19937&, const MaxPoolLayer<In, Pool>*) {
  return {};
}

template <class LayerTuple, std::size_t... I>
auto random_layers(std::mt19937& rng, std::index_sequence<I...>) {
  // Braced initialisation evaluates left to right, so the draws happen in layer order.
  return std::tuple{
      random_layer(rng, static_cast<const std::tuple_element_t<I, LayerTuple>*>(nullptr))...};
}

/// Random parameters for every node of every tier of `Graph`; thresholds as given.
template <class Graph>
typename Graph::parameters_type random_parameters(std::mt19937& rng, double threshold = 0.5) {
  typename Graph::parameters_type p;
  [&]<std::size_t... T>(std::index_sequence<T...>) {
    (
        [&] {
          using Tier = typename Graph::template tier<T>;
          using LayerTuple = typename Tier::section::layer_types;
          auto& tp = p.template tier<T>();
          tp.threshold = threshold;
          for (auto& node : tp.nodes) {
            node.layers = random_layers<LayerTuple>(
                rng, std::make_index_sequence<std::tuple_size_v<LayerTuple>>{});
            if constexpr (Tier::has_exit)
              node.exit_head =
                  random_layer(rng, static_cast<const typename Tier::exit::head_layer*>(nullptr));
          }
        }(),
        ...);
  }
  (std::make_index_sequence<Graph::tier_count>{});
  return p;
}

/// One sample's random sensor inputs.
template <class Graph>
typename Graph::inputs_type random_inputs(std::mt19937& rng) {
  typename Graph::inputs_type inputs;
  for (auto& t : inputs)
    for (auto& v : t.values()) v = std::uint8_t(rng());
  return inputs;
}

// ---- the four topologies (small shapes so tests stay fast) ------------------------------------
using Tile = Shape<10, 14, 1>;
using Head3 = BinaryDense<3, Output::logits>;
using Network = Layers<FirstConv<4, 3, 1, 1, MaxPool<3, 2, 1>>,    // device: 10x14x1 -> 5x7x4 bits
                       BinaryConv<16, 3, 1, 1>,                    // above: 5x7x(4n) -> 5x7x16
                       BinaryConv<16, 3, 1, 1, MaxPool<3, 2, 1>>,  // -> 3x4x16
                       Head3>;                                     // -> 3 logits

/// (a) one device -> cloud
struct one_device final
    : DDNN<Sensor<Tile>, Network, DeviceTier<1, 1, Exit<Head3>>, CloudTier<Concat>> {
  using DDNN::DDNN;
};
/// (b) six devices -> local Max exit -> Concat -> cloud (the paper's best setting)
struct paper final
    : DDNN<Sensor<Tile>, Network, DeviceTier<6, 1, Exit<Head3, Max>>, CloudTier<Concat>> {
  using DDNN::DDNN;
};
/// (c) devices -> edge (its own aggregator and exit) -> cloud
struct three_tier final : DDNN<Sensor<Tile>, Network, DeviceTier<6, 1, Exit<Head3, Max>>,
                               EdgeTier<1, Concat, 2, Exit<Head3>>, CloudTier<Max>> {
  using DDNN::DDNN;
};
/// (d) two edges, each aggregating three devices, -> cloud
struct two_edges final : DDNN<Sensor<Tile>, Network, DeviceTier<6, 1>,
                              EdgeTier<2, Concat, 2, Exit<Head3, Avg>>, CloudTier<Concat>> {
  using DDNN::DDNN;
};
}  // namespace fixtures
