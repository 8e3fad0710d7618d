#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/concurrent/agent.h"
#include "common/concurrent/single_writer_counter.h"
#include "common/error.h"
#include "common/net/io_status.h"
#include "common/net/mcast_socket.h"
#include "common/net/socket_address.h"
#include "common/stats/latency_histogram.h"
#include "common/stats/stage_costs.h"
#include "common/time/tsc_clock.h"
#include "exchange/exchange_messages.h"
#include "exchange/market_data/datagram_sender.h"
#include "exchange/market_data/md_replay_ring.h"
#include "exchange/protocol/market_update.h"
#include "exchange/protocol/types.h"

namespace llt::exchange {

struct MarketDataPublisherOptions {
  // The incremental stream (docs/protocol.md, Incremental stream): --multicast-addr,
  // --multicast-port, --interface (never 0.0.0.0), --ttl.
  std::string group = "239.255.0.1";
  std::uint16_t port = 5000;
  std::string interface { common::kDefaultMulticastInterface };
  int ttl = 1;
  // --md-heartbeat-ms: after this long without sending, a HEARTBEAT goes out, and again every
  // period while the stream stays idle. > 0.
  std::uint32_t heartbeat_ms = 1000;
  // Bound on the work of one poll, so agents sharing a thread all get their turn. > 0.
  std::uint32_t max_datagrams_per_poll = 8;
};

// Returns options unchanged, or throws std::invalid_argument naming the option that is out of
// range. The address, port and TTL are checked by the sender's constructor (it names them).
const MarketDataPublisherOptions& check_options(const MarketDataPublisherOptions& options);

// Copy of the publisher's counters. Readable from any thread while it runs (each value
// recent, the set not necessarily consistent).
struct MarketDataPublisherStats {
  std::uint64_t updates_published = 0;  // updates in datagrams that went out
  std::uint64_t datagrams = 0;          // update datagrams sent (heartbeats not included)
  std::uint64_t heartbeats = 0;
  std::uint64_t send_retries = 0;  // sends refused with kWouldBlock, retried on a later poll
  std::uint64_t send_errors = 0;   // datagrams (updates or heartbeats) lost to a send error
  std::uint64_t updates_lost = 0;  // numbered updates in those datagrams: consumers see a gap
  std::uint64_t feed_stalls = 0;   // polls that stopped because the synthesizer's queue was full
  SeqNum last_seq = 0;             // seq_num of the last update numbered (0: none yet)
};

// The market data publisher agent (docs/architecture.md, Agents; docs/protocol.md, Incremental
// stream): takes the matching engine's updates, numbers them (seq_num contiguous from 1), sends
// them on the incremental stream and hands each numbered update to the snapshot synthesizer.
//
// Batching: each datagram carries what is available now, up to kMaxUpdatesPerDatagram; an
// update is never held back to wait for company, so one with none goes out alone in the poll
// that found it. The datagrams a poll has ready (up to 16) go out in one send_datagrams()
// call: one system call when the kernel segments them (UDP_SEGMENT), with exactly the
// datagrams separate sends would give (docs/io_backends.md, Market data datagrams).
// Heartbeat: when nothing has been sent for heartbeat_ms, a HEARTBEAT whose seq_num is the
// one the next update will carry (it consumes no number).
// Back-pressure: an update is numbered only when it fits in the synthesizer's queue; while
// that queue is full the publisher leaves the engine's updates where they are (the engine then
// waits for room), and nothing is dropped.
// kWouldBlock: the datagrams the socket refused are kept and sent again, unchanged, on the
// next poll, before any new update is taken. kError: the datagrams not sent are counted lost
// (their numbers are spent, so consumers see the gap and recover from the snapshot stream)
// rather than retried forever.
// Replay ring (optional, set_replay_ring): every numbered update is written to it exactly as
// it is sent, just before the send (so the ring's streaming stores drain while the kernel
// sends), and the last seq_num done with (sent, or lost to a send error: the replay then
// fills the consumers' gap) is published to the replay agent after it. Records the socket
// refused are written again, to the same slots, with their next attempt. The publisher never
// waits for the ring's readers.
// Latency: "engine_in_to_update_published", from MatchingUpdate::ticks.engine_in_ticks to the
// return of the send that carried the update, in nanoseconds; updates with no stamp (0) are
// not recorded.
//
// Thread contract: constructed on any thread; on_start and poll on the publisher's thread,
// which is the consumer of the engine's UpdateQueue and the producer of the
// PublishedUpdateQueue. stats() from any thread; latency() and sender() from the publisher's
// thread, or once the runner has stopped.
template <DatagramSender Sender>
class BasicMarketDataPublisher final : public common::Agent {
 public:
  static constexpr std::string_view kLatencyHop = "engine_in_to_update_published";

  // Start-up: opens the sender. Throws std::invalid_argument naming the option or address that
  // is invalid, std::system_error naming the address and errno text when the socket cannot be
  // set up. The queues must outlive the publisher.
  BasicMarketDataPublisher(const MarketDataPublisherOptions& options, UpdateQueue& updates,
                           PublishedUpdateQueue& published,
                           const common::TscClock& clock = common::TscClock::instance())
      : options_(check_options(options)),
        updates_(updates),
        published_(published),
        clock_(clock),
        sender_(std::string_view(options_.group), options_.port,
                std::string_view(options_.interface), options_.ttl),
        heartbeat_ticks_(
            static_cast<std::uint64_t>(options_.heartbeat_ms * 1e6 * clock.ticks_per_ns())),
        last_send_ticks_(clock.now_ticks()) {}

  BasicMarketDataPublisher(const BasicMarketDataPublisher&) = delete;
  BasicMarketDataPublisher& operator=(const BasicMarketDataPublisher&) = delete;

  // Start-up, before recover() and before the agents run: the ring the replay agent serves
  // from (docs/protocol.md, Market data replay); nullptr: none. Borrowed, must outlive the
  // publisher's use of it.
  void set_replay_ring(MdReplayRing* ring) noexcept { replay_ring_ = ring; }
  // Start-up, before the agents run (--stage-costs): the datagram sends and the replay ring's
  // writes are timed into stages under `parent` (the runner's stage of this agent). `costs`
  // must outlive the publisher's thread.
  void set_stage_costs(common::StageCosts* costs, common::StageCosts::Stage parent) {
    stage_costs_ = costs;
    if (costs != nullptr) {
      send_stage_ = costs->add("datagrams: send", parent);
      ring_stage_ = costs->add("replay ring: write", parent);
    }
  }

  // The idle period before the first heartbeat counts from here.
  void on_start() override { last_send_ticks_ = clock_.now_ticks(); }

  // Start-up recovery (docs/recovery.md), before the agents run: numbers one update that the
  // replay of the journal produced, exactly as the live stream numbered it, without sending it,
  // and returns it numbered. It goes into the replay ring, which serves it once end_recovery()
  // has run. The live stream then continues from the next number.
  [[nodiscard]] MarketUpdate recover(const MarketUpdate& update) noexcept {
    MarketUpdate numbered = update;
    numbered.seq_num = next_seq_++;
    last_seq_.set(numbered.seq_num);
    if (replay_ring_ != nullptr) {
      // Written without a claim and a publish of its own: each of those is a store fence, which
      // waits for the streaming stores before it to reach memory, and one per record made the
      // replay of a day several times slower. No reader runs before the agents start.
      replay_ring_->write(numbered);
    }
    return numbered;
  }

  // Start-up, after the last recover() and restore_sequence(), before the agents run: the
  // replay ring serves every record recovered (one claim and one publish for the whole day),
  // and numbers the stream reached without their records (a day resumed from a state snapshot)
  // read as not available. No effect without a replay ring or when nothing was recovered.
  void end_recovery() noexcept {
    if (replay_ring_ != nullptr) {
      replay_ring_->skip_to(next_seq_ - 1);
    }
  }

  // Start-up from a state snapshot (docs/snapshots.md): the stream continues after
  // last_seq.
  void restore_sequence(SeqNum last_seq) noexcept {
    next_seq_ = last_seq + 1;
    last_seq_.set(last_seq);
  }

  // Sends at most max_datagrams_per_poll update datagrams (a datagram kept by kWouldBlock
  // first), or a heartbeat when idle. Returns the number of datagrams sent (0: nothing to do,
  // or the socket refused).
  int poll() override {
    int sent = 0;
    if (LLT_UNLIKELY(batch_size_ > 0)) {
      sent += flush();
      if (batch_size_ > 0) {
        return sent;  // the socket still refuses: nothing new is taken
      }
    }
    const auto max_datagrams = static_cast<int>(options_.max_datagrams_per_poll);
    while (sent < max_datagrams) {
      const std::size_t datagrams =
          std::min(static_cast<std::size_t>(max_datagrams - sent), kMaxDatagramsPerSend);
      const bool feed_has_room = fill(datagrams * kMaxUpdatesPerDatagram);
      if (batch_size_ == 0) {
        break;
      }
      sent += flush();
      if (LLT_UNLIKELY(batch_size_ > 0 || !feed_has_room)) {
        return sent;
      }
    }
    if (sent == 0) {
      sent = heartbeat_if_idle();
    }
    return sent;
  }

  [[nodiscard]] std::string_view name() const override { return "market_data_publisher"; }
  // Block idle strategy: the update queue wakes the thread; the heartbeat is served by the
  // runner's longest park (a millisecond), well inside --md-heartbeat-ms.
  void on_wait_set(common::WaitSet& waits) override { updates_.set_consumer_wake(&waits.signal()); }

  [[nodiscard]] MarketDataPublisherStats stats() const noexcept {
    return {updates_published_.load(), datagrams_.load(),   heartbeats_.load(),
            send_retries_.load(),      send_errors_.load(), updates_lost_.load(),
            feed_stalls_.load(),       last_seq_.load()};
  }
  [[nodiscard]] const common::LatencyHistogram& latency() const noexcept { return latency_; }
  // errno of the last send error (0: none).
  [[nodiscard]] int last_send_error() const noexcept { return last_send_error_; }
  [[nodiscard]] Sender& sender() noexcept { return sender_; }
  [[nodiscard]] const MarketDataPublisherOptions& options() const noexcept { return options_; }

 private:
  // The batch: the datagrams of one send_datagrams() call.
  static constexpr std::size_t kBatchCapacity = kMaxDatagramsPerSend * kMaxUpdatesPerDatagram;

  // Takes the engine's updates into the batch, numbering each and handing it to the
  // synthesizer, until the batch holds `limit` or none is available. Returns false when it
  // stopped because the synthesizer's queue is full.
  [[nodiscard]] bool fill(std::size_t limit) noexcept {
    bool has_room = true;
    while (batch_size_ < limit) {
      const MatchingUpdate* in = updates_.front();
      if (in == nullptr) {
        break;
      }
      // Both copies are made from the engine's record, each numbered as it is written: copying
      // the batch's record just written would read it back before its stores have landed.
      MarketUpdate& out = batch_[batch_size_];
      out = in->update;
      out.seq_num = next_seq_;
      if (LLT_UNLIKELY(!published_.try_emplace_with([&](MarketUpdate& feed) noexcept {
            feed = in->update;
            feed.seq_num = next_seq_;
          }))) {
        feed_stalls_.add();
        has_room = false;
        break;
      }
      batch_engine_ticks_[batch_size_] = in->ticks.engine_in_ticks;
      updates_.pop();
      ++batch_size_;
      ++next_seq_;
    }
    if (batch_size_ > 0) {
      last_seq_.set(next_seq_ - 1);
    }
    return has_room;
  }

  // Sends the batch, datagrams of kMaxUpdatesPerDatagram updates (the last one what is left),
  // in one send_datagrams() call: one system call when the kernel segments them. Returns the
  // datagrams done with (sent, or counted lost on an error). What the socket refused
  // (kWouldBlock) stays in the batch, moved to its front with its numbers unchanged, for the
  // next poll.
  [[nodiscard]] int flush() noexcept {
    // The records go into the replay ring before the send and are published after it: the
    // ring's streaming stores drain to memory while the kernel sends, so publish()'s fence
    // finds them written instead of waiting for them. Records the socket refused are written
    // again, to the same slots, with the next attempt.
    // --stage-costs: the ring's stage is the claim and the stores here plus the publish()
    // below, recorded once per send that got datagrams out (a refused attempt's writing
    // included).
    if (replay_ring_ != nullptr) {
      const std::uint64_t ring_begin = stage_costs_ != nullptr ? stage_costs_->now() : 0;
      replay_ring_->claim(batch_[batch_size_ - 1].seq_num);
      replay_ring_->write(batch_.data(), batch_size_);
      if (LLT_UNLIKELY(stage_costs_ != nullptr)) {
        ring_ticks_ += stage_costs_->now() - ring_begin;
      }
    }
    const std::uint64_t send_begin = stage_costs_ != nullptr ? stage_costs_->now() : 0;
    const common::IoResult result = sender_.send_datagrams(
        batch_.data(), batch_size_ * sizeof(MarketUpdate), kMaxDatagramBytes);
    if (LLT_UNLIKELY(stage_costs_ != nullptr)) {
      stage_costs_->record(send_stage_, stage_costs_->now() - send_begin, result.ok());
    }
    const std::size_t sent = result.ok() ? batch_size_ : result.bytes / sizeof(MarketUpdate);
    std::size_t done = sent;
    const std::uint64_t now = clock_.now_ticks();
    for (std::size_t i = 0; i < sent; ++i) {
      if (batch_engine_ticks_[i] != 0) {
        latency_.record(clock_.elapsed_ns(batch_engine_ticks_[i], now));
      }
    }
    if (LLT_LIKELY(sent > 0)) {
      updates_published_.add(sent);
      datagrams_.add(datagrams_of(sent));
    }
    if (LLT_UNLIKELY(result.status == common::IoStatus::kWouldBlock)) {
      send_retries_.add();
    } else if (LLT_UNLIKELY(result.status == common::IoStatus::kError)) {
      send_errors_.add(datagrams_of(batch_size_ - sent));
      updates_lost_.add(batch_size_ - sent);
      last_send_error_ = result.error;
      done = batch_size_;
    }
    if (LLT_UNLIKELY(done == 0)) {
      return 0;
    }
    if (replay_ring_ != nullptr) {
      const std::uint64_t publish_begin = stage_costs_ != nullptr ? stage_costs_->now() : 0;
      replay_ring_->publish(batch_[done - 1].seq_num);
      if (LLT_UNLIKELY(stage_costs_ != nullptr)) {
        stage_costs_->record(ring_stage_, ring_ticks_ + (stage_costs_->now() - publish_begin),
                             true);
        ring_ticks_ = 0;
      }
    }
    last_send_ticks_ = now;
    const std::size_t kept = batch_size_ - done;
    if (LLT_UNLIKELY(kept > 0)) {
      std::copy_n(batch_.begin() + static_cast<std::ptrdiff_t>(done), kept, batch_.begin());
      std::copy_n(batch_engine_ticks_.begin() + static_cast<std::ptrdiff_t>(done), kept,
                  batch_engine_ticks_.begin());
    }
    batch_size_ = kept;
    return static_cast<int>(datagrams_of(done));
  }

  // Returns 1 when a heartbeat went out, else 0.
  int heartbeat_if_idle() noexcept {
    const std::uint64_t now = clock_.now_ticks();
    if (now < last_send_ticks_ || now - last_send_ticks_ < heartbeat_ticks_) {
      return 0;
    }
    MarketUpdate heartbeat{};
    heartbeat.seq_num = next_seq_;
    heartbeat.msg_type = MarketUpdateType::kHeartbeat;
    const common::IoResult result = sender_.send(&heartbeat, sizeof(heartbeat));
    if (result.status == common::IoStatus::kWouldBlock) {
      send_retries_.add();  // still idle: tried again next poll
      return 0;
    }
    if (LLT_LIKELY(result.ok())) {
      heartbeats_.add();
    } else {
      send_errors_.add();
      last_send_error_ = result.error;
    }
    last_send_ticks_ = now;
    return 1;
  }

  const MarketDataPublisherOptions options_;
  UpdateQueue& updates_;
  PublishedUpdateQueue& published_;
  const common::TscClock& clock_;
  Sender sender_;
  const std::uint64_t heartbeat_ticks_;
  std::uint64_t last_send_ticks_;
  SeqNum next_seq_ = 1;
  std::size_t batch_size_ = 0;
  int last_send_error_ = 0;
  std::array<MarketUpdate, kBatchCapacity> batch_{};
  std::array<std::uint64_t, kBatchCapacity> batch_engine_ticks_{};
  common::LatencyHistogram latency_;
  MdReplayRing* replay_ring_ = nullptr;
  std::uint64_t ring_ticks_ = 0;  // --stage-costs: the ring's ticks of the datagram under way
  common::StageCosts* stage_costs_ = nullptr;  // --stage-costs
  common::StageCosts::Stage send_stage_ = 0;
  common::StageCosts::Stage ring_stage_ = 0;

  // Read by other threads (status line): kept off the lines the hot fields live on.
  alignas(common::kCacheLineSize) common::SingleWriterCounter updates_published_;
  common::SingleWriterCounter datagrams_;
  common::SingleWriterCounter heartbeats_;
  common::SingleWriterCounter send_retries_;
  common::SingleWriterCounter send_errors_;
  common::SingleWriterCounter updates_lost_;
  common::SingleWriterCounter feed_stalls_;
  common::SingleWriterCounter last_seq_;
};

static_assert(sizeof(std::array<MarketUpdate, kMaxDatagramsPerSend * kMaxUpdatesPerDatagram>) ==
                  kMaxDatagramsPerSend * kMaxDatagramBytes,
              "a batch's datagrams are sent from one contiguous array");

using MarketDataPublisher = BasicMarketDataPublisher<common::McastSender>;
extern template class BasicMarketDataPublisher<common::McastSender>;

}  // namespace llt::exchange
