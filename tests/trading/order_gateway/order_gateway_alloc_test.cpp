// The order gateway's send/receive path, heartbeats, a session drop and the reconnect
// allocate nothing after construction. Its own executable: allocation_counter.h replaces the
// global operator new.
#include "tests/support/allocation_counter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>

#include "tests/support/order_entry_exchange.h"
#include "tests/trading/order_gateway/gateway_test_harness.h"
#include "trading/order_gateway/order_gateway.h"

namespace llt::trading {
namespace {

using namespace std::chrono_literals;
using exchange::testing::OrderEntryExchange;

// Polls the gateway until pred() holds or 5 s pass, counting the heap allocations made by
// the gateway's poll() calls on this thread (drain() and pred() run outside the count).
class CountingDriver {
 public:
  explicit CountingDriver(testing::GatewayHarness& harness) : harness_(harness) {}

  template <class Pred>
  bool poll_until(Pred&& pred) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    for (;;) {
      const std::uint64_t before = test::thread_allocations();
      harness_.gateway().poll();
      allocations_ += test::thread_allocations() - before;
      harness_.drain();
      if (pred()) {
        return true;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(20us);
    }
  }

  [[nodiscard]] std::uint64_t allocations() const { return allocations_; }

 private:
  testing::GatewayHarness& harness_;
  std::uint64_t allocations_ = 0;
};

TEST(OrderGatewayAllocation, sends_receives_heartbeats_and_reconnects_without_allocating) {
  auto exchange = std::make_unique<OrderEntryExchange>();
  const std::uint16_t port = exchange->port();
  OrderGatewayOptions options = testing::test_gateway_options(port, 12);
  options.heartbeat_interval = 5ms;
  testing::GatewayHarness harness(options, 4096);
  harness.gateway().on_start();
  CountingDriver driver(harness);
  ASSERT_TRUE(driver.poll_until([&] { return harness.count(GatewayEventType::kCaughtUp) == 1; }));

  constexpr std::uint64_t kOrders = 200;
  for (std::uint64_t i = 0; i < kOrders; ++i) {
    OrderRequest request = testing::new_order(1, i + 1, exchange::Side::kBuy,
                                              static_cast<exchange::Price>(9'000 + i), 1);
    request.md_read_tsc = 1;
    request.engine_in_tsc = 1;
    ASSERT_TRUE(harness.submit(request));
    ASSERT_TRUE(harness.submit(testing::cancel_order(1, i + 1)));
    if (harness.requests().size_guess() > 128) {
      ASSERT_TRUE(driver.poll_until([&] { return harness.requests().empty_guess(); }));
    }
  }
  ASSERT_TRUE(driver.poll_until([&] { return harness.responses().size() == 2 * kOrders; }));
  ASSERT_TRUE(driver.poll_until([&] { return harness.gateway().counters().heartbeats_sent >= 2; }));

  exchange.reset();
  ASSERT_TRUE(
      driver.poll_until([&] { return harness.count(GatewayEventType::kDisconnected) == 1; }));
  ASSERT_TRUE(harness.submit(testing::new_order(1, 1, exchange::Side::kBuy, 9'000, 1)));
  ASSERT_TRUE(driver.poll_until(
      [&] { return harness.gateway().counters().refused_while_disconnected == 1; }));
  exchange::OrderServerOptions server_options = exchange::testing::test_order_server_options();
  server_options.port = port;
  exchange = std::make_unique<OrderEntryExchange>(server_options);
  ASSERT_TRUE(driver.poll_until([&] { return harness.count(GatewayEventType::kCaughtUp) == 2; }));
  ASSERT_TRUE(harness.submit(testing::new_order(1, 1, exchange::Side::kBuy, 9'000, 1)));
  ASSERT_TRUE(driver.poll_until([&] { return harness.responses().size() == 2 * kOrders + 2; }));

  EXPECT_EQ(harness.responses().back().msg_type, exchange::ClientResponseType::kAccepted);
  // Every answered request is measured, or counted as untracked when more than the round-trip
  // table's 256 were in flight at once (a slow exchange on a loaded machine).
  EXPECT_EQ(harness.gateway().order_sent_to_response_read().count() +
                harness.gateway().counters().untracked_round_trips,
            2 * kOrders + 1);
  EXPECT_EQ(driver.allocations(), 0u);
  harness.gateway().on_stop();
}

}  // namespace
}  // namespace llt::trading
