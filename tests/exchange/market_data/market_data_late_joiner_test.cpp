// docs/recovery.md, Late joiners: a subscriber that starts late rebuilds the exchange's exact
// books from the snapshot stream plus the incrementals it queued meanwhile.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <thread>

#include "tests/support/md_book_rebuilder.h"
#include "tests/support/md_pipeline.h"
#include "tests/support/md_subscriber.h"

namespace llt::test {
namespace {

using namespace std::chrono_literals;

// Feeds the pipeline until the stream has passed `seq`, polling the subscriber.
bool run_flow_until(MdPipeline& pipeline, MdSubscriber& subscriber, SeqNum seq,
                    std::chrono::milliseconds limit = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (pipeline.last_seq() < seq && std::chrono::steady_clock::now() < deadline) {
    pipeline.feed(256);
    subscriber.poll();
  }
  return pipeline.last_seq() >= seq;
}

MdPipelineOptions late_joiner_options(std::uint64_t seed) {
  MdPipelineOptions options;
  options.snapshot_interval_ms = 30;
  options.flow_seed = seed;
  return options;
}

// Staged so that every step is certain: the late joiner's sockets hold a snapshot taken after
// it joined, then the incrementals after that snapshot, before it reads anything.
TEST(MarketDataLateJoiner, recovers_from_a_snapshot_and_the_incrementals_queued_after_it) {
  const MdChannel channel = md_random_channel();
  MdSubscriber from_start(channel, MdSubscriber::Mode::kFromStart);
  MdPipeline pipeline(channel, late_joiner_options(42));
  ASSERT_TRUE(run_flow_until(pipeline, from_start, 10'000));
  ASSERT_TRUE(pipeline.settle({&from_start}, 50ms, 20s));
  const SeqNum joined_at = pipeline.last_seq();

  MdSubscriber late(channel, MdSubscriber::Mode::kRecover);
  EXPECT_FALSE(late.synced());
  const std::uint64_t snapshots_before = pipeline.synthesizer().stats().snapshots_published;
  ASSERT_TRUE(from_start.poll_until(
      [&] { return pipeline.synthesizer().stats().snapshots_published >= snapshots_before + 2; },
      5s))
      << "a whole snapshot sent after the late joiner joined";
  ASSERT_TRUE(run_flow_until(pipeline, from_start, joined_at + 3'000));
  ASSERT_TRUE(pipeline.settle({&from_start}, 50ms, 20s));
  const SeqNum last = pipeline.last_seq();

  ASSERT_TRUE(late.poll_until([&] { return late.synced() && late.next_seq() == last + 1; }, 5s))
      << "late joiner at " << late.next_seq() << ", stream at " << last + 1;
  ASSERT_TRUE(from_start.poll_until([&] { return from_start.next_seq() == last + 1; }, 5s));

  ASSERT_TRUE(late.recovered_from().has_value());
  EXPECT_EQ(late.recovered_from()->last_incremental_seq, joined_at);
  EXPECT_EQ(late.queued_applied(), last - joined_at) << "every later update came from the queue";
  EXPECT_EQ(late.recoveries(), 1u);
  EXPECT_FALSE(late.snapshot_joined()) << "left the snapshot stream once recovered";
  EXPECT_TRUE(late.errors().empty()) << md_join(late.errors());
  EXPECT_TRUE(from_start.errors().empty()) << md_join(from_start.errors());
  EXPECT_EQ(md_diff(from_start.books(), late.books()), "");

  pipeline.stop();
  EXPECT_EQ(md_diff(pipeline.engine_books(), late.books()), "")
      << "the late joiner's books are the engine's";
}

// The same while the flow never pauses: the snapshot is sent over many runner passes while
// updates keep coming, and the two streams may arrive in any interleaving.
TEST(MarketDataLateJoiner, recovers_to_the_exact_books_while_the_flow_goes_on) {
  const MdChannel channel = md_random_channel();
  MdSubscriber from_start(channel, MdSubscriber::Mode::kFromStart);
  MdPipelineOptions options = late_joiner_options(43);
  options.snapshot_datagrams_per_poll = 2;
  MdPipeline pipeline(channel, options);
  ASSERT_TRUE(run_flow_until(pipeline, from_start, 10'000));

  MdSubscriber late(channel, MdSubscriber::Mode::kRecover);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  std::uint64_t after_recovery = 0;
  while (after_recovery < 2'000 && std::chrono::steady_clock::now() < deadline) {
    const std::size_t fed = pipeline.feed(64);
    from_start.poll();
    late.poll();
    if (late.synced()) {
      after_recovery += fed;
    }
  }
  ASSERT_TRUE(late.synced()) << "no complete snapshot in time";
  ASSERT_TRUE(pipeline.settle({&from_start, &late}, 100ms, 20s));
  const SeqNum last = pipeline.last_seq();
  ASSERT_TRUE(from_start.poll_until(
      [&] {
        late.poll();
        return from_start.next_seq() == last + 1 && late.next_seq() == last + 1;
      },
      5s))
      << "late joiner at " << late.next_seq() << ", from start at " << from_start.next_seq()
      << ", stream at " << last + 1;

  ASSERT_TRUE(late.recovered_from().has_value());
  EXPECT_GE(late.recovered_from()->last_incremental_seq, 10'000u) << "not a replay from seq 1";
  EXPECT_GE(late.recoveries(), 1u);
  EXPECT_TRUE(late.errors().empty()) << md_join(late.errors());
  EXPECT_TRUE(from_start.errors().empty()) << md_join(from_start.errors());
  EXPECT_EQ(md_diff(from_start.books(), late.books()), "");

  pipeline.stop();
  EXPECT_EQ(md_diff(pipeline.engine_books(), late.books()), "")
      << "the late joiner's books are the engine's";
}

}  // namespace
}  // namespace llt::test
