// Reporting for the mnist_ddnn example: a progress bar that keeps CI logs short, GitHub markdown
// tables of results, and gnuplot PNGs of the threshold sweep and the device-failure experiment.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <limits>
#include <locale>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>
#define MNIST_DDNN_HAS_ISATTY 1
#endif
#if __has_include(<sys/wait.h>)
#include <sys/wait.h>
#define MNIST_DDNN_HAS_WAIT_STATUS 1
#endif

namespace mnist_ddnn {

// --- number formatting ---------------------------------------------------------------------------

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

// --- progress bar --------------------------------------------------------------------------------

/// One progress line per bar. On a terminal (std::cerr or std::cout attached to a tty) the line
/// is redrawn in place at most ten times a second; anywhere else (pipes, CI logs, string
/// streams) a plain line is written only when a 10% step is crossed, so a bar never writes more
/// than eleven lines, finish() included.
class ProgressBar {
 public:
  ProgressBar(std::string label, std::size_t total, std::ostream& out = std::cerr)
      : label_(std::move(label)), total_(total), out_(out), terminal_(is_terminal(out)) {}

  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  ~ProgressBar() {
    // An exception between update() and finish() must not leave the shell prompt on our line.
    if (line_open_) out_ << '\n' << std::flush;
  }

  /// `done` of `total` items are processed; `accuracy` is a fraction in [0, 1].
  void update(std::size_t done, double loss, double accuracy) {
    if (finished_) return;
    done = std::min(done, total_);
    const bool final_update = done == total_;
    if (terminal_) {
      const auto now = std::chrono::steady_clock::now();
      if (!final_update && last_draw_ && now - *last_draw_ < redraw_interval) return;
      last_draw_ = now;
      const std::string line = render(done, loss, accuracy);
      const std::size_t padding = drawn_width_ > line.size() ? drawn_width_ - line.size() : 0;
      out_ << '\r' << line << std::string(padding, ' ') << std::flush;
      drawn_width_ = line.size();
      line_open_ = true;
    } else {
      // Steps 1..10 (10%..100%); the start is no step crossed, which leaves room for finish().
      const std::size_t step = total_ == 0 ? steps : done * steps / total_;
      if (step <= printed_step_) return;
      printed_step_ = step;
      out_ << render(done, loss, accuracy) << '\n';
    }
  }

  /// Ends the bar's line with the elapsed time; later calls of update() and finish() do nothing.
  void finish(double seconds) {
    if (finished_) return;
    finished_ = true;
    if (terminal_) {
      out_ << (line_open_ ? "  " : label_ + " ") << fixed(seconds, 1) << " s\n" << std::flush;
      line_open_ = false;
    } else {
      out_ << label_ << " done in " << fixed(seconds, 1) << " s\n";
    }
  }

 private:
  static constexpr std::size_t bar_width = 30;
  static constexpr std::size_t steps = 10;
  static constexpr std::chrono::milliseconds redraw_interval{100};

  static bool is_terminal([[maybe_unused]] const std::ostream& out) {
#ifdef MNIST_DDNN_HAS_ISATTY
    if (&out == &std::cerr) return ::isatty(STDERR_FILENO) == 1;
    if (&out == &std::cout) return ::isatty(STDOUT_FILENO) == 1;
#endif
    return false;
  }

  /// `label [#####.....]  62%  loss 0.4123  acc 91.20%`
  std::string render(std::size_t done, double loss, double accuracy) const {
    const double fraction =
        total_ == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total_);
    const auto filled =
        std::min(bar_width, static_cast<std::size_t>(fraction * static_cast<double>(bar_width)));
    const auto whole_percent = static_cast<int>(fraction * 100.0);
    std::ostringstream s;
    s.imbue(std::locale::classic());
    s << label_ << " [" << std::string(filled, '#') << std::string(bar_width - filled, '.') << "] "
      << std::setw(3) << whole_percent << "%  loss " << fixed(loss, 4) << "  acc "
      << percent(accuracy);
    return s.str();
  }

  std::string label_;
  std::size_t total_;
  std::ostream& out_;
  bool terminal_;
  std::optional<std::chrono::steady_clock::time_point> last_draw_;
  std::size_t drawn_width_ = 0;
  std::size_t printed_step_ = 0;
  bool line_open_ = false;
  bool finished_ = false;
};

// --- markdown tables -----------------------------------------------------------------------------

namespace detail {

/// A number as experiments print it: optional sign, digits with at most one point, an optional
/// exponent, and an optional unit suffix `%` or `x` ("98.12%", "-0.5", "1e-3", "3.2x").
inline bool looks_numeric(std::string_view cell) {
  if (!cell.empty() && (cell.back() == '%' || cell.back() == 'x')) cell.remove_suffix(1);
  std::size_t i = 0;
  if (i < cell.size() && (cell[i] == '+' || cell[i] == '-')) ++i;
  bool digits = false, point = false;
  for (; i < cell.size(); ++i) {
    const char c = cell[i];
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (!digits) return false;
  if (i < cell.size() && (cell[i] == 'e' || cell[i] == 'E')) {
    ++i;
    if (i < cell.size() && (cell[i] == '+' || cell[i] == '-')) ++i;
    const std::size_t exponent_start = i;
    while (i < cell.size() && cell[i] >= '0' && cell[i] <= '9') ++i;
    if (i == exponent_start) return false;
  }
  return i == cell.size();
}

/// Columns count characters, not bytes: UTF-8 continuation bytes take no column.
inline std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0u) != 0x80u; }));
}

/// A cell's text inside a table row: `|` escaped, line breaks as spaces.
inline std::string markdown_cell(std::string_view text) {
  std::string cell;
  cell.reserve(text.size());
  for (const char c : text) {
    if (c == '|') {
      cell += "\\|";
    } else if (c == '\n' || c == '\r') {
      cell += ' ';
    } else {
      cell += c;
    }
  }
  return cell;
}

}  // namespace detail

/// A GitHub markdown table, columns padded to equal width. A column whose non-empty body cells
/// all look numeric is right-aligned (`---:`); other columns are left-aligned.
struct MarkdownTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  /// Throws std::invalid_argument when the header is empty or a row's cell count differs from
  /// the header's.
  std::string render() const {
    if (header.empty()) throw std::invalid_argument("MarkdownTable: the header has no columns");
    const std::size_t columns = header.size();
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (rows[r].size() != columns) {
        throw std::invalid_argument("MarkdownTable: row " + std::to_string(r) + " has " +
                                    std::to_string(rows[r].size()) + " cells, the header has " +
                                    std::to_string(columns));
      }
    }

    std::vector<std::string> head;
    head.reserve(columns);
    for (const auto& h : header) head.push_back(detail::markdown_cell(h));
    std::vector<std::vector<std::string>> body;
    body.reserve(rows.size());
    for (const auto& row : rows) {
      auto& cells = body.emplace_back();
      cells.reserve(columns);
      for (const auto& c : row) cells.push_back(detail::markdown_cell(c));
    }

    std::vector<bool> right(columns, false);
    std::vector<std::size_t> width(columns, 3);  // "---", the shortest separator
    for (std::size_t c = 0; c < columns; ++c) {
      bool any = false, all_numeric = true;
      for (const auto& cells : body) {
        if (cells[c].empty()) continue;
        any = true;
        all_numeric = all_numeric && detail::looks_numeric(cells[c]);
      }
      right[c] = any && all_numeric;
      if (right[c]) width[c] = 4;  // "---:"
      width[c] = std::max(width[c], detail::display_width(head[c]));
      for (const auto& cells : body) width[c] = std::max(width[c], detail::display_width(cells[c]));
    }

    std::string out;
    const auto append_row = [&](const std::vector<std::string>& cells) {
      out += '|';
      for (std::size_t c = 0; c < columns; ++c) {
        const std::string pad(width[c] - detail::display_width(cells[c]), ' ');
        out += ' ';
        out += right[c] ? pad + cells[c] : cells[c] + pad;
        out += " |";
      }
      out += '\n';
    };
    append_row(head);
    out += '|';
    for (std::size_t c = 0; c < columns; ++c) {
      out += ' ';
      out += right[c] ? std::string(width[c] - 1, '-') + ':' : std::string(width[c], '-');
      out += " |";
    }
    out += '\n';
    for (const auto& cells : body) append_row(cells);
    return out;
  }
};

// --- plots ---------------------------------------------------------------------------------------

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
