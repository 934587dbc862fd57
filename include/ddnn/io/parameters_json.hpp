// JSON serialisers for layer parameters (BatchNorm, ConvParameters, DenseParameters, NoParameters):
// compact and exact, with loaders that check every count and name the first mismatch.
//
// Layout (every float array is base64 of little-endian float32, see io::encode_floats; loaders
// also accept a JSON array of numbers there, for hand-written files):
//   BatchNorm            {"gamma": 1.0, "beta": 0.0, "mean": 0.0, "sigma": 1.0}   (JSON numbers)
//   vector<BatchNorm>    {"gamma": F, "beta": F, "mean": F, "sigma": F}           (four columns)
//   weights              {"encoding": "signs" | "floats", "count": N, "data": "<base64>"}
//   ConvParameters       {"weights": W, "batchnorm": B}
//   DenseParameters      {"weights": W, "batchnorm": B}                (Output::bits)
//                        {"weights": W, "scale": F, "bias": F}         (Output::logits)
//   NoParameters         {}  (null is read too)
// Signs are 1 bit per weight (io::encode_signs) and read back as +1.0f / -1.0f, which pack to the
// same bits; floats round-trip bit for bit. Loaders reject unknown members, non-finite values and
// BatchNorm sigma <= 0, and throw only ddnn::error.
#pragma once
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ddnn/io/json_codec.hpp"
#include "ddnn/layers/batchnorm_sign.hpp"
#include "ddnn/layers/parameters.hpp"

DDNN_BEGIN_NAMESPACE

// --- weights ------------------------------------------------------------------------------------

/// {"encoding", "count", "data"}; throws ddnn::error for a non-finite weight.
[[nodiscard]] inline nlohmann::json save_weights(std::span<const float> weights,
                                                 WeightEncoding encoding,
                                                 const std::string& path = "weights") {
  nlohmann::json out = nlohmann::json::object();
  out["encoding"] = encoding_name(encoding);
  out["count"] = weights.size();
  out["data"] = encoding == WeightEncoding::signs ? io::encode_signs(weights, path)
                                                  : io::encode_floats(weights, path);
  return out;
}

namespace detail {
/// io::any_count and an unset encoding: whatever the file holds.
[[nodiscard]] inline std::vector<float> load_weights(const nlohmann::json& value, std::size_t count,
                                                     std::optional<WeightEncoding> encoding,
                                                     const std::string& path) {
  io::reject_unknown_keys(value, {"encoding", "count", "data"}, path);
  const std::string& name = io::require_string(value, "encoding", path);
  if (name != "signs" && name != "floats")
    fail(io::member_path(path, "encoding") + ": expected \"signs\" or \"floats\", got " +
         io::quote(name));
  const auto in_file = name == "signs" ? WeightEncoding::signs : WeightEncoding::floats;
  if (encoding && *encoding != in_file)
    fail(path + ": expected " + encoding_name(*encoding) + ", got " + name);
  const std::size_t in_count = io::require_size(value, "count", path);
  if (count != io::any_count && count != in_count)
    fail(path + ": expected " + std::to_string(count) + " " + name + ", got " +
         std::to_string(in_count));
  const std::string data_path = io::member_path(path, "data");
  const nlohmann::json& data = io::require(value, "data", path);
  if (in_file == WeightEncoding::signs)
    return io::decode_signs(io::as_string(data, data_path), in_count, data_path);
  return io::as_floats(data, in_count, data_path);
}

[[nodiscard]] inline std::vector<BatchNorm> load_batchnorms(const nlohmann::json& value,
                                                            std::size_t count,
                                                            const std::string& path) {
  io::reject_unknown_keys(value, {"gamma", "beta", "mean", "sigma"}, path);
  auto column = [&](const char* key, std::size_t n) {
    return io::as_floats(io::require(value, key, path), n, io::member_path(path, key));
  };
  const std::vector<float> gamma = column("gamma", count);
  const std::vector<float> beta = column("beta", gamma.size());
  const std::vector<float> mean = column("mean", gamma.size());
  const std::vector<float> sigma = column("sigma", gamma.size());
  std::vector<BatchNorm> out(gamma.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!(sigma[i] > 0.0f))
      fail(io::element_path(io::member_path(path, "sigma"), i) +
           ": BatchNorm sigma must be positive, got " + nlohmann::json(sigma[i]).dump());
    out[i] = {gamma[i], beta[i], mean[i], sigma[i]};
  }
  return out;
}

[[nodiscard]] inline ConvParameters load_conv(const nlohmann::json& value,
                                              const std::optional<ConvExpectation>& expected,
                                              const std::string& path) {
  return io::translate_json_errors(path, [&] {
    io::reject_unknown_keys(value, {"weights", "batchnorm"}, path);
    ConvParameters p;
    p.weights = load_weights(io::require(value, "weights", path),
                             expected ? expected->weights : io::any_count,
                             expected ? std::optional(expected->encoding) : std::nullopt,
                             io::member_path(path, "weights"));
    p.batchnorm = load_batchnorms(io::require(value, "batchnorm", path),
                                  expected ? expected->filters : io::any_count,
                                  io::member_path(path, "batchnorm"));
    return p;
  });
}

[[nodiscard]] inline DenseParameters load_dense(const nlohmann::json& value,
                                                const std::optional<DenseExpectation>& expected,
                                                const std::string& path) {
  return io::translate_json_errors(path, [&] {
    const bool bits = !expected || expected->produces == Output::bits;
    const bool logits = !expected || expected->produces == Output::logits;
    if (!expected)
      io::reject_unknown_keys(value, {"weights", "batchnorm", "scale", "bias"}, path);
    else if (bits)
      io::reject_unknown_keys(value, {"weights", "batchnorm"}, path);
    else
      io::reject_unknown_keys(value, {"weights", "scale", "bias"}, path);
    const std::size_t outputs = expected ? expected->outputs : io::any_count;
    DenseParameters p;
    p.weights = load_weights(io::require(value, "weights", path),
                             expected ? expected->weights : io::any_count,
                             expected ? std::optional(expected->encoding) : std::nullopt,
                             io::member_path(path, "weights"));
    // Without an expectation every part is optional; with one, the output kind's are required.
    auto present = [&](const char* key) { return expected || io::find_member(value, key, path); };
    if (bits && present("batchnorm"))
      p.batchnorm = load_batchnorms(io::require(value, "batchnorm", path), outputs,
                                    io::member_path(path, "batchnorm"));
    auto floats = [&](const char* key) {
      return io::as_floats(io::require(value, key, path), outputs, io::member_path(path, key));
    };
    if (logits && present("scale")) p.scale = floats("scale");
    if (logits && present("bias")) p.bias = floats("bias");
    return p;
  });
}

[[nodiscard]] inline NoParameters load_none(const nlohmann::json& value, const std::string& path) {
  if (!value.is_null() && !(value.is_object() && value.empty()))
    fail(path + ": expected no parameters ({} or null), got " +
         (value.is_object() ? std::string("an object with members") : value.type_name()));
  return {};
}
}  // namespace detail

/// Reads weights saved by save_weights: exactly `count` of them, stored as `encoding`.
[[nodiscard]] inline std::vector<float> load_weights(const nlohmann::json& value, std::size_t count,
                                                     WeightEncoding encoding,
                                                     const std::string& path) {
  return io::translate_json_errors(
      path, [&] { return detail::load_weights(value, count, encoding, path); });
}

// --- BatchNorm ----------------------------------------------------------------------------------

/// One BatchNorm as four JSON numbers (exact: a float widened to double prints round-trip).
/// Throws ddnn::error unless it is valid (finite, sigma > 0).
inline void to_json(nlohmann::json& out, const BatchNorm& bn) {
  validate(bn, "BatchNorm");
  out = {{"gamma", bn.gamma}, {"beta", bn.beta}, {"mean", bn.mean}, {"sigma", bn.sigma}};
}

[[nodiscard]] inline BatchNorm load_batchnorm(const nlohmann::json& value,
                                              const std::string& path) {
  return io::translate_json_errors(path, [&] {
    io::reject_unknown_keys(value, {"gamma", "beta", "mean", "sigma"}, path);
    const BatchNorm bn{
        io::require_float(value, "gamma", path), io::require_float(value, "beta", path),
        io::require_float(value, "mean", path), io::require_float(value, "sigma", path)};
    validate(bn, path);
    return bn;
  });
}

inline void from_json(const nlohmann::json& value, BatchNorm& bn) {
  bn = load_batchnorm(value, "BatchNorm");
}

/// A layer's BatchNorms as four base64 float columns; throws ddnn::error unless each is valid.
[[nodiscard]] inline nlohmann::json save_batchnorms(std::span<const BatchNorm> batchnorm,
                                                    const std::string& path = "batchnorm") {
  std::vector<float> gamma, beta, mean, sigma;
  for (std::size_t i = 0; i < batchnorm.size(); ++i) {
    validate(batchnorm[i], io::element_path(path, i));
    gamma.push_back(batchnorm[i].gamma), beta.push_back(batchnorm[i].beta);
    mean.push_back(batchnorm[i].mean), sigma.push_back(batchnorm[i].sigma);
  }
  return {{"gamma", io::encode_floats(gamma)},
          {"beta", io::encode_floats(beta)},
          {"mean", io::encode_floats(mean)},
          {"sigma", io::encode_floats(sigma)}};
}

/// Reads save_batchnorms' layout: exactly `count` channels.
[[nodiscard]] inline std::vector<BatchNorm> load_batchnorms(const nlohmann::json& value,
                                                            std::size_t count,
                                                            const std::string& path) {
  return io::translate_json_errors(path,
                                   [&] { return detail::load_batchnorms(value, count, path); });
}

// --- layer parameters ---------------------------------------------------------------------------

[[nodiscard]] inline nlohmann::json save_parameters(const ConvParameters& parameters,
                                                    WeightEncoding encoding) {
  return {{"weights", save_weights(parameters.weights, encoding)},
          {"batchnorm", save_batchnorms(parameters.batchnorm)}};
}

/// Stores the weights and whichever of batchnorm, scale and bias are non-empty.
[[nodiscard]] inline nlohmann::json save_parameters(const DenseParameters& parameters,
                                                    WeightEncoding encoding) {
  nlohmann::json out = {{"weights", save_weights(parameters.weights, encoding)}};
  if (!parameters.batchnorm.empty()) out["batchnorm"] = save_batchnorms(parameters.batchnorm);
  if (!parameters.scale.empty()) out["scale"] = io::encode_floats(parameters.scale, "scale");
  if (!parameters.bias.empty()) out["bias"] = io::encode_floats(parameters.bias, "bias");
  return out;
}

[[nodiscard]] inline nlohmann::json save_parameters(const NoParameters&) {
  return nlohmann::json::object();
}

/// Reads a ConvParameters that must match `expected`; the first mismatch is a ddnn::error
/// naming its path, e.g. "tiers[1].layers[0].weights: expected 576 signs, got 288".
[[nodiscard]] inline ConvParameters load_parameters(const nlohmann::json& value,
                                                    const ConvExpectation& expected,
                                                    const std::string& path) {
  return detail::load_conv(value, expected, path);
}

/// Reads a DenseParameters that must match `expected`: batchnorm for Output::bits, scale and
/// bias for Output::logits (the other kind's members are rejected).
[[nodiscard]] inline DenseParameters load_parameters(const nlohmann::json& value,
                                                     const DenseExpectation& expected,
                                                     const std::string& path) {
  return detail::load_dense(value, expected, path);
}

/// A parameterless layer (MaxPool): {} or null.
[[nodiscard]] inline NoParameters load_parameters(const nlohmann::json& value, const NoParameters&,
                                                  const std::string& path) {
  return detail::load_none(value, path);
}

// nlohmann's ADL hooks, for generic use (`json j = p;`, `j.get<ConvParameters>()`): weights are
// written as exact floats, and reading takes whatever counts and encoding the file holds. Model
// loaders call load_parameters() with the layer's expectation instead.
inline void to_json(nlohmann::json& out, const ConvParameters& parameters) {
  out = save_parameters(parameters, WeightEncoding::floats);
}
inline void from_json(const nlohmann::json& value, ConvParameters& parameters) {
  parameters = detail::load_conv(value, std::nullopt, "ConvParameters");
}
inline void to_json(nlohmann::json& out, const DenseParameters& parameters) {
  out = save_parameters(parameters, WeightEncoding::floats);
}
inline void from_json(const nlohmann::json& value, DenseParameters& parameters) {
  parameters = detail::load_dense(value, std::nullopt, "DenseParameters");
}
inline void to_json(nlohmann::json& out, const NoParameters& parameters) {
  out = save_parameters(parameters);
}
inline void from_json(const nlohmann::json& value, NoParameters& parameters) {
  parameters = detail::load_none(value, "NoParameters");
}

DDNN_END_NAMESPACE
