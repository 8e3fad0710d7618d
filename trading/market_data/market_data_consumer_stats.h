#pragma once

#include <cstdint>

#include "exchange/protocol/types.h"

namespace llt::trading {

// Copy of the market data consumer's counters, readable from any thread while it runs (each
// value recent, the set not necessarily consistent).
struct MarketDataConsumerStats {
  std::uint64_t incremental_datagrams = 0;  // read from the incremental stream
  std::uint64_t snapshot_datagrams = 0;     // read from the snapshot stream
  std::uint64_t events_forwarded = 0;       // MarketEvents pushed (snapshot records included)
  exchange::SeqNum next_seq = 0;            // incremental seq_num the books wait for next
  std::uint64_t gaps_detected = 0;          // a seq_num (update or heartbeat) beyond a hole
  std::uint64_t recoveries_started = 0;
  std::uint64_t recoveries_completed = 0;  // ended by applying a snapshot
  std::uint64_t gaps_healed = 0;           // ended without one: the missing updates came late
  std::uint64_t snapshots_discarded = 0;   // incomplete (a hole in its numbering) or malformed
  std::uint64_t snapshots_unusable = 0;    // complete, but the queued updates do not continue it
  std::uint64_t snapshots_too_large = 0;   // more records than snapshot_capacity
  std::uint64_t duplicates_dropped = 0;    // updates already held or older than the books
  std::uint64_t malformed_dropped = 0;     // datagrams not 1-34 whole records of known types
  std::uint64_t loss_knob_drops = 0;       // --md-loss-rate
  std::uint64_t restarts_detected = 0;     // the exchange's seq_num went back
  std::uint64_t queue_evictions = 0;       // queued updates forgotten: the queue outgrew
  std::uint64_t receive_errors = 0;        // socket errors other than "nothing to read"
  std::uint64_t last_recovery_ns = 0;      // start of the last recovery to its end
  std::uint64_t max_recovery_ns = 0;
  bool recovering = false;
  // Market data replay (docs/recovery.md): recoveries that replayed records completed, and the
  // start-to-end time of those and of the ones a snapshot completed.
  std::uint64_t recoveries_by_replay = 0;
  std::uint64_t replay_records = 0;         // replayed records taken into a recovery
  std::uint64_t replay_records_unused = 0;  // replayed records no longer needed on arrival
  std::uint64_t last_replay_recovery_ns = 0;
  std::uint64_t max_replay_recovery_ns = 0;
  std::uint64_t last_snapshot_recovery_ns = 0;
  std::uint64_t max_snapshot_recovery_ns = 0;
  // The consumer's replay requests and how the ones that did not serve ended.
  std::uint64_t replay_requests = 0;
  std::uint64_t replay_served = 0;
  std::uint64_t replay_refused = 0;  // REPLAY_END not SERVED (not available, not yet, bad)
  std::uint64_t replay_connect_failures = 0;
  std::uint64_t replay_closed = 0;   // the connection failed or was closed mid-answer
  std::uint64_t replay_garbage = 0;  // a record out of place in the answer
  std::uint64_t replay_timeouts = 0;
};

}  // namespace llt::trading
