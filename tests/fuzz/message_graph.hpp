// The graph type the tier-message fuzzer parses messages of: tiny, yet with every kind of message
// a tier sends (packed bits or floats, with or without logits) and every aggregator above them.
#pragma once
#include "ddnn/graph/ddnn.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/dense.hpp"
#include "ddnn/layers/first_conv.hpp"

namespace ddnn_fuzz {
using namespace ddnn;
using Head = BinaryDense<2, Output::logits>;
// Devices send 75 bits (the last byte has spare bits), edge 1 pixels of 70 channels (two words
// a pixel), edge 2 floats; the cloud's message has no logits.
using MessageNetwork = Layers<FirstConv<3, 3, 1, 1>,        // devices: 5x5x1 -> 5x5x3 bits
                              BinaryConv<70, 3, 1, 1>,      // edge 1: 5x5x9 -> 5x5x70 bits
                              Dense<4, Activation::relu>,   // edge 2: bits -> 4 floats
                              Dense<2, Activation::none>>;  // cloud: 4 floats -> 2 logits
struct message_model final
    : DDNN<Sensor<Shape<5, 5, 1>>, MessageNetwork, DeviceTier<3, 1, Exit<Head, Max>>,
           EdgeTier<1, Concat, 2, Exit<Head>>,
           EdgeTier<1, Max, 3, Exit<Dense<2, Activation::none>, Avg>>, CloudTier<Avg>> {
  using DDNN::DDNN;
};
}  // namespace ddnn_fuzz
