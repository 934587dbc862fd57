// Section chains layer specs by shape at compile time and runs them in order; split_at<K> moves
// the partition point: device section then cloud section equals the whole network, for every K.
#include <doctest/doctest.h>

#include <random>
#include <tuple>

#include "ddnn/graph/section.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/first_conv.hpp"
#include "reference.hpp"

using namespace ddnn;

namespace {
using Image = Shape<16, 12, 3>;
// A small device-to-cloud network: first layer, pool, binary conv, binary dense head.
using Network = Layers<FirstConv<8, 3, 1, 1, MaxPool<3, 2, 1>>,  // 16x12x3 -> 8x6x8
                       BinaryConv<70, 3, 1, 1>,                  // -> 8x6x70
                       MaxPool<2, 2, 0>,                         // -> 4x3x70
                       BinaryDense<10, Output::logits>>;         // -> 10 logits

static_assert(std::is_same_v<Section<Image, Network>::output_shape, Vector<10>>);
static_assert(
    std::is_same_v<split_at<2, Network>::head,
                   Layers<FirstConv<8, 3, 1, 1, MaxPool<3, 2, 1>>, BinaryConv<70, 3, 1, 1>>>);
static_assert(std::is_same_v<split_at<0, Network>::head, Layers<>>);
static_assert(std::is_same_v<split_at<4, Network>::tail, Layers<>>);

auto random_parameters(std::mt19937& rng) {
  ConvParameters first{ref::random_signs(rng, 8 * 9 * 3), ref::random_bn(rng, 8, 400.0f)};
  ConvParameters conv{ref::random_signs(rng, 70 * 9 * 8), ref::random_bn(rng, 70, 40.0f)};
  std::vector<float> scale(10, 0.05f), bias(10, 0.0f);
  DenseParameters head{ref::random_signs(rng, 10 * 4 * 3 * 70), {}, scale, bias};
  return std::make_tuple(first, conv, NoParameters{}, head);
}

// The section of layers [First, First + Count) of Network, built from the matching parameters.
template <class Sec, std::size_t First, class Params, std::size_t... I>
Sec make_section(isa_id isa, const Params& params, std::index_sequence<I...>) {
  return Sec(isa, std::get<First + I>(params)...);
}

template <std::size_t Cut>
void check_cut(isa_id isa, const Tensor<std::uint8_t, Image>& x, const auto& params,
               const Tensor<float, Vector<10>>& whole) {
  using Device = Section<Image, typename split_at<Cut, Network>::head>;
  using Cloud = Section<typename Device::output_shape, typename split_at<Cut, Network>::tail>;
  const auto device = make_section<Device, 0>(isa, params, std::make_index_sequence<Cut>{});
  const auto cloud = make_section<Cloud, Cut>(isa, params, std::make_index_sequence<4 - Cut>{});
  const auto logits = cloud(device(x));
  for (std::size_t c = 0; c < 10; ++c) CHECK(logits[c] == whole[c]);
}
}  // namespace

TEST_CASE("a Section equals its layers applied one by one, on every ISA") {
  std::mt19937 rng(21);
  const auto params = random_parameters(rng);
  Tensor<std::uint8_t, Image> x;
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::uint8_t(rng() & 0xff);
  for (isa_id isa : available_isas()) {
    CAPTURE(name(isa));
    const auto net =
        make_section<Section<Image, Network>, 0>(isa, params, std::make_index_sequence<4>{});
    const auto logits = net(x);
    const auto a = net.layer<0>()(x);
    const auto b = net.layer<1>()(a);
    const auto c = net.layer<2>()(b);
    const auto d = net.layer<3>()(c);
    for (std::size_t i = 0; i < 10; ++i) CHECK(logits[i] == d[i]);
  }
}

TEST_CASE("moving the partition point changes one template argument, not the result") {
  std::mt19937 rng(22);
  const auto params = random_parameters(rng);
  Tensor<std::uint8_t, Image> x;
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::uint8_t(rng() & 0xff);
  for (isa_id isa : available_isas()) {
    CAPTURE(name(isa));
    const auto whole =
        make_section<Section<Image, Network>, 0>(isa, params, std::make_index_sequence<4>{})(x);
    check_cut<1>(isa, x, params, whole);
    check_cut<2>(isa, x, params, whole);
    check_cut<3>(isa, x, params, whole);
  }
}

TEST_CASE("a Section names the layer whose parameters are wrong") {
  std::mt19937 rng(23);
  auto params = random_parameters(rng);
  std::get<1>(params).weights.pop_back();
  try {
    (void)make_section<Section<Image, Network>, 0>(isa_id::scalar, params,
                                                   std::make_index_sequence<4>{});
    FAIL("expected ddnn::error");
  } catch (const ddnn::error& e) {
    CHECK(std::string(e.what()).find("BinaryConv weights") != std::string::npos);
  }
}
