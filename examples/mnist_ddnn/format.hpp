// Number formatting for the mnist_ddnn example's reports: fixed decimals and percentages that do
// not depend on the global locale, for tables, progress bars and logs alike.
#pragma once

#include <algorithm>
#include <iomanip>
#include <locale>
#include <sstream>
#include <string>

namespace mnist_ddnn {

/// `v` with exactly `decimals` digits after the point (negative counts as 0), independent of the
/// global locale: fixed(0.41234, 4) == "0.4123".
inline std::string fixed(double v, int decimals) {
  std::ostringstream s;
  s.imbue(std::locale::classic());
  s << std::fixed << std::setprecision(std::max(decimals, 0)) << v;
  return s.str();
}

/// A fraction as a percentage: percent(0.9812) == "98.12%".
inline std::string percent(double fraction, int decimals = 2) {
  return fixed(fraction * 100.0, decimals) + "%";
}

}  // namespace mnist_ddnn
