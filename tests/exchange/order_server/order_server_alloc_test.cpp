// Counts the heap allocations made inside OrderServer::poll() (global operator new replaced,
// counted per thread) while real sessions log on, trade, get rejected, receive heartbeats,
// disconnect and reset: after start-up the order server allocates nothing, nor does the
// matching engine, with the audit log on (docs/operations.md, Audit log) or off.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/concurrent/agent.h"
#include "common/concurrent/agent_runner.h"
#include "common/logging/logger.h"
#include "exchange/matcher/matching_engine.h"
#include "exchange/order_server/order_server.h"
#include "tests/support/allocation_counter.h"
#include "tests/support/order_entry_checks.h"
#include "tests/support/order_entry_client.h"
#include "tests/support/order_entry_exchange.h"
#include "tests/support/scratch_dir.h"

namespace llt::exchange {
namespace {

using namespace std::chrono_literals;
using testing::log_on;
using testing::OrderEntryClient;
using testing::receive_response;

// Polls the order server and adds the allocations its poll() made (on the runner's thread)
// while `measuring` is set.
class AllocationCountingAgent final : public common::Agent {
 public:
  explicit AllocationCountingAgent(common::Agent& inner) : inner_(inner) {}

  void on_start() override { inner_.on_start(); }

  int poll() override {
    const std::uint64_t before = llt::test::thread_allocations();
    const int work = inner_.poll();
    if (measuring.load(std::memory_order_relaxed)) {
      allocations.fetch_add(llt::test::thread_allocations() - before, std::memory_order_relaxed);
    }
    return work;
  }
  [[nodiscard]] std::string_view name() const override { return inner_.name(); }

  std::atomic<bool> measuring{false};
  std::atomic<std::uint64_t> allocations{0};

 private:
  common::Agent& inner_;
};

// One round of everything a session can do, ending with the client gone.
void exercise(std::uint16_t port, ClientId id) {
  OrderEntryClient maker(port, id);
  OrderEntryClient taker(port, id + 1000);
  maker.skip_heartbeats(true);
  taker.skip_heartbeats(true);
  ASSERT_TRUE(log_on(maker));
  ASSERT_TRUE(log_on(taker));
  for (OrderId order = 1; order <= 20; ++order) {
    ASSERT_TRUE(maker.send(maker.new_order(1, order, Side::kSell, 100, 2)));
    ASSERT_TRUE(receive_response(maker, ClientResponseType::kAccepted));
    ASSERT_TRUE(taker.send(taker.new_order(1, order, Side::kBuy, 100, 1)));
    ASSERT_TRUE(receive_response(taker, ClientResponseType::kAccepted));
    ASSERT_TRUE(receive_response(taker, ClientResponseType::kFilled));
    ASSERT_TRUE(receive_response(maker, ClientResponseType::kFilled));
  }
  ASSERT_TRUE(maker.send(maker.cancel(1, 20)));
  ASSERT_TRUE(receive_response(maker, ClientResponseType::kCanceled));
  const SeqNum expected = maker.next_seq();
  maker.set_next_seq(999);
  ASSERT_TRUE(maker.send(maker.new_order(1, 21, Side::kSell, 100, 2)));
  ASSERT_TRUE(receive_response(maker, ClientResponseType::kRejected, RejectReason::kBadSeqNum));
  maker.set_next_seq(expected);
  ASSERT_TRUE(maker.send(maker.heartbeat()));  // carries the next request number, takes none
  taker.skip_heartbeats(false);
  ASSERT_TRUE(receive_response(taker, ClientResponseType::kHeartbeat));
  OrderEntryClient duplicate(port, id);
  ASSERT_TRUE(duplicate.send(duplicate.logon()));
  ASSERT_TRUE(receive_response(duplicate, ClientResponseType::kLogonRejected,
                               RejectReason::kClientIdInUse));
  maker.close();  // orders 11 to 19 still rest: cancelled on disconnect
  taker.reset();
}

TEST(OrderServerAllocations, counter_sees_an_allocation_on_this_thread) {
  const std::uint64_t before = llt::test::thread_allocations();
  // A direct call, not a new-expression: the compiler may not elide it.
  void* block = ::operator new(sizeof(int));
  EXPECT_EQ(llt::test::thread_allocations(), before + 1);
  ::operator delete(block);
}

struct RunAllocations {
  std::uint64_t server = 0;
  std::uint64_t engine = 0;
};

// Three measured rounds of exercise() after a warm-up one; `logger` (nullptr: none) gets the
// audit log of the order server and the matching engine.
RunAllocations run_counting_allocations(common::Logger* logger) {
  RequestQueue requests(1024);
  ResponseQueue responses(4096);
  UpdateQueue updates(1 << 15);
  MatchingEngine engine(testing::test_engine_options(), requests, responses, updates);
  OrderServerOptions options = testing::test_order_server_options();
  options.heartbeat_interval = 30ms;
  OrderServer server(options, requests, responses);
  engine.set_logger(logger);
  server.set_logger(logger);
  AllocationCountingAgent counting(server);
  AllocationCountingAgent counting_engine(engine);
  common::RunnerOptions runner_options;
  runner_options.threading = common::ThreadingMode::kShared;
  common::AgentRunner runner({&counting, &counting_engine}, runner_options);
  runner.start();
  // The test thread consumes the updates, as the market data publisher would.
  std::atomic<bool> stop{false};
  std::thread drain([&] {
    while (!stop.load()) {
      while (updates.front() != nullptr) {
        updates.pop();
      }
      std::this_thread::sleep_for(1ms);
    }
  });

  exercise(server.port(), 1);  // warm-up: first touches, lazily bound state
  counting.measuring = true;
  counting_engine.measuring = true;
  for (ClientId id = 2; id <= 4; ++id) {
    exercise(server.port(), id);
  }
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (server.counters().sessions_live != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  counting.measuring = false;
  counting_engine.measuring = false;
  runner.stop();
  stop = true;
  drain.join();

  const OrderServerCounters counters = server.counters();
  EXPECT_EQ(counters.sessions_live, 0u);
  EXPECT_EQ(counters.cancel_alls, 8u);
  EXPECT_GT(counters.heartbeats_sent, 0u);
  return {counting.allocations.load(), counting_engine.allocations.load()};
}

TEST(OrderServerAllocations, poll_allocates_nothing_after_start_up) {
  const RunAllocations allocations = run_counting_allocations(nullptr);
  EXPECT_EQ(allocations.server, 0u);
  EXPECT_EQ(allocations.engine, 0u);
}

TEST(OrderServerAllocations, the_audit_log_allocates_nothing_after_start_up) {
  const test::ScratchDir dir("llt-audit-alloc");
  common::LoggerOptions log_options;
  log_options.path = (dir.path() / "exchange.log").string();
  common::Logger logger(log_options);
  const RunAllocations allocations = run_counting_allocations(&logger);
  EXPECT_EQ(allocations.server, 0u);
  EXPECT_EQ(allocations.engine, 0u);
  logger.stop();
  EXPECT_EQ(logger.dropped(), 0u);
}

}  // namespace
}  // namespace llt::exchange
