// The XNOR-popcount tile: popcount(a_m XOR w_n) summed over k, for `Rows` input rows against
// `Groups` groups of filter_group packed filters, kept in registers and handed to an epilogue
// as count vectors. Conv and dense kernels are loops of it.
// Templates over the ISA tag only (no shared non-template helpers: see popcount_unit.hpp).
#pragma once
#include <cstddef>
#include <cstdint>

#include "ddnn/arch/popcount_unit.hpp"
#include "ddnn/kernels/plans.hpp"

DDNN_BEGIN_NAMESPACE

/// Register blocking per ISA, chosen so accumulators, weights and tables fit the register file.
/// An ISA that uses its base's registers (POPCNT on general registers, VPOPCNTDQ on AVX-512 BW's)
/// keeps its base's blocking.
template <class Isa>
struct tile_config : tile_config<typename Isa::base> {};
template <>
struct tile_config<isa::scalar> {
  static constexpr int conv_rows = 1;
  static constexpr int dense_groups = 1;
};
template <>
struct tile_config<isa::avx2> {
  static constexpr int conv_rows = 2;
  static constexpr int dense_groups = 2;
};
template <>
struct tile_config<isa::avx512bw> {
  static constexpr int conv_rows = 8;
  static constexpr int dense_groups = 4;
};
template <>
struct tile_config<isa::neon> {
  static constexpr int conv_rows = 4;
  static constexpr int dense_groups = 1;
};

/// An input row made of `segments` runs of `segment_words` contiguous words, `segment_stride`
/// words apart (a conv patch read straight from the padded input; a dense input is one run).
struct row_layout {
  int segments = 1;
  int segment_words = 0;
  std::ptrdiff_t segment_stride = 0;
};

/// Calls epilogue(m, g, v, counts) for every row m, group g and vector v of the group, where
/// lane l of `counts` belongs to filter g * filter_group + v * lanes + l.
/// SegmentWords > 0 promises layout.segment_words == SegmentWords, so the inner loop unrolls.
template <class Isa, int Rows, int Groups, int SegmentWords = 0, class Epilogue>
inline void xnor_tile(Isa, const std::uint64_t* const* rows, const row_layout& layout,
                      const std::uint64_t* weights, std::ptrdiff_t group_stride,
                      Epilogue&& epilogue) noexcept {
  using unit = popcount_unit<Isa>;
  constexpr int vecs = filter_group / unit::lanes;
  typename unit::partial_acc acc[Rows][Groups][vecs];
  typename unit::count_vec counts[Rows][Groups][vecs];
#pragma GCC unroll 64
  for (int m = 0; m < Rows; ++m)
#pragma GCC unroll 64
    for (int g = 0; g < Groups; ++g)
#pragma GCC unroll 64
      for (int v = 0; v < vecs; ++v) {
        acc[m][g][v] = unit::zero_partial();
        counts[m][g][v] = unit::zero_counts();
      }

  auto flush_all = [&]() noexcept {
#pragma GCC unroll 64
    for (int m = 0; m < Rows; ++m)
#pragma GCC unroll 64
      for (int g = 0; g < Groups; ++g)
#pragma GCC unroll 64
        for (int v = 0; v < vecs; ++v) unit::flush(counts[m][g][v], acc[m][g][v]);
  };
  // One word of every row against one word of every filter of the tile.
  auto step = [&](std::ptrdiff_t k, std::ptrdiff_t offset) noexcept {
    typename unit::word_vec x[Rows];
#pragma GCC unroll 64
    for (int m = 0; m < Rows; ++m) x[m] = unit::broadcast(rows[m] + offset);
#pragma GCC unroll 64
    for (int g = 0; g < Groups; ++g)
#pragma GCC unroll 64
      for (int v = 0; v < vecs; ++v) {
        const typename unit::word_vec w =
            unit::load(weights + g * group_stride + k * filter_group + v * unit::lanes);
#pragma GCC unroll 64
        for (int m = 0; m < Rows; ++m) unit::accumulate(acc[m][g][v], x[m], w);
      }
  };

  const int segment_words = SegmentWords > 0 ? SegmentWords : layout.segment_words;
  int pending = 0;       // words accumulated since the last flush
  std::ptrdiff_t k = 0;  // word index into the packed weights
  if (segment_words <= unit::max_run) {
    // Whole segments between flushes: the common case, and fully unrolled for a fixed length.
    for (int s = 0; s < layout.segments; ++s) {
      if (pending + segment_words > unit::max_run) {
        flush_all();
        pending = 0;
      }
      const std::ptrdiff_t row_offset = s * layout.segment_stride;
#pragma GCC unroll 16
      for (int i = 0; i < segment_words; ++i) step(k + i, row_offset + i);
      k += segment_words;
      pending += segment_words;
    }
  } else {
    for (int s = 0; s < layout.segments; ++s) {
      const std::ptrdiff_t row_offset = s * layout.segment_stride;
      for (int w0 = 0; w0 < segment_words;) {
        if (pending == unit::max_run) {
          flush_all();
          pending = 0;
        }
        const int room = unit::max_run - pending;
        const int run = segment_words - w0 < room ? segment_words - w0 : room;
        for (int i = 0; i < run; ++i) step(k + i, row_offset + w0 + i);
        k += run;
        pending += run;
        w0 += run;
      }
    }
  }
#pragma GCC unroll 64
  for (int m = 0; m < Rows; ++m)
#pragma GCC unroll 64
    for (int g = 0; g < Groups; ++g)
#pragma GCC unroll 64
      for (int v = 0; v < vecs; ++v) {
        unit::flush(counts[m][g][v], acc[m][g][v]);
        epilogue(m, g, v, counts[m][g][v]);
      }
}

DDNN_END_NAMESPACE
