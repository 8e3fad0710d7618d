#include "trading/position/position_keeper.h"

#include <gtest/gtest.h>

namespace llt::trading {
namespace {

using exchange::Side;

TEST(PositionKeeper, tracks_vwap_and_pnl_through_fills_that_flip_the_position) {
  Position p;
  PositionKeeper::on_fill(p, Side::kBuy, 100, 10);
  EXPECT_EQ(p.position, 10);
  EXPECT_DOUBLE_EQ(p.vwap, 100.0);
  // (10 * 100 + 30 * 104) / 40 = 103.
  PositionKeeper::on_fill(p, Side::kBuy, 104, 30);
  EXPECT_EQ(p.position, 40);
  EXPECT_DOUBLE_EQ(p.vwap, 103.0);
  EXPECT_DOUBLE_EQ(p.realized_pnl, 0.0);
  // Sell 20 at 110: realize 20 * (110 - 103) = 140; the rest keeps its vwap.
  PositionKeeper::on_fill(p, Side::kSell, 110, 20);
  EXPECT_EQ(p.position, 20);
  EXPECT_DOUBLE_EQ(p.vwap, 103.0);
  EXPECT_DOUBLE_EQ(p.realized_pnl, 140.0);
  // Unrealized at the last fill price (no BBO yet): 20 * (110 - 103).
  EXPECT_DOUBLE_EQ(p.unrealized_pnl, 140.0);
  // Sell 50 at 100: close 20 (20 * (100 - 103) = -60), open 30 short at 100.
  PositionKeeper::on_fill(p, Side::kSell, 100, 50);
  EXPECT_EQ(p.position, -30);
  EXPECT_DOUBLE_EQ(p.vwap, 100.0);
  EXPECT_DOUBLE_EQ(p.realized_pnl, 80.0);
  EXPECT_DOUBLE_EQ(p.unrealized_pnl, 0.0);
  // A two-sided mid of 95 marks the short: -30 * (95 - 100) = 150.
  PositionKeeper::on_mid(p, true, 95.0);
  EXPECT_DOUBLE_EQ(p.unrealized_pnl, 150.0);
  EXPECT_DOUBLE_EQ(p.total_pnl(), 230.0);
  // A one-sided book keeps the mark; fills no longer move it.
  PositionKeeper::on_mid(p, false, 200.0);
  EXPECT_DOUBLE_EQ(p.unrealized_pnl, 150.0);
  // Short 10 more at 90: vwap (30 * 100 + 10 * 90) / 40 = 97.5; mark 95: -40 * (95 - 97.5).
  PositionKeeper::on_fill(p, Side::kSell, 90, 10);
  EXPECT_EQ(p.position, -40);
  EXPECT_DOUBLE_EQ(p.vwap, 97.5);
  EXPECT_DOUBLE_EQ(p.unrealized_pnl, 100.0);
  // Buy 40 at 90: realize 40 * (97.5 - 90) = 300; flat.
  PositionKeeper::on_fill(p, Side::kBuy, 90, 40);
  EXPECT_EQ(p.position, 0);
  EXPECT_DOUBLE_EQ(p.vwap, 0.0);
  EXPECT_DOUBLE_EQ(p.realized_pnl, 380.0);
  EXPECT_DOUBLE_EQ(p.unrealized_pnl, 0.0);
  EXPECT_EQ(p.fills, 6u);
  EXPECT_EQ(p.filled_qty, 160u);
}

TEST(PositionKeeper, a_short_flipped_long_opens_at_the_fill_price) {
  Position p;
  PositionKeeper::on_fill(p, Side::kSell, 200, 5);
  PositionKeeper::on_fill(p, Side::kBuy, 210, 8);  // close 5: 5 * (200 - 210) = -50
  EXPECT_EQ(p.position, 3);
  EXPECT_DOUBLE_EQ(p.vwap, 210.0);
  EXPECT_DOUBLE_EQ(p.realized_pnl, -50.0);
  PositionKeeper::on_mid(p, true, 220.0);
  EXPECT_DOUBLE_EQ(p.unrealized_pnl, 30.0);
}

TEST(PositionKeeper, ignores_a_zero_quantity_fill) {
  Position p;
  PositionKeeper::on_fill(p, Side::kBuy, 100, 0);
  EXPECT_EQ(p.position, 0);
  EXPECT_EQ(p.fills, 0u);
}

}  // namespace
}  // namespace llt::trading
