// The market data consumer's protocol core, fed crafted datagrams (docs/recovery.md).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tests/support/md_book_rebuilder.h"
#include "tests/trading/market_data/md_test_stream.h"
#include "trading/market_data/datagram_loss_filter.h"
#include "trading/market_data/market_data_sequencer.h"

namespace llt::test {
namespace {

using trading::MarketDataConsumerOptions;
using trading::MarketDataSequencer;
using trading::MarketEventQueue;
using Result = MarketDataSequencer::DatagramResult;

// One sequencer, its output queue and the trade-engine-side books its events build.
struct Harness {
  explicit Harness(const MarketDataConsumerOptions& options = small_options(),
                   std::size_t queue_capacity = 1 << 14)
      : queue(queue_capacity), sequencer(options, queue) {}

  static MarketDataConsumerOptions small_options() {
    MarketDataConsumerOptions options;
    options.queue_capacity = 1024;
    options.snapshot_capacity = 4096;
    options.restart_window = 256;
    return options;
  }

  Result incremental(const std::vector<MarketUpdate>& datagram) {
    return sequencer.on_incremental_datagram(datagram.data(),
                                             datagram.size() * sizeof(MarketUpdate), ++tsc);
  }
  void incrementals(const std::vector<std::vector<MarketUpdate>>& datagrams) {
    for (const auto& datagram : datagrams) {
      incremental(datagram);
    }
  }
  void snapshot(const std::vector<std::vector<MarketUpdate>>& datagrams) {
    // Once the books are rebuilt the rest of the stream is ignored: the tests check the books
    // and the counters, not each datagram's outcome.
    for (const auto& datagram : datagrams) {
      (void)sequencer.on_snapshot_datagram(datagram.data(), datagram.size() * sizeof(MarketUpdate),
                                           ++tsc);
    }
  }
  std::size_t drain() { return books.drain(queue); }
  trading::MarketDataConsumerStats stats() const { return sequencer.stats(); }

  std::uint64_t tsc = 1000;
  MarketEventQueue queue;
  MarketDataSequencer sequencer;
  MdEventBooks books;
};

// The books the events built equal the exchange's after `seq`, and the stream checks held.
void expect_books_at(const Harness& h, const MdTestStream& stream, SeqNum seq) {
  EXPECT_TRUE(h.books.errors().empty()) << md_join(h.books.errors());
  EXPECT_EQ(h.books.next_seq(), seq + 1);
  EXPECT_EQ(md_diff(md_without_empty(stream.books_at(seq)), md_without_empty(h.books.books())), "");
}

TEST(MarketDataSequencer, forwards_an_in_order_stream_unchanged_with_its_read_stamps) {
  const MdTestStream stream(60);
  Harness h;
  h.incrementals(stream.datagrams(1, 60, 4));
  h.incremental({md_heartbeat(61)});
  ASSERT_EQ(h.drain(), 60u);
  for (SeqNum seq = 1; seq <= 60; ++seq) {
    EXPECT_EQ(h.books.seen()[seq - 1].update, stream.at(seq));
    EXPECT_EQ(h.books.seen()[seq - 1].read_tsc, 1000 + (seq - 1) / 4 + 1) << seq;
  }
  expect_books_at(h, stream, 60);
  const auto stats = h.stats();
  EXPECT_EQ(stats.incremental_datagrams, 16u);
  EXPECT_EQ(stats.events_forwarded, 60u);
  EXPECT_EQ(stats.next_seq, 61u);
  EXPECT_EQ(stats.gaps_detected, 0u);
  EXPECT_EQ(stats.recoveries_started, 0u);
  EXPECT_FALSE(h.sequencer.recovering());
  EXPECT_FALSE(h.sequencer.wants_snapshot_stream());
}

TEST(MarketDataSequencer, starts_at_seq_1_or_a_heartbeat_of_1_without_recovering) {
  Harness h;
  h.incremental({md_heartbeat(1)});
  EXPECT_FALSE(h.sequencer.recovering());
  const MdTestStream stream(3);
  h.incrementals(stream.datagrams(1, 3, 3));
  EXPECT_EQ(h.drain(), 3u);
  EXPECT_EQ(h.stats().recoveries_started, 0u);
}

// Replayed records (docs/recovery.md, step 2) fill the hole like late incrementals; the
// recovery then ends "by replay", and replay_range() says what to ask for next.
TEST(MarketDataSequencer, replayed_records_fill_the_holes_one_range_at_a_time) {
  const MdTestStream stream(100);
  Harness h;
  exchange::SeqNum from = 0;
  std::uint32_t count = 0;
  h.incrementals(stream.datagrams(1, 20, 5));
  EXPECT_FALSE(h.sequencer.replay_range(from, count)) << "not recovering";
  h.incrementals(stream.datagrams(26, 40, 5));  // 21..25 lost
  h.incrementals(stream.datagrams(46, 50, 5));  // 41..45 lost
  ASSERT_TRUE(h.sequencer.recovering());
  const std::uint64_t recovery = h.sequencer.recovery_number();
  ASSERT_TRUE(h.sequencer.replay_range(from, count));
  EXPECT_EQ(from, 21u);
  EXPECT_EQ(count, 5u) << "up to the first update held";
  for (SeqNum seq = 21; seq <= 25; ++seq) {
    h.sequencer.on_replay_record(stream.at(seq), ++h.tsc);
  }
  h.sequencer.on_replay_record(stream.at(10), ++h.tsc);  // older than the books: unused
  (void)h.sequencer.flush();
  EXPECT_TRUE(h.sequencer.recovering()) << "the second hole is still open";
  EXPECT_EQ(h.sequencer.recovery_number(), recovery) << "the same recovery";
  ASSERT_TRUE(h.sequencer.replay_range(from, count));
  EXPECT_EQ(from, 41u);
  EXPECT_EQ(count, 5u);
  for (SeqNum seq = 41; seq <= 45; ++seq) {
    h.sequencer.on_replay_record(stream.at(seq), ++h.tsc);
  }
  (void)h.sequencer.flush();
  EXPECT_FALSE(h.sequencer.recovering());
  EXPECT_FALSE(h.sequencer.replay_range(from, count));
  h.drain();
  expect_books_at(h, stream, 50);
  const auto stats = h.stats();
  EXPECT_EQ(stats.recoveries_started, 1u);
  EXPECT_EQ(stats.recoveries_by_replay, 1u);
  EXPECT_EQ(stats.recoveries_completed, 0u);
  EXPECT_EQ(stats.gaps_healed, 0u);
  EXPECT_EQ(stats.replay_records, 10u);
  EXPECT_EQ(stats.replay_records_unused, 1u);
  EXPECT_EQ(stats.last_replay_recovery_ns, stats.last_recovery_ns);
  EXPECT_EQ(h.sequencer.replay_recovery_ns().count(), 1u);
  EXPECT_EQ(h.sequencer.snapshot_recovery_ns().count(), 0u);
}

// A lost tail (seen by a heartbeat): the range runs up to the heartbeat's number. A snapshot
// that wins the race makes the replayed records that come after it unused.
TEST(MarketDataSequencer, a_snapshot_that_wins_the_race_makes_the_replay_unused) {
  const MdTestStream stream(100);
  Harness h;
  exchange::SeqNum from = 0;
  std::uint32_t count = 0;
  h.incrementals(stream.datagrams(1, 20, 5));
  h.incremental({md_heartbeat(31)});  // 21..30 lost
  ASSERT_TRUE(h.sequencer.replay_range(from, count));
  EXPECT_EQ(from, 21u);
  EXPECT_EQ(count, 10u);
  h.snapshot(stream.snapshot(30));
  EXPECT_FALSE(h.sequencer.recovering());
  h.sequencer.on_replay_record(stream.at(21), ++h.tsc);
  (void)h.sequencer.flush();
  h.drain();
  expect_books_at(h, stream, 30);
  const auto stats = h.stats();
  EXPECT_EQ(stats.recoveries_completed, 1u);
  EXPECT_EQ(stats.recoveries_by_replay, 0u);
  EXPECT_EQ(stats.replay_records_unused, 1u);
  EXPECT_EQ(stats.last_snapshot_recovery_ns, stats.last_recovery_ns);
}

TEST(MarketDataSequencer, a_late_start_is_not_replayed) {
  const MdTestStream stream(100);
  Harness h;
  exchange::SeqNum from = 0;
  std::uint32_t count = 0;
  h.incrementals(stream.datagrams(31, 40, 5));
  ASSERT_TRUE(h.sequencer.recovering());
  EXPECT_FALSE(h.sequencer.replay_range(from, count)) << "the snapshot stream is the way in";
}

TEST(MarketDataSequencer, recovers_from_a_gap_through_a_snapshot_and_the_queued_updates) {
  const MdTestStream stream(100);
  Harness h;
  h.incrementals(stream.datagrams(1, 20, 5));
  h.incrementals(stream.datagrams(31, 60, 5));  // 21..30 lost
  EXPECT_TRUE(h.sequencer.recovering());
  EXPECT_TRUE(h.sequencer.wants_snapshot_stream());
  EXPECT_EQ(h.drain(), 20u) << "nothing past the hole is forwarded";

  h.snapshot(stream.snapshot(40));  // includes the hole; 41..60 are queued
  EXPECT_FALSE(h.sequencer.recovering());
  EXPECT_FALSE(h.sequencer.wants_snapshot_stream());
  h.incrementals(stream.datagrams(61, 100, 5));
  h.drain();
  expect_books_at(h, stream, 100);
  EXPECT_EQ(h.books.frames(), 1u);
  const auto stats = h.stats();
  EXPECT_EQ(stats.gaps_detected, 1u);
  EXPECT_EQ(stats.recoveries_started, 1u);
  EXPECT_EQ(stats.recoveries_completed, 1u);
  EXPECT_EQ(stats.gaps_healed, 0u);
  EXPECT_EQ(stats.next_seq, 101u);
  EXPECT_EQ(stats.last_recovery_ns, stats.max_recovery_ns);
}

TEST(MarketDataSequencer, applies_a_snapshot_ahead_of_the_queue_and_drops_what_it_covers) {
  const MdTestStream stream(50);
  Harness h;
  h.incrementals(stream.datagrams(1, 10, 5));
  h.incrementals(stream.datagrams(16, 20, 5));  // 11..15 lost
  h.snapshot(stream.snapshot(30));              // taken after 21..30 were sent
  EXPECT_FALSE(h.sequencer.recovering());
  h.incrementals(stream.datagrams(21, 50, 5));  // 21..30 are older than the books now
  h.drain();
  expect_books_at(h, stream, 50);
  EXPECT_EQ(h.stats().duplicates_dropped, 10u);
}

TEST(MarketDataSequencer, drops_duplicates_and_stale_updates_once_applied) {
  const MdTestStream stream(30);
  Harness h;
  const auto datagrams = stream.datagrams(1, 30, 5);
  h.incrementals({datagrams[0], datagrams[1], datagrams[1], datagrams[2], datagrams[1]});
  h.incrementals({datagrams[3], datagrams[4], datagrams[5]});
  EXPECT_EQ(h.drain(), 30u);
  expect_books_at(h, stream, 30);
  EXPECT_EQ(h.stats().duplicates_dropped, 10u);
  EXPECT_EQ(h.stats().recoveries_started, 0u);
}

TEST(MarketDataSequencer, heals_reordered_datagrams_without_a_snapshot) {
  const MdTestStream stream(40);
  Harness h;
  const auto datagrams = stream.datagrams(1, 40, 5);
  h.incrementals({datagrams[0], datagrams[2], datagrams[3]});  // 6..10 late
  EXPECT_TRUE(h.sequencer.recovering());
  EXPECT_EQ(h.drain(), 5u);
  h.incremental(datagrams[3]);  // a duplicate of a held one
  h.incremental(datagrams[1]);
  EXPECT_FALSE(h.sequencer.recovering());
  EXPECT_FALSE(h.sequencer.wants_snapshot_stream());
  h.incrementals({datagrams[4], datagrams[5], datagrams[6], datagrams[7]});
  h.drain();
  expect_books_at(h, stream, 40);
  EXPECT_EQ(h.books.frames(), 0u);
  const auto stats = h.stats();
  EXPECT_EQ(stats.gaps_detected, 1u);
  EXPECT_EQ(stats.gaps_healed, 1u);
  EXPECT_EQ(stats.recoveries_completed, 0u);
  EXPECT_EQ(stats.duplicates_dropped, 5u);
}

TEST(MarketDataSequencer, a_first_datagram_that_came_second_is_a_new_stream_not_a_refill) {
  // seq 1 after seq 6..10: a restarted exchange looks exactly like this, so the books come
  // from a snapshot rather than from two streams spliced together.
  const MdTestStream stream(10);
  Harness h;
  h.incremental(stream.datagrams(6, 10, 5)[0]);
  EXPECT_TRUE(h.sequencer.recovering());
  h.incremental(stream.datagrams(1, 5, 5)[0]);
  EXPECT_TRUE(h.sequencer.recovering());
  EXPECT_EQ(h.stats().restarts_detected, 1u);
  h.snapshot(stream.snapshot(10));
  EXPECT_FALSE(h.sequencer.recovering());
  h.drain();
  expect_books_at(h, stream, 10);
  EXPECT_EQ(h.stats().gaps_healed, 0u);
  EXPECT_EQ(h.stats().recoveries_completed, 1u);
}

TEST(MarketDataSequencer, an_exchange_restart_during_a_late_start_recovery_is_not_spliced) {
  const MdTestStream before(60, 1);
  const MdTestStream after(30, 2);
  Harness h;
  h.incrementals(before.datagrams(51, 60, 5));  // a late start on the old exchange
  EXPECT_TRUE(h.sequencer.recovering());
  h.incrementals(after.datagrams(1, 20, 5));  // the new exchange's stream from seq 1
  EXPECT_TRUE(h.sequencer.recovering());
  EXPECT_EQ(h.stats().restarts_detected, 1u);
  EXPECT_EQ(h.drain(), 0u) << "nothing forwarded before the new exchange's snapshot";
  h.snapshot(after.snapshot(20));
  EXPECT_FALSE(h.sequencer.recovering());
  h.incrementals(after.datagrams(21, 30, 5));
  h.drain();
  EXPECT_TRUE(h.books.errors().empty()) << md_join(h.books.errors());
  EXPECT_EQ(md_diff(md_without_empty(after.books_at(30)), md_without_empty(h.books.books())), "");
  EXPECT_EQ(h.stats().gaps_healed, 0u);
}

TEST(MarketDataSequencer, detects_a_lost_tail_from_a_heartbeat) {
  const MdTestStream stream(30);
  Harness h;
  h.incrementals(stream.datagrams(1, 25, 5));  // 26..30 lost, then the exchange goes idle
  EXPECT_FALSE(h.sequencer.recovering());
  h.incremental({md_heartbeat(31)});
  EXPECT_TRUE(h.sequencer.recovering());
  h.snapshot(stream.snapshot(30));
  EXPECT_FALSE(h.sequencer.recovering());
  h.incremental({md_heartbeat(31)});
  EXPECT_FALSE(h.sequencer.recovering()) << "the heartbeat confirms the snapshot's seq + 1";
  h.drain();
  expect_books_at(h, stream, 30);
  EXPECT_EQ(h.stats().gaps_detected, 1u);
  EXPECT_EQ(h.stats().recoveries_completed, 1u);
}

TEST(MarketDataSequencer, waits_for_the_next_snapshot_when_one_misses_a_record) {
  const MdTestStream stream(40);
  Harness h;
  h.incrementals(stream.datagrams(1, 10, 5));
  h.incrementals(stream.datagrams(16, 30, 5));
  auto broken = stream.snapshot(20, 3);
  ASSERT_GE(broken.size(), 3u);
  broken.erase(broken.begin() + 1);  // records 3..5 lost
  h.snapshot(broken);
  EXPECT_TRUE(h.sequencer.recovering());
  EXPECT_EQ(h.stats().snapshots_discarded, 1u);
  EXPECT_EQ(h.drain(), 10u) << "nothing of the broken snapshot is forwarded";
  EXPECT_EQ(h.books.frames(), 0u);

  h.snapshot(stream.snapshot(25, 3));
  EXPECT_FALSE(h.sequencer.recovering());
  h.incrementals(stream.datagrams(31, 40, 5));
  h.drain();
  expect_books_at(h, stream, 40);
  EXPECT_EQ(h.books.frames(), 1u);
}

TEST(MarketDataSequencer, skips_a_snapshot_that_the_queued_updates_do_not_continue) {
  const MdTestStream stream(60);
  Harness h;
  h.incrementals(stream.datagrams(1, 10, 5));
  h.incrementals(stream.datagrams(21, 40, 5));  // 11..20 lost
  h.snapshot(stream.snapshot(15));              // older than the queue: 16..20 missing
  EXPECT_TRUE(h.sequencer.recovering());
  EXPECT_EQ(h.stats().snapshots_unusable, 1u);
  h.snapshot(stream.snapshot(8));  // older than the books
  EXPECT_EQ(h.stats().snapshots_unusable, 2u);
  h.snapshot(stream.snapshot(20));
  EXPECT_FALSE(h.sequencer.recovering());
  h.incrementals(stream.datagrams(41, 60, 5));
  h.drain();
  expect_books_at(h, stream, 60);
}

TEST(MarketDataSequencer, recovers_on_a_late_start) {
  const MdTestStream stream(80);
  Harness h;
  h.incrementals(stream.datagrams(41, 60, 5));
  EXPECT_TRUE(h.sequencer.recovering());
  EXPECT_EQ(h.drain(), 0u);
  h.snapshot(stream.snapshot(45));
  EXPECT_FALSE(h.sequencer.recovering());
  h.incrementals(stream.datagrams(61, 80, 5));
  h.drain();
  expect_books_at(h, stream, 80);
  EXPECT_EQ(h.stats().recoveries_completed, 1u);
}

TEST(MarketDataSequencer, recovers_on_a_late_start_while_the_exchange_is_idle) {
  const MdTestStream stream(30);
  Harness h;
  h.incremental({md_heartbeat(31)});
  EXPECT_TRUE(h.sequencer.recovering());
  h.snapshot(stream.snapshot(29));  // older than the heartbeat says the stream is
  EXPECT_TRUE(h.sequencer.recovering());
  h.snapshot(stream.snapshot(30));
  EXPECT_FALSE(h.sequencer.recovering());
  h.incremental({md_heartbeat(31)});
  EXPECT_FALSE(h.sequencer.recovering());
  h.drain();
  expect_books_at(h, stream, 30);
}

TEST(MarketDataSequencer, forgets_everything_and_recovers_when_the_exchange_restarts) {
  const MdTestStream before(50, 1);
  const MdTestStream after(40, 2);
  Harness h;
  h.incrementals(before.datagrams(1, 50, 5));
  h.incrementals(after.datagrams(1, 20, 5));  // seq_num back to 1
  EXPECT_TRUE(h.sequencer.recovering());
  EXPECT_EQ(h.stats().restarts_detected, 1u);
  EXPECT_EQ(h.drain(), 50u) << "nothing of the new exchange before its snapshot";
  h.snapshot(after.snapshot(10));
  EXPECT_FALSE(h.sequencer.recovering());
  h.incrementals(after.datagrams(21, 40, 5));
  h.drain();
  EXPECT_TRUE(h.books.errors().empty()) << md_join(h.books.errors());
  EXPECT_EQ(h.books.next_seq(), 41u);
  EXPECT_EQ(md_diff(md_without_empty(after.books_at(40)), md_without_empty(h.books.books())), "");
}

TEST(MarketDataSequencer, detects_a_restart_from_a_heartbeat_far_below_the_stream) {
  const MdTestStream before(600, 1);
  const MdTestStream after(5, 2);
  Harness h;  // restart_window 256
  h.incrementals(before.datagrams(1, 600, 30));
  h.incremental({md_heartbeat(590)});  // a late datagram's worth below: not a restart
  EXPECT_EQ(h.stats().restarts_detected, 0u);
  EXPECT_FALSE(h.sequencer.recovering());
  h.incremental({md_heartbeat(6)});
  EXPECT_EQ(h.stats().restarts_detected, 1u);
  EXPECT_TRUE(h.sequencer.recovering());
  h.snapshot(after.snapshot(5));
  EXPECT_FALSE(h.sequencer.recovering());
  h.drain();
  EXPECT_EQ(md_diff(md_without_empty(after.books_at(5)), md_without_empty(h.books.books())), "");
}

TEST(MarketDataSequencer, drops_and_counts_malformed_datagrams) {
  const MdTestStream stream(10);
  Harness h;
  const std::vector<MarketUpdate> good = stream.datagrams(1, 5, 5)[0];
  std::vector<unsigned char> bytes(good.size() * sizeof(MarketUpdate));
  std::memcpy(bytes.data(), good.data(), bytes.size());
  EXPECT_EQ(h.sequencer.on_incremental_datagram(bytes.data(), 41, 1), Result::kMalformed);
  EXPECT_EQ(h.sequencer.on_incremental_datagram(bytes.data(), 0, 1), Result::kMalformed);
  EXPECT_EQ(h.sequencer.on_incremental_datagram(bytes.data(), bytes.size() - 1, 1),
            Result::kMalformed);
  std::vector<MarketUpdate> too_many(35, stream.at(1));
  EXPECT_EQ(h.incremental(too_many), Result::kMalformed);
  std::vector<MarketUpdate> unknown = good;
  unknown[3].msg_type = static_cast<MarketUpdateType>(9);
  EXPECT_EQ(h.incremental(unknown), Result::kMalformed);
  std::vector<MarketUpdate> wrong_stream = good;
  wrong_stream[2].msg_type = MarketUpdateType::kSnapshotStart;
  EXPECT_EQ(h.incremental(wrong_stream), Result::kMalformed);
  EXPECT_EQ(h.drain(), 0u) << "a malformed datagram is dropped whole";
  EXPECT_EQ(h.stats().malformed_dropped, 6u);
  EXPECT_EQ(h.stats().recoveries_started, 0u);

  h.incrementals(stream.datagrams(1, 10, 5));
  h.drain();
  expect_books_at(h, stream, 10);
}

TEST(MarketDataSequencer, counts_a_malformed_snapshot_datagram_and_waits_for_a_good_snapshot) {
  const MdTestStream stream(20);
  Harness h;
  h.incrementals(stream.datagrams(11, 20, 5));  // late start
  auto snapshot = stream.snapshot(10, 4);
  std::vector<MarketUpdate> bad = snapshot[0];
  bad[1].msg_type = MarketUpdateType::kModify;  // not a snapshot record type
  h.snapshot({bad});
  EXPECT_EQ(h.stats().malformed_dropped, 1u);
  EXPECT_TRUE(h.sequencer.recovering());
  h.snapshot(snapshot);
  EXPECT_FALSE(h.sequencer.recovering());
  h.drain();
  expect_books_at(h, stream, 20);
}

TEST(MarketDataSequencer, holds_everything_while_the_output_queue_is_full) {
  const MdTestStream stream(80);
  Harness h(Harness::small_options(), 8);
  const auto datagrams = stream.datagrams(1, 40, 5);
  std::size_t fed = 0;
  while (fed < datagrams.size() && !h.sequencer.blocked()) {
    h.incremental(datagrams[fed++]);
  }
  ASSERT_TRUE(h.sequencer.blocked());
  // The consumer would stop reading here; draining a little at a time lets it continue.
  for (int round = 0; round < 200 && (fed < datagrams.size() || h.sequencer.blocked()); ++round) {
    h.drain();
    h.sequencer.flush();
    if (!h.sequencer.blocked() && fed < datagrams.size()) {
      h.incremental(datagrams[fed++]);
    }
  }
  // A recovery while blocked: the snapshot and the queued updates after it also wait.
  h.incrementals(stream.datagrams(46, 60, 5));  // 41..45 lost
  h.snapshot(stream.snapshot(50));
  for (int round = 0; round < 200 && h.sequencer.blocked(); ++round) {
    h.drain();
    h.sequencer.flush();
  }
  h.drain();
  EXPECT_FALSE(h.sequencer.blocked());
  h.incrementals(stream.datagrams(61, 62, 5));
  h.drain();
  h.incrementals(stream.datagrams(63, 64, 5));
  h.drain();
  expect_books_at(h, stream, 64);
}

TEST(MarketDataSequencer, counts_a_snapshot_too_large_for_its_array) {
  const MdTestStream stream(40);
  MarketDataConsumerOptions options = Harness::small_options();
  options.snapshot_capacity = 5;
  Harness h(options);
  h.incrementals(stream.datagrams(21, 30, 5));
  h.snapshot(stream.snapshot(20));
  EXPECT_EQ(h.stats().snapshots_too_large, 1u);
  EXPECT_TRUE(h.sequencer.recovering());
  EXPECT_EQ(h.drain(), 0u);
}

TEST(MarketDataSequencer, rejects_options_out_of_range) {
  MarketEventQueue queue(8);
  MarketDataConsumerOptions options;
  options.queue_capacity = 10;
  EXPECT_THROW(MarketDataSequencer(options, queue), std::invalid_argument);
  options = {};
  options.snapshot_capacity = 1;
  EXPECT_THROW(MarketDataSequencer(options, queue), std::invalid_argument);
  options = {};
  options.loss_rate = 1.5;
  EXPECT_THROW(MarketDataSequencer(options, queue), std::invalid_argument);
  options = {};
  options.restart_window = 0;
  EXPECT_THROW(MarketDataSequencer(options, queue), std::invalid_argument);
}

TEST(DatagramLossFilter, drops_nothing_at_rate_0_everything_at_rate_1_and_is_deterministic) {
  trading::DatagramLossFilter none(0.0, 3);
  trading::DatagramLossFilter all(1.0, 3);
  trading::DatagramLossFilter a(0.25, 99);
  trading::DatagramLossFilter b(0.25, 99);
  int dropped = 0;
  for (int i = 0; i < 10'000; ++i) {
    EXPECT_FALSE(none.drop());
    EXPECT_TRUE(all.drop());
    const bool drop = a.drop();
    EXPECT_EQ(drop, b.drop());
    dropped += drop ? 1 : 0;
  }
  // Binomial(10000, 0.25): mean 2500, standard deviation 43; the seed fixes the outcome.
  EXPECT_GT(dropped, 2'300);
  EXPECT_LT(dropped, 2'700);
}

TEST(MarketDataSequencer, still_forwards_the_right_stream_through_the_loss_knob) {
  const MdTestStream stream(3'000);
  MarketDataConsumerOptions options = Harness::small_options();
  options.loss_rate = 0.1;
  options.loss_seed = 7;
  Harness h(options);
  const auto datagrams = stream.datagrams(1, 3'000, 3);
  for (std::size_t i = 0; i < datagrams.size(); ++i) {
    h.incremental(datagrams[i]);
    // The exchange publishes a snapshot every 25 datagrams; it is heard while recovering.
    if (i % 25 == 24) {
      h.snapshot(stream.snapshot(datagrams[i].back().seq_num));
    }
    h.drain();
  }
  h.incremental({md_heartbeat(3'001)});
  h.snapshot(stream.snapshot(3'000));
  h.incremental({md_heartbeat(3'001)});
  h.drain();
  EXPECT_FALSE(h.sequencer.recovering());
  expect_books_at(h, stream, 3'000);
  const auto stats = h.stats();
  // Binomial(1000 datagrams, 0.1): mean 100, standard deviation 9.5.
  EXPECT_GT(stats.loss_knob_drops, 60u);
  EXPECT_LT(stats.loss_knob_drops, 140u);
  EXPECT_GT(stats.recoveries_completed, 10u);
  EXPECT_EQ(stats.recoveries_started, stats.recoveries_completed + stats.gaps_healed);
}

}  // namespace
}  // namespace llt::test
