// Sessions that end badly (disconnect, reset mid-message, a client that never reads) and
// many sessions at once: the orders of a closed session are cancelled and published, and no
// client blocks another.

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "exchange/order_server/order_server.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/market_update.h"
#include "tests/support/order_entry_checks.h"
#include "tests/support/order_entry_client.h"
#include "tests/support/order_entry_exchange.h"

namespace llt::exchange {
namespace {

using namespace std::chrono_literals;
using testing::count_updates;
using testing::log_on;
using testing::OrderEntryClient;
using testing::OrderEntryExchange;
using testing::receive_response;

// Market order ids of the CANCEL updates of one ticker.
std::set<OrderId> cancelled_ids(const std::vector<MarketUpdate>& updates, TickerId ticker) {
  std::set<OrderId> ids;
  for (const MarketUpdate& update : updates) {
    if (update.msg_type == MarketUpdateType::kCancel && update.ticker_id == ticker) {
      ids.insert(update.order_id);
    }
  }
  return ids;
}

TEST(OrderServerDisconnect, cancels_the_resting_orders_of_a_client_that_disconnects) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  OrderEntryClient bystander(exchange.port(), 8);
  ASSERT_TRUE(log_on(client));
  ASSERT_TRUE(log_on(bystander));
  ASSERT_TRUE(bystander.send(bystander.new_order(1, 1, Side::kBuy, 90, 1)));
  ASSERT_TRUE(receive_response(bystander, ClientResponseType::kAccepted));
  std::set<OrderId> market_ids;
  for (OrderId id = 1; id <= 3; ++id) {
    ASSERT_TRUE(client.send(client.new_order(1, id, Side::kSell, 100 + static_cast<Price>(id), 2)));
    ClientResponse accepted{};
    ASSERT_TRUE(receive_response(client, accepted, ClientResponseType::kAccepted));
    market_ids.insert(accepted.market_order_id);
  }
  client.close();

  ASSERT_TRUE(exchange.wait_for_updates(
      [&](const auto& updates) { return cancelled_ids(updates, 1) == market_ids; }));
  EXPECT_TRUE(exchange.wait_for([](const auto& c) {
    return c.closed(SessionCloseCause::kPeerClosed) == 1 && c.cancel_alls == 1 &&
           c.responses_without_session == 3;
  }));
  // The bystander's order is untouched and the bystander still trades.
  ASSERT_TRUE(bystander.send(bystander.cancel(1, 1)));
  EXPECT_TRUE(receive_response(bystander, ClientResponseType::kCanceled));
  exchange.stop();
  EXPECT_EQ(exchange.engine().book(1)->order_count(), 0u);
}

TEST(OrderServerDisconnect, survives_a_peer_that_resets_mid_message_and_cancels_its_orders) {
  OrderEntryExchange exchange;
  auto client = std::make_unique<OrderEntryClient>(exchange.port(), 7);
  ASSERT_TRUE(log_on(*client));
  ASSERT_TRUE(client->send(client->new_order(2, 1, Side::kBuy, 100, 5)));
  ClientResponse accepted{};
  ASSERT_TRUE(receive_response(*client, accepted, ClientResponseType::kAccepted));
  const ClientRequest half = client->new_order(2, 2, Side::kBuy, 101, 5);
  ASSERT_TRUE(client->send_bytes(&half, sizeof(half) / 2));
  std::this_thread::sleep_for(20ms);  // the half message is read and buffered
  client->reset();

  ASSERT_TRUE(exchange.wait_for_updates([&](const auto& updates) {
    return cancelled_ids(updates, 2) == std::set<OrderId>{accepted.market_order_id};
  }));
  EXPECT_TRUE(exchange.wait_for([](const auto& c) {
    return c.closed(SessionCloseCause::kPeerClosed) == 1 && c.sessions_live == 0;
  }));

  // The server carries on, and the client id is free again; its request stream goes on.
  OrderEntryClient again(exchange.port(), 7);
  ClientResponse logon_accepted{};
  ASSERT_TRUE(log_on(again, 0, 0, logon_accepted));
  EXPECT_EQ(logon_accepted.client_order_id, 2u) << "request 1 arrived, the half request 2 did not";
  again.set_next_seq(logon_accepted.client_order_id);
  ASSERT_TRUE(again.send(again.new_order(2, 1, Side::kBuy, 100, 5)));
  EXPECT_TRUE(receive_response(again, ClientResponseType::kAccepted))
      << "order id 1 is free again: the old order was cancelled";
  EXPECT_EQ(exchange.counters().requests_forwarded, 2u) << "the half request was never decoded";
}

TEST(OrderServerDisconnect, disconnects_a_client_that_never_reads_and_cancels_its_orders) {
  OrderServerOptions options = testing::test_order_server_options();
  options.send_buffer_bytes = 4096;
  options.socket_send_buffer_bytes = 4096;
  OrderEntryExchange exchange(options);
  OrderEntryClient reader(exchange.port(), 8);
  ASSERT_TRUE(log_on(reader));

  // Never reads: its small receive window, the server's small socket buffer and the 4 KiB
  // send bound fill with ACCEPTED replies, and the next reply does not fit.
  OrderEntryClient sleeper(exchange.port(), 7, 2s, 4096);
  ASSERT_TRUE(sleeper.send(sleeper.logon()));
  constexpr OrderId kOrders = 5000;
  OrderId sent = 0;
  for (OrderId id = 1; id <= kOrders; ++id) {
    if (!sleeper.send(sleeper.new_order(3, id, Side::kSell, 1000 + static_cast<Price>(id), 1))) {
      break;  // the server has closed the session
    }
    sent = id;
    // A reader trades meanwhile, unaffected by the sleeper.
    if (id % 1000 == 0) {
      ASSERT_TRUE(reader.send(reader.new_order(1, id, Side::kBuy, 50, 1)));
      ASSERT_TRUE(receive_response(reader, ClientResponseType::kAccepted));
    }
  }
  ASSERT_GT(sent, 0u);
  ASSERT_TRUE(exchange.wait_for(
      [](const auto& c) { return c.closed(SessionCloseCause::kSendBufferFull) == 1; }, 10s))
      << "sent " << sent;

  // Everything it placed is cancelled and published.
  ASSERT_TRUE(exchange.wait_for([](const auto& c) { return c.sessions_logged_on == 1; }));
  ASSERT_TRUE(exchange.wait_for_updates(
      [](const auto& updates) {
        return count_updates(updates, MarketUpdateType::kAdd) > 0 &&
               count_updates(updates, MarketUpdateType::kCancel) ==
                   static_cast<std::size_t>(
                       std::count_if(updates.begin(), updates.end(), [](const MarketUpdate& u) {
                         return u.ticker_id == 3 && u.msg_type == MarketUpdateType::kAdd;
                       }));
      },
      10s));
  ASSERT_TRUE(reader.send(reader.heartbeat()));
  ASSERT_TRUE(reader.send(reader.new_order(1, 1, Side::kBuy, 51, 1)));
  EXPECT_TRUE(receive_response(reader, ClientResponseType::kAccepted)) << "the reader still trades";
  exchange.stop();
  EXPECT_EQ(exchange.engine().book(3)->order_count(), 0u);
  EXPECT_GT(exchange.engine().book(1)->order_count(), 0u);
}

TEST(OrderServerDisconnect, serves_two_hundred_concurrent_sessions_that_log_on_and_trade) {
  constexpr std::size_t kSessions = 200;
  OrderEntryExchange exchange(testing::test_order_server_options(256));
  std::vector<std::unique_ptr<OrderEntryClient>> clients;
  for (std::size_t i = 0; i < kSessions; ++i) {
    clients.push_back(
        std::make_unique<OrderEntryClient>(exchange.port(), static_cast<ClientId>(i + 1)));
  }
  for (auto& client : clients) {
    ASSERT_TRUE(client->send(client->logon()));
  }
  for (auto& client : clients) {
    ASSERT_TRUE(receive_response(*client, ClientResponseType::kLogonAccepted))
        << "client " << client->client_id();
  }
  ASSERT_TRUE(exchange.wait_for([](const auto& c) { return c.sessions_logged_on == kSessions; }));

  // Pairs cross: even clients sell, odd ones buy, each pair at its own price. Prices fall
  // from pair to pair, so a buy never reaches an earlier pair's sell (each buy fills against
  // its own pair's sell, which rests before the buy is sent).
  for (std::size_t i = 0; i < kSessions; ++i) {
    OrderEntryClient& client = *clients[i];
    const auto pair = static_cast<Price>(i / 2);
    const TickerId ticker = static_cast<TickerId>(1 + pair % 3);
    ASSERT_TRUE(client.send(client.new_order(ticker, 1, i % 2 == 0 ? Side::kSell : Side::kBuy,
                                             1'000'000 - pair * 1000, 10)));
    if (i % 2 == 0) {
      ASSERT_TRUE(receive_response(client, ClientResponseType::kAccepted));
    }
  }
  for (std::size_t i = 0; i < kSessions; ++i) {
    OrderEntryClient& client = *clients[i];
    if (i % 2 == 1) {
      ASSERT_TRUE(receive_response(client, ClientResponseType::kAccepted)) << i;
    }
    ClientResponse fill{};
    ASSERT_TRUE(receive_response(client, fill, ClientResponseType::kFilled)) << i;
    EXPECT_EQ(fill.client_id, client.client_id());
    EXPECT_EQ(fill.exec_qty, 10u);
    EXPECT_EQ(fill.leaves_qty, 0u);
    EXPECT_EQ(fill.seq_num, 2u) << "ACCEPTED took 1: LOGON_ACCEPTED takes none";
  }
  EXPECT_TRUE(exchange.wait_for_updates([](const auto& updates) {
    return count_updates(updates, MarketUpdateType::kTrade) == kSessions / 2;
  }));
  clients.clear();
  EXPECT_TRUE(exchange.wait_for([](const auto& c) {
    return c.sessions_live == 0 && c.closed(SessionCloseCause::kPeerClosed) == kSessions;
  }));
  EXPECT_EQ(exchange.counters().connections_refused, 0u);
}

TEST(OrderServerDisconnect, refuses_connections_beyond_max_sessions_without_disturbing_others) {
  OrderServerOptions options = testing::test_order_server_options();
  options.max_sessions = 2;
  OrderEntryExchange exchange(options);
  OrderEntryClient first(exchange.port(), 1);
  OrderEntryClient second(exchange.port(), 2);
  ASSERT_TRUE(log_on(first));
  ASSERT_TRUE(log_on(second));
  OrderEntryClient third(exchange.port(), 3);
  EXPECT_TRUE(testing::closed_by_server(third));
  EXPECT_TRUE(exchange.wait_for([](const auto& c) { return c.connections_refused == 1; }));
  ASSERT_TRUE(first.send(first.new_order(1, 1, Side::kBuy, 100, 1)));
  EXPECT_TRUE(receive_response(first, ClientResponseType::kAccepted));
}

}  // namespace
}  // namespace llt::exchange
