// How fast JournalReader scans and checks a day's journal: 10M records (560 MB) from the page
// cache. Disabled by default (it writes 560 MB to the temp directory); it prints the figure and
// asserts nothing about time. Run:
//   build/release/tests/journal_scan_speed_test --gtest_also_run_disabled_tests
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>

#include "exchange/journal/crc32c.h"
#include "exchange/journal/journal_reader.h"
#include "exchange/journal/journal_writer.h"
#include "tests/exchange/journal/journal_test_dir.h"

namespace llt::exchange {
namespace {

TEST(JournalScanSpeed, DISABLED_scans_ten_million_records) {
  constexpr std::uint64_t kRecords = 10'000'000;
  test::JournalTestDir dir;
  {
    JournalWriter writer({dir.path(), JournalSync::kNone, 65'536}, JournalScan{});
    for (std::uint64_t i = 1; i <= kRecords; ++i) {
      ASSERT_TRUE(
          writer.append(JournalRecordKind::kRequest, RejectReason::kNone, test::test_request(i)));
    }
    ASSERT_TRUE(writer.commit());
  }
  for (int run = 0; run < 3; ++run) {
    std::uint64_t seen = 0;
    std::uint64_t seq_sum = 0;
    const auto start = std::chrono::steady_clock::now();
    const JournalScan scan = JournalReader(dir.path())
                                 .scan(
                                     [&](const JournalRecord& record) {
                                       ++seen;
                                       seq_sum += record.request.seq_num;
                                     },
                                     false);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    ASSERT_EQ(scan.records, kRecords);
    ASSERT_EQ(seen, kRecords);
    ASSERT_EQ(seq_sum, kRecords * (kRecords + 1) / 2);
    std::printf("scan %d: %llu records (%.0f MB) in %.3f s, %.0f MB/s, %.1f ns/record, crc32c %s\n",
                run, static_cast<unsigned long long>(kRecords),
                static_cast<double>(kRecords * kJournalRecordSize) / 1e6, took.count(),
                static_cast<double>(kRecords * kJournalRecordSize) / 1e6 / took.count(),
                took.count() * 1e9 / static_cast<double>(kRecords),
                crc32c_hardware_available() ? "sse4.2" : "table");
  }
}

}  // namespace
}  // namespace llt::exchange
