#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "exchange/protocol/market_update.h"
#include "exchange/protocol/types.h"
#include "trading/trading_messages.h"

namespace llt::trading {

// Incremental updates received but not yet forwarded, keyed by seq_num: the ones ahead of a
// hole (a reordered or lost datagram), the ones queued while recovering from the snapshot
// stream, and the ones the consumer could not forward because its output queue was full.
//
// A window of `capacity` consecutive seq_nums [low(), low() + capacity) over a ring allocated
// at construction: slot = seq & mask. A slot is occupied for seq s when it holds s and the
// current epoch, so moving the window or starting a new epoch (an exchange restart: seq_nums
// repeat) needs no clearing pass.
//
// Thread contract: not thread-safe; the market data consumer's thread.
class ReorderBuffer {
 public:
  enum class InsertResult : std::uint8_t {
    kInserted,
    kDuplicate,  // that seq_num is already held
    kTooOld,     // below low(): nothing kept
  };

  // capacity: rounded up to a power of two, >= 2 * kMaxUpdatesPerDatagram. Throws
  // std::invalid_argument naming the value otherwise.
  explicit ReorderBuffer(std::size_t capacity)
      : capacity_(round_up(capacity)), mask_(capacity_ - 1) {
    slots_ = std::make_unique<Slot[]>(capacity_);  // value-initialised: every page touched now
  }

  // Stores an update. An update beyond the window moves the window up to end at it; the
  // updates that fall out below are forgotten (evicted() counts them).
  [[nodiscard]] InsertResult insert(const exchange::MarketUpdate& update,
                                    std::uint64_t read_tsc) noexcept {
    const exchange::SeqNum seq = update.seq_num;
    if (seq < low_) {
      return InsertResult::kTooOld;
    }
    if (seq - low_ >= capacity_) {
      const exchange::SeqNum low = seq - capacity_ + 1;
      evicted_ += held_in(low_, low);
      low_ = low;
    }
    Slot& slot = slots_[seq & mask_];
    if (slot.epoch == epoch_ && slot.event.update.seq_num == seq) {
      return InsertResult::kDuplicate;
    }
    slot.event.update = update;
    slot.event.read_tsc = read_tsc;
    slot.epoch = epoch_;
    return InsertResult::kInserted;
  }

  // The held update with this seq_num, or nullptr.
  [[nodiscard]] const MarketEvent* find(exchange::SeqNum seq) const noexcept {
    if (seq < low_ || seq - low_ >= capacity_) {
      return nullptr;
    }
    const Slot& slot = slots_[seq & mask_];
    return slot.epoch == epoch_ && slot.event.update.seq_num == seq ? &slot.event : nullptr;
  }
  [[nodiscard]] bool contains(exchange::SeqNum seq) const noexcept { return find(seq) != nullptr; }

  // True when every seq_num in [first, end) is held.
  [[nodiscard]] bool contains_all(exchange::SeqNum first, exchange::SeqNum end) const noexcept {
    if (first >= end) {
      return true;
    }
    if (first < low_ || end - low_ > capacity_) {
      return false;
    }
    for (exchange::SeqNum seq = first; seq < end; ++seq) {
      if (!contains(seq)) {
        return false;
      }
    }
    return true;
  }

  // Forgets every held update below `low` (no-op when low <= low()). O(1): the slots are
  // simply no longer in the window.
  void advance_to(exchange::SeqNum low) noexcept {
    if (low > low_) {
      low_ = low;
    }
  }

  // Forgets everything (a new epoch) and starts the window at `low`.
  void reset(exchange::SeqNum low) noexcept {
    ++epoch_;
    low_ = low;
  }

  [[nodiscard]] exchange::SeqNum low() const noexcept { return low_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  // Held updates forgotten because an insert moved the window past them.
  [[nodiscard]] std::uint64_t evicted() const noexcept { return evicted_; }

 private:
  struct Slot {
    MarketEvent event;
    std::uint32_t epoch = 0;  // 0: never written (epochs start at 1)
  };

  // Held updates with seq_num in [first, end), counting at most one window.
  [[nodiscard]] std::uint64_t held_in(exchange::SeqNum first, exchange::SeqNum end) const noexcept {
    std::uint64_t held = 0;
    for (exchange::SeqNum seq = first; seq < end && seq - first < capacity_; ++seq) {
      held += contains(seq) ? 1 : 0;
    }
    return held;
  }

  static std::size_t round_up(std::size_t n) {
    if (n < 2 * exchange::kMaxUpdatesPerDatagram || n > (std::size_t{1} << 30)) {
      throw std::invalid_argument("market data queue capacity must be in [68, 2^30], got " +
                                  std::to_string(n));
    }
    std::size_t capacity = 1;
    while (capacity < n) {
      capacity <<= 1;
    }
    return capacity;
  }

  const std::size_t capacity_;
  const std::size_t mask_;
  std::unique_ptr<Slot[]> slots_;
  exchange::SeqNum low_ = 1;
  std::uint32_t epoch_ = 1;
  std::uint64_t evicted_ = 0;
};

}  // namespace llt::trading
