#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "common/concurrent/cache_line.h"
#include "common/net/socket_fd.h"

namespace llt::common {

// How a parked thread is woken by the threads that feed it (docs/architecture.md, Block idle
// strategy). One per thread that parks; producers into the queues that thread consumes hold a
// pointer to it.
//
// The handshake is Dekker's: the consumer raises `parked`, issues a full fence, looks at its
// inputs once more and only then sleeps; a producer publishes its element, issues a full
// fence, and writes the eventfd only if it then sees `parked`. Either the consumer's last look
// sees the element or the producer sees the flag, so no element is left unseen by a sleeping
// thread. While the consumer runs, a producer pays a fence and a load of a line nobody
// writes: no system call.
//
// Thread contract: notify() and wake() from any thread; park/unpark/drain on the owner.
class WakeSignal {
 public:
  // Throws std::system_error when the eventfd cannot be created.
  WakeSignal();

  // Producer side, after publishing work for the owner.
  void notify() noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (parked_.load(std::memory_order_relaxed) &&
        parked_.exchange(false, std::memory_order_relaxed)) {
      wake();
    }
  }

  // Writes the eventfd unconditionally (stop requests, tests).
  void wake() noexcept;

  // Owner: about to sleep. The caller must look at its queues again after this and before
  // sleeping.
  void park() noexcept {
    parked_.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
  // Owner: awake again (or decided not to sleep).
  void unpark() noexcept { parked_.store(false, std::memory_order_relaxed); }
  // Owner: reads the eventfd's count back to zero after it woke the thread.
  void drain() noexcept;

  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  // eventfd writes so far (each one is a system call a producer paid).
  [[nodiscard]] std::uint64_t wakes() const noexcept {
    return wakes_.load(std::memory_order_relaxed);
  }

 private:
  alignas(kCacheLineSize) std::atomic<bool> parked_{false};
  std::atomic<std::uint64_t> wakes_{0};
  SocketFd fd_;
};

// A thread's descriptors for the block idle strategy: an epoll set of the sockets its agents
// read plus its WakeSignal's eventfd. Level-triggered, so data that arrived while the thread
// was busy wakes the next wait at once. A descriptor that is closed leaves the set by itself
// (the kernel drops the registration with the last reference to the socket), so agents only
// watch() what they open and need not unwatch() before closing.
//
// Thread contract: the owning thread only, except signal() (see WakeSignal).
class WaitSet {
 public:
  // Throws std::system_error when epoll or the eventfd cannot be created.
  WaitSet();

  // Wakes the thread when `fd` is readable. Watching a descriptor twice is harmless. Returns
  // false (and counts a failure) when the kernel refuses it, e.g. an invalid descriptor.
  bool watch(int fd) noexcept;
  // Stops watching `fd`; unknown descriptors are ignored.
  void unwatch(int fd) noexcept;

  [[nodiscard]] WakeSignal& signal() noexcept { return signal_; }

  // Sleeps until a watched descriptor is readable, the signal is written, or `timeout` passed.
  // Returns the number of ready descriptors (0 on timeout or EINTR).
  int wait(std::chrono::nanoseconds timeout) noexcept;

  [[nodiscard]] std::uint64_t watch_failures() const noexcept { return watch_failures_; }

 private:
  static constexpr int kMaxEvents = 16;

  WakeSignal signal_;
  SocketFd epoll_fd_;
  std::uint64_t watch_failures_ = 0;
};

}  // namespace llt::common
