#include "common/logging/logger.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace llt::common {
namespace {

enum class Side : std::int8_t { kBuy = 1, kSell = -1 };
enum class Venue : std::uint8_t { kLoopback = 7 };  // no formatter: printed as its number

struct Px {
  std::int64_t cents;
};

struct Broken {
  int value;
};

}  // namespace
}  // namespace llt::common

template <>
struct fmt::formatter<llt::common::Side> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(llt::common::Side side, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(
        side == llt::common::Side::kBuy ? "BUY" : "SELL", ctx);
  }
};

template <>
struct fmt::formatter<llt::common::Px> {
  constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }
  template <typename FormatContext>
  auto format(llt::common::Px px, FormatContext& ctx) const {
    return fmt::format_to(ctx.out(), "{}.{:02}", px.cents / 100, px.cents % 100);
  }
};

template <>
struct fmt::formatter<llt::common::Broken> {
  constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }
  template <typename FormatContext>
  auto format(llt::common::Broken, FormatContext&) const
      -> decltype(std::declval<FormatContext&>().out()) {
    throw fmt::format_error("broken formatter");
  }
};

namespace llt::common {
namespace {

// A log file of its own per test, removed before and after.
class TempLog {
 public:
  explicit TempLog(const std::string& tag)
      : path_("/tmp/llt_logger_test_" + std::to_string(::getpid()) + "_" + tag + ".log") {
    std::remove(path_.c_str());
  }
  ~TempLog() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::ifstream in(path_);
    for (std::string line; std::getline(in, line);) {
      out.push_back(line);
    }
    return out;
  }

 private:
  std::string path_;
};

LoggerOptions options_for(const TempLog& log) {
  LoggerOptions options;
  options.path = log.path();
  options.min_level = LogLevel::kDebug;
  return options;
}

// The message part of a line: what follows "file:line ".
std::string message_of(const std::string& line) {
  // "YYYY-MM-DD HH:MM:SS.nnnnnnnnn LEVEL file:line message"
  constexpr std::size_t kFileColumn = 36;
  const std::size_t space = line.size() > kFileColumn ? line.find(' ', kFileColumn) : line.npos;
  return space == std::string::npos ? std::string() : line.substr(space + 1);
}

// A registry with room for one thread only: the second one to log has no queue.
LoggerOptions one_thread_options(const TempLog& log) {
  LoggerOptions options = options_for(log);
  options.max_threads = 1;
  return options;
}

std::size_t count_containing(const std::vector<std::string>& lines, const std::string& text) {
  std::size_t n = 0;
  for (const std::string& line : lines) {
    n += line.find(text) != std::string::npos ? 1 : 0;
  }
  return n;
}

TEST(Logger, writes_timestamp_level_location_and_message) {
  TempLog log("prefix");
  {
    Logger logger(options_for(log));
    LLT_LOG_INFO(logger, "hello {}", 42);
  }
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1U);
  const std::regex expected(
      R"(^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{9} INFO  logger_test\.cpp:\d+ hello 42$)");
  EXPECT_TRUE(std::regex_match(lines[0], expected)) << lines[0];
}

TEST(Logger, two_threads_records_all_appear_in_order_per_thread) {
  constexpr int kRecords = 20'000;
  TempLog log("two_threads");
  std::uint64_t dropped = 0;
  {
    LoggerOptions options = options_for(log);
    options.queue_capacity = kRecords;  // a queue that cannot fill, so nothing may drop
    Logger logger(options);
    auto producer = [&logger](int thread) {
      ASSERT_TRUE(logger.register_thread("producer-" + std::to_string(thread)));
      for (int i = 0; i < kRecords; ++i) {
        LLT_LOG_INFO(logger, "thread {} seq {}", thread, i);
      }
    };
    std::thread a(producer, 0);
    std::thread b(producer, 1);
    a.join();
    b.join();
    dropped = logger.dropped();
  }
  EXPECT_EQ(dropped, 0U);
  int next[2] = {0, 0};
  for (const std::string& line : log.lines()) {
    int thread = -1;
    int seq = -1;
    ASSERT_EQ(std::sscanf(message_of(line).c_str(), "thread %d seq %d", &thread, &seq), 2) << line;
    ASSERT_TRUE(thread == 0 || thread == 1) << line;
    ASSERT_EQ(seq, next[thread]) << "out of order: " << line;
    ++next[thread];
  }
  EXPECT_EQ(next[0], kRecords);
  EXPECT_EQ(next[1], kRecords);
}

TEST(Logger, full_queue_never_blocks_and_counts_every_drop) {
  constexpr int kAttempts = 100;
  constexpr std::size_t kCapacity = 8;
  TempLog log("full_queue");
  {
    LoggerOptions options = options_for(log);
    options.queue_capacity = kCapacity;
    options.start_backend = false;  // nothing drains: the queue fills after kCapacity records
    Logger logger(options);
    ASSERT_TRUE(logger.register_thread("filler"));
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kAttempts; ++i) {
      LLT_LOG_INFO(logger, "record {}", i);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
    EXPECT_EQ(logger.dropped(), kAttempts - kCapacity);
    logger.stop();  // drains what was queued and reports the drops
    EXPECT_EQ(logger.dropped(), kAttempts - kCapacity);
  }
  const auto lines = log.lines();
  std::size_t records = 0;
  for (const std::string& line : lines) {
    if (message_of(line).rfind("record ", 0) == 0) {
      EXPECT_EQ(message_of(line), "record " + std::to_string(records));
      ++records;
    }
  }
  EXPECT_EQ(records, kCapacity);
  EXPECT_EQ(count_containing(lines, "92 log records dropped by thread filler"), 1U);
}

TEST(Logger, drops_are_reported_while_running) {
  TempLog log("drops_running");
  LoggerOptions options = options_for(log);
  options.queue_capacity = 4;
  options.start_backend = false;
  Logger logger(options);
  ASSERT_TRUE(logger.register_thread("burst"));
  for (int i = 0; i < 10; ++i) {
    LLT_LOG_WARN(logger, "record {}", i);
  }
  ASSERT_TRUE(logger.start());
  ASSERT_TRUE(logger.flush());
  const auto lines = log.lines();
  EXPECT_EQ(count_containing(lines, " record "), 4U);
  EXPECT_EQ(count_containing(lines, "6 log records dropped by thread burst"), 1U);
  EXPECT_EQ(logger.dropped(), 6U);
}

TEST(Logger, messages_below_min_level_are_filtered_not_dropped) {
  TempLog log("level");
  std::uint64_t dropped = 0;
  {
    LoggerOptions options = options_for(log);
    options.min_level = LogLevel::kWarn;
    Logger logger(options);
    LLT_LOG_DEBUG(logger, "debug {}", 1);
    LLT_LOG_INFO(logger, "info {}", 2);
    LLT_LOG_WARN(logger, "warn {}", 3);
    LLT_LOG_ERROR(logger, "error {}", 4);
    EXPECT_FALSE(logger.should_log(LogLevel::kInfo));
    logger.set_min_level(LogLevel::kDebug);
    EXPECT_EQ(logger.min_level(), LogLevel::kDebug);
    LLT_LOG_DEBUG(logger, "debug again {}", 5);
    logger.set_min_level(LogLevel::kOff);
    LLT_LOG_ERROR(logger, "off {}", 6);
    dropped = logger.dropped();
  }
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_NE(lines[0].find(" WARN  "), std::string::npos);
  EXPECT_EQ(message_of(lines[0]), "warn 3");
  EXPECT_NE(lines[1].find(" ERROR "), std::string::npos);
  EXPECT_EQ(message_of(lines[1]), "error 4");
  EXPECT_NE(lines[2].find(" DEBUG "), std::string::npos);
  EXPECT_EQ(message_of(lines[2]), "debug again 5");
  EXPECT_EQ(dropped, 0U);
}

TEST(Logger, arguments_below_min_level_are_not_evaluated) {
  TempLog log("lazy");
  LoggerOptions options = options_for(log);
  options.min_level = LogLevel::kError;
  Logger logger(options);
  int evaluated = 0;
  auto touch = [&evaluated] { return ++evaluated; };
  LLT_LOG_INFO(logger, "{}", touch());
  EXPECT_EQ(evaluated, 0);
  LLT_LOG_ERROR(logger, "{}", touch());
  EXPECT_EQ(evaluated, 1);
}

TEST(Logger, formats_ints_doubles_enums_strings_and_custom_types) {
  TempLog log("formatting");
  {
    Logger logger(options_for(log));
    LLT_LOG_INFO(logger, "ints {} {} {} {} {}", std::int8_t{-5}, std::uint16_t{65535}, -42,
                 std::numeric_limits<std::int64_t>::min(),
                 std::numeric_limits<std::uint64_t>::max());
    LLT_LOG_INFO(logger, "doubles {} {:.3f} {:e} {}", 3.25, 2.0 / 3.0, 1e-9, 1.5F);
    LLT_LOG_INFO(logger, "misc {} {} {:#x} {:>5}|", true, 'c', 255, 7);
    LLT_LOG_INFO(logger, "enums {} {} {}", Side::kBuy, Side::kSell, Venue::kLoopback);
    const std::string owned = "std::string";
    const std::string_view view = "string_view";
    const char* c_string = "c string";
    const char* null_string = nullptr;
    LLT_LOG_INFO(logger, "strings {} {} {} {} {}", "literal", owned, view, c_string, null_string);
    LLT_LOG_INFO(logger, "mixed {} {} {} {}", "a", 1, "b", 2.5);
    LLT_LOG_INFO(logger, "custom {}", Px{12345});
    LLT_LOG_INFO(logger, "no arguments");
    const void* pointer = reinterpret_cast<const void*>(0x1234);
    LLT_LOG_INFO(logger, "pointer {}", pointer);
  }
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 9U);
  EXPECT_EQ(message_of(lines[0]), "ints -5 65535 -42 -9223372036854775808 18446744073709551615");
  EXPECT_EQ(message_of(lines[1]), "doubles 3.25 0.667 1.000000e-09 1.5");
  EXPECT_EQ(message_of(lines[2]), "misc true c 0xff     7|");
  EXPECT_EQ(message_of(lines[3]), "enums BUY SELL 7");
  EXPECT_EQ(message_of(lines[4]), "strings literal std::string string_view c string (null)");
  EXPECT_EQ(message_of(lines[5]), "mixed a 1 b 2.5");
  EXPECT_EQ(message_of(lines[6]), "custom 123.45");
  EXPECT_EQ(message_of(lines[7]), "no arguments");
  EXPECT_EQ(message_of(lines[8]), "pointer 0x1234");
}

TEST(Logger, a_throwing_formatter_spoils_only_its_own_line) {
  TempLog log("throwing");
  {
    Logger logger(options_for(log));
    LLT_LOG_INFO(logger, "broken {}", Broken{1});
    LLT_LOG_INFO(logger, "fine {}", 2);
  }
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_NE(lines[0].find("[log format error: broken formatter"), std::string::npos) << lines[0];
  EXPECT_EQ(message_of(lines[1]), "fine 2");
}

TEST(Logger, long_strings_are_truncated_to_fit_the_record) {
  TempLog log("truncate");
  const std::string long_text(500, 'x');
  {
    Logger logger(options_for(log));
    LLT_LOG_INFO(logger, "[{}]", long_text);
    LLT_LOG_INFO(logger, "[{}] [{}] {}", long_text, long_text, 99);
  }
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 2U);
  const std::string one = message_of(lines[0]);
  EXPECT_EQ(one, "[" + std::string(kLogArgBytes - sizeof(std::uint16_t), 'x') + "]");
  // Two strings share what the int leaves, equally.
  const std::size_t share = (kLogArgBytes - sizeof(int)) / 2 - sizeof(std::uint16_t);
  const std::string x(share, 'x');
  EXPECT_EQ(message_of(lines[1]), "[" + x + "] [" + x + "] 99");
}

TEST(Logger, shutdown_flushes_every_record) {
  constexpr int kRecords = 5'000;
  TempLog log("shutdown");
  {
    LoggerOptions options = options_for(log);
    options.queue_capacity = kRecords;
    // A backend that is asleep when the logger is destroyed must still write everything.
    options.backoff.max_spins = 0;
    options.backoff.max_yields = 0;
    options.backoff.min_sleep = std::chrono::milliseconds(20);
    options.backoff.max_sleep = std::chrono::milliseconds(20);
    Logger logger(options);
    for (int i = 0; i < kRecords; ++i) {
      LLT_LOG_INFO(logger, "r {}", i);
    }
  }
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kRecords));
  EXPECT_EQ(message_of(lines.back()), "r " + std::to_string(kRecords - 1));
}

TEST(Logger, stop_while_threads_log_loses_nothing_uncounted) {
  constexpr int kPerThread = 50'000;
  TempLog log("stop_race");
  std::uint64_t dropped = 0;
  {
    LoggerOptions options = options_for(log);
    options.queue_capacity = 1024;
    Logger logger(options);
    std::atomic<int> started{0};
    auto producer = [&](int thread) {
      started.fetch_add(1);
      for (int i = 0; i < kPerThread; ++i) {
        LLT_LOG_INFO(logger, "p{} {}", thread, i);
      }
    };
    std::thread a(producer, 0);
    std::thread b(producer, 1);
    while (started.load() < 2) {
      std::this_thread::yield();
    }
    logger.stop();
    a.join();
    b.join();
    dropped = logger.dropped();
  }  // the destructor writes whatever raced past stop()
  std::size_t written = 0;
  for (const std::string& line : log.lines()) {
    written += message_of(line).rfind('p', 0) == 0 ? 1 : 0;
  }
  EXPECT_EQ(written + dropped, 2U * kPerThread);
}

TEST(Logger, flush_returns_after_earlier_records_are_written) {
  TempLog log("flush");
  Logger logger(options_for(log));
  EXPECT_TRUE(logger.flush());
  LLT_LOG_INFO(logger, "before flush {}", 1);
  ASSERT_TRUE(logger.flush());
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(message_of(lines[0]), "before flush 1");
  logger.stop();
  EXPECT_FALSE(logger.flush());  // not running: returns at once
}

TEST(Logger, logging_after_stop_is_counted_not_crashing) {
  TempLog log("after_stop");
  {
    Logger logger(options_for(log));
    ASSERT_TRUE(logger.register_thread("late"));
    LLT_LOG_INFO(logger, "before stop");
    logger.stop();
    logger.stop();  // idempotent
    EXPECT_FALSE(logger.start());
    for (int i = 0; i < 10; ++i) {
      LLT_LOG_INFO(logger, "after stop {}", i);
    }
    // A thread that never logged before the stop: its cache matches the stopped logger's word
    // (both 0) but holds no queue. It gets a queue of its own, and the drop is counted there.
    std::thread other([&logger] { LLT_LOG_ERROR(logger, "other thread after stop"); });
    other.join();
    EXPECT_EQ(logger.dropped(), 11U);
    EXPECT_EQ(logger.registered_threads(), 2U);
  }
  const auto lines = log.lines();
  EXPECT_EQ(count_containing(lines, "before stop"), 1U);
  EXPECT_EQ(count_containing(lines, "after stop"), 0U);
  EXPECT_EQ(count_containing(lines, "10 log records dropped by thread late"), 1U);
  EXPECT_EQ(count_containing(lines, " 1 log records dropped by thread "), 1U);
  EXPECT_EQ(count_containing(lines, "could not register"), 0U);
}

TEST(Logger, a_thread_without_room_in_the_registry_logging_after_stop_is_counted_unregistered) {
  TempLog log("registry_full_after_stop");
  {
    Logger logger(one_thread_options(log));
    ASSERT_TRUE(logger.register_thread("first"));
    logger.stop();
    std::thread other([&logger] {
      for (int i = 0; i < 3; ++i) {
        LLT_LOG_INFO(logger, "from second after stop {}", i);
      }
    });
    other.join();
    EXPECT_EQ(logger.dropped(), 3U);
    EXPECT_EQ(logger.registered_threads(), 1U);
  }
  const auto lines = log.lines();
  EXPECT_EQ(count_containing(lines, "from second"), 0U);
  EXPECT_EQ(count_containing(lines, "(max_threads 1), 3 in all"), 1U);
}

TEST(Logger, a_thread_alternating_between_a_stopped_and_a_running_logger) {
  TempLog a_log("stopped_a");
  TempLog b_log("running_b");
  {
    Logger a(options_for(a_log));
    Logger b(options_for(b_log));
    LLT_LOG_INFO(a, "a before stop");
    a.stop();
    for (int i = 0; i < 50; ++i) {
      LLT_LOG_INFO(a, "a after stop {}", i);
      LLT_LOG_INFO(b, "b {}", i);
    }
    EXPECT_EQ(a.dropped(), 50U);
    EXPECT_EQ(b.dropped(), 0U);
    EXPECT_EQ(a.registered_threads(), 1U);
    EXPECT_EQ(b.registered_threads(), 1U);
  }
  const auto a_lines = a_log.lines();
  const auto b_lines = b_log.lines();
  EXPECT_EQ(count_containing(a_lines, "a before stop"), 1U);
  EXPECT_EQ(count_containing(a_lines, "a after stop"), 0U);
  EXPECT_EQ(count_containing(a_lines, "50 log records dropped by thread "), 1U);
  ASSERT_EQ(b_lines.size(), 50U);
  EXPECT_EQ(message_of(b_lines[49]), "b 49");
}

TEST(Logger, a_new_logger_gets_a_new_queue_for_the_same_thread) {
  TempLog first_log("first");
  TempLog second_log("second");
  std::optional<Logger> logger;
  logger.emplace(options_for(first_log));
  LLT_LOG_INFO(*logger, "to first");
  logger.reset();
  // Likely at the same address: the thread's cached queue must not be reused.
  logger.emplace(options_for(second_log));
  EXPECT_EQ(logger->registered_threads(), 0U);
  LLT_LOG_INFO(*logger, "to second");
  EXPECT_EQ(logger->registered_threads(), 1U);
  logger.reset();
  ASSERT_EQ(first_log.lines().size(), 1U);
  ASSERT_EQ(second_log.lines().size(), 1U);
  EXPECT_EQ(message_of(second_log.lines()[0]), "to second");
}

TEST(Logger, a_thread_alternating_between_loggers_keeps_one_queue_in_each) {
  TempLog a_log("alt_a");
  TempLog b_log("alt_b");
  {
    Logger a(options_for(a_log));
    Logger b(options_for(b_log));
    for (int i = 0; i < 100; ++i) {
      LLT_LOG_INFO(a, "a {}", i);
      LLT_LOG_INFO(b, "b {}", i);
    }
    EXPECT_EQ(a.registered_threads(), 1U);
    EXPECT_EQ(b.registered_threads(), 1U);
  }
  const auto a_lines = a_log.lines();
  const auto b_lines = b_log.lines();
  ASSERT_EQ(a_lines.size(), 100U);
  ASSERT_EQ(b_lines.size(), 100U);
  EXPECT_EQ(message_of(a_lines[99]), "a 99");
  EXPECT_EQ(message_of(b_lines[99]), "b 99");
}

TEST(Logger, a_thread_beyond_max_threads_has_its_records_dropped_and_reported) {
  TempLog log("registry_full");
  {
    Logger logger(one_thread_options(log));
    ASSERT_TRUE(logger.register_thread("first"));
    std::thread other([&logger] {
      EXPECT_FALSE(logger.register_thread("second"));
      for (int i = 0; i < 5; ++i) {
        LLT_LOG_INFO(logger, "from second {}", i);
      }
    });
    other.join();
    LLT_LOG_INFO(logger, "from first");
    EXPECT_EQ(logger.dropped(), 5U);
  }
  const auto lines = log.lines();
  EXPECT_EQ(count_containing(lines, "from first"), 1U);
  EXPECT_EQ(count_containing(lines, "from second"), 0U);
  // The backend may report the five in more than one line while they happen; the last
  // report carries the total.
  std::string last_report;
  for (const std::string& line : lines) {
    if (line.find("log records dropped by threads that could not register") != line.npos) {
      last_report = line;
    }
  }
  EXPECT_NE(last_report.find("(max_threads 1), 5 in all"), std::string::npos) << last_report;
}

TEST(Logger, failed_writes_are_counted_with_their_errno) {
  LoggerOptions options;
  options.path = "/dev/full";  // every write fails with ENOSPC
  {
    Logger logger(options);
    EXPECT_EQ(logger.write_failures(), 0u);
    EXPECT_EQ(logger.last_write_errno(), 0);
    LLT_LOG_INFO(logger, "lost {}", 1);
    logger.stop();
    EXPECT_GT(logger.write_failures(), 0u);
    EXPECT_EQ(logger.last_write_errno(), ENOSPC);
  }
}

TEST(Logger, writes_to_a_stream_it_does_not_own) {
  std::FILE* stream = std::tmpfile();
  ASSERT_NE(stream, nullptr);
  {
    LoggerOptions options;
    options.stream = stream;
    Logger logger(options);
    LLT_LOG_INFO(logger, "to stream {}", 1);
  }
  std::rewind(stream);
  char line[256] = {};
  ASSERT_NE(std::fgets(line, sizeof(line), stream), nullptr);
  EXPECT_NE(std::string(line).find("to stream 1\n"), std::string::npos);
  std::fclose(stream);  // still open: the logger did not own it
}

TEST(Logger, rejects_bad_options_with_a_message_naming_them) {
  LoggerOptions options;
  options.queue_capacity = 0;
  EXPECT_THROW(Logger{options}, std::invalid_argument);
  options = LoggerOptions{};
  options.max_threads = 0;
  EXPECT_THROW(Logger{options}, std::invalid_argument);
  options = LoggerOptions{};
  options.path = "/nonexistent-dir/x.log";
  try {
    Logger logger(options);
    ADD_FAILURE() << "opening a file in a missing directory must throw";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.log"), std::string::npos);
  }
}

}  // namespace
}  // namespace llt::common
