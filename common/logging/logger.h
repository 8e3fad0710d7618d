#pragma once

// Asynchronous logger: a hot frontend inline in this header and a cold backend in
// log_backend.cpp.
//
// The caller's thread copies a TSC timestamp, a pointer to the call site's static metadata
// and its arguments (as raw bytes) into a fixed-size record in its own SPSC queue; nothing is
// formatted, allocated, locked or system-called there. One backend thread drains every
// queue, formats with fmt and writes
//
//   YYYY-MM-DD HH:MM:SS.nnnnnnnnn LEVEL file:line message
//
// (UTC wall time of the TSC stamp). A full queue never blocks the caller: the record is
// dropped, counted on that thread's queue, reported by the backend in a line of its own and
// included in Logger::dropped().
//
//   llt::common::Logger logger({.path = "/tmp/exchange.log", .min_level = LogLevel::kInfo});
//   logger.register_thread("matcher");                 // at agent start-up: allocates once
//   LLT_LOG_INFO(logger, "order {} filled {} @ {}", order_id, qty, price);
//
// Arguments (the rule): each argument is copied into the record when the call is made.
// - Trivially copyable values (integers, floating point, bool, char, enums, trivially
//   copyable structs with an fmt::formatter) are copied as they are. An enum without an
//   fmt::formatter specialisation is printed as its underlying integer.
// - Strings (string literals, const char*, std::string_view, std::string) are copied
//   byte by byte, so the pointer need only be valid during the call. A const char* is read
//   with strnlen up to the space left, so an unterminated buffer is never over-read past the
//   record; nullptr prints "(null)". Strings share the space the fixed-size arguments leave
//   (kLogArgBytes in all) and are truncated to fit, each getting at most an equal share.
// - Anything else (std::vector, non-void pointers, ...) does not compile: format it on a
//   cold path first. The format string is checked against the argument types at compile
//   time, as fmt::format checks it.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "common/concurrent/cache_line.h"
#include "common/concurrent/idle_strategy.h"
#include "common/concurrent/single_writer_counter.h"
#include "common/concurrent/spsc_queue.h"
#include "common/error.h"
#include "common/time/rdtsc.h"
#include "common/time/tsc_clock.h"

namespace llt::common {

enum class LogLevel : std::uint8_t { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

// "DEBUG", "INFO", "WARN", "ERROR", "OFF".
std::string_view to_string(LogLevel level) noexcept;

// One record in a producer queue: two cache lines. A call whose arguments are small writes
// only the first.
inline constexpr std::size_t kLogRecordSize = 2 * kCacheLineSize;
// Bytes available for the arguments of one call.
inline constexpr std::size_t kLogArgBytes = kLogRecordSize - 2 * sizeof(std::uint64_t);

struct LoggerOptions {
  // Records per producing thread (kLogRecordSize bytes each), rounded up to a power of two.
  // A thread that logs faster than the backend writes drops once this many are pending.
  std::size_t queue_capacity = 16 * 1024;
  // Producing threads that can register over the logger's lifetime (the registry is a
  // fixed array). A thread beyond this has its records dropped and counted.
  std::size_t max_threads = 32;
  // Output file, opened for appending. Empty: write to `stream` instead.
  std::string path;
  // Used when `path` is empty; not closed by the logger.
  std::FILE* stream = stderr;
  LogLevel min_level = LogLevel::kInfo;
  // What the backend thread does when every queue is empty: spin, yield, then sleep.
  BackoffOptions backoff{};
  // CPU the backend thread is pinned to; nullopt: not pinned.
  std::optional<int> backend_cpu;
  std::string backend_thread_name = "llt-logger";
  // Formatted bytes the backend buffers before writing; it also writes (and fflushes)
  // whenever the queues run empty.
  std::size_t write_buffer_bytes = 64 * 1024;
  // false: the constructor does not start the backend; call start(). Records logged before
  // then wait in the queues (and drop once a queue is full).
  bool start_backend = true;
};

namespace log_detail {

// Formats the arguments encoded in a record's argument bytes and appends them to `out`.
// Backend thread only; may throw what fmt or a user formatter throws.
using FormatFn = void (*)(std::string_view format, const unsigned char* args,
                          fmt::memory_buffer& out);

}  // namespace log_detail

// Static metadata of one call site, a constant built by the LLT_LOG_* macros. Records point
// to it, so it must outlive the logger: the macros make it a function-local static.
struct LogSite {
  LogLevel level;
  int line;
  const char* file;  // base name of the source file
  std::string_view format;
  log_detail::FormatFn format_args;
};

namespace log_detail {

// The type an argument of type T is stored as: decayed, so a string literal or char array
// becomes const char* (copied as a string) and a top-level const goes.
template <typename T>
using StoredArg = std::decay_t<const T>;

template <typename T>
inline constexpr bool kIsString =
    std::is_same_v<T, const char*> || std::is_same_v<T, char*> ||
    std::is_same_v<T, std::string_view> || std::is_same_v<T, std::string>;

// How an argument of stored type T (already decayed) is handed to fmt by the backend.
template <typename T>
constexpr auto format_type_of() {
  if constexpr (kIsString<T>) {
    return std::type_identity<std::string_view>{};
  } else if constexpr (std::is_enum_v<T> && !std::is_constructible_v<fmt::formatter<T, char>>) {
    return std::type_identity<std::underlying_type_t<T>>{};
  } else {
    return std::type_identity<T>{};
  }
}
template <typename T>
using FormatArg = typename decltype(format_type_of<T>())::type;

// A string is stored as a 16-bit length and the bytes, after the fixed-size arguments.
using StringLength = std::uint16_t;
static_assert(kLogArgBytes <= UINT16_MAX, "a string length must fit its 16-bit prefix");

constexpr std::size_t align_up(std::size_t n, std::size_t align) noexcept {
  return (n + align - 1) / align * align;
}

// Where each argument of the stored types Args goes in the argument bytes. Fixed-size
// arguments come first, each at its aligned offset (for a string, `offset` is its index
// among the strings); the strings follow, in argument order.
template <typename... Args>
struct ArgLayout {
  static constexpr std::size_t kCount = sizeof...(Args);

  struct Plan {
    std::array<std::size_t, kCount> offset{};
    std::size_t fixed_end = 0;
    std::size_t strings = 0;
  };

  static constexpr Plan plan() {
    constexpr std::array<bool, kCount> is_string{kIsString<Args>...};
    constexpr std::array<std::size_t, kCount> size{sizeof(Args)...};
    constexpr std::array<std::size_t, kCount> align{alignof(Args)...};
    Plan p;
    for (std::size_t i = 0; i < kCount; ++i) {
      if (is_string[i]) {
        p.offset[i] = p.strings++;
      } else {
        p.fixed_end = align_up(p.fixed_end, align[i]);
        p.offset[i] = p.fixed_end;
        p.fixed_end += size[i];
      }
    }
    return p;
  }

  static constexpr Plan kPlan = plan();

  static_assert(((kIsString<Args> || std::is_trivially_copyable_v<Args>)&&...),
                "log arguments must be trivially copyable or strings: format anything else "
                "on a cold path first");
  static_assert(((alignof(Args) <= 16) && ...), "log arguments are at most 16-byte aligned");
  static_assert(kPlan.fixed_end + kPlan.strings * sizeof(StringLength) <= kLogArgBytes,
                "log arguments do not fit in one record (kLogArgBytes)");
};

template <typename T>
inline void encode_one(unsigned char* args, std::size_t offset, const T& value,
                       std::size_t& string_pos, std::size_t& strings_left) noexcept {
  if constexpr (kIsString<T>) {
    // Equal share of what is left; the layout guarantees at least the length prefix each.
    const std::size_t share = (kLogArgBytes - string_pos) / strings_left--;
    const std::size_t cap = share - sizeof(StringLength);
    const char* data;
    std::size_t length;
    if constexpr (std::is_pointer_v<T>) {
      data = value != nullptr ? value : "(null)";
      length = ::strnlen(data, cap);
    } else {
      data = value.data();
      length = std::min(value.size(), cap);
    }
    const auto prefix = static_cast<StringLength>(length);
    std::memcpy(args + string_pos, &prefix, sizeof(prefix));
    std::memcpy(args + string_pos + sizeof(prefix), data, length);
    string_pos += sizeof(prefix) + length;
  } else {
    ::new (static_cast<void*>(args + offset)) T(value);
  }
}

template <typename... Args>
inline void encode_args(unsigned char* args, const Args&... values) noexcept {
  using Layout = ArgLayout<Args...>;
  [[maybe_unused]] std::size_t string_pos = Layout::kPlan.fixed_end;
  [[maybe_unused]] std::size_t strings_left = Layout::kPlan.strings;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (encode_one<Args>(args, Layout::kPlan.offset[I], values, string_pos, strings_left), ...);
  }
  (std::index_sequence_for<Args...>{});
}

template <typename T, std::size_t I, typename Layout, typename Strings>
inline decltype(auto) decode_one(const unsigned char* args, const Strings& strings) noexcept {
  if constexpr (kIsString<T>) {
    return strings[Layout::kPlan.offset[I]];
  } else {
    const T& value = *std::launder(reinterpret_cast<const T*>(args + Layout::kPlan.offset[I]));
    if constexpr (std::is_same_v<FormatArg<T>, T>) {
      return value;
    } else {
      return static_cast<FormatArg<T>>(value);
    }
  }
}

// The FormatFn of a call site whose (decayed) argument types are Args.
template <typename... Args>
void format_args(std::string_view format, const unsigned char* args, fmt::memory_buffer& out) {
  using Layout = ArgLayout<Args...>;
  std::array<std::string_view, Layout::kPlan.strings> strings{};
  std::size_t pos = Layout::kPlan.fixed_end;
  for (std::string_view& s : strings) {
    StringLength length = 0;
    std::memcpy(&length, args + pos, sizeof(length));
    s = std::string_view(reinterpret_cast<const char*>(args + pos + sizeof(length)), length);
    pos += sizeof(length) + length;
  }
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    fmt::format_to(fmt::appender(out), fmt::runtime(format),
                   decode_one<Args, I, Layout>(args, strings)...);
  }
  (std::index_sequence_for<Args...>{});
}

template <typename... Args>
struct TypeList {};

// Only named inside decltype by the macros: the decayed types of the call's arguments.
template <typename... Args>
TypeList<StoredArg<Args>...> arg_types(const Args&...);

template <typename List>
struct FormatFnOf;
template <typename... Args>
struct FormatFnOf<TypeList<Args...>> {
  static constexpr FormatFn kValue = &format_args<Args...>;
};

constexpr const char* file_basename(const char* path) noexcept {
  const char* base = path;
  for (const char* p = path; *p != '\0'; ++p) {
    if (*p == '/') {
      base = p + 1;
    }
  }
  return base;
}

}  // namespace log_detail

// One slot of a producer queue. Fixed size so the queue is a plain SpscQueue and a record is
// written in place, with no intermediate copy.
struct alignas(kCacheLineSize) LogRecord {
  template <typename... Args>
  LogRecord(const LogSite* log_site, std::uint64_t tsc_ticks, const Args&... values) noexcept
      : site(log_site), tsc(tsc_ticks) {
    log_detail::encode_args<log_detail::StoredArg<Args>...>(args, values...);
  }

  const LogSite* site;
  std::uint64_t tsc;
  // Left uninitialised: only the bytes the arguments need are written.
  alignas(16) unsigned char args[kLogArgBytes];
};
static_assert(sizeof(LogRecord) == kLogRecordSize, "a record is exactly two cache lines");
static_assert(offsetof(LogRecord, args) == 16, "arguments start 16-byte aligned");
static_assert(std::is_trivially_destructible_v<LogRecord>, "pop() must cost nothing");

namespace log_detail {

// One producing thread's queue and drop counter, owned by the Logger's registry.
struct alignas(kCacheLineSize) ThreadQueue {
  ThreadQueue(std::size_t capacity, std::uint64_t token, std::string_view thread_name)
      : queue(capacity), owner_token(token) {
    const std::size_t n = std::min(thread_name.size(), sizeof(name) - 1);
    std::memcpy(name, thread_name.data(), n);
    name[n] = '\0';
  }

  // Producer only (the owning thread).
  void count_drop() noexcept { dropped.add(); }

  SpscQueue<LogRecord> queue;
  // Written by the producer only when it drops; read by the backend and by dropped().
  alignas(kCacheLineSize) SingleWriterCounter dropped;
  std::uint64_t reported = 0;  // backend only: drops already reported in the output
  // Read-only after registration.
  alignas(kCacheLineSize) const std::uint64_t owner_token;
  char name[16] = {};
};

// The calling thread's last (logger generation, queue) pair. Constant-initialised, so
// reading it costs a TLS access and no guard.
struct ThreadCache {
  std::uint64_t generation = 0;
  ThreadQueue* queue = nullptr;
};
inline ThreadCache& thread_cache() noexcept {
  static thread_local ThreadCache cache;
  return cache;
}

}  // namespace log_detail

// Thread contract:
// - log() (through the LLT_LOG_* macros), should_log(), register_thread(): any thread; each
//   producing thread gets its own queue. Never blocks, never allocates after the thread
//   registered, never throws.
// - set_min_level(), min_level(), dropped(), flush(), registered_threads(): any thread.
// - start(), stop(): any thread, serialised internally. The destructor must not run while
//   another thread may still log to this logger.
// Several loggers may exist at once or one after another; a thread that alternates between
// two loggers pays a lock-free registry scan at each switch, so give each thread one logger.
class Logger {
 public:
  // Opens the output (throws std::system_error naming the path), validates the options
  // (throws std::invalid_argument naming the option), allocates the registry and starts the
  // backend thread unless options.start_backend is false.
  explicit Logger(LoggerOptions options);
  // stop(), then writes anything still queued and closes a file it opened.
  ~Logger();

  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // Starts the backend thread. Returns false when it was already started or stopped.
  // Throws std::system_error when the thread cannot be created.
  [[nodiscard]] bool start();

  // Stops accepting records (later calls are counted as dropped), lets the backend drain
  // every queue, joins it, then writes whatever raced in, reports drops and flushes the
  // output. Idempotent.
  void stop() noexcept;

  // Blocks until every record logged before this call (by any thread, as ordered by
  // happens-before) is written and the output fflushed. Returns false, without waiting,
  // when the backend is not running, or when it stopped before getting there. Cold.
  [[nodiscard]] bool flush() noexcept;

  // Allocates the calling thread's queue now, so its first log call does not. `name` is
  // used in drop reports (default: the thread's OS name). Returns true when the thread has
  // a queue, false when the registry is full or the allocation failed.
  [[nodiscard]] bool register_thread(std::string_view name = {}) noexcept;

  [[nodiscard]] bool should_log(LogLevel level) const noexcept {
    return level >= min_level_.load(std::memory_order_relaxed);
  }
  void set_min_level(LogLevel level) noexcept {
    min_level_.store(level, std::memory_order_relaxed);
  }
  [[nodiscard]] LogLevel min_level() const noexcept {
    return min_level_.load(std::memory_order_relaxed);
  }

  // Records dropped so far: queue full, logged after stop(), or thread not registered
  // (registry full). Exact once producers are quiet.
  [[nodiscard]] std::uint64_t dropped() const noexcept;

  [[nodiscard]] std::size_t registered_threads() const noexcept {
    return queue_count_.load(std::memory_order_acquire);
  }

  // Writes to the output that failed (short fwrite or fflush error). Backend-maintained.
  [[nodiscard]] std::uint64_t write_failures() const noexcept { return write_failures_.load(); }
  // The errno of the last failed write (0: none failed), for the report of a lost log.
  [[nodiscard]] int last_write_errno() const noexcept {
    return last_write_errno_.load(std::memory_order_relaxed);
  }

  // The hot path; call it through LLT_LOG_* (which checks the level first and builds the
  // static site). `format` is unused at run time: its type checks the format string against
  // the arguments at compile time. Copies the arguments into the calling thread's queue, or
  // counts a drop when the queue is full, the logger is stopped or the thread has no queue.
  template <typename... Args>
  void log(
      const LogSite& site,
      [[maybe_unused]] fmt::format_string<log_detail::FormatArg<log_detail::StoredArg<Args>>...>
          format,
      const Args&... args) noexcept {
    const log_detail::ThreadCache& cache = log_detail::thread_cache();
    log_detail::ThreadQueue* queue = cache.queue;
    // One load tells both that the thread's cached queue is this logger's and that the logger
    // still takes records: stop() sets accepting_generation_ to 0, which no cache holding a
    // queue has. The null test is not redundant: a thread that never logged has the cache
    // {0, nullptr}, which matches a stopped logger, and a thread the registry had no room for
    // holds this logger's generation with no queue.
    if (LLT_UNLIKELY(cache.generation != accepting_generation_.load(std::memory_order_relaxed) ||
                     queue == nullptr)) {
      queue = queue_or_count_drop();
      if (queue == nullptr) {
        return;
      }
    }
    const std::uint64_t ticks = tsc_clock_ ? rdtsc() : clock_->now_ticks();
    if (LLT_UNLIKELY(!queue->queue.try_emplace(&site, ticks, args...))) {
      queue->count_drop();
    }
  }

 private:
  enum class State { kIdle, kRunning, kStopped };

  // Finds or creates the calling thread's queue and caches it; nullptr when the registry is
  // full or the allocation failed (also cached, so later calls just count drops).
  log_detail::ThreadQueue* attach_current_thread(std::string_view name) noexcept;
  // log()'s cold path: the calling thread's queue (attached first if need be) while the logger
  // takes records; otherwise counts the call as dropped and returns nullptr.
  log_detail::ThreadQueue* queue_or_count_drop() noexcept;

  // Backend side; only the backend thread calls these while it runs, and the thread that
  // stops the logger after it joined.
  void backend_main() noexcept;
  std::size_t drain(std::size_t max_records) noexcept;
  void write_record(const LogRecord& record) noexcept;
  void append_prefix(std::uint64_t tsc, LogLevel level, const char* file, int line);
  void report_drops() noexcept;
  void write_out() noexcept;

  // Read by every producer on every call; written only by set_min_level() and stop().
  alignas(kCacheLineSize) const std::uint64_t generation_;
  const TscClock* const clock_;
  const bool tsc_clock_;  // clock_ reads the TSC: the call reads it directly
  std::atomic<LogLevel> min_level_;
  // generation_ while the logger takes records, 0 once stop() began.
  std::atomic<std::uint64_t> accepting_generation_;

  // Producers without a queue (registry full) share this counter: a rare path.
  alignas(kCacheLineSize) std::atomic<std::uint64_t> unregistered_dropped_{0};

  // Registry: a fixed array published by the count, so the backend and the producers'
  // lookups iterate it without a lock. Only registration takes register_mutex_.
  alignas(kCacheLineSize) const std::size_t max_threads_;
  const std::size_t queue_capacity_;
  std::unique_ptr<std::unique_ptr<log_detail::ThreadQueue>[]> queues_;
  std::atomic<std::size_t> queue_count_{0};
  std::mutex register_mutex_;

  // Control (start/stop/flush).
  std::mutex control_mutex_;
  State state_ = State::kIdle;
  std::thread backend_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> backend_running_{false};
  alignas(kCacheLineSize) std::atomic<std::uint64_t> flush_requested_{0};
  alignas(kCacheLineSize) std::atomic<std::uint64_t> flushed_{0};
  // Written by the backend while it runs, then by the thread that stopped it (after the
  // join, under control_mutex_): one writer at a time.
  SingleWriterCounter write_failures_;
  std::atomic<int> last_write_errno_{0};

  // Backend only.
  LoggerOptions options_;
  std::FILE* out_ = nullptr;
  bool owns_out_ = false;
  fmt::memory_buffer buffer_;
  std::int64_t cached_second_ = -1;
  std::array<char, 20> cached_date_{};  // "YYYY-MM-DD HH:MM:SS."
  std::uint64_t unregistered_reported_ = 0;
};

}  // namespace llt::common

// LLT_LOG_INFO(logger, "format {}", args...): checks the level first (arguments are not
// evaluated below it), then copies the arguments into the calling thread's queue. The level
// must be a constant; the format string must be a literal, checked at compile time.
#define LLT_LOG(logger, level, format, ...)                                                    \
  do {                                                                                         \
    auto& llt_log_logger = (logger);                                                           \
    if (llt_log_logger.should_log(level)) {                                                    \
      static constexpr ::llt::common::LogSite llt_log_site{                                    \
          (level), __LINE__, ::llt::common::log_detail::file_basename(__FILE__), (format),     \
          ::llt::common::log_detail::FormatFnOf<decltype(::llt::common::log_detail::arg_types( \
              __VA_ARGS__))>::kValue};                                                         \
      llt_log_logger.log(llt_log_site, format __VA_OPT__(, ) __VA_ARGS__);                     \
    }                                                                                          \
  } while (false)

#define LLT_LOG_DEBUG(logger, format, ...) \
  LLT_LOG(logger, ::llt::common::LogLevel::kDebug, format __VA_OPT__(, ) __VA_ARGS__)
#define LLT_LOG_INFO(logger, format, ...) \
  LLT_LOG(logger, ::llt::common::LogLevel::kInfo, format __VA_OPT__(, ) __VA_ARGS__)
#define LLT_LOG_WARN(logger, format, ...) \
  LLT_LOG(logger, ::llt::common::LogLevel::kWarn, format __VA_OPT__(, ) __VA_ARGS__)
#define LLT_LOG_ERROR(logger, format, ...) \
  LLT_LOG(logger, ::llt::common::LogLevel::kError, format __VA_OPT__(, ) __VA_ARGS__)
