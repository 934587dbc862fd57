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

/// Each device: 3x3 binary filters over its 8-bit pixels, max-pool 3/2/1, BatchNorm, sign.
template <std::size_t F>
using DeviceLayer = FirstConv<F, 3, 1, 1, MaxPool<3, 2, 1>>;
/// The device's exit head: a binary dense layer to 10 logits.
using DeviceHead = BinaryDense<classes, Output::logits>;

/// Binary cloud: two binary conv blocks and a binary classifier, as in the paper.
template <std::size_t F>
using BinaryCloudNetwork =
    Layers<DeviceLayer<F>, BinaryConv<64, 3, 1, 1, MaxPool<3, 1, 1>>,
           BinaryConv<64, 3, 1, 1, MaxPool<3, 1, 1>>, BinaryDense<classes, Output::logits>>;
/// Float cloud: the same blocks with float weights and ReLU, and a float classifier.
template <std::size_t F>
using FloatCloudNetwork =
    Layers<DeviceLayer<F>, Conv<64, 3, 1, 1, MaxPool<3, 1, 1>>, Conv<64, 3, 1, 1, MaxPool<3, 1, 1>>,
           Dense<classes, Activation::none>>;

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
