#pragma once

#include <concepts>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "common/json/json_writer.h"
#include "common/stats/top_of_book.h"

// Cold helpers for what a running process reports about itself: the lines of --stats-csv
// (docs/operations.md, Charts of a run) and the top of a book in a summary JSON.
namespace llt::common {

// One line of a CSV, cell by cell, comma-separated: the header (column names) or a row. An
// empty cell means "no value" (an empty side of a book, no trade yet).
class CsvLine {
 public:
  void add(std::string_view text) {
    separate();
    text_ += text;
  }
  template <std::integral T>
  void add(T number) {
    separate();
    fmt::format_to(std::back_inserter(text_), "{}", number);
  }
  // A number with `decimals` digits after the point.
  void add_fixed(double number, int decimals) {
    separate();
    fmt::format_to(std::back_inserter(text_), "{:.{}f}", number, decimals);
  }
  void add_empty() { separate(); }
  // "t<ticker>_<name>": a column of one ticker.
  void add_ticker_column(std::uint64_t ticker, std::string_view name) {
    separate();
    fmt::format_to(std::back_inserter(text_), "t{}_{}", ticker, name);
  }
  // A price in cents, or an empty cell when qty is 0 (nothing at that price).
  void add_price(std::int64_t price, std::uint64_t qty) {
    if (qty == 0) {
      add_empty();
    } else {
      add(price);
    }
  }

  [[nodiscard]] const std::string& text() const noexcept { return text_; }

 private:
  void separate() {
    if (cells_++ != 0) {
      text_ += ',';
    }
  }

  std::string text_;
  std::size_t cells_ = 0;
};

// (now - before) per second over interval_s; 0 when interval_s is not positive (the first row).
[[nodiscard]] inline double per_second(std::uint64_t now, std::uint64_t before,
                                       double interval_s) noexcept {
  return interval_s > 0 && now >= before ? static_cast<double>(now - before) / interval_s : 0.0;
}

[[nodiscard]] inline double ns_to_us(std::uint64_t ns) noexcept {
  return static_cast<double>(ns) / 1000.0;
}

// The six fields of a top of book in the current JSON object: bid_price, bid_qty, ask_price,
// ask_qty, last_price, last_qty (prices in cents; qty 0: an empty side, no trade yet).
inline void write_top_of_book(JsonWriter& json, const TopOfBook& top) {
  json.value("bid_price", top.bid_price);
  json.value("bid_qty", top.bid_qty);
  json.value("ask_price", top.ask_price);
  json.value("ask_qty", top.ask_qty);
  json.value("last_price", top.last_price);
  json.value("last_qty", top.last_qty);
}

}  // namespace llt::common
