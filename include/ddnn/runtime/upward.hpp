// How a tier's message goes up, the one rule every role that sends one follows (the local
// aggregator for the devices' message, a tier join for an edge tier's): when the next tier is
// the cloud, the whole message goes to the cloud's worker group; when it is an edge tier, each
// of its nodes that has a child present gets its own share (an edge_request with only its
// children's feature maps), and the nodes' steps meet again in that tier's join. Every message
// carries the response topic the final answer goes to.
#pragma once
#include <cstddef>
#include <string>

#include "ddnn/runtime/envelope.hpp"
#include "ddnn/runtime/node.hpp"
#include "ddnn/runtime/payloads.hpp"
#include "ddnn/runtime/topics.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

/// Sends `message` of tier T up for the sample and attempt in `h` (its kind is set here),
/// answers to go to `reply_to`; `link` is tier T's logits link (Graph::logits_link<T>()).
template <class Graph, std::size_t T>
void send_up(const typename Graph::template message_type<T>& message, LogitsEncoding link,
             const Topics& topics, envelope h, const std::string& reply_to, Publisher& out) {
  static_assert(T + 1 < Graph::tier_count, "send_up: the cloud sends nothing up");
  using Above = typename Graph::template tier<T + 1>;
  if constexpr (Above::is_cloud) {
    h.kind = message_kind::tier_message;
    outgoing_message m =
        message_to(topics.tier(T + 1), seal(h, encode_tier_message(message, link)));
    m.response_topic = reply_to;
    out.publish(std::move(m));
  } else {
    h.kind = message_kind::edge_request;
    const Presence parents = parents_of<Graph, T + 1>(message.present);
    for (std::size_t n = 0; n < Above::nodes; ++n) {
      if (!parents[n]) continue;
      outgoing_message m =
          message_to(topics.edge(T + 1, n), seal(h, encode_edge_request<Graph, T + 1>(message, n)));
      m.response_topic = reply_to;
      out.publish(std::move(m));
    }
  }
}

}  // namespace runtime
DDNN_END_NAMESPACE
