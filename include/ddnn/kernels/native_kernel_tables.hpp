// Compiles the kernel tables of every ISA this translation unit's flags allow, for a native-mode
// program (no ddnn_add_kernels()) of several TUs built with the same flags. Include it in exactly
// one TU and define DDNN_NATIVE_KERNELS_EXTERN in all of them (this one may define it too): the
// others then declare the tables extern instead of compiling every kernel again. With -march=native
// the kernels of five x86 ISAs are about half of what a TU that builds a layer costs to compile.
//
// To spread them over several TUs (compiled in parallel, or a level the program never runs at a
// lower optimisation), define DDNN_NATIVE_KERNEL_TABLES_SELECTED and DDNN_NATIVE_KERNEL_TABLE_<ISA>
// for the ISAs this TU compiles (of those its flags allow); every allowed ISA must be compiled in
// one TU of the program, or it does not link.
#pragma once
#include "ddnn/arch/popcount_unit.hpp"
#include "ddnn/kernels/dispatch.hpp"
#include "ddnn/kernels/kernel_table_impl.hpp"

#if DDNN_DISPATCH_MODE
#error \
    "ddnn/kernels/native_kernel_tables.hpp is for native mode; ddnn_add_kernels() compiles the tables in dispatch mode"
#endif

DDNN_BEGIN_NAMESPACE
// The conditions below and those dispatch uses (has_kernels) must name the same ISAs.
#define DDNN_SAME_CONDITION(tag, TAG)                                   \
  static_assert(has_kernels<isa::tag> == (DDNN_FLAGS_ALLOW_##TAG != 0), \
                "DDNN_FLAGS_ALLOW_" #TAG " disagrees with compiled_for<isa::" #tag ">");
DDNN_FOR_EACH_ISA(DDNN_SAME_CONDITION)
#undef DDNN_SAME_CONDITION

// An explicit instantiation definition may follow the extern declaration dispatch.hpp makes.
#define DDNN_NATIVE_KERNEL_TABLE(tag, TAG) \
  template kernel_table make_kernel_table<isa::tag>() noexcept;
#if DDNN_FLAGS_ALLOW_SCALAR && \
    (!defined(DDNN_NATIVE_KERNEL_TABLES_SELECTED) || defined(DDNN_NATIVE_KERNEL_TABLE_SCALAR))
DDNN_NATIVE_KERNEL_TABLE(scalar, SCALAR)
#endif
#if DDNN_FLAGS_ALLOW_SSE4_2 && \
    (!defined(DDNN_NATIVE_KERNEL_TABLES_SELECTED) || defined(DDNN_NATIVE_KERNEL_TABLE_SSE4_2))
DDNN_NATIVE_KERNEL_TABLE(sse4_2, SSE4_2)
#endif
#if DDNN_FLAGS_ALLOW_AVX2 && \
    (!defined(DDNN_NATIVE_KERNEL_TABLES_SELECTED) || defined(DDNN_NATIVE_KERNEL_TABLE_AVX2))
DDNN_NATIVE_KERNEL_TABLE(avx2, AVX2)
#endif
#if DDNN_FLAGS_ALLOW_AVX512BW && \
    (!defined(DDNN_NATIVE_KERNEL_TABLES_SELECTED) || defined(DDNN_NATIVE_KERNEL_TABLE_AVX512BW))
DDNN_NATIVE_KERNEL_TABLE(avx512bw, AVX512BW)
#endif
#if DDNN_FLAGS_ALLOW_AVX512VPOPCNTDQ && (!defined(DDNN_NATIVE_KERNEL_TABLES_SELECTED) || \
                                         defined(DDNN_NATIVE_KERNEL_TABLE_AVX512VPOPCNTDQ))
DDNN_NATIVE_KERNEL_TABLE(avx512vpopcntdq, AVX512VPOPCNTDQ)
#endif
#if DDNN_FLAGS_ALLOW_NEON && \
    (!defined(DDNN_NATIVE_KERNEL_TABLES_SELECTED) || defined(DDNN_NATIVE_KERNEL_TABLE_NEON))
DDNN_NATIVE_KERNEL_TABLE(neon, NEON)
#endif
#undef DDNN_NATIVE_KERNEL_TABLE
DDNN_END_NAMESPACE
