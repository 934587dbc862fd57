// A DDNN's parameters as plain data: per node its layers' parameters and exit head, per tier
// its exit threshold, how its nodes send their logits (and a Concat exit's combining head), tier
// by tier.
#pragma once
#include <array>
#include <cstddef>
#include <tuple>

#include "ddnn/exits/logits_link.hpp"
#include "ddnn/graph/tier_traits.hpp"

DDNN_BEGIN_NAMESPACE

/// One node's parameters: its section's layers (one object per layer) and its exit head.
template <class Tier>
struct NodeParameters {
  typename Tier::section::parameters_type layers{};
  typename Tier::exit::parameters_type exit_head{};  ///< NoParameters without an exit
};

/// One tier's parameters: every node's, the tier's exit threshold and logits link.
template <class Tier>
struct TierParameters {
  std::array<NodeParameters<Tier>, Tier::nodes> nodes{};
  double threshold = 0.5;  ///< the exit's threshold T (ignored by tiers without an exit)
  /// How the nodes send their logits to the exit (logits_link.hpp; ignored without an exit).
  LogitsEncoding logits_link = LogitsEncoding::float32;
  /// The combining head of an exit that concatenates its nodes' logits (else NoParameters).
  typename Tier::exit::combine_parameters_type exit_combine{};
};

/// A whole graph's parameters, tier by tier.
template <class Tiers>
struct GraphParameters;
template <class... Tier>
struct GraphParameters<std::tuple<Tier...>> {
  std::tuple<TierParameters<Tier>...> tiers;
  template <std::size_t I>
  [[nodiscard]] auto& tier() noexcept {
    return std::get<I>(tiers);
  }
  template <std::size_t I>
  [[nodiscard]] const auto& tier() const noexcept {
    return std::get<I>(tiers);
  }
};

DDNN_END_NAMESPACE
