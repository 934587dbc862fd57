// The trainer's half of the main job's default graph over views with the binary cloud
// (view_views_binary.cpp has the packed graph's), instantiated in this translation unit only.
#include "training.hpp"

namespace mnist_ddnn {

using ViewsBinaryGraph = DefaultDDNN<ViewShape, DefaultLocalExit, Concat, false>;  // ViewJobOf's
template Trained<ViewsBinaryGraph> train_graph<ViewsBinaryGraph>(
    const Samples<ViewsBinaryGraph::inputs_type>&, const Config&, const std::string&);
template std::vector<train::Trainer<ViewsBinaryGraph>::simulation_type>
simulate_graph<ViewsBinaryGraph>(train::Trainer<ViewsBinaryGraph>&,
                                 std::span<const ViewsBinaryGraph::inputs_type>,
                                 std::span<const Presence>);
template std::vector<std::vector<train::Trainer<ViewsBinaryGraph>::simulation_type>>
simulate_conditions_graph<ViewsBinaryGraph>(train::Trainer<ViewsBinaryGraph>&,
                                            std::span<const ViewsBinaryGraph::inputs_type>,
                                            std::span<const std::vector<Presence>>);

}  // namespace mnist_ddnn
