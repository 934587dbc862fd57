// The definitions of the trainer's half of a graph type (declared in view_job_impl.hpp):
// included by train_<view>_<cloud>.cpp, which instantiates them for one default graph through
// TrainerHalf, and by retrained.hpp for --full's graphs.
#pragma once
#include <span>
#include <string>
#include <vector>

#include "view_job_impl.hpp"

namespace mnist_ddnn {

template <class Graph>
Trained<Graph> train_graph(const Samples<typename Graph::inputs_type>& data, const Config& config,
                           const std::string& name) {
  return train_model<Graph>(data, config, name);
}

template <class Graph>
std::vector<typename train::Trainer<Graph>::simulation_type> simulate_graph(
    train::Trainer<Graph>& trainer, std::span<const typename Graph::inputs_type> inputs,
    std::span<const Presence> presence) {
  return trainer.simulate(inputs, presence);
}

template <class Graph>
std::vector<std::vector<typename train::Trainer<Graph>::simulation_type>> simulate_conditions_graph(
    train::Trainer<Graph>& trainer, std::span<const typename Graph::inputs_type> inputs,
    std::span<const std::vector<Presence>> conditions) {
  return trainer.simulate_conditions(inputs, conditions);
}

/// `template struct TrainerHalf<Graph>;` instantiates the three functions above for Graph in
/// this translation unit (the packed graph's TU only declares them).
template <class Graph>
struct TrainerHalf {
  static constexpr auto train = &train_graph<Graph>;
  static constexpr auto simulate = &simulate_graph<Graph>;
  static constexpr auto simulate_conditions = &simulate_conditions_graph<Graph>;
};

}  // namespace mnist_ddnn
