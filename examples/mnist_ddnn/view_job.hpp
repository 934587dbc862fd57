// The part of the main job that depends on the view: its device sets and every graph type over
// its sensor shape, behind an interface, so that the experiments in main.cpp are no template.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "config.hpp"
#include "ddnn/export/exported_device.hpp"
#include "measurement.hpp"

#ifndef DDNN_MNIST_DIR
#define DDNN_MNIST_DIR "data/mnist"
#endif

namespace mnist_ddnn {

struct Options {
  Config config;
  bool quick = false, full = false;
  /// --seeds N: the whole job once per seed (seed, seed + 1, ...), each into results/seed_<s>/,
  /// then the headline figures' mean, min and max.
  std::size_t seeds = 1;
  std::filesystem::path data = DDNN_MNIST_DIR;
  std::filesystem::path results = "results";
};

/// How many samples each device set holds.
struct DataSizes {
  std::size_t train = 0, validation = 0, test = 0;
};

/// One configuration of --full, trained and measured on the test set.
struct Comparison {
  std::string scheme;
  std::size_t filters = 0;
  Measurement test;
  std::size_t device_memory_bytes = 0;
  double train_seconds = 0.0;
};

/// The main job's view (tiles or views) with the cloud of the options: the data, the default
/// graph (AP-CC) trained once and measured under every condition the experiments ask for, and
/// --full's retrained graphs. The calls come in the job's order: load(), train(), then any.
class ViewJob {
 public:
  virtual ~ViewJob() = default;

  /// Reads MNIST and cuts the view's train / validation / test device sets.
  virtual DataSizes load() = 0;
  /// Trains the default graph, chooses its threshold on validation and measures it on test.
  virtual void train() = 0;

  virtual double train_seconds() const = 0;
  virtual std::size_t parameter_count() = 0;  ///< trained values
  virtual const Staged& validation() const = 0;
  virtual const Measurement& test() const = 0;  ///< at the chosen threshold, every device
  /// Bytes one device stores for its packed model.
  virtual std::size_t device_memory_bytes() const = 0;

  /// Writes the model file with a few test vectors, then loads it back (which replays them).
  virtual void save_model(const std::filesystem::path& file) = 0;
  /// Exports each device as a freestanding header for a microcontroller (device_<d>.hpp,
  /// namespace mnist_device_<d>) into `dir`, with the test set's inputs for that device and the
  /// messages the library computes for them (device_<d>.inputs, device_<d>.messages: raw bytes,
  /// one record per test sample), which scripts/mcu_devices.sh replays on Cortex-M cores.
  virtual std::vector<ddnn::exported_device> export_devices(const std::filesystem::path& dir) = 0;
  /// Told how many of a phase's steps are done, after each.
  using Progress = std::function<void(std::size_t done)>;

  /// The test set at each of `thresholds`, the devices sending their logits over `link` (the
  /// trained model's own link, or the other one with the same weights): the simulation and two
  /// packed runs of the test set serve all of them (measure_thresholds).
  virtual std::vector<Measurement> sweep(ddnn::LogitsEncoding link,
                                         const std::vector<double>& thresholds,
                                         const Progress& progress) = 0;
  /// The test set at the chosen threshold with only each mask's devices present (of those that
  /// see something), one measurement per mask.
  virtual std::vector<Measurement> with_devices(const std::vector<std::uint64_t>& masks,
                                                const Progress& progress) = 0;

  /// --full: the aggregation schemes (local exit - cloud) on the default device, the default
  /// run (AP-CC) first, and the device filter counts, each retrained but AP-CC.
  virtual std::vector<Comparison> compare_schemes() = 0;
  virtual std::vector<Comparison> compare_filters() = 0;
};

/// The view job of `o.config.view` with `o.config.float_cloud`'s cloud (main.cpp). A build
/// with every configuration (the CMake option DDNN_MAIN_JOB_EVERY_CONFIGURATION, on by default)
/// has both views, both clouds and --full. The default run's build has only what it runs (tiles,
/// float cloud) and compiles in a fraction of the time; it refuses the others, and --full,
/// before any work, saying how to build them.
std::unique_ptr<ViewJob> make_view_job(const Options& o);

/// Each view and cloud's job: its graph types are instantiated in a translation unit of their
/// own (view_<view>_<cloud>.cpp), which a build compiles in parallel.
std::unique_ptr<ViewJob> tiles_float_job(const Options& o);
std::unique_ptr<ViewJob> tiles_binary_job(const Options& o);
std::unique_ptr<ViewJob> views_float_job(const Options& o);
std::unique_ptr<ViewJob> views_binary_job(const Options& o);

/// What a build without every configuration says of `what` (a view, a cloud or --full).
inline std::runtime_error not_in_this_build(const std::string& what) {
  return std::runtime_error(
      what +
      " is not in this build, which has only the default run (tiles, float cloud): configure "
      "with -DDDNN_MAIN_JOB_EVERY_CONFIGURATION=ON (scripts/mnist_ddnn.sh does when asked for "
      "another view, the binary cloud or --full)");
}

}  // namespace mnist_ddnn
