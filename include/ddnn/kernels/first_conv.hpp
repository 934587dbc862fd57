// First-layer kernel: 8-bit or float sensor input against binary (+1/-1) weights, vectorised
// across output columns with xsimd. 8-bit sums are exact integers (positive taps minus negative
// taps). Float sums add the taps in the defined order (ky, kx, c), each as +v or -v (a sign-bit
// XOR), so every ISA and the scalar reference round identically. Then raw bits, pool, flip.
#pragma once
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "ddnn/arch/xsimd_arch.hpp"
#include "ddnn/kernels/pool_bits.hpp"

DDNN_BEGIN_NAMESPACE

/// True when every sum of `taps` 8-bit values (and a threshold one past it) fits in int16, so
/// the kernel may accumulate twice as many lanes per vector.
/// (Templated on the ISA like everything a kernel calls, so no two ISA objects share a symbol.)
template <class Isa, class In>
[[nodiscard]] constexpr bool first_conv_fits_int16(Isa, int taps) noexcept {
  const long largest = std::is_same_v<In, std::uint8_t> ? 255 : 128;
  return !std::is_floating_point_v<In> && largest * taps + 1 <= 32767;
}

namespace detail {
/// Scratch carved into typed pieces.
template <class Acc>
struct first_conv_scratch {
  Acc* planes;              // [channels][in_h + 2 pad][in_w + 2 pad]
  Acc* sums;                // [out_h][padded in_w]: one filter's conv sums (stride-1: the sum of
                            // output (y, x) lies where input (y, x) lies in a padded plane)
  Acc* column_max;          // [out_w]: max over a pool window's rows
  std::ptrdiff_t* offsets;  // [filter][tap]: tap offsets, positive taps first (8-bit input)
  std::int32_t* tap_info;   // [filter]: positive tap count (8-bit) / [filter][tap] sign (float)
  Acc* bit_planes;          // unpooled 8-bit: [filter / bits of Acc][out_h][padded in_w]: bit
                            // f % (bits of Acc) says whether filter f's sum reaches its threshold
};

/// Max-pools one filter's sums (padding never wins) and sets bit `bit` of each pooled pixel's
/// word where the max reaches the threshold. Max then threshold equals the OR of thresholded
/// bits because BatchNorm+sign is monotone (rising here; falling channels flip afterwards).
/// `lane` has room for 2 * (in_w + 2 * pad + kernel) values.
/// `sums` rows are `sums_stride` values apart.
template <class Isa, class Acc>
inline void pool_threshold_plane(Isa, const pool_geometry& g, const Acc* sums,
                                 std::ptrdiff_t sums_stride, Acc* lane, Acc threshold,
                                 std::uint64_t bit, std::uint64_t* out_words, int words) noexcept {
  const int in_w = g.in_w, in_h = g.in_h, kernel = g.kernel, stride = g.stride, pad = g.pad;
  // Branch-free: whether a sum reaches its threshold is as good as random, and a branch on it
  // mispredicted often enough to triple the layer's time on a stream of different inputs.
  const auto set_if = [bit](bool on) { return (std::uint64_t{0} - std::uint64_t{on}) & bit; };
  if (kernel == 1 && stride == 1 && pad == 0) {  // no pooling: threshold each sum
    for (int y = 0; y < in_h; ++y) {
      const Acc* r = sums + std::ptrdiff_t(y) * sums_stride;
      std::uint64_t* out_row = out_words + std::ptrdiff_t(y) * in_w * words;
      if (words == 1) {  // consecutive words: a loop the compiler vectorises
        for (int x = 0; x < in_w; ++x) out_row[x] |= set_if(r[x] >= threshold);
      } else {
        for (int x = 0; x < in_w; ++x)
          out_row[std::ptrdiff_t(x) * words] |= set_if(r[x] >= threshold);
      }
    }
    return;
  }
  const int padded_w = in_w + 2 * pad;
  // Padding cells hold the lowest value, so a window never needs clipping along x; every window
  // holds at least one real column because 2 * pad <= kernel.
  const Acc lowest = std::numeric_limits<Acc>::lowest();
  for (int x = 0; x < pad; ++x) lane[x] = lane[pad + in_w + x] = lowest;
  Acc* column_max = lane + pad;
  Acc* window = lane + padded_w + kernel;
  for (int py = 0; py < g.out_h; ++py) {
    const int y_origin = py * stride - pad;
    const int y_begin = y_origin < 0 ? 0 : y_origin;
    const int y_end = y_origin + kernel > in_h ? in_h : y_origin + kernel;
    const Acc* first_row = sums + std::ptrdiff_t(y_begin) * sums_stride;
    for (int x = 0; x < in_w; ++x) column_max[x] = first_row[x];
    for (int y = y_begin + 1; y < y_end; ++y) {
      const Acc* r = sums + std::ptrdiff_t(y) * sums_stride;
      for (int x = 0; x < in_w; ++x) column_max[x] = r[x] > column_max[x] ? r[x] : column_max[x];
    }
    // window[x] = max of the window starting at padded column x (full-width passes).
    for (int x = 0; x < padded_w; ++x) window[x] = lane[x];
    for (int j = 1; j < kernel; ++j)
      for (int x = 0; x + j < padded_w; ++x)
        window[x] = lane[x + j] > window[x] ? lane[x + j] : window[x];
    std::uint64_t* out_row = out_words + std::ptrdiff_t(py) * g.out_w * words;
    for (int px = 0; px < g.out_w; ++px)
      out_row[std::ptrdiff_t(px) * words] |= set_if(window[px * stride] >= threshold);
  }
}

template <int Channels, class Isa, class In, class Acc>
inline void deinterleave(Isa, const In* in_row, int width, Acc* plane_row,
                         std::ptrdiff_t plane) noexcept {
  for (int c = 0; c < Channels; ++c) {
    Acc* out = plane_row + c * plane;
    for (int x = 0; x < width; ++x) out[x] = Acc(in_row[x * Channels + c]);
  }
}

/// Sums of `Vectors` adjacent column vectors of one output row (stride 1), starting at `at`.
/// 8-bit: positive taps minus negative taps (exact). Float: taps in order, each +v or -v.
template <int Vectors, class Batch, class Isa, class Acc>
inline void first_conv_columns(Isa, const Acc* at, const std::ptrdiff_t* off,
                               const std::int32_t* info, int positive, int taps,
                               Acc* out) noexcept {
  constexpr int lanes = int(Batch::size);
  Batch acc[Vectors];
  for (int v = 0; v < Vectors; ++v) acc[v] = Batch(Acc(0));
  if constexpr (std::is_floating_point_v<Acc>) {
    const Batch negate(-0.0f), keep(0.0f);
#pragma GCC unroll 4
    for (int t = 0; t < taps; ++t) {
      const Batch sign = info[t] ? negate : keep;
      for (int v = 0; v < Vectors; ++v)
        acc[v] = acc[v] + (Batch::load_unaligned(at + off[t] + v * lanes) ^ sign);
    }
  } else {
    Batch minus[Vectors];
    for (int v = 0; v < Vectors; ++v) minus[v] = Batch(Acc(0));
    int t = 0;
#pragma GCC unroll 4
    for (; t < positive; ++t)
      for (int v = 0; v < Vectors; ++v) acc[v] += Batch::load_unaligned(at + off[t] + v * lanes);
#pragma GCC unroll 4
    for (; t < taps; ++t)
      for (int v = 0; v < Vectors; ++v) minus[v] += Batch::load_unaligned(at + off[t] + v * lanes);
    for (int v = 0; v < Vectors; ++v) acc[v] -= minus[v];
  }
  for (int v = 0; v < Vectors; ++v) acc[v].store_unaligned(out + v * lanes);
}
}  // namespace detail

/// Returns false (and leaves the output unspecified) when a float input value is not finite.
/// Acc is float for float input, int16_t or int32_t for 8-bit input (see first_conv_fits_int16).
template <class Isa, class In, class Acc>
bool first_conv_forward(Isa isa, const first_conv_plan& plan, const In* input,
                        std::uint64_t* output, void* scratch) noexcept {
  static_assert(std::is_floating_point_v<In> == std::is_floating_point_v<Acc>,
                "first_conv_forward accumulates float input in float and 8-bit input in integers");
  // A local copy: stores through the int32/float scratch could otherwise alias the plan's fields
  // and force a reload of every extent on every iteration.
  const first_conv_plan p = plan;
  constexpr bool is_float = std::is_floating_point_v<In>;
  const int ph = p.in_h + 2 * p.pad, pw = p.in_w + 2 * p.pad;
  const std::ptrdiff_t plane = std::ptrdiff_t(ph) * pw;
  const int taps = p.kernel * p.kernel * p.channels;
  const int words = p.pool.words;

  auto* bytes = static_cast<unsigned char*>(scratch);
  detail::first_conv_scratch<Acc> s{};
  s.planes = reinterpret_cast<Acc*>(bytes);
  bytes += (std::size_t(plane) * p.channels + first_conv_overrun) * sizeof(Acc);
  s.sums = reinterpret_cast<Acc*>(bytes);
  bytes += (std::size_t(p.out_h) * pw + first_conv_overrun) * sizeof(Acc);
  s.column_max = reinterpret_cast<Acc*>(bytes);
  bytes += 2 * std::size_t(p.out_w + 2 * p.pool.pad + p.pool.kernel) * sizeof(Acc);
  bytes += (8 - reinterpret_cast<std::uintptr_t>(bytes) % 8) % 8;
  s.offsets = reinterpret_cast<std::ptrdiff_t*>(bytes);
  bytes += std::size_t(taps) * p.filters * sizeof(std::ptrdiff_t);
  s.tap_info = reinterpret_cast<std::int32_t*>(bytes);
  bytes += (std::size_t(taps) + 1) * p.filters * sizeof(std::int32_t);
  s.bit_planes = reinterpret_cast<Acc*>(bytes);

  // Planar, zero-padded copy of the input. The vectors of the last output row read up to one
  // vector past the planes: zeros there (they only reach sums no output uses).
  const int in_h = p.in_h, in_w = p.in_w, channels = p.channels, pad = p.pad;
  Acc* const planes = s.planes;
  for (std::size_t i = 0; i < first_conv_overrun; ++i) planes[plane * channels + i] = Acc(0);
  if (pad > 0) {  // zero the border only; the interior is overwritten below
    for (int c = 0; c < channels; ++c)
      for (int y = 0; y < ph; ++y) {
        Acc* r = planes + c * plane + std::ptrdiff_t(y) * pw;
        if (y < pad || y >= pad + in_h) {
          for (int x = 0; x < pw; ++x) r[x] = Acc(0);
        } else {
          for (int x = 0; x < pad; ++x) r[x] = r[pad + in_w + x] = Acc(0);
        }
      }
  }
  for (int y = 0; y < in_h; ++y) {
    const In* in_row = input + std::ptrdiff_t(y) * in_w * channels;
    Acc* plane_row = planes + std::ptrdiff_t(y + pad) * pw + pad;
    if constexpr (is_float) {
      for (int i = 0; i < in_w * channels; ++i)
        if (!__builtin_isfinite(in_row[i])) return false;
    }
    // HWC -> planar; a compile-time channel count lets the compiler vectorise the transpose.
    switch (channels) {
      case 1:
        detail::deinterleave<1>(isa, in_row, in_w, plane_row, plane);
        break;
      case 2:
        detail::deinterleave<2>(isa, in_row, in_w, plane_row, plane);
        break;
      case 3:
        detail::deinterleave<3>(isa, in_row, in_w, plane_row, plane);
        break;
      case 4:
        detail::deinterleave<4>(isa, in_row, in_w, plane_row, plane);
        break;
      default:
        for (int x = 0; x < in_w; ++x)
          for (int c = 0; c < channels; ++c)
            plane_row[c * plane + x] = Acc(in_row[x * channels + c]);
    }
  }

  // Tap tables. 8-bit: per filter, offsets of +1 taps then -1 taps (integer sums commute).
  // Float: per filter, offsets in (ky, kx, c) order and a sign per tap. Branch-free: a branch on
  // each weight's sign mispredicts half the time.
  for (int f = 0; f < p.filters; ++f) {
    const std::int8_t* w = p.weight_signs + std::ptrdiff_t(f) * taps;
    std::ptrdiff_t* off = s.offsets + std::ptrdiff_t(f) * taps;
    int positive = 0;
    for (int t = 0; t < taps; ++t) positive += w[t] > 0;
    int plus_at = 0, minus_at = is_float ? 0 : positive, t = 0;
    for (int ky = 0; ky < p.kernel; ++ky)
      for (int kx = 0; kx < p.kernel; ++kx)
        for (int c = 0; c < p.channels; ++c, ++t) {
          const int plus = w[t] > 0;
          const std::ptrdiff_t offset = c * plane + std::ptrdiff_t(ky) * pw + kx;
          if constexpr (is_float) {
            off[t] = offset;
            s.tap_info[std::ptrdiff_t(f) * taps + t] = 1 - plus;
          } else {
            off[plus ? plus_at : minus_at] = offset;
            plus_at += plus;
            minus_at += 1 - plus;
          }
        }
    if (!is_float) s.tap_info[f] = positive;
  }

  using Threshold = std::conditional_t<is_float, float, std::int32_t>;
  const Threshold* thresholds = nullptr;
  if constexpr (is_float)
    thresholds = p.float_thresholds;
  else
    thresholds = p.int_thresholds;
  for (std::ptrdiff_t i = 0; i < std::ptrdiff_t(p.pool.out_h) * p.pool.out_w * words; ++i)
    output[i] = 0;

  using arch = xsimd_arch_t<Isa>;
  const int out_h = p.out_h, out_w = p.out_w, stride = p.stride;
  // Unpooled 8-bit sums are thresholded a vector at a time into bit planes of Acc-wide lanes
  // (one bit per filter, as wide as the sums), and the planes become the output words once at
  // the end: thresholding one sum at a time into the words was half of the main job's device.
  // A sum's magnitude stays below `bound`, so a threshold clamped to +-bound compares the same,
  // and where twice the bound fits in Acc, the sign of sum - threshold is the comparison (an
  // arithmetic shift, not xsimd::select, which xsimd 8.1 cannot compile for AVX-512 at -O0).
  constexpr bool threshold_in_vectors = !is_float && !std::is_void_v<arch>;
  const long bound = (std::is_same_v<In, std::uint8_t> ? 255L : 128L) * taps + 1;
  constexpr long acc_max = [] {  // a constant: no call for the ISAs to share
    if constexpr (is_float)
      return 0L;
    else
      return long(std::numeric_limits<Acc>::max());
  }();
  const bool into_bit_planes =
      p.pool.kernel == 1 && p.pool.stride == 1 && p.pool.pad == 0 && 2 * bound <= acc_max;
  constexpr int plane_bits = int(8 * sizeof(Acc));
  const std::ptrdiff_t run = std::ptrdiff_t(out_h - 1) * pw + out_w;
  const std::ptrdiff_t bit_plane = std::ptrdiff_t(out_h) * pw + std::ptrdiff_t(first_conv_overrun);
  for (int f = 0; f < p.filters; ++f) {
    const std::ptrdiff_t* off = s.offsets + std::ptrdiff_t(f) * taps;
    const std::int32_t* info = s.tap_info + std::ptrdiff_t(f) * taps;
    const int positive = is_float ? 0 : s.tap_info[f];
    // Clamped into Acc: every sum lies strictly inside Acc's range (first_conv_fits_int16), so a
    // threshold beyond it compares the same as the range's end.
    Acc threshold;
    if constexpr (is_float) {
      threshold = thresholds[f];
    } else {
      const auto t = thresholds[f];
      constexpr auto lo = std::numeric_limits<Acc>::lowest(), hi = std::numeric_limits<Acc>::max();
      threshold = t < lo ? lo : (t > hi ? hi : Acc(t));
    }
    bool summed = false;
    if constexpr (!std::is_void_v<arch>) {
      if (stride == 1) {
        // The sum of output (y, x) reads the padded planes from y * pw + x on, so all outputs
        // are one run over the plane: vectors cover whole rows and row ends alike, however
        // narrow the rows (a 14-column tile is narrower than one AVX-512 vector). The sums of
        // the pad columns in between are computed and never used.
        using batch = xsimd::batch<Acc, arch>;
        constexpr int lanes = int(batch::size);
        static_assert(lanes <= int(first_conv_overrun));
        std::ptrdiff_t i = 0;
        // Two column vectors per step: independent accumulator chains share each offset load.
        for (; i + 2 * lanes <= run; i += 2 * lanes)
          detail::first_conv_columns<2, batch>(isa, planes + i, off, info, positive, taps,
                                               s.sums + i);
        for (; i < run; i += lanes)
          detail::first_conv_columns<1, batch>(isa, planes + i, off, info, positive, taps,
                                               s.sums + i);
        summed = true;
      }
    }
    for (int oy = 0; oy < out_h && !summed; ++oy) {
      Acc* const row = s.sums + std::ptrdiff_t(oy) * pw;
      const Acc* in_row = planes + std::ptrdiff_t(oy) * stride * pw;
      int ox = 0;
      if (std::is_void_v<arch> && stride == 1) {
        // No SIMD batch type: whole-row passes per tap, which compilers vectorise on any target;
        // each output still adds its taps in the defined order.
        for (int x = 0; x < out_w; ++x) row[x] = Acc(0);
        for (int t = 0; t < taps; ++t) {
          const Acc* src = in_row + off[t];
          const bool subtract = is_float ? info[t] != 0 : t >= positive;
          if (subtract) {
            for (int x = 0; x < out_w; ++x) row[x] = row[x] - src[x];
          } else {
            for (int x = 0; x < out_w; ++x) row[x] = row[x] + src[x];
          }
        }
        ox = out_w;
      }
      for (; ox < out_w; ++ox) {
        const Acc* at = in_row + std::ptrdiff_t(ox) * stride;
        Acc acc = Acc(0);
        if constexpr (is_float) {
          for (int t = 0; t < taps; ++t) acc = info[t] ? acc - at[off[t]] : acc + at[off[t]];
        } else {
          Acc minus = 0;
          int t = 0;
          for (; t < positive; ++t) acc += at[off[t]];
          for (; t < taps; ++t) minus += at[off[t]];
          acc -= minus;
        }
        row[ox] = acc;
      }
    }
    if constexpr (threshold_in_vectors) {
      if (into_bit_planes) {
        // Sums of every stride lie at (y, x) of the padded rows; the lanes in between hold
        // values no output reads.
        using batch = xsimd::batch<Acc, arch>;
        using Bits = std::make_unsigned_t<Acc>;
        Acc* bits = s.bit_planes + std::ptrdiff_t(f / plane_bits) * bit_plane;
        const long t = long(threshold);
        const batch reach(Acc(t < -bound ? -bound : (t > bound ? bound : t)));
        const batch bit(Acc(Bits(Bits{1} << (f % plane_bits)))), none(Acc(0));
        for (std::ptrdiff_t i = 0; i < run; i += std::ptrdiff_t(batch::size)) {
          const batch before = f % plane_bits == 0 ? none : batch::load_unaligned(bits + i);
          const batch below = (batch::load_unaligned(s.sums + i) - reach) >> (plane_bits - 1);
          (before | (bit & ~below)).store_unaligned(bits + i);
        }
        continue;
      }
    }
    detail::pool_threshold_plane(isa, p.pool, s.sums, pw, s.column_max, threshold,
                                 std::uint64_t{1} << (f % 64), output + f / 64, words);
  }
  if constexpr (threshold_in_vectors) {
    if (into_bit_planes) {
      using Bits = std::make_unsigned_t<Acc>;
      const int planes_per_word = 64 / plane_bits;
      const int planes = (p.filters + plane_bits - 1) / plane_bits;
      for (int y = 0; y < out_h; ++y)
        for (int x = 0; x < out_w; ++x) {
          const Acc* at = s.bit_planes + std::ptrdiff_t(y) * pw + x;
          std::uint64_t* out = output + (std::ptrdiff_t(y) * out_w + x) * words;
          for (int word = 0; word < words; ++word) {
            std::uint64_t value = 0;
            for (int g = word * planes_per_word; g < planes && g < (word + 1) * planes_per_word;
                 ++g)
              value |= std::uint64_t(Bits(at[g * bit_plane]))
                       << ((g % planes_per_word) * plane_bits);
            out[word] = value;
          }
        }
    }
  }
  const std::ptrdiff_t pooled = std::ptrdiff_t(p.pool.out_h) * p.pool.out_w;
  flip_bits(isa, pooled, words, output, p.flip, output);
  return true;
}

DDNN_END_NAMESPACE
