// How a node's exit-head logits travel to its tier's exit aggregator: as float32 values, or
// rounded to 8 bits with one power-of-two scale per message.
//
// The int8 link: for logits x_i with m = max |x_i|, the exponent e is the smallest with
// round(m / 2^e) <= 127 (never below -126, so that 2^e and 2^-e are normal floats); each value
// becomes q_i = round(x_i / 2^e) (halves away from zero), |q_i| <= 127, and the receiver's value
// is q_i * 2^e, exactly. All zeros send e = 0. On the wire: e as one signed byte, then the q_i as
// signed bytes: 1 + |C| bytes instead of 4 |C|.
//
// A node rounds its logits onto that grid itself (round_to_link) before anything reads them, so
// its own exit, the aggregator, the trainer's simulation and the wire all see the same floats:
// writing them is exact and reading them back gives the same bits. Because the scale is a power
// of two, the rounded values determine e and q again; a reader refuses bytes that are not the
// ones the writer would produce from the values they stand for.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ddnn/core/error.hpp"
#include "ddnn/core/finite.hpp"
#include "ddnn/core/little_endian.hpp"

DDNN_BEGIN_NAMESPACE

/// How a tier's nodes send their logits to the tier's exit (stored with the model, per tier).
enum class LogitsEncoding : std::uint8_t {
  float32 = 0,  ///< 4 bytes per class
  int8 = 1,     ///< one exponent byte, then one byte per class
};

[[nodiscard]] constexpr std::string_view name_of(LogitsEncoding e) noexcept {
  return e == LogitsEncoding::int8 ? "int8" : "float32";
}
/// "float32" or "int8"; nothing for any other text.
[[nodiscard]] constexpr std::optional<LogitsEncoding> logits_encoding_named(
    std::string_view name) noexcept {
  if (name == "float32") return LogitsEncoding::float32;
  if (name == "int8") return LogitsEncoding::int8;
  return std::nullopt;
}

/// Bytes one node's logits take on its link.
[[nodiscard]] constexpr std::size_t logits_link_bytes(LogitsEncoding e,
                                                      std::size_t classes) noexcept {
  return e == LogitsEncoding::int8 ? 1 + classes : 4 * classes;
}

namespace detail {

/// 2^k as a float, k in [-126, 127] (built from its bits: exact, no libm).
[[nodiscard]] constexpr float power_of_two(int k) noexcept {
  return std::bit_cast<float>(std::uint32_t(k + 127) << 23);
}

/// round(r), halves away from zero, for |r| < 2^23 (the fraction r - trunc(r) is exact).
[[nodiscard]] constexpr int round_half_away(float r) noexcept {
  int t = int(r);
  const float fraction = r - float(t);
  if (fraction >= 0.5f) ++t;
  if (fraction <= -0.5f) --t;
  return t;
}

inline constexpr int int8_link_min_exponent = -126;
/// Logits at or beyond this magnitude have no int8 form (q * 2^e would overflow float).
inline constexpr float int8_link_limit = 127.5f * power_of_two(121);

/// The int8 link's exponent for logits whose largest magnitude is `m` (finite, below
/// int8_link_limit).
[[nodiscard]] constexpr int int8_link_exponent(float m) noexcept {
  if (m == 0.0f) return 0;
  // m in [2^(b-127), 2^(b-126)) for a normal m with biased exponent b: m / 2^(b-133) in [64, 128)
  const int b = int((std::bit_cast<std::uint32_t>(m) >> 23) & 0xffu);
  int e = b - 133;
  if (e < int8_link_min_exponent) return int8_link_min_exponent;
  if (round_half_away(m * power_of_two(-e)) > 127) ++e;
  return e;
}

}  // namespace detail

namespace detail {
/// The int8 link's exponent for `logits`. Throws ddnn::error for a NaN, infinite or too large
/// logit.
[[nodiscard]] inline int int8_link_exponent_of(std::span<const float> logits) {
  float m = 0.0f;
  for (float x : logits) {
    const float a = x < 0.0f ? -x : x;
    if (!(a < int8_link_limit))  // also NaN
      fail("logit " + std::to_string(x) + " has no int8 link form (NaN, infinite or beyond " +
           std::to_string(int8_link_limit) + ")");
    if (a > m) m = a;
  }
  return int8_link_exponent(m);
}
}  // namespace detail

/// Rounds `logits` in place onto the int8 link's grid (above). Throws ddnn::error for a NaN,
/// infinite or too large logit.
inline void round_to_int8_link(std::span<float> logits) {
  const int e = detail::int8_link_exponent_of(logits);
  const float down = detail::power_of_two(-e), up = detail::power_of_two(e);
  for (float& x : logits) x = float(detail::round_half_away(x * down)) * up;
}

/// Rounds `logits` onto the link's grid (nothing to do for float32).
inline void round_to_link(LogitsEncoding e, std::span<float> logits) {
  if (e == LogitsEncoding::int8) round_to_int8_link(logits);
}

/// Writes logits (already rounded onto the link's grid) as the link sends them:
/// logits_link_bytes(e, size) bytes at `out`. Throws ddnn::error for a NaN or infinite value, or
/// (int8) for values off the grid: a node that forgot round_to_link finds its own bug.
inline void write_logits(LogitsEncoding e, std::span<const float> logits, std::uint8_t* out) {
  if (const std::size_t i = detail::first_non_finite(logits); i != logits.size())
    detail::fail("logits have a NaN or infinite value at index " + std::to_string(i));
  if (e == LogitsEncoding::float32) {
    detail::store_floats_le(out, logits);
    return;
  }
  const int exponent = detail::int8_link_exponent_of(logits);
  const float down = detail::power_of_two(-exponent), up = detail::power_of_two(exponent);
  out[0] = std::uint8_t(std::int8_t(exponent));
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const int q = detail::round_half_away(logits[i] * down);
    if (float(q) * up != logits[i])
      detail::fail("logit " + std::to_string(i) + " (" + std::to_string(logits[i]) +
                   ") is not on the int8 link's grid: round_to_link first");
    out[1 + i] = std::uint8_t(std::int8_t(q));
  }
}

/// Reads logits as write_logits wrote them. Throws ddnn::error (naming `what`) for a NaN or
/// infinite float, or int8 bytes that write_logits would not have written: an exponent outside
/// [-126, 122], a byte of -128, a largest value off the exponent's range.
inline void read_logits(LogitsEncoding e, const std::uint8_t* in, std::span<float> logits,
                        std::string_view what) {
  if (e == LogitsEncoding::float32) {
    detail::load_floats_le(in, logits);
    if (const std::size_t i = detail::first_non_finite(logits); i != logits.size())
      detail::fail(std::string(what) + " has a NaN or infinite value at index " +
                   std::to_string(i));
    return;
  }
  const int exponent = std::int8_t(in[0]);
  if (exponent < detail::int8_link_min_exponent || exponent > 122)
    detail::fail(std::string(what) + " has int8 exponent " + std::to_string(exponent) +
                 ", outside [-126, 122]");
  const float up = detail::power_of_two(exponent);
  float m = 0.0f;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const int q = std::int8_t(in[1 + i]);
    if (q == -128) detail::fail(std::string(what) + " has int8 value -128 (the link uses +-127)");
    logits[i] = float(q) * up;
    const float a = logits[i] < 0.0f ? -logits[i] : logits[i];
    if (!(a < detail::int8_link_limit))
      detail::fail(std::string(what) + " is beyond the int8 link's range");
    m = a > m ? a : m;
  }
  if (detail::int8_link_exponent(m) != exponent)
    detail::fail(std::string(what) + " has int8 exponent " + std::to_string(exponent) +
                 " where its values call for " + std::to_string(detail::int8_link_exponent(m)));
}

DDNN_END_NAMESPACE
