// The graph trainer: central-difference gradient checks through every aggregator and an edge
// tier (float layers, where the loss is differentiable), the eval-mode simulation equal to packed
// inference bit for bit for binary and float graphs under random presence masks, determinism
// (seed; 1 thread == 2 threads), dropout of float Dense inputs (its gradients, exactness and
// determinism), distillation from the cloud (its gradients, none into the cloud), training that
// learns, absent nodes that shape nothing (their inputs, their BatchNorm statistics), the same
// bits whatever L1 size Eigen reads from the CPU, and every misuse as ddnn::error.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "ddnn/graph/ddnn.hpp"
#include "ddnn/train/trainer.hpp"

using namespace ddnn;
using train::Trainer;
using train::TrainOptions;

namespace {

using FloatSensor = Sensor<Shape<6, 5, 2>, float>;
using FloatNet = Layers<Conv<3, 3, 1, 1, MaxPool<2, 2, 0>>, Dense<4>, Dense<3, Activation::none>>;
using FloatHead = Dense<3, Activation::none>;
// devices -> Max exit -> Concat cloud
using FloatMaxConcat =
    DDNN<FloatSensor, FloatNet, DeviceTier<3, 1, Exit<FloatHead, Max>>, CloudTier<Concat>>;
// devices -> Avg exit -> two edges (Avg features, Concat exit with a combining head) -> Max cloud
using FloatEdges = DDNN<FloatSensor, FloatNet, DeviceTier<4, 1, Exit<FloatHead, Avg>>,
                        EdgeTier<2, Avg, 2, Exit<FloatHead, Concat, NormalizedEntropy, FloatHead>>,
                        CloudTier<Max>>;

template <class Graph>
struct Batch {
  std::vector<typename Graph::inputs_type> inputs;
  std::vector<std::uint8_t> labels;
  std::vector<Presence> presence;
};

// Random inputs in [lo, hi) (rounded for integer sensors), labels, and presence masks that
// drop a device in every `drop_every`-th sample (0: all present) and, optionally, all of them
// in one sample.
template <class Graph>
Batch<Graph> random_batch(std::size_t n, std::uint64_t seed, std::size_t drop_every,
                          bool one_empty = false) {
  using Value = typename Graph::sensor::value_type;
  Batch<Graph> b;
  b.inputs.resize(n);
  b.labels.resize(n);
  b.presence.assign(n, Presence::all(Graph::devices));
  ddnn::detail::random_stream r(seed);
  for (std::size_t i = 0; i < n; ++i) {
    for (auto& device : b.inputs[i])
      for (auto& v : device.values()) {
        if constexpr (std::is_same_v<Value, float>)
          v = r.symmetric();
        else
          v = Value(r.next() % 256);
      }
    b.labels[i] = std::uint8_t(r.next() % Graph::classes);
    if (drop_every != 0 && i % drop_every == 0)
      if (const std::uint64_t bits = r.next() & Presence::all(Graph::devices).bits(); bits != 0)
        b.presence[i] = Presence(bits);
  }
  if (one_empty) b.presence[1] = Presence();
  return b;
}

// Cosine between the analytic gradient and central differences of the loss, for a sample of
// each parameter tensor's values.
// With dropout, repeated backpropagate() calls before a step draw the same masks, so the
// differences see the same (masked) loss as the gradient.
// With distillation the cloud's logits are a fixed target, so the analytic gradient is the
// loss's only for what the cloud does not read: the exit heads and exit combiners.
template <class Graph>
void check_gradients(std::uint64_t seed, double dropout = 0.0, double distillation = 0.0) {
  TrainOptions options;
  options.seed = seed;
  options.threads = 1;
  options.dropout = dropout;
  options.distillation_weight = distillation;
  options.distillation_temperature = 2.0;
  options.exit_weights.assign(Graph::tier_count, 1.0);
  options.exit_weights.back() = 0.7;  // a non-unit weight must scale its gradient
  options.node_exit_weight = 0.5;
  Trainer<Graph> trainer(options);
  const auto b = random_batch<Graph>(12, seed + 1, 3, true);
  trainer.backpropagate(b.inputs, b.labels, b.presence);
  auto refs = trainer.parameter_refs();
  std::vector<std::vector<float>> analytic;
  for (const auto& p : refs) analytic.emplace_back(p.gradient.begin(), p.gradient.end());
  std::size_t checked = 0;
  for (std::size_t k = 0; k < refs.size(); ++k) {
    if (distillation > 0.0 && refs[k].name.find(".exit_head.") == std::string::npos &&
        refs[k].name.find(".exit_combine.") == std::string::npos)
      continue;
    ++checked;
    double dot = 0.0, na = 0.0, nn = 0.0;
    const std::size_t stride = 1 + refs[k].values.size() / 8;
    for (std::size_t i = 0; i < refs[k].values.size(); i += stride) {
      float& v = refs[k].values[i];
      const float old = v, h = 5e-3f;
      v = old + h;
      const double up = trainer.backpropagate(b.inputs, b.labels, b.presence).loss;
      v = old - h;
      const double down = trainer.backpropagate(b.inputs, b.labels, b.presence).loss;
      v = old;
      const double numeric = (up - down) / (2.0 * double(h)), a = analytic[k][i];
      dot += numeric * a, na += a * a, nn += numeric * numeric;
    }
    INFO(refs[k].name);
    if (na + nn < 1e-12) continue;  // no path from this tensor to the loss in this batch
    CHECK(dot / std::sqrt(na * nn) > 0.98);
    CHECK(std::sqrt(na) == doctest::Approx(std::sqrt(nn)).epsilon(0.05));
  }
  CHECK(checked > 0);
}

// simulate() against packed inference, sample by sample: answers, exit tiers, classes and the
// answering exit's logits and measure, bit for bit.
template <class Graph>
std::size_t compare_with_inference(Trainer<Graph>& trainer, const Batch<Graph>& b) {
  const Graph graph(trainer.parameters());
  const auto sim = trainer.simulate(b.inputs, b.presence);
  const auto inferred = graph.infer_batch(b.inputs, b.presence);
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < sim.size(); ++i) {
    const auto& s = sim[i];
    const auto& r = inferred[i];
    bool same = s.answered == r.answered;
    if (same && r.answered) {
      same = s.exit_tier == r.exit_tier && s.predicted == r.predicted && s.measure == r.measure;
      for (std::size_t c = 0; c < Graph::classes; ++c)
        same = same && std::bit_cast<std::uint32_t>(s.tiers[s.exit_tier].logits[c]) ==
                           std::bit_cast<std::uint32_t>(r.logits[c]);
    }
    mismatches += !same;
  }
  return mismatches;
}

// Trains a few steps (so BatchNorm statistics are not the initial ones), sets each exit's
// threshold to the median of its measures, and compares with packed inference.
template <class Graph>
void check_exactness(std::uint64_t seed, double dropout = 0.0,
                     LogitsEncoding link = LogitsEncoding::float32) {
  TrainOptions options;
  options.seed = seed;
  options.device_dropout = 0.2;
  options.dropout = dropout;
  options.logits_link = link;
  Trainer<Graph> trainer(options);
  for (std::uint64_t s = 0; s < 4; ++s) {
    const auto b = random_batch<Graph>(32, seed * 100 + s, 4);
    (void)trainer.step(b.inputs, b.labels, b.presence);
  }
  const auto test = random_batch<Graph>(300, seed + 7, 3, true);
  auto sim = trainer.simulate(test.inputs, test.presence);
  std::vector<double> measures;
  for (const auto& s : sim)
    if (s.tiers[0].answered) measures.push_back(s.tiers[0].measure);
  std::nth_element(measures.begin(), measures.begin() + std::ptrdiff_t(measures.size() / 2),
                   measures.end());
  if constexpr (Graph::template tier<0>::has_exit)
    trainer.template set_threshold<0>(measures[measures.size() / 2]);
  if constexpr (Graph::tier_count > 2)
    if constexpr (Graph::template tier<1>::has_exit) trainer.template set_threshold<1>(0.5);
  CHECK(compare_with_inference(trainer, test) == 0);
  // every exit point is exercised
  sim = trainer.simulate(test.inputs, test.presence);
  std::vector<std::size_t> exits(Graph::tier_count, 0);
  std::size_t unanswered = 0;
  for (const auto& s : sim) s.answered ? ++exits[s.exit_tier] : ++unanswered;
  CHECK(exits[0] > 0);
  CHECK(exits.back() > 0);
  CHECK(unanswered == 1);
  // more steps after simulating: eval mode keeps nothing computed from the old weights
  for (std::uint64_t s = 4; s < 6; ++s) {
    const auto b = random_batch<Graph>(32, seed * 100 + s, 4);
    (void)trainer.step(b.inputs, b.labels, b.presence);
  }
  CHECK(compare_with_inference(trainer, test) == 0);
}

using Bits = Sensor<Shape<8, 6, 1>>;
using BinaryNet =
    Layers<FirstConv<4, 3, 1, 1, MaxPool<3, 2, 1>>, BinaryConv<8, 3, 1, 1, MaxPool<3, 1, 1>>,
           MaxPool<2, 1, 0>, BinaryDense<16>, BinaryDense<3, Output::logits>>;
using BinaryHead = BinaryDense<3, Output::logits>;
using BinaryMaxConcat =
    DDNN<Bits, BinaryNet, DeviceTier<6, 1, Exit<BinaryHead, Max>>, CloudTier<Concat>>;
using BinaryAvgMax = DDNN<Bits, BinaryNet, DeviceTier<6, 1, Exit<BinaryHead, Avg>>, CloudTier<Max>>;
using BinaryConcatAvg =
    DDNN<Bits, BinaryNet,
         DeviceTier<6, 1, Exit<BinaryHead, Concat, NormalizedEntropy, Dense<3, Activation::none>>>,
         CloudTier<Avg>>;
using BinaryWithEdge = DDNN<Bits, BinaryNet, DeviceTier<6, 1, Exit<BinaryHead, Max>>,
                            EdgeTier<2, Concat, 2, Exit<BinaryHead, Avg>>, CloudTier<Concat>>;
using FloatCloud = DDNN<Bits,
                        Layers<FirstConv<4, 3, 1, 1, MaxPool<3, 2, 1>>,
                               Conv<8, 3, 1, 1, MaxPool<3, 1, 1>>, Dense<3, Activation::none>>,
                        DeviceTier<6, 1, Exit<BinaryHead, Max>>, CloudTier<Concat>>;

template <class Graph>
std::vector<float> all_values(Trainer<Graph>& t) {
  std::vector<float> v;
  for (const auto& p : t.parameter_refs()) v.insert(v.end(), p.values.begin(), p.values.end());
  return v;
}

// Every trained value after three steps on random batches (seeds from `batch_seed` on).
template <class Graph>
std::vector<float> values_after_three_steps(const TrainOptions& options, std::uint64_t batch_seed) {
  Trainer<Graph> t(options);
  for (std::uint64_t s = 0; s < 3; ++s) {
    const auto b = random_batch<Graph>(24, batch_seed + s, 0);
    (void)t.step(b.inputs, b.labels, b.presence);
  }
  return all_values(t);
}

// Every exit's logits of every sample in the eval-mode simulation.
template <class Graph>
std::vector<float> simulated_logits(Trainer<Graph>& t, const Batch<Graph>& b,
                                    std::size_t only_tier = std::size_t(-1)) {
  std::vector<float> logits;
  for (const auto& s : t.simulate(b.inputs, b.presence))
    for (std::size_t k = 0; k < Graph::tier_count; ++k)
      if (only_tier == std::size_t(-1) || k == only_tier)
        logits.insert(logits.end(), s.tiers[k].logits.begin(), s.tiers[k].logits.end());
  return logits;
}

// Options for a trainer with device dropout (seed, threads).
TrainOptions dropout_options(std::uint64_t seed, std::size_t threads = 2) {
  TrainOptions options;
  options.seed = seed;
  options.threads = threads;
  options.device_dropout = 0.3;
  return options;
}

// Four steps, after which the BatchNorm statistics are training's momentum averages.
template <class Graph>
void train_a_little(Trainer<Graph>& trainer) {
  for (std::uint64_t s = 0; s < 4; ++s) {
    const auto b = random_batch<Graph>(32, trainer.options().seed * 100 + s, 4);
    (void)trainer.step(b.inputs, b.labels, b.presence);
  }
}

// Recalibration changes the model, keeps simulation and packed inference equal bit for bit, is
// a fixed point when repeated (its passes cover every BatchNorm's dependence on those below it)
// and gives the same bits on 1 and 2 threads.
template <class Graph>
void check_recalibration(std::uint64_t seed) {
  Trainer<Graph> trainer(dropout_options(seed));
  train_a_little(trainer);
  // 700 samples: more than one of the passes' chunks; devices missing from half of them
  const auto calibration = random_batch<Graph>(700, seed + 5, 2);
  const auto test = random_batch<Graph>(300, seed + 7, 3, true);
  const auto trained = simulated_logits(trainer, test);
  trainer.recalibrate_batchnorm(calibration.inputs, calibration.presence);
  const auto once = simulated_logits(trainer, test);
  CHECK(once != trained);
  if constexpr (Graph::template tier<0>::has_exit) trainer.template set_threshold<0>(0.6);
  CHECK(compare_with_inference(trainer, test) == 0);
  trainer.recalibrate_batchnorm(calibration.inputs, calibration.presence);
  CHECK(simulated_logits(trainer, test) == once);
  Trainer<Graph> single(dropout_options(seed, 1));
  train_a_little(single);
  single.recalibrate_batchnorm(calibration.inputs, calibration.presence);
  CHECK(simulated_logits(single, test) == once);
}

}  // namespace

TEST_CASE("trainer: gradients match central differences through Max, Concat and Avg") {
  check_gradients<FloatMaxConcat>(3);
}

TEST_CASE("trainer: gradients match central differences through an edge tier") {
  check_gradients<FloatEdges>(5);
}

TEST_CASE("trainer: gradients match central differences with dropout on float Dense inputs") {
  check_gradients<FloatMaxConcat>(7, 0.3);
  check_gradients<FloatEdges>(8, 0.3);
}

TEST_CASE("trainer: distillation from the cloud reaches the lower exits, never the cloud") {
  check_gradients<FloatMaxConcat>(31, 0.0, 0.8);
  check_gradients<FloatEdges>(32, 0.0, 0.8);

  // One trainer, one batch, with and without distillation: the cloud's own gradients are the
  // same bits (the teacher is a fixed target); the devices' layers and heads learn from it.
  using Graph = FloatEdges;
  const auto b = random_batch<Graph>(16, 34, 3);
  auto gradients = [&](double weight) {
    Trainer<Graph> t({.seed = 33, .distillation_weight = weight, .distillation_temperature = 3});
    const double loss = t.backpropagate(b.inputs, b.labels, b.presence).loss;
    std::vector<std::pair<std::string, std::vector<float>>> g;
    for (const auto& p : t.parameter_refs())
      g.emplace_back(p.name, std::vector<float>(p.gradient.begin(), p.gradient.end()));
    return std::pair(loss, g);
  };
  // plain variables, not structured bindings: doctest's INFO captures them in a lambda, which
  // Clang before 16 refuses for a binding
  const auto plain_run = gradients(0.0), taught_run = gradients(0.5);
  const auto &plain = plain_run.second, &taught = taught_run.second;
  CHECK(taught_run.first > plain_run.first);  // the KL terms are >= 0, and > 0 for random logits
  REQUIRE(plain.size() == taught.size());
  const std::string cloud = "tiers[" + std::to_string(Graph::tier_count - 1) + "].";
  std::size_t cloud_tensors = 0, changed_device_tensors = 0;
  for (std::size_t k = 0; k < plain.size(); ++k) {
    INFO(plain[k].first);
    if (plain[k].first.starts_with(cloud)) {
      ++cloud_tensors;
      CHECK(plain[k].second == taught[k].second);
    } else if (plain[k].first.starts_with("tiers[0].nodes[")) {
      changed_device_tensors += plain[k].second != taught[k].second;
    }
  }
  CHECK(cloud_tensors > 0);
  CHECK(changed_device_tensors > 0);
}

TEST_CASE("trainer: eval-mode simulation equals packed inference, binary graphs") {
  check_exactness<BinaryMaxConcat>(11);
  check_exactness<BinaryAvgMax>(12);
  check_exactness<BinaryConcatAvg>(13);
  check_exactness<BinaryWithEdge>(14);
}

TEST_CASE("trainer: with the int8 logits link, trained and simulated, it equals packed inference") {
  constexpr auto int8 = LogitsEncoding::int8;
  check_exactness<BinaryMaxConcat>(41, 0.0, int8);
  check_exactness<BinaryConcatAvg>(42, 0.0, int8);
  check_exactness<BinaryWithEdge>(43, 0.0, int8);
  check_exactness<FloatEdges>(44, 0.0, int8);

  // the link is stored with the model; switching it changes the simulation as it changes the graph
  TrainOptions options;
  options.seed = 45;
  options.logits_link = int8;
  Trainer<BinaryAvgMax> trainer(options);
  const auto b = random_batch<BinaryAvgMax>(32, 450, 4);
  (void)trainer.step(b.inputs, b.labels, b.presence);
  CHECK(trainer.parameters().tier<0>().logits_link == int8);
  const auto test = random_batch<BinaryAvgMax>(200, 451, 3, true);
  const auto rounded = trainer.simulate(test.inputs, test.presence);
  trainer.set_logits_link(LogitsEncoding::float32);
  CHECK(trainer.parameters().tier<0>().logits_link == LogitsEncoding::float32);
  CHECK(compare_with_inference(trainer, test) == 0);
  const auto plain = trainer.simulate(test.inputs, test.presence);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < plain.size(); ++i)
    for (std::size_t c = 0; c < 3; ++c)
      differ += plain[i].tiers[0].logits[c] != rounded[i].tiers[0].logits[c];
  CHECK(differ > 0);
}

TEST_CASE("trainer: eval-mode simulation equals packed inference, float cloud and float graphs") {
  check_exactness<FloatCloud>(21);
  check_exactness<FloatMaxConcat>(22);
  check_exactness<FloatEdges>(23);
  // dropout is a training-time change only: the exported graph still matches the simulation
  check_exactness<FloatMaxConcat>(24, 0.3);
}

// simulate_conditions() against one simulate() per condition: every field of every exit, bit
// for bit, for presence conditions that drop different devices (and all, for some samples).
template <class Graph>
void check_conditions(std::uint64_t seed) {
  TrainOptions options;
  options.seed = seed;
  options.device_dropout = 0.2;
  Trainer<Graph> trainer(options);
  for (std::uint64_t s = 0; s < 3; ++s) {
    const auto b = random_batch<Graph>(32, seed * 10 + s, 4);
    (void)trainer.step(b.inputs, b.labels, b.presence);
  }
  if constexpr (Graph::template tier<0>::has_exit) trainer.template set_threshold<0>(0.6);
  // 600 samples: more than one of simulate's chunks
  const auto test = random_batch<Graph>(600, seed + 3, 3, true);
  std::vector<std::vector<Presence>> conditions;
  for (std::uint64_t k = 0; k < 4; ++k) {
    ddnn::detail::random_stream r(seed * 7 + k);
    std::vector<Presence> p(test.presence);
    for (Presence& m : p) m = Presence(m.bits() & (r.next() | (k == 0 ? ~0ull : 0ull)));
    conditions.push_back(std::move(p));
  }
  const auto all = trainer.simulate_conditions(test.inputs, conditions);
  REQUIRE(all.size() == conditions.size());
  for (std::size_t k = 0; k < conditions.size(); ++k) {
    const auto one = trainer.simulate(test.inputs, conditions[k]);
    REQUIRE(all[k].size() == one.size());
    std::size_t differ = 0;
    for (std::size_t i = 0; i < one.size(); ++i) {
      const auto &a = all[k][i], &b = one[i];
      bool same = a.answered == b.answered && a.predicted == b.predicted &&
                  a.exit_tier == b.exit_tier && a.measure == b.measure;
      for (std::size_t t = 0; t < Graph::tier_count; ++t) {
        same = same && a.tiers[t].answered == b.tiers[t].answered &&
               a.tiers[t].exits == b.tiers[t].exits &&
               a.tiers[t].predicted == b.tiers[t].predicted &&
               a.tiers[t].measure == b.tiers[t].measure;
        for (std::size_t c = 0; c < Graph::classes; ++c)
          same = same && std::bit_cast<std::uint32_t>(a.tiers[t].logits[c]) ==
                             std::bit_cast<std::uint32_t>(b.tiers[t].logits[c]);
      }
      differ += !same;
    }
    INFO("condition " << k);
    CHECK(differ == 0);
  }
  CHECK_THROWS_AS((void)trainer.simulate_conditions(
                      test.inputs, std::vector<std::vector<Presence>>{std::vector<Presence>(3)}),
                  error);
}

TEST_CASE("trainer: simulate_conditions equals one simulate per presence condition") {
  check_conditions<BinaryMaxConcat>(31);
  check_conditions<BinaryConcatAvg>(32);
  check_conditions<BinaryWithEdge>(33);
  check_conditions<FloatCloud>(34);
  check_conditions<FloatEdges>(35);
}

TEST_CASE("trainer: deterministic for a seed, and the same on 1 and 2 threads") {
  auto run = [](std::uint64_t seed, std::size_t threads, double distillation = 0.0) {
    TrainOptions o;
    o.seed = seed;
    o.threads = threads;
    o.device_dropout = 0.3;
    o.distillation_weight = distillation;
    return values_after_three_steps<BinaryWithEdge>(o, 40);
  };
  const auto one = run(1, 1);
  CHECK(one == run(1, 2));
  CHECK(one == run(1, 1));
  CHECK(one != run(2, 2));
  const auto taught = run(1, 1, 0.5);
  CHECK(taught == run(1, 2, 0.5));
  CHECK(taught != one);
}

TEST_CASE("trainer: an absent node's inputs shape nothing, not even its BatchNorm statistics") {
  // Two trainers see the same batches except for the inputs of devices that are absent (by the
  // masks or by device dropout): what they learn and how they then answer must be identical.
  enum class Scramble { none, absent, present };
  auto run = [](Scramble scramble) {
    TrainOptions o;
    o.seed = 9;
    o.device_dropout = 0.3;
    Trainer<BinaryWithEdge> t(o);
    for (std::uint64_t s = 0; s < 3; ++s) {
      auto b = random_batch<BinaryWithEdge>(24, 70 + s, 2, true);
      // device 0 is absent from every sample of the first batch: it must not learn from it
      if (s == 0)
        for (auto& p : b.presence) p.set(0, false);
      ddnn::detail::random_stream r(100 + s);
      for (std::size_t i = 0; i < b.inputs.size(); ++i)
        for (std::size_t d = 0; d < BinaryWithEdge::devices; ++d)
          if ((scramble == Scramble::absent && !b.presence[i][d]) ||
              (scramble == Scramble::present && b.presence[i][d] && i == 2))
            for (auto& v : b.inputs[i][d].values()) v = std::uint8_t(r.next() % 256);
      (void)t.step(b.inputs, b.labels, b.presence);
    }
    const auto test = random_batch<BinaryWithEdge>(64, 80, 3);
    std::vector<float> logits;
    for (const auto& s : t.simulate(test.inputs, test.presence))
      for (const auto& tier : s.tiers)
        logits.insert(logits.end(), tier.logits.begin(), tier.logits.end());
    return std::pair(all_values(t), logits);
  };
  const auto plain = run(Scramble::none);
  const auto absent = run(Scramble::absent);
  CHECK(plain.first == absent.first);
  CHECK(plain.second == absent.second);
  // the comparison is sensitive: a present device's inputs in one sample change what is learned
  CHECK(plain.first != run(Scramble::present).first);
}

TEST_CASE("trainer: the same bits whatever L1 cache size Eigen reads from the CPU") {
  // Eigen cuts a product's depth into blocks sized from the L1 size; FloatCloud's cloud conv has
  // patches of 216 values, cut at 8 KiB and whole at 256 KiB. The trainer plans with a fixed size.
  const std::ptrdiff_t l1 = Eigen::l1CacheSize(), l2 = Eigen::l2CacheSize(),
                       l3 = Eigen::l3CacheSize();
  auto run = [&](std::ptrdiff_t host_l1) {
    Eigen::setCpuCacheSizes(host_l1, l2, l3);
    TrainOptions o;
    o.device_dropout = 0.2;
    auto values = values_after_three_steps<FloatCloud>(o, 90);
    CHECK(Eigen::l1CacheSize() == train::eigen_planning_l1);
    return values;
  };
  const auto small = run(8 * 1024);
  CHECK(small == run(256 * 1024));
  Eigen::setCpuCacheSizes(l1, l2, l3);
}

TEST_CASE("trainer: dropout on float Dense inputs is deterministic, thread-free and not a no-op") {
  auto run = [](double dropout, std::size_t threads) {
    TrainOptions o;
    o.threads = threads;
    o.dropout = dropout;
    return values_after_three_steps<FloatEdges>(o, 60);
  };
  const auto dropped = run(0.4, 2);
  CHECK(dropped == run(0.4, 1));
  CHECK(dropped != run(0.0, 2));
  CHECK(dropped != run(0.2, 2));
}

TEST_CASE("trainer: BatchNorm recalibration is exact, repeatable and thread-free") {
  check_recalibration<BinaryMaxConcat>(51);
  check_recalibration<BinaryConcatAvg>(52);
  check_recalibration<BinaryWithEdge>(53);
  check_recalibration<FloatCloud>(54);
  check_recalibration<FloatEdges>(55);
}

TEST_CASE("trainer: BatchNorm recalibration from a tier on leaves the tiers below as they were") {
  Trainer<BinaryWithEdge> trainer(dropout_options(61));
  train_a_little(trainer);
  const auto calibration = random_batch<BinaryWithEdge>(300, 62, 2);
  const auto test = random_batch<BinaryWithEdge>(200, 63, 3);
  const auto devices = simulated_logits(trainer, test, 0);
  const auto edges = simulated_logits(trainer, test, 1);
  const auto cloud = simulated_logits(trainer, test, 2);
  trainer.recalibrate_batchnorm(calibration.inputs, calibration.presence, 1);
  CHECK(simulated_logits(trainer, test, 0) == devices);
  CHECK(simulated_logits(trainer, test, 1) != edges);
  CHECK(simulated_logits(trainer, test, 2) != cloud);
}

TEST_CASE("trainer: an absent node's inputs shape nothing in BatchNorm recalibration") {
  auto run = [](bool scramble) {
    Trainer<BinaryWithEdge> trainer(dropout_options(71));
    train_a_little(trainer);
    auto calibration = random_batch<BinaryWithEdge>(300, 72, 2);
    ddnn::detail::random_stream r(73);
    std::size_t scrambled = 0;
    for (std::size_t i = 0; i < calibration.inputs.size(); ++i)
      for (std::size_t d = 0; d < BinaryWithEdge::devices; ++d)
        if (scramble && !calibration.presence[i][d]) {
          ++scrambled;
          for (auto& v : calibration.inputs[i][d].values()) v = std::uint8_t(r.next() % 256);
        }
    CHECK((scrambled > 0) == scramble);
    trainer.recalibrate_batchnorm(calibration.inputs, calibration.presence);
    return simulated_logits(trainer, random_batch<BinaryWithEdge>(100, 74, 0));
  };
  CHECK(run(false) == run(true));
}

TEST_CASE("trainer: BatchNorm recalibration misuse is a ddnn::error and changes nothing") {
  Trainer<FloatMaxConcat> trainer(dropout_options(81));
  train_a_little(trainer);
  auto calibration = random_batch<FloatMaxConcat>(64, 82, 0);
  const auto test = random_batch<FloatMaxConcat>(50, 83, 3);
  const auto before = simulated_logits(trainer, test);
  CHECK_THROWS_AS(trainer.recalibrate_batchnorm(calibration.inputs, calibration.presence, 2),
                  error);
  CHECK_THROWS_AS(
      trainer.recalibrate_batchnorm(calibration.inputs, std::span(calibration.presence).first(63)),
      error);
  CHECK_THROWS_AS(trainer.recalibrate_batchnorm({}, {}), error);
  // a device absent from every sample has nothing to measure its statistics on
  std::vector<Presence> without_device_1(calibration.presence);
  for (Presence& p : without_device_1) p.set(1, false);
  CHECK_THROWS_WITH_AS(trainer.recalibrate_batchnorm(calibration.inputs, without_device_1),
                       doctest::Contains("fewer than 2 rows"), error);
  CHECK(simulated_logits(trainer, test) == before);
  // a value that is not finite, met after the first chunk's statistics were already recorded
  auto nan_inputs = random_batch<FloatMaxConcat>(600, 84, 0);
  nan_inputs.inputs[590][2].values()[3] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS(trainer.recalibrate_batchnorm(nan_inputs.inputs, nan_inputs.presence),
                       doctest::Contains("not finite"), error);
  CHECK(simulated_logits(trainer, test) == before);
  // and the trainer still recalibrates afterwards
  trainer.recalibrate_batchnorm(calibration.inputs, calibration.presence);
  CHECK(simulated_logits(trainer, test) != before);
}

TEST_CASE("trainer: learns a separable task and exports a working graph") {
  // Class = which device sees the brightest input: only the devices' joint view can tell.
  using Graph = BinaryMaxConcat;
  TrainOptions o;
  o.adam.learning_rate = 3e-3;
  Trainer<Graph> trainer(o);
  auto make = [](std::size_t n, std::uint64_t seed) {
    Batch<Graph> b = random_batch<Graph>(n, seed, 0);
    ddnn::detail::random_stream r(seed + 99);
    for (std::size_t i = 0; i < n; ++i) {
      b.labels[i] = std::uint8_t(r.next() % 3);
      for (std::size_t d = 0; d < Graph::devices; ++d)
        for (auto& v : b.inputs[i][d].values())
          v = std::uint8_t(d == b.labels[i] ? 200 + r.next() % 56 : r.next() % 100);
    }
    return b;
  };
  double first = 0.0, last = 0.0;
  for (std::uint64_t s = 0; s < 60; ++s) {
    const auto b = make(32, s);
    const double loss = trainer.step(b.inputs, b.labels, b.presence).loss;
    if (s == 0) first = loss;
    last = loss;
  }
  CHECK(last < 0.5 * first);
  const auto test = make(200, 1000);
  const auto sim = trainer.simulate(test.inputs, test.presence);
  std::size_t correct = 0;
  for (std::size_t i = 0; i < sim.size(); ++i)
    correct += sim[i].tiers[1].predicted == test.labels[i];
  CHECK(correct >= 180);
  CHECK(compare_with_inference(trainer, test) == 0);
}

TEST_CASE("trainer: misuse is a ddnn::error") {
  using Graph = BinaryMaxConcat;
  auto with = [](auto change) {
    TrainOptions o;
    change(o);
    return o;
  };
  CHECK_THROWS_AS(Trainer<Graph>(with([](TrainOptions& o) { o.threads = 0; })), error);
  CHECK_THROWS_AS(Trainer<Graph>(with([](TrainOptions& o) { o.device_dropout = 1.0; })), error);
  CHECK_THROWS_AS(Trainer<Graph>(with([](TrainOptions& o) { o.device_dropout = -0.1; })), error);
  CHECK_THROWS_AS(Trainer<Graph>(with([](TrainOptions& o) { o.dropout = 1.0; })), error);
  CHECK_THROWS_AS(Trainer<Graph>(with([](TrainOptions& o) { o.dropout = NAN; })), error);
  CHECK_THROWS_AS(Trainer<Graph>(with([](TrainOptions& o) { o.exit_weights = {1.0}; })), error);
  CHECK_THROWS_AS(Trainer<Graph>(with([](TrainOptions& o) { o.logits_link = LogitsEncoding(7); })),
                  error);
  CHECK_THROWS_AS(Trainer<Graph>(with([](TrainOptions& o) {
                    o.exit_weights = {1.0, NAN};
                  })),
                  error);
  CHECK_THROWS_AS(Trainer<Graph>(with([](TrainOptions& o) { o.node_exit_weight = -1.0; })), error);
  CHECK_THROWS_AS(Trainer<Graph>(with([](TrainOptions& o) { o.distillation_weight = -0.5; })),
                  error);
  CHECK_THROWS_AS(Trainer<Graph>(with([](TrainOptions& o) { o.distillation_weight = NAN; })),
                  error);
  CHECK_THROWS_AS(Trainer<Graph>(with([](TrainOptions& o) { o.distillation_temperature = 0.0; })),
                  error);
  CHECK_THROWS_AS(
      Trainer<Graph>(with([](TrainOptions& o) { o.distillation_temperature = INFINITY; })), error);
  CHECK_THROWS_AS(Trainer<Graph>(with([](TrainOptions& o) { o.adam.learning_rate = 0.0; })), error);

  Trainer<Graph> t;
  auto b = random_batch<Graph>(8, 1, 0);
  const auto before = all_values(t);
  std::vector<std::uint8_t> bad_labels = b.labels;
  bad_labels[3] = 3;
  CHECK_THROWS_WITH_AS(t.step(b.inputs, bad_labels, b.presence),
                       doctest::Contains("label 3 of sample 3"), error);
  CHECK_THROWS_AS(t.step(std::span(b.inputs).first(7), b.labels, b.presence), error);
  CHECK_THROWS_AS(t.step({}, {}, {}), error);
  auto bad_presence = b.presence;
  bad_presence[0] = Presence(1u << 6);
  CHECK_THROWS_AS(t.step(b.inputs, b.labels, bad_presence), error);
  CHECK_THROWS_AS((void)t.simulate(b.inputs, std::span(b.presence).first(3)), error);
  CHECK_THROWS_AS(t.set_learning_rate(-1.0), error);
  CHECK_THROWS_AS(t.set_threshold<0>(1.5), error);
  CHECK(all_values(t) == before);  // nothing changed
  CHECK(t.steps() == 0);
}
