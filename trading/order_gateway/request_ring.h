#pragma once

#include <cstddef>
#include <vector>

#include "common/error.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/types.h"

namespace llt::trading {

// The last `capacity` numbered requests the gateway sent (NEW, CANCEL, MODIFY, as sent: number
// and contents), so that after a reconnect the ones the exchange did not get go out again
// unchanged (docs/recovery.md). Holds the contiguous numbers [first(), end()); a new request
// past capacity overwrites the oldest. Allocated once, at start-up.
//
// Thread contract: not thread-safe; the gateway's thread calls every member.
class RequestRing {
 public:
  // capacity >= 1 (the gateway's options are validated).
  explicit RequestRing(std::size_t capacity) : slots_(capacity) {}

  // `request` was taken by the socket; its seq_num must be end() (numbers are contiguous).
  void push(const exchange::ClientRequest& request) noexcept {
    LLT_ASSERT(request.seq_num == end_, "requests enter the ring in number order");
    slots_[request.seq_num % slots_.size()] = request;
    ++end_;
    if (end_ - first_ > slots_.size()) {
      ++first_;
    }
  }

  // Whether every number of [from, end()) is held (true for from == end()).
  [[nodiscard]] bool holds_from(exchange::SeqNum from) const noexcept {
    return from >= first_ && from <= end_;
  }

  // The request numbered `seq`; holds_from(seq) and seq < end() must hold.
  [[nodiscard]] const exchange::ClientRequest& at(exchange::SeqNum seq) const noexcept {
    LLT_ASSERT(seq >= first_ && seq < end_, "only held numbers are read");
    return slots_[seq % slots_.size()];
  }

  // Forgets everything; the next request pushed is numbered `next`.
  void reset(exchange::SeqNum next) noexcept {
    first_ = next;
    end_ = next;
  }

  [[nodiscard]] exchange::SeqNum first() const noexcept { return first_; }
  [[nodiscard]] exchange::SeqNum end() const noexcept { return end_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size(); }

 private:
  std::vector<exchange::ClientRequest> slots_;
  exchange::SeqNum first_ = 1;  // oldest number held
  exchange::SeqNum end_ = 1;    // one past the newest
};

}  // namespace llt::trading
