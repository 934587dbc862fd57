// A device exit that predicts 10 classes in a 3-class network.
// expect: every exit head must predict as many classes as the network's last layer
#include "ddnn/graph/ddnn.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/first_conv.hpp"

using namespace ddnn;
using Network = Layers<FirstConv<4, 3, 1, 1, MaxPool<3, 2, 1>>, BinaryConv<16, 3, 1, 1>,
                       BinaryConv<16, 3, 1, 1>, BinaryDense<3, Output::logits>>;
using Head = BinaryDense<3, Output::logits>;

#ifdef DDNN_COMPILE_FAIL
using Graph = DDNN<Sensor<Shape<10, 14, 1>>, Network,
                   DeviceTier<6, 1, Exit<BinaryDense<10, Output::logits>>>, CloudTier<Concat>>;
#else
using Graph = DDNN<Sensor<Shape<10, 14, 1>>, Network,
                   DeviceTier<6, 1, Exit<BinaryDense<3, Output::logits>>>, CloudTier<Concat>>;
#endif

std::size_t tiers() { return Graph::tier_count; }
