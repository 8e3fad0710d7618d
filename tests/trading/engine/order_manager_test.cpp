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

  static ClientResponse rejected(ClientResponseType type, exchange::OrderId id,
                                 RejectReason reason) {
    ClientResponse r = response(type, id, Side::kBuy);
    r.reject_reason = reason;
    return r;
  }

  // A live buy order 1 at 100 x 10, then a MODIFY of it to price x qty in flight.
  void make_pending_modify(exchange::Price price, exchange::Qty qty) {
    make_live_buy();
    ASSERT_EQ(om_.move(0, Side::kBuy, price, qty, pos_), MoveResult::kSentModify);
    ASSERT_TRUE(pop().has_value());
    ASSERT_EQ(om_.order(0, Side::kBuy).state, OrderState::kPendingModify);
  }

  // A live buy order `id` (the next id the manager gives) at 100 x 10.
  void make_live_buy_with_id(exchange::OrderId id) {
    ASSERT_EQ(om_.move(0, Side::kBuy, 100, 10, pos_), MoveResult::kSentNew);
    ASSERT_EQ(pop()->order_id, id);
    om_.on_response(0, response(ClientResponseType::kAccepted, id, Side::kBuy, 100, 0, 10));
    ASSERT_EQ(om_.order(0, Side::kBuy).state, OrderState::kLive);
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

TEST_F(OrderManagerTest, replaces_a_live_order_by_cancel_then_new_when_told_to) {
  make_live_buy();
  MoveOptions cancel_new;
  cancel_new.requote = Requote::kCancelNew;
  EXPECT_EQ(om_.move(0, Side::kBuy, 100, 10, pos_, cancel_new), MoveResult::kNoChange);
  ASSERT_EQ(om_.move(0, Side::kBuy, 101, 10, pos_, cancel_new), MoveResult::kSentCancel);
  const auto cancel = pop();
  ASSERT_TRUE(cancel.has_value());
  EXPECT_EQ(cancel->msg_type, ClientRequestType::kCancel);
  EXPECT_EQ(cancel->order_id, 1u);
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kPendingCancel);
  EXPECT_EQ(om_.move(0, Side::kBuy, 101, 10, pos_, cancel_new), MoveResult::kWaiting);
  om_.on_response(0, response(ClientResponseType::kCanceled, 1, Side::kBuy, 100));
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kNone);
  EXPECT_EQ(om_.open_orders(), 0u);
  ASSERT_EQ(om_.move(0, Side::kBuy, 101, 10, pos_, cancel_new), MoveResult::kSentNew);
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
  EXPECT_EQ(om_.open_orders(), 0u);
  EXPECT_EQ(om_.answers_owed(), 1u) << "the CANCEL's answer is still to come";
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
  EXPECT_EQ(om_.answers_owed(), 0u);
}

TEST_F(OrderManagerTest, answers_owed_count_only_answers_to_requests_of_finished_orders) {
  make_live_buy();
  // A fill finishing an order with nothing in flight owes nothing.
  om_.on_response(0, response(ClientResponseType::kFilled, 1, Side::kBuy, 100, 10, 0));
  EXPECT_EQ(om_.answers_owed(), 0u);
  // Our CANCEL answered by CANCELED(NONE) owes nothing either.
  ASSERT_EQ(om_.move(0, Side::kSell, 110, 10, pos_), MoveResult::kSentNew);  // id 2
  ASSERT_TRUE(pop().has_value());
  om_.on_response(0, response(ClientResponseType::kAccepted, 2, Side::kSell, 110, 0, 10));
  ASSERT_EQ(om_.cancel(0, Side::kSell), MoveResult::kSentCancel);
  om_.on_response(0, response(ClientResponseType::kCanceled, 2, Side::kSell, 110));
  EXPECT_EQ(om_.answers_owed(), 0u);
  // CANCELED(DISCONNECTED) while our CANCEL is in flight: the CANCEL is still answered.
  ASSERT_EQ(om_.move(0, Side::kSell, 110, 10, pos_), MoveResult::kSentNew);  // id 3
  om_.on_response(0, response(ClientResponseType::kAccepted, 3, Side::kSell, 110, 0, 10));
  ASSERT_EQ(om_.cancel(0, Side::kSell), MoveResult::kSentCancel);
  ClientResponse gone = response(ClientResponseType::kCanceled, 3, Side::kSell, 110);
  gone.reject_reason = RejectReason::kDisconnected;
  om_.on_response(0, gone);
  EXPECT_EQ(om_.open_orders(), 0u);
  EXPECT_EQ(om_.answers_owed(), 1u);
  // A stale response that answers no request (a late ACCEPTED) settles nothing...
  om_.on_response(0, response(ClientResponseType::kAccepted, 3, Side::kSell, 110, 0, 10));
  EXPECT_EQ(om_.answers_owed(), 1u);
  // ...the CANCEL_REJECTED(UNKNOWN_ORDER) does, and the count never goes below 0.
  om_.on_response(0, rejected(ClientResponseType::kCancelRejected, 3, RejectReason::kUnknownOrder));
  EXPECT_EQ(om_.answers_owed(), 0u);
  om_.on_response(0, rejected(ClientResponseType::kCancelRejected, 3, RejectReason::kUnknownOrder));
  EXPECT_EQ(om_.answers_owed(), 0u);
}

TEST_F(OrderManagerTest, a_reconcile_that_could_not_resume_forgets_the_answers_owed) {
  make_live_buy();
  ASSERT_EQ(om_.cancel(0, Side::kBuy), MoveResult::kSentCancel);
  om_.on_response(0, response(ClientResponseType::kFilled, 1, Side::kBuy, 100, 10, 0));
  ASSERT_EQ(om_.answers_owed(), 1u);
  EXPECT_EQ(om_.reconcile(ResumeOutcome::kComplete), 0);
  EXPECT_EQ(om_.answers_owed(), 1u) << "a complete resume still brings the answer";
  EXPECT_EQ(om_.reconcile(ResumeOutcome::kRequestsLost), 0);
  EXPECT_EQ(om_.answers_owed(), 0u) << "the CANCEL may never have reached the exchange";
}

TEST_F(OrderManagerTest, canceled_during_a_modify_owes_the_modify_answer_and_a_new_day_forgets_it) {
  make_pending_modify(101, 8);
  // CANCELED(NONE) can only answer a CANCEL; with a MODIFY in flight it ends the order and
  // the MODIFY's answer is still owed. A session REJECTED then settles it.
  om_.on_response(0, response(ClientResponseType::kCanceled, 1, Side::kBuy, 100));
  EXPECT_EQ(om_.open_orders(), 0u);
  EXPECT_EQ(om_.answers_owed(), 1u);
  om_.on_response(0, rejected(ClientResponseType::kRejected, 1, RejectReason::kThrottled));
  EXPECT_EQ(om_.answers_owed(), 0u);
  // A new day forgets what was owed.
  make_live_buy_with_id(2);
  ASSERT_EQ(om_.cancel(0, Side::kBuy), MoveResult::kSentCancel);
  om_.on_response(0, response(ClientResponseType::kFilled, 2, Side::kBuy, 100, 10, 0));
  ASSERT_EQ(om_.answers_owed(), 1u);
  EXPECT_EQ(om_.reconcile(ResumeOutcome::kStreamsReset), 0);
  EXPECT_EQ(om_.answers_owed(), 0u);
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

TEST_F(OrderManagerTest, cancel_rejected_unknown_order_while_pending_cancel_finishes_the_order) {
  make_live_buy();
  ASSERT_EQ(om_.cancel(0, Side::kBuy), MoveResult::kSentCancel);
  om_.on_response(0, rejected(ClientResponseType::kCancelRejected, 1, RejectReason::kUnknownOrder));
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kNone);
  EXPECT_EQ(om_.open_orders(), 0u);
  EXPECT_EQ(om_.exchange_rejects(RejectReason::kUnknownOrder), 1u);
  EXPECT_EQ(om_.total_exchange_rejects(), 1u);
}

TEST_F(OrderManagerTest, a_cancel_with_flags_is_sent_as_is_and_its_refusal_leaves_the_order_live) {
  make_live_buy();
  ASSERT_EQ(om_.cancel(0, Side::kBuy, exchange::kFlagPostOnly), MoveResult::kSentCancel);
  const auto cancel = pop();
  ASSERT_TRUE(cancel.has_value());
  EXPECT_EQ(cancel->msg_type, ClientRequestType::kCancel);
  EXPECT_EQ(cancel->flags, exchange::kFlagPostOnly);
  om_.on_response(0, rejected(ClientResponseType::kCancelRejected, 1, RejectReason::kInvalidFlags));
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kLive);
  EXPECT_EQ(om_.open_orders(), 1u);
  EXPECT_EQ(om_.exchange_rejects(RejectReason::kInvalidFlags), 1u);
  EXPECT_EQ(om_.cancel_rejects(), 1u);
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

TEST_F(OrderManagerTest, refuses_to_send_before_logon_and_keeps_orders_across_a_disconnect) {
  OrderManager om({7}, queue_, risk_);
  EXPECT_EQ(om.move(0, Side::kBuy, 100, 10, pos_), MoveResult::kNotLoggedOn);
  EXPECT_FALSE(pop().has_value());
  make_live_buy();
  om_.on_disconnected();
  EXPECT_FALSE(om_.logged_on());
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kLive) << "the replay says its fate";
  EXPECT_EQ(om_.open_orders(), 1u);
  EXPECT_EQ(om_.move(0, Side::kBuy, 101, 10, pos_), MoveResult::kNotLoggedOn);
  ClientResponse gone = response(ClientResponseType::kCanceled, 1, Side::kBuy, 100);
  gone.reject_reason = RejectReason::kDisconnected;
  om_.on_response(0, gone);
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kNone);
  EXPECT_EQ(om_.open_orders(), 0u);
  EXPECT_EQ(om_.cancels(RejectReason::kDisconnected), 1u);
  om_.set_logged_on(true);
  ASSERT_EQ(om_.move(0, Side::kBuy, 100, 10, pos_), MoveResult::kSentNew);
  EXPECT_EQ(pop()->order_id, 2u);  // ids are never reused
}

TEST_F(OrderManagerTest, reconcile_after_lost_requests_cancels_by_id_the_orders_still_waiting) {
  make_live_buy();
  ASSERT_EQ(om_.move(0, Side::kSell, 110, 10, pos_), MoveResult::kSentNew);  // id 2, pending
  ASSERT_TRUE(pop().has_value());
  om_.on_disconnected();
  om_.set_logged_on(true);
  EXPECT_EQ(om_.reconcile(ResumeOutcome::kRequestsLost), 1);
  const auto cancel = pop();
  ASSERT_TRUE(cancel.has_value());
  EXPECT_EQ(cancel->msg_type, ClientRequestType::kCancel);
  EXPECT_EQ(cancel->order_id, 2u);
  EXPECT_FALSE(pop().has_value());
  EXPECT_EQ(om_.order(0, Side::kSell).state, OrderState::kPendingCancel);
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kLive);
  om_.on_response(0, rejected(ClientResponseType::kCancelRejected, 2, RejectReason::kUnknownOrder));
  EXPECT_EQ(om_.order(0, Side::kSell).state, OrderState::kNone) << "it never reached the exchange";
  EXPECT_EQ(om_.open_orders(), 1u);
  EXPECT_EQ(om_.reconciled_orders(), 1u);
}

TEST_F(OrderManagerTest, reconcile_after_lost_responses_cancels_every_open_order) {
  make_live_buy();
  ASSERT_EQ(om_.move(0, Side::kSell, 110, 10, pos_), MoveResult::kSentNew);
  ASSERT_TRUE(pop().has_value());
  EXPECT_EQ(om_.reconcile(ResumeOutcome::kResponsesLost), 2);
  EXPECT_EQ(pop()->order_id, 1u);
  EXPECT_EQ(pop()->order_id, 2u);
  EXPECT_EQ(om_.reconcile(ResumeOutcome::kComplete), 0);
  EXPECT_FALSE(pop().has_value());
}

TEST_F(OrderManagerTest, reconcile_after_a_new_day_forgets_every_order) {
  make_live_buy();
  EXPECT_EQ(om_.reconcile(ResumeOutcome::kStreamsReset), 0);
  EXPECT_FALSE(pop().has_value());
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kNone);
  EXPECT_EQ(om_.open_orders(), 0u);
}

TEST_F(OrderManagerTest, adopts_an_open_order_of_an_earlier_run_only_while_adopting) {
  ClientResponse accepted = response(ClientResponseType::kAccepted, 40, Side::kSell, 120, 0, 10);
  accepted.seq_num = 5;
  EXPECT_EQ(om_.on_response(0, accepted), nullptr) << "not adopting";
  EXPECT_EQ(om_.stale_responses(), 1u);
  om_.set_adopting(true);
  ASSERT_NE(om_.on_response(0, accepted), nullptr);
  const WorkingOrder& ask = om_.order(0, Side::kSell);
  EXPECT_EQ(ask.state, OrderState::kLive);
  EXPECT_EQ(ask.client_order_id, 40u);
  EXPECT_EQ(ask.price, 120);
  EXPECT_EQ(ask.leaves, 10u);
  EXPECT_EQ(om_.open_orders(), 1u);
  EXPECT_EQ(om_.adopted_orders(), 1u);
  EXPECT_EQ(om_.next_order_id(), 41u) << "an id seen in the replay is never reused";
  ClientResponse filled = response(ClientResponseType::kFilled, 40, Side::kSell, 120, 10, 0);
  filled.seq_num = 6;
  om_.on_response(0, filled);
  EXPECT_EQ(om_.order(0, Side::kSell).state, OrderState::kNone);
  EXPECT_EQ(om_.open_orders(), 0u);
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

TEST_F(OrderManagerTest, moves_a_live_order_with_one_modify_keeping_its_id) {
  make_live_buy();
  om_.set_stamps(5, 6);
  ASSERT_EQ(om_.move(0, Side::kBuy, 101, 8, pos_), MoveResult::kSentModify);
  OrderRequest* r = queue_.front();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->request.msg_type, ClientRequestType::kModify);
  EXPECT_EQ(r->request.ticker_id, 7u);
  EXPECT_EQ(r->request.order_id, 1u);
  EXPECT_EQ(r->request.side, Side::kBuy);
  EXPECT_EQ(r->request.price, 101);
  EXPECT_EQ(r->request.qty, 8u);
  EXPECT_EQ(r->request.tif, exchange::TimeInForce::kGtc);
  EXPECT_EQ(r->request.flags, 0u);
  EXPECT_EQ(r->md_read_tsc, 5u);
  queue_.pop();
  const WorkingOrder& o = om_.order(0, Side::kBuy);
  EXPECT_EQ(o.state, OrderState::kPendingModify);
  EXPECT_EQ(o.price, 100);  // the old terms until MODIFIED
  EXPECT_EQ(o.modify_price, 101);
  EXPECT_EQ(o.modify_qty, 8u);
  EXPECT_EQ(om_.modifies_sent(), 1u);
  EXPECT_EQ(om_.orders_sent(), 1u);
  EXPECT_EQ(om_.cancels_sent(), 0u);
  EXPECT_EQ(om_.open_orders(), 1u);
  // In flight: nothing more is sent, whatever is asked.
  EXPECT_EQ(om_.move(0, Side::kBuy, 102, 8, pos_), MoveResult::kWaiting);
  EXPECT_EQ(om_.cancel(0, Side::kBuy), MoveResult::kWaiting);
  EXPECT_EQ(om_.modify(0, Side::kBuy, 103, 8, pos_), MoveResult::kWaiting);
  EXPECT_FALSE(pop().has_value());
}

TEST_F(OrderManagerTest, modified_applies_the_new_price_and_qty) {
  make_pending_modify(101, 8);
  const WorkingOrder* o =
      om_.on_response(0, response(ClientResponseType::kModified, 1, Side::kBuy, 101, 0, 8));
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->state, OrderState::kLive);
  EXPECT_EQ(o->price, 101);
  EXPECT_EQ(o->qty, 8u);
  EXPECT_EQ(o->leaves, 8u);
  EXPECT_EQ(om_.open_qty(0, Side::kBuy), 8u);
  EXPECT_EQ(om_.modifies_done(), 1u);
  EXPECT_EQ(om_.move(0, Side::kBuy, 101, 8, pos_), MoveResult::kNoChange);
}

TEST_F(OrderManagerTest, fills_after_modified_count_down_from_the_new_qty) {
  // A modify that loses priority may trade on re-entry: MODIFIED first, then its FILLEDs.
  make_pending_modify(105, 12);
  om_.on_response(0, response(ClientResponseType::kModified, 1, Side::kBuy, 105, 0, 12));
  om_.on_response(0, response(ClientResponseType::kFilled, 1, Side::kBuy, 104, 5, 7));
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kLive);
  EXPECT_EQ(om_.open_qty(0, Side::kBuy), 7u);
  om_.on_response(0, response(ClientResponseType::kFilled, 1, Side::kBuy, 105, 7, 0));
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kNone);
  EXPECT_EQ(om_.open_orders(), 0u);
}

TEST_F(OrderManagerTest, a_partial_fill_racing_a_modify_reduces_leaves_until_modified) {
  make_pending_modify(100, 8);
  om_.on_response(0, response(ClientResponseType::kFilled, 1, Side::kBuy, 100, 4, 6));
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kPendingModify);
  EXPECT_EQ(om_.order(0, Side::kBuy).leaves, 6u);
  // Either may rest once the answers are in: the old leaves or the MODIFY's qty.
  EXPECT_EQ(om_.open_qty(0, Side::kBuy), 8u);
  // The exchange applied the MODIFY after the fill: 8 > 6 resting, the order re-entered.
  om_.on_response(0, response(ClientResponseType::kModified, 1, Side::kBuy, 100, 0, 8));
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kLive);
  EXPECT_EQ(om_.open_qty(0, Side::kBuy), 8u);
}

TEST_F(OrderManagerTest, a_fill_finishing_the_order_during_a_modify_frees_the_slot) {
  make_pending_modify(101, 8);
  om_.on_response(0, response(ClientResponseType::kFilled, 1, Side::kBuy, 100, 10, 0));
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kNone);
  EXPECT_EQ(om_.open_orders(), 0u);
  EXPECT_EQ(om_.answers_owed(), 1u);
  // A NEW goes out before the MODIFY's answer arrives...
  ASSERT_EQ(om_.move(0, Side::kBuy, 99, 10, pos_), MoveResult::kSentNew);
  EXPECT_EQ(pop()->order_id, 2u);
  // ...which is MODIFY_REJECTED(UNKNOWN_ORDER): the order filled. It matches nothing and is
  // counted by reason.
  EXPECT_EQ(om_.on_response(
                0, rejected(ClientResponseType::kModifyRejected, 1, RejectReason::kUnknownOrder)),
            nullptr);
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kPendingNew);
  EXPECT_EQ(om_.order(0, Side::kBuy).client_order_id, 2u);
  EXPECT_EQ(om_.open_orders(), 1u);
  EXPECT_EQ(om_.modify_rejects(), 1u);
  EXPECT_EQ(om_.exchange_rejects(RejectReason::kUnknownOrder), 1u);
  EXPECT_EQ(om_.stale_responses(), 1u);
  EXPECT_EQ(om_.answers_owed(), 0u);
}

TEST_F(OrderManagerTest, modify_rejected_unknown_order_while_pending_finishes_the_order) {
  make_pending_modify(101, 8);
  om_.on_response(0, rejected(ClientResponseType::kModifyRejected, 1, RejectReason::kUnknownOrder));
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kNone);
  EXPECT_EQ(om_.open_orders(), 0u);
  EXPECT_EQ(om_.modify_rejects(), 1u);
}

TEST_F(OrderManagerTest, modify_rejected_for_another_reason_leaves_the_old_terms_live) {
  make_pending_modify(101, 8);
  om_.on_response(0, rejected(ClientResponseType::kModifyRejected, 1, RejectReason::kCapacity));
  const WorkingOrder& o = om_.order(0, Side::kBuy);
  EXPECT_EQ(o.state, OrderState::kLive);
  EXPECT_EQ(o.price, 100);
  EXPECT_EQ(o.qty, 10u);
  EXPECT_EQ(om_.open_qty(0, Side::kBuy), 10u);
  EXPECT_EQ(om_.exchange_rejects(RejectReason::kCapacity), 1u);
  // And it may be moved again.
  EXPECT_EQ(om_.move(0, Side::kBuy, 101, 8, pos_), MoveResult::kSentModify);
}

TEST_F(OrderManagerTest, a_session_reject_of_a_modify_leaves_the_order_live) {
  make_pending_modify(101, 8);
  om_.on_response(0, rejected(ClientResponseType::kRejected, 1, RejectReason::kThrottled));
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kLive);
  EXPECT_EQ(om_.order(0, Side::kBuy).price, 100);
  EXPECT_EQ(om_.exchange_rejects(RejectReason::kThrottled), 1u);
}

TEST_F(OrderManagerTest, canceled_during_a_modify_finishes_and_counts_the_reason) {
  make_pending_modify(101, 8);
  ClientResponse r = response(ClientResponseType::kCanceled, 1, Side::kBuy, 101);
  r.reject_reason = RejectReason::kSelfTrade;
  om_.on_response(0, r);
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kNone);
  EXPECT_EQ(om_.open_orders(), 0u);
  EXPECT_EQ(om_.self_trade_cancels(), 1u);
  EXPECT_EQ(om_.expirations(), 0u);
  EXPECT_EQ(om_.cancels(RejectReason::kSelfTrade), 1u);
  EXPECT_EQ(om_.answers_owed(), 1u) << "the MODIFY_REJECTED is still to come";
}

TEST_F(OrderManagerTest, qty_zero_cancels_rather_than_modifies) {
  make_live_buy();
  ASSERT_EQ(om_.move(0, Side::kBuy, 100, 0, pos_), MoveResult::kSentCancel);
  EXPECT_EQ(pop()->msg_type, ClientRequestType::kCancel);
  EXPECT_EQ(om_.modifies_sent(), 0u);
}

TEST_F(OrderManagerTest, modify_without_a_live_order_sends_nothing) {
  EXPECT_EQ(om_.modify(0, Side::kBuy, 100, 10, pos_), MoveResult::kNoChange);
  ASSERT_EQ(om_.move(0, Side::kBuy, 100, 10, pos_), MoveResult::kSentNew);
  ASSERT_TRUE(pop().has_value());
  EXPECT_EQ(om_.modify(0, Side::kBuy, 101, 10, pos_), MoveResult::kWaiting);  // pending NEW
  EXPECT_FALSE(pop().has_value());
}

TEST_F(OrderManagerTest, a_modify_the_risk_manager_refuses_cancels_the_order_instead) {
  make_live_buy();
  EXPECT_EQ(om_.move(0, Side::kBuy, 100, 101, pos_), MoveResult::kSentCancel);
  EXPECT_EQ(pop()->msg_type, ClientRequestType::kCancel);
  EXPECT_EQ(risk_.rejects(RiskResult::kOrderTooLarge), 1u);
  EXPECT_EQ(om_.modifies_sent(), 0u);
}

TEST_F(OrderManagerTest, a_modify_is_checked_without_the_order_it_replaces) {
  // Position 980 with 10 bid resting: a bigger bid of 20 projects 980 + 20, not + 10 + 20.
  make_live_buy();
  Position long_pos;
  long_pos.position = 980;
  EXPECT_EQ(om_.move(0, Side::kBuy, 100, 20, long_pos), MoveResult::kSentModify);
  EXPECT_EQ(risk_.total_rejects(), 0u);
}

TEST_F(OrderManagerTest, disconnect_during_a_modify_keeps_the_order_until_the_replay) {
  make_pending_modify(101, 8);
  om_.on_disconnected();
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kPendingModify);
  om_.on_response(0, response(ClientResponseType::kModified, 1, Side::kBuy, 101, 0, 8));
  EXPECT_EQ(om_.order(0, Side::kBuy).price, 101);
  ClientResponse gone = response(ClientResponseType::kCanceled, 1, Side::kBuy, 101);
  gone.reject_reason = RejectReason::kDisconnected;
  om_.on_response(0, gone);
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kNone);
  EXPECT_EQ(om_.open_qty(0, Side::kBuy), 0u);
  EXPECT_EQ(om_.open_orders(), 0u);
}

TEST_F(OrderManagerTest, an_ioc_order_is_neither_moved_nor_cancelled_and_expires) {
  MoveOptions ioc;
  ioc.tif = exchange::TimeInForce::kIoc;
  ASSERT_EQ(om_.move(0, Side::kBuy, 100, 10, pos_, ioc), MoveResult::kSentNew);
  const auto sent = pop();
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->tif, exchange::TimeInForce::kIoc);
  om_.on_response(0, response(ClientResponseType::kAccepted, 1, Side::kBuy, 100, 0, 10));
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kLive);
  om_.on_response(0, response(ClientResponseType::kFilled, 1, Side::kBuy, 100, 4, 6));
  EXPECT_EQ(om_.move(0, Side::kBuy, 101, 10, pos_), MoveResult::kWaiting);
  EXPECT_EQ(om_.move(0, Side::kBuy, 0, 0, pos_), MoveResult::kWaiting);
  EXPECT_EQ(om_.cancel(0, Side::kBuy), MoveResult::kWaiting);
  EXPECT_FALSE(pop().has_value());
  ClientResponse expired = response(ClientResponseType::kCanceled, 1, Side::kBuy, 100);
  expired.reject_reason = RejectReason::kExpired;
  om_.on_response(0, expired);
  EXPECT_EQ(om_.order(0, Side::kBuy).state, OrderState::kNone);
  EXPECT_EQ(om_.open_orders(), 0u);
  EXPECT_EQ(om_.expirations(), 1u);
  EXPECT_EQ(om_.self_trade_cancels(), 0u);
}

TEST_F(OrderManagerTest, a_fok_that_cannot_fill_expires_after_its_accepted) {
  ASSERT_EQ(om_.send_new(0, Side::kSell, 100, 10, pos_, exchange::TimeInForce::kFok),
            MoveResult::kSentNew);
  EXPECT_EQ(pop()->tif, exchange::TimeInForce::kFok);
  om_.on_response(0, response(ClientResponseType::kAccepted, 1, Side::kSell, 100, 0, 10));
  ClientResponse expired = response(ClientResponseType::kCanceled, 1, Side::kSell, 100);
  expired.reject_reason = RejectReason::kExpired;
  om_.on_response(0, expired);
  EXPECT_EQ(om_.order(0, Side::kSell).state, OrderState::kNone);
  EXPECT_EQ(om_.expirations(), 1u);
}

TEST_F(OrderManagerTest, sends_tif_and_flags_as_given_and_counts_their_rejects_by_reason) {
  ASSERT_EQ(om_.send_new(0, Side::kBuy, 100, 10, pos_, exchange::TimeInForce::kGtc,
                         exchange::kFlagPostOnly),
            MoveResult::kSentNew);
  EXPECT_EQ(pop()->flags, exchange::kFlagPostOnly);
  om_.on_response(0, rejected(ClientResponseType::kRejected, 1, RejectReason::kWouldCross));
  ASSERT_EQ(om_.send_new(0, Side::kBuy, 100, 10, pos_, static_cast<exchange::TimeInForce>(9)),
            MoveResult::kSentNew);
  EXPECT_EQ(static_cast<int>(pop()->tif), 9);
  om_.on_response(0, rejected(ClientResponseType::kRejected, 2, RejectReason::kInvalidTif));
  EXPECT_EQ(om_.send_new(0, Side::kBuy, 100, 10, pos_), MoveResult::kSentNew);
  EXPECT_EQ(om_.send_new(0, Side::kBuy, 100, 10, pos_), MoveResult::kWaiting);
  EXPECT_EQ(om_.exchange_rejects(RejectReason::kWouldCross), 1u);
  EXPECT_EQ(om_.exchange_rejects(RejectReason::kInvalidTif), 1u);
  EXPECT_EQ(om_.total_exchange_rejects(), 2u);
}

TEST_F(OrderManagerTest, counts_one_quote_change_per_new_modify_or_cancel_sent) {
  ASSERT_EQ(om_.move(0, Side::kBuy, 100, 10, pos_), MoveResult::kSentNew);
  // Asks while the NEW is in flight send nothing and count nothing.
  EXPECT_EQ(om_.move(0, Side::kBuy, 101, 10, pos_), MoveResult::kWaiting);
  EXPECT_EQ(om_.move(0, Side::kBuy, 102, 10, pos_), MoveResult::kWaiting);
  EXPECT_EQ(om_.move(0, Side::kSell, 0, 0, pos_), MoveResult::kNoChange);
  EXPECT_EQ(om_.quote_changes(), 1u);
  om_.on_response(0, response(ClientResponseType::kAccepted, 1, Side::kBuy, 100, 0, 10));
  ASSERT_EQ(om_.move(0, Side::kBuy, 102, 10, pos_), MoveResult::kSentModify);
  om_.on_response(0, response(ClientResponseType::kModified, 1, Side::kBuy, 102, 0, 10));
  ASSERT_EQ(om_.move(0, Side::kBuy, 102, 0, pos_), MoveResult::kSentCancel);
  EXPECT_EQ(om_.quote_changes(), 3u);
  EXPECT_EQ(om_.requests_sent(), 3u);
}

TEST_F(OrderManagerTest, counts_a_cancel_then_new_replacement_as_one_quote_change) {
  make_live_buy();
  MoveOptions cancel_new;
  cancel_new.requote = Requote::kCancelNew;
  ASSERT_EQ(om_.move(0, Side::kBuy, 101, 10, pos_, cancel_new), MoveResult::kSentCancel);
  om_.on_response(0, response(ClientResponseType::kCanceled, 1, Side::kBuy, 100));
  ASSERT_EQ(om_.move(0, Side::kBuy, 102, 10, pos_, cancel_new), MoveResult::kSentNew);
  EXPECT_EQ(om_.quote_changes(), 2u);  // the opening NEW, then the replacement
  EXPECT_EQ(om_.requests_sent(), 3u);
  // A replacement given up (the strategy wants no order once CANCELED arrives): the next NEW
  // places a quote of its own.
  om_.on_response(0, response(ClientResponseType::kAccepted, 2, Side::kBuy, 102, 0, 10));
  ASSERT_EQ(om_.move(0, Side::kBuy, 103, 10, pos_, cancel_new), MoveResult::kSentCancel);
  om_.on_response(0, response(ClientResponseType::kCanceled, 2, Side::kBuy, 102));
  EXPECT_EQ(om_.move(0, Side::kBuy, 0, 0, pos_, cancel_new), MoveResult::kNoChange);
  ASSERT_EQ(om_.move(0, Side::kBuy, 104, 10, pos_, cancel_new), MoveResult::kSentNew);
  EXPECT_EQ(om_.quote_changes(), 4u);
  EXPECT_EQ(om_.requests_sent(), 5u);
}

}  // namespace
}  // namespace llt::trading
