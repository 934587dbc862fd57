// Reads MNIST and other IDX image/label pairs (gzip or plain, files or memory) into LabeledImages,
// checking every header field so that a corrupt file is a ddnn::error, never a crash. Needs zlib.
#pragma once
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
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

/// One IDX file being read, from disk or from memory, gzip-compressed (it starts with the gzip
/// magic 1f 8b) or plain. Both sources and both encodings share one reader: raw bytes come in
/// blocks into one buffer, and gzip members are inflated from it straight into the caller's
/// memory. Every error names the file.
class IdxFile {
 public:
  IdxFile(const std::filesystem::path& path, const char* role)
      : where_("file " + path.string()), name_(path.string()), role_(role) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
      fail_here("cannot be inspected (" + ec.message() + ")");
    if (!std::filesystem::exists(status)) fail_here("no such file");
    if (!std::filesystem::is_regular_file(status)) fail_here("not a regular file");
    file_.reset(std::fopen(path.string().c_str(), "rb"));
    if (!file_) fail_here("cannot be opened (" + std::generic_category().message(errno) + ")");
    buffer_.resize(buffer_bytes);
  }

  /// The same file held in memory (`bytes` must outlive the reader).
  IdxFile(std::span<const std::uint8_t> bytes, const char* role)
      : where_("file (in memory)"),
        name_(std::string("the ") + role + " file (in memory)"),
        role_(role),
        memory_(bytes) {
    buffer_.resize(std::min(buffer_bytes, std::max<std::size_t>(bytes.size(), 2)));
  }

  ~IdxFile() {
    if (inflating_) inflateEnd(&stream_);
  }
  // zlib's stream state points back at stream_, so the reader stays where it was built.
  IdxFile(const IdxFile&) = delete;
  IdxFile& operator=(const IdxFile&) = delete;

  /// The file as another file's error message names it.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

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

  /// After a whole file was read: nothing may follow, neither more data nor bytes after the
  /// last gzip member, and reading on to the end checks each member's trailer (CRC-32 and
  /// length).
  void expect_end(std::size_t records) {
    std::uint8_t extra = 0;
    if (read_some(&extra, 1) > 0)
      fail_here("trailing data after the " + std::to_string(records) +
                " records its header declares");
  }

  [[noreturn]] void fail_here(const std::string& problem) const {
    fail("MNIST/IDX " + std::string(role_) + " " + where_ + ": " + problem);
  }

 private:
  // Raw bytes come in 128 KiB blocks: small ones (zlib's gzread reads 8 KiB by default) make
  // decompression needlessly slow.
  static constexpr std::size_t buffer_bytes = std::size_t{1} << 17;

  struct closer {
    void operator()(std::FILE* file) const noexcept { std::fclose(file); }
  };

  void read_exact(std::uint8_t* out, std::size_t bytes, const char* what) {
    while (bytes > 0) {
      const std::size_t got = read_some(out, bytes);
      if (got == 0) fail_here(std::string("truncated: the file ends inside ") + what);
      out += got;
      bytes -= got;
    }
  }

  // Up to `bytes` bytes of the file's content (inflated, for gzip); 0 only at its end.
  std::size_t read_some(std::uint8_t* out, std::size_t bytes) {
    if (!format_known_) start();
    if (!gzip_) {
      if (!ensure(1)) return 0;
      const std::size_t n = std::min(bytes, avail_);
      std::memcpy(out, in_, n);
      consume(n);
      return n;
    }
    // zlib counts in unsigned int; a step of at most 1 GiB keeps in range.
    stream_.next_out = out;
    stream_.avail_out = static_cast<uInt>(std::min(bytes, std::size_t{1} << 30));
    const uInt room = stream_.avail_out;
    for (;;) {
      if (!member_open_ && !next_member()) return 0;
      // Refill when empty; at the end of the file inflate still runs, as it may hold output
      // back from earlier input.
      (void)ensure(1);
      stream_.next_in = const_cast<Bytef*>(in_);  // zlib's API is not const-correct
      stream_.avail_in = static_cast<uInt>(avail_);
      const int code = inflate(&stream_, Z_NO_FLUSH);
      consume(avail_ - stream_.avail_in);
      const std::size_t produced = room - stream_.avail_out;
      if (code == Z_STREAM_END) {
        member_open_ = false;  // its CRC-32 and length matched
        if (produced > 0) return produced;
      } else if (code == Z_OK) {
        if (produced > 0) return produced;
      } else if (code == Z_BUF_ERROR && avail_ == 0) {
        // No progress without more input, and the file has none.
        fail_here("truncated: the gzip stream ends early (unexpected end of file)");
      } else if (code == Z_MEM_ERROR) {
        fail_here("out of memory while inflating the gzip data");
      } else {
        fail_here(std::string("corrupt gzip data (") +
                  (stream_.msg ? stream_.msg : "zlib error " + std::to_string(code)) + ")");
      }
    }
  }

  // The first read decides the encoding: gzip starts with 1f 8b, an IDX file with 00 00.
  void start() {
    format_known_ = true;
    gzip_ = is_gzip_member();
    if (!gzip_) return;
    if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK)  // 16: a gzip wrapper, nothing else
      fail_here("cannot start inflating the gzip data (out of memory)");
    inflating_ = true;
    member_open_ = true;
  }

  // After a gzip member: the end of the file, or another member (gzip -c a b > ab is valid
  // gzip). Anything else is an error, not data to skip: it may be the rest of the file.
  bool next_member() {
    if (!ensure(1)) return false;
    if (!is_gzip_member())
      fail_here("trailing data after the gzip stream: the bytes from offset " +
                std::to_string(consumed_) + " on are not another gzip member");
    if (inflateReset(&stream_) != Z_OK) fail_here("cannot restart inflating the gzip data");
    member_open_ = true;
    return true;
  }

  bool is_gzip_member() { return ensure(2) && in_[0] == 0x1f && in_[1] == 0x8b; }

  // At least `bytes` (<= 2) raw bytes in the buffer, false when the file ends first.
  bool ensure(std::size_t bytes) {
    while (avail_ < bytes) {
      if (at_end_) return false;
      if (avail_ > 0) std::memmove(buffer_.data(), in_, avail_);
      in_ = buffer_.data();
      const std::size_t got = fill(buffer_.data() + avail_, buffer_.size() - avail_);
      if (got == 0) at_end_ = true;
      avail_ += got;
    }
    return true;
  }

  // The next raw bytes of the source, 0 at its end.
  std::size_t fill(std::uint8_t* out, std::size_t room) {
    if (!file_) {
      const std::size_t n = std::min(room, memory_.size() - memory_used_);
      if (n > 0) std::memcpy(out, memory_.data() + memory_used_, n);
      memory_used_ += n;
      return n;
    }
    const std::size_t got = std::fread(out, 1, room, file_.get());
    if (got < room && std::ferror(file_.get()))
      fail_here("cannot be read (" + std::generic_category().message(errno) + ")");
    return got;
  }

  void consume(std::size_t bytes) noexcept {
    in_ += bytes;
    avail_ -= bytes;
    consumed_ += bytes;
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

  std::string where_;  // "file <path>" or "file (in memory)", after the role in messages
  std::string name_;
  const char* role_;
  std::unique_ptr<std::FILE, closer> file_;  // null: the source is memory_
  std::span<const std::uint8_t> memory_;
  std::size_t memory_used_ = 0;

  std::vector<std::uint8_t> buffer_;  // raw bytes read ahead
  const std::uint8_t* in_ = nullptr;  // the first of them not yet used
  std::size_t avail_ = 0;
  std::size_t consumed_ = 0;  // raw bytes used so far: the offset of in_ in the file
  bool at_end_ = false;       // the source has nothing more

  bool format_known_ = false;
  bool gzip_ = false;
  z_stream stream_{};
  bool inflating_ = false;    // stream_ is initialised
  bool member_open_ = false;  // inside a gzip member (its end not reached)
};

/// load_idx and load_idx_from_memory: headers, counts, size cap, data, end and labels.
inline LabeledImages load_idx(IdxFile& image_file, IdxFile& label_file, std::size_t limit,
                              std::size_t classes) {
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
                         label_file.name() + " holds " + std::to_string(label_extents[0]) +
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

inline void check_classes(std::size_t classes) {
  if (classes == 0)
    fail("MNIST/IDX: classes is 0, so no label would be valid (labels must lie in 0..classes-1)");
}

}  // namespace detail

/// Reads an IDX image file (rows x cols unsigned bytes per image) and its label file, each
/// gzip-compressed (one or more members, as gzip writes them) or plain.
/// `limit` reads only the first images (count_in_file still reports the whole file; the rest of
/// the file is then not read, so damage past the prefix goes unnoticed). Labels must be below
/// `classes` (at least 1). Throws ddnn::error naming the file for a missing or unreadable file,
/// a wrong magic number or dimension count, image and label counts that differ, truncated or
/// corrupt data, trailing data (after the records, or after the last gzip member), a label out
/// of range, or a load above max_idx_load_bytes.
[[nodiscard]] inline LabeledImages load_idx(const std::filesystem::path& images,
                                            const std::filesystem::path& labels,
                                            std::size_t limit = all_samples,
                                            std::size_t classes = mnist_classes) {
  detail::check_classes(classes);
  detail::IdxFile image_file(images, "images");
  detail::IdxFile label_file(labels, "labels");
  return detail::load_idx(image_file, label_file, limit, classes);
}

/// load_idx on the bytes of an image file and a label file already in memory (e.g. received
/// over a network), with the same checks; errors say "(in memory)" where load_idx names a file.
[[nodiscard]] inline LabeledImages load_idx_from_memory(std::span<const std::uint8_t> images,
                                                        std::span<const std::uint8_t> labels,
                                                        std::size_t limit = all_samples,
                                                        std::size_t classes = mnist_classes) {
  detail::check_classes(classes);
  detail::IdxFile image_file(images, "images");
  detail::IdxFile label_file(labels, "labels");
  return detail::load_idx(image_file, label_file, limit, classes);
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
