// Training-time augmentation for the tiles view: the digit moved by a few whole pixels before it
// is cut into tiles, so that the devices and the cloud learn features that do not hinge on one
// position of the digit in the frame.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <tuple>

#include "ddnn/io/views.hpp"

namespace mnist_ddnn {

/// One sample's tiles (TileShape each, in make_tiles' grid order: row-major, tile_grid_cols
/// across) with the padded digit they cut moved `dx` pixels right and `dy` down: what moves out
/// of the frame is lost, what comes in is 0 (no ink).
template <class Tiles>
void shift_tiles(Tiles& tiles, int dx, int dy) {
  using ddnn::TileShape;
  constexpr std::size_t th = TileShape::height, tw = TileShape::width;
  constexpr std::size_t width = tw * ddnn::tile_grid_cols, height = th * ddnn::tile_grid_rows;
  static_assert(std::tuple_size_v<Tiles> == ddnn::tile_grid_rows * ddnn::tile_grid_cols);
  std::array<std::uint8_t, height * width> frame{}, moved{};
  for (std::size_t d = 0; d < tiles.size(); ++d) {
    const std::size_t row0 = d / ddnn::tile_grid_cols * th, col0 = d % ddnn::tile_grid_cols * tw;
    const auto values = tiles[d].values();
    for (std::size_t y = 0; y < th; ++y)
      for (std::size_t x = 0; x < tw; ++x)
        frame[(row0 + y) * width + col0 + x] = values[y * tw + x];
  }
  for (std::size_t y = 0; y < height; ++y)
    for (std::size_t x = 0; x < width; ++x) {
      const auto sy = std::ptrdiff_t(y) - dy, sx = std::ptrdiff_t(x) - dx;
      if (sy >= 0 && sy < std::ptrdiff_t(height) && sx >= 0 && sx < std::ptrdiff_t(width))
        moved[y * width + x] = frame[std::size_t(sy) * width + std::size_t(sx)];
    }
  for (std::size_t d = 0; d < tiles.size(); ++d) {
    const std::size_t row0 = d / ddnn::tile_grid_cols * th, col0 = d % ddnn::tile_grid_cols * tw;
    auto values = tiles[d].values();
    for (std::size_t y = 0; y < th; ++y)
      for (std::size_t x = 0; x < tw; ++x)
        values[y * tw + x] = moved[(row0 + y) * width + col0 + x];
  }
}

}  // namespace mnist_ddnn
