// Exit criteria against straightforward reference math: normalized entropy of the softmax
// (exit iff eta < T, strict), max-softmax probability (exit iff p >= T), argmax, bad logits.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "ddnn/exits/exit_branch.hpp"
#include "reference.hpp"

using namespace ddnn;

namespace {
// The textbook formulas, long-hand.
double reference_entropy(const std::vector<float>& l) {
  double z = 0;
  for (float v : l) z += std::exp(double(v));
  double h = 0;
  for (float v : l) {
    const double p = std::exp(double(v)) / z;
    if (p > 0) h -= p * std::log(p);
  }
  return h / std::log(double(l.size()));
}
double reference_max_p(const std::vector<float>& l) {
  double z = 0, m = 0;
  for (float v : l) z += std::exp(double(v));
  for (float v : l) m = std::max(m, std::exp(double(v)) / z);
  return m;
}
}  // namespace

TEST_CASE("normalized entropy and max probability equal the textbook formulas") {
  std::mt19937 rng(3);
  std::normal_distribution<float> logit(0.0f, 3.0f);
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<float> l(2 + rng() % 12);
    for (float& v : l) v = logit(rng);
    CHECK(normalized_entropy(l) == doctest::Approx(reference_entropy(l)).epsilon(1e-12));
    CHECK(max_probability(l) == doctest::Approx(reference_max_p(l)).epsilon(1e-12));
    std::vector<double> p(l.size());
    softmax(l, p);
    double sum = 0;
    for (double v : p) sum += v;
    CHECK(sum == doctest::Approx(1.0).epsilon(1e-12));
  }
}

TEST_CASE("entropy limits: uniform logits give 1, one dominant logit gives ~0") {
  CHECK(normalized_entropy(std::vector<float>{2.0f, 2.0f, 2.0f}) == doctest::Approx(1.0));
  CHECK(normalized_entropy(std::vector<float>{500.0f, 0.0f, 0.0f}) == doctest::Approx(0.0));
  CHECK(max_probability(std::vector<float>{1.0f, 1.0f, 1.0f, 1.0f}) == doctest::Approx(0.25));
  // large logits do not overflow (computed relative to the max)
  CHECK(normalized_entropy(std::vector<float>{1e30f, 1e30f}) == doctest::Approx(1.0));
}

TEST_CASE("exit rules: entropy exits strictly below T, max probability at or above T") {
  CHECK(NormalizedEntropy::exits(0.3, 0.5));
  CHECK_FALSE(NormalizedEntropy::exits(0.5, 0.5));  // strict
  CHECK_FALSE(NormalizedEntropy::exits(0.0, 0.0));  // T = 0: nothing exits
  CHECK(NormalizedEntropy::exits(0.999, 1.0));
  CHECK(MaxProbability::exits(0.9, 0.9));
  CHECK_FALSE(MaxProbability::exits(0.89, 0.9));
}

TEST_CASE("argmax takes the first of equal maxima, bad logits are a ddnn::error") {
  CHECK(argmax(std::vector<float>{1.0f, 3.0f, 3.0f, 2.0f}) == 1);
  CHECK_THROWS_AS((void)normalized_entropy(std::vector<float>{1.0f}), ddnn::error);
  CHECK_THROWS_AS((void)normalized_entropy(std::vector<float>{1.0f, NAN}), ddnn::error);
  CHECK_THROWS_AS((void)max_probability(std::vector<float>{INFINITY, 0.0f}), ddnn::error);
  CHECK_THROWS_AS(validate_threshold(1.5, "x"), ddnn::error);
  CHECK_THROWS_AS(validate_threshold(NAN, "x"), ddnn::error);
}

TEST_CASE("ExitBranch: logits from its head, class, measure and decision at its threshold") {
  using In = Shape<4, 4, 8>;
  using Branch = ExitBranch<BinaryDense<3, Output::logits>>::bind<In>;
  std::mt19937 rng(9);
  DenseParameters head{
      ref::random_signs(rng, 3 * In::size), {}, {0.1f, 0.1f, 0.1f}, {0.0f, 0.5f, -0.5f}};
  const auto x = pack_signs<In>(std::span<const float>(ref::random_signs(rng, In::size)));
  for (isa_id isa : available_isas()) {
    const Branch branch(head, 0.5, isa);
    const auto d = branch(x);
    const auto expected_logits = BinaryDense<3, Output::logits>::bind<In>(head, isa_id::scalar)(x);
    for (std::size_t c = 0; c < 3; ++c) CHECK(d.logits[c] == expected_logits[c]);
    CHECK(d.predicted == argmax(d.logits.values()));
    CHECK(d.measure == normalized_entropy(d.logits.values()));
    CHECK(d.exits == (d.measure < 0.5));
  }
  CHECK_THROWS_AS(Branch(head, -0.1), ddnn::error);
  Branch branch(head, 1.0);
  branch.set_threshold(0.0);
  CHECK_FALSE(branch(x).exits);
  CHECK_THROWS_AS(branch.set_threshold(2.0), ddnn::error);
}
