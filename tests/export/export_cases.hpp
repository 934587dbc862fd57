// The graphs whose devices the export tests export: every device layer kind, uint8, int8 and
// float sensors, channel counts that are not multiples of 32 or 64, padding, fused and
// standalone pools, a bits BinaryDense, devices with and without an exit. Shared by the program
// that writes the headers (generate_exported_devices.cpp) and the host test that compares them
// with the library (test_exported_devices.cpp).
#pragma once
#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "ddnn/graph/ddnn.hpp"
#include "ddnn/graph/random_parameters.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/first_conv.hpp"
#include "ddnn/layers/max_pool.hpp"

namespace export_cases {
using namespace ddnn;

/// The main job's device: a 10x14 tile, 16 filters, 16 channels pooled to 5x7, 10 logits sent
/// over the int8 logits link (make() sets it, as the main job does).
using Logits10 = BinaryDense<10, Output::logits>;
struct main_job final
    : DDNN<Sensor<Shape<10, 14, 1>>,
           Layers<FirstConv<16, 3, 1, 1>, BinaryConv<16, 3, 1, 1, MaxPool<2, 2, 0>>, Logits10>,
           DeviceTier<2, 2, Exit<Logits10, Max>>, CloudTier<Concat>> {
  using DDNN::DDNN;
};

/// int8, 3 channels, strided FirstConv with a padded pool, 33 channels, a standalone pool and a
/// bits BinaryDense before a 7-class head.
using Logits7 = BinaryDense<7, Output::logits>;
struct int8_deep final
    : DDNN<Sensor<Shape<9, 11, 3>, std::int8_t>,
           Layers<FirstConv<5, 3, 2, 1, MaxPool<3, 2, 1>>, BinaryConv<33, 2, 1, 1>,
                  MaxPool<2, 2, 0>, BinaryDense<40>, Logits7>,
           DeviceTier<3, 4, Exit<Logits7, Avg>>, CloudTier<Concat>> {
  using DDNN::DDNN;
};

/// float input, 70 first-layer filters (more than 64), a strided BinaryConv with an overlapping
/// padded pool.
using Logits3 = BinaryDense<3, Output::logits>;
struct float_wide final
    : DDNN<Sensor<Shape<8, 8, 2>, float>,
           Layers<FirstConv<70, 3, 1, 0>, BinaryConv<7, 3, 2, 1, MaxPool<2, 1, 1>>, Logits3>,
           DeviceTier<2, 2, Exit<Logits3, Max>>, CloudTier<Max>> {
  using DDNN::DDNN;
};

/// No exit on the devices: the message is the feature map only; 65 channels.
using Logits4 = BinaryDense<4, Output::logits>;
struct no_exit final
    : DDNN<Sensor<Shape<7, 7, 2>>,
           Layers<FirstConv<9, 2, 1, 0>, BinaryConv<65, 3, 1, 1, MaxPool<3, 3, 0>>, Logits4>,
           DeviceTier<2, 2, NoExit>, CloudTier<Concat>> {
  using DDNN::DDNN;
};

/// One FirstConv layer with a 5x5 kernel and a padded pool, 4 channels.
using Logits2 = BinaryDense<2, Output::logits>;
struct single_layer final
    : DDNN<Sensor<Shape<5, 5, 4>>, Layers<FirstConv<3, 5, 1, 2, MaxPool<2, 2, 1>>, Logits2>,
           DeviceTier<2, 1, Exit<Logits2, Max>>, CloudTier<Max>> {
  using DDNN::DDNN;
};

/// A case's graph with the parameters its seed gives (main_job's logits over the int8 link, the
/// others over float32).
template <class Graph>
Graph make(std::uint64_t seed) {
  auto p = ddnn::random_parameters<Graph>(seed, 0.5);
  if constexpr (std::is_same_v<Graph, main_job>)
    p.template tier<0>().logits_link = LogitsEncoding::int8;
  return Graph(p);
}

/// Random sensor values: the full 8-bit range, or for float input values in +-300 (the scale
/// random FirstConv thresholds assume) mixed with zeros of both signs, subnormals, huge values
/// whose sums overflow, and integers.
template <class Value>
Value random_value(std::mt19937& rng) {
  if constexpr (std::is_same_v<Value, float>) {
    switch (rng() % 16) {
      case 0:
        return rng() % 2 ? 0.0f : -0.0f;
      case 1:
        return std::bit_cast<float>(std::uint32_t(rng() % 0x800000u) |
                                    (rng() % 2 ? 0x80000000u : 0));
      case 2:
        return (rng() % 2 ? 1.0f : -1.0f) * 3.0e38f;
      case 3:
        return float(int(rng() % 511) - 255);
      default:
        return std::uniform_real_distribution<float>(-300.0f, 300.0f)(rng);
    }
  } else {
    return Value(rng());
  }
}

template <class Graph>
typename Graph::input_type random_input(std::mt19937& rng) {
  typename Graph::input_type input;
  using Value = typename Graph::sensor::value_type;
  for (auto& v : input.values()) v = random_value<Value>(rng);
  return input;
}

}  // namespace export_cases
