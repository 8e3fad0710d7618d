#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// ThreadSanitizer does not see streaming stores: its builds store the ring's words as relaxed
// atomics (GCC defines __SANITIZE_THREAD__, clang has __has_feature).
#if defined(__SANITIZE_THREAD__)
#define LLT_MD_RING_PLAIN_STORES 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LLT_MD_RING_PLAIN_STORES 1
#endif
#endif

#include "common/concurrent/cache_line.h"
#include "common/error.h"
#include "common/memory/huge_page_array.h"
#include "exchange/protocol/market_update.h"
#include "exchange/protocol/types.h"

namespace llt::exchange {

// The last `depth` records of the incremental stream, exactly as they were sent, for the
// replay agent (docs/protocol.md, Market data replay).
//
// One writer (the market data publisher) and any number of readers, no lock, no allocation
// after construction. Record `seq` lives in slot seq % depth (depth a power of two or not), as
// six 8-byte words (the 42 bytes, then zeros); the first word is the record's seq_num.
// Writing a batch: claim(last seq_num of the batch) stores the highest number about to be
// written, a release fence, then the records' words (relaxed atomic stores), then publish()
// stores the last number written with release. Reading record `seq` (at most the last
// published, loaded with acquire): copy the words, an acquire fence, then load the claimed
// number: when it has reached seq + depth, the writer may have been overwriting the slot
// during the copy and the record is not available; otherwise the copy is the record (its
// first word is checked to be seq). A torn record is never served, and the writer never
// waits for a reader.
//
// The writer stores a record with three 16-byte non-temporal (streaming) stores: the ring is far
// bigger than the caches and is read only when a client asks, so a record need not pass
// through them, and a store then needs no read of the line it lands in first. Streaming stores
// are not ordered with other stores, so claim() and publish() fence them (sfence) once per
// batch: the claimed number is visible before any word of the batch, and every word before the
// published number. The slots are on transparent huge pages when the kernel gives them (one TLB
// entry per 2 MiB of records). ThreadSanitizer builds use plain atomic stores, which it models.
//
// Thread contract: construction on any thread; claim(), write() and publish() on the
// publisher's thread only; last_published(), read() and oldest_kept() from any thread.
class MdReplayRing {
 public:
  // Allocates and zeroes every slot (the pages are resident before trading). Throws
  // std::invalid_argument when depth is 0.
  explicit MdReplayRing(std::size_t depth)
      : depth_(depth == 0 ? throw std::invalid_argument("market data replay: depth must be > 0")
                          : depth),
        slots_(depth) {}

  MdReplayRing(const MdReplayRing&) = delete;
  MdReplayRing& operator=(const MdReplayRing&) = delete;

  [[nodiscard]] std::size_t depth() const noexcept { return depth_; }

  // Writer: records up to `last` are about to be written (before their write()s).
  void claim(SeqNum last) noexcept {
    claimed_.store(last, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    store_fence();  // the streaming stores that follow may not pass it
  }

  // Writer: stores numbered records (each seq_num >= 1, covered by the last claim()), each
  // replacing the one depth numbers older. Readers do not serve one before publish() covers its
  // seq_num. At start-up, before any reader runs, records may be written with no claim and
  // claimed and published once after the last (skip_to()). Records come with contiguous numbers, so
  // a slot is found by stepping from the previous one (no division on the publisher's path); any
  // other number is placed by seq_num % depth. A batch is written in one call so that the slot and
  // number being stepped stay in registers: stores to the slots could otherwise alias them.
  void write(const MarketUpdate* updates, std::size_t count) noexcept {
    std::size_t index = write_index_;
    SeqNum seq = write_seq_;
    for (std::size_t i = 0; i < count; ++i) {
      const MarketUpdate& update = updates[i];
      index = index + 1 == depth_ ? 0 : index + 1;
      if (LLT_UNLIKELY(update.seq_num != seq + 1)) {
        index = static_cast<std::size_t>(update.seq_num % depth_);
      }
      seq = update.seq_num;
      store_record(slots_[index], update);
    }
    write_index_ = index;
    write_seq_ = seq;
  }
  void write(const MarketUpdate& update) noexcept { write(&update, 1); }

  // Writer, at start-up: the stream is at `last` though the records up to it were not all
  // written here (the exchange resumed its day from a state rather than from every update):
  // the ones missing read as not available. No effect when `last` is not beyond the last
  // published.
  void skip_to(SeqNum last) noexcept {
    if (last > last_published_.load(std::memory_order_relaxed)) {
      claim(last);
      publish(last);
    }
  }

  // Writer: every record up to `seq` is written and may be served.
  void publish(SeqNum seq) noexcept {
    store_fence();  // every streaming store of the batch is visible before the number
    last_published_.store(seq, std::memory_order_release);
  }

  // The highest seq_num published (0: none). A reader loads it before reading records.
  [[nodiscard]] SeqNum last_published() const noexcept {
    return last_published_.load(std::memory_order_acquire);
  }

  // The oldest seq_num the ring can still hold given the last published one (1 until the ring
  // has wrapped). A record at or above it may still be overwritten by the time it is read.
  [[nodiscard]] SeqNum oldest_kept(SeqNum last_published) const noexcept {
    return last_published >= depth_ ? last_published - depth_ + 1 : 1;
  }

  // Reader: copies record `seq` into `out` and returns true, or returns false when the slot
  // does not hold it (never written, or overwritten before or during the copy). `seq` must be
  // at most a last_published() this thread loaded.
  [[nodiscard]] bool read(SeqNum seq, MarketUpdate& out) const noexcept {
    const Slot& slot = slots_[seq % depth_];
    Words words;
    for (std::size_t i = 0; i < kWords; ++i) {
      words[i] = slot.words[i].load(std::memory_order_relaxed);
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (LLT_UNLIKELY(claimed_.load(std::memory_order_relaxed) - seq >= depth_ || words[0] != seq)) {
      return false;
    }
    std::memcpy(static_cast<void*>(&out), words.data(), sizeof(MarketUpdate));
    return true;
  }

 private:
  static constexpr std::size_t kWords = (sizeof(MarketUpdate) + 7) / 8;
  static constexpr std::size_t kTailBytes = sizeof(MarketUpdate) - 8 * (kWords - 1);
  using Words = std::array<std::uint64_t, kWords>;
  static_assert(offsetof(MarketUpdate, seq_num) == 0, "a slot's first word is its seq_num");

  // 16-byte aligned: a record is written as three 16-byte streaming stores.
  struct alignas(16) Slot {
    std::array<std::atomic<std::uint64_t>, kWords> words{};
  };
  static_assert(sizeof(Slot) == 48, "six words per record");
  static_assert(sizeof(std::atomic<std::uint64_t>) == 8 &&
                    std::atomic<std::uint64_t>::is_always_lock_free,
                "a word is written by an 8-byte streaming store");

#if defined(__x86_64__) && !defined(LLT_MD_RING_PLAIN_STORES)
  // Three 16-byte streaming stores: half the store instructions of 8-byte ones, and on the
  // machines measured a poll's records reach memory about a third sooner (docs/protocol.md,
  // Market data replay).
  // The vectors are loaded from the record directly (not through a padded copy, whose
  // loads would wait for the copy's stores).
  static_assert(kWords == 6 && kTailBytes <= 8, "a slot is three 16-byte stores");
  static void store_record(Slot& slot, const MarketUpdate& update) noexcept {
    const auto* bytes = reinterpret_cast<const unsigned char*>(&update);
    std::uint64_t word4 = 0;
    std::uint64_t tail = 0;
    std::memcpy(&word4, bytes + 32, sizeof(word4));
    std::memcpy(&tail, bytes + 40, kTailBytes);
    auto* out = reinterpret_cast<__m128i*>(&slot);
    _mm_stream_si128(out, _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes)));
    _mm_stream_si128(out + 1, _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + 16)));
    _mm_stream_si128(out + 2,
                     _mm_set_epi64x(static_cast<long long>(tail), static_cast<long long>(word4)));
  }
  static void store_fence() noexcept {
    _mm_sfence();
  }
#else
  // Relaxed atomic stores of the record's words (the last one padded with zeros), which
  // ThreadSanitizer models.
  static void store_record(Slot& slot, const MarketUpdate& update) noexcept {
    Words words{};
    std::memcpy(static_cast<void*>(words.data()), &update, sizeof(MarketUpdate));
    for (std::size_t i = 0; i < kWords; ++i) {
      slot.words[i].store(words[i], std::memory_order_relaxed);
    }
  }
  static void store_fence() noexcept {}
#endif

  const std::size_t depth_;
  common::HugePageArray<Slot> slots_;
  // The writer's last slot and seq_num (writer's thread only).
  std::size_t write_index_ = 0;
  SeqNum write_seq_ = 0;
  alignas(common::kCacheLineSize) std::atomic<SeqNum> claimed_{0};
  alignas(common::kCacheLineSize) std::atomic<SeqNum> last_published_{0};
};

}  // namespace llt::exchange
