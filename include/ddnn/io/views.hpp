// Six device inputs from one 28 x 28 digit, our stand-in for the paper's six cameras: tiles
// split the digit between the devices; views show each device the whole digit.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include "ddnn/aggregate/presence.hpp"
#include "ddnn/core/error.hpp"
#include "ddnn/core/shape.hpp"
#include "ddnn/core/tensor.hpp"
#include "ddnn/io/labeled_images.hpp"

DDNN_BEGIN_NAMESPACE

/// Source digits are MNIST-sized.
using DigitShape = Shape<28, 28, 1>;

/// Tiles: the digit padded to 30 x 28 (one blank row above and one below) and cut into a grid of
/// 3 rows x 2 columns of 10 x 14 pixels. The DDNN authors' MNIST reference pads to 32 x 32 first,
/// but 32 rows do not split into 3 equal tiles and every device must share one compile-time
/// shape. 30 x 28 is the smallest padding that splits evenly, and it is symmetric, so the digit
/// (centred in its 28 x 28 frame) stays centred and every tile pixel but the border rows is data.
using PaddedDigitShape = Shape<30, 28, 1>;
using TileShape = Shape<10, 14, 1>;
inline constexpr std::size_t tile_grid_rows = 3;
inline constexpr std::size_t tile_grid_cols = 2;
inline constexpr std::size_t tile_pad_top = 1;

/// Views: each device sees the whole digit through its own camera, in the digit's own frame.
using ViewShape = Shape<28, 28, 1>;

static_assert(PaddedDigitShape::height == TileShape::height * tile_grid_rows &&
                  PaddedDigitShape::width == TileShape::width * tile_grid_cols,
              "the tile grid requires tiles that cover the padded digit exactly");
static_assert(PaddedDigitShape::height == DigitShape::height + 2 * tile_pad_top &&
                  PaddedDigitShape::width == DigitShape::width,
              "the padded digit requires the digit centred vertically");

/// Device inputs for a run of samples, `devices` per sample. Each device's input is a
/// DeviceShape (HWC, one channel, so row-major pixels).
template <ShapeType DeviceShape>
struct MultiViewSet {
  using device_shape = DeviceShape;
  static constexpr std::size_t devices = tile_grid_rows * tile_grid_cols;

  std::size_t samples = 0;
  std::size_t first = 0;             ///< index in the source set of sample 0
  std::vector<std::uint8_t> pixels;  ///< [sample][device][DeviceShape::size]
  std::vector<std::uint8_t> labels;  ///< [sample]
  std::vector<std::uint64_t> blank;  ///< [sample]: bit d set when device d sees nothing

  /// Device d's input for sample s; throws ddnn::error out of range.
  [[nodiscard]] std::span<const std::uint8_t> input(std::size_t s, std::size_t d) const {
    check(s, d);
    return std::span<const std::uint8_t>(pixels).subspan((s * devices + d) * DeviceShape::size,
                                                         DeviceShape::size);
  }
  [[nodiscard]] std::span<std::uint8_t> input(std::size_t s, std::size_t d) {
    check(s, d);
    return std::span<std::uint8_t>(pixels).subspan((s * devices + d) * DeviceShape::size,
                                                   DeviceShape::size);
  }
  /// A tensor copy of one input; to fill an existing tensor without allocating, use
  /// tensor.assign(set.input(s, d)).
  [[nodiscard]] Tensor<std::uint8_t, DeviceShape> tensor(std::size_t s, std::size_t d) const {
    return Tensor<std::uint8_t, DeviceShape>(input(s, d));
  }
  [[nodiscard]] bool sees_nothing(std::size_t s, std::size_t d) const {
    check(s, d);
    return (blank[s] >> d) & 1u;
  }
  /// The devices that see something, for a caller that treats a blind device as absent (one
  /// that treats it as present-but-blank uses Presence::all(devices) and the zero input).
  [[nodiscard]] Presence presence(std::size_t s) const {
    check(s, 0);
    return Presence(~blank[s] & Presence::all(devices).bits());
  }

 private:
  void check(std::size_t s, std::size_t d) const {
    if (s >= samples || d >= devices)
      detail::fail("MultiViewSet: sample " + std::to_string(s) + ", device " + std::to_string(d) +
                   " requested; the set holds " + std::to_string(samples) + " samples of " +
                   std::to_string(devices) + " devices");
  }
};

using TileSet = MultiViewSet<TileShape>;
using ViewSet = MultiViewSet<ViewShape>;

/// How each device's camera distorts the digit in make_views. Every draw is uniform over its
/// range. Each device's view is an affine warp (rotation, scale, shift about the digit's
/// centre, bilinear sampling, outside is background), then an occluding background-coloured
/// rectangle, then per-pixel noise; or, with blank_probability, nothing at all (all zeros).
struct ViewOptions {
  double max_rotation_degrees = 15.0;  ///< in [0, 45]
  double max_scale = 0.1;              ///< scale in [1 - max_scale, 1 + max_scale]; max 0.5
  double max_shift = 2.0;              ///< pixels along each axis, in [0, 8]
  int noise = 24;                      ///< additive noise in [-noise, noise], 0..255, clamped
  std::size_t max_occlusion = 10;      ///< rectangle sides drawn from 0..max_occlusion (<= 28)
  double blank_probability = 0.1;      ///< a device sees nothing, in [0, 1]
};

namespace detail {

/// splitmix64 (Steele, Lea, Flood 2014): a fully specified 64-bit mix, so the draws, and with
/// them every view, are the same on every platform and standard library (the std::
/// distributions are not).
[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15u;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
  return x ^ (x >> 31);
}

/// The random stream of one (sample, device) pair: a function of the seed and the pair alone,
/// so views do not depend on which samples are generated, or in what order.
class ViewRandom {
 public:
  ViewRandom(std::uint64_t seed, std::uint64_t sample, std::uint64_t device) noexcept
      : state_(splitmix64(splitmix64(seed) + sample * max_devices + device)) {}
  std::uint64_t next() noexcept {
    state_ += 0x9e3779b97f4a7c15u;
    return splitmix64(state_);
  }
  /// Uniform in [lo, hi] (a range below 2^32), from the draw's high bits.
  std::int64_t between(std::int64_t lo, std::int64_t hi) noexcept {
    const auto range = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int64_t>(((next() >> 32) * range) >> 32);
  }
  /// True with probability `threshold` / 2^53.
  bool chance(std::uint64_t threshold) noexcept { return (next() >> 11) < threshold; }

 private:
  std::uint64_t state_;
};

// The warp runs in integer fixed point so views are bit-identical everywhere: floating point
// sin/cos differ between libms, and compilers may fuse multiply-adds differently per target.
inline constexpr int trig_bits = 24;  // angles, sines, scales: Q24
inline constexpr std::int64_t trig_one = std::int64_t{1} << trig_bits;
inline constexpr int coord_bits = 16;  // pixel coordinates: Q16

[[nodiscard]] constexpr std::int64_t mul_q24(std::int64_t a, std::int64_t b) noexcept {
  return (a * b) >> trig_bits;  // C++20: >> of a negative value rounds toward -infinity
}

// Taylor series to the x^7 / x^8 terms: error below 4e-5 for |angle| <= 45 degrees.
[[nodiscard]] constexpr std::int64_t sin_q24(std::int64_t x) noexcept {
  const std::int64_t x2 = mul_q24(x, x);
  return mul_q24(x, trig_one - mul_q24(x2, trig_one - mul_q24(x2, trig_one - x2 / 42) / 20) / 6);
}
[[nodiscard]] constexpr std::int64_t cos_q24(std::int64_t x) noexcept {
  const std::int64_t x2 = mul_q24(x, x);
  return trig_one -
         mul_q24(x2, trig_one - mul_q24(x2, trig_one - mul_q24(x2, trig_one - x2 / 56) / 30) / 12) /
             2;
}

/// An option in fixed point: one multiplication and one rounding, both exact IEEE operations.
[[nodiscard]] inline std::int64_t to_fixed(double value, double unit) {
  return static_cast<std::int64_t>(std::llround(value * unit));
}

inline void check_option(bool ok, const char* name, double value, const char* range) {
  if (!ok)
    fail(std::string("ViewOptions::") + name + " = " + std::to_string(value) + " is outside " +
         range);
}

/// ViewOptions checked and in fixed point.
struct ViewParameters {
  std::int64_t max_angle;  // Q24 radians
  std::int64_t max_scale;  // Q24
  std::int64_t max_shift;  // Q16 pixels
  std::int64_t noise;      // pixel levels
  std::int64_t max_occlusion;
  std::uint64_t blank;  // threshold for ViewRandom::chance

  explicit ViewParameters(const ViewOptions& o) {
    // !(a <= x && x <= b) also rejects NaN.
    check_option(o.max_rotation_degrees >= 0 && o.max_rotation_degrees <= 45,
                 "max_rotation_degrees", o.max_rotation_degrees, "[0, 45]");
    check_option(o.max_scale >= 0 && o.max_scale <= 0.5, "max_scale", o.max_scale, "[0, 0.5]");
    check_option(o.max_shift >= 0 && o.max_shift <= 8, "max_shift", o.max_shift, "[0, 8]");
    check_option(o.noise >= 0 && o.noise <= 255, "noise", o.noise, "[0, 255]");
    check_option(o.max_occlusion <= DigitShape::width, "max_occlusion",
                 static_cast<double>(o.max_occlusion), "[0, 28]");
    check_option(o.blank_probability >= 0 && o.blank_probability <= 1, "blank_probability",
                 o.blank_probability, "[0, 1]");
    constexpr double radians_q24 = std::numbers::pi / 180 * static_cast<double>(trig_one);
    max_angle = to_fixed(o.max_rotation_degrees, radians_q24);
    max_scale = to_fixed(o.max_scale, static_cast<double>(trig_one));
    max_shift = to_fixed(o.max_shift, double(1 << coord_bits));
    noise = o.noise;
    max_occlusion = static_cast<std::int64_t>(o.max_occlusion);
    blank = static_cast<std::uint64_t>(to_fixed(o.blank_probability, 0x1p53));
  }
};

/// One device's view of one digit into `out` (ViewShape::size pixels); returns true when the
/// device sees nothing (then `out` is all zeros).
inline bool render_view(std::span<const std::uint8_t> digit, const ViewParameters& p,
                        ViewRandom& random, std::span<std::uint8_t> out) {
  constexpr std::int64_t rows = ViewShape::height;
  constexpr std::int64_t cols = ViewShape::width;
  std::fill(out.begin(), out.end(), std::uint8_t{0});
  if (random.chance(p.blank)) return true;

  const std::int64_t angle = random.between(-p.max_angle, p.max_angle);
  const std::int64_t scale = trig_one + random.between(-p.max_scale, p.max_scale);
  const std::int64_t shift_x = random.between(-p.max_shift, p.max_shift);
  const std::int64_t shift_y = random.between(-p.max_shift, p.max_shift);
  // Output pixel q comes from source point R(-angle) (q - centre - shift) / scale + centre.
  const std::int64_t inverse_scale = (trig_one << trig_bits) / scale;
  const std::int64_t c = mul_q24(cos_q24(angle), inverse_scale);
  const std::int64_t s = mul_q24(sin_q24(angle), inverse_scale);
  constexpr std::int64_t centre_x = (cols - 1) << (coord_bits - 1);  // 13.5 in Q16
  constexpr std::int64_t centre_y = (rows - 1) << (coord_bits - 1);
  constexpr std::int64_t one = std::int64_t{1} << coord_bits;

  const auto at = [&](std::int64_t y, std::int64_t x) -> std::int64_t {
    if (y < 0 || y >= rows || x < 0 || x >= cols) return 0;
    return digit[static_cast<std::size_t>(y * cols + x)];
  };
  for (std::int64_t y = 0; y < rows; ++y) {
    const std::int64_t dy = (y << coord_bits) - centre_y - shift_y;
    for (std::int64_t x = 0; x < cols; ++x) {
      const std::int64_t dx = (x << coord_bits) - centre_x - shift_x;
      const std::int64_t sx = ((c * dx + s * dy) >> trig_bits) + centre_x;
      const std::int64_t sy = ((c * dy - s * dx) >> trig_bits) + centre_y;
      const std::int64_t x0 = sx >> coord_bits, fx = sx & (one - 1);
      const std::int64_t y0 = sy >> coord_bits, fy = sy & (one - 1);
      const std::int64_t top = at(y0, x0) * (one - fx) + at(y0, x0 + 1) * fx;
      const std::int64_t bottom = at(y0 + 1, x0) * (one - fx) + at(y0 + 1, x0 + 1) * fx;
      const std::int64_t value =
          (top * (one - fy) + bottom * fy + (one * one / 2)) >> (2 * coord_bits);
      out[static_cast<std::size_t>(y * cols + x)] = static_cast<std::uint8_t>(value);
    }
  }

  const std::int64_t height = random.between(0, p.max_occlusion);
  const std::int64_t width = random.between(0, p.max_occlusion);
  const std::int64_t top = random.between(0, rows - height);
  const std::int64_t left = random.between(0, cols - width);
  for (std::int64_t y = top; y < top + height; ++y)
    for (std::int64_t x = left; x < left + width; ++x)
      out[static_cast<std::size_t>(y * cols + x)] = 0;

  if (p.noise > 0) {
    // Eight noise values per draw, one per byte: (2 noise + 1) levels scaled from 256.
    const std::int64_t levels = 2 * p.noise + 1;
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (i % 8 == 0) bits = random.next();
      const std::int64_t delta = (static_cast<std::int64_t>(bits & 0xff) * levels >> 8) - p.noise;
      bits >>= 8;
      out[i] = static_cast<std::uint8_t>(std::clamp<std::int64_t>(out[i] + delta, 0, 255));
    }
  }
  return false;
}

// The samples [first, first + count) of `images`, checked against the set and the digit shape.
inline std::size_t checked_run(const LabeledImages& images, std::size_t first, std::size_t count,
                               const char* caller) {
  if (images.rows != DigitShape::height || images.cols != DigitShape::width)
    fail(std::string(caller) + " expects 28 x 28 digits, got " + std::to_string(images.rows) +
         " x " + std::to_string(images.cols));
  if (images.pixels.size() != images.count * images.image_size() ||
      images.labels.size() != images.count)
    fail(std::string(caller) + ": the LabeledImages' pixel or label count does not match count");
  if (first > images.count)
    fail(std::string(caller) + ": first sample " + std::to_string(first) + " is beyond the " +
         std::to_string(images.count) + " images");
  return std::min(count, images.count - first);
}

template <ShapeType DeviceShape>
MultiViewSet<DeviceShape> empty_set(const LabeledImages& images, std::size_t first,
                                    std::size_t samples) {
  MultiViewSet<DeviceShape> set;
  set.samples = samples;
  set.first = first;
  set.pixels.assign(samples * set.devices * DeviceShape::size, 0);
  const auto label_begin = images.labels.begin() + static_cast<std::ptrdiff_t>(first);
  set.labels.assign(label_begin, label_begin + static_cast<std::ptrdiff_t>(samples));
  set.blank.assign(samples, 0);
  return set;
}

}  // namespace detail

/// Each device sees one tile of the digit (TileShape), in row-major grid order: device 0 the
/// top-left tile, 1 top-right, 2 middle-left, 3 middle-right, 4 bottom-left, 5 bottom-right.
/// Samples [first, first + count) of `images` (count clipped to the set). No device is blank;
/// a tile without ink is still an input.
[[nodiscard]] inline TileSet make_tiles(const LabeledImages& images, std::size_t first = 0,
                                        std::size_t count = all_samples) {
  const std::size_t samples = detail::checked_run(images, first, count, "make_tiles");
  TileSet set = detail::empty_set<TileShape>(images, first, samples);
  for (std::size_t s = 0; s < samples; ++s) {
    const auto digit = images.image(first + s);
    for (std::size_t d = 0; d < TileSet::devices; ++d) {
      const std::size_t row0 = (d / tile_grid_cols) * TileShape::height;
      const std::size_t col0 = (d % tile_grid_cols) * TileShape::width;
      auto tile = set.input(s, d);
      for (std::size_t y = 0; y < TileShape::height; ++y) {
        const std::size_t padded_row = row0 + y;
        // Padding rows stay zero.
        if (padded_row < tile_pad_top || padded_row >= tile_pad_top + DigitShape::height) continue;
        const auto source =
            digit.subspan((padded_row - tile_pad_top) * DigitShape::width + col0, TileShape::width);
        std::copy(source.begin(), source.end(), tile.begin() + y * TileShape::width);
      }
    }
  }
  return set;
}

/// One device's view of one digit (see ViewOptions) into `out` (ViewShape::size pixels),
/// returning true when the device sees nothing. The result depends only on the digit, the seed,
/// the sample's index in its source set and the device, so any subset of views can be made in
/// any order, and the same seed gives the same bits on every platform.
inline bool make_view(std::span<const std::uint8_t> digit, std::uint64_t seed, std::size_t sample,
                      std::size_t device, std::span<std::uint8_t> out,
                      const ViewOptions& options = {}) {
  if (digit.size() != DigitShape::size || out.size() != ViewShape::size)
    detail::fail("make_view expects a 28 x 28 digit and a 28 x 28 output, got " +
                 std::to_string(digit.size()) + " and " + std::to_string(out.size()) + " pixels");
  const detail::ViewParameters parameters(options);
  detail::ViewRandom random(seed, sample, device);
  return detail::render_view(digit, parameters, random, out);
}

/// Each of ViewSet::devices devices sees the whole digit through its own random camera (see
/// ViewOptions), for samples [first, first + count) of `images` (count clipped to the set).
/// Deterministic in `seed`; sample s of the result equals make_view(..., first + s, d, ...).
/// Use another seed per epoch for fresh augmentation.
[[nodiscard]] inline ViewSet make_views(const LabeledImages& images, std::uint64_t seed,
                                        const ViewOptions& options = {}, std::size_t first = 0,
                                        std::size_t count = all_samples) {
  const std::size_t samples = detail::checked_run(images, first, count, "make_views");
  const detail::ViewParameters parameters(options);
  ViewSet set = detail::empty_set<ViewShape>(images, first, samples);
  for (std::size_t s = 0; s < samples; ++s) {
    const auto digit = images.image(first + s);
    for (std::size_t d = 0; d < ViewSet::devices; ++d) {
      detail::ViewRandom random(seed, first + s, d);
      if (detail::render_view(digit, parameters, random, set.input(s, d)))
        set.blank[s] |= std::uint64_t{1} << d;
    }
  }
  return set;
}

DDNN_END_NAMESPACE
