// Adam (Kingma and Ba, 2015) over a fixed list of float parameter tensors, with bias correction
// and an optional [-1, 1] clip of the binary layers' shadow weights after every step.
#pragma once
#include <Eigen/Core>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ddnn/core/error.hpp"
#include "ddnn/layers/activation.hpp"

DDNN_BEGIN_NAMESPACE

namespace train {

/// Adam's hyperparameters, the paper's defaults (the DDNN authors train with lr 1e-3).
struct AdamOptions {
  double learning_rate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
};

/// One parameter tensor the optimizer updates: a name for messages, its value count, and whether
/// its values are clipped to [-1, 1] after each step (a binary layer's float shadow weights).
struct ParameterSpec {
  std::string name;
  std::size_t size = 0;
  bool clip = false;
};

/// The values of a parameter tensor as the span Adam::step takes.
[[nodiscard]] inline std::span<float> parameter_values(float_math::Matrix& m) noexcept {
  return {m.data(), std::size_t(m.size())};
}
[[nodiscard]] inline std::span<const float> parameter_values(const float_math::Matrix& m) noexcept {
  return {m.data(), std::size_t(m.size())};
}

/// Adam with per-parameter state (first moment m, second moment v) and a shared step count t:
///   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,
///   p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
/// Moments are stored in float; each update is computed in double, element by element in order,
/// so runs are deterministic and independent of threads and SIMD.
class Adam {
 public:
  /// Throws ddnn::error for no parameter, an empty or duplicate-named parameter, or options out
  /// of range (learning rate and epsilon finite and > 0, betas in [0, 1)).
  explicit Adam(std::vector<ParameterSpec> parameters, AdamOptions options = {})
      : specs_(std::move(parameters)), options_(options) {
    const auto& o = options_;
    if (!(std::isfinite(o.learning_rate) && o.learning_rate > 0.0))
      detail::fail("Adam: the learning rate must be finite and > 0");
    if (!(o.beta1 >= 0.0 && o.beta1 < 1.0)) detail::fail("Adam: beta1 must lie in [0, 1)");
    if (!(o.beta2 >= 0.0 && o.beta2 < 1.0)) detail::fail("Adam: beta2 must lie in [0, 1)");
    if (!(std::isfinite(o.epsilon) && o.epsilon > 0.0))
      detail::fail("Adam: epsilon must be finite and > 0");
    if (specs_.empty()) detail::fail("Adam: needs at least one parameter");
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      if (specs_[i].size == 0) detail::fail("Adam: parameter '" + specs_[i].name + "' is empty");
      for (std::size_t j = 0; j < i; ++j)
        if (specs_[j].name == specs_[i].name)
          detail::fail("Adam: two parameters are named '" + specs_[i].name + "'");
      m_.emplace_back(specs_[i].size, 0.0f);
      v_.emplace_back(specs_[i].size, 0.0f);
    }
  }

  /// One update of every parameter from its gradient, in the order of the specs. Throws
  /// ddnn::error, before changing anything, when the counts or sizes differ from the specs or a
  /// gradient or parameter value is not finite.
  void step(std::span<const std::span<float>> parameters,
            std::span<const std::span<const float>> gradients) {
    check(parameters, gradients);
    ++steps_;
    const double b1 = options_.beta1, b2 = options_.beta2;
    const double correction1 = 1.0 - std::pow(b1, double(steps_));
    const double correction2 = 1.0 - std::pow(b2, double(steps_));
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      std::span<float> p = parameters[i];
      std::span<const float> g = gradients[i];
      for (std::size_t k = 0; k < p.size(); ++k) {
        const double gk = g[k];
        const double m = b1 * double(m_[i][k]) + (1.0 - b1) * gk;
        const double v = b2 * double(v_[i][k]) + (1.0 - b2) * gk * gk;
        m_[i][k] = float(m);
        v_[i][k] = float(v);
        double value = double(p[k]) - options_.learning_rate * (m / correction1) /
                                          (std::sqrt(v / correction2) + options_.epsilon);
        // Binary layers' shadow weights stay in [-1, 1], where the straight-through sign
        // gradient is non-zero, so a weight can still change sign later.
        if (specs_[i].clip) value = value < -1.0 ? -1.0 : (value > 1.0 ? 1.0 : value);
        p[k] = float(value);
      }
    }
  }

  /// Changes the learning rate from the next step on (a schedule); throws ddnn::error unless it
  /// is finite and > 0.
  void set_learning_rate(double learning_rate) {
    if (!(std::isfinite(learning_rate) && learning_rate > 0.0))
      detail::fail("Adam: the learning rate must be finite and > 0");
    options_.learning_rate = learning_rate;
  }

  [[nodiscard]] std::uint64_t steps() const noexcept { return steps_; }
  [[nodiscard]] const AdamOptions& options() const noexcept { return options_; }
  [[nodiscard]] const std::vector<ParameterSpec>& parameters() const noexcept { return specs_; }
  /// The moments of parameter i (zero before the first step). Throws ddnn::error for i out of
  /// range.
  [[nodiscard]] std::span<const float> first_moment(std::size_t i) const {
    require_index(i);
    return m_[i];
  }
  [[nodiscard]] std::span<const float> second_moment(std::size_t i) const {
    require_index(i);
    return v_[i];
  }

 private:
  void require_index(std::size_t i) const {
    if (i >= specs_.size())
      detail::fail("Adam: no parameter " + std::to_string(i) + " of " +
                   std::to_string(specs_.size()));
  }
  void check(std::span<const std::span<float>> parameters,
             std::span<const std::span<const float>> gradients) const {
    if (parameters.size() != specs_.size() || gradients.size() != specs_.size())
      detail::fail("Adam::step: " + std::to_string(parameters.size()) + " parameters and " +
                   std::to_string(gradients.size()) + " gradients for " +
                   std::to_string(specs_.size()) + " specs");
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      const std::string& name = specs_[i].name;
      if (parameters[i].size() != specs_[i].size || gradients[i].size() != specs_[i].size)
        detail::fail("Adam::step: parameter '" + name + "' has " +
                     std::to_string(parameters[i].size()) + " values and " +
                     std::to_string(gradients[i].size()) + " gradients, expected " +
                     std::to_string(specs_[i].size));
      for (float x : gradients[i])
        if (!std::isfinite(x)) detail::fail("Adam::step: gradient of '" + name + "' not finite");
      for (float x : parameters[i])
        if (!std::isfinite(x)) detail::fail("Adam::step: parameter '" + name + "' not finite");
    }
  }

  std::vector<ParameterSpec> specs_;
  AdamOptions options_;
  std::vector<std::vector<float>> m_, v_;
  std::uint64_t steps_ = 0;
};

}  // namespace train

DDNN_END_NAMESPACE
