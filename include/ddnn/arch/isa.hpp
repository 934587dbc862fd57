// Instruction-set tags (empty structs, each inheriting from the level it extends, as xsimd does)
// and their run-time identifiers. Kernels are templates over these tags.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "ddnn/core/config.hpp"

DDNN_BEGIN_NAMESPACE
namespace isa {

/// Portable C++; assumes no popcount instruction (uses a branch-free SWAR bit count).
struct scalar {
  static constexpr std::string_view name = "scalar";
};
/// x86-64 with SSE4.2 and the 64-bit POPCNT instruction (Nehalem and later).
struct sse4_2 : scalar {
  static constexpr std::string_view name = "sse4_2";
};
/// 256-bit AVX2: nibble-table popcount (vpshufb) with byte accumulators.
struct avx2 : sse4_2 {
  static constexpr std::string_view name = "avx2";
};
/// 512-bit AVX-512 F/BW: the AVX2 scheme on 512-bit registers.
struct avx512bw : avx2 {
  static constexpr std::string_view name = "avx512bw";
};
/// AVX-512 with VPOPCNTDQ: a popcount instruction per 64-bit lane.
struct avx512vpopcntdq : avx512bw {
  static constexpr std::string_view name = "avx512vpopcntdq";
};
/// AArch64 Advanced SIMD: vcnt per byte, pairwise widening adds.
struct neon : scalar {
  static constexpr std::string_view name = "neon";
};

}  // namespace isa

/// Run-time name of an ISA, ordered from the most portable to the fastest within a family.
enum class isa_id : std::uint8_t { scalar, sse4_2, avx2, avx512bw, avx512vpopcntdq, neon };

inline constexpr std::array<isa_id, 6> all_isas = {
    isa_id::scalar,   isa_id::sse4_2,          isa_id::avx2,
    isa_id::avx512bw, isa_id::avx512vpopcntdq, isa_id::neon};

[[nodiscard]] constexpr std::string_view name(isa_id id) noexcept {
  switch (id) {
    case isa_id::scalar:
      return isa::scalar::name;
    case isa_id::sse4_2:
      return isa::sse4_2::name;
    case isa_id::avx2:
      return isa::avx2::name;
    case isa_id::avx512bw:
      return isa::avx512bw::name;
    case isa_id::avx512vpopcntdq:
      return isa::avx512vpopcntdq::name;
    case isa_id::neon:
      return isa::neon::name;
  }
  return "unknown";
}

template <class Isa>
inline constexpr isa_id id_of = isa_id::scalar;
template <>
inline constexpr isa_id id_of<isa::sse4_2> = isa_id::sse4_2;
template <>
inline constexpr isa_id id_of<isa::avx2> = isa_id::avx2;
template <>
inline constexpr isa_id id_of<isa::avx512bw> = isa_id::avx512bw;
template <>
inline constexpr isa_id id_of<isa::avx512vpopcntdq> = isa_id::avx512vpopcntdq;
template <>
inline constexpr isa_id id_of<isa::neon> = isa_id::neon;

DDNN_END_NAMESPACE
