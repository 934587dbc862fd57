// Writes the tier-message fuzzer's seed corpus (tests/fuzz/message_corpus): one sample's
// messages of every tier of the graph in message_graph.hpp, one with a device absent, and
// near-valid ones each with one defect. Run it again when the wire format changes:
//   g++ -std=c++20 -Iinclude -Itests/fuzz -isystem /usr/include/eigen3 \
//       tests/fuzz/make_message_corpus.cpp -o /tmp/make_message_corpus
//   /tmp/make_message_corpus tests/fuzz/message_corpus
#include <bit>
#include <cstdint>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ddnn/graph/random_parameters.hpp"
#include "message_graph.hpp"
using namespace ddnn_fuzz;
using Bytes = std::vector<std::uint8_t>;
int main(int, char** argv) {
  const std::string dir = argv[1];
  const auto write = [&](const std::string& name, const Bytes& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  };
  const message_model g(ddnn::random_parameters<message_model>(3, 0.6));
  message_model::inputs_type in;
  std::mt19937 rng(1);
  for (auto& t : in)
    for (auto& v : t.values()) v = std::uint8_t(rng());
  const auto s0 = g.step_devices(in, ddnn::Presence::all(3));
  const auto s1 = g.step<1>(s0.message);
  const auto s2 = g.step<2>(s1.message);
  const auto s3 = g.step<3>(s2.message);
  write("valid_tier0.bin", s0.message.serialize());
  write("valid_tier0_absent.bin", g.step_devices(in, ddnn::Presence(0b101)).message.serialize());
  write("valid_tier1.bin", s1.message.serialize());
  write("valid_tier2.bin", s2.message.serialize());
  write("valid_tier3.bin", s3.message.serialize());
  write("valid_tier0_none.bin", g.step_devices(in, ddnn::Presence(0)).message.serialize());
  // the devices' logits over the int8 link (rounded by the devices, 1 + |C| bytes each)
  auto p8 = ddnn::random_parameters<message_model>(3, 0.6);
  p8.tier<0>().logits_link = ddnn::LogitsEncoding::int8;
  const message_model g8(p8);
  const Bytes t8 =
      g8.step_devices(in, ddnn::Presence::all(3)).message.serialize(ddnn::LogitsEncoding::int8);
  write("valid_tier0_int8.bin", t8);
  auto w = t8;
  w[24] = 0x81;  // device 0's exponent byte: -127, below the link's range
  write("invalid_int8_exponent.bin", w);

  const Bytes t0 = s0.message.serialize(), t2 = s2.message.serialize();
  write("invalid_truncated.bin", Bytes(t0.begin(), t0.end() - 1));
  write("invalid_header.bin", Bytes(t0.begin(), t0.begin() + 20));
  auto v = t0;
  v[0] = 'X';
  write("invalid_magic.bin", v);
  v = t0;
  v[4] = 2;
  write("invalid_version.bin", v);
  v = t0;
  v[16] = 0b1000;  // a fourth device of three
  write("invalid_presence.bin", v);
  v = t0;
  v.back() |= 0x80;  // device 2's map holds 75 bits: the last byte's top bits are spare
  write("invalid_spare_bits.bin", v);
  v = t2;
  const auto nan = std::bit_cast<std::uint32_t>(std::numeric_limits<float>::quiet_NaN());
  for (int b = 0; b < 4; ++b) v[v.size() - 4 + b] = std::uint8_t(nan >> (8 * b));
  write("invalid_nan.bin", v);
}
