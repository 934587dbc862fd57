// The float dense kernel computes every sum in one fixed order, the plain fma loop over k, on
// every ISA and for any number of samples at once: checked bit for bit against that loop on
// randomized shapes (outputs across and within panels, depths, sample counts around each ISA's
// register block), and through Dense, whose batch forward equals its forward on each sample.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "ddnn/kernels/dispatch.hpp"
#include "ddnn/layers/dense.hpp"

using namespace ddnn;

namespace {

std::vector<float> uniform_values(std::mt19937& rng, std::size_t n, float range) {
  std::uniform_real_distribution<float> u(-range, range);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// The order the kernel promises: s = fma(w[o][k], x[k], s) for k = 0, 1, ... from s = +0.
float plain_fma_sum(const float* w, const float* x, std::size_t depth) {
  float s = 0.0f;
  for (std::size_t k = 0; k < depth; ++k) s = std::fma(w[k], x[k], s);
  return s;
}

bool same_bits(float a, float b) {
  return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
}

}  // namespace

TEST_CASE("the float dense kernel sums in the plain fma order on every ISA, for any batch") {
  std::mt19937 rng(2026);
  for (int trial = 0; trial < 40; ++trial) {
    const std::size_t outputs = 1 + rng() % 200, depth = 1 + rng() % 300, samples = rng() % 20,
                      x_stride = depth + rng() % 3, sums_stride = outputs + rng() % 3;
    CAPTURE(outputs);
    CAPTURE(depth);
    CAPTURE(samples);
    // Inputs as the layers see them: real values, +-1 from bits, and zeros.
    std::vector<float> x = uniform_values(rng, std::max<std::size_t>(1, samples * x_stride), 3.0f);
    for (float& v : x)
      if (rng() % 4 == 0)
        v = rng() % 2 ? 1.0f : -1.0f;
      else if (rng() % 9 == 0)
        v = 0.0f;
    const auto w = uniform_values(rng, outputs * depth, 1.0f);
    float_math::Matrix weights(static_cast<Eigen::Index>(outputs),
                               static_cast<Eigen::Index>(depth));
    std::copy(w.begin(), w.end(), weights.data());

    for (isa_id isa : available_isas()) {
      CAPTURE(name(isa));
      const float_math::DenseWeights packed(weights, isa);
      REQUIRE(packed.outputs() == outputs);
      REQUIRE(packed.inputs() == depth);
      const float untouched = -7.5f;
      std::vector<float> sums(std::max<std::size_t>(1, samples * sums_stride), untouched);
      packed.sums(x.data(), x_stride, samples, sums.data(), sums_stride);
      std::size_t wrong = 0, overwritten = 0;
      for (std::size_t s = 0; s < samples; ++s) {
        for (std::size_t o = 0; o < outputs; ++o)
          wrong += !same_bits(sums[s * sums_stride + o],
                              plain_fma_sum(w.data() + o * depth, x.data() + s * x_stride, depth));
        for (std::size_t o = outputs; o < sums_stride; ++o)
          overwritten += sums[s * sums_stride + o] != untouched;
      }
      CHECK(wrong == 0);
      CHECK(overwritten == 0);
    }
  }
}

TEST_CASE("float_math::dense is the kernel's order: one sample alone equals it in any batch") {
  std::mt19937 rng(7);
  const float_math::Matrix weights =
      Eigen::Map<const float_math::Matrix>(uniform_values(rng, 130 * 77, 1.0f).data(), 130, 77);
  const auto x = uniform_values(rng, 13 * 77, 2.0f);
  const Eigen::Map<const float_math::Matrix> batch(x.data(), 13, 77);
  const float_math::Matrix all = float_math::dense(batch, weights);
  for (Eigen::Index r = 0; r < 13; ++r) {
    const float_math::Matrix one = float_math::dense(batch.row(r), weights);
    for (Eigen::Index o = 0; o < 130; ++o) {
      CHECK(same_bits(one(0, o), all(r, o)));
      CHECK(same_bits(all(r, o), plain_fma_sum(weights.row(o).data(), batch.row(r).data(), 77)));
    }
  }
  CHECK(float_math::dense(batch.topRows(0), weights).rows() == 0);
}

TEST_CASE("Dense's batch forward equals its forward on each sample, bits and floats, every ISA") {
  using In = Shape<3, 5, 41>;  // 615 inputs
  using Hidden = Dense<97>::bind<In>;
  using Logits = Dense<10, Activation::none>::bind<In>;
  std::mt19937 rng(99);
  DenseParameters p;
  p.weights = uniform_values(rng, Hidden::weight_count, 0.1f);
  for (std::size_t n = 0; n < 97; ++n)
    p.batchnorm.push_back(BatchNorm{.gamma = 1.0f + 0.01f * float(n % 5),
                                    .beta = 0.1f,
                                    .mean = 0.01f * float(n % 7),
                                    .sigma = 1.0f});
  DenseParameters q;
  q.weights = uniform_values(rng, Logits::weight_count, 0.1f);
  q.scale = uniform_values(rng, 10, 2.0f);
  q.bias = uniform_values(rng, 10, 1.0f);
  // 150 samples: two full batch blocks and a remainder
  std::vector<Tensor<float, In>> floats(150);
  std::vector<BitTensor<In>> bits(150);
  for (std::size_t i = 0; i < floats.size(); ++i) {
    const auto v = uniform_values(rng, In::size, 2.0f);
    std::copy(v.begin(), v.end(), floats[i].data());
    for (std::size_t pixel = 0; pixel < In::pixels; ++pixel)
      for (std::size_t c = 0; c < In::channels; ++c)
        bits[i].set_bit(pixel / In::width, pixel % In::width, c, rng() % 2 != 0);
  }
  for (isa_id isa : available_isas()) {
    CAPTURE(name(isa));
    const Hidden hidden(p, isa);
    const Logits logits(q, isa);
    std::vector<Hidden::output_type> h(150);
    std::vector<Logits::output_type> z(150);
    hidden.forward_batch(std::span<const Tensor<float, In>>(floats), std::span(h));
    logits.forward_batch(std::span<const BitTensor<In>>(bits), std::span(z));
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < 150; ++i) {
      const auto one_h = hidden(floats[i]);
      const auto one_z = logits(bits[i]);
      for (std::size_t n = 0; n < 97; ++n) wrong += !same_bits(one_h[n], h[i][n]);
      for (std::size_t n = 0; n < 10; ++n) wrong += !same_bits(one_z[n], z[i][n]);
    }
    CHECK(wrong == 0);
    // A non-finite input in the batch is the error forward() gives for that sample.
    std::vector<Tensor<float, In>> bad(floats.begin(), floats.begin() + 70);
    bad[66][5] = std::nanf("");
    CHECK_THROWS_WITH_AS(
        hidden.forward_batch(std::span<const Tensor<float, In>>(bad), std::span(h).first(70)),
        "ddnn: Dense: input value 5 is NaN or infinite", ddnn::error);
    CHECK_THROWS_AS(
        hidden.forward_batch(std::span<const Tensor<float, In>>(bad), std::span(h).first(69)),
        ddnn::error);
  }
}
