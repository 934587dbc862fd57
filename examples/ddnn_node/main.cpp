// ddnn_node: one node of the MNIST main job's DDNN as a program of its own, talking to the others
// over an MQTT broker. Every role runs from the model file the main job saved:
//
//   ddnn_node --role device --node D      device D: reads its tile of test sample i when the
//                                         driver ticks i (its camera), sends logits, keeps its
//                                         feature map for the aggregator's request
//   ddnn_node --role aggregator           the local aggregator: deadlines, local exit, requests,
//                                         retries, degraded answers, liveness
//   ddnn_node --role worker --node W      a cloud worker (several share the work)
//   ddnn_node --role driver --samples N   streams N test samples, collects the answers, replays
//                                         each on the in-process graph and writes a report
//   ddnn_node --role access-rules --workers W   prints the broker's access rules (mosquitto
//                                         acl_file) for this model's 6 devices, W workers,
//                                         an aggregator and a driver
//
// Common options: --model FILE (default results/mnist_ddnn.model.json), --broker HOST:PORT,
// --username U --password P, --cafile F [--cert F --key F], --data DIR (MNIST).
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "../mnist_ddnn/networks.hpp"
#include "ddnn/io/atomic_file.hpp"
#include "ddnn/io/mnist.hpp"
#include "ddnn/io/model_file.hpp"
#include "ddnn/io/model_id.hpp"
#include "ddnn/runtime/access_rules.hpp"
#include "ddnn/runtime/aggregator.hpp"
#include "ddnn/runtime/device.hpp"
#include "ddnn/runtime/mqtt_transport.hpp"
#include "ddnn/runtime/replay.hpp"
#include "ddnn/runtime/run_node.hpp"
#include "ddnn/runtime/worker.hpp"

#ifndef DDNN_MNIST_DIR
#define DDNN_MNIST_DIR "data/mnist"
#endif

namespace {

using namespace ddnn;
using namespace ddnn::runtime;
using namespace std::chrono_literals;
/// The main job's default model: tiles, its local exit, Concat into the float cloud.
using Graph = mnist_ddnn::DefaultDDNN<TileShape, mnist_ddnn::DefaultLocalExit, Concat, true>;

std::atomic<bool> stop_requested{false};
extern "C" void on_signal(int) { stop_requested = true; }

struct Options {
  std::string role;
  std::size_t node = 0;
  std::filesystem::path model = "results/mnist_ddnn.model.json";
  std::filesystem::path data = DDNN_MNIST_DIR;
  std::filesystem::path results = "results/distributed_mnist.json";
  MqttOptions mqtt;
  std::size_t samples = 10000;
  double rate = 0.0;        ///< ticks per second; 0: as fast as a window of `window` allows
  std::size_t window = 64;  ///< driver: samples ticked but not answered, at most
  /// driver: a sample still unanswered this long after its tick is ticked again (attempt + 1)
  std::chrono::milliseconds retick{1000};
  std::filesystem::path fault_log;  ///< driver: "kill device D <epoch us>" lines from the script
  std::uint64_t incarnation = 0;
  std::size_t workers = 2;  ///< access-rules: how many workers the rules name
  AggregatorOptions aggregator;
};

[[noreturn]] void usage(const std::string& error) {
  std::cerr
      << "ddnn_node: " << error
      << "\nusage: ddnn_node --role device|aggregator|worker|driver|access-rules [--node N]"
         " [--model FILE] [--workers W]"
         "\n  [--broker HOST:PORT] [--username U --password P] [--cafile F [--cert F --key F]]"
         "\n  [--data DIR] [--samples N] [--rate R] [--window W] [--retick-ms MS] [--results FILE]"
         "\n  [--fault-log FILE]"
         "\n  [--incarnation I] [--logits-ms MS] [--features-ms MS] [--answer-ms MS]"
         " [--attempts A]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) usage(std::string(argv[i]) + " needs a value");
    return argv[++i];
  };
  auto number = [&](int& i) -> std::uint64_t {
    const std::string v = value(i);
    try {
      std::size_t used = 0;
      const auto n = std::stoull(v, &used);
      if (used != v.size()) throw std::invalid_argument(v);
      return n;
    } catch (const std::exception&) {
      usage(std::string(argv[i - 1]) + ": '" + v + "' is not a number");
    }
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--role")
      o.role = value(i);
    else if (a == "--node")
      o.node = number(i);
    else if (a == "--model")
      o.model = value(i);
    else if (a == "--data")
      o.data = value(i);
    else if (a == "--results")
      o.results = value(i);
    else if (a == "--broker") {
      const std::string b = value(i);
      const auto colon = b.rfind(':');
      if (colon == std::string::npos) usage("--broker wants HOST:PORT");
      o.mqtt.host = b.substr(0, colon);
      try {
        o.mqtt.port = std::stoi(b.substr(colon + 1));
      } catch (const std::exception&) {
        usage("--broker: bad port in '" + b + "'");
      }
    } else if (a == "--username")
      o.mqtt.username = value(i);
    else if (a == "--password")
      o.mqtt.password = value(i);
    else if (a == "--cafile") {
      if (!o.mqtt.tls) o.mqtt.tls.emplace();
      o.mqtt.tls->ca_file = value(i);
    } else if (a == "--cert") {
      if (!o.mqtt.tls) o.mqtt.tls.emplace();
      o.mqtt.tls->cert_file = value(i);
    } else if (a == "--key") {
      if (!o.mqtt.tls) o.mqtt.tls.emplace();
      o.mqtt.tls->key_file = value(i);
    } else if (a == "--samples")
      o.samples = number(i);
    else if (a == "--rate")
      o.rate = double(number(i));
    else if (a == "--window")
      o.window = std::max<std::uint64_t>(1, number(i));
    else if (a == "--retick-ms")
      o.retick = std::chrono::milliseconds(std::max<std::uint64_t>(1, number(i)));
    else if (a == "--fault-log")
      o.fault_log = value(i);
    else if (a == "--incarnation")
      o.incarnation = number(i);
    else if (a == "--workers")
      o.workers = number(i);
    else if (a == "--logits-ms")
      o.aggregator.logits_deadline = std::chrono::milliseconds(number(i));
    else if (a == "--features-ms")
      o.aggregator.features_deadline = std::chrono::milliseconds(number(i));
    else if (a == "--answer-ms")
      o.aggregator.answer_deadline = std::chrono::milliseconds(number(i));
    else if (a == "--attempts")
      o.aggregator.attempts = std::uint16_t(number(i));
    else
      usage("unknown option " + a);
  }
  if (o.role.empty()) usage("--role is required");
  if (o.incarnation == 0)  // a restart gets a larger one: time in microseconds
    o.incarnation = std::uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
  return o;
}

/// The test set's tiles, one input per device per sample.
std::vector<Graph::inputs_type> load_inputs(const Options& o, std::vector<std::uint8_t>& labels) {
  const Mnist mnist = load_mnist(o.data, 0, o.samples);
  const TileSet tiles = make_tiles(mnist.test, 0, o.samples);
  std::vector<Graph::inputs_type> inputs(tiles.samples);
  for (std::size_t s = 0; s < tiles.samples; ++s)
    for (std::size_t d = 0; d < Graph::devices; ++d) inputs[s][d].assign(tiles.input(s, d));
  labels = tiles.labels;
  return inputs;
}

std::string client_id(const Options& o) {
  return "ddnn-" + o.role + "-" + std::to_string(o.node) + "-" + std::to_string(o.incarnation);
}

/// What the aggregator reports, retained on <prefix>/stats/aggregator, for the driver: its
/// counters, and when it stopped waiting for each device (wall clock, microseconds since the
/// epoch, 0: never), comparable with the time a script killed that device.
struct AggregatorReport {
  Counters counters;
  std::array<std::uint64_t, Graph::devices> offline_at_us{};
};
constexpr std::size_t report_words = 13 + Graph::devices;

std::vector<std::uint8_t> encode_report(const AggregatorReport& r) {
  const Counters& c = r.counters;
  std::vector<std::uint64_t> words{
      c.received, c.malformed, c.foreign,  c.unexpected,   c.duplicates, c.late,  c.stale,
      c.retries,  c.degraded,  c.answered, c.cache_misses, c.waiting,    c.resent};
  words.insert(words.end(), r.offline_at_us.begin(), r.offline_at_us.end());
  std::vector<std::uint8_t> out(8 * words.size());
  for (std::size_t i = 0; i < words.size(); ++i)
    runtime::detail::store_le(&out[8 * i], words[i], 8);
  return out;
}
std::optional<AggregatorReport> decode_report(std::span<const std::uint8_t> p) {
  if (p.size() != 8 * report_words) return std::nullopt;
  std::array<std::uint64_t, report_words> v{};
  for (std::size_t i = 0; i < report_words; ++i) v[i] = runtime::detail::load_le(&p[8 * i], 8);
  AggregatorReport r;
  r.counters =
      Counters{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12]};
  for (std::size_t d = 0; d < Graph::devices; ++d) r.offline_at_us[d] = v[13 + d];
  return r;
}

std::uint64_t wall_clock_us() {
  return std::uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
}

/// The aggregator, watched: notes the wall-clock time it stops waiting for a device.
class WatchedAggregator final : public Node {
 public:
  explicit WatchedAggregator(LocalAggregator<Graph>& inner) : inner_(inner) {}
  [[nodiscard]] std::vector<std::string> subscriptions() const override {
    return inner_.subscriptions();
  }
  void start(clock_time now, Publisher& out) override { inner_.start(now, out); }
  void on_message(const received_message& m, clock_time now, Publisher& out) override {
    const Presence before = inner_.alive();
    inner_.on_message(m, now, out);
    const Presence after = inner_.alive();
    for (std::size_t d = 0; d < Graph::devices; ++d)
      if (before[d] && !after[d]) offline_at_us_[d] = wall_clock_us();
  }
  clock_time on_time(clock_time now, Publisher& out) override { return inner_.on_time(now, out); }
  [[nodiscard]] AggregatorReport report() const { return {inner_.counters(), offline_at_us_}; }

 private:
  LocalAggregator<Graph>& inner_;
  std::array<std::uint64_t, Graph::devices> offline_at_us_{};
};

/// Streams samples, collects answers, counts the devices' bytes on the wire.
class Driver final : public Node {
 public:
  Driver(const Options& o, Topics topics, std::uint64_t model)
      : o_(o), topics_(std::move(topics)), model_(model) {}

  [[nodiscard]] std::vector<std::string> subscriptions() const override {
    return {topics_.answers(), topics_.stats("aggregator"), topics_.stats("device") + "/+"};
  }
  void start(clock_time now, Publisher&) override { started_ = now; }
  void on_message(const received_message& m, clock_time now, Publisher&) override {
    if (m.topic == topics_.answers()) {
      try {
        const opened op = open(m.payload, model_);
        const auto a = decode_answer<Graph>(op.payload);
        if (op.header.sample >= ticked_.size()) return void(++foreign_);
        if (!answers_.try_emplace(op.header.sample, Got{a, now - ticked_[op.header.sample]}).second)
          ++duplicates_;
        last_answer_ = now;
      } catch (const error&) {
        ++malformed_;
      }
    } else if (m.topic == topics_.stats("aggregator")) {
      if (auto r = decode_report(m.payload)) aggregator_ = *r;
    } else if (auto d = topics_.node_of(m.topic, "stats/device", Graph::devices)) {
      if (m.payload.size() == 8) device_bytes_[*d] = runtime::detail::load_le(m.payload.data(), 8);
    }
  }
  clock_time on_time(clock_time now, Publisher& out) override {
    if (ticked_.size() >= o_.samples) return no_deadline;
    if (o_.rate > 0) {
      while (ticked_.size() < o_.samples &&
             started_ + clock_time(std::int64_t(1e9 * double(ticked_.size()) / o_.rate)) <= now)
        tick(now, out);
      if (ticked_.size() >= o_.samples) return no_deadline;
      return started_ + clock_time(std::int64_t(1e9 * double(ticked_.size()) / o_.rate));
    }
    while (ticked_.size() < o_.samples && ticked_.size() - answers_.size() < o_.window)
      tick(now, out);
    return now + 1ms;
  }

  /// Ticks again, with attempt + 1, every sample still unanswered `retick` after its last tick:
  /// a broker that restarted may have lost its tick, its logits or its answer.
  void tick_again(clock_time now, Publisher& out) {
    while (!unanswered_.empty()) {
      const auto [sample, due] = unanswered_.front();
      if (answers_.contains(sample)) {
        unanswered_.pop_front();
        continue;
      }
      if (due > now) return;
      unanswered_.pop_front();
      if (attempts_[sample] == std::numeric_limits<std::uint16_t>::max()) continue;
      ++attempts_[sample];
      ++reticks_;
      out.publish(message_to(topics_.tick(), encode_tick({sample, attempts_[sample]}),
                             delivery::at_most_once));
      unanswered_.emplace_back(sample, now + o_.retick);
      last_tick_ = now;
    }
  }

  [[nodiscard]] bool done(clock_time now) const {
    if (answers_.size() >= o_.samples) return true;
    return ticked_.size() >= o_.samples && now - std::max(last_answer_, last_tick_) > 10s;
  }

  struct Got {
    answer_t<Graph> answer;
    clock_time latency;
  };
  const Options& o_;
  Topics topics_;
  std::uint64_t model_;
  clock_time started_{}, last_answer_{}, last_tick_{};
  std::vector<clock_time> ticked_;  ///< when each sample was first ticked
  std::vector<std::uint16_t> attempts_;
  std::deque<std::pair<std::uint64_t, clock_time>> unanswered_;  ///< (sample, when to tick again)
  std::uint64_t reticks_ = 0;
  std::map<std::uint64_t, Got> answers_;
  std::array<std::uint64_t, Graph::devices> device_bytes_{};  ///< as each device last reported
  std::uint64_t duplicates_ = 0, malformed_ = 0, foreign_ = 0;
  AggregatorReport aggregator_;

 private:
  void tick(clock_time now, Publisher& out) {
    out.publish(
        message_to(topics_.tick(), encode_tick({ticked_.size(), 0}), delivery::at_most_once));
    unanswered_.emplace_back(ticked_.size(), now + o_.retick);
    ticked_.push_back(now);
    attempts_.push_back(0);
    last_tick_ = now;
  }
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, std::size_t(std::ceil(p * double(v.size())) - 1));
  return v[i];
}

/// For each device the script killed ("kill device D <epoch us>" lines in `fault_log`): how
/// long after the kill the aggregator stopped waiting for it (null: it never did).
nlohmann::json offline_noticed_ms(const std::filesystem::path& fault_log,
                                  const AggregatorReport& report) {
  nlohmann::json out = nlohmann::json::object();
  if (fault_log.empty()) return out;
  std::ifstream in(fault_log);
  std::string what, role;
  std::size_t d = 0;
  std::uint64_t killed_us = 0;
  while (in >> what >> role >> d >> killed_us) {
    if (what != "kill" || role != "device" || d >= Graph::devices) continue;
    const std::uint64_t noticed = report.offline_at_us[d];
    out[std::to_string(d)] =
        noticed >= killed_us ? nlohmann::json(double(noticed - killed_us) / 1000.0) : nullptr;
  }
  return out;
}

int run_driver(const Options& o, const Graph& g, std::uint64_t model, MqttTransport& t) {
  std::vector<std::uint8_t> labels;
  const auto inputs = load_inputs(o, labels);
  Options local = o;
  local.samples = std::min(o.samples, inputs.size());
  Driver driver(local, Topics::for_model(model), model);
  for (const auto& f : driver.subscriptions()) t.subscribe(f);
  if (!t.wait_subscribed(t.now() + 10s)) ddnn::detail::fail("driver: subscriptions not confirmed");
  // Give the aggregator's retained stats and the devices' statuses a moment to settle.
  driver.start(t.now(), t);
  clock_time wake = driver.on_time(t.now(), t);
  while (!stop_requested && !driver.done(t.now())) {
    if (auto m = t.receive(std::min(wake, t.now() + 20ms))) driver.on_message(*m, t.now(), t);
    driver.tick_again(t.now(), t);
    wake = driver.on_time(t.now(), t);
  }
  const double seconds =
      std::chrono::duration<double>(driver.last_answer_ - driver.started_).count();
  // The aggregator publishes its counters every half second: wait for a fresh copy.
  const clock_time until = t.now() + 1500ms;
  while (t.now() < until)
    if (auto m = t.receive(until)) driver.on_message(*m, t.now(), t);

  std::size_t correct = 0, local_exits = 0, degraded = 0, mismatches = 0;
  std::uint64_t accounted = 0;
  std::vector<double> local_ms, cloud_ms;
  for (const auto& [s, got] : driver.answers_) {
    const auto& a = got.answer;
    correct += a.predicted == labels[s];
    const double ms = std::chrono::duration<double, std::milli>(got.latency).count();
    const Presence lp(a.logits_present), fp(a.features_present);
    accounted += lp.count(Graph::devices) *
                     Graph::message_type<0>::logits_bytes(g.template logits_link<0>()) +
                 fp.count(Graph::devices) * Graph::message_type<0>::feature_bytes;
    if (a.degraded) {
      ++degraded;
      continue;
    }
    (a.exit_tier == 0 ? local_ms : cloud_ms).push_back(ms);
    local_exits += a.exit_tier == 0;
    if (!same_answer_bits(a, replay(g, inputs[s], a.exit_tier, lp, fp))) ++mismatches;
  }
  const std::size_t n = local.samples, answered = driver.answers_.size();
  const double per = double(n * Graph::devices);
  nlohmann::json r = {
      {"samples", n},
      {"answered", answered},
      {"lost", n - answered},
      {"mismatches", mismatches},
      {"degraded", degraded},
      {"retries", driver.aggregator_.counters.retries},
      {"late", driver.aggregator_.counters.late},
      {"duplicates", driver.aggregator_.counters.duplicates + driver.duplicates_},
      {"malformed_dropped", driver.aggregator_.counters.malformed + driver.malformed_},
      {"accuracy", answered ? double(correct) / double(answered) : 0.0},
      {"local_exit_fraction", answered ? double(local_exits) / double(answered) : 0.0},
      {"samples_per_second", seconds > 0 ? double(answered) / seconds : 0.0},
      {"local_p50_ms", percentile(local_ms, 0.5)},
      {"local_p99_ms", percentile(local_ms, 0.99)},
      {"cloud_p50_ms", percentile(cloud_ms, 0.5)},
      {"cloud_p99_ms", percentile(cloud_ms, 0.99)},
      {"wire_bytes_per_device_per_sample",
       double(std::accumulate(driver.device_bytes_.begin(), driver.device_bytes_.end(),
                              std::uint64_t{0})) /
           per},
      {"accounted_bytes_per_device_per_sample", double(accounted) / per},
      {"reticks", driver.reticks_},
      {"answers_resent", driver.aggregator_.counters.resent},
      {"device_offline_noticed_ms", offline_noticed_ms(o.fault_log, driver.aggregator_)},
      {"offered_rate", o.rate},
      {"window", o.window}};
  std::cout << r.dump(2) << "\n";
  if (!o.results.empty()) {
    if (o.results.has_parent_path()) std::filesystem::create_directories(o.results.parent_path());
    io::write_file_atomically(o.results, r.dump(2) + "\n");
  }
  bool every_kill_noticed = true;  // a killed device the aggregator kept waiting for is a bug
  for (const auto& ms : r["device_offline_noticed_ms"]) every_kill_noticed &= !ms.is_null();
  return answered == n && mismatches == 0 && every_kill_noticed ? 0 : 1;
}

/// Runs `inner` and publishes what `report` says, retained on `topic`, every half second (and
/// when asked at the end): the driver's report reads the aggregator's counters and the devices'
/// bytes there.
class Reporting final : public Node {
 public:
  Reporting(Node& inner, std::string topic, std::function<std::vector<std::uint8_t>()> report)
      : inner_(inner), topic_(std::move(topic)), report_(std::move(report)) {}
  [[nodiscard]] std::vector<std::string> subscriptions() const override {
    return inner_.subscriptions();
  }
  [[nodiscard]] std::optional<last_will> will() const override { return inner_.will(); }
  void start(clock_time now, Publisher& out) override { inner_.start(now, out); }
  void on_message(const received_message& m, clock_time now, Publisher& out) override {
    inner_.on_message(m, now, out);
  }
  clock_time on_time(clock_time now, Publisher& out) override {
    if (now >= next_) {
      report(out);
      next_ = now + 500ms;
    }
    return std::min(inner_.on_time(now, out), next_);
  }
  void report(Publisher& out) { out.publish(message_to(topic_, report_(), true)); }

 private:
  Node& inner_;
  std::string topic_;
  std::function<std::vector<std::uint8_t>()> report_;
  clock_time next_{};
};

std::vector<std::uint8_t> encode_u64(std::uint64_t v) {
  std::vector<std::uint8_t> out(8);
  for (int b = 0; b < 8; ++b) out[b] = std::uint8_t(v >> (8 * b));
  return out;
}

int run(const Options& o) {
  if (o.role == "random-model") {  // for tests: a model of the right type without training
    const Graph g(random_parameters<Graph>(o.incarnation, 0.5));
    save_model(g, o.model);
    std::cout << "wrote " << o.model << "\n";
    return 0;
  }
  const Graph g = load_model<Graph>(o.model);
  const std::uint64_t model = model_id(g);
  const Topics topics = Topics::for_model(model);
  if (o.role == "access-rules") {
    static_assert(Graph::tier_count == 2, "the node program runs devices, aggregator and cloud");
    std::cout << mosquitto_acl(
        {.devices = Graph::devices, .workers = o.workers, .edge_tiers = {}, .joins = 1}, topics);
    return 0;
  }
  MqttOptions m = o.mqtt;
  m.client_id = client_id(o);
  if (o.role == "driver") {
    MqttTransport t(m);
    return run_driver(o, g, model, t);
  }
  if (o.role == "device") {
    if (o.node >= Graph::devices)
      usage("--node: the model has " + std::to_string(Graph::devices) + " devices");
    std::vector<std::uint8_t> labels;
    const auto inputs = load_inputs(o, labels);
    Device<Graph> device(g, model, o.node, topics, {.cache = 256, .incarnation = o.incarnation},
                         [&](std::uint64_t sample) -> std::optional<Graph::input_type> {
                           if (sample >= inputs.size()) return std::nullopt;
                           return inputs[sample][o.node];
                         });
    m.will = device.will();
    MqttTransport t(m);
    Reporting reporting(device, topics.stats("device", o.node),
                        [&] { return encode_u64(device.sent_bytes()); });
    run_node(t, reporting, stop_requested);
    reporting.report(t);
    // Leaving on purpose: say so (a clean disconnect does not send the Will).
    t.publish(message_to(topics.status("device", o.node),
                         status_message(model, o.node, node_state::offline, o.incarnation), true));
    t.flush(t.now() + 2s);
    return 0;
  }
  if (o.role == "aggregator") {
    AggregatorOptions a = o.aggregator;
    a.node = o.node;
    LocalAggregator<Graph> aggregator(g, model, topics, a);
    WatchedAggregator watched(aggregator);
    MqttTransport t(m);
    Reporting reporting(watched, topics.stats("aggregator"),
                        [&] { return encode_report(watched.report()); });
    run_node(t, reporting, stop_requested);
    reporting.report(t);
    t.flush(t.now() + 2s);
    return 0;
  }
  if (o.role == "worker") {
    Worker<Graph> worker(g, model, topics, o.node);
    MqttTransport t(m);
    run_node(t, worker, stop_requested);
    return 0;
  }
  usage("unknown role '" + o.role + "'");
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "ddnn_node: " << e.what() << "\n";
    return 1;
  }
}
