// The journal's reader and writer (docs/journal.md): round trips, the torn-tail rule and every
// kind of corruption the reader refuses.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "exchange/journal/crc32c.h"
#include "exchange/journal/journal_reader.h"
#include "exchange/journal/journal_sync.h"
#include "exchange/journal/journal_writer.h"
#include "tests/exchange/journal/journal_test_dir.h"

namespace llt::exchange {
namespace {

using test::JournalTestDir;
using test::read_back;
using test::read_file;
using test::test_request;
using test::write_file;
using test::write_test_records;

constexpr std::uint64_t kHeader = kJournalHeaderSize;
constexpr std::uint64_t kRecord = kJournalRecordSize;

// Runs a scan that must throw; returns the error.
JournalError scan_error(const std::filesystem::path& dir, bool repair = false) {
  try {
    (void)JournalReader(dir).scan(repair);
  } catch (const JournalError& error) {
    return error;
  }
  ADD_FAILURE() << "the scan of " << dir << " succeeded";
  return JournalError("", 0, "none");
}

void expect_requests_from_1(const std::vector<JournalRecord>& records, std::uint64_t count) {
  ASSERT_EQ(records.size(), count);
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t index = records[i].index;
    ASSERT_EQ(index, i + 1);
    ASSERT_EQ(records[i].kind, JournalRecordKind::kRequest);
    ASSERT_EQ(records[i].request, test_request(i + 1));
  }
}

TEST(JournalSync, names_parse_and_format) {
  EXPECT_EQ(to_string(JournalSync::kNone), "none");
  EXPECT_EQ(to_string(JournalSync::kBatch), "batch");
  EXPECT_EQ(parse_journal_sync("none"), JournalSync::kNone);
  EXPECT_EQ(parse_journal_sync("batch"), JournalSync::kBatch);
  EXPECT_EQ(parse_journal_sync("Batch"), std::nullopt);
  EXPECT_EQ(parse_journal_sync(""), std::nullopt);
}

TEST(JournalFormat, file_names_have_six_digits_from_1) {
  EXPECT_EQ(journal_file_name(1), "journal-000001.lltj");
  EXPECT_EQ(journal_file_name(999'999), "journal-999999.lltj");
  EXPECT_EQ(parse_journal_file_name("journal-000042.lltj"), 42U);
  EXPECT_EQ(parse_journal_file_name("journal-000000.lltj"), std::nullopt);
  EXPECT_EQ(parse_journal_file_name("journal-42.lltj"), std::nullopt);
  EXPECT_EQ(parse_journal_file_name("journal-00004x.lltj"), std::nullopt);
  EXPECT_EQ(parse_journal_file_name("journal-000042.lltj.tmp"), std::nullopt);
}

TEST(JournalReader, missing_directory_is_a_new_day) {
  JournalTestDir dir;
  const auto back = read_back(dir.path() / "absent", true);
  EXPECT_EQ(back.scan.records, 0U);
  EXPECT_EQ(back.scan.files, 0U);
  EXPECT_EQ(back.scan.next_index, 1U);
  EXPECT_FALSE(back.scan.torn_tail);
}

TEST(JournalReader, empty_directory_is_a_new_day_and_other_names_are_ignored) {
  JournalTestDir dir;
  write_file(dir.path() / "notes.txt", {'h', 'i'});
  const auto back = read_back(dir.path(), false);
  EXPECT_EQ(back.scan.records, 0U);
  EXPECT_EQ(back.scan.last_file_number, 0U);
  EXPECT_FALSE(back.scan.torn_tail);
}

TEST(JournalWriter, writes_every_kind_and_a_reader_returns_them_in_order) {
  JournalTestDir dir;
  {
    JournalWriter writer({dir.path(), JournalSync::kNone, 8, 1 << 20}, JournalScan{});
    ClientRequest logon;
    logon.msg_type = ClientRequestType::kLogon;
    logon.client_id = 7;
    logon.flags = kFlagKeepOrders;
    ASSERT_TRUE(writer.append(JournalRecordKind::kLogon, RejectReason::kNone, logon));
    ASSERT_TRUE(writer.append(JournalRecordKind::kRequest, RejectReason::kNone, test_request(1)));
    ASSERT_TRUE(writer.append(JournalRecordKind::kSessionReject, RejectReason::kBadSeqNum,
                              test_request(9)));
    ASSERT_TRUE(writer.append(JournalRecordKind::kCancelAll, RejectReason::kNone, logon));
    EXPECT_EQ(writer.buffered(), 4U);
    EXPECT_EQ(read_back(dir.path(), false).scan.records, 0U) << "nothing before commit()";
    ASSERT_TRUE(writer.commit());
    EXPECT_EQ(writer.buffered(), 0U);
    EXPECT_EQ(writer.next_index(), 5U);
  }
  const auto back = read_back(dir.path(), false);
  ASSERT_EQ(back.records.size(), 4U);
  EXPECT_EQ(back.records[0].kind, JournalRecordKind::kLogon);
  EXPECT_EQ(back.records[0].request.flags, kFlagKeepOrders);
  EXPECT_EQ(back.records[2].kind, JournalRecordKind::kSessionReject);
  EXPECT_EQ(back.records[2].reason, RejectReason::kBadSeqNum);
  EXPECT_EQ(back.records[2].request, test_request(9));
  EXPECT_EQ(back.records[3].kind, JournalRecordKind::kCancelAll);
  EXPECT_EQ(back.scan.next_index, 5U);
  EXPECT_FALSE(back.scan.torn_tail);
}

TEST(JournalWriter, round_trip_across_file_rotations_and_restarts) {
  JournalTestDir dir;
  // 10 records per file; a batch of 7 so commits straddle the rotations.
  const std::uint64_t max_bytes = kHeader + 10 * kRecord + kRecord / 2;
  JournalWriterOptions options{dir.path(), JournalSync::kNone, 7, max_bytes};
  std::uint64_t written = 0;
  for (int restart = 0; restart < 3; ++restart) {
    const JournalScan scan = JournalReader(dir.path()).scan(true);
    ASSERT_EQ(scan.next_index, written + 1);
    JournalWriter writer(options, scan);
    for (int i = 0; i < 23; ++i) {
      ++written;
      ASSERT_TRUE(
          writer.append(JournalRecordKind::kRequest, RejectReason::kNone, test_request(written)));
    }
    ASSERT_TRUE(writer.commit());
    EXPECT_EQ(writer.records(), 23U);
  }
  const auto back = read_back(dir.path(), false, 3);
  expect_requests_from_1(back.records, written);
  EXPECT_EQ(back.scan.files, 7U);  // 69 records, 10 per file
  EXPECT_EQ(back.scan.last_file_number, 7U);
  EXPECT_EQ(back.scan.last_file_records, 9U);
  for (std::uint32_t n = 1; n <= 6; ++n) {
    EXPECT_EQ(std::filesystem::file_size(dir.file(n)), kHeader + 10 * kRecord) << n;
  }
  EXPECT_FALSE(back.scan.torn_tail);
}

TEST(JournalWriter, batch_sync_commits_with_one_write_and_one_fdatasync) {
  JournalTestDir dir;
  JournalWriter writer({dir.path(), JournalSync::kBatch, 64, 1 << 20}, JournalScan{});
  const std::uint64_t syncs_after_create = writer.syncs();
  EXPECT_EQ(syncs_after_create, 2U) << "the new file and its directory";
  const std::uint64_t writes_before = writer.writes();
  for (std::uint64_t i = 1; i <= 50; ++i) {
    ASSERT_TRUE(writer.append(JournalRecordKind::kRequest, RejectReason::kNone, test_request(i)));
  }
  ASSERT_TRUE(writer.commit());
  EXPECT_EQ(writer.writes(), writes_before + 1);
  EXPECT_EQ(writer.syncs(), syncs_after_create + 1);
  EXPECT_EQ(writer.commits(), 1U);
  EXPECT_EQ(writer.bytes(), kHeader + 50 * kRecord);
  ASSERT_TRUE(writer.commit()) << "an empty commit succeeds";
  EXPECT_EQ(writer.commits(), 1U) << "and writes nothing";
  EXPECT_EQ(writer.syncs(), syncs_after_create + 1);
  EXPECT_EQ(writer.last_errno(), 0);
  expect_requests_from_1(read_back(dir.path(), false).records, 50);
}

TEST(JournalWriter, full_buffer_commits_before_appending) {
  JournalTestDir dir;
  JournalWriter writer({dir.path(), JournalSync::kNone, 4, 1 << 20}, JournalScan{});
  for (std::uint64_t i = 1; i <= 9; ++i) {
    ASSERT_TRUE(writer.append(JournalRecordKind::kRequest, RejectReason::kNone, test_request(i)));
  }
  EXPECT_EQ(writer.commits(), 2U);
  EXPECT_EQ(writer.buffered(), 1U);
  EXPECT_EQ(read_back(dir.path(), false).records.size(), 8U);
}

TEST(JournalWriter, refuses_a_torn_tail_left_on_disk) {
  JournalTestDir dir;
  write_test_records(dir.path(), 3);
  std::filesystem::resize_file(dir.file(1), kHeader + 2 * kRecord + 5);
  const JournalScan scan = JournalReader(dir.path()).scan(false);
  ASSERT_TRUE(scan.torn_tail);
  EXPECT_THROW(JournalWriter({dir.path()}, scan), JournalError);
}

TEST(JournalWriter, refuses_a_last_file_changed_since_the_scan) {
  JournalTestDir dir;
  write_test_records(dir.path(), 3);
  const JournalScan scan = JournalReader(dir.path()).scan(false);
  write_test_records(dir.path(), 1);
  EXPECT_THROW(JournalWriter({dir.path()}, scan), JournalError);
}

TEST(JournalWriter, failed_commit_is_reported_and_sticky) {
  JournalTestDir dir;
  JournalWriter writer({dir.path(), JournalSync::kNone, 16, kHeader + 10 * kRecord}, JournalScan{});
  for (std::uint64_t i = 1; i <= 10; ++i) {
    ASSERT_TRUE(writer.append(JournalRecordKind::kRequest, RejectReason::kNone, test_request(i)));
  }
  ASSERT_TRUE(writer.commit());
  // The next file's name is taken, so the rotation cannot create it.
  write_file(dir.file(2), {'x'});
  ASSERT_TRUE(writer.append(JournalRecordKind::kRequest, RejectReason::kNone, test_request(11)));
  EXPECT_FALSE(writer.commit());
  EXPECT_TRUE(writer.failed());
  EXPECT_EQ(writer.last_errno(), EEXIST);
  EXPECT_FALSE(writer.append(JournalRecordKind::kRequest, RejectReason::kNone, test_request(12)));
  EXPECT_FALSE(writer.commit());
  std::filesystem::remove(dir.file(2));
  expect_requests_from_1(read_back(dir.path(), false).records, 10);
}

TEST(JournalReader, torn_last_record_at_every_byte_offset_is_cut_and_repaired) {
  JournalTestDir source;
  write_test_records(source.path(), 5);
  const std::vector<char> whole = read_file(source.file(1));
  ASSERT_EQ(whole.size(), kHeader + 5 * kRecord);
  const std::uint64_t last_start = kHeader + 4 * kRecord;
  // The write of the last record stopped after `kept` bytes (0: none of it reached the file,
  // which is a clean journal), or all of it arrived with one byte damaged.
  for (std::uint64_t kept = 1; kept <= kRecord; ++kept) {
    JournalTestDir dir;
    std::vector<char> bytes(whole.begin(), whole.begin() + static_cast<long>(last_start + kept));
    if (kept == kRecord) {
      bytes[last_start + kRecord - 1] ^= 0x40;  // whole but damaged: a crc mismatch
    }
    write_file(dir.file(1), bytes);

    const auto seen = read_back(dir.path(), false);
    expect_requests_from_1(seen.records, 4);
    ASSERT_TRUE(seen.scan.torn_tail) << kept;
    EXPECT_EQ(seen.scan.torn_tail->offset, last_start);
    EXPECT_EQ(seen.scan.torn_tail->bytes_cut, kept);
    EXPECT_EQ(seen.scan.torn_tail->file, dir.file(1).string());
    EXPECT_FALSE(seen.scan.repaired);
    EXPECT_EQ(std::filesystem::file_size(dir.file(1)), last_start + kept) << "untouched";

    const auto repaired = read_back(dir.path(), true);
    expect_requests_from_1(repaired.records, 4);
    EXPECT_TRUE(repaired.scan.repaired);
    EXPECT_EQ(std::filesystem::file_size(dir.file(1)), last_start);

    write_test_records(dir.path(), 2);
    const auto again = read_back(dir.path(), false);
    EXPECT_FALSE(again.scan.torn_tail) << kept;
    expect_requests_from_1(again.records, 6);
  }
}

TEST(JournalReader, torn_record_followed_by_garbage_is_still_a_torn_tail) {
  JournalTestDir dir;
  write_test_records(dir.path(), 4);
  std::vector<char> bytes = read_file(dir.file(1));
  bytes.resize(kHeader + 3 * kRecord + 20);
  bytes.resize(bytes.size() + 3 * kRecord + 9, '\0');  // zeros after the cut, as after a crash
  write_file(dir.file(1), bytes);
  const auto back = read_back(dir.path(), true);
  expect_requests_from_1(back.records, 3);
  ASSERT_TRUE(back.scan.torn_tail);
  EXPECT_EQ(back.scan.torn_tail->offset, kHeader + 3 * kRecord);
  EXPECT_EQ(back.scan.torn_tail->bytes_cut, 4 * kRecord - 27);
  EXPECT_EQ(std::filesystem::file_size(dir.file(1)), kHeader + 3 * kRecord);
}

TEST(JournalReader, bad_record_followed_by_a_valid_one_is_corruption_not_a_torn_tail) {
  JournalTestDir dir;
  write_test_records(dir.path(), 5);
  std::vector<char> bytes = read_file(dir.file(1));
  bytes[kHeader + 3 * kRecord + 30] ^= 1;  // record 4 of 5
  write_file(dir.file(1), bytes);
  const JournalError error = scan_error(dir.path(), true);
  EXPECT_EQ(error.offset, kHeader + 3 * kRecord);
  EXPECT_NE(std::string(error.what()).find("record crc mismatch"), std::string::npos)
      << error.what();
  EXPECT_EQ(std::filesystem::file_size(dir.file(1)), bytes.size()) << "nothing repaired";
}

TEST(JournalReader, flipped_bit_in_a_middle_record_of_1000_names_file_and_offset) {
  JournalTestDir dir;
  write_test_records(dir.path(), 1000);
  std::vector<char> bytes = read_file(dir.file(1));
  const std::uint64_t record_500 = kHeader + 499 * kRecord;
  bytes[record_500 + 21] ^= 0x08;
  write_file(dir.file(1), bytes);
  for (const bool repair : {false, true}) {
    const JournalError error = scan_error(dir.path(), repair);
    EXPECT_EQ(error.file, dir.file(1).string());
    EXPECT_EQ(error.offset, record_500);
    const std::string expected =
        "journal-000001.lltj offset " + std::to_string(record_500) + ": record crc mismatch";
    EXPECT_NE(std::string(error.what()).find(expected), std::string::npos) << error.what();
  }
}

TEST(JournalReader, corruption_in_a_file_before_the_last_is_refused_even_at_its_end) {
  JournalTestDir dir;
  write_test_records(dir.path(), 25, {{}, JournalSync::kNone, 16, kHeader + 10 * kRecord});
  std::vector<char> bytes = read_file(dir.file(2));
  bytes.resize(bytes.size() - 1);  // file 2's last record partial
  write_file(dir.file(2), bytes);
  const JournalError error = scan_error(dir.path(), true);
  EXPECT_EQ(error.file, dir.file(2).string());
  EXPECT_EQ(error.offset, kHeader + 9 * kRecord);
}

TEST(JournalReader, flipped_bit_in_a_header_is_refused_at_offset_0) {
  JournalTestDir dir;
  write_test_records(dir.path(), 3);
  std::vector<char> bytes = read_file(dir.file(1));
  bytes[26] ^= 0x01;  // first_index
  write_file(dir.file(1), bytes);
  const JournalError error = scan_error(dir.path(), true);
  EXPECT_EQ(error.offset, 0U);
  EXPECT_NE(std::string(error.what()).find("journal-000001.lltj offset 0: header crc mismatch"),
            std::string::npos)
      << error.what();
}

TEST(JournalReader, foreign_file_is_refused_at_offset_0) {
  JournalTestDir dir;
  std::vector<char> bytes(500, 'x');
  write_file(dir.file(1), bytes);
  const JournalError error = scan_error(dir.path(), true);
  EXPECT_EQ(error.file, dir.file(1).string());
  EXPECT_EQ(error.offset, 0U);
  EXPECT_NE(std::string(error.what()).find("bad magic"), std::string::npos) << error.what();
  EXPECT_EQ(std::filesystem::file_size(dir.file(1)), 500U);
}

TEST(JournalReader, another_version_is_refused_at_offset_0) {
  JournalTestDir dir;
  write_test_records(dir.path(), 2);
  std::vector<char> bytes = read_file(dir.file(1));
  bytes[8] = 2;  // version
  write_file(dir.file(1), bytes);
  const JournalError error = scan_error(dir.path());
  EXPECT_EQ(error.offset, 0U);
  EXPECT_NE(std::string(error.what()).find("journal version 2"), std::string::npos) << error.what();
}

TEST(JournalReader, header_whose_number_differs_from_the_name_is_refused) {
  JournalTestDir dir;
  write_test_records(dir.path(), 2);
  std::filesystem::rename(dir.file(1), dir.path() / "elsewhere");
  write_test_records(dir.path(), 1);  // a new journal-000001.lltj
  std::filesystem::rename(dir.path() / "elsewhere", dir.file(2));
  const JournalError error = scan_error(dir.path());
  EXPECT_EQ(error.file, dir.file(2).string());
}

TEST(JournalReader, file_number_gap_is_refused) {
  JournalTestDir dir;
  write_test_records(dir.path(), 30, {{}, JournalSync::kNone, 64, kHeader + 10 * kRecord});
  std::filesystem::remove(dir.file(2));
  const JournalError error = scan_error(dir.path(), true);
  EXPECT_EQ(error.file, dir.file(2).string());
  EXPECT_NE(std::string(error.what()).find("gap"), std::string::npos) << error.what();
}

// After --journal-prune the journal starts at a later file: the reader starts at its first
// index (whether a snapshot covers what is gone is the exchange's check).
TEST(JournalReader, journal_starting_at_a_later_file_starts_at_its_first_index) {
  JournalTestDir dir;
  write_test_records(dir.path(), 30, {{}, JournalSync::kNone, 64, kHeader + 10 * kRecord});
  std::filesystem::remove(dir.file(1));
  std::vector<std::uint64_t> indexes;
  const JournalScan scan =
      JournalReader(dir.path())
          .scan([&](const JournalRecord& record) { indexes.push_back(record.index); }, false);
  EXPECT_EQ(scan.first_index, 11U);
  EXPECT_EQ(scan.records, 20U);
  EXPECT_EQ(scan.next_index, 31U);
  ASSERT_EQ(indexes.size(), 20U);
  EXPECT_EQ(indexes.front(), 11U);
  EXPECT_EQ(indexes.back(), 30U);
}

// A restart from a snapshot (docs/snapshots.md) reads only the files that hold records from
// the snapshot's index on; the others are not even opened for reading.
TEST(JournalReader, scan_from_an_index_skips_the_files_wholly_before_it) {
  JournalTestDir dir;
  write_test_records(dir.path(), 40, {{}, JournalSync::kNone, 64, kHeader + 10 * kRecord});
  std::vector<char> bytes = read_file(dir.file(1));
  bytes[kHeader + 3 * kRecord + 20] ^= 0x08;  // never read
  write_file(dir.file(1), bytes);
  std::vector<std::uint64_t> indexes;
  const JournalScan scan =
      JournalReader(dir.path())
          .scan([&](const JournalRecord& record) { indexes.push_back(record.index); }, false, 25);
  EXPECT_EQ(scan.files_skipped, 2U);
  EXPECT_EQ(scan.next_index, 41U);
  ASSERT_FALSE(indexes.empty());
  EXPECT_EQ(indexes.front(), 21U) << "file 3 holds records 21-30";
  EXPECT_EQ(indexes.back(), 40U);
  // Needing record 10 or any before it, file 1 is read and the flipped byte found; from 11 on
  // it is not needed.
  EXPECT_THROW((void)JournalReader(dir.path()).scan(false), JournalError);
  EXPECT_THROW((void)JournalReader(dir.path()).scan([](const JournalRecord&) {}, false, 10),
               JournalError);
  EXPECT_EQ(JournalReader(dir.path()).scan([](const JournalRecord&) {}, false, 11).files_skipped,
            1U);
}

TEST(JournalReader, gap_after_a_later_first_file_is_refused) {
  JournalTestDir dir;
  write_test_records(dir.path(), 40, {{}, JournalSync::kNone, 64, kHeader + 10 * kRecord});
  std::filesystem::remove(dir.file(1));
  std::filesystem::remove(dir.file(3));
  const JournalError error = scan_error(dir.path());
  EXPECT_EQ(error.file, dir.file(3).string());
  EXPECT_NE(std::string(error.what()).find("gap"), std::string::npos) << error.what();
}

TEST(JournalReader, badly_named_journal_file_is_refused) {
  JournalTestDir dir;
  write_test_records(dir.path(), 2);
  write_file(dir.path() / "journal-2.lltj", {'x'});
  EXPECT_EQ(scan_error(dir.path()).file, (dir.path() / "journal-2.lltj").string());
}

TEST(JournalReader, index_gap_is_refused_even_in_the_last_record) {
  JournalTestDir dir;
  write_test_records(dir.path(), 10);
  // Record 10 rewritten whole with index 11 and a valid crc: written that way, not torn.
  std::vector<char> bytes = read_file(dir.file(1));
  JournalRecord record;
  const std::uint64_t at = kHeader + 9 * kRecord;
  std::memcpy(&record, bytes.data() + at, sizeof record);
  record.index = 11;
  record.crc32c = crc32c(reinterpret_cast<const char*>(&record) + 4, kRecord - 4);
  std::memcpy(bytes.data() + at, &record, sizeof record);
  write_file(dir.file(1), bytes);
  const JournalError error = scan_error(dir.path(), true);
  EXPECT_EQ(error.offset, at);
  EXPECT_NE(std::string(error.what()).find("record index 11, expected 10"), std::string::npos)
      << error.what();
}

TEST(JournalReader, file_whose_first_index_does_not_continue_is_refused) {
  JournalTestDir dir;
  write_test_records(dir.path(), 20, {{}, JournalSync::kNone, 64, kHeader + 10 * kRecord});
  std::vector<char> bytes = read_file(dir.file(2));
  const JournalFileHeader header = make_journal_header(2, 12);
  std::memcpy(bytes.data(), &header, sizeof header);
  write_file(dir.file(2), bytes);
  const JournalError error = scan_error(dir.path());
  EXPECT_EQ(error.file, dir.file(2).string());
  EXPECT_NE(std::string(error.what()).find("first index 12, expected 11"), std::string::npos)
      << error.what();
}

TEST(JournalReader, torn_header_of_a_new_last_file_is_removed_by_repair) {
  JournalTestDir dir;
  write_test_records(dir.path(), 10, {{}, JournalSync::kNone, 64, kHeader + 10 * kRecord});
  for (const std::size_t kept : {std::size_t{0}, std::size_t{1}, std::size_t{63}}) {
    const JournalFileHeader header = make_journal_header(2, 11);
    const auto* raw = reinterpret_cast<const char*>(&header);
    write_file(dir.file(2), std::vector<char>(raw, raw + kept));
    const auto seen = read_back(dir.path(), false);
    ASSERT_TRUE(seen.scan.torn_tail);
    EXPECT_EQ(seen.scan.torn_tail->file, dir.file(2).string());
    EXPECT_EQ(seen.scan.torn_tail->bytes_cut, kept);
    EXPECT_EQ(seen.scan.last_file_number, 1U);
    expect_requests_from_1(seen.records, 10);
    const auto repaired = read_back(dir.path(), true);
    EXPECT_TRUE(repaired.scan.repaired);
    EXPECT_FALSE(std::filesystem::exists(dir.file(2)));
  }
  write_test_records(dir.path(), 5, {{}, JournalSync::kNone, 64, kHeader + 10 * kRecord});
  const auto back = read_back(dir.path(), false);
  EXPECT_FALSE(back.scan.torn_tail);
  expect_requests_from_1(back.records, 15);
}

TEST(JournalReader, short_header_of_a_file_before_the_last_is_corruption) {
  JournalTestDir dir;
  write_test_records(dir.path(), 20, {{}, JournalSync::kNone, 64, kHeader + 10 * kRecord});
  std::filesystem::resize_file(dir.file(1), 10);
  EXPECT_EQ(scan_error(dir.path(), true).file, dir.file(1).string());
}

TEST(JournalReader, unknown_kind_and_reserved_bytes_are_refused) {
  struct Case {
    std::size_t byte;
    char value;
    const char* problem;
  };
  for (const Case& c :
       {Case{4, 9, "unknown record kind 9"}, Case{6, 1, "non-zero reserved record bytes"},
        Case{5, 3, "reason 3 on a REQUEST record"}}) {
    JournalTestDir dir;
    write_test_records(dir.path(), 3);
    std::vector<char> bytes = read_file(dir.file(1));
    const std::uint64_t at = kHeader + kRecord;
    bytes[at + c.byte] = c.value;
    const std::uint32_t crc = crc32c(bytes.data() + at + 4, kRecord - 4);
    std::memcpy(bytes.data() + at, &crc, sizeof crc);
    write_file(dir.file(1), bytes);
    const JournalError error = scan_error(dir.path());
    EXPECT_EQ(error.offset, at);
    EXPECT_NE(std::string(error.what()).find(c.problem), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace llt::exchange
