// First-layer kernel: 8-bit or float sensor input against binary (+1/-1) weights, vectorised
// across output columns with xsimd. 8-bit sums are exact integers (positive taps minus negative
// taps). Float sums add the taps in the defined order (ky, kx, c), each as +v or -v (a sign-bit
// XOR), so every ISA and the scalar reference round identically. Then raw bits, pool, flip.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ddnn/arch/xsimd_arch.hpp"
#include "ddnn/kernels/pool_bits.hpp"

DDNN_BEGIN_NAMESPACE

/// The accumulator type of the first layer for an input element type.
template <class In>
using first_conv_acc_t = std::conditional_t<std::is_floating_point_v<In>, float, std::int32_t>;

namespace detail {
/// Scratch carved into typed pieces.
template <class Acc>
struct first_conv_scratch {
  std::uint64_t* raw;          // [out_h][out_w][words] raw threshold bits
  Acc* planes;                 // [channels][in_h + 2 pad][in_w + 2 pad]
  Acc* row;                    // one output row of sums
  std::ptrdiff_t* offsets;     // [filter][tap]: tap offsets, positive taps first (8-bit input)
  std::int32_t* tap_info;      // [filter]: positive tap count (8-bit) / [filter][tap] sign (float)
};
}  // namespace detail

/// Returns false (and leaves the output unspecified) when a float input value is not finite.
template <class Isa, class In>
bool first_conv_forward(Isa isa, const first_conv_plan& plan, const In* input,
                        std::uint64_t* output, void* scratch) noexcept {
  // A local copy: stores through the int32/float scratch could otherwise alias the plan's fields
  // and force a reload of every extent on every iteration.
  const first_conv_plan p = plan;
  using Acc = first_conv_acc_t<In>;
  constexpr bool is_float = std::is_floating_point_v<In>;
  const int ph = p.in_h + 2 * p.pad, pw = p.in_w + 2 * p.pad;
  const std::ptrdiff_t plane = std::ptrdiff_t(ph) * pw;
  const int taps = p.kernel * p.kernel * p.channels;
  const std::ptrdiff_t out_pixels = std::ptrdiff_t(p.out_h) * p.out_w;
  const int words = p.pool.words;

  auto* bytes = static_cast<unsigned char*>(scratch);
  detail::first_conv_scratch<Acc> s{};
  s.raw = p.pool.pools() ? reinterpret_cast<std::uint64_t*>(bytes) : output;
  bytes += p.pool.pools() ? std::size_t(out_pixels) * words * 8 : 0;
  s.planes = reinterpret_cast<Acc*>(bytes);
  bytes += std::size_t(plane) * p.channels * sizeof(Acc);
  s.row = reinterpret_cast<Acc*>(bytes);
  bytes += std::size_t(p.out_w) * sizeof(Acc);
  bytes += (8 - reinterpret_cast<std::uintptr_t>(bytes) % 8) % 8;
  s.offsets = reinterpret_cast<std::ptrdiff_t*>(bytes);
  bytes += std::size_t(taps) * p.filters * sizeof(std::ptrdiff_t);
  s.tap_info = reinterpret_cast<std::int32_t*>(bytes);

  // Planar, zero-padded copy of the input.
  const int in_h = p.in_h, in_w = p.in_w, channels = p.channels, pad = p.pad;
  Acc* const planes = s.planes;
  for (std::ptrdiff_t i = 0; i < plane * channels; ++i) planes[i] = Acc(0);
  for (int c = 0; c < channels; ++c)
    for (int y = 0; y < in_h; ++y) {
      const In* in_row = input + std::ptrdiff_t(y) * in_w * channels + c;
      Acc* plane_row = planes + c * plane + std::ptrdiff_t(y + pad) * pw + pad;
      if constexpr (is_float) {
        for (int x = 0; x < in_w; ++x)
          if (!__builtin_isfinite(in_row[std::ptrdiff_t(x) * channels])) return false;
      }
      for (int x = 0; x < in_w; ++x) plane_row[x] = Acc(in_row[std::ptrdiff_t(x) * channels]);
    }

  // Tap tables. 8-bit: per filter, offsets of +1 taps then -1 taps (integer sums commute).
  // Float: per filter, offsets in (ky, kx, c) order and a sign per tap.
  for (int f = 0; f < p.filters; ++f) {
    const std::int8_t* w = p.weight_signs + std::ptrdiff_t(f) * taps;
    std::ptrdiff_t* off = s.offsets + std::ptrdiff_t(f) * taps;
    int positive = 0, t = 0;
    for (int pass = 0; pass < (is_float ? 1 : 2); ++pass)
      for (int ky = 0; ky < p.kernel; ++ky)
        for (int kx = 0; kx < p.kernel; ++kx)
          for (int c = 0; c < p.channels; ++c) {
            const bool plus = w[(ky * p.kernel + kx) * p.channels + c] > 0;
            if (!is_float && plus != (pass == 0)) continue;
            off[t] = c * plane + std::ptrdiff_t(ky) * pw + kx;
            if (is_float) s.tap_info[std::ptrdiff_t(f) * taps + t] = plus ? 0 : 1;
            positive += plus;
            ++t;
          }
    if (!is_float) s.tap_info[f] = positive;
  }

  const Acc* thresholds = nullptr;
  if constexpr (is_float) thresholds = p.float_thresholds;
  else thresholds = p.int_thresholds;
  for (std::ptrdiff_t i = 0; i < out_pixels * words; ++i) s.raw[i] = 0;

  using arch = xsimd_arch_t<Isa>;
  const int out_h = p.out_h, out_w = p.out_w, stride = p.stride;
  Acc* const row = s.row;
  for (int f = 0; f < p.filters; ++f) {
    const std::ptrdiff_t* off = s.offsets + std::ptrdiff_t(f) * taps;
    const std::int32_t* info = s.tap_info + std::ptrdiff_t(f) * taps;
    const int positive = is_float ? 0 : s.tap_info[f];
    const Acc threshold = thresholds[f];
    const std::uint64_t bit = std::uint64_t{1} << (f % 64);
    std::uint64_t* raw_f = s.raw + f / 64;
    for (int oy = 0; oy < out_h; ++oy) {
      const Acc* in_row = planes + std::ptrdiff_t(oy) * stride * pw;
      int ox = 0;
      if constexpr (!std::is_void_v<arch>) {
        using batch = xsimd::batch<Acc, arch>;
        constexpr int lanes = int(batch::size);
        if (stride == 1) {
          for (; ox + lanes <= out_w; ox += lanes) {
            const Acc* at = in_row + ox;
            batch acc(Acc(0));
            if constexpr (is_float) {
              const batch negate(-0.0f);
              const batch keep(0.0f);
              for (int t = 0; t < taps; ++t)
                acc = acc + (batch::load_unaligned(at + off[t]) ^ (info[t] ? negate : keep));
            } else {
              batch minus(Acc(0));
              int t = 0;
              for (; t < positive; ++t) acc += batch::load_unaligned(at + off[t]);
              for (; t < taps; ++t) minus += batch::load_unaligned(at + off[t]);
              acc -= minus;
            }
            acc.store_unaligned(row + ox);
          }
        }
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
      std::uint64_t* raw_row = raw_f + std::ptrdiff_t(oy) * out_w * words;
      for (int x = 0; x < out_w; ++x) raw_row[std::ptrdiff_t(x) * words] |= row[x] >= threshold ? bit : 0;
    }
  }

  if (p.pool.pools()) pool_bits_flip(isa, p.pool, s.raw, p.flip, output);
  else flip_bits(isa, out_pixels, words, output, p.flip, output);
  return true;
}

DDNN_END_NAMESPACE
