#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "common/concurrent/cache_line.h"

namespace llt::common {

// Best bid and ask (price and level size) and the last trade of one ticker, as the status
// lines and summaries show them (docs/operations.md, Status lines). Prices in cents. A qty of 0
// means an empty side, or no trade yet.
struct TopOfBook {
  std::int64_t bid_price = 0;
  std::uint64_t bid_qty = 0;
  std::int64_t ask_price = 0;
  std::uint64_t ask_qty = 0;
  std::int64_t last_price = 0;
  std::uint64_t last_qty = 0;

  friend bool operator==(const TopOfBook&, const TopOfBook&) = default;
};

// "9950x10/10050x9 last 10010x3": bid price x size / ask price x size, then the last trade's
// price x qty; "-" for an empty side or no trade yet. Cold.
inline std::string format_top_of_book(const TopOfBook& top) {
  const auto side = [](std::int64_t price, std::uint64_t qty) {
    return qty == 0 ? std::string("-") : fmt::format("{}x{}", price, qty);
  };
  return fmt::format("{}/{} last {}", side(top.bid_price, top.bid_qty),
                     side(top.ask_price, top.ask_qty), side(top.last_price, top.last_qty));
}

// One TopOfBook that one thread (the owner of the book) writes and any thread reads, for the
// status lines while the agents run. A sequence lock: the writer never waits, locks or
// allocates (two stores of the sequence around relaxed stores of the fields); a reader retries
// until it read the fields between two equal, even sequence values, so it always gets a set
// the writer published whole.
class alignas(kCacheLineSize) TopOfBookCell {
 public:
  // Writer thread only.
  void publish(const TopOfBook& top) noexcept {
    const std::uint64_t seq = seq_.load(std::memory_order_relaxed);
    seq_.store(seq + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    bid_price_.store(top.bid_price, std::memory_order_relaxed);
    bid_qty_.store(top.bid_qty, std::memory_order_relaxed);
    ask_price_.store(top.ask_price, std::memory_order_relaxed);
    ask_qty_.store(top.ask_qty, std::memory_order_relaxed);
    last_price_.store(top.last_price, std::memory_order_relaxed);
    last_qty_.store(top.last_qty, std::memory_order_relaxed);
    seq_.store(seq + 2, std::memory_order_release);
  }

  // Any thread (cold: may retry while the writer is mid-publish).
  [[nodiscard]] TopOfBook load() const noexcept {
    for (;;) {
      const std::uint64_t before = seq_.load(std::memory_order_acquire);
      TopOfBook top;
      top.bid_price = bid_price_.load(std::memory_order_relaxed);
      top.bid_qty = bid_qty_.load(std::memory_order_relaxed);
      top.ask_price = ask_price_.load(std::memory_order_relaxed);
      top.ask_qty = ask_qty_.load(std::memory_order_relaxed);
      top.last_price = last_price_.load(std::memory_order_relaxed);
      top.last_qty = last_qty_.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if ((before & 1) == 0 && seq_.load(std::memory_order_relaxed) == before) {
        return top;
      }
    }
  }

 private:
  std::atomic<std::uint64_t> seq_{0};
  std::atomic<std::int64_t> bid_price_{0};
  std::atomic<std::uint64_t> bid_qty_{0};
  std::atomic<std::int64_t> ask_price_{0};
  std::atomic<std::uint64_t> ask_qty_{0};
  std::atomic<std::int64_t> last_price_{0};
  std::atomic<std::uint64_t> last_qty_{0};
};

}  // namespace llt::common
