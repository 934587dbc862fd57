// MaxPool: the window type fused into conv layers, and a standalone max-pool on packed bits.
// On +1/-1 values the max over a window is the bitwise OR of its bits (padding excluded).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ddnn/arch/isa.hpp"
#include "ddnn/core/bit_tensor.hpp"
#include "ddnn/core/window.hpp"
#include "ddnn/layers/layer_kind.hpp"
#include "ddnn/layers/layer_support.hpp"

DDNN_BEGIN_NAMESPACE

template <ShapeType In, class Pool>
class MaxPoolLayer;

/// A max-pool window: Kernel x Kernel, Stride, Pad (padded positions never win the max). Fused
/// into BinaryConv/FirstConv as their Pool argument, or a layer of its own on packed bits.
template <std::size_t Kernel, std::size_t Stride = Kernel, std::size_t Pad = 0>
struct MaxPool {
  static_assert(Kernel >= 1, "MaxPool requires a kernel of at least 1");
  static_assert(Stride >= 1, "MaxPool requires a stride of at least 1");
  static_assert(2 * Pad <= Kernel, "MaxPool requires padding of at most half the kernel");
  static constexpr std::size_t kernel = Kernel;
  static constexpr std::size_t stride = Stride;
  static constexpr std::size_t pad = Pad;
  using parameters_type = NoParameters;
  static constexpr bool produces_logits = false;

  template <ShapeType In>
  using output_shape = Shape<window_output_extent(In::height, Kernel, Stride, Pad),
                             window_output_extent(In::width, Kernel, Stride, Pad), In::channels>;
  template <ShapeType In>
  using bind = MaxPoolLayer<In, MaxPool>;

  /// Pools packed bits: out = OR over each window.
  template <ShapeType In>
  static void forward(const BitTensor<In>& in, BitTensor<output_shape<In>>& out) noexcept {
    using Out = output_shape<In>;
    constexpr std::size_t wpp = In::words_per_pixel;
    for (std::size_t py = 0; py < Out::height; ++py)
      for (std::size_t px = 0; px < Out::width; ++px) {
        std::uint64_t* o = out.data() + (py * Out::width + px) * wpp;
        for (std::size_t w = 0; w < wpp; ++w) o[w] = 0;
        const window_range rows = window_taps(py, In::height, Kernel, Stride, Pad);
        const window_range cols = window_taps(px, In::width, Kernel, Stride, Pad);
        for (std::size_t y = rows.begin; y < rows.end; ++y)
          for (std::size_t x = cols.begin; x < cols.end; ++x) {
            const std::uint64_t* i = in.data() + (y * In::width + x) * wpp;
            for (std::size_t w = 0; w < wpp; ++w) o[w] |= i[w];
          }
      }
  }
};

/// MaxPool as a layer of a Section: packed bits in, pooled packed bits out.
template <ShapeType In, class Pool>
class MaxPoolLayer : public detail::returns_output<MaxPoolLayer<In, Pool>, BitTensor<In>> {
 public:
  using input_shape = In;
  using spec_type = Pool;
  using output_shape = typename Pool::template output_shape<In>;
  using output_type = BitTensor<output_shape>;
  using parameters_type = NoParameters;
  static constexpr window_geometry geometry = window_geometry::over<In, Pool>();

  // ---- the layer kind's pieces (layer_kind.hpp) ----
  static constexpr std::string_view kind = "MaxPool";
  static constexpr bool is_float = false;
  [[nodiscard]] static constexpr layer_description description() noexcept {
    layer_description d;
    d.shape = layer_description::form::pool;
    d.kind = kind;
    d.pool = {Pool::kernel, Pool::stride, Pool::pad};
    return d;
  }
  [[nodiscard]] static constexpr NoParameters expectation() noexcept { return {}; }
  /// Pooling has no parameters: nothing stored.
  static constexpr parameter_storage storage{0, 0};
  [[nodiscard]] static NoParameters random_parameters(detail::random_stream&) noexcept {
    return {};
  }
  static_assert(window_fits(In::height, Pool::kernel, Pool::pad) &&
                    window_fits(In::width, Pool::kernel, Pool::pad),
                "MaxPool window is larger than the padded input");

  /// Takes the same (isa) argument as every layer for uniform construction; pooling is ORs.
  explicit MaxPoolLayer(const NoParameters& = {}, isa_id = isa_id::scalar) noexcept {}

  void forward(const BitTensor<In>& input, BitTensor<output_shape>& output) const noexcept {
    Pool::forward(input, output);
  }
};

/// No pooling: a 1x1 window with stride 1.
using NoPool = MaxPool<1, 1, 0>;

namespace detail {
template <class T>
inline constexpr bool is_max_pool_v = false;
template <std::size_t K, std::size_t S, std::size_t P>
inline constexpr bool is_max_pool_v<MaxPool<K, S, P>> = true;
}  // namespace detail

/// A type is a PoolWindow when it is some ddnn::MaxPool<K, S, P> (NoPool included).
template <class T>
concept PoolWindow = detail::is_max_pool_v<T>;

DDNN_END_NAMESPACE
