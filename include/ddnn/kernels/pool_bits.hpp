// The shared epilogue of every thresholded layer. Kernels first write raw bits r = (s >= t),
// which rise with s for every channel; so max-pool then threshold is the OR of r over the window
// (padding excluded). The per-channel flip (falling BatchNorm) is applied after pooling.
#pragma once
#include <cstdint>

#include "ddnn/core/window.hpp"
#include "ddnn/kernels/plans.hpp"

DDNN_BEGIN_NAMESPACE

template <class Isa>
inline void pool_bits_flip(Isa, const pool_geometry& g, const std::uint64_t* raw,
                           const std::uint64_t* flip, std::uint64_t* out) noexcept {
  const int words = g.words;
  const auto taps = [&](int o, int in) {
    return window_taps<Isa>(std::size_t(o), std::size_t(in), std::size_t(g.kernel),
                            std::size_t(g.stride), std::size_t(g.pad));
  };
  for (int py = 0; py < g.out_h; ++py) {
    const window_range rows = taps(py, g.in_h);
    for (int px = 0; px < g.out_w; ++px) {
      const window_range cols = taps(px, g.in_w);
      std::uint64_t* o = out + (std::ptrdiff_t(py) * g.out_w + px) * words;
      for (int w = 0; w < words; ++w) o[w] = 0;
      for (std::size_t y = rows.begin; y < rows.end; ++y)
        for (std::size_t x = cols.begin; x < cols.end; ++x) {
          const std::uint64_t* r = raw + (std::ptrdiff_t(y) * g.in_w + std::ptrdiff_t(x)) * words;
          for (int w = 0; w < words; ++w) o[w] |= r[w];
        }
      for (int w = 0; w < words; ++w) o[w] ^= flip[w];
    }
  }
}

/// Without pooling: out = raw XOR flip.
template <class Isa>
inline void flip_bits(Isa, std::ptrdiff_t pixels, int words, const std::uint64_t* raw,
                      const std::uint64_t* flip, std::uint64_t* out) noexcept {
  for (std::ptrdiff_t p = 0; p < pixels; ++p)
    for (int w = 0; w < words; ++w) out[p * words + w] = raw[p * words + w] ^ flip[w];
}

DDNN_END_NAMESPACE
