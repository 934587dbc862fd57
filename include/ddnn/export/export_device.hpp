// export_device: one device of a graph as a freestanding C++ header for a microcontroller. The
// header holds the device's packed weights as constexpr arrays (flash, not RAM), its folded
// integer thresholds and flips, its exit head's scale and bias as exact float bit patterns, its
// sizes, and one forward(input, scratch, message) that fills the device's message exactly as the
// library's device step and the wire format would: the exit-head logits (float32, little-endian,
// or the int8 link's exponent byte and one byte per class, as the device tier's logits link says)
// followed by the feature map (bits densely packed LSB-first in HWC order). It needs nothing but
// <cstdint>, <array>, <bit> and <span>: no ddnn headers, no heap, no exceptions, no RTTI, no libm.
//
// Thresholds are folded by the very functions the library's layers use (batchnorm_sign.hpp), so
// the two cannot disagree on a step; the engine (device_engine.hpp) computes the same sums.
#pragma once
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "ddnn/core/bit_tensor.hpp"
#include "ddnn/core/error.hpp"
#include "ddnn/export/device_engine.hpp"
#include "ddnn/export/exported_device.hpp"
#include "ddnn/graph/message.hpp"
#include "ddnn/io/atomic_file.hpp"
#include "ddnn/layers/batchnorm_sign.hpp"
#include "ddnn/layers/binary_conv.hpp"
#include "ddnn/layers/binary_dense.hpp"
#include "ddnn/layers/first_conv.hpp"
#include "ddnn/layers/max_pool.hpp"

DDNN_BEGIN_NAMESPACE

/// How an exported header is named and labelled.
struct device_export_options {
  /// The C++ namespace that holds the device (required): "mnist_device_0" or "sensors::left".
  /// Each exported device has its own, so one program can include several.
  std::string name_space;
  /// Optional words for the header's first comment (where the parameters came from).
  std::string note;
};

namespace detail {

/// Writes the header of an exported device: its data arrays, its forward body, and the scratch
/// it needs (two regions the layers alternate between).
class device_writer {
 public:
  int region = -1;  ///< where the current map lies: -1 the sensor input, else a scratch region
  std::size_t region_words[2] = {0, 0};
  std::string data, body;
  std::size_t parameter_bytes = 0;

  /// The region the next layer writes to; records that it must hold `bits`.
  std::string next_output(std::size_t bits) {
    region = region == 0 ? 1 : 0;
    region_words[region] = std::max(region_words[region], (bits + 31) / 32);
    return region == 0 ? "region0" : "region1";
  }
  [[nodiscard]] std::string current() const {
    return region < 0 ? "input.data()" : (region == 0 ? "region0" : "region1");
  }

  void words(const std::string& name, const std::vector<std::uint32_t>& values) {
    array("std::uint32_t", name, values, [](std::uint32_t v) { return hex(v); });
  }
  void ints(const std::string& name, const std::vector<std::int32_t>& values) {
    array("std::int32_t", name, values, [](std::int32_t v) { return std::to_string(v); });
  }

  static std::string hex(std::uint32_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s = "0x00000000u";
    for (int i = 0; i < 8; ++i) s[9 - i] = digits[(v >> (4 * i)) & 15u];
    return s;
  }

 private:
  template <class T, class Format>
  void array(const std::string& type, const std::string& name, const std::vector<T>& values,
             Format format) {
    data += "inline constexpr " + type + " " + name + "[" + std::to_string(values.size()) + "] = {";
    for (std::size_t i = 0; i < values.size(); ++i) {
      data += i % 8 == 0 ? "\n    " : " ";
      data += format(values[i]) + (i + 1 < values.size() ? "," : "");
    }
    data += "};\n";
    parameter_bytes += values.size() * sizeof(T);
  }
};

/// Signs (w >= 0 is +1, bit 1) as rows of `row_bits` bits, each row starting at a word: `rows`
/// x words_for(row_bits) words, the bits past a row's end zero. The parameters' own order.
inline std::vector<std::uint32_t> sign_rows(std::span<const float> weights, std::size_t rows,
                                            std::size_t row_bits) {
  const std::size_t row_words = (row_bits + 31) / 32;
  std::vector<std::uint32_t> s(rows * row_words, 0);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t i = 0; i < row_bits; ++i)
      if (sign_bit(weights[r * row_bits + i]))
        s[r * row_words + i / 32] |= std::uint32_t{1} << (i % 32);
  return s;
}

inline std::vector<std::uint32_t> float_bits(std::span<const float> values) {
  std::vector<std::uint32_t> s;
  for (float v : values) s.push_back(std::bit_cast<std::uint32_t>(v));
  return s;
}

/// Folds every BatchNorm over integer sums in [-bound, bound]: thresholds and a flip stream.
inline std::pair<std::vector<std::int32_t>, std::vector<std::uint32_t>> fold_all(
    std::span<const BatchNorm> batchnorm, std::int32_t bound) {
  std::vector<std::int32_t> thresholds;
  std::vector<std::uint32_t> flips((batchnorm.size() + 31) / 32, 0);
  for (std::size_t f = 0; f < batchnorm.size(); ++f) {
    const auto folded = fold_integer(batchnorm[f], -bound, bound);
    thresholds.push_back(folded.threshold);
    if (folded.flip) flips[f / 32] |= std::uint32_t{1} << (f % 32);
  }
  return {thresholds, flips};
}

/// Folds `batchnorm` over integer sums in [-bound, bound] and writes `name`_thresholds and
/// `name`_flips.
inline void write_integer_thresholds(device_writer& w, const std::string& name,
                                     std::span<const BatchNorm> batchnorm, std::int32_t bound) {
  const auto [thresholds, flips] = fold_all(batchnorm, bound);
  w.ints(name + "_thresholds", thresholds);
  w.words(name + "_flips", flips);
}

/// The engine's window{} for a windowed layer (FirstConv, BinaryConv).
template <class Layer>
std::string window_literal() {
  using In = typename Layer::input_shape;
  using Spec = typename Layer::spec_type;
  using Conv = typename Layer::conv_shape;
  using Out = typename Layer::output_shape;
  auto n = [](std::size_t v) { return std::to_string(v); };
  return "engine::window{" + n(In::height) + ", " + n(In::width) + ", " + n(In::channels) + ", " +
         n(Spec::filters) + ", " + n(Spec::kernel) + ", " + n(Spec::stride) + ", " + n(Spec::pad) +
         ", " + n(Conv::height) + ", " + n(Conv::width) + ", " + n(Spec::pool::kernel) + ", " +
         n(Spec::pool::stride) + ", " + n(Spec::pool::pad) + ", " + n(Out::height) + ", " +
         n(Out::width) + "}";
}

/// One line of the header's comment for a layer.
inline std::string describe(const layer_description& d) {
  using form = layer_description::form;
  auto n = [](std::size_t v) { return std::to_string(v); };
  auto pool = [&](const layer_description::pool_window& p) {
    return n(p.kernel) + "x" + n(p.kernel) + " stride " + n(p.stride) + " pad " + n(p.pad);
  };
  std::string s(d.kind);
  if (d.shape == form::window) {
    s += " " + n(d.filters) + " filters " + n(d.kernel) + "x" + n(d.kernel) + " stride " +
         n(d.stride) + " pad " + n(d.pad);
    if (d.pool.kernel > 1 || d.pool.stride > 1) s += ", max-pool " + pool(d.pool);
  } else if (d.shape == form::dense) {
    s += " " + n(d.outputs) + " " + std::string(d.output);
  } else {
    s += " " + pool(d.pool);
  }
  return s;
}

/// What FirstConv and BinaryConv write alike: the window `name` and a row of tap bits per
/// filter (`name`_weights).
template <class Layer>
void write_window_and_weights(device_writer& w, const std::string& name, const ConvParameters& p) {
  using Spec = typename Layer::spec_type;
  w.data += "inline constexpr engine::window " + name + " = " + window_literal<Layer>() + ";\n";
  w.words(name + "_weights", sign_rows(p.weights, Spec::filters,
                                       Spec::kernel * Spec::kernel * Layer::input_shape::channels));
}

template <class Layer>
inline constexpr bool always_false = false;

/// A layer kind the engine has no counterpart for: a compile error that says what can be.
template <class Layer, class Parameters, class Value>
void export_layer(std::type_identity<Layer>, const Parameters&, std::size_t, device_writer&,
                  std::type_identity<Value>) {
  static_assert(always_false<Layer>,
                "export_device: this device layer kind cannot be exported; a device section may "
                "hold FirstConv, BinaryConv, MaxPool and BinaryDense (bits) layers, with a "
                "BinaryDense logits exit head");
}

template <ShapeType In, class Spec, class Value>
void export_layer(std::type_identity<FirstConvLayer<In, Spec>>, const ConvParameters& p,
                  std::size_t index, device_writer& w, std::type_identity<Value>) {
  using Layer = FirstConvLayer<In, Spec>;
  const std::string name = "layer" + std::to_string(index);
  write_window_and_weights<Layer>(w, name, p);
  const std::string input = w.current();
  const std::string output = w.next_output(Layer::output_shape::size);
  if constexpr (std::is_same_v<Value, float>) {
    std::vector<std::uint32_t> thresholds, flips((Spec::filters + 31) / 32, 0);
    for (std::size_t f = 0; f < Spec::filters; ++f) {
      const auto folded = fold_float(p.batchnorm[f]);
      thresholds.push_back(std::bit_cast<std::uint32_t>(folded.threshold));
      if (folded.flip) flips[f / 32] |= std::uint32_t{1} << (f % 32);
    }
    w.words(name + "_thresholds", thresholds);
    w.words(name + "_flips", flips);
    w.body += "  if (!engine::first_conv_float<" + name + ">(" + input + ", " + name +
              "_weights, " + name + "_thresholds, " + name + "_flips, " + output +
              "))\n    return false;\n";
  } else {
    write_integer_thresholds(w, name, p.batchnorm, Layer::max_sum);
    w.body += "  engine::first_conv_integer<" + name + ">(" + input + ", " + name + "_weights, " +
              name + "_thresholds, " + name + "_flips, " + output + ");\n";
  }
}

template <ShapeType In, class Spec, class Value>
void export_layer(std::type_identity<BinaryConvLayer<In, Spec>>, const ConvParameters& p,
                  std::size_t index, device_writer& w, std::type_identity<Value>) {
  using Layer = BinaryConvLayer<In, Spec>;
  const std::string name = "layer" + std::to_string(index);
  write_window_and_weights<Layer>(w, name, p);
  write_integer_thresholds(w, name, p.batchnorm, Layer::max_sum);
  const std::string input = w.current();
  const std::string output = w.next_output(Layer::output_shape::size);
  w.body += "  engine::binary_conv<" + name + ">(" + input + ", " + name + "_weights, " + name +
            "_thresholds, " + name + "_flips, " + output + ");\n";
}

template <ShapeType In, class Pool, class Value>
void export_layer(std::type_identity<MaxPoolLayer<In, Pool>>, const NoParameters&,
                  std::size_t index, device_writer& w, std::type_identity<Value>) {
  using Out = typename MaxPoolLayer<In, Pool>::output_shape;
  const std::string name = "layer" + std::to_string(index);
  auto n = [](std::size_t v) { return std::to_string(v); };
  // A pool is a window layer with as many "filters" as channels and a 1x1 convolution.
  w.data += "inline constexpr engine::window " + name + " = engine::window{" + n(In::height) +
            ", " + n(In::width) + ", " + n(In::channels) + ", " + n(In::channels) + ", 1, 1, 0, " +
            n(In::height) + ", " + n(In::width) + ", " + n(Pool::kernel) + ", " + n(Pool::stride) +
            ", " + n(Pool::pad) + ", " + n(Out::height) + ", " + n(Out::width) + "};\n";
  const std::string input = w.current();
  const std::string output = w.next_output(Out::size);
  w.body += "  engine::max_pool<" + name + ">(" + input + ", " + output + ");\n";
}

template <ShapeType In, class Spec, class Value>
void export_layer(std::type_identity<BinaryDenseLayer<In, Spec>>, const DenseParameters& p,
                  std::size_t index, device_writer& w, std::type_identity<Value>) {
  static_assert(Spec::produces == Output::bits,
                "export_device: a BinaryDense inside a device section must produce bits (logits "
                "belong to the exit head)");
  const std::string name = "layer" + std::to_string(index);
  w.words(name + "_weights", sign_rows(p.weights, Spec::outputs, In::size));
  write_integer_thresholds(w, name, p.batchnorm, std::int32_t(In::size));
  const std::string input = w.current();
  const std::string output = w.next_output(Spec::outputs);
  w.body += "  engine::binary_dense_bits<" + std::to_string(In::size) + ", " +
            std::to_string(Spec::outputs) + ">(" + input + ", " + name + "_weights, " + name +
            "_thresholds, " + name + "_flips, " + output + ");\n";
}

/// The exit head: BinaryDense to logits, written at the start of the message.
template <class Head>
void export_head(std::type_identity<Head>, const DenseParameters&, device_writer&) {
  static_assert(always_false<Head>,
                "export_device: a device's exit head must be a BinaryDense<C, Output::logits>");
}
template <ShapeType In, class Spec>
void export_head(std::type_identity<BinaryDenseLayer<In, Spec>>, const DenseParameters& p,
                 LogitsEncoding link, device_writer& w) {
  static_assert(Spec::produces == Output::logits);
  w.words("head_weights", sign_rows(p.weights, Spec::outputs, In::size));
  w.words("head_scale", float_bits(p.scale));
  w.words("head_bias", float_bits(p.bias));
  w.body += "  engine::binary_dense_logits<" + std::to_string(In::size) + ", " +
            std::to_string(Spec::outputs) + (link == LogitsEncoding::int8 ? ", true" : ", false") +
            ">(" + w.current() + ", head_weights, head_scale, head_bias, message.data());\n";
}

/// Throws unless `name` is a namespace name: identifiers joined by "::".
inline void require_namespace_name(const std::string& name) {
  std::size_t at = 0;
  const auto bad = [&] {
    fail("export_device: \"" + name + "\" is not a C++ namespace name (identifiers joined by ::)");
  };
  if (name.empty()) bad();
  while (at <= name.size()) {
    const std::size_t end = std::min(name.find("::", at), name.size());
    if (end == at) bad();
    for (std::size_t i = at; i < end; ++i) {
      const char c = name[i];
      const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
      if (!letter && !(i > at && c >= '0' && c <= '9')) bad();
    }
    at = end + 2;
  }
}

template <class Value>
constexpr std::string_view value_type_name() {
  if constexpr (std::is_same_v<Value, std::uint8_t>)
    return "std::uint8_t";
  else if constexpr (std::is_same_v<Value, std::int8_t>)
    return "std::int8_t";
  else
    return "float";
}

}  // namespace detail

/// Device `device` of `graph` as a freestanding header (see the top of this file). Throws
/// ddnn::error when `device` is not one of the graph's devices or the namespace name is not one.
/// A device section with a layer kind the engine does not have is a compile error.
template <class Graph>
[[nodiscard]] exported_device export_device(const Graph& graph, std::size_t device,
                                            const device_export_options& options) {
  using Tier = typename Graph::template tier<0>;
  using Value = typename Graph::sensor::value_type;
  using InShape = typename Graph::sensor::input_shape;
  using Layers = typename Tier::section::layer_types;
  using Features = typename Tier::output_type;
  static_assert(is_bit_tensor<Features>,
                "export_device: a device must send bits (its last layer binary)");
  if (device >= Tier::nodes)
    detail::fail("export_device: device " + std::to_string(device) + " of " +
                 std::to_string(Tier::nodes));
  detail::require_namespace_name(options.name_space);
  const auto& node = graph.parameters().template tier<0>().nodes[device];

  const LogitsEncoding link = graph.template logits_link<0>();
  detail::device_writer w;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (detail::export_layer(std::type_identity<std::tuple_element_t<I, Layers>>{},
                          std::get<I>(node.layers), I, w, std::type_identity<Value>{}),
     ...);
  }
  (std::make_index_sequence<std::tuple_size_v<Layers>>{});
  constexpr std::size_t classes = Tier::has_exit ? Tier::exit::classes : 0;
  const std::size_t logits_bytes = classes > 0 ? logits_link_bytes(link, classes) : 0;
  if constexpr (Tier::has_exit)
    detail::export_head(std::type_identity<typename Tier::exit::head_layer>{}, node.exit_head, link,
                        w);
  w.body += "  engine::put_bytes(" + w.current() + ", feature_values, message.data() + " +
            "logits_bytes);\n";

  exported_device e;
  constexpr std::size_t feature_bytes = (Features::shape::size + 7) / 8;
  e.input_bytes = InShape::size * sizeof(Value);
  e.message_bytes = logits_bytes + feature_bytes;
  const std::size_t scratch_words = std::max<std::size_t>(1, w.region_words[0] + w.region_words[1]);
  e.scratch_bytes = 4 * scratch_words;
  e.parameter_bytes = w.parameter_bytes;

  auto n = [](std::size_t v) { return std::to_string(v); };
  std::string description;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((description +=
      "//   " + detail::describe(std::tuple_element_t<I, Layers>::description()) + "\n"),
     ...);
  }
  (std::make_index_sequence<std::tuple_size_v<Layers>>{});
  std::string& h = e.header;
  h += "// Device " + n(device) + " of " + n(Tier::nodes) +
       " of a ddnn graph, exported by ddnn::export_device";
  h += options.note.empty() ? ".\n" : ": " + options.note + "\n";
  h += "// Input: " + n(InShape::height) + "x" + n(InShape::width) + "x" + n(InShape::channels) +
       " " + std::string(detail::value_type_name<Value>()) + " values, HWC. Layers:\n" +
       description;
  if constexpr (Tier::has_exit) h += "//   exit head: BinaryDense " + n(classes) + " logits\n";
  h += "// forward() fills the device's message exactly as the library's device step and the wire\n"
       "// format do: " +
       std::string(classes == 0                   ? ""
                   : link == LogitsEncoding::int8 ? "the exit-head logits (int8 link), then "
                                                  : "the exit-head logits (float32, "
                                                    "little-endian), then ") +
       "the feature map\n// (bits densely packed LSB-first in HWC order, bit 1 for +1). "
       "Freestanding: no heap,\n// exceptions, RTTI or libm; compile without -ffast-math.\n";
  h += "#pragma once\n#include <array>\n#include <bit>\n#include <cstdint>\n#include <span>\n\n";
  h += "namespace " + options.name_space + " {\n";
  h += std::string(detail::device_engine_source);
  h += "\n// ---- sizes ----\n";
  h += "inline constexpr std::size_t input_height = " + n(InShape::height) +
       ", input_width = " + n(InShape::width) + ", input_channels = " + n(InShape::channels) +
       ";\n";
  h += "inline constexpr std::size_t input_values = " + n(InShape::size) + ";\n";
  h += "using input_value = " + std::string(detail::value_type_name<Value>()) + ";\n";
  h += "inline constexpr std::size_t input_bytes = " + n(e.input_bytes) + ";\n";
  h += "inline constexpr std::size_t classes = " + n(classes) + ";\n";
  h += "/// How the logits are sent: float32 little-endian, or the int8 link (an exponent byte e,\n"
       "/// then one signed byte q per class: the logit is q * 2^e).\n";
  h += "inline constexpr bool int8_logits = " +
       std::string(link == LogitsEncoding::int8 ? "true" : "false") + ";\n";
  h += "inline constexpr std::size_t logits_bytes = " + n(logits_bytes) + ";\n";
  h += "inline constexpr std::size_t feature_values = " + n(Features::shape::size) + ";\n";
  h += "inline constexpr std::size_t feature_bytes = " + n(feature_bytes) + ";\n";
  h += "inline constexpr std::size_t message_bytes = " + n(e.message_bytes) + ";\n";
  h += "inline constexpr std::size_t scratch_words = " + n(scratch_words) + ";\n";
  h += "inline constexpr std::size_t scratch_bytes = " + n(e.scratch_bytes) + ";\n";
  h += "using input_type = std::array<input_value, input_values>;\n";
  h += "using scratch_type = std::array<std::uint32_t, scratch_words>;\n";
  h += "using message_type = std::array<std::uint8_t, message_bytes>;\n";
  h += "\n// ---- parameters (constexpr: they stay in flash) ----\n";
  h += "namespace parameters {\n" + w.data + "}  // namespace parameters\n";
  h += "\n/// The device's message for `input`; `scratch` holds the feature maps between layers.\n"
       "/// Returns false (message unspecified) only for float input with a NaN or infinite "
       "value.\n";
  h += "inline bool forward(std::span<const input_value, input_values> input,\n"
       "                    std::span<std::uint32_t, scratch_words> scratch,\n"
       "                    std::span<std::uint8_t, message_bytes> message) noexcept {\n"
       "  using namespace parameters;\n"
       "  std::uint32_t* const region0 = scratch.data();\n"
       "  std::uint32_t* const region1 = scratch.data() + " +
       n(w.region_words[0]) + ";\n  (void)region0, (void)region1;\n";
  h += w.body;
  h += "  return true;\n}\n\n";
  if constexpr (Tier::has_exit)
    h += "/// Logit i of a message forward() wrote, as the aggregator reads it.\n"
         "inline float logit(std::span<const std::uint8_t, message_bytes> message,\n"
         "                   std::size_t i) noexcept {\n"
         "  return engine::read_logit<int8_logits>(message.data(), int(i));\n}\n\n";
  h += "}  // namespace " + options.name_space + "\n";
  return e;
}

/// The bytes an exported device's forward() writes for `input`, as the library computes them:
/// device `device`'s step, its exit-head logits (as the device tier's logits link sends them)
/// then its feature map packed for the wire. What a test on the microcontroller compares against.
/// Throws what the device step throws (a NaN or infinite float input).
template <class Graph>
[[nodiscard]] std::vector<std::uint8_t> device_message(const Graph& graph, std::size_t device,
                                                       const typename Graph::input_type& input) {
  using Tier = typename Graph::template tier<0>;
  using Features = typename Tier::output_type;
  const auto step = graph.step_device(device, input);
  std::vector<std::uint8_t> out;
  if constexpr (Tier::has_exit) {
    const LogitsEncoding link = graph.template logits_link<0>();
    out.resize(logits_link_bytes(link, Tier::exit::classes));
    write_logits(link, step.logits.values(), out.data());
  }
  const std::size_t at = out.size();
  out.resize(at + link_bytes_of<Features>);
  detail::pack_dense(step.features, out.data() + at);
  return out;
}

/// export_device() written to `file` (replaced atomically: a crash leaves the old file or the
/// new one, never a torn header). Returns the export.
template <class Graph>
exported_device export_device(const Graph& graph, std::size_t device,
                              const std::filesystem::path& file,
                              const device_export_options& options) {
  exported_device e = export_device(graph, device, options);
  io::write_file_atomically(file, std::span<const char>(e.header.data(), e.header.size()));
  return e;
}

DDNN_END_NAMESPACE
