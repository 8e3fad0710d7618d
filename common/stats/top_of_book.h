#pragma once

#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "common/concurrent/seqlock_words.h"

namespace llt::common {

// Best bid and ask (price and level size) and the last trade of one ticker, as the status
// lines and summaries show them (docs/operations.md, Status lines). Prices in cents. A qty of 0
// means an empty side, or no trade yet.
struct TopOfBook {
  std::int64_t bid_price = 0;
  std::uint64_t bid_qty = 0;
  std::int64_t ask_price = 0;
  std::uint64_t ask_qty = 0;
  std::int64_t last_price = 0;
  std::uint64_t last_qty = 0;

  friend bool operator==(const TopOfBook&, const TopOfBook&) = default;
};

// "9950x10/10050x9 last 10010x3": bid price x size / ask price x size, then the last trade's
// price x qty; "-" for an empty side or no trade yet. Cold.
inline std::string format_top_of_book(const TopOfBook& top) {
  const auto side = [](std::int64_t price, std::uint64_t qty) {
    return qty == 0 ? std::string("-") : fmt::format("{}x{}", price, qty);
  };
  return fmt::format("{}/{} last {}", side(top.bid_price, top.bid_qty),
                     side(top.ask_price, top.ask_qty), side(top.last_price, top.last_qty));
}

// One TopOfBook that one thread (the owner of the book) writes and any thread reads, for the
// status lines while the agents run: a reader always gets a set the writer published whole,
// and the writer never waits.
using TopOfBookCell = SeqlockCell<TopOfBook>;

}  // namespace llt::common
