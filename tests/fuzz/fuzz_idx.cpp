// libFuzzer target: arbitrary bytes through the MNIST/IDX reader (ddnn/io/mnist.hpp): gzip or
// plain, headers, counts, data, trailing data, labels. The input is a 4-byte prefix — the image
// file's length (u16, little-endian), the limit (255: all samples) and the classes — then the
// image file, then the label file. The only accepted failure is ddnn::error; a set that loads
// must agree with its header: count images of rows x cols pixels, count labels below classes.
//   build and run: ctest --test-dir build -R fuzz.idx --output-on-failure
//   seeds:         tests/fuzz/idx_corpus (written by make_idx_corpus.cpp)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "ddnn/io/mnist.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const std::size_t image_bytes = std::min<std::size_t>(data[0] | data[1] << 8, size - 4);
  const std::size_t limit = data[2] == 255 ? ddnn::all_samples : data[2];
  const std::size_t classes = data[3];
  const std::span<const std::uint8_t> images(data + 4, image_bytes);
  const std::span<const std::uint8_t> labels(data + 4 + image_bytes, size - 4 - image_bytes);
  try {
    const auto set = ddnn::load_idx_from_memory(images, labels, limit, classes);
    const bool agrees =
        classes > 0 && set.rows > 0 && set.cols > 0 && set.count <= set.count_in_file &&
        set.count == std::min(limit, set.count_in_file) &&
        set.pixels.size() == set.count * set.rows * set.cols && set.labels.size() == set.count &&
        std::all_of(set.labels.begin(), set.labels.end(), [&](auto l) { return l < classes; });
    if (!agrees) {
      std::fprintf(stderr, "a loaded set disagrees with its header\n");
      std::abort();
    }
  } catch (const ddnn::error&) {
  }
  return 0;
}
