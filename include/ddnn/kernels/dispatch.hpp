// Choosing kernels: which ISAs this build contains, which the CPU runs, and the table for one.
// The choice is made once, when a layer is built, and stored in the layer.
#pragma once
#include <string>
#include <vector>

#include "ddnn/arch/cpu_features.hpp"
#include "ddnn/core/error.hpp"
#include "ddnn/kernels/kernel_table.hpp"

#if DDNN_DISPATCH_MODE
// Dispatch mode: each ISA's table is compiled in its own TU (see cmake/ddnnKernels.cmake).
DDNN_BEGIN_NAMESPACE
extern template kernel_table make_kernel_table<isa::scalar>() noexcept;
#if defined(DDNN_KERNELS_SSE4_2)
extern template kernel_table make_kernel_table<isa::sse4_2>() noexcept;
#endif
#if defined(DDNN_KERNELS_AVX2)
extern template kernel_table make_kernel_table<isa::avx2>() noexcept;
#endif
#if defined(DDNN_KERNELS_AVX512BW)
extern template kernel_table make_kernel_table<isa::avx512bw>() noexcept;
#endif
#if defined(DDNN_KERNELS_AVX512VPOPCNTDQ)
extern template kernel_table make_kernel_table<isa::avx512vpopcntdq>() noexcept;
#endif
#if defined(DDNN_KERNELS_NEON)
extern template kernel_table make_kernel_table<isa::neon>() noexcept;
#endif
DDNN_END_NAMESPACE
#else
// Native mode: instantiate inline for whatever this TU's compiler flags allow.
#include "ddnn/kernels/kernel_table_impl.hpp"
#endif

DDNN_BEGIN_NAMESPACE

/// True when this build contains kernels for `id` (whether or not this CPU can run them).
[[nodiscard]] constexpr bool compiled_in(isa_id id) noexcept {
#if DDNN_DISPATCH_MODE
  switch (id) {
    case isa_id::scalar:
      return true;
#if defined(DDNN_KERNELS_SSE4_2)
    case isa_id::sse4_2:
      return true;
#endif
#if defined(DDNN_KERNELS_AVX2)
    case isa_id::avx2:
      return true;
#endif
#if defined(DDNN_KERNELS_AVX512BW)
    case isa_id::avx512bw:
      return true;
#endif
#if defined(DDNN_KERNELS_AVX512VPOPCNTDQ)
    case isa_id::avx512vpopcntdq:
      return true;
#endif
#if defined(DDNN_KERNELS_NEON)
    case isa_id::neon:
      return true;
#endif
    default:
      return false;
  }
#else
  switch (id) {
    case isa_id::scalar:
      return true;
    case isa_id::sse4_2:
      return compiled_for<isa::sse4_2>;
    case isa_id::avx2:
      return compiled_for<isa::avx2>;
    case isa_id::avx512bw:
      return compiled_for<isa::avx512bw>;
    case isa_id::avx512vpopcntdq:
      return compiled_for<isa::avx512vpopcntdq>;
    case isa_id::neon:
      return compiled_for<isa::neon>;
  }
  return false;
#endif
}

/// True when `id` is compiled in and the running CPU can execute it.
[[nodiscard]] inline bool available(isa_id id) noexcept {
  return compiled_in(id) && cpu_supports(id);
}

/// Every ISA that is compiled in and runnable here, most portable first.
[[nodiscard]] inline std::vector<isa_id> available_isas() {
  std::vector<isa_id> ids;
  for (isa_id id : all_isas)
    if (available(id)) ids.push_back(id);
  return ids;
}

/// The fastest available ISA; detected once per process.
[[nodiscard]] inline isa_id best_isa() noexcept {
  static const isa_id best = [] {
    isa_id chosen = isa_id::scalar;
    for (isa_id id :
         {isa_id::sse4_2, isa_id::avx2, isa_id::avx512bw, isa_id::avx512vpopcntdq, isa_id::neon})
      if (available(id)) chosen = id;
    return chosen;
  }();
  return best;
}

namespace detail {
inline const kernel_table& table_of(isa_id id);

template <class Isa>
const kernel_table& table_for() {
  static const kernel_table table = [] {
    kernel_table t = make_kernel_table<Isa>();
    if (id_of<Isa> != isa_id::scalar) fill_missing(t, table_of(base_isa(id_of<Isa>)));
    return t;
  }();
  return table;
}

#if !DDNN_DISPATCH_MODE
template <class Isa>
const kernel_table& native_table() {
  if constexpr (compiled_for<Isa>) {
    return table_for<Isa>();
  } else {
    return table_for<isa::scalar>();  // unreachable: kernels() checked available() first
  }
}
#endif
}  // namespace detail

[[noreturn]] inline void fail_unavailable(isa_id id) {
  detail::fail(
      "ISA " + std::string(name(id)) +
      (compiled_in(id) ? " is not supported by this CPU" : " is not compiled into this build"));
}

namespace detail {
/// The table for an ISA known to be compiled in (a base ISA of an available one always is).
inline const kernel_table& table_of(isa_id id) {
  switch (id) {
#if DDNN_DISPATCH_MODE
#if defined(DDNN_KERNELS_SSE4_2)
    case isa_id::sse4_2:
      return table_for<isa::sse4_2>();
#endif
#if defined(DDNN_KERNELS_AVX2)
    case isa_id::avx2:
      return table_for<isa::avx2>();
#endif
#if defined(DDNN_KERNELS_AVX512BW)
    case isa_id::avx512bw:
      return table_for<isa::avx512bw>();
#endif
#if defined(DDNN_KERNELS_AVX512VPOPCNTDQ)
    case isa_id::avx512vpopcntdq:
      return table_for<isa::avx512vpopcntdq>();
#endif
#if defined(DDNN_KERNELS_NEON)
    case isa_id::neon:
      return table_for<isa::neon>();
#endif
#else
    case isa_id::sse4_2:
      return native_table<isa::sse4_2>();
    case isa_id::avx2:
      return native_table<isa::avx2>();
    case isa_id::avx512bw:
      return native_table<isa::avx512bw>();
    case isa_id::avx512vpopcntdq:
      return native_table<isa::avx512vpopcntdq>();
    case isa_id::neon:
      return native_table<isa::neon>();
#endif
    default:
      break;
  }
  return table_for<isa::scalar>();
}
}  // namespace detail

/// The kernels for `id`; throws ddnn::error when `id` is not compiled in or this CPU lacks it.
[[nodiscard]] inline const kernel_table& kernels(isa_id id) {
  if (!available(id)) fail_unavailable(id);
  return detail::table_of(id);
}

DDNN_END_NAMESPACE
