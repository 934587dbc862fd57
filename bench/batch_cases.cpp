// Batched inference on the main job's network shape (random parameters, random 8-bit tiles):
//
//   ddnn_batch_mnist/<mode>/batch:<B>/threads:<t>   DDNN::infer_batch on B samples per iteration
//
// Modes: cloud_all (threshold 0: every sample goes through the float cloud), half_local (the
// threshold is the median of the samples' local-exit measures: half of them exit at the devices)
// and all_local (threshold 1). Counters: samples/s and time per sample. Times are wall time: with
// 2 threads the calling thread's CPU time would not count the other thread's work.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cases.hpp"
#include "main_job_shape.hpp"

namespace bench {
namespace {

using G = main_job_shape;
constexpr std::size_t pool_size = 2048;

enum class batch_mode { cloud_all, half_local, all_local };

/// The graph with its threshold set for a mode, and pool_size samples.
struct BatchWorkload {
  G graph;
  std::vector<G::inputs_type> samples;
  std::vector<ddnn::Presence> present;

  explicit BatchWorkload(batch_mode mode)
      : graph(ddnn::random_parameters<G>(11, mode == batch_mode::cloud_all ? 0.0 : 1.0)),
        present(pool_size, ddnn::Presence::all(G::devices)) {
    std::mt19937 rng(5);
    samples.resize(pool_size);
    for (auto& sample : samples)
      for (auto& tile : sample)
        for (auto& v : tile.values()) v = std::uint8_t(rng());
    if (mode != batch_mode::half_local) return;
    std::vector<double> measures;
    for (const auto& s : samples) measures.push_back(graph.infer(s, present[0]).measure);
    std::nth_element(measures.begin(), measures.begin() + pool_size / 2, measures.end());
    graph.set_threshold<0>(measures[pool_size / 2]);
    std::size_t local = 0;
    for (const auto& r : graph.infer_batch(samples, present)) local += r.exit_tier == 0;
    if (local < pool_size * 2 / 5 || local > pool_size * 3 / 5)
      ddnn::detail::fail("half_local: " + std::to_string(local) + " of " +
                         std::to_string(pool_size) + " samples exit locally");
  }
};

BatchWorkload& workload(batch_mode mode) {
  static std::unique_ptr<BatchWorkload> cache[3];
  auto& w = cache[static_cast<int>(mode)];
  if (!w) w = std::make_unique<BatchWorkload>(mode);
  return *w;
}

void bm_batch_mnist(benchmark::State& state, batch_mode mode, std::size_t batch,
                    std::size_t threads) {
  try {
    BatchWorkload& w = workload(mode);
    std::size_t first = 0;
    for (auto _ : state) {
      const auto results = w.graph.infer_batch(std::span(w.samples).subspan(first, batch),
                                               std::span(w.present).subspan(first, batch), threads);
      benchmark::DoNotOptimize(results.data());
      first = (first + batch) % pool_size;
    }
    state.counters[samples_per_second] =
        benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["per_sample"] = benchmark::Counter(
        double(batch), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  } catch (const ddnn::error& e) {
    state.SkipWithError(e.what());
  }
}

}  // namespace

void register_batch_cases(bool quick) {
  static_assert(pool_size % 256 == 0, "every batch size divides the pool");
  for (auto [name, mode] : {std::pair{"cloud_all", batch_mode::cloud_all},
                            std::pair{"half_local", batch_mode::half_local},
                            std::pair{"all_local", batch_mode::all_local}})
    for (const std::size_t batch : {1, 8, 64, 256})
      for (const std::size_t threads : {1, 2}) {
        if (threads > 1 && batch < 2 * G::min_share) continue;  // one share: one thread
        const std::string case_name = "ddnn_batch_mnist/" + std::string(name) +
                                      "/batch:" + std::to_string(batch) +
                                      "/threads:" + std::to_string(threads);
        auto* b =
            benchmark::RegisterBenchmark(case_name.c_str(), bm_batch_mnist, mode, batch, threads);
        common_settings(b);
        b->UseRealTime();
        if (quick) b->Iterations(1);
      }
}

}  // namespace bench
