// The mnist_ddnn example's validation rule for the local-exit threshold: staged accuracy, the
// local exit's accuracy cost against cloud-only and its confidence bound by hand, and the rule
// choosing the most local exits whose bound stays within the tolerance.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "../examples/mnist_ddnn/experiment.hpp"

using namespace mnist_ddnn;

namespace {

using Sample = ddnn::train::SimulatedSample<2, 10>;

// A validation sample: the local exit's measure and answer, the cloud's answer (label 0 right).
Sample sample(double measure, std::size_t local, std::size_t cloud, bool answered = true) {
  Sample s;
  s.answered = answered;
  s.tiers[0].answered = answered;
  s.tiers[0].measure = measure;
  s.tiers[0].predicted = local;
  s.tiers[1].answered = answered;
  s.tiers[1].predicted = cloud;
  return s;
}

}  // namespace

TEST_CASE("threshold rule: staged accuracy and the local exit's cost by hand") {
  // measures 0.1 .. 0.4: two right locally, one wrong locally where the cloud is right, one
  // wrong locally where the cloud is wrong too; plus a sample no device saw.
  const std::vector<Sample> sim{sample(0.1, 0, 0), sample(0.2, 0, 0), sample(0.3, 5, 0),
                                sample(0.4, 5, 6), sample(0.0, 0, 0, false)};
  const std::vector<std::uint8_t> labels(sim.size(), 0);

  const Staged none = staged_at(sim, labels, 0.0, 1.645);
  CHECK(none.local_exit_fraction == 0.0);
  CHECK(none.overall_accuracy == doctest::Approx(0.6));  // the unanswered sample counts wrong
  CHECK(none.accuracy_cost == 0.0);
  CHECK(none.accuracy_cost_bound == 0.0);

  // T = 0.35: three exit locally; one of them loses a right cloud answer: d = (0, 0, 1, 0, 0).
  const Staged three = staged_at(sim, labels, 0.35, 2.0);
  CHECK(three.local_exit_fraction == doctest::Approx(0.6));
  CHECK(three.overall_accuracy == doctest::Approx(0.4));
  CHECK(three.accuracy_cost == doctest::Approx(0.2));
  // variance of d = 0.2 - 0.04 = 0.16; bound = 0.2 + 2 * sqrt(0.16 / 5)
  CHECK(three.accuracy_cost_bound == doctest::Approx(0.2 + 2.0 * std::sqrt(0.16 / 5.0)));
  // the exit is strict: a measure equal to T goes up
  CHECK(staged_at(sim, labels, 0.3, 0.0).local_exit_fraction == doctest::Approx(0.4));
}

TEST_CASE("threshold rule: the most local exits whose cost bound stays within the tolerance") {
  // 1000 samples, sample i at measure (i + 0.5) / 1000: the first 600 are right locally; of the
  // rest, every tenth is wrong locally but right in the cloud.
  std::vector<Sample> sim;
  for (std::size_t i = 0; i < 1000; ++i)
    sim.push_back(sample((double(i) + 0.5) / 1000.0, i >= 600 && i % 10 == 0 ? 3 : 0, 0));
  const std::vector<std::uint8_t> labels(sim.size(), 0);

  // On the mean alone (z = 0) a 1-point tolerance admits 10 costly samples: T = 0.7 lets
  // samples 0..699 exit, 600, 610, .., 690 at a cost.
  const Staged mean_rule = choose_threshold(sim, labels, 0.01, 0.0);
  CHECK(mean_rule.accuracy_cost == doctest::Approx(0.01));
  CHECK(mean_rule.local_exit_fraction == doctest::Approx(0.7));
  CHECK(mean_rule.threshold == doctest::Approx(0.7));
  // With a 95% bound it stops earlier: 6 costly samples in 1000 bound the cost at 1.002 points,
  // 5 at 0.87, so T = 0.65.
  const Staged bounded = choose_threshold(sim, labels, 0.01, 1.645);
  CHECK(bounded.accuracy_cost_bound <= 0.01);
  CHECK(bounded.local_exit_fraction < mean_rule.local_exit_fraction);
  CHECK(bounded.local_exit_fraction == doctest::Approx(0.65));
  CHECK(bounded.threshold == doctest::Approx(0.65));
  // A threshold one step further would break the bound.
  CHECK(staged_at(sim, labels, bounded.threshold + 0.001, 1.645).accuracy_cost_bound > 0.01);
  // Nothing within the tolerance: everything goes to the cloud (T = 0, the smallest threshold
  // with no local exit).
  const std::vector<Sample> costly{sample(0.1, 1, 0), sample(0.2, 2, 0)};
  const Staged cloud_only = choose_threshold(costly, std::vector<std::uint8_t>(2, 0), 0.0, 1.645);
  CHECK(cloud_only.threshold == 0.0);
  CHECK(cloud_only.local_exit_fraction == 0.0);
}
