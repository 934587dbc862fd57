// The runtime's roles on the deterministic in-process network: every sample gets exactly one
// answer, every answer that is not degraded equals the in-process graph's on the presence the
// aggregator observed (bit for bit), and each fault — lost, late, duplicated, reordered
// messages, a killed or frozen device, a killed worker, garbage and foreign messages, a stale
// incarnation — is survived and counted. The same seed gives the same run.
#include <doctest/doctest.h>

#include <bit>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "ddnn/layers/dense.hpp"
#include "ddnn/runtime/aggregator.hpp"
#include "ddnn/runtime/device.hpp"
#include "ddnn/runtime/in_process.hpp"
#include "ddnn/runtime/replay.hpp"
#include "ddnn/runtime/tier_join.hpp"
#include "ddnn/runtime/worker.hpp"
#include "graph_fixtures.hpp"

using namespace ddnn;
using namespace ddnn::runtime;
using namespace fixtures;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t model = 0x1234abcd5678ef00u;

// A whole deployment on one in-process network: devices that read the test's inputs when
// ticked, one aggregator, `workers` workers per upper tier, an answer sink, and a driver that
// ticks one sample every `period`.
template <class G>
struct Deployment {
  const G& graph;
  std::vector<typename G::inputs_type> inputs;
  InProcessNetwork network;
  Topics topics = Topics::for_model(model);
  std::vector<std::unique_ptr<Device<G>>> devices;
  std::unique_ptr<LocalAggregator<G>> aggregator;
  std::vector<std::unique_ptr<Node>> workers;  ///< edge nodes' processes, then cloud workers
  std::vector<std::unique_ptr<TierJoin<G>>> joins;
  AnswerSink<G> sink{model, topics};
  std::map<std::uint64_t, std::pair<answer_t<G>, Provenance>> answers;
  std::uint64_t repeated = 0;
  std::vector<InProcessNetwork::node_id> device_ids, worker_ids;

  bool lossy = false;

  Deployment(const G& g, std::size_t samples, FaultPlan plan, AggregatorOptions options = {},
             std::size_t workers_per_tier = 2, std::uint32_t seed = 7)
      : graph(g), network(plan), lossy(plan.drop > 0) {
    std::mt19937 rng(seed);
    for (std::size_t i = 0; i < samples; ++i) inputs.push_back(random_inputs<G>(rng));
    for (std::size_t d = 0; d < G::devices; ++d) {
      devices.push_back(std::make_unique<Device<G>>(
          g, model, d, topics, typename Device<G>::Options{},
          [this, d](std::uint64_t sample) -> std::optional<typename G::input_type> {
            if (sample >= inputs.size()) return std::nullopt;
            return inputs[sample][d];
          }));
      device_ids.push_back(network.add(*devices.back()));
    }
    aggregator = std::make_unique<LocalAggregator<G>>(
        g, model, topics, options,
        [this](std::uint64_t sample, const answer_t<G>& a, const Provenance& p) {
          if (!answers.try_emplace(sample, a, p).second) ++repeated;
        });
    network.add(*aggregator);
    // Each edge node of each edge tier served by `workers_per_tier` processes, two joins per
    // edge tier (sharded by sample id), then the cloud's workers.
    [&]<std::size_t... E>(std::index_sequence<E...>) {
      ((add_edge_tier<E + 1>(workers_per_tier)), ...);
    }
    (std::make_index_sequence<G::tier_count - 2>{});
    for (std::size_t w = 0; w < workers_per_tier; ++w) {
      workers.push_back(std::make_unique<Worker<G>>(g, model, topics, w));
      worker_ids.push_back(network.add(*workers.back()));
    }
    network.add(sink);
  }

  static constexpr std::size_t joins_per_tier = 2;
  template <std::size_t T>
  void add_edge_tier(std::size_t processes) {
    for (std::size_t n = 0; n < G::template tier<T>::nodes; ++n)
      for (std::size_t w = 0; w < processes; ++w) {
        workers.push_back(
            std::make_unique<EdgeNode<G>>(graph, model, T, n, topics, joins_per_tier));
        worker_ids.push_back(network.add(*workers.back()));
      }
    for (std::size_t j = 0; j < joins_per_tier; ++j) {
      joins.push_back(std::make_unique<TierJoin<G>>(
          graph, model, topics, TierJoinOptions{.tier = T, .join = j, .joins = joins_per_tier}));
      network.add(*joins.back());
    }
  }

  void tick(std::uint64_t sample) {
    network.publish(message_to(topics.tick(), encode_tick({sample, 0})));
  }
  /// Ticks every sample, one per `period`, then runs until everything settled.
  void stream(clock_time period, clock_time start = {}) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      network.run_until(start + clock_time(period.count() * std::int64_t(i)));
      tick(i);
    }
    network.run_until_idle(network.now() + 60s);
  }

  /// How many answers each exit tier gave.
  [[nodiscard]] std::map<std::size_t, std::size_t> by_exit_tier() const {
    std::map<std::size_t, std::size_t> by_tier;
    for (const auto& [s, e] : answers) ++by_tier[e.first.exit_tier];
    return by_tier;
  }

  /// Every sample answered exactly once (aggregator and sink agree); every answer that is not
  /// degraded equals the in-process graph's on the observed presence. Returns the degraded count.
  std::size_t check_answers() {
    CHECK(repeated == 0);
    CHECK(answers.size() == inputs.size());
    // The answers topic is one more lossy hop: with drops the sink may miss some, never more.
    if (lossy)
      CHECK(sink.answers().size() <= inputs.size());
    else
      CHECK(sink.answers().size() == inputs.size());
    // Copies the network duplicated are recognised as such.
    CHECK(sink.counters().duplicates <= network.duplicated());
    CHECK(aggregator->pending() == 0);
    std::size_t degraded = 0, mismatches = 0;
    for (const auto& [sample, entry] : answers) {
      const auto& [a, p] = entry;
      REQUIRE(sample < inputs.size());
      const auto at_sink = sink.answers().find(sample);
      if (at_sink != sink.answers().end()) CHECK(at_sink->second.answer == a);
      if (a.degraded) {
        ++degraded;
        continue;
      }
      if (!same_answer_bits(a, replay(graph, inputs[sample], a.exit_tier, p.logits, p.features)))
        ++mismatches;
    }
    CHECK(mismatches == 0);
    return degraded;
  }
};

/// Average everywhere: the Avg exit and majority-of-bits feature maps into the cloud.
struct avg_everywhere final
    : DDNN<Sensor<Tile>, Network, DeviceTier<6, 1, Exit<Head3, Avg>>, CloudTier<Avg>> {
  using DDNN::DDNN;
};

template <class G>
G make_graph(std::uint32_t seed, double threshold) {
  std::mt19937 rng(seed);
  return G(random_parameters<G>(rng, threshold));
}

}  // namespace

TEST_CASE("runtime: without faults every sample is answered once, exactly as infer()") {
  const paper g = make_graph<paper>(11, 0.5);
  Deployment<paper> dep(g, 200, FaultPlan{});
  dep.stream(1ms);
  CHECK(dep.check_answers() == 0);
  std::size_t local = 0;
  for (const auto& [sample, entry] : dep.answers) {
    CHECK(entry.second.logits == Presence::all(6));  // no device lost: all presence
    const auto whole = g.infer(dep.inputs[sample], Presence::all(6));
    CHECK(entry.first.exit_tier == whole.exit_tier);
    CHECK(entry.first.predicted == whole.predicted);
    local += entry.first.exit_tier == 0;
  }
  CHECK(local > 0);
  CHECK(local < 200);  // both local and cloud answers happen
  CHECK(dep.aggregator->counters().retries == 0);
  CHECK(dep.aggregator->counters().malformed == 0);
}

TEST_CASE("runtime: every topology, with and without local exits, matches the graph") {
  SUBCASE("(a) one device") {
    const one_device g = make_graph<one_device>(12, 0.5);
    Deployment<one_device> dep(g, 80, FaultPlan{});
    dep.stream(1ms);
    CHECK(dep.check_answers() == 0);
  }
  SUBCASE("(c) devices -> edge with its exit -> cloud") {
    const three_tier g = make_graph<three_tier>(13, 0.4);
    Deployment<three_tier> dep(g, 120, FaultPlan{});
    dep.stream(1ms);
    CHECK(dep.check_answers() == 0);
    CHECK(dep.by_exit_tier().size() >= 2);
  }
  SUBCASE("(d) two edges, no local exit: devices send feature maps unasked") {
    const two_edges g = make_graph<two_edges>(14, 0.4);
    Deployment<two_edges> dep(g, 120, FaultPlan{});
    dep.stream(1ms);
    CHECK(dep.check_answers() == 0);
  }
  SUBCASE("(c) over int8 logits links: devices to the local exit, edge nodes to theirs") {
    std::mt19937 rng(16);
    auto p = random_parameters<three_tier>(rng, 0.4);
    p.tier<0>().logits_link = LogitsEncoding::int8;
    p.tier<1>().logits_link = LogitsEncoding::int8;
    const three_tier g(p);
    Deployment<three_tier> dep(g, 120, FaultPlan{});
    dep.stream(1ms);
    CHECK(dep.check_answers() == 0);
    CHECK(dep.by_exit_tier().size() >= 2);
    CHECK(dep.aggregator->counters().malformed == 0);
  }
  SUBCASE("a Concat local exit with a float head") {
    const concat_exit g = make_graph<concat_exit>(15, 0.5);
    Deployment<concat_exit> dep(g, 120, FaultPlan{});
    dep.stream(1ms);
    CHECK(dep.check_answers() == 0);
  }
}

TEST_CASE(
    "runtime: lost, delayed, duplicated and reordered messages cost accuracy, never answers") {
  const paper g = make_graph<paper>(16, 0.5);
  FaultPlan plan{.seed = 99, .drop = 0.05, .duplicate = 0.1, .delay = 0.3, .max_delay = 30ms};
  Deployment<paper> dep(g, 300, plan);
  dep.stream(2ms);
  const std::size_t degraded = dep.check_answers();
  const Counters& c = dep.aggregator->counters();
  CHECK(dep.network.dropped() > 0);
  CHECK(dep.network.duplicated() > 0);
  CHECK(c.duplicates > 0);
  CHECK(c.retries > 0);
  // Some samples lost a device's logits or features: presence says so, and answers still match.
  std::size_t partial = 0;
  for (const auto& [s, e] : dep.answers) partial += e.second.logits != Presence::all(6);
  CHECK(partial > 0);
  CHECK(degraded == c.degraded);
  MESSAGE("drop 5%, duplicate 10%, delay 30%: ", degraded, " degraded of 300, ", c.retries,
          " retries, ", c.duplicates, " duplicates, ", c.late, " late");
}

TEST_CASE("runtime: the same seed gives the same run") {
  const paper g = make_graph<paper>(17, 0.5);
  FaultPlan plan;
  plan.seed = 5, plan.drop = 0.05, plan.duplicate = 0.05, plan.delay = 0.2;
  Deployment<paper> a(g, 100, plan), b(g, 100, plan);
  a.stream(2ms);
  b.stream(2ms);
  REQUIRE(a.answers.size() == b.answers.size());
  for (const auto& [s, e] : a.answers) {
    CHECK(b.answers.at(s).first == e.first);
    CHECK(b.answers.at(s).second.logits == e.second.logits);
  }
  CHECK(a.aggregator->counters().retries == b.aggregator->counters().retries);
  CHECK(a.network.delivered() == b.network.delivered());
}

TEST_CASE(
    "runtime: a killed device's Will stops the waiting at once; later samples go on without it") {
  const paper g = make_graph<paper>(18, 0.5);
  AggregatorOptions options;
  options.logits_deadline = 40ms;
  Deployment<paper> dep(g, 100, FaultPlan{}, options);
  for (std::size_t i = 0; i < 100; ++i) {
    dep.network.run_until(clock_time(std::chrono::milliseconds(2 * i)));
    if (i == 50) dep.network.kill(dep.device_ids[2]);
    dep.tick(i);
  }
  dep.network.run_until_idle(10s);
  CHECK(dep.check_answers() == 0);
  CHECK_FALSE(dep.aggregator->alive()[2]);
  for (const auto& [s, e] : dep.answers) {
    if (s <= 50) continue;
    CHECK_FALSE(e.second.logits[2]);
    // Not waiting for the dead device: answered well before the logits deadline.
    const clock_time ticked = clock_time(std::chrono::milliseconds(2 * s));
    CHECK(dep.sink.answers().at(s).at - ticked < 5ms);
  }
}

TEST_CASE("runtime: a frozen device is waited for only until the deadline") {
  const paper g = make_graph<paper>(19, 0.5);
  AggregatorOptions options;
  options.logits_deadline = 20ms;
  options.features_deadline = 20ms;
  Deployment<paper> dep(g, 60, FaultPlan{}, options);
  dep.network.freeze(dep.device_ids[4], 60ms);
  dep.stream(2ms);
  CHECK(dep.check_answers() == 0);
  std::size_t without = 0;
  for (const auto& [s, e] : dep.answers) {
    without += !e.second.logits[4];
    const clock_time ticked = clock_time(std::chrono::milliseconds(2 * s));
    CHECK(dep.sink.answers().at(s).at - ticked <= 20ms + 20ms + options.answer_deadline);
  }
  CHECK(without > 0);                          // the frozen stretch went on without device 4
  CHECK(without < 60);                         // and it was back afterwards
  CHECK(dep.aggregator->counters().late > 0);  // its logits after thawing are late
}

TEST_CASE("runtime: a killed worker's requests are retried on the other; nothing is lost") {
  const paper g = make_graph<paper>(20, 0.05);  // most samples need the cloud
  AggregatorOptions options;
  options.answer_deadline = 30ms;
  FaultPlan slow;  // requests are in flight to the worker when it dies: those are lost
  slow.latency = 3ms;
  Deployment<paper> dep(g, 120, slow, options);
  for (std::size_t i = 0; i < 120; ++i) {
    dep.network.run_until(clock_time(std::chrono::milliseconds(i)));
    if (i == 40) dep.network.kill(dep.worker_ids[0]);
    dep.tick(i);
  }
  dep.network.run_until_idle(10s);
  CHECK(dep.check_answers() == 0);  // retried on the other worker in time: none degraded
  CHECK(dep.aggregator->counters().retries > 0);
}

TEST_CASE("runtime: a frozen worker still gets its turn; its requests are retried elsewhere") {
  const paper g = make_graph<paper>(24, 0.05);
  AggregatorOptions options;
  options.answer_deadline = 20ms;
  options.attempts = 4;
  Deployment<paper> dep(g, 100, FaultPlan{}, options);
  dep.network.freeze(dep.worker_ids[1], 10s);  // a stopped process keeps its subscription
  dep.stream(1ms);
  const std::size_t degraded = dep.check_answers();
  CHECK(dep.aggregator->counters().retries > 0);
  // Strict round robin may hand a retry to the frozen one again; rarely every time.
  CHECK(degraded * 10 <= dep.answers.size());
  std::uint64_t late = dep.aggregator->counters().late;
  MESSAGE("frozen worker: ", dep.aggregator->counters().retries, " retries, ", degraded,
          " degraded, ", late, " late answers");
}

TEST_CASE(
    "runtime: with every worker gone, the last attempt answers degraded with the local exit") {
  const paper g = make_graph<paper>(21, 0.05);
  AggregatorOptions options;
  options.answer_deadline = 10ms;
  options.attempts = 2;
  Deployment<paper> dep(g, 40, FaultPlan{}, options);
  for (auto id : dep.worker_ids) dep.network.kill(id);
  dep.stream(1ms);
  const std::size_t degraded = dep.check_answers();
  CHECK(degraded > 0);
  for (const auto& [s, e] : dep.answers) {
    CHECK(e.first.exit_tier == 0);
    if (!e.first.degraded) continue;
    CHECK(e.second.attempts == 2);
    // The degraded answer is the local exit's, bit for bit.
    const auto local = g.step_devices(dep.inputs[s], e.second.logits).decision;
    CHECK(e.first.predicted == local.predicted);
    CHECK(std::bit_cast<std::uint64_t>(e.first.measure) ==
          std::bit_cast<std::uint64_t>(local.measure));
  }
}

TEST_CASE("runtime: garbage, foreign, truncated and stale messages are dropped and counted") {
  const paper g = make_graph<paper>(22, 0.5);
  Deployment<paper> dep(g, 60, FaultPlan{});
  const Topics& t = dep.topics;
  std::mt19937 rng(3);
  for (std::size_t i = 0; i < 60; ++i) {
    dep.network.run_until(clock_time(std::chrono::milliseconds(2 * i)));
    dep.tick(i);
    // An intruder: random bytes, another model's logits, a truncated envelope, a message on a
    // device's topic claiming another device, an answer nobody asked for.
    std::vector<std::uint8_t> noise(rng() % 64);
    for (auto& b : noise) b = std::uint8_t(rng());
    dep.network.publish(message_to(t.logits(i % 6), noise));
    const auto foreign = seal(
        {.kind = message_kind::logits, .node = 1, .model = model + 1, .sample = i, .attempt = 0},
        std::vector<std::uint8_t>(12, 0));
    dep.network.publish(message_to(t.logits(1), foreign));
    auto truncated =
        seal({.kind = message_kind::logits, .node = 1, .model = model, .sample = i, .attempt = 0},
             std::vector<std::uint8_t>(12, 0));
    truncated.resize(truncated.size() - 3);
    dep.network.publish(message_to(t.logits(1), truncated));
    const auto impostor =
        seal({.kind = message_kind::logits, .node = 3, .model = model, .sample = i, .attempt = 0},
             std::vector<std::uint8_t>(12, 0));
    dep.network.publish(message_to(t.logits(0), impostor));
    dep.network.publish(message_to(t.features(2), noise));
    outgoing_message to_workers = message_to(t.tier(1), noise);
    to_workers.response_topic = t.reply(0);
    dep.network.publish(to_workers);
  }
  // A stale "offline" of device 5's previous life must not take the live device away.
  dep.network.publish(
      message_to(t.status("device", 5), status_message(model, 5, node_state::offline, 0)));
  dep.network.run_until_idle(10s);
  CHECK(dep.check_answers() == 0);
  const Counters& c = dep.aggregator->counters();
  CHECK(c.malformed >= 60 * 3);
  CHECK(c.foreign >= 60);
  CHECK(c.unexpected >= 60);
  CHECK(dep.aggregator->alive()[5]);
  CHECK(c.stale == 1);
  std::uint64_t worker_malformed = 0;
  for (const auto& w : dep.workers)
    worker_malformed += dynamic_cast<const Worker<paper>&>(*w).counters().malformed;
  CHECK(worker_malformed == 60);
}

TEST_CASE("runtime: the cap on requests in flight holds samples back, never drops them") {
  const paper g = make_graph<paper>(23, 0.05);
  AggregatorOptions options;
  options.max_in_flight = 2;
  FaultPlan slow;
  slow.latency = 2ms;
  Deployment<paper> dep(g, 80, slow, options);
  dep.stream(100us);  // far faster than the cloud round trip
  CHECK(dep.check_answers() == 0);
  CHECK(dep.aggregator->counters().waiting > 0);
}

TEST_CASE(
    "runtime: a sample sensed again is answered again, once per attempt, with the same "
    "answer") {
  const paper g = make_graph<paper>(29, 0.5);
  Deployment<paper> dep(g, 20, FaultPlan{});
  dep.stream(1ms);
  CHECK(dep.check_answers() == 0);
  const auto first = dep.sink.answers().at(3).answer;
  const auto again = [&](std::uint16_t attempt) {
    dep.network.publish(message_to(dep.topics.tick(), encode_tick({3, attempt})));
    dep.network.run_until_idle(dep.network.now() + 10s);
  };
  again(1);  // the driver got no answer (say a broker restart lost it) and asks again
  CHECK(dep.aggregator->counters().resent == 1);
  CHECK(dep.sink.counters().duplicates == 1);  // the same answer, recognised as a copy
  CHECK(dep.sink.answers().at(3).answer == first);
  again(1);  // the same attempt again: its logits are late copies, nothing is resent
  CHECK(dep.aggregator->counters().resent == 1);
  again(2);
  CHECK(dep.aggregator->counters().resent == 2);
  CHECK(dep.repeated == 0);  // one answer per sample; the copies are the same message
  CHECK(dep.aggregator->counters().answered == 20);
  CHECK(dep.aggregator->pending() == 0);
}

TEST_CASE("runtime: edge nodes step their own share; the tier's joins decide the edge exit") {
  const two_edges g = make_graph<two_edges>(31, 0.9);
  Deployment<two_edges> dep(g, 160, FaultPlan{});
  dep.stream(1ms);
  CHECK(dep.check_answers() == 0);
  auto by_tier = dep.by_exit_tier();
  CHECK(by_tier[1] > 0);  // the edge exit answered some samples
  CHECK(by_tier[2] > 0);  // and sent the others to the cloud
  // Both joins took their share of the samples (by sample id) and finished every meeting.
  for (const auto& j : dep.joins) {
    CHECK(j->pending() == 0);
    CHECK(j->counters().received > 0);
    CHECK(j->counters().unexpected == 0);
  }
  // Each edge node's processes received only their node's share.
  for (std::size_t w = 0; w < 4; ++w)
    CHECK(dynamic_cast<const EdgeNode<two_edges>&>(*dep.workers[w]).counters().unexpected == 0);
}

TEST_CASE(
    "runtime: an edge node's dead process is retried on its other one; an edge node with "
    "no process left degrades, never loses or falsifies") {
  const two_edges g = make_graph<two_edges>(32, 0.3);
  AggregatorOptions options;
  options.answer_deadline = 30ms;
  FaultPlan slow;
  slow.latency = 2ms;
  SUBCASE("one of edge 1's two processes dies") {
    Deployment<two_edges> dep(g, 120, slow, options);
    for (std::size_t i = 0; i < 120; ++i) {
      dep.network.run_until(clock_time(std::chrono::milliseconds(i)));
      if (i == 40) dep.network.kill(dep.worker_ids[2]);
      dep.tick(i);
    }
    dep.network.run_until_idle(10s);
    CHECK(dep.check_answers() == 0);
    CHECK(dep.aggregator->counters().retries > 0);
  }
  SUBCASE("both of edge 1's processes die") {
    Deployment<two_edges> dep(g, 120, slow, options);
    for (std::size_t i = 0; i < 120; ++i) {
      dep.network.run_until(clock_time(std::chrono::milliseconds(i)));
      if (i == 40) {
        dep.network.kill(dep.worker_ids[2]);
        dep.network.kill(dep.worker_ids[3]);
      }
      dep.tick(i);
    }
    dep.network.run_until_idle(10s);
    const std::size_t degraded = dep.check_answers();  // every answer exact or marked
    CHECK(degraded > 0);
    std::uint64_t abandoned = 0;
    for (const auto& j : dep.joins) abandoned += j->counters().abandoned;
    CHECK(abandoned > 0);  // meetings that waited for edge 1 in vain
  }
}

TEST_CASE("runtime: three tiers over a lossy network: every sample answered once, exactly") {
  const three_tier g = make_graph<three_tier>(33, 0.4);
  FaultPlan plan{.seed = 5, .drop = 0.03, .duplicate = 0.1, .delay = 0.3, .max_delay = 20ms};
  Deployment<three_tier> dep(g, 200, plan);
  dep.stream(2ms);
  dep.check_answers();
  std::uint64_t duplicates = 0;
  for (const auto& j : dep.joins) duplicates += j->counters().duplicates + j->counters().late;
  CHECK(duplicates > 0);  // the network's copies reached the joins, which ignored them
}

TEST_CASE(
    "runtime: a broker crash loses what was in flight; sensing again answers every sample "
    "once, exactly") {
  const paper g = make_graph<paper>(34, 0.5);
  FaultPlan slow;
  slow.latency = 2ms;
  Deployment<paper> dep(g, 120, slow);
  dep.lossy = true;  // the crash loses answers on their way to the sink
  for (std::size_t i = 0; i < 120; ++i) {
    dep.network.run_until(clock_time(std::chrono::milliseconds(i)));
    if (i == 40) dep.network.crash_broker(15ms);
    dep.tick(i);
  }
  dep.network.run_until_idle(dep.network.now() + 10s);
  CHECK(dep.network.dropped() > 0);
  // What the demo driver does: tick again (attempt 1) every sample it got no answer for.
  std::size_t again = 0;
  for (std::uint64_t s = 0; s < 120; ++s)
    if (!dep.sink.answers().contains(s)) {
      dep.network.publish(message_to(dep.topics.tick(), encode_tick({s, 1})));
      ++again;
    }
  dep.network.run_until_idle(dep.network.now() + 10s);
  CHECK(again > 0);
  CHECK(dep.sink.answers().size() == 120);  // every sample answered in the end
  dep.lossy = false;
  dep.check_answers();  // once each at the aggregator; exact unless degraded
  MESSAGE("broker crash: ", again, " samples ticked again, ", dep.aggregator->counters().resent,
          " answers resent, ", dep.aggregator->counters().degraded, " degraded");
}

TEST_CASE_TEMPLATE(
    "runtime: every aggregation kind, on randomized graphs and a lossy network, "
    "answers exactly",
    G, paper, concat_exit, avg_everywhere, three_tier, two_edges) {
  // Exits combine logits by Max (paper, three_tier), Concat into a float head (concat_exit) and
  // Avg (avg_everywhere, two_edges' edges); feature maps go up by Concat, Max (three_tier's
  // cloud) and Avg (avg_everywhere). Lost messages make the presence partial.
  for (std::uint32_t seed : {51u, 52u, 53u}) {
    CAPTURE(seed);
    const G g = make_graph<G>(seed, 0.5);
    FaultPlan plan{.seed = seed, .drop = 0.04, .duplicate = 0.05, .delay = 0.2, .max_delay = 10ms};
    Deployment<G> dep(g, 60, plan, AggregatorOptions{}, 2, seed);
    dep.stream(2ms);
    dep.check_answers();
  }
}

TEST_CASE(
    "runtime: a join drops forged, foreign, duplicated and late node steps, and counts them") {
  const two_edges g = make_graph<two_edges>(35, 0.9);
  Deployment<two_edges> dep(g, 40, FaultPlan{});
  dep.stream(1ms);
  CHECK(dep.check_answers() == 0);
  const std::uint64_t sample = 4;  // join 0 of 2 takes the even samples
  TierJoin<two_edges>& join = *dep.joins[0];
  const Counters before = join.counters();
  const auto message = [&](std::size_t node, Presence expected, std::uint64_t s,
                           std::uint64_t for_model) {
    const auto step0 = g.step_devices(dep.inputs[s], Presence::all(6));
    outgoing_message m = message_to(
        dep.topics.join(1, s % 2),
        seal({.kind = message_kind::node_step,
              .node = std::uint16_t(node),
              .model = for_model,
              .sample = s,
              .attempt = 0},
             encode_node_step<two_edges, 1>(expected, *g.step_node<1>(node, step0.message),
                                            ddnn::LogitsEncoding::float32)));
    m.response_topic = dep.topics.reply(0);
    return m;
  };
  // A step from a node the message says got no share.
  dep.network.publish(message(1, Presence(0b01), sample, model));
  // Another model's step.
  dep.network.publish(message(0, Presence(0b11), sample, model ^ 1));
  // A step for a sample the join already finished (attempt 0 met long ago): late.
  dep.network.publish(message(0, Presence(0b11), sample, model));
  // Garbage on the join's topic.
  dep.network.publish(message_to(dep.topics.join(1, 0), std::vector<std::uint8_t>(7, 0xee)));
  dep.network.run_until_idle(dep.network.now() + 10s);
  const Counters& after = join.counters();
  CHECK(after.unexpected == before.unexpected + 1);
  CHECK(after.foreign == before.foreign + 1);
  CHECK(after.late == before.late + 1);
  CHECK(after.malformed == before.malformed + 1);
  CHECK(join.pending() == 0);
  CHECK(dep.sink.answers().size() == 40);  // and nobody was answered twice or wrongly
  CHECK(dep.aggregator->counters().answered == 40);
}
