// The main job's graph types over tiles (a 10 x 14 piece of the digit per device): both
// clouds' default graphs and --full's, instantiated in this translation unit only.
#include "view_job_impl.hpp"

namespace mnist_ddnn {

std::unique_ptr<ViewJob> tiles_job(const Options& o) {
  if (o.config.float_cloud) return std::make_unique<ViewJobOf<TileShape, true>>(o);
  return std::make_unique<ViewJobOf<TileShape, false>>(o);
}

}  // namespace mnist_ddnn
