// The freestanding engine an exported device header carries (export_device.hpp writes it into
// every header it exports): C++20 with <cstdint>, <array>, <bit> and <span> only, no heap, no
// exceptions, no RTTI, no libm, so that it compiles for a microcontroller. It computes what the
// library's device layers compute, bit for bit; the tests compare the two on the host and under
// qemu-system-arm.
#pragma once
#include <string_view>

#include "ddnn/core/config.hpp"

DDNN_BEGIN_NAMESPACE
namespace detail {

// The engine's source text, kept verbatim in each exported header.
inline constexpr std::string_view device_engine_source = R"ddnn_engine(
/// The freestanding engine every exported device header carries (the same text in each; a
/// program may include several device headers, each in its own namespace). Feature maps are
/// dense bit streams: bit i of a map is bit i % 32 of word i / 32, values in HWC order, bit 1
/// for +1, exactly as the wire format packs them (bytes LSB-first). Sums are exact integers;
/// float input adds its taps in the order (ky, kx, c); logits are fma(scale, sum, bias)
/// rounded once.
namespace engine {

using u32 = std::uint32_t;
using i32 = std::int32_t;

/// Population count without a library call (Cortex-M has no popcount instruction; GCC would
/// call __popcountsi2).
constexpr int popcount(u32 v) noexcept {
  v = v - ((v >> 1) & 0x55555555u);
  v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
  v = (v + (v >> 4)) & 0x0f0f0f0fu;
  return int((v * 0x01010101u) >> 24);
}

/// Bits [at, at + n) of a dense bit stream, n in [1, 32], as the low bits of the result.
constexpr u32 bits_at(const u32* s, u32 at, u32 n) noexcept {
  const u32 word = at >> 5, offset = at & 31u;
  u32 v = s[word] >> offset;
  if (offset != 0 && offset + n > 32) v |= s[word + 1] << (32 - offset);
  return n == 32 ? v : v & ((u32{1} << n) - 1);
}

constexpr bool bit_at(const u32* s, u32 at) noexcept { return (s[at >> 5] >> (at & 31u)) & 1u; }

/// ORs the n low bits of v into bits [at, at + n) of s (n in [1, 32]).
constexpr void or_bits(u32* s, u32 at, u32 n, u32 v) noexcept {
  const u32 word = at >> 5, offset = at & 31u;
  s[word] |= v << offset;
  if (offset != 0 && offset + n > 32) s[word + 1] |= v >> (32 - offset);
}

constexpr void clear(u32* s, u32 words) noexcept {
  for (u32 i = 0; i < words; ++i) s[i] = 0;
}

/// fma(a, b, c) rounded once, without libm: a hardware fused multiply-add where the target has
/// one, else exactly in double: a * b is exact there (24 + 24 bits), the sum is rounded to odd
/// (round to nearest, then the error term decides the last bit), which rounds to float exactly
/// as one rounding of the exact value would. (C libraries' soft-float fmaf is not always exact.)
inline float fma_exact(float a, float b, float c) noexcept {
#if defined(__FP_FAST_FMAF)
  return __builtin_fmaf(a, b, c);
#else
  const double p = double(a) * double(b), q = double(c);
  const double s = p + q;
  const double q_part = s - p;  // TwoSum: s + error == p + q exactly
  const double error = (p - (s - q_part)) + (q - q_part);
  auto bits = std::bit_cast<std::uint64_t>(s);
  if (error != 0.0 && (bits & 1u) == 0) bits += (error > 0.0) == (s > 0.0) ? 1 : -1;
  return float(std::bit_cast<double>(bits));
#endif
}

/// Writes v little-endian at out.
constexpr void put_u32(std::uint8_t* out, u32 v) noexcept {
  for (int i = 0; i < 4; ++i) out[i] = std::uint8_t(v >> (8 * i));
}

/// A windowed layer's geometry: input, convolution and (fused) pooling.
struct window {
  int in_h, in_w, channels;
  int filters, kernel, stride, pad, out_h, out_w;
  int pool_kernel, pool_stride, pool_pad, pooled_h, pooled_w;
};

constexpr int words_for(int bits) noexcept { return (bits + 31) / 32; }

/// [begin, end) of the window at output o along an axis of `extent` values.
struct span_of_window {
  int begin, end;
};
constexpr span_of_window clip(int o, int stride, int pad, int kernel, int extent) noexcept {
  const int origin = o * stride - pad;
  return {origin < 0 ? 0 : origin, origin + kernel > extent ? extent : origin + kernel};
}

/// The pooled bits of a windowed layer: raw(y, x, bits) ORs into `bits` a bit per filter whose
/// sum at convolution output (y, x) reaches its threshold; a pooled cell is the OR over its
/// window (padding excluded), XOR the filters' flips. Max-pool before a rising threshold is the
/// OR of the thresholded bits.
template <window G, class Raw>
constexpr void pool_and_threshold(Raw raw, const u32* flips, u32* out) noexcept {
  constexpr int filter_words = words_for(G.filters);
  clear(out, u32(words_for(G.pooled_h * G.pooled_w * G.filters)));
  for (int py = 0; py < G.pooled_h; ++py) {
    const span_of_window rows = clip(py, G.pool_stride, G.pool_pad, G.pool_kernel, G.out_h);
    for (int px = 0; px < G.pooled_w; ++px) {
      const span_of_window cols = clip(px, G.pool_stride, G.pool_pad, G.pool_kernel, G.out_w);
      u32 pooled[filter_words] = {};
      for (int y = rows.begin; y < rows.end; ++y)
        for (int x = cols.begin; x < cols.end; ++x) raw(y, x, pooled);
      const u32 at = u32((py * G.pooled_w + px) * G.filters);
      for (int w = 0; w < filter_words; ++w) {
        const int n = G.filters - 32 * w < 32 ? G.filters - 32 * w : 32;
        or_bits(out, at + u32(32 * w), u32(n), pooled[w] ^ flips[w]);
      }
    }
  }
}

/// The input values under the window at convolution output (oy, ox), in tap order (ky, kx, c),
/// 0 for padded taps.
template <window G, class In, class Acc>
constexpr void gather_taps(const In* input, int oy, int ox, Acc* taps) noexcept {
  const int y0 = oy * G.stride - G.pad, x0 = ox * G.stride - G.pad;
  for (int ky = 0, t = 0; ky < G.kernel; ++ky)
    for (int kx = 0; kx < G.kernel; ++kx) {
      const int y = y0 + ky, x = x0 + kx;
      const bool inside = y >= 0 && y < G.in_h && x >= 0 && x < G.in_w;
      for (int c = 0; c < G.channels; ++c, ++t)
        taps[t] = inside ? Acc(input[(y * G.in_w + x) * G.channels + c]) : Acc(0);
    }
}

/// FirstConv on 8-bit input: exact integer sums (a padded tap adds 0). Filter f's weights are a
/// row of tap bits (bit 1: +1) starting at word f * words_for(taps).
template <window G, class In>
constexpr void first_conv_integer(const In* input, const u32* weights, const i32* thresholds,
                                  const u32* flips, u32* out) noexcept {
  constexpr int taps = G.kernel * G.kernel * G.channels, tap_words = words_for(taps);
  const auto raw = [&](int oy, int ox, u32* bits) {
    i32 v[taps];
    gather_taps<G>(input, oy, ox, v);
    i32 total = 0;
    for (int t = 0; t < taps; ++t) total += v[t];
    for (int f = 0; f < G.filters; ++f) {
      const u32* w = weights + f * tap_words;
      i32 plus = 0;  // the taps whose weight is +1 (visited bit by bit); sum = 2 plus - total
      for (int k = 0; k < tap_words; ++k)
        for (u32 m = w[k]; m != 0; m &= m - 1) plus += v[32 * k + std::countr_zero(m)];
      if (2 * plus - total >= thresholds[f]) bits[f >> 5] |= u32{1} << (f & 31);
    }
  };
  pool_and_threshold<G>(raw, flips, out);
}

/// FirstConv on float input: each sum adds its taps in the order (ky, kx, c) from +0, each as
/// +v or -v, padded taps as 0, rounding after every addition; thresholds are float bit
/// patterns (a NaN threshold is never reached). False when an input value is NaN or infinite.
template <window G>
constexpr bool first_conv_float(const float* input, const u32* weights,
                                const u32* threshold_bits, const u32* flips, u32* out) noexcept {
  constexpr int values = G.in_h * G.in_w * G.channels;
  for (int i = 0; i < values; ++i)
    if ((std::bit_cast<u32>(input[i]) & 0x7f800000u) == 0x7f800000u) return false;
  constexpr int taps = G.kernel * G.kernel * G.channels, tap_words = words_for(taps);
  const auto raw = [&](int oy, int ox, u32* bits) {
    float v[taps];
    gather_taps<G>(input, oy, ox, v);
    for (int f = 0; f < G.filters; ++f) {
      const u32* w = weights + f * tap_words;
      float sum = 0.0f;
      for (int t = 0; t < taps; ++t) sum = (w[t >> 5] >> (t & 31)) & 1u ? sum + v[t] : sum - v[t];
      if (sum >= std::bit_cast<float>(threshold_bits[f])) bits[f >> 5] |= u32{1} << (f & 31);
    }
  };
  pool_and_threshold<G>(raw, flips, out);
  return true;
}

/// popcount((a[k] XOR b[k]) AND mask[k]) summed over k < n: per word the counts go only as far
/// as byte lanes (at most 8 a lane), added up for up to 31 words (at most 248 a lane) before
/// the lanes are folded.
constexpr int masked_differ(const u32* a, const u32* b, const u32* mask, int n) noexcept {
  int count = 0;
  for (int k0 = 0; k0 < n; k0 += 31) {
    u32 lanes = 0;
    for (int k = k0; k < n && k < k0 + 31; ++k) {
      u32 v = (a[k] ^ b[k]) & mask[k];
      v = v - ((v >> 1) & 0x55555555u);
      v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
      lanes += (v + (v >> 4)) & 0x0f0f0f0fu;
    }
    lanes = (lanes & 0x00ff00ffu) + ((lanes >> 8) & 0x00ff00ffu);  // 4 x 8 bits -> 2 x 16
    count += int((lanes + (lanes >> 16)) & 0xffffu);
  }
  return count;
}

/// BinaryConv: sum = valid taps x channels - 2 popcount(input XOR weights) over the valid taps
/// (a padded tap contributes 0). Filter f's weights are a row of tap bits in (ky, kx, c) order
/// starting at word f * words_for(taps); the input under the window is gathered once per
/// position into the same layout, with a mask of its valid taps.
template <window G>
constexpr void binary_conv(const u32* input, const u32* weights, const i32* thresholds,
                           const u32* flips, u32* out) noexcept {
  constexpr int taps = G.kernel * G.kernel * G.channels, tap_words = words_for(taps);
  const auto raw = [&](int oy, int ox, u32* bits) {
    const span_of_window rows = clip(oy, G.stride, G.pad, G.kernel, G.in_h);
    const span_of_window cols = clip(ox, G.stride, G.pad, G.kernel, G.in_w);
    const int y0 = oy * G.stride - G.pad, x0 = ox * G.stride - G.pad;
    const u32 run = u32((cols.end - cols.begin) * G.channels);
    // One spare word: or_bits may touch the word after the last (with no bits to add), which
    // compilers cannot rule out.
    u32 window[tap_words + 1] = {}, valid[tap_words + 1] = {};
    for (int y = rows.begin; y < rows.end; ++y) {
      const u32 at = u32(((y - y0) * G.kernel + cols.begin - x0) * G.channels);
      const u32 from = u32((y * G.in_w + cols.begin) * G.channels);
      for (u32 i = 0; i < run; i += 32) {
        const u32 n = run - i < 32 ? run - i : 32;
        or_bits(valid, at + i, n, n == 32 ? ~u32{0} : (u32{1} << n) - 1);
        or_bits(window, at + i, n, bits_at(input, from + i, n));
      }
    }
    const i32 valid_values = i32(rows.end - rows.begin) * i32(run);
    for (int f = 0; f < G.filters; ++f) {
      const int differ = masked_differ(window, weights + f * tap_words, valid, tap_words);
      if (valid_values - 2 * differ >= thresholds[f]) bits[f >> 5] |= u32{1} << (f & 31);
    }
  };
  pool_and_threshold<G>(raw, flips, out);
}

/// MaxPool on bits: the OR over each window (padding excluded).
template <window G>
constexpr void max_pool(const u32* input, u32* out) noexcept {
  clear(out, u32(words_for(G.pooled_h * G.pooled_w * G.channels)));
  for (int py = 0; py < G.pooled_h; ++py) {
    const span_of_window rows = clip(py, G.pool_stride, G.pool_pad, G.pool_kernel, G.in_h);
    for (int px = 0; px < G.pooled_w; ++px) {
      const span_of_window cols = clip(px, G.pool_stride, G.pool_pad, G.pool_kernel, G.in_w);
      for (int c = 0; c < G.channels; c += 32) {
        const u32 n = u32(G.channels - c < 32 ? G.channels - c : 32);
        u32 v = 0;
        for (int y = rows.begin; y < rows.end; ++y)
          for (int x = cols.begin; x < cols.end; ++x)
            v |= bits_at(input, u32((y * G.in_w + x) * G.channels + c), n);
        or_bits(out, u32((py * G.pooled_w + px) * G.channels + c), n, v);
      }
    }
  }
}

/// popcount(input XOR weights) of a dense layer's output whose weights start at `w`: both are
/// word-aligned rows whose bits past `Inputs` are zero.
template <int Inputs>
constexpr int dense_differ(const u32* input, const u32* w) noexcept {
  int differ = 0;
  for (int k = 0; k < words_for(Inputs); ++k) differ += popcount(input[k] ^ w[k]);
  return differ;
}

/// BinaryDense to bits: sum = inputs - 2 popcount(input XOR weights), thresholded and flipped.
/// Output n's weights are words_for(Inputs) words at n * words_for(Inputs).
template <int Inputs, int Outputs>
constexpr void binary_dense_bits(const u32* input, const u32* weights, const i32* thresholds,
                                 const u32* flips, u32* out) noexcept {
  clear(out, u32(words_for(Outputs)));
  for (int n = 0; n < Outputs; ++n) {
    const i32 sum = Inputs - 2 * dense_differ<Inputs>(input, weights + n * words_for(Inputs));
    if ((sum >= thresholds[n]) != bit_at(flips, u32(n))) out[n >> 5] |= u32{1} << (n & 31);
  }
}

/// 2^k as a float, k in [-126, 127].
constexpr float power_of_two(int k) noexcept { return std::bit_cast<float>(u32(k + 127) << 23); }

/// round(r), halves away from zero, for |r| < 2^23.
constexpr int round_half_away(float r) noexcept {
  int t = int(r);
  const float fraction = r - float(t);
  if (fraction >= 0.5f) ++t;
  if (fraction <= -0.5f) --t;
  return t;
}

/// Logits on the int8 link: one exponent byte e, then round(logit / 2^e) per class (halves away
/// from zero) as signed bytes; e is the smallest (at least -126) for which the largest |logit|
/// rounds to at most 127, and 0 when every logit is 0. The library's rule, bit for bit.
template <int Outputs>
constexpr void put_int8_logits(const float* logits, std::uint8_t* out) noexcept {
  float m = 0.0f;
  for (int n = 0; n < Outputs; ++n) {
    const float a = logits[n] < 0.0f ? -logits[n] : logits[n];
    if (a > m) m = a;
  }
  int e = 0;
  if (m != 0.0f) {
    e = int((std::bit_cast<u32>(m) >> 23) & 0xffu) - 133;
    if (e < -126)
      e = -126;
    else if (round_half_away(m * power_of_two(-e)) > 127)
      ++e;
  }
  const float down = power_of_two(-e);
  out[0] = std::uint8_t(std::int8_t(e));
  for (int n = 0; n < Outputs; ++n)
    out[1 + n] = std::uint8_t(std::int8_t(round_half_away(logits[n] * down)));
}

/// BinaryDense to logits: fma(scale, sum, bias) per output, written as float32 little-endian, or
/// (Int8) on the int8 link.
template <int Inputs, int Outputs, bool Int8>
inline void binary_dense_logits(const u32* input, const u32* weights, const u32* scale_bits,
                                const u32* bias_bits, std::uint8_t* out) noexcept {
  float logits[Outputs];
  for (int n = 0; n < Outputs; ++n) {
    const i32 sum = Inputs - 2 * dense_differ<Inputs>(input, weights + n * words_for(Inputs));
    logits[n] = fma_exact(std::bit_cast<float>(scale_bits[n]), float(sum),
                          std::bit_cast<float>(bias_bits[n]));
  }
  if constexpr (Int8)
    put_int8_logits<Outputs>(logits, out);
  else
    for (int n = 0; n < Outputs; ++n) put_u32(out + 4 * n, std::bit_cast<u32>(logits[n]));
}

/// Logit i of a message whose logits start at `logits` (float32, or Int8 the int8 link), as the
/// aggregator reads it.
template <bool Int8>
constexpr float read_logit(const std::uint8_t* logits, int i) noexcept {
  if constexpr (Int8) {
    return float(std::int8_t(logits[1 + i])) * power_of_two(std::int8_t(logits[0]));
  } else {
    u32 bits = 0;
    for (int b = 0; b < 4; ++b) bits |= u32(logits[4 * i + b]) << (8 * b);
    return std::bit_cast<float>(bits);
  }
}

/// A feature map's bits as the wire sends them: bytes LSB-first, unused bits of the last zero.
constexpr void put_bytes(const u32* bits, int count, std::uint8_t* out) noexcept {
  for (int i = 0; i < (count + 7) / 8; ++i) out[i] = std::uint8_t(bits[i / 4] >> (8 * (i % 4)));
}

}  // namespace engine
)ddnn_engine";

}  // namespace detail
DDNN_END_NAMESPACE
