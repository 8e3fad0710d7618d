// Counts every heap allocation of the process (global operator new replaced) and checks that
// the market data agents make none after start-up: updates, batching, heartbeats, and
// snapshots being copied and sent.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "exchange/market_data/market_data_publisher.h"
#include "exchange/market_data/snapshot_synthesizer.h"
#include "tests/support/allocation_counter.h"
#include "tests/support/md_subscriber.h"

namespace llt::exchange {
namespace {

using namespace std::chrono_literals;

TEST(MarketDataAllocFree, publisher_and_synthesizer_do_not_allocate_after_start_up) {
  const test::MdChannel channel = test::md_random_channel();
  UpdateQueue updates(4096);
  PublishedUpdateQueue published(4096);
  MarketDataPublisherOptions publisher_options;
  publisher_options.group = channel.group;
  publisher_options.port = channel.port;
  publisher_options.heartbeat_ms = 1;
  SnapshotSynthesizerOptions synthesizer_options;
  synthesizer_options.group = channel.group;
  synthesizer_options.port = channel.snapshot_port;
  synthesizer_options.tickers = {1, 2};
  synthesizer_options.max_orders_per_ticker = 4096;
  synthesizer_options.snapshot_interval_ms = 1;
  synthesizer_options.max_records_per_poll = 64;
  synthesizer_options.max_datagrams_per_poll = 2;
  MarketDataPublisher publisher(publisher_options, updates, published);
  SnapshotSynthesizer synthesizer(synthesizer_options, published);
  publisher.on_start();
  synthesizer.on_start();

  // A stream that adds 1000 orders per ticker, then modifies and cancels them.
  std::vector<MatchingUpdate> stream;
  for (OrderId id = 1; id <= 1000; ++id) {
    for (TickerId ticker = 1; ticker <= 2; ++ticker) {
      MatchingUpdate update{};
      update.update.msg_type = MarketUpdateType::kAdd;
      update.update.order_id = id;
      update.update.ticker_id = ticker;
      update.update.side = id % 2 == 0 ? Side::kBuy : Side::kSell;
      update.update.price = id % 2 == 0 ? 100 : 200;
      update.update.qty = 10;
      update.update.priority = id;
      stream.push_back(update);
    }
  }
  for (OrderId id = 1; id <= 1000; ++id) {
    MatchingUpdate update = stream[2 * (id - 1)];
    update.update.msg_type = id % 3 == 0 ? MarketUpdateType::kModify : MarketUpdateType::kCancel;
    update.update.qty = 5;
    stream.push_back(update);
  }

  const std::uint64_t before = llt::test::process_allocations();
  std::size_t next = 0;
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while ((next < stream.size() || synthesizer.stats().snapshots_published < 5 ||
          publisher.stats().heartbeats < 2) &&
         std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 50 && next < stream.size() && updates.try_push(stream[next]); ++i) {
      ++next;
    }
    (void)publisher.poll();
    (void)synthesizer.poll();
  }
  const std::uint64_t allocations = llt::test::process_allocations() - before;
  EXPECT_EQ(next, stream.size());
  EXPECT_GE(synthesizer.stats().snapshots_published, 5u);
  EXPECT_GE(publisher.stats().heartbeats, 2u);
  EXPECT_EQ(allocations, 0u);
}

}  // namespace
}  // namespace llt::exchange
