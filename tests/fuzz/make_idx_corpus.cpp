// Writes the IDX fuzzer's seed corpus (tests/fuzz/idx_corpus) in fuzz_idx.cpp's input format:
// small valid image/label pairs, plain and gzip (one member or several), and near-valid ones
// each with one defect. Run it again when that format changes:
//   g++ -std=c++20 tests/fuzz/make_idx_corpus.cpp -lz -o /tmp/make_idx_corpus
//   /tmp/make_idx_corpus tests/fuzz/idx_corpus
#include <zlib.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>
using Bytes = std::vector<std::uint8_t>;

Bytes be32(std::uint32_t v) {
  return {std::uint8_t(v >> 24), std::uint8_t(v >> 16), std::uint8_t(v >> 8), std::uint8_t(v)};
}
Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
Bytes images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols) {
  Bytes out = cat(cat(cat(Bytes{0, 0, 8, 3}, be32(count)), be32(rows)), be32(cols));
  for (std::uint32_t i = 0; i < count * rows * cols; ++i) out.push_back(std::uint8_t(i * 37));
  return out;
}
Bytes labels(const Bytes& values) {
  return cat(cat(Bytes{0, 0, 8, 1}, be32(std::uint32_t(values.size()))), values);
}
Bytes gzip(const Bytes& in) {  // one gzip member
  z_stream s{};
  deflateInit2(&s, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  Bytes out(deflateBound(&s, uLong(in.size())) + 32);
  s.next_in = const_cast<Bytef*>(in.data());
  s.avail_in = uInt(in.size());
  s.next_out = out.data();
  s.avail_out = uInt(out.size());
  deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}
// fuzz_idx.cpp's input: image length, limit (255: all), classes, image file, label file.
Bytes input(const Bytes& image_file, const Bytes& label_file, std::uint8_t limit = 255,
            std::uint8_t classes = 10) {
  Bytes out{std::uint8_t(image_file.size()), std::uint8_t(image_file.size() >> 8), limit, classes};
  return cat(cat(out, image_file), label_file);
}

int main(int, char** argv) {
  const std::string dir = argv[1];
  const auto write = [&](const std::string& name, const Bytes& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  };
  const Bytes small = images(3, 2, 2), small_labels = labels({3, 1, 4});
  const Bytes four = images(4, 4, 4), four_labels = labels({0, 9, 2, 7});
  write("valid_plain.bin", input(small, small_labels));
  write("valid_gzip.bin", input(gzip(four), gzip(four_labels)));
  const Bytes head(four.begin(), four.begin() + 16), tail(four.begin() + 16, four.end());
  write("valid_gzip_members.bin", input(cat(gzip(head), gzip(tail)), four_labels));
  write("valid_limit.bin", input(gzip(four), four_labels, 2, 10));

  write("invalid_gzip_garbage.bin", input(cat(gzip(four), {'g', 'a', 'r', 'b'}), four_labels));
  const Bytes compressed = gzip(four);
  write("invalid_gzip_truncated.bin",
        input(Bytes(compressed.begin(), compressed.end() - 6), four_labels));
  Bytes bad_crc = compressed;
  bad_crc[bad_crc.size() - 8] ^= 1;
  write("invalid_gzip_crc.bin", input(bad_crc, four_labels));
  write("invalid_trailing.bin", input(small, cat(small_labels, {5})));
  write("invalid_counts.bin", input(small, labels({3, 1})));
  write("invalid_label.bin", input(small, small_labels, 255, 4));
  write("invalid_classes.bin", input(small, small_labels, 255, 0));
  Bytes absurd = small, absurd_labels = small_labels;  // more pixels than max_idx_load_bytes
  for (int i = 4; i < 8; ++i) absurd[i] = absurd_labels[i] = 0xff;
  write("invalid_size.bin", input(absurd, absurd_labels));
}
