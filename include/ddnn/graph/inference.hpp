// What inference answers: one tier's step (its message up and its exit decision) and the staged
// answer for one sample, with the bytes every link carried.
#pragma once
#include <array>
#include <cstddef>

#include "ddnn/core/tensor.hpp"
#include "ddnn/graph/communication.hpp"
#include "ddnn/graph/tier_traits.hpp"

DDNN_BEGIN_NAMESPACE

/// The outcome of one tier's step for one sample: the message it sends up and, when the tier
/// has an exit (or is the cloud), its decision on the combined logits.
template <class Tier, std::size_t Classes>
struct TierStep {
  detail::tier_message_t<Tier> message;
  ExitDecision<Classes> decision;  ///< valid when `has_decision` and `answered`
  static constexpr bool has_decision = Tier::has_exit || Tier::is_cloud;
  bool answered = false;  ///< false when no node of the tier was present
};

/// What one node of a tier yields for one sample: its feature map and, when the tier has an exit,
/// its exit-head logits. A runtime sends the two apart (logits first, features on request).
template <class Tier>
struct NodeStep {
  typename Tier::output_type features;
  typename detail::tier_message_t<Tier>::logits_type logits;  ///< valid when Tier::has_exit
};

/// What staged inference says about one sample.
template <std::size_t Classes, std::size_t Devices, std::size_t EdgeNodes>
struct Inference {
  bool answered = false;  ///< false when no device was present: predicted, exit_tier 0, logits 0
  std::size_t predicted = 0;  ///< argmax of the answering exit's logits
  std::size_t exit_tier = 0;  ///< the tier whose exit answered (0: devices; the last: cloud)
  double measure = 0.0;  ///< that exit's confidence measure (normalized entropy: lower is surer)
  Tensor<float, Vector<Classes>> logits;     ///< the answering exit's (combined) logits
  std::array<LinkBytes, Devices> devices{};  ///< bytes on each device's links
  std::array<LinkBytes, EdgeNodes> edges{};  ///< bytes on each edge node's links, tier by tier
  [[nodiscard]] LinkBytes total() const noexcept {
    LinkBytes t;
    for (const LinkBytes& l : devices) t += l;
    for (const LinkBytes& l : edges) t += l;
    return t;
  }
};

DDNN_END_NAMESPACE
