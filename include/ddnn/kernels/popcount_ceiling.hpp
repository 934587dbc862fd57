// The machine's XNOR-popcount ceiling for one ISA: independent accumulate chains on register-
// resident data, nothing loaded or stored in the loop. Benchmarks divide by it to say how close
// a real kernel gets to the hardware's limit.
#pragma once
#include <cstdint>

#include "ddnn/arch/popcount_unit.hpp"

DDNN_BEGIN_NAMESPACE

/// Independent accumulate chains the ceiling keeps in flight.
inline constexpr int ceiling_chains = 8;

/// Binary multiply-accumulates one popcount_ceiling call performs.
template <class Isa>
inline constexpr std::uint64_t ceiling_binops_per_iteration =
    std::uint64_t(ceiling_chains) * popcount_unit<Isa>::lanes * 64;

/// Runs `iterations` rounds; returns the total count so the work cannot be optimised away.
template <class Isa>
std::uint64_t popcount_ceiling(Isa, std::uint64_t iterations, std::uint64_t seed) noexcept {
  using unit = popcount_unit<Isa>;
  std::uint64_t words[ceiling_chains * 2 * 8];
  for (int i = 0; i < ceiling_chains * 2 * 8; ++i) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    words[i] = seed;
  }
  typename unit::word_vec a[ceiling_chains], b[ceiling_chains];
  typename unit::partial_acc acc[ceiling_chains];
  typename unit::count_vec counts = unit::zero_counts();
#pragma GCC unroll 16
  for (int c = 0; c < ceiling_chains; ++c) {
    a[c] = unit::load(words + c * 16);
    b[c] = unit::load(words + c * 16 + 8);
    acc[c] = unit::zero_partial();
  }
  std::uint64_t done = 0;
  while (done < iterations) {
    const std::uint64_t left = iterations - done;
    const int run = left < std::uint64_t(unit::max_run) ? int(left) : unit::max_run;
    for (int i = 0; i < run; ++i) {
#pragma GCC unroll 16
      for (int c = 0; c < ceiling_chains; ++c) {
        unit::opaque(a[c]);  // a fresh value each round as far as the optimiser knows
        unit::accumulate(acc[c], a[c], b[c]);
      }
    }
#pragma GCC unroll 16
    for (int c = 0; c < ceiling_chains; ++c) unit::flush(counts, acc[c]);
    done += std::uint64_t(run);
  }
  std::uint64_t lane_counts[unit::lanes];
  unit::store(counts, lane_counts);
  std::uint64_t total = 0;
  for (int l = 0; l < unit::lanes; ++l) total += lane_counts[l];
  return total;
}

DDNN_END_NAMESPACE
