// Every layer kind brings the pieces layer_kind.hpp lists (checked at compile time), and the
// pieces say the right thing: descriptions and parameter expectations match the layer's own
// counts, storage is what the kind keeps, random parameters build a working layer and repeat for
// a seed, and operator() returns what forward writes.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>

#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/conv.hpp"
#include "ddnn/layers/dense.hpp"
#include "ddnn/layers/first_conv.hpp"
#include "ddnn/layers/layer_kind.hpp"
#include "ddnn/layers/max_pool.hpp"
#include "ddnn/train/trainable_conv.hpp"
#include "ddnn/train/trainable_dense.hpp"
#include "ddnn/train/trainable_max_pool.hpp"

using namespace ddnn;

namespace {
using In = Shape<7, 6, 5>;  // channel count not a multiple of 64, odd extents
using FirstL = FirstConv<9, 3, 2, 1, MaxPool<2, 2, 0>>::bind<In>;
using BinConvL = BinaryConv<70, 3, 1, 1>::bind<In>;
using PoolL = MaxPool<3, 2, 1>::bind<In>;
using HeadL = BinaryDense<10, Output::logits>::bind<In>;
using BitsL = BinaryDense<65>::bind<In>;
using ConvL = Conv<6, 3, 1, 0, MaxPool<2, 2>>::bind<In>;
using DenseL = Dense<12>::bind<In>;
using LogitsL = Dense<4, Activation::none>::bind<In>;

static_assert(LayerKind<FirstL> && LayerKind<BinConvL> && LayerKind<PoolL> && LayerKind<HeadL> &&
              LayerKind<BitsL> && LayerKind<ConvL> && LayerKind<DenseL> && LayerKind<LogitsL>);
static_assert(train::TrainingTwin<train::Trainable<FirstL>, FirstL> &&
              train::TrainingTwin<train::Trainable<BinConvL>, BinConvL> &&
              train::TrainingTwin<train::Trainable<PoolL>, PoolL> &&
              train::TrainingTwin<train::Trainable<HeadL>, HeadL> &&
              train::TrainingTwin<train::Trainable<ConvL>, ConvL> &&
              train::TrainingTwin<train::Trainable<DenseL>, DenseL>);
static_assert(!FirstL::is_float && !BinConvL::is_float && !PoolL::is_float && !HeadL::is_float);
static_assert(ConvL::is_float && DenseL::is_float && LogitsL::is_float);

// Storage: 1 bit per binary weight plus 4-byte thresholds, or scale and bias per logit.
static_assert(BinConvL::storage.weight_bits == 70 * 9 * 5 && BinConvL::storage.value_bytes == 280);
static_assert(HeadL::storage.weight_bits == 10 * In::size && HeadL::storage.value_bytes == 80);
static_assert(BitsL::storage.value_bytes == 4 * 65 && PoolL::storage.bytes() == 0);
static_assert(ConvL::storage.weight_bits == 32 * 6 * 9 * 5 && ConvL::storage.value_bytes == 96);
static_assert(storage_of<BinConvL, PoolL, HeadL>().bytes() ==
              280 + 80 + (70 * 9 * 5 + 10 * In::size + 7) / 8);
}  // namespace

TEST_CASE("layer kinds describe themselves with their spec's numbers") {
  constexpr layer_description first = FirstL::description();
  CHECK(first.kind == "FirstConv");
  CHECK(first.shape == layer_description::form::window);
  CHECK(first.filters == 9);
  CHECK(first.kernel == 3);
  CHECK(first.stride == 2);
  CHECK(first.pad == 1);
  CHECK(first.pool.kernel == 2);
  CHECK(first.pool.stride == 2);
  constexpr layer_description pool = PoolL::description();
  CHECK(pool.kind == "MaxPool");
  CHECK(pool.shape == layer_description::form::pool);
  CHECK(pool.pool.kernel == 3);
  CHECK(pool.pool.pad == 1);
  CHECK(HeadL::description().output == "logits");
  CHECK(BitsL::description().output == "bits");
  CHECK(DenseL::description().output == "relu");
  CHECK(LogitsL::description().outputs == 4);

  CHECK(FirstL::expectation().weights == FirstL::weight_count);
  CHECK(FirstL::expectation().filters == 9);
  CHECK(ConvL::expectation().encoding == WeightEncoding::floats);
  CHECK(HeadL::expectation().produces == Output::logits);
  CHECK(HeadL::expectation().weights == HeadL::weight_count);
  CHECK(LogitsL::expectation().produces == Output::logits);
  CHECK(DenseL::expectation().produces == Output::bits);
}

TEST_CASE("random parameters repeat for a seed and build working layers") {
  auto draw = [](std::uint64_t seed) {
    detail::random_stream r(seed);
    return std::tuple{FirstL::random_parameters(r), BinConvL::random_parameters(r),
                      HeadL::random_parameters(r),  BitsL::random_parameters(r),
                      ConvL::random_parameters(r),  DenseL::random_parameters(r),
                      LogitsL::random_parameters(r)};
  };
  const auto a = draw(7), b = draw(7), c = draw(8);
  CHECK(std::get<0>(a).weights == std::get<0>(b).weights);
  CHECK(std::get<2>(a).scale == std::get<2>(b).scale);
  CHECK(std::get<4>(a).weights == std::get<4>(b).weights);
  CHECK(std::get<1>(a).weights != std::get<1>(c).weights);
  CHECK(std::get<0>(a).weights.size() == FirstL::expectation().weights);
  CHECK(std::get<2>(a).bias.size() == 10);
  CHECK(std::get<3>(a).batchnorm.size() == 65);
  CHECK(std::get<6>(a).scale.size() == 4);

  std::mt19937 rng(3);
  Tensor<std::uint8_t, In> image;
  for (auto& v : image.values()) v = std::uint8_t(rng());
  BitTensor<In> bits;
  for (std::size_t y = 0; y < In::height; ++y)
    for (std::size_t x = 0; x < In::width; ++x)
      for (std::size_t ch = 0; ch < In::channels; ++ch) bits.set_bit(y, x, ch, (rng() & 1u) != 0);

  // operator() returns exactly what forward writes, for every kind.
  const FirstL first(std::get<0>(a));
  BitTensor<FirstL::output_shape> first_out;
  first.forward(image, first_out);
  CHECK(first(image) == first_out);
  const BinConvL conv(std::get<1>(a));
  BitTensor<BinConvL::output_shape> conv_out;
  conv.forward(bits, conv_out);
  CHECK(conv(bits) == conv_out);
  const HeadL head(std::get<2>(a));
  HeadL::output_type head_out;
  head.forward(bits, head_out);
  CHECK(head(bits).values()[3] == head_out.values()[3]);
  const DenseL dense(std::get<5>(a));
  DenseL::output_type dense_out;
  dense.forward(bits, dense_out);
  const auto dense_call = dense(bits);
  for (std::size_t i = 0; i < 12; ++i) CHECK(dense_call.values()[i] == dense_out.values()[i]);
  const PoolL pool;
  BitTensor<PoolL::output_shape> pool_out;
  pool.forward(bits, pool_out);
  CHECK(pool(bits) == pool_out);
  // Inputs a kind does not take are not invocable (a Section asks without an error).
  static_assert(!std::is_invocable_v<const BinConvL&, const Tensor<std::uint8_t, In>&>);
  static_assert(!std::is_invocable_v<const FirstL&, const BitTensor<In>&>);
  static_assert(!std::is_invocable_v<const HeadL&, const BitTensor<Shape<2, 2, 2>>&>);
}
