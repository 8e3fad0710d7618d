#include "trading/strategies/liquidity_taker.h"

#include <gtest/gtest.h>

namespace llt::trading {
namespace {

using exchange::ClientRequestType;
using exchange::Side;

class LiquidityTakerTest : public ::testing::Test {
 protected:
  LiquidityTakerTest() : om_({3}, queue_, risk_), lt_(make_params()) {
    om_.set_logged_on(true);
    bbo_.bid_price = 9990;
    bbo_.bid_qty = 10;
    bbo_.ask_price = 10010;
    bbo_.ask_qty = 10;
  }
  static LiquidityTakerParams make_params() {
    LiquidityTakerParams p;
    p.order_qty = 5;
    p.signal_threshold = 0.3;
    return p;
  }
  void update(double signal) {
    TickerFeatures f;
    f.signal = signal;
    lt_.on_update(0, f, bbo_, pos_, om_);
  }

  OrderRequestQueue queue_{8};
  RiskManager risk_{RiskLimits{}};
  OrderManager om_;
  LiquidityTaker lt_;
  Bbo bbo_;
  Position pos_;
};

TEST_F(LiquidityTakerTest, buys_at_the_best_ask_above_the_threshold) {
  update(0.31);
  ASSERT_NE(queue_.front(), nullptr);
  EXPECT_EQ(queue_.front()->request.side, Side::kBuy);
  EXPECT_EQ(queue_.front()->request.price, 10010);
  EXPECT_EQ(queue_.front()->request.qty, 5u);
  queue_.pop();
  EXPECT_EQ(queue_.front(), nullptr);
}

TEST_F(LiquidityTakerTest, sells_at_the_best_bid_below_minus_the_threshold) {
  update(-0.9);
  ASSERT_NE(queue_.front(), nullptr);
  EXPECT_EQ(queue_.front()->request.side, Side::kSell);
  EXPECT_EQ(queue_.front()->request.price, 9990);
}

TEST_F(LiquidityTakerTest, does_nothing_at_or_inside_the_threshold) {
  update(0.3);
  update(-0.3);
  update(0.0);
  EXPECT_EQ(queue_.front(), nullptr);
}

TEST_F(LiquidityTakerTest, does_not_cross_an_empty_side) {
  bbo_.ask_qty = 0;
  bbo_.ask_price = 0;
  update(0.9);
  EXPECT_EQ(queue_.front(), nullptr);
}

TEST_F(LiquidityTakerTest, cancels_a_resting_remainder_on_the_next_update) {
  update(0.5);
  ASSERT_NE(queue_.front(), nullptr);
  queue_.pop();
  exchange::ClientResponse r;
  r.msg_type = exchange::ClientResponseType::kAccepted;
  r.ticker_id = 3;
  r.client_order_id = 1;
  r.leaves_qty = 5;
  om_.on_response(0, r);
  r.msg_type = exchange::ClientResponseType::kFilled;
  r.exec_qty = 2;
  r.leaves_qty = 3;
  om_.on_response(0, r);
  update(0.1);
  ASSERT_NE(queue_.front(), nullptr);
  EXPECT_EQ(queue_.front()->request.msg_type, ClientRequestType::kCancel);
  EXPECT_EQ(queue_.front()->request.order_id, 1u);
}

}  // namespace
}  // namespace llt::trading
