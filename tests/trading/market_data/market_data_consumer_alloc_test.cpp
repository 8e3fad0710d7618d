// The market data consumer's hot path allocates nothing after construction.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/support/allocation_counter.h"
#include "tests/trading/market_data/md_test_stream.h"
#include "trading/market_data/market_data_sequencer.h"

namespace llt::test {
namespace {

TEST(MarketDataConsumerAllocation, feeds_gaps_reorders_recoveries_and_restarts_without_allocating) {
  const MdTestStream stream(2'000, 1);
  const MdTestStream restarted(200, 2);
  // Everything the test sends is built before counting.
  const auto datagrams = stream.datagrams(1, 2'000, 4);
  const auto snapshot = stream.snapshot(1'000, 34);
  const auto after_restart = restarted.datagrams(1, 200, 4);
  const auto restart_snapshot = restarted.snapshot(100, 34);
  const std::vector<MarketUpdate> malformed = {md_record(1, static_cast<MarketUpdateType>(42))};

  trading::MarketDataConsumerOptions options;
  options.queue_capacity = 1 << 12;
  options.snapshot_capacity = 1 << 12;
  options.loss_rate = 0.05;
  trading::MarketEventQueue queue(1 << 14);
  trading::MarketDataSequencer sequencer(options, queue);
  // Each outcome (some datagrams dropped by the loss knob, some snapshots ignored) is counted
  // by the sequencer; this test only counts allocations.
  const auto feed = [&](const std::vector<MarketUpdate>& d) {
    (void)sequencer.on_incremental_datagram(d.data(), d.size() * sizeof(MarketUpdate), 1);
  };
  const auto feed_snapshot = [&](const std::vector<std::vector<MarketUpdate>>& s) {
    for (const auto& d : s) {
      (void)sequencer.on_snapshot_datagram(d.data(), d.size() * sizeof(MarketUpdate), 2);
    }
  };
  const auto drain = [&] {
    while (queue.front() != nullptr) {
      queue.pop();
    }
  };

  const std::uint64_t before = thread_allocations();
  for (std::size_t i = 0; i < datagrams.size(); ++i) {
    if (i % 50 == 1 && i + 1 < datagrams.size()) {
      feed(datagrams[i + 1]);  // reordered
    }
    feed(datagrams[i]);
    if (i == 240) {
      feed_snapshot(snapshot);  // taken after 1000: used once recovering
    }
    feed(malformed);
    drain();
  }
  for (const auto& d : after_restart) {
    feed(d);
  }
  feed_snapshot(restart_snapshot);
  drain();
  const std::uint64_t allocations = thread_allocations() - before;

  EXPECT_EQ(allocations, 0u);
  const auto stats = sequencer.stats();
  EXPECT_GT(stats.recoveries_started, 0u);
  EXPECT_GT(stats.restarts_detected, 0u);
  EXPECT_GT(stats.malformed_dropped, 0u);
  EXPECT_GT(stats.recoveries_completed, 0u);
  EXPECT_GT(stats.gaps_healed, 0u);
}

}  // namespace
}  // namespace llt::test
