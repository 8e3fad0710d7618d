#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>

#include "common/concurrent/idle_strategy.h"
#include "common/net/mcast_socket.h"
#include "tests/support/md_book_rebuilder.h"
#include "tests/support/md_subscriber.h"

namespace llt::test {

// Forwards both market data streams of one channel to another, datagram for datagram, on a
// thread of its own, and on request loses exactly what a test wants lost: a burst of
// incremental datagrams (a gap the consumer cannot heal) followed by the whole next snapshot
// cycle (from the datagram that starts with SNAPSHOT_START through the one holding
// SNAPSHOT_END), so a consumer behind the relay must wait for the cycle after it. Heartbeats
// are always forwarded.
//
// Thread contract: the constructor starts the relay thread, the destructor (or stop()) joins
// it; drill() and the counters may be called from any thread.
class MdRelay {
 public:
  MdRelay(const MdChannel& from, const MdChannel& to)
      : incremental_in_(from.group, from.port),
        snapshot_in_(from.group, from.snapshot_port),
        incremental_out_(to.group, to.port),
        snapshot_out_(to.group, to.snapshot_port) {
    md_grow_receive_buffer(incremental_in_);
    md_grow_receive_buffer(snapshot_in_);
    thread_ = std::thread([this] { run(); });
  }
  MdRelay(const MdRelay&) = delete;
  MdRelay& operator=(const MdRelay&) = delete;
  ~MdRelay() { stop(); }

  void stop() {
    stop_.store(true);
    if (thread_.joinable())
      thread_.join();
  }

  // Loses the next `datagrams` incremental datagrams that carry book records, then the next
  // whole snapshot cycle. Ignored while a drill is still in progress.
  void drill(std::uint32_t datagrams) {
    std::uint32_t idle = 0;
    (void)gap_left_.compare_exchange_strong(idle, datagrams);
  }

  // No drill in progress: its gap and its snapshot cycle were both lost.
  [[nodiscard]] bool drill_done() const {
    return gap_left_.load() == 0 && cycle_state_.load() == kNoCycleToDrop;
  }
  [[nodiscard]] std::uint64_t incremental_dropped() const { return incremental_dropped_.load(); }
  [[nodiscard]] std::uint64_t cycles_dropped() const { return cycles_dropped_.load(); }
  [[nodiscard]] std::uint64_t forwarded() const { return forwarded_.load(); }
  [[nodiscard]] std::uint64_t send_failures() const { return send_failures_.load(); }

 private:
  static constexpr int kNoCycleToDrop = 0;
  static constexpr int kWaitingForCycle = 1;
  static constexpr int kDroppingCycle = 2;

  void run() {
    common::BackoffIdleStrategy idle({.max_spins = 50,
                                      .max_yields = 10,
                                      .min_sleep = std::chrono::microseconds(20),
                                      .max_sleep = std::chrono::microseconds(200)});
    while (!stop_.load()) {
      int work = 0;
      for (int i = 0; i < 64; ++i) {
        const common::IoResult result = incremental_in_.receive(buffer_.data(), buffer_.size());
        if (result.status != common::IoStatus::kOk)
          break;
        ++work;
        on_incremental(result.bytes);
      }
      for (int i = 0; i < 64; ++i) {
        const common::IoResult result = snapshot_in_.receive(buffer_.data(), buffer_.size());
        if (result.status != common::IoStatus::kOk)
          break;
        ++work;
        on_snapshot(result.bytes);
      }
      idle.idle(work);
    }
  }

  void on_incremental(std::size_t bytes) {
    bool book_records = false;
    md_for_each_record(buffer_.data(), bytes, [&](const MarketUpdate& update) {
      book_records = book_records || update.msg_type != MarketUpdateType::kHeartbeat;
    });
    const std::uint32_t left = gap_left_.load();
    if (book_records && left > 0) {
      ++incremental_dropped_;
      if (left == 1)
        cycle_state_.store(kWaitingForCycle);  // before the gap ends: drill_done() stays false
      gap_left_.store(left - 1);
      return;
    }
    forward(incremental_out_, bytes);
  }

  void on_snapshot(std::size_t bytes) {
    int state = cycle_state_.load();
    if (state == kNoCycleToDrop) {
      forward(snapshot_out_, bytes);
      return;
    }
    bool starts = false;
    bool ends = false;
    bool first = true;
    md_for_each_record(buffer_.data(), bytes, [&](const MarketUpdate& update) {
      starts = starts || (first && update.msg_type == MarketUpdateType::kSnapshotStart);
      ends = ends || update.msg_type == MarketUpdateType::kSnapshotEnd;
      first = false;
    });
    if (state == kWaitingForCycle && starts)
      state = kDroppingCycle;
    if (state != kDroppingCycle) {
      forward(snapshot_out_, bytes);  // the tail of a cycle that began before the drill
      return;
    }
    if (ends) {
      ++cycles_dropped_;
      state = kNoCycleToDrop;
    }
    cycle_state_.store(state);
  }

  void forward(common::McastSender& sender, std::size_t bytes) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      const common::IoResult result = sender.send(buffer_.data(), bytes);
      if (result.status == common::IoStatus::kOk) {
        ++forwarded_;
        return;
      }
      if (result.status != common::IoStatus::kWouldBlock)
        break;
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    ++send_failures_;
  }

  common::McastReceiver incremental_in_;
  common::McastReceiver snapshot_in_;
  common::McastSender incremental_out_;
  common::McastSender snapshot_out_;
  std::array<unsigned char, 2048> buffer_{};
  std::atomic<std::uint32_t> gap_left_{0};
  std::atomic<int> cycle_state_{kNoCycleToDrop};
  std::atomic<std::uint64_t> incremental_dropped_{0};
  std::atomic<std::uint64_t> cycles_dropped_{0};
  std::atomic<std::uint64_t> forwarded_{0};
  std::atomic<std::uint64_t> send_failures_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace llt::test
