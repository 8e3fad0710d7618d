// The order gateway against the real order server in process (version 2 numbering, see
// docs/protocol.md): these need the exchange side of session resumption.
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
using testing::test_gateway_options;

std::unique_ptr<OrderEntryExchange> exchange_on(std::uint16_t port) {
  exchange::OrderServerOptions options = test_order_server_options();
  options.port = port;
  return std::make_unique<OrderEntryExchange>(options);
}

TEST(OrderGateway, logs_on_and_reports_logged_on) {
  OrderEntryExchange exchange;
  GatewayHarness harness(test_gateway_options(exchange.port(), 7));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kCaughtUp, 1));

  const GatewayEvent& logged_on = harness.log().front();
  EXPECT_EQ(logged_on.type, GatewayEventType::kLoggedOn);
  EXPECT_EQ(logged_on.response.msg_type, ClientResponseType::kLogonAccepted);
  EXPECT_EQ(logged_on.response.seq_num, 1u);
  EXPECT_EQ(logged_on.response.client_id, 7u);
  EXPECT_NE(logged_on.read_tsc, 0u);
  EXPECT_TRUE(harness.gateway().logged_on());
  EXPECT_TRUE(harness.gateway().connected());
  EXPECT_EQ(harness.gateway().next_request_seq(), 1u);  // LOGON takes no number
  const OrderGatewayCounters counters = harness.gateway().counters();
  EXPECT_EQ(counters.logons, 1u);
  EXPECT_EQ(counters.disconnects, 0u);
  EXPECT_TRUE(exchange.wait_for([](const auto& c) { return c.sessions_logged_on == 1; }));
}

TEST(OrderGateway, routes_accepted_for_a_new_order_with_session_seq_nums) {
  OrderEntryExchange exchange;
  GatewayHarness harness(test_gateway_options(exchange.port(), 3));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kCaughtUp, 1));

  OrderRequest request = testing::new_order(1, 42, Side::kBuy, 10'000, 25);
  request.md_read_tsc = common::rdtsc();
  request.engine_in_tsc = common::rdtsc();
  ASSERT_TRUE(harness.submit(request));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 1));

  const std::vector<ClientResponse> responses = harness.responses();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].msg_type, ClientResponseType::kAccepted);
  EXPECT_EQ(responses[0].seq_num, 1u);  // LOGON_ACCEPTED is not numbered
  EXPECT_EQ(responses[0].client_id, 3u);
  EXPECT_EQ(responses[0].client_order_id, 42u);
  EXPECT_EQ(responses[0].leaves_qty, 25u);
  EXPECT_EQ(responses[0].price, 10'000);
  EXPECT_NE(harness.log().back().read_tsc, 0u);
  EXPECT_EQ(harness.gateway().next_request_seq(), 2u);  // NEW 1
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
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kCaughtUp, 1));
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
  ASSERT_TRUE(seller.wait_for(GatewayEventType::kCaughtUp, 1));
  ASSERT_TRUE(buyer.wait_for(GatewayEventType::kCaughtUp, 1));

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
  EXPECT_EQ(sold[1].seq_num, 2u);

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
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kCaughtUp, 1));

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
    EXPECT_EQ(responses[i].seq_num, i + 1) << "response " << i;
  }
  EXPECT_EQ(harness.gateway().order_sent_to_response_read().count(), 5u);
  EXPECT_EQ(harness.gateway().next_request_seq(), 6u);
}

TEST(OrderGateway, sends_modify_and_tif_and_routes_modified_rejects_and_expiries) {
  OrderEntryExchange exchange;
  GatewayHarness harness(test_gateway_options(exchange.port(), 6));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kCaughtUp, 1));

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
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kCaughtUp, 1));
  ASSERT_TRUE(
      harness.poll_until([&] { return harness.gateway().counters().heartbeats_sent >= 2; }));

  ASSERT_TRUE(harness.submit(testing::new_order(1, 8, Side::kSell, 11'000, 3)));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 1));
  const std::vector<ClientResponse> responses = harness.responses();
  ASSERT_EQ(responses.size(), 1u);
  // The exchange checks request numbers: an order after heartbeats is accepted only if no
  // heartbeat took one.
  EXPECT_EQ(responses[0].msg_type, ClientResponseType::kAccepted);
  EXPECT_EQ(exchange.counters().rejects(RejectReason::kBadSeqNum), 0u);
  EXPECT_EQ(harness.gateway().next_request_seq(), 2u);
  EXPECT_EQ(harness.count(GatewayEventType::kDisconnected), 0u);
}

TEST(OrderGateway, refuses_requests_that_are_neither_new_cancel_nor_modify) {
  OrderEntryExchange exchange;
  GatewayHarness harness(test_gateway_options(exchange.port(), 4));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kCaughtUp, 1));
  OrderRequest logout = testing::cancel_order(1, 3);
  logout.request.msg_type = ClientRequestType::kLogout;
  ASSERT_TRUE(harness.submit(logout));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 1));
  const std::vector<ClientResponse> responses = harness.responses();
  EXPECT_EQ(responses[0].reject_reason, RejectReason::kUnknownMsgType);
  EXPECT_EQ(responses[0].client_order_id, 3u);
  EXPECT_EQ(harness.gateway().counters().invalid_requests, 1u);
  EXPECT_EQ(harness.gateway().next_request_seq(), 1u);  // nothing sent
  EXPECT_TRUE(harness.gateway().logged_on());
}

TEST(OrderGateway, numbers_from_one_again_when_a_restarted_exchange_starts_a_new_day) {
  auto exchange = std::make_unique<OrderEntryExchange>();
  const std::uint16_t port = exchange->port();
  GatewayHarness harness(test_gateway_options(port, 6));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kCaughtUp, 1));
  ASSERT_TRUE(harness.submit(testing::new_order(1, 7, Side::kBuy, 10'000, 1)));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 1));

  exchange.reset();  // closes every session; without a journal the day is gone
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kDisconnected, 1));
  EXPECT_FALSE(harness.gateway().logged_on());
  EXPECT_FALSE(harness.gateway().connected());

  // While the exchange is down: refused, not sent.
  ASSERT_TRUE(harness.submit(testing::new_order(1, 8, Side::kBuy, 10'000, 1)));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 2));
  EXPECT_EQ(harness.responses()[1].reject_reason, RejectReason::kNotLoggedIn);
  EXPECT_EQ(harness.responses()[1].seq_num, 0u);

  // The new exchange has not sent response 2, which the LOGON asks for: BAD_SEQ_NUM, and the
  // client numbers both streams from 1 again.
  exchange = exchange_on(port);
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kCaughtUp, 2));
  EXPECT_EQ(harness.log().back().resume, ResumeOutcome::kStreamsReset);
  EXPECT_EQ(harness.gateway().next_request_seq(), 1u);
  const OrderGatewayCounters counters = harness.gateway().counters();
  EXPECT_EQ(counters.logons, 2u);
  EXPECT_EQ(counters.stream_resets, 1u);

  ASSERT_TRUE(harness.submit(testing::new_order(1, 9, Side::kBuy, 10'000, 1)));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kResponse, 3));
  const ClientResponse accepted = harness.responses()[2];
  EXPECT_EQ(accepted.msg_type, ClientResponseType::kAccepted);
  EXPECT_EQ(accepted.seq_num, 1u);
  // The one BAD_SEQ_NUM is the LOGON_REJECTED; the NEW numbered 1 was taken.
  EXPECT_EQ(exchange->counters().rejects(RejectReason::kBadSeqNum), 1u);
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
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kCaughtUp, 1));
  EXPECT_EQ(harness.count(GatewayEventType::kLoggedOn), 1u);
  EXPECT_TRUE(harness.gateway().logged_on());
}

TEST(OrderGateway, sends_logout_on_stop_and_then_does_nothing) {
  OrderEntryExchange exchange;
  GatewayHarness harness(test_gateway_options(exchange.port(), 2));
  ASSERT_TRUE(harness.wait_for(GatewayEventType::kCaughtUp, 1));
  harness.gateway().on_stop();
  EXPECT_FALSE(harness.gateway().connected());
  EXPECT_TRUE(exchange.wait_for(
      [](const auto& c) { return c.closed(exchange::SessionCloseCause::kLogout) == 1; }));
  EXPECT_EQ(harness.gateway().poll(), 0);
  EXPECT_EQ(harness.count(GatewayEventType::kDisconnected), 0u);
}

}  // namespace
}  // namespace llt::trading
