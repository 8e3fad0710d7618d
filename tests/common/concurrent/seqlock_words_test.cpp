#include "common/concurrent/seqlock_words.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "common/stats/top_of_book.h"

namespace llt::common {
namespace {

using namespace std::chrono_literals;

TEST(SeqlockWords, starts_at_zero_and_returns_the_last_set_published) {
  SeqlockWords<4> cell;
  EXPECT_EQ(cell.load(), (SeqlockWords<4>::Words{0, 0, 0, 0}));
  EXPECT_EQ(cell.publications(), 0u);
  cell.publish({1, -2, 3, -4});
  cell.publish({5, 6, -7, 8});
  EXPECT_EQ(cell.load(), (SeqlockWords<4>::Words{5, 6, -7, 8}));
  EXPECT_EQ(cell.publications(), 2u);
}

// A writer publishes sets whose words all derive from one number (word i = k * (i + 1), so
// a set made of two publications' halves breaks the rule) as fast as it can; a reader on
// another thread checks every set it loads and that the sets never go back in time. Bounded:
// the writer stops after a number of sets or 2 s, the reader when the writer has stopped.
TEST(SeqlockWords, a_reader_never_gets_a_set_mixed_from_two_publications) {
  constexpr int kWords = 6;
  constexpr std::int64_t kSets = 2'000'000;
  SeqlockWords<kWords> cell;
  std::atomic<bool> writer_done{false};
  std::thread writer([&] {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    for (std::int64_t k = 1; k <= kSets; ++k) {
      SeqlockWords<kWords>::Words words{};
      for (int i = 0; i < kWords; ++i) {
        words[static_cast<std::size_t>(i)] = k * (i + 1);
      }
      cell.publish(words);
      if ((k & 1023) == 0 && std::chrono::steady_clock::now() > deadline) {
        break;
      }
    }
    writer_done.store(true, std::memory_order_release);
  });

  std::int64_t loads = 0;
  std::int64_t mixed = 0;
  std::int64_t backwards = 0;
  std::int64_t last = 0;
  while (!writer_done.load(std::memory_order_acquire)) {
    const auto words = cell.load();
    ++loads;
    for (int i = 1; i < kWords; ++i) {
      if (words[static_cast<std::size_t>(i)] != words[0] * (i + 1)) {
        ++mixed;
        break;
      }
    }
    if (words[0] < last) {
      ++backwards;
    }
    last = words[0];
  }
  writer.join();

  EXPECT_GT(loads, 0);
  EXPECT_EQ(mixed, 0) << "sets mixed from two publications in " << loads << " loads";
  EXPECT_EQ(backwards, 0);
  const auto final_words = cell.load();
  EXPECT_EQ(final_words[0], static_cast<std::int64_t>(cell.publications()));
}

TEST(TopOfBookCell, loads_what_was_published) {
  TopOfBookCell cell;
  EXPECT_EQ(cell.load(), TopOfBook{});
  const TopOfBook top{9950, 10, 10050, 9, 10010, 3};
  cell.publish(top);
  EXPECT_EQ(cell.load(), top);
}

}  // namespace
}  // namespace llt::common
