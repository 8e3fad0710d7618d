#include "exchange/order_server/fifo_sequencer.h"

#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "exchange/exchange_messages.h"
#include "exchange/matcher/matching_engine.h"

namespace llt::exchange {
namespace {

ClientRequest request(ClientId client, OrderId order_id,
                      ClientRequestType type = ClientRequestType::kNew) {
  ClientRequest r{};
  r.msg_type = type;
  r.client_id = client;
  r.order_id = order_id;
  return r;
}

std::vector<MatchingRequest> drain(RequestQueue& queue) {
  std::vector<MatchingRequest> out;
  while (MatchingRequest* item = queue.front()) {
    out.push_back(*item);
    queue.pop();
  }
  return out;
}

TEST(FifoSequencer, refuses_a_zero_capacity) {
  EXPECT_THROW(FifoSequencer(0), std::invalid_argument);
}

TEST(FifoSequencer, releases_in_receive_time_order_across_sessions) {
  FifoSequencer sequencer(16);
  RequestQueue queue(16);
  ASSERT_TRUE(sequencer.add(request(1, 10), 300));
  ASSERT_TRUE(sequencer.add(request(2, 20), 100));
  ASSERT_TRUE(sequencer.add(request(3, 30), 200));
  EXPECT_EQ(sequencer.release(queue, 1000), 3u);
  const std::vector<MatchingRequest> out = drain(queue);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].request.client_id, 2u);
  EXPECT_EQ(out[1].request.client_id, 3u);
  EXPECT_EQ(out[2].request.client_id, 1u);
  EXPECT_EQ(out[0].ticks.recv_ticks, 100u);
}

TEST(FifoSequencer, never_reorders_requests_with_equal_receive_times) {
  FifoSequencer sequencer(64);
  RequestQueue queue(64);
  // Two reads: session 1 at t=50 (a NEW and its CANCEL), session 2 at t=40, added later.
  ASSERT_TRUE(sequencer.add(request(1, 7, ClientRequestType::kNew), 50));
  ASSERT_TRUE(sequencer.add(request(1, 7, ClientRequestType::kCancel), 50));
  ASSERT_TRUE(sequencer.add(request(1, 8, ClientRequestType::kNew), 50));
  ASSERT_TRUE(sequencer.add(request(2, 1), 40));
  ASSERT_TRUE(sequencer.add(request(2, 2), 40));
  EXPECT_EQ(sequencer.release(queue, 60), 5u);
  const std::vector<MatchingRequest> out = drain(queue);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].request.order_id, 1u);
  EXPECT_EQ(out[1].request.order_id, 2u);
  EXPECT_EQ(out[2].request.msg_type, ClientRequestType::kNew);
  EXPECT_EQ(out[2].request.order_id, 7u);
  EXPECT_EQ(out[3].request.msg_type, ClientRequestType::kCancel);
  EXPECT_EQ(out[4].request.order_id, 8u);
}

TEST(FifoSequencer, pending_shows_what_release_will_push_in_its_order) {
  FifoSequencer sequencer(16);
  RequestQueue queue(16);
  ASSERT_TRUE(sequencer.add(request(1, 10), 300));
  ASSERT_TRUE(sequencer.add(request(2, 20), 100));
  ASSERT_TRUE(sequencer.add(request(3, 30), 200));
  ASSERT_TRUE(sequencer.add(request(4, 40), 400));
  // The first two in receive-time order, then all four when more are asked for.
  const std::span<const MatchingRequest> two = sequencer.pending(2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].request.client_id, 2u);
  EXPECT_EQ(two[1].request.client_id, 3u);
  ASSERT_EQ(sequencer.pending(99).size(), 4u);
  EXPECT_EQ(sequencer.pending(99)[3].request.client_id, 4u);
  // What release() pushes, with max_count = the span's size, is exactly that span.
  std::vector<OrderId> shown;
  for (const MatchingRequest& r : sequencer.pending(3)) {
    shown.push_back(r.request.order_id);
  }
  EXPECT_EQ(sequencer.release(
                queue, 1000, [](const MatchingRequest&) {}, 3),
            3u);
  std::vector<OrderId> pushed;
  for (const MatchingRequest& r : drain(queue)) {
    pushed.push_back(r.request.order_id);
  }
  EXPECT_EQ(pushed, shown);
  EXPECT_EQ(pushed, (std::vector<OrderId>{20, 30, 10}));
  // What is left starts at the one not released; nothing pending: an empty span.
  ASSERT_EQ(sequencer.pending(99).size(), 1u);
  EXPECT_EQ(sequencer.pending(99)[0].request.order_id, 40u);
  EXPECT_EQ(sequencer.release(queue, 1001), 1u);
  EXPECT_TRUE(sequencer.pending(99).empty());
}

TEST(FifoSequencer, stamps_the_sequenced_time_and_clears_later_hops) {
  FifoSequencer sequencer(4);
  RequestQueue queue(4);
  ASSERT_TRUE(sequencer.add(request(1, 1), 10));
  std::vector<std::uint64_t> seen;
  std::vector<std::uint64_t> seen_sequenced;
  EXPECT_EQ(sequencer.release(queue, 77,
                              [&](const MatchingRequest& r) {
                                seen.push_back(r.ticks.recv_ticks);
                                seen_sequenced.push_back(r.ticks.sequenced_ticks);
                              }),
            1u);
  const std::vector<MatchingRequest> out = drain(queue);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ticks.recv_ticks, 10u);
  EXPECT_EQ(out[0].ticks.sequenced_ticks, 77u);
  EXPECT_EQ(out[0].ticks.engine_in_ticks, 0u);
  EXPECT_EQ(seen, std::vector<std::uint64_t>{10});
  // The callback sees the released request stamped too (the order server times the hop).
  EXPECT_EQ(seen_sequenced, std::vector<std::uint64_t>{77});
}

TEST(FifoSequencer, keeps_what_the_engine_queue_cannot_take_and_releases_it_in_order_later) {
  FifoSequencer sequencer(16);
  RequestQueue queue(2);
  for (OrderId id = 1; id <= 5; ++id) {
    ASSERT_TRUE(sequencer.add(request(1, id), id));
  }
  EXPECT_EQ(sequencer.release(queue, 100), 2u);
  EXPECT_EQ(sequencer.size(), 3u);
  // A later cycle adds an older stamp (a backlog read earlier): it goes ahead of the newer
  // pending ones, never ahead of what was already released.
  ASSERT_TRUE(sequencer.add(request(2, 99), 3));
  std::vector<OrderId> order;
  for (int round = 0; round < 10 && !sequencer.empty(); ++round) {
    for (const MatchingRequest& r : drain(queue)) {
      order.push_back(r.request.order_id);
    }
    (void)sequencer.release(queue, 200);
  }
  for (const MatchingRequest& r : drain(queue)) {
    order.push_back(r.request.order_id);
  }
  EXPECT_TRUE(sequencer.empty());
  EXPECT_EQ(order, (std::vector<OrderId>{1, 2, 3, 99, 4, 5}));
}

TEST(FifoSequencer, refuses_to_add_when_full_and_drops_nothing) {
  FifoSequencer sequencer(3);
  RequestQueue queue(1);
  for (OrderId id = 1; id <= 3; ++id) {
    ASSERT_TRUE(sequencer.add(request(1, id), 10));
  }
  EXPECT_FALSE(sequencer.add(request(1, 4), 10));
  EXPECT_EQ(sequencer.free_slots(), 0u);
  std::vector<OrderId> order;
  for (int round = 0; round < 10; ++round) {
    (void)sequencer.release(queue, 20);
    for (const MatchingRequest& r : drain(queue)) {
      order.push_back(r.request.order_id);
    }
    if (sequencer.size() < 3 && order.size() == 1) {
      ASSERT_TRUE(sequencer.add(request(1, 4), 11)) << "room after a release";
    }
  }
  EXPECT_EQ(order, (std::vector<OrderId>{1, 2, 3, 4}));
}

TEST(FifoSequencer, wraps_around_its_storage_many_times) {
  FifoSequencer sequencer(8);
  RequestQueue queue(4);
  OrderId next_in = 1;
  OrderId next_out = 1;
  for (int round = 0; round < 1000; ++round) {
    while (sequencer.add(request(1, next_in), next_in)) {
      ++next_in;
    }
    (void)sequencer.release(queue, next_in);
    for (const MatchingRequest& r : drain(queue)) {
      ASSERT_EQ(r.request.order_id, next_out);
      ++next_out;
    }
  }
  EXPECT_GT(next_out, 2000u);
}

TEST(FifoSequencer, counts_pending_cancel_alls_until_released) {
  FifoSequencer sequencer(4);
  RequestQueue queue(1);
  ASSERT_TRUE(sequencer.add(request(1, 1), 1));
  ASSERT_TRUE(sequencer.add(request(1, 0, kCancelAllOfClient), 2));
  EXPECT_EQ(sequencer.pending_cancel_alls(), 1u);
  EXPECT_EQ(sequencer.release(queue, 3), 1u);
  EXPECT_EQ(sequencer.pending_cancel_alls(), 1u);
  drain(queue);
  EXPECT_EQ(sequencer.release(queue, 4), 1u);
  EXPECT_EQ(sequencer.pending_cancel_alls(), 0u);
  const std::vector<MatchingRequest> out = drain(queue);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].request.msg_type, kCancelAllOfClient);
}

}  // namespace
}  // namespace llt::exchange
