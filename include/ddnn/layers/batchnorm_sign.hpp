// BatchNorm followed by sign, and its folding into one threshold and a flip per channel.
// batchnorm_sign() is *the* definition: the float reference, training and the folded integer
// thresholds all agree with it bit for bit, because folding searches this very expression.
#pragma once
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "ddnn/core/error.hpp"

DDNN_BEGIN_NAMESPACE

/// One channel's BatchNorm at inference: y = gamma * (s - mean) / sigma + beta,
/// with sigma = sqrt(running_var + eps) already taken.
struct BatchNorm {
  float gamma = 1.0f;
  float beta = 0.0f;
  float mean = 0.0f;
  float sigma = 1.0f;
};

/// y for a pre-activation sum s, evaluated in exactly this order (no contraction is possible:
/// no product is followed directly by an addition). A channel with gamma == 0 outputs beta for
/// every s, infinite sums included (IEEE would give 0 * inf = NaN), which keeps y monotone in s.
[[nodiscard]] inline float batchnorm(float s, const BatchNorm& bn) noexcept {
  const float scaled = bn.gamma == 0.0f ? 0.0f : bn.gamma * (s - bn.mean);
  return scaled / bn.sigma + bn.beta;
}

/// The binary activation: +1 (true) when BatchNorm's output is >= 0.
[[nodiscard]] inline bool batchnorm_sign(float s, const BatchNorm& bn) noexcept {
  return batchnorm(s, bn) >= 0.0f;
}

/// Throws ddnn::error unless every field is finite and sigma > 0.
inline void validate(const BatchNorm& bn, const std::string& where) {
  if (!std::isfinite(bn.gamma) || !std::isfinite(bn.beta) || !std::isfinite(bn.mean) ||
      !std::isfinite(bn.sigma))
    detail::fail(where + ": BatchNorm parameters must be finite");
  if (!(bn.sigma > 0.0f)) detail::fail(where + ": BatchNorm sigma must be positive");
}

/// bit(s) = (s >= threshold) XOR flip, for every s in the folded range.
template <class T>
struct folded_threshold {
  T threshold;
  bool flip;
};

/// Folds BatchNorm+sign over integer sums in [lo, hi]. batchnorm_sign is monotone in s (every
/// IEEE operation in it is), rising for gamma >= 0 and falling otherwise, so a binary search
/// finds the exact step.
[[nodiscard]] inline folded_threshold<std::int32_t> fold_integer(const BatchNorm& bn,
                                                                 std::int32_t lo, std::int32_t hi) {
  const bool rising = bn.gamma >= 0.0f;
  // smallest s in [lo, hi] whose bit differs from the bit below the step; hi + 1 if none
  auto after_step = [&](std::int32_t s) {
    return batchnorm_sign(static_cast<float>(s), bn) == rising;
  };
  std::int32_t first = lo, last = hi + 1;  // answer in [first, last]
  while (first < last) {
    const std::int32_t mid = first + (last - first) / 2;
    if (after_step(mid))
      last = mid;
    else
      first = mid + 1;
  }
  return {first, !rising};
}

namespace detail {
// Total order of floats as integers: key(a) < key(b) iff a < b, with -0 just below +0.
inline std::int32_t float_key(float f) noexcept {
  const auto i = std::bit_cast<std::int32_t>(f);
  return i >= 0 ? i : i ^ 0x7fffffff;
}
inline float key_float(std::int32_t k) noexcept {
  return std::bit_cast<float>(k >= 0 ? k : k ^ 0x7fffffff);
}
}  // namespace detail

/// Folds BatchNorm+sign over float sums (any value from -inf to +inf).
[[nodiscard]] inline folded_threshold<float> fold_float(const BatchNorm& bn) {
  const bool rising = bn.gamma >= 0.0f;
  auto after_step = [&](std::int32_t key) {
    return batchnorm_sign(detail::key_float(key), bn) == rising;
  };
  std::int64_t first = detail::float_key(-std::numeric_limits<float>::infinity());
  std::int64_t last = std::int64_t{detail::float_key(std::numeric_limits<float>::infinity())} + 1;
  while (first < last) {
    const std::int64_t mid = first + (last - first) / 2;
    if (after_step(static_cast<std::int32_t>(mid)))
      last = mid;
    else
      first = mid + 1;
  }
  // No step at all: a NaN threshold makes (s >= threshold) false for every s.
  const float threshold = first > detail::float_key(std::numeric_limits<float>::infinity())
                              ? std::numeric_limits<float>::quiet_NaN()
                              : detail::key_float(static_cast<std::int32_t>(first));
  return {threshold, !rising};
}

DDNN_END_NAMESPACE
