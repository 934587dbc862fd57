// The distributed runtime's cost in-process: the main job's network shape (six 10x14 tiles, two
// binary device layers with a Max local exit, a float 512-unit cloud) deployed on the
// deterministic InProcessNetwork (6 Device roles, a LocalAggregator, 2 cloud Workers, no faults),
// against DDNN::infer on the same samples:
//
//   ddnn_runtime/in_process/<mode>   a batch of samples ticked and answered per iteration;
//                                    counters: samples/s, per sample, and overhead_vs_infer (the
//                                    runtime's time per sample over infer's on the same samples)
//
// Modes as the graph cases: all_local (threshold 1: every sample answers at the devices) and
// none_local (threshold 0: every sample goes through feature requests and the cloud). The time is
// the runtime's own work: envelopes, encoding and decoding, routing, deadlines, bookkeeping.
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cases.hpp"
#include "ddnn/ddnn.hpp"
#include "ddnn/runtime/aggregator.hpp"
#include "ddnn/runtime/device.hpp"
#include "ddnn/runtime/in_process.hpp"
#include "ddnn/runtime/worker.hpp"
#include "main_job_shape.hpp"

namespace bench {
namespace {

using namespace ddnn;
using G = main_job_shape;
constexpr std::size_t batch = 256;
constexpr std::uint64_t model = 42;

struct Deployment {
  G graph;
  std::vector<G::inputs_type> inputs;
  runtime::InProcessNetwork network;
  runtime::Topics topics = runtime::Topics::for_model(model);
  std::vector<std::unique_ptr<runtime::Device<G>>> devices;
  std::unique_ptr<runtime::LocalAggregator<G>> aggregator;
  std::vector<std::unique_ptr<runtime::Worker<G>>> workers;
  std::uint64_t next = 0, answered = 0;

  explicit Deployment(double threshold) : graph(random_parameters<G>(7, threshold)) {
    std::mt19937 rng(3);
    inputs.resize(batch);
    for (auto& sample : inputs)
      for (auto& tile : sample)
        for (auto& v : tile.values()) v = std::uint8_t(rng());
    for (std::size_t d = 0; d < G::devices; ++d) {
      devices.push_back(std::make_unique<runtime::Device<G>>(
          graph, model, d, topics, runtime::Device<G>::Options{},
          [this, d](std::uint64_t s) -> std::optional<G::input_type> {
            return inputs[s % batch][d];
          }));
      network.add(*devices.back());
    }
    aggregator = std::make_unique<runtime::LocalAggregator<G>>(
        graph, model, topics, runtime::AggregatorOptions{},
        [this](std::uint64_t, const runtime::answer_t<G>&, const runtime::Provenance&) {
          ++answered;
        });
    network.add(*aggregator);
    for (std::size_t w = 0; w < 2; ++w) {
      workers.push_back(std::make_unique<runtime::Worker<G>>(graph, model, topics, w));
      network.add(*workers.back());
    }
  }
  /// Ticks `batch` new samples, one every 100 virtual microseconds, and runs until all answered.
  void run_batch() {
    for (std::size_t i = 0; i < batch; ++i) {
      network.run_until(network.now() + std::chrono::microseconds(100));
      network.publish(runtime::message_to(topics.tick(), runtime::encode_tick({next++, 0})));
    }
    network.run_until_idle(network.now() + std::chrono::seconds(10));
  }
  double infer_seconds_per_sample() {
    double best = 1e9;
    for (int r = 0; r < 5; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      for (const auto& sample : inputs) {
        const auto result = graph.infer(sample, Presence::all(G::devices));
        benchmark::DoNotOptimize(result.predicted);
      }
      best = std::min(best,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best / double(batch);
  }
};

void bm_in_process(benchmark::State& state, double threshold) {
  try {
    Deployment d(threshold);
    const double infer = d.infer_seconds_per_sample();
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t samples = 0;
    for (auto _ : state) {
      d.run_batch();
      samples += batch;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (d.answered != samples) state.SkipWithError("a sample was not answered");
    state.counters[samples_per_second] =
        benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["per_sample"] = benchmark::Counter(
        double(batch), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
    state.counters["overhead_vs_infer"] = (seconds / double(samples)) / infer;
  } catch (const ddnn::error& e) {
    state.SkipWithError(e.what());
  }
}

}  // namespace

void register_runtime_cases(bool quick) {
  for (auto [name, threshold] : {std::pair{"all_local", 1.0}, std::pair{"none_local", 0.0}}) {
    auto* b = benchmark::RegisterBenchmark(("ddnn_runtime/in_process/" + std::string(name)).c_str(),
                                           bm_in_process, threshold);
    common_settings(b);
    if (quick) b->Iterations(1);
  }
}

}  // namespace bench
