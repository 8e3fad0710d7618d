#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "common/concurrent/agent.h"
#include "common/concurrent/spsc_queue.h"
#include "common/containers/fixed_hash_map.h"
#include "common/error.h"
#include "common/logging/logger.h"
#include "common/stats/top_of_book.h"
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

  // Start-up: room for the last trade of each ticker (in this order), for the top of book.
  void init_tickers(std::span<const TickerId> tickers) {
    ticker_slots_ = std::make_unique<TickerSlots>(tickers.size());
    for (std::size_t i = 0; i < tickers.size(); ++i) {
      LLT_VERIFY(ticker_slots_->insert(tickers[i], static_cast<std::uint32_t>(i)),
                 "the matcher refused duplicate tickers");
    }
    last_trades_.assign(tickers.size(), common::TopOfBook{});
  }
  // Start-up: the audit log's trade lines (docs/operations.md, Audit log) go to `logger`
  // (nullptr: none). The engine's thread must register with it (on_start).
  void set_logger(common::Logger* logger) noexcept { logger_ = logger; }
  [[nodiscard]] common::Logger* logger() const noexcept { return logger_; }

  // The last trade of the ticker at `index` (last_price, last_qty; the rest unused).
  [[nodiscard]] const common::TopOfBook& last_trade(std::size_t index) const noexcept {
    return last_trades_[index];
  }
  // True when a market update went out since clear_books_changed().
  [[nodiscard]] bool books_changed() const noexcept { return books_changed_; }
  void clear_books_changed() noexcept { books_changed_ = false; }

  void on_response(const ClientResponse& response) noexcept {
    emplace_response([&](ClientResponse& out) noexcept { out = response; });
  }
  void on_market_update(const MarketUpdate& update) noexcept {
    emplace_update([&](MarketUpdate& out) noexcept { out = update; });
  }

  // The book's events, written straight into the queues' slots (InPlaceBookHandler).
  template <typename Fill>
  void emplace_response(Fill&& fill) noexcept {
    const bool pushed = responses_.try_emplace_with([&](MatchingResponse& out) noexcept {
      fill(out.response);
      out.ticks = ticks_;
      if (LLT_UNLIKELY(logger_ != nullptr) &&
          out.response.msg_type == ClientResponseType::kFilled) {
        // A match answers the aggressor, then the resting order, then publishes the TRADE
        // (OrderBook's match loop): the last two FILLEDs are that trade's two sides, for the
        // audit log's trade line.
        fills_[0] = fills_[1];
        fills_[1] = out.response;
      }
    });
    // The engine only starts a step when the room for its events is known (step_budget), so
    // this cannot fail; if it ever did, the count makes the loss visible instead of silent.
    LLT_ASSERT(pushed, "response queue full despite the step budget");
    lost_ += pushed ? 0 : 1;
    --response_room_;
  }
  template <typename Fill>
  void emplace_update(Fill&& fill) noexcept {
    books_changed_ = true;
    const bool pushed = updates_.try_emplace_with([&](MatchingUpdate& out) noexcept {
      fill(out.update);
      out.ticks = ticks_;
      if (out.update.msg_type == MarketUpdateType::kTrade) {
        on_trade(out.update);
      }
    });
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

  using TickerSlots = common::FixedHashMap<TickerId, std::uint32_t, UINT32_MAX>;

  void on_trade(const MarketUpdate& trade) noexcept {
    if (ticker_slots_ != nullptr) {
      const std::uint32_t slot = ticker_slots_->find(trade.ticker_id);
      if (LLT_LIKELY(slot != UINT32_MAX)) {
        last_trades_[slot].last_price = trade.price;
        last_trades_[slot].last_qty = trade.qty;
      }
    }
    if (logger_ != nullptr) {
      // A push of the raw values into the engine thread's log queue; formatted by the
      // logger's thread.
      LLT_LOG_INFO(*logger_,
                   "audit trade ticker {} price {} qty {} aggressor client {} order {} passive "
                   "client {} order {}",
                   trade.ticker_id, trade.price, trade.qty, fills_[0].client_id,
                   fills_[0].client_order_id, fills_[1].client_id, fills_[1].client_order_id);
    }
  }

  ResponseQueue& responses_;
  UpdateQueue& updates_;
  std::unique_ptr<TickerSlots> ticker_slots_;
  std::vector<common::TopOfBook> last_trades_;  // in the engine's ticker order
  common::Logger* logger_ = nullptr;
  std::array<ClientResponse, 2> fills_{};  // the last two FILLEDs, oldest first
  bool books_changed_ = true;
  HopTicks ticks_{};
  std::size_t response_room_ = 0;
  std::size_t update_room_ = 0;
  std::uint64_t lost_ = 0;
};

static_assert(InPlaceBookHandler<MatchingOutput>, "the book writes its events into the queues");

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

  // Registers the engine's thread with the audit logger (if any) and publishes the top of
  // every book (a recovered day's books included).
  void on_start() override;

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

  // Best bid and ask (level price and total qty) and the last trade of the ticker at `index`
  // in tickers(), as of the end of the engine's last poll that changed a book (docs/
  // operations.md, Status lines). Any thread.
  [[nodiscard]] common::TopOfBook top_of_book(std::size_t index) const noexcept {
    return index < tickers().size() ? tops_[index].load() : common::TopOfBook{};
  }

  // Start-up, before the agents run: the audit log's trade lines go to `logger` (nullptr:
  // none). Must outlive the engine's thread.
  void set_logger(common::Logger* logger) noexcept { output_.set_logger(logger); }

 private:
  // Publishes the top of each book that changed since it was last published. Engine's thread.
  void publish_tops() noexcept;

  MatchingEngineOptions options_;
  RequestQueue& requests_;
  const common::TscClock& clock_;
  MatchingOutput output_;
  Matcher<MatchingOutput> matcher_;
  std::uint64_t requests_processed_ = 0;
  std::uint64_t stalls_ = 0;
  std::vector<const BookType*> books_;             // in tickers() order
  std::vector<common::TopOfBook> published_tops_;  // engine's thread: what tops_ hold
  // Read by other threads (status line): one cache line per ticker.
  std::unique_ptr<common::TopOfBookCell[]> tops_;
};

}  // namespace llt::exchange
