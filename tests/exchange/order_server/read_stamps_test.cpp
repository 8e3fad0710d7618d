#include "exchange/order_server/read_stamps.h"

#include <gtest/gtest.h>

namespace llt::exchange {
namespace {

constexpr std::uint64_t kMsg = 40;  // a ClientRequest

TEST(ReadStamps, stamps_each_message_with_the_read_that_brought_it) {
  ReadStamps stamps;
  stamps.on_read(2 * kMsg, 100);
  stamps.on_read(kMsg, 200);
  EXPECT_EQ(stamps.consume(kMsg), 100u);
  EXPECT_EQ(stamps.consume(kMsg), 100u);
  EXPECT_EQ(stamps.consume(kMsg), 200u);
  EXPECT_EQ(stamps.unconsumed(), 0u);
}

TEST(ReadStamps, stamps_a_split_message_with_the_read_of_its_last_byte) {
  ReadStamps stamps;
  stamps.on_read(10, 100);
  stamps.on_read(20, 200);
  stamps.on_read(kMsg - 30 + 5, 300);  // completes the message, starts the next
  EXPECT_EQ(stamps.consume(kMsg), 300u);
  stamps.on_read(kMsg - 5, 400);
  EXPECT_EQ(stamps.consume(kMsg), 400u);
}

TEST(ReadStamps, keeps_the_read_time_of_a_backlog_while_later_reads_arrive) {
  ReadStamps stamps;
  stamps.on_read(3 * kMsg, 100);
  EXPECT_EQ(stamps.consume(kMsg), 100u);
  stamps.on_read(kMsg, 500);  // arrives while two older messages wait
  EXPECT_EQ(stamps.consume(kMsg), 100u);
  EXPECT_EQ(stamps.consume(kMsg), 100u);
  EXPECT_EQ(stamps.consume(kMsg), 500u);
}

TEST(ReadStamps, merges_reads_beyond_its_memory_into_the_newest_one) {
  ReadStamps stamps;
  for (std::uint64_t i = 0; i < ReadStamps::kMaxReads + 3; ++i) {
    stamps.on_read(kMsg, 100 * (i + 1));
  }
  EXPECT_EQ(stamps.remembered_reads(), ReadStamps::kMaxReads);
  for (std::uint64_t i = 0; i + 1 < ReadStamps::kMaxReads; ++i) {
    EXPECT_EQ(stamps.consume(kMsg), 100 * (i + 1)) << i;
  }
  // The last remembered read and the three merged into it share its (earlier) stamp.
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(stamps.consume(kMsg), 100 * ReadStamps::kMaxReads);
  }
  EXPECT_EQ(stamps.unconsumed(), 0u);
}

TEST(ReadStamps, discarding_keeps_counting_later_reads) {
  ReadStamps stamps;
  stamps.on_read(kMsg + 7, 100);
  stamps.discard_all();
  EXPECT_EQ(stamps.unconsumed(), 0u);
  stamps.on_read(kMsg, 300);
  EXPECT_EQ(stamps.consume(kMsg), 300u);
}

}  // namespace
}  // namespace llt::exchange
