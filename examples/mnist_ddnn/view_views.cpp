// The main job's graph types over views (the whole digit through each device's camera): both
// clouds' default graphs and --full's, instantiated in this translation unit only.
#include "view_job_impl.hpp"

namespace mnist_ddnn {

std::unique_ptr<ViewJob> views_job(const Options& o) {
  if (o.config.float_cloud) return std::make_unique<ViewJobOf<ViewShape, true>>(o);
  return std::make_unique<ViewJobOf<ViewShape, false>>(o);
}

}  // namespace mnist_ddnn
