// Random parameters for any DDNN graph type: signs for binary weights, BatchNorm steps inside
// each layer's reachable sum range, small logit scales. For trying a topology out (examples,
// benchmarks, tests) before it is trained; deterministic for a seed on every platform.
#pragma once
#include <cmath>
#include <cstdint>
#include <tuple>
#include <utility>
#include <vector>

#include "ddnn/graph/ddnn.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/first_conv.hpp"
#include "ddnn/layers/max_pool.hpp"

DDNN_BEGIN_NAMESPACE

// Float layers are only named here (their parameters are drawn without their headers), so a
// binary graph's random parameters need no Eigen.
template <ShapeType In, class Spec>
class ConvLayer;
template <ShapeType In, class Spec>
class DenseLayer;

namespace detail {
/// splitmix64: a tiny generator whose output is the same everywhere (std distributions are not).
class random_stream {
 public:
  explicit random_stream(std::uint64_t seed) noexcept : state_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
  }
  /// Uniform in [-1, 1).
  float symmetric() noexcept { return float(double(next() >> 11) * 0x1.0p-52 - 1.0); }
  float sign() noexcept { return (next() & 1u) ? 1.0f : -1.0f; }

 private:
  std::uint64_t state_;
};

inline std::vector<float> random_signs(random_stream& r, std::size_t n) {
  std::vector<float> v(n);
  for (float& x : v) x = r.sign();
  return v;
}

/// BatchNorm per channel whose step lies within +-spread of the sums' centre.
inline std::vector<BatchNorm> random_batchnorm(random_stream& r, std::size_t n, float centre,
                                               float spread) {
  std::vector<BatchNorm> bn(n);
  for (BatchNorm& b : bn) {
    b.gamma = r.sign() * (0.5f + std::abs(r.symmetric()));
    b.beta = 0.1f * r.symmetric();
    b.mean = centre + spread * r.symmetric();
    b.sigma = 1.0f + spread * std::abs(r.symmetric());
  }
  return bn;
}

template <ShapeType In, class Spec>
ConvParameters random_layer(random_stream& r, const FirstConvLayer<In, Spec>*) {
  constexpr std::size_t taps = Spec::kernel * Spec::kernel * In::channels;
  // A window of uint8 values (mean ~128) under random signs sums to about 128 * sqrt(taps).
  const float spread = 128.0f * std::sqrt(float(taps));
  return {random_signs(r, Spec::filters * taps), random_batchnorm(r, Spec::filters, 0, spread)};
}
template <ShapeType In, class Spec>
ConvParameters random_layer(random_stream& r, const BinaryConvLayer<In, Spec>*) {
  constexpr std::size_t taps = Spec::kernel * Spec::kernel * In::channels;
  return {random_signs(r, Spec::filters * taps),
          random_batchnorm(r, Spec::filters, 0, std::sqrt(float(taps)))};
}
template <ShapeType In, class Spec>
DenseParameters random_layer(random_stream& r, const BinaryDenseLayer<In, Spec>*) {
  DenseParameters p;
  p.weights = random_signs(r, Spec::outputs * In::size);
  const float spread = std::sqrt(float(In::size));
  if constexpr (Spec::produces_logits) {
    for (std::size_t n = 0; n < Spec::outputs; ++n) {
      p.scale.push_back((1.0f + std::abs(r.symmetric())) / spread);
      p.bias.push_back(0.5f * r.symmetric());
    }
  } else {
    p.batchnorm = random_batchnorm(r, Spec::outputs, 0, spread);
  }
  return p;
}
/// Float weights uniform in +-sqrt(3 / fan_in) (unit variance of the sums for unit inputs).
inline std::vector<float> random_floats(random_stream& r, std::size_t n, std::size_t fan_in) {
  const float bound = std::sqrt(3.0f / float(fan_in));
  std::vector<float> v(n);
  for (float& x : v) x = bound * r.symmetric();
  return v;
}
template <ShapeType In, class Spec>
ConvParameters random_layer(random_stream& r, const ConvLayer<In, Spec>*) {
  constexpr std::size_t taps = Spec::kernel * Spec::kernel * In::channels;
  return {random_floats(r, Spec::filters * taps, taps), random_batchnorm(r, Spec::filters, 0, 1)};
}
template <ShapeType In, class Spec>
DenseParameters random_layer(random_stream& r, const DenseLayer<In, Spec>*) {
  DenseParameters p;
  p.weights = random_floats(r, Spec::outputs * In::size, In::size);
  if constexpr (Spec::produces_logits) {
    for (std::size_t n = 0; n < Spec::outputs; ++n) {
      p.scale.push_back(1.0f + std::abs(r.symmetric()));
      p.bias.push_back(0.5f * r.symmetric());
    }
  } else {
    p.batchnorm = random_batchnorm(r, Spec::outputs, 0, 1);
  }
  return p;
}
template <ShapeType In, class Pool>
NoParameters random_layer(random_stream&, const MaxPoolLayer<In, Pool>*) {
  return {};
}

template <class LayerTuple, std::size_t... I>
auto random_layers(random_stream& r, std::index_sequence<I...>) {
  // Braced initialisation evaluates left to right: the draws happen in layer order.
  return std::tuple{
      random_layer(r, static_cast<const std::tuple_element_t<I, LayerTuple>*>(nullptr))...};
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
            tp.exit_combine = detail::random_layer(
                r, static_cast<const typename Tier::exit::combine_layer*>(nullptr));
          for (auto& node : tp.nodes) {
            node.layers = detail::random_layers<LayerTuple>(
                r, std::make_index_sequence<std::tuple_size_v<LayerTuple>>{});
            if constexpr (Tier::has_exit)
              node.exit_head = detail::random_layer(
                  r, static_cast<const typename Tier::exit::head_layer*>(nullptr));
          }
        }(),
        ...);
  }
  (std::make_index_sequence<Graph::tier_count>{});
  return p;
}

DDNN_END_NAMESPACE
