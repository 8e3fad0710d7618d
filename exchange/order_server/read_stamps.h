#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace llt::exchange {

// The receive time of each message of one TCP byte stream: remembers when each read brought
// how many bytes, and stamps a message with the time of the read that completed it (its last
// byte). Bytes read but not yet decoded (a backlog while the sequencer is full) therefore keep
// their own read time, so the FIFO sequencer orders them fairly against other sessions and
// the latency histograms measure from the real read.
//
// Fixed memory: at most kMaxReads reads are remembered; a read beyond that is merged into the
// newest one, whose earlier stamp it then shares (a conservative, slightly early stamp; it
// only happens while more than kMaxReads reads wait undecoded).
//
// Thread contract: not thread-safe; the order server's thread calls every member.
class ReadStamps {
 public:
  static constexpr std::size_t kMaxReads = 8;

  void reset() noexcept {
    received_ = 0;
    consumed_ = 0;
    head_ = 0;
    count_ = 0;
  }

  // A read appended `bytes` (> 0) to the stream at `ticks`.
  void on_read(std::uint64_t bytes, std::uint64_t ticks) noexcept {
    received_ += bytes;
    if (count_ == kMaxReads) {
      reads_[(head_ + count_ - 1) % kMaxReads].end = received_;
      return;
    }
    reads_[(head_ + count_) % kMaxReads] = Read{received_, ticks};
    ++count_;
  }

  // Consumes the next `bytes` of the stream (one message) and returns the time of the read
  // that brought its last byte; 0 if no read was recorded (a caller bug).
  [[nodiscard]] std::uint64_t consume(std::uint64_t bytes) noexcept {
    consumed_ += bytes;
    while (count_ > 1 && reads_[head_].end < consumed_) {
      head_ = (head_ + 1) % kMaxReads;
      --count_;
    }
    return count_ == 0 ? 0 : reads_[head_].ticks;
  }

  // Drops the rest of what was received (a closing session discards its input).
  void discard_all() noexcept {
    consumed_ = received_;
    if (count_ > 0) {
      head_ = (head_ + count_ - 1) % kMaxReads;
      count_ = 1;
    }
  }

  // Bytes received and not consumed, as this object counts them.
  [[nodiscard]] std::uint64_t unconsumed() const noexcept { return received_ - consumed_; }
  [[nodiscard]] std::size_t remembered_reads() const noexcept { return count_; }

 private:
  struct Read {
    std::uint64_t end = 0;  // stream offset one past the read's last byte
    std::uint64_t ticks = 0;
  };

  std::array<Read, kMaxReads> reads_{};
  std::uint64_t received_ = 0;
  std::uint64_t consumed_ = 0;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
};

}  // namespace llt::exchange
