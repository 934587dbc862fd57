// BinaryConv equals the float reference (zero padding, max-pool, BatchNorm, sign) bit for bit,
// on every ISA this CPU runs, for awkward channel counts, kernels, strides, paddings and pools.
#include <doctest/doctest.h>

#include <random>

#include "ddnn/layers/binary_conv.hpp"
#include "reference.hpp"

using namespace ddnn;

template <std::size_t H, std::size_t W, std::size_t C, std::size_t F, std::size_t K, std::size_t S,
          std::size_t P, class Pool = NoPool>
struct conv_case {
  using input = Shape<H, W, C>;
  using spec = BinaryConv<F, K, S, P, Pool>;
};

#define CONV_CASES                                                                               \
  conv_case<16, 16, 64, 64, 3, 1, 1>, conv_case<7, 5, 1, 3, 3, 1, 1>,                            \
      conv_case<9, 6, 3, 8, 3, 2, 1, MaxPool<3, 2, 1>>, conv_case<11, 7, 63, 9, 5, 1, 2>,        \
      conv_case<6, 10, 65, 17, 1, 1, 0, MaxPool<2, 2, 0>>, conv_case<8, 5, 200, 65, 3, 2, 0>,    \
      conv_case<10, 9, 65, 7, 5, 2, 2, MaxPool<3, 1, 1>>,                                        \
      conv_case<5, 12, 3, 1, 5, 1, 2, MaxPool<3, 2, 1>>,                                         \
      conv_case<12, 12, 128, 16, 3, 1, 1, MaxPool<3, 2, 1>>, conv_case<4, 4, 200, 130, 3, 1, 1>, \
      conv_case<3, 17, 40, 33, 3, 1, 0>

TEST_CASE_TEMPLATE("BinaryConv equals the float reference on every available ISA", Case,
                   CONV_CASES) {
  using In = typename Case::input;
  using Spec = typename Case::spec;
  using Layer = typename Spec::template bind<In>;
  using Out = typename Layer::output_shape;
  std::mt19937 rng(std::uint32_t(In::size + Spec::filters * 31 + Spec::kernel));

  for (int trial = 0; trial < 3; ++trial) {
    const auto input_values = ref::random_signs(rng, In::size);
    ConvParameters params;
    params.weights = ref::random_signs(rng, Layer::weight_count);
    params.batchnorm = ref::random_bn(rng, int(Spec::filters), float(Layer::max_sum));

    ref::dims conv_dims{}, pool_dims{};
    const auto sums = ref::conv(input_values, {int(In::height), int(In::width), int(In::channels)},
                                params.weights, int(Spec::filters), int(Spec::kernel),
                                int(Spec::stride), int(Spec::pad), conv_dims);
    const auto pooled = ref::max_pool(sums, conv_dims, int(Spec::pool::kernel),
                                      int(Spec::pool::stride), int(Spec::pool::pad), pool_dims);
    const auto expected = ref::bn_sign(pooled, int(Spec::filters), params.batchnorm);
    REQUIRE(std::size_t(pool_dims.h) == Out::height);
    REQUIRE(std::size_t(pool_dims.w) == Out::width);

    const auto input = pack_signs<In>(std::span<const float>(input_values));
    for (isa_id isa : available_isas()) {
      CAPTURE(name(isa));
      const Layer layer(params, isa);
      CHECK(layer.isa() == isa);
      const BitTensor<Out> out = layer(input);
      std::size_t mismatches = 0;
      for (std::size_t y = 0; y < Out::height; ++y)
        for (std::size_t x = 0; x < Out::width; ++x)
          for (std::size_t c = 0; c < Out::channels; ++c)
            mismatches += out.bit(y, x, c) != expected[(y * Out::width + x) * Out::channels + c];
      CHECK(mismatches == 0);
      for (std::size_t p = 0; p < Out::pixels; ++p)  // padding bits never set
        CHECK((out.words()[p * Out::words_per_pixel + Out::words_per_pixel - 1] &
               ~BitTensor<Out>::valid_mask(Out::words_per_pixel - 1)) == 0);
    }
  }
}

TEST_CASE("BinaryConv rejects parameters of the wrong size or with NaN") {
  using Layer = BinaryConv<4, 3, 1, 1>::bind<Shape<5, 5, 3>>;
  std::mt19937 rng(1);
  ConvParameters good{ref::random_signs(rng, Layer::weight_count), ref::random_bn(rng, 4, 10)};
  CHECK_NOTHROW(Layer{good});
  ConvParameters short_weights = good;
  short_weights.weights.pop_back();
  CHECK_THROWS_AS(Layer{short_weights}, ddnn::error);
  ConvParameters nan_weight = good;
  nan_weight.weights[3] = NAN;
  CHECK_THROWS_AS(Layer{nan_weight}, ddnn::error);
  ConvParameters bad_bn = good;
  bad_bn.batchnorm[1].sigma = 0.0f;
  CHECK_THROWS_AS(Layer{bad_bn}, ddnn::error);
  bad_bn = good;
  bad_bn.batchnorm.pop_back();
  CHECK_THROWS_AS(Layer{bad_bn}, ddnn::error);
}
