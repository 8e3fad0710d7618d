// Allocate + free of one order-sized object: ours (MemPool) vs new/delete. Two patterns: the
// object freed right after it is allocated (the allocator's best case), and a window of 64
// live objects freed oldest first, so neither allocator just hands the same block back.

#include <cstdint>
#include <memory>

#include "benchmarks/bench_report.h"
#include "common/memory/mem_pool.h"
#include "common/time/tsc_clock.h"

namespace {

// Both allocators construct it in place through this constructor (clang 14 has no
// parenthesized aggregate initialisation).
struct Order {
  Order(std::uint64_t id, std::int64_t price_in, std::uint32_t qty_in)
      : order_id(id),
        client_order_id(id),
        price(price_in),
        qty(qty_in),
        client_id(1),
        priority(id),
        prev(nullptr),
        next(nullptr) {}

  std::uint64_t order_id;
  std::uint64_t client_order_id;
  std::int64_t price;
  std::uint32_t qty;
  std::uint32_t client_id;
  std::uint64_t priority;
  Order* prev;
  Order* next;
};

struct Ours {
  Ours() : pool(1 << 16) {}
  Order* allocate(std::uint64_t id) { return pool.allocate(id, std::int64_t{100}, 10U); }
  void free(Order* order) { (void)pool.deallocate(order); }
  llt::common::MemPool<Order> pool;
};

struct NewDelete {
  Order* allocate(std::uint64_t id) { return new Order(id, 100, 10U); }
  void free(Order* order) { delete order; }
};

template <typename Allocator, std::size_t kWindow>
void allocate_free(benchmark::State& state) {
  llt::bench::pin_to(llt::bench::kMainCpu);
  auto allocator = std::make_unique<Allocator>();
  Order* window[kWindow];
  for (std::size_t i = 0; i < kWindow; ++i)
    window[i] = allocator->allocate(i);
  std::uint64_t id = 0;
  for (auto _ : state) {
    Order*& slot = window[id % kWindow];
    allocator->free(slot);
    slot = allocator->allocate(id);
    benchmark::DoNotOptimize(slot);
    ++id;
  }
  // Percentiles from a separately timed loop (each pair is ~ns, so time batches of 16).
  const auto& clock = llt::common::TscClock::instance();
  auto histogram = std::make_unique<llt::common::LatencyHistogram>();
  for (int batch = 0; batch < 100'000; ++batch) {
    const std::uint64_t start = clock.now_ticks();
    for (int i = 0; i < 16; ++i, ++id) {
      Order*& slot = window[id % kWindow];
      allocator->free(slot);
      slot = allocator->allocate(id);
      benchmark::DoNotOptimize(slot);
    }
    histogram->record(clock.elapsed_ns(start, clock.now_ticks()) / 16);
  }
  for (Order* order : window)
    allocator->free(order);
  llt::bench::add_percentile_counters(state, *histogram);
}

BENCHMARK_TEMPLATE(allocate_free, Ours, 1)->Name("alloc_free/ours");
BENCHMARK_TEMPLATE(allocate_free, NewDelete, 1)->Name("alloc_free/new_delete");
BENCHMARK_TEMPLATE(allocate_free, Ours, 64)->Name("alloc_free_window64/ours");
BENCHMARK_TEMPLATE(allocate_free, NewDelete, 64)->Name("alloc_free_window64/new_delete");

}  // namespace

int main(int argc, char** argv) {
  return llt::bench::run_and_report(argc, argv);
}
