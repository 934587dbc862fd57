// What an MqttTransport is told (broker, identity, credentials, TLS, Will, session, timing and
// queue limits) and what it counts. Plain data, no libmosquitto.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "ddnn/core/config.hpp"
#include "ddnn/runtime/transport.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

/// TLS files of an MQTT connection (PEM). The broker's certificate must chain to `ca_file` and
/// name the host connected to (a DNS name or an IP address in its subject alternative names).
struct MqttTlsFiles {
  std::string ca_file;
  std::string cert_file;  ///< the client's own certificate, for brokers that require one (or empty)
  std::string key_file;   ///< its private key, unencrypted (empty exactly when cert_file is)
};

/// How an MqttTransport connects.
struct MqttOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id;  ///< empty: libmosquitto makes one up (only with clean_start)
  std::string username;   ///< empty: connect without credentials
  std::string password;
  std::optional<MqttTlsFiles> tls;  ///< none: plain TCP
  /// The broker declares the client gone after 1.5 keepalives without traffic (and then publishes
  /// the Will); libmosquitto refuses less than 5 s.
  std::chrono::seconds keepalive{10};
  std::optional<last_will> will;  ///< published by the broker when the connection ends uncleanly
  /// true: a fresh session on every connect. false: the broker keeps the session (subscriptions,
  /// QoS 1 messages queued for it) for session_expiry after a disconnect; needs a client_id.
  bool clean_start = true;
  std::chrono::seconds session_expiry{0};
  /// How long construction waits for the broker's CONNACK, retrying while it cannot be reached.
  std::chrono::milliseconds connect_timeout{10000};
  /// Delay before reconnecting after a lost connection, doubling after each failed attempt up to
  /// the maximum.
  std::chrono::milliseconds reconnect_delay{250};
  std::chrono::milliseconds reconnect_delay_max{16000};
  /// publish() drops a message (counted) when this many earlier ones are not acknowledged yet:
  /// while the broker is away libmosquitto queues them in memory, without a bound of its own.
  std::size_t max_unacknowledged = 10000;
  /// Received messages waiting for receive(); more are dropped (counted).
  std::size_t max_received = 100000;
};

/// What an MqttTransport did so far.
struct MqttStats {
  std::uint64_t published = 0;          ///< accepted by libmosquitto for sending (QoS 1)
  std::uint64_t acknowledged = 0;       ///< of those, acknowledged by the broker (PUBACK)
  std::uint64_t publish_refused = 0;    ///< of those, acknowledged with an error (not authorized)
  std::uint64_t publish_failed = 0;     ///< refused by libmosquitto (malformed topic, too large)
  std::uint64_t publish_dropped = 0;    ///< dropped: max_unacknowledged reached, or at most
                                        ///< once while disconnected
  std::uint64_t sent_at_most_once = 0;  ///< QoS 0 messages handed to libmosquitto
  std::uint64_t received = 0;           ///< queued for receive()
  std::uint64_t receive_dropped = 0;    ///< dropped: max_received reached
  std::uint64_t subscribe_refused = 0;  ///< subscriptions the broker refused (not authorized)
  std::uint64_t connects = 0;           ///< successful connections, the first one included
  std::uint64_t connection_losses = 0;  ///< connections that ended without our asking
  std::uint64_t loop_restarts = 0;      ///< times libmosquitto's loop gave up and was restarted
};

}  // namespace runtime
DDNN_END_NAMESPACE
