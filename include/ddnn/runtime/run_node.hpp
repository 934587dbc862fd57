// Runs one role in a real process: subscribes, waits until the broker confirmed the
// subscriptions (so that nothing addressed to the node right after it announced itself is
// missed), starts it, then alternates between receiving (until its next deadline) and handling
// deadlines, until asked to stop.
#pragma once
#include <algorithm>
#include <atomic>
#include <chrono>

#include "ddnn/core/error.hpp"
#include "ddnn/runtime/node.hpp"
#include "ddnn/runtime/transport.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

/// `poll` bounds how long a receive waits, so that `stop` is seen promptly.
template <class TransportType>
void run_node(TransportType& transport, Node& node, const std::atomic<bool>& stop,
              clock_time poll = std::chrono::milliseconds(50),
              clock_time subscribe_timeout = std::chrono::seconds(10)) {
  for (const std::string& filter : node.subscriptions()) transport.subscribe(filter);
  if constexpr (requires { transport.wait_subscribed(clock_time{}); }) {
    if (!transport.wait_subscribed(transport.now() + subscribe_timeout))
      ddnn::detail::fail("run_node: the broker did not confirm the subscriptions in time");
  }
  node.start(transport.now(), transport);
  clock_time wake = node.on_time(transport.now(), transport);
  while (!stop.load(std::memory_order_relaxed)) {
    const clock_time deadline = std::min(wake, transport.now() + poll);
    if (auto message = transport.receive(deadline))
      node.on_message(*message, transport.now(), transport);
    wake = node.on_time(transport.now(), transport);
  }
}

}  // namespace runtime
DDNN_END_NAMESPACE
