#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "check_error.hpp"
#include "child_process.hpp"
#include "ddnn/io/json_codec.hpp"
#include "ddnn/io/parameters_json.hpp"
#include "fuzz/parameter_bundle.hpp"

using namespace ddnn;
using nlohmann::json;

namespace {

std::vector<float> special_floats() {
  constexpr auto lim = std::numeric_limits<float>{};
  return {0.0f,
          -0.0f,
          1.0f,
          -1.0f,
          lim.min(),
          -lim.min(),
          lim.denorm_min(),
          -lim.denorm_min(),
          lim.max(),
          -lim.max(),
          lim.epsilon(),
          1.0f / 3.0f,
          -1e-40f,
          3.5e-39f,
          16777217.0f};
}

std::vector<float> random_floats(std::mt19937& rng, std::size_t n) {
  // every finite bit pattern is fair game: subnormals, -0 and extremes included
  std::vector<float> out = special_floats();
  while (out.size() < n) {
    const float f = std::bit_cast<float>(std::uint32_t(rng()));
    if (std::isfinite(f)) out.push_back(f);
  }
  out.resize(n);
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

std::vector<BatchNorm> random_batchnorms(std::mt19937& rng, std::size_t n) {
  const std::vector<float> f = random_floats(rng, 4 * n);
  std::vector<BatchNorm> out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = {f[4 * i], f[4 * i + 1], f[4 * i + 2], std::fabs(f[4 * i + 3]) + 1e-30f};
  return out;
}

bool same_bits(float a, float b) {
  return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
}

std::vector<float> as_signs(const std::vector<float>& w) {
  std::vector<float> out;
  for (float v : w) out.push_back(sign_bit(v) ? 1.0f : -1.0f);
  return out;
}

/// save -> text -> parse -> load, as a model file goes.
json through_text(const json& value) { return io::parse_json(value.dump(), "test"); }

std::string b64(std::initializer_list<std::uint8_t> bytes) {
  return io::base64_encode(std::vector<std::uint8_t>(bytes));
}

}  // namespace

TEST_CASE("base64: RFC 4648 test vectors and round trips") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    const std::vector<std::uint8_t> bytes(plain, plain + std::strlen(plain));
    CHECK(io::base64_encode(bytes) == encoded);
    CHECK(io::base64_decode(encoded, "v") == bytes);
  }
  std::mt19937 rng(1);
  for (std::size_t n = 0; n < 40; ++n) {
    std::vector<std::uint8_t> bytes(n);
    for (auto& b : bytes) b = std::uint8_t(rng());
    CHECK(io::base64_decode(io::base64_encode(bytes), "v") == bytes);
  }
}

TEST_CASE("base64: everything but canonical padded base64 is rejected, naming the path") {
  CHECK_ERROR((void)io::base64_decode("Zm9", "a.b"), "a.b: base64 length 3 is not a multiple of 4");
  CHECK_ERROR((void)io::base64_decode("Zm9-", "a.b"),
              "a.b: invalid base64 (byte 0x2d '-' at offset 3)");
  CHECK_ERROR((void)io::base64_decode("Zm9_", "p"), "invalid base64");
  CHECK_ERROR((void)io::base64_decode("Zm 9", "p"), "invalid base64 (byte 0x20");
  CHECK_ERROR((void)io::base64_decode("Zm9\n", "p"), "byte 0x0a at offset 3");
  CHECK_ERROR((void)io::base64_decode(std::string("Zm\0v", 4), "p"), "byte 0x00");
  CHECK_ERROR((void)io::base64_decode("Zm\xffv", "p"), "byte 0xff");
  CHECK_ERROR((void)io::base64_decode("Zg==Zm9v", "p"), "invalid base64 (byte 0x3d '='");
  CHECK_ERROR((void)io::base64_decode("Z===", "p"), "invalid base64");
  CHECK_ERROR((void)io::base64_decode("Zm=v", "p"), "invalid base64 (byte 0x76 'v' at offset 3)");
  CHECK_ERROR((void)io::base64_decode("Zh==", "p"), "bits under the padding are set");
  CHECK_ERROR((void)io::base64_decode("Zm9=", "p"), "bits under the padding are set");
}

TEST_CASE("signs: 8 per byte, LSB first, w >= 0 (-0 included) is +1, decoded as +1/-1") {
  const std::vector<float> w = {0.5f, -2.0f, 0.0f, -0.0f, -1e-30f, 3.0f, -4.0f, 1e-45f, -7.0f};
  // bits 1 0 1 1 0 1 0 1 | 0  ->  0xad, 0x00
  CHECK(io::encode_signs(w) == b64({0xad, 0x00}));
  CHECK(io::decode_signs(io::encode_signs(w), w.size()) == as_signs(w));
  CHECK(io::encode_signs({}).empty());
  CHECK(io::decode_signs("", 0).empty());
  std::mt19937 rng(2);
  for (std::size_t n = 1; n < 70; ++n) {
    const std::vector<float> weights = random_floats(rng, n);
    const std::vector<float> decoded = io::decode_signs(io::encode_signs(weights), n);
    CHECK(decoded == as_signs(weights));
    CHECK(io::encode_signs(decoded) == io::encode_signs(weights));  // same bits again
  }
}

TEST_CASE("signs: wrong lengths, set padding bits and non-finite weights are errors") {
  const std::string nine = io::encode_signs(std::vector<float>(9, 1.0f));
  CHECK_ERROR((void)io::decode_signs(nine, 17, "w"), "w: 17 signs take 3 bytes, the data has 2");
  CHECK_ERROR((void)io::decode_signs(nine, 8, "w"), "w: 8 signs take 1 bytes, the data has 2");
  CHECK(io::decode_signs(b64({0xff, 0x01}), 9, "w") == std::vector<float>(9, 1.0f));
  CHECK_ERROR((void)io::decode_signs(b64({0xff, 0x03}), 9, "w"),
              "w: padding bits after the last of 9 signs are set");
  CHECK_ERROR((void)io::decode_signs("", io::max_value_count + 1, "w"), "exceed the limit");
  CHECK_ERROR((void)io::encode_signs(std::vector<float>{1.0f, std::nanf("")}, "w"),
              "w: value 1 is not finite");
}

TEST_CASE("floats: little-endian float32, bit-exact for every finite value") {
  CHECK(io::encode_floats(std::vector<float>{1.0f}) == "AACAPw==");  // 00 00 80 3f
  CHECK(io::encode_floats(std::vector<float>{-2.0f, 0.0f}) == b64({0, 0, 0, 0xc0, 0, 0, 0, 0}));
  std::mt19937 rng(3);
  const std::vector<float> values = random_floats(rng, 2000);
  const std::vector<float> decoded = io::decode_floats(io::encode_floats(values), values.size());
  REQUIRE(decoded.size() == values.size());
  for (std::size_t i = 0; i < values.size(); ++i) CHECK(same_bits(decoded[i], values[i]));
  CHECK(io::decode_floats(io::encode_floats(values), io::any_count).size() == values.size());
}

TEST_CASE("floats: wrong lengths and NaN or infinity are errors") {
  const std::string two = io::encode_floats(std::vector<float>{1.0f, 2.0f});
  CHECK_ERROR((void)io::decode_floats(two, 3, "s"), "s: expected 3 floats, got 2");
  CHECK_ERROR((void)io::decode_floats(b64({1, 2, 3, 4, 5}), io::any_count, "s"),
              "s: 5 bytes are not a whole number of float32 values");
  const std::string nan = b64({0, 0, 0x80, 0x3f, 0, 0, 0xc0, 0x7f});
  const std::string inf = b64({0, 0, 0x80, 0xff});
  CHECK_ERROR((void)io::decode_floats(nan, 2, "s"), "s: value 1 is not finite");
  CHECK_ERROR((void)io::decode_floats(inf, 1, "s"), "model parameters must be finite");
  CHECK_ERROR((void)io::encode_floats(std::vector<float>{std::numeric_limits<float>::infinity()}),
              "value 0 is not finite");
}

TEST_CASE("parse_json: syntax errors, overflow, nesting and size limits are ddnn::error") {
  CHECK(io::parse_json(R"({"a": [1, 2]})", "m")["a"][1] == 2);
  CHECK_ERROR((void)io::parse_json(R"({"a": [1, 2)", "model.json"), "model.json: [json.exception");
  CHECK_ERROR((void)io::parse_json("", "m"), "m: [json.exception.parse_error");
  CHECK_ERROR((void)io::parse_json("[1e999]", "m"), "m: [json.exception.out_of_range");
  CHECK_ERROR((void)io::parse_json("[NaN]", "m"), "parse_error");
  const std::string ok =
      std::string(io::max_json_depth, '[') + std::string(io::max_json_depth, ']');
  CHECK(io::parse_json(ok, "m").is_array());
  const std::string deep = "[" + ok + "]";
  CHECK_ERROR((void)io::parse_json(deep, "m"), "m: nesting deeper than 64 levels");
  const std::string hostile = std::string(100000, '[');
  CHECK_ERROR((void)io::parse_json(hostile, "m"), "nesting deeper");
}

TEST_CASE("parse_json: exactly max_json_depth levels of arrays or objects, no more") {
  auto nested_arrays = [](int levels) {
    return std::string(std::size_t(levels), '[') + std::string(std::size_t(levels), ']');
  };
  auto nested_objects = [](int levels) {
    std::string text;
    for (int i = 0; i < levels; ++i) text += i + 1 < levels ? "{\"a\":" : "{";
    return text + std::string(std::size_t(levels), '}');
  };
  CHECK(io::parse_json(nested_arrays(io::max_json_depth), "m").is_array());
  CHECK(io::parse_json(nested_objects(io::max_json_depth), "m").is_object());
  CHECK_ERROR((void)io::parse_json(nested_arrays(io::max_json_depth + 1), "m"),
              "m: nesting deeper than 64 levels");
  CHECK_ERROR((void)io::parse_json(nested_objects(io::max_json_depth + 1), "m"),
              "m: nesting deeper than 64 levels");
}

TEST_CASE("parse_json: a key repeated within an object is an error, not last-wins") {
  CHECK_ERROR((void)io::parse_json(R"({"a": 1, "b": 2, "a": 3})", "m"), "m: duplicate key \"a\"");
  CHECK_ERROR((void)io::parse_json(R"([{"x": {"k": 1, "k": 1}}])", "m"), "duplicate key \"k\"");
  // the same key in different objects is fine
  CHECK(io::parse_json(R"([{"k": 1}, {"k": 2, "j": {"k": 3}}])", "m")[1]["j"]["k"] == 3);
}

TEST_CASE("parse_json: linear time on a large array of small objects") {
  // 1 MiB of {"a":0,"b":1}: a parser that rescans the parent array at every closing brace (as
  // nlohmann's DOM callback does) took 18 s in an optimised build (minutes with sanitizers); a
  // linear one takes a fraction of a second.
  const std::string item = R"({"a":0,"b":1},)";
  const std::size_t count = (std::size_t{1} << 20) / item.size();
  std::string text = "[";
  text.reserve(count * item.size() + 2);
  for (std::size_t i = 0; i < count; ++i) text += item;
  text.back() = ']';
  const json parsed = io::parse_json(text, "m");
  REQUIRE(parsed.size() == count);
  CHECK(parsed[count - 1]["b"] == 1);
}

TEST_CASE("parse_json: the parsed document's memory is bounded by a budget of the text size") {
  CHECK(io::max_json_memory(0) == std::size_t{64} << 20);
  CHECK(io::max_json_memory(1000) == (std::size_t{64} << 20) + 3000);
  // 16 MiB of [0,0,...]: 8M values, charged 32 bytes each = 256 MiB > 64 + 48 MiB.
  std::string zeros(std::size_t{16} << 20, ',');
  for (std::size_t i = 1; i < zeros.size(); i += 2) zeros[i] = '0';
  zeros.front() = '[';
  zeros.back() = ']';
  zeros[zeros.size() - 2] = '0';
  CHECK_ERROR((void)io::parse_json(zeros, "m"), "m: the parsed document would exceed its memory");
  // A small document of the same shape is fine.
  CHECK(io::parse_json("[0,0,0,0]", "m").size() == 4);
}

#if !defined(__SANITIZE_ADDRESS__) && !DDNN_TEST_HAS_FEATURE(address_sanitizer)
TEST_CASE("parse_json: running out of memory is a ddnn::error, not std::bad_alloc") {
  // In a child process with its address space capped a little above what it uses now, a
  // 128 MiB document of [0,0,...] cannot be parsed within memory (nor within its budget of
  // 448 MiB): whichever limit it meets first, the caller sees ddnn::error.
  const int status = fixtures::run_in_child([] {
    std::string zeros(std::size_t{128} << 20, ',');
    for (std::size_t i = 1; i < zeros.size(); i += 2) zeros[i] = '0';
    zeros.front() = '[';
    zeros.back() = ']';
    zeros[zeros.size() - 2] = '0';
    if (!fixtures::cap_address_space(std::size_t{192} << 20)) return 77;  // e.g. under qemu
    try {
      (void)io::parse_json(zeros, "m");
      return 1;
    } catch (const ddnn::error& e) {
      const std::string what = e.what();
      return what.find("out of memory") != std::string::npos ||
                     what.find("memory budget") != std::string::npos
                 ? 0
                 : 2;
    } catch (const std::bad_alloc&) {
      return 3;
    }
  });
  if (status == 77) {
    MESSAGE("address-space limits are not enforced here (emulator?): not checked");
    return;
  }
  CHECK(status == 0);
}
#endif

TEST_CASE("read_json_file: missing, non-regular and oversized files are ddnn::error") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() /
                       ("ddnn_test_parameters_json_" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  const fs::path good = dir / "good.json", big = dir / "big.json";
  std::ofstream(good) << R"({"pool": {}})";
  CHECK(io::read_json_file(good).contains("pool"));
  CHECK_ERROR((void)io::read_json_file(dir / "missing.json"), "missing.json: not a readable file");
  CHECK_ERROR((void)io::read_json_file(dir), "not a readable file");
  { std::ofstream touch(big); }
  fs::resize_file(big, io::max_json_bytes + 1);  // sparse: checked before anything is read
  CHECK_ERROR((void)io::read_json_file(big), "big.json: 268435457 bytes exceed the limit");
  fs::remove_all(dir);
}

TEST_CASE("checked access names the path and the problem") {
  const json j = io::parse_json(
      R"({"n": -3, "f": 2.5, "u": 7, "s": "x", "big": 1e39, "huge": 18446744073709551615,
          "o": {}, "a": [], "b": true, "z": null})",
      "t");
  CHECK(io::require_size(j, "u", "t") == 7);
  CHECK(io::require_float(j, "f", "t") == 2.5f);
  CHECK(io::require_number(j, "u", "t") == 7.0);
  CHECK(io::require_string(j, "s", "t") == "x");
  CHECK(io::require_bool(j, "b", "t"));
  CHECK(io::require_array(j, "a", "t").empty());
  CHECK(io::require_object(j, "o", "t").empty());
  CHECK(io::find_member(j, "nothing", "t") == nullptr);
  CHECK_ERROR((void)io::require(j, "weights", "tiers[0].layers[1]"),
              "tiers[0].layers[1]: missing \"weights\"");
  CHECK_ERROR((void)io::require(j["a"], "weights", "x"), "x: expected an object, got array");
  CHECK_ERROR((void)io::require_size(j, "n", "t"), "t.n: expected a count, got -3");
  CHECK_ERROR((void)io::require_size(j, "f", "t"), "t.f: expected a whole number, got 2.5");
  CHECK_ERROR((void)io::require_size(j, "s", "t"), "t.s: expected a whole number, got string");
  CHECK_ERROR((void)io::require_size(j, "huge", "t"), "t.huge: 18446744073709551615 exceeds");
  CHECK_ERROR((void)io::require_size(j, "u", "t", 6), "t.u: 7 exceeds the limit of 6");
  CHECK_ERROR((void)io::require_float(j, "big", "t"), "t.big: 1e+39 is outside the range of float");
  CHECK_ERROR((void)io::require_float(j, "z", "t"), "t.z: expected a number, got null");
  CHECK_ERROR((void)io::require_number(j, "b", "t"), "t.b: expected a number, got boolean");
  CHECK_ERROR((void)io::require_string(j, "u", "t"), "t.u: expected a string, got number");
  CHECK_ERROR((void)io::require_bool(j, "z", "t"), "t.z: expected true or false, got null");
  CHECK_ERROR((void)io::require_array(j, "o", "t"), "t.o: expected an array, got object");
  CHECK_ERROR((void)io::require_object(j, "a", "t"), "t.a: expected an object, got array");
  CHECK_ERROR(io::reject_unknown_keys(j, {"n", "f"}, "t"), "t: unexpected \"a\" (expected n, f)");
  const json odd = {{std::string(100, 'k') + "\n", 1}};
  CHECK_ERROR(io::reject_unknown_keys(odd, {}, "t"),
              "t: unexpected \"" + std::string(60, 'k') + "\"... (expected no members)");
  CHECK(io::quote("a\"b\xff") == "\"a\\\"b\xef\xbf\xbd\"");  // escaped, U+FFFD
  const json nan = std::nan("");
  CHECK_ERROR((void)io::as_number(nan, "t"), "t: expected a finite number");
  CHECK_ERROR((void)io::as_floats(json::array({1.0, "2"}), 2, "t"), "t[1]: expected a number");
  CHECK_ERROR((void)io::as_floats(json::array({1.0}), 2, "t"), "t: expected 2 floats, got 1");
  CHECK_ERROR((void)io::as_floats(json(3), 1, "t"), "t: expected base64 floats or an array");
  CHECK_ERROR(io::translate_json_errors("p.q", [&] { return j.at("s").get<int>(); }),
              "p.q: [json.exception.type_error");
}

TEST_CASE("BatchNorm: JSON numbers, bit-exact through text, validated both ways") {
  std::mt19937 rng(4);
  for (const BatchNorm& bn : random_batchnorms(rng, 200)) {
    const json j = bn;
    const auto again = through_text(j).get<BatchNorm>();
    CHECK(std::memcmp(&bn, &again, sizeof bn) == 0);
  }
  CHECK(json(BatchNorm{}).dump() == R"({"beta":0.0,"gamma":1.0,"mean":0.0,"sigma":1.0})");
  CHECK_ERROR(json(BatchNorm{1, 0, 0, 0}), "BatchNorm: BatchNorm sigma must be positive");
  CHECK_ERROR(json(BatchNorm{std::nanf(""), 0, 0, 1}), "must be finite");
  const json base = BatchNorm{};
  json j = base;
  j["sigma"] = -1.0;
  CHECK_ERROR((void)load_batchnorm(j, "l.bn"), "l.bn: BatchNorm sigma must be positive");
  j = base;
  j["gamma"] = std::numeric_limits<double>::infinity();
  CHECK_ERROR((void)load_batchnorm(j, "l.bn"), "l.bn.gamma: expected a finite number");
  j = base;
  j.erase("mean");
  CHECK_ERROR((void)j.get<BatchNorm>(), "BatchNorm: missing \"mean\"");
  j = base;
  j["var"] = 1.0;
  CHECK_ERROR((void)load_batchnorm(j, "l.bn"), "l.bn: unexpected \"var\"");
}

TEST_CASE("BatchNorm columns: four base64 float arrays, bit-exact, counted") {
  std::mt19937 rng(5);
  const std::vector<BatchNorm> bns = random_batchnorms(rng, 33);
  const json j = save_batchnorms(bns);
  CHECK(j["gamma"].is_string());
  const auto again = load_batchnorms(through_text(j), 33, "bn");
  REQUIRE(again.size() == bns.size());
  CHECK(std::memcmp(again.data(), bns.data(), bns.size() * sizeof(BatchNorm)) == 0);
  CHECK_ERROR((void)load_batchnorms(j, 32, "l.batchnorm"),
              "l.batchnorm.gamma: expected 32 floats, got 33");
  json short_beta = j;
  short_beta["beta"] = io::encode_floats(std::vector<float>(32, 0.0f));
  CHECK_ERROR((void)load_batchnorms(short_beta, 33, "b"), "b.beta: expected 33 floats, got 32");
  json bad_sigma = j;
  std::vector<float> sigma(33, 1.0f);
  sigma[7] = 0.0f;
  bad_sigma["sigma"] = io::encode_floats(sigma);
  CHECK_ERROR((void)load_batchnorms(bad_sigma, 33, "b"),
              "b.sigma[7]: BatchNorm sigma must be positive, got 0.0");
  const json readable = {
      {"gamma", {1, -1}}, {"beta", {0, 0.5}}, {"mean", {2, 3}}, {"sigma", {1, 4}}};
  CHECK(load_batchnorms(readable, 2, "b")[1].beta == 0.5f);
}

TEST_CASE("ConvParameters: signs keep the sign, floats keep every bit") {
  std::mt19937 rng(6);
  ConvParameters p{random_floats(rng, 4 * 3 * 3 * 5), random_batchnorms(rng, 4)};
  const ConvExpectation binary{p.weights.size(), 4, WeightEncoding::signs};
  const json signs = save_parameters(p, WeightEncoding::signs);
  CHECK(signs["weights"]["encoding"] == "signs");
  CHECK(signs["weights"]["count"] == 180);
  CHECK(signs["weights"]["data"].get<std::string>().size() == 32);  // 23 bytes
  const ConvParameters from_signs = load_parameters(through_text(signs), binary, "c");
  CHECK(from_signs.weights == as_signs(p.weights));
  CHECK(std::memcmp(from_signs.batchnorm.data(), p.batchnorm.data(), 4 * sizeof(BatchNorm)) == 0);

  const ConvExpectation floating{p.weights.size(), 4, WeightEncoding::floats};
  const ConvParameters from_floats =
      load_parameters(through_text(save_parameters(p, WeightEncoding::floats)), floating, "c");
  REQUIRE(from_floats.weights.size() == p.weights.size());
  for (std::size_t i = 0; i < p.weights.size(); ++i)
    CHECK(same_bits(from_floats.weights[i], p.weights[i]));

  const json generic = p;  // ADL: floats, counts from the file
  const auto generic_again = through_text(generic).get<ConvParameters>();
  CHECK(std::memcmp(generic_again.weights.data(), p.weights.data(), p.weights.size() * 4) == 0);
}

TEST_CASE("DenseParameters: weights plus batchnorm (bits) or scale and bias (logits)") {
  std::mt19937 rng(7);
  DenseParameters bits{random_floats(rng, 3 * 70), random_batchnorms(rng, 3), {}, {}};
  const json b = save_parameters(bits, WeightEncoding::signs);
  CHECK(b.size() == 2);  // weights, batchnorm: empty members are not stored
  const DenseExpectation bits_shape{210, 3, Output::bits, WeightEncoding::signs};
  const DenseParameters bits_again = load_parameters(through_text(b), bits_shape, "d");
  CHECK(bits_again.weights == as_signs(bits.weights));
  CHECK(bits_again.batchnorm.size() == 3);
  CHECK((bits_again.scale.empty() && bits_again.bias.empty()));

  DenseParameters logits{
      random_floats(rng, 10 * 16), {}, random_floats(rng, 10), random_floats(rng, 10)};
  const json l = save_parameters(logits, WeightEncoding::floats);
  CHECK(l.size() == 3);  // weights, scale, bias
  const DenseExpectation logits_shape{160, 10, Output::logits, WeightEncoding::floats};
  const DenseParameters logits_again = load_parameters(through_text(l), logits_shape, "d");
  CHECK(std::memcmp(logits_again.weights.data(), logits.weights.data(), 160 * 4) == 0);
  CHECK(std::memcmp(logits_again.scale.data(), logits.scale.data(), 10 * 4) == 0);
  CHECK(std::memcmp(logits_again.bias.data(), logits.bias.data(), 10 * 4) == 0);
  CHECK(through_text(json(logits)).get<DenseParameters>().bias.size() == 10);
}

TEST_CASE("NoParameters: {} or null, nothing else") {
  CHECK(save_parameters(NoParameters{}).dump() == "{}");
  (void)load_parameters(json::object(), NoParameters{}, "p");
  (void)load_parameters(json(nullptr), NoParameters{}, "p");
  (void)json(nullptr).get<NoParameters>();
  CHECK_ERROR(
      (void)load_parameters(json{{"kernel", 3}}, NoParameters{}, "tiers[0].layers[2]"),
      "tiers[0].layers[2]: expected no parameters ({} or null), got an object with members");
  CHECK_ERROR((void)load_parameters(json::array(), NoParameters{}, "p"), "got array");
}

TEST_CASE("malformed layer parameters: the first mismatch is named with its path") {
  const std::string at = "tiers[1].layers[0]";
  const ConvParameters p{std::vector<float>(576, 1.0f), std::vector<BatchNorm>(16)};
  const ConvExpectation shape{576, 16, WeightEncoding::signs};
  const json good = save_parameters(p, WeightEncoding::signs);
  auto load = [&](const json& j) { (void)load_parameters(j, shape, at); };
  auto with = [&](auto&& edit) {
    json j = good;
    edit(j);
    return j;
  };
  load(good);  // the control

  const ConvParameters half{std::vector<float>(288, 1.0f), std::vector<BatchNorm>(16)};
  CHECK_ERROR(load(save_parameters(half, WeightEncoding::signs)),
              "ddnn: tiers[1].layers[0].weights: expected 576 signs, got 288");
  CHECK_ERROR(load(save_parameters(p, WeightEncoding::floats)),
              "tiers[1].layers[0].weights: expected signs, got floats");
  CHECK_ERROR(load(with([](json& j) { j["weights"]["encoding"] = "bits"; })),
              "weights.encoding: expected \"signs\" or \"floats\", got \"bits\"");
  CHECK_ERROR(load(with([](json& j) { j["weights"]["data"] = "AAAA"; })),
              "weights.data: 576 signs take 72 bytes, the data has 3");
  CHECK_ERROR(load(with([](json& j) {
                std::string s = j["weights"]["data"];
                s[10] = '*';
                j["weights"]["data"] = s;
              })),
              "weights.data: invalid base64 (byte 0x2a '*' at offset 10)");
  CHECK_ERROR(load(with([](json& j) { j["weights"]["data"] = 5; })),
              "weights.data: expected a string, got number");
  CHECK_ERROR(load(with([](json& j) { j["weights"]["count"] = -576; })),
              "weights.count: expected a count, got -576");
  CHECK_ERROR(load(with([](json& j) { j["weights"]["count"] = 576.0; })),
              "weights.count: expected a whole number, got 576.0");
  CHECK_ERROR(load(with([](json& j) { j["weights"]["count"] = std::uint64_t{1} << 40; })),
              "weights.count: 1099511627776 exceeds the limit");
  CHECK_ERROR(load(with([](json& j) { j["weights"] = "signs"; })),
              "tiers[1].layers[0].weights: expected an object, got string");
  CHECK_ERROR(load(with([](json& j) { j["weights"].erase("count"); })),
              "tiers[1].layers[0].weights: missing \"count\"");
  CHECK_ERROR(load(with([](json& j) { j.erase("batchnorm"); })),
              "tiers[1].layers[0]: missing \"batchnorm\"");
  CHECK_ERROR(load(with([](json& j) { j["extra"] = 1; })),
              "tiers[1].layers[0]: unexpected \"extra\" (expected weights, batchnorm)");
  CHECK_ERROR(load(with([](json& j) {
                j["batchnorm"]["gamma"] = io::encode_floats(std::vector<float>(15, 1.0f));
              })),
              "tiers[1].layers[0].batchnorm.gamma: expected 16 floats, got 15");
  CHECK_ERROR(load(with([](json& j) {
                std::vector<std::uint8_t> bytes(64, 0);
                bytes[4 * 5 + 2] = 0xc0, bytes[4 * 5 + 3] = 0x7f;  // mean[5] = NaN
                j["batchnorm"]["mean"] = io::base64_encode(bytes);
              })),
              "batchnorm.mean: value 5 is not finite");
  CHECK_ERROR(load(with([](json& j) {
                j["batchnorm"]["beta"] = json::array();
                for (int i = 0; i < 16; ++i) j["batchnorm"]["beta"].push_back(i == 3 ? 1e300 : 0.0);
              })),
              "batchnorm.beta[3]: 1e+300 is outside the range of float");
  CHECK_ERROR(load(json::array()), "tiers[1].layers[0]: expected an object, got array");
  CHECK_ERROR(load(json(nullptr)), "tiers[1].layers[0]: expected an object, got null");

  const DenseExpectation logits{12, 3, Output::logits, WeightEncoding::floats};
  const DenseParameters d{std::vector<float>(12, 0.5f), {}, {1, 2, 3}, {0, 0, 0}};
  const json dense = save_parameters(d, WeightEncoding::floats);
  (void)load_parameters(dense, logits, at);
  json with_bn = dense;
  with_bn["batchnorm"] = save_batchnorms(std::vector<BatchNorm>(3));
  CHECK_ERROR((void)load_parameters(with_bn, logits, at),
              "tiers[1].layers[0]: unexpected \"batchnorm\" (expected weights, scale, bias)");
  json no_bias = dense;
  no_bias.erase("bias");
  CHECK_ERROR((void)load_parameters(no_bias, logits, at), "tiers[1].layers[0]: missing \"bias\"");
  json short_scale = dense;
  short_scale["scale"] = {1.0, 2.0};
  CHECK_ERROR((void)load_parameters(short_scale, logits, at),
              "tiers[1].layers[0].scale: expected 3 floats, got 2");
  const DenseExpectation bits{12, 3, Output::bits, WeightEncoding::floats};
  CHECK_ERROR((void)load_parameters(dense, bits, at),
              "unexpected \"bias\" (expected weights, batchnorm)");
}

TEST_CASE("the fuzz seed corpus: valid_* files load, every other file fails with ddnn::error") {
  namespace fs = std::filesystem;
  const fs::path corpus = fs::path(__FILE__).parent_path() / "fuzz" / "corpus";
  REQUIRE(fs::is_directory(corpus));
  int files = 0;
  for (const auto& entry : fs::directory_iterator(corpus)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const std::vector<std::string> errors = ddnn_fuzz::load_bundle(text);
    const std::string name = entry.path().filename().string();
    INFO(name);
    if (name.starts_with("valid_")) {
      CHECK(errors.empty());
      for (const auto& e : errors) MESSAGE(e);
    } else {
      CHECK(!errors.empty());
    }
    for (const auto& e : errors) CHECK(e.starts_with("ddnn: "));
    ++files;
  }
  CHECK(files >= 8);
}
