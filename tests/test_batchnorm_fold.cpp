#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>

#include "ddnn/layers/batchnorm_sign.hpp"
#include "reference.hpp"

using namespace ddnn;

TEST_CASE("integer fold agrees with float BatchNorm+sign at every sum in range") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 400; ++trial) {
    const int range = 1 + int(rng() % 3000);
    const BatchNorm bn = ref::random_bn(rng, 1, float(range))[0];
    const auto f = fold_integer(bn, -range, range);
    for (int s = -range; s <= range; ++s)
      REQUIRE(((s >= f.threshold) != f.flip) == batchnorm_sign(float(s), bn));
  }
}

TEST_CASE("integer fold: rising, falling and constant channels") {
  CHECK(fold_integer({2.0f, 0.0f, 3.0f, 1.0f}, -10, 10).threshold == 3);
  CHECK_FALSE(fold_integer({2.0f, 0.0f, 3.0f, 1.0f}, -10, 10).flip);
  const auto falling = fold_integer({-1.0f, 0.0f, 3.5f, 1.0f}, -10, 10);
  CHECK(falling.flip);
  CHECK(falling.threshold == 4);  // bit = s <= 3.5  ==  !(s >= 4)
  const auto always = fold_integer({0.0f, 0.5f, 0.0f, 1.0f}, -10, 10);
  for (int s = -10; s <= 10; ++s) CHECK(((s >= always.threshold) != always.flip));
  const auto never = fold_integer({0.0f, -0.5f, 0.0f, 1.0f}, -10, 10);
  for (int s = -10; s <= 10; ++s) CHECK_FALSE(((s >= never.threshold) != never.flip));
}

TEST_CASE("float fold agrees with float BatchNorm+sign, including near the step") {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 50.0f);
  for (int trial = 0; trial < 200; ++trial) {
    const BatchNorm bn = ref::random_bn(rng, 1, 100.0f)[0];
    const auto f = fold_float(bn);
    auto folded = [&](float s) { return (s >= f.threshold) != f.flip; };
    for (int i = 0; i < 200; ++i) {
      const float s = normal(rng);
      REQUIRE(folded(s) == batchnorm_sign(s, bn));
    }
    if (!std::isnan(f.threshold)) {  // the step itself and its neighbours
      for (float s : {f.threshold, std::nextafter(f.threshold, -INFINITY),
                      std::nextafter(f.threshold, INFINITY)})
        REQUIRE(folded(s) == batchnorm_sign(s, bn));
    }
    for (float s : {-INFINITY, INFINITY, 0.0f, -0.0f}) REQUIRE(folded(s) == batchnorm_sign(s, bn));
  }
}

TEST_CASE("BatchNorm validation rejects non-finite values and non-positive sigma") {
  CHECK_THROWS_AS(validate({NAN, 0, 0, 1}, "x"), ddnn::error);
  CHECK_THROWS_AS(validate({1, INFINITY, 0, 1}, "x"), ddnn::error);
  CHECK_THROWS_AS(validate({1, 0, 0, 0}, "x"), ddnn::error);
  CHECK_THROWS_AS(validate({1, 0, 0, -1}, "x"), ddnn::error);
  CHECK_NOTHROW(validate({1, 0, 0, 1}, "x"));
}
