// The view job for one sensor shape and cloud: loads the view's device sets, trains and measures
// the default graph and --full's graphs. view_tiles.cpp and view_views.cpp instantiate it.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "ddnn/io/mnist.hpp"
#include "ddnn/train/parallel.hpp"
#include "experiment.hpp"
#include "networks.hpp"
#include "view_job.hpp"

namespace mnist_ddnn {

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

/// One configuration of --full: its row of the comparison.
template <class Graph>
Comparison comparison(const Run<Graph>& run, const std::string& scheme, std::size_t filters) {
  return {scheme, filters, run.test, device_memory_bytes<Graph>(), run.trained.seconds};
}

/// One retrained configuration of --full.
template <class Graph, ShapeType SensorShape>
Comparison compare_one(const Data<SensorShape>& data, const Config& config,
                       const std::string& scheme, std::size_t filters) {
  const Run<Graph> run =
      train_and_measure<Graph>(data, config, scheme + " f=" + std::to_string(filters));
  return comparison(run, scheme, filters);
}

template <ShapeType SensorShape, bool FloatCloud>
class ViewJobOf final : public ViewJob {
 public:
  using Graph = DefaultDDNN<SensorShape, LocalMax, Concat, FloatCloud>;

  explicit ViewJobOf(const Options& o) : options_(o) {}

  DataSizes load() override {
    data_ = load_data<SensorShape>(options_);
    return {data_.train.size(), data_.validation.size(), data_.test.size()};
  }
  void train() override { run_ = train_and_measure<Graph>(data_, options_.config, "MP-CC"); }

  double train_seconds() const override { return run_.trained.seconds; }
  std::size_t parameter_count() override { return run_.trained.trainer->parameter_count(); }
  const Staged& validation() const override { return run_.validation; }
  const Measurement& test() const override { return run_.test; }
  std::size_t device_memory_bytes() const override {
    return mnist_ddnn::device_memory_bytes<Graph>();
  }

  void save_model(const std::filesystem::path& file) override {
    const std::size_t vectors = std::min<std::size_t>(8, data_.test.size());
    ddnn::save_model(*run_.graph, file,
                     std::span<const typename Graph::inputs_type>(data_.test.inputs).first(vectors),
                     std::span<const Presence>(data_.test.presence).first(vectors));
    (void)load_model<Graph>(file);
  }

  std::vector<ddnn::exported_device> export_devices(const std::filesystem::path& dir) override {
    std::filesystem::create_directories(dir);
    const Graph& graph = *run_.graph;
    std::vector<ddnn::exported_device> exports(devices);
    // Devices in parallel on the trainer's threads: 6 x 10,000 device steps.
    ddnn::train::WorkerPool pool(options_.config.threads);
    pool.run(devices, [&](std::size_t d) { exports[d] = export_one(graph, d, dir); });
    return exports;
  }

  std::vector<Measurement> sweep(const std::vector<double>& thresholds) override {
    Graph& graph = *run_.graph;
    auto& trainer = *run_.trained.trainer;
    const auto simulation = trainer.simulate(data_.test.inputs, data_.test.presence);
    std::vector<Measurement> out;
    for (const double t : thresholds) {
      graph.template set_threshold<0>(t);
      out.push_back(
          measure(graph, data_.test, data_.test.presence, simulation, trainer.options().threads));
    }
    graph.template set_threshold<0>(run_.test.threshold);
    return out;
  }

  Measurement with_devices(std::uint64_t mask) override {
    return measure(*run_.graph, *run_.trained.trainer, data_.test, data_.test.restricted(mask));
  }

  /// Training is deterministic for a seed, so retraining MP-CC would reproduce the default run
  /// bit for bit: its row is the default run's.
  std::vector<Comparison> compare_schemes() override {
    const Config& c = options_.config;
    std::vector<Comparison> rows{comparison(run_, "MP-CC", default_filters)};
    rows.push_back(compare_one<DefaultDDNN<SensorShape, LocalAvg, Concat, FloatCloud>>(
        data_, c, "AP-CC", default_filters));
    rows.push_back(compare_one<DefaultDDNN<SensorShape, LocalConcat, Concat, FloatCloud>>(
        data_, c, "CC-CC", default_filters));
    rows.push_back(compare_one<DefaultDDNN<SensorShape, LocalMax, Max, FloatCloud>>(
        data_, c, "MP-MP", default_filters));
    rows.push_back(compare_one<DefaultDDNN<SensorShape, LocalAvg, Avg, FloatCloud>>(
        data_, c, "AP-AP", default_filters));
    return rows;
  }

  /// The paper's f sweep: f first-layer filters and 2f output filters.
  std::vector<Comparison> compare_filters() override {
    const Config& c = options_.config;
    std::vector<Comparison> rows;
    rows.push_back(
        compare_one<PaperDDNN<SensorShape, 1, LocalMax, Concat, FloatCloud>>(data_, c, "MP-CC", 1));
    rows.push_back(
        compare_one<PaperDDNN<SensorShape, 2, LocalMax, Concat, FloatCloud>>(data_, c, "MP-CC", 2));
    rows.push_back(
        compare_one<PaperDDNN<SensorShape, 4, LocalMax, Concat, FloatCloud>>(data_, c, "MP-CC", 4));
    rows.push_back(
        compare_one<PaperDDNN<SensorShape, 8, LocalMax, Concat, FloatCloud>>(data_, c, "MP-CC", 8));
    return rows;
  }

 private:
  ddnn::exported_device export_one(const Graph& graph, std::size_t d,
                                   const std::filesystem::path& dir) const {
    const std::string name = "device_" + std::to_string(d);
    const ddnn::exported_device e = ddnn::export_device(
        graph, d, dir / (name + ".hpp"),
        {.name_space = "mnist_" + name,
         .note = "the MNIST main job's trained model (" + options_.config.view + " view)"});
    std::vector<char> inputs, messages;
    inputs.reserve(data_.test.size() * e.input_bytes);
    messages.reserve(data_.test.size() * e.message_bytes);
    for (const auto& sample : data_.test.inputs) {
      for (const std::uint8_t v : sample[d].values()) inputs.push_back(char(v));
      for (const std::uint8_t b : ddnn::device_message(graph, d, sample[d]))
        messages.push_back(char(b));
    }
    ddnn::io::write_file_atomically(dir / (name + ".inputs"), inputs);
    ddnn::io::write_file_atomically(dir / (name + ".messages"), messages);
    return e;
  }

  Options options_;
  Data<SensorShape> data_;
  Run<Graph> run_;
};

}  // namespace mnist_ddnn
