// gnuplot PNGs for the mnist_ddnn example: the threshold sweep and accuracy against the devices
// present, drawn by running gnuplot on a script written next to the image.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <limits>
#include <locale>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#if __has_include(<sys/wait.h>)
#include <sys/wait.h>
#define MNIST_DDNN_HAS_WAIT_STATUS 1
#endif

namespace mnist_ddnn {

/// One exit threshold T of a sweep; every value but T is a fraction in [0, 1].
struct SweepPoint {
  double threshold, local_exit_fraction, local_accuracy, cloud_accuracy, overall_accuracy;
};

/// Accuracy (fractions in [0, 1]) with `devices` end devices present.
struct DevicesPoint {
  std::size_t devices;
  double local_accuracy, cloud_accuracy, overall_accuracy;
};

/// drawn: the PNG exists and is non-empty; message: the PNG's path, or what went wrong.
struct PlotResult {
  bool drawn;
  std::string message;
};

namespace detail {

/// A POSIX shell word: 'it'\''s' for it's.
inline std::string shell_quote(std::string_view s) {
  std::string q = "'";
  for (const char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

/// A gnuplot single-quoted string (no escapes are processed; '' is one quote). Line breaks
/// would end the command, so they become spaces.
inline std::string gnuplot_quote(std::string_view s) {
  std::string q = "'";
  for (const char c : s) {
    if (c == '\'') {
      q += "''";
    } else if (c == '\n' || c == '\r') {
      q += ' ';
    } else {
      q += c;
    }
  }
  return q + "'";
}

/// A data value for an inline gnuplot data block; non-finite values are missing points.
inline std::string gnuplot_number(double v) {
  if (!std::isfinite(v)) return "NaN";
  std::ostringstream s;
  s.imbue(std::locale::classic());
  s << std::setprecision(std::numeric_limits<double>::max_digits10) << v;
  return s.str();
}

/// The y range's lower end: a multiple of ten below the smallest finite value, at least 0.
inline double y_floor(const std::vector<double>& values) {
  double lowest = 100.0;
  for (const double v : values) {
    if (std::isfinite(v)) lowest = std::min(lowest, v);
  }
  return std::clamp(std::floor((lowest - 1.0) / 10.0) * 10.0, 0.0, 90.0);
}

/// pngcairo where this gnuplot has it (anti-aliased), otherwise libgd's png. noenhanced: titles
/// such as "mnist_ddnn" must not turn `_` into a subscript.
inline std::string gnuplot_preamble(const std::filesystem::path& png, const std::string& title) {
  std::string s;
  s += "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n";
  s += "  set terminal pngcairo size 900,600 noenhanced\n";
  s += "} else {\n";
  s += "  set terminal png size 900,600 noenhanced\n";
  s += "}\n";
  s += "set output " + gnuplot_quote(png.string()) + "\n";
  if (!title.empty()) s += "set title " + gnuplot_quote(title) + "\n";
  s += "set grid\n";
  s += "set key outside right center\n";
  return s;
}

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

/// Writes `script` to `<png>.gp`, runs gnuplot on it and checks the PNG it should have written.
inline PlotResult run_gnuplot(const std::string& script, const std::filesystem::path& png) {
  namespace fs = std::filesystem;
  if (std::system(nullptr) == 0) return {false, "no shell to run gnuplot from"};
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    return {false,
            "gnuplot not found: install it (apt install gnuplot-nox) to draw " + png.string()};
  }

  std::error_code ec;
  if (png.has_parent_path()) {
    fs::create_directories(png.parent_path(), ec);
    if (ec) return {false, "cannot create " + png.parent_path().string() + ": " + ec.message()};
  }
  fs::path script_path = png;
  script_path += ".gp";
  fs::path log_path = png;
  log_path += ".gp.log";
  {
    std::ofstream file(script_path, std::ios::binary | std::ios::trunc);
    file << script;
    file.close();
    if (!file) return {false, "cannot write " + script_path.string()};
  }
  fs::remove(png, ec);  // so that a stale PNG is never taken for this run's

  const std::string command = "gnuplot " + shell_quote(script_path.string()) + " >" +
                              shell_quote(log_path.string()) + " 2>&1";
  const int status = std::system(command.c_str());
  int exit_code = status;
#ifdef MNIST_DDNN_HAS_WAIT_STATUS
  if (status != -1 && WIFEXITED(status)) exit_code = WEXITSTATUS(status);
#endif
  if (status != 0) {
    std::string error = read_text(log_path);
    if (error.empty()) error = "(no output)";
    return {false, "gnuplot failed (exit status " + std::to_string(exit_code) + ") on " +
                       script_path.string() + ":\n" + error};
  }
  fs::remove(log_path, ec);
  const auto size = fs::file_size(png, ec);
  if (ec || size == 0) {
    return {false, "gnuplot exited 0 but wrote no image to " + png.string()};
  }
  return {true, png.string()};
}

}  // namespace detail

/// Local-exit percentage and local, cloud and overall accuracy (in percent) against the exit
/// threshold T in [0, 1]. Never throws for gnuplot's sake: failures come back in the result.
inline PlotResult plot_threshold_sweep(const std::vector<SweepPoint>& points,
                                       const std::filesystem::path& png, const std::string& title) {
  if (points.empty()) return {false, "no sweep points to plot"};
  auto sorted = points;
  std::stable_sort(sorted.begin(), sorted.end(), [](const SweepPoint& a, const SweepPoint& b) {
    return a.threshold < b.threshold;
  });
  std::vector<double> values;
  std::string script = detail::gnuplot_preamble(png, title);
  script += "$data << EOD\n";
  for (const auto& p : sorted) {
    const double row[] = {p.local_exit_fraction * 100.0, p.local_accuracy * 100.0,
                          p.cloud_accuracy * 100.0, p.overall_accuracy * 100.0};
    script += detail::gnuplot_number(p.threshold);
    for (const double v : row) {
      script += ' ' + detail::gnuplot_number(v);
      values.push_back(v);
    }
    script += '\n';
  }
  script += "EOD\n";
  script += "set xlabel 'exit threshold T'\n";
  script += "set ylabel 'percent of test samples'\n";
  script += "set xrange [0:1]\n";
  script += "set yrange [" + detail::gnuplot_number(detail::y_floor(values)) + ":100]\n";
  script +=
      "plot $data using 1:2 with linespoints linewidth 2 title 'exited locally (%)', \\\n"
      "     $data using 1:3 with linespoints linewidth 2 title 'local accuracy', \\\n"
      "     $data using 1:4 with linespoints linewidth 2 title 'cloud accuracy', \\\n"
      "     $data using 1:5 with linespoints linewidth 2 title 'overall accuracy'\n";
  return detail::run_gnuplot(script, png);
}

/// Overall, local and cloud accuracy (in percent) against the number of end devices present.
/// Never throws for gnuplot's sake: failures come back in the result.
inline PlotResult plot_devices(const std::vector<DevicesPoint>& points,
                               const std::filesystem::path& png, const std::string& title) {
  if (points.empty()) return {false, "no device points to plot"};
  auto sorted = points;
  std::stable_sort(sorted.begin(), sorted.end(), [](const DevicesPoint& a, const DevicesPoint& b) {
    return a.devices < b.devices;
  });
  std::vector<double> values;
  std::string script = detail::gnuplot_preamble(png, title);
  script += "$data << EOD\n";
  for (const auto& p : sorted) {
    const double row[] = {p.overall_accuracy * 100.0, p.local_accuracy * 100.0,
                          p.cloud_accuracy * 100.0};
    script += std::to_string(p.devices);
    for (const double v : row) {
      script += ' ' + detail::gnuplot_number(v);
      values.push_back(v);
    }
    script += '\n';
  }
  script += "EOD\n";
  const std::size_t first = sorted.front().devices, last = sorted.back().devices;
  script += "set xlabel 'end devices present'\n";
  script += "set ylabel 'accuracy (%)'\n";
  script += "set xrange [" + detail::gnuplot_number(static_cast<double>(first) - 0.5) + ":" +
            detail::gnuplot_number(static_cast<double>(last) + 0.5) + "]\n";
  if (last - first <= 20) script += "set xtics 1\n";
  script += "set yrange [" + detail::gnuplot_number(detail::y_floor(values)) + ":100]\n";
  script +=
      "plot $data using 1:2 with linespoints linewidth 2 title 'overall accuracy', \\\n"
      "     $data using 1:3 with linespoints linewidth 2 title 'local accuracy', \\\n"
      "     $data using 1:4 with linespoints linewidth 2 title 'cloud accuracy'\n";
  return detail::run_gnuplot(script, png);
}

}  // namespace mnist_ddnn
