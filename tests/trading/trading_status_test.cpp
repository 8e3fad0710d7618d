// The trading client's status line shows the top of its book of each ticker: best bid and ask
// with their sizes and the last trade, from the market data of a live in-process exchange
// (docs/operations.md, Status lines).

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "exchange/exchange_app.h"
#include "tests/support/multicast_channel.h"
#include "tests/support/order_entry_checks.h"
#include "tests/support/order_entry_client.h"
#include "trading/engine/trade_engine.h"
#include "trading/trading_app.h"

namespace llt::trading {
namespace {

using exchange::ClientResponseType;
using exchange::Side;
using exchange::testing::log_on;
using exchange::testing::OrderEntryClient;
using exchange::testing::receive_response;

bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

TEST(TradingStatus, the_status_line_shows_the_clients_book_and_last_trade) {
  const test::MulticastChannel channel = test::random_multicast_channel();
  exchange::ExchangeOptions xo;
  xo.port = 0;
  xo.market_data.multicast_addr = channel.group;
  xo.market_data.multicast_port = channel.port;
  xo.market_data.snapshot_port = static_cast<std::uint16_t>(channel.port + 1);
  xo.md_replay_port = 0;
  xo.snapshot_interval_ms = 100;
  xo.tickers = {1, 2};
  xo.max_orders = 1024;
  xo.max_sessions = 8;
  xo.max_clients = 16;
  xo.process.stats_interval_s = 0;
  exchange::ExchangeApp exchange_app(xo);
  exchange_app.start();

  // The client hears the market data but never logs on (nothing listens on its order entry
  // port), so its strategy sends nothing and its book is the market's.
  TradingOptions to;
  to.port = 1;
  to.client_id = 9;
  to.tickers = {1, 2};
  to.market_data.multicast_addr = channel.group;
  to.market_data.multicast_port = channel.port;
  to.market_data.snapshot_port = static_cast<std::uint16_t>(channel.port + 1);
  to.md_replay = false;
  to.process.stats_interval_s = 0;
  TradingApp app(to);
  app.start();

  OrderEntryClient buyer(exchange_app.port(), 7);
  OrderEntryClient seller(exchange_app.port(), 8);
  ASSERT_TRUE(log_on(buyer));
  ASSERT_TRUE(log_on(seller));
  ASSERT_TRUE(buyer.send(buyer.new_order(1, 1, Side::kBuy, 9950, 10)));
  ASSERT_TRUE(receive_response(buyer, ClientResponseType::kAccepted));
  ASSERT_TRUE(seller.send(seller.new_order(1, 1, Side::kSell, 10050, 9)));
  ASSERT_TRUE(receive_response(seller, ClientResponseType::kAccepted));
  ASSERT_TRUE(buyer.send(buyer.new_order(1, 2, Side::kBuy, 10050, 3)));
  ASSERT_TRUE(receive_response(buyer, ClientResponseType::kAccepted));
  ASSERT_TRUE(receive_response(buyer, ClientResponseType::kFilled));
  ASSERT_TRUE(receive_response(seller, ClientResponseType::kFilled));
  ASSERT_TRUE(seller.send(seller.new_order(2, 2, Side::kSell, 20000, 1)));
  ASSERT_TRUE(receive_response(seller, ClientResponseType::kAccepted));

  EXPECT_TRUE(eventually([&] {
    return common::format_top_of_book(app.engine().top_of_book(0)) ==
               "9950x10/10050x6 last 10050x3" &&
           common::format_top_of_book(app.engine().top_of_book(1)) == "-/20000x1 last -";
  })) << app.status_line();
  const std::string line = app.status_line();
  EXPECT_NE(line.find("1: pos 0 rpnl 0 upnl 0 book 9950x10/10050x6 last 10050x3; "
                      "2: pos 0 rpnl 0 upnl 0 book -/20000x1 last -"),
            std::string::npos)
      << line;
  // The exchange's own line agrees.
  EXPECT_NE(exchange_app.status_line().find(
                "book [1: 9950x10/10050x6 last 10050x3, 2: -/20000x1 last -]"),
            std::string::npos)
      << exchange_app.status_line();
  app.stop();
  exchange_app.stop();
}

}  // namespace
}  // namespace llt::trading
