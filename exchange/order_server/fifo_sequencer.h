#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>

#include "common/error.h"
#include "exchange/exchange_messages.h"
#include "exchange/protocol/client_request.h"

namespace llt::exchange {

// The FIFO sequencer of the order server (docs/architecture.md, The exchange pipeline): collects
// the requests decoded in a poll cycle across sessions, each stamped with the TscClock ticks of the
// TCP read that brought it, and releases them to the matching engine's request queue in
// receive-time order. The order is a stable sort on recv_ticks, so requests with equal stamps (one
// read of one session) keep the order they were added in, and a session's own requests, added in
// arrival order with non-decreasing stamps, are never reordered: a NEW followed by its CANCEL is
// matched, then cancelled.
//
// Back-pressure, never loss: release() pushes only what the engine's queue takes; the rest
// stays pending, in order, ahead of anything added later. add() refuses (returns false) only
// when the fixed capacity is full, and the caller must then stop decoding (it leaves the
// bytes in the socket buffers) until a release makes room.
//
// Cancel-all requests (kCancelAllOfClient) go through the same buffer, stamped with the
// time the session closed, so they follow every request the session sent before closing.
// pending_cancel_alls() counts them so the caller can reserve room for them.
//
// Memory: one array of `capacity` MatchingRequests allocated by the constructor; add() and
// release() never allocate, lock or throw. Sorting is an insertion sort over the pending
// entries, run only when an add() broke the order: O(n) for the nearly sorted input a poll
// cycle produces (reads happen in time order), and bounded by the capacity in any case.
//
// Thread contract: not thread-safe; the order server's thread calls every member, and it is
// the only producer of the queue passed to release().
class FifoSequencer {
 public:
  // Throws std::invalid_argument when capacity is 0 or absurdly large (start-up only).
  explicit FifoSequencer(std::size_t capacity)
      : capacity_(check_capacity(capacity)),
        entries_(std::make_unique<MatchingRequest[]>(capacity_)) {}

  FifoSequencer(const FifoSequencer&) = delete;
  FifoSequencer& operator=(const FifoSequencer&) = delete;

  // Adds one request received at recv_ticks. Returns false, taking nothing, when size() ==
  // capacity(). The hop ticks other than recv_ticks are cleared.
  [[nodiscard]] bool add(const ClientRequest& request, std::uint64_t recv_ticks) noexcept {
    if (LLT_UNLIKELY(tail_ - head_ == capacity_)) {
      return false;
    }
    if (tail_ == capacity_) {
      compact();
    }
    if (tail_ > head_ && recv_ticks < entries_[tail_ - 1].ticks.recv_ticks) {
      sorted_ = false;
    }
    MatchingRequest& entry = entries_[tail_++];
    entry.request = request;
    entry.ticks = HopTicks{recv_ticks, 0, 0};
    if (request.msg_type == kCancelAllOfClient) {
      ++pending_cancel_alls_;
    }
    return true;
  }

  // Releases pending requests, oldest receive time first, into `queue` until it is full or
  // nothing is pending, stamping ticks.sequenced_ticks = now_ticks. Calls
  // on_released(const MatchingRequest&) for each one after it was pushed (the order server
  // records its latency there). Returns how many were released.
  // At most max_count are released.
  template <class OnReleased>
  std::size_t release(RequestQueue& queue, std::uint64_t now_ticks, OnReleased&& on_released,
                      std::size_t max_count = SIZE_MAX) {
    if (!sorted_) {
      sort_pending();
    }
    std::size_t released = 0;
    while (head_ < tail_ && released < max_count) {
      MatchingRequest& entry = entries_[head_];
      entry.ticks.sequenced_ticks = now_ticks;
      if (!queue.try_push(entry)) {
        break;
      }
      if (entry.request.msg_type == kCancelAllOfClient) {
        --pending_cancel_alls_;
      }
      on_released(entry);
      ++head_;
      ++released;
    }
    if (head_ == tail_) {
      head_ = tail_ = 0;
    }
    return released;
  }

  std::size_t release(RequestQueue& queue, std::uint64_t now_ticks) {
    return release(queue, now_ticks, [](const MatchingRequest&) {});
  }

  // The first `count` pending requests (all of them when fewer), in the order release() will
  // push them (the order server journals them there before releasing them). Valid until the
  // next call that adds or releases.
  [[nodiscard]] std::span<const MatchingRequest> pending(std::size_t count) noexcept {
    if (!sorted_) {
      sort_pending();
    }
    return {entries_.get() + head_, count < tail_ - head_ ? count : tail_ - head_};
  }

  [[nodiscard]] std::size_t size() const noexcept { return tail_ - head_; }
  [[nodiscard]] bool empty() const noexcept { return tail_ == head_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t free_slots() const noexcept { return capacity_ - size(); }
  // kCancelAllOfClient requests added and not yet released.
  [[nodiscard]] std::size_t pending_cancel_alls() const noexcept { return pending_cancel_alls_; }

 private:
  static std::size_t check_capacity(std::size_t capacity) {
    if (capacity == 0 || capacity > (std::size_t{1} << 32)) {
      throw std::invalid_argument("FifoSequencer capacity must be between 1 and 2^32");
    }
    return capacity;
  }

  // Moves the pending entries to the front of the array.
  void compact() noexcept {
    const std::size_t pending = tail_ - head_;
    std::memmove(static_cast<void*>(entries_.get()), entries_.get() + head_,
                 pending * sizeof(MatchingRequest));
    head_ = 0;
    tail_ = pending;
  }

  // Stable insertion sort of the pending entries by recv_ticks: an entry moves left only
  // past entries with a strictly later stamp.
  void sort_pending() noexcept {
    for (std::size_t i = head_ + 1; i < tail_; ++i) {
      if (entries_[i].ticks.recv_ticks >= entries_[i - 1].ticks.recv_ticks) {
        continue;
      }
      const MatchingRequest moving = entries_[i];
      std::size_t j = i;
      while (j > head_ && entries_[j - 1].ticks.recv_ticks > moving.ticks.recv_ticks) {
        entries_[j] = entries_[j - 1];
        --j;
      }
      entries_[j] = moving;
    }
    sorted_ = true;
  }

  std::size_t capacity_;
  std::unique_ptr<MatchingRequest[]> entries_;
  std::size_t head_ = 0;  // first pending entry
  std::size_t tail_ = 0;  // one past the last pending entry
  std::size_t pending_cancel_alls_ = 0;
  bool sorted_ = true;  // pending entries are in recv_ticks order
};

}  // namespace llt::exchange
