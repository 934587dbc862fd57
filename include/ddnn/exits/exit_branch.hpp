// ExitBranch: an exit head (a layer producing float logits: BinaryDense<C, Output::logits> on
// bits, or a float Dense on an upper tier) plus a confidence criterion and a runtime threshold
// stored with the model. Given a feature map it returns the logits, the predicted class, the
// confidence measure and whether the sample exits.
#pragma once
#include <cstddef>
#include <span>
#include <utility>

#include "ddnn/core/tensor.hpp"
#include "ddnn/exits/confidence.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/layer_kind.hpp"

DDNN_BEGIN_NAMESPACE

template <ShapeType In, class Spec>
class ExitBranchLayer;

/// Spec: `ExitBranch<BinaryDense<10, Output::logits>>` (the paper's rule) or
/// `ExitBranch<BinaryDense<10, Output::logits>, MaxProbability>`.
template <class HeadSpec, ConfidenceCriterion Criterion = NormalizedEntropy>
struct ExitBranch {
  static_assert(HeadSpec::produces_logits,
                "ExitBranch requires a head that produces logits (BinaryDense<C, Output::logits>)");
  static_assert(HeadSpec::outputs >= 2, "ExitBranch requires at least 2 classes");
  using head_spec = HeadSpec;
  using parameters_type = typename HeadSpec::parameters_type;
  using criterion = Criterion;
  static constexpr std::size_t classes = HeadSpec::outputs;
  template <ShapeType In>
  using bind = ExitBranchLayer<In, ExitBranch>;
};

/// What an exit branch says about one sample.
template <std::size_t Classes>
struct ExitDecision {
  Tensor<float, Vector<Classes>> logits;
  std::size_t predicted = 0;  ///< argmax of the logits
  double measure = 0.0;       ///< the criterion's confidence measure
  bool exits = false;         ///< the criterion's verdict at the branch's threshold
};

/// The exit rule in one place: the predicted class (argmax), the criterion's measure and its
/// verdict at `threshold`. Inference, the trainer's simulation and the runtime all decide
/// through it, so their decisions agree exactly.
struct ExitVerdict {
  std::size_t predicted = 0;
  double measure = 0.0;
  bool exits = false;
};
template <ConfidenceCriterion Criterion>
[[nodiscard]] ExitVerdict exit_verdict(std::span<const float> logits, double threshold) {
  const double measure = Criterion::measure(logits);
  return {argmax(logits), measure, Criterion::exits(measure, threshold)};
}
/// The cloud's answer: the same class and measure, and it always answers.
template <ConfidenceCriterion Criterion>
[[nodiscard]] ExitVerdict final_verdict(std::span<const float> logits) {
  return {argmax(logits), Criterion::measure(logits), true};
}

template <ShapeType In, class Spec>
class ExitBranchLayer {
 public:
  using input_shape = In;
  using spec_type = Spec;
  using head_type = typename Spec::head_spec::template bind<In>;
  static_assert(check_layer_kind<head_type>());
  using criterion = typename Spec::criterion;
  static constexpr std::size_t classes = Spec::classes;

  /// Throws ddnn::error when the head's parameters are invalid or threshold is outside [0, 1].
  ExitBranchLayer(const typename Spec::parameters_type& head, double threshold,
                  isa_id isa = best_isa())
      : head_(head, isa), threshold_(threshold) {
    validate_threshold(threshold, "ExitBranch");
  }

  [[nodiscard]] double threshold() const noexcept { return threshold_; }
  void set_threshold(double threshold) {
    validate_threshold(threshold, "ExitBranch");
    threshold_ = threshold;
  }
  [[nodiscard]] const head_type& head() const noexcept { return head_; }

  /// `features` is whatever the head takes: BitTensor<In>, or Tensor<float, In> for float heads.
  template <class Features>
  [[nodiscard]] ExitDecision<classes> operator()(const Features& features) const {
    ExitDecision<classes> d;
    head_.forward(features, d.logits);
    decide(d);
    return d;
  }

  /// Fills predicted/measure/exits from d.logits (for logits that came from elsewhere, such as
  /// an aggregator).
  void decide(ExitDecision<classes>& d) const {
    const ExitVerdict v = exit_verdict<criterion>(d.logits.values(), threshold_);
    d.predicted = v.predicted, d.measure = v.measure, d.exits = v.exits;
  }

 private:
  head_type head_;
  double threshold_;
};

DDNN_END_NAMESPACE
