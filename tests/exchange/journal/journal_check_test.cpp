// journal_check, the check tool behind `exchange --journal-check DIR` (docs/journal.md).
#include "exchange/journal/journal_check.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "tests/exchange/journal/journal_test_dir.h"

namespace llt::exchange {
namespace {

using test::JournalTestDir;
using test::read_file;
using test::test_request;
using test::write_file;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(JournalCheck, summarises_a_clean_journal) {
  JournalTestDir dir;
  {
    JournalWriter writer(
        {dir.path(), JournalSync::kNone, 16, kJournalHeaderSize + 4 * kJournalRecordSize},
        JournalScan{});
    ClientRequest logon;
    logon.msg_type = ClientRequestType::kLogon;
    logon.client_id = 2;
    ASSERT_TRUE(writer.append(JournalRecordKind::kLogon, RejectReason::kNone, logon));
    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
      ClientRequest request = test_request(seq);
      request.client_id = 2;
      ASSERT_TRUE(writer.append(JournalRecordKind::kRequest, RejectReason::kNone, request));
    }
    ClientRequest bad = test_request(7);
    bad.client_id = 5;
    ASSERT_TRUE(writer.append(JournalRecordKind::kSessionReject, RejectReason::kBadSeqNum, bad));
    ASSERT_TRUE(writer.append(JournalRecordKind::kCancelAll, RejectReason::kNone, logon));
    ASSERT_TRUE(writer.commit());
  }
  std::ostringstream out;
  EXPECT_EQ(journal_check(dir.path(), out), 0);
  const std::string text = out.str();
  EXPECT_TRUE(contains(text, ": 2 files, 6 records, index 1 to 6\n")) << text;
  EXPECT_TRUE(contains(text, "REQUEST 3 CANCEL_ALL 1 LOGON 1 SESSION_REJECT 1\n")) << text;
  EXPECT_TRUE(contains(text, "clients seen: 2\n")) << text;
  EXPECT_TRUE(contains(text, "client 2: requests 3, last seq_num 3, logons 1, cancel-alls 1"))
      << text;
  EXPECT_TRUE(contains(text,
                       "client 5: requests 0, last seq_num 0, logons 0, cancel-alls 0, "
                       "session rejects 1"))
      << text;
  EXPECT_TRUE(contains(text, "no torn tail")) << text;
}

TEST(JournalCheck, reports_a_torn_tail_with_exit_code_0_and_does_not_repair) {
  JournalTestDir dir;
  test::write_test_records(dir.path(), 3);
  const auto size = kJournalHeaderSize + 2 * kJournalRecordSize + 11;
  std::filesystem::resize_file(dir.file(1), size);
  std::ostringstream out;
  EXPECT_EQ(journal_check(dir.path(), out), 0);
  EXPECT_TRUE(contains(out.str(), "torn tail: " + dir.file(1).string() +
                                      " offset 176: partial "
                                      "record (11 of 56 bytes), 11 bytes to cut"))
      << out.str();
  EXPECT_TRUE(contains(out.str(), ": 1 files, 2 records")) << out.str();
  EXPECT_EQ(std::filesystem::file_size(dir.file(1)), size);
}

TEST(JournalCheck, refuses_corruption_with_exit_code_1) {
  JournalTestDir dir;
  test::write_test_records(dir.path(), 3);
  std::vector<char> bytes = read_file(dir.file(1));
  bytes[kJournalHeaderSize + 10] ^= 1;
  write_file(dir.file(1), bytes);
  std::ostringstream out;
  EXPECT_EQ(journal_check(dir.path(), out), 1);
  EXPECT_TRUE(contains(out.str(), "journal-000001.lltj offset 64: record crc mismatch"))
      << out.str();
}

TEST(JournalCheck, refuses_a_foreign_file_with_exit_code_1) {
  JournalTestDir dir;
  write_file(dir.file(1), std::vector<char>(100, '#'));
  std::ostringstream out;
  EXPECT_EQ(journal_check(dir.path(), out), 1);
  EXPECT_TRUE(contains(out.str(), "offset 0: not a journal file")) << out.str();
}

TEST(JournalCheck, empty_directory_is_a_clean_new_day) {
  JournalTestDir dir;
  std::ostringstream out;
  EXPECT_EQ(journal_check(dir.path(), out), 0);
  EXPECT_TRUE(contains(out.str(), ": 0 files, 0 records\n")) << out.str();
  EXPECT_TRUE(contains(out.str(), "clients seen: 0\n")) << out.str();
}

}  // namespace
}  // namespace llt::exchange
