// A 5x5 kernel over a 2-row input with padding 1 (4 padded rows) cannot produce an output row.
// expect: BinaryConv kernel is taller than the zero-padded input
#include "ddnn/layers/binary_conv.hpp"

#ifdef DDNN_COMPILE_FAIL
using In = ddnn::Shape<2, 8, 64>;
#else
using In = ddnn::Shape<3, 8, 64>;  // 3 + 2 * 1 = 5 rows: exactly one output row
#endif
using Layer = ddnn::BinaryConv<8, 5, 1, 1>::bind<In>;
static_assert(sizeof(Layer) > 0);
