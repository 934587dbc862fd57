// The float Conv of an upper tier checks its window against the shape it is bound to.
// expect: Conv kernel is taller than the zero-padded input
#include "ddnn/layers/conv.hpp"

#ifdef DDNN_COMPILE_FAIL
using Layer = ddnn::Conv<8, 5>::bind<ddnn::Shape<3, 9, 16>>;
#else
using Layer = ddnn::Conv<8, 3>::bind<ddnn::Shape<3, 9, 16>>;
#endif

std::size_t weights() { return Layer::weight_count; }
