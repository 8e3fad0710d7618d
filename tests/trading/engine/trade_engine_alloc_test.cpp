// In steady state the trade engine (books, features, positions, risk, order manager, market
// maker) performs zero heap allocations per market event and per gateway event. This
// executable replaces the global operator new and delete with counting versions.
#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>

#include "tests/support/allocation_counter.h"
#include "trading/engine/trade_engine.h"

namespace llt::trading {
namespace {

using exchange::ClientRequestType;
using exchange::ClientResponseType;
using exchange::MarketUpdateType;
using exchange::Side;

// Drives the engine with a moving book and answers its requests like an exchange would
// (ACCEPTED for a NEW, then a partial FILLED every third order, and CANCELED(EXPIRED) for
// the rest of an IOC or FOK; REJECTED for a bad tif or flag; MODIFIED for a MODIFY, then a
// partial FILLED every third one; CANCELED
// for a CANCEL, CANCEL_REJECTED when it carries flags).
class Driver {
 public:
  explicit Driver(std::string_view strategy)
      : engine_(make_options(strategy), md_, gw_, out_, capacity()) {
    GatewayEvent logon;
    logon.type = GatewayEventType::kLoggedOn;
    (void)gw_.try_push(logon);
    GatewayEvent caught_up;
    caught_up.type = GatewayEventType::kCaughtUp;
    (void)gw_.try_push(caught_up);
    (void)engine_.poll();
  }

  static TradeEngineOptions make_options(std::string_view strategy) {
    TradeEngineOptions o;
    o.tickers = {1, 2};
    o.strategy.name = strategy;
    o.strategy.max_position = 1'000'000'000;
    o.risk.max_position = 1'000'000'000;
    o.risk.max_loss = INT64_MAX / 4;
    o.strategy.orders_per_second = 1'000'000;
    o.strategy.signal_threshold = 0.05;  // the imbalance alone crosses it, so the taker trades
    return o;
  }
  static TradeEngineCapacity capacity() {
    TradeEngineCapacity c;
    c.max_orders_per_book = 4096;
    c.max_levels_per_side = 1024;
    return c;
  }

  // One step: an ADD and (after a while) a CANCEL near the top, then the engine, then the
  // exchange's answers, then the engine again.
  void step(std::uint64_t i) {
    const exchange::TickerId ticker = 1 + static_cast<exchange::TickerId>(i & 1);
    const bool buy = (i & 2) != 0;
    const auto offset = static_cast<exchange::Price>((i * 7) % 40);
    push_md(MarketUpdateType::kAdd, i + 1, ticker, buy ? Side::kBuy : Side::kSell,
            buy ? 9990 - offset : 10010 + offset, 1 + static_cast<exchange::Qty>(i % 5));
    if (i >= 64) {
      push_md(MarketUpdateType::kCancel, i - 63, 1 + static_cast<exchange::TickerId>((i - 64) & 1),
              Side::kBuy, 0, 0);
    }
    if (i % 1000 == 999) {
      push_md(MarketUpdateType::kTrade, 0, ticker, Side::kBuy, 10000, 1);
    }
    (void)engine_.poll();
    while (OrderRequest* r = out_.front()) {
      const exchange::ClientRequest req = r->request;
      out_.pop();
      if (req.msg_type == ClientRequestType::kNew) {
        if (!exchange::is_valid(req.tif) || (req.flags & ~exchange::kFlagPostOnly) != 0 ||
            (req.flags != 0 && req.tif != exchange::TimeInForce::kGtc)) {
          respond(ClientResponseType::kRejected, req, 0, 0, exchange::RejectReason::kInvalidTif);
          continue;
        }
        respond(ClientResponseType::kAccepted, req, 0, req.qty);
        exchange::Qty leaves = req.qty;
        if (req.order_id % 3 == 0 && req.qty > 1) {
          respond(ClientResponseType::kFilled, req, 1, --leaves);
        }
        if (req.tif != exchange::TimeInForce::kGtc) {
          respond(ClientResponseType::kCanceled, req, 0, 0, exchange::RejectReason::kExpired);
        }
      } else if (req.msg_type == ClientRequestType::kModify) {
        respond(ClientResponseType::kModified, req, 0, req.qty);
        if (++modifies_ % 3 == 0 && req.qty > 1) {
          respond(ClientResponseType::kFilled, req, 1, req.qty - 1);
        }
      } else if (req.flags != 0) {
        respond(ClientResponseType::kCancelRejected, req, 0, 0,
                exchange::RejectReason::kInvalidFlags);
      } else {
        respond(ClientResponseType::kCanceled, req, 0, 0);
      }
    }
    (void)engine_.poll();
  }

  TradeEngine& engine() { return engine_; }

 private:
  void push_md(MarketUpdateType type, std::uint64_t id, exchange::TickerId ticker, Side side,
               exchange::Price price, exchange::Qty qty) {
    MarketEvent e;
    e.update.msg_type = type;
    e.update.seq_num = ++seq_;
    e.update.order_id = id;
    e.update.ticker_id = ticker;
    e.update.side = side;
    e.update.price = price;
    e.update.qty = qty;
    e.update.priority = id;
    e.read_tsc = common::rdtsc();
    (void)md_.try_push(e);
  }
  void respond(ClientResponseType type, const exchange::ClientRequest& req, exchange::Qty exec,
               exchange::Qty leaves,
               exchange::RejectReason reason = exchange::RejectReason::kNone) {
    GatewayEvent e;
    e.type = GatewayEventType::kResponse;
    e.response.msg_type = type;
    e.response.ticker_id = req.ticker_id;
    e.response.client_order_id = req.order_id;
    e.response.side = req.side;
    e.response.price = req.price;
    e.response.exec_qty = exec;
    e.response.leaves_qty = leaves;
    e.response.reject_reason = reason;
    (void)gw_.try_push(e);
  }

  MarketEventQueue md_{1024};
  GatewayEventQueue gw_{1024};
  OrderRequestQueue out_{1024};
  std::uint64_t seq_ = 0;
  std::uint64_t modifies_ = 0;
  TradeEngine engine_;
};

void expect_no_allocation(std::string_view strategy) {
  Driver driver(strategy);
  std::uint64_t i = 0;
  for (; i < 10'000; ++i) {
    driver.step(i);
  }
  const std::uint64_t before = test::thread_allocations();
  for (; i < 110'000; ++i) {
    driver.step(i);
  }
  const std::uint64_t allocations = test::thread_allocations() - before;
  EXPECT_EQ(allocations, 0u);
  EXPECT_GT(driver.engine().requests_sent(), 100u);
  EXPECT_GT(driver.engine().fills(), 10u);
  EXPECT_EQ(driver.engine().book_errors(), 0u);
  EXPECT_GE(driver.engine().market_events(), 110'000u);
}

TEST(TradeEngineAllocation, counting_operator_new_sees_allocations) {
  const std::uint64_t before = test::thread_allocations();
  // Through a volatile pointer: a new/delete pair nobody observes may be elided.
  int* volatile p = new int(3);
  delete p;
  EXPECT_EQ(test::thread_allocations() - before, 1u);
}

TEST(TradeEngineAllocation, market_maker_steady_state_allocates_nothing) {
  expect_no_allocation(MarketMaker::kName);
}

TEST(TradeEngineAllocation, liquidity_taker_steady_state_allocates_nothing) {
  expect_no_allocation(LiquidityTaker::kName);
}

TEST(TradeEngineAllocation, random_trader_steady_state_allocates_nothing) {
  expect_no_allocation(RandomTrader::kName);
}

}  // namespace
}  // namespace llt::trading
