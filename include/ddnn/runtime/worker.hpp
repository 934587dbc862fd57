// The worker role: a stateless step of one upper tier. Several workers of a tier share one
// subscription group, so each tier message goes to one of them; a worker steps the tier on it
// and either answers (the cloud always does; an edge tier when its exit is confident) on the
// request's response topic, or forwards its own tier message to the next tier's group with the
// same response topic. It keeps nothing between messages, so a worker that dies loses only the
// messages it held, which the aggregator's deadline retries elsewhere.
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

template <class Graph>
class Worker final : public Node {
 public:
  /// A worker of tier `tier` (1 .. tier_count - 1); `node` is its number in status and replies.
  Worker(const Graph& graph, std::uint64_t model, std::size_t tier, Topics topics,
         std::size_t node = 0)
      : graph_(graph), model_(model), tier_(tier), node_(node), topics_(std::move(topics)) {
    if (tier == 0 || tier >= Graph::tier_count)
      ddnn::detail::fail("Worker: tier " + std::to_string(tier) + " is not an upper tier (1.." +
                         std::to_string(Graph::tier_count - 1) + ")");
  }

  [[nodiscard]] std::vector<std::string> subscriptions() const override {
    return {topics_.tier_group(tier_)};
  }

  void on_message(const received_message& m, clock_time, Publisher& out) override {
    ++counters_.received;
    try {
      const opened o = open(m.payload, model_);
      if (m.topic != topics_.tier(tier_) || o.header.kind != message_kind::tier_message ||
          m.response_topic.empty())
        return void(++counters_.unexpected);
      dispatch<1>(o, m.response_topic, out);
    } catch (const error&) {
      count_rejected(counters_, m.payload, model_);
    }
  }

  [[nodiscard]] const Counters& counters() const noexcept { return counters_; }

 private:
  // The tier index is known at run time; the step is a template: find T == tier_.
  template <std::size_t T>
  void dispatch(const opened& o, const std::string& reply_to, Publisher& out) {
    if constexpr (T < Graph::tier_count) {
      if (T != tier_) return dispatch<T + 1>(o, reply_to, out);
      const auto below = decode_tier_message<Graph, T - 1>(o.payload);
      const auto step = graph_.template step<T>(below);
      if (!step.answered) return void(++counters_.unexpected);  // no node of the tier present
      if (step.decision.exits) {
        answer_t<Graph> a;
        a.predicted = std::uint32_t(step.decision.predicted);
        a.exit_tier = std::uint8_t(T);
        a.measure = step.decision.measure;
        for (std::size_t c = 0; c < Graph::classes; ++c) a.logits[c] = step.decision.logits[c];
        ++counters_.answered;
        out.publish(message_to(
            reply_to, seal(header(message_kind::answer, o.header), encode_answer<Graph>(a))));
      } else if constexpr (T + 1 < Graph::tier_count) {
        outgoing_message m = message_to(
            topics_.tier(T + 1),
            seal(header(message_kind::tier_message, o.header), encode_tier_message(step.message)));
        m.response_topic = reply_to;
        out.publish(std::move(m));
      }
    }
  }

  [[nodiscard]] envelope header(message_kind kind, const envelope& request) const {
    return {.kind = kind,
            .node = std::uint16_t(node_),
            .model = model_,
            .sample = request.sample,
            .attempt = request.attempt};
  }

  const Graph& graph_;
  std::uint64_t model_;
  std::size_t tier_;
  std::size_t node_;
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
