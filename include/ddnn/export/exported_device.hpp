// exported_device: what export_device() returns for one device of a graph: the freestanding
// header's text and the sizes a microcontroller build needs to know. Apart from
// export_device.hpp so that code which only reports an export need not compile the exporter.
#pragma once
#include <cstddef>
#include <string>

#include "ddnn/core/config.hpp"

DDNN_BEGIN_NAMESPACE

/// An exported device: the header's text and the sizes it declares.
struct exported_device {
  std::string header;
  std::size_t input_bytes = 0;      ///< the sensor input forward() reads
  std::size_t message_bytes = 0;    ///< logits + dense feature bits
  std::size_t scratch_bytes = 0;    ///< the feature maps between layers
  std::size_t parameter_bytes = 0;  ///< the constexpr parameter arrays (flash)
};

DDNN_END_NAMESPACE
