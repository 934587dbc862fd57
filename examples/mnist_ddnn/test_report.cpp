// The mnist_ddnn example's own tests of its reporting and helpers: markdown tables render byte for
// byte (alignment included), number formatting, a progress bar off a terminal stays within eleven
// lines (with and without figures), gnuplot PNGs, and the tiles' shift augmentation.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "augment.hpp"
#include "format.hpp"
#include "markdown.hpp"
#include "plots.hpp"
#include "progress.hpp"

using namespace mnist_ddnn;

TEST_CASE("report: fixed and percent format in the classic locale") {
  CHECK(fixed(0.41234, 4) == "0.4123");
  CHECK(fixed(2.0, 0) == "2");
  CHECK(fixed(1.25, -3) == "1");
  CHECK(fixed(-0.5, 2) == "-0.50");
  CHECK(percent(0.9812) == "98.12%");
  CHECK(percent(1.0, 1) == "100.0%");
  CHECK(percent(0.5, 0) == "50%");
}

TEST_CASE("report: MarkdownTable pads columns and right-aligns numeric ones") {
  const MarkdownTable table{{"model", "accuracy", "devices"},
                            {{"ddnn", "98.12%", "6"}, {"local only", "91.50%", "6"}}};
  CHECK(table.render() ==
        "| model      | accuracy | devices |\n"
        "| ---------- | -------: | ------: |\n"
        "| ddnn       |   98.12% |       6 |\n"
        "| local only |   91.50% |       6 |\n");
}

TEST_CASE("report: MarkdownTable short numeric columns, mixed columns, escaping") {
  const MarkdownTable table{{"T", "x", "note"}, {{"0.8", "1", "a|b"}, {"1e-3", "", "-"}}};
  CHECK(table.render() ==
        "|    T |    x | note |\n"
        "| ---: | ---: | ---- |\n"
        "|  0.8 |    1 | a\\|b |\n"
        "| 1e-3 |      | -    |\n");
  const MarkdownTable words{{"a"}, {{"1.2.3"}, {"12"}}};
  CHECK(words.render() ==
        "| a     |\n"
        "| ----- |\n"
        "| 1.2.3 |\n"
        "| 12    |\n");
}

TEST_CASE("report: MarkdownTable rejects a row whose cell count differs from the header") {
  const MarkdownTable short_row{{"a", "b"}, {{"1", "2"}, {"3"}}};
  CHECK_THROWS_AS((void)short_row.render(), std::invalid_argument);
  const MarkdownTable long_row{{"a"}, {{"1", "2"}}};
  CHECK_THROWS_AS((void)long_row.render(), std::invalid_argument);
  const MarkdownTable no_header{};
  CHECK_THROWS_AS((void)no_header.render(), std::invalid_argument);
}

TEST_CASE("report: ProgressBar off a terminal writes at most eleven lines") {
  std::ostringstream out;
  {
    ProgressBar bar("train", 1000, out);
    for (std::size_t i = 1; i <= 1000; ++i) bar.update(i, 0.4123, 0.912);
    bar.finish(1.5);
  }
  const std::string text = out.str();
  CHECK(std::count(text.begin(), text.end(), '\n') <= 11);
  CHECK(text.find('\r') == std::string::npos);
  CHECK(text.find("train [###############...............]  50%  loss 0.4123  acc 91.20%\n") !=
        std::string::npos);
  CHECK(text.find("] 100%  loss 0.4123  acc 91.20%\n") != std::string::npos);
  CHECK(text.substr(text.size() - 20) == "train done in 1.5 s\n");
}

TEST_CASE("report: ProgressBar without figures (an evaluation phase)") {
  std::ostringstream out;
  {
    ProgressBar bar("threshold sweep", 4, out);
    for (std::size_t i = 1; i <= 4; ++i) bar.update(i);
    bar.finish(2.0);
  }
  const std::string text = out.str();
  CHECK(text.find("threshold sweep [###############...............]  50%\n") != std::string::npos);
  CHECK(text.find("loss") == std::string::npos);
  CHECK(text.substr(text.size() - 30) == "threshold sweep done in 2.0 s\n");
}

TEST_CASE("augment: shift_tiles moves the digit across tile borders, losing what leaves") {
  using Tiles = std::array<ddnn::Tensor<std::uint8_t, ddnn::TileShape>, 6>;
  constexpr std::size_t w = ddnn::TileShape::width;
  Tiles tiles{};
  std::uint8_t next = 1;
  for (auto& t : tiles)
    for (auto& v : t.values()) v = next++;  // every pixel distinct (mod 256)
  const Tiles original = tiles;
  shift_tiles(tiles, 0, 0);
  for (std::size_t d = 0; d < 6; ++d)
    CHECK(std::equal(tiles[d].values().begin(), tiles[d].values().end(),
                     original[d].values().begin()));
  // one pixel right: the last column of tile 0 becomes the first of tile 1, tile 0's first
  // column is empty, tile 1's last column is lost
  shift_tiles(tiles, 1, 0);
  for (std::size_t y = 0; y < ddnn::TileShape::height; ++y) {
    CHECK(tiles[0].values()[y * w] == 0);
    CHECK(tiles[0].values()[y * w + 1] == original[0].values()[y * w]);
    CHECK(tiles[1].values()[y * w] == original[0].values()[y * w + w - 1]);
  }
  // two rows down: the last two rows of tile 2 open tile 4; the top two rows of 0 and 1 are 0
  tiles = original;
  shift_tiles(tiles, 0, 2);
  for (std::size_t x = 0; x < w; ++x) {
    CHECK(tiles[4].values()[x] == original[2].values()[(ddnn::TileShape::height - 2) * w + x]);
    CHECK(tiles[0].values()[x] == 0);
    CHECK(tiles[1].values()[w + x] == 0);
  }
  // there and back: everything but the border that left the frame comes back
  tiles = original;
  shift_tiles(tiles, -1, 1);
  shift_tiles(tiles, 1, -1);
  CHECK(tiles[3].values()[w + 3] == original[3].values()[w + 3]);
  CHECK(tiles[5].values()[ddnn::TileShape::size - 1] == 0);  // went out at the bottom, then back
}

TEST_CASE("report: ProgressBar with no items and with repeated or overshooting updates") {
  std::ostringstream out;
  ProgressBar empty("eval", 0, out);
  empty.update(0, 0.0, 1.0);
  empty.update(5, 0.0, 1.0);
  empty.finish(0.0);
  empty.finish(0.0);
  const std::string text = out.str();
  CHECK(text ==
        "eval [##############################] 100%  loss 0.0000  acc 100.00%\n"
        "eval done in 0.0 s\n");

  std::ostringstream few;
  ProgressBar three("x", 3, few);
  for (int repeat = 0; repeat < 100; ++repeat) three.update(1, 0.5, 0.5);
  three.update(7, 0.5, 0.5);
  three.finish(2.0);
  const std::string lines = few.str();
  CHECK(std::count(lines.begin(), lines.end(), '\n') == 3);  // 33%, 100%, finish
}

namespace {

/// A fresh directory under the temp dir, its name with a space and a quote to exercise quoting.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device random;
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    path = std::filesystem::temp_directory_path() /
           ("ddnn report's test " + std::to_string(stamp) + "-" + std::to_string(random()));
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

bool non_empty_file(const std::filesystem::path& p) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(p, ec);
  return !ec && size > 0;
}

}  // namespace

TEST_CASE("report: plots without points are refused") {
  const TempDir dir;
  const auto sweep = plot_threshold_sweep({}, dir.path / "sweep.png", "empty");
  CHECK_FALSE(sweep.drawn);
  const auto devices = plot_devices({}, dir.path / "devices.png", "empty");
  CHECK_FALSE(devices.drawn);
}

TEST_CASE("report: gnuplot draws the threshold sweep and the devices plot") {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    MESSAGE("gnuplot not installed (apt install gnuplot-nox): plot test skipped");
    return;
  }
  const TempDir dir;
  const std::vector<SweepPoint> sweep{{0.0, 0.0, 0.0, 0.97, 0.97},
                                      {0.5, 0.6, 0.99, 0.95, 0.974},
                                      {0.8, 0.9, 0.96, 0.9, 0.955},
                                      {1.0, 1.0, 0.93, 0.0, 0.93}};
  const auto sweep_png = dir.path / "plots" / "sweep.png";  // the parent does not exist yet
  const auto drawn_sweep = plot_threshold_sweep(sweep, sweep_png, "mnist_ddnn: 'threshold' sweep");
  CHECK_MESSAGE(drawn_sweep.drawn, drawn_sweep.message);
  CHECK(drawn_sweep.message == sweep_png.string());
  CHECK(non_empty_file(sweep_png));
  CHECK(non_empty_file(std::filesystem::path(sweep_png.string() + ".gp")));

  const std::vector<DevicesPoint> devices{
      {6, 0.93, 0.97, 0.975}, {1, 0.7, 0.8, 0.78}, {3, 0.85, 0.93, 0.92}};
  const auto devices_png = dir.path / "devices.png";
  const auto drawn_devices = plot_devices(devices, devices_png, "missing devices");
  CHECK_MESSAGE(drawn_devices.drawn, drawn_devices.message);
  CHECK(non_empty_file(devices_png));
}
