// Dispatch: the scalar path is always there, the best ISA is one this CPU runs, asking for an
// ISA the CPU lacks is a ddnn::error, and the ceiling kernel of every ISA counts the same bits.
// The ISA list: ordered, each tag extending the previous level, detection and fallback by base.
#include <doctest/doctest.h>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>

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

TEST_CASE("the ISA list is in id order and each tag extends the previous level of its family") {
  const auto family_of = [](isa_id id) {
    return visit_isa(id, isa_family::portable, [](auto tag) { return decltype(tag)::family; });
  };
  std::size_t position = 0;
  all_isa_tags::for_each([&](auto tag) {
    using Isa = decltype(tag);
    CAPTURE(Isa::name);
    REQUIRE(position < all_isas.size());
    CHECK(all_isas[position] == Isa::id);
    CHECK(std::size_t(Isa::id) == position);
    CHECK(id_of<Isa> == Isa::id);
    CHECK(base_isa(Isa::id) == Isa::base::id);
    if constexpr (is_root_isa<Isa>) {
      CHECK(position == 0);
      CHECK(Isa::family == isa_family::portable);
    } else {
      CHECK(std::is_base_of_v<typename Isa::base, Isa>);
      CHECK(Isa::family != isa_family::portable);
      isa_id previous = all_isas.front();  // a family starts from the portable level
      for (std::size_t i = 0; i < position; ++i)
        if (family_of(all_isas[i]) == Isa::family) previous = all_isas[i];
      CHECK(Isa::base::id == previous);
    }
    ++position;
  });
  CHECK(position == all_isas.size());
}

TEST_CASE("names and ids round-trip and an unknown id is never available") {
  for (std::size_t i = 0; i < all_isas.size(); ++i) {
    CAPTURE(i);
    CHECK(name(all_isas[i]) != "unknown");
    for (std::size_t j = 0; j < i; ++j) CHECK(name(all_isas[j]) != name(all_isas[i]));
  }
  all_isa_tags::for_each([](auto tag) {
    using Isa = decltype(tag);
    CHECK(name(Isa::id) == Isa::name);
    CHECK(compiled_in(Isa::id) == has_kernels<Isa>);
  });
  const auto unknown = static_cast<isa_id>(all_isas.size());
  CHECK(name(unknown) == "unknown");
  CHECK_FALSE(compiled_in(unknown));
  CHECK_FALSE(cpu_supports(unknown));
  CHECK_THROWS_AS((void)kernels(unknown), ddnn::error);
}

TEST_CASE("a CPU that runs an ISA runs every level below it, and the best is the last it runs") {
  // Every combination of feature bits (cpu_features is a struct of bools only).
  constexpr std::size_t bits = sizeof(cpu_features);
  static_assert(alignof(cpu_features) == 1 && bits < 16);
  std::size_t failures = 0;
  // Per tag: some features run its base but not it (it detects features of its own).
  std::array<bool, all_isa_tags::size> stricter_than_base{};
  for (unsigned mask = 0; mask < (1u << bits); ++mask) {
    std::array<bool, bits> set{};
    for (std::size_t b = 0; b < bits; ++b) set[b] = (mask >> b) & 1u;
    const auto features = std::bit_cast<cpu_features>(set);
    all_isa_tags::for_each([&](auto tag) {
      using Isa = decltype(tag);
      if (!Isa::supported_by(features) && Isa::base::supported_by(features))
        stricter_than_base[std::size_t(Isa::id)] = true;
    });
    const isa_id best = best_isa_for(features);
    bool ok = compiled_in(best) && visit_isa(best, false, [&](auto tag) {
                return decltype(tag)::supported_by(features);
              });
    all_isa_tags::for_each([&](auto tag) {
      using Isa = decltype(tag);
      if (!Isa::supported_by(features)) return;
      ok = ok && Isa::base::supported_by(features);
      if (has_kernels<Isa>) ok = ok && std::size_t(Isa::id) <= std::size_t(best);
    });
    if (!ok) {
      ++failures;
      CAPTURE(mask);
      FAIL_CHECK("detection or best_isa_for is inconsistent for these features");
    }
  }
  CHECK(failures == 0);
  all_isa_tags::for_each([&](auto tag) {
    using Isa = decltype(tag);
    CAPTURE(Isa::name);
    if (!is_root_isa<Isa>) CHECK(stricter_than_base[std::size_t(Isa::id)]);
  });
}

TEST_CASE("older x86-64 CPUs get the level their features reach, or the nearest compiled below") {
  const auto nearest_compiled = [](isa_id id) {
    while (!compiled_in(id)) id = base_isa(id);
    return id;
  };
  cpu_features core2duo;  // SSSE3: neither SSE4.2 nor POPCNT
  cpu_features nehalem = core2duo;
  nehalem.sse4_2 = nehalem.popcnt = true;
  cpu_features haswell = nehalem;
  haswell.avx2 = haswell.fma = true;
  cpu_features avx2_without_fma = nehalem;  // not a real CPU: the float kernels need FMA
  avx2_without_fma.avx2 = true;
  CHECK(best_isa_for(core2duo) == isa_id::scalar);
  CHECK(best_isa_for(avx2_without_fma) == nearest_compiled(isa_id::sse4_2));
  CHECK(best_isa_for(nehalem) == nearest_compiled(isa_id::sse4_2));
  CHECK(best_isa_for(haswell) == nearest_compiled(isa_id::avx2));
  CHECK(best_isa() == best_isa_for(cpu()));
}

TEST_CASE("a table takes the entries it leaves empty from its base's") {
  const kernel_table& scalar = kernels(isa_id::scalar);
  // Function pointers are compared in parentheses: doctest cannot print them.
  const auto own_dense = [](const binary_dense_plan&, const std::uint64_t*, std::uint64_t*,
                            float*) noexcept {};
  kernel_table partial;
  partial.binary_dense = own_dense;
  fill_missing(partial, scalar);
  CHECK((partial.binary_dense != scalar.binary_dense));  // an entry of its own is kept
  CHECK((partial.binary_conv == scalar.binary_conv));
  CHECK((partial.first_conv_u8 == scalar.first_conv_u8));
  CHECK((partial.first_conv_i8 == scalar.first_conv_i8));
  CHECK((partial.first_conv_f32 == scalar.first_conv_f32));
  CHECK((partial.float_dense == scalar.float_dense));
  CHECK((partial.popcount_ceiling == scalar.popcount_ceiling));
  CHECK(partial.ceiling_binops_per_iteration == scalar.ceiling_binops_per_iteration);

  for (isa_id id : available_isas()) {
    CAPTURE(name(id));
    const kernel_table& t = kernels(id);
    CHECK(t.isa == id);
    CHECK((t.binary_conv != nullptr));
    CHECK((t.binary_dense != nullptr));
    CHECK((t.first_conv_u8 != nullptr));
    CHECK((t.first_conv_i8 != nullptr));
    CHECK((t.first_conv_f32 != nullptr));
    CHECK((t.float_dense != nullptr));
    CHECK((t.popcount_ceiling != nullptr));
    CHECK(t.ceiling_binops_per_iteration > 0);
    if (base_isa(id) != id) CHECK(available(base_isa(id)));  // its fallback runs here too
  }
}
