// The exchange's start-up replays the day with the engine on a thread of its own
// (docs/recovery.md, Replay on two threads): what it rebuilds is what the replay on one thread
// rebuilds, and the thread ends however the replay does.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "exchange/journal/journal_error.h"
#include "exchange/snapshot/day_replay.h"
#include "tests/exchange/snapshot/replayed_day.h"

namespace llt::exchange {
namespace {

using test::Day;
using test::expect_same_state;
using test::journal_of_a_day;
using test::resting_orders;

// The exchange's start-up runs the engine on a thread of its own during the replay: the state
// and the market data are those of the replay on one thread, with room to spare in the queues
// and with queues so small that the engine stalls for room and leaves matches part done.
TEST(DayReplayThreads, the_engine_on_its_own_thread_replays_the_day_as_one_thread_does) {
  constexpr std::size_t kRecords = 30'000;
  for (const std::uint64_t seed : {4U, 5U}) {
    const std::vector<JournalRecord> records = journal_of_a_day(seed, kRecords);
    // md_after[i]: the market data numbered once everything records 0..i caused is taken.
    std::vector<SeqNum> md_after;
    Day one_thread;
    for (const JournalRecord& record : records) {
      one_thread.replay.apply(record);
      one_thread.replay.drain();
      md_after.push_back(one_thread.replay.md_seq());
    }
    const StateSnapshot expected = one_thread.replay.capture();
    ASSERT_GT(resting_orders(expected), 50U) << "the flow must leave books to compare";

    // Ample queues, drained a few times a day; queues of 8 slots, drained every 7 records, so
    // many drains find the engine stalled for room with a match part done.
    for (const auto& [slots, every] : {std::pair<std::size_t, std::size_t>{1 << 12, 9'999},
                                       std::pair<std::size_t, std::size_t>{8, 7}}) {
      SCOPED_TRACE("seed " + std::to_string(seed) + ", queues of " + std::to_string(slots));
      Day threaded(1 << 12, slots, slots);
      threaded.replay.start_engine_thread(std::nullopt);
      std::size_t mismatches = 0;
      for (std::size_t i = 0; i < kRecords; ++i) {
        threaded.replay.apply(records[i]);
        if (i % every == 0) {
          // A drain in the middle of the day takes everything the records so far produced.
          threaded.replay.drain();
          mismatches += threaded.replay.md_seq() != md_after[i] ? 1 : 0;
          EXPECT_EQ(threaded.responses.front(), nullptr);
          EXPECT_EQ(threaded.updates.front(), nullptr);
        }
      }
      EXPECT_EQ(mismatches, 0U) << "drains that returned before the engine had finished";
      threaded.replay.stop_engine_thread();
      EXPECT_FALSE(threaded.engine.busy());
      EXPECT_EQ(threaded.engine.requests_processed(), threaded.replay.requests());
      expect_same_state(expected, threaded.replay.capture());
      EXPECT_TRUE(threaded.published == one_thread.published)
          << "the market data differs: " << threaded.published.size() << " updates against "
          << one_thread.published.size();
    }
  }
}

// A replay that fails while the engine runs on its own thread stops that thread when it is
// destroyed, and an engine thread started twice or stopped when not running changes nothing.
TEST(DayReplayThreads, the_engine_thread_ends_with_a_failed_replay) {
  const std::vector<JournalRecord> records = journal_of_a_day(6, 2'000);
  Day day;
  day.replay.start_engine_thread(std::nullopt);
  day.replay.start_engine_thread(std::nullopt);
  for (std::size_t i = 0; i < 1'000; ++i) {
    day.replay.apply(records[i]);
  }
  EXPECT_THROW(day.replay.apply(records[1'500]), JournalError);
  day.replay.drain();
  EXPECT_EQ(day.replay.next_index(), 1'001U);
  day.replay.stop_engine_thread();
  day.replay.stop_engine_thread();
  EXPECT_EQ(day.engine.requests_processed(), day.replay.requests());

  Day abandoned;
  abandoned.replay.start_engine_thread(std::nullopt);
  for (std::size_t i = 0; i < 1'000; ++i) {
    abandoned.replay.apply(records[i]);
  }
  // Destroyed here with its thread running and requests possibly in flight: joins, no hang.
}

}  // namespace
}  // namespace llt::exchange
