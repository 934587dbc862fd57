// What the benchmark cases and the summary table share: the shapes' names, their
// multiply-accumulate counts, and the functions that register each family of cases.
#pragma once
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

void register_binary_cases();
#if defined(DDNN_BENCH_HAVE_ONEDNN)
/// Pins oneDNN to one thread; returns a line saying how (or why not).
std::string pin_onednn_to_one_thread();
void register_onednn_cases();
#endif

}  // namespace bench
