// A heap buffer of trivially copyable values aligned to a cache line, zero-initialised.
// Tensors and packed parameters live in these so SIMD loads never straddle lines needlessly.
#pragma once
#include <algorithm>
#include <cstddef>
#include <memory>
#include <new>
#include <span>
#include <type_traits>

#include "ddnn/core/config.hpp"

DDNN_BEGIN_NAMESPACE

inline constexpr std::size_t cache_line_bytes = 64;

template <class T>
class AlignedBuffer {
  static_assert(std::is_trivially_copyable_v<T>,
                "AlignedBuffer requires a trivially copyable type");

  struct deleter {
    void operator()(T* p) const noexcept {
      ::operator delete[](p, std::align_val_t{cache_line_bytes});
    }
  };

 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t count) : size_(count) {
    if (count != 0) {
      data_.reset(
          static_cast<T*>(::operator new[](count * sizeof(T), std::align_val_t{cache_line_bytes})));
      std::fill_n(data_.get(), count, T{});
    }
  }
  AlignedBuffer(const AlignedBuffer& other) : AlignedBuffer(other.size_) {
    std::copy_n(other.data(), size_, data());
  }
  AlignedBuffer& operator=(const AlignedBuffer& other) {
    if (this != &other) {
      AlignedBuffer copy(other);
      *this = std::move(copy);
    }
    return *this;
  }
  AlignedBuffer(AlignedBuffer&&) noexcept = default;
  AlignedBuffer& operator=(AlignedBuffer&&) noexcept = default;
  ~AlignedBuffer() = default;

  [[nodiscard]] T* data() noexcept { return data_.get(); }
  [[nodiscard]] const T* data() const noexcept { return data_.get(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] T& operator[](std::size_t i) noexcept { return data_[i]; }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  [[nodiscard]] std::span<T> span() noexcept { return {data(), size_}; }
  [[nodiscard]] std::span<const T> span() const noexcept { return {data(), size_}; }
  [[nodiscard]] T* begin() noexcept { return data(); }
  [[nodiscard]] T* end() noexcept { return data() + size_; }
  [[nodiscard]] const T* begin() const noexcept { return data(); }
  [[nodiscard]] const T* end() const noexcept { return data() + size_; }

 private:
  std::unique_ptr<T[], deleter> data_;
  std::size_t size_ = 0;
};

DDNN_END_NAMESPACE
