// Float dense kernel: sums = x * W^T for a block of samples, in one fixed order of summation.
//
// The order: every sum is the plain loop
//     s = +0.0f;  for k = 0 .. depth-1:  s = fma(w[o][k], x[k], s)
// with each step rounded once (fused). It depends on nothing else: not on how many samples are
// computed together, nor on the ISA (each vectorises across outputs and samples, never across k),
// nor on the caller's floating-point contraction flags. So one sample alone, the same sample in a
// batch of 256 and the trainer's simulation of the layer give the same bits, on any CPU.
//
// Weights are packed once into panels of float_panel_width outputs, k-major inside a panel
// ([panel][k][output], outputs past the last zero-padded), so that each step of k reads the
// panel's weights for consecutive outputs as vectors. A register block of S samples x V vectors
// of outputs walks a block of k at a time, for every block of samples in turn, so that block of
// the panel stays in cache; the next block of k resumes each sum where the last one stopped.
#pragma once
#include <cstddef>

#include "ddnn/arch/fma_unit.hpp"
#include "ddnn/kernels/plans.hpp"

DDNN_BEGIN_NAMESPACE

/// The register block each ISA's kernel computes at once: samples x vectors of outputs.
/// vectors * fma_unit<Isa>::width divides float_panel_width.
template <class Isa>
struct float_dense_block;
template <>
struct float_dense_block<isa::scalar> {
  static constexpr int samples = 1, vectors = 4;
};
template <>
struct float_dense_block<isa::avx2> {
  static constexpr int samples = 2, vectors = 4;  // 8 accumulators of the 16 ymm registers
};
template <>
struct float_dense_block<isa::avx512bw> {
  static constexpr int samples = 6, vectors = 4;  // 24 accumulators of the 32 zmm registers
};
template <>
struct float_dense_block<isa::neon> {
  static constexpr int samples = 4, vectors = 4;  // 16 accumulators of the 32 q registers
};

namespace detail {

// S samples x V vectors of outputs [col, col + V * width) of one panel, over `depth` values of
// k (panel and x start at the block's first k); writes the first `cols` of them. `resume`: the
// sums hold the block before's results, which the steps continue (the order stays the loop's).
template <class Isa, int S, int V>
void float_dense_tile(const float* panel, std::size_t depth, const float* x, std::size_t x_stride,
                      float* sums, std::size_t sums_stride, std::size_t col, std::size_t cols,
                      bool resume) noexcept {
  using unit = fma_unit<Isa>;
  using vec = typename unit::vec;
  float lanes[V * unit::width] = {};
  vec acc[S][V];
  for (int s = 0; s < S; ++s) {
    if (resume)  // loops, not std::copy_n: a library template is a symbol the ISAs would share
      for (std::size_t c = 0; c < cols; ++c)
        lanes[c] = sums[std::size_t(s) * sums_stride + col + c];
    for (int v = 0; v < V; ++v)
      acc[s][v] = resume ? unit::load(lanes + v * unit::width) : unit::zero();
  }
  const float* w = panel + col;
  for (std::size_t k = 0; k < depth; ++k, w += float_panel_width) {
    vec wv[V];
    for (int v = 0; v < V; ++v) wv[v] = unit::load(w + v * unit::width);
    for (int s = 0; s < S; ++s) {
      const vec xs = unit::broadcast(x + std::size_t(s) * x_stride + k);
      for (int v = 0; v < V; ++v) acc[s][v] = unit::fmadd(wv[v], xs, acc[s][v]);
    }
  }
  for (int s = 0; s < S; ++s) {
    for (int v = 0; v < V; ++v) unit::store(lanes + v * unit::width, acc[s][v]);
    for (std::size_t c = 0; c < cols; ++c) sums[std::size_t(s) * sums_stride + col + c] = lanes[c];
  }
}

// The last `samples` (< S) samples of a panel's column block, one tile of exactly that many.
template <class Isa, int S, int V>
void float_dense_tail(std::size_t samples, const float* panel, std::size_t depth, const float* x,
                      std::size_t x_stride, float* sums, std::size_t sums_stride, std::size_t col,
                      std::size_t cols, bool resume) noexcept {
  if constexpr (S > 0) {
    if (samples == std::size_t(S))
      float_dense_tile<Isa, S, V>(panel, depth, x, x_stride, sums, sums_stride, col, cols, resume);
    else
      float_dense_tail<Isa, S - 1, V>(samples, panel, depth, x, x_stride, sums, sums_stride, col,
                                      cols, resume);
  }
}

}  // namespace detail

/// Values of k a block of tiles takes before the next: a panel's weights for them (32 KB) stay
/// in the first-level cache while every tile of samples uses them.
inline constexpr std::size_t float_dense_depth_block = 128;

/// sums[s][o] (row stride sums_stride) for samples s < `samples` of x (row stride x_stride),
/// in the order the header describes.
template <class Isa>
void float_dense_forward(Isa, const float_dense_plan& p, const float* x, std::size_t x_stride,
                         std::size_t samples, float* sums, std::size_t sums_stride) noexcept {
  using block = float_dense_block<Isa>;
  constexpr std::size_t block_cols = std::size_t(block::vectors) * fma_unit<Isa>::width;
  static_assert(float_panel_width % block_cols == 0);
  constexpr auto S = std::size_t(block::samples);
  for (std::size_t first = 0; first < p.outputs; first += float_panel_width) {
    const float* panel = p.panels + first * p.depth;
    float* out = sums + first;
    for (std::size_t col = 0; col < float_panel_width && first + col < p.outputs;
         col += block_cols) {
      const std::size_t left = p.outputs - first - col;
      const std::size_t cols = left < block_cols ? left : block_cols;
      for (std::size_t k = 0; k < p.depth; k += float_dense_depth_block) {
        const std::size_t depth =
            p.depth - k < float_dense_depth_block ? p.depth - k : float_dense_depth_block;
        const float* w = panel + k * float_panel_width;
        const bool resume = k > 0;
        std::size_t s = 0;
        for (; s + S <= samples; s += S)
          detail::float_dense_tile<Isa, block::samples, block::vectors>(
              w, depth, x + s * x_stride + k, x_stride, out + s * sums_stride, sums_stride, col,
              cols, resume);
        if (s < samples)
          detail::float_dense_tail<Isa, block::samples - 1, block::vectors>(
              samples - s, w, depth, x + s * x_stride + k, x_stride, out + s * sums_stride,
              sums_stride, col, cols, resume);
      }
    }
  }
}

DDNN_END_NAMESPACE
