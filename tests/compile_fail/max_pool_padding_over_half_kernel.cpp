// A 3x3 max-pool window with padding 2: some windows would cover padding only.
// expect: MaxPool requires padding of at most half the kernel
#include "ddnn/layers/binary_conv.hpp"

#ifdef DDNN_COMPILE_FAIL
using Pool = ddnn::MaxPool<3, 1, 2>;
#else
using Pool = ddnn::MaxPool<3, 1, 1>;
#endif
using Layer = ddnn::BinaryConv<8, 3, 1, 1, Pool>::bind<ddnn::Shape<8, 8, 64>>;
static_assert(Layer::output_shape::height == 8);
