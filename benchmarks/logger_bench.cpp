// Caller-side cost of one log call with one integer and one double: our async logger beside
// spdlog's async logger, same process, both writing to /dev/null from a backend thread.
//
// Two measurements:
// - Google Benchmark: mean ns per call over a tight loop.
// - A separate loop timing each call with the TSC, for p50/p90/p99/p99.9/max; ours and
//   spdlog alternate in batches so both see the same machine conditions. Figures include the
//   cost of the two TSC reads, shown on the "timer only" row. The "timestamp only" row times
//   a call that does nothing but read the TSC once, as every log call does to stamp its
//   record: the floor of any TSC-stamping logger under this timer. On a machine whose TSC
//   reads cost about one step of its granularity (10 ns on the AMD EPYC guests measured in
//   benchmarks/RESULTS.md), that floor is two steps.
//
// - Batched: each sample times 64 consecutive calls between two TSC reads and divides by 64,
//   so per-call p50/p90/p99 are resolved below the clock's step (about 10 ns on the guests of
//   RESULTS.md, where a single timed call reads either 0, 1 or 2 steps). Ours, spdlog async,
//   a bare TSC read (the "timestamp only" call) and an empty call (the timer's own share)
//   take turns, 64 samples each, so all see the same conditions; the ratios spdlog/ours and
//   ours/bare TSC read are taken at the batch p50.
//
// Both loggers are drained (timing paused) every kBatch calls, so neither queue fills: what
// is measured is the call, not a full queue. Drops are printed at the end all the same.
// The VM's state (benchmarks/vm_state.h) is printed before the first measurement and after
// the last; the batched section is 10x shorter with --benchmark_min_time=0.05.
// Threads: the caller is pinned to CPU 1 and both backends to CPU 0 when there are 2 CPUs.

#include <benchmark/benchmark.h>
#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "benchmarks/vm_state.h"
#include "common/concurrent/thread_utils.h"
#include "common/logging/logger.h"
#include "common/time/tsc_clock.h"

namespace {

using llt::common::Logger;
using llt::common::LoggerOptions;
using llt::common::TscClock;

constexpr std::size_t kQueueCapacity = 16 * 1024;  // records, for both loggers
constexpr std::int64_t kBatch = 4096;              // calls between drains; < kQueueCapacity
constexpr std::size_t kSamples = 200'000;          // per logger, for the percentiles
constexpr int kCallsPerSample = 64;                // batched section: calls per timed sample
constexpr std::int64_t kSamplesPerTurn = kBatch / kCallsPerSample;  // then drain, next subject
constexpr std::size_t kTurns = 400;  // per subject: 25,600 samples, 1,638,400 calls (full mode)
constexpr const char* kSinkPath = "/dev/null";

constexpr int kCallerCpu = 1;
constexpr int kBackendCpu = 0;

// Decided once at start-up: after the caller pins itself, its affinity shows one CPU.
const bool g_can_pin = llt::common::available_cpus() >= 2;
bool can_pin() {
  return g_can_pin;
}

[[noreturn]] void fail(const char* why) {
  std::fprintf(stderr, "logger_bench: %s\n", why);
  std::abort();
}

std::unique_ptr<Logger> g_ours;
std::shared_ptr<spdlog::details::thread_pool> g_spdlog_pool;
std::shared_ptr<spdlog::async_logger> g_spdlog;

void make_loggers() {
  LoggerOptions options;
  options.path = kSinkPath;
  options.queue_capacity = kQueueCapacity;
  options.min_level = llt::common::LogLevel::kInfo;
  if (can_pin()) {
    options.backend_cpu = kBackendCpu;
  }
  g_ours = std::make_unique<Logger>(options);
  if (!g_ours->register_thread("bench-caller")) {
    fail("the logger refused to register the calling thread");
  }

  g_spdlog_pool = std::make_shared<spdlog::details::thread_pool>(kQueueCapacity, 1, [] {
    if (can_pin()) {
      llt::common::pin_current_thread(kBackendCpu);
    }
  });
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_st>(kSinkPath);
  g_spdlog = std::make_shared<spdlog::async_logger>("peer", std::move(sink), g_spdlog_pool,
                                                    spdlog::async_overflow_policy::overrun_oldest);
  g_spdlog->set_level(spdlog::level::info);
}

void drain_ours() {
  // Outside the timed region: a drain that did not happen would leave the next batch to a
  // full queue, measuring drops instead of logging.
  if (!g_ours->flush()) {
    fail("flush() of a logger whose backend is not running");
  }
}

void drain_spdlog() {
  while (g_spdlog_pool->queue_size() > 0) {
    std::this_thread::yield();
  }
}

// The call under test, identical in shape for both.
inline void log_ours(std::int64_t i) {
  LLT_LOG_INFO(*g_ours, "order {} price {}", i, static_cast<double>(i) * 0.25);
}
inline void log_spdlog(std::int64_t i) {
  g_spdlog->info("order {} price {}", i, static_cast<double>(i) * 0.25);
}

void BM_ours_log_int_double(benchmark::State& state) {
  drain_ours();  // start with an empty queue, before the timer runs
  std::int64_t i = 0;
  for (auto _ : state) {
    log_ours(i);
    if (++i % kBatch == 0) {
      state.PauseTiming();
      drain_ours();
      state.ResumeTiming();
    }
  }
}
BENCHMARK(BM_ours_log_int_double);

void BM_spdlog_async_log_int_double(benchmark::State& state) {
  drain_spdlog();  // start with an empty queue, before the timer runs
  std::int64_t i = 0;
  for (auto _ : state) {
    log_spdlog(i);
    if (++i % kBatch == 0) {
      state.PauseTiming();
      drain_spdlog();
      state.ResumeTiming();
    }
  }
}
BENCHMARK(BM_spdlog_async_log_int_double);

// Remembers the mean real time per iteration of each benchmark for the ratio line.
class CapturingReporter : public benchmark::ConsoleReporter {
 public:
  CapturingReporter() : ConsoleReporter(::isatty(STDOUT_FILENO) ? OO_Defaults : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration && run.time_unit == benchmark::kNanosecond) {
        mean_ns[run.run_name.function_name] = run.GetAdjustedRealTime();
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> mean_ns;
};

struct Percentiles {
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double p999 = 0;
  double max = 0;
};

Percentiles percentiles(std::vector<std::uint64_t>& ticks) {
  std::sort(ticks.begin(), ticks.end());
  const TscClock& clock = TscClock::instance();
  auto at = [&](double q) {
    const auto index = static_cast<std::size_t>(q * static_cast<double>(ticks.size() - 1));
    return static_cast<double>(clock.ticks_to_ns(ticks[index]));
  };
  return {at(0.50), at(0.90), at(0.99), at(0.999), at(1.0)};
}

// Times each call with the TSC; ours, spdlog and an empty call alternate per batch.
void measure_percentiles(const CapturingReporter& reporter) {
  const TscClock& clock = TscClock::instance();
  std::vector<std::uint64_t> ours;
  std::vector<std::uint64_t> peer;
  std::vector<std::uint64_t> empty;
  std::vector<std::uint64_t> stamp;
  ours.reserve(kSamples);
  peer.reserve(kSamples);
  empty.reserve(kSamples);
  stamp.reserve(kSamples);
  std::int64_t n = 0;
  while (ours.size() < kSamples) {
    for (std::int64_t k = 0; k < kBatch && ours.size() < kSamples; ++k, ++n) {
      const std::uint64_t t0 = clock.now_ticks();
      log_ours(n);
      const std::uint64_t t1 = clock.now_ticks();
      ours.push_back(t1 - t0);
    }
    drain_ours();
    for (std::int64_t k = 0; k < kBatch && peer.size() < kSamples; ++k, ++n) {
      const std::uint64_t t0 = clock.now_ticks();
      log_spdlog(n);
      const std::uint64_t t1 = clock.now_ticks();
      peer.push_back(t1 - t0);
    }
    drain_spdlog();
    for (std::int64_t k = 0; k < kBatch && empty.size() < kSamples; ++k) {
      const std::uint64_t t0 = clock.now_ticks();
      benchmark::ClobberMemory();
      const std::uint64_t t1 = clock.now_ticks();
      empty.push_back(t1 - t0);
    }
    for (std::int64_t k = 0; k < kBatch && stamp.size() < kSamples; ++k) {
      const std::uint64_t t0 = clock.now_ticks();
      std::uint64_t timestamp = clock.now_ticks();
      benchmark::DoNotOptimize(timestamp);
      const std::uint64_t t1 = clock.now_ticks();
      stamp.push_back(t1 - t0);
    }
  }
  const Percentiles o = percentiles(ours);
  const Percentiles p = percentiles(peer);
  const Percentiles e = percentiles(empty);
  const Percentiles s = percentiles(stamp);
  auto mean_of = [&](const char* name) {
    const auto it = reporter.mean_ns.find(name);
    return it == reporter.mean_ns.end() ? 0.0 : it->second;
  };
  const double ours_mean = mean_of("BM_ours_log_int_double");
  const double peer_mean = mean_of("BM_spdlog_async_log_int_double");

  std::printf("\ncaller-side ns per log call (one int64, one double), %zu timed calls each\n",
              kSamples);
  std::printf("%-15s %10s %8s %8s %8s %8s %10s\n", "logger", "mean(gb)", "p50", "p90", "p99",
              "p99.9", "max");
  auto row = [](const char* name, double mean, const Percentiles& q) {
    std::printf("%-15s %10.1f %8.0f %8.0f %8.0f %8.0f %10.0f\n", name, mean, q.p50, q.p90, q.p99,
                q.p999, q.max);
  };
  row("ours", ours_mean, o);
  row("spdlog async", peer_mean, p);
  row("timer only", 0.0, e);
  row("timestamp only", 0.0, s);
  std::printf("ratio ours/peer p50 %.3f mean %.3f  (peer/ours: p50 %.1fx, mean %.1fx)\n",
              p.p50 > 0 ? o.p50 / p.p50 : 0.0, peer_mean > 0 ? ours_mean / peer_mean : 0.0,
              o.p50 > 0 ? p.p50 / o.p50 : 0.0, ours_mean > 0 ? peer_mean / ours_mean : 0.0);
  std::printf(
      "timestamp-only p50 %.0f ns: a logger that did nothing else would read p50 %.1fx "
      "faster than spdlog under this timer\n",
      s.p50, s.p50 > 0 ? p.p50 / s.p50 : 0.0);
}

// Batched section: per-call ns of samples of kCallsPerSample calls.
struct BatchFigures {
  double mean = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;
};

BatchFigures batch_figures(std::vector<std::uint64_t>& ticks) {
  const TscClock& clock = TscClock::instance();
  std::sort(ticks.begin(), ticks.end());
  const double ns_per_tick_and_call = 1.0 / clock.ticks_per_ns() / kCallsPerSample;
  auto at = [&](double q) {
    const auto index = static_cast<std::size_t>(q * static_cast<double>(ticks.size() - 1));
    return static_cast<double>(ticks[index]) * ns_per_tick_and_call;
  };
  double sum = 0;
  for (const std::uint64_t t : ticks) {
    sum += static_cast<double>(t);
  }
  return {sum / static_cast<double>(ticks.size()) * ns_per_tick_and_call, at(0.50), at(0.90),
          at(0.99), at(1.0)};
}

// kSamplesPerTurn samples of kCallsPerSample calls of `call(n)`, each sample timed as a whole.
template <typename Call>
void time_turn(std::vector<std::uint64_t>& samples, std::int64_t& n, Call call) {
  const TscClock& clock = TscClock::instance();
  for (std::int64_t s = 0; s < kSamplesPerTurn; ++s) {
    const std::uint64_t t0 = clock.now_ticks();
    for (int k = 0; k < kCallsPerSample; ++k) {
      call(n++);
    }
    const std::uint64_t t1 = clock.now_ticks();
    samples.push_back(t1 - t0);
  }
}

// Ours, spdlog, the bare TSC read and an empty call take turns of kSamplesPerTurn samples (a
// turn is kBatch calls, so a logger is drained after each of its turns, timing paused).
void measure_batched(double scale) {
  const TscClock& clock = TscClock::instance();
  const auto turns =
      std::max<std::size_t>(10, static_cast<std::size_t>(static_cast<double>(kTurns) * scale));
  const std::size_t samples = turns * static_cast<std::size_t>(kSamplesPerTurn);
  std::vector<std::uint64_t> ours;
  std::vector<std::uint64_t> peer;
  std::vector<std::uint64_t> stamp;
  std::vector<std::uint64_t> empty;
  ours.reserve(samples);
  peer.reserve(samples);
  stamp.reserve(samples);
  empty.reserve(samples);
  std::int64_t n = 0;
  drain_ours();
  drain_spdlog();
  for (std::size_t turn = 0; turn < turns; ++turn) {
    time_turn(ours, n, [](std::int64_t i) { log_ours(i); });
    drain_ours();
    time_turn(peer, n, [](std::int64_t i) { log_spdlog(i); });
    drain_spdlog();
    time_turn(stamp, n, [&clock](std::int64_t /*i*/) {
      std::uint64_t timestamp = clock.now_ticks();
      benchmark::DoNotOptimize(timestamp);
    });
    time_turn(empty, n, [](std::int64_t /*i*/) { benchmark::ClobberMemory(); });
  }
  const BatchFigures o = batch_figures(ours);
  const BatchFigures p = batch_figures(peer);
  const BatchFigures s = batch_figures(stamp);
  const BatchFigures e = batch_figures(empty);

  std::printf(
      "\nbatched: ns per call, each sample %d consecutive calls timed as one, %zu samples each "
      "(subjects take turns of %lld samples)\n",
      kCallsPerSample, samples, static_cast<long long>(kSamplesPerTurn));
  std::printf("%-15s %8s %8s %8s %8s %9s\n", "call", "mean", "p50", "p90", "p99", "max");
  auto row = [](const char* name, const BatchFigures& q) {
    std::printf("%-15s %8.2f %8.2f %8.2f %8.2f %9.1f\n", name, q.mean, q.p50, q.p90, q.p99, q.max);
  };
  row("ours", o);
  row("spdlog async", p);
  row("timestamp only", s);
  row("timer only", e);
  const double peer_over_ours = o.p50 > 0 ? p.p50 / o.p50 : 0.0;
  const double ours_over_stamp = s.p50 > 0 ? o.p50 / s.p50 : 0.0;
  std::printf(
      "batched p50: spdlog/ours %.1fx (goal >= 15x: %s); ours/timestamp-only %.2f (goal <= "
      "1.5: %s)\n",
      peer_over_ours, peer_over_ours >= 15.0 ? "met" : "not met", ours_over_stamp,
      ours_over_stamp > 0 && ours_over_stamp <= 1.5 ? "met" : "not met");
  std::printf("batched mean: spdlog/ours %.1fx; ours/timestamp-only %.2f\n",
              o.mean > 0 ? p.mean / o.mean : 0.0, s.mean > 0 ? o.mean / s.mean : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  const double scale = llt::bench::run_scale(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  if (can_pin()) {
    llt::common::pin_current_thread(kCallerCpu);
  }
  // Before the loggers exist and after they are gone: their backends would share the probe's
  // second CPU.
  const llt::bench::OtherWork other_work;
  llt::bench::print_vm_state("start", llt::bench::measure_vm_state());
  make_loggers();
  CapturingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  measure_percentiles(reporter);
  measure_batched(scale);
  std::printf("dropped: ours %llu, spdlog %zu; pinned: %s\n",
              static_cast<unsigned long long>(g_ours->dropped()), g_spdlog_pool->overrun_counter(),
              can_pin() ? "caller CPU 1, backends CPU 0" : "no (fewer than 2 CPUs)");
  g_spdlog.reset();
  g_spdlog_pool.reset();
  g_ours.reset();
  llt::bench::print_vm_state("end", llt::bench::measure_vm_state());
  other_work.print();
  benchmark::Shutdown();
  return 0;
}
