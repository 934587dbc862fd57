// The shared epilogue of every thresholded layer. Kernels first write raw bits r = (s >= t),
// which rise with s for every channel; so max-pool then threshold is the OR of r over the window
// (padding excluded). The per-channel flip (falling BatchNorm) is applied after pooling.
#pragma once
#include <cstdint>

#include "ddnn/kernels/plans.hpp"

DDNN_BEGIN_NAMESPACE

template <class Isa>
inline void pool_bits_flip(Isa, const pool_geometry& g, const std::uint64_t* raw,
                           const std::uint64_t* flip, std::uint64_t* out) noexcept {
  const int words = g.words;
  for (int py = 0; py < g.out_h; ++py) {
    const int y_begin = py * g.stride - g.pad < 0 ? 0 : py * g.stride - g.pad;
    const int y_stop = py * g.stride - g.pad + g.kernel;
    const int y_end = y_stop > g.in_h ? g.in_h : y_stop;
    for (int px = 0; px < g.out_w; ++px) {
      const int x_begin = px * g.stride - g.pad < 0 ? 0 : px * g.stride - g.pad;
      const int x_stop = px * g.stride - g.pad + g.kernel;
      const int x_end = x_stop > g.in_w ? g.in_w : x_stop;
      std::uint64_t* o = out + (std::ptrdiff_t(py) * g.out_w + px) * words;
      for (int w = 0; w < words; ++w) o[w] = 0;
      for (int y = y_begin; y < y_end; ++y)
        for (int x = x_begin; x < x_end; ++x) {
          const std::uint64_t* r = raw + (std::ptrdiff_t(y) * g.in_w + x) * words;
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
