#include "trading/market_data/market_data_consumer.h"

#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>
#include <string>

namespace llt::trading {
namespace {

const MarketDataConsumerOptions& check_consumer_options(const MarketDataConsumerOptions& options) {
  if (options.max_datagrams_per_poll == 0) {
    throw std::invalid_argument("market data max_datagrams_per_poll must be > 0, got 0");
  }
  if (options.replay && options.replay_timeout_ms == 0) {
    throw std::invalid_argument("market data replay_timeout_ms must be > 0, got 0");
  }
  // Summed wide: in 16 bits a default past 65535 would wrap to a port nobody serves.
  if (options.replay && options.replay_port == 0 && options.incremental_port + 2U > 65535) {
    throw std::invalid_argument("market data replay port: incremental_port + 2 = " +
                                std::to_string(options.incremental_port + 2U) +
                                " is past 65535; set replay_port");
  }
  if (options.receive_buffer_bytes < 0) {
    throw std::invalid_argument("market data receive_buffer_bytes must be >= 0, got " +
                                std::to_string(options.receive_buffer_bytes));
  }
  return options;
}

// Asks for `bytes` of SO_RCVBUF (capped by the kernel at net.core.rmem_max). Returns what was
// granted.
int grow_receive_buffer(const common::McastReceiver& receiver, int bytes) {
  if (bytes > 0) {
    ::setsockopt(receiver.fd(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  }
  int granted = 0;
  socklen_t length = sizeof(granted);
  ::getsockopt(receiver.fd(), SOL_SOCKET, SO_RCVBUF, &granted, &length);
  return granted;
}

}  // namespace

MarketDataConsumer::MarketDataConsumer(const MarketDataConsumerOptions& options,
                                       MarketEventQueue& out, const common::TscClock& clock)
    : options_(check_consumer_options(options)),
      clock_(clock),
      sequencer_(options_, out, clock),
      incremental_(options_.group, options_.incremental_port, options_.interface,
                   common::McastJoin::kNow),
      snapshot_(options_.group, options_.snapshot_port, options_.interface,
                common::McastJoin::kLater) {
  receive_buffer_bytes_ = grow_receive_buffer(incremental_, options_.receive_buffer_bytes);
  grow_receive_buffer(snapshot_, options_.receive_buffer_bytes);
  if (options_.replay) {
    // check_consumer_options() refused a default past 65535, so the cast keeps the value.
    const auto port = static_cast<std::uint16_t>(
        options_.replay_port != 0 ? options_.replay_port : options_.incremental_port + 2U);
    replay_.emplace(options_.replay_host, port, options_.replay_timeout_ms, clock_);
  }
}

MarketDataConsumerStats MarketDataConsumer::stats() const noexcept {
  MarketDataConsumerStats stats = sequencer_.stats();
  stats.replay_requests = replay_requests_.load();
  stats.replay_served = replay_served_.load();
  stats.replay_refused = replay_refused_.load();
  stats.replay_connect_failures = replay_connect_failures_.load();
  stats.replay_closed = replay_closed_.load();
  stats.replay_garbage = replay_garbage_.load();
  stats.replay_timeouts = replay_timeouts_.load();
  return stats;
}

int MarketDataConsumer::poll() {
  int work = sequencer_.flush();
  if (sequencer_.blocked()) {
    return work;
  }
  work += read_incremental();
  follow_recovery();
  if (replay_ && !sequencer_.blocked()) {
    work += follow_replay();
  }
  if (!sequencer_.blocked() && (snapshot_.joined() || drain_snapshot_)) {
    work += read_snapshot();
    follow_recovery();
  }
  return work;
}

int MarketDataConsumer::follow_replay() noexcept {
  MdReplayClient& replay = *replay_;
  if (!replay.busy() && !sequencer_.wants_snapshot_stream()) {
    return 0;  // the usual case: one branch, no system call
  }
  const std::uint64_t now = clock_.now_ticks();
  int records = 0;
  if (replay.busy()) {
    const MdReplayClient::Outcome outcome =
        replay.poll(now, [&](const exchange::MarketUpdate& record) noexcept {
          sequencer_.on_replay_record(record, common::rdtsc());
          ++records;
        });
    if (records != 0) {
      (void)sequencer_.flush();
    }
    bool failed = true;
    switch (outcome) {
      case MdReplayClient::Outcome::kPending:
        return records;
      case MdReplayClient::Outcome::kServed:
        replay_served_.add();
        failed = replay.records_received() == 0;  // nothing to move the recovery on
        break;
      case MdReplayClient::Outcome::kRefused:
        replay_refused_.add();
        break;
      case MdReplayClient::Outcome::kConnectFailed:
        replay_connect_failures_.add();
        break;
      case MdReplayClient::Outcome::kClosed:
        replay_closed_.add();
        break;
      case MdReplayClient::Outcome::kGarbage:
        replay_garbage_.add();
        break;
      case MdReplayClient::Outcome::kTimeout:
        replay_timeouts_.add();
        break;
    }
    if (failed) {
      replay_given_up_ = replay_recovery_;  // the snapshot stream finishes that recovery
    }
  }
  exchange::SeqNum from = 0;
  std::uint32_t count = 0;
  if (!sequencer_.blocked() && sequencer_.wants_snapshot_stream() &&
      replay_given_up_ != sequencer_.recovery_number() && sequencer_.replay_range(from, count) &&
      replay.request(from, count, now)) {
    replay_recovery_ = sequencer_.recovery_number();
    replay_requests_.add();  // polled from the next poll() on
  }
  return records;
}

void MarketDataConsumer::on_stop() {
  if (replay_) {
    replay_->reset();
  }
  if (snapshot_.joined()) {
    (void)snapshot_.leave();
  }
}

int MarketDataConsumer::read_incremental() noexcept {
  int read = 0;
  while (read < static_cast<int>(options_.max_datagrams_per_poll)) {
    const common::IoResult result = incremental_.receive(buffer_.data(), buffer_.size());
    if (result.status == common::IoStatus::kWouldBlock) {
      break;
    }
    ++read;
    if (LLT_UNLIKELY(!result.ok())) {
      if (result.error == EMSGSIZE) {
        sequencer_.on_truncated_datagram();
        continue;
      }
      sequencer_.on_receive_error();
      break;
    }
    const std::uint64_t read_tsc = common::rdtsc();
    const auto accepted =
        sequencer_.on_incremental_datagram(buffer_.data(), result.bytes, read_tsc);
    if (sequencer_.blocked()) {
      break;
    }
    if (sequencer_.wants_snapshot_stream() != snapshot_.joined()) {
      follow_recovery();  // join at once: the snapshot being sent now may be the one needed
    }
    // In step with the stream, hand over at once: in shared threading the trade engine runs
    // next, instead of after one more recv() that finds nothing (tick-to-trade).
    if (accepted == MarketDataSequencer::DatagramResult::kAccepted &&
        !sequencer_.wants_snapshot_stream()) {
      break;
    }
  }
  return read;
}

int MarketDataConsumer::read_snapshot() noexcept {
  int read = 0;
  while (read < static_cast<int>(options_.max_datagrams_per_poll)) {
    const common::IoResult result = snapshot_.receive(buffer_.data(), buffer_.size());
    if (result.status == common::IoStatus::kWouldBlock) {
      drain_snapshot_ = false;
      break;
    }
    ++read;
    if (LLT_UNLIKELY(!result.ok())) {
      if (result.error == EMSGSIZE) {
        sequencer_.on_truncated_datagram();
        continue;
      }
      sequencer_.on_receive_error();
      break;
    }
    if (!snapshot_.joined()) {
      continue;  // left over from an earlier recovery
    }
    const std::uint64_t read_tsc = common::rdtsc();
    (void)sequencer_.on_snapshot_datagram(buffer_.data(), result.bytes, read_tsc);
    if (sequencer_.blocked() || !sequencer_.wants_snapshot_stream()) {
      break;
    }
  }
  return read;
}

void MarketDataConsumer::follow_recovery() noexcept {
  const bool wanted = sequencer_.wants_snapshot_stream();
  if (wanted == snapshot_.joined()) {
    return;
  }
  if (wanted) {
    if (!snapshot_.join().ok()) {
      sequencer_.on_receive_error();  // retried on the next poll
    }
  } else {
    if (!snapshot_.leave().ok()) {
      sequencer_.on_receive_error();
    }
    drain_snapshot_ = true;
  }
}

}  // namespace llt::trading
