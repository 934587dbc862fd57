// Six device inputs per digit: tiles cover the padded digit exactly in row-major grid order;
// views are deterministic per seed, differ across devices, do not depend on generation order,
// honour the blank probability and are the same bits on every platform.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <vector>

#include "ddnn/io/views.hpp"

using namespace ddnn;
using Bytes = std::vector<std::uint8_t>;

namespace {

// Random pixels: every pixel distinct enough that a misplaced copy shows.
LabeledImages random_digits(std::size_t count, std::uint32_t seed) {
  LabeledImages set;
  set.count = set.count_in_file = count;
  set.rows = set.cols = 28;
  set.pixels.resize(count * 784);
  set.labels.resize(count);
  std::mt19937 rng(seed);  // raw mt19937 output is specified by the standard, unlike distributions
  for (auto& pixel : set.pixels) pixel = std::uint8_t(rng());
  for (auto& label : set.labels) label = std::uint8_t(rng() % 10);
  return set;
}

// Digit-like: a thick ring of ink centred in the frame, with a per-sample gap so samples differ.
LabeledImages ring_digits(std::size_t count) {
  LabeledImages set;
  set.count = set.count_in_file = count;
  set.rows = set.cols = 28;
  set.pixels.resize(count * 784);
  set.labels.assign(count, 0);
  for (std::size_t i = 0; i < count; ++i)
    for (int y = 0; y < 28; ++y)
      for (int x = 0; x < 28; ++x) {
        const int r2 = (2 * y - 27) * (2 * y - 27) + (2 * x - 27) * (2 * x - 27);
        const bool gap = y < 14 && x == int(4 + i % 20);
        set.pixels[i * 784 + std::size_t(y * 28 + x)] =
            r2 >= 12 * 12 && r2 <= 20 * 20 && !gap ? 255 : 0;
      }
  return set;
}

std::uint64_t fnv1a(std::span<const std::uint8_t> bytes, std::uint64_t hash = 0xcbf29ce484222325u) {
  for (const auto byte : bytes) hash = (hash ^ byte) * 0x100000001b3u;
  return hash;
}

}  // namespace

TEST_CASE("tile geometry: six 10 x 14 tiles over the digit padded to 30 x 28") {
  static_assert(TileSet::devices == 6 && ViewSet::devices == 6);
  static_assert(TileShape::height == 10 && TileShape::width == 14 && TileShape::channels == 1);
  static_assert(ViewShape::size == 784);
  const auto images = random_digits(3, 1);
  const auto tiles = make_tiles(images);
  CHECK(tiles.samples == 3);
  CHECK(tiles.pixels.size() == 3 * 6 * 140);
  CHECK(tiles.labels == images.labels);
  CHECK(tiles.blank == std::vector<std::uint64_t>(3, 0));
  // Corners: digit (0, 0) is device 0's pixel (1, 0); digit (27, 27) device 5's (8, 13).
  CHECK(tiles.input(0, 0)[1 * 14 + 0] == images.image(0)[0]);
  CHECK(tiles.input(0, 5)[8 * 14 + 13] == images.image(0)[27 * 28 + 27]);
  // Digit (10, 14) is the middle-right tile's (device 3) pixel (1, 0).
  CHECK(tiles.input(0, 3)[1 * 14 + 0] == images.image(0)[10 * 28 + 14]);
}

TEST_CASE("tiles reassemble exactly to the padded digit, in row-major device order") {
  const auto images = random_digits(20, 2);
  const auto tiles = make_tiles(images);
  for (std::size_t s = 0; s < images.count; ++s) {
    Bytes padded(PaddedDigitShape::size, 0);
    for (std::size_t y = 0; y < 28; ++y)
      std::copy_n(images.image(s).begin() + std::ptrdiff_t(y * 28), 28,
                  padded.begin() + std::ptrdiff_t((y + 1) * 28));
    Bytes reassembled(PaddedDigitShape::size, 0xAA);
    for (std::size_t d = 0; d < 6; ++d) {
      const std::size_t grid_row = d / 2, grid_col = d % 2;
      for (std::size_t y = 0; y < 10; ++y)
        for (std::size_t x = 0; x < 14; ++x)
          reassembled[(grid_row * 10 + y) * 28 + grid_col * 14 + x] = tiles.input(s, d)[y * 14 + x];
    }
    CHECK(reassembled == padded);
  }
}

TEST_CASE("a run of tiles equals the same samples of the whole set") {
  const auto images = random_digits(10, 3);
  const auto all = make_tiles(images);
  const auto run = make_tiles(images, 4, 3);
  CHECK(run.samples == 3);
  CHECK(run.first == 4);
  CHECK(std::equal(run.pixels.begin(), run.pixels.end(), all.input(4, 0).begin()));
  CHECK(run.labels == Bytes(images.labels.begin() + 4, images.labels.begin() + 7));
  CHECK(make_tiles(images, 8).samples == 2);  // the count is clipped to the set
  CHECK(make_tiles(images, 10).samples == 0);
  const auto tensor = all.tensor(2, 4);
  CHECK(std::equal(tensor.values().begin(), tensor.values().end(), all.input(2, 4).begin()));
}

TEST_CASE("identity options reproduce the digit exactly") {
  const auto images = random_digits(4, 4);
  const ViewOptions identity{0, 0, 0, 0, 0, 0};
  const auto views = make_views(images, 99, identity);
  for (std::size_t s = 0; s < 4; ++s)
    for (std::size_t d = 0; d < 6; ++d)
      CHECK(
          std::equal(views.input(s, d).begin(), views.input(s, d).end(), images.image(s).begin()));
  CHECK(views.blank == std::vector<std::uint64_t>(4, 0));
}

TEST_CASE("views are deterministic for a seed and change with it") {
  const auto images = ring_digits(30);
  const auto a = make_views(images, 1234);
  const auto b = make_views(images, 1234);
  const auto c = make_views(images, 1235);
  CHECK(a.pixels == b.pixels);
  CHECK(a.blank == b.blank);
  CHECK(a.labels == images.labels);
  CHECK(a.pixels != c.pixels);
}

TEST_CASE("each device sees the digit differently") {
  const auto images = ring_digits(30);
  ViewOptions options;
  options.blank_probability = 0;
  const auto views = make_views(images, 5, options);
  for (std::size_t s = 0; s < views.samples; ++s)
    for (std::size_t d = 0; d < 6; ++d)
      for (std::size_t e = d + 1; e < 6; ++e)
        CHECK_FALSE(std::equal(views.input(s, d).begin(), views.input(s, d).end(),
                               views.input(s, e).begin()));
  // Still the digit: on average most of the ring's ink survives warp, occlusion and noise.
  double ink_ratio = 0;
  for (std::size_t s = 0; s < views.samples; ++s)
    for (std::size_t d = 0; d < 6; ++d) {
      const auto view = views.input(s, d);
      const auto digit = images.image(s);
      double overlap = 0, ink = 0;
      for (std::size_t i = 0; i < 784; ++i) {
        ink += digit[i];
        overlap += std::min(digit[i], view[i]);
      }
      ink_ratio += overlap / ink;
    }
  ink_ratio /= double(views.samples * 6);
  CHECK(ink_ratio > 0.5);
  CHECK(ink_ratio < 0.95);
}

TEST_CASE("views do not depend on which samples are made, or in what order") {
  const auto images = ring_digits(12);
  const std::uint64_t seed = 77;
  const auto all = make_views(images, seed);
  const auto run = make_views(images, seed, {}, 7, 5);
  CHECK(run.first == 7);
  CHECK(std::equal(run.pixels.begin(), run.pixels.end(), all.input(7, 0).begin()));
  CHECK(std::equal(run.blank.begin(), run.blank.end(), all.blank.begin() + 7));
  Bytes view(ViewShape::size);
  for (std::size_t s = images.count; s-- > 0;)
    for (std::size_t d = 6; d-- > 0;) {
      const bool blank = make_view(images.image(s), seed, s, d, view);
      CHECK(blank == all.sees_nothing(s, d));
      CHECK(std::equal(view.begin(), view.end(), all.input(s, d).begin()));
    }
}

TEST_CASE("a device sees nothing with the blank probability, and says so") {
  const auto images = ring_digits(1000);
  ViewOptions options;
  options.blank_probability = 0.3;
  const auto views = make_views(images, 2024, options);
  std::size_t blanks = 0;
  for (std::size_t s = 0; s < views.samples; ++s) {
    CHECK((views.blank[s] >> 6) == 0);
    CHECK(views.presence(s).bits() == (~views.blank[s] & 0x3f));
    for (std::size_t d = 0; d < 6; ++d) {
      if (!views.sees_nothing(s, d)) continue;
      ++blanks;
      const auto view = views.input(s, d);
      CHECK(std::all_of(view.begin(), view.end(), [](auto p) { return p == 0; }));
    }
  }
  // 6000 draws: the standard deviation of the rate is 0.006.
  CHECK(double(blanks) / 6000 == doctest::Approx(0.3).epsilon(0.1));

  options.blank_probability = 0;
  const auto all = make_views(images, 1, options, 0, 50);
  CHECK(std::all_of(all.blank.begin(), all.blank.end(), [](auto mask) { return mask == 0; }));
  options.blank_probability = 1;
  const auto none = make_views(images, 1, options, 0, 50);
  CHECK(std::all_of(none.blank.begin(), none.blank.end(), [](auto mask) { return mask == 0x3f; }));
  CHECK(std::all_of(none.pixels.begin(), none.pixels.end(), [](auto p) { return p == 0; }));
  CHECK(none.presence(0).none());
}

TEST_CASE("views are the same bits on every platform (pinned checksum)") {
  // Integer-only warp and splitmix64 draws: this value must hold on x86-64 and aarch64 alike.
  const auto images = random_digits(8, 9);
  const auto views = make_views(images, 0x5eed);
  std::uint64_t hash = fnv1a(views.pixels);
  for (const auto mask : views.blank) {
    const std::uint8_t low = std::uint8_t(mask);  // six devices: the mask fits one byte
    hash = fnv1a({&low, 1}, hash);
  }
  CHECK(hash == 0xcb2969bb16fd69bdu);
}

TEST_CASE("the fixed-point sine and cosine are accurate to 1e-5 up to 45 degrees") {
  for (int tenth = -450; tenth <= 450; ++tenth) {
    const double angle = tenth / 10.0 * std::numbers::pi / 180;
    const auto fixed = std::int64_t(std::llround(angle * 16777216.0));
    CHECK(std::abs(double(detail::cos_q24(fixed)) / 16777216.0 - std::cos(angle)) < 1e-5);
    CHECK(std::abs(double(detail::sin_q24(fixed)) / 16777216.0 - std::sin(angle)) < 1e-5);
  }
}

TEST_CASE("bad options, shapes and indices are errors") {
  const auto images = random_digits(2, 5);
  ViewOptions options;
  options.max_rotation_degrees = 90;
  CHECK_THROWS_WITH_AS((void)make_views(images, 1, options),
                       doctest::Contains("max_rotation_degrees = 90"), ddnn::error);
  options = {};
  options.blank_probability = std::nan("");
  CHECK_THROWS_WITH_AS((void)make_views(images, 1, options), doctest::Contains("blank_probability"),
                       ddnn::error);
  options = {};
  options.noise = -1;
  CHECK_THROWS_AS((void)make_views(images, 1, options), ddnn::error);
  options = {};
  options.max_occlusion = 29;
  CHECK_THROWS_AS((void)make_views(images, 1, options), ddnn::error);

  auto wide = images;
  wide.cols = 32;
  CHECK_THROWS_WITH_AS((void)make_tiles(wide),
                       doctest::Contains("expects 28 x 28 digits, got 28 x 32"), ddnn::error);
  CHECK_THROWS_WITH_AS((void)make_views(images, 1, {}, 3), doctest::Contains("first sample 3"),
                       ddnn::error);
  auto short_pixels = images;
  short_pixels.pixels.pop_back();
  CHECK_THROWS_AS((void)make_tiles(short_pixels), ddnn::error);

  const auto tiles = make_tiles(images);
  CHECK_THROWS_WITH_AS((void)tiles.input(0, 6), doctest::Contains("sample 0, device 6"),
                       ddnn::error);
  CHECK_THROWS_AS((void)tiles.input(2, 0), ddnn::error);
  Bytes small(100);
  CHECK_THROWS_AS((void)make_view(images.image(0), 1, 0, 0, small), ddnn::error);
}
