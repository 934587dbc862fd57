// Above the device cut the cloud receives bit maps; a FirstConv there (it reads sensor values)
// does not fit what crosses the cut.
// expect: a layer does not accept the tensors it is given at this tier
#include "ddnn/graph/ddnn.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/first_conv.hpp"

using namespace ddnn;
#ifdef DDNN_COMPILE_FAIL
using Above = FirstConv<8, 3, 1, 1>;
#else
using Above = BinaryConv<8, 3, 1, 1>;
#endif
using Network =
    Layers<FirstConv<4, 3, 1, 1, MaxPool<3, 2, 1>>, Above, BinaryDense<3, Output::logits>>;
using Graph = DDNN<Sensor<Shape<10, 14, 1>>, Network, DeviceTier<6, 1>, CloudTier<Concat>>;

std::size_t tiers() { return Graph::tier_count; }
