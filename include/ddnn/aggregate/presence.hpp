// Which devices delivered an input for one sample (failed, disconnected or idle devices are
// absent). Up to 64 devices; device i is bit i.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>

#include "ddnn/core/error.hpp"

DDNN_BEGIN_NAMESPACE

inline constexpr std::size_t max_devices = 64;

class Presence {
 public:
  constexpr Presence() noexcept = default;
  constexpr explicit Presence(std::uint64_t bits) noexcept : bits_(bits) {}
  /// Devices 0 .. n-1 present.
  [[nodiscard]] static constexpr Presence all(std::size_t n) noexcept {
    return Presence(n >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1);
  }
  [[nodiscard]] constexpr bool operator[](std::size_t device) const noexcept {
    return device < 64 && ((bits_ >> device) & 1u);
  }
  constexpr Presence& set(std::size_t device, bool present = true) noexcept {
    const std::uint64_t bit = device < 64 ? std::uint64_t{1} << device : 0;
    bits_ = present ? (bits_ | bit) : (bits_ & ~bit);
    return *this;
  }
  /// Present devices among the first n.
  [[nodiscard]] constexpr std::size_t count(std::size_t n = 64) const noexcept {
    return std::size_t(std::popcount(bits_ & all(n).bits_));
  }
  [[nodiscard]] constexpr bool none(std::size_t n = 64) const noexcept { return count(n) == 0; }
  /// Devices [first, first + n) as devices 0 .. n-1: the children of one node of the tier above.
  [[nodiscard]] constexpr Presence slice(std::size_t first, std::size_t n) const noexcept {
    return Presence(first >= 64 ? 0 : (bits_ >> first) & all(n).bits_);
  }
  [[nodiscard]] constexpr std::uint64_t bits() const noexcept { return bits_; }
  /// Whether every device present in `other` is present here.
  [[nodiscard]] constexpr bool includes(Presence other) const noexcept {
    return (other.bits_ & ~bits_) == 0;
  }
  /// The devices present in both.
  [[nodiscard]] friend constexpr Presence operator&(Presence a, Presence b) noexcept {
    return Presence(a.bits_ & b.bits_);
  }
  /// Throws ddnn::error when a device at or beyond n is marked present.
  void check_within(std::size_t n) const {
    if (bits_ & ~all(n).bits_)
      detail::fail("Presence marks a device beyond the " + std::to_string(n) + " that exist");
  }
  friend constexpr bool operator==(Presence, Presence) noexcept = default;

 private:
  std::uint64_t bits_ = 0;
};

DDNN_END_NAMESPACE
