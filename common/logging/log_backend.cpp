// The logger's cold side: construction, thread registration, and the backend thread that
// drains the producer queues, formats and writes.

#include <pthread.h>

#include <cerrno>
#include <ctime>
#include <exception>
#include <stdexcept>
#include <system_error>

#include "common/concurrent/thread_utils.h"
#include "common/error.h"
#include "common/logging/logger.h"

namespace llt::common {

namespace {

// Identifies loggers over the process's lifetime, so a thread's cached queue is never taken
// for the queue of a newer logger that happens to live at the same address.
std::atomic<std::uint64_t> g_next_generation{1};

// Identifies threads over the process's lifetime (a std::thread::id may be reused).
std::atomic<std::uint64_t> g_next_thread_token{1};

std::uint64_t this_thread_token() noexcept {
  thread_local std::uint64_t token = 0;
  if (token == 0) {
    token = g_next_thread_token.fetch_add(1, std::memory_order_relaxed);
  }
  return token;
}

// Records formatted per drain() call before the backend looks at drops and flush requests.
constexpr std::size_t kDrainBatch = 256;

constexpr std::string_view kLevelColumn[] = {"DEBUG", "INFO ", "WARN ", "ERROR", "OFF  "};

LoggerOptions validated(LoggerOptions options) {
  if (options.queue_capacity == 0 || options.queue_capacity > (std::size_t{1} << 30)) {
    throw std::invalid_argument("LoggerOptions::queue_capacity must be between 1 and 2^30");
  }
  if (options.max_threads == 0) {
    throw std::invalid_argument("LoggerOptions::max_threads must be at least 1");
  }
  if (options.path.empty() && options.stream == nullptr) {
    throw std::invalid_argument("LoggerOptions: either path or stream must be set");
  }
  if (options.min_level > LogLevel::kOff) {
    throw std::invalid_argument("LoggerOptions::min_level is not a LogLevel");
  }
  return options;
}

}  // namespace

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kOff:
      return "OFF";
  }
  return "?";
}

Logger::Logger(LoggerOptions options)
    : generation_(g_next_generation.fetch_add(1, std::memory_order_relaxed)),
      clock_(&TscClock::instance()),
      tsc_clock_(clock_->source() == TscClock::Source::kTsc),
      min_level_(validated(options).min_level),
      accepting_generation_(generation_),
      max_threads_(options.max_threads),
      queue_capacity_(options.queue_capacity),
      queues_(std::make_unique<std::unique_ptr<log_detail::ThreadQueue>[]>(options.max_threads)),
      options_(std::move(options)) {
  if (!options_.path.empty()) {
    out_ = std::fopen(options_.path.c_str(), "a");
    if (out_ == nullptr) {
      throw std::system_error(errno, std::generic_category(), "logger: open " + options_.path);
    }
    owns_out_ = true;
  } else {
    out_ = options_.stream;
  }
  buffer_.reserve(options_.write_buffer_bytes + 4096);
  if (options_.start_backend) {
    try {
      LLT_VERIFY(start(), "a logger being constructed is idle");
    } catch (...) {
      if (owns_out_) {
        std::fclose(out_);
      }
      throw;
    }
  }
}

Logger::~Logger() {
  stop();
  // No producer may run now (the destructor's contract): pick up anything that raced stop().
  drain(SIZE_MAX);
  report_drops();
  write_out();
  if (owns_out_) {
    std::fclose(out_);
  }
}

bool Logger::start() {
  const std::lock_guard lock(control_mutex_);
  if (state_ != State::kIdle) {
    return false;
  }
  stop_requested_.store(false, std::memory_order_relaxed);
  backend_running_.store(true, std::memory_order_release);
  try {
    backend_ = start_thread(options_.backend_thread_name, options_.backend_cpu,
                            [this] { backend_main(); });
  } catch (...) {
    backend_running_.store(false, std::memory_order_release);
    throw;
  }
  state_ = State::kRunning;
  return true;
}

void Logger::stop() noexcept {
  const std::lock_guard lock(control_mutex_);
  accepting_generation_.store(0, std::memory_order_seq_cst);
  if (state_ == State::kRunning) {
    stop_requested_.store(true, std::memory_order_release);
    backend_.join();
    backend_running_.store(false, std::memory_order_release);
  }
  state_ = State::kStopped;
  // The backend has joined (or never ran): this thread is now the only consumer.
  drain(SIZE_MAX);
  report_drops();
  write_out();
}

bool Logger::flush() noexcept {
  if (!backend_running_.load(std::memory_order_acquire)) {
    return false;
  }
  const std::uint64_t ticket = flush_requested_.fetch_add(1, std::memory_order_acq_rel) + 1;
  BackoffIdleStrategy idle;
  while (flushed_.load(std::memory_order_acquire) < ticket) {
    if (!backend_running_.load(std::memory_order_acquire)) {
      return flushed_.load(std::memory_order_acquire) >= ticket;
    }
    idle.idle(0);
  }
  return true;
}

bool Logger::register_thread(std::string_view name) noexcept {
  const log_detail::ThreadCache& cache = log_detail::thread_cache();
  if (cache.generation == generation_ && cache.queue != nullptr) {
    return true;
  }
  return attach_current_thread(name) != nullptr;
}

std::uint64_t Logger::dropped() const noexcept {
  std::uint64_t total = unregistered_dropped_.load(std::memory_order_relaxed);
  const std::size_t count = queue_count_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < count; ++i) {
    total += queues_[i]->dropped.load();
  }
  return total;
}

log_detail::ThreadQueue* Logger::queue_or_count_drop() noexcept {
  const log_detail::ThreadCache& cache = log_detail::thread_cache();
  log_detail::ThreadQueue* queue =
      cache.generation == generation_ ? cache.queue : attach_current_thread({});
  if (queue == nullptr) {
    unregistered_dropped_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  if (accepting_generation_.load(std::memory_order_relaxed) == 0) {
    queue->count_drop();
    return nullptr;
  }
  return queue;
}

log_detail::ThreadQueue* Logger::attach_current_thread(std::string_view name) noexcept {
  log_detail::ThreadCache& cache = log_detail::thread_cache();
  const std::uint64_t token = this_thread_token();

  // Registered before (the thread alternates between loggers): a lock-free scan.
  const std::size_t published = queue_count_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < published; ++i) {
    if (queues_[i]->owner_token == token) {
      cache = {generation_, queues_[i].get()};
      return cache.queue;
    }
  }

  log_detail::ThreadQueue* queue = nullptr;
  {
    const std::lock_guard lock(register_mutex_);
    const std::size_t count = queue_count_.load(std::memory_order_relaxed);
    if (count < max_threads_) {
      char os_name[16] = {};
      if (name.empty() && pthread_getname_np(pthread_self(), os_name, sizeof(os_name)) == 0) {
        name = os_name;
      }
      try {
        queues_[count] = std::make_unique<log_detail::ThreadQueue>(queue_capacity_, token, name);
        queue = queues_[count].get();
        queue_count_.store(count + 1, std::memory_order_release);
      } catch (const std::exception&) {
        queue = nullptr;
      }
    }
  }
  cache = {generation_, queue};
  return queue;
}

void Logger::backend_main() noexcept {
  BackoffIdleStrategy idle(options_.backoff);
  for (;;) {
    // Read before draining: once a pass finds every queue empty, all records published
    // before these were stored have been written.
    const std::uint64_t flush_request = flush_requested_.load(std::memory_order_acquire);
    const bool stopping = stop_requested_.load(std::memory_order_acquire);
    const std::size_t done = drain(kDrainBatch);
    report_drops();
    if (done == kDrainBatch) {
      idle.reset();
      continue;
    }
    const bool flush_due = flush_request != flushed_.load(std::memory_order_relaxed);
    if (done > 0 || buffer_.size() > 0 || flush_due) {
      write_out();
    }
    if (flush_due) {
      flushed_.store(flush_request, std::memory_order_release);
    }
    if (stopping) {
      return;
    }
    idle.idle(static_cast<int>(done));
  }
}

std::size_t Logger::drain(std::size_t max_records) noexcept {
  const std::size_t count = queue_count_.load(std::memory_order_acquire);
  std::size_t done = 0;
  while (done < max_records) {
    // Oldest head first, so lines of different threads come out in time order as far as
    // the records already queued allow. Within one thread the order is the queue's.
    log_detail::ThreadQueue* oldest = nullptr;
    const LogRecord* oldest_record = nullptr;
    for (std::size_t i = 0; i < count; ++i) {
      const LogRecord* record = queues_[i]->queue.front();
      if (record != nullptr && (oldest_record == nullptr || record->tsc < oldest_record->tsc)) {
        oldest = queues_[i].get();
        oldest_record = record;
      }
    }
    if (oldest == nullptr) {
      break;
    }
    write_record(*oldest_record);
    oldest->queue.pop();
    ++done;
    if (buffer_.size() >= options_.write_buffer_bytes) {
      write_out();
    }
  }
  return done;
}

void Logger::append_prefix(std::uint64_t tsc, LogLevel level, const char* file, int line) {
  const std::uint64_t ns = clock_->to_realtime_ns(tsc);
  const auto second = static_cast<std::int64_t>(ns / 1'000'000'000);
  const auto nanos = static_cast<std::uint32_t>(ns % 1'000'000'000);
  if (second != cached_second_) {
    const auto t = static_cast<std::time_t>(second);
    std::tm tm{};
    gmtime_r(&t, &tm);
    fmt::format_to_n(cached_date_.data(), cached_date_.size(),
                     "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_second_ = second;
  }
  buffer_.append(cached_date_.data(), cached_date_.data() + cached_date_.size());
  const auto level_index = static_cast<std::size_t>(level);
  const std::string_view level_column =
      level_index < std::size(kLevelColumn) ? kLevelColumn[level_index] : "?    ";
  fmt::format_to(fmt::appender(buffer_), "{:09} {} {}:{} ", nanos, level_column, file, line);
}

void Logger::write_record(const LogRecord& record) noexcept {
  const LogSite& site = *record.site;
  try {
    append_prefix(record.tsc, site.level, site.file, site.line);
    site.format_args(site.format, record.args, buffer_);
  } catch (const std::exception& e) {
    try {
      fmt::format_to(fmt::appender(buffer_), "[log format error: {}; format \"{}\"]", e.what(),
                     site.format);
    } catch (...) {
    }
  }
  buffer_.push_back('\n');
}

void Logger::report_drops() noexcept {
  const std::size_t count = queue_count_.load(std::memory_order_acquire);
  try {
    for (std::size_t i = 0; i < count; ++i) {
      log_detail::ThreadQueue& queue = *queues_[i];
      const std::uint64_t dropped = queue.dropped.load();
      if (dropped != queue.reported) {
        append_prefix(clock_->now_ticks(), LogLevel::kWarn, "logger", 0);
        fmt::format_to(fmt::appender(buffer_),
                       "{} log records dropped by thread {} (#{}), {} in all\n",
                       dropped - queue.reported, queue.name, queue.owner_token, dropped);
        queue.reported = dropped;
      }
    }
    const std::uint64_t unregistered = unregistered_dropped_.load(std::memory_order_relaxed);
    if (unregistered != unregistered_reported_) {
      append_prefix(clock_->now_ticks(), LogLevel::kWarn, "logger", 0);
      fmt::format_to(fmt::appender(buffer_),
                     "{} log records dropped by threads that could not register "
                     "(max_threads {}), {} in all\n",
                     unregistered - unregistered_reported_, max_threads_, unregistered);
      unregistered_reported_ = unregistered;
    }
  } catch (...) {
    // Only allocation failure can get here; the report is retried on the next pass.
  }
}

void Logger::write_out() noexcept {
  if (buffer_.size() > 0) {
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), out_) != buffer_.size()) {
      write_failures_.add();
      last_write_errno_.store(errno, std::memory_order_relaxed);
    }
    buffer_.clear();
  }
  if (std::fflush(out_) != 0) {
    write_failures_.add();
    last_write_errno_.store(errno, std::memory_order_relaxed);
  }
}

}  // namespace llt::common
