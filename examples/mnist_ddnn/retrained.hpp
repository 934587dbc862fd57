// --full's retrained graphs for one view and cloud: the aggregation schemes on the default
// device and the paper's device filter counts. retrained_<view>_<cloud>.cpp instantiate them,
// only in a build with every configuration (the default run's build leaves them out).
#pragma once
#include <string>
#include <vector>

#include "training.hpp"
#include "view_job_impl.hpp"

namespace mnist_ddnn {

/// One retrained configuration of --full.
template <class Graph, ShapeType SensorShape>
Comparison compare_one(const Data<SensorShape>& data, const Config& config,
                       const std::string& scheme, std::size_t filters) {
  const Run<Graph> run =
      train_and_measure<Graph>(data, config, scheme + " f=" + std::to_string(filters));
  return comparison(run, scheme, filters);
}

/// The aggregation schemes (local exit - cloud) on the default device, retrained, the default
/// scheme left out (its row is the default run's).
template <ShapeType SensorShape, bool FloatCloud>
std::vector<Comparison> retrained_schemes(const Data<SensorShape>& data, const Config& c) {
  return {compare_one<DefaultDDNN<SensorShape, LocalMax, Concat, FloatCloud>>(data, c, "MP-CC",
                                                                              default_filters),
          compare_one<DefaultDDNN<SensorShape, LocalConcat, Concat, FloatCloud>>(data, c, "CC-CC",
                                                                                 default_filters),
          compare_one<DefaultDDNN<SensorShape, LocalMax, Max, FloatCloud>>(data, c, "MP-MP",
                                                                           default_filters),
          compare_one<DefaultDDNN<SensorShape, LocalAvg, Avg, FloatCloud>>(data, c, "AP-AP",
                                                                           default_filters)};
}

/// The paper's f sweep: f first-layer filters and 2f output filters.
template <ShapeType SensorShape, bool FloatCloud>
std::vector<Comparison> retrained_filters(const Data<SensorShape>& data, const Config& c) {
  return {compare_one<PaperDDNN<SensorShape, 1, DefaultLocalExit, Concat, FloatCloud>>(
              data, c, default_scheme, 1),
          compare_one<PaperDDNN<SensorShape, 2, DefaultLocalExit, Concat, FloatCloud>>(
              data, c, default_scheme, 2),
          compare_one<PaperDDNN<SensorShape, 4, DefaultLocalExit, Concat, FloatCloud>>(
              data, c, default_scheme, 4),
          compare_one<PaperDDNN<SensorShape, 8, DefaultLocalExit, Concat, FloatCloud>>(
              data, c, default_scheme, 8)};
}

}  // namespace mnist_ddnn
