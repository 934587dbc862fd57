// An in-memory labelled image set (8-bit grayscale, as MNIST), the hand-off between dataset
// readers (ddnn/io/mnist.hpp, which needs zlib) and what uses the data (ddnn/io/views.hpp, no
// zlib).
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "ddnn/core/error.hpp"

DDNN_BEGIN_NAMESPACE

/// As a count or limit: every sample there is.
inline constexpr std::size_t all_samples = std::numeric_limits<std::size_t>::max();

struct LabeledImages {
  std::size_t count = 0;          ///< images held here
  std::size_t count_in_file = 0;  ///< images the source holds (more than count after a limit)
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<std::uint8_t> pixels;  ///< count x rows x cols, row-major; 0 is background
  std::vector<std::uint8_t> labels;  ///< count class indices

  [[nodiscard]] std::size_t image_size() const noexcept { return rows * cols; }

  /// Image i (rows x cols, row-major); throws ddnn::error when i >= count.
  [[nodiscard]] std::span<const std::uint8_t> image(std::size_t i) const {
    check_index(i);
    return std::span<const std::uint8_t>(pixels).subspan(i * image_size(), image_size());
  }
  [[nodiscard]] std::uint8_t label(std::size_t i) const {
    check_index(i);
    return labels[i];
  }

 private:
  void check_index(std::size_t i) const {
    if (i >= count)
      detail::fail("LabeledImages: image " + std::to_string(i) + " requested, the set holds " +
                   std::to_string(count));
  }
};

DDNN_END_NAMESPACE
