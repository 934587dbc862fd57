// Building blocks of ddnn's JSON model files: strict base64, sign-packed and exact float32 arrays,
// and checked accessors whose errors name the path of the offending value.
#pragma once
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ddnn/core/bit_tensor.hpp"
#include "ddnn/core/error.hpp"
#include "ddnn/io/json_parse.hpp"

DDNN_BEGIN_NAMESPACE
namespace io {

using json = nlohmann::json;

/// Most values a file may declare for one array; checked before anything is allocated.
inline constexpr std::size_t max_value_count = std::size_t{1} << 30;
/// As an expected count: whatever the file holds.
inline constexpr std::size_t any_count = std::numeric_limits<std::size_t>::max();

// --- paths --------------------------------------------------------------------------------------
// Every loader takes the path of the value it reads ("tiers[0].layers[1]") and names it, plus
// the key or index below it, in its messages.

[[nodiscard]] inline std::string member_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
[[nodiscard]] inline std::string element_path(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

/// `text` as a JSON string for a message: escaped, invalid UTF-8 replaced, cut after 60 bytes.
[[nodiscard]] inline std::string quote(std::string_view text) {
  constexpr std::size_t shown = 60;
  const std::string head(text.substr(0, shown));
  return json(head).dump(-1, ' ', false, json::error_handler_t::replace) +
         (text.size() > shown ? "..." : "");
}

/// Runs `load` and rethrows any nlohmann exception (parse_error, type_error, out_of_range, ...)
/// and allocation failure as ddnn::error naming `path`, so that callers only ever see ddnn::error.
template <class Load>
decltype(auto) translate_json_errors(const std::string& path, Load&& load) {
  try {
    return std::forward<Load>(load)();
  } catch (const json::exception& e) {
    ddnn::detail::fail(path + ": " + e.what());
  } catch (const std::bad_alloc&) {
    ddnn::detail::fail(path + ": out of memory");
  }
}

// --- base64 (RFC 4648, standard alphabet, padded, canonical) ----------------------------------

[[nodiscard]] inline std::string base64_encode(std::span<const std::uint8_t> bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = std::uint32_t{bytes[i]} << 16;
    if (n > 1) group |= std::uint32_t{bytes[i + 1]} << 8;
    if (n > 2) group |= bytes[i + 2];
    text += alphabet[group >> 18];
    text += alphabet[(group >> 12) & 63];
    text += n > 1 ? alphabet[(group >> 6) & 63] : '=';
    text += n > 2 ? alphabet[group & 63] : '=';
  }
  return text;
}

namespace detail {
[[nodiscard]] inline int base64_digit(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/// The byte count `text` decodes to, from its length and padding alone (no allocation).
[[nodiscard]] inline std::size_t base64_decoded_size(std::string_view text,
                                                     const std::string& path) {
  if (text.size() % 4 != 0)
    ddnn::detail::fail(path + ": base64 length " + std::to_string(text.size()) +
                       " is not a multiple of 4");
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  return text.size() / 4 * 3 - padding;
}

[[nodiscard]] inline std::string describe_byte(char c) {
  static constexpr char hex[] = "0123456789abcdef";
  const auto u = static_cast<unsigned char>(c);
  std::string s = "byte 0x";
  s += hex[u >> 4];
  s += hex[u & 15];
  if (u >= 0x20 && u < 0x7f) (s += " '") += std::string(1, c) + "'";
  return s;
}
}  // namespace detail

/// Decodes canonical padded base64: any other character, misplaced or missing padding, or set
/// bits under the padding throw ddnn::error naming `path`.
[[nodiscard]] inline std::vector<std::uint8_t> base64_decode(std::string_view text,
                                                             const std::string& path) {
  std::vector<std::uint8_t> bytes;
  bytes.reserve(detail::base64_decoded_size(text, path));
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last_group = i + 4 == text.size();
    std::uint32_t group = 0;
    int padding = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && last_group && k >= 2) {
        ++padding;
        group <<= 6;
        continue;
      }
      const int digit = detail::base64_digit(c);
      if (digit < 0 || padding > 0)
        ddnn::detail::fail(path + ": invalid base64 (" + detail::describe_byte(c) + " at offset " +
                           std::to_string(i + k) + ")");
      group = group << 6 | std::uint32_t(digit);
    }
    if ((padding == 1 && (group & 0xff) != 0) || (padding == 2 && (group & 0xffff) != 0))
      ddnn::detail::fail(path + ": invalid base64 (bits under the padding are set)");
    bytes.push_back(std::uint8_t(group >> 16));
    if (padding < 2) bytes.push_back(std::uint8_t(group >> 8));
    if (padding < 1) bytes.push_back(std::uint8_t(group));
  }
  return bytes;
}

// --- parameter arrays ---------------------------------------------------------------------------

namespace detail {
inline void require_value_count(std::size_t count, const std::string& path) {
  if (count > max_value_count)
    ddnn::detail::fail(path + ": " + std::to_string(count) + " values exceed the limit of " +
                       std::to_string(max_value_count));
}
inline void require_finite_value(float value, std::size_t index, const std::string& path) {
  if (!std::isfinite(value))
    ddnn::detail::fail(path + ": value " + std::to_string(index) +
                       " is not finite (model parameters must be finite)");
}
}  // namespace detail

/// Weights packed by sign (ddnn::sign_bit: w >= 0 is +1, bit 1), 8 per byte, LSB first, in
/// base64. Throws ddnn::error for a non-finite weight.
[[nodiscard]] inline std::string encode_signs(std::span<const float> weights,
                                              const std::string& path = "signs") {
  std::vector<std::uint8_t> bytes((weights.size() + 7) / 8, 0);
  for (std::size_t i = 0; i < weights.size(); ++i) {
    detail::require_finite_value(weights[i], i, path);
    if (sign_bit(weights[i])) bytes[i / 8] |= std::uint8_t(1u << (i % 8));
  }
  return base64_encode(bytes);
}

/// The inverse of encode_signs: `count` weights, each +1.0f or -1.0f. Throws ddnn::error unless
/// the text holds exactly (count + 7) / 8 bytes with the bits after the last sign clear.
[[nodiscard]] inline std::vector<float> decode_signs(std::string_view text, std::size_t count,
                                                     const std::string& path = "signs") {
  detail::require_value_count(count, path);
  const std::size_t expected_bytes = (count + 7) / 8;
  const std::size_t bytes_in_text = detail::base64_decoded_size(text, path);
  if (bytes_in_text != expected_bytes)
    ddnn::detail::fail(path + ": " + std::to_string(count) + " signs take " +
                       std::to_string(expected_bytes) + " bytes, the data has " +
                       std::to_string(bytes_in_text));
  const std::vector<std::uint8_t> bytes = base64_decode(text, path);
  if (count % 8 != 0 && (bytes.back() >> (count % 8)) != 0)
    ddnn::detail::fail(path + ": padding bits after the last of " + std::to_string(count) +
                       " signs are set");
  std::vector<float> weights(count);
  for (std::size_t i = 0; i < count; ++i)
    weights[i] = (bytes[i / 8] >> (i % 8)) & 1u ? 1.0f : -1.0f;
  return weights;
}

/// Exact floats: little-endian IEEE-754 binary32 bytes in base64, whatever the host's byte order.
/// Throws ddnn::error for a non-finite value.
[[nodiscard]] inline std::string encode_floats(std::span<const float> values,
                                               const std::string& path = "floats") {
  static_assert(std::numeric_limits<float>::is_iec559, "ddnn model files require IEEE-754 floats");
  std::vector<std::uint8_t> bytes(values.size() * 4);
  for (std::size_t i = 0; i < values.size(); ++i) {
    detail::require_finite_value(values[i], i, path);
    const auto bits = std::bit_cast<std::uint32_t>(values[i]);
    for (std::size_t b = 0; b < 4; ++b) bytes[i * 4 + b] = std::uint8_t(bits >> (8 * b));
  }
  return base64_encode(bytes);
}

/// The inverse of encode_floats, bit for bit: exactly `count` values (any whole number of them
/// for any_count). Throws ddnn::error for a wrong length or a
/// non-finite value.
[[nodiscard]] inline std::vector<float> decode_floats(std::string_view text, std::size_t count,
                                                      const std::string& path = "floats") {
  const std::size_t bytes_in_text = detail::base64_decoded_size(text, path);
  if (bytes_in_text % 4 != 0)
    ddnn::detail::fail(path + ": " + std::to_string(bytes_in_text) +
                       " bytes are not a whole number of float32 values");
  if (count != any_count && count != bytes_in_text / 4)
    ddnn::detail::fail(path + ": expected " + std::to_string(count) + " floats, got " +
                       std::to_string(bytes_in_text / 4));
  const std::vector<std::uint8_t> bytes = base64_decode(text, path);
  std::vector<float> values(bytes.size() / 4);
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::uint32_t bits = 0;
    for (std::size_t b = 0; b < 4; ++b) bits |= std::uint32_t{bytes[i * 4 + b]} << (8 * b);
    values[i] = std::bit_cast<float>(bits);
    detail::require_finite_value(values[i], i, path);
  }
  return values;
}

// --- checked access -----------------------------------------------------------------------------
// require*() read a member of an object, as*() a value itself; each names `path` (the object's
// or value's path) when the value is missing or of the wrong type.

inline void require_object(const json& value, const std::string& path) {
  if (!value.is_object())
    ddnn::detail::fail(path + ": expected an object, got " + std::string(value.type_name()));
}

/// The member `key` of `object`, or nullptr when there is none.
[[nodiscard]] inline const json* find_member(const json& object, std::string_view key,
                                             const std::string& path) {
  require_object(object, path);
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

[[nodiscard]] inline const json& require(const json& object, std::string_view key,
                                         const std::string& path) {
  const json* member = find_member(object, key, path);
  if (!member) ddnn::detail::fail(path + ": missing \"" + std::string(key) + "\"");
  return *member;
}

/// Throws ddnn::error for a member of `object` not in `known`: a misspelt or misplaced key is a
/// mistake in the file, not something to skip silently.
inline void reject_unknown_keys(const json& object, std::initializer_list<std::string_view> known,
                                const std::string& path) {
  require_object(object, path);
  for (const auto& [key, value] : object.items()) {
    bool found = false;
    for (std::string_view k : known) found = found || k == key;
    if (found) continue;
    std::string list;
    for (std::string_view k : known) (list += list.empty() ? "" : ", ") += k;
    ddnn::detail::fail(path + ": unexpected " + quote(key) + " (expected " +
                       (list.empty() ? std::string("no members") : list) + ")");
  }
}

[[nodiscard]] inline const std::string& as_string(const json& value, const std::string& path) {
  if (!value.is_string())
    ddnn::detail::fail(path + ": expected a string, got " + std::string(value.type_name()));
  return value.get_ref<const std::string&>();
}

[[nodiscard]] inline const json& as_array(const json& value, const std::string& path) {
  if (!value.is_array())
    ddnn::detail::fail(path + ": expected an array, got " + std::string(value.type_name()));
  return value;
}

[[nodiscard]] inline bool as_bool(const json& value, const std::string& path) {
  if (!value.is_boolean())
    ddnn::detail::fail(path + ": expected true or false, got " + std::string(value.type_name()));
  return value.get<bool>();
}

/// A finite number (integers included).
[[nodiscard]] inline double as_number(const json& value, const std::string& path) {
  if (!value.is_number())
    ddnn::detail::fail(path + ": expected a number, got " + std::string(value.type_name()));
  const auto number = value.get<double>();
  if (!std::isfinite(number)) ddnn::detail::fail(path + ": expected a finite number");
  return number;
}

/// A finite number within float range, rounded to the nearest float (exact for any float a
/// writer widened to double).
[[nodiscard]] inline float as_float(const json& value, const std::string& path) {
  const double number = as_number(value, path);
  if (std::fabs(number) > double(std::numeric_limits<float>::max()))
    ddnn::detail::fail(path + ": " + value.dump() + " is outside the range of float");
  return static_cast<float>(number);
}

/// A whole number in [0, max].
[[nodiscard]] inline std::size_t as_size(const json& value, const std::string& path,
                                         std::size_t max = max_value_count) {
  std::uint64_t number = 0;
  if (value.is_number_unsigned()) {
    number = value.get<std::uint64_t>();
  } else if (value.is_number_integer()) {
    const auto signed_number = value.get<std::int64_t>();
    if (signed_number < 0)
      ddnn::detail::fail(path + ": expected a count, got " + std::to_string(signed_number));
    number = std::uint64_t(signed_number);
  } else {
    ddnn::detail::fail(path + ": expected a whole number, got " +
                       (value.is_number() ? value.dump() : std::string(value.type_name())));
  }
  if (number > max)
    ddnn::detail::fail(path + ": " + std::to_string(number) + " exceeds the limit of " +
                       std::to_string(max));
  return static_cast<std::size_t>(number);
}

[[nodiscard]] inline const std::string& require_string(const json& object, std::string_view key,
                                                       const std::string& path) {
  return as_string(require(object, key, path), member_path(path, key));
}
[[nodiscard]] inline const json& require_array(const json& object, std::string_view key,
                                               const std::string& path) {
  return as_array(require(object, key, path), member_path(path, key));
}
[[nodiscard]] inline const json& require_object(const json& object, std::string_view key,
                                                const std::string& path) {
  const json& member = require(object, key, path);
  require_object(member, member_path(path, key));
  return member;
}
[[nodiscard]] inline bool require_bool(const json& object, std::string_view key,
                                       const std::string& path) {
  return as_bool(require(object, key, path), member_path(path, key));
}
[[nodiscard]] inline double require_number(const json& object, std::string_view key,
                                           const std::string& path) {
  return as_number(require(object, key, path), member_path(path, key));
}
[[nodiscard]] inline float require_float(const json& object, std::string_view key,
                                         const std::string& path) {
  return as_float(require(object, key, path), member_path(path, key));
}
[[nodiscard]] inline std::size_t require_size(const json& object, std::string_view key,
                                              const std::string& path,
                                              std::size_t max = max_value_count) {
  return as_size(require(object, key, path), member_path(path, key), max);
}

/// A float array written either compactly (a base64 string, see encode_floats) or readably (a
/// JSON array of numbers, rounded to the nearest float): exactly `count` values, or any number
/// for any_count.
[[nodiscard]] inline std::vector<float> as_floats(const json& value, std::size_t count,
                                                  const std::string& path) {
  if (value.is_string()) return decode_floats(value.get_ref<const std::string&>(), count, path);
  if (!value.is_array())
    ddnn::detail::fail(path + ": expected base64 floats or an array of numbers, got " +
                       std::string(value.type_name()));
  if (count != any_count && value.size() != count)
    ddnn::detail::fail(path + ": expected " + std::to_string(count) + " floats, got " +
                       std::to_string(value.size()));
  std::vector<float> values;
  values.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i)
    values.push_back(as_float(value[i], element_path(path, i)));
  return values;
}

}  // namespace io
DDNN_END_NAMESPACE
