#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "common/concurrent/cache_line.h"
#include "common/concurrent/wait_set.h"
#include "common/error.h"

namespace llt::common {

// Bounded wait-free single-producer single-consumer queue.
//
// The capacity is fixed at construction (rounded up to a power of two so a slot index is a
// mask, not a division) and the storage is allocated and touched once, there. Indices grow
// monotonically and are never wrapped: at 2^64 they would take centuries to overflow.
//
// Thread contract: exactly one producer thread calls try_push/try_emplace(_with), exactly one
// consumer thread calls front/pop. It is undefined to call a producer member from the
// consumer thread or vice versa. size_guess/empty_guess may be called from any thread and
// are only approximate while the other side runs.
//
// Memory orders: the producer constructs the element, then publishes it with a release store
// of write_idx_; the consumer's acquire load of write_idx_ makes the element visible.
// Symmetrically the consumer's release store of read_idx_ after destroying elements tells
// the producer their slots are free. Each side keeps a plain cache of the other side's index
// and only reloads the shared atomic when the cache says full (producer) or empty (consumer),
// so in steady state neither side touches the other's cache line. The consumer's position
// and cache live on a line of their own, apart from read_idx_: a producer spinning on a full
// queue reloads read_idx_ on every try, and if that line also held what the consumer writes on
// every pop, each pop would first have to win the line back.
//
// Released in batches: while more elements are already visible to it, the consumer hands
// popped slots back every release_batch() pops (1 below capacity 64, capacity / 32 up to 32
// from capacity 1,024) instead of after each one; popping the last visible element hands back
// everything popped. A producer that runs the queue full therefore reloads the consumer's
// index once per batch rather than once per element, and refills a batch of slots behind the
// consumer instead of chasing it slot by slot on the line it is reading. The price: while the
// consumer is in the middle of a backlog, up to release_batch() - 1 popped slots still count
// as used (try_push may see the queue full, size_guess counts them). Once the consumer has
// drained what it saw, the count is exact again. A ping-pong (one element at a time) never
// waits for a batch.
template <typename T>
class SpscQueue {
  static_assert(std::is_nothrow_destructible_v<T>, "elements are destroyed in noexcept pop()");

 public:
  using value_type = T;

  // Throws std::invalid_argument when capacity is 0 or too large to round up.
  explicit SpscQueue(std::size_t capacity) : capacity_(round_up_pow2(capacity)) {
    mask_ = capacity_ - 1;
    release_batch_ = capacity_ < 64 ? 1 : std::min<std::size_t>(capacity_ / 32, kMaxReleaseBatch);
    storage_ = static_cast<T*>(
        ::operator new (sizeof(T) * (capacity_ + 2 * kPadding), std::align_val_t{kStorageAlign}));
    slots_ = storage_ + kPadding;
    // Touch every page now, so the hot path never takes a page fault on a slot it has not
    // used before (and the resident size is final from start-up).
    std::memset(static_cast<void*>(storage_), 0, sizeof(T) * (capacity_ + 2 * kPadding));
  }

  SpscQueue(const SpscQueue&) = delete;
  SpscQueue& operator=(const SpscQueue&) = delete;

  ~SpscQueue() {
    static_assert(
        offsetof(SpscQueue, read_idx_) - offsetof(SpscQueue, write_idx_) >= kCacheLineSize,
        "producer and consumer indices must not share a cache line (false sharing)");
    static_assert(offsetof(SpscQueue, write_idx_) % kCacheLineSize == 0 &&
                      offsetof(SpscQueue, read_idx_) % kCacheLineSize == 0,
                  "each index starts its own cache line");
    static_assert(
        offsetof(SpscQueue, write_idx_cache_) - offsetof(SpscQueue, read_idx_) >= kCacheLineSize,
        "the consumer's private fields must not share read_idx_'s line, which a "
        "producer polling a full queue reads");
    static_assert(offsetof(SpscQueue, release_batch_) + sizeof(std::size_t) <=
                      offsetof(SpscQueue, write_idx_),
                  "the read-only fields must not share a line with an index that is written");
    while (front() != nullptr) {
      pop();
    }
    ::operator delete (storage_, std::align_val_t{kStorageAlign});
  }

  // Producer only. Constructs an element in place. Returns false, constructing nothing, when
  // the queue is full.
  template <typename... Args>
  [[nodiscard]] bool try_emplace(Args&&... args) noexcept(
      std::is_nothrow_constructible_v<T, Args&&...>) {
    const std::size_t write = write_idx_.load(std::memory_order_relaxed);
    if (LLT_UNLIKELY(!has_room(write))) {
      return false;
    }
    ::new (static_cast<void*>(&slots_[write & mask_])) T(std::forward<Args>(args)...);
    publish(write);
    return true;
  }

  // Producer only. Default-constructs an element in place and lets fill(T&) set it before it is
  // published: a message built field by field straight into its slot, where a copy of one
  // built elsewhere would first read it back. Returns false, calling nothing, when the queue is
  // full.
  template <typename Fill>
  [[nodiscard]] bool try_emplace_with(Fill&& fill) noexcept {
    static_assert(std::is_nothrow_default_constructible_v<T>, "fill() needs a slot to write to");
    static_assert(std::is_nothrow_invocable_v<Fill&&, T&>, "fill() may not throw");
    const std::size_t write = write_idx_.load(std::memory_order_relaxed);
    if (LLT_UNLIKELY(!has_room(write))) {
      return false;
    }
    std::forward<Fill>(fill)(*::new (static_cast<void*>(&slots_[write & mask_])) T);
    publish(write);
    return true;
  }

  // The consumer's thread parks in the kernel when idle (block idle strategy): every push
  // then notifies `wake` (docs/architecture.md). nullptr, the default, turns that off. Set by the
  // consumer's thread before it first parks.
  void set_consumer_wake(WakeSignal* wake) noexcept {
    consumer_wake_.store(wake, std::memory_order_relaxed);
  }

  // Producer only. Returns false, copying nothing, when the queue is full.
  [[nodiscard]] bool try_push(const T& value) noexcept(std::is_nothrow_copy_constructible_v<T>) {
    return try_emplace(value);
  }
  [[nodiscard]] bool try_push(T&& value) noexcept(std::is_nothrow_move_constructible_v<T>) {
    return try_emplace(std::move(value));
  }

  // Consumer only. The oldest element, read in place, or nullptr when the queue is empty.
  // The pointer stays valid until pop().
  [[nodiscard]] T* front() noexcept {
    const std::size_t read = read_pos_;
    if (read == write_idx_cache_) {
      write_idx_cache_ = write_idx_.load(std::memory_order_acquire);
      if (read == write_idx_cache_) {
        return nullptr;  // the pop that emptied it released everything
      }
    }
    return &slots_[read & mask_];
  }

  // Consumer only. Destroys the element a non-null front() returned. Calling it without one is
  // a contract violation (checked in debug builds).
  void pop() noexcept {
    const std::size_t read = read_pos_;
    LLT_ASSERT(read != write_idx_cache_, "pop() without a non-null front()");
    slots_[read & mask_].~T();
    read_pos_ = read + 1;
    if (read_pos_ == write_idx_cache_ || read_pos_ - released_ >= release_batch_) {
      released_ = read_pos_;
      read_idx_.store(read_pos_, std::memory_order_release);
    }
  }

  // Any thread; exact only when neither side is running.
  [[nodiscard]] std::size_t size_guess() const noexcept {
    const std::size_t write = write_idx_.load(std::memory_order_acquire);
    const std::size_t read = read_idx_.load(std::memory_order_acquire);
    return write >= read ? write - read : 0;
  }
  [[nodiscard]] bool empty_guess() const noexcept { return size_guess() == 0; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  // Popped slots the consumer hands back at once while more elements are visible.
  [[nodiscard]] std::size_t release_batch() const noexcept { return release_batch_; }

 private:
  // Producer: whether the slot of index `write` (write_idx_ as the producer just loaded it) is
  // free. The producer passes the index on instead of loading write_idx_ again: the element's
  // stores in between could alias it as far as the compiler knows, and a reload would wait for
  // them.
  [[nodiscard]] bool has_room(std::size_t write) noexcept {
    if (write - read_idx_cache_ == capacity_) {
      read_idx_cache_ = read_idx_.load(std::memory_order_acquire);
      return write - read_idx_cache_ != capacity_;
    }
    return true;
  }

  // Producer: publishes the element just constructed in the slot of index `write`.
  void publish(std::size_t write) noexcept {
    write_idx_.store(write + 1, std::memory_order_release);
    if (WakeSignal* wake = consumer_wake_.load(std::memory_order_relaxed); wake != nullptr) {
      wake->notify();
    }
  }

  // A cache line of unused slots before and after the storage keeps the first and last
  // elements off the lines of whatever the allocator placed next to them.
  static constexpr std::size_t kPadding = (kCacheLineSize - 1) / sizeof(T) + 1;
  static constexpr std::size_t kStorageAlign = alignof(T) > kCacheLineSize ? alignof(T)
                                                                           : kCacheLineSize;

  static constexpr std::size_t kMaxReleaseBatch = 32;

  static std::size_t round_up_pow2(std::size_t n) {
    if (n == 0 || n > (std::size_t{1} << 40)) {
      throw std::invalid_argument("SpscQueue capacity must be between 1 and 2^40");
    }
    std::size_t cap = 1;
    while (cap < n) {
      cap <<= 1;
    }
    return cap;
  }

  // Written only by the constructor: read-only and shared by both threads afterwards.
  alignas(kCacheLineSize) const std::size_t capacity_;
  std::size_t mask_ = 0;
  T* storage_ = nullptr;
  T* slots_ = nullptr;
  std::size_t release_batch_ = 1;

  // Producer's line: its index and its cached copy of the consumer's.
  alignas(kCacheLineSize) std::atomic<std::size_t> write_idx_{0};
  std::size_t read_idx_cache_ = 0;
  std::atomic<WakeSignal*> consumer_wake_{nullptr};  // read on every push; rarely written

  // The consumer's released index, alone on its line: a producer that finds the queue full
  // reloads it, and must not take the line the consumer writes on every pop.
  alignas(kCacheLineSize) std::atomic<std::size_t> read_idx_{0};

  // Consumer's private line: its cached copy of the producer's index, its position, and its
  // copy of what it released (so a pop does not read read_idx_'s line, which a producer
  // polling a full queue keeps pulling away).
  alignas(kCacheLineSize) std::size_t write_idx_cache_ = 0;
  std::size_t read_pos_ = 0;  // next element to read
  std::size_t released_ = 0;  // == read_idx_
};

}  // namespace llt::common
