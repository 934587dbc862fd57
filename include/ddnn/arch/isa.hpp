// Instruction-set tags (empty structs, each inheriting from the level it extends, as xsimd does),
// their run-time identifiers, and the one ordered list of them everything per ISA derives from.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "ddnn/core/config.hpp"

/// Every ISA as X(tag, TAG), most portable first within each architecture: the one place the
/// ISAs are listed. isa_id, all_isa_tags and dispatch mode's declarations are generated from it.
/// TAG spells the DDNN_KERNELS_<TAG> macro ddnn_add_kernels() defines for each ISA it compiles
/// (the preprocessor cannot change case). A new ISA also needs its tag below.
#define DDNN_FOR_EACH_ISA(X)          \
  X(scalar, SCALAR)                   \
  X(sse4_2, SSE4_2)                   \
  X(avx2, AVX2)                       \
  X(avx512bw, AVX512BW)               \
  X(avx512vpopcntdq, AVX512VPOPCNTDQ) \
  X(neon, NEON)

DDNN_BEGIN_NAMESPACE

/// Run-time name of an ISA, ordered from the most portable to the fastest within a family.
enum class isa_id : std::uint8_t {
#define DDNN_ISA_ENUMERATOR(tag, TAG) tag,
  DDNN_FOR_EACH_ISA(DDNN_ISA_ENUMERATOR)
#undef DDNN_ISA_ENUMERATOR
};

/// The architecture an ISA belongs to. Only the portable ISA runs on every one of them.
enum class isa_family : std::uint8_t { portable, x86_64, aarch64 };

/// CPU features, as ddnn/arch/cpu_features.hpp reads them; the tags' detection tests these.
struct cpu_features {
  bool sse4_2 = false;
  bool popcnt = false;
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512cd = false;
  bool avx512dq = false;
  bool avx512vl = false;
  bool avx512vpopcntdq = false;
  bool neon = false;
};

// Every tag carries its run-time `id`, its `name`, its `base` (the level it extends, whose table
// fills the entries its own leaves empty), its `family`, and `supported_by`, which requires the
// base's features first, so a CPU that runs an ISA also runs every level below it.
namespace isa {

/// Portable C++; assumes no popcount instruction (uses a branch-free SWAR bit count).
struct scalar {
  static constexpr isa_id id = isa_id::scalar;
  static constexpr std::string_view name = "scalar";
  using base = scalar;  // the root: nothing below it to fall back to
  static constexpr isa_family family = isa_family::portable;
  static constexpr bool supported_by(const cpu_features&) noexcept { return true; }
};
/// x86-64 with SSE4.2 and the 64-bit POPCNT instruction (Nehalem and later).
struct sse4_2 : scalar {
  static constexpr isa_id id = isa_id::sse4_2;
  static constexpr std::string_view name = "sse4_2";
  using base = scalar;
  static constexpr isa_family family = isa_family::x86_64;
  static constexpr bool supported_by(const cpu_features& f) noexcept {
    return base::supported_by(f) && f.sse4_2 && f.popcnt;
  }
};
/// 256-bit AVX2: nibble-table popcount (vpshufb) with byte accumulators; FMA3 for the float
/// kernels (every AVX2 CPU of Intel and AMD has it). Its kernels are built with -mavx2 -mfma.
struct avx2 : sse4_2 {
  static constexpr isa_id id = isa_id::avx2;
  static constexpr std::string_view name = "avx2";
  using base = sse4_2;
  static constexpr bool supported_by(const cpu_features& f) noexcept {
    return base::supported_by(f) && f.avx2 && f.fma;
  }
};
/// 512-bit AVX-512 F/BW: the AVX2 scheme on 512-bit registers. Its kernels are built with
/// -mavx512{f,cd,dq,bw,vl} (Skylake-SP on), so all five are required.
struct avx512bw : avx2 {
  static constexpr isa_id id = isa_id::avx512bw;
  static constexpr std::string_view name = "avx512bw";
  using base = avx2;
  static constexpr bool supported_by(const cpu_features& f) noexcept {
    return base::supported_by(f) && f.avx512f && f.avx512cd && f.avx512dq && f.avx512bw &&
           f.avx512vl;
  }
};
/// AVX-512 with VPOPCNTDQ: a popcount instruction per 64-bit lane.
struct avx512vpopcntdq : avx512bw {
  static constexpr isa_id id = isa_id::avx512vpopcntdq;
  static constexpr std::string_view name = "avx512vpopcntdq";
  using base = avx512bw;
  static constexpr bool supported_by(const cpu_features& f) noexcept {
    return base::supported_by(f) && f.avx512vpopcntdq;
  }
};
/// AArch64 Advanced SIMD: vcnt per byte, pairwise widening adds.
struct neon : scalar {
  static constexpr isa_id id = isa_id::neon;
  static constexpr std::string_view name = "neon";
  using base = scalar;
  static constexpr isa_family family = isa_family::aarch64;
  static constexpr bool supported_by(const cpu_features& f) noexcept {
    return base::supported_by(f) && f.neon;
  }
};

}  // namespace isa

/// An ordered list of ISA tags.
template <class... Tags>
struct isa_list {
  static constexpr std::size_t size = sizeof...(Tags);
  /// Calls f(Tag{}) for every tag, in order.
  template <class F>
  static constexpr void for_each(F&& f) {
    (f(Tags{}), ...);
  }
};

namespace detail {
/// The generated list starts with a comma; a placeholder ahead of it is dropped here.
template <class Placeholder, class... Tags>
using isa_list_after = isa_list<Tags...>;
}  // namespace detail

/// Every ISA tag, in isa_id order.
#define DDNN_ISA_TAG_TYPE(tag, TAG) , isa::tag
using all_isa_tags = detail::isa_list_after<void DDNN_FOR_EACH_ISA(DDNN_ISA_TAG_TYPE)>;
#undef DDNN_ISA_TAG_TYPE

/// True for the portable ISA, the only tag that is its own base.
template <class Isa>
inline constexpr bool is_root_isa = std::is_same_v<typename Isa::base, Isa>;

/// The run-time id of a tag.
template <class Isa>
inline constexpr isa_id id_of = Isa::id;

namespace detail {
template <class... Tags>
constexpr std::array<isa_id, sizeof...(Tags)> ids_of(isa_list<Tags...>) noexcept {
  return {Tags::id...};
}

/// The last tag before Isa in the list of Isa's family, or the root when there is none.
template <class Isa, class... Tags>
constexpr isa_id previous_level(isa_list<Tags...>) noexcept {
  isa_id previous = isa_id::scalar;
  bool before = true;
  ((before = before && !std::is_same_v<Tags, Isa>,
    previous = before && Tags::family == Isa::family ? Tags::id : previous),
   ...);
  return previous;
}

/// What everything derived from the list relies on; a new tag that breaks it fails to compile.
template <class... Tags>
consteval bool well_formed(isa_list<Tags...> list) {
  std::size_t position = 0;
  bool ok = (... && (std::size_t(Tags::id) == position++));  // ids number the list in order
  // One root, first, and the only portable tag.
  ok = ok && (... && (is_root_isa<Tags> == (Tags::id == isa_id::scalar) &&
                      is_root_isa<Tags> == (Tags::family == isa_family::portable)));
  // Each tag extends the previous level of its family (a family starts from the root) and
  // inherits from it, so code for the base also accepts it. (That each tag detects features of
  // its own is checked by tests/test_dispatch.cpp: comparing the predicates' addresses here is
  // not a constant expression under the sanitizers.)
  ok = ok && (... && (is_root_isa<Tags> || (std::is_base_of_v<typename Tags::base, Tags> &&
                                            previous_level<Tags>(list) == Tags::base::id)));
  const std::array<std::string_view, sizeof...(Tags)> names = {Tags::name...};
  for (std::size_t i = 0; i < names.size(); ++i)
    for (std::size_t j = i + 1; j < names.size(); ++j) ok = ok && names[i] != names[j];
  return ok;
}
static_assert(well_formed(all_isa_tags{}),
              "ISA tags must be listed in isa_id order, each extending the previous level of its "
              "family, with their own id, name, base and supported_by");
}  // namespace detail

/// Every ISA, most portable first within a family.
inline constexpr std::array<isa_id, all_isa_tags::size> all_isas = detail::ids_of(all_isa_tags{});

/// Calls f(Tag{}) for the tag of `id` and returns the result, or `otherwise` for an unknown id.
template <class R, class F>
constexpr R visit_isa(isa_id id, R otherwise, F&& f) {
  R result = otherwise;
  all_isa_tags::for_each([&](auto tag) {
    if (decltype(tag)::id == id) result = f(tag);
  });
  return result;
}

[[nodiscard]] constexpr std::string_view name(isa_id id) noexcept {
  return visit_isa(id, std::string_view("unknown"), [](auto tag) { return decltype(tag)::name; });
}

DDNN_END_NAMESPACE
