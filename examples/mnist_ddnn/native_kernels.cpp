// The -march=native build's packed inference kernels, compiled here once; the job's other
// translation units declare them extern (DDNN_NATIVE_KERNELS_EXTERN) instead of compiling every
// ISA's kernels again, which was about half of their compile time.
#include "ddnn/kernels/native_kernel_tables.hpp"
