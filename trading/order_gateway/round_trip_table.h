#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/types.h"

namespace llt::trading {

// The requests sent and not yet answered, with their send stamps, for the order-sent ->
// response-read latency. A fixed ring of kCapacity entries, no allocation.
//
// Answers (docs/protocol.md, Order of events): a NEW gets ACCEPTED or REJECTED, a CANCEL gets
// CANCELED, CANCEL_REJECTED or REJECTED (session rules such as THROTTLED), a MODIFY gets
// MODIFIED, MODIFY_REJECTED or REJECTED. The exchange answers a
// session's requests nearly in order (only a session-level REJECTED can overtake), so take() scans
// from the oldest entry and usually matches at once; answered entries in the middle are marked dead
// and skipped when the oldest advances.
//
// Thread contract: not thread-safe; the order gateway's thread calls every member.
class RoundTripTable {
 public:
  static constexpr std::size_t kCapacity = 256;
  static_assert((kCapacity & (kCapacity - 1)) == 0, "index by mask");

  // Records a sent request. Returns false (nothing recorded) when kCapacity requests are
  // already unanswered.
  [[nodiscard]] bool add(exchange::ClientRequestType type, exchange::TickerId ticker_id,
                         exchange::OrderId order_id, std::uint64_t sent_tsc) noexcept {
    drop_dead_head();
    if (tail_ - head_ == kCapacity) {
      return false;
    }
    entries_[tail_ & kMask] = Entry{order_id, sent_tsc, ticker_id, type, true};
    ++tail_;
    ++live_;
    return true;
  }

  // If `response` answers a recorded request, removes the oldest such request and returns
  // its send stamp; else returns 0 (FILLED, HEARTBEAT, an untracked request).
  [[nodiscard]] std::uint64_t take(const exchange::ClientResponse& response) noexcept {
    using exchange::ClientRequestType;
    using exchange::ClientResponseType;
    bool answers_new = false;
    bool answers_cancel = false;
    bool answers_modify = false;
    switch (response.msg_type) {
      case ClientResponseType::kAccepted:
        answers_new = true;
        break;
      case ClientResponseType::kCanceled:
      case ClientResponseType::kCancelRejected:
        answers_cancel = true;
        break;
      case ClientResponseType::kModified:
      case ClientResponseType::kModifyRejected:
        answers_modify = true;
        break;
      case ClientResponseType::kRejected:
        answers_new = answers_cancel = answers_modify = true;
        break;
      default:
        return 0;
    }
    for (std::uint64_t i = head_; i != tail_; ++i) {
      Entry& entry = entries_[i & kMask];
      if (!entry.live || entry.order_id != response.client_order_id ||
          entry.ticker_id != response.ticker_id) {
        continue;
      }
      if ((entry.type == ClientRequestType::kNew && answers_new) ||
          (entry.type == ClientRequestType::kCancel && answers_cancel) ||
          (entry.type == ClientRequestType::kModify && answers_modify)) {
        entry.live = false;
        --live_;
        drop_dead_head();
        return entry.sent_tsc;
      }
    }
    return 0;
  }

  // A session ended: its requests will never be answered.
  void clear() noexcept {
    head_ = tail_ = 0;
    live_ = 0;
  }

  // Unanswered requests.
  [[nodiscard]] std::size_t size() const noexcept { return live_; }

 private:
  static constexpr std::uint64_t kMask = kCapacity - 1;

  struct Entry {
    exchange::OrderId order_id = 0;
    std::uint64_t sent_tsc = 0;
    exchange::TickerId ticker_id = 0;
    exchange::ClientRequestType type = exchange::ClientRequestType::kInvalid;
    bool live = false;  // false once answered
  };

  void drop_dead_head() noexcept {
    while (head_ != tail_ && !entries_[head_ & kMask].live) {
      ++head_;
    }
  }

  std::array<Entry, kCapacity> entries_{};
  std::uint64_t head_ = 0;  // oldest entry (monotonic; the slot is head_ & kMask)
  std::uint64_t tail_ = 0;  // one past the newest
  std::size_t live_ = 0;
};

}  // namespace llt::trading
