// The binary layers and the popcount ceiling, one case per ISA this build contains and this CPU
// runs. Weights, BatchNorm and inputs are random; the speed of the kernels does not depend on them.
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "cases.hpp"
#include "ddnn/ddnn.hpp"

namespace bench {
namespace {

using ConvLayer = ddnn::BinaryConv<64, 3, 1, 1>::bind<ddnn::Shape<16, 16, 64>>;
using DenseLayer = ddnn::BinaryDense<256>::bind<ddnn::Vector<1024>>;
using FirstLayer =
    ddnn::FirstConv<4, 3, 1, 1, ddnn::MaxPool<3, 2, 1>>::bind<ddnn::Shape<32, 32, 3>>;

using TileLayer = ddnn::FirstConv<16, 3, 1, 1>::bind<ddnn::Shape<10, 14, 1>>;

constexpr std::uint64_t ceiling_iterations = 4096;

std::vector<float> random_signs(std::mt19937& rng, std::size_t n) {
  std::vector<float> v(n);
  for (auto& x : v) x = (rng() & 1) ? 1.0f : -1.0f;
  return v;
}

/// Random BatchNorm whose threshold lands inside [-range, range].
std::vector<ddnn::BatchNorm> random_batchnorm(std::mt19937& rng, std::size_t channels,
                                              float range) {
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::vector<ddnn::BatchNorm> bn(channels);
  for (auto& b : bn) {
    b.gamma = unit(rng) * 2.0f;
    b.beta = unit(rng);
    b.mean = unit(rng) * range * 0.5f;
    b.sigma = 0.25f + std::abs(unit(rng)) * 4.0f;
  }
  return bn;
}

template <class Layer>
ddnn::ConvParameters random_conv_parameters(std::mt19937& rng, float range) {
  return {random_signs(rng, Layer::weight_count),
          random_batchnorm(rng, Layer::spec_type::filters, range)};
}

/// The timed loop: one forward pass per iteration; reports the shape's multiply-accumulates.
template <class Layer, class Input, class Output>
void time_forward(benchmark::State& state, const Layer& layer, const Input& input, Output& output,
                  double macs) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(input.data());
    layer.forward(input, output);
    benchmark::DoNotOptimize(output.data());
    benchmark::ClobberMemory();
  }
  set_binops(state, macs);
}

void bm_conv3x3(benchmark::State& state, ddnn::isa_id isa) {
  using In = ConvLayer::input_shape;
  std::mt19937 rng(1);
  const ConvLayer layer(random_conv_parameters<ConvLayer>(rng, float(ConvLayer::max_sum)), isa);
  const auto values = random_signs(rng, In::size);
  const auto input = ddnn::pack_signs<In>(std::span<const float>(values));
  ddnn::BitTensor<ConvLayer::output_shape> output;
  time_forward(state, layer, input, output, conv3x3.macs);
}

void bm_dense(benchmark::State& state, ddnn::isa_id isa) {
  using In = DenseLayer::input_shape;
  std::mt19937 rng(2);
  ddnn::DenseParameters params;
  params.weights = random_signs(rng, DenseLayer::weight_count);
  params.batchnorm = random_batchnorm(rng, 256, float(In::size));
  const DenseLayer layer(params, isa);
  const auto values = random_signs(rng, In::size);
  const auto input = ddnn::pack_signs<In>(std::span<const float>(values));
  DenseLayer::output_type output;
  time_forward(state, layer, input, output, dense.macs);
}

/// A first layer on random 8-bit input.
template <class Layer>
void time_first_layer(benchmark::State& state, ddnn::isa_id isa, std::uint32_t seed, double macs) {
  using In = typename Layer::input_shape;
  constexpr std::size_t taps = Layer::spec_type::kernel * Layer::spec_type::kernel * In::channels;
  std::mt19937 rng(seed);
  // sums of 8-bit values centred at 128: thresholds within a few hundred of zero
  const Layer layer(random_conv_parameters<Layer>(rng, 128.0f * taps), isa);
  ddnn::Tensor<std::uint8_t, In> input;
  for (auto& v : input.values()) v = std::uint8_t(rng());
  ddnn::BitTensor<typename Layer::output_shape> output;
  time_forward(state, layer, input, output, macs);
}

void bm_first_layer(benchmark::State& state, ddnn::isa_id isa) {
  time_first_layer<FirstLayer>(state, isa, 3, first_layer.macs);
}

void bm_first_tile(benchmark::State& state, ddnn::isa_id isa) {
  time_first_layer<TileLayer>(state, isa, 4, first_tile.macs);
}

void bm_popcount_ceiling(benchmark::State& state, ddnn::isa_id isa) {
  const ddnn::kernel_table& k = ddnn::kernels(isa);
  std::uint64_t seed = 0x9e3779b97f4a7c15u;
  for (auto _ : state) {
    std::uint64_t total = k.popcount_ceiling(ceiling_iterations, seed++);
    benchmark::DoNotOptimize(total);
  }
  set_binops(state, double(ceiling_iterations * k.ceiling_binops_per_iteration));
}

}  // namespace

void register_binary_cases() {
  for (ddnn::isa_id isa : ddnn::available_isas()) {
    const std::string isa_name(ddnn::name(isa));
    common_settings(
        benchmark::RegisterBenchmark(binary_case(conv3x3, isa_name).c_str(), bm_conv3x3, isa));
    common_settings(
        benchmark::RegisterBenchmark(binary_case(dense, isa_name).c_str(), bm_dense, isa));
    common_settings(benchmark::RegisterBenchmark(binary_case(first_layer, isa_name).c_str(),
                                                 bm_first_layer, isa));
    common_settings(benchmark::RegisterBenchmark(binary_case(first_tile, isa_name).c_str(),
                                                 bm_first_tile, isa));
    common_settings(benchmark::RegisterBenchmark(
        (std::string(ceiling_name) + "/" + isa_name).c_str(), bm_popcount_ceiling, isa));
  }
}

}  // namespace bench
