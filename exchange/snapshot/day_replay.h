#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/concurrent/cache_line.h"
#include "exchange/exchange_messages.h"
#include "exchange/journal/journal_format.h"
#include "exchange/matcher/matching_engine.h"
#include "exchange/order_server/client_streams.h"
#include "exchange/snapshot/state_snapshot.h"

namespace llt::exchange {

// Rebuilds the state of the trading day from a snapshot and the journal records after it
// (docs/recovery.md, Durability; docs/snapshots.md): the engine's books, the client
// streams, the market data numbering and the trades per ticker. Used by the exchange's start-up
// (on its own engine and streams, before the agents run) and by the snapshot writer (on a copy
// of its own, off the hot path).
//
// Thread contract: one thread calls every member; the engine must not be run by anyone else
// meanwhile. Between start_engine_thread() and stop_engine_thread() the engine runs on a thread
// of the replay's own. Cold: allocates and throws freely.
class DayReplay {
 public:
  // where: the journal directory, for error messages. The engine's queues are the three given.
  DayReplay(MatchingEngine& engine, RequestQueue& requests, ResponseQueue& responses,
            UpdateQueue& updates, ClientStreams& streams, std::string where);
  // Stops the engine's thread if it still runs (an exception ended the replay).
  ~DayReplay();
  DayReplay(const DayReplay&) = delete;
  DayReplay& operator=(const DayReplay&) = delete;

  // The exchange's start-up (docs/recovery.md, Replay on two threads): drains, then runs the
  // engine on a thread of its own (`llt-replay`, pinned to `cpu` when given) until
  // stop_engine_thread(), so reading the journal, and numbering and keeping what the engine
  // produces, on the caller's thread overlap the matching. Meanwhile apply(), apply_input() and
  // drain() may be called, restore() and capture() may not, and nothing else may touch the
  // engine. Throws std::system_error when the thread cannot be started.
  void start_engine_thread(std::optional<int> cpu);
  // Drains, then stops and joins the engine's thread: the engine is the caller's again. No
  // effect when the thread does not run.
  void stop_engine_thread();

  // Called with each market update the replay produces, numbered (optional).
  void on_update(std::function<void(const MarketUpdate&)> hook) { update_hook_ = std::move(hook); }

  // Keep the last `records` market data records for capture() (a snapshot's tail for the
  // replay server). Before any input.
  void keep_md_tail(std::size_t records) { md_tail_.assign(records, MarketUpdate{}); }

  // Puts a snapshot's state back into an engine and streams that hold nothing yet. Throws
  // JournalError (naming `file`) when the snapshot does not fit the configuration (a ticker
  // not configured, too many clients or orders) or is inconsistent.
  void restore(const StateSnapshot& snapshot, const std::string& file);

  // Applies one journal record; its index must be next_index(). Throws JournalError when it is
  // not, or its kind does not match its request, or the client does not fit.
  void apply(const JournalRecord& record);
  // Applies one input that is not (yet) a journal record read back: the start-up's owed
  // cancel-on-disconnects, journaled by the caller. Counts as the record next_index().
  void apply_input(const ClientRequest& request);

  // Runs the engine until every applied input is processed and its outputs taken.
  void drain();

  // The state after every input applied so far (drains first), with at most max_kept of each
  // client's newest kept responses.
  [[nodiscard]] StateSnapshot capture(std::size_t max_kept = SIZE_MAX);

  [[nodiscard]] std::uint64_t next_index() const noexcept { return next_index_; }
  [[nodiscard]] SeqNum md_seq() const noexcept { return md_seq_; }
  // TRADE records per ticker, in the engine's ticker order.
  [[nodiscard]] const std::vector<std::uint64_t>& trades() const noexcept { return trades_; }
  [[nodiscard]] std::uint64_t requests() const noexcept { return requests_applied_; }

 private:
  void feed(const ClientRequest& request);
  // Takes what the engine produced so far; returns how many responses and updates.
  std::size_t drain_outputs();
  // Stops the engine's thread and joins it, if it runs.
  void join_engine_thread() noexcept;
  [[nodiscard]] std::size_t ticker_slot(TickerId ticker_id) const noexcept;

  MatchingEngine& engine_;
  RequestQueue& requests_;
  ResponseQueue& responses_;
  UpdateQueue& updates_;
  ClientStreams& streams_;
  std::string where_;
  std::function<void(const MarketUpdate&)> update_hook_;
  std::uint64_t next_index_ = 1;
  SeqNum md_seq_ = 0;
  std::vector<std::uint64_t> trades_;
  std::vector<MarketUpdate> md_tail_;  // ring: record seq at (seq - 1) % size
  SeqNum md_tail_kept_ = 0;            // records in it that the restored snapshot brought
  SeqNum md_base_ = 0;                 // the market data number restore() started from
  std::uint64_t requests_applied_ = 0;
  // With the engine on its own thread: requests_applied_ when it started, the requests it has
  // finished since (none left part done), published by it after each poll, and the flag that
  // stops it. The thread is the last member: it ends before the others go.
  std::uint64_t threaded_from_ = 0;
  // On lines of their own: the caller's thread writes the members above for every record.
  alignas(common::kCacheLineSize) std::atomic<std::uint64_t> engine_done_{0};
  alignas(common::kCacheLineSize) std::atomic<bool> stop_engine_{false};
  std::thread engine_thread_;
};

}  // namespace llt::exchange
