#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/containers/fixed_hash_map.h"
#include "common/error.h"
#include "exchange/exchange_messages.h"
#include "exchange/matcher/book_handler.h"
#include "exchange/matcher/order_book.h"
#include "exchange/matcher/order_id_index.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/reject_reason.h"
#include "exchange/protocol/types.h"

namespace llt::exchange {

// The matching logic of the exchange without its queues: one OrderBook per configured ticker,
// sharing one OrderIdIndex (a client's order ids are unique across tickers), and the routing
// of a request to its book. Synchronous: process() emits every event of the request through
// the handler before it returns, unless a step budget cuts it short (see below). The matching
// engine wraps it with queues; tests and benchmarks drive it directly.
//
// Requests and what they emit beyond the book's own events:
//  NEW     unknown ticker: REJECTED(UNKNOWN_TICKER); else OrderBook::add.
//  CANCEL  unknown ticker: CANCEL_REJECTED(UNKNOWN_TICKER); tif != 0: CANCEL_REJECTED(
//          INVALID_TIF); flags != 0: CANCEL_REJECTED(INVALID_FLAGS); else OrderBook::cancel.
//  MODIFY  unknown ticker: MODIFY_REJECTED(UNKNOWN_TICKER); else OrderBook::modify.
//  kCancelAllOfClient: every resting order of the client, book by book in the order the
//          tickers were configured, oldest first within a book; CANCELED(DISCONNECTED) + CANCEL
//          update each.
//  kSessionReject: REJECTED with the reason in `flags` (a session rule's reject, numbered).
//  other   REJECTED(UNKNOWN_MSG_TYPE) (the order server never forwards session messages).
//
// Step budget: a step is one match or one cancel, and emits at most two responses and two
// updates. One process() or resume() call with max_steps = n emits at most 2n + 2 responses
// and 2n + 2 updates (besides its steps, a call emits at most two of each: ACCEPTED and an
// IOC's CANCELED(EXPIRED); a MODIFY's CANCEL update and the ADD). When a request needs more steps
// it is left pending: busy() is true and resume() must be called (with no other request in between)
// until it returns true.
//
// Thread contract: every member is called from one thread (the matching engine's).
template <BookHandler Handler>
class Matcher {
 public:
  using Book = OrderBook<Handler>;
  static constexpr std::uint32_t kUnlimitedSteps = UINT32_MAX;

  // Start-up: allocates every book. Throws std::invalid_argument for an empty or duplicated
  // ticker list or a zero capacity.
  Matcher(const std::vector<TickerId>& tickers, const OrderBookOptions& options, Handler& handler)
      : handler_(handler),
        ids_(check_tickers(tickers) * options.max_orders, options.hash_seed),
        ticker_index_(tickers.size(), options.hash_seed),
        tickers_(tickers.begin(), tickers.end()) {
    books_.reserve(tickers.size());
    TickerId max_ticker = 0;
    for (const TickerId ticker : tickers) {
      books_.push_back(std::make_unique<Book>(ticker, options, ids_, handler));
      if (!ticker_index_.insert(ticker, static_cast<PoolIndex>(books_.size() - 1))) {
        throw std::invalid_argument("matcher: ticker index full");
      }
      max_ticker = std::max(max_ticker, ticker);
    }
    if (max_ticker < kDirectTickers) {
      direct_books_.assign(std::size_t{max_ticker} + 1, nullptr);
      for (const auto& book : books_)
        direct_books_[book->ticker_id()] = book.get();
    }
  }

  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // Processes one request (max_steps >= 1). Returns its reject reason, kNone when the NEW was
  // accepted, the CANCEL or MODIFY done, or for kCancelAllOfClient. Precondition: !busy().
  RejectReason process(const ClientRequest& request,
                       std::uint32_t max_steps = kUnlimitedSteps) noexcept {
    LLT_ASSERT(pending_ == Pending::kNone, "process() while busy: resume() first");
    LLT_ASSERT(max_steps > 0, "max_steps must be at least 1");
    last_steps_ = 0;
    const ClientRequestType type = request.msg_type;
    if (LLT_LIKELY(type == ClientRequestType::kNew)) {
      Book* book = find_book(request.ticker_id);
      if (LLT_UNLIKELY(book == nullptr)) {
        reject(ClientResponseType::kRejected, request, RejectReason::kUnknownTicker);
        return RejectReason::kUnknownTicker;
      }
      const RejectReason reason =
          book->add(request.client_id, request.order_id, request.side, request.price, request.qty,
                    request.tif, request.flags, max_steps);
      last_steps_ = book->last_steps();
      if (LLT_UNLIKELY(book->match_pending())) {
        pending_ = Pending::kMatch;
        pending_book_ = book;
      }
      return reason;
    }
    if (type == ClientRequestType::kCancel) {
      Book* book = find_book(request.ticker_id);
      if (LLT_UNLIKELY(book == nullptr)) {
        reject(ClientResponseType::kCancelRejected, request, RejectReason::kUnknownTicker);
        return RejectReason::kUnknownTicker;
      }
      if (LLT_UNLIKELY(request.tif != TimeInForce::kGtc || request.flags != 0)) {
        const RejectReason reason = request.tif != TimeInForce::kGtc ? RejectReason::kInvalidTif
                                                                     : RejectReason::kInvalidFlags;
        reject(ClientResponseType::kCancelRejected, request, reason);
        return reason;
      }
      const RejectReason reason = book->cancel(request.client_id, request.order_id);
      last_steps_ = book->last_steps();
      return reason;
    }
    if (type == ClientRequestType::kModify) {
      Book* book = find_book(request.ticker_id);
      if (LLT_UNLIKELY(book == nullptr)) {
        reject(ClientResponseType::kModifyRejected, request, RejectReason::kUnknownTicker);
        return RejectReason::kUnknownTicker;
      }
      const RejectReason reason =
          book->modify(request.client_id, request.order_id, request.side, request.price,
                       request.qty, request.tif, request.flags, max_steps);
      last_steps_ = book->last_steps();
      if (LLT_UNLIKELY(book->match_pending())) {
        pending_ = Pending::kMatch;
        pending_book_ = book;
      }
      return reason;
    }
    if (type == kCancelAllOfClient) {
      pending_ = Pending::kCancelAll;
      cancel_all_client_ = request.client_id;
      cancel_all_book_ = 0;
      // Unfinished within max_steps: busy() stays true and the caller resumes it.
      (void)cancel_all_steps(max_steps);
      return RejectReason::kNone;
    }
    if (type == kSessionReject) {
      const auto reason = static_cast<RejectReason>(request.flags);
      reject(ClientResponseType::kRejected, request, reason);
      return reason;
    }
    reject(ClientResponseType::kRejected, request, RejectReason::kUnknownMsgType);
    return RejectReason::kUnknownMsgType;
  }

  // Continues the pending request with at most max_steps more steps (>= 1). Returns true when
  // it is complete. Precondition: busy().
  [[nodiscard]] bool resume(std::uint32_t max_steps) noexcept {
    LLT_ASSERT(max_steps > 0, "max_steps must be at least 1");
    last_steps_ = 0;
    switch (pending_) {
      case Pending::kMatch: {
        const bool done = pending_book_->resume_match(max_steps);
        last_steps_ = pending_book_->last_steps();
        if (done) {
          pending_ = Pending::kNone;
          pending_book_ = nullptr;
        }
        return done;
      }
      case Pending::kCancelAll:
        return cancel_all_steps(max_steps);
      case Pending::kNone:
        break;
    }
    LLT_ASSERT(false, "resume() while not busy");
    return true;
  }

  [[nodiscard]] bool busy() const noexcept { return pending_ != Pending::kNone; }
  // Steps (matches or cancels) taken by the last process() or resume() call.
  [[nodiscard]] std::uint32_t last_steps() const noexcept { return last_steps_; }

  // The book of a ticker, or nullptr if the ticker is not configured.
  [[nodiscard]] Book* book(TickerId ticker_id) noexcept { return find_book(ticker_id); }
  [[nodiscard]] const Book* book(TickerId ticker_id) const noexcept {
    const PoolIndex slot = ticker_index_.find(ticker_id);
    return slot == kNoIndex ? nullptr : books_[slot].get();
  }
  // Configured tickers, in the order given (the order of cancel-on-disconnect).
  [[nodiscard]] std::span<const TickerId> tickers() const noexcept { return tickers_; }
  [[nodiscard]] const OrderIdIndex& order_ids() const noexcept { return ids_; }

 private:
  enum class Pending : std::uint8_t { kNone, kMatch, kCancelAll };

  // Ticker ids below this are looked up in a flat table instead of the hash index.
  static constexpr TickerId kDirectTickers = 4096;

  [[nodiscard]] Book* find_book(TickerId ticker_id) noexcept {
    if (LLT_LIKELY(!direct_books_.empty())) {
      return ticker_id < direct_books_.size() ? direct_books_[ticker_id] : nullptr;
    }
    const PoolIndex slot = ticker_index_.find(ticker_id);
    return slot != kNoIndex ? books_[slot].get() : nullptr;
  }

  // Returns true when the client has no order left in any book.
  [[nodiscard]] bool cancel_all_steps(std::uint32_t max_steps) noexcept {
    std::uint32_t steps = 0;
    while (cancel_all_book_ < books_.size()) {
      if (steps == max_steps) {
        last_steps_ = steps;
        return false;
      }
      if (books_[cancel_all_book_]->cancel_oldest_of(cancel_all_client_)) {
        ++steps;
      } else {
        ++cancel_all_book_;
      }
    }
    last_steps_ = steps;
    pending_ = Pending::kNone;
    return true;
  }

  // A refusal decided before any book: side and price echoed as sent, no market order id.
  void reject(ClientResponseType type, const ClientRequest& request, RejectReason reason) noexcept {
    const bool is_cancel = type == ClientResponseType::kCancelRejected;
    emit_response(handler_, type, request.client_id, request.ticker_id, request.order_id, 0,
                  is_cancel ? Side::kInvalid : Side{request.side},
                  is_cancel ? 0 : Price{request.price}, 0, 0, reason);
  }

  static std::size_t check_tickers(const std::vector<TickerId>& tickers) {
    if (tickers.empty()) {
      throw std::invalid_argument("matcher: at least one ticker is required (--tickers)");
    }
    for (std::size_t i = 0; i < tickers.size(); ++i) {
      for (std::size_t j = i + 1; j < tickers.size(); ++j) {
        if (tickers[i] == tickers[j]) {
          throw std::invalid_argument("matcher: ticker " + std::to_string(tickers[i]) +
                                      " is configured twice (--tickers)");
        }
      }
    }
    return tickers.size();
  }

  Handler& handler_;
  OrderIdIndex ids_;
  common::FixedHashMap<TickerId, PoolIndex, kNoIndex> ticker_index_;
  std::vector<TickerId> tickers_;
  std::vector<std::unique_ptr<Book>> books_;
  std::vector<Book*> direct_books_;  // by ticker id, when every id is below kDirectTickers
  Pending pending_ = Pending::kNone;
  Book* pending_book_ = nullptr;
  ClientId cancel_all_client_ = 0;
  std::size_t cancel_all_book_ = 0;
  std::uint32_t last_steps_ = 0;
};

}  // namespace llt::exchange
