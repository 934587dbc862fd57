// Writes every device of the export cases (export_cases.hpp) as a freestanding header, with
// recorded inputs and the messages the library computes for them, into the directory given:
//   <case>_dev<d>.hpp          namespace <case>_dev<d>: the exported device
//   <case>_dev<d>_vectors.hpp  namespace <case>_dev<d>_vectors: inputs, messages, accepted
//   exported_devices.hpp       includes them all; DDNN_EXPORTED_DEVICES(X) lists the names
//   fma_vectors.hpp            fma(a, b, c) as this host's C library computes it (exactly, one
//                              rounding), for the engine's own fma on cores without one
// The host test and the Cortex-M check program (tests/mcu) compile and run them.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "ddnn/export/export_device.hpp"
#include "export_cases.hpp"

namespace {
using namespace export_cases;
namespace fs = std::filesystem;

constexpr int vectors_per_device = 24;

std::string byte_rows(const std::vector<std::vector<std::uint8_t>>& rows) {
  std::string s;
  for (const auto& row : rows) {
    s += "    {";
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) s += ',';
      s += std::to_string(row[i]);
    }
    s += "},\n";
  }
  return s;
}

template <class Graph>
void export_case(const fs::path& dir, const std::string& name, std::uint64_t seed,
                 std::string& index, std::string& list) {
  const Graph graph = make<Graph>(seed);
  std::mt19937 rng(std::uint32_t(seed * 7 + 1));
  using Value = typename Graph::sensor::value_type;
  for (std::size_t d = 0; d < Graph::devices; ++d) {
    const std::string ns = name + "_dev" + std::to_string(d);
    const ddnn::exported_device e = ddnn::export_device(
        graph, d, dir / (ns + ".hpp"),
        {.name_space = ns, .note = "export test case " + name + ", seed " + std::to_string(seed)});
    std::vector<std::vector<std::uint8_t>> inputs, messages;
    std::string accepted;
    for (int v = 0; v < vectors_per_device; ++v) {
      auto input = random_input<Graph>(rng);
      if constexpr (std::is_same_v<Value, float>) {  // two inputs the device must refuse
        if (v == 5) input.values()[input.values().size() / 2] = NAN;
        if (v == 6) input.values()[0] = -INFINITY;
      }
      std::vector<std::uint8_t> bytes;
      for (Value x : input.values()) {
        if constexpr (std::is_same_v<Value, float>) {
          const auto b = std::bit_cast<std::uint32_t>(x);
          for (int i = 0; i < 4; ++i) bytes.push_back(std::uint8_t(b >> (8 * i)));
        } else {
          bytes.push_back(std::bit_cast<std::uint8_t>(x));
        }
      }
      inputs.push_back(bytes);
      bool ok = true;
      std::vector<std::uint8_t> message(e.message_bytes, 0);
      try {
        message = ddnn::device_message(graph, d, input);
      } catch (const ddnn::error&) {
        ok = false;
      }
      messages.push_back(message);
      accepted += ok ? "true," : "false,";
    }
    std::string v = "// Recorded inputs of " + ns + " and the library's messages for them.\n";
    v += "#pragma once\n#include <cstdint>\nnamespace " + ns + "_vectors {\n";
    v += "inline constexpr int count = " + std::to_string(vectors_per_device) + ";\n";
    v += "inline constexpr std::uint8_t inputs[count][" + std::to_string(e.input_bytes) +
         "] = {\n" + byte_rows(inputs) + "};\n";
    v += "inline constexpr std::uint8_t messages[count][" + std::to_string(e.message_bytes) +
         "] = {\n" + byte_rows(messages) + "};\n";
    v += "inline constexpr bool accepted[count] = {" + accepted + "};\n}\n";
    ddnn::io::write_file_atomically(dir / (ns + "_vectors.hpp"),
                                    std::span<const char>(v.data(), v.size()));
    index += "#include \"" + ns + ".hpp\"\n#include \"" + ns + "_vectors.hpp\"\n";
    list += " X(" + ns + ")";
  }
}
/// a, b, c whose exact a * b + c lies a hair off the midpoint between two floats (c has an odd
/// last bit, a * b is just under half its ulp): rounding to double first lands on the midpoint,
/// and then to float on the wrong side about four times in five.
void double_rounding_trap(std::mt19937& rng, float& a, float& b, float& c) {
  c = std::bit_cast<float>((std::uint32_t(rng()) & 0x3effffffu) | 0x00800001u);
  if (rng() % 2) c = -c;
  a = std::ldexp(1.0f, std::ilogb(c) - 24) * (1.0f + std::ldexp(1.0f, -23));
  b = (rng() % 2 ? 1.0f : -1.0f) * (1.0f - std::ldexp(1.0f, -23));
  if (std::signbit(c)) a = -a;
}

/// Random a, b, c for fma(a, b, c): logit-head-like (b an integer sum) and general, with c
/// near a * b's rounding boundary so that rounding twice would show.
void write_fma_vectors(const fs::path& dir) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  // unit(rng) * 2^exponent: the exponent, an argument, is drawn before the body draws the unit
  // value (within one call's arguments the order of draws would be the compiler's)
  auto scaled = [&](int exponent) { return std::ldexp(unit(rng), exponent); };
  std::string s = "// fma(a, b, c) bit patterns and this host's exactly rounded results.\n";
  s += "#pragma once\n#include <cstdint>\nnamespace fma_vectors {\n";
  constexpr int count = 3000;
  s += "inline constexpr int count = " + std::to_string(count) + ";\n";
  s += "inline constexpr std::uint32_t abcr[count][4] = {\n";
  for (int i = 0; i < count; ++i) {
    float a = scaled(int(rng() % 41) - 20);
    float b = i % 2 ? float(int(rng() % 2001) - 1000) : scaled(int(rng() % 41) - 20);
    float c =
        i % 3 == 0 ? unit(rng) : float(double(a) * double(b) * double(scaled(-int(rng() % 40))));
    if (i % 3 == 2) double_rounding_trap(rng, a, b, c);
    const float r = std::fmaf(a, b, c);
    s += "    {" + ddnn::detail::device_writer::hex(std::bit_cast<std::uint32_t>(a)) + ", " +
         ddnn::detail::device_writer::hex(std::bit_cast<std::uint32_t>(b)) + ", " +
         ddnn::detail::device_writer::hex(std::bit_cast<std::uint32_t>(c)) + ", " +
         ddnn::detail::device_writer::hex(std::bit_cast<std::uint32_t>(r)) + "},\n";
  }
  s += "};\n}  // namespace fma_vectors\n";
  ddnn::io::write_file_atomically(dir / "fma_vectors.hpp",
                                  std::span<const char>(s.data(), s.size()));
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output directory>\n", argv[0]);
    return 2;
  }
  try {
    const fs::path dir = argv[1];
    fs::create_directories(dir);
    std::string index = "// Every exported test device and its recorded vectors.\n#pragma once\n";
    std::string list;
    export_case<main_job>(dir, "main_job", 1, index, list);
    export_case<int8_deep>(dir, "int8_deep", 2, index, list);
    export_case<float_wide>(dir, "float_wide", 3, index, list);
    export_case<no_exit>(dir, "no_exit", 4, index, list);
    export_case<single_layer>(dir, "single_layer", 5, index, list);
    index += "#define DDNN_EXPORTED_DEVICES(X)" + list + "\n";
    write_fma_vectors(dir);
    ddnn::io::write_file_atomically(dir / "exported_devices.hpp",
                                    std::span<const char>(index.data(), index.size()));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "generate_exported_devices: %s\n", e.what());
    return 1;
  }
  return 0;
}
