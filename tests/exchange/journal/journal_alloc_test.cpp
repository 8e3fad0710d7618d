// Counts every heap allocation (global operator new replaced): the writer's append and commit,
// rotations included, make none after start-up.
#include <gtest/gtest.h>

#include <cstdint>

#include "exchange/journal/journal_reader.h"
#include "exchange/journal/journal_writer.h"
#include "tests/exchange/journal/journal_test_dir.h"
#include "tests/support/allocation_counter.h"

namespace llt::exchange {
namespace {

TEST(JournalAllocFree, append_and_commit_do_not_allocate) {
  for (const JournalSync sync : {JournalSync::kNone, JournalSync::kBatch}) {
    test::JournalTestDir dir;
    // 100 records per file, so the loop rotates through several files.
    JournalWriter writer({dir.path(), sync, 32, kJournalHeaderSize + 100 * kJournalRecordSize},
                         JournalScan{});
    const std::uint64_t before = llt::test::process_allocations();
    for (std::uint64_t i = 1; i <= 1000; ++i) {
      ASSERT_TRUE(
          writer.append(JournalRecordKind::kRequest, RejectReason::kNone, test::test_request(i)));
      if (i % 7 == 0) {
        ASSERT_TRUE(writer.commit());
      }
    }
    ASSERT_TRUE(writer.commit());
    EXPECT_EQ(llt::test::process_allocations(), before) << to_string(sync);
    EXPECT_EQ(writer.file_number(), 10U);
    EXPECT_EQ(JournalReader(dir.path()).scan(false).records, 1000U);
  }
}

TEST(JournalAllocFree, counter_sees_an_allocation) {
  const std::uint64_t before = llt::test::process_allocations();
  int* volatile p = new int(1);
  EXPECT_EQ(llt::test::process_allocations(), before + 1);
  delete p;
}

}  // namespace
}  // namespace llt::exchange
