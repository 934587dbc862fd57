// What every runtime role is: a state machine driven by the messages that arrive and by the
// time, publishing through a Publisher. A role never blocks, never reads a clock and never owns
// a socket, so the same role runs in a real process over MQTT (runtime/run_node.hpp) and in the
// deterministic in-process network of the tests (runtime/in_process.hpp).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ddnn/runtime/transport.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

/// "Never": a role with no deadline pending returns it from on_time.
inline constexpr clock_time no_deadline = clock_time::max();

class Node {
 public:
  virtual ~Node() = default;
  /// The topic filters it subscribes to.
  [[nodiscard]] virtual std::vector<std::string> subscriptions() const = 0;
  /// What the broker publishes for it when it vanishes, if anything.
  [[nodiscard]] virtual std::optional<last_will> will() const { return std::nullopt; }
  /// Once connected and subscribed (a node announces itself here).
  virtual void start(clock_time /*now*/, Publisher& /*out*/) {}
  /// One message that arrived. Bad messages are dropped and counted, never thrown.
  virtual void on_message(const received_message& message, clock_time now, Publisher& out) = 0;
  /// Handles every deadline at or before `now`; returns the next one (no_deadline: none). Called
  /// after every message too, so it may be called before its last answer.
  virtual clock_time on_time(clock_time /*now*/, Publisher& /*out*/) { return no_deadline; }
};

}  // namespace runtime
DDNN_END_NAMESPACE
