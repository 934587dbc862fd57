// Payload codecs: what follows the envelope (runtime/envelope.hpp) for each message_kind, for the
// graph type `Graph` both ends run (the envelope's model id makes sure they do). A decoder takes
// the payload exactly as open() hands it over and throws ddnn::error unless it is exactly a
// payload of that kind for that graph: the wrong size, a float that is NaN or infinite, a field
// out of range. An encoder refuses (ddnn::error) what the decoder would refuse, so a node finds
// its own bug instead of its peers silently dropping its messages; every payload a decoder
// accepts encodes back to the same bytes.
//
// Payloads (little-endian):
//   logits           one node's logits as its tier's logits link sends them
//                    (exits/logits_link.hpp): classes x float32, or an exponent byte and
//                    classes signed bytes
//   feature_request  nothing (0 bytes)
//   features         one node's feature map as TierMessage packs it (graph/message.hpp): bits
//                    densely packed LSB-first in HWC order, or float32 values; link_bytes_of bytes
//   tier_message     a TierMessage's serialize() bytes, read back by its parse()
//   answer           u32 predicted class (< classes), u8 exit tier (< tier count), u8 flags (bit
//                    0: degraded, the others zero), f64 measure (in [0, 1]), classes x float32
//                    logits, u64 devices whose logits it used, u64 devices whose feature maps
//                    went up
//   status           u8 state (1 online, 0 offline), u64 incarnation
//   edge_request     for node n of edge tier T: u64 nodes of tier T-1 present in the tier
//                    message it is cut from, then the feature maps of n's children among them
//                    (children n*k .. n*k+k-1), in order, each as a features payload
//   node_step        for node n of tier T: u64 nodes of tier T the join waits for, then (when
//                    tier T has an exit) its logits as a logits payload, then its feature map
//
// The codecs of logits, tier_message and node_step take the sending tier's logits link
// (Graph::logits_link<T>()); a payload sent over the other link is refused.
#pragma once
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "ddnn/aggregate/presence.hpp"
#include "ddnn/core/bit_tensor.hpp"
#include "ddnn/core/error.hpp"
#include "ddnn/core/finite.hpp"
#include "ddnn/core/little_endian.hpp"
#include "ddnn/core/tensor.hpp"
#include "ddnn/exits/exit_branch.hpp"
#include "ddnn/graph/message.hpp"
#include "ddnn/runtime/envelope.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

/// A graph's logit vector, as the logits payload carries it.
template <class Graph>
using logits_t = Tensor<float, Vector<Graph::classes>>;
/// The feature map one node of tier `T` of `Graph` sends up (tier 0: a device's).
template <class Graph, std::size_t T = 0>
using features_t = typename Graph::template tier<T>::output_type;

/// The network's answer for one sample, as the answer payload carries it.
template <std::size_t Classes>
struct answer {
  std::uint32_t predicted = 0;          ///< the predicted class, < Classes
  std::uint8_t exit_tier = 0;           ///< the tier whose exit answered
  bool degraded = false;                ///< answered without some node's data (offline or too late)
  double measure = 0.0;                 ///< that exit's confidence measure, in [0, 1]
  std::array<float, Classes> logits{};  ///< that exit's (combined) logits
  /// Which devices it was computed from (bit d: device d): those whose logits the local exit
  /// combined, and those whose feature maps went up (0 when it exited locally). A worker's
  /// reply leaves them 0; the aggregator's final answer fills them, so that anyone can replay
  /// the answer on the in-process graph (runtime/replay.hpp).
  std::uint64_t logits_present = 0;
  std::uint64_t features_present = 0;

  friend bool operator==(const answer&, const answer&) = default;
};
/// The answer type of `Graph`.
template <class Graph>
using answer_t = answer<Graph::classes>;

/// Whether a node is up; the status payload carries it with the node's incarnation.
enum class node_state : std::uint8_t { offline = 0, online = 1 };

/// A node's status: its state and incarnation (a number a restarted node increases, so that a
/// late "offline" of its previous life is not taken for news about the new one).
struct node_status {
  node_state state = node_state::offline;
  std::uint64_t incarnation = 0;

  friend bool operator==(const node_status&, const node_status&) = default;
};

/// Bytes of each fixed-size payload.
template <class Graph>
[[nodiscard]] constexpr std::size_t logits_payload_bytes(LogitsEncoding link) noexcept {
  return logits_link_bytes(link, Graph::classes);
}
template <class Graph, std::size_t T = 0>
inline constexpr std::size_t features_payload_bytes = link_bytes_of<features_t<Graph, T>>;
template <class Graph>
inline constexpr std::size_t answer_payload_bytes = 4 + 1 + 1 + 8 + 4 * Graph::classes + 8 + 8;
inline constexpr std::size_t status_payload_bytes = 1 + 8;

namespace detail {
inline void expect_size(std::span<const std::uint8_t> payload, std::size_t want, const char* kind) {
  if (payload.size() != want)
    ddnn::detail::fail(std::string(kind) + " payload has " + std::to_string(payload.size()) +
                       " bytes instead of " + std::to_string(want));
}
inline void check_finite(std::span<const float> values, const char* what) {
  if (const std::size_t i = ddnn::detail::first_non_finite(values); i != values.size())
    ddnn::detail::fail(std::string(what) + " payload has a NaN or infinite value at index " +
                       std::to_string(i));
}
inline void load_floats(const std::uint8_t* in, std::span<float> values, const char* what) {
  ddnn::detail::load_floats_le(in, values);
  check_finite(values, what);
}
template <std::size_t Classes>
void check_answer(const answer<Classes>& a, std::size_t tier_count) {
  using ddnn::detail::fail;
  if (a.predicted >= Classes)
    fail("answer payload predicts class " + std::to_string(a.predicted) + " of " +
         std::to_string(Classes));
  if (a.exit_tier >= tier_count)
    fail("answer payload exits at tier " + std::to_string(a.exit_tier) + ", the graph has " +
         std::to_string(tier_count) + " tiers");
  if (!(a.measure >= 0.0 && a.measure <= 1.0))  // also refuses NaN
    fail("answer payload measure " + std::to_string(a.measure) + " is not in [0, 1]");
  check_finite(a.logits, "answer");
}
}  // namespace detail

// ---- logits ------------------------------------------------------------------------------------

/// A logits payload sent over `link`. Throws ddnn::error for a NaN or infinite logit, or (int8)
/// one not rounded onto the link's grid.
template <std::size_t Classes>
[[nodiscard]] std::vector<std::uint8_t> encode_logits(const Tensor<float, Vector<Classes>>& logits,
                                                      LogitsEncoding link) {
  detail::check_finite(logits.values(), "logits");
  std::vector<std::uint8_t> out(logits_link_bytes(link, Classes));
  write_logits(link, logits.values(), out.data());
  return out;
}

/// Reads a logits payload of `Graph` sent over `link`.
template <class Graph>
[[nodiscard]] logits_t<Graph> decode_logits(std::span<const std::uint8_t> payload,
                                            LogitsEncoding link) {
  detail::expect_size(payload, logits_payload_bytes<Graph>(link), "logits");
  logits_t<Graph> logits;
  read_logits(link, payload.data(), logits.values(), "logits payload");
  return logits;
}

// ---- features ----------------------------------------------------------------------------------

/// A features payload: one node's feature map, packed as in a TierMessage. Throws ddnn::error for
/// a float map holding a NaN or infinite value.
template <ShapeType S>
[[nodiscard]] std::vector<std::uint8_t> encode_features(const BitTensor<S>& features) {
  std::vector<std::uint8_t> out(link_bytes_of<BitTensor<S>>);
  ddnn::detail::pack_dense(features, out.data());
  return out;
}
template <ShapeType S>
[[nodiscard]] std::vector<std::uint8_t> encode_features(const Tensor<float, S>& features) {
  detail::check_finite(features.values(), "features");
  std::vector<std::uint8_t> out(link_bytes_of<Tensor<float, S>>);
  ddnn::detail::store_floats_le(out.data(), features.values());
  return out;
}

/// Reads a features payload: the feature map of one node of tier `T` (default: a device's).
/// Throws ddnn::error also for a set bit beyond the map's last value.
template <class Graph, std::size_t T = 0>
[[nodiscard]] features_t<Graph, T> decode_features(std::span<const std::uint8_t> payload) {
  using Features = features_t<Graph, T>;
  detail::expect_size(payload, features_payload_bytes<Graph, T>, "features");
  Features features;
  if constexpr (is_bit_tensor<Features>)
    ddnn::detail::unpack_dense(payload.data(), features);
  else
    detail::load_floats(payload.data(), features.values(), "features");
  return features;
}

// ---- feature_request ---------------------------------------------------------------------------

/// A feature_request payload: empty, the envelope says everything (which sample, which attempt).
[[nodiscard]] inline std::vector<std::uint8_t> encode_feature_request() { return {}; }

/// Checks a feature_request payload: it must be empty.
inline void decode_feature_request(std::span<const std::uint8_t> payload) {
  detail::expect_size(payload, 0, "feature_request");
}

// ---- tier_message ------------------------------------------------------------------------------

/// A tier_message payload: exactly the TierMessage's serialize(link) bytes.
template <std::size_t Tier, class Features, std::size_t Nodes, std::size_t Classes>
[[nodiscard]] std::vector<std::uint8_t> encode_tier_message(
    const TierMessage<Tier, Features, Nodes, Classes>& message, LogitsEncoding link) {
  return message.serialize(link);
}

/// Reads a tier_message payload as the message of tier `T` of `Graph` (TierMessage::parse),
/// its logits sent over `link`.
template <class Graph, std::size_t T>
[[nodiscard]] typename Graph::template message_type<T> decode_tier_message(
    std::span<const std::uint8_t> payload, LogitsEncoding link) {
  return Graph::template message_type<T>::parse(payload, link);
}

// ---- answer ------------------------------------------------------------------------------------

/// An answer payload of `Graph`. Throws ddnn::error for a class, exit tier or measure out of
/// range, or a NaN or infinite logit.
template <class Graph>
[[nodiscard]] std::vector<std::uint8_t> encode_answer(const answer_t<Graph>& a) {
  detail::check_answer(a, Graph::tier_count);
  std::vector<std::uint8_t> out(answer_payload_bytes<Graph>);
  detail::store_le(out.data(), a.predicted, 4);
  out[4] = a.exit_tier;
  out[5] = a.degraded ? 1 : 0;
  detail::store_le(out.data() + 6, std::bit_cast<std::uint64_t>(a.measure), 8);
  ddnn::detail::store_floats_le(out.data() + 14, a.logits);
  detail::store_le(out.data() + 14 + 4 * Graph::classes, a.logits_present, 8);
  detail::store_le(out.data() + 22 + 4 * Graph::classes, a.features_present, 8);
  return out;
}

/// Reads an answer payload of `Graph`.
template <class Graph>
[[nodiscard]] answer_t<Graph> decode_answer(std::span<const std::uint8_t> payload) {
  detail::expect_size(payload, answer_payload_bytes<Graph>, "answer");
  const std::uint8_t* p = payload.data();
  if ((p[5] & ~1u) != 0)
    ddnn::detail::fail("answer payload has flags " + std::to_string(p[5]) +
                       ", only bit 0 (degraded) is defined");
  answer_t<Graph> a;
  a.predicted = std::uint32_t(detail::load_le(p, 4));
  a.exit_tier = p[4];
  a.degraded = (p[5] & 1) != 0;
  a.measure = std::bit_cast<double>(detail::load_le(p + 6, 8));
  ddnn::detail::load_floats_le(p + 14, a.logits);
  a.logits_present = detail::load_le(p + 14 + 4 * Graph::classes, 8);
  a.features_present = detail::load_le(p + 22 + 4 * Graph::classes, 8);
  detail::check_answer(a, Graph::tier_count);
  return a;
}

/// The answer payload of an exit's decision at `tier`.
template <class Graph>
[[nodiscard]] answer_t<Graph> answer_of(const ExitDecision<Graph::classes>& d, std::size_t tier,
                                        bool degraded) {
  answer_t<Graph> a;
  a.predicted = std::uint32_t(d.predicted);
  a.exit_tier = std::uint8_t(tier);
  a.degraded = degraded;
  a.measure = d.measure;
  for (std::size_t c = 0; c < Graph::classes; ++c) a.logits[c] = d.logits[c];
  return a;
}

// ---- edge_request ------------------------------------------------------------------------------

/// The nodes of tier T - 1 that node `n` of tier T aggregates.
template <class Graph, std::size_t T>
[[nodiscard]] Presence children_of(std::size_t n) {
  constexpr std::size_t k = Graph::template tier<T>::children;
  return n * k >= 64 ? Presence() : Presence(Presence::all(k).bits() << (n * k));
}

/// The nodes of tier T that have a child in `below` (those a join of tier T waits for).
template <class Graph, std::size_t T>
[[nodiscard]] Presence parents_of(Presence below) {
  constexpr std::size_t k = Graph::template tier<T>::children;
  Presence p;
  for (std::size_t n = 0; n < Graph::template tier<T>::nodes; ++n)
    if (!below.slice(n * k, k).none(k)) p.set(n);  // as BuiltTier::run_children decides
  return p;
}

/// What an edge node receives: the presence of the whole tier message below, and that message
/// cut down to its own children (the only feature maps it reads).
template <class Graph, std::size_t T>
struct edge_request {
  Presence below;  ///< nodes of tier T - 1 present in the whole message
  typename Graph::template message_type<T - 1> message;  ///< present = below & its children
};

/// The edge_request payload for node `n` of edge tier `T` from the tier message below. Throws
/// ddnn::error when none of n's children is present (the node has nothing to do).
template <class Graph, std::size_t T>
[[nodiscard]] std::vector<std::uint8_t> encode_edge_request(
    const typename Graph::template message_type<T - 1>& below, std::size_t n) {
  constexpr std::size_t nodes_below = Graph::template tier<T - 1>::nodes;
  const Presence mine = below.present & children_of<Graph, T>(n);
  if (mine.none(nodes_below))
    ddnn::detail::fail("edge_request: node " + std::to_string(n) + " of tier " + std::to_string(T) +
                       " has no child present");
  std::vector<std::uint8_t> out(8);
  detail::store_le(out.data(), below.present.bits(), 8);
  for (std::size_t c = 0; c < nodes_below; ++c) {
    if (!mine[c]) continue;
    const std::vector<std::uint8_t> f = encode_features(below.features[c]);
    out.insert(out.end(), f.begin(), f.end());
  }
  return out;
}

/// Reads an edge_request payload for node `n` of edge tier `T`.
template <class Graph, std::size_t T>
[[nodiscard]] edge_request<Graph, T> decode_edge_request(std::span<const std::uint8_t> payload,
                                                         std::size_t n) {
  constexpr std::size_t nodes_below = Graph::template tier<T - 1>::nodes;
  constexpr std::size_t map_bytes = features_payload_bytes<Graph, T - 1>;
  if (n >= Graph::template tier<T>::nodes)
    ddnn::detail::fail("edge_request for node " + std::to_string(n) + " of tier " +
                       std::to_string(T) + ", which has " +
                       std::to_string(Graph::template tier<T>::nodes) + " nodes");
  if (payload.size() < 8)
    ddnn::detail::fail("edge_request payload has " + std::to_string(payload.size()) +
                       " bytes, fewer than its 8-byte presence");
  edge_request<Graph, T> r;
  r.below = Presence(detail::load_le(payload.data(), 8));
  r.below.check_within(nodes_below);
  const Presence mine = r.below & children_of<Graph, T>(n);
  if (mine.none(nodes_below))
    ddnn::detail::fail("edge_request payload has no child of node " + std::to_string(n));
  detail::expect_size(payload, 8 + mine.count(nodes_below) * map_bytes, "edge_request");
  r.message.present = mine;
  std::size_t at = 8;
  for (std::size_t c = 0; c < nodes_below; ++c) {
    if (!mine[c]) continue;
    r.message.features[c] = decode_features<Graph, T - 1>(payload.subspan(at, map_bytes));
    at += map_bytes;
  }
  return r;
}

// ---- node_step ---------------------------------------------------------------------------------

/// What a node of tier T sends its tier's join: the nodes the join waits for, and its step.
template <class Graph, std::size_t T>
struct node_step_payload {
  Presence expected;  ///< nodes of tier T that got a share of this sample
  typename Graph::template node_step_type<T> step;
};

/// The node_step payload of a node of tier `T`.
template <class Graph, std::size_t T>
[[nodiscard]] std::vector<std::uint8_t> encode_node_step(
    Presence expected, const typename Graph::template node_step_type<T>& step,
    LogitsEncoding link) {
  expected.check_within(Graph::template tier<T>::nodes);
  std::vector<std::uint8_t> out(8);
  detail::store_le(out.data(), expected.bits(), 8);
  if constexpr (Graph::template tier<T>::has_exit) {
    const std::vector<std::uint8_t> l = encode_logits(step.logits, link);
    out.insert(out.end(), l.begin(), l.end());
  }
  const std::vector<std::uint8_t> f = encode_features(step.features);
  out.insert(out.end(), f.begin(), f.end());
  return out;
}

/// Reads a node_step payload of a node of tier `T`.
template <class Graph, std::size_t T>
[[nodiscard]] node_step_payload<Graph, T> decode_node_step(std::span<const std::uint8_t> payload,
                                                           LogitsEncoding link) {
  constexpr bool has_exit = Graph::template tier<T>::has_exit;
  const std::size_t logit_bytes = has_exit ? logits_payload_bytes<Graph>(link) : 0;
  detail::expect_size(payload, 8 + logit_bytes + features_payload_bytes<Graph, T>, "node_step");
  node_step_payload<Graph, T> r;
  r.expected = Presence(detail::load_le(payload.data(), 8));
  r.expected.check_within(Graph::template tier<T>::nodes);
  if (r.expected.none(Graph::template tier<T>::nodes))
    ddnn::detail::fail("node_step payload expects no node");
  if constexpr (has_exit)
    r.step.logits = decode_logits<Graph>(payload.subspan(8, logit_bytes), link);
  r.step.features = decode_features<Graph, T>(payload.subspan(8 + logit_bytes));
  return r;
}

// ---- status ------------------------------------------------------------------------------------

/// A status payload. Throws ddnn::error for a state outside node_state.
[[nodiscard]] inline std::vector<std::uint8_t> encode_status(const node_status& s) {
  if (s.state != node_state::offline && s.state != node_state::online)
    ddnn::detail::fail("status state " + std::to_string(unsigned(s.state)) +
                       " is not a node_state");
  std::vector<std::uint8_t> out(status_payload_bytes);
  out[0] = std::uint8_t(s.state);
  detail::store_le(out.data() + 1, s.incarnation, 8);
  return out;
}

/// Reads a status payload.
[[nodiscard]] inline node_status decode_status(std::span<const std::uint8_t> payload) {
  detail::expect_size(payload, status_payload_bytes, "status");
  if (payload[0] > 1)
    ddnn::detail::fail("status payload state " + std::to_string(payload[0]) +
                       " is neither 0 (offline) nor 1 (online)");
  return {.state = node_state(payload[0]), .incarnation = detail::load_le(payload.data() + 1, 8)};
}

}  // namespace runtime
DDNN_END_NAMESPACE
