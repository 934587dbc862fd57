// The runtime's correctness rule as code: an answer that is not degraded equals what the
// in-process graph computes on the presence the aggregator observed — the local exit on the
// devices whose logits arrived, the upper tiers on the feature maps that arrived — bit for bit.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>

#include "ddnn/aggregate/presence.hpp"
#include "ddnn/runtime/payloads.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

namespace detail {
template <class Graph, std::size_t T>
answer_t<Graph> continue_up(const Graph& g,
                            const typename Graph::template message_type<T - 1>& below) {
  const auto s = g.template step<T>(below);
  if constexpr (T + 1 < Graph::tier_count)
    if (!s.decision.exits) return continue_up<Graph, T + 1>(g, s.message);
  answer_t<Graph> a;
  a.predicted = std::uint32_t(s.decision.predicted);
  a.exit_tier = std::uint8_t(T);
  a.measure = s.decision.measure;
  for (std::size_t c = 0; c < Graph::classes; ++c) a.logits[c] = s.decision.logits[c];
  return a;
}
}  // namespace detail

/// What the in-process graph answers for `inputs` when the local exit saw the logits of
/// `logits_present` and, when `exit_tier` > 0, the upper tiers the feature maps of
/// `features_present` (the degraded flag is false).
template <class Graph>
[[nodiscard]] answer_t<Graph> replay(const Graph& g, const typename Graph::inputs_type& inputs,
                                     std::size_t exit_tier, Presence logits_present,
                                     Presence features_present) {
  if constexpr (Graph::template tier<0>::has_exit) {
    if (exit_tier == 0) {
      const auto d = g.step_devices(inputs, logits_present).decision;
      answer_t<Graph> a;
      a.predicted = std::uint32_t(d.predicted);
      a.measure = d.measure;
      for (std::size_t c = 0; c < Graph::classes; ++c) a.logits[c] = d.logits[c];
      return a;
    }
  }
  return detail::continue_up<Graph, 1>(g, g.step_devices(inputs, features_present).message);
}

/// Whether `a` is bit for bit `b` (class, exit tier, measure, logits), degraded flags aside.
template <std::size_t Classes>
[[nodiscard]] bool same_answer_bits(const answer<Classes>& a, const answer<Classes>& b) noexcept {
  if (a.predicted != b.predicted || a.exit_tier != b.exit_tier) return false;
  if (std::bit_cast<std::uint64_t>(a.measure) != std::bit_cast<std::uint64_t>(b.measure))
    return false;
  for (std::size_t c = 0; c < Classes; ++c)
    if (std::bit_cast<std::uint32_t>(a.logits[c]) != std::bit_cast<std::uint32_t>(b.logits[c]))
      return false;
  return true;
}

}  // namespace runtime
DDNN_END_NAMESPACE
