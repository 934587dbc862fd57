// A type that is not a ddnn::Shape<H, W, C> where the ShapeType concept is required.
// expect: constraint failure.*ShapeType|does not satisfy 'ShapeType'
#include "ddnn/layers/binary_dense.hpp"

#include <array>

#ifdef DDNN_COMPILE_FAIL
using In = std::array<float, 16>;
#else
using In = ddnn::Vector<16>;
#endif
using Layer = ddnn::BinaryDense<4>::bind<In>;
static_assert(Layer::weight_count == 64);
