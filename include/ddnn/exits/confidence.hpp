// Confidence of a classification from its logits: softmax, normalized entropy (the DDNN paper's
// exit rule) and max-softmax probability. Training and inference call these same functions, so
// their exit decisions agree exactly.
#pragma once
#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "ddnn/core/error.hpp"

DDNN_BEGIN_NAMESPACE

namespace detail {
inline void require_finite_logits(std::span<const float> logits) {
  if (logits.size() < 2)
    fail("confidence needs at least 2 classes, got " + std::to_string(logits.size()));
  for (float l : logits)
    if (!std::isfinite(l)) fail("confidence: logits must be finite");
}
inline double max_logit(std::span<const float> logits) noexcept {
  double m = logits[0];
  for (float l : logits) m = l > m ? l : m;
  return m;
}
}  // namespace detail

/// softmax(logits) in double, computed as exp(l - max) / sum for stability. Throws ddnn::error
/// for fewer than 2 classes or a non-finite logit; `out` must have logits.size() entries.
inline void softmax(std::span<const float> logits, std::span<double> out) {
  detail::require_finite_logits(logits);
  if (out.size() != logits.size()) detail::fail("softmax: output size differs from logits");
  const double m = detail::max_logit(logits);
  double sum = 0.0;
  for (std::size_t i = 0; i < logits.size(); ++i) sum += out[i] = std::exp(double(logits[i]) - m);
  for (double& p : out) p /= sum;
}

/// eta = -sum(p_i ln p_i) / ln |C| in [0, 1] (terms with p_i = 0 contribute 0).
[[nodiscard]] inline double normalized_entropy(std::span<const float> logits) {
  detail::require_finite_logits(logits);
  const double m = detail::max_logit(logits);
  double sum = 0.0;
  for (float l : logits) sum += std::exp(double(l) - m);
  // -sum p ln p with p = e_i / sum, ln p = (l_i - m) - ln sum
  const double log_sum = std::log(sum);
  double entropy = 0.0;
  for (float l : logits) {
    const double p = std::exp(double(l) - m) / sum;
    if (p > 0.0) entropy -= p * ((double(l) - m) - log_sum);
  }
  const double eta = entropy / std::log(double(logits.size()));
  return eta < 0.0 ? 0.0 : (eta > 1.0 ? 1.0 : eta);
}

/// max_i softmax(logits)_i.
[[nodiscard]] inline double max_probability(std::span<const float> logits) {
  detail::require_finite_logits(logits);
  const double m = detail::max_logit(logits);
  double sum = 0.0;
  for (float l : logits) sum += std::exp(double(l) - m);
  return 1.0 / sum;  // exp(m - m) / sum
}

/// Index of the largest logit (the first one on ties).
[[nodiscard]] inline std::size_t argmax(std::span<const float> logits) {
  if (logits.empty()) detail::fail("argmax of no logits");
  std::size_t best = 0;
  for (std::size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[best]) best = i;
  return best;
}

/// The paper's exit rule: exit iff normalized entropy < threshold (strict), threshold in [0, 1].
struct NormalizedEntropy {
  static constexpr const char* name = "normalized_entropy";
  /// The confidence measure (lower is more confident).
  [[nodiscard]] static double measure(std::span<const float> logits) {
    return normalized_entropy(logits);
  }
  [[nodiscard]] static bool exits(double measure, double threshold) noexcept {
    return measure < threshold;
  }
};

/// Exit iff the largest softmax probability >= threshold, threshold in [0, 1].
struct MaxProbability {
  static constexpr const char* name = "max_probability";
  [[nodiscard]] static double measure(std::span<const float> logits) {
    return max_probability(logits);
  }
  [[nodiscard]] static bool exits(double measure, double threshold) noexcept {
    return measure >= threshold;
  }
};

/// A type is a ConfidenceCriterion when it has a model-file name, measures logits and decides an
/// exit from a threshold.
template <class C>
concept ConfidenceCriterion = requires(std::span<const float> logits, double v) {
  { C::name } -> std::convertible_to<std::string_view>;
  { C::measure(logits) } -> std::same_as<double>;
  { C::exits(v, v) } -> std::same_as<bool>;
};

/// Throws ddnn::error unless 0 <= threshold <= 1 (and not NaN).
inline void validate_threshold(double threshold, const std::string& where) {
  if (!(threshold >= 0.0 && threshold <= 1.0))
    detail::fail(where + ": exit threshold must lie in [0, 1]");
}

DDNN_END_NAMESPACE
