// The library's one source of randomness: splitmix64, whose output is the same on every platform
// and compiler (std's distributions are not), so random parameters, dropout masks and shuffles
// are reproducible from a seed everywhere.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ddnn/core/config.hpp"

DDNN_BEGIN_NAMESPACE
namespace detail {

class random_stream {
 public:
  explicit random_stream(std::uint64_t seed) noexcept : state_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
  }
  /// Uniform in [-1, 1).
  float symmetric() noexcept { return float(double(next() >> 11) * 0x1.0p-52 - 1.0); }
  float sign() noexcept { return (next() & 1u) ? 1.0f : -1.0f; }

 private:
  std::uint64_t state_;
};

/// n values of +1 or -1.
inline std::vector<float> random_signs(random_stream& r, std::size_t n) {
  std::vector<float> v(n);
  for (float& x : v) x = r.sign();
  return v;
}

/// n float weights uniform in +-sqrt(3 / fan_in) (unit variance of the sums for unit inputs).
inline std::vector<float> random_floats(random_stream& r, std::size_t n, std::size_t fan_in) {
  const float bound = std::sqrt(3.0f / float(fan_in));
  std::vector<float> v(n);
  for (float& x : v) x = bound * r.symmetric();
  return v;
}

}  // namespace detail
DDNN_END_NAMESPACE
