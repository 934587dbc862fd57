// Message helpers the MQTT tests share: text payloads, subscribing and waiting for the broker's
// confirmation, and collecting what arrives.
#pragma once
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ddnn/runtime/mqtt_transport.hpp"

namespace fixtures {

inline std::vector<std::uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }
inline std::string text(const std::vector<std::uint8_t>& bytes) {
  return {bytes.begin(), bytes.end()};
}

/// The transport's clock `delay` from now.
inline ddnn::runtime::clock_time in(const ddnn::runtime::MqttTransport& transport,
                                    std::chrono::milliseconds delay) {
  return transport.now() + delay;
}

inline ddnn::runtime::outgoing_message message(std::string topic, std::string_view payload,
                                               bool retain = false) {
  return ddnn::runtime::message_to(std::move(topic), bytes(payload), retain);
}

/// Subscribes to `filters` and requires the broker to confirm them within 5 s.
inline void subscribe(ddnn::runtime::MqttTransport& transport,
                      const std::vector<std::string>& filters) {
  for (const std::string& filter : filters) transport.subscribe(filter);
  REQUIRE(transport.wait_subscribed(in(transport, std::chrono::seconds(5))));
}

/// Every message that arrives within `window` (the window restarts after each one).
inline std::vector<ddnn::runtime::received_message> drain(ddnn::runtime::MqttTransport& transport,
                                                          std::chrono::milliseconds window) {
  std::vector<ddnn::runtime::received_message> out;
  while (auto m = transport.receive(in(transport, window))) out.push_back(std::move(*m));
  return out;
}

}  // namespace fixtures
