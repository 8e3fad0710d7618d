#include "trading/strategies/market_maker.h"

#include <gtest/gtest.h>

namespace llt::trading {
namespace {

MarketMakerParams params() {
  MarketMakerParams p;
  p.order_qty = 10;
  p.half_spread = 50;
  p.skew_factor = 0.5;
  p.max_position = 1000;
  return p;
}

// A two-sided book (spread 100) unless `spread` says otherwise.
TickerFeatures features(double fair, double imbalance = 0.0, double spread = 100.0) {
  TickerFeatures f;
  f.fair_value = fair;
  f.imbalance = imbalance;
  f.spread = spread;
  return f;
}

Quote quote(exchange::Price bp, exchange::Qty bq, exchange::Price ap, exchange::Qty aq) {
  Quote q;
  q.bid_price = bp;
  q.bid_qty = bq;
  q.ask_price = ap;
  q.ask_qty = aq;
  return q;
}

TEST(MarketMaker, quotes_symmetrically_when_flat) {
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000), 0), quote(9950, 10, 10050, 10));
}

TEST(MarketMaker, shrinks_the_bid_when_long) {
  // Half: ratio 0.5, bid factor 1 - 0.25: 7.5 -> 7.
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000), 500), quote(9950, 7, 10050, 10));
  // Full: bid factor 0.5.
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000), 1000), quote(9950, 5, 10050, 10));
  // Beyond full is clamped to full.
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000), 5000), quote(9950, 5, 10050, 10));
}

TEST(MarketMaker, shrinks_the_ask_when_short) {
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000), -500), quote(9950, 10, 10050, 7));
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000), -1000), quote(9950, 10, 10050, 5));
}

TEST(MarketMaker, widens_on_an_imbalanced_book) {
  // |0.5| * 50 * 0.5 = 12.5 -> 12: half spread 62.
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000, -0.5), 0), quote(9938, 10, 10062, 10));
  // Full imbalance: 25.
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000, 1.0), 0), quote(9925, 10, 10075, 10));
}

TEST(MarketMaker, does_not_widen_on_a_one_sided_book) {
  // A one-sided book (spread 0) has imbalance +-1, most often because our own requote is in
  // flight: the quotes stay where they are.
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000, 1.0, 0.0), 0),
            quote(9950, 10, 10050, 10));
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000, -1.0, 0.0), 0),
            quote(9950, 10, 10050, 10));
}

TEST(MarketMaker, rounds_the_fair_value_to_a_cent) {
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000.6), 0), quote(9951, 10, 10051, 10));
}

TEST(MarketMaker, does_not_quote_a_non_positive_price_or_a_zero_quantity) {
  EXPECT_EQ(MarketMaker::quotes(params(), features(30), 0), quote(-20, 0, 80, 10));
  MarketMakerParams p = params();
  p.skew_factor = 1.0;
  EXPECT_EQ(MarketMaker::quotes(p, features(10000), 1000), quote(9950, 0, 10050, 10));
}

TEST(MarketMaker, sends_both_quotes_through_the_order_manager) {
  OrderRequestQueue queue(8);
  RiskLimits limits;
  RiskManager risk(limits);
  OrderManager om({3}, queue, risk);
  om.set_logged_on(true);
  MarketMaker mm(params());
  Position pos;
  mm.on_update(0, features(10000), Bbo{}, pos, om);
  ASSERT_NE(queue.front(), nullptr);
  EXPECT_EQ(queue.front()->request.side, exchange::Side::kBuy);
  EXPECT_EQ(queue.front()->request.price, 9950);
  queue.pop();
  ASSERT_NE(queue.front(), nullptr);
  EXPECT_EQ(queue.front()->request.side, exchange::Side::kSell);
  EXPECT_EQ(queue.front()->request.price, 10050);
  queue.pop();
  EXPECT_EQ(queue.front(), nullptr);
}

}  // namespace
}  // namespace llt::trading
