// The one exception type ddnn throws for bad models, bad files, bad shapes and bad inputs.
// Nothing ddnn reads from outside can crash it: it throws ddnn::error with a readable message.
#pragma once
#include <stdexcept>
#include <string>

#include "ddnn/core/config.hpp"

DDNN_BEGIN_NAMESPACE

/// Thrown for every runtime misuse ddnn detects: wrong buffer sizes, non-finite parameters or
/// inputs, malformed model files, an ISA the CPU lacks. what() names the offending object.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
[[noreturn]] inline void fail(const std::string& message) { throw error("ddnn: " + message); }

inline void require(bool condition, const char* message) {
  if (!condition) fail(message);
}
}  // namespace detail

DDNN_END_NAMESPACE
