// The shared epilogue of every thresholded layer: max-pool integer or float sums over a window
// (padding excluded), compare each channel with its threshold, flip, and pack 64 channels a word.
// Max-pool then threshold equals the OR (rising) or AND (falling) of thresholded bits.
#pragma once
#include <cstdint>

#include "ddnn/kernels/plans.hpp"

DDNN_BEGIN_NAMESPACE

template <class Isa, class T>
inline void pool_threshold_pack(Isa, const pool_threshold_geometry& g, const T* sums,
                                const T* thresholds, const std::uint64_t* flip,
                                std::uint64_t* out) noexcept {
  for (int py = 0; py < g.out_h; ++py) {
    const int y_begin = py * g.stride - g.pad < 0 ? 0 : py * g.stride - g.pad;
    const int y_stop = py * g.stride - g.pad + g.kernel;
    const int y_end = y_stop > g.in_h ? g.in_h : y_stop;
    for (int px = 0; px < g.out_w; ++px) {
      const int x_begin = px * g.stride - g.pad < 0 ? 0 : px * g.stride - g.pad;
      const int x_stop = px * g.stride - g.pad + g.kernel;
      const int x_end = x_stop > g.in_w ? g.in_w : x_stop;
      std::uint64_t* out_pixel = out + (std::ptrdiff_t(py) * g.out_w + px) * g.out_words;
      for (int w = 0; w < g.out_words; ++w) {
        const int first = w * 64;
        const int count = g.channels - first < 64 ? g.channels - first : 64;
        T best[64];
        const T* origin = sums + first * g.channel_stride;
        for (int j = 0; j < count; ++j)
          best[j] = origin[y_begin * g.row_stride + x_begin * g.pixel_stride + j * g.channel_stride];
        for (int y = y_begin; y < y_end; ++y)
          for (int x = x_begin; x < x_end; ++x) {
            const T* at = origin + y * g.row_stride + x * g.pixel_stride;
            for (int j = 0; j < count; ++j) {
              const T v = at[j * g.channel_stride];
              best[j] = v > best[j] ? v : best[j];
            }
          }
        std::uint64_t bits = 0;
        for (int j = 0; j < count; ++j)
          bits |= std::uint64_t{best[j] >= thresholds[first + j]} << j;
        out_pixel[w] = bits ^ flip[w];
      }
    }
  }
}

DDNN_END_NAMESPACE
