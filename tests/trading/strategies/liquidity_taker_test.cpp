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

TEST_F(LiquidityTakerTest, sends_ioc_orders) {
  update(0.5);
  ASSERT_NE(queue_.front(), nullptr);
  EXPECT_EQ(queue_.front()->request.msg_type, ClientRequestType::kNew);
  EXPECT_EQ(queue_.front()->request.tif, exchange::TimeInForce::kIoc);
  EXPECT_EQ(queue_.front()->request.flags, 0u);
}

// Answers order 1 (the IOC buy of 5): ACCEPTED, FILLED 2, then CANCELED(EXPIRED) for the rest.
class LiquidityTakerExpiryTest : public LiquidityTakerTest {
 protected:
  void respond(exchange::ClientResponseType type, exchange::Qty exec, exchange::Qty leaves,
               exchange::RejectReason reason = exchange::RejectReason::kNone) {
    exchange::ClientResponse r;
    r.msg_type = type;
    r.ticker_id = 3;
    r.client_order_id = 1;
    r.side = Side::kBuy;
    r.exec_qty = exec;
    r.leaves_qty = leaves;
    r.reject_reason = reason;
    om_.on_response(0, r);
  }
};

TEST_F(LiquidityTakerExpiryTest, neither_cancels_nor_repeats_an_ioc_until_it_ends) {
  update(0.5);
  ASSERT_NE(queue_.front(), nullptr);
  queue_.pop();
  respond(exchange::ClientResponseType::kAccepted, 0, 5);
  respond(exchange::ClientResponseType::kFilled, 2, 3);
  update(0.1);  // the signal is gone: the remainder expires by itself, no CANCEL
  update(0.9);  // still strong: the IOC has not ended, no second one
  EXPECT_EQ(queue_.front(), nullptr);
  respond(exchange::ClientResponseType::kCanceled, 0, 0, exchange::RejectReason::kExpired);
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kNone);
  EXPECT_EQ(om_.expirations(), 1u);
  EXPECT_EQ(om_.cancels_sent(), 0u);
}

TEST_F(LiquidityTakerExpiryTest, waits_for_a_bbo_change_before_the_next_ioc) {
  update(0.5);
  ASSERT_NE(queue_.front(), nullptr);
  queue_.pop();
  respond(exchange::ClientResponseType::kAccepted, 0, 5);
  respond(exchange::ClientResponseType::kCanceled, 0, 0, exchange::RejectReason::kExpired);
  update(0.5);  // the same book: the market data of the miss has not arrived yet
  EXPECT_EQ(queue_.front(), nullptr);
  bbo_.ask_price = 10020;
  update(0.5);
  ASSERT_NE(queue_.front(), nullptr);
  EXPECT_EQ(queue_.front()->request.price, 10020);
  EXPECT_EQ(queue_.front()->request.order_id, 2u);
  EXPECT_EQ(queue_.front()->request.tif, exchange::TimeInForce::kIoc);
}

TEST_F(LiquidityTakerExpiryTest, takes_again_when_the_book_comes_back_to_an_earlier_state) {
  update(0.5);
  ASSERT_NE(queue_.front(), nullptr);
  queue_.pop();
  respond(exchange::ClientResponseType::kAccepted, 0, 5);
  respond(exchange::ClientResponseType::kCanceled, 0, 0, exchange::RejectReason::kExpired);
  const Bbo first = bbo_;
  bbo_.ask_qty = 20;
  update(0.1);  // a change, but no signal
  EXPECT_EQ(queue_.front(), nullptr);
  bbo_ = first;  // the same book as at the first IOC: a change all the same
  update(0.5);
  ASSERT_NE(queue_.front(), nullptr);
  EXPECT_EQ(queue_.front()->request.order_id, 2u);
}

}  // namespace
}  // namespace llt::trading
