// What a runtime role counts: every message it dropped, why, and what it did about lateness.
// Each fault scenario of the tests checks these next to "every sample answered exactly once".
#pragma once
#include <cstdint>
#include <optional>
#include <span>

#include "ddnn/core/config.hpp"
#include "ddnn/runtime/envelope.hpp"

DDNN_BEGIN_NAMESPACE
namespace runtime {

struct Counters {
  std::uint64_t received = 0;      ///< messages handed to the role
  std::uint64_t malformed = 0;     ///< not an envelope, wrong version or kind, bad payload
  std::uint64_t foreign = 0;       ///< for another model (a node running another model is refused)
  std::uint64_t unexpected = 0;    ///< well formed, but on a topic or from a node it does not fit
  std::uint64_t duplicates = 0;    ///< a second copy of something already taken
  std::uint64_t late = 0;          ///< for a sample already answered (or given up)
  std::uint64_t stale = 0;         ///< a status of a node's previous incarnation
  std::uint64_t retries = 0;       ///< upper-tier requests sent again after their deadline
  std::uint64_t degraded = 0;      ///< answers given without the upper tiers
  std::uint64_t answered = 0;      ///< final answers published
  std::uint64_t cache_misses = 0;  ///< feature requests for a sample no longer cached
  std::uint64_t waiting = 0;       ///< samples held back by the cap on requests in flight
  std::uint64_t resent = 0;        ///< answers sent again for a sample sensed again
  std::uint64_t abandoned = 0;     ///< joins given up: a node never sent its step (retried)
};

/// Counts a message that failed to open or decode: foreign when it is a well-formed envelope
/// header for another model, malformed otherwise.
inline void count_rejected(Counters& c, std::span<const std::uint8_t> bytes,
                           std::uint64_t model) noexcept {
  const std::optional<std::uint64_t> named = model_of(bytes);
  ++(named && *named != model ? c.foreign : c.malformed);
}

}  // namespace runtime
DDNN_END_NAMESPACE
