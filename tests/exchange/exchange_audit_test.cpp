// The exchange's status line shows the top of each book, and its audit log records a scripted
// session line by line (docs/operations.md, Status lines and Audit log).

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/logging/logger.h"
#include "exchange/exchange_app.h"
#include "tests/support/multicast_channel.h"
#include "tests/support/order_entry_checks.h"
#include "tests/support/order_entry_client.h"
#include "tests/support/scratch_dir.h"

namespace llt::exchange {
namespace {

using testing::log_on;
using testing::OrderEntryClient;
using testing::receive_response;

ExchangeOptions test_options() {
  const test::MulticastChannel channel = test::random_multicast_channel();
  ExchangeOptions o;
  o.port = 0;
  o.market_data.multicast_addr = channel.group;
  o.market_data.multicast_port = channel.port;
  o.market_data.snapshot_port = static_cast<std::uint16_t>(channel.port + 1);
  o.md_replay_port = 0;
  o.tickers = {1, 2};
  o.max_orders = 1024;
  o.max_sessions = 8;
  o.max_clients = 16;
  o.process.threading = common::ThreadingMode::kShared;
  o.process.idle = common::IdleMode::kBackoff;
  o.process.stats_interval_s = 0;
  return o;
}

bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

std::vector<std::string> audit_lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    const std::size_t at = line.find(" audit ");
    if (at != std::string::npos) {
      lines.push_back(line.substr(at + 1));  // from "audit"
    }
  }
  return lines;
}

TEST(ExchangeStatus, the_status_line_shows_best_bid_and_ask_with_sizes_and_the_last_trade) {
  ExchangeApp app(test_options());
  app.start();
  EXPECT_EQ(app.top_of_books(), "1: -/- last -, 2: -/- last -");

  OrderEntryClient buyer(app.port(), 7);
  OrderEntryClient seller(app.port(), 8);
  ASSERT_TRUE(log_on(buyer));
  ASSERT_TRUE(log_on(seller));
  ASSERT_TRUE(buyer.send(buyer.new_order(1, 1, Side::kBuy, 9950, 10)));
  ASSERT_TRUE(receive_response(buyer, ClientResponseType::kAccepted));
  ASSERT_TRUE(buyer.send(buyer.new_order(1, 2, Side::kBuy, 9900, 4)));
  ASSERT_TRUE(receive_response(buyer, ClientResponseType::kAccepted));
  ASSERT_TRUE(seller.send(seller.new_order(1, 1, Side::kSell, 10050, 9)));
  ASSERT_TRUE(receive_response(seller, ClientResponseType::kAccepted));
  ASSERT_TRUE(seller.send(seller.new_order(1, 2, Side::kSell, 10050, 5)));
  ASSERT_TRUE(receive_response(seller, ClientResponseType::kAccepted));
  EXPECT_TRUE(eventually([&] {
    return app.top_of_books() == "1: 9950x10/10050x14 last -, 2: -/- last -";
  })) << app.top_of_books();

  // A buy through the offer: 10050x9 then 10050x1 of the next order; the rest (2) bids.
  ASSERT_TRUE(buyer.send(buyer.new_order(1, 3, Side::kBuy, 10050, 12)));
  ASSERT_TRUE(receive_response(buyer, ClientResponseType::kAccepted));
  EXPECT_TRUE(eventually([&] {
    return app.top_of_books() == "1: 9950x10/10050x2 last 10050x3, 2: -/- last -";
  })) << app.top_of_books();
  const common::TopOfBook top = app.engine().top_of_book(0);
  EXPECT_EQ(top.bid_price, 9950);
  EXPECT_EQ(top.bid_qty, 10u);
  EXPECT_EQ(top.ask_price, 10050);
  EXPECT_EQ(top.ask_qty, 2u);
  EXPECT_EQ(top.last_price, 10050);
  EXPECT_EQ(top.last_qty, 3u);

  const std::string line = app.status_line();
  EXPECT_NE(line.find("book [1: 9950x10/10050x2 last 10050x3, 2: -/- last -]"), std::string::npos)
      << line;
  app.stop();
}

TEST(ExchangeAudit, the_log_records_a_scripted_session_in_order) {
  const test::ScratchDir dir("llt-audit");
  const std::filesystem::path path = dir.path() / "exchange.log";
  common::LoggerOptions log_options;
  log_options.path = path.string();
  common::Logger logger(log_options);
  {
    ExchangeApp app(test_options(), &logger);
    app.start();
    OrderEntryClient first(app.port(), 7);
    ASSERT_TRUE(log_on(first));
    ASSERT_TRUE(first.send(first.new_order(99, 1, Side::kBuy, 10000, 10)));
    ASSERT_TRUE(
        receive_response(first, ClientResponseType::kRejected, RejectReason::kUnknownTicker));
    ASSERT_TRUE(first.send(first.new_order(1, 2, Side::kBuy, 10000, 10)));
    ASSERT_TRUE(receive_response(first, ClientResponseType::kAccepted));

    OrderEntryClient second(app.port(), 8);
    ASSERT_TRUE(log_on(second));
    ASSERT_TRUE(second.send(second.new_order(1, 5, Side::kSell, 9900, 3)));
    ASSERT_TRUE(receive_response(second, ClientResponseType::kAccepted));
    ASSERT_TRUE(receive_response(second, ClientResponseType::kFilled));
    ASSERT_TRUE(receive_response(first, ClientResponseType::kFilled));

    OrderEntryClient intruder(app.port(), 7);  // client 7 is logged on already
    ASSERT_TRUE(intruder.send(intruder.logon()));
    ASSERT_TRUE(receive_response(intruder, ClientResponseType::kLogonRejected,
                                 RejectReason::kClientIdInUse));
    ASSERT_TRUE(testing::closed_by_server(intruder));

    first.close();
    ASSERT_TRUE(eventually([&] { return app.order_server().counters().sessions_live == 1; }));
    app.stop();
  }
  logger.stop();

  const std::vector<std::string> lines = audit_lines(path);
  const std::vector<std::string> expected = {
      "audit connect conn 0 peer 127.0.0.1:",
      "audit logon accepted conn 0 client 7 keep_orders 0 replay_from 0 ",
      "audit reject new client 7 order 1 ticker 99 reason UNKNOWN_TICKER (4)",
      "audit connect conn 1 peer 127.0.0.1:",
      "audit logon accepted conn 1 client 8 ",
      std::string("audit trade ticker 1 price 10000 qty 3 ") +
          "aggressor client 8 order 5 passive client 7 order 2",
      "audit connect conn 2 peer 127.0.0.1:",
      "audit logon rejected conn 2 client 7 reason CLIENT_ID_IN_USE (12)",
      "audit disconnect conn 2 client 0 cause logon_rejected (",
      "audit disconnect conn 0 client 7 cause peer_closed (",
  };
  std::string all;
  for (const std::string& line : lines) {
    all += line + "\n";
  }
  ASSERT_EQ(lines.size(), expected.size()) << all;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(lines[i].starts_with(expected[i]))
        << "line " << i << ": " << lines[i] << "\nexpected: " << expected[i];
  }
  EXPECT_EQ(logger.dropped(), 0u);
}

}  // namespace
}  // namespace llt::exchange
