// The native-mode AVX2 suite compiles its kernel tables here, once (DDNN_NATIVE_KERNELS_EXTERN):
// test_binary_conv.cpp and test_dispatch.cpp declare them extern.
#include "ddnn/kernels/native_kernel_tables.hpp"
