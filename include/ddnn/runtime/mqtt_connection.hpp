// How an MqttTransport configures libmosquitto (MQTT v5, TLS, credentials, Will, reconnect
// delays), connects (waiting for the broker's CONNACK, with its refusal as a clear error) and
// disconnects cleanly. Included by mqtt_transport.hpp, after the class.
#pragma once
#include "ddnn/runtime/mqtt_transport.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

inline void MqttTransport::configure() {
  const auto check = [](int rc, const char* what) {
    if (rc != MOSQ_ERR_SUCCESS)
      ddnn::detail::fail(std::string("MQTT: ") + what + ": " + detail::mosquitto_error_text(rc));
  };
  check(mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5),
        "selecting MQTT v5");
  // Runtime messages are small and latency-bound: no Nagle delay.
  check(mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1), "setting TCP_NODELAY");

  mosquitto_connect_v5_callback_set(
      mosq_, [](mosquitto*, void* self, int reason, int, const mosquitto_property*) {
        static_cast<MqttTransport*>(self)->on_connect(reason);
      });
  mosquitto_disconnect_v5_callback_set(
      mosq_, [](mosquitto*, void* self, int rc, const mosquitto_property*) {
        static_cast<MqttTransport*>(self)->on_disconnect(rc);
      });
  mosquitto_message_v5_callback_set(
      mosq_, [](mosquitto*, void* self, const mosquitto_message* message,
                const mosquitto_property* properties) {
        if (message != nullptr) static_cast<MqttTransport*>(self)->on_message(*message, properties);
      });
  mosquitto_publish_v5_callback_set(
      mosq_, [](mosquitto*, void* self, int mid, int reason, const mosquitto_property*) {
        static_cast<MqttTransport*>(self)->on_publish(mid, reason);
      });
  mosquitto_subscribe_v5_callback_set(mosq_, [](mosquitto*, void* self, int mid, int count,
                                                const int* granted, const mosquitto_property*) {
    static_cast<MqttTransport*>(self)->on_subscribe(mid, count, granted);
  });
  listen_to_log(true);

  if (!options_.username.empty()) {
    check(
        mosquitto_username_pw_set(mosq_, options_.username.c_str(),
                                  options_.password.empty() ? nullptr : options_.password.c_str()),
        "setting the user name and password");
  }
  if (options_.tls) {
    const auto& tls = *options_.tls;
    const auto c_str = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
    const int rc = mosquitto_tls_set(mosq_, tls.ca_file.c_str(), nullptr, c_str(tls.cert_file),
                                     c_str(tls.key_file), nullptr);
    if (rc != MOSQ_ERR_SUCCESS)
      ddnn::detail::fail("MQTT: TLS setup failed (" + detail::mosquitto_error_text(rc) +
                         "): check that the files exist and are readable: ca_file '" + tls.ca_file +
                         "', cert_file '" + tls.cert_file + "', key_file '" + tls.key_file + "'");
  }
  if (options_.will) {
    const auto& will = *options_.will;
    ddnn::detail::require(will.payload.size() <= MQTT_MAX_PAYLOAD,
                          "MQTT: Last Will payload too large");
    check(mosquitto_will_set_v5(mosq_, will.topic.c_str(), int(will.payload.size()),
                                will.payload.data(), 1, will.retain, nullptr),
          "setting the Last Will");
  }
}

inline void MqttTransport::connect_and_wait() {
  detail::mosquitto_properties properties;
  if (options_.session_expiry.count() > 0) {
    const int rc = mosquitto_property_add_int32(&properties.list, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                                std::uint32_t(options_.session_expiry.count()));
    if (rc != MOSQ_ERR_SUCCESS)
      ddnn::detail::fail("MQTT: session expiry property: " + detail::mosquitto_error_text(rc));
  }
  const auto deadline = steady::now() + options_.connect_timeout;
  // The TCP connect (and TLS handshake) itself blocks: at once for a refused port, up to the
  // system's connect timeout for an unreachable host.
  const int rc =
      mosquitto_connect_bind_v5(mosq_, options_.host.c_str(), options_.port,
                                int(options_.keepalive.count()), nullptr, properties.list);
  if (rc != MOSQ_ERR_SUCCESS) {
    const std::string text = detail::mosquitto_error_text(rc);
    // Only a system error (refused, unreachable) is retried by the network thread; anything else
    // (an unknown host, a TLS failure) is final.
    std::string error;
    {
      const std::lock_guard lock(mutex_);
      if (rc == MOSQ_ERR_ERRNO) last_error_ = text;
      error = last_error_;
    }
    if (rc != MOSQ_ERR_ERRNO)
      ddnn::detail::fail("MQTT: cannot connect to " + where() + ": " + text +
                         (error.empty() ? "" : " (" + error + ")"));
  }
  // Our own network thread rather than mosquitto_loop_start(): see network_loop().
  mosquitto_threaded_set(mosq_, true);
  try {
    network_ = std::thread([this] { network_loop(); });
  } catch (const std::system_error& e) {
    ddnn::detail::fail(std::string("MQTT: cannot start the network thread: ") + e.what());
  }

  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, deadline, [&] { return connected_ || closed_; });
  if (connected_) return;
  if (closed_)
    ddnn::detail::fail("MQTT: no connection to the broker at " + where() + ": " + closed_reason_);
  ddnn::detail::fail(
      "MQTT: no connection to the broker at " + where() + " within " +
      std::to_string(options_.connect_timeout.count()) + " ms" +
      (last_error_.empty() ? std::string(" (no answer)") : " (" + last_error_ + ")"));
}

inline void MqttTransport::shutdown() noexcept {
  if (mosq_ == nullptr) return;
  closing_ = true;
  // A clean DISCONNECT: the broker discards the Will (see the file comment).
  mosquitto_disconnect_v5(mosq_, MQTT_RC_NORMAL_DISCONNECTION, nullptr);
  if (network_.joinable()) {
    // A reconnection attempt running on the network thread at this moment can overwrite the
    // "disconnected" state just set (libmosquitto 2.0 sets "connecting" when the attempt fails),
    // and the thread would then never end and mosquitto_loop_stop() never return: repeat the
    // request until the thread has ended. (Forcing it with pthread_cancel could unwind through
    // our callbacks.)
    std::mutex nudge_mutex;
    std::condition_variable nudge_wake;
    bool stopped = false;
    std::thread nudger;
    try {
      nudger = std::thread([&] {
        std::unique_lock lock(nudge_mutex);
        while (!nudge_wake.wait_for(lock, std::chrono::milliseconds(100), [&] { return stopped; }))
          mosquitto_disconnect_v5(mosq_, MQTT_RC_NORMAL_DISCONNECTION, nullptr);
      });
    } catch (...) {
      // No thread to spare: rely on the first request.
    }
    network_.join();
    {
      const std::lock_guard lock(nudge_mutex);
      stopped = true;
    }
    nudge_wake.notify_all();
    if (nudger.joinable()) nudger.join();
  }
  mosquitto_destroy(mosq_);
  mosq_ = nullptr;
  const std::lock_guard lock(mutex_);
  connected_ = false;
  closed_ = true;
}

inline void MqttTransport::network_loop() noexcept {
  // Our own loop around mosquitto_loop() rather than mosquitto_loop_forever(): the latter gives
  // up for good on a TLS read error, which is how a broker killed in the middle of a TLS session
  // often looks (libmosquitto reports EPROTO), and sleeps its reconnect delay where shutdown()
  // cannot wake it. A lost connection is retried after reconnect_delay, doubling up to
  // reconnect_delay_max; only closing, a refusal by the broker (on_connect) or a failed TLS
  // handshake (on_log) end the loop.
  std::uint64_t failures = 0, generation = 0;
  while (!closing_) {
    const int rc = mosquitto_loop(mosq_, 100, 1);
    if (closing_) break;
    {
      const std::lock_guard lock(mutex_);
      if (closed_) return;
      if (generation_ != generation) failures = 0;  // connected since the last failure
      generation = generation_;
      if (rc == MOSQ_ERR_SUCCESS) continue;
      if (rc == MOSQ_ERR_NOMEM || rc == MOSQ_ERR_INVAL || rc == MOSQ_ERR_NOT_SUPPORTED) {
        closed_ = true;
        closed_reason_ = "the network loop stopped: " + detail::mosquitto_error_text(rc);
        changed_.notify_all();
        return;
      }
    }
    const auto delay = std::min<std::chrono::milliseconds>(
        options_.reconnect_delay * (std::int64_t{1} << std::min<std::uint64_t>(failures, 20)),
        options_.reconnect_delay_max);
    ++failures;
    const auto until = steady::now() + delay;
    while (!closing_ && steady::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (closing_) break;
    mosquitto_reconnect(mosq_);  // a failure shows in the next mosquitto_loop()
  }
  // Closing: shutdown() has asked for a clean DISCONNECT. Asked while this thread was inside one
  // of libmosquitto's callbacks, libmosquitto only queues the packet for this loop to write;
  // leaving now would close the socket without it, and the broker would publish the Will of a
  // node that left cleanly (seen in 4 of 100 runs of a test under AddressSanitizer). Write what is
  // queued, for a second at most: a broker that is gone takes the Will as it should.
  const auto deadline = steady::now() + std::chrono::seconds(1);
  while (mosquitto_want_write(mosq_) && steady::now() < deadline)
    if (mosquitto_loop(mosq_, 10, 1) != MOSQ_ERR_SUCCESS) break;
}

inline void MqttTransport::listen_to_log(bool on) noexcept {
  if (on)
    mosquitto_log_callback_set(mosq_, [](mosquitto*, void* self, int level, const char* text) {
      static_cast<MqttTransport*>(self)->on_log(level, text);
    });
  else
    mosquitto_log_callback_set(mosq_, nullptr);
}

}  // namespace runtime
DDNN_END_NAMESPACE
