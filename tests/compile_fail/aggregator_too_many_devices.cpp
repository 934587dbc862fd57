// A presence mask has one bit per device, 64 at most.
// expect: Aggregator requires between 1 and 64 devices
#include <array>

#include "ddnn/aggregate/aggregator.hpp"

#ifdef DDNN_COMPILE_FAIL
constexpr std::size_t devices = 65;
#else
constexpr std::size_t devices = 64;
#endif
using S = ddnn::Vector<3>;

bool combine(const std::array<ddnn::Tensor<float, S>, devices>& in, ddnn::Tensor<float, S>& out) {
  return ddnn::Aggregator<ddnn::Max>::combine(in, ddnn::Presence::all(devices), out);
}
