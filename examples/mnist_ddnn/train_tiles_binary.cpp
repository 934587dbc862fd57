// The trainer's half of the main job's default graph over tiles with the binary cloud
// (view_tiles_binary.cpp has the packed graph's), instantiated in this translation unit only.
#include "training.hpp"

namespace mnist_ddnn {

template struct TrainerHalf<
    DefaultDDNN<TileShape, DefaultLocalExit, Concat, false>>;  // ViewJobOf's

}  // namespace mnist_ddnn
