// What the main job measures, as plain values: the threshold chosen on validation (Staged), one
// test-set condition (Measurement), and the thresholds the test-set sweep visits.
#pragma once
#include <cstddef>
#include <vector>

namespace mnist_ddnn {

/// Accuracy and exits of one local-exit threshold, computed from a simulation, and what the
/// local exit costs against sending every sample to the cloud: per sample, d = (cloud-only
/// answer correct) - (staged answer correct), its mean and a one-sided upper confidence bound
/// mean + z * sqrt(var / n).
struct Staged {
  double threshold = 0.0, local_exit_fraction = 0.0, overall_accuracy = 0.0;
  double accuracy_cost = 0.0, accuracy_cost_bound = 0.0;
};

/// Everything measured for one condition (threshold, devices present) on the test set.
struct Measurement {
  double threshold = 0.0;
  std::size_t samples = 0;
  double overall_accuracy = 0.0;     ///< staged answers; unanswered samples count as wrong
  double local_accuracy = 0.0;       ///< the local exit's answer, over all samples
  double cloud_accuracy = 0.0;       ///< the cloud's answer, over all samples
  double local_exit_fraction = 0.0;  ///< samples answered by the local exit
  double local_exit_accuracy = 0.0;  ///< accuracy of the samples that exited locally
  double cloud_exit_accuracy = 0.0;  ///< accuracy of the samples the cloud answered
  double bytes_per_device = 0.0;     ///< per device per sample: logits + features sent
  double raw_bytes_per_device = 0.0;
  std::size_t disagreements = 0;  ///< packed inference vs the float simulation (must be 0)
  /// The same figures, bit for bit.
  bool operator==(const Measurement&) const = default;
};

/// The test-set sweep's thresholds: 0 to 1 in steps of 0.05, and finer below 0.05, where a
/// quarter of the local answers lie (with distillation, two thirds of them).
inline std::vector<double> sweep_thresholds() {
  std::vector<double> t{0.0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.03};
  for (int step = 1; step <= 20; ++step) t.push_back(step / 20.0);
  return t;
}

}  // namespace mnist_ddnn
