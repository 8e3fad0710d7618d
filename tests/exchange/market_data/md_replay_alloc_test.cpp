// Counts every heap allocation of the process (global operator new replaced) and checks that
// the publisher writing its replay ring and the replay agent accepting connections, answering
// requests (served, refused, bad) and closing a garbage sender make none after start-up.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "exchange/market_data/market_data_publisher.h"
#include "exchange/market_data/md_replay_ring.h"
#include "exchange/market_data/md_replay_server.h"
#include "exchange/protocol/md_replay.h"
#include "tests/support/allocation_counter.h"
#include "tests/support/md_subscriber.h"
#include "tests/support/tcp_connect.h"

namespace llt::exchange {
namespace {

using namespace std::chrono_literals;

TEST(MdReplayAllocFree, ring_writes_and_replay_answers_do_not_allocate_after_start_up) {
  const test::MdChannel channel = test::md_random_channel();
  UpdateQueue updates(4096);
  PublishedUpdateQueue published(4096);
  MarketDataPublisherOptions publisher_options;
  publisher_options.group = channel.group;
  publisher_options.port = channel.port;
  MarketDataPublisher publisher(publisher_options, updates, published);
  MdReplayRing ring(1000);
  publisher.set_replay_ring(&ring);
  MdReplayServerOptions server_options;
  server_options.idle_poll_interval_us = 0;
  MdReplayServer server(server_options, ring);
  publisher.on_start();
  server.on_start();

  // Connected before counting (the client side allocates its buffers); the agent accepts them
  // while counted.
  std::vector<common::TcpConnection> clients;
  clients.reserve(3);
  for (int i = 0; i < 3; ++i) {
    clients.push_back(test::connect_blocking("127.0.0.1", server.port(), 5s, 1 << 20, 1 << 12));
  }
  const std::vector<MdReplayRequest> requests{
      {1, 500, 0}, {1'500, 10, 0}, {600, 0, 0}, {2'000, 10, 0}, {900, 200, 0}};
  std::vector<std::uint64_t> ends(clients.size(), 0);

  const std::uint64_t before = llt::test::process_allocations();
  std::uint64_t fed = 0;
  bool requested = false;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline &&
         (ends[0] < requests.size() || ends[1] < 1 || ends[2] < 1)) {
    for (int i = 0; i < 50 && fed < 3'000; ++i) {
      MatchingUpdate update{};
      update.update.msg_type = MarketUpdateType::kAdd;
      update.update.order_id = fed + 1;
      update.update.ticker_id = 1;
      update.update.side = Side::kBuy;
      update.update.price = 100;
      update.update.qty = 1;
      if (!updates.try_push(update)) {
        break;
      }
      ++fed;
    }
    (void)publisher.poll();
    while (published.front() != nullptr) {
      published.pop();
    }
    if (!requested && fed >= 1'000 && publisher.stats().last_seq >= 1'000) {
      (void)clients[0].send(requests.data(), requests.size() * sizeof(MdReplayRequest));
      const MdReplayRequest one{10, 10, 0};
      (void)clients[1].send(&one, sizeof(one));
      const MdReplayRequest garbage{10, 10, 1};
      (void)clients[2].send(&garbage, sizeof(garbage));
      requested = true;
    }
    (void)server.poll();
    for (std::size_t c = 0; c < clients.size(); ++c) {
      (void)clients[c].read_some();
      while (const auto* update = clients[c].peek_message<MarketUpdate>()) {
        if (update->msg_type == MarketUpdateType::kReplayEnd) {
          ++ends[c];
        }
        clients[c].consume(sizeof(MarketUpdate));
      }
    }
  }
  const std::uint64_t allocations = llt::test::process_allocations() - before;
  EXPECT_EQ(ends[0], requests.size());
  EXPECT_EQ(ends[1], 1U);
  EXPECT_EQ(ends[2], 1U);
  EXPECT_GT(server.stats().records_sent, 0U);
  EXPECT_EQ(server.stats().garbage_closed, 1U);
  EXPECT_EQ(allocations, 0U);
}

}  // namespace
}  // namespace llt::exchange
