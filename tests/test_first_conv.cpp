// FirstConv equals the float reference for uint8, int8 and float input on every available ISA:
// exact integer sums for 8-bit input, identically ordered float sums for float input.
#include <doctest/doctest.h>

#include <random>

#include "ddnn/layers/first_conv.hpp"
#include "reference.hpp"

using namespace ddnn;

template <std::size_t H, std::size_t W, std::size_t C, std::size_t F, std::size_t K, std::size_t S,
          std::size_t P, class Pool = NoPool>
struct first_case {
  using input = Shape<H, W, C>;
  using spec = FirstConv<F, K, S, P, Pool>;
};

// The last two have rows narrower than one vector: the main job's tile, and a tinier one.
#define FIRST_CASES                                                                            \
  first_case<32, 32, 3, 4, 3, 1, 1, MaxPool<3, 2, 1>>, first_case<28, 20, 1, 5, 5, 2, 2>,      \
      first_case<9, 7, 3, 9, 1, 1, 0, MaxPool<2, 2, 0>>,                                       \
      first_case<13, 11, 2, 3, 3, 2, 1, MaxPool<3, 2, 1>>, first_case<16, 16, 8, 70, 5, 1, 2>, \
      first_case<10, 37, 3, 2, 3, 1, 0, MaxPool<3, 1, 1>>, first_case<10, 14, 1, 16, 3, 1, 1>, \
      first_case<3, 2, 2, 3, 3, 1, 1, MaxPool<2, 1, 0>>

template <class T>
std::vector<T> random_input(std::mt19937& rng, std::size_t n) {
  std::vector<T> v(n);
  if constexpr (std::is_same_v<T, float>) {
    std::normal_distribution<float> d(0.0f, 3.0f);
    for (auto& x : v) x = d(rng);
  } else {
    for (auto& x : v) x = static_cast<T>(rng() & 0xff);
  }
  return v;
}

template <class T, class Layer, class In, class Out>
void check_first_conv(std::mt19937& rng) {
  const auto raw = random_input<T>(rng, In::size);
  std::vector<float> as_float(raw.begin(), raw.end());
  ConvParameters params;
  params.weights = ref::random_signs(rng, Layer::weight_count);
  const float range = std::is_same_v<T, float> ? 30.0f : float(Layer::max_sum) / 4;
  params.batchnorm = ref::random_bn(rng, int(Out::channels), range);

  const Tensor<T, In> input{std::span<const T>(raw)};
  for (isa_id isa : available_isas()) {
    CAPTURE(name(isa));
    const Layer layer(params, isa);
    const BitTensor<Out> out = layer(input);
    ref::dims conv_dims{}, pool_dims{};
    using LSpec = typename Layer::spec_type;
    const auto sums = ref::conv(as_float, {int(In::height), int(In::width), int(In::channels)},
                                params.weights, int(LSpec::filters), int(LSpec::kernel),
                                int(LSpec::stride), int(LSpec::pad), conv_dims);
    const auto pooled = ref::max_pool(sums, conv_dims, int(LSpec::pool::kernel),
                                      int(LSpec::pool::stride), int(LSpec::pool::pad), pool_dims);
    const auto expected = ref::bn_sign(pooled, int(Out::channels), params.batchnorm);
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < expected.size(); ++i)
      mismatches += out.bit(i / Out::channels / Out::width, (i / Out::channels) % Out::width,
                            i % Out::channels) != expected[i];
    CHECK(mismatches == 0);
  }
}

TEST_CASE_TEMPLATE("FirstConv equals the float reference on every available ISA", Case,
                   FIRST_CASES) {
  using In = typename Case::input;
  using Layer = typename Case::spec::template bind<In>;
  using Out = typename Layer::output_shape;
  std::mt19937 rng(std::uint32_t(In::size + Case::spec::filters));
  for (int trial = 0; trial < 2; ++trial) {
    check_first_conv<std::uint8_t, Layer, In, Out>(rng);
    check_first_conv<std::int8_t, Layer, In, Out>(rng);
    check_first_conv<float, Layer, In, Out>(rng);
  }
}

TEST_CASE("FirstConv rejects NaN and infinite float input with ddnn::error") {
  using Layer = FirstConv<2, 3, 1, 1>::bind<Shape<4, 4, 1>>;
  std::mt19937 rng(5);
  const Layer layer(ConvParameters{ref::random_signs(rng, 18), ref::random_bn(rng, 2, 5)});
  Tensor<float, Shape<4, 4, 1>> x;
  CHECK_NOTHROW((void)layer(x));
  x[7] = NAN;
  CHECK_THROWS_AS((void)layer(x), ddnn::error);
  x[7] = -INFINITY;
  CHECK_THROWS_AS((void)layer(x), ddnn::error);
}
