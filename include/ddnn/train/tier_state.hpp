// The trainer's state for one tier (sections, heads, a batch's outputs and gradients) and the
// passes between tiers: aggregation of children, the exit's combine, their gradients, decisions.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ddnn/aggregate/aggregation_kind.hpp"
#include "ddnn/aggregate/presence.hpp"
#include "ddnn/exits/exit_branch.hpp"
#include "ddnn/train/train_options.hpp"
#include "ddnn/train/trainable_layers.hpp"

DDNN_BEGIN_NAMESPACE
namespace train {

/// One tier of the trainer's simulation: its nodes' sections and exit heads, and one batch.
template <class Tier>
struct TierState {
  static_assert(check_trainable_layer_if<Tier::has_exit, typename Tier::exit::head_layer>());
  static_assert(
      check_trainable_layer_if<Tier::exit::concatenates, typename Tier::exit::combine_layer>());
  using chain_type = TrainableChain<typename Tier::section::layer_types>;
  using head_type =
      std::conditional_t<Tier::has_exit, Trainable<typename Tier::exit::head_layer>, char>;
  using combine_type = std::conditional_t<Tier::exit::concatenates,
                                          Trainable<typename Tier::exit::combine_layer>, char>;
  std::vector<chain_type> sections;
  std::vector<head_type> heads;
  std::optional<combine_type> combine;
  // one batch
  std::vector<Presence> present;  ///< per sample: which nodes of this tier are present
  std::vector<std::vector<Eigen::Index>> present_rows;  ///< training: per node, where present
  std::vector<Matrix> outputs, node_logits, grad_outputs, grad_node_logits;
  Matrix combined, grad_combined;
  std::vector<std::vector<std::uint8_t>> feature_winner;  ///< per node: what backward needs
  std::vector<std::uint8_t> logit_winner;                 ///< the exit's combine: the same

  /// Every node's section and head (and a Concat exit's combining head), drawing their initial
  /// weights from `r` in that order.
  explicit TierState(ddnn::detail::random_stream& r) {
    for (std::size_t n = 0; n < Tier::nodes; ++n) {
      sections.emplace_back(r);
      if constexpr (Tier::has_exit) heads.emplace_back(r);
    }
    if constexpr (Tier::exit::concatenates) combine.emplace(r);
    outputs.resize(Tier::nodes);
    node_logits.resize(Tier::nodes);
    grad_outputs.resize(Tier::nodes);
    grad_node_logits.resize(Tier::nodes);
    feature_winner.resize(Tier::nodes);
  }

  /// Its trained tensors, named as in the model file of tier `t`.
  void parameters(std::vector<ParameterRef>& refs, std::size_t t) {
    const std::string tier_name = "tiers[" + std::to_string(t) + "].";
    for (std::size_t n = 0; n < Tier::nodes; ++n) {
      const std::string node = tier_name + "nodes[" + std::to_string(n) + "].";
      sections[n].parameters(refs, node);
      if constexpr (Tier::has_exit) heads[n].parameters(refs, node + "exit_head.");
    }
    if constexpr (Tier::exit::concatenates) combine->parameters(refs, tier_name + "exit_combine.");
  }

  void zero_grad() {
    for (auto& c : sections) c.zero_grad();
    if constexpr (Tier::has_exit)
      for (auto& h : heads) h.zero_grad();
    if constexpr (Tier::exit::concatenates) combine->zero_grad();
  }

  /// f(BatchNormTrainer&) for each BatchNorm of its sections, heads and combining head.
  template <class F>
  void for_each_batchnorm(F&& f) {
    for (auto& c : sections) c.for_each_batchnorm(f);
    if constexpr (Tier::has_exit)
      for (auto& h : heads) train::for_each_batchnorm(h, f);
    if constexpr (Tier::exit::concatenates) train::for_each_batchnorm(*combine, f);
  }

  /// How many BatchNorms a path through one node (its section, then its head and the combining
  /// head) passes: an upper bound on how many depend on one another.
  [[nodiscard]] std::size_t batchnorm_levels() {
    std::size_t n = 0;
    auto count = [&](BatchNormTrainer&) { ++n; };
    sections[0].for_each_batchnorm(count);
    if constexpr (Tier::has_exit) train::for_each_batchnorm(heads[0], count);
    if constexpr (Tier::exit::concatenates) train::for_each_batchnorm(*combine, count);
    return n;
  }

  /// Its trained values as the graph's parameters (the threshold is the trainer's to set).
  template <class Parameters>
  void export_to(Parameters& p) const {
    for (std::size_t n = 0; n < Tier::nodes; ++n) {
      p.nodes[n].layers = sections[n].exported();
      if constexpr (Tier::has_exit) p.nodes[n].exit_head = heads[n].exported();
    }
    if constexpr (Tier::exit::concatenates) p.exit_combine = combine->exported();
  }
};

/// The features node `n` of tier `s` receives: its children's outputs combined as the tier's
/// aggregation kind combines them (with that kind's fills for absent children).
template <class Below, class Tier>
Matrix aggregate_children(const TierState<Below>& below, TierState<Tier>& s, std::size_t n,
                          std::size_t rows) {
  using Kind = typename Tier::spec::features::kind;
  constexpr std::size_t k = Tier::children;
  constexpr values_layout layout{Below::output_shape::pixels, Below::output_shape::channels};
  constexpr value_domain domain =
      ddnn::is_bit_tensor<typename Below::output_type> ? value_domain::sign : value_domain::real;
  Matrix out(Eigen::Index(rows), Eigen::Index(Kind::output_size(k, layout)));
  auto& winner = s.feature_winner[n];
  winner.resize(rows * layout.size());
  std::array<const float*, k> children{};
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < k; ++j)
      children[j] = below.outputs[n * k + j].row(Eigen::Index(r)).data();
    Kind::forward(children, below.present[r].slice(n * k, k), layout, domain,
                  out.row(Eigen::Index(r)).data(), winner.data() + r * layout.size());
  }
  return out;
}

/// The gradient `d` of node n's aggregate, back to its present children's outputs.
template <class Below, class Tier>
void distribute_to_children(TierState<Below>& below, const TierState<Tier>& s, std::size_t n,
                            const Matrix& d, std::size_t rows) {
  using Kind = typename Tier::spec::features::kind;
  constexpr std::size_t k = Tier::children;
  constexpr values_layout layout{Below::output_shape::pixels, Below::output_shape::channels};
  for (std::size_t j = 0; j < k; ++j)
    if (below.grad_outputs[n * k + j].size() == 0)
      below.grad_outputs[n * k + j] = Matrix::Zero(Eigen::Index(rows), Eigen::Index(layout.size()));
  std::array<float*, k> grads{};
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < k; ++j)
      grads[j] = below.grad_outputs[n * k + j].row(Eigen::Index(r)).data();
    Kind::backward(grads, below.present[r].slice(n * k, k), layout, d.row(Eigen::Index(r)).data(),
                   s.feature_winner[n].data() + r * layout.size());
  }
}

/// A tier's exit: its present nodes' logits combined as its exit's aggregation kind combines
/// them (Concat then goes through the tier's combining head).
template <std::size_t Classes, class Tier>
void combine_exit_logits(TierState<Tier>& s, std::size_t rows, const RunContext& ctx) {
  using Exit = typename Tier::exit;
  using Kind = typename Exit::combine::kind;
  constexpr std::size_t nodes = Tier::nodes;
  constexpr values_layout layout{1, Classes};
  Matrix combined(Eigen::Index(rows), Eigen::Index(Kind::output_size(nodes, layout)));
  s.logit_winner.resize(rows * Classes);
  std::array<const float*, nodes> logits{};
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t n = 0; n < nodes; ++n)
      logits[n] = s.node_logits[n].row(Eigen::Index(r)).data();
    Kind::forward(logits, s.present[r], layout, value_domain::real,
                  combined.row(Eigen::Index(r)).data(), s.logit_winner.data() + r * Classes);
  }
  if constexpr (Exit::concatenates)
    s.combined = s.combine->forward(combined, ctx);
  else
    s.combined = std::move(combined);
}

/// The combined exit's gradient, shared out to the nodes' logits (added to their own).
template <std::size_t Classes, class Tier>
void split_exit_gradient(TierState<Tier>& s, std::size_t rows, const RunContext& ctx) {
  using Exit = typename Tier::exit;
  using Kind = typename Exit::combine::kind;
  constexpr std::size_t nodes = Tier::nodes;
  constexpr values_layout layout{1, Classes};
  Matrix through_head;
  if constexpr (Exit::concatenates) through_head = s.combine->backward(s.grad_combined, true, ctx);
  const Matrix& d = Exit::concatenates ? through_head : s.grad_combined;
  std::array<float*, nodes> grads{};
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t n = 0; n < nodes; ++n)
      grads[n] = s.grad_node_logits[n].row(Eigen::Index(r)).data();
    Kind::backward(grads, s.present[r], layout, d.row(Eigen::Index(r)).data(),
                   s.logit_winner.data() + r * Classes);
  }
}

/// Tier T's exit decisions for a simulated batch (eval mode), and the staged answer: the first
/// tier whose exit accepts (the cloud always does).
template <std::size_t T, class Tier, std::size_t Tiers, std::size_t Classes>
void decide_tier(const TierState<Tier>& s, double threshold,
                 std::span<SimulatedSample<Tiers, Classes>> out) {
  if constexpr (Tier::has_exit || Tier::is_cloud) {
    for (std::size_t r = 0; r < out.size(); ++r) {
      auto& e = out[r].tiers[T];
      if (s.present[r].none()) continue;
      e.answered = true;
      const float* row = s.combined.row(Eigen::Index(r)).data();
      std::copy_n(row, Classes, e.logits.begin());
      const std::span<const float> logits(e.logits);
      ExitVerdict v;
      if constexpr (Tier::is_cloud)
        v = final_verdict<typename Tier::spec::criterion>(logits);
      else
        v = exit_verdict<typename Tier::exit::criterion>(logits, threshold);
      e.predicted = v.predicted, e.measure = v.measure, e.exits = v.exits;
      if (!out[r].answered && e.exits) {
        out[r].answered = true;
        out[r].predicted = e.predicted;
        out[r].exit_tier = T;
        out[r].measure = e.measure;
      }
    }
  }
}

}  // namespace train
DDNN_END_NAMESPACE
