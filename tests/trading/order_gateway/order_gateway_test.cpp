#include "trading/order_gateway/order_gateway.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>

#include "common/time/rdtsc.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "tests/support/order_entry_client.h"
#include "tests/support/order_entry_exchange.h"
#include "tests/trading/order_gateway/gateway_test_harness.h"

namespace llt::trading {
namespace {

using namespace std::chrono_literals;
using exchange::ClientRequestType;
using exchange::ClientResponse;
using exchange::ClientResponseType;
using exchange::RejectReason;
using exchange::Side;
using exchange::testing::OrderEntryClient;
using exchange::testing::OrderEntryExchange;
using exchange::testing::test_order_server_options;
using testing::GatewayHarness;
using testing::ScriptedExchange;
using testing::test_gateway_options;

// A loopback port on which nothing listens (bound once, then closed).
std::uint16_t unused_port() {
  common::TcpServerOptions options;
  options.port = 0;
  options.max_connections = 1;
  options.receive_buffer_bytes = 64;
  options.send_buffer_bytes = 64;
  common::TcpServer server(options);
  return server.port();
}

std::unique_ptr<OrderEntryExchange> exchange_on(std::uint16_t port) {
  exchange::OrderServerOptions options = test_order_server_options();
  options.port = port;
  return std::make_unique<OrderEntryExchange>(options);
}

TEST(OrderGateway, logs_on_and_reports_logged_on) {
  OrderEntryExchange exchange;
  GatewayHarness harness(test_gateway_options(exchange.port(), 7));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kLoggedOn, 1));

  const GatewayEvent& logged_on = harness.log().front();
  EXPECT_EQ(logged_on.type, GatewayEventType::kLoggedOn);
  EXPECT_EQ(logged_on.response.msg_type, ClientResponseType::kLogonAccepted);
  EXPECT_EQ(logged_on.response.seq_num, 1u);
  EXPECT_EQ(logged_on.response.client_id, 7u);
  EXPECT_NE(logged_on.read_tsc, 0u);
  EXPECT_TRUE(harness.gateway().logged_on());
  EXPECT_TRUE(harness.gateway().connected());
  EXPECT_EQ(harness.gateway().next_outbound_seq(), 2u);  // LOGON took seq 1
  const OrderGatewayCounters counters = harness.gateway().counters();
  EXPECT_EQ(counters.logons, 1u);
  EXPECT_EQ(counters.disconnects, 0u);
  EXPECT_TRUE(exchange.wait_for([](const auto& c) { return c.sessions_logged_on == 1; }));
}

TEST(OrderGateway, routes_accepted_for_a_new_order_with_session_seq_nums) {
  OrderEntryExchange exchange;
  GatewayHarness harness(test_gateway_options(exchange.port(), 3));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kLoggedOn, 1));

  OrderRequest request = testing::new_order(1, 42, Side::kBuy, 10'000, 25);
  request.md_read_tsc = common::rdtsc();
  request.engine_in_tsc = common::rdtsc();
  ASSERT_TRUE(harness.submit(request));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 1));

  const std::vector<ClientResponse> responses = harness.responses();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].msg_type, ClientResponseType::kAccepted);
  EXPECT_EQ(responses[0].seq_num, 2u);  // after LOGON_ACCEPTED
  EXPECT_EQ(responses[0].client_id, 3u);
  EXPECT_EQ(responses[0].client_order_id, 42u);
  EXPECT_EQ(responses[0].leaves_qty, 25u);
  EXPECT_EQ(responses[0].price, 10'000);
  EXPECT_NE(harness.log().back().read_tsc, 0u);
  EXPECT_EQ(harness.gateway().next_outbound_seq(), 3u);  // LOGON 1, NEW 2
  EXPECT_EQ(harness.gateway().counters().requests_sent, 1u);
  EXPECT_EQ(harness.gateway().md_read_to_order_sent().count(), 1u);
  EXPECT_EQ(harness.gateway().engine_in_to_order_sent().count(), 1u);
  EXPECT_EQ(harness.gateway().order_sent_to_response_read().count(), 1u);
  EXPECT_EQ(exchange.counters().rejects(RejectReason::kBadSeqNum), 0u);
  EXPECT_EQ(exchange.counters().rejects(RejectReason::kClientIdMismatch), 0u);
}

TEST(OrderGateway, leaves_latency_hops_unrecorded_without_stamps) {
  OrderEntryExchange exchange;
  GatewayHarness harness(test_gateway_options(exchange.port(), 3));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kLoggedOn, 1));
  ASSERT_TRUE(harness.submit(testing::new_order(1, 1, Side::kBuy, 10'000, 1)));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 1));
  EXPECT_EQ(harness.gateway().md_read_to_order_sent().count(), 0u);
  EXPECT_EQ(harness.gateway().engine_in_to_order_sent().count(), 0u);
  EXPECT_EQ(harness.gateway().order_sent_to_response_read().count(), 1u);
}

TEST(OrderGateway, fills_both_sides_when_two_gateways_cross) {
  OrderEntryExchange exchange;
  GatewayHarness seller(test_gateway_options(exchange.port(), 1));
  GatewayHarness buyer(test_gateway_options(exchange.port(), 2));
  ASSERT_TRUE(seller.wait_for(GatewayEventType::kLoggedOn, 1));
  ASSERT_TRUE(buyer.wait_for(GatewayEventType::kLoggedOn, 1));

  ASSERT_TRUE(seller.submit(testing::new_order(1, 11, Side::kSell, 10'050, 10)));
  ASSERT_TRUE(seller.wait_for(GatewayEventType::kResponse, 1));
  ASSERT_TRUE(buyer.submit(testing::new_order(1, 21, Side::kBuy, 10'100, 10)));
  ASSERT_TRUE(buyer.wait_for(GatewayEventType::kResponse, 2));
  ASSERT_TRUE(seller.wait_for(GatewayEventType::kResponse, 2));

  const std::vector<ClientResponse> sold = seller.responses();
  ASSERT_EQ(sold.size(), 2u);
  EXPECT_EQ(sold[0].msg_type, ClientResponseType::kAccepted);
  EXPECT_EQ(sold[1].msg_type, ClientResponseType::kFilled);
  EXPECT_EQ(sold[1].client_order_id, 11u);
  EXPECT_EQ(sold[1].exec_qty, 10u);
  EXPECT_EQ(sold[1].leaves_qty, 0u);
  EXPECT_EQ(sold[1].price, 10'050);  // the resting order's price
  EXPECT_EQ(sold[1].seq_num, 3u);

  const std::vector<ClientResponse> bought = buyer.responses();
  ASSERT_EQ(bought.size(), 2u);
  EXPECT_EQ(bought[0].msg_type, ClientResponseType::kAccepted);
  EXPECT_EQ(bought[1].msg_type, ClientResponseType::kFilled);
  EXPECT_EQ(bought[1].client_order_id, 21u);
  EXPECT_EQ(bought[1].client_id, 2u);
  EXPECT_EQ(bought[1].exec_qty, 10u);
  EXPECT_EQ(bought[1].leaves_qty, 0u);
  EXPECT_EQ(bought[1].price, 10'050);

  // One round trip each: the NEW's ACCEPTED; a FILLED answers nothing.
  EXPECT_EQ(seller.gateway().order_sent_to_response_read().count(), 1u);
  EXPECT_EQ(buyer.gateway().order_sent_to_response_read().count(), 1u);
}

TEST(OrderGateway, records_one_round_trip_per_answered_request) {
  OrderEntryExchange exchange;
  GatewayHarness harness(test_gateway_options(exchange.port(), 5));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kLoggedOn, 1));

  ASSERT_TRUE(harness.submit(testing::new_order(1, 1, Side::kBuy, 9'000, 5)));   // ACCEPTED
  ASSERT_TRUE(harness.submit(testing::new_order(1, 2, Side::kBuy, 9'000, 0)));   // REJECTED
  ASSERT_TRUE(harness.submit(testing::cancel_order(1, 1)));                      // CANCELED
  ASSERT_TRUE(harness.submit(testing::cancel_order(1, 99)));                     // CANCEL_REJ.
  ASSERT_TRUE(harness.submit(testing::new_order(1, 3, Side::kSell, 9'500, 5)));  // ACCEPTED
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 5));

  const std::vector<ClientResponse> responses = harness.responses();
  ASSERT_EQ(responses.size(), 5u);
  EXPECT_EQ(responses[0].msg_type, ClientResponseType::kAccepted);
  EXPECT_EQ(responses[1].msg_type, ClientResponseType::kRejected);
  EXPECT_EQ(responses[1].reject_reason, RejectReason::kInvalidQty);
  EXPECT_EQ(responses[2].msg_type, ClientResponseType::kCanceled);
  EXPECT_EQ(responses[3].msg_type, ClientResponseType::kCancelRejected);
  EXPECT_EQ(responses[4].msg_type, ClientResponseType::kAccepted);
  for (std::size_t i = 0; i < responses.size(); ++i) {
    EXPECT_EQ(responses[i].seq_num, i + 2) << "response " << i;
  }
  EXPECT_EQ(harness.gateway().order_sent_to_response_read().count(), 5u);
  EXPECT_EQ(harness.gateway().next_outbound_seq(), 7u);
}

TEST(OrderGateway, sends_modify_and_tif_and_routes_modified_rejects_and_expiries) {
  OrderEntryExchange exchange;
  GatewayHarness harness(test_gateway_options(exchange.port(), 6));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kLoggedOn, 1));

  OrderRequest modify = testing::new_order(1, 1, Side::kBuy, 9'000, 3);
  modify.request.msg_type = ClientRequestType::kModify;
  OrderRequest unknown = modify;
  unknown.request.order_id = 99;
  OrderRequest ioc = testing::new_order(1, 2, Side::kSell, 9'500, 5);
  ioc.request.tif = exchange::TimeInForce::kIoc;
  OrderRequest bad_tif = testing::new_order(1, 3, Side::kSell, 9'500, 5);
  bad_tif.request.tif = static_cast<exchange::TimeInForce>(7);
  ASSERT_TRUE(harness.submit(testing::new_order(1, 1, Side::kBuy, 9'000, 5)));  // ACCEPTED
  ASSERT_TRUE(harness.submit(modify));                                          // MODIFIED
  ASSERT_TRUE(harness.submit(unknown));                                         // MODIFY_REJECTED
  ASSERT_TRUE(harness.submit(ioc));      // ACCEPTED, CANCELED(EXPIRED)
  ASSERT_TRUE(harness.submit(bad_tif));  // REJECTED(INVALID_TIF)
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 6));

  const std::vector<ClientResponse> responses = harness.responses();
  ASSERT_EQ(responses.size(), 6u);
  EXPECT_EQ(responses[0].msg_type, ClientResponseType::kAccepted);
  EXPECT_EQ(responses[1].msg_type, ClientResponseType::kModified);
  EXPECT_EQ(responses[1].leaves_qty, 3u);
  EXPECT_EQ(responses[2].msg_type, ClientResponseType::kModifyRejected);
  EXPECT_EQ(responses[2].reject_reason, RejectReason::kUnknownOrder);
  EXPECT_EQ(responses[3].msg_type, ClientResponseType::kAccepted);
  EXPECT_EQ(responses[4].msg_type, ClientResponseType::kCanceled);
  EXPECT_EQ(responses[4].reject_reason, RejectReason::kExpired);
  EXPECT_EQ(responses[5].msg_type, ClientResponseType::kRejected);
  EXPECT_EQ(responses[5].reject_reason, RejectReason::kInvalidTif);
  EXPECT_TRUE(harness.gateway().logged_on());
  EXPECT_EQ(harness.gateway().counters().protocol_errors, 0u);
  // Every request answered once: the expiry answers none.
  EXPECT_EQ(harness.gateway().order_sent_to_response_read().count(), 5u);
}

TEST(OrderGateway, sends_heartbeat_when_idle_and_its_seq_num_is_accepted) {
  OrderEntryExchange exchange;
  OrderGatewayOptions options = test_gateway_options(exchange.port(), 9);
  options.heartbeat_interval = 30ms;
  GatewayHarness harness(options);
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kLoggedOn, 1));
  ASSERT_TRUE(
      harness.poll_until([&] { return harness.gateway().counters().heartbeats_sent >= 2; }));

  ASSERT_TRUE(harness.submit(testing::new_order(1, 8, Side::kSell, 11'000, 3)));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 1));
  const std::vector<ClientResponse> responses = harness.responses();
  ASSERT_EQ(responses.size(), 1u);
  // The exchange checks seq numbers: an order after heartbeats is accepted only if each
  // heartbeat took the next one.
  EXPECT_EQ(responses[0].msg_type, ClientResponseType::kAccepted);
  EXPECT_EQ(exchange.counters().rejects(RejectReason::kBadSeqNum), 0u);
  const OrderGatewayCounters counters = harness.gateway().counters();
  EXPECT_EQ(harness.gateway().next_outbound_seq(), 1 + 1 + counters.heartbeats_sent + 1);
  EXPECT_EQ(harness.count(GatewayEventType::kDisconnected), 0u);
}

TEST(OrderGateway, refuses_requests_while_not_logged_on) {
  GatewayHarness harness(test_gateway_options(unused_port(), 4));
  ASSERT_TRUE(harness.submit(testing::new_order(2, 5, Side::kBuy, 10'000, 1)));
  ASSERT_TRUE(harness.submit(testing::cancel_order(3, 6)));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 2));

  const std::vector<ClientResponse> responses = harness.responses();
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0].msg_type, ClientResponseType::kRejected);
  EXPECT_EQ(responses[0].reject_reason, RejectReason::kNotLoggedIn);
  EXPECT_EQ(responses[0].seq_num, 0u);  // synthetic
  EXPECT_EQ(responses[0].client_order_id, 5u);
  EXPECT_EQ(responses[0].ticker_id, 2u);
  EXPECT_EQ(responses[0].side, Side::kBuy);
  EXPECT_EQ(responses[0].price, 10'000);
  EXPECT_EQ(responses[0].client_id, 4u);
  EXPECT_EQ(responses[1].msg_type, ClientResponseType::kRejected);
  EXPECT_EQ(responses[1].reject_reason, RejectReason::kNotLoggedIn);
  EXPECT_EQ(responses[1].client_order_id, 6u);
  EXPECT_EQ(responses[1].ticker_id, 3u);
  const OrderGatewayCounters counters = harness.gateway().counters();
  EXPECT_EQ(counters.refused_while_disconnected, 2u);
  EXPECT_EQ(counters.requests_sent, 0u);
  EXPECT_FALSE(counters.logged_on);
  // Nothing was logged on, so no session ended.
  EXPECT_EQ(harness.count(GatewayEventType::kDisconnected), 0u);
}

TEST(OrderGateway, refuses_requests_that_are_neither_new_cancel_nor_modify) {
  OrderEntryExchange exchange;
  GatewayHarness harness(test_gateway_options(exchange.port(), 4));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kLoggedOn, 1));
  OrderRequest logout = testing::cancel_order(1, 3);
  logout.request.msg_type = ClientRequestType::kLogout;
  ASSERT_TRUE(harness.submit(logout));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 1));
  const std::vector<ClientResponse> responses = harness.responses();
  EXPECT_EQ(responses[0].reject_reason, RejectReason::kUnknownMsgType);
  EXPECT_EQ(responses[0].client_order_id, 3u);
  EXPECT_EQ(harness.gateway().counters().invalid_requests, 1u);
  EXPECT_EQ(harness.gateway().next_outbound_seq(), 2u);  // nothing sent
  EXPECT_TRUE(harness.gateway().logged_on());
}

TEST(OrderGateway, reconnects_and_logs_on_with_seq_1_after_the_exchange_restarts) {
  auto exchange = std::make_unique<OrderEntryExchange>();
  const std::uint16_t port = exchange->port();
  GatewayHarness harness(test_gateway_options(port, 6));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kLoggedOn, 1));
  ASSERT_TRUE(harness.submit(testing::new_order(1, 7, Side::kBuy, 10'000, 1)));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 1));

  exchange.reset();  // closes every session
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kDisconnected, 1));
  EXPECT_FALSE(harness.gateway().logged_on());
  EXPECT_FALSE(harness.gateway().connected());

  // While the exchange is down: refused, not sent, and still only one kDisconnected.
  ASSERT_TRUE(harness.submit(testing::new_order(1, 8, Side::kBuy, 10'000, 1)));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 2));
  EXPECT_EQ(harness.responses()[1].reject_reason, RejectReason::kNotLoggedIn);
  ASSERT_TRUE(
      harness.poll_until([&] { return harness.gateway().counters().connect_failures >= 2; }));

  exchange = exchange_on(port);
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kLoggedOn, 2));
  EXPECT_EQ(harness.count(GatewayEventType::kDisconnected), 1u);
  EXPECT_EQ(harness.gateway().next_outbound_seq(), 2u);  // the new session's LOGON was seq 1
  const OrderGatewayCounters counters = harness.gateway().counters();
  EXPECT_EQ(counters.logons, 2u);
  EXPECT_EQ(counters.disconnects, 1u);
  EXPECT_GE(counters.connect_failures, 2u);

  // The new session numbers from 1 in both directions.
  ASSERT_TRUE(harness.submit(testing::new_order(1, 7, Side::kBuy, 10'000, 1)));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 3));
  const ClientResponse accepted = harness.responses()[2];
  EXPECT_EQ(accepted.msg_type, ClientResponseType::kAccepted);
  EXPECT_EQ(accepted.seq_num, 2u);
  EXPECT_EQ(exchange->counters().rejects(RejectReason::kBadSeqNum), 0u);

  // Events in order: logged on, response, disconnected, refusal, logged on, response.
  const std::vector<GatewayEvent>& log = harness.log();
  ASSERT_EQ(log.size(), 6u);
  EXPECT_EQ(log[2].type, GatewayEventType::kDisconnected);
  EXPECT_EQ(log[4].type, GatewayEventType::kLoggedOn);
}

TEST(OrderGateway, retries_logon_rejected_for_client_id_in_use_until_the_holder_leaves) {
  OrderEntryExchange exchange;
  OrderEntryClient holder(exchange.port(), 8);
  ASSERT_TRUE(holder.send(holder.logon()));
  ClientResponse answer{};
  ASSERT_EQ(holder.receive(answer), OrderEntryClient::Receive::kMessage);
  ASSERT_EQ(answer.msg_type, ClientResponseType::kLogonAccepted);

  GatewayHarness harness(test_gateway_options(exchange.port(), 8));
  ASSERT_TRUE(harness.poll_until([&] { return harness.gateway().counters().logon_rejects >= 2; }));
  EXPECT_EQ(harness.count(GatewayEventType::kLoggedOn), 0u);
  EXPECT_GE(harness.count(GatewayEventType::kDisconnected), 1u);
  EXPECT_GE(exchange.counters().rejects(RejectReason::kClientIdInUse), 2u);

  holder.close();
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kLoggedOn, 1));
  EXPECT_EQ(harness.log().back().type, GatewayEventType::kLoggedOn);
  EXPECT_TRUE(harness.gateway().logged_on());
}

TEST(OrderGateway, sends_logout_on_stop_and_then_does_nothing) {
  OrderEntryExchange exchange;
  GatewayHarness harness(test_gateway_options(exchange.port(), 2));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kLoggedOn, 1));
  harness.gateway().on_stop();
  EXPECT_FALSE(harness.gateway().connected());
  EXPECT_TRUE(exchange.wait_for(
      [](const auto& c) { return c.closed(exchange::SessionCloseCause::kLogout) == 1; }));
  EXPECT_EQ(harness.gateway().poll(), 0);
  EXPECT_EQ(harness.count(GatewayEventType::kDisconnected), 0u);
}

// --- Against a scripted exchange ---

TEST(OrderGateway, drops_the_session_on_an_inbound_seq_gap_and_logs_on_again) {
  ScriptedExchange script(1);
  GatewayHarness harness(test_gateway_options(script.port(), 1));
  auto pump = [&] { script.poll(); };
  ASSERT_TRUE(
      harness.poll_until([&] { return harness.count(GatewayEventType::kLoggedOn) == 1; }, pump));
  ClientResponse gap{};
  gap.seq_num = script.next_seq() + 1;  // skips one
  gap.msg_type = ClientResponseType::kAccepted;
  gap.client_id = 1;
  ASSERT_TRUE(script.send(gap, true));

  ASSERT_TRUE(
      harness.poll_until([&] { return harness.count(GatewayEventType::kLoggedOn) == 2; }, pump));
  EXPECT_EQ(harness.count(GatewayEventType::kDisconnected), 1u);
  EXPECT_EQ(harness.count(GatewayEventType::kResponse), 0u);  // the bad message was not routed
  EXPECT_EQ(harness.gateway().counters().protocol_errors, 1u);
  ASSERT_EQ(script.connections().size(), 2u);
  ASSERT_FALSE(script.connections()[1].empty());
  EXPECT_EQ(script.connections()[1][0].msg_type, ClientRequestType::kLogon);
  EXPECT_EQ(script.connections()[1][0].seq_num, 1u);
  EXPECT_EQ(script.connections()[1][0].client_id, 1u);
}

TEST(OrderGateway, drops_the_session_on_a_message_for_another_client) {
  ScriptedExchange script(1);
  GatewayHarness harness(test_gateway_options(script.port(), 1));
  auto pump = [&] { script.poll(); };
  ASSERT_TRUE(
      harness.poll_until([&] { return harness.count(GatewayEventType::kLoggedOn) == 1; }, pump));
  ClientResponse wrong{};
  wrong.seq_num = script.next_seq();
  wrong.msg_type = ClientResponseType::kFilled;
  wrong.client_id = 2;
  ASSERT_TRUE(script.send(wrong, true));
  ASSERT_TRUE(harness.poll_until(
      [&] { return harness.count(GatewayEventType::kDisconnected) == 1; }, pump));
  EXPECT_EQ(harness.count(GatewayEventType::kResponse), 0u);
  EXPECT_EQ(harness.gateway().counters().protocol_errors, 1u);
}

TEST(OrderGateway, consumes_exchange_heartbeats_and_routes_the_rest) {
  ScriptedExchange script(1);
  GatewayHarness harness(test_gateway_options(script.port(), 1));
  auto pump = [&] { script.poll(); };
  ASSERT_TRUE(
      harness.poll_until([&] { return harness.count(GatewayEventType::kLoggedOn) == 1; }, pump));
  ASSERT_TRUE(script.send(ClientResponseType::kHeartbeat));
  ASSERT_TRUE(script.send(ClientResponseType::kAccepted, 77));
  ASSERT_TRUE(script.send(ClientResponseType::kHeartbeat));
  ASSERT_TRUE(script.send(ClientResponseType::kCanceled, 77));
  ASSERT_TRUE(harness.poll_until(
      [&] { return harness.gateway().counters().responses_received == 5; }, pump));
  const std::vector<ClientResponse> responses = harness.responses();
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0].msg_type, ClientResponseType::kAccepted);
  EXPECT_EQ(responses[0].seq_num, 3u);
  EXPECT_EQ(responses[1].msg_type, ClientResponseType::kCanceled);
  EXPECT_EQ(responses[1].seq_num, 5u);
  EXPECT_EQ(harness.gateway().counters().heartbeats_received, 2u);
  EXPECT_EQ(harness.gateway().counters().protocol_errors, 0u);
}

TEST(OrderGateway, stops_reading_while_the_event_queue_is_full_and_loses_nothing) {
  ScriptedExchange script(1);
  GatewayHarness harness(test_gateway_options(script.port(), 1), /*event_capacity=*/4);
  auto pump = [&] { script.poll(); };
  ASSERT_TRUE(
      harness.poll_until([&] { return harness.count(GatewayEventType::kLoggedOn) == 1; }, pump));
  constexpr std::uint64_t kFills = 40;
  for (std::uint64_t i = 0; i < kFills; ++i) {
    ASSERT_TRUE(script.send(ClientResponseType::kFilled, 100 + i));
  }
  // Poll without draining: the queue fills and the gateway must wait, not drop.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (harness.gateway().counters().event_queue_stalls == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    harness.gateway().poll();
    script.poll();
  }
  ASSERT_GT(harness.gateway().counters().event_queue_stalls, 0u);
  EXPECT_EQ(harness.events().size_guess(), 4u);

  ASSERT_TRUE(harness.poll_until([&] { return harness.responses().size() == kFills; }, pump));
  const std::vector<ClientResponse> responses = harness.responses();
  for (std::uint64_t i = 0; i < kFills; ++i) {
    EXPECT_EQ(responses[i].client_order_id, 100 + i);
    EXPECT_EQ(responses[i].seq_num, i + 2);
  }
  EXPECT_EQ(harness.gateway().counters().protocol_errors, 0u);
  EXPECT_EQ(harness.count(GatewayEventType::kDisconnected), 0u);
}

TEST(OrderGateway, emits_disconnected_once_when_the_exchange_kicks_the_session) {
  ScriptedExchange script(1);
  GatewayHarness harness(test_gateway_options(script.port(), 1));
  auto pump = [&] { script.poll(); };
  ASSERT_TRUE(
      harness.poll_until([&] { return harness.count(GatewayEventType::kLoggedOn) == 1; }, pump));
  script.set_answer_logon(false);  // the next connection stays logging on
  script.kick();
  ASSERT_TRUE(harness.poll_until([&] { return script.connections().size() == 2; }, pump));
  harness.poll_for(50ms, pump);
  EXPECT_EQ(harness.count(GatewayEventType::kDisconnected), 1u);
  EXPECT_EQ(harness.count(GatewayEventType::kLoggedOn), 1u);
  EXPECT_TRUE(harness.gateway().connected());
  EXPECT_FALSE(harness.gateway().logged_on());
  EXPECT_EQ(harness.gateway().counters().reconnects, 1u);
}

TEST(OrderGateway, gives_up_a_logon_without_answer_and_retries) {
  ScriptedExchange script(1);
  script.set_answer_logon(false);
  OrderGatewayOptions options = test_gateway_options(script.port(), 1);
  options.logon_timeout = 50ms;
  GatewayHarness harness(options);
  auto pump = [&] { script.poll(); };
  ASSERT_TRUE(harness.poll_until(
      [&] { return script.connections().size() >= 2 && !script.connections()[1].empty(); }, pump));
  EXPECT_GE(harness.gateway().counters().logon_timeouts, 1u);
  EXPECT_GE(harness.count(GatewayEventType::kDisconnected), 1u);
  EXPECT_EQ(script.connections()[1].at(0).seq_num, 1u);
}

TEST(OrderGateway, doubles_the_reconnect_backoff_up_to_its_cap) {
  ReconnectBackoff backoff(50ms, 300ms);
  EXPECT_EQ(backoff.next_delay_ns(), 50'000'000u);
  EXPECT_EQ(backoff.next_delay_ns(), 100'000'000u);
  EXPECT_EQ(backoff.next_delay_ns(), 200'000'000u);
  EXPECT_EQ(backoff.next_delay_ns(), 300'000'000u);
  EXPECT_EQ(backoff.next_delay_ns(), 300'000'000u);
  backoff.reset();
  EXPECT_EQ(backoff.next_delay_ns(), 50'000'000u);
}

TEST(OrderGateway, matches_round_trips_to_their_requests) {
  RoundTripTable table;
  ASSERT_TRUE(table.add(ClientRequestType::kNew, 1, 10, 1000));
  ASSERT_TRUE(table.add(ClientRequestType::kCancel, 1, 10, 2000));
  ASSERT_TRUE(table.add(ClientRequestType::kNew, 2, 10, 3000));
  ClientResponse response{};
  response.ticker_id = 1;
  response.client_order_id = 10;
  response.msg_type = ClientResponseType::kFilled;
  EXPECT_EQ(table.take(response), 0u);
  response.msg_type = ClientResponseType::kCanceled;
  EXPECT_EQ(table.take(response), 2000u);
  response.msg_type = ClientResponseType::kAccepted;
  EXPECT_EQ(table.take(response), 1000u);
  EXPECT_EQ(table.take(response), 0u);  // answered already
  response.ticker_id = 2;
  response.msg_type = ClientResponseType::kRejected;
  EXPECT_EQ(table.take(response), 3000u);
  EXPECT_EQ(table.size(), 0u);
  // A MODIFY is answered by MODIFIED, MODIFY_REJECTED or REJECTED, and by nothing else.
  ASSERT_TRUE(table.add(ClientRequestType::kModify, 1, 10, 4000));
  ASSERT_TRUE(table.add(ClientRequestType::kModify, 1, 10, 5000));
  ASSERT_TRUE(table.add(ClientRequestType::kModify, 1, 10, 6000));
  response.ticker_id = 1;
  response.msg_type = ClientResponseType::kCanceled;  // an IOC's expiry: answers no request
  EXPECT_EQ(table.take(response), 0u);
  response.msg_type = ClientResponseType::kModified;
  EXPECT_EQ(table.take(response), 4000u);
  response.msg_type = ClientResponseType::kModifyRejected;
  EXPECT_EQ(table.take(response), 5000u);
  response.msg_type = ClientResponseType::kRejected;
  EXPECT_EQ(table.take(response), 6000u);
  EXPECT_EQ(table.size(), 0u);
  for (std::size_t i = 0; i < RoundTripTable::kCapacity; ++i) {
    ASSERT_TRUE(table.add(ClientRequestType::kNew, 1, i, 1));
  }
  EXPECT_FALSE(table.add(ClientRequestType::kNew, 1, 9999, 1));
}

TEST(OrderGateway, rejects_bad_options_naming_them) {
  OrderRequestQueue requests(4);
  GatewayEventQueue events(4);
  auto message_of = [&](const OrderGatewayOptions& options) -> std::string {
    try {
      OrderGateway gateway(options, requests, events);
    } catch (const std::invalid_argument& error) {
      return error.what();
    }
    return "";
  };
  OrderGatewayOptions options = test_gateway_options(1234, 1);
  options.client_id = 0;
  EXPECT_NE(message_of(options).find("client_id"), std::string::npos);
  options = test_gateway_options(1234, 1);
  options.host = "localhost";
  EXPECT_NE(message_of(options).find("host"), std::string::npos);
  options = test_gateway_options(1234, 1);
  options.reconnect_initial = 500ms;
  options.reconnect_max = 100ms;
  EXPECT_NE(message_of(options).find("reconnect_initial"), std::string::npos);
  options = test_gateway_options(1234, 1);
  options.receive_buffer_bytes = 10;
  EXPECT_NE(message_of(options).find("receive_buffer_bytes"), std::string::npos);
  options = test_gateway_options(0, 1);
  EXPECT_NE(message_of(options).find("port"), std::string::npos);
}

}  // namespace
}  // namespace llt::trading
