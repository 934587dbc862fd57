// The trainer's half of the main job's default graph over views with the float cloud
// (view_views_float.cpp has the packed graph's), instantiated in this translation unit only.
#include "training.hpp"

namespace mnist_ddnn {

template struct TrainerHalf<DefaultDDNN<ViewShape, DefaultLocalExit, Concat, true>>;  // ViewJobOf's

}  // namespace mnist_ddnn
