// Runs an exported device on recorded inputs and compares each message with the one the library
// computed, byte for byte. Freestanding like the exported headers (no ddnn, no heap, no libm), so
// the same check runs on the host and on a microcontroller under qemu-system-arm.
#pragma once
#include <array>
#include <bit>
#include <cstdint>
#include <span>

namespace export_check {

struct outcome {
  int vectors = 0;      ///< inputs run
  int mismatches = 0;   ///< inputs whose message (or acceptance) differed
  int first_bad = -1;   ///< the first such input
  int first_byte = -1;  ///< its first differing message byte (-1: acceptance differed)
};

/// Sensor value i of a recorded input (little-endian bytes).
template <class Value>
Value value_at(const std::uint8_t* bytes, std::size_t i) noexcept {
  if constexpr (sizeof(Value) == 4) {
    const std::uint32_t b = std::uint32_t(bytes[4 * i]) | std::uint32_t(bytes[4 * i + 1]) << 8 |
                            std::uint32_t(bytes[4 * i + 2]) << 16 |
                            std::uint32_t(bytes[4 * i + 3]) << 24;
    return std::bit_cast<Value>(b);
  } else {
    return std::bit_cast<Value>(bytes[i]);
  }
}

/// `Device` is a struct naming an exported device's types and forward (see DDNN_DEVICE_TRAITS).
template <class Device, std::size_t InputBytes, std::size_t MessageBytes>
outcome run(const std::uint8_t (*inputs)[InputBytes], const std::uint8_t (*messages)[MessageBytes],
            const bool* accepted, int count) noexcept {
  outcome o;
  typename Device::input_type input{};
  typename Device::scratch_type scratch{};
  typename Device::message_type message{};
  for (int v = 0; v < count; ++v, ++o.vectors) {
    for (std::size_t i = 0; i < input.size(); ++i)
      input[i] = value_at<typename Device::input_value>(inputs[v], i);
    const bool ok = Device::forward(input, scratch, message);
    int bad = ok == accepted[v] ? -2 : -1;
    for (std::size_t b = 0; ok && bad == -2 && b < MessageBytes; ++b)
      if (message[b] != messages[v][b]) bad = int(b);
    if (bad != -2) {
      if (o.mismatches++ == 0) o.first_bad = v, o.first_byte = bad;
    }
  }
  return o;
}

}  // namespace export_check

/// The types and forward of the exported device in namespace `ns`, as a struct for run<>.
#define DDNN_DEVICE_TRAITS(ns)                                                            \
  struct ns##_traits {                                                                    \
    using input_value = ns::input_value;                                                  \
    using input_type = ns::input_type;                                                    \
    using scratch_type = ns::scratch_type;                                                \
    using message_type = ns::message_type;                                                \
    static bool forward(const input_type& i, scratch_type& s, message_type& m) noexcept { \
      return ns::forward(i, s, m);                                                        \
    }                                                                                     \
  };
