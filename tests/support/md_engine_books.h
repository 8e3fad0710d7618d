#pragma once

#include <vector>

#include "exchange/matcher/matching_engine.h"
#include "exchange/protocol/types.h"
#include "tests/support/md_book_rebuilder.h"

namespace llt::test {

// The resting orders of one of the matching engine's books as market data would show them,
// for comparing the exchange's truth with books rebuilt from the streams.
template <typename Book>
MdBook md_book_of(const Book& book) {
  MdBook result;
  for (const Side side : {Side::kBuy, Side::kSell}) {
    for (std::size_t depth = 0; depth < book.level_count(side); ++depth) {
      const auto* level = book.level_at_depth(side, depth);
      for (const auto* order = book.first_order(*level); order != nullptr;
           order = book.next_order(*order)) {
        result.add(order->market_order_id,
                   MdOrder{order->side, level->price, order->qty, order->priority});
      }
    }
  }
  return result;
}

// Every configured ticker's book of the engine. Only from the engine's thread, or once its
// runner has stopped.
inline MdBooks md_books_of(const exchange::MatchingEngine& engine,
                           const std::vector<TickerId>& tickers) {
  MdBooks books;
  for (const TickerId ticker : tickers) {
    books[ticker] = md_book_of(*engine.book(ticker));
  }
  return books;
}

}  // namespace llt::test
