// SPSC queue: ours vs boost::lockfree::spsc_queue vs moodycamel::ReaderWriterQueue, the same
// harness for all three. Throughput: the benchmark thread pushes, a second pinned thread pops.
// Round trip: the benchmark thread pushes into one queue, an echo thread pops it and pushes
// into a second queue, and the benchmark thread waits for the echo; each trip is timed.

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include <readerwriterqueue/readerwriterqueue.h>
#include <boost/lockfree/spsc_queue.hpp>

#include "benchmarks/bench_report.h"
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

template <typename Queue>
void throughput(benchmark::State& state) {
  auto queue = std::make_unique<Queue>(static_cast<std::size_t>(state.range(0)));
  std::atomic<bool> stop{false};
  std::atomic<Item> consumed{0};
  std::thread consumer([&] {
    llt::bench::pin_to(llt::bench::kPeerCpu);
    Item v = 0;
    Item count = 0;
    Item checksum = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      if (queue->pop(v)) {
        checksum += v;
        ++count;
        // Published in batches, so the harness's own shared line does not cost a miss per item.
        if ((count & 1023) == 0)
          consumed.store(count, std::memory_order_release);
      } else {
        consumed.store(count, std::memory_order_release);
        llt::common::cpu_relax();
      }
    }
    benchmark::DoNotOptimize(checksum);
  });
  llt::bench::pin_to(llt::bench::kMainCpu);
  Item pushed = 0;
  for (auto _ : state) {
    for (Item i = 0; i < kItemsPerIteration; ++i) {
      while (!queue->push(i))
        llt::common::cpu_relax();
    }
    pushed += kItemsPerIteration;
    while (consumed.load(std::memory_order_acquire) != pushed)
      llt::common::cpu_relax();
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

}  // namespace

int main(int argc, char** argv) {
  return llt::bench::run_and_report(argc, argv);
}
