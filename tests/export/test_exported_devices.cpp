// Exported devices against the library, on the host: every device of every export case
// (export_cases.hpp), written by generate_exported_devices and compiled into this test, must give
// the library's device message bit for bit on random inputs; the engine's fma must round once;
// export_device must refuse what it cannot export and write only freestanding code.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "check_error.hpp"
#include "ddnn/export/export_device.hpp"
#include "export_cases.hpp"
#include "exported_devices.hpp"

using namespace export_cases;

namespace {

/// Device `ns`'s forward against the library's step on `count` random inputs of the case.
template <class Graph, class Forward>
void compare_live(std::uint64_t seed, std::size_t device, Forward forward, int count) {
  const Graph graph = make<Graph>(seed);
  std::mt19937 rng(std::uint32_t(seed * 977 + device));
  std::size_t ones = 0, bits = 0;
  for (int v = 0; v < count; ++v) {
    const auto input = random_input<Graph>(rng);
    const std::vector<std::uint8_t> expected = ddnn::device_message(graph, device, input);
    std::vector<std::uint8_t> got(expected.size(), 0xee);
    REQUIRE(forward(input.values(), got));
    REQUIRE(got == expected);
    for (std::uint8_t b : got) ones += std::size_t(std::popcount(b)), bits += 8;
  }
  // The random thresholds must leave messages that say something (not all ones or zeros).
  CHECK(ones > bits / 10);
  CHECK(ones < bits * 9 / 10);
}

#define DDNN_FORWARD(ns)                                                    \
  [](std::span<const ns::input_value> in, std::vector<std::uint8_t>& out) { \
    ns::input_type input;                                                   \
    std::copy(in.begin(), in.end(), input.begin());                         \
    ns::scratch_type scratch;                                               \
    ns::message_type message;                                               \
    scratch.fill(0xdeadbeef);                                               \
    const bool ok = ns::forward(input, scratch, message);                   \
    REQUIRE(out.size() == message.size());                                  \
    std::copy(message.begin(), message.end(), out.begin());                 \
    return ok;                                                              \
  }

}  // namespace

TEST_CASE("export: every exported device equals the library's device step bit for bit") {
  constexpr int n = 300;
  compare_live<main_job>(1, 0, DDNN_FORWARD(main_job_dev0), n);
  compare_live<main_job>(1, 1, DDNN_FORWARD(main_job_dev1), n);
  compare_live<int8_deep>(2, 0, DDNN_FORWARD(int8_deep_dev0), n);
  compare_live<int8_deep>(2, 1, DDNN_FORWARD(int8_deep_dev1), n);
  compare_live<int8_deep>(2, 2, DDNN_FORWARD(int8_deep_dev2), n);
  compare_live<float_wide>(3, 0, DDNN_FORWARD(float_wide_dev0), n);
  compare_live<float_wide>(3, 1, DDNN_FORWARD(float_wide_dev1), n);
  compare_live<no_exit>(4, 0, DDNN_FORWARD(no_exit_dev0), n);
  compare_live<no_exit>(4, 1, DDNN_FORWARD(no_exit_dev1), n);
  compare_live<single_layer>(5, 0, DDNN_FORWARD(single_layer_dev0), n);
  compare_live<single_layer>(5, 1, DDNN_FORWARD(single_layer_dev1), n);
}

TEST_CASE("export: the sizes a header declares are what the device uses") {
  static_assert(main_job_dev0::input_bytes == 140);
  static_assert(main_job_dev0::classes == 10 && main_job_dev0::logits_bytes == 11);
  static_assert(main_job_dev0::int8_logits && !float_wide_dev0::int8_logits);
  static_assert(float_wide_dev0::logits_bytes == 12);
  static_assert(main_job_dev0::feature_values == 5 * 7 * 16 && main_job_dev0::feature_bytes == 70);
  static_assert(main_job_dev0::message_bytes == 81);
  // 10x14x16 bits after the first layer, 5x7x16 after the second: 70 + 18 words.
  static_assert(main_job_dev0::scratch_words == 88);
  static_assert(no_exit_dev0::classes == 0 && no_exit_dev0::message_bytes == (2 * 2 * 65 + 7) / 8);
  static_assert(float_wide_dev0::input_bytes == 8 * 8 * 2 * 4);
  const auto graph = make<main_job>(1);
  const ddnn::exported_device e = ddnn::export_device(graph, 1, {.name_space = "x", .note = ""});
  CHECK(e.input_bytes == 140);
  CHECK(e.message_bytes == 81);
  CHECK(e.scratch_bytes == 4 * 88);
  // Weights in word-aligned rows: a word of 9 tap bits per first-layer filter, 5 words of 144
  // tap bits per second-layer filter, 18 words (560 bits) per logit; 16 + 16 thresholds, one
  // flip word per layer, 10 scales and biases.
  CHECK(e.parameter_bytes == 4 * (16 + 16 + 1 + 16 * 5 + 16 + 1 + 10 * 18 + 10 + 10));
}

TEST_CASE("export: logit() reads a message's logits back as the library computed them") {
  const auto int8 = make<main_job>(1);
  const auto f32 = make<float_wide>(3);
  std::mt19937 rng(8);
  for (int v = 0; v < 50; ++v) {
    const auto input = random_input<main_job>(rng);
    main_job_dev1::input_type in;
    std::copy(input.values().begin(), input.values().end(), in.begin());
    main_job_dev1::scratch_type scratch;
    main_job_dev1::message_type message;
    REQUIRE(main_job_dev1::forward(in, scratch, message));
    const auto step = int8.step_device(1, input);
    for (std::size_t c = 0; c < 10; ++c) CHECK(main_job_dev1::logit(message, c) == step.logits[c]);

    const auto finput = random_input<float_wide>(rng);
    float_wide_dev0::input_type fin;
    std::copy(finput.values().begin(), finput.values().end(), fin.begin());
    float_wide_dev0::scratch_type fscratch;
    float_wide_dev0::message_type fmessage;
    if (!float_wide_dev0::forward(fin, fscratch, fmessage)) continue;
    const auto fstep = f32.step_device(0, finput);
    for (std::size_t c = 0; c < 3; ++c)
      CHECK(float_wide_dev0::logit(fmessage, c) == fstep.logits[c]);
  }
}

TEST_CASE("export: a float device refuses NaN and infinite input as the library does") {
  const auto graph = make<float_wide>(3);
  std::mt19937 rng(9);
  for (float bad : {NAN, INFINITY, -INFINITY}) {
    auto input = random_input<float_wide>(rng);
    input.values()[17] = bad;
    CHECK_THROWS_AS((void)graph.step_device(0, input), ddnn::error);
    float_wide_dev0::input_type in;
    std::copy(input.values().begin(), input.values().end(), in.begin());
    float_wide_dev0::scratch_type scratch;
    float_wide_dev0::message_type message;
    CHECK_FALSE(float_wide_dev0::forward(in, scratch, message));
  }
}

TEST_CASE("export: the engine's fma rounds once, like a fused multiply-add") {
  // This build has no fused instruction at hand (__FP_FAST_FMAF undefined on baseline x86-64),
  // so the engine's own exact path runs; std::fma is glibc's exactly rounded one.
#if defined(__x86_64__) && !defined(__FP_FAST_FMAF)
  std::mt19937 rng(5);
  auto finite = [&] {
    for (;;) {
      const float f = std::bit_cast<float>(std::uint32_t(rng()));
      if (std::isfinite(f)) return f;
    }
  };
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  // unit(rng) * 2^exponent: the exponent, an argument, is drawn before the body draws the unit
  // value (within one call's arguments the order of draws would be the compiler's)
  auto scaled = [&](int exponent) { return std::ldexp(unit(rng), exponent); };
  long differ = 0;
  for (int i = 0; i < 2'000'000; ++i) {
    float a, b, c;
    switch (i % 4) {
      case 0:  // any finite values
        a = finite(), b = finite(), c = finite();
        break;
      case 1:  // a logit head: scale, an integer sum, bias
        a = scaled(-int(rng() % 12)), b = float(int(rng() % 4001) - 2000), c = unit(rng);
        break;
      case 2:  // a hair off a midpoint between floats: rounding to double first would land on it
        c = std::bit_cast<float>((std::uint32_t(rng()) & 0x3effffffu) | 0x00800001u);
        if (rng() % 2) c = -c;
        a = std::ldexp(1.0f, std::ilogb(c) - 24) * (1.0f + std::ldexp(1.0f, -23));
        b = (rng() % 2 ? 1.0f : -1.0f) * (1.0f - std::ldexp(1.0f, -23));
        if (std::signbit(c)) a = -a;
        break;
      default:  // c close to -a*b, so the result cancels
        a = scaled(int(rng() % 60) - 30), b = scaled(int(rng() % 60) - 30);
        c = -float(double(a) * double(b)) * (1.0f + scaled(-int(rng() % 30)));
    }
    const float want = std::fma(a, b, c), got = main_job_dev0::engine::fma_exact(a, b, c);
    if (std::isnan(want) ? !std::isnan(got)
                         : std::bit_cast<std::uint32_t>(want) != std::bit_cast<std::uint32_t>(got))
      ++differ;
  }
  CHECK(differ == 0);
#else
  MESSAGE("this build's engine uses the hardware fused multiply-add");
#endif
}

TEST_CASE("export: bad requests are refused with a clear error") {
  const auto graph = make<main_job>(1);
  CHECK_ERROR((void)ddnn::export_device(graph, 2, {.name_space = "x", .note = ""}),
              "device 2 of 2");
  for (const char* bad : {"", "1abc", "a::", "::a", "a:b", "a-b", "a b", "a::::b"})
    CHECK_ERROR((void)ddnn::export_device(graph, 0, {.name_space = bad, .note = ""}),
                "not a C++ namespace name");
  for (const char* good : {"a", "_x1", "sensors::left", "a::b::c9"})
    CHECK_NOTHROW((void)ddnn::export_device(graph, 0, {.name_space = good, .note = ""}));
}

TEST_CASE("export: a header includes nothing but <array>, <bit>, <cstdint> and <span>") {
  const auto graph = make<float_wide>(3);
  const std::string h = ddnn::export_device(graph, 0, {.name_space = "n", .note = ""}).header;
  std::size_t at = 0, includes = 0;
  while ((at = h.find("#include", at)) != std::string::npos) {
    const std::string line = h.substr(at, h.find('\n', at) - at);
    CHECK_MESSAGE((line == "#include <array>" || line == "#include <bit>" ||
                   line == "#include <cstdint>" || line == "#include <span>"),
                  line);
    ++includes, ++at;
  }
  CHECK(includes == 4);
  for (const char* word : {"new ", "malloc", "throw", "typeid", "dynamic_cast", "std::vector",
                           "std::string", "sqrt", "exp(", "log("})
    CHECK_MESSAGE(h.find(word) == std::string::npos, word);
  CHECK(h.find("namespace n {") != std::string::npos);
}
