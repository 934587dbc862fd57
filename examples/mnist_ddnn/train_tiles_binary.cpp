// The trainer's half of the main job's default graph over tiles with the binary cloud
// (view_tiles_binary.cpp has the packed graph's), instantiated in this translation unit only.
#include "training.hpp"

namespace mnist_ddnn {

using TilesBinaryGraph = DefaultDDNN<TileShape, DefaultLocalExit, Concat, false>;  // ViewJobOf's
template Trained<TilesBinaryGraph> train_graph<TilesBinaryGraph>(
    const Samples<TilesBinaryGraph::inputs_type>&, const Config&, const std::string&);
template std::vector<train::Trainer<TilesBinaryGraph>::simulation_type>
simulate_graph<TilesBinaryGraph>(train::Trainer<TilesBinaryGraph>&,
                                 std::span<const TilesBinaryGraph::inputs_type>,
                                 std::span<const Presence>);
template std::vector<std::vector<train::Trainer<TilesBinaryGraph>::simulation_type>>
simulate_conditions_graph<TilesBinaryGraph>(train::Trainer<TilesBinaryGraph>&,
                                            std::span<const TilesBinaryGraph::inputs_type>,
                                            std::span<const std::vector<Presence>>);

}  // namespace mnist_ddnn
