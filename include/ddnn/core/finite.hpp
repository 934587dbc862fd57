// Finding NaN and infinite floats: every input, payload, parameter and gradient check in ddnn
// goes through first_non_finite, so they all agree on what counts and all run at vector speed.
#pragma once
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ddnn/core/config.hpp"

DDNN_BEGIN_NAMESPACE

namespace detail {

/// Index of the first NaN or infinite value, or values.size() when all are finite.
[[nodiscard]] inline std::size_t first_non_finite(std::span<const float> values) noexcept {
  // An all-ones exponent is NaN or infinity; this OR-reduction vectorises, std::isfinite does not
  std::uint32_t non_finite = 0;
  for (const float v : values)
    non_finite |= (std::bit_cast<std::uint32_t>(v) & 0x7f800000u) == 0x7f800000u;
  if (non_finite == 0) return values.size();
  std::size_t i = 0;
  while (std::isfinite(values[i])) ++i;
  return i;
}

/// True when no value is NaN or infinite.
[[nodiscard]] inline bool all_finite(std::span<const float> values) noexcept {
  return first_non_finite(values) == values.size();
}

}  // namespace detail

DDNN_END_NAMESPACE
