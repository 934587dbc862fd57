// Softmax cross-entropy of a batch of exit logits, with its gradient, and the DDNN paper's joint
// loss: a weighted sum of every exit's cross-entropy, trained together.
#pragma once
#include <Eigen/Core>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ddnn/core/error.hpp"
#include "ddnn/exits/confidence.hpp"
#include "ddnn/layers/activation.hpp"

DDNN_BEGIN_NAMESPACE

namespace train {

/// One exit's loss on a batch: the mean cross-entropy and its gradient w.r.t. the logits.
struct CrossEntropy {
  double loss = 0.0;            ///< weighted mean over the rows of -ln softmax(logits)[label]
  float_math::Matrix gradient;  ///< weight * d loss / d logits, the shape of the logits
};

}  // namespace train

namespace detail {

inline void require_loss_weight(double weight, const std::string& what) {
  if (!(std::isfinite(weight) && weight >= 0.0))
    fail(what + " must be finite and >= 0, got " + std::to_string(weight));
}

// The checks every per-row loss shares (a batch of at least one row and two classes, a valid
// weight, one valid row weight per row or none); returns the sum of the row weights.
inline double checked_row_weight_sum(const std::string& what, std::size_t rows, std::size_t classes,
                                     double weight, std::span<const float> row_weights) {
  if (rows == 0) fail(what + ": empty batch");
  if (classes < 2) fail(what + ": needs at least 2 classes");
  if (!row_weights.empty() && row_weights.size() != rows)
    fail(what + ": " + std::to_string(row_weights.size()) + " row weights for " +
         std::to_string(rows) + " rows of logits");
  require_loss_weight(weight, what + ": the weight");
  double weight_sum = 0.0;
  for (std::size_t r = 0; r < rows; ++r) {
    const double w = row_weights.empty() ? 1.0 : double(row_weights[r]);
    require_loss_weight(w, what + ": row weight " + std::to_string(r));
    weight_sum += w;
  }
  return weight_sum;
}

template <std::integral Label>
train::CrossEntropy softmax_cross_entropy(const Eigen::Ref<const float_math::Matrix>& logits,
                                          std::span<const Label> labels, double weight,
                                          std::span<const float> row_weights) {
  const auto rows = std::size_t(logits.rows()), classes = std::size_t(logits.cols());
  const double weight_sum =
      checked_row_weight_sum("softmax_cross_entropy", rows, classes, weight, row_weights);
  if (labels.size() != rows)
    fail("softmax_cross_entropy: " + std::to_string(labels.size()) + " labels for " +
         std::to_string(rows) + " rows of logits");
  if (!logits.allFinite()) fail("softmax_cross_entropy: logits must be finite");
  for (std::size_t r = 0; r < rows; ++r) {
    bool negative = false;
    if constexpr (std::is_signed_v<Label>) negative = labels[r] < 0;
    if (negative || std::uint64_t(labels[r]) >= classes)
      fail("softmax_cross_entropy: label " + std::to_string(labels[r]) + " of row " +
           std::to_string(r) + " is outside [0, " + std::to_string(classes) + ")");
  }

  train::CrossEntropy result;
  result.gradient = float_math::Matrix::Zero(logits.rows(), logits.cols());
  // Every row masked out: nothing to learn from this batch, an explicit zero, not 0 / 0.
  if (weight_sum == 0.0) return result;
  std::vector<double> p(classes);
  double total = 0.0;
  for (std::size_t r = 0; r < rows; ++r) {
    const double w = row_weights.empty() ? 1.0 : double(row_weights[r]);
    if (w == 0.0) continue;
    const std::span<const float> row(logits.row(Eigen::Index(r)).data(), classes);
    // The exit rule's own softmax, so training optimises the probabilities inference reads.
    softmax(row, p);
    // -ln p[label] as log-sum-exp minus the shifted logit: finite even where p[label]
    // underflows to 0.
    const double m = detail::max_logit(row);
    double sum = 0.0;
    for (float l : row) sum += std::exp(double(l) - m);
    const auto label = std::size_t(labels[r]);
    total += w * (std::log(sum) - (double(row[label]) - m));
    const double scale = weight * w / weight_sum;
    for (std::size_t c = 0; c < classes; ++c)
      result.gradient(Eigen::Index(r), Eigen::Index(c)) =
          float(scale * (p[c] - (c == label ? 1.0 : 0.0)));
  }
  result.loss = total / weight_sum;
  return result;
}

}  // namespace detail

namespace train {

/// Softmax cross-entropy of `logits` (a row per sample, a column per class, at least 2) against
/// integer `labels` in [0, classes). The loss is the mean over the rows of -ln p[label],
/// accumulated in double; the gradient is weight * (softmax - onehot) / rows, in float.
///
/// `row_weights` (empty: all 1) weighs each row, e.g. 0 masks out a sample no device saw. The
/// mean is then over the weights: loss = sum w_r loss_r / sum w_r, gradient row r =
/// weight * w_r * (softmax - onehot) / sum w_r, so masked rows neither count nor dilute the
/// others. With every row at weight 0 the loss and gradient are 0.
///
/// The loss is the log-sum-exp after subtracting the row max; softmax is ddnn::softmax, the one
/// the exit rule uses. Throws ddnn::error for an empty batch, fewer than 2 classes, a label count
/// or row-weight count that is not the row count, a label out of range, a non-finite logit, or a
/// weight or row weight that is negative or not finite.
[[nodiscard]] inline CrossEntropy softmax_cross_entropy(
    const Eigen::Ref<const float_math::Matrix>& logits, std::span<const std::int32_t> labels,
    double weight = 1.0, std::span<const float> row_weights = {}) {
  return detail::softmax_cross_entropy(logits, labels, weight, row_weights);
}

/// The same with 8-bit labels, as ddnn::LabeledImages stores them.
[[nodiscard]] inline CrossEntropy softmax_cross_entropy(
    const Eigen::Ref<const float_math::Matrix>& logits, std::span<const std::uint8_t> labels,
    double weight = 1.0, std::span<const float> row_weights = {}) {
  return detail::softmax_cross_entropy(logits, labels, weight, row_weights);
}

/// Knowledge distillation (Hinton et al. 2015; the DDNN trainer's cloud teaching the lower
/// exits, TrainOptions::distillation_weight): the row-weighted mean over the rows of
/// tau^2 KL(softmax(teacher / tau) || softmax(student / tau)), and its gradient w.r.t. the
/// student's logits only (the teacher is a fixed target): row r's is
/// weight * w_r * tau * (softmax(student / tau) - softmax(teacher / tau)) / sum w. The tau^2
/// keeps the gradient's size comparable to cross-entropy's whatever the temperature.
/// `row_weights` as in softmax_cross_entropy (empty: all 1; every row at 0: loss and gradient
/// 0). Throws ddnn::error for an empty batch, fewer than 2 classes, when the teacher's shape is not
/// the student's, for a temperature that is not finite and > 0, a negative or non-finite weight or
/// row weight, a row-weight count that is not the row count, or a non-finite logit.
[[nodiscard]] inline CrossEntropy distillation(const Eigen::Ref<const float_math::Matrix>& student,
                                               const Eigen::Ref<const float_math::Matrix>& teacher,
                                               double temperature, double weight,
                                               std::span<const float> row_weights) {
  const auto rows = std::size_t(student.rows()), classes = std::size_t(student.cols());
  const double weight_sum =
      detail::checked_row_weight_sum("distillation", rows, classes, weight, row_weights);
  if (teacher.rows() != student.rows() || teacher.cols() != student.cols())
    detail::fail("distillation: the teacher's logits are not the student's shape");
  if (!(std::isfinite(temperature) && temperature > 0.0))
    detail::fail("distillation: the temperature must be finite and > 0");
  if (!student.allFinite() || !teacher.allFinite())
    detail::fail("distillation: logits must be finite");
  CrossEntropy result;
  result.gradient = float_math::Matrix::Zero(student.rows(), student.cols());
  if (weight_sum == 0.0) return result;
  // softmax(row / tau) and its logarithm in double, from the shifted logits: the logarithm
  // stays finite where a probability underflows to 0.
  std::vector<double> p(classes), log_p(classes), q(classes), log_q(classes);
  auto tempered_softmax = [&](const float* row, std::vector<double>& prob,
                              std::vector<double>& log_prob) {
    const double m = detail::max_logit(std::span<const float>(row, classes));
    double sum = 0.0;
    for (std::size_t c = 0; c < classes; ++c)
      sum += prob[c] = std::exp(log_prob[c] = (row[c] - m) / temperature);
    const double log_sum = std::log(sum);
    for (std::size_t c = 0; c < classes; ++c) prob[c] /= sum, log_prob[c] -= log_sum;
  };
  double total = 0.0;
  for (std::size_t r = 0; r < rows; ++r) {
    const double w = row_weights.empty() ? 1.0 : double(row_weights[r]);
    if (w == 0.0) continue;
    tempered_softmax(student.row(Eigen::Index(r)).data(), p, log_p);
    tempered_softmax(teacher.row(Eigen::Index(r)).data(), q, log_q);
    double kl = 0.0;
    for (std::size_t c = 0; c < classes; ++c) kl += q[c] * (log_q[c] - log_p[c]);
    total += w * temperature * temperature * kl;
    const double scale = weight * w * temperature / weight_sum;
    for (std::size_t c = 0; c < classes; ++c)
      result.gradient(Eigen::Index(r), Eigen::Index(c)) = float(scale * (p[c] - q[c]));
  }
  result.loss = total / weight_sum;
  return result;
}

/// The joint loss of a DDNN's exits, total = sum_e weight_e * cross_entropy_e (the paper trains
/// every exit at weight 1). Gradients are of the total, so exit e's is weight_e times its own.
class MultiExitLoss {
 public:
  struct Result {
    double total = 0.0;                         ///< sum_e weight_e * per_exit[e]
    std::vector<double> per_exit;               ///< each exit's unweighted mean cross-entropy
    std::vector<float_math::Matrix> gradients;  ///< d total / d logits of each exit
  };

  /// `exits` exits, each at weight 1. Throws ddnn::error for no exit.
  explicit MultiExitLoss(std::size_t exits) : MultiExitLoss(std::vector<double>(exits, 1.0)) {}

  /// One weight per exit. Throws ddnn::error for no exit or a negative or non-finite weight.
  explicit MultiExitLoss(std::vector<double> weights) : weights_(std::move(weights)) {
    if (weights_.empty()) detail::fail("MultiExitLoss: needs at least one exit");
    for (std::size_t e = 0; e < weights_.size(); ++e)
      detail::require_loss_weight(weights_[e],
                                  "MultiExitLoss: weight of exit " + std::to_string(e));
  }

  [[nodiscard]] const std::vector<double>& weights() const noexcept { return weights_; }
  [[nodiscard]] std::size_t exits() const noexcept { return weights_.size(); }

  /// Every exit classifies the same batch (same labels). `row_weights` applies to every exit:
  /// a sample without any device present has no answer at any exit (see softmax_cross_entropy).
  /// Throws ddnn::error when logits.size() != exits() or as softmax_cross_entropy does.
  [[nodiscard]] Result operator()(std::span<const float_math::Matrix> logits,
                                  std::span<const std::int32_t> labels,
                                  std::span<const float> row_weights = {}) const {
    return compute(logits, labels, row_weights);
  }
  [[nodiscard]] Result operator()(std::span<const float_math::Matrix> logits,
                                  std::span<const std::uint8_t> labels,
                                  std::span<const float> row_weights = {}) const {
    return compute(logits, labels, row_weights);
  }

 private:
  template <std::integral Label>
  Result compute(std::span<const float_math::Matrix> logits, std::span<const Label> labels,
                 std::span<const float> row_weights) const {
    if (logits.size() != weights_.size())
      detail::fail("MultiExitLoss: " + std::to_string(logits.size()) + " exits' logits for " +
                   std::to_string(weights_.size()) + " exits");
    Result result;
    for (std::size_t e = 0; e < weights_.size(); ++e) {
      CrossEntropy ce = detail::softmax_cross_entropy(logits[e], labels, weights_[e], row_weights);
      result.total += weights_[e] * ce.loss;
      result.per_exit.push_back(ce.loss);
      result.gradients.push_back(std::move(ce.gradient));
    }
    return result;
  }

  std::vector<double> weights_;
};

}  // namespace train

DDNN_END_NAMESPACE
