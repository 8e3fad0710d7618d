// Orders through real TCP sessions: every NEW and CANCEL reaches the real matching engine in
// order and is answered exactly once, with the engine's reject reasons passed through.

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "exchange/order_server/order_server.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "tests/support/order_entry_checks.h"
#include "tests/support/order_entry_client.h"
#include "tests/support/order_entry_exchange.h"

namespace llt::exchange {
namespace {

using namespace std::chrono_literals;
using testing::log_on;
using testing::OrderEntryClient;
using testing::OrderEntryExchange;
using testing::receive_response;

struct RejectCase {
  const char* what;
  TickerId ticker;
  Side side;
  Price price;
  Qty qty;
  RejectReason reason;
};

TEST(OrderServerOrders, passes_the_engines_validation_rejects_through_to_the_client) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(log_on(client));
  const RejectCase cases[] = {
      {"unknown ticker", 99, Side::kBuy, 100, 1, RejectReason::kUnknownTicker},
      {"side 0", 1, Side::kInvalid, 100, 1, RejectReason::kInvalidSide},
      {"side 7", 1, Side{7}, 100, 1, RejectReason::kInvalidSide},
      {"qty 0", 1, Side::kBuy, 100, 0, RejectReason::kInvalidQty},
      {"price 0", 1, Side::kSell, 0, 1, RejectReason::kInvalidPrice},
      {"negative price", 1, Side::kSell, -5, 1, RejectReason::kInvalidPrice},
  };
  OrderId order_id = 1;
  for (const RejectCase& c : cases) {
    ASSERT_TRUE(client.send(client.new_order(c.ticker, order_id, c.side, c.price, c.qty)));
    ClientResponse reply{};
    ASSERT_TRUE(receive_response(client, reply, ClientResponseType::kRejected, c.reason)) << c.what;
    EXPECT_EQ(reply.client_order_id, order_id) << c.what;
    EXPECT_EQ(reply.client_id, 7u) << c.what;
    ++order_id;
  }
  const OrderServerCounters counters = exchange.counters();
  EXPECT_EQ(counters.rejects(RejectReason::kInvalidSide), 2u);
  EXPECT_EQ(counters.rejects(RejectReason::kInvalidPrice), 2u);
  EXPECT_TRUE(exchange.counters().sessions_logged_on == 1) << "engine rejects do not close";
}

TEST(OrderServerOrders, rejects_a_duplicate_live_order_id) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(log_on(client));
  ASSERT_TRUE(client.send(client.new_order(1, 42, Side::kBuy, 100, 1)));
  ASSERT_TRUE(receive_response(client, ClientResponseType::kAccepted));
  ASSERT_TRUE(client.send(client.new_order(2, 42, Side::kSell, 300, 1)));
  ClientResponse reply{};
  ASSERT_TRUE(receive_response(client, reply, ClientResponseType::kRejected,
                               RejectReason::kDuplicateOrderId));
  EXPECT_EQ(reply.client_order_id, 42u);
}

TEST(OrderServerOrders, answers_a_cancel_of_an_unknown_order_with_cancel_rejected) {
  OrderEntryExchange exchange;
  OrderEntryClient owner(exchange.port(), 7);
  OrderEntryClient other(exchange.port(), 8);
  ASSERT_TRUE(log_on(owner));
  ASSERT_TRUE(log_on(other));
  ASSERT_TRUE(owner.send(owner.new_order(1, 5, Side::kBuy, 100, 1)));
  ASSERT_TRUE(receive_response(owner, ClientResponseType::kAccepted));

  ASSERT_TRUE(other.send(other.cancel(1, 5)));  // another client's order is unknown to it
  ClientResponse reply{};
  ASSERT_TRUE(receive_response(other, reply, ClientResponseType::kCancelRejected,
                               RejectReason::kUnknownOrder));
  EXPECT_EQ(reply.client_order_id, 5u);
  ASSERT_TRUE(owner.send(owner.cancel(1, 6)));
  ASSERT_TRUE(
      receive_response(owner, ClientResponseType::kCancelRejected, RejectReason::kUnknownOrder));
}

TEST(OrderServerOrders, rejects_an_order_that_would_exceed_the_book_capacity) {
  MatchingEngineOptions engine = testing::test_engine_options();
  engine.book.max_orders = 2;
  OrderEntryExchange exchange(testing::test_order_server_options(), engine);
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(log_on(client));
  for (OrderId id = 1; id <= 2; ++id) {
    ASSERT_TRUE(client.send(client.new_order(1, id, Side::kBuy, 100 + static_cast<Price>(id), 1)));
    ASSERT_TRUE(receive_response(client, ClientResponseType::kAccepted));
  }
  ASSERT_TRUE(client.send(client.new_order(1, 3, Side::kBuy, 90, 1)));
  ClientResponse reply{};
  ASSERT_TRUE(
      receive_response(client, reply, ClientResponseType::kRejected, RejectReason::kCapacity));
  EXPECT_EQ(reply.client_order_id, 3u);
  EXPECT_EQ(exchange.counters().rejects(RejectReason::kCapacity), 1u);
}

TEST(OrderServerOrders, throttles_a_session_beyond_its_order_rate_and_takes_the_retry) {
  OrderServerOptions options = testing::test_order_server_options();
  options.max_orders_per_second = 2;
  OrderEntryExchange exchange(options);
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(log_on(client));
  // The three in one write: no token is earned between them however slow the machine.
  std::vector<ClientRequest> three;
  for (OrderId id = 1; id <= 2; ++id)
    three.push_back(client.new_order(1, id, Side::kBuy, 100, 1));
  const SeqNum throttled_seq = client.next_seq();
  three.push_back(client.new_order(1, 3, Side::kBuy, 100, 1));
  ASSERT_TRUE(client.send(three));
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(receive_response(client, ClientResponseType::kAccepted));
  ClientResponse reply{};
  ASSERT_TRUE(
      receive_response(client, reply, ClientResponseType::kRejected, RejectReason::kThrottled));
  EXPECT_EQ(reply.client_order_id, 3u);
  EXPECT_EQ(exchange.counters().rejects(RejectReason::kThrottled), 1u);
  // The rejected message did not consume its seq_num: the retry reuses it once a token
  // (one per 500 ms) has been earned.
  std::this_thread::sleep_for(600ms);
  client.set_next_seq(throttled_seq);
  ASSERT_TRUE(client.send(client.new_order(1, 3, Side::kBuy, 100, 1)));
  ASSERT_TRUE(receive_response(client, reply, ClientResponseType::kAccepted));
  EXPECT_EQ(reply.client_order_id, 3u);
}

TEST(OrderServerOrders, matches_then_cancels_a_new_and_its_cancel_sent_in_one_write) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(log_on(client));
  const std::vector<ClientRequest> both{client.new_order(1, 9, Side::kBuy, 100, 5),
                                        client.cancel(1, 9)};
  ASSERT_TRUE(client.send(both));
  ClientResponse accepted{};
  ClientResponse canceled{};
  ASSERT_TRUE(receive_response(client, accepted, ClientResponseType::kAccepted));
  ASSERT_TRUE(receive_response(client, canceled, ClientResponseType::kCanceled));
  EXPECT_EQ(accepted.client_order_id, 9u);
  EXPECT_EQ(accepted.leaves_qty, 5u);
  EXPECT_EQ(canceled.client_order_id, 9u);
  EXPECT_EQ(canceled.market_order_id, accepted.market_order_id);
  EXPECT_EQ(canceled.leaves_qty, 0u);
  EXPECT_EQ(canceled.seq_num, accepted.seq_num + 1);
}

TEST(OrderServerOrders, keeps_many_requests_of_one_write_in_order) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(log_on(client));
  std::vector<ClientRequest> batch;
  for (OrderId id = 1; id <= 300; ++id) {
    batch.push_back(client.new_order(1, id, Side::kBuy, 100, 1));
    batch.push_back(client.cancel(1, id));
  }
  ASSERT_TRUE(client.send(batch));
  for (OrderId id = 1; id <= 300; ++id) {
    ClientResponse reply{};
    ASSERT_TRUE(receive_response(client, reply, ClientResponseType::kAccepted)) << id;
    ASSERT_EQ(reply.client_order_id, id);
    ASSERT_TRUE(receive_response(client, reply, ClientResponseType::kCanceled)) << id;
    ASSERT_EQ(reply.client_order_id, id);
  }
}

TEST(OrderServerOrders, two_clients_trade_and_both_get_their_fill) {
  OrderEntryExchange exchange;
  OrderEntryClient seller(exchange.port(), 1);
  OrderEntryClient buyer(exchange.port(), 2);
  ASSERT_TRUE(log_on(seller));
  ASSERT_TRUE(log_on(buyer));

  ASSERT_TRUE(seller.send(seller.new_order(1, 100, Side::kSell, 10'050, 10)));
  ClientResponse resting{};
  ASSERT_TRUE(receive_response(seller, resting, ClientResponseType::kAccepted));
  EXPECT_EQ(resting.leaves_qty, 10u);
  EXPECT_EQ(resting.price, 10'050);
  EXPECT_EQ(resting.side, Side::kSell);

  ASSERT_TRUE(buyer.send(buyer.new_order(1, 200, Side::kBuy, 10'100, 4)));
  ClientResponse accepted{};
  ClientResponse buyer_fill{};
  ASSERT_TRUE(receive_response(buyer, accepted, ClientResponseType::kAccepted));
  ASSERT_TRUE(receive_response(buyer, buyer_fill, ClientResponseType::kFilled));
  EXPECT_EQ(accepted.client_order_id, 200u);
  EXPECT_EQ(accepted.leaves_qty, 4u);
  EXPECT_EQ(buyer_fill.client_id, 2u);
  EXPECT_EQ(buyer_fill.ticker_id, 1u);
  EXPECT_EQ(buyer_fill.client_order_id, 200u);
  EXPECT_EQ(buyer_fill.market_order_id, accepted.market_order_id);
  EXPECT_EQ(buyer_fill.side, Side::kBuy);
  EXPECT_EQ(buyer_fill.price, 10'050) << "the resting order's price";
  EXPECT_EQ(buyer_fill.exec_qty, 4u);
  EXPECT_EQ(buyer_fill.leaves_qty, 0u);
  EXPECT_EQ(buyer_fill.seq_num, accepted.seq_num + 1);

  ClientResponse seller_fill{};
  ASSERT_TRUE(receive_response(seller, seller_fill, ClientResponseType::kFilled));
  EXPECT_EQ(seller_fill.client_id, 1u);
  EXPECT_EQ(seller_fill.client_order_id, 100u);
  EXPECT_EQ(seller_fill.market_order_id, resting.market_order_id);
  EXPECT_EQ(seller_fill.side, Side::kSell);
  EXPECT_EQ(seller_fill.price, 10'050);
  EXPECT_EQ(seller_fill.exec_qty, 4u);
  EXPECT_EQ(seller_fill.leaves_qty, 6u);
  EXPECT_EQ(seller_fill.seq_num, resting.seq_num + 1);

  EXPECT_TRUE(exchange.wait_for_updates([](const auto& updates) {
    return testing::count_updates(updates, MarketUpdateType::kTrade) == 1;
  }));
}

TEST(OrderServerOrders, reassembles_requests_dribbled_one_byte_at_a_time) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  const ClientRequest requests[] = {client.logon(), client.new_order(2, 1, Side::kBuy, 100, 2)};
  for (const ClientRequest& request : requests) {
    const auto* bytes = reinterpret_cast<const std::byte*>(&request);
    for (std::size_t i = 0; i < sizeof(request); ++i) {
      ASSERT_TRUE(client.send_bytes(bytes + i, 1));
      std::this_thread::sleep_for(200us);  // separate segments, separate reads
    }
  }
  ASSERT_TRUE(receive_response(client, ClientResponseType::kLogonAccepted));
  ClientResponse accepted{};
  ASSERT_TRUE(receive_response(client, accepted, ClientResponseType::kAccepted));
  EXPECT_EQ(accepted.ticker_id, 2u);
  EXPECT_EQ(accepted.leaves_qty, 2u);
}

TEST(OrderServerOrders, answers_every_request_when_the_engine_queue_is_tiny) {
  OrderServerOptions options = testing::test_order_server_options();
  options.max_pending_requests = 8;  // the sequencer fills too: back-pressure on the socket
  // Each client reads only after sending everything: its ~200 KB of replies must fit in the
  // session's bound whatever the kernel's socket buffers hold.
  options.send_buffer_bytes = 1 << 20;
  OrderEntryExchange exchange(options, testing::test_engine_options(), 2, 64);
  OrderEntryClient buyer(exchange.port(), 1);
  OrderEntryClient seller(exchange.port(), 2);
  ASSERT_TRUE(log_on(buyer));
  ASSERT_TRUE(log_on(seller));
  constexpr OrderId kOrders = 2000;
  std::vector<ClientRequest> buys;
  std::vector<ClientRequest> sells;
  for (OrderId id = 1; id <= kOrders; ++id) {
    buys.push_back(buyer.new_order(1, id, Side::kBuy, 100, 1));
    sells.push_back(seller.new_order(1, id, Side::kSell, 100, 1));
  }
  std::thread sell_thread([&] { EXPECT_TRUE(seller.send(sells)); });
  ASSERT_TRUE(buyer.send(buys));
  sell_thread.join();
  // Each side: one ACCEPTED per order and one FILLED per order, in some interleaving.
  for (OrderEntryClient* client : {&buyer, &seller}) {
    std::size_t accepted = 0;
    std::size_t filled = 0;
    SeqNum expected_seq = 1;  // LOGON_ACCEPTED takes no number
    while (accepted + filled < 2 * kOrders) {
      ClientResponse reply{};
      ASSERT_EQ(client->receive(reply, 10s), OrderEntryClient::Receive::kMessage)
          << "client " << client->client_id() << " after " << accepted << " accepted, " << filled
          << " filled";
      ASSERT_EQ(reply.seq_num, expected_seq++);
      accepted += reply.msg_type == ClientResponseType::kAccepted ? 1 : 0;
      filled += reply.msg_type == ClientResponseType::kFilled ? 1 : 0;
      ASSERT_TRUE(reply.msg_type == ClientResponseType::kAccepted ||
                  reply.msg_type == ClientResponseType::kFilled)
          << to_string(reply);
    }
    EXPECT_EQ(accepted, kOrders);
    EXPECT_EQ(filled, kOrders);
  }
  EXPECT_GT(exchange.counters().sequencer_stalls, 0u) << "the engine queue was full at times";
}

// Polled last in a shared pass: counts the passes that ended with engine responses still
// queued for the order server (they would leave only in the next pass, after the multicast).
class ResponsesLeftProbe final : public common::Agent {
 public:
  explicit ResponsesLeftProbe(ResponseQueue& responses) : responses_(responses) {}
  int poll() override {
    if (!responses_.empty_guess()) {
      left_.fetch_add(1);
    }
    return 0;
  }
  [[nodiscard]] std::string_view name() const override { return "probe"; }
  [[nodiscard]] int left() const { return left_.load(); }

 private:
  ResponseQueue& responses_;
  std::atomic<int> left_{0};
};

// Shared threading as ExchangeApp wires it, with or without the ResponseSender after the
// engine; `kOrders` crossing orders from two clients. Returns the probe's count.
int passes_ending_with_responses_queued(bool with_sender) {
  constexpr int kOrders = 200;
  RequestQueue requests(1024);
  ResponseQueue responses(4096);
  UpdateQueue updates(std::size_t{1} << 15);
  MatchingEngine engine(testing::test_engine_options(), requests, responses, updates);
  OrderServer server(testing::test_order_server_options(), requests, responses);
  ResponseSender sender(server);
  ResponsesLeftProbe probe(responses);
  std::vector<common::Agent*> agents{&server, &engine};
  if (with_sender) {
    agents.push_back(&sender);
  }
  agents.push_back(&probe);
  common::RunnerOptions options;
  options.threading = common::ThreadingMode::kShared;
  common::AgentRunner runner(agents, options);
  runner.start();
  OrderEntryClient buyer(server.port(), 7);
  OrderEntryClient seller(server.port(), 8);
  EXPECT_TRUE(log_on(buyer));
  EXPECT_TRUE(log_on(seller));
  for (int i = 1; i <= kOrders; ++i) {
    EXPECT_TRUE(buyer.send(buyer.new_order(1, i, Side::kBuy, 100, 1)));
    EXPECT_TRUE(receive_response(buyer, ClientResponseType::kAccepted));
    EXPECT_TRUE(seller.send(seller.new_order(1, i, Side::kSell, 100, 1)));
    EXPECT_TRUE(receive_response(seller, ClientResponseType::kAccepted));
    EXPECT_TRUE(receive_response(seller, ClientResponseType::kFilled));
    EXPECT_TRUE(receive_response(buyer, ClientResponseType::kFilled));
  }
  runner.stop();
  return probe.left();
}

TEST(OrderServerOrders, in_shared_threading_the_responses_of_a_pass_leave_in_that_pass) {
  EXPECT_EQ(passes_ending_with_responses_queued(/*with_sender=*/true), 0)
      << "a response waited for the next pass, behind the publisher";
  // The probe can see it: without the ResponseSender every matched request ends a pass with
  // its responses still queued.
  EXPECT_GT(passes_ending_with_responses_queued(/*with_sender=*/false), 0);
}

}  // namespace
}  // namespace llt::exchange
