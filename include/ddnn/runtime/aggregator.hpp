// The local aggregator: the one place a sample's fate is decided. It waits for the logits of the
// devices it believes alive (until all arrived or a deadline passes; presence = what arrived),
// applies the local exit, and either answers or asks those devices for their feature maps
// (deadline again), assembles the tier message and sends it up (upward.hpp: to the cloud's
// worker group, or to each edge node its share).
// It keeps every sample until it is answered: after a deadline it resends with attempt + 1, after
// the last attempt it answers with the local exit's result marked degraded. The first answer
// wins; duplicates and late messages are dropped and counted; every sample gets exactly one
// answer, and the same answer again when its devices sense it again with a higher attempt (the
// first copy may have been lost with a broker that restarted). Liveness comes from the devices'
// retained status and Last Will (with incarnations).
#pragma once
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ddnn/aggregate/presence.hpp"
#include "ddnn/core/error.hpp"
#include "ddnn/exits/exit_branch.hpp"
#include "ddnn/runtime/counters.hpp"
#include "ddnn/runtime/envelope.hpp"
#include "ddnn/runtime/node.hpp"
#include "ddnn/runtime/payloads.hpp"
#include "ddnn/runtime/topics.hpp"
#include "ddnn/runtime/upward.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

/// How an answer came about, beyond what the answer payload says: which devices' logits and
/// feature maps arrived in time (what the exactness check replays) and how many tries it took.
struct Provenance {
  Presence logits;    ///< devices whose logits the local exit used
  Presence features;  ///< devices whose feature maps went up (empty when it exited locally)
  std::uint16_t attempts = 0;  ///< upper-tier requests sent
};

struct AggregatorOptions {
  clock_time logits_deadline = std::chrono::milliseconds(50);    ///< after the first logits
  clock_time features_deadline = std::chrono::milliseconds(50);  ///< after the requests
  clock_time answer_deadline = std::chrono::milliseconds(200);   ///< per upper-tier attempt
  std::uint16_t attempts = 3;      ///< upper-tier tries before a degraded answer
  std::size_t max_in_flight = 64;  ///< upper-tier requests outstanding at once
  /// Answered samples remembered (with their answers) to recognise late messages and to answer
  /// a sample sensed again.
  std::size_t remembered = 4096;
  std::size_t node = 0;  ///< this aggregator's number (its reply topic)
};

template <class Graph>
class LocalAggregator final : public Node {
  static constexpr std::size_t D = Graph::devices;
  static constexpr bool has_exit = Graph::template tier<0>::has_exit;
  using Logits = typename Graph::template node_logits_type<0>;
  using NodeStep = typename Graph::template node_step_type<0>;
  using Answer = answer_t<Graph>;

 public:
  /// Called with every final answer (also published on the answers topic).
  using AnswerCallback =
      std::function<void(std::uint64_t sample, const Answer&, const Provenance&)>;

  LocalAggregator(const Graph& graph, std::uint64_t model, Topics topics, AggregatorOptions options,
                  AnswerCallback on_answer = {})
      : graph_(graph),
        model_(model),
        topics_(std::move(topics)),
        options_(options),
        on_answer_(std::move(on_answer)) {
    if (options_.attempts == 0) ddnn::detail::fail("LocalAggregator: attempts must be at least 1");
    if (options_.max_in_flight == 0)
      ddnn::detail::fail("LocalAggregator: max_in_flight must be at least 1");
    alive_ = Presence::all(D);
  }

  [[nodiscard]] std::vector<std::string> subscriptions() const override {
    return {topics_.all("logits"), topics_.all("features"), topics_.status_filter("device"),
            topics_.reply(options_.node)};
  }

  void on_message(const received_message& m, clock_time now, Publisher& out) override {
    ++counters_.received;
    try {
      if (auto d = topics_.node_of(m.topic, "status/device", D)) return on_status(*d, m);
      const opened o = open(m.payload, model_);
      if (auto d = topics_.node_of(m.topic, "logits", D)) {
        if (o.header.kind != message_kind::logits || o.header.node != *d || !has_exit)
          return void(++counters_.unexpected);
        return on_logits(*d, o, now, out);
      }
      if (auto d = topics_.node_of(m.topic, "features", D)) {
        if (o.header.kind != message_kind::features || o.header.node != *d)
          return void(++counters_.unexpected);
        return on_features(*d, o, now, out);
      }
      if (m.topic == topics_.reply(options_.node) && o.header.kind == message_kind::answer)
        return on_reply(o, out);
      ++counters_.unexpected;
    } catch (const error&) {
      count_rejected(counters_, m.payload, model_);
    }
  }

  clock_time on_time(clock_time now, Publisher& out) override {
    // Due deadlines in time order (then sample order); handling one may reschedule or answer it.
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      const std::uint64_t sample = deadlines_.begin()->second;
      Sample& s = samples_.at(sample);
      unschedule(sample, s);
      switch (s.phase) {
        case Phase::logits:
          decide_locally(sample, s, now, out);
          break;
        case Phase::features:
          send_up(sample, s, now, out);
          break;
        case Phase::upper:
          if (s.attempts < options_.attempts) {
            ++counters_.retries;
            transmit(sample, s, now, out);
          } else {
            --in_flight_;
            degraded(sample, s, out);
          }
          break;
      }
    }
    release_queued(now, out);
    return deadlines_.empty() ? no_deadline : deadlines_.begin()->first;
  }

  [[nodiscard]] const Counters& counters() const noexcept { return counters_; }
  /// The devices it currently waits for.
  [[nodiscard]] Presence alive() const noexcept { return alive_; }
  [[nodiscard]] std::size_t pending() const noexcept { return samples_.size(); }

 private:
  enum class Phase { logits, features, upper };
  struct Sample {
    Phase phase = Phase::logits;
    clock_time deadline{};
    bool scheduled = false;  ///< its deadline is in deadlines_
    Presence logits_arrived, requested, features_arrived;
    std::array<Logits, D> logits{};
    std::array<NodeStep, D> nodes{};
    std::optional<ExitDecision<Graph::classes>> local;
    typename Graph::template message_type<0> up;  ///< the message sent up, kept for retries
    std::uint16_t attempts = 0;
    std::uint16_t sensed = 0;  ///< the highest sensing attempt seen (a driver asking again)
    bool queued = false;       ///< waiting for room under max_in_flight
  };

  void on_status(std::size_t d, const received_message& m) {
    const opened o = open(m.payload, model_);
    if (o.header.kind != message_kind::status || o.header.node != d)
      return void(++counters_.unexpected);
    const node_status s = decode_status(o.payload);
    if (s.incarnation < incarnation_[d]) return void(++counters_.stale);
    if (s.state == node_state::offline && s.incarnation != incarnation_[d] && incarnation_[d] != 0)
      return void(++counters_.stale);  // offline for a life it never announced
    incarnation_[d] = s.incarnation;
    alive_.set(d, s.state == node_state::online);
    // Samples waiting only for the device that left can go on now: on_time sees them due.
    for (auto& [sample, smp] : samples_) {
      if (smp.phase == Phase::logits && smp.logits_arrived.includes(alive_))
        schedule(sample, smp, clock_time::min());
      if (smp.phase == Phase::features && smp.features_arrived.includes(smp.requested & alive_))
        schedule(sample, smp, clock_time::min());
    }
  }

  Sample* find_or_start(const envelope& h, clock_time now, Publisher& out) {
    const std::uint64_t sample = h.sample;
    if (auto done = answered_.find(sample); done != answered_.end()) {
      ++counters_.late;
      if (h.attempt > done->second.attempt) {  // sensed again: its answer may have been lost
        done->second.attempt = h.attempt;
        ++counters_.resent;
        out.publish(message_to(topics_.answers(), done->second.answer));
      }
      return nullptr;
    }
    auto [it, fresh] = samples_.try_emplace(sample);
    if (fresh) schedule(sample, it->second, now + options_.logits_deadline);
    it->second.sensed = std::max(it->second.sensed, h.attempt);
    return &it->second;
  }

  void on_logits(std::size_t d, const opened& o, clock_time now, Publisher& out) {
    if constexpr (has_exit) {
      const Logits logits = decode_logits<Graph>(o.payload, graph_.template logits_link<0>());
      Sample* s = find_or_start(o.header, now, out);
      if (s == nullptr) return;
      if (s->phase != Phase::logits || s->logits_arrived[d]) return void(++counters_.duplicates);
      s->logits[d] = logits;
      s->logits_arrived.set(d);
      if (s->logits_arrived.includes(alive_)) decide_locally(o.header.sample, *s, now, out);
    }
  }

  void on_features(std::size_t d, const opened& o, clock_time now, Publisher& out) {
    auto features = decode_features<Graph>(o.payload);
    Sample* s = nullptr;
    if constexpr (has_exit) {
      if (answered_.contains(o.header.sample)) return void(++counters_.late);
      auto it = samples_.find(o.header.sample);
      if (it == samples_.end() || !it->second.requested[d]) return void(++counters_.unexpected);
      s = &it->second;
    } else {
      // Without a local exit devices send their feature maps unasked.
      s = find_or_start(o.header, now, out);
      if (s == nullptr) return;
      if (s->phase == Phase::logits) {
        s->phase = Phase::features;
        s->requested = Presence::all(D);
      }
    }
    if (s->phase != Phase::features || s->features_arrived[d]) return void(++counters_.duplicates);
    s->nodes[d].features = std::move(features);
    s->features_arrived.set(d);
    if (s->features_arrived.includes(s->requested & alive_)) send_up(o.header.sample, *s, now, out);
  }

  void on_reply(const opened& o, Publisher& out) {
    const Answer a = decode_answer<Graph>(o.payload);
    auto it = samples_.find(o.header.sample);
    if (it == samples_.end() || it->second.phase != Phase::upper) {
      ++(answered_.contains(o.header.sample) ? counters_.late : counters_.unexpected);
      return;
    }
    if (a.exit_tier == 0 || a.degraded) return void(++counters_.unexpected);
    --in_flight_;
    finish(o.header.sample, it->second, a, out);
  }

  void decide_locally(std::uint64_t sample, Sample& s, clock_time now, Publisher& out) {
    if constexpr (has_exit) {
      s.local = graph_.template decide<0>(s.logits, s.logits_arrived);
      if (s.local->exits) return finish(sample, s, answer_of<Graph>(*s.local, 0, false), out);
      s.phase = Phase::features;
      s.requested = s.logits_arrived;
      schedule(sample, s, now + options_.features_deadline);
      for (std::size_t d = 0; d < D; ++d)
        if (s.requested[d])
          out.publish(message_to(
              topics_.request(d),
              seal(header(message_kind::feature_request, sample, 0), encode_feature_request()),
              delivery::at_most_once));
    } else {
      // No local exit: the logits phase was the wait for unasked feature maps.
      send_up(sample, s, now, out);
    }
  }

  void send_up(std::uint64_t sample, Sample& s, clock_time now, Publisher& out) {
    if (s.features_arrived.none(D)) return degraded(sample, s, out);
    s.up = Graph::template assemble<0>(std::span<const NodeStep, D>(s.nodes), s.features_arrived);
    s.phase = Phase::upper;
    for (NodeStep& n : s.nodes) n = NodeStep{};  // the message holds them now
    if (in_flight_ >= options_.max_in_flight) {
      unschedule(sample, s);
      s.queued = true;
      ++counters_.waiting;
      waiting_.push_back(sample);
      return;
    }
    ++in_flight_;
    transmit(sample, s, now, out);
  }

  void transmit(std::uint64_t sample, Sample& s, clock_time now, Publisher& out) {
    runtime::send_up<Graph, 0>(s.up, graph_.template logits_link<0>(), topics_,
                               header(message_kind::tier_message, sample, s.attempts),
                               topics_.reply(options_.node), out);
    ++s.attempts;
    schedule(sample, s, now + options_.answer_deadline);
  }

  void release_queued(clock_time now, Publisher& out) {
    while (in_flight_ < options_.max_in_flight && !waiting_.empty()) {
      const std::uint64_t sample = waiting_.front();
      waiting_.pop_front();
      auto it = samples_.find(sample);
      if (it == samples_.end() || !it->second.queued) continue;
      it->second.queued = false;
      ++in_flight_;
      transmit(sample, it->second, now, out);
    }
  }

  void degraded(std::uint64_t sample, Sample& s, Publisher& out) {
    ++counters_.degraded;
    if (s.local) return finish(sample, s, answer_of<Graph>(*s.local, 0, true), out);
    // No local exit to fall back on: the least confident answer, marked degraded.
    Answer a;
    a.degraded = true;
    a.measure = 1.0;
    finish(sample, s, a, out);
  }

  void finish(std::uint64_t sample, Sample& s, Answer a, Publisher& out) {
    const Provenance p{s.logits_arrived, s.phase == Phase::upper ? s.features_arrived : Presence(),
                       s.attempts};
    a.logits_present = p.logits.bits();
    a.features_present = p.features.bits();
    ++counters_.answered;
    std::vector<std::uint8_t> sealed =
        seal(header(message_kind::answer, sample, s.attempts), encode_answer<Graph>(a));
    out.publish(message_to(topics_.answers(), sealed));
    if (on_answer_) on_answer_(sample, a, p);
    const std::uint16_t sensed = s.sensed;
    unschedule(sample, s);
    samples_.erase(sample);
    remember(sample, std::move(sealed), sensed);
  }

  void schedule(std::uint64_t sample, Sample& s, clock_time deadline) {
    unschedule(sample, s);
    s.deadline = deadline;
    deadlines_.emplace(deadline, sample);
    s.scheduled = true;
  }
  void unschedule(std::uint64_t sample, Sample& s) {
    if (s.scheduled) deadlines_.erase({s.deadline, sample});
    s.scheduled = false;
  }

  void remember(std::uint64_t sample, std::vector<std::uint8_t> answer, std::uint16_t sensed) {
    answered_.insert_or_assign(sample, Answered{std::move(answer), sensed});
    answered_order_.push_back(sample);
    if (answered_order_.size() > options_.remembered) {
      answered_.erase(answered_order_.front());
      answered_order_.pop_front();
    }
  }

  [[nodiscard]] envelope header(message_kind kind, std::uint64_t sample,
                                std::uint16_t attempt) const {
    return {.kind = kind,
            .node = std::uint16_t(options_.node),
            .model = model_,
            .sample = sample,
            .attempt = attempt};
  }

  const Graph& graph_;
  std::uint64_t model_;
  Topics topics_;
  AggregatorOptions options_;
  AnswerCallback on_answer_;
  std::map<std::uint64_t, Sample> samples_;
  std::set<std::pair<clock_time, std::uint64_t>> deadlines_;  ///< (deadline, sample), soonest first
  struct Answered {
    std::vector<std::uint8_t> answer;  ///< as published
    std::uint16_t attempt = 0;         ///< the highest sensing attempt answered
  };
  std::unordered_map<std::uint64_t, Answered> answered_;
  std::deque<std::uint64_t> answered_order_;
  std::deque<std::uint64_t> waiting_;
  std::size_t in_flight_ = 0;
  Presence alive_;
  std::array<std::uint64_t, D> incarnation_{};
  Counters counters_;
};

}  // namespace runtime
DDNN_END_NAMESPACE
