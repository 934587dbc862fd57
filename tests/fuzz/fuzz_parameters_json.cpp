// libFuzzer target: arbitrary bytes through parse_json and the layer-parameter loaders. The only
// accepted failure is ddnn::error; a crash, a sanitizer report, a leak, any other exception, a
// round trip that changes what was loaded (see parameter_bundle.hpp), or a document accepted
// with a key repeated within an object (a key silently dropped) is a finding.
//   build and run: ctest --test-dir build -R fuzz.parameters_json --output-on-failure
//   reproduce:     build/tests/fuzz/parameters_json/build/fuzz_parameters_json <crash file>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "parameter_bundle.hpp"

namespace {

/// Counts the object keys of a JSON text as nlohmann's SAX parser sees them, repeats included.
struct KeyCounter {
  using json = nlohmann::json;
  std::size_t keys = 0;
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(json::number_integer_t) { return true; }
  bool number_unsigned(json::number_unsigned_t) { return true; }
  bool number_float(json::number_float_t, const json::string_t&) { return true; }
  bool string(json::string_t&) { return true; }
  bool binary(json::binary_t&) { return true; }
  bool start_object(std::size_t) { return true; }
  bool end_object() { return true; }
  bool start_array(std::size_t) { return true; }
  bool end_array() { return true; }
  bool key(json::string_t&) { return ++keys, true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }
};

std::size_t members(const nlohmann::json& value) {
  std::size_t count = value.is_object() ? value.size() : 0;
  if (value.is_structured())
    for (const auto& element : value) count += members(element);
  return count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Every key of an accepted document is in the parsed value: none was dropped as a repeat.
  try {
    const nlohmann::json parsed = ddnn::io::parse_json(text, "input");
    KeyCounter counter;
    if (nlohmann::json::sax_parse(text, &counter) && counter.keys != members(parsed)) std::abort();
  } catch (const ddnn::error&) {
  }
  (void)ddnn_fuzz::load_bundle(text);
  return 0;
}
