// mnist_ddnn: the project's main job. Trains the paper-style DDNN on MNIST split over six
// devices, exports it to the packed model (and a model file), checks packed inference against
// the training-time simulation, and reproduces the DDNN paper's experiments: the threshold sweep,
// devices added one by one, missing devices, and with --full the aggregation schemes and the
// number of device filters. Prints markdown tables, writes results/mnist_ddnn.json and plots.
//
//   mnist_ddnn [--view tiles|views] [--cloud float|binary] [--epochs N] [--quick] [--full]
//              [--seed S] [--dropout P] [--threads N] [--data DIR] [--results DIR]
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "ddnn/io/atomic_file.hpp"
#include "ddnn/io/mnist.hpp"
#include "experiment.hpp"
#include "networks.hpp"
#include "report.hpp"

#ifndef DDNN_MNIST_DIR
#define DDNN_MNIST_DIR "data/mnist"
#endif

namespace mnist_ddnn {
namespace {

using nlohmann::json;

struct Options {
  Config config;
  bool quick = false, full = false;
  std::filesystem::path data = DDNN_MNIST_DIR;
  std::filesystem::path results = "results";
};

void usage(std::ostream& out) {
  out << "usage: mnist_ddnn [--view tiles|views] [--cloud float|binary] [--epochs N] [--quick]\n"
         "                  [--full] [--seed S] [--dropout P] [--threads N] [--data DIR]\n"
         "                  [--results DIR]\n"
         "  --quick   a small run (a few thousand samples, one epoch) for tests\n"
         "  --full    also retrain and compare aggregation schemes and device filter counts\n";
}

Options parse(int argc, char** argv) {
  Options o;
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
    } else if (a == "--seed") {
      o.config.seed = count(i);
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
  if (o.quick) {
    o.config.train_samples = 3000;
    o.config.validation_samples = 500;
    o.config.test_samples = 1000;
    o.config.epochs = 1;
  }
  return o;
}

/// The train / validation / test device sets of the chosen view, as inputs of every graph over
/// `SensorShape`.
template <ShapeType SensorShape>
struct Data {
  using inputs_type = std::array<Tensor<std::uint8_t, SensorShape>, devices>;
  Samples<inputs_type> train, validation, test;
};

template <ShapeType SensorShape>
Data<SensorShape> load_data(const Options& o) {
  using S = Samples<typename Data<SensorShape>::inputs_type>;
  const Config& c = o.config;
  const Mnist mnist = load_mnist(o.data, c.train_samples + c.validation_samples, c.test_samples);
  if (mnist.train.count < c.train_samples + c.validation_samples)
    throw std::runtime_error("MNIST training set is smaller than the train + validation split");
  Data<SensorShape> d;
  if constexpr (std::is_same_v<SensorShape, TileShape>) {
    d.train = S::from(make_tiles(mnist.train, 0, c.train_samples));
    d.validation = S::from(make_tiles(mnist.train, c.train_samples, c.validation_samples));
    d.test = S::from(make_tiles(mnist.test));
  } else {
    d.train = S::from(make_views(mnist.train, c.seed, {}, 0, c.train_samples));
    d.validation =
        S::from(make_views(mnist.train, c.seed, {}, c.train_samples, c.validation_samples));
    d.test = S::from(make_views(mnist.test, c.seed + 1000003));
  }
  return d;
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

std::string device_list(std::uint64_t mask) {
  std::string s;
  for (std::size_t d = 0; d < devices; ++d)
    if ((mask >> d) & 1u) s += (s.empty() ? "" : ",") + std::to_string(d);
  return s.empty() ? "none" : s;
}

/// Trains one graph type, chooses its threshold on validation and measures it on the test set.
template <class Graph>
struct Run {
  Trained<Graph> trained;
  Staged validation;
  std::unique_ptr<Graph> graph;
  Measurement test;
};

template <class Graph, ShapeType SensorShape>
Run<Graph> train_and_measure(const Data<SensorShape>& data, const Config& config,
                             const std::string& name) {
  static_assert(
      std::is_same_v<typename Graph::inputs_type, typename Data<SensorShape>::inputs_type>,
      "the graph reads the data's sensor shape");
  Run<Graph> run;
  run.trained = train_model<Graph>(data.train, config, name);
  auto& trainer = *run.trained.trainer;
  const auto validation = trainer.simulate(data.validation.inputs, data.validation.presence);
  run.validation = choose_threshold(validation, data.validation.labels, config.threshold_tolerance,
                                    config.threshold_confidence_z);
  trainer.template set_threshold<0>(run.validation.threshold);
  run.graph = std::make_unique<Graph>(trainer.parameters());
  run.test = measure(*run.graph, trainer, data.test, data.test.presence);
  return run;
}

/// One configuration of --full: a table row and its JSON.
template <class Graph>
void add_comparison_row(const Run<Graph>& run, const std::string& scheme, std::size_t filters,
                        MarkdownTable& table, json& out) {
  const Measurement& m = run.test;
  const std::size_t memory = device_memory_bytes<Graph>(run.graph->parameters());
  table.rows.push_back({scheme, std::to_string(filters), fixed(m.threshold, 3),
                        pct(m.local_accuracy), pct(m.cloud_accuracy), pct(m.overall_accuracy),
                        pct(m.local_exit_fraction), fixed(m.bytes_per_device, 2),
                        std::to_string(memory)});
  out.push_back(merged(measurement_json(m), json{{"scheme", scheme},
                                                 {"filters", filters},
                                                 {"device_memory_bytes", memory},
                                                 {"train_seconds", run.trained.seconds}}));
}

/// One retrained configuration of --full.
template <class Graph, ShapeType SensorShape>
void compare_one(const Data<SensorShape>& data, const Config& config, const std::string& scheme,
                 std::size_t filters, MarkdownTable& table, json& out) {
  const Run<Graph> run =
      train_and_measure<Graph>(data, config, scheme + " f=" + std::to_string(filters));
  add_comparison_row(run, scheme, filters, table, out);
}

/// --full: the aggregation schemes (local exit - cloud) on the default device, and the device
/// filter counts, retrained. `base` is the default run (MP-CC): training is deterministic for a
/// seed, so retraining it would reproduce it bit for bit.
template <ShapeType SensorShape, bool FloatCloud, class BaseGraph>
json compare(const Data<SensorShape>& data, const Config& config, const Run<BaseGraph>& base) {
  static_assert(std::is_same_v<BaseGraph, DefaultDDNN<SensorShape, LocalMax, Concat, FloatCloud>>,
                "the comparison reuses the default MP-CC run");
  MarkdownTable table{{"scheme", "f", "T", "local acc", "cloud acc", "overall acc", "local exit",
                       "bytes/device", "device memory B"},
                      {}};
  json schemes = json::array(), filters = json::array();
  add_comparison_row(base, "MP-CC", default_filters, table, schemes);
  compare_one<DefaultDDNN<SensorShape, LocalAvg, Concat, FloatCloud>>(
      data, config, "AP-CC", default_filters, table, schemes);
  compare_one<DefaultDDNN<SensorShape, LocalConcat, Concat, FloatCloud>>(
      data, config, "CC-CC", default_filters, table, schemes);
  compare_one<DefaultDDNN<SensorShape, LocalMax, Max, FloatCloud>>(data, config, "MP-MP",
                                                                   default_filters, table, schemes);
  compare_one<DefaultDDNN<SensorShape, LocalAvg, Avg, FloatCloud>>(data, config, "AP-AP",
                                                                   default_filters, table, schemes);
  // the paper's f sweep: f first-layer filters and 2f output filters
  compare_one<PaperDDNN<SensorShape, 1, LocalMax, Concat, FloatCloud>>(data, config, "MP-CC", 1,
                                                                       table, filters);
  compare_one<PaperDDNN<SensorShape, 2, LocalMax, Concat, FloatCloud>>(data, config, "MP-CC", 2,
                                                                       table, filters);
  compare_one<PaperDDNN<SensorShape, 4, LocalMax, Concat, FloatCloud>>(data, config, "MP-CC", 4,
                                                                       table, filters);
  compare_one<PaperDDNN<SensorShape, 8, LocalMax, Concat, FloatCloud>>(data, config, "MP-CC", 8,
                                                                       table, filters);
  std::cout << "## Retrained: aggregation schemes and device filters (--full)\n\n"
            << table.render() << "\n";
  return {{"schemes", schemes}, {"filters", filters}};
}

/// The default job: one model, every experiment on it.
template <ShapeType SensorShape, bool FloatCloud>
int main_job(const Options& o) {
  using Graph = DefaultDDNN<SensorShape, LocalMax, Concat, FloatCloud>;
  const std::string cloud_name = FloatCloud ? "float" : "binary";
  const Config& c = o.config;
  std::filesystem::create_directories(o.results);
  std::cout << "# DDNN on MNIST (" << c.view << ", " << devices << " devices, " << cloud_name
            << " cloud)\n\n";
  const auto load_start = std::chrono::steady_clock::now();
  const Data<SensorShape> data = load_data<SensorShape>(o);
  std::cout
      << "data: " << data.train.size() << " training, " << data.validation.size() << " validation, "
      << data.test.size() << " test samples (loaded in "
      << fixed(std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count(),
               1)
      << " s)\n\n";

  Run<Graph> run = train_and_measure<Graph>(data, c, "MP-CC");
  auto& trainer = *run.trained.trainer;
  Graph& graph = *run.graph;
  const Measurement& base = run.test;
  std::cout << "\ntrained in " << fixed(run.trained.seconds, 1) << " s ("
            << trainer.parameter_count()
            << " trained values); threshold T = " << fixed(run.validation.threshold, 3)
            << " chosen on validation (local exits " << pct(run.validation.local_exit_fraction)
            << ", accuracy " << pct(run.validation.overall_accuracy) << ", cost against the cloud "
            << fixed(100.0 * run.validation.accuracy_cost, 2) << " points, bound "
            << fixed(100.0 * run.validation.accuracy_cost_bound, 2) << ")\n";
  if (base.disagreements != 0) {
    std::cerr << "error: packed inference and the training-time simulation disagree on "
              << base.disagreements << " test samples\n";
    return 1;
  }
  std::cout << "packed inference agrees with the training-time simulation on all " << base.samples
            << " test samples (answers and exit decisions)\n\n";

  // The model file, with a few test vectors that loading replays.
  const std::filesystem::path model_path = o.results / "mnist_ddnn.model.json";
  {
    const std::size_t vectors = std::min<std::size_t>(8, data.test.size());
    save_model(graph, model_path,
               std::span<const typename Graph::inputs_type>(data.test.inputs).first(vectors),
               std::span<const Presence>(data.test.presence).first(vectors));
    (void)load_model<Graph>(model_path);
    std::cout << "model file: " << model_path.string() << " ("
              << std::filesystem::file_size(model_path) << " bytes, reloads and replays)\n\n";
  }

  MarkdownTable summary{{"metric", "value"}, {}};
  summary.rows = {{"overall accuracy", pct(base.overall_accuracy)},
                  {"local exit fraction", pct(base.local_exit_fraction)},
                  {"local exit accuracy (exited samples)", pct(base.local_exit_accuracy)},
                  {"cloud exit accuracy (samples sent up)", pct(base.cloud_exit_accuracy)},
                  {"local classifier accuracy (all samples)", pct(base.local_accuracy)},
                  {"cloud classifier accuracy (all samples)", pct(base.cloud_accuracy)},
                  {"bytes per device per sample", fixed(base.bytes_per_device, 2)},
                  {"raw bytes per device per sample", fixed(base.raw_bytes_per_device, 0)},
                  {"device memory (packed)",
                   std::to_string(device_memory_bytes<Graph>(graph.parameters())) + " B"}};
  std::cout << "## Test set at T = " << fixed(base.threshold, 3) << "\n\n"
            << summary.render() << "\n";

  // Threshold sweep
  json sweep = json::array();
  std::vector<SweepPoint> sweep_points;
  MarkdownTable sweep_table{{"T", "local exit", "local acc", "cloud acc", "overall acc",
                             "bytes/device", "reduction vs raw"},
                            {}};
  const auto test_simulation = trainer.simulate(data.test.inputs, data.test.presence);
  for (const double t : sweep_thresholds()) {
    graph.template set_threshold<0>(t);
    const Measurement m = measure(graph, data.test, data.test.presence, test_simulation);
    sweep.push_back(measurement_json(m));
    sweep_points.push_back(
        {t, m.local_exit_fraction, m.local_accuracy, m.cloud_accuracy, m.overall_accuracy});
    sweep_table.rows.push_back({fixed(t, 3), pct(m.local_exit_fraction), pct(m.local_accuracy),
                                pct(m.cloud_accuracy), pct(m.overall_accuracy),
                                fixed(m.bytes_per_device, 2),
                                fixed(m.raw_bytes_per_device / m.bytes_per_device, 2) + "x"});
  }
  graph.template set_threshold<0>(base.threshold);
  std::cout << "## Threshold sweep (test set)\n\n" << sweep_table.render() << "\n";

  // Devices added one by one, single missing devices, nested missing sets
  json added = json::array(), missing_single = json::array(), nested = json::array();
  std::vector<DevicesPoint> device_points;
  MarkdownTable added_table{
      {"devices present", "local acc", "cloud acc", "overall acc", "local exit"}, {}};
  for (std::size_t k = 1; k <= devices; ++k) {
    const std::uint64_t mask = (std::uint64_t{1} << k) - 1;
    const Measurement m = measure(graph, trainer, data.test, data.test.restricted(mask));
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
    const std::uint64_t mask = ((std::uint64_t{1} << devices) - 1) & ~(std::uint64_t{1} << d);
    const Measurement m = measure(graph, trainer, data.test, data.test.restricted(mask));
    missing_single.push_back(m.overall_accuracy);
    worst_single = std::min(worst_single, m.overall_accuracy);
    missing_table.rows.push_back({"device " + std::to_string(d), pct(m.local_accuracy),
                                  pct(m.cloud_accuracy), pct(m.overall_accuracy),
                                  pct(m.local_exit_fraction)});
  }
  for (std::size_t k = 2; k < devices; ++k) {
    const std::uint64_t missing = (std::uint64_t{1} << k) - 1;
    const std::uint64_t mask = ((std::uint64_t{1} << devices) - 1) & ~missing;
    const Measurement m = measure(graph, trainer, data.test, data.test.restricted(mask));
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
  result["train_seconds"] = run.trained.seconds;
  result["validation"] = {
      {"samples", data.validation.size()},
      {"threshold", run.validation.threshold},
      {"local_exit_fraction", run.validation.local_exit_fraction},
      {"overall_accuracy", run.validation.overall_accuracy},
      {"accuracy_cost", run.validation.accuracy_cost},
      {"accuracy_cost_bound", run.validation.accuracy_cost_bound},
      {"rule", "most local exits whose accuracy cost against cloud-only is within " +
                   fixed(100.0 * c.threshold_tolerance, 2) +
                   " points at one-sided confidence z = " + fixed(c.threshold_confidence_z, 3)}};
  result["device_memory_bytes"] = device_memory_bytes<Graph>(graph.parameters());
  result["config"] = {{"epochs", c.epochs},
                      {"node_exit_weight", c.node_exit_weight},
                      {"exit_weights", c.exit_weights},
                      {"batch", c.batch},
                      {"learning_rate", c.learning_rate},
                      {"device_dropout", c.device_dropout},
                      {"distillation_weight", c.distillation_weight},
                      {"distillation_temperature", c.distillation_temperature},
                      {"seed", c.seed},
                      {"train_samples", data.train.size()},
                      {"test_samples", data.test.size()},
                      {"quick", o.quick}};
  result["packed_inference_disagreements"] = base.disagreements;

  // --full: retrained comparisons
  if (o.full) result["full"] = compare<SensorShape, FloatCloud>(data, c, run);

  const std::filesystem::path json_path = o.results / "mnist_ddnn.json";
  ddnn::io::write_file_atomically(json_path, result.dump(2) + "\n");
  std::cout << "results: " << json_path.string() << "\n";

  for (const PlotResult& p :
       {plot_threshold_sweep(sweep_points, o.results / "mnist_ddnn_threshold.png",
                             "DDNN on MNIST (" + c.view + "): exits and accuracy against T"),
        plot_devices(device_points, o.results / "mnist_ddnn_devices.png",
                     "DDNN on MNIST (" + c.view + "): accuracy against devices present")})
    std::cout << (p.drawn ? "plot: " : "plot not drawn: ") << p.message << "\n";
  return 0;
}

}  // namespace
}  // namespace mnist_ddnn

int main(int argc, char** argv) {
  using namespace mnist_ddnn;
  try {
    const Options o = parse(argc, argv);
    if (o.config.view == "tiles")
      return o.config.float_cloud ? main_job<TileShape, true>(o) : main_job<TileShape, false>(o);
    return o.config.float_cloud ? main_job<ViewShape, true>(o) : main_job<ViewShape, false>(o);
  } catch (const std::invalid_argument& e) {
    std::cerr << "mnist_ddnn: " << e.what() << "\n";
    usage(std::cerr);
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "mnist_ddnn: " << e.what() << "\n";
    return 1;
  }
}
