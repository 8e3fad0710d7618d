#include "trading/features/feature_engine.h"

#include <gtest/gtest.h>

namespace llt::trading {
namespace {

Bbo bbo(exchange::Price bp, std::uint64_t bq, exchange::Price ap, std::uint64_t aq) {
  Bbo b;
  b.bid_price = bp;
  b.bid_qty = bq;
  b.ask_price = ap;
  b.ask_qty = aq;
  return b;
}

constexpr double kEps = 1e-9;

TEST(FeatureEngine, empty_book_uses_the_reference_price_and_a_zero_signal) {
  const FeatureEngine fe(0.2, 10000);
  TickerFeatures f = fe.initial();
  fe.on_bbo(Bbo{}, f);
  EXPECT_DOUBLE_EQ(f.fair_value, 10000.0);
  EXPECT_DOUBLE_EQ(f.mid, 10000.0);
  EXPECT_DOUBLE_EQ(f.spread, 0.0);
  EXPECT_DOUBLE_EQ(f.imbalance, 0.0);
  EXPECT_DOUBLE_EQ(f.signal, 0.0);
  EXPECT_FALSE(f.seen_two_sided);
}

TEST(FeatureEngine, one_sided_book_has_a_zero_spread_and_only_the_imbalance_term) {
  const FeatureEngine fe(0.2, 10000);
  TickerFeatures f = fe.initial();
  fe.on_bbo(bbo(9990, 30, 0, 0), f);
  EXPECT_DOUBLE_EQ(f.fair_value, 10000.0);  // never two-sided: reference price
  EXPECT_DOUBLE_EQ(f.mid, 9990.0);
  EXPECT_DOUBLE_EQ(f.spread, 0.0);
  EXPECT_DOUBLE_EQ(f.imbalance, 1.0);
  EXPECT_NEAR(f.signal, 0.3, kEps);  // 0.7 * 0 + 0.3 * 1
  fe.on_bbo(bbo(0, 0, 10020, 5), f);
  EXPECT_DOUBLE_EQ(f.mid, 10020.0);
  EXPECT_DOUBLE_EQ(f.imbalance, -1.0);
  EXPECT_NEAR(f.signal, -0.3, kEps);
}

TEST(FeatureEngine, fair_value_is_an_ema_of_the_mid_seeded_by_the_first_two_sided_mid) {
  const FeatureEngine fe(0.2, 5000);
  TickerFeatures f = fe.initial();
  // mid 10000, spread 20, imbalance (10 - 30) / 40 = -0.5; fair = first mid.
  fe.on_bbo(bbo(9990, 10, 10010, 30), f);
  EXPECT_DOUBLE_EQ(f.mid, 10000.0);
  EXPECT_DOUBLE_EQ(f.spread, 20.0);
  EXPECT_DOUBLE_EQ(f.fair_value, 10000.0);
  EXPECT_DOUBLE_EQ(f.imbalance, -0.5);
  EXPECT_NEAR(f.signal, -0.15, kEps);  // 0.7 * 0 + 0.3 * -0.5
  // mid 10020: fair = 0.2 * 10020 + 0.8 * 10000 = 10004; signal = 0.7 * (10004 - 10020) / 20.
  fe.on_bbo(bbo(10010, 10, 10030, 10), f);
  EXPECT_NEAR(f.fair_value, 10004.0, kEps);
  EXPECT_DOUBLE_EQ(f.imbalance, 0.0);
  EXPECT_NEAR(f.signal, -0.56, kEps);
  // mid 9990: fair = 0.2 * 9990 + 0.8 * 10004 = 10001.2; imbalance (30 - 10) / 40 = 0.5;
  // signal = 0.7 * (10001.2 - 9990) / 20 + 0.3 * 0.5 = 0.392 + 0.15.
  fe.on_bbo(bbo(9980, 30, 10000, 10), f);
  EXPECT_NEAR(f.fair_value, 10001.2, kEps);
  EXPECT_NEAR(f.signal, 0.542, kEps);
}

TEST(FeatureEngine, signal_is_clamped_to_minus_one_and_one) {
  const FeatureEngine fe(0.2, 10000);
  TickerFeatures f = fe.initial();
  fe.on_bbo(bbo(9999, 10, 10001, 10), f);  // fair = 10000
  // mid 10101, spread 2: fair = 0.2 * 10101 + 0.8 * 10000 = 10020.2;
  // 0.7 * (10020.2 - 10101) / 2 + 0.3 * 0.8 = -28.04 -> -1.
  fe.on_bbo(bbo(10100, 90, 10102, 10), f);
  EXPECT_NEAR(f.fair_value, 10020.2, kEps);
  EXPECT_DOUBLE_EQ(f.signal, -1.0);
  // mid 9000, spread 2: fair = 0.2 * 9000 + 0.8 * 10020.2 = 9816.16; far above the mid -> +1.
  fe.on_bbo(bbo(8999, 10, 9001, 10), f);
  EXPECT_NEAR(f.fair_value, 9816.16, 1e-6);
  EXPECT_DOUBLE_EQ(f.signal, 1.0);
}

TEST(FeatureEngine, an_emptied_book_keeps_the_fair_value) {
  const FeatureEngine fe(0.5, 10000);
  TickerFeatures f = fe.initial();
  fe.on_bbo(bbo(199, 1, 201, 1), f);
  fe.on_bbo(Bbo{}, f);
  EXPECT_DOUBLE_EQ(f.fair_value, 200.0);
  EXPECT_DOUBLE_EQ(f.mid, 200.0);
  EXPECT_DOUBLE_EQ(f.signal, 0.0);
  // One-sided updates leave the EMA alone.
  fe.on_bbo(bbo(300, 5, 0, 0), f);
  EXPECT_DOUBLE_EQ(f.fair_value, 200.0);
}

TEST(FeatureEngine, a_locked_book_has_no_fair_value_term) {
  const FeatureEngine fe(0.2, 10000);
  TickerFeatures f = fe.initial();
  fe.on_bbo(bbo(100, 10, 100, 30), f);
  EXPECT_DOUBLE_EQ(f.spread, 0.0);
  EXPECT_NEAR(f.signal, 0.3 * -0.5, kEps);
}

}  // namespace
}  // namespace llt::trading
