// How a training-time pass runs (train or eval mode, threads, dropout streams) and how a
// trainable layer shows its parameters to the optimizer.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "ddnn/graph/random_parameters.hpp"
#include "ddnn/train/parallel.hpp"

DDNN_BEGIN_NAMESPACE
namespace train {

/// How a forward or backward pass runs: training (batch statistics, caches for backward) or
/// evaluation (inference arithmetic), and on which threads.
struct RunContext {
  bool train = true;
  WorkerPool* pool = nullptr;  ///< null: the chunks run one after another on this thread
  /// Training only: the probability that an input value of a float Dense layer is dropped,
  /// and the seed of this step's masks, which with_stream() makes distinct per node and layer.
  double dropout = 0.0;
  std::uint64_t stream = 0;

  /// This context with a random stream of its own for part `salt` (a node, a layer).
  [[nodiscard]] RunContext with_stream(std::uint64_t salt) const noexcept {
    RunContext c = *this;
    ddnn::detail::random_stream mix(stream ^ (0xd1b54a32d192ed03u * (salt + 1)));
    c.stream = mix.next();
    return c;
  }
  /// Batches are cut into this many row chunks whatever the thread count; partial sums are
  /// added in chunk order, so results do not depend on the threads.
  static constexpr std::size_t chunks = 2;

  /// f(first_row, end_row, chunk) for each chunk of `rows`.
  template <class F>
  void for_chunks(std::size_t rows, F&& f) const {
    const std::function<void(std::size_t)> task = [&](std::size_t c) {
      const std::size_t begin = rows * c / chunks, end = rows * (c + 1) / chunks;
      if (begin < end) f(begin, end, c);
    };
    if (pool != nullptr)
      pool->run(chunks, task);
    else
      for (std::size_t c = 0; c < chunks; ++c) task(c);
  }
};

/// A parameter tensor as the optimizer sees it.
struct ParameterRef {
  std::string name;
  std::span<float> values;
  std::span<float> gradient;
  bool clip = false;  ///< binary shadow weights: clipped to [-1, 1]
};

}  // namespace train
DDNN_END_NAMESPACE
