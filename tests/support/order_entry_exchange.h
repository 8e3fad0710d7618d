#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "common/concurrent/agent_runner.h"
#include "exchange/exchange_messages.h"
#include "exchange/matcher/matching_engine.h"
#include "exchange/order_server/order_server.h"
#include "exchange/protocol/market_update.h"
#include "tests/support/test_io_backend.h"
#include "tests/support/wait_for.h"

namespace llt::exchange::testing {

// Order server options for in-process tests: an ephemeral loopback port, a small session
// table (every session's buffers are allocated and zeroed up front, which sanitizers make
// slow), and no server heartbeat unless a test asks for one (on a loaded machine a test that
// waits over a second would otherwise read a HEARTBEAT where it expects its reply). The I/O
// back end is LLT_TEST_IO's (tests/support/test_io_backend.h).
inline OrderServerOptions test_order_server_options(std::size_t max_sessions = 16) {
  OrderServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.max_sessions = max_sessions;
  options.heartbeat_interval = std::chrono::hours(1);
  options.io = test::test_io_backend();
  return options;
}

inline MatchingEngineOptions test_engine_options() {
  MatchingEngineOptions options;
  options.tickers = {1, 2, 3};
  options.book.max_orders = 4096;
  options.book.max_price_levels = 1024;
  options.book.max_clients = 512;
  return options;
}

// The exchange's order path in one process: the real OrderServer and MatchingEngine joined
// by their three SPSC queues, polled by an AgentRunner in shared mode (one thread, backoff
// idle). The test thread is the consumer of the update queue (there is no publisher): it
// drains market updates with updates() / wait_for_updates().
//
// Thread contract: the test thread calls every member. engine() is for after stop().
class OrderEntryExchange {
 public:
  explicit OrderEntryExchange(
      const OrderServerOptions& server_options = test_order_server_options(),
      const MatchingEngineOptions& engine_options = test_engine_options(),
      std::size_t request_queue_capacity = 1024, std::size_t response_queue_capacity = 4096)
      : requests_(request_queue_capacity),
        responses_(response_queue_capacity),
        updates_(std::size_t{1} << 15),
        engine_(engine_options, requests_, responses_, updates_),
        server_(server_options, requests_, responses_) {
    common::RunnerOptions runner_options;
    runner_options.threading = common::ThreadingMode::kShared;
    runner_options.idle = common::IdleMode::kBackoff;
    runner_options.name = "test-exchange";
    runner_ = std::make_unique<common::AgentRunner>(std::vector<common::Agent*>{&server_, &engine_},
                                                    runner_options);
    runner_->start();
  }

  ~OrderEntryExchange() { stop(); }

  OrderEntryExchange(const OrderEntryExchange&) = delete;
  OrderEntryExchange& operator=(const OrderEntryExchange&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return server_.port(); }
  [[nodiscard]] OrderServerCounters counters() const noexcept { return server_.counters(); }

  // Stops the agents (idempotent). Afterwards the engine and the server may be inspected.
  void stop() {
    if (runner_ != nullptr) {
      runner_->stop();
    }
  }
  [[nodiscard]] const MatchingEngine& engine() const noexcept { return engine_; }
  [[nodiscard]] const OrderServer& server() const noexcept { return server_; }

  // Polls the counters until pred(counters) holds or the timeout passes; returns pred's last
  // value.
  bool wait_for(const std::function<bool(const OrderServerCounters&)>& pred,
                std::chrono::milliseconds timeout = llt::test::kEventLimit) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (pred(server_.counters())) {
        return true;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  // Every market update published so far (drained from the queue into a log).
  const std::vector<MarketUpdate>& updates() {
    while (MatchingUpdate* item = updates_.front()) {
      update_log_.push_back(item->update);
      updates_.pop();
    }
    return update_log_;
  }

  // Drains updates until pred(all updates so far) holds or the timeout passes.
  bool wait_for_updates(const std::function<bool(const std::vector<MarketUpdate>&)>& pred,
                        std::chrono::milliseconds timeout = llt::test::kEventLimit) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (pred(updates())) {
        return true;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

 private:
  RequestQueue requests_;
  ResponseQueue responses_;
  UpdateQueue updates_;
  MatchingEngine engine_;
  OrderServer server_;
  std::unique_ptr<common::AgentRunner> runner_;
  std::vector<MarketUpdate> update_log_;
};

// Market updates of one type.
inline std::size_t count_updates(const std::vector<MarketUpdate>& updates, MarketUpdateType type) {
  std::size_t count = 0;
  for (const MarketUpdate& update : updates) {
    count += update.msg_type == type ? 1 : 0;
  }
  return count;
}

}  // namespace llt::exchange::testing
