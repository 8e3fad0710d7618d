#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/concurrent/agent.h"
#include "common/concurrent/spsc_queue.h"
#include "common/error.h"
#include "common/time/tsc_clock.h"
#include "exchange/exchange_messages.h"
#include "exchange/matcher/matcher.h"
#include "exchange/matcher/order_book.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/market_update.h"

namespace llt::exchange {

struct MatchingEngineOptions {
  // One book per ticker, in this order (the order cancel-on-disconnect walks them).
  std::vector<TickerId> tickers{1, 2, 3};
  OrderBookOptions book{};
  // Bounds on the work of one poll(), so agents sharing a thread all get their turn.
  std::uint32_t max_requests_per_poll = 64;
  std::uint32_t max_steps_per_poll = 1024;  // matches + cancels
};

// The matching engine's BookHandler: pushes each event onto its output queue with the hop
// ticks of the request that caused it, and tracks how much room the queues surely have.
//
// Room is a lower bound kept locally: it drops by one per push and is re-read from the queue
// (one load of the consumer's index, a shared cache line) only when it looks short, so in
// steady state the engine does not touch the consumers' lines.
//
// Thread contract: the engine's thread only (it is the producer of both queues).
class MatchingOutput {
 public:
  MatchingOutput(ResponseQueue& responses, UpdateQueue& updates) noexcept
      : responses_(responses), updates_(updates) {}

  void set_ticks(const HopTicks& ticks) noexcept { ticks_ = ticks; }

  void on_response(const ClientResponse& response) noexcept {
    const bool pushed = responses_.try_push(MatchingResponse{response, ticks_});
    // The engine only starts a step when the room for its events is known (step_budget), so
    // this cannot fail; if it ever did, the count makes the loss visible instead of silent.
    LLT_ASSERT(pushed, "response queue full despite the step budget");
    lost_ += pushed ? 0 : 1;
    --response_room_;
  }

  void on_market_update(const MarketUpdate& update) noexcept {
    const bool pushed = updates_.try_push(MatchingUpdate{update, ticks_});
    LLT_ASSERT(pushed, "update queue full despite the step budget");
    lost_ += pushed ? 0 : 1;
    --update_room_;
  }

  // How many steps (each at most 2 responses and 2 updates, plus 2 of each per call) surely
  // fit in both queues, capped at cap. 0 means wait for the consumers.
  [[nodiscard]] std::uint32_t step_budget(std::uint32_t cap) noexcept {
    std::size_t budget = fitting_steps();
    if (budget < std::min<std::size_t>(cap, kRefreshBelowSteps)) {
      response_room_ = responses_.capacity() - responses_.size_guess();
      update_room_ = updates_.capacity() - updates_.size_guess();
      budget = fitting_steps();
    }
    return static_cast<std::uint32_t>(std::min<std::size_t>(budget, cap));
  }

  // Events that could not be pushed; stays 0 unless the room accounting is wrong.
  [[nodiscard]] std::uint64_t lost() const noexcept { return lost_; }

 private:
  // Re-read the queues when fewer steps than this surely fit.
  static constexpr std::size_t kRefreshBelowSteps = 16;

  [[nodiscard]] std::size_t fitting_steps() const noexcept {
    const std::size_t room = std::min(response_room_, update_room_);
    return room < 2 ? 0 : (room - 2) / 2;
  }

  ResponseQueue& responses_;
  UpdateQueue& updates_;
  HopTicks ticks_{};
  std::size_t response_room_ = 0;
  std::size_t update_room_ = 0;
  std::uint64_t lost_ = 0;
};

// The exchange's matching engine agent (docs/architecture.md, Agents): takes sequenced requests
// from one SPSC queue, runs them through one book per ticker, and pushes responses and market
// updates onto two SPSC queues, stamping ticks.engine_in_ticks.
//
// Back-pressure, never loss: before each step the engine computes how many matches or cancels
// surely fit in both output queues. With no room it leaves the next request in the input
// queue and returns. A request that needs more events than fit (a deep sweep, a large
// cancel-on-disconnect) is processed in parts: the book keeps the partly matched order and
// the engine takes no other request until it is finished, so the event stream is exactly the
// one an unbounded run would produce, and no request is ever dropped.
//
// Thread contract: constructed on any thread; on_start, poll and on_stop on the engine's
// thread, which is the consumer of the request queue and the producer of both output queues.
// Observers are for that thread (or after the runner has stopped).
class MatchingEngine final : public common::Agent {
 public:
  using BookType = OrderBook<MatchingOutput>;

  // Start-up: allocates every book. Throws std::invalid_argument naming the option when a
  // ticker list is empty or duplicated, a capacity or per-poll bound is 0, or an output queue
  // has fewer than 4 slots (one step needs 3).
  MatchingEngine(const MatchingEngineOptions& options, RequestQueue& requests,
                 ResponseQueue& responses, UpdateQueue& updates,
                 const common::TscClock& clock = common::TscClock::instance());

  // Processes up to max_requests_per_poll requests and max_steps_per_poll steps. Returns the
  // number of requests started or continued (0: nothing to do, or waiting for output room).
  int poll() override;

  [[nodiscard]] std::string_view name() const override { return "matching_engine"; }
  void on_wait_set(common::WaitSet& waits) override {
    requests_.set_consumer_wake(&waits.signal());
  }

  [[nodiscard]] const BookType* book(TickerId ticker_id) const noexcept {
    return matcher_.book(ticker_id);
  }
  // Start-up from a state snapshot only (docs/snapshots.md), before the engine runs.
  [[nodiscard]] BookType* book_to_restore(TickerId ticker_id) noexcept {
    return matcher_.book(ticker_id);
  }
  // Configured tickers, in the order given.
  [[nodiscard]] std::span<const TickerId> tickers() const noexcept { return matcher_.tickers(); }
  [[nodiscard]] bool busy() const noexcept { return matcher_.busy(); }
  [[nodiscard]] std::uint64_t requests_processed() const noexcept { return requests_processed_; }
  // Polls that stopped because an output queue had no room.
  [[nodiscard]] std::uint64_t output_stalls() const noexcept { return stalls_; }
  [[nodiscard]] std::uint64_t lost_events() const noexcept { return output_.lost(); }

 private:
  MatchingEngineOptions options_;
  RequestQueue& requests_;
  const common::TscClock& clock_;
  MatchingOutput output_;
  Matcher<MatchingOutput> matcher_;
  std::uint64_t requests_processed_ = 0;
  std::uint64_t stalls_ = 0;
};

}  // namespace llt::exchange
