// The view job for one sensor shape and cloud: loads the view's device sets, trains and measures
// the default graph and --full's graphs. view_<view>_<cloud>.cpp instantiate it, with the
// trainer's half in train_<view>_<cloud>.cpp and --full's graphs in retrained_<view>_<cloud>.cpp.
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

#include "ddnn/export/export_device.hpp"
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

/// The trainer's half of a graph type: training, and the eval-mode simulation of samples. Only
/// declared here: train_<view>_<cloud>.cpp instantiates them for the default graphs (and
/// retrained.hpp, with training.hpp, for --full's), so that the trainer and the packed graph
/// (view_<view>_<cloud>.cpp) compile in parallel.
template <class Graph>
Trained<Graph> train_graph(const Samples<typename Graph::inputs_type>& data, const Config& config,
                           const std::string& name);
template <class Graph>
std::vector<typename train::Trainer<Graph>::simulation_type> simulate_graph(
    train::Trainer<Graph>& trainer, std::span<const typename Graph::inputs_type> inputs,
    std::span<const Presence> presence);
template <class Graph>
std::vector<std::vector<typename train::Trainer<Graph>::simulation_type>> simulate_conditions_graph(
    train::Trainer<Graph>& trainer, std::span<const typename Graph::inputs_type> inputs,
    std::span<const std::vector<Presence>> conditions);

/// Packed inference against the trainer's simulation of the same samples (experiment.hpp).
template <class Graph>
Measurement measure(const Graph& graph, train::Trainer<Graph>& trainer,
                    const Samples<typename Graph::inputs_type>& data,
                    const std::vector<Presence>& presence) {
  return measure(graph, data, presence, simulate_graph<Graph>(trainer, data.inputs, presence),
                 trainer.options().threads);
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
  run.trained = train_graph<Graph>(data.train, config, name);
  auto& trainer = *run.trained.trainer;
  const auto validation =
      simulate_graph<Graph>(trainer, data.validation.inputs, data.validation.presence);
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

/// --full's retrained graphs of a view and cloud (retrained.hpp), each set in a translation unit
/// of its own (retrained_<view>_<cloud>.cpp), compiled only into a build with every
/// configuration.
template <ShapeType SensorShape, bool FloatCloud>
std::vector<Comparison> retrained_schemes(const Data<SensorShape>& data, const Config& config);
template <ShapeType SensorShape, bool FloatCloud>
std::vector<Comparison> retrained_filters(const Data<SensorShape>& data, const Config& config);

template <ShapeType SensorShape, bool FloatCloud>
class ViewJobOf final : public ViewJob {
 public:
  using Graph = DefaultDDNN<SensorShape, DefaultLocalExit, Concat, FloatCloud>;

  explicit ViewJobOf(const Options& o) : options_(o) {}

  DataSizes load() override {
    data_ = load_data<SensorShape>(options_);
    return {data_.train.size(), data_.validation.size(), data_.test.size()};
  }
  void train() override { run_ = train_and_measure<Graph>(data_, options_.config, default_scheme); }

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

  std::vector<Measurement> sweep(ddnn::LogitsEncoding link, const std::vector<double>& thresholds,
                                 const Progress& progress) override {
    auto& trainer = *run_.trained.trainer;
    // The other link: the same weights, a packed graph and a simulation that round (or not) the
    // devices' logits that way; the trainer is put back as it was, even on an error.
    struct LinkFor {
      train::Trainer<Graph>& trainer;
      ddnn::LogitsEncoding trained = trainer.options().logits_link;
      ~LinkFor() { trainer.set_logits_link(trained); }
    } restore{trainer};
    trainer.set_logits_link(link);
    std::unique_ptr<Graph> other;
    if (link != restore.trained) other = std::make_unique<Graph>(trainer.parameters());
    Graph& graph = other ? *other : *run_.graph;
    const auto simulation = simulate_graph<Graph>(trainer, data_.test.inputs, data_.test.presence);
    std::vector<Measurement> out =
        measure_thresholds(graph, data_.test, simulation, thresholds, trainer.options().threads);
    graph.template set_threshold<0>(run_.test.threshold);
    progress(out.size());
    return out;
  }

  std::vector<Measurement> with_devices(const std::vector<std::uint64_t>& masks,
                                        const Progress& progress) override {
    auto& trainer = *run_.trained.trainer;
    std::vector<std::vector<Presence>> conditions;
    for (const std::uint64_t mask : masks) conditions.push_back(data_.test.restricted(mask));
    // The devices' sections run once for all conditions; then packed inference per condition.
    const auto simulations =
        simulate_conditions_graph<Graph>(trainer, data_.test.inputs, conditions);
    std::vector<Measurement> out;
    for (std::size_t k = 0; k < conditions.size(); ++k) {
      out.push_back(measure(*run_.graph, data_.test, conditions[k], simulations[k],
                            trainer.options().threads));
      progress(out.size());
    }
    return out;
  }

  std::vector<Comparison> compare_schemes() override {
#ifdef MNIST_DDNN_EVERY_CONFIGURATION
    // Training is deterministic for a seed, so retraining the default scheme would reproduce
    // the default run bit for bit: its row is the default run's.
    std::vector<Comparison> rows{comparison(run_, default_scheme, default_filters)};
    for (Comparison& r : retrained_schemes<SensorShape, FloatCloud>(data_, options_.config))
      rows.push_back(std::move(r));
    return rows;
#else
    throw not_in_this_build("--full");
#endif
  }

  std::vector<Comparison> compare_filters() override {
#ifdef MNIST_DDNN_EVERY_CONFIGURATION
    return retrained_filters<SensorShape, FloatCloud>(data_, options_.config);
#else
    throw not_in_this_build("--full");
#endif
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
