#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/concurrent/agent.h"
#include "common/concurrent/cache_line.h"
#include "common/concurrent/single_writer_counter.h"
#include "common/net/io_status.h"
#include "common/net/mcast_socket.h"
#include "common/time/rdtsc.h"
#include "common/time/tsc_clock.h"
#include "trading/market_data/market_data_consumer_options.h"
#include "trading/market_data/market_data_consumer_stats.h"
#include "trading/market_data/market_data_sequencer.h"
#include "trading/market_data/md_replay_client.h"
#include "trading/trading_messages.h"

namespace llt::trading {

// The trading client's market data consumer agent (docs/architecture.md, Agents; docs/recovery.md,
// Market data: gaps and snapshot recovery): reads the exchange's incremental stream (joined at
// construction on options.interface), stamps each datagram with common::rdtsc() as it is read, and
// hands it to its MarketDataSequencer, which forwards the in-order, gap-free MarketEvent stream
// into the queue and decides when to recover; the agent joins the snapshot stream
// (McastJoin::kLater) while the sequencer recovers and leaves it afterwards. With
// options.replay it also asks the exchange's replay port for the missing records
// (MdReplayClient, one request at a time) and feeds them to the sequencer; a request that
// fails or times out leaves that recovery to the snapshot stream.
//
// Back-pressure: while the output queue is full, poll() reads no socket (the kernel buffers,
// grown to receive_buffer_bytes at construction, absorb the burst); nothing already read is
// dropped.
//
// Thread contract: constructed on any thread; on_start, poll and on_stop on the consumer's
// thread, the producer of the MarketEventQueue. stats() and recovering() from any thread.
class MarketDataConsumer final : public common::Agent {
 public:
  // Start-up: opens both sockets, joins the incremental group, grows the receive buffers,
  // allocates the sequencer's buffers. Throws std::invalid_argument naming an option out of
  // range or an address that is not valid; std::system_error naming the group and errno text
  // when a socket cannot be set up. `out` must outlive the consumer.
  MarketDataConsumer(const MarketDataConsumerOptions& options, MarketEventQueue& out,
                     const common::TscClock& clock = common::TscClock::instance());

  MarketDataConsumer(const MarketDataConsumer&) = delete;
  MarketDataConsumer& operator=(const MarketDataConsumer&) = delete;

  // Forwards what is held, then reads up to max_datagrams_per_poll datagrams from the
  // incremental socket and, while recovering, from the snapshot socket. Returns the work done
  // (events pushed by the flush + datagrams read; 0: idle).
  int poll() override;

  // Leaves the snapshot group if still joined.
  void on_stop() override;

  [[nodiscard]] std::string_view name() const override { return "market_data_consumer"; }
  // Block idle strategy: both multicast sockets and each replay connection wake the thread.
  void on_wait_set(common::WaitSet& waits) override {
    (void)waits.watch(incremental_.fd());
    (void)waits.watch(snapshot_.fd());
    if (replay_) {
      replay_->set_wait_set(&waits);
    }
  }

  // Any thread.
  [[nodiscard]] MarketDataConsumerStats stats() const noexcept;
  [[nodiscard]] bool recovering() const noexcept { return sequencer_.recovering(); }
  // What the kernel granted for SO_RCVBUF on the incremental socket (bytes).
  [[nodiscard]] int receive_buffer_bytes() const noexcept { return receive_buffer_bytes_; }

  // The consumer's thread, or once it has stopped.
  [[nodiscard]] const MarketDataSequencer& sequencer() const noexcept { return sequencer_; }
  [[nodiscard]] bool snapshot_joined() const noexcept { return snapshot_.joined(); }
  [[nodiscard]] const MarketDataConsumerOptions& options() const noexcept { return options_; }

 private:
  // Larger than any valid datagram (34 * 42 = 1428 bytes), so a longer one is seen as such.
  static constexpr std::size_t kReadBufferSize = 2048;

  int read_incremental() noexcept;
  int read_snapshot() noexcept;
  void follow_recovery() noexcept;
  int follow_replay() noexcept;

  const MarketDataConsumerOptions options_;
  const common::TscClock& clock_;
  MarketDataSequencer sequencer_;
  std::optional<MdReplayClient> replay_;
  // The recovery_number() of the last recovery whose replay failed: not asked again.
  std::uint64_t replay_given_up_ = 0;
  std::uint64_t replay_recovery_ = 0;  // the recovery_number() the request in progress is for
  common::McastReceiver incremental_;
  common::McastReceiver snapshot_;
  int receive_buffer_bytes_ = 0;
  // The snapshot socket was left: datagrams it queued before are read and discarded.
  bool drain_snapshot_ = false;
  alignas(common::kCacheLineSize) std::array<unsigned char, kReadBufferSize> buffer_{};
  alignas(common::kCacheLineSize) common::SingleWriterCounter replay_requests_;
  common::SingleWriterCounter replay_served_;
  common::SingleWriterCounter replay_refused_;
  common::SingleWriterCounter replay_connect_failures_;
  common::SingleWriterCounter replay_closed_;
  common::SingleWriterCounter replay_garbage_;
  common::SingleWriterCounter replay_timeouts_;
};

}  // namespace llt::trading
