#include "trading/engine/order_manager.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace llt::trading {
namespace {

using exchange::ClientRequestType;
using exchange::ClientResponse;
using exchange::ClientResponseType;
using exchange::RejectReason;
using exchange::Side;

RiskLimits limits() {
  RiskLimits l;
  l.max_order_qty = 100;
  l.max_position = 1000;
  l.max_loss = 100000;
  l.max_open_orders = 10;
  return l;
}

class OrderManagerTest : public ::testing::Test {
 protected:
  OrderManagerTest() : om_({7, 9}, queue_, risk_) { om_.set_logged_on(true); }

  std::optional<exchange::ClientRequest> pop() {
    OrderRequest* r = queue_.front();
    if (r == nullptr) {
      return std::nullopt;
    }
    const exchange::ClientRequest req = r->request;
    queue_.pop();
    return req;
  }

  static ClientResponse response(ClientResponseType type, exchange::OrderId id, Side side,
                                 exchange::Price price = 0, exchange::Qty exec = 0,
                                 exchange::Qty leaves = 0) {
    ClientResponse r;
    r.msg_type = type;
    r.ticker_id = 7;
    r.client_order_id = id;
    r.side = side;
    r.price = price;
    r.exec_qty = exec;
    r.leaves_qty = leaves;
    return r;
  }

  // A live buy order 1 at 100 x 10.
  void make_live_buy() {
    ASSERT_EQ(om_.move(0, Side::kBuy, 100, 10, pos_), MoveResult::kSentNew);
    ASSERT_TRUE(pop().has_value());
    om_.on_response(0, response(ClientResponseType::kAccepted, 1, Side::kBuy, 100, 0, 10));
    ASSERT_EQ(om_.order(0, Side::kBuy).state, OrderState::kLive);
  }

  OrderRequestQueue queue_{16};
  RiskManager risk_{limits()};
  OrderManager om_;
  Position pos_;
};

TEST_F(OrderManagerTest, sends_a_new_with_increasing_ids_and_goes_pending_new) {
  om_.set_stamps(11, 22);
  ASSERT_EQ(om_.move(0, Side::kBuy, 100, 10, pos_), MoveResult::kSentNew);
  OrderRequest* r = queue_.front();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->request.msg_type, ClientRequestType::kNew);
  EXPECT_EQ(r->request.ticker_id, 7u);
  EXPECT_EQ(r->request.order_id, 1u);
  EXPECT_EQ(r->request.side, Side::kBuy);
  EXPECT_EQ(r->request.price, 100);
  EXPECT_EQ(r->request.qty, 10u);
  EXPECT_EQ(r->md_read_tsc, 11u);
  EXPECT_EQ(r->engine_in_tsc, 22u);
  queue_.pop();
  om_.set_stamps(0, 0);
  ASSERT_EQ(om_.move(1, Side::kSell, 105, 3, pos_), MoveResult::kSentNew);
  const auto second = pop();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->order_id, 2u);
  EXPECT_EQ(second->ticker_id, 9u);
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kPendingNew);
  EXPECT_EQ(om_.open_orders(), 2u);
  EXPECT_EQ(om_.open_qty(0, Side::kBuy), 10u);
  EXPECT_EQ(om_.orders_sent(), 2u);
}

TEST_F(OrderManagerTest, waits_while_a_request_is_in_flight) {
  ASSERT_EQ(om_.move(0, Side::kBuy, 100, 10, pos_), MoveResult::kSentNew);
  EXPECT_EQ(om_.move(0, Side::kBuy, 101, 10, pos_), MoveResult::kWaiting);
  ASSERT_TRUE(pop().has_value());
  EXPECT_FALSE(pop().has_value());
}

TEST_F(OrderManagerTest, replaces_a_live_order_by_cancel_then_new) {
  make_live_buy();
  EXPECT_EQ(om_.move(0, Side::kBuy, 100, 10, pos_), MoveResult::kNoChange);
  ASSERT_EQ(om_.move(0, Side::kBuy, 101, 10, pos_), MoveResult::kSentCancel);
  const auto cancel = pop();
  ASSERT_TRUE(cancel.has_value());
  EXPECT_EQ(cancel->msg_type, ClientRequestType::kCancel);
  EXPECT_EQ(cancel->order_id, 1u);
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kPendingCancel);
  EXPECT_EQ(om_.move(0, Side::kBuy, 101, 10, pos_), MoveResult::kWaiting);
  om_.on_response(0, response(ClientResponseType::kCanceled, 1, Side::kBuy, 100));
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kNone);
  EXPECT_EQ(om_.open_orders(), 0u);
  ASSERT_EQ(om_.move(0, Side::kBuy, 101, 10, pos_), MoveResult::kSentNew);
  const auto replacement = pop();
  ASSERT_TRUE(replacement.has_value());
  EXPECT_EQ(replacement->order_id, 2u);
  EXPECT_EQ(replacement->price, 101);
  EXPECT_EQ(om_.cancels_sent(), 1u);
}

TEST_F(OrderManagerTest, a_partial_fill_stays_live_and_a_full_fill_finishes) {
  make_live_buy();
  om_.on_response(0, response(ClientResponseType::kFilled, 1, Side::kBuy, 100, 4, 6));
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kLive);
  EXPECT_EQ(om_.open_qty(0, Side::kBuy), 6u);
  // Same price and original qty: no churn after a partial fill.
  EXPECT_EQ(om_.move(0, Side::kBuy, 100, 10, pos_), MoveResult::kNoChange);
  om_.on_response(0, response(ClientResponseType::kFilled, 1, Side::kBuy, 100, 6, 0));
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kNone);
  EXPECT_EQ(om_.open_orders(), 0u);
}

TEST_F(OrderManagerTest, a_fill_racing_a_cancel_leaves_a_consistent_state) {
  make_live_buy();
  ASSERT_EQ(om_.cancel(0, Side::kBuy), MoveResult::kSentCancel);
  ASSERT_TRUE(pop().has_value());
  // The exchange filled the order before it saw the cancel.
  const WorkingOrder* o =
      om_.on_response(0, response(ClientResponseType::kFilled, 1, Side::kBuy, 100, 10, 0));
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kNone);
  // A new order goes out before the CANCEL_REJECTED of the old one arrives...
  ASSERT_EQ(om_.move(0, Side::kBuy, 99, 10, pos_), MoveResult::kSentNew);
  ASSERT_TRUE(pop().has_value());
  // ...which matches nothing and leaves the new order alone.
  EXPECT_EQ(om_.on_response(0, response(ClientResponseType::kCancelRejected, 1, Side::kInvalid)),
            nullptr);
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kPendingNew);
  EXPECT_EQ(om_.order(0, Side::kBuy).client_order_id, 2u);
  EXPECT_EQ(om_.open_orders(), 1u);
  EXPECT_EQ(om_.cancel_rejects(), 1u);
  EXPECT_EQ(om_.stale_responses(), 1u);
}

TEST_F(OrderManagerTest, a_partial_fill_during_pending_cancel_then_canceled_finishes) {
  make_live_buy();
  ASSERT_EQ(om_.cancel(0, Side::kBuy), MoveResult::kSentCancel);
  om_.on_response(0, response(ClientResponseType::kFilled, 1, Side::kBuy, 100, 3, 7));
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kPendingCancel);
  EXPECT_EQ(om_.open_qty(0, Side::kBuy), 7u);
  om_.on_response(0, response(ClientResponseType::kCanceled, 1, Side::kBuy, 100));
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kNone);
  EXPECT_EQ(om_.open_qty(0, Side::kBuy), 0u);
}

TEST_F(OrderManagerTest, cancel_rejected_while_pending_cancel_finishes_the_order) {
  make_live_buy();
  ASSERT_EQ(om_.cancel(0, Side::kBuy), MoveResult::kSentCancel);
  om_.on_response(0, response(ClientResponseType::kCancelRejected, 1, Side::kInvalid));
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kNone);
  EXPECT_EQ(om_.open_orders(), 0u);
}

TEST_F(OrderManagerTest, a_rejected_new_finishes_and_is_counted_by_reason) {
  ASSERT_EQ(om_.move(0, Side::kSell, 100, 10, pos_), MoveResult::kSentNew);
  ClientResponse r = response(ClientResponseType::kRejected, 1, Side::kSell, 100);
  r.reject_reason = RejectReason::kInvalidPrice;
  om_.on_response(0, r);
  EXPECT_EQ(om_.order(0, Side::kSell).state, OrderState::kNone);
  EXPECT_EQ(om_.exchange_rejects(RejectReason::kInvalidPrice), 1u);
  EXPECT_EQ(om_.total_exchange_rejects(), 1u);
  EXPECT_EQ(om_.open_orders(), 0u);
}

TEST_F(OrderManagerTest, a_rejected_cancel_leaves_the_order_live) {
  make_live_buy();
  ASSERT_EQ(om_.cancel(0, Side::kBuy), MoveResult::kSentCancel);
  ClientResponse r = response(ClientResponseType::kRejected, 1, Side::kBuy);
  r.reject_reason = RejectReason::kThrottled;
  om_.on_response(0, r);
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kLive);
  EXPECT_EQ(om_.exchange_rejects(RejectReason::kThrottled), 1u);
}

TEST_F(OrderManagerTest, a_full_queue_changes_nothing_and_counts_a_send_failure) {
  OrderRequestQueue tiny(1);
  OrderManager om({7}, tiny, risk_);
  om.set_logged_on(true);
  ASSERT_EQ(om.move(0, Side::kBuy, 100, 10, pos_), MoveResult::kSentNew);
  EXPECT_EQ(om.move(0, Side::kSell, 110, 10, pos_), MoveResult::kQueueFull);
  EXPECT_EQ(om.order(0, Side::kSell).state, OrderState::kNone);
  EXPECT_EQ(om.send_failures(), 1u);
  EXPECT_EQ(om.open_orders(), 1u);
  // The failed attempt used no id.
  ASSERT_NE(tiny.front(), nullptr);
  tiny.pop();
  ASSERT_EQ(om.move(0, Side::kSell, 110, 10, pos_), MoveResult::kSentNew);
  EXPECT_EQ(tiny.front()->request.order_id, 2u);
}

TEST_F(OrderManagerTest, refuses_to_send_before_logon_and_forgets_orders_on_disconnect) {
  OrderManager om({7}, queue_, risk_);
  EXPECT_EQ(om.move(0, Side::kBuy, 100, 10, pos_), MoveResult::kNotLoggedOn);
  EXPECT_FALSE(pop().has_value());
  make_live_buy();
  om_.on_disconnected();
  EXPECT_FALSE(om_.logged_on());
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kNone);
  EXPECT_EQ(om_.open_orders(), 0u);
  EXPECT_EQ(om_.move(0, Side::kBuy, 100, 10, pos_), MoveResult::kNotLoggedOn);
  om_.set_logged_on(true);
  ASSERT_EQ(om_.move(0, Side::kBuy, 100, 10, pos_), MoveResult::kSentNew);
  EXPECT_EQ(pop()->order_id, 2u);  // ids are never reused
}

TEST_F(OrderManagerTest, asks_the_risk_manager_before_a_new) {
  EXPECT_EQ(om_.move(0, Side::kBuy, 100, 101, pos_), MoveResult::kRiskRejected);
  EXPECT_FALSE(pop().has_value());
  EXPECT_EQ(risk_.rejects(RiskResult::kOrderTooLarge), 1u);
  ASSERT_EQ(om_.move(0, Side::kBuy, 100, 100, pos_), MoveResult::kSentNew);
  Position long_pos;
  long_pos.position = 950;
  EXPECT_EQ(om_.move(0, Side::kSell, 110, 100, long_pos), MoveResult::kSentNew);  // reducing
  // 950 + 0 + 51 > 1000.
  EXPECT_EQ(om_.move(1, Side::kBuy, 100, 51, long_pos), MoveResult::kRiskRejected);
}

TEST_F(OrderManagerTest, quantity_zero_cancels_a_live_order) {
  make_live_buy();
  EXPECT_EQ(om_.move(0, Side::kBuy, 0, 0, pos_), MoveResult::kSentCancel);
  EXPECT_EQ(om_.move(0, Side::kSell, 0, 0, pos_), MoveResult::kNoChange);
}

}  // namespace
}  // namespace llt::trading
