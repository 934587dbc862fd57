// Passing a 16x16x32 tensor to a conv layer bound to 16x16x64.
// expect: BinaryConv input tensor shape does not match the shape the layer was bound to
#include "ddnn/layers/binary_conv.hpp"

using Layer = ddnn::BinaryConv<8, 3, 1, 1>::bind<ddnn::Shape<16, 16, 64>>;

#ifdef DDNN_COMPILE_FAIL
using Input = ddnn::BitTensor<ddnn::Shape<16, 16, 32>>;
#else
using Input = ddnn::BitTensor<ddnn::Shape<16, 16, 64>>;
#endif

void run(const Layer& layer, const Input& input, ddnn::BitTensor<Layer::output_shape>& output);
void run(const Layer& layer, const Input& input, ddnn::BitTensor<Layer::output_shape>& output) {
  layer.forward(input, output);
}
