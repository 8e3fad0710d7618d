// State snapshots (docs/snapshots.md): a snapshot restored and the records after it
// replayed give the state, and the outputs, of replaying every record; the file format checks
// itself; the journal tail and the prune rules.
#include "exchange/snapshot/state_snapshot.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "exchange/exchange_journal.h"
#include "exchange/journal/journal_error.h"
#include "exchange/snapshot/day_replay.h"
#include "exchange/snapshot/snapshot_writer.h"
#include "tests/exchange/journal/journal_test_dir.h"
#include "tests/exchange/snapshot/replayed_day.h"
#include "tests/support/order_flow_generator.h"

namespace llt::exchange {
namespace {

using test::Day;
using test::engine_options;
using test::expect_same_state;
using test::journal_of_a_day;
using test::JournalTestDir;
using test::resting_orders;

TEST(StateSnapshot, restoring_then_replaying_the_rest_equals_replaying_everything) {
  constexpr std::size_t kRecords = 30'000;
  for (const std::uint64_t seed : {1U, 2U, 3U}) {
    const std::vector<JournalRecord> records = journal_of_a_day(seed, kRecords);
    Day whole;
    for (const JournalRecord& record : records) {
      whole.replay.apply(record);
    }
    const StateSnapshot expected = whole.replay.capture();
    ASSERT_GT(resting_orders(expected), 50U) << "the flow must leave books to restore";
    ASSERT_GE(expected.clients.size(), 8U);

    for (const std::size_t split : {std::size_t{1}, kRecords / 3, kRecords - 1}) {
      SCOPED_TRACE("seed " + std::to_string(seed) + ", snapshot after record " +
                   std::to_string(split));
      JournalTestDir dir;
      Day before;
      for (std::size_t i = 0; i < split; ++i) {
        before.replay.apply(records[i]);
      }
      const std::filesystem::path file = write_state_snapshot(dir.path(), before.replay.capture());
      EXPECT_EQ(file.filename().string(), snapshot_file_name(split + 1));

      Day after;
      after.replay.restore(read_state_snapshot(file), file.string());
      for (std::size_t i = split; i < kRecords; ++i) {
        after.replay.apply(records[i]);
      }
      const StateSnapshot resumed = after.replay.capture();
      expect_same_state(expected, resumed);
      ASSERT_EQ(resumed.md_tail.size(), Day::kMdTail);
      EXPECT_TRUE(std::equal(resumed.md_tail.begin(), resumed.md_tail.end(),
                             whole.published.end() - static_cast<std::ptrdiff_t>(Day::kMdTail)))
          << "the tail is the stream's last records";
      // The market data after the snapshot is the same, number for number.
      const std::size_t published_before = whole.published.size() - after.published.size();
      ASSERT_LE(after.published.size(), whole.published.size());
      EXPECT_TRUE(
          std::equal(after.published.begin(), after.published.end(),
                     whole.published.begin() + static_cast<std::ptrdiff_t>(published_before)));
    }
  }
}

TEST(StateSnapshot, a_client_keeps_only_the_responses_of_the_new_depth) {
  const std::vector<JournalRecord> records = journal_of_a_day(5, 20'000);
  Day deep(1 << 14);
  for (const JournalRecord& record : records) {
    deep.replay.apply(record);
  }
  const StateSnapshot snapshot = deep.replay.capture();
  Day shallow(16);
  shallow.replay.restore(snapshot, "test");
  const ClientStream* stream = shallow.streams.find(snapshot.clients.front().stream.client_id);
  ASSERT_NE(stream, nullptr);
  ASSERT_GT(stream->next_response, 16U);
  EXPECT_EQ(shallow.streams.oldest(*stream), stream->next_response - 16);
  std::vector<ClientResponse> kept;
  for (SeqNum from = stream->next_response - 16; from < stream->next_response;) {
    const auto run = shallow.streams.run(*stream, from, 16);
    ASSERT_FALSE(run.empty());
    kept.insert(kept.end(), run.begin(), run.end());
    from += run.size();
  }
  const std::vector<ClientResponse>& saved = snapshot.clients.front().kept;
  ASSERT_GE(saved.size(), 16U);
  EXPECT_TRUE(std::equal(kept.begin(), kept.end(), saved.end() - 16));
  EXPECT_TRUE(shallow.streams.run(*stream, stream->next_response - 17, 1).empty());
}

TEST(StateSnapshot, file_round_trip_is_exact) {
  JournalTestDir dir;
  Day day;
  for (const JournalRecord& record : journal_of_a_day(4, 5'000)) {
    day.replay.apply(record);
  }
  const StateSnapshot written = day.replay.capture();
  const StateSnapshot read = read_state_snapshot(write_state_snapshot(dir.path(), written));
  expect_same_state(written, read);
  EXPECT_EQ(list_snapshots(dir.path()).size(), 1U);
}

TEST(StateSnapshot, names_parse_and_sort_by_index) {
  EXPECT_EQ(snapshot_file_name(1000001), "snapshot-00000000000001000001.llts");
  EXPECT_EQ(parse_snapshot_file_name("snapshot-00000000000001000001.llts"), 1000001U);
  EXPECT_FALSE(parse_snapshot_file_name("snapshot-00000000000000000000.llts"));
  EXPECT_FALSE(parse_snapshot_file_name("snapshot-1000001.llts"));
  EXPECT_FALSE(parse_snapshot_file_name("snapshot-0000000000000100000x.llts"));
  EXPECT_FALSE(parse_snapshot_file_name("snapshot-00000000000001000001.llts.tmp"));
  JournalTestDir dir;
  for (const std::uint64_t index : {900U, 12U, 100U}) {
    std::ofstream(dir.path() / snapshot_file_name(index)) << "x";
  }
  std::ofstream(dir.path() / (snapshot_file_name(5000) + ".tmp")) << "x";
  const auto found = list_snapshots(dir.path());
  ASSERT_EQ(found.size(), 3U);
  EXPECT_EQ(found[0].filename(), snapshot_file_name(12));
  EXPECT_EQ(found[2].filename(), snapshot_file_name(900));
}

class CorruptSnapshot : public ::testing::Test {
 protected:
  void SetUp() override {
    Day day;
    for (const JournalRecord& record : journal_of_a_day(6, 3'000)) {
      day.replay.apply(record);
    }
    path_ = write_state_snapshot(dir_.path(), day.replay.capture());
    std::ifstream in(path_, std::ios::binary);
    bytes_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    ASSERT_GT(bytes_.size(), 1000U);
  }
  JournalError read_error(const std::vector<char>& bytes) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    try {
      (void)read_state_snapshot(path_);
    } catch (const JournalError& error) {
      return error;
    }
    ADD_FAILURE() << "the snapshot was accepted";
    return JournalError("", 0, "");
  }
  JournalTestDir dir_;
  std::filesystem::path path_;
  std::vector<char> bytes_;
};

TEST_F(CorruptSnapshot, a_flipped_body_bit_is_refused_naming_the_file) {
  std::vector<char> bytes = bytes_;
  bytes[bytes.size() / 2] ^= 0x10;
  const JournalError error = read_error(bytes);
  EXPECT_EQ(error.file, path_.string());
  EXPECT_NE(std::string(error.what()).find("body crc"), std::string::npos) << error.what();
}

TEST_F(CorruptSnapshot, a_flipped_header_bit_is_refused) {
  std::vector<char> bytes = bytes_;
  bytes[20] ^= 0x01;
  EXPECT_NE(std::string(read_error(bytes).what()).find("header crc"), std::string::npos);
}

TEST_F(CorruptSnapshot, a_short_file_is_refused) {
  for (const std::size_t size :
       {std::size_t{0}, std::size_t{10}, std::size_t{64}, bytes_.size() - 1}) {
    const std::vector<char> bytes(bytes_.begin(),
                                  bytes_.begin() + static_cast<std::ptrdiff_t>(size));
    (void)read_error(bytes);
  }
}

TEST_F(CorruptSnapshot, foreign_bytes_and_another_version_are_refused) {
  std::vector<char> bytes = bytes_;
  bytes[0] = 'X';
  EXPECT_NE(std::string(read_error(bytes).what()).find("bad magic"), std::string::npos);
  bytes = bytes_;
  bytes[8] = 2;
  EXPECT_NE(std::string(read_error(bytes).what()).find("version 2"), std::string::npos);
}

TEST_F(CorruptSnapshot, a_file_renamed_to_another_index_is_refused) {
  const std::filesystem::path other = dir_.path() / snapshot_file_name(7);
  std::filesystem::rename(path_, other);
  EXPECT_THROW((void)read_state_snapshot(other), JournalError);
}

TEST(StateSnapshot, restore_refuses_a_ticker_not_configured_and_too_many_clients) {
  Day day;
  for (const JournalRecord& record : journal_of_a_day(8, 3'000)) {
    day.replay.apply(record);
  }
  StateSnapshot snapshot = day.replay.capture();
  StateSnapshot foreign = snapshot;
  foreign.books[0].ticker_id = 99;
  Day other;
  EXPECT_THROW(other.replay.restore(foreign, "x"), JournalError);

  RequestQueue requests{1 << 10};
  ResponseQueue responses{1 << 12};
  UpdateQueue updates{1 << 12};
  MatchingEngine engine(engine_options(), requests, responses, updates);
  ClientStreams few(2, 1 << 12);
  DayReplay small(engine, requests, responses, updates, few, "test");
  EXPECT_THROW(small.restore(snapshot, "x"), JournalError);
}

TEST(StateSnapshot, replay_refuses_a_record_that_does_not_follow) {
  const std::vector<JournalRecord> records = journal_of_a_day(9, 100);
  Day day;
  day.replay.apply(records[0]);
  EXPECT_THROW(day.replay.apply(records[2]), JournalError);
}

// --- The journal tail and the prune rules ---

JournalRecord numbered(std::uint64_t index) {
  JournalRecord record;
  record.kind = JournalRecordKind::kLogon;
  record.index = index;
  record.request.msg_type = ClientRequestType::kLogon;
  record.request.client_id = 1;
  return record;
}

TEST(JournalTail, reads_what_is_committed_across_rotations_and_stops_at_the_end) {
  JournalTestDir dir;
  JournalWriterOptions options;
  options.directory = dir.path();
  options.max_file_bytes = kJournalHeaderSize + 10 * kJournalRecordSize;
  JournalWriter writer(options, JournalReader(dir.path()).scan(true));
  JournalTail tail(dir.path(), 1);
  std::vector<std::uint64_t> seen;
  auto read = [&] {
    return tail.read([&](const JournalRecord& record) { seen.push_back(record.index); }, 1000);
  };
  EXPECT_EQ(read(), 0U);
  for (std::uint64_t i = 1; i <= 25; ++i) {
    ASSERT_TRUE(writer.append(JournalRecordKind::kLogon, RejectReason::kNone, numbered(i).request));
    if (i % 7 == 0) {
      ASSERT_TRUE(writer.commit());
      (void)read();
    }
  }
  EXPECT_EQ(seen.size(), 21U);  // appended but not committed: not in the file yet
  ASSERT_TRUE(writer.commit());
  (void)read();
  ASSERT_EQ(seen.size(), 25U);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i], i + 1);
  }
  EXPECT_EQ(tail.next_index(), 26U);
  EXPECT_TRUE(std::filesystem::exists(dir.file(3)));
}

TEST(JournalTail, a_record_cut_short_is_not_read_until_it_is_whole) {
  JournalTestDir dir;
  test::write_test_records(dir.path(), 5);
  const std::filesystem::path file = dir.file(1);
  std::filesystem::resize_file(file, std::filesystem::file_size(file) - 20);
  JournalTail tail(dir.path(), 1);
  std::size_t seen = 0;
  EXPECT_EQ(tail.read([&](const JournalRecord&) { ++seen; }, 100), 4U);
  EXPECT_EQ(tail.next_index(), 5U);
}

TEST(SnapshotPrune, removes_covered_files_and_older_snapshots_never_the_last_file) {
  JournalTestDir dir;
  test::write_test_records(
      dir.path(), 45, {{}, JournalSync::kNone, 64, kJournalHeaderSize + 10 * kJournalRecordSize});
  for (const std::uint64_t index : {5U, 25U}) {
    std::ofstream(dir.path() / snapshot_file_name(index)) << "x";
  }
  // Records 1..24 are in the snapshot at 25: files 1 (1-10) and 2 (11-20) go; file 3 (21-30)
  // holds records after the snapshot, so it stays, as does the snapshot at 25.
  EXPECT_EQ(SnapshotWriter::prune(dir.path(), 25, nullptr), 3U);
  EXPECT_FALSE(std::filesystem::exists(dir.file(1)));
  EXPECT_FALSE(std::filesystem::exists(dir.file(2)));
  EXPECT_TRUE(std::filesystem::exists(dir.file(3)));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / snapshot_file_name(5)));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / snapshot_file_name(25)));
  // A snapshot past every record removes files 3 and 4 and the snapshot at 25, never the last
  // file.
  EXPECT_EQ(SnapshotWriter::prune(dir.path(), 1000, nullptr), 3U);
  EXPECT_TRUE(std::filesystem::exists(dir.file(5)));
  EXPECT_EQ(JournalReader(dir.path()).scan(false).first_index, 41U);
}

}  // namespace
}  // namespace llt::exchange
