// A cut after the fifth layer of a four-layer network does not exist.
// expect: partition point lies beyond the last layer
#include "ddnn/graph/section.hpp"
#include "ddnn/layers/binary_dense.hpp"

using Network = ddnn::Layers<ddnn::BinaryDense<8>, ddnn::BinaryDense<8>, ddnn::BinaryDense<8>,
                             ddnn::BinaryDense<4, ddnn::Output::logits>>;
#ifdef DDNN_COMPILE_FAIL
constexpr std::size_t cut = 5;
#else
constexpr std::size_t cut = 4;
#endif
using Device = ddnn::split_at<cut, Network>::head;
static_assert(Device::size == cut);
