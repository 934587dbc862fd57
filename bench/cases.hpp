// What the benchmark cases and the summary table share: the shapes' names, their
// multiply-accumulate counts, and the functions that register each family of cases.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include <benchmark/benchmark.h>

namespace bench {

/// One benchmarked shape: its name prefix and multiply-accumulates per forward pass.
struct shape_info {
  const char* name;
  double macs;
};

inline constexpr shape_info conv3x3{"conv3x3_64x16x16", 16.0 * 16 * 64 * 64 * 9};
inline constexpr shape_info dense{"dense_1024x256", 1024.0 * 256};
inline constexpr shape_info first_layer{"first_3x32x32_f4", 32.0 * 32 * 4 * 27};
/// The main job's device layer: a 10x14 MNIST tile, 16 filters, no pooling (rows narrower than
/// one AVX-512 vector of 16-bit sums).
inline constexpr shape_info first_tile{"first_1x10x14_f16", 10.0 * 14 * 16 * 9};
inline constexpr const char* ceiling_name = "popcount_ceiling";

/// Name of the float baseline of a shape.
inline std::string onednn_case(const shape_info& s) {
  return std::string(s.name) + "/float_onednn";
}
/// Name of the binary case of a shape for one ISA.
inline std::string binary_case(const shape_info& s, const std::string& isa) {
  return std::string(s.name) + "/binary/" + isa;
}

/// Every case reports `binops`: multiply-accumulates per second (per-iteration count, as a rate).
inline void set_binops(benchmark::State& state, double per_iteration) {
  state.counters["binops"] =
      benchmark::Counter(per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}

/// Settings every case shares. Times (and so the binops rates) are CPU time, Google Benchmark's
/// default: every case runs on this one thread (oneDNN is pinned to one), and on a shared machine
/// CPU time does not count the time other processes hold the core, which wall time does.
inline void common_settings(benchmark::internal::Benchmark* b) { b->Unit(benchmark::kMicrosecond); }

// ---- whole-sample inference through the DDNN graph (graph_cases.cpp) ----------------------------

/// The topologies: (b) devices -> cloud, (c) devices -> edge -> cloud, at the paper's MVMC scale.
inline constexpr const char* graph_topologies[] = {"paper_b", "paper_c"};
/// all_local: every sample exits at the devices; none_local: every sample reaches the cloud.
inline constexpr const char* exit_modes[] = {"all_local", "none_local"};
/// The case families: DDNN::infer per sample, DDNN::infer_batch, the same layers without the graph.
inline constexpr const char* sample_family = "ddnn_sample";
inline constexpr const char* batch_family = "ddnn_batch";
inline constexpr const char* layers_family = "ddnn_layers";
/// The overhead measured paired: graph and layers timed alternately within each iteration.
inline constexpr const char* overhead_family = "ddnn_overhead";
/// Its counters: seconds per sample of infer, infer_batch and the layers alone, and the
/// overheads (graph - layers) / layers of infer and of infer_batch.
inline constexpr const char* infer_seconds = "infer_s";
inline constexpr const char* batch_seconds = "batch_s";
inline constexpr const char* layers_seconds = "layers_s";
inline constexpr const char* infer_overhead = "infer_overhead";
inline constexpr const char* batch_overhead = "batch_overhead";
/// Every graph case but ddnn_overhead: whole samples per second (the rate of CPU time).
inline constexpr const char* samples_per_second = "samples_per_s";
/// Random samples per workload, and the infer_batch batch size.
inline constexpr std::size_t graph_batch = 64;
/// The graph's overhead over its layers must stay under this fraction.
inline constexpr double graph_overhead_limit = 0.10;

/// "ddnn_sample/paper_b/avx2/all_local".
inline std::string graph_case(const std::string& family, const std::string& topology,
                              const std::string& isa, const std::string& mode) {
  return family + "/" + topology + "/" + isa + "/" + mode;
}

void register_binary_cases();
/// Registers json_parse/small_objects/<size> and json_parse/model_file (io_cases.cpp).
void register_io_cases(bool quick);
void register_runtime_cases(bool quick);
/// Registers ddnn_batch_mnist/<mode>/batch:<B>/threads:<t> (batch_cases.cpp).
void register_batch_cases(bool quick);
/// Registers the ddnn_sample, ddnn_batch, ddnn_layers and ddnn_overhead cases; `quick`: a few
/// fixed iterations each.
void register_graph_cases(bool quick);
#if defined(DDNN_BENCH_HAVE_ONEDNN)
/// Pins oneDNN to one thread; returns a line saying how (or why not).
std::string pin_onednn_to_one_thread();
void register_onednn_cases();
#endif

}  // namespace bench
