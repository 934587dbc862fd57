// Little-endian bytes for ddnn's wire formats (tier messages, runtime envelopes and payloads,
// logits links): integers of 1 to 8 bytes and arrays of float32. Every format stores its numbers
// this way, whatever the host's own byte order; these are the only functions that turn numbers
// into those bytes and back.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "ddnn/core/config.hpp"

DDNN_BEGIN_NAMESPACE

namespace detail {

/// The low `bytes` bytes of `v` at `out`, least significant first.
inline void store_le(std::uint8_t* out, std::uint64_t v, int bytes) noexcept {
  for (int i = 0; i < bytes; ++i) out[i] = std::uint8_t(v >> (8 * i));
}

/// The `bytes`-byte unsigned integer at `p`, least significant byte first.
[[nodiscard]] inline std::uint64_t load_le(const std::uint8_t* p, int bytes) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::uint64_t{p[i]} << (8 * i);
  return v;
}

/// `values` as 4 little-endian bytes each at `out`.
inline void store_floats_le(std::uint8_t* out, std::span<const float> values) noexcept {
  // On little-endian hosts the wire bytes are the memory bytes. One copy is also what keeps
  // GCC 12's vectoriser from a false -Wstringop-overflow on the byte-by-byte loop.
  if constexpr (std::endian::native == std::endian::little) {
    if (!values.empty()) std::memcpy(out, values.data(), 4 * values.size());
  } else {
    for (std::size_t i = 0; i < values.size(); ++i)
      store_le(out + 4 * i, std::bit_cast<std::uint32_t>(values[i]), 4);
  }
}

/// `values.size()` floats from their 4 little-endian bytes each at `in` (NaN and infinities as
/// they come: core/finite.hpp finds them).
inline void load_floats_le(const std::uint8_t* in, std::span<float> values) noexcept {
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = std::bit_cast<float>(std::uint32_t(load_le(in + 4 * i, 4)));
}

}  // namespace detail

DDNN_END_NAMESPACE
