#include "trading/book/market_order_book.h"

#include <gtest/gtest.h>

#include <vector>

namespace llt::trading {
namespace {

using exchange::MarketUpdate;
using exchange::MarketUpdateType;
using exchange::Side;

MarketUpdate update(MarketUpdateType type, exchange::OrderId id, Side side = Side::kBuy,
                    exchange::Price price = 0, exchange::Qty qty = 0,
                    exchange::Priority priority = 0) {
  MarketUpdate u;
  u.msg_type = type;
  u.order_id = id;
  u.ticker_id = 1;
  u.side = side;
  u.price = price;
  u.qty = qty;
  u.priority = priority;
  return u;
}

MarketUpdate add(exchange::OrderId id, Side side, exchange::Price price, exchange::Qty qty) {
  return update(MarketUpdateType::kAdd, id, side, price, qty, id);
}

Bbo bbo(exchange::Price bp, std::uint64_t bq, exchange::Price ap, std::uint64_t aq) {
  Bbo b;
  b.bid_price = bp;
  b.bid_qty = bq;
  b.ask_price = ap;
  b.ask_qty = aq;
  return b;
}

TEST(MarketOrderBook, starts_empty_with_an_empty_bbo) {
  MarketOrderBook book(1, 16, 8);
  EXPECT_EQ(book.bbo(), Bbo{});
  EXPECT_FALSE(book.bbo().has_bid());
  EXPECT_FALSE(book.bbo().has_ask());
  EXPECT_EQ(book.order_count(), 0u);
}

TEST(MarketOrderBook, tracks_the_bbo_after_every_add_modify_and_cancel) {
  MarketOrderBook book(1, 16, 8);
  ASSERT_EQ(book.apply(add(1, Side::kBuy, 100, 5)), BookResult::kApplied);
  EXPECT_EQ(book.bbo(), bbo(100, 5, 0, 0));
  EXPECT_TRUE(book.bbo_changed());
  ASSERT_EQ(book.apply(add(2, Side::kBuy, 100, 7)), BookResult::kApplied);
  EXPECT_EQ(book.bbo(), bbo(100, 12, 0, 0));
  ASSERT_EQ(book.apply(add(3, Side::kBuy, 99, 4)), BookResult::kApplied);
  EXPECT_EQ(book.bbo(), bbo(100, 12, 0, 0));
  EXPECT_FALSE(book.bbo_changed());
  ASSERT_EQ(book.apply(add(4, Side::kSell, 103, 2)), BookResult::kApplied);
  ASSERT_EQ(book.apply(add(5, Side::kSell, 102, 3)), BookResult::kApplied);
  EXPECT_EQ(book.bbo(), bbo(100, 12, 102, 3));
  EXPECT_EQ(book.level_count(Side::kBuy), 2u);
  EXPECT_EQ(book.level_count(Side::kSell), 2u);

  ASSERT_EQ(book.apply(update(MarketUpdateType::kModify, 2, Side::kBuy, 100, 1)),
            BookResult::kApplied);
  EXPECT_EQ(book.bbo(), bbo(100, 6, 102, 3));
  ASSERT_EQ(book.apply(update(MarketUpdateType::kCancel, 1)), BookResult::kApplied);
  EXPECT_EQ(book.bbo(), bbo(100, 1, 102, 3));
  ASSERT_EQ(book.apply(update(MarketUpdateType::kCancel, 2)), BookResult::kApplied);
  EXPECT_EQ(book.bbo(), bbo(99, 4, 102, 3));
  ASSERT_EQ(book.apply(update(MarketUpdateType::kCancel, 5)), BookResult::kApplied);
  EXPECT_EQ(book.bbo(), bbo(99, 4, 103, 2));
  EXPECT_EQ(book.order_count(), 2u);
  EXPECT_EQ(book.error_count(), 0u);
}

TEST(MarketOrderBook, trade_changes_nothing_but_is_noted) {
  MarketOrderBook book(1, 16, 8);
  ASSERT_EQ(book.apply(add(1, Side::kSell, 101, 5)), BookResult::kApplied);
  ASSERT_EQ(book.apply(update(MarketUpdateType::kTrade, 9, Side::kBuy, 101, 2)),
            BookResult::kApplied);
  EXPECT_EQ(book.bbo(), bbo(0, 0, 101, 5));
  EXPECT_FALSE(book.bbo_changed());
  EXPECT_EQ(book.last_trade().price, 101);
  EXPECT_EQ(book.last_trade().qty, 2u);
  EXPECT_EQ(book.last_trade().aggressor_side, Side::kBuy);
  EXPECT_EQ(book.last_trade().count, 1u);
}

TEST(MarketOrderBook, clear_empties_the_book_and_it_can_be_rebuilt) {
  MarketOrderBook book(1, 4, 4);
  for (exchange::OrderId id = 1; id <= 4; ++id) {
    ASSERT_EQ(book.apply(add(id, id % 2 ? Side::kBuy : Side::kSell,
                             id % 2 ? 100 - static_cast<exchange::Price>(id)
                                    : 200 + static_cast<exchange::Price>(id),
                             1)),
              BookResult::kApplied);
  }
  ASSERT_EQ(book.apply(update(MarketUpdateType::kClear, 0)), BookResult::kApplied);
  EXPECT_EQ(book.order_count(), 0u);
  EXPECT_EQ(book.bbo(), Bbo{});
  EXPECT_EQ(book.find(1), nullptr);
  for (exchange::OrderId id = 1; id <= 4; ++id) {
    ASSERT_EQ(book.apply(add(id, Side::kBuy, 50, 1)), BookResult::kApplied);
  }
  EXPECT_EQ(book.bbo(), bbo(50, 4, 0, 0));
}

TEST(MarketOrderBook, counts_bad_updates_and_changes_nothing) {
  MarketOrderBook book(1, 2, 1);
  ASSERT_EQ(book.apply(add(1, Side::kBuy, 100, 5)), BookResult::kApplied);
  EXPECT_EQ(book.apply(add(1, Side::kBuy, 101, 5)), BookResult::kDuplicateOrder);
  EXPECT_EQ(book.apply(update(MarketUpdateType::kModify, 7, Side::kBuy, 100, 1)),
            BookResult::kUnknownOrder);
  EXPECT_EQ(book.apply(update(MarketUpdateType::kCancel, 7)), BookResult::kUnknownOrder);
  EXPECT_EQ(book.apply(add(2, Side::kBuy, 0, 5)), BookResult::kInvalid);
  EXPECT_EQ(book.apply(add(2, Side::kInvalid, 100, 5)), BookResult::kInvalid);
  EXPECT_EQ(book.apply(add(2, Side::kBuy, 100, 0)), BookResult::kInvalid);
  // One level per side: a second buy price does not fit.
  EXPECT_EQ(book.apply(add(2, Side::kBuy, 99, 5)), BookResult::kFull);
  ASSERT_EQ(book.apply(add(2, Side::kBuy, 100, 5)), BookResult::kApplied);
  // Two order slots.
  EXPECT_EQ(book.apply(add(3, Side::kSell, 105, 5)), BookResult::kFull);
  EXPECT_EQ(book.apply(update(MarketUpdateType::kSnapshotStart, 0)), BookResult::kIgnored);
  EXPECT_EQ(book.error_count(), 8u);
  EXPECT_EQ(book.bbo(), bbo(100, 10, 0, 0));
}

TEST(MarketOrderBook, finds_levels_deep_in_the_book) {
  MarketOrderBook book(1, 64, 64);
  // Asks at 110..149 added out of order; cancel the best ones one by one.
  for (exchange::OrderId i = 0; i < 40; ++i) {
    const auto price = static_cast<exchange::Price>(110 + (i * 17) % 40);
    ASSERT_EQ(book.apply(add(i + 1, Side::kSell, price, 1)), BookResult::kApplied);
  }
  EXPECT_EQ(book.bbo().ask_price, 110);
  EXPECT_EQ(book.level_count(Side::kSell), 40u);
  for (exchange::OrderId i = 0; i < 40; ++i) {
    const auto price = static_cast<exchange::Price>(110 + (i * 17) % 40);
    if (price < 130) {
      ASSERT_EQ(book.apply(update(MarketUpdateType::kCancel, i + 1)), BookResult::kApplied);
    }
  }
  EXPECT_EQ(book.bbo(), bbo(0, 0, 130, 1));
  EXPECT_EQ(book.level_count(Side::kSell), 20u);
}

TEST(MarketOrderBook, modify_to_zero_removes_the_order) {
  MarketOrderBook book(1, 4, 4);
  ASSERT_EQ(book.apply(add(1, Side::kBuy, 100, 5)), BookResult::kApplied);
  ASSERT_EQ(book.apply(update(MarketUpdateType::kModify, 1, Side::kBuy, 100, 0)),
            BookResult::kApplied);
  EXPECT_EQ(book.bbo(), Bbo{});
  EXPECT_EQ(book.order_count(), 0u);
}

TEST(MarketOrderBook, lists_every_resting_order) {
  MarketOrderBook book(1, 8, 8);
  ASSERT_EQ(book.apply(add(1, Side::kBuy, 100, 5)), BookResult::kApplied);
  ASSERT_EQ(book.apply(add(2, Side::kSell, 101, 6)), BookResult::kApplied);
  ASSERT_EQ(book.apply(add(3, Side::kBuy, 99, 7)), BookResult::kApplied);
  ASSERT_EQ(book.apply(update(MarketUpdateType::kCancel, 1)), BookResult::kApplied);
  std::uint64_t qty = 0;
  std::size_t n = 0;
  book.for_each_order([&](const BookOrder& o) {
    qty += o.qty;
    ++n;
  });
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(qty, 13u);
  ASSERT_NE(book.find(3), nullptr);
  EXPECT_EQ(book.find(3)->price, 99);
}

TEST(MarketOrderBook, rejects_a_zero_capacity) {
  EXPECT_THROW(MarketOrderBook(1, 0, 8), std::invalid_argument);
  EXPECT_THROW(MarketOrderBook(1, 8, 0), std::invalid_argument);
}

}  // namespace
}  // namespace llt::trading
