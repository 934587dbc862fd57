// Four edges cannot share six devices equally.
// expect: an EdgeTier's node count must divide the node count of the tier below
#include "ddnn/graph/ddnn.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/first_conv.hpp"

using namespace ddnn;
using Network = Layers<FirstConv<4, 3, 1, 1, MaxPool<3, 2, 1>>, BinaryConv<16, 3, 1, 1>,
                       BinaryConv<16, 3, 1, 1>, BinaryDense<3, Output::logits>>;
using Head = BinaryDense<3, Output::logits>;

#ifdef DDNN_COMPILE_FAIL
using Graph = DDNN<Sensor<Shape<10, 14, 1>>, Network, DeviceTier<6, 1>, EdgeTier<4, Concat, 2>,
                   CloudTier<Concat>>;
#else
using Graph = DDNN<Sensor<Shape<10, 14, 1>>, Network, DeviceTier<6, 1>, EdgeTier<3, Concat, 2>,
                   CloudTier<Concat>>;
#endif

std::size_t tiers() { return Graph::tier_count; }
