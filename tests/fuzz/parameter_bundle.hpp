// The parameter bundle fuzz_parameters_json loads from arbitrary bytes, shared with the unit test
// that checks the seed corpus: fixed small shapes, one optional part per member of a JSON object.
#pragma once
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ddnn/io/parameters_json.hpp"

namespace ddnn_fuzz {

// {"conv": ConvParameters, "dense_logits": DenseParameters, "dense_bits": DenseParameters,
//  "batchnorm": BatchNorm columns, "batchnorm_one": BatchNorm numbers, "pool": NoParameters}
inline constexpr ddnn::ConvExpectation conv_shape{2 * 3 * 3 * 2, 2, ddnn::WeightEncoding::signs};
inline constexpr ddnn::DenseExpectation dense_logits_shape{3 * 4, 3, ddnn::Output::logits,
                                                           ddnn::WeightEncoding::floats};
inline constexpr ddnn::DenseExpectation dense_bits_shape{2 * 10, 2, ddnn::Output::bits,
                                                         ddnn::WeightEncoding::signs};
inline constexpr std::size_t batchnorm_channels = 3;

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}
inline bool same_bits(const ddnn::ConvParameters& a, const ddnn::ConvParameters& b) {
  return same_bits(a.weights, b.weights) && same_bits(a.batchnorm, b.batchnorm);
}
inline bool same_bits(const ddnn::DenseParameters& a, const ddnn::DenseParameters& b) {
  return same_bits(a.weights, b.weights) && same_bits(a.batchnorm, b.batchnorm) &&
         same_bits(a.scale, b.scale) && same_bits(a.bias, b.bias);
}

/// What was loaded must save, print, parse and load again to the same bits, through both the
/// explicit and the ADL serialisers. A difference is a bug: std::logic_error, which a fuzzer
/// reports as a crash.
template <class Parameters, class Expectation>
void check_round_trip(const Parameters& loaded, const Expectation& expected, const char* part) {
  const std::string text = ddnn::save_parameters(loaded, expected.encoding).dump();
  const auto again = ddnn::load_parameters(ddnn::io::parse_json(text, part), expected, part);
  const nlohmann::json generic = loaded;
  const auto generic_again = ddnn::io::parse_json(generic.dump(), part).get<Parameters>();
  if (!same_bits(loaded, again) || !same_bits(loaded, generic_again))
    throw std::logic_error(std::string(part) + ": round trip changed the parameters");
}

/// Loads every part present; returns the ddnn::error messages (none for a valid bundle). Any
/// other exception escapes.
inline std::vector<std::string> load_bundle(std::string_view text) {
  std::vector<std::string> errors;
  auto attempt = [&](auto&& load) {
    try {
      load();
    } catch (const ddnn::error& e) {
      errors.emplace_back(e.what());
    }
  };
  nlohmann::json bundle;
  attempt([&] { bundle = ddnn::io::parse_json(text, "input"); });
  if (!bundle.is_object()) {
    if (errors.empty()) errors.emplace_back("ddnn: input: not an object");
    return errors;
  }
  auto part = [&](const char* key, auto&& load) {
    if (const auto it = bundle.find(key); it != bundle.end()) attempt([&] { load(*it, key); });
  };
  part("conv", [](const nlohmann::json& value, const char* key) {
    check_round_trip(ddnn::load_parameters(value, conv_shape, key), conv_shape, key);
  });
  part("dense_logits", [](const nlohmann::json& value, const char* key) {
    check_round_trip(ddnn::load_parameters(value, dense_logits_shape, key), dense_logits_shape,
                     key);
  });
  part("dense_bits", [](const nlohmann::json& value, const char* key) {
    check_round_trip(ddnn::load_parameters(value, dense_bits_shape, key), dense_bits_shape, key);
  });
  part("batchnorm", [](const nlohmann::json& value, const char* key) {
    const auto loaded = ddnn::load_batchnorms(value, batchnorm_channels, key);
    const auto again = ddnn::load_batchnorms(
        ddnn::io::parse_json(ddnn::save_batchnorms(loaded).dump(), key), batchnorm_channels, key);
    if (!same_bits(loaded, again)) throw std::logic_error("batchnorm: round trip changed it");
  });
  part("batchnorm_one", [](const nlohmann::json& value, const char* key) {
    const auto loaded = ddnn::load_batchnorm(value, key);
    const nlohmann::json saved = loaded;
    const auto again = ddnn::io::parse_json(saved.dump(), key).get<ddnn::BatchNorm>();
    if (std::memcmp(&loaded, &again, sizeof loaded) != 0)
      throw std::logic_error("batchnorm_one: round trip changed it");
  });
  part("pool", [](const nlohmann::json& value, const char* key) {
    (void)ddnn::load_parameters(value, ddnn::NoParameters{}, key);
  });
  return errors;
}

}  // namespace ddnn_fuzz
