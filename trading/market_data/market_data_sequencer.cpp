#include "trading/market_data/market_data_sequencer.h"

#include <stdexcept>

namespace llt::trading {
namespace {

const MarketDataConsumerOptions& check_sequencer_options(const MarketDataConsumerOptions& options) {
  if (options.restart_window == 0) {
    throw std::invalid_argument("market data restart_window must be > 0, got 0");
  }
  return options;
}

}  // namespace

MarketDataSequencer::MarketDataSequencer(const MarketDataConsumerOptions& options,
                                         MarketEventQueue& out, const common::TscClock& clock)
    : out_(out),
      clock_(clock),
      restart_window_(check_sequencer_options(options).restart_window),
      loss_(options.loss_rate, options.loss_seed),
      buffer_(options.queue_capacity),
      assembler_(options.snapshot_capacity) {
  next_seq_counter_.set(next_seq_);
}

MarketDataConsumerStats MarketDataSequencer::stats() const noexcept {
  MarketDataConsumerStats stats;
  stats.incremental_datagrams = incremental_datagrams_.load();
  stats.snapshot_datagrams = snapshot_datagrams_.load();
  stats.events_forwarded = events_forwarded_.load();
  stats.next_seq = next_seq_counter_.load();
  stats.gaps_detected = gaps_detected_.load();
  stats.recoveries_started = recoveries_started_.load();
  stats.recoveries_completed = recoveries_completed_.load();
  stats.gaps_healed = gaps_healed_.load();
  stats.snapshots_discarded = snapshots_discarded_.load();
  stats.snapshots_unusable = snapshots_unusable_.load();
  stats.snapshots_too_large = snapshots_too_large_.load();
  stats.duplicates_dropped = duplicates_dropped_.load();
  stats.malformed_dropped = malformed_dropped_.load();
  stats.loss_knob_drops = loss_knob_drops_.load();
  stats.restarts_detected = restarts_detected_.load();
  stats.queue_evictions = queue_evictions_.load();
  stats.receive_errors = receive_errors_.load();
  stats.last_recovery_ns = last_recovery_ns_.load();
  stats.max_recovery_ns = max_recovery_ns_.load();
  stats.recovering = recovering_counter_.load() != 0;
  stats.recoveries_by_replay = recoveries_by_replay_.load();
  stats.replay_records = replay_records_.load();
  stats.replay_records_unused = replay_unused_.load();
  stats.last_replay_recovery_ns = last_replay_ns_.load();
  stats.max_replay_recovery_ns = max_replay_ns_.load();
  stats.last_snapshot_recovery_ns = last_snapshot_ns_.load();
  stats.max_snapshot_recovery_ns = max_snapshot_ns_.load();
  return stats;
}

}  // namespace llt::trading
