// The stateless roles above the devices. A cloud `Worker` steps the cloud on a whole tier message
// and answers on the request's response topic. An `EdgeNode` is node n of an edge tier: it
// steps its section and exit head on its share of the tier message (its children's feature
// maps, runtime/upward.hpp) and sends its node step to its tier's join (runtime/tier_join.hpp),
// which decides the edge exit on all of them. Several processes may serve the cloud, or the same
// edge node, through one shared subscription, so each message goes to one of them. None keeps
// anything between messages: a process that dies loses only the messages it held, which the
// aggregator's deadline retries elsewhere.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ddnn/core/error.hpp"
#include "ddnn/runtime/counters.hpp"
#include "ddnn/runtime/envelope.hpp"
#include "ddnn/runtime/node.hpp"
#include "ddnn/runtime/payloads.hpp"
#include "ddnn/runtime/topics.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

/// A cloud worker; `node` is its number in the replies' envelopes.
template <class Graph>
class Worker final : public Node {
  static constexpr std::size_t cloud = Graph::tier_count - 1;

 public:
  Worker(const Graph& graph, std::uint64_t model, Topics topics, std::size_t node = 0)
      : graph_(graph), model_(model), node_(node), topics_(std::move(topics)) {}

  [[nodiscard]] std::vector<std::string> subscriptions() const override {
    return {topics_.tier_group(cloud)};
  }

  void on_message(const received_message& m, clock_time, Publisher& out) override {
    ++counters_.received;
    try {
      const opened o = open(m.payload, model_);
      if (m.topic != topics_.tier(cloud) || o.header.kind != message_kind::tier_message ||
          m.response_topic.empty())
        return void(++counters_.unexpected);
      const auto below = decode_tier_message<Graph, cloud - 1>(
          o.payload, graph_.template logits_link<cloud - 1>());
      const auto step = graph_.template step<cloud>(below);
      if (!step.answered) return void(++counters_.unexpected);  // nothing present below
      ++counters_.answered;
      out.publish(message_to(m.response_topic, seal({.kind = message_kind::answer,
                                                     .node = std::uint16_t(node_),
                                                     .model = model_,
                                                     .sample = o.header.sample,
                                                     .attempt = o.header.attempt},
                                                    encode_answer<Graph>(answer_of<Graph>(
                                                        step.decision, cloud, false)))));
    } catch (const error&) {
      count_rejected(counters_, m.payload, model_);
    }
  }

  [[nodiscard]] const Counters& counters() const noexcept { return counters_; }

 private:
  const Graph& graph_;
  std::uint64_t model_;
  std::size_t node_;
  Topics topics_;
  Counters counters_;
};

/// Node `node` of edge tier `tier`; its node steps go to join sample % `joins` of its tier.
template <class Graph>
class EdgeNode final : public Node {
 public:
  EdgeNode(const Graph& graph, std::uint64_t model, std::size_t tier, std::size_t node,
           Topics topics, std::size_t joins = 1)
      : graph_(graph),
        model_(model),
        tier_(tier),
        node_(node),
        joins_(joins),
        topics_(std::move(topics)) {
    if (!is_edge_tier<1>(tier))
      ddnn::detail::fail("EdgeNode: tier " + std::to_string(tier) + " is not an edge tier");
    if (node >= nodes_of<1>(tier))
      ddnn::detail::fail("EdgeNode: tier " + std::to_string(tier) + " has " +
                         std::to_string(nodes_of<1>(tier)) + " nodes, there is no node " +
                         std::to_string(node));
    if (joins == 0) ddnn::detail::fail("EdgeNode: joins must be at least 1");
  }

  [[nodiscard]] std::vector<std::string> subscriptions() const override {
    return {topics_.edge_group(tier_, node_)};
  }

  void on_message(const received_message& m, clock_time, Publisher& out) override {
    ++counters_.received;
    try {
      const opened o = open(m.payload, model_);
      if (m.topic != topics_.edge(tier_, node_) || o.header.kind != message_kind::edge_request ||
          m.response_topic.empty())
        return void(++counters_.unexpected);
      dispatch<1>(o, m.response_topic, out);
    } catch (const error&) {
      count_rejected(counters_, m.payload, model_);
    }
  }

  [[nodiscard]] const Counters& counters() const noexcept { return counters_; }

 private:
  template <std::size_t T>
  static constexpr bool is_edge_tier(std::size_t tier) {
    if constexpr (T + 1 >= Graph::tier_count) {
      return false;
    } else {
      return tier == T || is_edge_tier<T + 1>(tier);
    }
  }
  template <std::size_t T>
  static constexpr std::size_t nodes_of(std::size_t tier) {
    if constexpr (T + 1 >= Graph::tier_count) {
      return 0;
    } else {
      return tier == T ? Graph::template tier<T>::nodes : nodes_of<T + 1>(tier);
    }
  }

  // The tier is known at run time; the step is a template: find T == tier_.
  template <std::size_t T>
  void dispatch(const opened& o, const std::string& reply_to, Publisher& out) {
    if constexpr (T + 1 < Graph::tier_count) {
      if (T != tier_) return dispatch<T + 1>(o, reply_to, out);
      const auto request = decode_edge_request<Graph, T>(o.payload, node_);
      const auto step = graph_.template step_node<T>(node_, request.message);
      if (!step) return void(++counters_.unexpected);  // cannot happen: a child is present
      outgoing_message m =
          message_to(topics_.join(T, o.header.sample % joins_),
                     seal({.kind = message_kind::node_step,
                           .node = std::uint16_t(node_),
                           .model = model_,
                           .sample = o.header.sample,
                           .attempt = o.header.attempt},
                          encode_node_step<Graph, T>(parents_of<Graph, T>(request.below), *step,
                                                     graph_.template logits_link<T>())));
      m.response_topic = reply_to;
      out.publish(std::move(m));
    }
  }

  const Graph& graph_;
  std::uint64_t model_;
  std::size_t tier_;
  std::size_t node_;
  std::size_t joins_;
  Topics topics_;
  Counters counters_;
};

/// The answer sink: collects the final answers a driver waits for, and counts what it saw twice.
template <class Graph>
class AnswerSink final : public Node {
 public:
  AnswerSink(std::uint64_t model, Topics topics) : model_(model), topics_(std::move(topics)) {}

  [[nodiscard]] std::vector<std::string> subscriptions() const override {
    return {topics_.answers()};
  }
  void on_message(const received_message& m, clock_time now, Publisher&) override {
    ++counters_.received;
    try {
      const opened o = open(m.payload, model_);
      if (o.header.kind != message_kind::answer) return void(++counters_.unexpected);
      const answer_t<Graph> a = decode_answer<Graph>(o.payload);
      auto [it, fresh] = answers_.try_emplace(o.header.sample, Received{a, now});
      if (!fresh) ++counters_.duplicates;
    } catch (const error&) {
      count_rejected(counters_, m.payload, model_);
    }
  }

  struct Received {
    answer_t<Graph> answer;
    clock_time at{};
  };
  [[nodiscard]] const std::map<std::uint64_t, Received>& answers() const noexcept {
    return answers_;
  }
  [[nodiscard]] const Counters& counters() const noexcept { return counters_; }

 private:
  std::uint64_t model_;
  Topics topics_;
  std::map<std::uint64_t, Received> answers_;
  Counters counters_;
};

}  // namespace runtime
DDNN_END_NAMESPACE
