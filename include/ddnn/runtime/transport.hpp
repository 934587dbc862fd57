// The runtime's one view of a network: publish bytes on a topic, subscribe to topic filters, and
// receive what arrives. Roles (device, aggregator, worker, answer sink) are written against it
// and never see MQTT; two implementations exist: MQTT v5 through libmosquitto (component
// ddnn::mqtt, runtime/mqtt_transport.hpp) and an in-process network with a seeded fault injector
// for deterministic tests (runtime/in_process.hpp).
//
// Topics use MQTT's syntax: levels separated by '/', filters with '+' (one level) and '#' (the
// rest), and shared subscriptions "$share/<group>/<filter>" that hand each message to one member
// of the group in turn. Delivery is at most once per hop and unordered: the runtime's roles own
// deadlines, retries and duplicate suppression, so no implementation promises more.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ddnn/core/config.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

/// Time on the runtime's clock: a steady clock for real processes, virtual time in-process.
using clock_time = std::chrono::nanoseconds;

/// How hard a transport tries to deliver a message. at_least_once (the default) keeps it until
/// the broker acknowledged it and sends it again after a reconnection (MQTT QoS 1).
/// at_most_once sends it once (QoS 0): for the many small per-sample messages whose loss the
/// protocol already covers with deadlines and re-sensing, at half the packets.
enum class delivery : std::uint8_t { at_least_once, at_most_once };

/// A message to publish. `response_topic` and `correlation` are MQTT v5 request/response
/// properties (a worker answers on the response topic with the same correlation data);
/// `expiry` (0: none) lets a broker drop a message that waited too long.
struct outgoing_message {
  std::string topic;
  std::vector<std::uint8_t> payload;
  bool retain = false;
  std::string response_topic;
  std::vector<std::uint8_t> correlation;
  std::chrono::seconds expiry{0};
  delivery guarantee = delivery::at_least_once;
};

/// A message to `topic` (the common case: no properties).
[[nodiscard]] inline outgoing_message message_to(std::string topic,
                                                 std::vector<std::uint8_t> payload,
                                                 bool retain = false) {
  outgoing_message m;
  m.topic = std::move(topic);
  m.payload = std::move(payload);
  m.retain = retain;
  return m;
}
/// A message to `topic` sent with `guarantee`.
[[nodiscard]] inline outgoing_message message_to(std::string topic,
                                                 std::vector<std::uint8_t> payload,
                                                 delivery guarantee) {
  outgoing_message m = message_to(std::move(topic), std::move(payload));
  m.guarantee = guarantee;
  return m;
}

/// A message as it arrived: its topic (the publisher's, not the filter), payload and properties.
struct received_message {
  std::string topic;
  std::vector<std::uint8_t> payload;
  bool retained = false;  ///< delivered from the broker's retained store on subscribing
  std::string response_topic;
  std::vector<std::uint8_t> correlation;
};

/// What roles publish through.
class Publisher {
 public:
  virtual ~Publisher() = default;
  /// Queues `message` for sending; never blocks on the network. Throws ddnn::error when the
  /// transport is closed for good (a lost connection is retried by the transport, not thrown).
  virtual void publish(outgoing_message message) = 0;
};

/// A connection: publishes, subscribes and hands over what arrives, one message at a time, to a
/// single consumer thread.
class Transport : public Publisher {
 public:
  /// Subscribes to `filter` (QoS 1); subscriptions survive reconnects.
  virtual void subscribe(const std::string& filter) = 0;
  /// The next message that arrived, waiting until `deadline` at the latest (a deadline in the
  /// past polls). std::nullopt when none arrived in time.
  [[nodiscard]] virtual std::optional<received_message> receive(clock_time deadline) = 0;
  /// Now on this transport's clock.
  [[nodiscard]] virtual clock_time now() const = 0;
};

/// A node's Last Will: what the broker publishes on the node's behalf when it vanishes (a
/// killed process, a lost connection), set before connecting.
struct last_will {
  std::string topic;
  std::vector<std::uint8_t> payload;
  bool retain = true;
};

/// Whether `topic` matches the subscription `filter` ('+' one level, '#' the rest; a
/// "$share/<group>/" prefix is ignored here, the group only decides who of several gets it).
[[nodiscard]] inline bool topic_matches(std::string_view filter, std::string_view topic) noexcept {
  constexpr std::string_view share = "$share/";
  if (filter.substr(0, share.size()) == share) {
    const std::size_t group_end = filter.find('/', share.size());
    if (group_end == std::string_view::npos) return false;
    filter.remove_prefix(group_end + 1);
  }
  // Topics starting with '$' are not matched by filters starting with a wildcard.
  if (!topic.empty() && topic.front() == '$' && !filter.empty() &&
      (filter.front() == '+' || filter.front() == '#'))
    return false;
  while (true) {
    const std::size_t f_end = filter.find('/'), t_end = topic.find('/');
    const std::string_view f_level = filter.substr(0, f_end), t_level = topic.substr(0, t_end);
    if (f_level == "#") return true;
    if (f_level != "+" && f_level != t_level) return false;
    const bool f_last = f_end == std::string_view::npos, t_last = t_end == std::string_view::npos;
    if (f_last || t_last) {
      // "a/#" also matches "a" itself.
      return f_last == t_last || (t_last && filter.substr(f_end + 1) == "#");
    }
    filter.remove_prefix(f_end + 1);
    topic.remove_prefix(t_end + 1);
  }
}

/// The share group of a "$share/<group>/<filter>" subscription, or empty for a plain one.
[[nodiscard]] inline std::string_view share_group(std::string_view filter) noexcept {
  constexpr std::string_view share = "$share/";
  if (filter.substr(0, share.size()) != share) return {};
  const std::size_t group_end = filter.find('/', share.size());
  if (group_end == std::string_view::npos) return {};
  return filter.substr(share.size(), group_end - share.size());
}

}  // namespace runtime
DDNN_END_NAMESPACE
