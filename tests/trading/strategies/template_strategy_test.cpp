#include "trading/strategies/template_strategy.h"

#include <gtest/gtest.h>

#include "trading/strategies/strategy.h"

namespace llt::trading {
namespace {

using exchange::ClientRequestType;
using exchange::Side;

// The template as the trade engine would hold it, alone in a list.
using TemplateOnly = StrategySet<StrategyList<TemplateStrategy>>;
static_assert(TradingStrategy<TemplateStrategy>);
static_assert(!TimedStrategy<TemplateStrategy>);

class TemplateStrategyTest : public ::testing::Test {
 protected:
  TemplateStrategyTest() : om_({7}, queue_, risk_), strategy_(options(), 1e9) {
    om_.set_logged_on(true);
    features_.fair_value = 10'000.4;
  }
  static StrategyOptions options() {
    StrategyOptions o;
    o.name = "template";
    o.order_qty = 4;
    o.half_spread = 25;
    return o;
  }
  void update(const Bbo& bbo) { strategy_.on_update(0, features_, bbo, pos_, om_); }
  static Bbo two_sided() {
    Bbo b;
    b.bid_price = 9'990;
    b.bid_qty = 5;
    b.ask_price = 10'010;
    b.ask_qty = 5;
    return b;
  }
  void accept(const exchange::ClientRequest& r) {
    exchange::ClientResponse response;
    response.msg_type = exchange::ClientResponseType::kAccepted;
    response.ticker_id = 7;
    response.client_order_id = r.order_id;
    response.side = r.side;
    response.price = r.price;
    response.leaves_qty = r.qty;
    (void)om_.on_response(0, response);
  }

  OrderRequestQueue queue_{8};
  RiskManager risk_{RiskLimits{}};
  OrderManager om_;
  TemplateOnly strategy_;
  TickerFeatures features_;
  Position pos_;
};

TEST_F(TemplateStrategyTest, is_built_by_name_and_has_no_timer) {
  EXPECT_EQ(strategy_.name(), "template");
  EXPECT_FALSE(strategy_.has_timer());
  EXPECT_TRUE(TemplateOnly::contains("template"));
  EXPECT_FALSE(TemplateOnly::contains("market-maker"));
}

TEST_F(TemplateStrategyTest, quotes_both_sides_around_the_rounded_fair_value) {
  update(two_sided());
  ASSERT_NE(queue_.front(), nullptr);
  const exchange::ClientRequest bid = queue_.front()->request;
  queue_.pop();
  ASSERT_NE(queue_.front(), nullptr);
  const exchange::ClientRequest ask = queue_.front()->request;
  queue_.pop();
  EXPECT_EQ(queue_.front(), nullptr);
  EXPECT_EQ(bid.msg_type, ClientRequestType::kNew);
  EXPECT_EQ(bid.side, Side::kBuy);
  EXPECT_EQ(bid.price, 9'975);
  EXPECT_EQ(bid.qty, 4U);
  EXPECT_EQ(ask.side, Side::kSell);
  EXPECT_EQ(ask.price, 10'025);
  EXPECT_EQ(ask.qty, 4U);
}

TEST_F(TemplateStrategyTest, does_not_quote_a_one_sided_book) {
  Bbo bids_only = two_sided();
  bids_only.ask_price = 0;
  bids_only.ask_qty = 0;
  update(bids_only);
  EXPECT_EQ(queue_.front(), nullptr);
}

TEST_F(TemplateStrategyTest, pulls_its_quotes_when_the_book_turns_one_sided) {
  update(two_sided());
  while (const OrderRequest* r = queue_.front()) {
    accept(r->request);
    queue_.pop();
  }
  update(Bbo{});
  int cancels = 0;
  while (const OrderRequest* r = queue_.front()) {
    cancels += r->request.msg_type == ClientRequestType::kCancel ? 1 : 0;
    queue_.pop();
  }
  EXPECT_EQ(cancels, 2);
}

}  // namespace
}  // namespace llt::trading
