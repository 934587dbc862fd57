// The trainer's half of the main job's default graph over views with the binary cloud
// (view_views_binary.cpp has the packed graph's), instantiated in this translation unit only.
#include "training.hpp"

namespace mnist_ddnn {

using Graph = DefaultDDNN<ViewShape, DefaultLocalExit, Concat, false>;  // ViewJobOf's
template Trained<Graph> train_graph<Graph>(const Samples<Graph::inputs_type>&, const Config&,
                                           const std::string&);
template std::vector<train::Trainer<Graph>::simulation_type> simulate_graph<Graph>(
    train::Trainer<Graph>&, std::span<const Graph::inputs_type>, std::span<const Presence>);
template std::vector<std::vector<train::Trainer<Graph>::simulation_type>>
simulate_conditions_graph<Graph>(train::Trainer<Graph>&, std::span<const Graph::inputs_type>,
                                 std::span<const std::vector<Presence>>);

}  // namespace mnist_ddnn
