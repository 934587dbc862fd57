// The main job's default graph over views (the whole digit through each device's camera) with the
// binary cloud, instantiated in this translation unit only.
#include "view_job_impl.hpp"

namespace mnist_ddnn {

std::unique_ptr<ViewJob> views_binary_job(const Options& o) {
  return std::make_unique<ViewJobOf<ViewShape, false>>(o);
}

}  // namespace mnist_ddnn
