// The trainer's half of the main job's default graph over views with the float cloud
// (view_views_float.cpp has the packed graph's), instantiated in this translation unit only.
#include "training.hpp"

namespace mnist_ddnn {

using ViewsFloatGraph = DefaultDDNN<ViewShape, DefaultLocalExit, Concat, true>;  // ViewJobOf's
template Trained<ViewsFloatGraph> train_graph<ViewsFloatGraph>(
    const Samples<ViewsFloatGraph::inputs_type>&, const Config&, const std::string&);
template std::vector<train::Trainer<ViewsFloatGraph>::simulation_type>
simulate_graph<ViewsFloatGraph>(train::Trainer<ViewsFloatGraph>&,
                                std::span<const ViewsFloatGraph::inputs_type>,
                                std::span<const Presence>);
template std::vector<std::vector<train::Trainer<ViewsFloatGraph>::simulation_type>>
simulate_conditions_graph<ViewsFloatGraph>(train::Trainer<ViewsFloatGraph>&,
                                           std::span<const ViewsFloatGraph::inputs_type>,
                                           std::span<const std::vector<Presence>>);

}  // namespace mnist_ddnn
