// What libmosquitto's network thread calls on an MqttTransport: connection established or lost,
// a message arrived, a publish or subscription acknowledged, a log line. Each puts its news under
// the transport's mutex and wakes the waiting calls; none lets an exception escape into C.
// Included by mqtt_transport.hpp, after the class.
#pragma once
#include "ddnn/runtime/mqtt_transport.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

inline void MqttTransport::on_connect(int reason) noexcept {
  try {
    if (reason != MQTT_RC_SUCCESS) {
      // libmosquitto ends its network thread after a refusal: nothing will be sent any more.
      const std::lock_guard lock(mutex_);
      closed_ = true;
      closed_reason_ = std::string("the broker refused the connection: ") +
                       mosquitto_reason_string(reason) + " (reason code " + std::to_string(reason) +
                       ")";
      last_error_ = closed_reason_;
      changed_.notify_all();
      return;
    }
    if (closing_) {
      mosquitto_disconnect_v5(mosq_, MQTT_RC_NORMAL_DISCONNECTION, nullptr);
      return;
    }
    std::vector<std::string> filters;
    std::uint64_t generation = 0;
    {
      const std::lock_guard lock(mutex_);
      filters = filters_;
      generation = ++generation_;
      pending_.clear();
      early_acks_.clear();
    }
    // SUBACKs are handled on this thread, after this callback: every id is noted before its ack.
    std::vector<int> mids;
    for (const std::string& filter : filters) {
      int mid = 0;
      if (mosquitto_subscribe_v5(mosq_, &mid, filter.c_str(), 1, MQTT_SUB_OPT_SEND_RETAIN_NEW,
                                 nullptr) == MOSQ_ERR_SUCCESS)
        mids.push_back(mid);
    }
    // With a log callback set, libmosquitto formats a line (malloc, vsnprintf, free) for every
    // packet; the lines that matter (TLS failures) come while connecting. Quiet until the
    // connection is lost.
    listen_to_log(false);
    const std::lock_guard lock(mutex_);
    for (int mid : mids) note_subscribe_sent(mid, generation);
    connected_ = true;
    closed_ = false;  // after a TLS failure that libmosquitto retried (see on_log)
    closed_reason_.clear();
    ++stats_.connects;
    changed_.notify_all();
  } catch (...) {
    // Out of memory in a callback: the subscriptions are re-sent on the next connection.
  }
}

inline void MqttTransport::on_disconnect(int rc) noexcept {
  listen_to_log(true);  // the next connection's handshake may fail: hear why
  {
    // libmosquitto drops the QoS 0 messages it had not written with the connection, without a
    // callback: forget their ids, or a later QoS 1 message with the same id would go uncounted.
    const std::lock_guard once(publishing_once_);
    at_most_once_.clear();
  }
  const std::lock_guard lock(mutex_);
  if (connected_ && rc != MOSQ_ERR_SUCCESS) ++stats_.connection_losses;
  connected_ = false;
  if (!closing_ && !closed_ && detail::ends_network_thread(rc)) {
    closed_ = true;
    try {
      closed_reason_ = rc == MQTT_RC_NORMAL_DISCONNECTION || rc >= 0x80
                           ? std::string("the broker disconnected this client: ") +
                                 mosquitto_reason_string(rc) + " (reason code " +
                                 std::to_string(rc) + ")"
                           : std::string(mosquitto_strerror(rc)) +
                                 (last_error_.empty() ? "" : " (" + last_error_ + ")");
    } catch (...) {
    }
  }
  changed_.notify_all();
}

inline void MqttTransport::on_message(const mosquitto_message& message,
                                      const mosquitto_property* properties) noexcept {
  try {
    received_message out;
    out.topic = message.topic != nullptr ? message.topic : "";
    const auto* payload = static_cast<const std::uint8_t*>(message.payload);
    if (payload != nullptr && message.payloadlen > 0)
      out.payload.assign(payload, payload + message.payloadlen);
    out.retained = message.retain;
    char* response_topic = nullptr;
    if (mosquitto_property_read_string(properties, MQTT_PROP_RESPONSE_TOPIC, &response_topic,
                                       false) != nullptr &&
        response_topic != nullptr) {
      out.response_topic = response_topic;
    }
    std::free(response_topic);
    void* correlation = nullptr;
    std::uint16_t correlation_size = 0;
    if (mosquitto_property_read_binary(properties, MQTT_PROP_CORRELATION_DATA, &correlation,
                                       &correlation_size, false) != nullptr &&
        correlation != nullptr) {
      const auto* bytes = static_cast<const std::uint8_t*>(correlation);
      try {
        out.correlation.assign(bytes, bytes + correlation_size);
      } catch (...) {
        std::free(correlation);
        throw;
      }
    }
    std::free(correlation);

    const std::lock_guard lock(mutex_);
    if (received_.size() >= options_.max_received) {
      ++stats_.receive_dropped;
      return;
    }
    received_.push_back(std::move(out));
    ++stats_.received;
    changed_.notify_all();
  } catch (...) {
    const std::lock_guard lock(mutex_);
    ++stats_.receive_dropped;
  }
}

inline void MqttTransport::on_publish(int mid, int reason) noexcept {
  // libmosquitto calls this for a QoS 1 message's PUBACK and when it wrote a QoS 0 message;
  // publish() notes the QoS 0 ids while holding publishing_once_, so none is missed here.
  {
    const std::lock_guard once(publishing_once_);
    if (at_most_once_.erase(mid) != 0) return;
  }
  const std::lock_guard lock(mutex_);
  ++stats_.acknowledged;
  if (reason >= 0x80) {
    ++stats_.publish_refused;
    try {
      last_error_ = std::string("the broker refused a message: ") + mosquitto_reason_string(reason);
    } catch (...) {
    }
  }
  changed_.notify_all();
}

inline void MqttTransport::on_subscribe(int mid, int count, const int* granted) noexcept {
  try {
    const std::lock_guard lock(mutex_);
    for (int i = 0; granted != nullptr && i < count; ++i) {
      if (granted[i] >= 0x80) {
        ++stats_.subscribe_refused;
        last_error_ = std::string("the broker refused a subscription: ") +
                      mosquitto_reason_string(granted[i]);
      }
    }
    if (pending_.erase(mid) == 0) early_acks_.insert(mid);
    changed_.notify_all();
  } catch (...) {
  }
}

inline void MqttTransport::on_log(int level, const char* text) noexcept {
  if ((level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)) == 0 || text == nullptr) return;
  try {
    const std::string message = text;
    const std::lock_guard lock(mutex_);
    last_error_ = message;
    // A TLS failure during the handshake ends libmosquitto's network thread without any other
    // callback (mosquitto_loop_forever() gives up on MOSQ_ERR_TLS); this log line is the only
    // sign of it. Should a later attempt connect after all, on_connect() reopens.
    if ((level & MOSQ_LOG_ERR) != 0 && message.rfind("OpenSSL Error", 0) == 0 && !closing_ &&
        !closed_) {
      closed_ = true;
      closed_reason_ = "TLS: " + message;
      changed_.notify_all();
    }
  } catch (...) {
  }
}

}  // namespace runtime
DDNN_END_NAMESPACE
