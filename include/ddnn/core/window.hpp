// Sliding windows (convolutions and max-pools) over H x W x C values: whether one fits, the
// geometry a layer's window has, and which input positions a window covers. Every walk over a
// padded window (packed bits, float inference, training) takes its ranges from window_taps.
#pragma once
#include <cstddef>

#include "ddnn/core/error.hpp"
#include "ddnn/core/shape.hpp"

DDNN_BEGIN_NAMESPACE

/// Whether a window of `kernel` fits in `extent` values padded by `pad` on each side: the fit
/// check of every windowed layer (each states it in its own words).
[[nodiscard]] constexpr bool window_fits(std::size_t extent, std::size_t kernel,
                                         std::size_t pad) noexcept {
  return kernel <= extent + 2 * pad;
}

/// The input positions [begin, end) along one axis that the window at output position `out`
/// covers inside the input (padded positions excluded; empty when it covers none). Kernels pass
/// their ISA tag as `Isa`, so that each ISA's object has its own copy (a copy shared between
/// them could run one ISA's instructions on a CPU without them).
struct window_range {
  std::size_t begin = 0, end = 0;
};
template <class Isa = void>
[[nodiscard]] constexpr window_range window_taps(std::size_t out, std::size_t in,
                                                 std::size_t kernel, std::size_t stride,
                                                 std::size_t pad) noexcept {
  const std::size_t start = out * stride;  // in padded coordinates
  const std::size_t begin = start < pad ? 0 : start - pad;
  const std::size_t stop = start + kernel <= pad ? 0 : start + kernel - pad;
  return {begin, stop < in ? stop : in};
}

/// A sliding window over H x W x C values (a convolution or a max-pool) as run-time data.
struct window_geometry {
  std::size_t in_h = 0, in_w = 0, channels = 0;
  std::size_t kernel = 1, stride = 1, pad = 0;
  std::size_t out_h = 0, out_w = 0;

  /// The window's geometry with the output extents it implies; throws ddnn::error when the
  /// window does not fit the zero-padded input.
  [[nodiscard]] static constexpr window_geometry of(std::size_t in_h, std::size_t in_w,
                                                    std::size_t channels, std::size_t kernel,
                                                    std::size_t stride, std::size_t pad) {
    if (in_h == 0 || in_w == 0 || channels == 0 || kernel == 0 || stride == 0)
      detail::fail("window_geometry: every extent must be positive");
    if (!window_fits(in_h, kernel, pad) || !window_fits(in_w, kernel, pad))
      detail::fail("window_geometry: window larger than the padded input");
    window_geometry g{in_h, in_w, channels, kernel, stride, pad};
    g.out_h = window_output_extent(in_h, kernel, stride, pad);
    g.out_w = window_output_extent(in_w, kernel, stride, pad);
    return g;
  }
  /// The geometry of a window spec (kernel, stride and pad members: a conv spec or a MaxPool)
  /// over `In`.
  template <ShapeType In, class Window>
  [[nodiscard]] static constexpr window_geometry over() {
    return of(In::height, In::width, In::channels, Window::kernel, Window::stride, Window::pad);
  }

  [[nodiscard]] constexpr std::size_t in_size() const noexcept { return in_h * in_w * channels; }
  [[nodiscard]] constexpr std::size_t out_pixels() const noexcept { return out_h * out_w; }
  /// Values one output pixel reads: [ky][kx][channel].
  [[nodiscard]] constexpr std::size_t patch_size() const noexcept {
    return kernel * kernel * channels;
  }
  /// True when the patches are the input itself (1x1 window, stride 1, no padding).
  [[nodiscard]] constexpr bool identity_patches() const noexcept {
    return kernel == 1 && stride == 1 && pad == 0;
  }
  /// The input rows / columns the window at output (oy, ox) covers.
  [[nodiscard]] constexpr window_range rows(std::size_t oy) const noexcept {
    return window_taps(oy, in_h, kernel, stride, pad);
  }
  [[nodiscard]] constexpr window_range cols(std::size_t ox) const noexcept {
    return window_taps(ox, in_w, kernel, stride, pad);
  }
};

DDNN_END_NAMESPACE
