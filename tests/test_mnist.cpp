// The MNIST reader: ddnn's shipped copy loads with the canonical counts, labels and pixels, and
// every kind of damaged file is a ddnn::error that names the file and the problem.
#include <doctest/doctest.h>
#include <zlib.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "ddnn/io/mnist.hpp"

using namespace ddnn;
namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

namespace {

const fs::path shipped_mnist = DDNN_MNIST_DIR;

std::uint64_t pixel_sum(const std::vector<std::uint8_t>& values, std::size_t begin = 0,
                        std::size_t end = std::size_t(-1)) {
  end = std::min(end, values.size());
  return std::accumulate(values.begin() + std::ptrdiff_t(begin),
                         values.begin() + std::ptrdiff_t(end), std::uint64_t{0});
}

std::array<std::size_t, 10> histogram(const std::vector<std::uint8_t>& labels) {
  std::array<std::size_t, 10> counts{};
  for (const auto label : labels) ++counts.at(label);
  return counts;
}

// A scratch directory, unique per process (ctest runs test cases in parallel, also under qemu).
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    const auto tick = std::chrono::steady_clock::now().time_since_epoch().count();
    path =
        fs::temp_directory_path() /
        ("ddnn_test_mnist_" + std::to_string(std::random_device{}()) + "_" + std::to_string(tick));
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  fs::path operator/(const std::string& name) const { return path / name; }
};

void put_be32(Bytes& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(std::uint8_t(value >> shift));
}

Bytes idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, const Bytes& pixels) {
  Bytes out{0, 0, 0x08, 3};
  put_be32(out, count);
  put_be32(out, rows);
  put_be32(out, cols);
  out.insert(out.end(), pixels.begin(), pixels.end());
  return out;
}

Bytes idx_labels(std::uint32_t count, const Bytes& labels) {
  Bytes out{0, 0, 0x08, 1};
  put_be32(out, count);
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

void write_plain(const fs::path& path, const Bytes& bytes) {
  std::ofstream file(path, std::ios::binary);
  file.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  REQUIRE(file.good());
}

Bytes gzip(const Bytes& bytes, const ScratchDir& dir) {
  const auto path = dir / "gzip.tmp";
  gzFile file = gzopen(path.string().c_str(), "wb");
  REQUIRE(file != nullptr);
  REQUIRE(gzwrite(file, bytes.data(), unsigned(bytes.size())) == int(bytes.size()));
  REQUIRE(gzclose(file) == Z_OK);
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Five random 28 x 28 "digits" (incompressible, so a cut gzip stream ends inside the data).
struct SmallSet {
  Bytes pixels;
  Bytes labels{3, 1, 4, 1, 5};
  SmallSet() : pixels(5 * 28 * 28) {
    std::mt19937 rng(7);
    for (auto& pixel : pixels) pixel = std::uint8_t(rng());
  }
  Bytes images_file() const { return idx_images(5, 28, 28, pixels); }
  Bytes labels_file() const { return idx_labels(5, labels); }
};

}  // namespace

TEST_CASE("shipped MNIST: counts, first labels and pixels of both splits") {
  const auto mnist = load_mnist(shipped_mnist, 1000);  // the training prefix is enough here

  CHECK(mnist.train.count == 1000);
  CHECK(mnist.train.count_in_file == 60000);
  CHECK(mnist.train.rows == 28);
  CHECK(mnist.train.cols == 28);
  CHECK(mnist.train.pixels.size() == 1000 * 784);
  CHECK(Bytes(mnist.train.labels.begin(), mnist.train.labels.begin() + 10) ==
        Bytes{5, 0, 4, 1, 9, 2, 1, 3, 1, 4});
  // Pixel sums computed independently (Python's gzip module) from the canonical files.
  CHECK(pixel_sum(mnist.train.pixels, 0, 784) == 27525);
  CHECK(pixel_sum(mnist.train.pixels) == 25637533);
  const auto first = mnist.train.image(0);
  CHECK(std::count_if(first.begin(), first.end(), [](auto p) { return p != 0; }) == 166);

  CHECK(mnist.test.count == 10000);
  CHECK(mnist.test.count_in_file == 10000);
  CHECK(Bytes(mnist.test.labels.begin(), mnist.test.labels.begin() + 10) ==
        Bytes{7, 2, 1, 0, 4, 1, 4, 9, 5, 9});
  CHECK(pixel_sum(mnist.test.pixels, 0, 784) == 18454);
  CHECK(pixel_sum(mnist.test.pixels) == 264923200);
  CHECK(histogram(mnist.test.labels) ==
        std::array<std::size_t, 10>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009});
  CHECK_THROWS_WITH_AS((void)mnist.test.image(10000), doctest::Contains("image 10000"),
                       ddnn::error);
}

TEST_CASE("shipped MNIST: the whole training set loads, its gzip trailer checked") {
  // The one full load of the 47 MB training images in the suite.
  const auto train = load_idx(shipped_mnist / "train-images-idx3-ubyte.gz",
                              shipped_mnist / "train-labels-idx1-ubyte.gz");
  CHECK(train.count == 60000);
  CHECK(pixel_sum(train.pixels) == 1567298545);
  CHECK(histogram(train.labels) ==
        std::array<std::size_t, 10>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949});
}

TEST_CASE("plain and gzip-compressed IDX files read the same, and load_mnist takes either") {
  const ScratchDir dir;
  const SmallSet set;
  write_plain(dir / "t10k-images-idx3-ubyte", set.images_file());
  write_plain(dir / "t10k-labels-idx1-ubyte", set.labels_file());
  write_plain(dir / "train-images-idx3-ubyte.gz", gzip(set.images_file(), dir));
  write_plain(dir / "train-labels-idx1-ubyte.gz", gzip(set.labels_file(), dir));

  const auto mnist = load_mnist(dir.path, all_samples, 2);
  CHECK(mnist.train.count == 5);
  CHECK(mnist.train.pixels == set.pixels);
  CHECK(mnist.train.labels == set.labels);
  CHECK(mnist.test.count == 2);
  CHECK(mnist.test.count_in_file == 5);
  CHECK(mnist.test.pixels == Bytes(set.pixels.begin(), set.pixels.begin() + 2 * 784));
  CHECK(mnist.test.labels == Bytes{3, 1});

  const auto none = load_idx(dir / "t10k-images-idx3-ubyte", dir / "t10k-labels-idx1-ubyte", 0);
  CHECK(none.count == 0);
  CHECK(none.pixels.empty());
}

TEST_CASE("missing and unreadable files name the file") {
  const ScratchDir dir;
  const SmallSet set;
  write_plain(dir / "labels", set.labels_file());
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "absent.gz", dir / "labels"),
                       doctest::Contains("absent.gz: no such file"), ddnn::error);
  CHECK_THROWS_WITH_AS((void)load_idx(dir.path, dir / "labels"),
                       doctest::Contains("not a regular file"), ddnn::error);
  CHECK_THROWS_WITH_AS((void)load_mnist(dir.path),
                       doctest::Contains("neither train-images-idx3-ubyte.gz nor"), ddnn::error);
  write_plain(dir / "empty", {});
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "empty", dir / "labels"),
                       doctest::Contains("empty: truncated: the file ends inside the header"),
                       ddnn::error);
}

TEST_CASE("a wrong magic number or dimension count is an error") {
  const ScratchDir dir;
  const SmallSet set;
  write_plain(dir / "labels", set.labels_file());
  const auto images_with_magic = [&](Bytes magic) {
    auto bytes = set.images_file();
    std::copy(magic.begin(), magic.end(), bytes.begin());
    write_plain(dir / "images", bytes);
    return dir / "images";
  };
  CHECK_THROWS_WITH_AS((void)load_idx(images_with_magic({'G', 'I', 'F', '8'}), dir / "labels"),
                       doctest::Contains("not an IDX file (wrong magic number 0x47494638)"),
                       ddnn::error);
  CHECK_THROWS_WITH_AS((void)load_idx(images_with_magic({0, 0, 0x0d, 3}), dir / "labels"),
                       doctest::Contains("element type 0x0d"), ddnn::error);
  CHECK_THROWS_WITH_AS((void)load_idx(images_with_magic({0, 0, 8, 1}), dir / "labels"),
                       doctest::Contains("1 dimensions, images need 3"), ddnn::error);
  // Image and label files swapped.
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "labels", dir / "images"),
                       doctest::Contains("labels: wrong magic number 0x00000801: 1 dimensions"),
                       ddnn::error);
}

TEST_CASE("image and label counts must agree") {
  const ScratchDir dir;
  const SmallSet set;
  write_plain(dir / "images", set.images_file());
  write_plain(dir / "labels", idx_labels(4, Bytes(set.labels.begin(), set.labels.end() - 1)));
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images", dir / "labels"),
                       doctest::Contains("holds 5 images but"), ddnn::error);
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images", dir / "labels", 2),
                       doctest::Contains("holds 4 labels"), ddnn::error);
}

TEST_CASE("truncated data, plain or gzip, is an error, never a short set") {
  const ScratchDir dir;
  const SmallSet set;
  write_plain(dir / "labels", set.labels_file());
  auto images = set.images_file();
  images.resize(images.size() - 1);
  write_plain(dir / "images", images);
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images", dir / "labels"),
                       doctest::Contains("truncated: the file ends inside the image data"),
                       ddnn::error);
  // The first four images are intact: a limit reads them.
  CHECK(load_idx(dir / "images", dir / "labels", 4).count == 4);

  auto compressed = gzip(set.images_file(), dir);
  compressed.resize(compressed.size() / 2);
  write_plain(dir / "images.gz", compressed);
  CHECK_THROWS_WITH_AS(
      (void)load_idx(dir / "images.gz", dir / "labels"),
      doctest::Contains(
          "images.gz: truncated: the gzip stream ends early (unexpected end of file)"),
      ddnn::error);

  // All data there, but the gzip trailer (CRC-32, length) cut off.
  compressed = gzip(set.images_file(), dir);
  compressed.resize(compressed.size() - 4);
  write_plain(dir / "images.gz", compressed);
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images.gz", dir / "labels"),
                       doctest::Contains("images.gz: truncated: the gzip stream ends early"),
                       ddnn::error);
}

TEST_CASE("corrupt gzip data is an error") {
  const ScratchDir dir;
  const SmallSet set;
  write_plain(dir / "labels", set.labels_file());
  const auto good = gzip(set.images_file(), dir);

  auto bad_block = good;
  bad_block.at(10) = 0xff;  // first deflate block header (after the 10-byte gzip header): type 3
  write_plain(dir / "images.gz", bad_block);
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images.gz", dir / "labels"),
                       doctest::Contains("images.gz: corrupt gzip data (invalid block type)"),
                       ddnn::error);

  auto bad_crc = good;
  bad_crc.at(bad_crc.size() - 8) ^= 1;  // the CRC-32 of the uncompressed data
  write_plain(dir / "images.gz", bad_crc);
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images.gz", dir / "labels"),
                       doctest::Contains("images.gz: corrupt gzip data (incorrect data check)"),
                       ddnn::error);
}

TEST_CASE("trailing data after the declared records is an error") {
  const ScratchDir dir;
  const SmallSet set;
  write_plain(dir / "images", set.images_file());
  auto labels = set.labels_file();
  labels.push_back(2);
  write_plain(dir / "labels", labels);
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images", dir / "labels"),
                       doctest::Contains("labels file"), ddnn::error);
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images", dir / "labels"),
                       doctest::Contains("trailing data after the 5 records"), ddnn::error);
}

TEST_CASE("a label beyond the classes is an error") {
  const ScratchDir dir;
  const SmallSet set;
  write_plain(dir / "images", set.images_file());
  write_plain(dir / "labels", idx_labels(5, {3, 1, 10, 1, 5}));
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images", dir / "labels"),
                       doctest::Contains("label 10 of image 2 is out of range (classes 0..9)"),
                       ddnn::error);
  CHECK(load_idx(dir / "images", dir / "labels", all_samples, 11).labels.at(2) == 10);
  CHECK(load_idx(dir / "images", dir / "labels", 2).count == 2);  // the bad label is not read
}

TEST_CASE("absurd sizes in a header are errors, not huge allocations") {
  const ScratchDir dir;
  const SmallSet set;
  write_plain(dir / "labels", idx_labels(0xffffffffu, set.labels));
  write_plain(dir / "images", idx_images(0xffffffffu, 28, 28, set.pixels));
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images", dir / "labels"),
                       doctest::Contains("4294967295 images of 28 x 28 pixels exceed the "
                                         "268435456 bytes one load may hold"),
                       ddnn::error);
  // A limit loads a prefix the file really holds; one beyond it is a truncation.
  const auto prefix = load_idx(dir / "images", dir / "labels", 3);
  CHECK(prefix.count == 3);
  CHECK(prefix.count_in_file == 0xffffffffu);
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images", dir / "labels", 6),
                       doctest::Contains("truncated"), ddnn::error);

  write_plain(dir / "images", idx_images(1, 0xffffffffu, 0xffffffffu, {}));
  write_plain(dir / "labels", idx_labels(1, {0}));
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images", dir / "labels"),
                       doctest::Contains("exceed the 268435456 bytes"), ddnn::error);
  write_plain(dir / "images", idx_images(1, 0, 28, {}));
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images", dir / "labels"),
                       doctest::Contains("images of 0 x 28 pixels"), ddnn::error);
}

TEST_CASE("bytes after the last gzip member are an error, while more members are data") {
  const ScratchDir dir;
  const SmallSet set;
  write_plain(dir / "labels", set.labels_file());
  const auto images = set.images_file();
  const auto compressed = gzip(images, dir);

  // zlib's gzread drops non-gzip bytes after a member without a word; the reader must not.
  auto garbage = compressed;
  for (const char c : std::string("garbage")) garbage.push_back(std::uint8_t(c));
  write_plain(dir / "images.gz", garbage);
  const std::string garbage_error = "images file " + (dir / "images.gz").string() +
                                    ": trailing data after the gzip stream: the bytes from "
                                    "offset " +
                                    std::to_string(compressed.size()) + " on";
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images.gz", dir / "labels"),
                       doctest::Contains(garbage_error.c_str()), ddnn::error);
  auto zeros = compressed;  // padding, as some tools leave it, is trailing data too
  zeros.resize(zeros.size() + 16, 0);
  write_plain(dir / "images.gz", zeros);
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images.gz", dir / "labels"),
                       doctest::Contains("trailing data after the gzip stream"), ddnn::error);
  auto lone_byte = compressed;  // half a gzip magic number
  lone_byte.push_back(0x1f);
  write_plain(dir / "images.gz", lone_byte);
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images.gz", dir / "labels"),
                       doctest::Contains("trailing data after the gzip stream"), ddnn::error);

  // The same for the label file, and after a prefix the garbage is not read.
  auto labels = gzip(set.labels_file(), dir);
  labels.push_back(0);
  write_plain(dir / "labels.gz", labels);
  write_plain(dir / "images", images);
  const std::string label_error =
      "labels file " + (dir / "labels.gz").string() + ": trailing data after the gzip stream";
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images", dir / "labels.gz"),
                       doctest::Contains(label_error.c_str()), ddnn::error);
  CHECK(load_idx(dir / "images", dir / "labels.gz", 4).count == 4);

  // Several members (cat a.gz b.gz, or a split header and data) read as one stream, also when
  // one of them is empty; garbage after the last one is still an error.
  const Bytes head(images.begin(), images.begin() + 10), tail(images.begin() + 10, images.end());
  auto members = gzip(head, dir);
  for (const auto& part : {gzip({}, dir), gzip(tail, dir)})
    members.insert(members.end(), part.begin(), part.end());
  write_plain(dir / "images.gz", members);
  const auto loaded = load_idx(dir / "images.gz", dir / "labels");
  CHECK(loaded.pixels == set.pixels);
  CHECK(loaded.labels == set.labels);
  members.push_back('x');
  write_plain(dir / "images.gz", members);
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images.gz", dir / "labels"),
                       doctest::Contains("trailing data after the gzip stream"), ddnn::error);

  // The stream ends inside the data, then garbage: the garbage is what is reported.
  auto short_member = gzip(Bytes(images.begin(), images.end() - 100), dir);
  short_member.push_back('x');
  write_plain(dir / "images.gz", short_member);
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images.gz", dir / "labels"),
                       doctest::Contains("trailing data after the gzip stream"), ddnn::error);

  // A second member that is damaged is corrupt data, and one cut short is a truncation.
  auto bad_second = gzip(head, dir);
  const auto second = gzip(tail, dir);
  bad_second.insert(bad_second.end(), second.begin(), second.end());
  bad_second.at(bad_second.size() - second.size() + 2) = 7;  // compression method 7: unknown
  write_plain(dir / "images.gz", bad_second);
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images.gz", dir / "labels"),
                       doctest::Contains("corrupt gzip data (unknown compression method)"),
                       ddnn::error);
  auto cut_second = gzip(head, dir);
  cut_second.insert(cut_second.end(), second.begin(), second.begin() + 2);
  write_plain(dir / "images.gz", cut_second);
  CHECK_THROWS_WITH_AS(
      (void)load_idx(dir / "images.gz", dir / "labels"),
      doctest::Contains("truncated: the gzip stream ends early (unexpected end of file)"),
      ddnn::error);
}

TEST_CASE("classes = 0 is rejected up front, without an underflowed range") {
  const ScratchDir dir;
  const SmallSet set;
  write_plain(dir / "images", set.images_file());
  write_plain(dir / "labels", set.labels_file());
  for (const auto& images : {dir / "images", dir / "absent"}) {
    try {
      (void)load_idx(images, dir / "labels", all_samples, 0);
      FAIL("classes = 0 loaded");
    } catch (const ddnn::error& e) {
      const std::string message = e.what();
      CHECK(message.find("classes is 0") != std::string::npos);
      CHECK(message.find("18446744073709551615") == std::string::npos);
    }
  }
  CHECK_THROWS_WITH_AS(
      (void)load_idx_from_memory(set.images_file(), set.labels_file(), all_samples, 0),
      doctest::Contains("classes is 0"), ddnn::error);
  // One class is the smallest valid set: only label 0.
  write_plain(dir / "labels", idx_labels(5, {0, 0, 0, 0, 0}));
  CHECK(load_idx(dir / "images", dir / "labels", all_samples, 1).count == 5);
  write_plain(dir / "labels", set.labels_file());
  CHECK_THROWS_WITH_AS((void)load_idx(dir / "images", dir / "labels", all_samples, 1),
                       doctest::Contains("label 3 of image 0 is out of range (classes 0..0)"),
                       ddnn::error);
}

TEST_CASE("IDX bytes in memory read as the same files do") {
  const ScratchDir dir;
  const SmallSet set;
  const auto images = set.images_file();
  const auto labels = set.labels_file();
  const auto plain = load_idx_from_memory(images, labels);
  CHECK(plain.count == 5);
  CHECK(plain.rows == 28);
  CHECK(plain.pixels == set.pixels);
  CHECK(plain.labels == set.labels);
  const auto compressed = load_idx_from_memory(gzip(images, dir), gzip(labels, dir), 3);
  CHECK(compressed.count == 3);
  CHECK(compressed.count_in_file == 5);
  CHECK(compressed.pixels == Bytes(set.pixels.begin(), set.pixels.begin() + 3 * 784));

  // The shipped test set, compressed as distributed, through memory.
  const auto read_file = [](const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  const auto t10k = load_idx_from_memory(read_file(shipped_mnist / "t10k-images-idx3-ubyte.gz"),
                                         read_file(shipped_mnist / "t10k-labels-idx1-ubyte.gz"));
  CHECK(t10k.count == 10000);
  CHECK(pixel_sum(t10k.pixels) == 264923200);

  // Errors say where the bytes are instead of naming a file.
  CHECK_THROWS_WITH_AS((void)load_idx_from_memory(Bytes{}, labels),
                       doctest::Contains("MNIST/IDX images file (in memory): truncated: the file "
                                         "ends inside the header"),
                       ddnn::error);
  CHECK_THROWS_WITH_AS(
      (void)load_idx_from_memory(images, idx_labels(4, {1, 2, 3, 4})),
      doctest::Contains("holds 5 images but the labels file (in memory) holds 4 labels"),
      ddnn::error);
  auto garbage = gzip(labels, dir);
  garbage.push_back('!');
  CHECK_THROWS_WITH_AS((void)load_idx_from_memory(images, garbage),
                       doctest::Contains("MNIST/IDX labels file (in memory): trailing data after "
                                         "the gzip stream"),
                       ddnn::error);
  auto cut = gzip(images, dir);
  cut.resize(cut.size() / 2);
  CHECK_THROWS_WITH_AS((void)load_idx_from_memory(cut, labels),
                       doctest::Contains("truncated: the gzip stream ends early"), ddnn::error);
}
