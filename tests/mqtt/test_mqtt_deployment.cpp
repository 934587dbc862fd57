// Whole deployments over a real mosquitto broker: every role (6 devices, the local aggregator,
// each edge node's processes, the edge tier's joins, the cloud workers and the answer sink) is
// its own MQTT client with its own password, on its own thread, and the broker enforces the
// access rules runtime::mosquitto_acl writes for the deployment. Every sample must be answered
// and every answer must be what the in-process graph computes on the observed presence.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../graph_fixtures.hpp"
#include "ddnn/graph/random_parameters.hpp"
#include "ddnn/runtime/access_rules.hpp"
#include "ddnn/runtime/aggregator.hpp"
#include "ddnn/runtime/device.hpp"
#include "ddnn/runtime/mqtt_transport.hpp"
#include "ddnn/runtime/replay.hpp"
#include "ddnn/runtime/run_node.hpp"
#include "ddnn/runtime/tier_join.hpp"
#include "ddnn/runtime/worker.hpp"
#include "mqtt_broker.hpp"

namespace {

using namespace std::chrono_literals;
using namespace ddnn;
using namespace ddnn::runtime;

constexpr std::uint64_t model = 0x5eed0000ddddeeeeULL;

/// Tells the test when the node it wraps is subscribed and started (run_node starts a node only
/// after the broker confirmed its subscriptions).
class Started final : public Node {
 public:
  Started(Node& inner, std::atomic<int>& started) : inner_(inner), started_(started) {}
  [[nodiscard]] std::vector<std::string> subscriptions() const override {
    return inner_.subscriptions();
  }
  [[nodiscard]] std::optional<last_will> will() const override { return inner_.will(); }
  void start(clock_time now, Publisher& out) override {
    inner_.start(now, out);
    ++started_;
  }
  void on_message(const received_message& m, clock_time now, Publisher& out) override {
    inner_.on_message(m, now, out);
  }
  clock_time on_time(clock_time now, Publisher& out) override { return inner_.on_time(now, out); }

 private:
  Node& inner_;
  std::atomic<int>& started_;
};

template <class G>
struct MqttDeployment {
  static constexpr std::size_t processes_per_edge_node = 2;
  static constexpr std::size_t joins = 2;
  static constexpr std::size_t cloud_workers = 2;

  const G graph;
  std::vector<typename G::inputs_type> inputs;
  Topics topics = Topics::for_model(model);
  fixtures::MqttBroker broker;
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<std::string> users;       // the user each of `nodes` logs in as
  std::vector<std::string> join_users;  // the user each of `tier_joins` logs in as
  std::unique_ptr<LocalAggregator<G>> aggregator;
  std::vector<std::unique_ptr<TierJoin<G>>> tier_joins;
  std::atomic<bool> stop{false};
  std::atomic<int> started{0};
  std::vector<std::thread> threads;

  static std::vector<std::size_t> edge_tiers() {
    std::vector<std::size_t> nodes;
    [&]<std::size_t... E>(std::index_sequence<E...>) {
      (nodes.push_back(G::template tier<E + 1>::nodes), ...);
    }
    (std::make_index_sequence<G::tier_count - 2>{});
    return nodes;
  }
  static fixtures::MqttBrokerOptions broker_options(const Topics& topics) {
    fixtures::MqttBrokerOptions o;
    const AccessPlan plan{.devices = G::devices,
                          .workers = cloud_workers,
                          .edge_tiers = edge_tiers(),
                          .joins = joins};
    o.acl = mosquitto_acl(plan, topics);
    std::vector<std::string> names{"aggregator", "driver"};
    for (std::size_t d = 0; d < G::devices; ++d) names.push_back(node_user("device", d));
    for (std::size_t w = 0; w < cloud_workers; ++w) names.push_back(node_user("worker", w));
    for (std::size_t t = 1; t <= plan.edge_tiers.size(); ++t) {
      for (std::size_t n = 0; n < plan.edge_tiers[t - 1]; ++n)
        names.push_back(node_user("edge", t, n));
      for (std::size_t j = 0; j < joins; ++j) names.push_back(node_user("join", t, j));
    }
    for (const std::string& name : names) o.users.emplace_back(name, "pw-" + name);
    return o;
  }

  MqttDeployment(std::uint32_t seed, double threshold, std::size_t samples)
      : graph(random_parameters<G>(seed, threshold)), broker(broker_options(topics)) {
    std::mt19937 rng(seed);
    for (std::size_t i = 0; i < samples; ++i) inputs.push_back(fixtures::random_inputs<G>(rng));
    for (std::size_t d = 0; d < G::devices; ++d)
      add(std::make_unique<Device<G>>(
              graph, model, d, topics, typename Device<G>::Options{},
              [this, d](std::uint64_t s) -> std::optional<typename G::input_type> {
                if (s >= inputs.size()) return std::nullopt;
                return inputs[s][d];
              }),
          node_user("device", d));
    aggregator = std::make_unique<LocalAggregator<G>>(graph, model, topics, AggregatorOptions{});
    [&]<std::size_t... E>(std::index_sequence<E...>) { (add_edge_tier<E + 1>(), ...); }
    (std::make_index_sequence<G::tier_count - 2>{});
    for (std::size_t w = 0; w < cloud_workers; ++w)
      add(std::make_unique<Worker<G>>(graph, model, topics, w), node_user("worker", w));
  }
  ~MqttDeployment() { shut_down(); }

  template <std::size_t T>
  void add_edge_tier() {
    for (std::size_t n = 0; n < G::template tier<T>::nodes; ++n)
      for (std::size_t p = 0; p < processes_per_edge_node; ++p)
        add(std::make_unique<EdgeNode<G>>(graph, model, T, n, topics, joins),
            node_user("edge", T, n));
    for (std::size_t j = 0; j < joins; ++j) {
      tier_joins.push_back(std::make_unique<TierJoin<G>>(
          graph, model, topics, TierJoinOptions{.tier = T, .join = j, .joins = joins}));
      join_users.push_back(node_user("join", T, j));
    }
  }
  void add(std::unique_ptr<Node> node, std::string user) {
    nodes.push_back(std::move(node));
    users.push_back(std::move(user));
  }

  MqttOptions login(const std::string& user, std::size_t instance) const {
    MqttOptions o;
    o.port = broker.port();
    o.client_id = user + "-" + std::to_string(instance);
    o.username = user;
    o.password = "pw-" + user;
    o.connect_timeout = 10s;
    return o;
  }

  /// Every node on its own thread with its own connection; returns when all are started.
  void start() {
    std::vector<Node*> all;
    for (auto& n : nodes) all.push_back(n.get());
    for (auto& j : tier_joins) all.push_back(j.get());
    all.push_back(aggregator.get());
    std::vector<std::string> names = users;
    names.insert(names.end(), join_users.begin(), join_users.end());
    names.push_back("aggregator");
    for (std::size_t i = 0; i < all.size(); ++i)
      threads.emplace_back([this, node = all[i], options = login(names[i], i)] {
        MqttOptions o = options;
        o.will = node->will();
        MqttTransport transport(o);
        Started watched(*node, started);
        run_node(transport, watched, stop, 20ms);
        transport.flush(transport.now() + 2s);
      });
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (started < int(all.size()) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    REQUIRE(started == int(all.size()));
  }
  void shut_down() {
    stop = true;
    for (auto& t : threads)
      if (t.joinable()) t.join();
  }

  /// Ticks every sample, one per `period`, and collects the answers (at most `wait` after the
  /// last tick).
  AnswerSink<G> stream(std::chrono::milliseconds period, std::chrono::seconds wait) {
    AnswerSink<G> sink(model, topics);
    MqttTransport driver(login("driver", 999));
    for (const auto& f : sink.subscriptions()) driver.subscribe(f);
    REQUIRE(driver.wait_subscribed(driver.now() + 10s));
    const auto drain = [&](clock_time until) {
      while (auto m = driver.receive(until)) {
        sink.on_message(*m, driver.now(), driver);
        if (sink.answers().size() == inputs.size()) return;
      }
    };
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      driver.publish(message_to(topics.tick(), encode_tick({i, 0}), delivery::at_most_once));
      drain(driver.now() + period);
    }
    const clock_time until = driver.now() + wait;
    while (sink.answers().size() < inputs.size() && driver.now() < until) drain(until);
    return sink;
  }

  /// Starts every node, streams every sample (one per 2 ms, answers awaited up to 20 s after the
  /// last) and stops the nodes: the answers.
  AnswerSink<G> run() {
    start();
    AnswerSink<G> sink = stream(2ms, 20s);
    shut_down();
    return sink;
  }

  /// Every sample answered; every answer not degraded equals the in-process graph's replay.
  void check(const AnswerSink<G>& sink) const {
    CHECK(sink.answers().size() == inputs.size());
    std::size_t mismatches = 0, degraded = 0;
    for (const auto& [s, got] : sink.answers()) {
      REQUIRE(s < inputs.size());
      const auto& a = got.answer;
      if (a.degraded) {
        ++degraded;
        continue;
      }
      if (!same_answer_bits(a, replay(graph, inputs[s], a.exit_tier, Presence(a.logits_present),
                                      Presence(a.features_present))))
        ++mismatches;
    }
    CHECK(mismatches == 0);
    MESSAGE(inputs.size(), " samples: ", degraded, " degraded, ", aggregator->counters().retries,
            " retries");
  }
};

}  // namespace

TEST_CASE("mqtt deployment: devices -> two edges (each its own clients) -> cloud, exact") {
  MqttDeployment<fixtures::two_edges> dep(41, 0.9, 150);
  const auto sink = dep.run();
  dep.check(sink);
  std::map<std::size_t, std::size_t> by_tier;
  for (const auto& [s, got] : sink.answers()) ++by_tier[got.answer.exit_tier];
  CHECK(by_tier[1] > 0);  // answered by the edge exit, decided in the joins
  CHECK(by_tier[2] > 0);  // sent up to the cloud by the joins
  for (const auto& j : dep.tier_joins) CHECK(j->counters().unexpected == 0);
}

TEST_CASE("mqtt deployment: devices -> local exit -> edge with its exit -> cloud, exact") {
  MqttDeployment<fixtures::three_tier> dep(42, 0.4, 150);
  dep.check(dep.run());
}
