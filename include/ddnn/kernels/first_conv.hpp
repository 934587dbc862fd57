// First-layer kernel: 8-bit or float sensor input against binary (+1/-1) weights. Sums are exact
// integers for 8-bit input; float sums add taps in the fixed order (ky, kx, c), vectorised across
// output columns so every ISA and the scalar reference round identically. Then pool + threshold.
#pragma once
#include <cstdint>
#include <type_traits>

#include "ddnn/arch/xsimd_arch.hpp"
#include "ddnn/kernels/pool_threshold.hpp"

DDNN_BEGIN_NAMESPACE

/// The accumulator type of the first layer for an input element type.
template <class In>
using first_conv_acc_t = std::conditional_t<std::is_floating_point_v<In>, float, std::int32_t>;

/// Returns false (and writes nothing) when a float input value is NaN or infinite.
template <class Isa, class In>
bool first_conv_forward(Isa isa, const first_conv_plan& p, const In* input, std::uint64_t* output,
                        void* scratch) noexcept {
  using Acc = first_conv_acc_t<In>;
  const int ph = p.in_h + 2 * p.pad;
  const int pw = p.in_w + 2 * p.pad;
  const std::ptrdiff_t plane = std::ptrdiff_t(ph) * pw;
  Acc* planes = static_cast<Acc*>(scratch);
  Acc* sums = planes + plane * p.channels;

  for (std::ptrdiff_t i = 0; i < plane * p.channels; ++i) planes[i] = Acc(0);
  for (int y = 0; y < p.in_h; ++y)
    for (int x = 0; x < p.in_w; ++x)
      for (int c = 0; c < p.channels; ++c) {
        const In v = input[(std::ptrdiff_t(y) * p.in_w + x) * p.channels + c];
        if constexpr (std::is_floating_point_v<In>) {
          if (!__builtin_isfinite(v)) return false;
        }
        planes[c * plane + std::ptrdiff_t(y + p.pad) * pw + (x + p.pad)] = Acc(v);
      }

  using arch = xsimd_arch_t<Isa>;
  const std::ptrdiff_t out_plane = std::ptrdiff_t(p.out_h) * p.out_w;
  for (int f = 0; f < p.filters; ++f) {
    const std::int8_t* w = p.weight_signs + std::ptrdiff_t(f) * p.kernel * p.kernel * p.channels;
    for (int oy = 0; oy < p.out_h; ++oy) {
      Acc* out_row = sums + f * out_plane + std::ptrdiff_t(oy) * p.out_w;
      const Acc* in_rows = planes + std::ptrdiff_t(oy) * p.stride * pw;
      int ox = 0;
      if constexpr (!std::is_void_v<arch>) {
        using batch = xsimd::batch<Acc, arch>;
        constexpr int lanes = int(batch::size);
        if (p.stride == 1) {
          for (; ox + lanes <= p.out_w; ox += lanes) {
            batch acc(Acc(0));
            for (int ky = 0; ky < p.kernel; ++ky)
              for (int kx = 0; kx < p.kernel; ++kx)
                for (int c = 0; c < p.channels; ++c) {
                  const batch v = batch::load_unaligned(in_rows + c * plane +
                                                        std::ptrdiff_t(ky) * pw + ox + kx);
                  acc = w[(ky * p.kernel + kx) * p.channels + c] > 0 ? acc + v : acc - v;
                }
            acc.store_unaligned(out_row + ox);
          }
        }
      }
      for (; ox < p.out_w; ++ox) {
        Acc acc = Acc(0);
        const Acc* at = in_rows + std::ptrdiff_t(ox) * p.stride;
        for (int ky = 0; ky < p.kernel; ++ky)
          for (int kx = 0; kx < p.kernel; ++kx)
            for (int c = 0; c < p.channels; ++c) {
              const Acc v = at[c * plane + std::ptrdiff_t(ky) * pw + kx];
              acc = w[(ky * p.kernel + kx) * p.channels + c] > 0 ? acc + v : acc - v;
            }
        out_row[ox] = acc;
      }
    }
  }
  const Acc* thresholds = nullptr;
  if constexpr (std::is_floating_point_v<In>) {
    thresholds = p.float_thresholds;
  } else {
    thresholds = p.int_thresholds;
  }
  pool_threshold_pack(isa, p.pool, sums, thresholds, p.flip, output);
  return true;
}

DDNN_END_NAMESPACE
