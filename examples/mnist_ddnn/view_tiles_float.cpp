// The main job's default graph over tiles (a 10 x 14 piece of the digit per device) with the float
// cloud, instantiated in this translation unit only.
#include "view_job_impl.hpp"

namespace mnist_ddnn {

std::unique_ptr<ViewJob> tiles_float_job(const Options& o) {
  return std::make_unique<ViewJobOf<TileShape, true>>(o);
}

}  // namespace mnist_ddnn
