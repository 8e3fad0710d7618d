#include "trading/risk/risk_manager.h"

#include <gtest/gtest.h>

namespace llt::trading {
namespace {

using exchange::Side;

RiskLimits limits() {
  RiskLimits l;
  l.max_order_qty = 100;
  l.max_position = 1000;
  l.max_loss = 100000;
  l.max_open_orders = 10;
  return l;
}

RiskInputs inputs(std::int64_t position, std::uint64_t open_buy = 0, std::uint64_t open_sell = 0,
                  double pnl = 0.0, std::uint32_t open_orders = 0) {
  RiskInputs in;
  in.position = position;
  in.open_buy_qty = open_buy;
  in.open_sell_qty = open_sell;
  in.total_pnl = pnl;
  in.open_orders = open_orders;
  return in;
}

TEST(RiskManager, rejects_an_order_larger_than_max_order_qty) {
  RiskManager risk(limits());
  EXPECT_EQ(risk.check(Side::kBuy, 100, inputs(0)), RiskResult::kAllowed);
  EXPECT_EQ(risk.check(Side::kBuy, 101, inputs(0)), RiskResult::kOrderTooLarge);
  EXPECT_EQ(risk.rejects(RiskResult::kOrderTooLarge), 1u);
}

TEST(RiskManager, projects_the_position_with_open_orders) {
  RiskManager risk(limits());
  // buy: 950 + 40 + 10 = 1000 passes, + 11 = 1001 does not.
  EXPECT_EQ(risk.check(Side::kBuy, 10, inputs(0 + 950, 40)), RiskResult::kAllowed);
  EXPECT_EQ(risk.check(Side::kBuy, 11, inputs(950, 40)), RiskResult::kPositionTooLarge);
  // sell from flat: 0 - 995 - 6 = -1001.
  EXPECT_EQ(risk.check(Side::kSell, 5, inputs(0, 0, 995)), RiskResult::kAllowed);
  EXPECT_EQ(risk.check(Side::kSell, 6, inputs(0, 0, 995)), RiskResult::kPositionTooLarge);
  // A short adding to itself: -950 - 40 - 11.
  EXPECT_EQ(risk.check(Side::kSell, 11, inputs(-950, 0, 40)), RiskResult::kPositionTooLarge);
  EXPECT_EQ(risk.rejects(RiskResult::kPositionTooLarge), 3u);
}

TEST(RiskManager, lets_risk_reducing_orders_through_the_position_layer) {
  RiskManager risk(limits());
  // Long 1500 (over the limit after fills): a sell reduces risk and passes even though
  // |1500 - 0 - 10| > 1000; a buy does not.
  EXPECT_EQ(risk.check(Side::kSell, 10, inputs(1500)), RiskResult::kAllowed);
  EXPECT_EQ(risk.check(Side::kBuy, 10, inputs(1500)), RiskResult::kPositionTooLarge);
  EXPECT_EQ(risk.check(Side::kBuy, 10, inputs(-1500)), RiskResult::kAllowed);
  EXPECT_EQ(risk.check(Side::kSell, 10, inputs(-1500)), RiskResult::kPositionTooLarge);
  // The exemption skips only the position layer.
  EXPECT_EQ(risk.check(Side::kSell, 101, inputs(1500)), RiskResult::kOrderTooLarge);
  EXPECT_EQ(risk.check(Side::kSell, 10, inputs(1500, 0, 0, -100001.0)), RiskResult::kLossTooLarge);
}

TEST(RiskManager, rejects_when_the_loss_exceeds_max_loss) {
  RiskManager risk(limits());
  EXPECT_EQ(risk.check(Side::kBuy, 1, inputs(0, 0, 0, -100000.0)), RiskResult::kAllowed);
  EXPECT_EQ(risk.check(Side::kBuy, 1, inputs(0, 0, 0, -100000.5)), RiskResult::kLossTooLarge);
  EXPECT_EQ(risk.rejects(RiskResult::kLossTooLarge), 1u);
}

TEST(RiskManager, rejects_at_max_open_orders) {
  RiskManager risk(limits());
  EXPECT_EQ(risk.check(Side::kBuy, 1, inputs(0, 0, 0, 0.0, 9)), RiskResult::kAllowed);
  EXPECT_EQ(risk.check(Side::kBuy, 1, inputs(0, 0, 0, 0.0, 10)), RiskResult::kTooManyOpenOrders);
  EXPECT_EQ(risk.rejects(RiskResult::kTooManyOpenOrders), 1u);
}

TEST(RiskManager, checks_the_layers_in_the_seeds_order_and_counts_each_reject_once) {
  RiskManager risk(limits());
  // Every layer would fail: the first (order size) is reported.
  EXPECT_EQ(risk.check(Side::kBuy, 500, inputs(2000, 0, 0, -1e9, 50)), RiskResult::kOrderTooLarge);
  EXPECT_EQ(risk.check(Side::kBuy, 50, inputs(2000, 0, 0, -1e9, 50)),
            RiskResult::kPositionTooLarge);
  EXPECT_EQ(risk.check(Side::kBuy, 50, inputs(0, 0, 0, -1e9, 50)), RiskResult::kLossTooLarge);
  EXPECT_EQ(risk.rejects(RiskResult::kOrderTooLarge), 1u);
  EXPECT_EQ(risk.rejects(RiskResult::kPositionTooLarge), 1u);
  EXPECT_EQ(risk.rejects(RiskResult::kLossTooLarge), 1u);
  EXPECT_EQ(risk.rejects(RiskResult::kTooManyOpenOrders), 0u);
  EXPECT_EQ(risk.total_rejects(), 3u);
  EXPECT_EQ(risk.rejects(RiskResult::kAllowed), 0u);
}

}  // namespace
}  // namespace llt::trading
