#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "common/concurrent/cache_line.h"
#include "common/error.h"
#include "exchange/protocol/market_update.h"
#include "exchange/protocol/types.h"

namespace llt::exchange {

// The last `depth` records of the incremental stream, exactly as they were sent, for the
// replay agent (docs/protocol.md, Market data replay; docs/architecture.md, Agents).
//
// One writer (the market data publisher) and any number of readers, no lock, no allocation
// after construction. Record `seq` lives in slot seq % depth (depth a power of two or not).
// Each slot is a seqlock: the writer marks it busy, stores the record's words, then stores
// its seq_num with release; a reader checks the slot's seq_num (acquire) before and after
// copying the words, so a record overwritten while it was copied reads as not available, never
// as a torn or wrong one. The writer never waits for a reader.
// After writing records the writer publishes the highest written seq_num (release); readers
// serve nothing beyond it.
//
// Thread contract: construction on any thread; write() and publish() on the publisher's
// thread only; last_published(), read() and oldest_kept() from any thread.
class MdReplayRing {
 public:
  // Allocates and zeroes every slot (the pages are resident before trading). Throws
  // std::invalid_argument when depth is 0.
  explicit MdReplayRing(std::size_t depth)
      : depth_(depth == 0 ? throw std::invalid_argument("market data replay: depth must be > 0")
                          : depth),
        slots_(std::make_unique<Slot[]>(depth)) {}

  MdReplayRing(const MdReplayRing&) = delete;
  MdReplayRing& operator=(const MdReplayRing&) = delete;

  [[nodiscard]] std::size_t depth() const noexcept { return depth_; }

  // Writer: stores one numbered record (seq_num >= 1), replacing the one depth numbers older.
  // Readers do not serve it before publish() covers its seq_num.
  void write(const MarketUpdate& update) noexcept {
    Slot& slot = slots_[update.seq_num % depth_];
    Words words{};
    std::memcpy(words.data(), &update, sizeof(MarketUpdate));
    slot.seq.store(kBusy, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    for (std::size_t i = 0; i < kWords; ++i) {
      slot.words[i].store(words[i], std::memory_order_relaxed);
    }
    slot.seq.store(update.seq_num, std::memory_order_release);
  }

  // Writer: every record up to `seq` is written and may be served.
  void publish(SeqNum seq) noexcept { last_published_.store(seq, std::memory_order_release); }

  // The highest seq_num published (0: none).
  [[nodiscard]] SeqNum last_published() const noexcept {
    return last_published_.load(std::memory_order_acquire);
  }

  // The oldest seq_num the ring can still hold given the last published one (1 until the ring
  // has wrapped). A record at or above it may still be overwritten by the time it is read.
  [[nodiscard]] SeqNum oldest_kept(SeqNum last_published) const noexcept {
    return last_published >= depth_ ? last_published - depth_ + 1 : 1;
  }

  // Reader: copies record `seq` into `out` and returns true, or returns false when the slot
  // does not hold it (never written, or overwritten before or during the copy). Does not check
  // seq against last_published(): the caller does.
  [[nodiscard]] bool read(SeqNum seq, MarketUpdate& out) const noexcept {
    const Slot& slot = slots_[seq % depth_];
    if (slot.seq.load(std::memory_order_acquire) != seq) {
      return false;
    }
    Words words;
    for (std::size_t i = 0; i < kWords; ++i) {
      words[i] = slot.words[i].load(std::memory_order_relaxed);
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (LLT_UNLIKELY(slot.seq.load(std::memory_order_relaxed) != seq)) {
      return false;
    }
    std::memcpy(static_cast<void*>(&out), words.data(), sizeof(MarketUpdate));
    return true;
  }

 private:
  static constexpr std::size_t kWords = (sizeof(MarketUpdate) + 7) / 8;
  static constexpr SeqNum kBusy = 0;  // no record has seq_num 0
  using Words = std::array<std::uint64_t, kWords>;

  // One cache line per record: the writer's stores never share a line with another slot.
  struct alignas(common::kCacheLineSize) Slot {
    std::atomic<SeqNum> seq{0};
    std::array<std::atomic<std::uint64_t>, kWords> words{};
  };
  static_assert(sizeof(Slot) == common::kCacheLineSize, "one record per cache line");

  const std::size_t depth_;
  std::unique_ptr<Slot[]> slots_;
  alignas(common::kCacheLineSize) std::atomic<SeqNum> last_published_{0};
};

}  // namespace llt::exchange
