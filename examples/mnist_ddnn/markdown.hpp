// GitHub markdown tables for the mnist_ddnn example's results: columns padded to equal width,
// numeric columns right-aligned, cells escaped.
#pragma once

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mnist_ddnn {

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

}  // namespace mnist_ddnn
