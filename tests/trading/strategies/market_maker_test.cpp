#include "trading/strategies/market_maker.h"

#include <gtest/gtest.h>

#include <vector>

namespace llt::trading {
namespace {

MarketMakerParams params() {
  MarketMakerParams p;
  p.order_qty = 10;
  p.half_spread = 50;
  p.skew_factor = 0.5;
  p.max_position = 1000;
  return p;
}

// A two-sided book (spread 100) unless `spread` says otherwise.
TickerFeatures features(double fair, double imbalance = 0.0, double spread = 100.0) {
  TickerFeatures f;
  f.fair_value = fair;
  f.imbalance = imbalance;
  f.spread = spread;
  return f;
}

Quote quote(exchange::Price bp, exchange::Qty bq, exchange::Price ap, exchange::Qty aq) {
  Quote q;
  q.bid_price = bp;
  q.bid_qty = bq;
  q.ask_price = ap;
  q.ask_qty = aq;
  return q;
}

TEST(MarketMaker, quotes_symmetrically_when_flat) {
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000), 0), quote(9950, 10, 10050, 10));
}

TEST(MarketMaker, shrinks_the_bid_when_long) {
  // Half: ratio 0.5, bid factor 1 - 0.25: 7.5 -> 7.
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000), 500), quote(9950, 7, 10050, 10));
  // Full: bid factor 0.5.
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000), 1000), quote(9950, 5, 10050, 10));
  // Beyond full is clamped to full.
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000), 5000), quote(9950, 5, 10050, 10));
}

TEST(MarketMaker, shrinks_the_ask_when_short) {
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000), -500), quote(9950, 10, 10050, 7));
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000), -1000), quote(9950, 10, 10050, 5));
}

TEST(MarketMaker, widens_on_an_imbalanced_book) {
  // |0.5| * 50 * 0.5 = 12.5 -> 12: half spread 62.
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000, -0.5), 0), quote(9938, 10, 10062, 10));
  // Full imbalance: 25.
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000, 1.0), 0), quote(9925, 10, 10075, 10));
}

TEST(MarketMaker, does_not_widen_on_a_one_sided_book) {
  // A one-sided book (spread 0) has imbalance +-1, most often because our own requote is in
  // flight: the quotes stay where they are.
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000, 1.0, 0.0), 0),
            quote(9950, 10, 10050, 10));
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000, -1.0, 0.0), 0),
            quote(9950, 10, 10050, 10));
}

TEST(MarketMaker, rounds_the_fair_value_to_a_cent) {
  EXPECT_EQ(MarketMaker::quotes(params(), features(10000.6), 0), quote(9951, 10, 10051, 10));
}

TEST(MarketMaker, does_not_quote_a_non_positive_price_or_a_zero_quantity) {
  EXPECT_EQ(MarketMaker::quotes(params(), features(30), 0), quote(-20, 0, 80, 10));
  MarketMakerParams p = params();
  p.skew_factor = 1.0;
  EXPECT_EQ(MarketMaker::quotes(p, features(10000), 1000), quote(9950, 0, 10050, 10));
}

TEST(MarketMaker, sends_both_quotes_through_the_order_manager) {
  OrderRequestQueue queue(8);
  RiskLimits limits;
  RiskManager risk(limits);
  OrderManager om({3}, queue, risk);
  om.set_logged_on(true);
  MarketMaker mm(params());
  Position pos;
  mm.on_update(0, features(10000), Bbo{}, pos, om);
  ASSERT_NE(queue.front(), nullptr);
  EXPECT_EQ(queue.front()->request.side, exchange::Side::kBuy);
  EXPECT_EQ(queue.front()->request.price, 9950);
  queue.pop();
  ASSERT_NE(queue.front(), nullptr);
  EXPECT_EQ(queue.front()->request.side, exchange::Side::kSell);
  EXPECT_EQ(queue.front()->request.price, 10050);
  queue.pop();
  EXPECT_EQ(queue.front(), nullptr);
}

// Both quotes live: ids 1 (bid 9950 x 10) and 2 (ask 10050 x 10).
class MarketMakerRequoteTest : public ::testing::Test {
 protected:
  explicit MarketMakerRequoteTest(Requote requote = Requote::kModify) : mm_(make(requote)) {
    om_.set_logged_on(true);
    mm_.on_update(0, features(10000), Bbo{}, pos_, om_);
    while (const OrderRequest* r = queue_.front()) {
      exchange::ClientResponse accepted;
      accepted.msg_type = exchange::ClientResponseType::kAccepted;
      accepted.ticker_id = 3;
      accepted.client_order_id = r->request.order_id;
      accepted.leaves_qty = r->request.qty;
      queue_.pop();
      om_.on_response(0, accepted);
    }
  }
  static MarketMaker make(Requote requote) {
    MarketMakerParams p = params();
    p.requote = requote;
    return MarketMaker(p);
  }
  std::vector<exchange::ClientRequest> drain() {
    std::vector<exchange::ClientRequest> sent;
    while (const OrderRequest* r = queue_.front()) {
      sent.push_back(r->request);
      queue_.pop();
    }
    return sent;
  }

  OrderRequestQueue queue_{8};
  RiskManager risk_{RiskLimits{}};
  OrderManager om_{{3}, queue_, risk_};
  MarketMaker mm_;
  Position pos_;
};

TEST_F(MarketMakerRequoteTest, shrinks_a_quote_in_place_with_one_modify_at_the_same_price) {
  pos_.position = 500;  // long: bid 10 -> 7, same prices
  mm_.on_update(0, features(10000), Bbo{}, pos_, om_);
  const auto sent = drain();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].msg_type, exchange::ClientRequestType::kModify);
  EXPECT_EQ(sent[0].order_id, 1u);
  EXPECT_EQ(sent[0].side, exchange::Side::kBuy);
  EXPECT_EQ(sent[0].price, 9950);
  EXPECT_EQ(sent[0].qty, 7u);
  EXPECT_EQ(om_.order(0, exchange::Side::kBuy).state, OrderState::kPendingModify);
}

TEST_F(MarketMakerRequoteTest, moves_both_quotes_with_one_modify_each_and_no_new) {
  mm_.on_update(0, features(10100), Bbo{}, pos_, om_);
  const auto sent = drain();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].msg_type, exchange::ClientRequestType::kModify);
  EXPECT_EQ(sent[0].order_id, 1u);
  EXPECT_EQ(sent[0].price, 10050);
  EXPECT_EQ(sent[1].msg_type, exchange::ClientRequestType::kModify);
  EXPECT_EQ(sent[1].order_id, 2u);
  EXPECT_EQ(sent[1].price, 10150);
  EXPECT_EQ(om_.orders_sent(), 2u);  // the two opening NEWs only
  EXPECT_EQ(om_.modifies_sent(), 2u);
}

class MarketMakerCancelNewTest : public MarketMakerRequoteTest {
 protected:
  MarketMakerCancelNewTest() : MarketMakerRequoteTest(Requote::kCancelNew) {}
};

TEST_F(MarketMakerCancelNewTest, moves_a_quote_by_cancel_then_new_when_told_to) {
  mm_.on_update(0, features(10100), Bbo{}, pos_, om_);
  auto sent = drain();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].msg_type, exchange::ClientRequestType::kCancel);
  EXPECT_EQ(sent[1].msg_type, exchange::ClientRequestType::kCancel);
  exchange::ClientResponse canceled;
  canceled.msg_type = exchange::ClientResponseType::kCanceled;
  canceled.ticker_id = 3;
  canceled.client_order_id = 1;
  om_.on_response(0, canceled);
  mm_.on_update(0, features(10100), Bbo{}, pos_, om_);
  sent = drain();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].msg_type, exchange::ClientRequestType::kNew);
  EXPECT_EQ(sent[0].order_id, 3u);
  EXPECT_EQ(sent[0].price, 10050);
  // One quote change of the bid, two requests for it.
  EXPECT_EQ(om_.quote_changes(), 4u);
  EXPECT_EQ(om_.requests_sent(), 5u);
}

}  // namespace
}  // namespace llt::trading
