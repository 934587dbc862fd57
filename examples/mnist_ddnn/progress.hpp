// The mnist_ddnn example's progress bar: one line per bar, redrawn in place on a terminal and
// written in 10% steps elsewhere, so that CI logs of a training run stay short.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <iomanip>
#include <iostream>
#include <locale>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "format.hpp"

#if __has_include(<unistd.h>)
#include <unistd.h>
#define MNIST_DDNN_HAS_ISATTY 1
#endif

namespace mnist_ddnn {

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

  /// `done` of `total` items are processed (a phase with no loss to show: evaluation).
  void update(std::size_t done) { draw(done, std::nullopt); }

  /// `done` of `total` items are processed; `accuracy` is a fraction in [0, 1].
  void update(std::size_t done, double loss, double accuracy) {
    draw(done, std::pair{loss, accuracy});
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
  using Figures = std::optional<std::pair<double, double>>;  ///< loss and accuracy

  void draw(std::size_t done, Figures figures) {
    if (finished_) return;
    done = std::min(done, total_);
    const bool final_update = done == total_;
    if (terminal_) {
      const auto now = std::chrono::steady_clock::now();
      if (!final_update && last_draw_ && now - *last_draw_ < redraw_interval) return;
      last_draw_ = now;
      const std::string line = render(done, figures);
      const std::size_t padding = drawn_width_ > line.size() ? drawn_width_ - line.size() : 0;
      out_ << '\r' << line << std::string(padding, ' ') << std::flush;
      drawn_width_ = line.size();
      line_open_ = true;
    } else {
      // Steps 1..10 (10%..100%); the start is no step crossed, which leaves room for finish().
      const std::size_t step = total_ == 0 ? steps : done * steps / total_;
      if (step <= printed_step_) return;
      printed_step_ = step;
      out_ << render(done, figures) << '\n';
    }
  }

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

  /// `label [#####.....]  62%  loss 0.4123  acc 91.20%` (without figures: `label [...]  62%`)
  std::string render(std::size_t done, const Figures& figures) const {
    const double fraction =
        total_ == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total_);
    const auto filled =
        std::min(bar_width, static_cast<std::size_t>(fraction * static_cast<double>(bar_width)));
    const auto whole_percent = static_cast<int>(fraction * 100.0);
    std::ostringstream s;
    s.imbue(std::locale::classic());
    s << label_ << " [" << std::string(filled, '#') << std::string(bar_width - filled, '.') << "] "
      << std::setw(3) << whole_percent << '%';
    if (figures) s << "  loss " << fixed(figures->first, 4) << "  acc " << percent(figures->second);
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

}  // namespace mnist_ddnn
