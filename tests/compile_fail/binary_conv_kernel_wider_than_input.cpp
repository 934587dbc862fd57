// A 3x3 kernel without padding over a 1-column input.
// expect: BinaryConv kernel is wider than the zero-padded input
#include "ddnn/layers/binary_conv.hpp"

#ifdef DDNN_COMPILE_FAIL
using In = ddnn::Shape<8, 1, 64>;
#else
using In = ddnn::Shape<8, 3, 64>;
#endif
using Layer = ddnn::BinaryConv<8, 3>::bind<In>;
static_assert(sizeof(Layer) > 0);
