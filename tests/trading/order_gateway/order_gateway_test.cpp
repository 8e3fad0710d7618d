#include "trading/order_gateway/order_gateway.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>

#include "common/time/rdtsc.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "tests/trading/order_gateway/gateway_test_harness.h"

namespace llt::trading {
namespace {

using namespace std::chrono_literals;
using exchange::ClientRequestType;
using exchange::ClientResponse;
using exchange::ClientResponseType;
using exchange::RejectReason;
using exchange::Side;
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

// --- Against a scripted exchange ---

TEST(OrderGateway, drops_the_session_on_an_inbound_seq_gap_and_logs_on_again) {
  ScriptedExchange script(1);
  GatewayHarness harness(test_gateway_options(script.port(), 1));
  auto pump = [&] { script.poll(); };
  ASSERT_TRUE(
      harness.poll_until([&] { return harness.count(GatewayEventType::kLoggedOn) == 1; }, pump));
  ClientResponse gap{};
  gap.seq_num = script.next_live() + 1;  // skips one
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
  EXPECT_EQ(script.connections()[1][0].order_id, 1u) << "the replay of what was missed";
  EXPECT_EQ(script.connections()[1][0].client_id, 1u);
}

TEST(OrderGateway, drops_the_session_on_a_message_for_another_client) {
  ScriptedExchange script(1);
  GatewayHarness harness(test_gateway_options(script.port(), 1));
  auto pump = [&] { script.poll(); };
  ASSERT_TRUE(
      harness.poll_until([&] { return harness.count(GatewayEventType::kLoggedOn) == 1; }, pump));
  ClientResponse wrong{};
  wrong.seq_num = script.next_live();
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
  EXPECT_EQ(responses[0].seq_num, 1u);
  EXPECT_EQ(responses[1].msg_type, ClientResponseType::kCanceled);
  EXPECT_EQ(responses[1].seq_num, 2u) << "heartbeats are not numbered";
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
    EXPECT_EQ(responses[i].seq_num, i + 1);
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

// --- Resuming the session ---

// Logs the harness on to `script` and waits for the catch-up.
void log_on(GatewayHarness& harness, ScriptedExchange& script, std::size_t catch_ups = 1) {
  ASSERT_TRUE(
      harness.poll_until([&] { return harness.count(GatewayEventType::kCaughtUp) == catch_ups; },
                         [&] { script.poll(); }));
}

TEST(OrderGateway, logs_on_with_keep_orders_when_configured) {
  ScriptedExchange script(1);
  OrderGatewayOptions options = test_gateway_options(script.port(), 1);
  options.keep_orders = true;
  GatewayHarness harness(options);
  log_on(harness, script);
  ASSERT_FALSE(script.connections()[0].empty());
  const exchange::ClientRequest& logon = script.connections()[0][0];
  EXPECT_EQ(logon.msg_type, ClientRequestType::kLogon);
  EXPECT_EQ(logon.flags, exchange::kFlagKeepOrders);
  EXPECT_EQ(logon.order_id, 1u) << "the first connection of the day asks from 1";
}

TEST(OrderGateway, replays_missed_responses_after_a_reconnect_and_applies_each_once) {
  ScriptedExchange script(1);
  GatewayHarness harness(test_gateway_options(script.port(), 1));
  auto pump = [&] { script.poll(); };
  log_on(harness, script);
  ASSERT_TRUE(harness.submit(testing::new_order(1, 5, Side::kBuy, 10'000, 10)));
  ASSERT_TRUE(harness.poll_until([&] { return script.orders().size() == 1; }, pump));
  ASSERT_TRUE(script.send(ClientResponseType::kAccepted, 5));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 1));
  // A fill is numbered but the connection dies before it leaves.
  ClientResponse fill{};
  fill.msg_type = ClientResponseType::kFilled;
  fill.ticker_id = 1;
  fill.client_order_id = 5;
  fill.exec_qty = 4;
  fill.leaves_qty = 6;
  script.record_unsent(fill);
  script.kick();

  log_on(harness, script, 2);
  ASSERT_EQ(script.connections().size(), 2u);
  EXPECT_EQ(script.connections()[1][0].order_id, 2u) << "asks from the last processed + 1";
  EXPECT_EQ(script.connections()[1][0].seq_num, 2u) << "the next request number";
  // A misbehaving exchange repeats both responses: neither is applied again.
  ASSERT_TRUE(script.send(script.history()[0], true));
  ASSERT_TRUE(script.send(script.history()[1], true));
  ASSERT_TRUE(script.send(ClientResponseType::kHeartbeat));
  ASSERT_TRUE(harness.poll_until(
      [&] { return harness.gateway().counters().duplicate_responses == 2; }, pump));
  const std::vector<ClientResponse> responses = harness.responses();
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[1].msg_type, ClientResponseType::kFilled);
  EXPECT_EQ(responses[1].seq_num, 2u);
  EXPECT_EQ(responses[1].exec_qty, 4u);
  const OrderGatewayCounters counters = harness.gateway().counters();
  EXPECT_EQ(counters.replayed_responses, 1u);
  EXPECT_EQ(counters.last_processed, 2u);
  EXPECT_EQ(counters.protocol_errors, 0u);
  // Events: logged on, caught up, ACCEPTED, disconnected, logged on, FILLED, caught up.
  const std::vector<GatewayEvent>& log = harness.log();
  ASSERT_EQ(log.size(), 7u);
  EXPECT_EQ(log[3].type, GatewayEventType::kDisconnected);
  EXPECT_EQ(log[4].type, GatewayEventType::kLoggedOn);
  EXPECT_EQ(log[4].response.market_order_id, 3u);
  EXPECT_EQ(log[5].type, GatewayEventType::kResponse);
  EXPECT_EQ(log[6].type, GatewayEventType::kCaughtUp);
  EXPECT_EQ(log[6].resume, ResumeOutcome::kComplete);
}

TEST(OrderGateway, resends_the_requests_the_exchange_did_not_get_in_order_with_their_numbers) {
  ScriptedExchange script(1);
  GatewayHarness harness(test_gateway_options(script.port(), 1));
  auto pump = [&] { script.poll(); };
  log_on(harness, script);
  OrderRequest modify = testing::new_order(1, 1, Side::kBuy, 9'900, 3);
  modify.request.msg_type = ClientRequestType::kModify;
  OrderRequest ioc = testing::new_order(1, 2, Side::kSell, 10'100, 7);
  ioc.request.tif = exchange::TimeInForce::kIoc;
  ASSERT_TRUE(harness.submit(testing::new_order(1, 1, Side::kBuy, 10'000, 5)));
  ASSERT_TRUE(harness.poll_until([&] { return script.orders().size() == 1; }, pump));
  script.set_drop_orders(true);  // lost with the connection
  ASSERT_TRUE(harness.submit(modify));
  ASSERT_TRUE(harness.submit(ioc));
  ASSERT_TRUE(
      harness.poll_until([&] { return harness.gateway().counters().requests_sent == 3; }, pump));
  harness.poll_for(20ms, pump);
  script.set_drop_orders(false);
  ASSERT_EQ(script.expected_request(), 2u);
  script.kick();

  log_on(harness, script, 2);
  ASSERT_TRUE(harness.poll_until([&] { return script.orders().size() == 3; }, pump));
  const std::vector<exchange::ClientRequest>& orders = script.orders();
  EXPECT_EQ(orders[1].seq_num, 2u);
  EXPECT_EQ(orders[1].msg_type, ClientRequestType::kModify);
  EXPECT_EQ(orders[1].price, 9'900);
  EXPECT_EQ(orders[1].qty, 3u);
  EXPECT_EQ(orders[2].seq_num, 3u);
  EXPECT_EQ(orders[2].msg_type, ClientRequestType::kNew);
  EXPECT_EQ(orders[2].order_id, 2u);
  EXPECT_EQ(orders[2].tif, exchange::TimeInForce::kIoc);
  EXPECT_EQ(orders[2].client_id, 1u);
  EXPECT_EQ(harness.gateway().counters().resent_requests, 2u);
  EXPECT_EQ(harness.log().back().resume, ResumeOutcome::kComplete);
  // The resend came before the catch-up; a new request takes the next number.
  ASSERT_TRUE(harness.submit(testing::cancel_order(1, 1)));
  ASSERT_TRUE(harness.poll_until([&] { return script.orders().size() == 4; }, pump));
  EXPECT_EQ(script.orders()[3].seq_num, 4u);
  EXPECT_EQ(script.expected_request(), 5u);
}

TEST(OrderGateway, reports_lost_requests_when_the_exchange_expects_one_older_than_the_ring) {
  ScriptedExchange script(1);
  OrderGatewayOptions options = test_gateway_options(script.port(), 1);
  options.resend_capacity = 2;
  GatewayHarness harness(options);
  auto pump = [&] { script.poll(); };
  log_on(harness, script);
  script.set_drop_orders(true);
  for (exchange::OrderId id = 1; id <= 4; ++id) {
    ASSERT_TRUE(harness.submit(testing::new_order(1, id, Side::kBuy, 10'000, 1)));
  }
  ASSERT_TRUE(
      harness.poll_until([&] { return harness.gateway().counters().requests_sent == 4; }, pump));
  harness.poll_for(20ms, pump);
  script.set_drop_orders(false);
  script.kick();

  log_on(harness, script, 2);
  EXPECT_EQ(harness.log().back().resume, ResumeOutcome::kRequestsLost);
  const OrderGatewayCounters counters = harness.gateway().counters();
  EXPECT_EQ(counters.resends_unavailable, 1u);
  EXPECT_EQ(counters.resent_requests, 0u) << "requests 3 and 4 alone would be out of order";
  EXPECT_EQ(harness.gateway().next_request_seq(), 1u) << "numbering continues at the expected";
  ASSERT_TRUE(harness.submit(testing::cancel_order(1, 4)));
  ASSERT_TRUE(harness.poll_until([&] { return script.orders().size() == 1; }, pump));
  EXPECT_EQ(script.orders()[0].seq_num, 1u);
}

TEST(OrderGateway, refuses_requests_while_logging_on_again_and_sends_none) {
  ScriptedExchange script(1);
  GatewayHarness harness(test_gateway_options(script.port(), 1));
  auto pump = [&] { script.poll(); };
  log_on(harness, script);
  ASSERT_TRUE(script.send(ClientResponseType::kAccepted, 9));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 1));
  ClientResponse fill{};
  fill.msg_type = ClientResponseType::kFilled;
  fill.ticker_id = 1;
  fill.client_order_id = 9;
  script.record_unsent(fill);
  script.set_answer_logon(false);  // the next LOGON waits for the test
  script.kick();
  ASSERT_TRUE(harness.poll_until([&] { return script.connections().size() == 2; }, pump));
  ASSERT_TRUE(harness.submit(testing::new_order(1, 10, Side::kSell, 10'000, 1)));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 2));
  EXPECT_EQ(harness.responses()[1].reject_reason, RejectReason::kNotLoggedIn);
  EXPECT_EQ(harness.responses()[1].seq_num, 0u);
  EXPECT_TRUE(script.orders().empty());
  EXPECT_EQ(harness.count(GatewayEventType::kCaughtUp), 1u);
}

TEST(OrderGateway, numbers_from_one_again_after_logon_rejected_bad_seq_num) {
  ScriptedExchange script(1);
  GatewayHarness harness(test_gateway_options(script.port(), 1));
  auto pump = [&] { script.poll(); };
  log_on(harness, script);
  ASSERT_TRUE(harness.submit(testing::new_order(1, 3, Side::kBuy, 10'000, 1)));
  ASSERT_TRUE(harness.poll_until([&] { return script.orders().size() == 1; }, pump));
  ASSERT_TRUE(script.send(ClientResponseType::kAccepted, 3));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 1));
  script.new_day();
  script.kick();
  log_on(harness, script, 2);
  EXPECT_EQ(harness.log().back().resume, ResumeOutcome::kStreamsReset);
  EXPECT_EQ(harness.gateway().counters().stream_resets, 1u);
  EXPECT_EQ(harness.gateway().counters().logon_rejects, 1u);
  ASSERT_EQ(script.connections().size(), 3u);
  EXPECT_EQ(script.connections()[1][0].order_id, 2u);
  EXPECT_EQ(script.connections()[2][0].order_id, 1u);
  EXPECT_EQ(script.connections()[2][0].seq_num, 1u);
}

TEST(OrderGateway, logs_on_for_live_responses_only_after_replay_unavailable) {
  ScriptedExchange script(1);
  GatewayHarness harness(test_gateway_options(script.port(), 1));
  log_on(harness, script);
  ASSERT_TRUE(script.send(ClientResponseType::kAccepted, 3));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 1));
  script.record_unsent(script.history()[0]);
  script.reject_next_logon(RejectReason::kReplayUnavailable);
  script.kick();
  log_on(harness, script, 2);
  EXPECT_EQ(harness.log().back().resume, ResumeOutcome::kResponsesLost);
  EXPECT_EQ(harness.gateway().counters().replays_unavailable, 1u);
  ASSERT_EQ(script.connections().size(), 3u);
  EXPECT_EQ(script.connections()[2][0].order_id, 0u);
  EXPECT_EQ(harness.gateway().counters().last_processed, 2u) << "response 2 is given up";
  ASSERT_TRUE(script.send(ClientResponseType::kCanceled, 3));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 2));
  EXPECT_EQ(harness.responses()[1].seq_num, 3u);
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
