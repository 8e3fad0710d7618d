#include "exchange/matcher/matching_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/time/tsc_clock.h"
#include "exchange/matcher/matcher.h"
#include "tests/support/book_events.h"
#include "tests/support/order_flow_generator.h"

namespace llt::exchange {
namespace {

using test::BookEvent;
using test::RecordingHandler;

MatchingEngineOptions small_options(std::vector<TickerId> tickers = {1, 2}) {
  MatchingEngineOptions options;
  options.tickers = std::move(tickers);
  options.book.max_orders = 1024;
  options.book.max_price_levels = 256;
  options.book.max_clients = 32;
  return options;
}

ClientRequest new_order(ClientId client, TickerId ticker, OrderId id, Side side, Price price,
                        Qty qty) {
  ClientRequest request;
  request.msg_type = ClientRequestType::kNew;
  request.client_id = client;
  request.ticker_id = ticker;
  request.order_id = id;
  request.side = side;
  request.price = price;
  request.qty = qty;
  return request;
}

// The engine with its three queues, driven by hand on one thread.
struct Rig {
  explicit Rig(const MatchingEngineOptions& options = small_options(),
               std::size_t out_capacity = 1024)
      : requests(1024),
        responses(out_capacity),
        updates(out_capacity),
        engine(options, requests, responses, updates) {}

  void push(const ClientRequest& request, HopTicks ticks = {}) {
    ASSERT_TRUE(requests.try_push(MatchingRequest{request, ticks}));
  }
  std::vector<MatchingResponse> drain_responses() {
    std::vector<MatchingResponse> out;
    while (MatchingResponse* r = responses.front()) {
      out.push_back(*r);
      responses.pop();
    }
    return out;
  }
  std::vector<MatchingUpdate> drain_updates() {
    std::vector<MatchingUpdate> out;
    while (MatchingUpdate* u = updates.front()) {
      out.push_back(*u);
      updates.pop();
    }
    return out;
  }

  RequestQueue requests;
  ResponseQueue responses;
  UpdateQueue updates;
  MatchingEngine engine;
};

TEST(MatchingEngine, routes_to_the_ticker_book_and_carries_hop_ticks) {
  Rig rig;
  const std::uint64_t before = common::TscClock::instance().now_ticks();
  rig.push(new_order(1, 2, 10, Side::kBuy, 100, 5), HopTicks{111, 222, 0});
  EXPECT_EQ(rig.engine.poll(), 1);
  const std::uint64_t after = common::TscClock::instance().now_ticks();

  const auto responses = rig.drain_responses();
  ASSERT_EQ(responses.size(), 1u);
  const ClientResponse& accepted = responses[0].response;
  EXPECT_EQ(accepted.msg_type, ClientResponseType::kAccepted);
  EXPECT_EQ(accepted.ticker_id, 2u);
  EXPECT_EQ(accepted.market_order_id, 1u);
  EXPECT_EQ(accepted.seq_num, 0u);  // stamped per session by the order server
  EXPECT_EQ(responses[0].ticks.recv_ticks, 111u);
  EXPECT_EQ(responses[0].ticks.sequenced_ticks, 222u);
  EXPECT_GE(responses[0].ticks.engine_in_ticks, before);
  EXPECT_LE(responses[0].ticks.engine_in_ticks, after);

  const auto updates = rig.drain_updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update.msg_type, MarketUpdateType::kAdd);
  EXPECT_EQ(updates[0].update.seq_num, 0u);  // numbered by the publisher
  EXPECT_EQ(updates[0].ticks.recv_ticks, 111u);
  ASSERT_NE(rig.engine.book(2), nullptr);
  EXPECT_EQ(rig.engine.book(2)->best_price(Side::kBuy), 100);
  EXPECT_EQ(rig.engine.book(1)->order_count(), 0u);
  EXPECT_EQ(rig.engine.poll(), 0);  // nothing left to do
}

TEST(MatchingEngine, answers_unknown_tickers_and_message_types) {
  Rig rig;
  rig.push(new_order(1, 9, 10, Side::kBuy, 100, 5));
  ClientRequest cancel = new_order(1, 9, 10, Side::kBuy, 0, 0);
  cancel.msg_type = ClientRequestType::kCancel;
  rig.push(cancel);
  ClientRequest heartbeat = new_order(1, 1, 0, Side::kInvalid, 0, 0);
  heartbeat.msg_type = ClientRequestType::kHeartbeat;
  rig.push(heartbeat);
  EXPECT_EQ(rig.engine.poll(), 3);
  const auto responses = rig.drain_responses();
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_EQ(responses[0].response.msg_type, ClientResponseType::kRejected);
  EXPECT_EQ(responses[0].response.reject_reason, RejectReason::kUnknownTicker);
  EXPECT_EQ(responses[1].response.msg_type, ClientResponseType::kCancelRejected);
  EXPECT_EQ(responses[1].response.reject_reason, RejectReason::kUnknownTicker);
  EXPECT_EQ(responses[2].response.reject_reason, RejectReason::kUnknownMsgType);
  EXPECT_TRUE(rig.drain_updates().empty());
}

TEST(MatchingEngine, cancel_on_disconnect_cancels_every_resting_order_of_the_client) {
  Rig rig;
  rig.push(new_order(1, 1, 10, Side::kBuy, 100, 5));
  rig.push(new_order(1, 2, 11, Side::kSell, 200, 5));
  rig.push(new_order(2, 1, 10, Side::kBuy, 99, 5));
  ClientRequest disconnect;
  disconnect.msg_type = kCancelAllOfClient;
  disconnect.client_id = 1;
  rig.push(disconnect);
  while (rig.engine.poll() > 0) {
  }
  const auto responses = rig.drain_responses();
  ASSERT_EQ(responses.size(), 5u);
  EXPECT_EQ(responses[3].response.msg_type, ClientResponseType::kCanceled);
  EXPECT_EQ(responses[3].response.ticker_id, 1u);
  EXPECT_EQ(responses[4].response.msg_type, ClientResponseType::kCanceled);
  EXPECT_EQ(responses[4].response.ticker_id, 2u);
  const auto updates = rig.drain_updates();
  ASSERT_EQ(updates.size(), 5u);
  EXPECT_EQ(updates[4].update.msg_type, MarketUpdateType::kCancel);
  EXPECT_EQ(rig.engine.book(1)->order_count(), 1u);  // client 2's order stays
  EXPECT_EQ(rig.engine.book(2)->order_count(), 0u);
}

// With output queues of 4 slots, a sweep of 100 resting orders (about 200 responses and 200
// updates) and a cancel-on-disconnect of 100 orders still come out complete and in order,
// a few events per poll, and the engine takes no new request while it has no room.
TEST(MatchingEngine, back_pressure_delivers_every_event_in_order_and_holds_input) {
  Rig rig(small_options(), /*out_capacity=*/4);
  RecordingHandler expected_recorder;
  Matcher<RecordingHandler> expected({1, 2}, small_options().book, expected_recorder);

  std::vector<ClientRequest> requests;
  for (OrderId i = 1; i <= 100; ++i) {
    requests.push_back(new_order(static_cast<ClientId>(1 + i % 3), 1, i, Side::kSell,
                                 100 + static_cast<Price>(i % 10), 2));
  }
  requests.push_back(new_order(9, 1, 1, Side::kBuy, 1'000, 250));  // sweeps all, rests 50
  for (OrderId i = 101; i <= 200; ++i) {
    requests.push_back(new_order(4, 2, i, Side::kBuy, 50 + static_cast<Price>(i % 20), 1));
  }
  ClientRequest disconnect;
  disconnect.msg_type = kCancelAllOfClient;
  disconnect.client_id = 4;
  requests.push_back(disconnect);
  requests.push_back(new_order(5, 2, 1, Side::kSell, 300, 1));
  for (const ClientRequest& r : requests)
    (void)expected.process(r);  // the recorder keeps every outcome

  std::vector<ClientResponse> responses;
  std::vector<MarketUpdate> updates;
  std::size_t next = 0;
  std::size_t polls = 0;
  while (next < requests.size() || !rig.requests.empty_guess() || rig.engine.busy()) {
    while (next < requests.size() && rig.requests.try_push(MatchingRequest{requests[next], {}})) {
      ++next;
    }
    rig.engine.poll();
    ++polls;
    // The consumer is slow: it takes at most one event of each kind per poll.
    if (MatchingResponse* r = rig.responses.front()) {
      responses.push_back(r->response);
      rig.responses.pop();
    }
    if (MatchingUpdate* u = rig.updates.front()) {
      updates.push_back(u->update);
      rig.updates.pop();
    }
    ASSERT_LT(polls, 100'000u);
  }
  for (const auto& r : rig.drain_responses())
    responses.push_back(r.response);
  for (const auto& u : rig.drain_updates())
    updates.push_back(u.update);

  std::vector<ClientResponse> expected_responses;
  std::vector<MarketUpdate> expected_updates;
  for (const BookEvent& event : expected_recorder.events) {
    if (const auto* r = std::get_if<ClientResponse>(&event)) {
      expected_responses.push_back(*r);
    } else {
      expected_updates.push_back(std::get<MarketUpdate>(event));
    }
  }
  EXPECT_EQ(expected_responses.size(), 502u);  // 201 ACCEPTED, 200 FILLED, 100 CANCELED, 1
  EXPECT_EQ(responses, expected_responses);
  EXPECT_EQ(updates, expected_updates);
  EXPECT_GT(rig.engine.output_stalls(), 100u);
  EXPECT_EQ(rig.engine.lost_events(), 0u);

  // No room at all: the request stays queued until the consumer makes room.
  Rig stuck(small_options(), 4);
  stuck.push(new_order(1, 1, 1, Side::kBuy, 100, 1));
  // 1 response + 1 update: three slots each left, less than one step and a call's two extra
  // events need.
  EXPECT_EQ(stuck.engine.poll(), 1);
  stuck.push(new_order(1, 1, 2, Side::kBuy, 100, 1));
  EXPECT_EQ(stuck.engine.poll(), 0);
  EXPECT_EQ(stuck.requests.size_guess(), 1u);
  stuck.drain_responses();
  stuck.drain_updates();
  EXPECT_EQ(stuck.engine.poll(), 1);
  EXPECT_EQ(stuck.requests.size_guess(), 0u);
}

TEST(MatchingEngine, one_poll_does_bounded_work) {
  MatchingEngineOptions options = small_options();
  options.max_requests_per_poll = 3;
  options.max_steps_per_poll = 8;
  Rig rig(options);
  for (OrderId i = 1; i <= 10; ++i)
    rig.push(new_order(1, 1, i, Side::kSell, 100, 1));
  EXPECT_EQ(rig.engine.poll(), 3);
  EXPECT_EQ(rig.engine.requests_processed(), 3u);
  while (rig.engine.poll() > 0) {
  }
  rig.push(new_order(2, 1, 1, Side::kBuy, 100, 10));  // 10 matches: more than one poll's steps
  EXPECT_EQ(rig.engine.poll(), 1);  // 8 of its matches, then the poll's steps are used up
  EXPECT_TRUE(rig.engine.busy());
  EXPECT_EQ(rig.engine.book(1)->order_count(), 2u);
  while (rig.engine.poll() > 0) {
  }
  EXPECT_FALSE(rig.engine.busy());
  EXPECT_EQ(rig.engine.book(1)->order_count(), 0u);
}

TEST(MatchingEngine, refuses_bad_configuration_at_start_up) {
  RequestQueue requests(16);
  ResponseQueue responses(16);
  UpdateQueue updates(16);
  ResponseQueue tiny(2);
  MatchingEngineOptions no_tickers = small_options({});
  EXPECT_THROW(MatchingEngine(no_tickers, requests, responses, updates), std::invalid_argument);
  MatchingEngineOptions twice = small_options({1, 2, 1});
  EXPECT_THROW(MatchingEngine(twice, requests, responses, updates), std::invalid_argument);
  MatchingEngineOptions no_orders = small_options();
  no_orders.book.max_orders = 0;
  EXPECT_THROW(MatchingEngine(no_orders, requests, responses, updates), std::invalid_argument);
  EXPECT_THROW(MatchingEngine(small_options(), requests, tiny, updates), std::invalid_argument);
}

// Order server, engine and publisher on three threads with small queues: every event arrives,
// in the order a single-threaded run produces.
TEST(MatchingEngine, three_threads_deliver_every_event_in_order) {
#if defined(LLT_SANITIZED)
  constexpr std::size_t kRequests = 40'000;
#else
  constexpr std::size_t kRequests = 200'000;
#endif
  test::OrderFlowOptions flow;
  flow.seed = 42;
  flow.tickers = {1, 2};
  const std::vector<ClientRequest> requests = test::OrderFlowGenerator(flow).generate(kRequests);

  RecordingHandler expected_recorder;
  Matcher<RecordingHandler> expected({1, 2}, small_options().book, expected_recorder);
  std::vector<ClientResponse> expected_responses;
  std::vector<MarketUpdate> expected_updates;
  for (const ClientRequest& r : requests) {
    (void)expected.process(r);  // the recorder keeps every outcome
    for (const BookEvent& event : expected_recorder.events) {
      if (const auto* response = std::get_if<ClientResponse>(&event)) {
        expected_responses.push_back(*response);
      } else {
        expected_updates.push_back(std::get<MarketUpdate>(event));
      }
    }
    expected_recorder.events.clear();
  }

  RequestQueue request_queue(64);
  ResponseQueue response_queue(64);
  UpdateQueue update_queue(64);
  MatchingEngine engine(small_options(), request_queue, response_queue, update_queue);
  std::atomic<bool> consumers_done{false};

  std::thread order_server([&] {
    for (std::size_t i = 0; i < requests.size();) {
      if (request_queue.try_push(MatchingRequest{requests[i], HopTicks{i, i, 0}})) {
        ++i;
      } else {
        std::this_thread::yield();
      }
    }
  });
  std::thread engine_thread([&] {
    while (!consumers_done.load(std::memory_order_acquire)) {
      if (engine.poll() == 0)
        std::this_thread::yield();
    }
  });
  std::vector<MatchingResponse> responses;
  std::vector<MatchingUpdate> updates;
  std::thread publisher([&] {
    while (updates.size() < expected_updates.size()) {
      if (MatchingUpdate* u = update_queue.front()) {
        updates.push_back(*u);
        update_queue.pop();
      } else {
        std::this_thread::yield();
      }
    }
  });
  while (responses.size() < expected_responses.size()) {
    if (MatchingResponse* r = response_queue.front()) {
      responses.push_back(*r);
      response_queue.pop();
    } else {
      std::this_thread::yield();
    }
  }
  publisher.join();
  order_server.join();
  consumers_done.store(true, std::memory_order_release);
  engine_thread.join();

  ASSERT_EQ(responses.size(), expected_responses.size());
  ASSERT_EQ(updates.size(), expected_updates.size());
  std::uint64_t last_recv = 0;
  for (std::size_t i = 0; i < responses.size(); ++i) {
    ASSERT_EQ(responses[i].response, expected_responses[i]) << "response " << i;
    ASSERT_GE(responses[i].ticks.recv_ticks, last_recv) << "hop ticks follow request order";
    last_recv = responses[i].ticks.recv_ticks;
  }
  for (std::size_t i = 0; i < updates.size(); ++i) {
    ASSERT_EQ(updates[i].update, expected_updates[i]) << "update " << i;
  }
  EXPECT_EQ(engine.lost_events(), 0u);
  EXPECT_EQ(engine.requests_processed(), requests.size());
  EXPECT_TRUE(response_queue.empty_guess());
  EXPECT_TRUE(update_queue.empty_guess());
}

}  // namespace
}  // namespace llt::exchange
