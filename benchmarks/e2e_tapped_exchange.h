#pragma once

// Benchmark-only: the exchange's four real agents wired as exchange/exchange_app.cpp wires
// them, plus one observer agent (EngineEventTap) between the matching engine and the market
// data publisher on the same shared thread, so e2e_latency can read the tick stamp the engine
// put on each market update (MatchingUpdate::ticks.engine_in_ticks) and compare it with the
// moment a subscriber decodes that update from the multicast datagram.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "common/concurrent/agent.h"
#include "common/concurrent/agent_runner.h"
#include "exchange/exchange_app.h"
#include "exchange/exchange_messages.h"
#include "exchange/exchange_options.h"
#include "exchange/market_data/market_data_publisher.h"
#include "exchange/market_data/snapshot_synthesizer.h"
#include "exchange/matcher/matching_engine.h"
#include "exchange/order_server/order_server.h"

namespace llt::bench {

// Reads, without consuming, the update at the front of the engine -> publisher queue and
// records its engine stamp by (market order id, type). It sees only the front, so it sees
// every update when the engine emits at most one per pass, which is how e2e_latency drives
// it (one order in flight, each NEW and CANCEL producing one ADD or CANCEL update).
//
// Thread contract: poll() on the thread that also runs the publisher (the consumer of the
// update queue: shared threading only); engine_ticks() from any thread, after the datagram
// carrying the update was received (the tap stores before the publisher sends).
class EngineEventTap final : public common::Agent {
 public:
  explicit EngineEventTap(exchange::UpdateQueue& updates) noexcept : updates_(updates) {}

  int poll() override {
    const exchange::MatchingUpdate* update = updates_.front();
    if (update != nullptr) {
      Slot& slot = slots_[index_of(update->update.order_id, update->update.msg_type)];
      slot.ticks.store(update->ticks.engine_in_ticks, std::memory_order_relaxed);
      slot.order_id.store(update->update.order_id, std::memory_order_release);
    }
    return 0;  // observing is not work: it must not change what the idle strategy does
  }

  [[nodiscard]] std::string_view name() const override { return "engine_event_tap"; }

  // The engine stamp of the update (order_id, type), or 0 when the tap did not see it.
  [[nodiscard]] std::uint64_t engine_ticks(exchange::OrderId order_id,
                                           exchange::MarketUpdateType type) const noexcept {
    const Slot& slot = slots_[index_of(order_id, type)];
    if (slot.order_id.load(std::memory_order_acquire) != order_id) {
      return 0;
    }
    return slot.ticks.load(std::memory_order_relaxed);
  }

 private:
  static constexpr std::size_t kSlots = 1 << 12;  // per type; far more than in flight

  struct Slot {
    std::atomic<exchange::OrderId> order_id{0};
    std::atomic<std::uint64_t> ticks{0};
  };

  static std::size_t index_of(exchange::OrderId order_id,
                              exchange::MarketUpdateType type) noexcept {
    const std::size_t kind = type == exchange::MarketUpdateType::kAdd ? 0 : 1;
    return kind * kSlots + (order_id & (kSlots - 1));
  }

  exchange::UpdateQueue& updates_;
  std::array<Slot, 2 * kSlots> slots_{};
};

// OrderServer, MatchingEngine, ResponseSender, EngineEventTap, MarketDataPublisher and
// SnapshotSynthesizer on one AgentRunner thread, in that order (ExchangeApp's shared-threading
// order with the tap before the publisher).
// options.threading must be kShared (the tap shares the publisher's thread).
//
// Thread contract: construct, start, stop on one controlling thread.
class TappedExchange {
 public:
  explicit TappedExchange(const exchange::ExchangeOptions& options)
      : engine_(exchange::engine_options(options), requests_, responses_, updates_),
        order_server_(exchange::order_server_options(options), requests_, responses_),
        response_sender_(order_server_),
        tap_(updates_),
        publisher_(exchange::publisher_options(options), updates_, published_),
        synthesizer_(exchange::synthesizer_options(options), published_),
        runner_({&order_server_, &engine_, &response_sender_, &tap_, &publisher_, &synthesizer_},
                runner_options(options)) {}

  ~TappedExchange() { stop(); }
  TappedExchange(const TappedExchange&) = delete;
  TappedExchange& operator=(const TappedExchange&) = delete;

  void start() { runner_.start(); }
  void stop() { runner_.stop(); }

  [[nodiscard]] std::uint16_t port() const noexcept { return order_server_.port(); }
  [[nodiscard]] const EngineEventTap& tap() const noexcept { return tap_; }

 private:
  static common::RunnerOptions runner_options(const exchange::ExchangeOptions& o) {
    common::RunnerOptions options = exchange::runner_options(o);
    options.threading = common::ThreadingMode::kShared;
    return options;
  }

  exchange::RequestQueue requests_{1 << 12};
  exchange::ResponseQueue responses_{1 << 12};
  exchange::UpdateQueue updates_{1 << 12};
  exchange::PublishedUpdateQueue published_{1 << 12};
  exchange::MatchingEngine engine_;
  exchange::OrderServer order_server_;
  exchange::ResponseSender response_sender_;
  EngineEventTap tap_;
  exchange::MarketDataPublisher publisher_;
  exchange::SnapshotSynthesizer synthesizer_;
  common::AgentRunner runner_;
};

}  // namespace llt::bench
