// Choosing kernels: which ISAs this build contains, which the CPU runs, and the table for one.
// The choice is made once, when a layer is built, and stored in the layer.
#pragma once
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "ddnn/arch/cpu_features.hpp"
#include "ddnn/core/error.hpp"
#include "ddnn/kernels/kernel_table.hpp"

#if DDNN_DISPATCH_MODE
// Dispatch mode: each ISA's table is compiled in its own TU (see cmake/ddnnKernels.cmake), and
// DDNN_KERNELS_<TAG> is defined for each ISA compiled. Declaring the tables of the others too is
// harmless: they are never called (has_kernels below).
DDNN_BEGIN_NAMESPACE
#define DDNN_EXTERN_KERNEL_TABLE(tag, TAG) \
  extern template kernel_table make_kernel_table<isa::tag>() noexcept;
DDNN_FOR_EACH_ISA(DDNN_EXTERN_KERNEL_TABLE)
#undef DDNN_EXTERN_KERNEL_TABLE

namespace detail {
// A macro that is not defined stringizes to its own name, and a defined one to its value: so a
// constant expression can tell whether DDNN_KERNELS_<TAG> is defined.
#define DDNN_STRINGIZE_VALUE(macro) DDNN_STRINGIZE_TOKENS(macro)
#define DDNN_STRINGIZE_TOKENS(...) #__VA_ARGS__
#define DDNN_ISA_IN_LIBRARY(tag, TAG) \
  std::string_view(DDNN_STRINGIZE_VALUE(DDNN_KERNELS_##TAG)) != "DDNN_KERNELS_" #TAG,
/// Per isa_id: whether ddnn_add_kernels() compiled the ISA's table into this build.
inline constexpr std::array<bool, all_isas.size()> in_kernel_library = {
    DDNN_FOR_EACH_ISA(DDNN_ISA_IN_LIBRARY)};
#undef DDNN_ISA_IN_LIBRARY
#undef DDNN_STRINGIZE_TOKENS
#undef DDNN_STRINGIZE_VALUE
}  // namespace detail
DDNN_END_NAMESPACE
#else
// Native mode: instantiate inline for whatever this TU's compiler flags allow.
#include "ddnn/kernels/kernel_table_impl.hpp"
#if defined(DDNN_NATIVE_KERNELS_EXTERN)
// ...unless the program compiles them once: its TUs define DDNN_NATIVE_KERNELS_EXTERN and one of
// them includes ddnn/kernels/native_kernel_tables.hpp. Every kernel is then compiled in that TU
// only, not again in each TU that builds a layer (about half of such a TU's compile time).
DDNN_BEGIN_NAMESPACE
#define DDNN_EXTERN_KERNEL_TABLE(tag, TAG) \
  extern template kernel_table make_kernel_table<isa::tag>() noexcept;
DDNN_FOR_EACH_ISA(DDNN_EXTERN_KERNEL_TABLE)
#undef DDNN_EXTERN_KERNEL_TABLE
DDNN_END_NAMESPACE
#endif
#endif

DDNN_BEGIN_NAMESPACE

/// True when this build contains kernels for `Isa` (whether or not this CPU can run them). The
/// portable ISA's always are.
template <class Isa>
inline constexpr bool has_kernels =
#if DDNN_DISPATCH_MODE
    is_root_isa<Isa> || detail::in_kernel_library[std::size_t(Isa::id)];
#else
    compiled_for<Isa>;
#endif

/// True when this build contains kernels for `id` (whether or not this CPU can run them).
[[nodiscard]] constexpr bool compiled_in(isa_id id) noexcept {
  return visit_isa(id, false, [](auto tag) { return has_kernels<decltype(tag)>; });
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

/// The fastest ISA compiled in that a CPU with `features` runs: the last such in the list (a
/// CPU runs one family, in which later levels are faster).
[[nodiscard]] constexpr isa_id best_isa_for(const cpu_features& features) noexcept {
  isa_id best = isa_id::scalar;
  all_isa_tags::for_each([&](auto tag) {
    using Isa = decltype(tag);
    if (has_kernels<Isa> && Isa::supported_by(features)) best = Isa::id;
  });
  return best;
}

/// The fastest available ISA; detected once per process.
[[nodiscard]] inline isa_id best_isa() noexcept {
  static const isa_id best = best_isa_for(cpu());
  return best;
}

namespace detail {
template <class Isa>
const kernel_table& fallback_table();

/// Isa's own table, the entries it leaves empty filled from its base's.
template <class Isa>
const kernel_table& table_for() {
  static const kernel_table table = [] {
    kernel_table t = make_kernel_table<Isa>();
    if constexpr (!is_root_isa<Isa>) fill_missing(t, fallback_table<typename Isa::base>());
    return t;
  }();
  return table;
}

/// Isa's table where it is compiled in, else its base's, and so on down to the portable one.
/// Every level below an ISA the CPU runs is runnable too (see the tags' `supported_by`).
template <class Isa>
const kernel_table& fallback_table() {
  if constexpr (has_kernels<Isa>) {
    return table_for<Isa>();
  } else {
    return fallback_table<typename Isa::base>();
  }
}
}  // namespace detail

[[noreturn]] inline void fail_unavailable(isa_id id) {
  detail::fail(
      "ISA " + std::string(name(id)) +
      (compiled_in(id) ? " is not supported by this CPU" : " is not compiled into this build"));
}

namespace detail {
/// The table for `id` (see fallback_table); kernels() asks only for available ones.
inline const kernel_table& table_of(isa_id id) {
  const kernel_table* table = visit_isa(id, static_cast<const kernel_table*>(nullptr),
                                        [](auto tag) { return &fallback_table<decltype(tag)>(); });
  return table ? *table : fallback_table<isa::scalar>();
}
}  // namespace detail

/// The kernels for `id`; throws ddnn::error when `id` is not compiled in or this CPU lacks it.
[[nodiscard]] inline const kernel_table& kernels(isa_id id) {
  if (!available(id)) fail_unavailable(id);
  return detail::table_of(id);
}

DDNN_END_NAMESPACE
