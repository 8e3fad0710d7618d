// The market data pipeline end to end in one process: the real matching engine fed by the
// test, the publisher and the synthesizer on an AgentRunner, and subscribers on loopback.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>

#include "tests/support/md_book_rebuilder.h"
#include "tests/support/md_pipeline.h"
#include "tests/support/md_subscriber.h"

namespace llt::test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kRequests = 30'000;

TEST(MarketDataPipeline,
     incremental_books_stay_uncrossed_with_contiguous_seqs_and_equal_the_final_snapshot) {
  const MdChannel channel = md_random_channel();
  MdSubscriber subscriber(channel, MdSubscriber::Mode::kFromStart);
  subscriber.listen_to_snapshots(true);
  MdPipeline pipeline(channel);

  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (pipeline.requests_sent() < kRequests && std::chrono::steady_clock::now() < deadline) {
    pipeline.feed(std::min<std::uint64_t>(256, kRequests - pipeline.requests_sent()));
    subscriber.poll();
  }
  ASSERT_EQ(pipeline.requests_sent(), kRequests);
  ASSERT_TRUE(pipeline.settle({&subscriber}, 100ms, 20s));
  const SeqNum last = pipeline.last_seq();
  ASSERT_GT(last, kRequests / 2) << "the flow trades and rests orders";

  // Every update arrived, and a snapshot taken after the flow stopped.
  ASSERT_TRUE(subscriber.poll_until(
      [&] {
        return subscriber.next_seq() == last + 1 && subscriber.snapshots().last() &&
               subscriber.snapshots().last()->last_incremental_seq == last;
      },
      5s))
      << "next seq " << subscriber.next_seq() << " of " << last + 1;
  EXPECT_TRUE(subscriber.errors().empty()) << md_join(subscriber.errors());
  EXPECT_GT(subscriber.rebuilder().heartbeats(), 0u) << "the quiet stream sent heartbeats";

  const MdSnapshot& snapshot = *subscriber.snapshots().last();
  EXPECT_EQ(snapshot.tickers, pipeline.options().tickers);
  EXPECT_EQ(md_diff(subscriber.books(), snapshot.books), "");

  const exchange::MarketDataPublisherStats published = pipeline.publisher().stats();
  const exchange::SnapshotSynthesizerStats synthesized = pipeline.synthesizer().stats();
  pipeline.stop();
  EXPECT_EQ(md_diff(pipeline.engine_books(), subscriber.books()), "")
      << "the books rebuilt from market data are the engine's";
  EXPECT_EQ(pipeline.engine().lost_events(), 0u);
  EXPECT_EQ(published.updates_published, last);
  EXPECT_EQ(published.send_errors, 0u);
  EXPECT_EQ(synthesized.inconsistent, 0u);
  EXPECT_EQ(synthesized.capacity_drops, 0u);
  EXPECT_EQ(synthesized.seq_gaps, 0u);
  EXPECT_GE(synthesized.snapshots_published, 2u);
  EXPECT_EQ(pipeline.publisher().latency().count(), last);
}

}  // namespace
}  // namespace llt::test
