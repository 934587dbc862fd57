// The runtime's Transport over MQTT v5, through libmosquitto's C API (component ddnn::mqtt, which
// brings libmosquitto; its C++ wrapper cannot select protocol version 5, which the request/response
// properties need).
//
// libmosquitto runs its own network thread (mosquitto_loop_start): it sends what publish() queued,
// reconnects after a lost connection (with a growing delay) and runs the callbacks here, which put
// what arrives into a queue that receive() pops. Besides the calls made to wait (receive(),
// wait_subscribed(), flush()), only construction (connecting) and destruction (disconnecting) wait
// on the network.
//
// Delivery is QoS 1 (or QoS 0 for a message marked delivery::at_most_once), which is one hop: the
// broker acknowledges what it took, not what a subscriber processed, and a subscriber that dies
// with messages in hand loses them. The runtime's roles own
// deadlines and retries (runtime/transport.hpp); this class only counts what it dropped or what
// the broker refused (stats()).
//
// Liveness: a node's Last Will (MqttOptions::will) is published by the broker when the node's
// connection ends without a DISCONNECT: a killed process at once, a frozen or cut-off one after
// 1.5 keepalive periods. A clean disconnect (this class's destructor) discards the Will, so a node
// that wants to announce that it leaves publishes its offline status itself, calls flush(), and
// then destroys its transport.
#pragma once
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "ddnn/core/config.hpp"
#include "ddnn/core/error.hpp"
#include "ddnn/runtime/mqtt_options.hpp"
#include "ddnn/runtime/transport.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

namespace detail {

/// mosquitto_lib_init() once per process, before the first client is made.
inline void mosquitto_library() {
  static const int rc = mosquitto_lib_init();
  if (rc != MOSQ_ERR_SUCCESS)
    ddnn::detail::fail(std::string("MQTT: libmosquitto init failed: ") + mosquitto_strerror(rc));
}

/// The text of a libmosquitto error code; MOSQ_ERR_ERRNO takes errno, so call it right away.
inline std::string mosquitto_error_text(int rc) {
  if (rc == MOSQ_ERR_ERRNO) return std::error_code(errno, std::generic_category()).message();
  return mosquitto_strerror(rc);
}

/// Whether libmosquitto 2.0's network thread ends after a connection that ended with `rc` (the
/// on_disconnect code of a connection we did not close): a DISCONNECT from the broker (its reason
/// code: 0 or >= 0x80) leaves the client "disconnected", and mosquitto_loop_forever() gives up on
/// errors that retrying cannot fix. Anything else (a lost connection, a keepalive timeout) is
/// retried.
inline bool ends_network_thread(int rc) noexcept {
  if (rc == MQTT_RC_NORMAL_DISCONNECTION || rc >= 0x80) return true;
  switch (rc) {
    case MOSQ_ERR_NOMEM:
    case MOSQ_ERR_PROTOCOL:
    case MOSQ_ERR_INVAL:
    case MOSQ_ERR_NOT_FOUND:
    case MOSQ_ERR_TLS:
    case MOSQ_ERR_PAYLOAD_SIZE:
    case MOSQ_ERR_NOT_SUPPORTED:
    case MOSQ_ERR_AUTH:
    case MOSQ_ERR_ACL_DENIED:
    case MOSQ_ERR_UNKNOWN:
    case MOSQ_ERR_EAI:
    case MOSQ_ERR_PROXY:
      return true;
    default:
      return false;
  }
}

/// An owned MQTT v5 property list.
struct mosquitto_properties {
  mosquitto_property* list = nullptr;
  mosquitto_properties() = default;
  mosquitto_properties(const mosquitto_properties&) = delete;
  mosquitto_properties& operator=(const mosquitto_properties&) = delete;
  ~mosquitto_properties() { mosquitto_property_free_all(&list); }
};

}  // namespace detail

/// The runtime's Transport over an MQTT v5 broker. Publishing, subscribing and receiving follow
/// Transport; construction connects (and throws ddnn::error when the broker refuses or cannot be
/// reached in time), destruction disconnects cleanly. One consumer thread receives; publish() may
/// be called from several threads.
class MqttTransport final : public Transport {
 public:
  explicit MqttTransport(MqttOptions options);
  ~MqttTransport() override { shutdown(); }
  MqttTransport(const MqttTransport&) = delete;
  MqttTransport& operator=(const MqttTransport&) = delete;

  /// Queues `message` for sending at QoS 1 (QoS 0 when at_most_once: not queued while the
  /// connection is down) with its properties; never waits on the network. What
  /// libmosquitto refuses or what exceeds max_unacknowledged is counted in stats(), not thrown.
  /// Throws ddnn::error once the connection is closed for good: the broker refused a
  /// reconnection or sent a DISCONNECT, or TLS failed (libmosquitto stops retrying after those).
  void publish(outgoing_message message) override;
  /// Subscribes to `filter` (QoS 1) now if connected, and again after every reconnection.
  /// Retained messages are delivered once per subscription, not again when re-subscribing to a
  /// subscription that still exists. Throws ddnn::error for a malformed filter.
  void subscribe(const std::string& filter) override;
  [[nodiscard]] std::optional<received_message> receive(clock_time deadline) override;
  /// The steady clock's time since its epoch.
  [[nodiscard]] clock_time now() const override {
    return std::chrono::duration_cast<clock_time>(
        std::chrono::steady_clock::now().time_since_epoch());
  }

  /// Waits until the broker answered every subscription on the current connection (granted, or
  /// refused: counted in stats().subscribe_refused); false at `deadline`. A new node calls it
  /// before it announces itself, so that nothing sent in answer is missed.
  bool wait_subscribed(clock_time deadline);
  /// Waits until the broker acknowledged every message published so far; false at `deadline`.
  bool flush(clock_time deadline);

  [[nodiscard]] bool connected() const {
    const std::lock_guard lock(mutex_);
    return connected_;
  }
  [[nodiscard]] MqttStats stats() const {
    const std::lock_guard lock(mutex_);
    return stats_;
  }
  /// The last problem libmosquitto or the broker reported (empty: none), for diagnostics.
  [[nodiscard]] std::string last_error() const {
    const std::lock_guard lock(mutex_);
    return last_error_;
  }
  [[nodiscard]] const MqttOptions& options() const noexcept { return options_; }

 private:
  using steady = std::chrono::steady_clock;
  static steady::time_point to_time_point(clock_time t) {
    return steady::time_point(std::chrono::duration_cast<steady::duration>(t));
  }
  std::string where() const { return options_.host + ":" + std::to_string(options_.port); }

  void configure();
  void connect_and_wait();
  void shutdown() noexcept;
  // A SUBSCRIBE sent with packet id `mid` while connection `generation` was current.
  void note_subscribe_sent(int mid, std::uint64_t generation);

  // libmosquitto's callbacks, on its network thread. None may throw into C.
  void on_connect(int reason) noexcept;
  void on_disconnect(int rc) noexcept;
  void on_message(const mosquitto_message& message, const mosquitto_property* properties) noexcept;
  void on_publish(int mid, int reason) noexcept;
  void on_subscribe(int mid, int count, const int* granted) noexcept;
  void on_log(int level, const char* text) noexcept;
  // The network thread: mosquitto_loop_forever(), restarted after a lost connection.
  void network_loop() noexcept;
  // Sets or removes libmosquitto's log callback (on_log).
  void listen_to_log(bool on) noexcept;

  MqttOptions options_;
  mosquitto* mosq_ = nullptr;
  std::thread network_;  // runs network_loop()
  std::atomic<bool> closing_{false};

  mutable std::mutex mutex_;
  std::condition_variable changed_;  // connection state, acknowledgements, received messages
  bool connected_ = false;
  // libmosquitto's network thread has ended (a refused connection, a DISCONNECT from the broker,
  // a TLS failure...): nothing is sent or received any more. closed_reason_ says why.
  bool closed_ = false;
  std::string closed_reason_;
  std::uint64_t generation_ = 0;          // successful connections so far
  std::vector<std::string> filters_;      // every subscription, re-sent on each connection
  std::map<int, std::uint64_t> pending_;  // SUBSCRIBE packet id -> connection generation
  std::set<int> early_acks_;              // SUBACKs that came before their id was noted
  // Packet ids of QoS 0 messages handed to libmosquitto and not written yet (its publish callback
  // does not say which QoS a message had). Held across the publish call that makes the id.
  std::mutex publishing_once_;
  std::set<int> at_most_once_;
  std::deque<received_message> received_;  // waiting for receive()
  MqttStats stats_;
  std::string last_error_;
};

inline MqttTransport::MqttTransport(MqttOptions options) : options_(std::move(options)) {
  const auto& o = options_;
  ddnn::detail::require(!o.host.empty(), "MQTT: no broker host given");
  ddnn::detail::require(o.port > 0 && o.port <= 65535, "MQTT: port out of range 1..65535");
  ddnn::detail::require(o.keepalive.count() >= 5 && o.keepalive.count() <= 65535,
                        "MQTT: keepalive must be 5..65535 s (libmosquitto refuses less than 5 s)");
  ddnn::detail::require(o.clean_start || !o.client_id.empty(),
                        "MQTT: a persistent session (clean_start = false) needs a client_id");
  ddnn::detail::require(o.session_expiry.count() >= 0 &&
                            o.session_expiry.count() <= std::numeric_limits<std::uint32_t>::max(),
                        "MQTT: session_expiry out of range");
  ddnn::detail::require(o.connect_timeout.count() > 0, "MQTT: connect_timeout must be positive");
  ddnn::detail::require(
      o.reconnect_delay.count() >= 1 && o.reconnect_delay_max >= o.reconnect_delay,
      "MQTT: reconnect delays must satisfy 1 ms <= reconnect_delay <= "
      "reconnect_delay_max");
  ddnn::detail::require(o.max_unacknowledged > 0 && o.max_received > 0,
                        "MQTT: max_unacknowledged and max_received must be positive");
  if (o.tls) {
    ddnn::detail::require(!o.tls->ca_file.empty(), "MQTT: TLS needs a ca_file");
    ddnn::detail::require(
        o.tls->cert_file.empty() == o.tls->key_file.empty(),
        "MQTT: a TLS client certificate needs its key file, and the other way round");
  }
  if (o.will) {
    ddnn::detail::require(!o.will->topic.empty() &&
                              mosquitto_pub_topic_check(o.will->topic.c_str()) == MOSQ_ERR_SUCCESS,
                          "MQTT: the Last Will's topic is not a valid topic name");
  }

  detail::mosquitto_library();
  mosq_ = mosquitto_new(o.client_id.empty() ? nullptr : o.client_id.c_str(), o.clean_start, this);
  if (mosq_ == nullptr)
    ddnn::detail::fail("MQTT: cannot create a client: " +
                       std::error_code(errno, std::generic_category()).message());
  try {
    configure();
    connect_and_wait();
  } catch (...) {
    shutdown();
    throw;
  }
}

inline void MqttTransport::publish(outgoing_message message) {
  const bool once = message.guarantee == delivery::at_most_once;
  {
    const std::lock_guard lock(mutex_);
    if (closed_)
      ddnn::detail::fail("MQTT: the connection to the broker at " + where() +
                         " is closed for good: " + closed_reason_);
    const std::uint64_t unacknowledged = once ? 0
                                         : stats_.published > stats_.acknowledged
                                             ? stats_.published - stats_.acknowledged
                                             : 0;
    if (unacknowledged >= options_.max_unacknowledged) {
      ++stats_.publish_dropped;
      return;
    }
  }
  const auto failed = [&](const std::string& why) {
    const std::lock_guard lock(mutex_);
    ++stats_.publish_failed;
    last_error_ = "publish on '" + message.topic + "': " + why;
  };
  detail::mosquitto_properties properties;
  int rc = MOSQ_ERR_SUCCESS;
  if (!message.response_topic.empty())
    rc = mosquitto_property_add_string(&properties.list, MQTT_PROP_RESPONSE_TOPIC,
                                       message.response_topic.c_str());
  if (rc == MOSQ_ERR_SUCCESS && !message.correlation.empty()) {
    if (message.correlation.size() > std::numeric_limits<std::uint16_t>::max())
      return failed("correlation data longer than 65535 bytes");
    rc = mosquitto_property_add_binary(&properties.list, MQTT_PROP_CORRELATION_DATA,
                                       message.correlation.data(),
                                       std::uint16_t(message.correlation.size()));
  }
  if (rc == MOSQ_ERR_SUCCESS && message.expiry.count() > 0) {
    const auto seconds = std::min<std::chrono::seconds::rep>(
        message.expiry.count(), std::numeric_limits<std::uint32_t>::max());
    rc = mosquitto_property_add_int32(&properties.list, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL,
                                      std::uint32_t(seconds));
  }
  if (rc != MOSQ_ERR_SUCCESS) return failed("properties: " + detail::mosquitto_error_text(rc));
  if (message.payload.size() > MQTT_MAX_PAYLOAD) return failed("payload too large");
  if (once) {
    {
      const std::lock_guard noting(publishing_once_);
      int mid = 0;
      rc = mosquitto_publish_v5(mosq_, &mid, message.topic.c_str(), int(message.payload.size()),
                                message.payload.data(), 0, message.retain, properties.list);
      if (rc == MOSQ_ERR_SUCCESS) at_most_once_.insert(mid);
    }
    const std::lock_guard lock(mutex_);
    if (rc == MOSQ_ERR_SUCCESS) {
      ++stats_.sent_at_most_once;
    } else if (rc == MOSQ_ERR_NO_CONN) {  // QoS 0 is not queued while disconnected: lost
      ++stats_.publish_dropped;
    } else {
      ++stats_.publish_failed;
      last_error_ = "publish on '" + message.topic + "': " + detail::mosquitto_error_text(rc);
    }
    return;
  }
  // Counted before the call: the PUBACK can be handled on the network thread before it returns.
  {
    const std::lock_guard lock(mutex_);
    ++stats_.published;
  }
  rc = mosquitto_publish_v5(mosq_, nullptr, message.topic.c_str(), int(message.payload.size()),
                            message.payload.data(), 1, message.retain, properties.list);
  // MOSQ_ERR_NO_CONN for QoS 1 means "queued, not sent yet": libmosquitto 2.0 puts the message
  // in its outgoing queue before trying to send it, and sends it after reconnecting.
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN) {
    const std::string text = detail::mosquitto_error_text(rc);
    {
      const std::lock_guard lock(mutex_);
      --stats_.published;
    }
    failed(text);
  }
}

inline void MqttTransport::subscribe(const std::string& filter) {
  if (filter.empty() || mosquitto_sub_topic_check(filter.c_str()) != MOSQ_ERR_SUCCESS)
    ddnn::detail::fail("MQTT: '" + filter + "' is not a valid topic filter");
  std::uint64_t generation = 0;
  {
    const std::lock_guard lock(mutex_);
    if (std::find(filters_.begin(), filters_.end(), filter) != filters_.end()) return;
    filters_.push_back(filter);
    generation = generation_;
  }
  // Not connected (MOSQ_ERR_NO_CONN): the connect callback subscribes it. Should the connect
  // callback also have sent it, the second SUBSCRIBE replaces the first, and "retained only for
  // a new subscription" keeps retained messages from coming twice.
  int mid = 0;
  if (mosquitto_subscribe_v5(mosq_, &mid, filter.c_str(), 1, MQTT_SUB_OPT_SEND_RETAIN_NEW,
                             nullptr) == MOSQ_ERR_SUCCESS) {
    const std::lock_guard lock(mutex_);
    note_subscribe_sent(mid, generation);
  }
}

inline void MqttTransport::note_subscribe_sent(int mid, std::uint64_t generation) {
  if (early_acks_.erase(mid) == 0) pending_[mid] = generation;
}

inline std::optional<received_message> MqttTransport::receive(clock_time deadline) {
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, to_time_point(deadline), [&] { return !received_.empty(); });
  if (received_.empty()) return std::nullopt;
  received_message message = std::move(received_.front());
  received_.pop_front();
  return message;
}

inline bool MqttTransport::wait_subscribed(clock_time deadline) {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, to_time_point(deadline), [&] {
    return connected_ && std::none_of(pending_.begin(), pending_.end(),
                                      [&](const auto& p) { return p.second == generation_; });
  });
}

inline bool MqttTransport::flush(clock_time deadline) {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, to_time_point(deadline),
                             [&] { return stats_.acknowledged >= stats_.published; });
}

}  // namespace runtime
DDNN_END_NAMESPACE

#include "ddnn/runtime/mqtt_callbacks.hpp"
#include "ddnn/runtime/mqtt_connection.hpp"
