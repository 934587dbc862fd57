// The trainer's half of the main job's default graph over tiles with the float cloud
// (view_tiles_float.cpp has the packed graph's), instantiated in this translation unit only.
#include "training.hpp"

namespace mnist_ddnn {

using TilesFloatGraph = DefaultDDNN<TileShape, DefaultLocalExit, Concat, true>;  // ViewJobOf's
template Trained<TilesFloatGraph> train_graph<TilesFloatGraph>(
    const Samples<TilesFloatGraph::inputs_type>&, const Config&, const std::string&);
template std::vector<train::Trainer<TilesFloatGraph>::simulation_type>
simulate_graph<TilesFloatGraph>(train::Trainer<TilesFloatGraph>&,
                                std::span<const TilesFloatGraph::inputs_type>,
                                std::span<const Presence>);
template std::vector<std::vector<train::Trainer<TilesFloatGraph>::simulation_type>>
simulate_conditions_graph<TilesFloatGraph>(train::Trainer<TilesFloatGraph>&,
                                           std::span<const TilesFloatGraph::inputs_type>,
                                           std::span<const std::vector<Presence>>);

}  // namespace mnist_ddnn
