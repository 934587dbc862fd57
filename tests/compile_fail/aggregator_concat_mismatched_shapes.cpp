// Concat of six 5x7x4 maps is 5x7x24; an output of any other shape is a compile error.
// expect: Aggregator::combine requires an output of the aggregate's kind and shape
#include <array>

#include "ddnn/aggregate/aggregator.hpp"

using In = ddnn::Shape<5, 7, 4>;
#ifdef DDNN_COMPILE_FAIL
using Out = ddnn::Shape<5, 7, 20>;
#else
using Out = ddnn::Shape<5, 7, 24>;
#endif

bool combine(const std::array<ddnn::BitTensor<In>, 6>& in, ddnn::BitTensor<Out>& out) {
  return ddnn::Aggregator<ddnn::Concat>::combine(in, ddnn::Presence::all(6), out);
}
