// Bounded JSON parsing for everything ddnn reads from outside: a size cap, a nesting cap, a
// memory budget and no duplicate keys, enforced in one linear pass; every failure is ddnn::error.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ddnn/core/error.hpp"

DDNN_BEGIN_NAMESPACE
namespace io {

using json = nlohmann::json;

/// Largest JSON text parse_json() and read_json_file() accept: 256 MiB.
inline constexpr std::size_t max_json_bytes = std::size_t{256} << 20;
/// Deepest nesting of arrays and objects they accept: a document of max_json_depth nested
/// containers parses, one more does not. Model files need far less; the cap keeps recursive
/// consumers of the parsed value (dump(), comparisons, destruction) safe from hostile nesting.
inline constexpr int max_json_depth = 64;

/// The memory a parsed document may take, as charged while parsing (json_memory_charge):
/// 64 MiB plus 3 bytes per byte of text. Model files are mostly base64 strings (their parsed
/// form charges about 2 bytes per byte of text); a document of many tiny values (`[0,0,...]`:
/// 32 bytes charged per 2 bytes of text) is refused once it has used the budget, long before it
/// could exhaust memory. With the text itself, one parse holds at most about 4x the text + 64 MiB
/// (about 1.1 GiB at the 256 MiB size cap).
[[nodiscard]] constexpr std::size_t max_json_memory(std::size_t text_bytes) noexcept {
  return (std::size_t{64} << 20) + 3 * text_bytes;
}

/// What one parsed value is charged against max_json_memory: an upper estimate of what
/// nlohmann::json allocates for it, allocator overhead and vector growth included.
struct json_memory_charge {
  /// Any value: its 16-byte slot in the parent container, doubled for the container's spare
  /// capacity.
  static constexpr std::size_t value = 32;
  /// An array or object: its heap-allocated container object.
  static constexpr std::size_t container = 64;
  /// A string value or object key: its heap-allocated std::string plus its characters.
  static constexpr std::size_t string = 64;
  /// An object member: a std::map node around the key and the value.
  static constexpr std::size_t member = 64;
};

namespace detail {

/// Frees a document without allocating. nlohmann's own destructor first copies a container's
/// elements into a new vector (to avoid recursion), which needs memory in proportion to the
/// container: after running out of memory while building a large array, destroying it that way
/// would fail inside a destructor and terminate. Popping elements one by one allocates nothing,
/// and the recursion is bounded by max_json_depth.
inline void dismantle(json& value) noexcept {
  if (value.is_array()) {
    auto& elements = value.get_ref<json::array_t&>();
    while (!elements.empty()) {
      dismantle(elements.back());
      elements.pop_back();
    }
  } else if (value.is_object()) {
    auto& members = value.get_ref<json::object_t&>();
    while (!members.empty()) {
      const auto last = std::prev(members.end());
      dismantle(last->second);
      members.erase(last);
    }
  }
}

/// nlohmann's SAX interface, building the same DOM as json::parse but enforcing ddnn's limits
/// as it goes. (json::parse's own depth hook, the DOM callback, rescans the parent container at
/// every closing brace: quadratic time on arrays of many small objects.)
class BoundedDomBuilder {
 public:
  BoundedDomBuilder(const std::string& what, std::size_t memory_budget)
      : what_(what), budget_(memory_budget) {}
  BoundedDomBuilder(const BoundedDomBuilder&) = delete;
  BoundedDomBuilder& operator=(const BoundedDomBuilder&) = delete;
  /// A document that was not taken (parsing failed) is dismantled without allocating.
  ~BoundedDomBuilder() { dismantle(root_); }

  bool null() { return add(json(nullptr)); }
  bool boolean(bool value) { return add(json(value)); }
  bool number_integer(json::number_integer_t value) { return add(json(value)); }
  bool number_unsigned(json::number_unsigned_t value) { return add(json(value)); }
  bool number_float(json::number_float_t value, const json::string_t&) { return add(json(value)); }
  bool string(json::string_t& value) {
    charge(json_memory_charge::string + value.size());
    return add(json(std::move(value)));
  }
  bool binary(json::binary_t&) {
    // Only CBOR/MessagePack/BSON/UBJSON carry binary values; JSON text never does.
    ddnn::detail::fail(what_ + ": binary values are not JSON");
  }
  bool start_object(std::size_t) { return open(json::value_t::object); }
  bool start_array(std::size_t) { return open(json::value_t::array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(json::string_t& name) {
    charge(json_memory_charge::member + json_memory_charge::string + name.size());
    auto& members = stack_.back()->get_ref<json::object_t&>();
    const auto [slot, inserted] = members.emplace(std::move(name), nullptr);
    if (!inserted)
      ddnn::detail::fail(what_ + ": duplicate key " + json(slot->first).dump() +
                         " (a key may appear once per object)");
    member_ = &slot->second;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    ddnn::detail::fail(what_ + ": " + e.what());
  }

  [[nodiscard]] json take() && { return std::move(root_); }

 private:
  void charge(std::size_t bytes) {
    used_ += bytes;
    if (used_ > budget_)
      ddnn::detail::fail(what_ + ": the parsed document would exceed its memory budget of " +
                         std::to_string(budget_) + " bytes (64 MiB + 3 bytes per byte of text)");
  }

  /// Places `value` in the current container (or as the root) and returns where it lives.
  json* place(json&& value) {
    charge(json_memory_charge::value);
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& parent = *stack_.back();
    if (parent.is_array()) {
      auto& elements = parent.get_ref<json::array_t&>();
      elements.push_back(std::move(value));
      return &elements.back();
    }
    *member_ = std::move(value);
    return member_;
  }
  bool add(json&& value) {
    place(std::move(value));
    return true;
  }
  bool open(json::value_t type) {
    if (stack_.size() >= std::size_t(max_json_depth))
      ddnn::detail::fail(what_ + ": nesting deeper than " + std::to_string(max_json_depth) +
                         " levels");
    charge(json_memory_charge::container);
    stack_.push_back(place(json(type)));
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  const std::string& what_;
  std::size_t budget_;
  std::size_t used_ = 0;
  json root_;
  std::vector<json*> stack_;  // open containers; pointers stay valid: a container's elements
                              // move only when it grows, and only the innermost one grows
  json* member_ = nullptr;    // the object member the next value fills
};

}  // namespace detail

/// Parses JSON text of at most max_json_bytes, max_json_depth levels and max_json_memory, with
/// no key repeated within an object, in time linear in the text. Any error (syntax, a limit, a
/// duplicate key, running out of memory) is a ddnn::error naming `what` (a file name, or
/// "model").
[[nodiscard]] inline json parse_json(std::string_view text, const std::string& what) {
  if (text.size() > max_json_bytes)
    ddnn::detail::fail(what + ": " + std::to_string(text.size()) + " bytes exceed the limit of " +
                       std::to_string(max_json_bytes));
  try {
    detail::BoundedDomBuilder builder(what, max_json_memory(text.size()));
    json::sax_parse(text, &builder, json::input_format_t::json, /*strict=*/true,
                    /*ignore_comments=*/false);
    return std::move(builder).take();
  } catch (const std::bad_alloc&) {
    ddnn::detail::fail(what + ": out of memory while parsing " + std::to_string(text.size()) +
                       " bytes of JSON");
  } catch (const json::exception& e) {
    ddnn::detail::fail(what + ": " + e.what());
  }
}

/// Reads and parses a JSON file with the limits of parse_json.
[[nodiscard]] inline json read_json_file(const std::filesystem::path& file) {
  const std::string what = file.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    ddnn::detail::fail(what + ": not a readable file");
  const std::uintmax_t size = std::filesystem::file_size(file, ec);
  if (ec) ddnn::detail::fail(what + ": cannot read its size (" + ec.message() + ")");
  if (size > max_json_bytes)
    ddnn::detail::fail(what + ": " + std::to_string(size) + " bytes exceed the limit of " +
                       std::to_string(max_json_bytes));
  std::string text;
  try {
    text.resize(static_cast<std::size_t>(size));
  } catch (const std::bad_alloc&) {
    ddnn::detail::fail(what + ": out of memory reading " + std::to_string(size) + " bytes");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in.read(text.data(), static_cast<std::streamsize>(size)))
    ddnn::detail::fail(what + ": read error");
  return parse_json(text, what);
}

}  // namespace io
DDNN_END_NAMESPACE
