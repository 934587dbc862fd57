// An aggregation kind without its model-file name cannot be saved or loaded, so it does not
// compile, and the error names the missing piece.
// expect: an aggregation kind requires `static constexpr std::string_view name`
#include "ddnn/aggregate/aggregator.hpp"

struct Vote : ddnn::Avg {
#ifdef DDNN_COMPILE_FAIL
  static constexpr int name = 0;
#else
  static constexpr std::string_view name = "vote";
#endif
};

static_assert(ddnn::Aggregator<Vote>::concatenates == false);
