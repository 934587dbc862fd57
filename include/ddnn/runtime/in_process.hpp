// An in-process network for deterministic tests of the runtime: nodes (roles) exchange messages
// through a simulated broker on a virtual clock, with a seeded fault injector that drops, delays
// (and so reorders) and duplicates deliveries, and can kill a node (its Last Will is published)
// or freeze it for a while (messages wait, its deadlines do not fire), and crash the broker
// (everything in flight and retained is lost, and what is published while it is away). The same
// seed gives the same run, event for event. Topics, wildcards, shared subscriptions (round robin)
// and retained messages behave as on an MQTT broker.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "ddnn/core/error.hpp"
#include "ddnn/runtime/node.hpp"
#include "ddnn/runtime/transport.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

/// What goes wrong on the in-process network, per delivery, from a seed.
struct FaultPlan {
  std::uint64_t seed = 1;
  double drop = 0.0;       ///< probability a delivery is lost
  double duplicate = 0.0;  ///< probability a delivery arrives twice
  double delay = 0.0;      ///< probability a delivery is held back by up to max_delay
  clock_time latency = std::chrono::microseconds(100);  ///< every delivery's base latency
  clock_time max_delay = std::chrono::milliseconds(20);
};

class InProcessNetwork {
 public:
  using node_id = std::size_t;

  explicit InProcessNetwork(FaultPlan plan = {}) : plan_(plan), rng_(plan.seed) {}
  InProcessNetwork(const InProcessNetwork&) = delete;
  InProcessNetwork& operator=(const InProcessNetwork&) = delete;

  /// Connects `node` (which must outlive the network): subscribes it, delivers the retained
  /// messages its filters match, and starts it.
  node_id add(Node& node) {
    const node_id id = nodes_.size();
    nodes_.push_back(Entry{&node, node.will(), node.subscriptions()});
    Endpoint publisher(*this, id);
    for (const std::string& filter : nodes_[id].filters)
      for (const auto& [topic, message] : retained_)
        if (topic_matches(filter, topic)) schedule_delivery(id, message, true);
    node.start(now_, publisher);
    wake(id);
    return id;
  }

  /// Kills node `id` now: nothing reaches it any more and its Last Will is published.
  void kill(node_id id) {
    Entry& e = entry(id);
    if (e.dead) return;
    e.dead = true;
    if (e.will) route(message_to(e.will->topic, e.will->payload, e.will->retain));
  }
  /// Freezes node `id` until `until`: deliveries wait and its deadlines do not fire (a stopped
  /// process whose connection stays up).
  void freeze(node_id id, clock_time until) { entry(id).frozen_until = until; }

  /// The broker crashes now and is back after `down_for`: every delivery in flight and every
  /// retained message is lost, and so is everything published while it is away (a real client
  /// would queue its QoS 1 messages and send them after reconnecting: this is the harsher case).
  void crash_broker(clock_time down_for) {
    std::vector<Event> kept;
    while (!events_.empty()) {
      if (events_.top().timer)
        kept.push_back(events_.top());
      else
        ++dropped_;
      events_.pop();
    }
    for (Event& ev : kept) events_.push(std::move(ev));
    retained_.clear();
    broker_back_at_ = now_ + down_for;
  }

  /// Publishes from outside every node (a driver, an intruder).
  void publish(outgoing_message message) { route(std::move(message)); }

  /// Runs every event up to and including time `t`.
  void run_until(clock_time t) {
    while (!events_.empty() && events_.top().at <= t) {
      Event ev = events_.top();
      events_.pop();
      now_ = std::max(now_, ev.at);
      Entry& e = nodes_[ev.node];
      if (e.dead) continue;
      if (e.frozen_until > now_) {  // comes back when it thaws
        ev.at = e.frozen_until;
        ev.seq = next_seq_++;
        events_.push(std::move(ev));
        continue;
      }
      Endpoint out(*this, ev.node);
      if (ev.timer) {
        if (ev.generation != e.generation) continue;  // superseded
        e.next_wake = e.node->on_time(now_, out);
      } else {
        ++delivered_;
        e.node->on_message(ev.message, now_, out);
        e.next_wake = e.node->on_time(now_, out);
      }
      wake(ev.node);
    }
    now_ = std::max(now_, t);
  }
  /// Runs until nothing is scheduled or time `limit`, whichever is first.
  void run_until_idle(clock_time limit) {
    while (!events_.empty() && events_.top().at <= limit) run_until(events_.top().at);
  }

  [[nodiscard]] clock_time now() const noexcept { return now_; }
  [[nodiscard]] std::uint64_t delivered() const noexcept { return delivered_; }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }
  [[nodiscard]] std::uint64_t duplicated() const noexcept { return duplicated_; }

 private:
  struct Entry {
    Node* node;
    std::optional<last_will> will;
    std::vector<std::string> filters;
    bool dead = false;
    clock_time frozen_until{};
    clock_time next_wake = no_deadline;
    std::uint64_t generation = 0;
  };
  struct Event {
    clock_time at{};
    std::uint64_t seq = 0;
    node_id node = 0;
    bool timer = false;
    std::uint64_t generation = 0;
    received_message message;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const noexcept {
      return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
  };
  // What a node publishes through: the network, stamped with the sender.
  class Endpoint final : public Publisher {
   public:
    Endpoint(InProcessNetwork& network, node_id id) : network_(network), id_(id) {}
    void publish(outgoing_message message) override {
      if (!network_.nodes_[id_].dead) network_.route(std::move(message));
    }

   private:
    InProcessNetwork& network_;
    node_id id_;
  };

  Entry& entry(node_id id) {
    if (id >= nodes_.size()) ddnn::detail::fail("InProcessNetwork: no node " + std::to_string(id));
    return nodes_[id];
  }

  void wake(node_id id) {
    Entry& e = nodes_[id];
    ++e.generation;
    if (e.next_wake == no_deadline) return;
    Event ev;
    ev.at = std::max(e.next_wake, now_);
    ev.seq = next_seq_++;
    ev.node = id;
    ev.timer = true;
    ev.generation = e.generation;
    events_.push(std::move(ev));
  }

  void route(outgoing_message message) {
    if (now_ < broker_back_at_) {  // the broker is away
      ++dropped_;
      return;
    }
    received_message m{.topic = message.topic,
                       .payload = std::move(message.payload),
                       .retained = false,
                       .response_topic = std::move(message.response_topic),
                       .correlation = std::move(message.correlation)};
    if (message.retain) {
      if (m.payload.empty())
        retained_.erase(m.topic);
      else
        retained_[m.topic] = m;
    }
    // Plain subscribers each get a copy; a shared group's members take turns.
    std::map<std::string, std::vector<node_id>> groups;
    for (node_id id = 0; id < nodes_.size(); ++id) {
      if (nodes_[id].dead) continue;
      for (const std::string& filter : nodes_[id].filters) {
        if (!topic_matches(filter, m.topic)) continue;
        const std::string_view group = share_group(filter);
        if (group.empty())
          schedule_delivery(id, m, false);
        else
          groups[std::string(group) + "|" + filter].push_back(id);
        break;  // one copy per node, however many of its filters match
      }
    }
    for (auto& [key, members] : groups) {
      std::size_t& turn = turns_[key];
      schedule_delivery(members[turn++ % members.size()], m, false);
    }
  }

  void schedule_delivery(node_id id, const received_message& m, bool retained) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    if (!retained && u(rng_) < plan_.drop) {
      ++dropped_;
      return;
    }
    const int copies = (!retained && u(rng_) < plan_.duplicate) ? 2 : 1;
    duplicated_ += copies - 1;
    for (int c = 0; c < copies; ++c) {
      clock_time at = now_ + plan_.latency;
      if (u(rng_) < plan_.delay)
        at += clock_time(std::int64_t(u(rng_) * double(plan_.max_delay.count())));
      Event ev;
      ev.at = at;
      ev.seq = next_seq_++;
      ev.node = id;
      ev.message = m;
      ev.message.retained = retained;
      events_.push(std::move(ev));
    }
  }

  FaultPlan plan_;
  std::mt19937_64 rng_;
  std::vector<Entry> nodes_;
  std::priority_queue<Event, std::vector<Event>, Later> events_;
  std::map<std::string, received_message> retained_;
  std::map<std::string, std::size_t> turns_;
  clock_time now_{};
  clock_time broker_back_at_{};
  std::uint64_t next_seq_ = 0;
  std::uint64_t delivered_ = 0, dropped_ = 0, duplicated_ = 0;
};

}  // namespace runtime
DDNN_END_NAMESPACE
