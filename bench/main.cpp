// ddnn_bench: runs every case with Google Benchmark's console output, then prints a markdown
// summary of this run: per shape one row per ISA and one for oneDNN, and the ratios the project
// is judged on, each marked PASS or MISS; then whole-sample DDNN inference per topology, ISA and
// exit mode against its layers alone, with the graph's overhead marked PASS or FAIL.
//
//   ddnn_bench [--quick] [Google Benchmark flags...]
//
// Defaults: --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
// --benchmark_report_aggregates_only=true (flags given on the command line win). --quick: one short
// repetition of each case (a smoke test of a few seconds).
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>
#include <unistd.h>

#include "cases.hpp"
#include "ddnn/kernels/dispatch.hpp"

namespace {

/// One case's result: the median when repetitions were aggregated, else the single run.
struct result {
  double seconds = 0;                      ///< CPU time per iteration
  double binops = 0;                       ///< multiply-accumulates per second
  std::map<std::string, double> counters;  ///< every counter of the case
  bool is_median = false;
  long long repetitions = 1;
};

/// The console reporter, also keeping each case's result for the summary.
class collecting_reporter : public benchmark::ConsoleReporter {
 public:
  explicit collecting_reporter(OutputOptions options) : ConsoleReporter(options) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type == Run::RT_Aggregate && !median) continue;
      result& r = results[run.run_name.function_name];
      if (r.is_median && !median) continue;  // a median, once in, stays
      r.seconds = run.GetAdjustedCPUTime() / benchmark::GetTimeUnitMultiplier(run.time_unit);
      const auto counter = run.counters.find("binops");
      r.binops = counter == run.counters.end() ? 0.0 : double(counter->second);
      for (const auto& [name, counter] : run.counters) r.counters[name] = double(counter);
      r.is_median = median;
      r.repetitions = static_cast<long long>(run.repetitions);
    }
    ConsoleReporter::ReportRuns(runs);
  }

  std::map<std::string, result> results;
};

// ---- the summary -------------------------------------------------------------------------------

std::string format(const char* fmt, double value) {
  char text[64];
  std::snprintf(text, sizeof text, fmt, value);
  return text;
}

std::string format_time(double seconds) {
  if (seconds < 1e-6) return format("%.1f ns", seconds * 1e9);
  if (seconds < 1e-3) return format("%.2f us", seconds * 1e6);
  return format("%.3f ms", seconds * 1e3);
}

std::string format_rate(double per_second) {
  if (per_second >= 1e9) return format("%.2f G/s", per_second / 1e9);
  return format("%.1f M/s", per_second / 1e6);
}

/// "5.21x PASS" for ratio >= target (or > target when `strict`), "n/a" when a side is missing.
std::string verdict(double ratio, double target, bool strict, bool percent) {
  if (!(ratio > 0)) return "n/a";
  const bool pass = strict ? ratio > target : ratio >= target;
  return (percent ? format("%.0f%%", ratio * 100) : format("%.2fx", ratio)) +
         (pass ? " PASS" : " MISS");
}

class summary {
 public:
  explicit summary(const std::map<std::string, result>& results) : results_(results) {}

  void print() const {
    std::printf("\n## ddnn_bench summary (CPU time per iteration, %s; one thread)\n",
                mode().c_str());
    for (const bench::shape_info* shape : {&bench::conv3x3, &bench::dense, &bench::first_layer})
      print_shape(*shape);
    print_ceiling();
    print_targets();
    print_graph();
  }

 private:
  const result* find(const std::string& name) const {
    const auto it = results_.find(name);
    return it == results_.end() ? nullptr : &it->second;
  }
  /// binops of `a` over binops of `b` (= speed ratio for equal work); 0 when either is missing.
  double ratio(const std::string& a, const std::string& b) const {
    const result *ra = find(a), *rb = find(b);
    return ra && rb && rb->binops > 0 ? ra->binops / rb->binops : 0.0;
  }
  static std::string isa_label(ddnn::isa_id isa) {
    return std::string(ddnn::name(isa)) + (isa == ddnn::best_isa() ? " (default)" : "");
  }

  std::string mode() const {
    for (const auto& [name, r] : results_)
      if (r.is_median) return "median of " + std::to_string(r.repetitions) + " repetitions";
    return "single repetition";
  }

  void print_row(const std::string& label, const std::string& name,
                 const std::string& baseline) const {
    const result* r = find(name);
    if (!r) {
      std::printf("| %s | not run | | |\n", label.c_str());
      return;
    }
    const double speedup = ratio(name, baseline);
    std::printf("| %s | %s | %s | %s |\n", label.c_str(), format_time(r->seconds).c_str(),
                format_rate(r->binops).c_str(),
                speedup > 0 ? format("%.2fx", speedup).c_str() : "n/a");
  }

  void print_shape(const bench::shape_info& shape) const {
    const std::string baseline = bench::onednn_case(shape);
    std::printf("\n### %s (%.0f MACs per pass)\n\n", shape.name, shape.macs);
    std::printf(
        "| implementation | time/iter | binops | vs float_onednn |\n|---|---:|---:|---:|\n");
    for (ddnn::isa_id isa : ddnn::available_isas())
      print_row("binary/" + isa_label(isa), bench::binary_case(shape, std::string(ddnn::name(isa))),
                baseline);
#if defined(DDNN_BENCH_HAVE_ONEDNN)
    print_row("float_onednn", baseline, baseline);
#else
    std::printf("| float_onednn | not built (oneDNN not found) | | |\n");
#endif
  }

  void print_ceiling() const {
    std::printf("\n### %s (register-resident XNOR-popcount, no loads)\n\n", bench::ceiling_name);
    std::printf("| isa | time/iter | binops |\n|---|---:|---:|\n");
    for (ddnn::isa_id isa : ddnn::available_isas()) {
      const result* r = find(std::string(bench::ceiling_name) + "/" + std::string(ddnn::name(isa)));
      if (r)
        std::printf("| %s | %s | %s |\n", isa_label(isa).c_str(), format_time(r->seconds).c_str(),
                    format_rate(r->binops).c_str());
      else
        std::printf("| %s | not run | |\n", isa_label(isa).c_str());
    }
  }

  void print_targets() const {
    std::printf("\n### Targets (ratios within this run)\n\n");
    std::printf(
        "| isa | conv3x3 vs float_onednn (>= 4x) | conv3x3 %% of popcount_ceiling (>= 60%%) "
        "| dense vs float_onednn (>= 4x) | first layer vs float_onednn (> 1x) |\n");
    std::printf("|---|---:|---:|---:|---:|\n");
    for (ddnn::isa_id isa : ddnn::available_isas()) {
      const std::string n(ddnn::name(isa));
      const std::string ceiling = std::string(bench::ceiling_name) + "/" + n;
      std::printf(
          "| %s | %s | %s | %s | %s |\n", isa_label(isa).c_str(),
          verdict(ratio(bench::binary_case(bench::conv3x3, n), bench::onednn_case(bench::conv3x3)),
                  4.0, false, false)
              .c_str(),
          verdict(ratio(bench::binary_case(bench::conv3x3, n), ceiling), 0.60, false, true).c_str(),
          verdict(ratio(bench::binary_case(bench::dense, n), bench::onednn_case(bench::dense)), 4.0,
                  false, false)
              .c_str(),
          verdict(ratio(bench::binary_case(bench::first_layer, n),
                        bench::onednn_case(bench::first_layer)),
                  1.0, true, false)
              .c_str());
    }
    std::printf(
        "\nThe project is judged on the (default) row: the ISA layers choose on this CPU.\n");
  }

  /// A counter of a case; 0 when the case or the counter is missing.
  double counter(const std::string& name, const char* counter) const {
    const result* r = find(name);
    if (!r) return 0.0;
    const auto it = r->counters.find(counter);
    return it == r->counters.end() ? 0.0 : it->second;
  }
  /// CPU time per sample of a graph case (a batch case runs many per iteration); 0 when not run.
  double per_sample(const std::string& name) const {
    const double rate = counter(name, bench::samples_per_second);
    return rate > 0 ? 1.0 / rate : 0.0;
  }
  static std::string format_samples(double seconds) {
    return seconds > 0 ? format_time(seconds) + " (" + format("%.0f/s", 1.0 / seconds) + ")"
                       : "not run";
  }
  /// "4.2% PASS (68.1 vs 65.3 us)" from the paired case's counters; "not run" without them.
  std::string overhead(const std::string& paired, const char* graph_seconds,
                       const char* ratio) const {
    if (!find(paired)) return "not run";
    const double graph = counter(paired, graph_seconds);
    const double layers = counter(paired, bench::layers_seconds), o = counter(paired, ratio);
    if (!(graph > 0 && layers > 0)) return "n/a";
    return format("%.1f%%", o * 100) + (o < bench::graph_overhead_limit ? " PASS" : " FAIL") +
           " (" + format("%.1f", graph * 1e6) + " vs " + format("%.1f us)", layers * 1e6);
  }

  void print_graph() const {
    std::printf(
        "\n### Whole-sample inference (MVMC scale: 6 devices of 32x32x3, CPU time per sample)\n\n"
        "paper_b: devices -> local Max exit -> Concat -> cloud; paper_c: devices -> local Max exit "
        "-> Concat -> edge (conv + exit) -> cloud. all_local: every sample exits at the devices "
        "(checked); none_local: every sample reaches the cloud (checked). Every case cycles "
        "through the same %zu random samples; infer_batch takes all %zu per call.\n\n"
        "Layers only: each layer's and exit head's forward() into preallocated outputs, same "
        "parameters, same samples, same answers (checked). Charged to the graph as its overhead: "
        "combining the exit logits (Max), the exit decision (entropy), the Concat of feature maps, "
        "messages and tensors returned by value, byte accounting, the result. Overhead = (graph - "
        "layers) / layers, measured paired (%s cases: graph and layers timed alternately within "
        "each iteration, median of the per-iteration ratios), with those paired per-sample times "
        "in brackets; the first three columns are the separate cases.\n\n",
        bench::graph_batch, bench::graph_batch, bench::overhead_family);
    std::printf(
        "| topology | isa | exits | infer | infer_batch | layers only | infer overhead (< %.0f%%) "
        "| infer_batch overhead (< %.0f%%) |\n|---|---|---|---:|---:|---:|---:|---:|\n",
        bench::graph_overhead_limit * 100, bench::graph_overhead_limit * 100);
    for (const char* topology : bench::graph_topologies)
      for (ddnn::isa_id isa : ddnn::available_isas())
        for (const char* mode : bench::exit_modes) {
          const std::string n(ddnn::name(isa));
          const auto name = [&](const char* family) {
            return bench::graph_case(family, topology, n, mode);
          };
          std::printf(
              "| %s | %s | %s | %s | %s | %s | %s | %s |\n", topology, isa_label(isa).c_str(), mode,
              format_samples(per_sample(name(bench::sample_family))).c_str(),
              format_samples(per_sample(name(bench::batch_family))).c_str(),
              format_samples(per_sample(name(bench::layers_family))).c_str(),
              overhead(name(bench::overhead_family), bench::infer_seconds, bench::infer_overhead)
                  .c_str(),
              overhead(name(bench::overhead_family), bench::batch_seconds, bench::batch_overhead)
                  .c_str());
        }
  }

  const std::map<std::string, result>& results_;
};

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

int main(int argc, char** argv) {
  // Our defaults first, so that the same flags given on the command line (parsed later) win.
  bool quick = false, user_aggregates = false;
  std::vector<std::string> user_args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--quick") {
      quick = true;
      continue;
    }
    if (starts_with(arg, "--benchmark_report_aggregates_only") ||
        starts_with(arg, "--benchmark_display_aggregates_only"))
      user_aggregates = true;
    user_args.emplace_back(arg);
  }
  std::vector<std::string> args{argv[0]};
  if (quick) {
    args.emplace_back("--benchmark_min_time=0.05");
    args.emplace_back("--benchmark_repetitions=1");
  } else {
    args.emplace_back("--benchmark_repetitions=5");
    // Repetitions of all cases in random order, so that drift on a shared machine hits the binary
    // cases and their baselines alike and the ratios stay fair.
    args.emplace_back("--benchmark_enable_random_interleaving=true");
    if (!user_aggregates) args.emplace_back("--benchmark_report_aggregates_only=true");
  }
  args.insert(args.end(), user_args.begin(), user_args.end());
  std::vector<char*> arg_pointers;
  for (auto& a : args) arg_pointers.push_back(a.data());
  int new_argc = static_cast<int>(arg_pointers.size());
  arg_pointers.push_back(nullptr);

  benchmark::Initialize(&new_argc, arg_pointers.data());
  if (benchmark::ReportUnrecognizedArguments(new_argc, arg_pointers.data())) return 1;

  std::string isas;
  for (ddnn::isa_id isa : ddnn::available_isas()) isas.append(" ").append(ddnn::name(isa));
  std::printf("ddnn ISAs available:%s (default: %s)\n", isas.c_str(),
              std::string(ddnn::name(ddnn::best_isa())).c_str());
  bench::register_binary_cases();
  bench::register_graph_cases(quick);
  bench::register_io_cases(quick);
  bench::register_runtime_cases(quick);
  bench::register_batch_cases(quick);
#if defined(DDNN_BENCH_HAVE_ONEDNN)
  std::printf("%s\n", bench::pin_onednn_to_one_thread().c_str());
  bench::register_onednn_cases();
#else
  std::printf("oneDNN not found at configure time: float_onednn baselines are not built\n");
#endif
  std::fflush(stdout);

  collecting_reporter reporter(isatty(fileno(stdout)) ? benchmark::ConsoleReporter::OO_Color
                                                      : benchmark::ConsoleReporter::OO_None);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  summary(reporter.results).print();
  return 0;
}
