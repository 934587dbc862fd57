// One tier of a built graph: its nodes' sections and exit heads (with the kernels chosen), its
// exit's combining head and threshold, and what runs on them: a node's step on its input or on
// its children's feature maps, and the exit's decision over the logits that arrived.
#pragma once
#include <array>
#include <cstddef>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "ddnn/aggregate/presence.hpp"
#include "ddnn/core/error.hpp"
#include "ddnn/exits/exit_branch.hpp"
#include "ddnn/exits/logits_link.hpp"
#include "ddnn/graph/graph_parameters.hpp"
#include "ddnn/graph/tier_traits.hpp"
#include "ddnn/layers/layer_support.hpp"

DDNN_BEGIN_NAMESPACE
namespace detail {

template <class Tier, std::size_t Classes>
class BuiltTier {
 public:
  using output_type = typename Tier::output_type;
  using logits_type = typename tier_message_t<Tier>::logits_type;

  /// Builds every node's layers for `isa`; throws ddnn::error naming tier `index`, the node and
  /// the layer when a parameter is invalid.
  BuiltTier(const TierParameters<Tier>& p, isa_id isa, std::size_t index) {
    sections_.reserve(Tier::nodes);
    const char* kind = Tier::kind == TierKind::devices ? "device"
                       : Tier::kind == TierKind::edge  ? "edge node"
                                                       : "cloud";
    for (std::size_t n = 0; n < Tier::nodes; ++n) {
      const std::string where =
          "tier " + std::to_string(index) + " (" + kind + " " + std::to_string(n) + ")";
      try {
        sections_.emplace_back(isa, p.nodes[n].layers);
        if constexpr (Tier::has_exit) heads_.emplace_back(p.nodes[n].exit_head, isa);
      } catch (const error& e) {
        fail(where + ": " + e.what());
      }
    }
    if constexpr (Tier::has_exit) {
      validate_threshold(p.threshold, "tier " + std::to_string(index) + " exit");
      threshold = p.threshold;
      require_finite_combine(index);
      require_link_encoding(p.logits_link, index);
      logits_link = p.logits_link;
    }
    if constexpr (Tier::exit::concatenates) {
      try {
        combine_head_.emplace(p.exit_combine, isa);
      } catch (const error& e) {
        fail("tier " + std::to_string(index) + " exit's combining head: " + e.what());
      }
    }
  }

  /// Whether run_batch() does more than run each sample in turn.
  static constexpr bool batches = [] {
    if constexpr (Tier::has_exit)
      return Tier::section::batches || forward_batches<typename Tier::exit::head_layer>;
    else
      return Tier::section::batches;
  }();

  double threshold = 0.0;  ///< the exit's (tiers with an exit)
  /// How the nodes send their logits to the exit (tiers with an exit).
  LogitsEncoding logits_link = LogitsEncoding::float32;

  /// Node n on `input`: its section, then its exit head into `logits` when the tier has one
  /// (rounded onto the logits link's grid: what the node sends).
  template <class Input>
  void run(std::size_t n, const Input& input, output_type& features, logits_type* logits) const {
    features = sections_[n](input);
    if constexpr (Tier::has_exit) {
      heads_[n].forward(features, *logits);
      round_to_link(logits_link, logits->values());
    }
  }

  /// Node n on its children's feature maps (children n*k .. n*k+k-1 of the tier below, those in
  /// `present`), aggregated by the tier's feature aggregator; false (nothing written) when none
  /// of them is present.
  template <class BelowFeatures, std::size_t BelowNodes>
  bool run_children(std::size_t n, std::span<const BelowFeatures, BelowNodes> below,
                    Presence present, output_type& features, logits_type* logits) const {
    typename Tier::input_type aggregate;
    if (!aggregate_children(n, below, present, aggregate)) return false;
    run(n, aggregate, features, logits);
    return true;
  }

  /// Node n's input from its children's feature maps (children n*k .. n*k+k-1 of the tier
  /// below, those in `present`), aggregated by the tier's feature aggregator; false (nothing
  /// written) when none of them is present.
  template <class BelowFeatures, std::size_t BelowNodes>
  static bool aggregate_children(std::size_t n, std::span<const BelowFeatures, BelowNodes> below,
                                 Presence present, typename Tier::input_type& aggregate) {
    constexpr std::size_t k = Tier::children;
    const Presence group = present.slice(n * k, k);
    if (group.none(k)) return false;
    (void)Tier::spec::features::combine(below.subspan(n * k).template first<k>(), group, aggregate);
    return true;
  }

  /// Node n on many samples' inputs at once: its section layer by layer over all of them (see
  /// Section::run_batch), then its exit head when the tier has one (`logits` as many as
  /// `inputs`; empty otherwise). Sample i's results equal run(n, inputs[i], ...) bit for bit.
  template <class Input>
  void run_batch(std::size_t n, std::span<const Input> inputs, std::span<output_type> features,
                 std::span<logits_type> logits) const {
    sections_[n].run_batch(inputs, features);
    if constexpr (Tier::has_exit) {
      forward_all(heads_[n], std::span<const output_type>(features), logits);
      for (logits_type& l : logits) round_to_link(logits_link, l.values());
    }
  }

  /// The exit's combine over the logits of the nodes in `present`, then its criterion.
  void decide(const std::array<logits_type, Tier::nodes>& logits, Presence present,
              ExitDecision<Classes>& d) const requires Tier::has_exit {
    using Exit = typename Tier::exit;
    if constexpr (Exit::concatenates) {
      Tensor<float, Vector<Tier::nodes * Classes>> concatenated;
      (void)Exit::combine::combine(logits, present, concatenated);
      combine_head_->forward(concatenated, d.logits);
    } else {
      (void)Exit::combine::combine(logits, present, d.logits);
    }
    const ExitVerdict v = exit_verdict<typename Exit::criterion>(d.logits.values(), threshold);
    d.predicted = v.predicted, d.measure = v.measure, d.exits = v.exits;
  }

 private:
  // An exit combines its nodes' logits; when the heads bound their logits (binary heads), what
  // the combine computes along the way (e.g. Avg's sum before it divides) must stay finite.
  void require_finite_combine(std::size_t index) const {
    using Head = typename decltype(heads_)::value_type;
    if constexpr (requires(const Head& h) { h.max_abs_logit(); }) {
      std::array<double, Tier::nodes> bounds{};
      for (std::size_t n = 0; n < Tier::nodes; ++n) bounds[n] = heads_[n].max_abs_logit();
      const double bound = Tier::exit::combine::kind::intermediate_bound(bounds);
      if (bound > double(std::numeric_limits<float>::max()))
        fail("tier " + std::to_string(index) + " exit: combining its nodes' logits (" +
             std::string(Tier::exit::combine::name) + ") can reach " + std::to_string(bound) +
             ", beyond float range");
    }
  }

  // An int8 link needs every logit a head can produce below int8_link_limit.
  void require_link_encoding(LogitsEncoding e, std::size_t index) const {
    if (e != LogitsEncoding::float32 && e != LogitsEncoding::int8)
      fail("tier " + std::to_string(index) + " exit: logits link " + std::to_string(unsigned(e)) +
           " is neither float32 nor int8");
    using Head = typename decltype(heads_)::value_type;
    if constexpr (requires(const Head& h) { h.max_abs_logit(); })
      for (std::size_t n = 0; n < Tier::nodes && e == LogitsEncoding::int8; ++n)
        if (!(heads_[n].max_abs_logit() < double(int8_link_limit)))
          fail("tier " + std::to_string(index) + " exit: node " + std::to_string(n) +
               "'s logits can reach " + std::to_string(heads_[n].max_abs_logit()) +
               ", beyond the int8 logits link's range");
  }

  std::vector<typename Tier::section> sections_;
  std::vector<std::conditional_t<Tier::has_exit, typename Tier::exit::head_layer, char>> heads_;
  std::optional<typename Tier::exit::combine_layer> combine_head_;  ///< Concat exits only
};

}  // namespace detail
DDNN_END_NAMESPACE
