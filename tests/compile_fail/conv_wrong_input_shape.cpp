// A float Conv bound to 8x8x16 maps does not take maps of another shape.
// expect: Conv input tensor shape does not match the shape the layer was bound to
#include "ddnn/layers/conv.hpp"

using Layer = ddnn::Conv<8, 3, 1, 1>::bind<ddnn::Shape<8, 8, 16>>;
#ifdef DDNN_COMPILE_FAIL
using Input = ddnn::Tensor<float, ddnn::Shape<8, 8, 15>>;
#else
using Input = ddnn::Tensor<float, ddnn::Shape<8, 8, 16>>;
#endif

void run(const Layer& layer, const Input& input, Layer::output_type& output) {
  layer.forward(input, output);
}
