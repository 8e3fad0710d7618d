#include "trading/strategies/strategy_registry.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

namespace llt::trading {
namespace {

StrategyOptions named(std::string_view name) {
  StrategyOptions o;
  o.name = name;
  return o;
}

TEST(StrategyRegistry, lists_the_three_strategies_once_each_with_a_help_line) {
  EXPECT_EQ(Strategy::kNames.size(), 3U);
  const std::set<std::string_view> names(Strategy::kNames.begin(), Strategy::kNames.end());
  EXPECT_EQ(names, (std::set<std::string_view>{"market-maker", "liquidity-taker", "random"}));
  for (std::string_view help : Strategy::kHelps) {
    EXPECT_FALSE(help.empty());
  }
}

TEST(StrategyRegistry, builds_the_strategy_named) {
  for (std::string_view name : Strategy::kNames) {
    EXPECT_TRUE(Strategy::contains(name));
    EXPECT_EQ(Strategy(named(name), 1e9).name(), name);
  }
}

TEST(StrategyRegistry, only_the_random_trader_runs_on_a_timer) {
  EXPECT_FALSE(Strategy(named("market-maker"), 1e9).has_timer());
  EXPECT_FALSE(Strategy(named("liquidity-taker"), 1e9).has_timer());
  EXPECT_TRUE(Strategy(named("random"), 1e9).has_timer());
}

TEST(StrategyRegistry, refuses_an_unknown_name_naming_the_flag) {
  EXPECT_FALSE(Strategy::contains("momentum"));
  try {
    Strategy strategy(named("momentum"), 1e9);
    FAIL() << "built " << strategy.name();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--strategy"), std::string::npos) << e.what();
  }
}

TEST(StrategyRegistry, dispatches_updates_to_the_strategy_built) {
  OrderRequestQueue queue(8);
  RiskManager risk{RiskLimits{}};
  OrderManager om({1}, queue, risk);
  om.set_logged_on(true);
  StrategyOptions o = named("liquidity-taker");
  o.order_qty = 3;
  o.signal_threshold = 0.2;
  Strategy strategy(o, 1e9);
  TickerFeatures f;
  f.signal = 0.5;
  Bbo bbo;
  bbo.bid_price = 99;
  bbo.bid_qty = 1;
  bbo.ask_price = 101;
  bbo.ask_qty = 1;
  strategy.on_update(0, f, bbo, Position{}, om);
  ASSERT_NE(queue.front(), nullptr);
  EXPECT_EQ(queue.front()->request.side, exchange::Side::kBuy);
  EXPECT_EQ(queue.front()->request.price, 101);
  EXPECT_EQ(queue.front()->request.qty, 3U);
}

}  // namespace
}  // namespace llt::trading
