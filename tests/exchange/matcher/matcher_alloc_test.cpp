// After warm-up, a million mixed requests through the matcher, and through the matching
// engine with its queues, perform zero heap allocations. This executable replaces the global
// operator new and delete (every form) with counting versions that forward to malloc/free.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "common/time/tsc_clock.h"
#include "exchange/matcher/matcher.h"
#include "exchange/matcher/matching_engine.h"
#include "tests/support/allocation_counter.h"
#include "tests/support/order_flow_generator.h"

namespace llt::exchange {
namespace {

constexpr std::size_t kWarmUp = 100'000;
constexpr std::size_t kMeasured = 1'000'000;

// Counts allocations (every thread's) between construction and stop(); no GoogleTest
// assertion may run in between (a failing assertion allocates its message).
class AllocationWindow {
 public:
  AllocationWindow()
      : allocations_(test::process_allocations()), deallocations_(test::process_deallocations()) {}
  void stop() {
    if (!stopped_) {
      allocations_ = test::process_allocations() - allocations_;
      deallocations_ = test::process_deallocations() - deallocations_;
      stopped_ = true;
    }
  }
  // After stop().
  [[nodiscard]] std::uint64_t allocations() const { return allocations_; }
  [[nodiscard]] std::uint64_t deallocations() const { return deallocations_; }

 private:
  std::uint64_t allocations_;
  std::uint64_t deallocations_;
  bool stopped_ = false;
};

// Sums what a real consumer would read, so no event can be optimised away.
struct ChecksumHandler {
  std::uint64_t sum = 0;
  void on_response(const ClientResponse& r) noexcept { sum += r.exec_qty + r.market_order_id; }
  void on_market_update(const MarketUpdate& u) noexcept { sum += u.qty + u.order_id; }
};

std::vector<ClientRequest> mixed_flow() {
  test::OrderFlowOptions flow;
  flow.seed = 2024;
  return test::OrderFlowGenerator(flow).generate(kWarmUp + kMeasured);
}

OrderBookOptions book_options() {
  OrderBookOptions options;
  options.max_orders = 65'536;
  options.max_price_levels = 16'384;
  options.max_clients = 256;
  return options;
}

TEST(MatcherAllocation, counting_operator_new_sees_allocations) {
  AllocationWindow window;
  auto* p = new std::vector<int>(100);
  delete p;
  window.stop();
  EXPECT_EQ(window.allocations(), 2u);
  EXPECT_EQ(window.deallocations(), 2u);
}

TEST(MatcherAllocation, a_million_mixed_requests_allocate_nothing) {
  const std::vector<ClientRequest> requests = mixed_flow();
  ChecksumHandler handler;
  Matcher<ChecksumHandler> matcher({1, 2, 3}, book_options(), handler);
  for (std::size_t i = 0; i < kWarmUp; ++i)
    (void)matcher.process(requests[i]);

  std::size_t steps = 0;
  std::size_t resume_mismatches = 0;  // resume() returned true while still busy, or false
  AllocationWindow window;
  for (std::size_t i = kWarmUp; i < requests.size(); ++i) {
    (void)matcher.process(requests[i], i % 7 == 0 ? 2 : Matcher<ChecksumHandler>::kUnlimitedSteps);
    while (matcher.busy()) {
      const bool done = matcher.resume(2);
      resume_mismatches += done == matcher.busy() ? 1 : 0;
    }
    steps += matcher.last_steps();
  }
  window.stop();
  EXPECT_EQ(window.allocations(), 0u);
  EXPECT_EQ(window.deallocations(), 0u);
  EXPECT_GT(steps, kMeasured / 10);
  EXPECT_EQ(resume_mismatches, 0u);
  EXPECT_NE(handler.sum, 0u);
}

TEST(MatcherAllocation, the_engine_with_its_queues_allocates_nothing) {
  const std::vector<ClientRequest> requests = mixed_flow();
  MatchingEngineOptions options;
  options.tickers = {1, 2, 3};
  options.book = book_options();
  RequestQueue in(256);
  ResponseQueue responses(256);
  UpdateQueue updates(256);
  MatchingEngine engine(options, in, responses, updates, common::TscClock::instance());
  std::uint64_t sum = 0;
  auto run = [&](std::size_t from, std::size_t to) {
    std::size_t next = from;
    while (next < to || !in.empty_guess() || engine.busy()) {
      while (next < to && in.try_push(MatchingRequest{requests[next], HopTicks{}}))
        ++next;
      engine.poll();
      while (MatchingResponse* r = responses.front()) {
        sum += r->response.exec_qty;
        responses.pop();
      }
      while (MatchingUpdate* u = updates.front()) {
        sum += u->update.qty;
        updates.pop();
      }
    }
  };
  run(0, kWarmUp);

  AllocationWindow window;
  run(kWarmUp, requests.size());
  window.stop();
  EXPECT_EQ(window.allocations(), 0u);
  EXPECT_EQ(window.deallocations(), 0u);
  EXPECT_EQ(engine.requests_processed(), requests.size());
  EXPECT_EQ(engine.lost_events(), 0u);
  EXPECT_NE(sum, 0u);
}

}  // namespace
}  // namespace llt::exchange
