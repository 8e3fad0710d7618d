#include "trading/strategies/random_trader.h"

#include <gtest/gtest.h>

#include <vector>

namespace llt::trading {
namespace {

using exchange::Side;

RandomTraderParams params(std::uint64_t seed) {
  RandomTraderParams p;
  p.order_qty = 10;
  p.half_spread = 50;
  p.orders_per_second = 10;
  p.seed = seed;
  return p;
}

TEST(RandomTrader, is_due_at_the_configured_rate) {
  RandomTrader rt(params(1), 1000.0);  // 1000 ticks per second: one order per 100 ticks
  EXPECT_EQ(rt.interval_ticks(), 100u);
  EXPECT_TRUE(rt.due(5));
  EXPECT_FALSE(rt.due(50));
  EXPECT_FALSE(rt.due(104));
  EXPECT_TRUE(rt.due(105));
  // After a stall it restarts from now instead of bursting.
  EXPECT_TRUE(rt.due(1000));
  EXPECT_FALSE(rt.due(1050));
  EXPECT_TRUE(rt.due(1100));
}

// Runs n acts, answering every NEW with REJECTED so the slot frees, and returns the NEWs.
std::vector<exchange::ClientRequest> run(std::uint64_t seed, int n) {
  OrderRequestQueue queue(8);
  RiskManager risk{RiskLimits{}};
  OrderManager om({1}, queue, risk);
  om.set_logged_on(true);
  RandomTrader rt(params(seed), 1000.0);
  TickerFeatures f;
  f.fair_value = 10000.0;
  Position pos;
  std::vector<exchange::ClientRequest> sent;
  for (int i = 0; i < n; ++i) {
    rt.act(0, f, pos, om);
    while (OrderRequest* r = queue.front()) {
      sent.push_back(r->request);
      exchange::ClientResponse resp;
      resp.msg_type = exchange::ClientResponseType::kRejected;
      resp.ticker_id = 1;
      resp.client_order_id = r->request.order_id;
      queue.pop();
      om.on_response(0, resp);
    }
  }
  return sent;
}

TEST(RandomTrader, sends_bounded_orders_on_both_sides_some_crossing) {
  const auto sent = run(42, 2000);
  ASSERT_EQ(sent.size(), 2000u);
  int buys = 0;
  int crossing_buys = 0;
  for (const auto& r : sent) {
    EXPECT_GE(r.price, 9900);
    EXPECT_LE(r.price, 10100);
    EXPECT_GE(r.qty, 1u);
    EXPECT_LE(r.qty, 10u);
    if (r.side == Side::kBuy) {
      ++buys;
      crossing_buys += r.price >= 10050 ? 1 : 0;
    }
  }
  EXPECT_GT(buys, 800);
  EXPECT_LT(buys, 1200);
  EXPECT_GT(crossing_buys, 50);
}

// What the exchange answers to each request, as far as the order manager needs it: a GTC NEW
// rests, an IOC or FOK expires, a bad tif or flag is refused, a MODIFY applies, a CANCEL
// cancels (refused when it carries flags).
std::vector<exchange::ClientResponse> answer(const exchange::ClientRequest& q) {
  using exchange::ClientRequestType;
  using exchange::ClientResponseType;
  using exchange::RejectReason;
  using exchange::TimeInForce;
  exchange::ClientResponse r;
  r.ticker_id = q.ticker_id;
  r.client_order_id = q.order_id;
  r.side = q.side;
  r.price = q.price;
  std::vector<exchange::ClientResponse> out;
  if (q.msg_type == ClientRequestType::kCancel) {
    r.msg_type = q.flags != 0 ? ClientResponseType::kCancelRejected : ClientResponseType::kCanceled;
    r.reject_reason = q.flags != 0 ? RejectReason::kInvalidFlags : RejectReason::kNone;
    out.push_back(r);
    return out;
  }
  if (q.msg_type == ClientRequestType::kModify) {
    r.msg_type = ClientResponseType::kModified;
    r.leaves_qty = q.qty;
    out.push_back(r);
    return out;
  }
  const bool post_only = (q.flags & exchange::kFlagPostOnly) != 0;
  if (!exchange::is_valid(q.tif) || (post_only && q.tif != TimeInForce::kGtc)) {
    r.msg_type = ClientResponseType::kRejected;
    r.reject_reason = RejectReason::kInvalidTif;
  } else if ((q.flags & ~exchange::kFlagPostOnly) != 0) {
    r.msg_type = ClientResponseType::kRejected;
    r.reject_reason = RejectReason::kInvalidFlags;
  } else {
    r.msg_type = ClientResponseType::kAccepted;
    r.leaves_qty = q.qty;
  }
  out.push_back(r);
  if (r.msg_type == ClientResponseType::kAccepted && q.tif != TimeInForce::kGtc) {
    r.msg_type = ClientResponseType::kCanceled;
    r.leaves_qty = 0;
    r.reject_reason = RejectReason::kExpired;
    out.push_back(r);
  }
  return out;
}

TEST(RandomTrader, draws_every_request_kind_and_a_few_invalid_ones) {
  OrderRequestQueue queue(8);
  RiskManager risk{RiskLimits{}};
  OrderManager om({1}, queue, risk);
  om.set_logged_on(true);
  RandomTrader rt(params(5), 1000.0);
  TickerFeatures f;
  f.fair_value = 10000.0;
  Position pos;
  int gtc = 0, post_only = 0, ioc = 0, fok = 0, modify = 0, cancel = 0;
  int bad_tif = 0, bad_flags = 0, cancel_flags = 0, total = 0;
  constexpr int kActs = 4000;
  for (int i = 0; i < kActs; ++i) {
    rt.act(0, f, pos, om);
    while (OrderRequest* r = queue.front()) {
      const exchange::ClientRequest q = r->request;
      queue.pop();
      ++total;
      if (q.msg_type == exchange::ClientRequestType::kCancel) {
        ++(q.flags != 0 ? cancel_flags : cancel);
      } else if (q.msg_type == exchange::ClientRequestType::kModify) {
        ++modify;
        EXPECT_EQ(q.tif, exchange::TimeInForce::kGtc);
        EXPECT_EQ(q.flags, 0u);
      } else if (!exchange::is_valid(q.tif) ||
                 (q.flags == exchange::kFlagPostOnly && q.tif != exchange::TimeInForce::kGtc)) {
        ++bad_tif;
      } else if ((q.flags & ~exchange::kFlagPostOnly) != 0) {
        ++bad_flags;
      } else if (q.flags == exchange::kFlagPostOnly) {
        ++post_only;
      } else {
        ++(q.tif == exchange::TimeInForce::kGtc   ? gtc
           : q.tif == exchange::TimeInForce::kIoc ? ioc
                                                  : fok);
      }
      for (const exchange::ClientResponse& resp : answer(q)) {
        om.on_response(0, resp);
      }
    }
  }
  EXPECT_GT(gtc, 0);
  EXPECT_GT(post_only, 0);
  EXPECT_GT(ioc, 0);
  EXPECT_GT(fok, 0);
  EXPECT_GT(modify, 0);
  EXPECT_GT(cancel, 0);
  EXPECT_GT(bad_tif, 0);
  EXPECT_GT(bad_flags, 0);
  EXPECT_GT(cancel_flags, 0);
  const int invalid = bad_tif + bad_flags + cancel_flags;
  EXPECT_LT(invalid * 20, total) << "invalid requests stay rare (2% of acts)";
  // Every refusal is counted by reason, CANCEL_REJECTED included.
  EXPECT_EQ(om.exchange_rejects(exchange::RejectReason::kInvalidTif),
            static_cast<std::uint64_t>(bad_tif));
  EXPECT_EQ(om.exchange_rejects(exchange::RejectReason::kInvalidFlags),
            static_cast<std::uint64_t>(bad_flags + cancel_flags));
  EXPECT_EQ(om.expirations(), static_cast<std::uint64_t>(ioc + fok));
  EXPECT_EQ(om.modifies_sent(), static_cast<std::uint64_t>(modify));
}

TEST(RandomTrader, is_deterministic_for_a_seed) {
  EXPECT_EQ(run(7, 100), run(7, 100));
  EXPECT_NE(run(7, 100), run(8, 100));
}

}  // namespace
}  // namespace llt::trading
