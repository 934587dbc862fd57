// An edge tier runs the layers between the device cut and its own cut, so its cut must be higher.
// expect: a tier's cut must lie above the cut of the tier below
#include "ddnn/graph/ddnn.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/first_conv.hpp"

using namespace ddnn;
using Network = Layers<FirstConv<4, 3, 1, 1, MaxPool<3, 2, 1>>, BinaryConv<16, 3, 1, 1>,
                       BinaryConv<16, 3, 1, 1>, BinaryDense<3, Output::logits>>;
using Head = BinaryDense<3, Output::logits>;

#ifdef DDNN_COMPILE_FAIL
using Graph = DDNN<Sensor<Shape<10, 14, 1>>, Network, DeviceTier<6, 2>, EdgeTier<1, Concat, 2>,
                   CloudTier<Concat>>;
#else
using Graph = DDNN<Sensor<Shape<10, 14, 1>>, Network, DeviceTier<6, 2>, EdgeTier<1, Concat, 3>,
                   CloudTier<Concat>>;
#endif

std::size_t tiers() { return Graph::tier_count; }
