// mnist_ddnn: the project's main job. Trains the paper-style DDNN on MNIST split over six
// devices, exports it to the packed model (and a model file), checks packed inference against
// the training-time simulation, and reproduces the DDNN paper's experiments: the threshold sweep,
// devices added one by one, missing devices, and with --full the aggregation schemes and the
// number of device filters. Prints markdown tables, writes results/mnist_ddnn.json and plots.
//
//   mnist_ddnn [--view tiles|views] [--cloud float|binary] [--epochs N] [--quick] [--full]
//              [--seed S] [--threads N] [--data DIR] [--results DIR] [--seeds N]
//              [--batch N] [--lr R] [--warmup F] [--dropout P] [--float-dropout P]
//              [--node-weight W] [--shift N] [--logits int8|float32]
//
// The experiments here are plain code; the graph types they measure are instantiated per view
// and cloud in view_<view>_<cloud>.cpp, and --full's in retrained_<view>_<cloud>.cpp
// (view_job.hpp), which a build compiles in parallel.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ddnn/io/atomic_file.hpp"
#include "format.hpp"
#include "markdown.hpp"
#include "plots.hpp"
#include "progress.hpp"
#include "view_job.hpp"

namespace mnist_ddnn {
namespace {

using nlohmann::json;

void usage(std::ostream& out) {
  out << "usage: mnist_ddnn [--view tiles|views] [--cloud float|binary] [--epochs N] [--quick]\n"
         "                  [--full] [--seed S] [--threads N] [--data DIR] [--results DIR]\n"
         "                  [--seeds N] [--batch N] [--lr R] [--warmup F] [--dropout P]\n"
         "                  [--float-dropout P] [--node-weight W] [--shift N]\n"
         "                  [--logits int8|float32] [--recalibration N]\n"
         "  --quick   a small run (a few thousand samples, one epoch) for tests\n"
         "  training: --batch samples per step, --lr Adam's peak rate, --warmup the fraction\n"
         "            of steps that ramp it up (then cosine decay), --dropout device dropout,\n"
         "            --float-dropout on the float cloud's inputs (default 0.1), --node-weight "
         "each\n"
         "            device's own exit in the loss, --shift moves each training digit by up\n"
         "            to N pixels (tiles view; default 1), --recalibration N measures the\n"
         "            BatchNorm statistics again after training on N training digits with\n"
         "            all devices or one missing (default 10000; 0 keeps training's)\n"
         "  --logits  how devices send their logits: int8 (an exponent byte and a byte per\n"
         "            class, the default) or float32; the sweep also shows the other way\n"
         "  --seeds N the whole job for N seeds (--seed, --seed + 1, ...), each into\n"
         "            DIR/seed_<s>/, then the mean, min and max of the headline figures\n"
         "            (DIR/mnist_ddnn_seeds.json)\n"
         "  --full    also retrain and compare aggregation schemes and device filter counts\n";
}

Options parse(int argc, char** argv) {
  Options o;
  bool shift_given = false;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) throw std::invalid_argument(std::string(argv[i]) + " needs a value");
    return argv[++i];
  };
  auto number = [&](int& i) {
    const std::string text = value(i);
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(v))
      throw std::invalid_argument(std::string(argv[i - 1]) + ": not a number: " + text);
    return v;
  };
  auto count = [&](int& i) {
    const double v = number(i);
    if (v < 1 || v != std::floor(v) || v > 1e9)
      throw std::invalid_argument(std::string(argv[i - 1]) + " needs a positive integer");
    return std::size_t(v);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--view") {
      o.config.view = value(i);
      if (o.config.view != "tiles" && o.config.view != "views")
        throw std::invalid_argument("--view must be tiles or views");
    } else if (a == "--cloud") {
      const std::string c = value(i);
      if (c != "binary" && c != "float")
        throw std::invalid_argument("--cloud must be binary or float");
      o.config.float_cloud = c == "float";
    } else if (a == "--epochs") {
      o.config.epochs = count(i);
    } else if (a == "--batch") {
      o.config.batch = count(i);
    } else if (a == "--lr") {
      o.config.learning_rate = number(i);
      if (!(o.config.learning_rate > 0.0)) throw std::invalid_argument("--lr must be > 0");
    } else if (a == "--warmup") {
      o.config.warmup = number(i);
      if (!(o.config.warmup >= 0.0 && o.config.warmup < 1.0))
        throw std::invalid_argument("--warmup must lie in [0, 1)");
    } else if (a == "--float-dropout") {
      o.config.float_dropout = number(i);
      if (!(o.config.float_dropout >= 0.0 && o.config.float_dropout < 1.0))
        throw std::invalid_argument("--float-dropout must lie in [0, 1)");
    } else if (a == "--shift") {
      const double v = number(i);
      if (!(v >= 0 && v <= 4 && v == std::floor(v)))
        throw std::invalid_argument("--shift must be a whole number of pixels in [0, 4]");
      o.config.shift = std::size_t(v);
      shift_given = true;
    } else if (a == "--logits") {
      const std::string v = value(i);
      const auto link = ddnn::logits_encoding_named(v);
      if (!link) throw std::invalid_argument("--logits must be int8 or float32, not '" + v + "'");
      o.config.logits_link = *link;
    } else if (a == "--node-weight") {
      o.config.node_exit_weight = number(i);
      if (!(o.config.node_exit_weight >= 0.0))
        throw std::invalid_argument("--node-weight must be >= 0");
    } else if (a == "--recalibration") {
      const double v = number(i);
      if (!(v >= 0 && v == std::floor(v) && v <= 1e9))
        throw std::invalid_argument("--recalibration needs a whole number of samples (0: off)");
      o.config.recalibration_samples = std::size_t(v);
    } else if (a == "--seed") {
      o.config.seed = count(i);
    } else if (a == "--seeds") {
      o.seeds = count(i);
    } else if (a == "--threads") {
      o.config.threads = count(i);
    } else if (a == "--dropout") {
      o.config.device_dropout = number(i);
      if (!(o.config.device_dropout >= 0.0 && o.config.device_dropout < 1.0))
        throw std::invalid_argument("--dropout must lie in [0, 1)");
    } else if (a == "--data") {
      o.data = value(i);
    } else if (a == "--results") {
      o.results = value(i);
    } else if (a == "--quick") {
      o.quick = true;
    } else if (a == "--full") {
      o.full = true;
    } else if (a == "--help" || a == "-h") {
      usage(std::cout);
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown option " + a);
    }
  }
  // The shift moves the digit before the tiles are cut: the default's applies to tiles only.
  if (o.config.view != "tiles") {
    if (shift_given && o.config.shift != 0)
      throw std::invalid_argument("--shift moves the digit of the tiles view only");
    o.config.shift = 0;
  }
  if (o.quick) {
    o.config.train_samples = 3000;
    o.config.validation_samples = 500;
    o.config.test_samples = 1000;
    o.config.epochs = 1;
  }
  return o;
}

std::string pct(double v) { return percent(v, 2); }

json measurement_json(const Measurement& m) {
  return {{"threshold", m.threshold},
          {"overall_accuracy", m.overall_accuracy},
          {"local_accuracy", m.local_accuracy},
          {"cloud_accuracy", m.cloud_accuracy},
          {"local_exit_fraction", m.local_exit_fraction},
          {"local_exit_accuracy", m.local_exit_accuracy},
          {"cloud_exit_accuracy", m.cloud_exit_accuracy},
          {"bytes_per_device_per_sample", m.bytes_per_device},
          {"raw_bytes_per_device_per_sample", m.raw_bytes_per_device}};
}

json merged(json a, const json& b) {
  a.update(b);
  return a;
}

/// "0,1,2" for the devices in `mask`, "none" for none. Appended piece by piece: GCC 12 warns
/// falsely (-Wrestrict) about `"," + std::to_string(d)` where this is inlined.
std::string device_list(std::uint64_t mask) {
  std::string s;
  for (std::size_t d = 0; d < devices; ++d) {
    if (((mask >> d) & 1u) == 0) continue;
    if (!s.empty()) s += ',';
    s += std::to_string(d);
  }
  return s.empty() ? "none" : s;
}

/// One configuration of --full: a table row and its JSON.
void add_comparison_row(const Comparison& r, MarkdownTable& table, json& out) {
  const Measurement& m = r.test;
  table.rows.push_back({r.scheme, std::to_string(r.filters), fixed(m.threshold, 3),
                        pct(m.local_accuracy), pct(m.cloud_accuracy), pct(m.overall_accuracy),
                        pct(m.local_exit_fraction), fixed(m.bytes_per_device, 2),
                        std::to_string(r.device_memory_bytes)});
  out.push_back(merged(measurement_json(m), json{{"scheme", r.scheme},
                                                 {"filters", r.filters},
                                                 {"device_memory_bytes", r.device_memory_bytes},
                                                 {"train_seconds", r.train_seconds}}));
}

/// --full: the aggregation schemes and the device filter counts, retrained on the job's view.
json compare(ViewJob& job) {
  MarkdownTable table{{"scheme", "f", "T", "local acc", "cloud acc", "overall acc", "local exit",
                       "bytes/device", "device memory B"},
                      {}};
  json schemes = json::array(), filters = json::array();
  for (const Comparison& r : job.compare_schemes()) add_comparison_row(r, table, schemes);
  for (const Comparison& r : job.compare_filters()) add_comparison_row(r, table, filters);
  std::cout << "## Retrained: aggregation schemes and device filters (--full)\n\n"
            << table.render() << "\n";
  return {{"schemes", schemes}, {"filters", filters}};
}

}  // namespace

std::unique_ptr<ViewJob> make_view_job(const Options& o) {
  const bool tiles = o.config.view == "tiles", float_cloud = o.config.float_cloud;
#ifdef MNIST_DDNN_EVERY_CONFIGURATION
  if (tiles) return float_cloud ? tiles_float_job(o) : tiles_binary_job(o);
  return float_cloud ? views_float_job(o) : views_binary_job(o);
#else
  if (!tiles) throw not_in_this_build("--view " + o.config.view);
  if (!float_cloud) throw not_in_this_build("--cloud binary");
  if (o.full) throw not_in_this_build("--full");
  return tiles_float_job(o);
#endif
}

namespace {

/// Wall time of each phase of a job, in order: printed at its end and written to its JSON.
class PhaseTimes {
 public:
  /// Ends the phase running since the last lap (or the start) as `name`; returns its seconds.
  double lap(const std::string& name) {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - last_).count();
    phases_.emplace_back(name, seconds);
    last_ = now;
    return seconds;
  }
  /// Splits the last phase: its first `seconds` become `first`, the rest `rest`.
  void split_last(const std::string& first, double seconds, const std::string& rest) {
    const double all = phases_.back().second;
    phases_.back() = {first, std::min(seconds, all)};
    phases_.emplace_back(rest, std::max(0.0, all - seconds));
  }
  [[nodiscard]] json to_json() const {
    json out = json::array();
    for (const auto& [name, seconds] : phases_)
      out.push_back({{"phase", name}, {"seconds", seconds}});
    return out;
  }
  [[nodiscard]] std::string table() const {
    MarkdownTable t{{"phase", "seconds"}, {}};
    double total = 0.0;
    for (const auto& [name, seconds] : phases_) {
      t.rows.push_back({name, fixed(seconds, 1)});
      total += seconds;
    }
    t.rows.push_back({"total", fixed(total, 1)});
    return t.render();
  }

 private:
  std::vector<std::pair<std::string, double>> phases_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

/// Runs `work(progress)` under a progress bar of `steps` steps on standard error.
template <class Work>
auto with_progress(const std::string& label, std::size_t steps, Work&& work) {
  const auto start = std::chrono::steady_clock::now();
  ProgressBar bar(label, steps);
  auto result = work([&](std::size_t done) { bar.update(done); });
  bar.finish(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return result;
}

/// The default job: one model, every experiment on it.
int main_job(const Options& o) {
  const Config& c = o.config;
  const std::string cloud_name = c.float_cloud ? "float" : "binary";
  std::filesystem::create_directories(o.results);
  std::cout << "# DDNN on MNIST (" << c.view << ", " << devices << " devices, " << cloud_name
            << " cloud)\n\n";
  PhaseTimes phases;
  const std::unique_ptr<ViewJob> job = make_view_job(o);
  const DataSizes data = job->load();
  std::cout << "data: " << data.train << " training, " << data.validation << " validation, "
            << data.test << " test samples (loaded in " << fixed(phases.lap("load data"), 1)
            << " s)\n\n";

  job->train();
  phases.lap("train");
  phases.split_last("train", job->train_seconds(),
                    "choose threshold (validation), measure test set");
  const Staged& validation = job->validation();
  const Measurement& base = job->test();
  std::cout << "\ntrained in " << fixed(job->train_seconds(), 1) << " s (" << job->parameter_count()
            << " trained values); threshold T = " << fixed(validation.threshold, 3)
            << " chosen on validation (local exits " << pct(validation.local_exit_fraction)
            << ", accuracy " << pct(validation.overall_accuracy) << ", cost against the cloud "
            << fixed(100.0 * validation.accuracy_cost, 2) << " points, bound "
            << fixed(100.0 * validation.accuracy_cost_bound, 2) << ")\n";
  if (base.disagreements != 0) {
    std::cerr << "error: packed inference and the training-time simulation disagree on "
              << base.disagreements << " test samples\n";
    return 1;
  }
  std::cout << "packed inference agrees with the training-time simulation on all " << base.samples
            << " test samples (answers and exit decisions)\n\n";

  // The model file, with a few test vectors that loading replays.
  const std::filesystem::path model_path = o.results / "mnist_ddnn.model.json";
  job->save_model(model_path);
  std::cout << "model file: " << model_path.string() << " ("
            << std::filesystem::file_size(model_path) << " bytes, reloads and replays)\n\n";
  phases.lap("model file");

  // Every device as a freestanding header for a microcontroller, with the test set's inputs
  // and the library's messages for them (scripts/mcu_devices.sh replays them under qemu).
  const std::filesystem::path devices_dir = o.results / "devices";
  const std::vector<ddnn::exported_device> exported = job->export_devices(devices_dir);
  json exported_json = json::array();
  for (std::size_t d = 0; d < exported.size(); ++d)
    exported_json.push_back({{"header", "device_" + std::to_string(d) + ".hpp"},
                             {"input_bytes", exported[d].input_bytes},
                             {"message_bytes", exported[d].message_bytes},
                             {"scratch_bytes", exported[d].scratch_bytes},
                             {"parameter_bytes", exported[d].parameter_bytes}});
  std::cout << "devices exported for microcontrollers: " << devices_dir.string() << "/device_0.hpp"
            << " .. device_" << exported.size() - 1 << ".hpp (" << exported[0].parameter_bytes
            << " B of parameters, " << exported[0].scratch_bytes << " B of scratch, "
            << exported[0].message_bytes << " B messages; with " << data.test
            << " test inputs and messages each, in " << fixed(phases.lap("export devices"), 1)
            << " s)\n\n";

  MarkdownTable summary{{"metric", "value"}, {}};
  summary.rows = {{"overall accuracy", pct(base.overall_accuracy)},
                  {"local exit fraction", pct(base.local_exit_fraction)},
                  {"local exit accuracy (exited samples)", pct(base.local_exit_accuracy)},
                  {"cloud exit accuracy (samples sent up)", pct(base.cloud_exit_accuracy)},
                  {"local classifier accuracy (all samples)", pct(base.local_accuracy)},
                  {"cloud classifier accuracy (all samples)", pct(base.cloud_accuracy)},
                  {"bytes per device per sample", fixed(base.bytes_per_device, 2)},
                  {"raw bytes per device per sample", fixed(base.raw_bytes_per_device, 0)},
                  {"device memory (packed)", std::to_string(job->device_memory_bytes()) + " B"}};
  std::cout << "## Test set at T = " << fixed(base.threshold, 3) << "\n\n"
            << summary.render() << "\n";

  // Threshold sweep, over the model's logits link.
  json sweep = json::array();
  std::vector<SweepPoint> sweep_points;
  MarkdownTable sweep_table{{"T", "local exit", "local acc", "cloud acc", "overall acc",
                             "bytes/device", "reduction vs raw"},
                            {}};
  const ddnn::LogitsEncoding link = c.logits_link, other_link = link == ddnn::LogitsEncoding::int8
                                                                    ? ddnn::LogitsEncoding::float32
                                                                    : ddnn::LogitsEncoding::int8;
  const std::string link_name(ddnn::name_of(link)), other_name(ddnn::name_of(other_link));
  // The grid, and the validation's T, where the logits links are compared below.
  std::vector<double> thresholds = sweep_thresholds();
  thresholds.push_back(validation.threshold);
  std::sort(thresholds.begin(), thresholds.end());
  thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
  const std::vector<Measurement> swept =
      with_progress("threshold sweep", thresholds.size(),
                    [&](const ViewJob::Progress& p) { return job->sweep(link, thresholds, p); });
  // The same weights over the other logits link at a few of them (one simulation and two packed
  // runs of the test set, as the sweep: view_job_impl.hpp).
  std::vector<double> link_thresholds{0.05, 0.1, 0.2, validation.threshold, 0.4};
  std::sort(link_thresholds.begin(), link_thresholds.end());
  link_thresholds.erase(std::unique(link_thresholds.begin(), link_thresholds.end()),
                        link_thresholds.end());
  const std::vector<Measurement> other = with_progress(
      other_name + " logits", link_thresholds.size(),
      [&](const ViewJob::Progress& p) { return job->sweep(other_link, link_thresholds, p); });
  phases.lap("threshold sweep");
  for (const auto* points : {&swept, &other})
    for (const Measurement& m : *points)
      if (m.disagreements != 0) {
        std::cerr << "error: packed inference and the training-time simulation disagree on "
                  << m.disagreements << " test samples at T = " << m.threshold << "\n";
        return 1;
      }
  {
    // The sweep is derived from two packed runs (measure_thresholds); at the validation's T it
    // must give what the packed run at that T gave, figure for figure.
    const auto at = std::find(thresholds.begin(), thresholds.end(), validation.threshold);
    if (at == thresholds.end() || swept[std::size_t(at - thresholds.begin())] != base) {
      std::cerr << "error: the threshold sweep at T = " << validation.threshold
                << " differs from the packed run of the test set at that T\n";
      return 1;
    }
  }
  for (std::size_t i = 0; i < thresholds.size(); ++i) {
    const double t = thresholds[i];
    const Measurement& m = swept[i];
    sweep.push_back(measurement_json(m));
    sweep_points.push_back(
        {t, m.local_exit_fraction, m.local_accuracy, m.cloud_accuracy, m.overall_accuracy});
    sweep_table.rows.push_back({fixed(t, 3), pct(m.local_exit_fraction), pct(m.local_accuracy),
                                pct(m.cloud_accuracy), pct(m.overall_accuracy),
                                fixed(m.bytes_per_device, 2),
                                fixed(m.raw_bytes_per_device / m.bytes_per_device, 2) + "x"});
  }
  std::cout << "## Threshold sweep (test set, " << link_name << " logits)\n\n"
            << sweep_table.render() << "\n";
  MarkdownTable link_table{
      {"T", "overall acc (" + link_name + ")", "overall acc (" + other_name + ")",
       "local exit (" + link_name + ")", "local exit (" + other_name + ")",
       "bytes/device (" + link_name + ")", "bytes/device (" + other_name + ")"},
      {}};
  json links = {
      {"thresholds", link_thresholds}, {link_name, json::array()}, {other_name, json::array()}};
  for (std::size_t i = 0; i < link_thresholds.size(); ++i) {
    // every link threshold is one of the sweep's, by construction
    const auto at = std::find(thresholds.begin(), thresholds.end(), link_thresholds[i]);
    if (at == thresholds.end()) throw std::logic_error("a logits-link threshold is not swept");
    const Measurement &m = swept[std::size_t(at - thresholds.begin())], &n = other[i];
    links[link_name].push_back(measurement_json(m));
    links[other_name].push_back(measurement_json(n));
    link_table.rows.push_back({fixed(link_thresholds[i], 3), pct(m.overall_accuracy),
                               pct(n.overall_accuracy), pct(m.local_exit_fraction),
                               pct(n.local_exit_fraction), fixed(m.bytes_per_device, 2),
                               fixed(n.bytes_per_device, 2)});
  }
  std::cout << "## Logits link: " << link_name << " against " << other_name
            << " (the same weights, test set)\n\n"
            << link_table.render() << "\n";

  // Devices added one by one, single missing devices, nested missing sets: 16 conditions.
  const std::uint64_t all = (std::uint64_t{1} << devices) - 1;
  std::vector<std::uint64_t> masks;
  for (std::size_t k = 1; k <= devices; ++k) masks.push_back((std::uint64_t{1} << k) - 1);
  for (std::size_t d = 0; d < devices; ++d) masks.push_back(all & ~(std::uint64_t{1} << d));
  for (std::size_t k = 2; k < devices; ++k) masks.push_back(all & ~((std::uint64_t{1} << k) - 1));
  const std::vector<Measurement> conditions =
      with_progress("devices present and missing", masks.size(),
                    [&](const ViewJob::Progress& p) { return job->with_devices(masks, p); });
  phases.lap("devices present and missing");
  std::size_t next = 0;

  json added = json::array(), missing_single = json::array(), nested = json::array();
  std::vector<DevicesPoint> device_points;
  MarkdownTable added_table{
      {"devices present", "local acc", "cloud acc", "overall acc", "local exit"}, {}};
  for (std::size_t k = 1; k <= devices; ++k) {
    const std::uint64_t mask = masks[next];
    const Measurement& m = conditions[next++];
    added.push_back(merged(measurement_json(m), json{{"devices", device_list(mask)}}));
    device_points.push_back({k, m.local_accuracy, m.cloud_accuracy, m.overall_accuracy});
    added_table.rows.push_back({device_list(mask), pct(m.local_accuracy), pct(m.cloud_accuracy),
                                pct(m.overall_accuracy), pct(m.local_exit_fraction)});
  }
  std::cout << "## Adding devices one by one (T = " << fixed(base.threshold, 3) << ")\n\n"
            << added_table.render() << "\n";

  MarkdownTable missing_table{{"missing", "local acc", "cloud acc", "overall acc", "local exit"},
                              {}};
  double worst_single = 1.0;
  for (std::size_t d = 0; d < devices; ++d) {
    const Measurement& m = conditions[next++];
    missing_single.push_back(m.overall_accuracy);
    worst_single = std::min(worst_single, m.overall_accuracy);
    missing_table.rows.push_back({"device " + std::to_string(d), pct(m.local_accuracy),
                                  pct(m.cloud_accuracy), pct(m.overall_accuracy),
                                  pct(m.local_exit_fraction)});
  }
  for (std::size_t k = 2; k < devices; ++k) {
    const std::uint64_t missing = (std::uint64_t{1} << k) - 1;
    const Measurement& m = conditions[next++];
    nested.push_back(merged(measurement_json(m), json{{"missing", device_list(missing)}}));
    missing_table.rows.push_back({"devices " + device_list(missing), pct(m.local_accuracy),
                                  pct(m.cloud_accuracy), pct(m.overall_accuracy),
                                  pct(m.local_exit_fraction)});
  }
  std::cout << "## Missing devices (T = " << fixed(base.threshold, 3) << ")\n\n"
            << missing_table.render() << "\n";

  json result = measurement_json(base);
  result["view"] = c.view;
  result["cloud"] = cloud_name;
  result["threshold"] = base.threshold;
  result["missing_single"] = missing_single;
  result["worst_single_missing_accuracy"] = worst_single;
  result["missing_nested"] = nested;
  result["devices_added"] = added;
  result["sweep"] = sweep;
  result["logits_links"] = links;
  result["train_seconds"] = job->train_seconds();
  result["validation"] = {
      {"samples", data.validation},
      {"threshold", validation.threshold},
      {"local_exit_fraction", validation.local_exit_fraction},
      {"overall_accuracy", validation.overall_accuracy},
      {"accuracy_cost", validation.accuracy_cost},
      {"accuracy_cost_bound", validation.accuracy_cost_bound},
      {"rule", "most local exits whose accuracy cost against cloud-only is within " +
                   fixed(100.0 * c.threshold_tolerance, 2) +
                   " points at one-sided confidence z = " + fixed(c.threshold_confidence_z, 3)}};
  result["device_memory_bytes"] = job->device_memory_bytes();
  result["exported_devices"] = exported_json;
  result["config"] = {{"epochs", c.epochs},
                      {"warmup", c.warmup},
                      {"float_dropout", c.float_dropout},
                      {"shift", c.shift},
                      {"recalibration_samples", c.recalibration_samples},
                      {"logits_link", std::string(ddnn::name_of(c.logits_link))},
                      {"local_exit", default_scheme},
                      {"node_exit_weight", c.node_exit_weight},
                      {"exit_weights", c.exit_weights},
                      {"batch", c.batch},
                      {"learning_rate", c.learning_rate},
                      {"device_dropout", c.device_dropout},
                      {"distillation_weight", c.distillation_weight},
                      {"distillation_temperature", c.distillation_temperature},
                      {"seed", c.seed},
                      {"train_samples", data.train},
                      {"test_samples", data.test},
                      {"quick", o.quick}};
  result["packed_inference_disagreements"] = base.disagreements;

  // --full: retrained comparisons
  if (o.full) {
    result["full"] = compare(*job);
    phases.lap("--full: retrained schemes and filters");
  }

  for (const PlotResult& p :
       {plot_threshold_sweep(sweep_points, o.results / "mnist_ddnn_threshold.png",
                             "DDNN on MNIST (" + c.view + "): exits and accuracy against T"),
        plot_devices(device_points, o.results / "mnist_ddnn_devices.png",
                     "DDNN on MNIST (" + c.view + "): accuracy against devices present")})
    std::cout << (p.drawn ? "plot: " : "plot not drawn: ") << p.message << "\n";
  phases.lap("plots");

  result["timings"] = phases.to_json();
  const std::filesystem::path json_path = o.results / "mnist_ddnn.json";
  ddnn::io::write_file_atomically(json_path, result.dump(2) + "\n");
  std::cout << "results: " << json_path.string() << "\n\n## Time (wall seconds, " << c.threads
            << " threads)\n\n"
            << phases.table() << "\n";
  return 0;
}

/// --seeds: the job once per seed, each into its own results directory, then the mean, min and
/// max of each headline figure over the seeds (printed, and written to mnist_ddnn_seeds.json).
int seeds_job(const Options& o) {
  struct Figure {
    const char* key;  ///< in mnist_ddnn.json
    const char* name;
    bool percent;
  };
  static constexpr Figure figures[] = {
      {"overall_accuracy", "overall accuracy", true},
      {"local_exit_fraction", "local exit fraction", true},
      {"cloud_accuracy", "cloud classifier accuracy (all samples)", true},
      {"worst_single_missing_accuracy", "worst single missing device", true},
      {"local_accuracy", "local classifier accuracy (all samples)", true},
      {"local_exit_accuracy", "local exit accuracy (exited samples)", true},
      {"bytes_per_device_per_sample", "bytes per device per sample", false},
      {"threshold", "threshold T", false},
      {"train_seconds", "training seconds", false}};
  std::vector<json> runs;
  std::vector<std::uint64_t> seeds;
  for (std::size_t k = 0; k < o.seeds; ++k) {
    Options one = o;
    one.seeds = 1;
    one.config.seed = o.config.seed + k;
    one.results = o.results / ("seed_" + std::to_string(one.config.seed));
    std::cout << "# seed " << one.config.seed << " (" << k + 1 << " of " << o.seeds << ") into "
              << one.results.string() << "\n\n";
    if (const int rc = main_job(one); rc != 0) return rc;
    std::ifstream in(one.results / "mnist_ddnn.json");
    runs.push_back(json::parse(in));
    seeds.push_back(one.config.seed);
    std::cout << "\n";
  }
  MarkdownTable table{{"metric", "mean", "min", "max"}, {}};
  for (const std::uint64_t seed : seeds) table.header.push_back("seed " + std::to_string(seed));
  json summary = {{"seeds", seeds}, {"runs", json::object()}};
  for (const Figure& f : figures) {
    std::vector<double> v;
    for (const json& run : runs) v.push_back(run.at(f.key).get<double>());
    const double mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    auto show = [&](double x) { return f.percent ? pct(x) : fixed(x, 3); };
    std::vector<std::string> row{f.name, show(mean), show(*lo), show(*hi)};
    for (const double x : v) row.push_back(show(x));
    table.rows.push_back(row);
    summary[f.key] = {{"mean", mean}, {"min", *lo}, {"max", *hi}, {"values", v}};
  }
  for (std::size_t k = 0; k < seeds.size(); ++k)
    summary["runs"][std::to_string(seeds[k])] =
        "seed_" + std::to_string(seeds[k]) + "/mnist_ddnn.json";
  std::cout << "## " << seeds.size() << " seeds\n\n" << table.render() << "\n";
  const std::filesystem::path path = o.results / "mnist_ddnn_seeds.json";
  ddnn::io::write_file_atomically(path, summary.dump(2) + "\n");
  std::cout << "results: " << path.string() << "\n";
  return 0;
}

}  // namespace
}  // namespace mnist_ddnn

int main(int argc, char** argv) {
  using namespace mnist_ddnn;
  try {
    const Options o = parse(argc, argv);
    return o.seeds > 1 ? seeds_job(o) : main_job(o);
  } catch (const std::invalid_argument& e) {
    std::cerr << "mnist_ddnn: " << e.what() << "\n";
    usage(std::cerr);
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "mnist_ddnn: " << e.what() << "\n";
    return 1;
  }
}
