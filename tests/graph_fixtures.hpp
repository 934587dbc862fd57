// Test fixtures for DDNN graphs: random parameters and sensor inputs drawn from a test's
// generator, and the topologies of issue 3 (plus a concatenating exit and float upper tiers).
#pragma once
#include <cstdint>
#include <random>
#include <tuple>
#include <utility>

#include "ddnn/graph/ddnn.hpp"
#include "ddnn/graph/random_parameters.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/dense.hpp"
#include "ddnn/layers/first_conv.hpp"
#include "ddnn/layers/max_pool.hpp"
#include "reference.hpp"

namespace fixtures {
using namespace ddnn;

/// Random parameters for every node of every tier of `Graph` (ddnn::random_parameters, seeded
/// from the test's generator); every exit at `threshold`.
template <class Graph>
typename Graph::parameters_type random_parameters(std::mt19937& rng, double threshold = 0.5) {
  const std::uint64_t seed = (std::uint64_t{rng()} << 32) | rng();
  return ddnn::random_parameters<Graph>(seed, threshold);
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
/// (b) with a local exit that concatenates the device logits into a float dense head (CC)
using ConcatExit = Exit<Head3, Concat, NormalizedEntropy, Dense<3, Activation::none>>;
struct concat_exit final
    : DDNN<Sensor<Tile>, Network, DeviceTier<6, 1, ConcatExit>, CloudTier<Concat>> {
  using DDNN::DDNN;
};
/// (b) with a float cloud, as the main job's: a float hidden layer over the devices' bits, then
/// float logits (the hidden layer's 70 outputs fill one panel of the float kernel and part of a
/// second)
using DenseCloudNetwork =
    Layers<FirstConv<4, 3, 1, 1, MaxPool<3, 2, 1>>, Dense<70>, Dense<3, Activation::none>>;
struct dense_cloud final
    : DDNN<Sensor<Tile>, DenseCloudNetwork, DeviceTier<6, 1, Exit<Head3, Max>>, CloudTier<Concat>> {
  using DDNN::DDNN;
};
/// (d) with float edges: two edge nodes, each a float layer with a float exit head, and a float
/// cloud over their concatenated outputs
using DenseEdgeExit = Exit<Dense<3, Activation::none>, Avg>;
struct dense_edges final : DDNN<Sensor<Tile>, DenseCloudNetwork, DeviceTier<6, 1, Exit<Head3, Max>>,
                                EdgeTier<2, Concat, 2, DenseEdgeExit>, CloudTier<Concat>> {
  using DDNN::DDNN;
};
}  // namespace fixtures
