// The join of an edge tier: where the node steps of one sample meet. Each edge node steps its
// share of the tier message (runtime/worker.hpp) and sends its logits and feature map here, with
// the set of nodes that got a share; when all of them arrived, the join applies the tier's exit
// to their logits and either answers (on the request's response topic) or assembles the tier's
// message and sends it up (runtime/upward.hpp). Several joins share a tier by sample id (join j
// takes sample % joins == j), so each sample meets in exactly one place.
//
// A join never decides on part of a tier: an edge node is a server, not a sensor, so a missing
// step means a lost or dead process, not an absent view. The join gives the sample up after
// `expiry` (counted as abandoned) and the aggregator's deadline retries it with the next attempt,
// which meets afresh; after the last attempt the aggregator answers degraded. So every answer
// that is not degraded is what the in-process graph computes on the devices' presence.
#pragma once
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ddnn/core/error.hpp"
#include "ddnn/runtime/counters.hpp"
#include "ddnn/runtime/envelope.hpp"
#include "ddnn/runtime/node.hpp"
#include "ddnn/runtime/payloads.hpp"
#include "ddnn/runtime/topics.hpp"
#include "ddnn/runtime/upward.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

struct TierJoinOptions {
  std::size_t tier = 1;   ///< the edge tier it joins
  std::size_t join = 0;   ///< its number: it takes the samples with id % joins == join
  std::size_t joins = 1;  ///< how many joins share the tier
  clock_time expiry = std::chrono::seconds(1);  ///< a sample whose steps did not all arrive
  std::size_t remembered = 4096;  ///< finished (sample, attempt)s kept to recognise late copies
};

template <class Graph>
class TierJoin final : public Node {
 public:
  TierJoin(const Graph& graph, std::uint64_t model, Topics topics, TierJoinOptions options)
      : graph_(graph), model_(model), topics_(std::move(topics)), options_(options) {
    if (options_.tier == 0 || options_.tier + 1 >= Graph::tier_count)
      ddnn::detail::fail("TierJoin: tier " + std::to_string(options_.tier) +
                         " is not an edge tier");
    if (options_.joins == 0 || options_.join >= options_.joins)
      ddnn::detail::fail("TierJoin: join " + std::to_string(options_.join) + " of " +
                         std::to_string(options_.joins));
  }

  [[nodiscard]] std::vector<std::string> subscriptions() const override {
    return {topics_.join(options_.tier, options_.join)};
  }

  void on_message(const received_message& m, clock_time now, Publisher& out) override {
    ++counters_.received;
    try {
      const opened o = open(m.payload, model_);
      if (m.topic != topics_.join(options_.tier, options_.join) ||
          o.header.kind != message_kind::node_step || m.response_topic.empty() ||
          o.header.sample % options_.joins != options_.join)
        return void(++counters_.unexpected);
      dispatch<1>(o, m.response_topic, now, out);
    } catch (const error&) {
      count_rejected(counters_, m.payload, model_);
    }
  }

  clock_time on_time(clock_time now, Publisher&) override {
    while (!expiries_.empty() && expiries_.begin()->first <= now) {
      const key k = expiries_.begin()->second;
      expiries_.erase(expiries_.begin());
      if (erase_pending(k)) ++counters_.abandoned;
    }
    return expiries_.empty() ? no_deadline : expiries_.begin()->first;
  }

  [[nodiscard]] const Counters& counters() const noexcept { return counters_; }
  /// Samples whose steps are still arriving.
  [[nodiscard]] std::size_t pending() const noexcept { return pending_count_; }

 private:
  using key = std::pair<std::uint64_t, std::uint16_t>;  // (sample, attempt)

  template <std::size_t T>
  struct Meeting {
    Presence expected, arrived;
    std::array<typename Graph::template node_step_type<T>, Graph::template tier<T>::nodes> steps{};
    std::string reply_to;
    clock_time expires{};
  };
  template <std::size_t T>
  using meetings = std::map<key, Meeting<T>>;

  // One map of meetings per edge tier; only the joined tier's is used.
  template <std::size_t... T>
  static auto all_meetings(std::index_sequence<T...>) -> std::tuple<meetings<T + 1>...>;
  using meetings_by_tier =
      decltype(all_meetings(std::make_index_sequence<Graph::tier_count - 2>{}));

  template <std::size_t T>
  void dispatch(const opened& o, const std::string& reply_to, clock_time now, Publisher& out) {
    if constexpr (T + 1 < Graph::tier_count) {
      if (T != options_.tier) return dispatch<T + 1>(o, reply_to, now, out);
      constexpr std::size_t nodes = Graph::template tier<T>::nodes;
      const std::size_t n = o.header.node;
      if (n >= nodes) return void(++counters_.unexpected);
      auto step = decode_node_step<Graph, T>(o.payload, graph_.template logits_link<T>());
      if (!step.expected[n]) return void(++counters_.unexpected);  // a node that got no share
      const key k{o.header.sample, o.header.attempt};
      if (finished_.contains(k)) return void(++counters_.late);
      auto& all = std::get<T - 1>(meetings_);
      auto [it, fresh] = all.try_emplace(k);
      Meeting<T>& meeting = it->second;
      if (fresh) {
        meeting.expected = step.expected;
        meeting.reply_to = reply_to;
        meeting.expires = now + options_.expiry;
        expiries_.emplace(meeting.expires, k);
        ++pending_count_;
      }
      if (step.expected != meeting.expected || reply_to != meeting.reply_to)
        return void(++counters_.unexpected);  // not the same sample's request
      if (meeting.arrived[n]) return void(++counters_.duplicates);
      meeting.arrived.set(n);
      meeting.steps[n] = std::move(step.step);
      if (meeting.arrived.includes(meeting.expected)) meet<T>(k, meeting, out);
    }
  }

  // Every expected step arrived: the tier's exit, then an answer or the message up.
  template <std::size_t T>
  void meet(const key& k, Meeting<T>& meeting, Publisher& out) {
    constexpr std::size_t nodes = Graph::template tier<T>::nodes;
    envelope h{.kind = message_kind::answer,
               .node = std::uint16_t(options_.join),
               .model = model_,
               .sample = k.first,
               .attempt = k.second};
    bool answered = false;
    if constexpr (Graph::template tier<T>::has_exit) {
      std::array<typename Graph::template node_logits_type<T>, nodes> logits{};
      for (std::size_t n = 0; n < nodes; ++n) logits[n] = meeting.steps[n].logits;
      const auto decision = graph_.template decide<T>(logits, meeting.arrived);
      if (decision.exits) {
        out.publish(message_to(
            meeting.reply_to, seal(h, encode_answer<Graph>(answer_of<Graph>(decision, T, false)))));
        ++counters_.answered;
        answered = true;
      }
    }
    if (!answered)
      send_up<Graph, T>(
          Graph::template assemble<T>(
              std::span<const typename Graph::template node_step_type<T>, nodes>(meeting.steps),
              meeting.arrived),
          graph_.template logits_link<T>(), topics_, h, meeting.reply_to, out);
    expiries_.erase({meeting.expires, k});
    erase_pending(k);
    finished_.insert(k);
    finished_order_.push_back(k);
    if (finished_order_.size() > options_.remembered) {
      finished_.erase(finished_order_.front());
      finished_order_.pop_front();
    }
  }

  bool erase_pending(const key& k) {
    const bool erased = [&]<std::size_t... I>(std::index_sequence<I...>) {
      return ((std::get<I>(meetings_).erase(k) != 0) || ...);
    }
    (std::make_index_sequence<Graph::tier_count - 2>{});
    if (erased) --pending_count_;
    return erased;
  }

  const Graph& graph_;
  std::uint64_t model_;
  Topics topics_;
  TierJoinOptions options_;
  meetings_by_tier meetings_;
  std::set<std::pair<clock_time, key>> expiries_;
  std::set<key> finished_;
  std::deque<key> finished_order_;
  std::size_t pending_count_ = 0;
  Counters counters_;
};

}  // namespace runtime
DDNN_END_NAMESPACE
