// Plain float reference for every layer: +1/-1 as 1.0f/-1.0f, zero padding, float max-pool,
// float BatchNorm (ddnn::batchnorm_sign), then sign. Runtime shapes, obvious loops, no tricks.
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "ddnn/layers/batchnorm_sign.hpp"

namespace ref {

struct dims {
  int h, w, c;
};

/// Float conv; taps added in the order (ky, kx, c) as x * w. Output [oy][ox][f].
inline std::vector<float> conv(const std::vector<float>& in, dims d, const std::vector<float>& w,
                               int filters, int k, int s, int p, dims& out) {
  out = {(d.h + 2 * p - k) / s + 1, (d.w + 2 * p - k) / s + 1, filters};
  std::vector<float> o(std::size_t(out.h) * out.w * filters);
  for (int oy = 0; oy < out.h; ++oy)
    for (int ox = 0; ox < out.w; ++ox)
      for (int f = 0; f < filters; ++f) {
        float acc = 0.0f;
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx)
            for (int c = 0; c < d.c; ++c) {
              const int y = oy * s - p + ky, x = ox * s - p + kx;
              const float v = (y < 0 || y >= d.h || x < 0 || x >= d.w)
                                  ? 0.0f
                                  : in[(std::size_t(y) * d.w + x) * d.c + c];
              const float wv =
                  w[((std::size_t(f) * k + ky) * k + kx) * d.c + c] >= 0 ? 1.0f : -1.0f;
              acc = acc + v * wv;
            }
        o[(std::size_t(oy) * out.w + ox) * filters + f] = acc;
      }
  return o;
}

/// Float max-pool over valid positions only.
inline std::vector<float> max_pool(const std::vector<float>& in, dims d, int k, int s, int p,
                                   dims& out) {
  out = {(d.h + 2 * p - k) / s + 1, (d.w + 2 * p - k) / s + 1, d.c};
  std::vector<float> o(std::size_t(out.h) * out.w * d.c);
  for (int py = 0; py < out.h; ++py)
    for (int px = 0; px < out.w; ++px)
      for (int c = 0; c < d.c; ++c) {
        float best = -INFINITY;
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) {
            const int y = py * s - p + ky, x = px * s - p + kx;
            if (y < 0 || y >= d.h || x < 0 || x >= d.w) continue;
            best = std::max(best, in[(std::size_t(y) * d.w + x) * d.c + c]);
          }
        o[(std::size_t(py) * out.w + px) * d.c + c] = best;
      }
  return o;
}

/// BatchNorm + sign per channel: true means +1.
inline std::vector<bool> bn_sign(const std::vector<float>& v, int channels,
                                 const std::vector<ddnn::BatchNorm>& bn) {
  std::vector<bool> bits(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) bits[i] = ddnn::batchnorm_sign(v[i], bn[i % channels]);
  return bits;
}

/// Dense: s = sum x * w over HWC inputs; returns float sums.
inline std::vector<float> dense(const std::vector<float>& in, const std::vector<float>& w,
                                int outputs) {
  std::vector<float> o(static_cast<std::size_t>(outputs));
  const std::size_t n = in.size();
  for (int j = 0; j < outputs; ++j) {
    float acc = 0.0f;
    for (std::size_t i = 0; i < n; ++i) acc = acc + in[i] * (w[j * n + i] >= 0 ? 1.0f : -1.0f);
    o[std::size_t(j)] = acc;
  }
  return o;
}

// ---- random data ---------------------------------------------------------------------------

inline std::vector<float> random_signs(std::mt19937& rng, std::size_t n) {
  std::vector<float> v(n);
  for (auto& x : v) x = (rng() & 1) ? 1.0f : -1.0f;
  return v;
}

/// Random BatchNorm whose step falls inside [-range, range] most of the time; includes
/// negative and zero gammas so flips and constant channels are exercised.
inline std::vector<ddnn::BatchNorm> random_bn(std::mt19937& rng, int channels, float range) {
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::vector<ddnn::BatchNorm> bn(static_cast<std::size_t>(channels));
  for (auto& b : bn) {
    const auto kind = rng() % 8;
    b.gamma = kind == 0 ? 0.0f : unit(rng) * 2.0f;
    b.beta = unit(rng);
    b.mean = unit(rng) * range * 0.6f;
    b.sigma = 0.25f + std::abs(unit(rng)) * 4.0f;
  }
  return bn;
}

}  // namespace ref
