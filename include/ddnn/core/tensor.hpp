// Dense tensors of plain values (float, uint8, int8, int32) with a compile-time HWC shape.
// These carry sensor input and float logits; binary activations live in BitTensor.
#pragma once
#include <cstddef>
#include <span>
#include <string>

#include "ddnn/core/aligned_buffer.hpp"
#include "ddnn/core/error.hpp"
#include "ddnn/core/shape.hpp"

DDNN_BEGIN_NAMESPACE

template <class T, ShapeType S>
class Tensor {
 public:
  using value_type = T;
  using shape = S;

  Tensor() : values_(S::size) {}
  /// Copies `values` (HWC order); throws ddnn::error if the count is not S::size.
  explicit Tensor(std::span<const T> values) : values_(S::size) { assign(values); }

  void assign(std::span<const T> values) {
    if (values.size() != S::size)
      detail::fail("Tensor expects " + std::to_string(S::size) + " values, got " +
                   std::to_string(values.size()));
    std::copy(values.begin(), values.end(), values_.begin());
  }

  [[nodiscard]] T& operator()(std::size_t y, std::size_t x, std::size_t c) noexcept {
    return values_[(y * S::width + x) * S::channels + c];
  }
  [[nodiscard]] const T& operator()(std::size_t y, std::size_t x, std::size_t c) const noexcept {
    return values_[(y * S::width + x) * S::channels + c];
  }
  [[nodiscard]] T& operator[](std::size_t i) noexcept { return values_[i]; }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return values_[i]; }
  [[nodiscard]] T* data() noexcept { return values_.data(); }
  [[nodiscard]] const T* data() const noexcept { return values_.data(); }
  [[nodiscard]] std::span<T> values() noexcept { return values_.span(); }
  [[nodiscard]] std::span<const T> values() const noexcept { return values_.span(); }
  static constexpr std::size_t size() noexcept { return S::size; }

 private:
  AlignedBuffer<T> values_;
};

DDNN_END_NAMESPACE
