#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "common/concurrent/cache_line.h"

namespace llt::common {

// N 64-bit words that one thread writes and any thread reads as a set, for figures a status
// line or a stats row shows while the agents run (a ticker's top of book, a position and its
// P&L). A sequence lock: the writer never waits, locks or allocates (two stores of the sequence
// around relaxed stores of the words); a reader retries until it read the words between two
// equal, even sequence values, so it always gets a set the writer published whole, never the
// halves of two.
template <std::size_t N>
class alignas(kCacheLineSize) SeqlockWords {
 public:
  using Words = std::array<std::int64_t, N>;

  // Writer thread only.
  void publish(const Words& words) noexcept {
    const std::uint64_t seq = seq_.load(std::memory_order_relaxed);
    seq_.store(seq + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    for (std::size_t i = 0; i < N; ++i) {
      words_[i].store(words[i], std::memory_order_relaxed);
    }
    seq_.store(seq + 2, std::memory_order_release);
  }

  // Any thread (cold: may retry while the writer is mid-publish).
  [[nodiscard]] Words load() const noexcept {
    for (;;) {
      const std::uint64_t before = seq_.load(std::memory_order_acquire);
      Words words{};
      for (std::size_t i = 0; i < N; ++i) {
        words[i] = words_[i].load(std::memory_order_relaxed);
      }
      std::atomic_thread_fence(std::memory_order_acquire);
      if ((before & 1) == 0 && seq_.load(std::memory_order_relaxed) == before) {
        return words;
      }
    }
  }

  // How many times the writer published (tests).
  [[nodiscard]] std::uint64_t publications() const noexcept {
    return seq_.load(std::memory_order_acquire) / 2;
  }

 private:
  std::atomic<std::uint64_t> seq_{0};
  std::array<std::atomic<std::int64_t>, N> words_{};
};

// A value of a plain struct of 64-bit fields (no padding) published through SeqlockWords: the
// struct is the words, so no field is mapped by hand.
template <typename T>
class SeqlockCell {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) % 8 == 0 &&
                    std::has_unique_object_representations_v<T>,
                "a cell holds a struct of 64-bit fields without padding");
  using Words = SeqlockWords<sizeof(T) / 8>;

 public:
  // Writer thread only.
  void publish(const T& value) noexcept {
    words_.publish(std::bit_cast<typename Words::Words>(value));
  }
  // Any thread (cold: may retry while the writer is mid-publish).
  [[nodiscard]] T load() const noexcept { return std::bit_cast<T>(words_.load()); }

 private:
  Words words_;
};

}  // namespace llt::common
