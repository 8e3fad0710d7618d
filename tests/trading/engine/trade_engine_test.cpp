#include "trading/engine/trade_engine.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace llt::trading {
namespace {

using exchange::ClientRequestType;
using exchange::ClientResponseType;
using exchange::MarketUpdateType;
using exchange::Side;

TradeEngineOptions options() {
  TradeEngineOptions o;
  o.tickers = {1};
  o.strategy.name = "market-maker";
  o.strategy.order_qty = 10;
  o.strategy.half_spread = 50;
  o.strategy.skew_factor = 0.5;
  o.strategy.max_position = 1000;
  o.risk.max_position = 1000;
  o.ema_alpha = 0.2;
  o.reference_price = 10000;
  return o;
}

TradeEngineCapacity small() {
  TradeEngineCapacity c;
  c.max_orders_per_book = 1024;
  c.max_levels_per_side = 256;
  return c;
}

class TradeEngineTest : public ::testing::Test {
 protected:
  explicit TradeEngineTest(const TradeEngineOptions& o = options())
      : engine_(o, md_, gw_, out_, small()) {}

  void md(MarketUpdateType type, exchange::SeqNum seq, exchange::OrderId id = 0,
          Side side = Side::kInvalid, exchange::Price price = 0, exchange::Qty qty = 0,
          std::uint64_t read_tsc = 0, exchange::TickerId ticker = 1) {
    MarketEvent e;
    e.update.msg_type = type;
    e.update.seq_num = seq;
    e.update.order_id = id;
    e.update.ticker_id = ticker;
    e.update.side = side;
    e.update.price = price;
    e.update.qty = qty;
    e.update.priority = id;
    e.read_tsc = read_tsc;
    ASSERT_TRUE(md_.try_push(e));
  }

  void gw(GatewayEventType type, ResumeOutcome resume = ResumeOutcome::kComplete) {
    GatewayEvent e;
    e.type = type;
    e.resume = resume;
    ASSERT_TRUE(gw_.try_push(e));
  }

  // LOGON_ACCEPTED, nothing to replay or resend: caught up at once.
  void log_on() {
    gw(GatewayEventType::kLoggedOn);
    gw(GatewayEventType::kCaughtUp);
  }

  void respond(ClientResponseType type, exchange::OrderId id, Side side = Side::kInvalid,
               exchange::Price price = 0, exchange::Qty exec = 0, exchange::Qty leaves = 0,
               exchange::SeqNum seq = 0,
               exchange::RejectReason reason = exchange::RejectReason::kNone) {
    GatewayEvent e;
    e.type = GatewayEventType::kResponse;
    e.response.seq_num = seq;
    e.response.reject_reason = reason;
    e.response.msg_type = type;
    e.response.ticker_id = 1;
    e.response.client_order_id = id;
    e.response.side = side;
    e.response.price = price;
    e.response.exec_qty = exec;
    e.response.leaves_qty = leaves;
    ASSERT_TRUE(gw_.try_push(e));
  }

  std::vector<OrderRequest> run() {
    while (engine_.poll() > 0) {
    }
    std::vector<OrderRequest> sent;
    while (OrderRequest* r = out_.front()) {
      sent.push_back(*r);
      out_.pop();
    }
    return sent;
  }

  // Logs on and accepts the two opening quotes (ids 1 and 2 at 9950 / 10050 x 10).
  void log_on_and_accept() {
    log_on();
    ASSERT_EQ(run().size(), 2u);
    respond(ClientResponseType::kAccepted, 1, Side::kBuy, 9950, 0, 10);
    respond(ClientResponseType::kAccepted, 2, Side::kSell, 10050, 0, 10);
    ASSERT_TRUE(run().empty());
  }

  static void expect_request(const OrderRequest& r, ClientRequestType type, exchange::OrderId id,
                             Side side, exchange::Price price, exchange::Qty qty) {
    EXPECT_EQ(r.request.msg_type, type);
    EXPECT_EQ(r.request.ticker_id, 1u);
    EXPECT_EQ(r.request.order_id, id);
    if (type == ClientRequestType::kNew || type == ClientRequestType::kModify) {
      EXPECT_EQ(r.request.side, side);
      EXPECT_EQ(r.request.price, price);
      EXPECT_EQ(r.request.qty, qty);
    }
  }

  MarketEventQueue md_{256};
  GatewayEventQueue gw_{256};
  OrderRequestQueue out_{256};
  TradeEngine engine_;
};

TEST_F(TradeEngineTest, sends_nothing_before_logon) {
  md(MarketUpdateType::kAdd, 1, 100, Side::kBuy, 9990, 10);
  md(MarketUpdateType::kAdd, 2, 101, Side::kSell, 10010, 10);
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(engine_.book(0).bbo().bid_price, 9990);
  EXPECT_EQ(engine_.market_events(), 2u);
}

TEST_F(TradeEngineTest, quotes_around_the_reference_price_on_an_empty_book_after_logon) {
  log_on();
  const auto sent = run();
  ASSERT_EQ(sent.size(), 2u);
  expect_request(sent[0], ClientRequestType::kNew, 1, Side::kBuy, 9950, 10);
  expect_request(sent[1], ClientRequestType::kNew, 2, Side::kSell, 10050, 10);
  EXPECT_EQ(sent[0].md_read_tsc, 0u);
  EXPECT_EQ(sent[0].engine_in_tsc, 0u);
}

TEST_F(TradeEngineTest, requotes_by_modify_when_the_book_moves) {
  log_on_and_accept();
  // Ask only: no widening on a one-sided book, the quotes stay at 9950 / 10050.
  md(MarketUpdateType::kAdd, 1, 101, Side::kSell, 10010, 10);
  EXPECT_TRUE(run().empty());
  // Two-sided, mid 10000 (the fair value), imbalance (30 - 10) / 40 = 0.5 widens the half
  // spread to 62: both quotes move, each by one MODIFY keeping its order id.
  md(MarketUpdateType::kAdd, 2, 100, Side::kBuy, 9990, 30, 1234);
  auto sent = run();
  ASSERT_EQ(sent.size(), 2u);
  expect_request(sent[0], ClientRequestType::kModify, 1, Side::kBuy, 9938, 10);
  expect_request(sent[1], ClientRequestType::kModify, 2, Side::kSell, 10062, 10);
  EXPECT_EQ(sent[0].request.tif, exchange::TimeInForce::kGtc);
  EXPECT_EQ(sent[0].request.flags, 0u);
  EXPECT_EQ(sent[0].md_read_tsc, 1234u);
  EXPECT_NE(sent[0].engine_in_tsc, 0u);
  // Balanced again: quotes 9950 / 10050, but the modifies are in flight.
  md(MarketUpdateType::kModify, 3, 100, Side::kBuy, 9990, 10);
  EXPECT_TRUE(run().empty());
  respond(ClientResponseType::kModified, 1, Side::kBuy, 9938, 0, 10);
  sent = run();
  ASSERT_EQ(sent.size(), 1u);
  expect_request(sent[0], ClientRequestType::kModify, 1, Side::kBuy, 9950, 10);
  EXPECT_EQ(sent[0].md_read_tsc, 0u);
  respond(ClientResponseType::kModified, 2, Side::kSell, 10062, 0, 10);
  sent = run();
  ASSERT_EQ(sent.size(), 1u);
  expect_request(sent[0], ClientRequestType::kModify, 2, Side::kSell, 10050, 10);
  EXPECT_EQ(engine_.orders_sent(), 2u);
  EXPECT_EQ(engine_.cancels_sent(), 0u);
  EXPECT_EQ(engine_.modifies_sent(), 4u);
  // Two opening quotes, then two moves per side: one request per quote change.
  EXPECT_EQ(engine_.quote_changes(), 6u);
  EXPECT_EQ(engine_.requests_sent(), 6u);
}

TradeEngineOptions cancel_new_options() {
  TradeEngineOptions o = options();
  o.strategy.requote = Requote::kCancelNew;
  return o;
}

class TradeEngineCancelNewTest : public TradeEngineTest {
 protected:
  TradeEngineCancelNewTest() : TradeEngineTest(cancel_new_options()) {}
};

TEST_F(TradeEngineCancelNewTest, requotes_by_cancel_then_new_when_told_to) {
  log_on_and_accept();
  md(MarketUpdateType::kAdd, 1, 101, Side::kSell, 10010, 10);
  EXPECT_TRUE(run().empty());
  md(MarketUpdateType::kAdd, 2, 100, Side::kBuy, 9990, 30, 1234);
  auto sent = run();
  ASSERT_EQ(sent.size(), 2u);
  expect_request(sent[0], ClientRequestType::kCancel, 1, Side::kBuy, 0, 0);
  expect_request(sent[1], ClientRequestType::kCancel, 2, Side::kSell, 0, 0);
  EXPECT_EQ(sent[0].md_read_tsc, 1234u);
  // Balanced again: quotes 9950 / 10050, but the cancels are in flight.
  md(MarketUpdateType::kModify, 3, 100, Side::kBuy, 9990, 10);
  EXPECT_TRUE(run().empty());
  respond(ClientResponseType::kCanceled, 1, Side::kBuy, 9950);
  sent = run();
  ASSERT_EQ(sent.size(), 1u);
  expect_request(sent[0], ClientRequestType::kNew, 3, Side::kBuy, 9950, 10);
  EXPECT_EQ(sent[0].md_read_tsc, 0u);
  respond(ClientResponseType::kCanceled, 2, Side::kSell, 10050);
  sent = run();
  ASSERT_EQ(sent.size(), 1u);
  expect_request(sent[0], ClientRequestType::kNew, 4, Side::kSell, 10050, 10);
  EXPECT_EQ(engine_.orders_sent(), 4u);
  EXPECT_EQ(engine_.cancels_sent(), 2u);
  EXPECT_EQ(engine_.modifies_sent(), 0u);
  // Two opening quotes, then one replacement per side (the second move of each side came
  // while its cancel was in flight and went out as the NEW completing it): two requests each.
  EXPECT_EQ(engine_.quote_changes(), 4u);
  EXPECT_EQ(engine_.requests_sent(), 6u);
}

TEST_F(TradeEngineTest, sends_nothing_inside_a_recovery_frame_and_acts_after_it) {
  log_on_and_accept();
  md(MarketUpdateType::kSnapshotStart, 0, 50);
  md(MarketUpdateType::kClear, 1);
  md(MarketUpdateType::kAdd, 2, 7, Side::kBuy, 9000, 10);
  md(MarketUpdateType::kAdd, 3, 8, Side::kSell, 9100, 10);
  EXPECT_TRUE(run().empty());
  EXPECT_TRUE(engine_.in_recovery());
  EXPECT_EQ(engine_.book(0).bbo().ask_price, 9100);
  // The end of the frame: first two-sided mid 9050 is the fair value; quotes 9000 / 9100.
  md(MarketUpdateType::kSnapshotEnd, 4, 50);
  auto sent = run();
  EXPECT_FALSE(engine_.in_recovery());
  EXPECT_EQ(engine_.last_seq(), 50u);
  EXPECT_DOUBLE_EQ(engine_.features(0).fair_value, 9050.0);
  ASSERT_EQ(sent.size(), 2u);
  expect_request(sent[0], ClientRequestType::kModify, 1, Side::kBuy, 9000, 10);
  expect_request(sent[1], ClientRequestType::kModify, 2, Side::kSell, 9100, 10);
  md(MarketUpdateType::kAdd, 51, 9, Side::kBuy, 8000, 1);
  (void)run();
  EXPECT_EQ(engine_.last_seq(), 51u);
}

TEST_F(TradeEngineTest, a_recovery_that_rebuilds_the_same_book_changes_nothing) {
  md(MarketUpdateType::kAdd, 1, 100, Side::kBuy, 9990, 10);
  md(MarketUpdateType::kAdd, 2, 101, Side::kSell, 10010, 10);
  log_on_and_accept();
  md(MarketUpdateType::kSnapshotStart, 0, 2);
  md(MarketUpdateType::kClear, 1);
  md(MarketUpdateType::kAdd, 2, 100, Side::kBuy, 9990, 10);
  md(MarketUpdateType::kAdd, 3, 101, Side::kSell, 10010, 10);
  md(MarketUpdateType::kSnapshotEnd, 4, 2);
  EXPECT_TRUE(run().empty());
  EXPECT_DOUBLE_EQ(engine_.features(0).fair_value, 10000.0);
  EXPECT_EQ(engine_.book(0).order_count(), 2u);
}

TEST_F(TradeEngineTest, keeps_its_orders_across_a_disconnect_until_the_replay_ends_them) {
  log_on_and_accept();
  gw(GatewayEventType::kDisconnected);
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(engine_.order_manager().order(0, Side::kBuy).state, OrderState::kLive);
  EXPECT_EQ(engine_.order_manager().order(0, Side::kSell).state, OrderState::kLive);
  EXPECT_EQ(engine_.order_manager().open_orders(), 2u);
  md(MarketUpdateType::kAdd, 1, 100, Side::kBuy, 9990, 10);
  EXPECT_TRUE(run().empty());
  gw(GatewayEventType::kLoggedOn);
  EXPECT_TRUE(run().empty()) << "nothing is sent before the replay has caught up";
  // The replay: the exchange cancelled both when the connection ended.
  respond(ClientResponseType::kCanceled, 1, Side::kBuy, 9950, 0, 0, 3,
          exchange::RejectReason::kDisconnected);
  respond(ClientResponseType::kCanceled, 2, Side::kSell, 10050, 0, 0, 4,
          exchange::RejectReason::kDisconnected);
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(engine_.order_manager().open_orders(), 0u);
  gw(GatewayEventType::kCaughtUp);
  const auto sent = run();
  ASSERT_EQ(sent.size(), 2u);
  // Bid-only book: no widening, the reference price's quotes.
  expect_request(sent[0], ClientRequestType::kNew, 3, Side::kBuy, 9950, 10);
  expect_request(sent[1], ClientRequestType::kNew, 4, Side::kSell, 10050, 10);
}

TEST_F(TradeEngineTest, applies_a_fill_replayed_after_a_reconnect_once) {
  log_on_and_accept();
  gw(GatewayEventType::kDisconnected);
  gw(GatewayEventType::kLoggedOn);
  respond(ClientResponseType::kFilled, 1, Side::kBuy, 9950, 10, 0, 3);
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(engine_.position(0).position, 10);
  EXPECT_EQ(engine_.fills(), 1u);
  EXPECT_EQ(engine_.order_manager().order(0, Side::kBuy).state, OrderState::kNone);
  gw(GatewayEventType::kCaughtUp);
  const auto sent = run();
  ASSERT_EQ(sent.size(), 1u) << "the filled bid is replaced, skewed by the position";
  expect_request(sent[0], ClientRequestType::kNew, 3, Side::kBuy, 9950, 9);
  EXPECT_EQ(engine_.position(0).position, 10);
}

TEST_F(TradeEngineTest, cancels_by_id_the_orders_whose_requests_were_lost) {
  log_on();
  ASSERT_EQ(run().size(), 2u);  // NEW 1 and 2, never answered
  respond(ClientResponseType::kAccepted, 2, Side::kSell, 10050, 0, 10);
  ASSERT_TRUE(run().empty());
  gw(GatewayEventType::kDisconnected);
  gw(GatewayEventType::kLoggedOn);
  gw(GatewayEventType::kCaughtUp, ResumeOutcome::kRequestsLost);
  const auto sent = run();
  ASSERT_EQ(sent.size(), 1u) << "only the order still waiting for an answer is unknown";
  expect_request(sent[0], ClientRequestType::kCancel, 1, Side::kBuy, 0, 0);
  EXPECT_EQ(engine_.reconciles(), 1u);
  EXPECT_EQ(engine_.reconciled_orders(), 1u);
  respond(ClientResponseType::kCancelRejected, 1, Side::kInvalid, 0, 0, 0, 0,
          exchange::RejectReason::kUnknownOrder);
  const auto again = run();
  EXPECT_EQ(engine_.order_manager().order(0, Side::kSell).state, OrderState::kLive);
  ASSERT_EQ(again.size(), 1u) << "the unknown order is gone; the bid is quoted anew";
  expect_request(again[0], ClientRequestType::kNew, 3, Side::kBuy, 9950, 10);
}

TEST_F(TradeEngineTest, forgets_every_order_when_the_exchange_starts_a_new_day) {
  log_on_and_accept();
  gw(GatewayEventType::kDisconnected);
  gw(GatewayEventType::kLoggedOn);
  gw(GatewayEventType::kCaughtUp, ResumeOutcome::kStreamsReset);
  const auto sent = run();
  ASSERT_EQ(sent.size(), 2u);
  expect_request(sent[0], ClientRequestType::kNew, 3, Side::kBuy, 9950, 10);
  expect_request(sent[1], ClientRequestType::kNew, 4, Side::kSell, 10050, 10);
  EXPECT_EQ(engine_.reconciled_orders(), 2u);
}

TEST_F(TradeEngineTest, a_restarted_engine_rebuilds_its_position_and_orders_from_the_replay) {
  engine_.restore_next_order_id(30);
  gw(GatewayEventType::kLoggedOn);
  // The day so far, from an earlier run: order 40 bought 4 and rests with 6 more.
  respond(ClientResponseType::kAccepted, 40, Side::kBuy, 9950, 0, 10, 1);
  respond(ClientResponseType::kFilled, 40, Side::kBuy, 9950, 4, 6, 2);
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(engine_.position(0).position, 4);
  const WorkingOrder& bid = engine_.order_manager().order(0, Side::kBuy);
  EXPECT_EQ(bid.state, OrderState::kLive);
  EXPECT_EQ(bid.client_order_id, 40u);
  EXPECT_EQ(bid.leaves, 6u);
  EXPECT_EQ(engine_.adopted_orders(), 1u);
  gw(GatewayEventType::kCaughtUp);
  const auto sent = run();
  ASSERT_FALSE(sent.empty());
  for (const OrderRequest& r : sent) {
    if (r.request.msg_type == ClientRequestType::kNew) {
      EXPECT_GE(r.request.order_id, 41u) << "ids of the earlier run are never reused";
    }
  }
  // Once caught up, nothing unknown is adopted any more.
  respond(ClientResponseType::kAccepted, 77, Side::kSell, 10050, 0, 10, 3);
  (void)run();
  EXPECT_EQ(engine_.adopted_orders(), 1u);
}

TEST_F(TradeEngineTest, a_fill_moves_the_position_and_skews_the_quote) {
  log_on_and_accept();
  respond(ClientResponseType::kFilled, 1, Side::kBuy, 9950, 10, 0);
  const auto sent = run();
  EXPECT_EQ(engine_.position(0).position, 10);
  EXPECT_DOUBLE_EQ(engine_.position(0).vwap, 9950.0);
  EXPECT_EQ(engine_.ticker_stats(0).position.load().position, 10);
  EXPECT_EQ(engine_.ticker_stats(0).position.load().vwap, 9950);
  EXPECT_EQ(engine_.ticker_stats(0).fills.load(), 1u);
  EXPECT_EQ(engine_.ticker_stats(0).filled_qty.load(), 10u);
  EXPECT_EQ(engine_.ticker_stats(0).bought_qty.load(), 10u);
  EXPECT_EQ(engine_.ticker_stats(0).sold_qty.load(), 0u);
  EXPECT_EQ(engine_.fills(), 1u);
  // Position 10 of 1000: bid factor 1 - 0.5 * 0.01 = 0.995 -> 9.
  ASSERT_EQ(sent.size(), 1u);
  expect_request(sent[0], ClientRequestType::kNew, 3, Side::kBuy, 9950, 9);
  // Marked to the two-sided mid once there is one: 10 * (10000 - 9950).
  md(MarketUpdateType::kAdd, 1, 100, Side::kBuy, 9990, 10);
  md(MarketUpdateType::kAdd, 2, 101, Side::kSell, 10010, 10);
  (void)run();
  EXPECT_EQ(engine_.ticker_stats(0).position.load().unrealized_pnl, 500);
}

TEST_F(TradeEngineTest, a_wind_down_cancels_every_open_order_and_is_flat_once_they_are_answered) {
  log_on_and_accept();
  engine_.request_wind_down();
  auto sent = run();
  ASSERT_EQ(sent.size(), 2u);
  expect_request(sent[0], ClientRequestType::kCancel, 1, Side::kBuy, 0, 0);
  expect_request(sent[1], ClientRequestType::kCancel, 2, Side::kSell, 0, 0);
  EXPECT_FALSE(engine_.flat());
  // The bid traded before its cancel arrived: the fill still counts, the CANCEL_REJECTED
  // that follows finishes nothing, and no new order replaces it.
  respond(ClientResponseType::kFilled, 1, Side::kBuy, 9950, 10, 0);
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(engine_.position(0).position, 10);
  EXPECT_FALSE(engine_.flat());
  respond(ClientResponseType::kCancelRejected, 1);
  respond(ClientResponseType::kCanceled, 2, Side::kSell);
  EXPECT_TRUE(run().empty());
  EXPECT_TRUE(engine_.flat());
  EXPECT_EQ(engine_.order_manager().open_orders(), 0u);
  // Flat, nothing working: a market move (which would quote again) and a new session after
  // the wind-down send nothing.
  md(MarketUpdateType::kAdd, 1, 100, Side::kBuy, 9990, 10);
  md(MarketUpdateType::kAdd, 2, 101, Side::kSell, 10010, 30);
  EXPECT_TRUE(run().empty());
  gw(GatewayEventType::kDisconnected);
  log_on();
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(engine_.orders_sent(), 2u);
}

TEST_F(TradeEngineTest, a_wind_down_is_not_flat_before_the_answer_to_a_cancel_a_fill_raced) {
  log_on_and_accept();
  engine_.request_wind_down();
  ASSERT_EQ(run().size(), 2u);
  // Both orders are finished (the bid filled before its CANCEL arrived), but that CANCEL's
  // CANCEL_REJECTED is still on its way: logging out now would leave it unread.
  respond(ClientResponseType::kFilled, 1, Side::kBuy, 9950, 10, 0);
  respond(ClientResponseType::kCanceled, 2, Side::kSell);
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(engine_.order_manager().open_orders(), 0u);
  EXPECT_EQ(engine_.order_manager().answers_owed(), 1u);
  EXPECT_FALSE(engine_.flat());
  respond(ClientResponseType::kCancelRejected, 1);
  EXPECT_TRUE(run().empty());
  EXPECT_TRUE(engine_.flat());
}

TEST_F(TradeEngineTest, a_wind_down_sends_a_refused_cancel_again_once_it_is_answered) {
  log_on_and_accept();
  engine_.request_wind_down();
  ASSERT_EQ(run().size(), 2u);
  EXPECT_TRUE(run().empty());                 // in flight: no second CANCEL before an answer
  respond(ClientResponseType::kRejected, 1);  // the exchange refused the CANCEL (say, THROTTLED)
  respond(ClientResponseType::kCanceled, 2, Side::kSell);
  const auto again = run();
  ASSERT_EQ(again.size(), 1u);
  expect_request(again[0], ClientRequestType::kCancel, 1, Side::kBuy, 0, 0);
  EXPECT_FALSE(engine_.flat());
  respond(ClientResponseType::kCanceled, 1, Side::kBuy);
  EXPECT_TRUE(run().empty());
  EXPECT_TRUE(engine_.flat());
}

TEST_F(TradeEngineTest, a_wind_down_cancels_a_pending_new_once_it_is_accepted) {
  log_on();
  ASSERT_EQ(run().size(), 2u);
  engine_.request_wind_down();
  EXPECT_TRUE(run().empty());  // both NEWs are in flight: nothing to cancel yet
  EXPECT_FALSE(engine_.flat());
  respond(ClientResponseType::kRejected, 1, Side::kBuy);
  respond(ClientResponseType::kAccepted, 2, Side::kSell, 10050, 0, 10);
  auto sent = run();
  ASSERT_EQ(sent.size(), 1u);
  expect_request(sent[0], ClientRequestType::kCancel, 2, Side::kSell, 0, 0);
  EXPECT_FALSE(engine_.flat());
  respond(ClientResponseType::kCanceled, 2, Side::kSell);
  EXPECT_TRUE(run().empty());
  EXPECT_TRUE(engine_.flat());
}

TEST_F(TradeEngineTest, a_wind_down_cancels_an_order_with_a_modify_in_flight_once_modified) {
  log_on_and_accept();
  md(MarketUpdateType::kAdd, 1, 101, Side::kSell, 10010, 10);
  md(MarketUpdateType::kAdd, 2, 100, Side::kBuy, 9990, 30);
  ASSERT_EQ(run().size(), 2u);  // both quotes modified
  engine_.request_wind_down();
  EXPECT_TRUE(run().empty());  // the MODIFYs are in flight: nothing to cancel yet
  respond(ClientResponseType::kModified, 1, Side::kBuy, 9938, 0, 10);
  // The ask filled completely before its MODIFY arrived: MODIFY_REJECTED(UNKNOWN_ORDER).
  respond(ClientResponseType::kFilled, 2, Side::kSell, 10050, 10, 0);
  auto sent = run();
  ASSERT_EQ(sent.size(), 1u);
  expect_request(sent[0], ClientRequestType::kCancel, 1, Side::kBuy, 0, 0);
  GatewayEvent late;
  late.response.msg_type = ClientResponseType::kModifyRejected;
  late.response.ticker_id = 1;
  late.response.client_order_id = 2;
  late.response.reject_reason = exchange::RejectReason::kUnknownOrder;
  ASSERT_TRUE(gw_.try_push(late));
  respond(ClientResponseType::kCanceled, 1, Side::kBuy);
  EXPECT_TRUE(run().empty());
  EXPECT_TRUE(engine_.flat());
  EXPECT_EQ(engine_.modify_rejects(), 1u);
  EXPECT_EQ(engine_.exchange_rejects(exchange::RejectReason::kUnknownOrder), 1u);
  EXPECT_EQ(engine_.position(0).position, -10);
}

TEST_F(TradeEngineTest, a_wind_down_without_a_session_is_flat_at_once) {
  log_on_and_accept();
  gw(GatewayEventType::kDisconnected);
  engine_.request_wind_down();
  EXPECT_TRUE(run().empty());
  EXPECT_TRUE(engine_.flat());
}

TEST_F(TradeEngineTest, stopping_applies_the_fills_still_queued) {
  log_on_and_accept();
  respond(ClientResponseType::kFilled, 2, Side::kSell, 10050, 4, 6);
  engine_.on_stop();
  EXPECT_EQ(engine_.position(0).position, -4);
  EXPECT_EQ(engine_.ticker_stats(0).sold_qty.load(), 4u);
  // What arrives after on_stop (another agent's thread still running) is applied by the
  // owner's drain once every thread is joined.
  respond(ClientResponseType::kFilled, 2, Side::kSell, 10050, 6, 0);
  engine_.drain_stopped();
  EXPECT_EQ(engine_.position(0).position, -10);
}

TEST_F(TradeEngineTest, counts_bad_updates_and_foreign_tickers) {
  md(MarketUpdateType::kCancel, 1, 999, Side::kBuy, 100, 1);
  md(MarketUpdateType::kAdd, 2, 5, Side::kBuy, 100, 1, 0, 42);
  (void)run();
  EXPECT_EQ(engine_.book_errors(), 1u);
  EXPECT_EQ(engine_.unknown_ticker_events(), 1u);
}

TEST_F(TradeEngineTest, publishes_the_top_of_its_book_and_the_last_trade) {
  EXPECT_EQ(common::format_top_of_book(engine_.top_of_book(0)), "-/- last -");
  md(MarketUpdateType::kAdd, 1, 11, Side::kBuy, 9950, 10);
  md(MarketUpdateType::kAdd, 2, 12, Side::kBuy, 9950, 5);
  md(MarketUpdateType::kAdd, 3, 13, Side::kSell, 10050, 9);
  md(MarketUpdateType::kAdd, 4, 14, Side::kBuy, 9900, 7);
  (void)run();
  EXPECT_EQ(common::format_top_of_book(engine_.top_of_book(0)), "9950x15/10050x9 last -");
  // A buy of 3 against the offer: the TRADE, then the passive order's MODIFY.
  md(MarketUpdateType::kTrade, 5, 20, Side::kBuy, 10050, 3);
  md(MarketUpdateType::kModify, 6, 13, Side::kSell, 10050, 6);
  (void)run();
  const common::TopOfBook top = engine_.top_of_book(0);
  EXPECT_EQ(top.bid_price, 9950);
  EXPECT_EQ(top.bid_qty, 15u);
  EXPECT_EQ(top.ask_price, 10050);
  EXPECT_EQ(top.ask_qty, 6u);
  EXPECT_EQ(top.last_price, 10050);
  EXPECT_EQ(top.last_qty, 3u);
  EXPECT_EQ(common::format_top_of_book(top), "9950x15/10050x6 last 10050x3");
  // The offer goes: an empty side reads "-".
  md(MarketUpdateType::kCancel, 7, 13, Side::kSell, 10050, 6);
  (void)run();
  EXPECT_EQ(common::format_top_of_book(engine_.top_of_book(0)), "9950x15/- last 10050x3");
  EXPECT_EQ(common::format_top_of_book(engine_.top_of_book(1)), "-/- last -");  // no such ticker
}

TEST_F(TradeEngineTest, records_the_market_data_to_engine_hop) {
  const std::uint64_t now = common::rdtsc();
  md(MarketUpdateType::kAdd, 1, 100, Side::kBuy, 9990, 10, now);
  md(MarketUpdateType::kAdd, 2, 101, Side::kSell, 10010, 10, 0);
  (void)run();
  EXPECT_EQ(engine_.md_read_to_engine_in().count(), 1u);
}

TEST(TradeEngine, rejects_an_empty_or_duplicate_ticker_list) {
  MarketEventQueue md(4);
  GatewayEventQueue gw(4);
  OrderRequestQueue out(4);
  TradeEngineOptions o = options();
  o.tickers = {};
  EXPECT_THROW(TradeEngine(o, md, gw, out, small()), std::invalid_argument);
  o.tickers = {3, 3};
  EXPECT_THROW(TradeEngine(o, md, gw, out, small()), std::invalid_argument);
}

TEST(TradeEngine, dumps_books_sorted_by_ticker_side_price_and_priority) {
  MarketEventQueue md(64);
  GatewayEventQueue gw(4);
  OrderRequestQueue out(4);
  TradeEngineOptions o = options();
  o.tickers = {2, 1};
  TradeEngine engine(o, md, gw, out, small());
  auto add = [&](exchange::SeqNum seq, exchange::TickerId t, exchange::OrderId id, Side side,
                 exchange::Price price, exchange::Qty qty, exchange::Priority prio) {
    MarketEvent e;
    e.update.msg_type = MarketUpdateType::kAdd;
    e.update.seq_num = seq;
    e.update.ticker_id = t;
    e.update.order_id = id;
    e.update.side = side;
    e.update.price = price;
    e.update.qty = qty;
    e.update.priority = prio;
    ASSERT_TRUE(md.try_push(e));
  };
  add(1, 1, 11, Side::kBuy, 100, 5, 1);
  add(2, 1, 12, Side::kBuy, 101, 3, 2);
  add(3, 1, 13, Side::kSell, 105, 4, 3);
  add(4, 1, 14, Side::kBuy, 101, 2, 4);
  add(5, 2, 1, Side::kSell, 50, 1, 1);
  add(6, 1, 15, Side::kSell, 104, 9, 5);
  while (engine.poll() > 0) {
  }
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  ASSERT_NE(f, nullptr);
  engine.dump_books(f);
  std::fclose(f);
  const std::string text(buf, len);
  std::free(buf);
  EXPECT_EQ(text,
            "seq 6\n"
            "1 BUY 101 3 2 12\n"
            "1 BUY 101 2 4 14\n"
            "1 BUY 100 5 1 11\n"
            "1 SELL 104 9 5 15\n"
            "1 SELL 105 4 3 13\n"
            "2 SELL 50 1 1 1\n");
}

TradeEngineOptions taker_options() {
  TradeEngineOptions o = options();
  o.strategy.name = "liquidity-taker";
  o.strategy.signal_threshold = 0.3;
  return o;
}

class TradeEngineTakerTest : public TradeEngineTest {
 protected:
  TradeEngineTakerTest() : TradeEngineTest(taker_options()) {}
};

TEST_F(TradeEngineTakerTest, crosses_when_the_signal_exceeds_the_threshold) {
  log_on();
  EXPECT_TRUE(run().empty());
  // mid 10000 seeds the fair value; bid 30 vs ask 10: imbalance 0.5, signal 0.15: nothing.
  md(MarketUpdateType::kAdd, 1, 100, Side::kBuy, 9990, 30);
  md(MarketUpdateType::kAdd, 2, 101, Side::kSell, 10010, 10);
  EXPECT_TRUE(run().empty());
  // Ask drops to 10002 x 1 (new best): mid 9996, spread 12, fair 0.2 * 9996 + 0.8 * 10000 =
  // 9999.2; imbalance 29/31; signal 0.7 * 3.2 / 12 + 0.3 * 29 / 31 = 0.4673: buy at 10002.
  md(MarketUpdateType::kAdd, 3, 102, Side::kSell, 10002, 1);
  const auto sent = run();
  ASSERT_EQ(sent.size(), 1u);
  expect_request(sent[0], ClientRequestType::kNew, 1, Side::kBuy, 10002, 10);
}

}  // namespace
}  // namespace llt::trading
