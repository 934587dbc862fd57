// The paper-style DDNNs of the MNIST main job (DESIGN.md section 3): six devices, each a binary
// first layer with f filters, a max-pool, BatchNorm + sign and an exit head; a local aggregator
// over the devices' logits with its exit; the cloud aggregating the devices' bit maps into a
// binary or float section and its classifier.
#pragma once
#include <cstddef>

#include "ddnn/ddnn.hpp"

namespace mnist_ddnn {

using namespace ddnn;

inline constexpr std::size_t classes = 10;
inline constexpr std::size_t devices = 6;

/// Each device: 3x3 binary filters over its 8-bit pixels, max-pool 2/2, BatchNorm, sign (the
/// paper's pool 3/2/1 gives the same 5x7 map on a tile and measured 0.5 points lower).
template <std::size_t F>
using DeviceLayer = FirstConv<F, 3, 1, 1, MaxPool<2, 2, 0>>;
/// Filters per device in the default run (the paper's MVMC devices had 4; --full compares 1-8).
inline constexpr std::size_t default_filters = 8;
/// The device's exit head: a binary dense layer to 10 logits.
using DeviceHead = BinaryDense<classes, Output::logits>;

/// Binary cloud: two binary fully connected blocks (BatchNorm + sign) and a binary classifier.
/// (Measured on tiles: binary conv blocks over the 5x7 concatenated maps, as in the paper's MVMC
/// cloud, learned less in the same time: about 90% against 95%.)
template <std::size_t F>
using BinaryCloudNetwork = Layers<DeviceLayer<F>, BinaryDense<512>, BinaryDense<512>,
                                  BinaryDense<classes, Output::logits>>;
/// Float cloud: a float hidden layer (BatchNorm + ReLU) and a float classifier.
template <std::size_t F>
using FloatCloudNetwork = Layers<DeviceLayer<F>, Dense<256>, Dense<classes, Activation::none>>;

/// Local aggregators over the devices' logits (the first letters of the paper's scheme names).
using LocalMax = Exit<DeviceHead, Max>;  // MP
using LocalAvg = Exit<DeviceHead, Avg>;  // AP
using LocalConcat =
    Exit<DeviceHead, Concat, NormalizedEntropy, Dense<classes, Activation::none>>;  // CC

/// A paper-style DDNN: `Sensor` per device, f filters, the local exit's aggregator, the cloud's
/// aggregator of the devices' bit maps, binary or float cloud.
template <class SensorShape, std::size_t F, class LocalExit, AggregationKind CloudAggregation,
          bool FloatCloud>
using PaperDDNN = DDNN<Sensor<SensorShape>,
                       std::conditional_t<FloatCloud, FloatCloudNetwork<F>, BinaryCloudNetwork<F>>,
                       DeviceTier<devices, 1, LocalExit>, CloudTier<CloudAggregation>>;

}  // namespace mnist_ddnn
