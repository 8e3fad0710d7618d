// SPSC queue: ours vs boost::lockfree::spsc_queue vs moodycamel::ReaderWriterQueue, the same
// harness for all three. Throughput: the benchmark thread pushes, a second pinned thread pops.
// Round trip: the benchmark thread pushes into one queue, an echo thread pops it and pushes
// into a second queue, and the benchmark thread waits for the echo; each trip is timed.
//
// After the Google Benchmark cases, an interleaved section: kRepetitions repetitions, each
// running every queue at 4 Ki and at 64 Ki slots (the queues' order rotated from one
// repetition to the next), so every queue sees the VM's changes of speed alike; it prints
// each queue's median, min and max throughput and the ratios of the medians. The VM's state
// (benchmarks/vm_state.h) is printed at the start and at the end, and the cross-core round
// trip before each repetition. With --benchmark_min_time=0.05 the section moves 10x fewer
// items per trial.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include <readerwriterqueue/readerwriterqueue.h>
#include <boost/lockfree/spsc_queue.hpp>

#include "benchmarks/bench_report.h"
#include "benchmarks/vm_state.h"
#include "common/concurrent/cache_line.h"
#include "common/concurrent/spsc_queue.h"
#include "common/time/tsc_clock.h"

namespace {

using Item = std::uint64_t;
constexpr std::size_t kCapacity = 65536;
constexpr Item kItemsPerIteration = 1'000'000;

struct Ours {
  explicit Ours(std::size_t capacity) : queue(capacity) {}
  bool push(Item v) { return queue.try_push(v); }
  bool pop(Item& v) {
    Item* front = queue.front();
    if (front == nullptr)
      return false;
    v = *front;
    queue.pop();
    return true;
  }
  llt::common::SpscQueue<Item> queue;
};

struct Boost {
  explicit Boost(std::size_t capacity) : queue(capacity) {}
  bool push(Item v) { return queue.push(v); }
  bool pop(Item& v) { return queue.pop(v); }
  boost::lockfree::spsc_queue<Item> queue;
};

struct Moodycamel {
  explicit Moodycamel(std::size_t capacity) : queue(capacity) {}
  bool push(Item v) { return queue.try_enqueue(v); }
  bool pop(Item& v) { return queue.try_dequeue(v); }
  moodycamel::ReaderWriterQueue<Item> queue;
};

// The consumer thread of every throughput measurement: pops until `stop`, publishing its
// count in batches, so the harness's own shared line does not cost a miss per item.
template <typename Queue>
void consume(Queue& queue, const std::atomic<bool>& stop, std::atomic<Item>& consumed) {
  llt::bench::pin_to(llt::bench::kPeerCpu);
  Item v = 0;
  Item count = 0;
  Item checksum = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    if (queue.pop(v)) {
      checksum += v;
      ++count;
      if ((count & 1023) == 0)
        consumed.store(count, std::memory_order_release);
    } else {
      consumed.store(count, std::memory_order_release);
      llt::common::cpu_relax();
    }
  }
  benchmark::DoNotOptimize(checksum);
}

// Pushes `items` and waits until the consumer has popped them all; returns the new total.
template <typename Queue>
Item push_and_wait(Queue& queue, const std::atomic<Item>& consumed, Item pushed, Item items) {
  for (Item i = 0; i < items; ++i) {
    while (!queue.push(i))
      llt::common::cpu_relax();
  }
  pushed += items;
  while (consumed.load(std::memory_order_acquire) != pushed)
    llt::common::cpu_relax();
  return pushed;
}

template <typename Queue>
void throughput(benchmark::State& state) {
  auto queue = std::make_unique<Queue>(static_cast<std::size_t>(state.range(0)));
  std::atomic<bool> stop{false};
  std::atomic<Item> consumed{0};
  std::thread consumer([&] { consume(*queue, stop, consumed); });
  llt::bench::pin_to(llt::bench::kMainCpu);
  Item pushed = 0;
  for (auto _ : state) {
    pushed = push_and_wait(*queue, consumed, pushed, kItemsPerIteration);
  }
  stop = true;
  consumer.join();
  state.SetItemsProcessed(static_cast<std::int64_t>(pushed));
}

template <typename Queue>
void round_trip(benchmark::State& state) {
  auto ping = std::make_unique<Queue>(kCapacity);
  auto pong = std::make_unique<Queue>(kCapacity);
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    llt::bench::pin_to(llt::bench::kPeerCpu);
    Item v = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      if (ping->pop(v)) {
        while (!pong->push(v))
          llt::common::cpu_relax();
      }
    }
  });
  llt::bench::pin_to(llt::bench::kMainCpu);
  const auto& clock = llt::common::TscClock::instance();
  auto histogram = std::make_unique<llt::common::LatencyHistogram>();
  Item v = 0;
  for (auto _ : state) {
    const std::uint64_t start = clock.now_ticks();
    while (!ping->push(v))
      llt::common::cpu_relax();
    while (!pong->pop(v))
      llt::common::cpu_relax();
    histogram->record(clock.elapsed_ns(start, clock.now_ticks()));
    ++v;
  }
  stop = true;
  echo.join();
  llt::bench::add_percentile_counters(state, *histogram);
}

// Throughput at two capacities: 65,536 (the ring is as large as L2 and runs full) and 4,096.
BENCHMARK_TEMPLATE(throughput, Ours)
    ->Name("queue_throughput_64k/ours")
    ->Arg(65536)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(throughput, Boost)
    ->Name("queue_throughput_64k/boost")
    ->Arg(65536)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(throughput, Moodycamel)
    ->Name("queue_throughput_64k/moodycamel")
    ->Arg(65536)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(throughput, Ours)
    ->Name("queue_throughput_4k/ours")
    ->Arg(4096)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(throughput, Boost)
    ->Name("queue_throughput_4k/boost")
    ->Arg(4096)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(throughput, Moodycamel)
    ->Name("queue_throughput_4k/moodycamel")
    ->Arg(4096)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(round_trip, Ours)->Name("queue_round_trip/ours")->UseRealTime();
BENCHMARK_TEMPLATE(round_trip, Boost)->Name("queue_round_trip/boost")->UseRealTime();
BENCHMARK_TEMPLATE(round_trip, Moodycamel)->Name("queue_round_trip/moodycamel")->UseRealTime();

// Interleaved section.
constexpr int kRepetitions = 9;
constexpr Item kTrialItems = 4'000'000;  // per trial in full mode
constexpr std::array<std::size_t, 2> kCapacities = {4096, 65536};
constexpr std::array<const char*, 3> kQueueNames = {"ours", "boost", "moodycamel"};

// Items per second through a fresh queue of `capacity` slots: a warm-up of two rings' worth
// (first touch of the ring's pages and lines, untimed), then `items` timed from the first push
// to the consumer's count reaching them.
template <typename Queue>
double trial(std::size_t capacity, Item items) {
  const auto& clock = llt::common::TscClock::instance();
  auto queue = std::make_unique<Queue>(capacity);
  std::atomic<bool> stop{false};
  std::atomic<Item> consumed{0};
  std::thread consumer([&] { consume(*queue, stop, consumed); });
  llt::bench::pin_to(llt::bench::kMainCpu);
  Item pushed = push_and_wait(*queue, consumed, 0, 2 * static_cast<Item>(capacity));
  const std::uint64_t t0 = clock.now_ticks();
  pushed = push_and_wait(*queue, consumed, pushed, items);
  const std::uint64_t t1 = clock.now_ticks();
  stop = true;
  consumer.join();
  const double seconds = static_cast<double>(t1 - t0) / clock.ticks_per_ns() * 1e-9;
  return seconds > 0 ? static_cast<double>(items) / seconds : 0.0;
}

double run_trial(std::size_t queue, std::size_t capacity, Item items) {
  switch (queue) {
    case 0:
      return trial<Ours>(capacity, items);
    case 1:
      return trial<Boost>(capacity, items);
    default:
      return trial<Moodycamel>(capacity, items);
  }
}

struct Spread {
  double median = 0;
  double min = 0;
  double max = 0;
};

Spread spread(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return {values[values.size() / 2], values.front(), values.back()};
}

void interleaved(double scale) {
  const auto items =
      std::max<Item>(100'000, static_cast<Item>(static_cast<double>(kTrialItems) * scale));
  // rates[capacity][queue]: one figure per repetition, items/s.
  std::array<std::array<std::vector<double>, kQueueNames.size()>, kCapacities.size()> rates;
  std::printf(
      "\ninterleaved throughput: %d repetitions, each every queue at 4 Ki and 64 Ki slots, %llu "
      "items per trial; M items/s\n",
      kRepetitions, static_cast<unsigned long long>(items));
  std::printf("%-4s %10s  %-32s  %-32s\n", "rep", "round trip", "4 Ki: ours / boost / moodycamel",
              "64 Ki: ours / boost / moodycamel");
  for (int rep = 0; rep < kRepetitions; ++rep) {
    const double round_trip_ns = llt::bench::cross_core_round_trip_ns(5, 1000);
    for (std::size_t c = 0; c < kCapacities.size(); ++c) {
      for (std::size_t k = 0; k < kQueueNames.size(); ++k) {
        const std::size_t q = (k + static_cast<std::size_t>(rep)) % kQueueNames.size();
        rates.at(c).at(q).push_back(run_trial(q, kCapacities.at(c), items));
      }
    }
    std::printf("%-4d %7.0f ns ", rep + 1, round_trip_ns);
    for (std::size_t c = 0; c < kCapacities.size(); ++c) {
      const auto& r = rates.at(c);
      std::printf("  %8.1f / %8.1f / %8.1f   ", r[0].back() / 1e6, r[1].back() / 1e6,
                  r[2].back() / 1e6);
    }
    std::printf("\n");
    std::fflush(stdout);
  }

  std::printf("\n%-9s %-11s %9s %9s %9s\n", "capacity", "queue", "median", "min", "max");
  for (std::size_t c = 0; c < kCapacities.size(); ++c) {
    std::array<Spread, kQueueNames.size()> s{};
    for (std::size_t q = 0; q < kQueueNames.size(); ++q) {
      s.at(q) = spread(rates.at(c).at(q));
      std::printf("%-9s %-11s %9.1f %9.1f %9.1f\n", c == 0 ? "4 Ki" : "64 Ki", kQueueNames.at(q),
                  s.at(q).median / 1e6, s.at(q).min / 1e6, s.at(q).max / 1e6);
    }
    const double vs_boost = s[1].median > 0 ? s[0].median / s[1].median : 0.0;
    const double vs_moodycamel = s[2].median > 0 ? s[0].median / s[2].median : 0.0;
    std::printf(
        "%-9s ratio of medians: ours/boost %.3f (goal >= 1.5: %s), ours/moodycamel %.3f (goal >= "
        "1: %s)\n",
        c == 0 ? "4 Ki" : "64 Ki", vs_boost, vs_boost >= 1.5 ? "met" : "not met", vs_moodycamel,
        vs_moodycamel >= 1.0 ? "met" : "not met");
  }
}

}  // namespace

int main(int argc, char** argv) {
  const double scale = llt::bench::run_scale(argc, argv);
  const llt::bench::OtherWork other_work;
  llt::bench::print_vm_state("start", llt::bench::measure_vm_state());
  const int code = llt::bench::run_and_report(argc, argv);
  if (code != 0)
    return code;
  interleaved(scale);
  std::printf("\n");
  llt::bench::print_vm_state("end", llt::bench::measure_vm_state());
  other_work.print();
  return 0;
}
