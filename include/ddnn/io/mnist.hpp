// Reads MNIST (and other IDX image/label pairs, gzip-compressed or plain) into LabeledImages,
// checking every header field so that a corrupt file is a ddnn::error, never a crash. Needs zlib.
#pragma once
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "ddnn/core/error.hpp"
#include "ddnn/io/labeled_images.hpp"

DDNN_BEGIN_NAMESPACE

/// The most image bytes one load may hold: MNIST's 60000 training digits are 47 MB, and the cap
/// keeps a corrupt (or hostile) header from making the reader allocate gigabytes. Loading a
/// prefix with a limit is checked against the cap, not the whole file.
inline constexpr std::size_t max_idx_load_bytes = std::size_t{1} << 28;

inline constexpr std::size_t mnist_classes = 10;

/// The canonical MNIST file names (with or without .gz).
inline constexpr const char* mnist_train_images = "train-images-idx3-ubyte";
inline constexpr const char* mnist_train_labels = "train-labels-idx1-ubyte";
inline constexpr const char* mnist_test_images = "t10k-images-idx3-ubyte";
inline constexpr const char* mnist_test_labels = "t10k-labels-idx1-ubyte";

namespace detail {

/// One open IDX file. gzread reads plain files transparently, so .gz is optional. Every error
/// names the file.
class IdxFile {
 public:
  IdxFile(const std::filesystem::path& path, const char* role) : path_(path), role_(role) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
      fail_here("cannot be inspected (" + ec.message() + ")");
    if (!std::filesystem::exists(status)) fail_here("no such file");
    if (!std::filesystem::is_regular_file(status)) fail_here("not a regular file");
    file_.reset(gzopen(path.string().c_str(), "rb"));
    if (!file_) fail_here("cannot be opened");
    gzbuffer(file_.get(), 1u << 17);  // zlib's 8 KiB default makes decompression needlessly slow
  }

  /// Reads the header of an unsigned-byte IDX file with `dimensions` extents.
  std::vector<std::size_t> read_header(std::size_t dimensions) {
    std::array<std::uint8_t, 4> magic{};
    read_exact(magic.data(), magic.size(), "the header");
    if (magic[0] != 0 || magic[1] != 0)
      fail_here("not an IDX file (wrong magic number 0x" + hex(magic) + ")");
    if (magic[2] != 0x08)
      fail_here("wrong magic number 0x" + hex(magic) + ": element type 0x" + hex_byte(magic[2]) +
                ", only unsigned bytes (0x08) are supported");
    if (magic[3] != dimensions)
      fail_here("wrong magic number 0x" + hex(magic) + ": " + std::to_string(magic[3]) +
                " dimensions, " + role_ + " need " + std::to_string(dimensions));
    std::vector<std::size_t> extents(dimensions);
    for (auto& extent : extents) {
      std::array<std::uint8_t, 4> be{};
      read_exact(be.data(), be.size(), "the header");
      extent = std::size_t{be[0]} << 24 | std::size_t{be[1]} << 16 | std::size_t{be[2]} << 8 |
               std::size_t{be[3]};
    }
    return extents;
  }

  /// Reads exactly `bytes` bytes of `what`. The buffer grows as data arrives, so a header that
  /// lies about the size cannot make it allocate more than about twice what the file holds.
  std::vector<std::uint8_t> read_bytes(std::size_t bytes, const char* what) {
    constexpr std::size_t chunk = std::size_t{1} << 22;
    std::vector<std::uint8_t> data;
    data.reserve(std::min(bytes, chunk));
    while (data.size() < bytes) {
      const std::size_t done = data.size();
      const std::size_t step = std::min(bytes - done, chunk);
      data.resize(done + step);
      read_exact(data.data() + done, step, what);
    }
    return data;
  }

  /// After a whole file was read: nothing may follow, and reading on to the end makes zlib check
  /// the gzip trailer (CRC-32 and length) of the data just returned.
  void expect_end(std::size_t records) {
    std::uint8_t extra = 0;
    const int got = gzread(file_.get(), &extra, 1);
    if (got > 0)
      fail_here("trailing data after the " + std::to_string(records) +
                " records its header declares");
    check_stream();
  }

  [[noreturn]] void fail_here(const std::string& problem) const {
    fail("MNIST/IDX " + std::string(role_) + " file " + path_.string() + ": " + problem);
  }

 private:
  struct closer {
    void operator()(gzFile_s* file) const noexcept { gzclose(file); }
  };

  void read_exact(std::uint8_t* out, std::size_t bytes, const char* what) {
    // gzread takes an unsigned count and returns an int; chunks keep both in range.
    constexpr std::size_t max_step = std::size_t{1} << 30;
    while (bytes > 0) {
      const auto step = static_cast<unsigned>(std::min(bytes, max_step));
      const int got = gzread(file_.get(), out, step);
      if (got < 0 || static_cast<unsigned>(got) != step) {
        check_stream();
        fail_here(std::string("truncated: the file ends inside ") + what);
      }
      out += step;
      bytes -= step;
    }
  }

  // Turns a zlib stream error into a ddnn::error; returns when there is none. zlib decompresses
  // ahead of what was asked for, so the error says what went wrong, not where.
  void check_stream() const {
    int code = Z_OK;
    const char* message = gzerror(file_.get(), &code);
    if (code == Z_OK) return;
    std::string detail = message ? message : "unknown zlib error";
    const std::string own_prefix = path_.string() + ": ";  // zlib names the file too
    if (detail.starts_with(own_prefix)) detail.erase(0, own_prefix.size());
    if (code == Z_BUF_ERROR)  // zlib's "unexpected end of file": the gzip stream was cut short
      fail_here("truncated: the gzip stream ends early (" + detail + ")");
    fail_here("corrupt gzip data (" + detail + ")");
  }

  static std::string hex_byte(std::uint8_t byte) {
    constexpr const char* digits = "0123456789abcdef";
    return {digits[byte >> 4], digits[byte & 15]};
  }
  static std::string hex(const std::array<std::uint8_t, 4>& bytes) {
    std::string text;
    for (const auto byte : bytes) text += hex_byte(byte);
    return text;
  }

  std::filesystem::path path_;
  const char* role_;
  std::unique_ptr<gzFile_s, closer> file_;
};

}  // namespace detail

/// Reads an IDX image file (rows x cols unsigned bytes per image) and its label file.
/// `limit` reads only the first images (count_in_file still reports the whole file; the rest of
/// the file is then not read, so damage past the prefix goes unnoticed). Labels must be below
/// `classes`. Throws ddnn::error naming the file for a missing or unreadable file, a wrong magic
/// number or dimension count, image and label counts that differ, truncated or corrupt data,
/// trailing data, a label out of range, or a load above max_idx_load_bytes.
[[nodiscard]] inline LabeledImages load_idx(const std::filesystem::path& images,
                                            const std::filesystem::path& labels,
                                            std::size_t limit = all_samples,
                                            std::size_t classes = mnist_classes) {
  detail::IdxFile image_file(images, "images");
  detail::IdxFile label_file(labels, "labels");
  const auto image_extents = image_file.read_header(3);
  const auto label_extents = label_file.read_header(1);

  LabeledImages set;
  set.count_in_file = image_extents[0];
  set.rows = image_extents[1];
  set.cols = image_extents[2];
  if (set.rows == 0 || set.cols == 0)
    image_file.fail_here("images of " + std::to_string(set.rows) + " x " +
                         std::to_string(set.cols) + " pixels");
  if (label_extents[0] != set.count_in_file)
    image_file.fail_here("holds " + std::to_string(set.count_in_file) + " images but " +
                         labels.string() + " holds " + std::to_string(label_extents[0]) +
                         " labels");
  set.count = std::min(limit, set.count_in_file);

  // Extents are below 2^32, so rows * cols fits in 64 bits; the division avoids count * size
  // overflowing.
  const std::uint64_t image_bytes = std::uint64_t{set.rows} * set.cols;
  if (image_bytes > max_idx_load_bytes || set.count > max_idx_load_bytes / image_bytes)
    image_file.fail_here(std::to_string(set.count) + " images of " + std::to_string(set.rows) +
                         " x " + std::to_string(set.cols) + " pixels exceed the " +
                         std::to_string(max_idx_load_bytes) +
                         " bytes one load may hold (a corrupt header, or load with a limit)");

  set.pixels = image_file.read_bytes(set.count * set.rows * set.cols, "the image data");
  set.labels = label_file.read_bytes(set.count, "the label data");
  if (set.count == set.count_in_file) {
    image_file.expect_end(set.count);
    label_file.expect_end(set.count);
  }
  const auto bad = std::find_if(set.labels.begin(), set.labels.end(),
                                [classes](std::uint8_t label) { return label >= classes; });
  if (bad != set.labels.end())
    label_file.fail_here("label " + std::to_string(*bad) + " of image " +
                         std::to_string(bad - set.labels.begin()) + " is out of range (classes " +
                         "0.." + std::to_string(classes - 1) + ")");
  return set;
}

struct Mnist {
  LabeledImages train;
  LabeledImages test;
};

/// The MNIST file `name` in `dir`: name.gz, else the uncompressed name.
[[nodiscard]] inline std::filesystem::path mnist_file(const std::filesystem::path& dir,
                                                      const std::string& name) {
  auto path = dir / (name + ".gz");
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return path;
  path = dir / name;
  if (std::filesystem::exists(path, ec)) return path;
  detail::fail("MNIST: neither " + name + ".gz nor " + name + " is in " + dir.string());
}

/// Reads the four canonical MNIST files (gzip-compressed as distributed, or uncompressed) from
/// `dir`, e.g. ddnn's own copy in data/mnist. Limits as in load_idx.
[[nodiscard]] inline Mnist load_mnist(const std::filesystem::path& dir,
                                      std::size_t train_limit = all_samples,
                                      std::size_t test_limit = all_samples) {
  // One at a time: function arguments are evaluated in no fixed order, and the first missing
  // file should be the one reported.
  const auto train_images = mnist_file(dir, mnist_train_images);
  const auto train_labels = mnist_file(dir, mnist_train_labels);
  const auto test_images = mnist_file(dir, mnist_test_images);
  const auto test_labels = mnist_file(dir, mnist_test_labels);
  Mnist mnist;
  mnist.train = load_idx(train_images, train_labels, train_limit);
  mnist.test = load_idx(test_images, test_labels, test_limit);
  return mnist;
}

DDNN_END_NAMESPACE
