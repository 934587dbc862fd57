// Padding 3 on a 3x3 kernel: some windows would read padding only.
// expect: BinaryConv requires padding smaller than the kernel
#include "ddnn/layers/binary_conv.hpp"

#ifdef DDNN_COMPILE_FAIL
constexpr std::size_t pad = 3;
#else
constexpr std::size_t pad = 2;
#endif
using Spec = ddnn::BinaryConv<8, 3, 1, pad>;
static_assert(Spec::pad == pad);
