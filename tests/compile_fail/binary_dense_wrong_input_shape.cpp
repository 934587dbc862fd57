// Passing a 64-value tensor to a layer bound to 128 values.
// expect: BinaryDense input tensor shape does not match the shape the layer was bound to
#include "ddnn/layers/binary_dense.hpp"

using Layer = ddnn::BinaryDense<4>::bind<ddnn::Vector<128>>;

#ifdef DDNN_COMPILE_FAIL
using Input = ddnn::BitTensor<ddnn::Vector<64>>;
#else
using Input = ddnn::BitTensor<ddnn::Vector<128>>;
#endif

void run(const Layer& layer, const Input& input, Layer::output_type& output);
void run(const Layer& layer, const Input& input, Layer::output_type& output) {
  layer.forward(input, output);
}
