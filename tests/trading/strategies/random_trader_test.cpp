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

TEST(RandomTrader, is_deterministic_for_a_seed) {
  EXPECT_EQ(run(7, 100), run(7, 100));
  EXPECT_NE(run(7, 100), run(8, 100));
}

}  // namespace
}  // namespace llt::trading
