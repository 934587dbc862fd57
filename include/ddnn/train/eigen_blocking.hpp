// The L1 data cache size Eigen plans its matrix products with, pinned. Eigen cuts a product's
// depth into blocks sized from the L1 size it reads from the CPU, and each output sums its block
// partials in turn: two machines with the same SIMD but different L1 (AMD Zen 4: 32 KiB; Zen 5
// and Intel Sapphire Rapids: 48 KiB) would round training's products differently and train to
// different bits. With the size pinned, what a seed trains depends on the SIMD the build
// targets only.
#pragma once
#include <Eigen/Core>
#include <cstddef>

#include "ddnn/core/config.hpp"

DDNN_BEGIN_NAMESPACE
namespace train {

/// The L1 size every Trainer plans Eigen's products with (48 KiB, the size of AMD Zen 5 and
/// Intel Sapphire Rapids cores).
inline constexpr std::ptrdiff_t eigen_planning_l1 = 48 * 1024;

/// Makes Eigen plan with eigen_planning_l1 (keeping the L2 and L3 sizes it read: they only
/// choose how many rows and columns a block spans, never the order of an output's sums). Eigen
/// keeps the sizes process-wide; this writes them only when they differ.
inline void pin_eigen_blocking() {
  if (Eigen::l1CacheSize() != eigen_planning_l1)
    Eigen::setCpuCacheSizes(eigen_planning_l1, Eigen::l2CacheSize(), Eigen::l3CacheSize());
}

}  // namespace train
DDNN_END_NAMESPACE
