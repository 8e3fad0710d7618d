#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/concurrent/single_writer_counter.h"
#include "common/time/tsc_clock.h"

namespace llt::common {

// Where a process's time goes, stage by stage (docs/architecture.md, Stage costs): for each
// stage, the TSC ticks it took and how many times it ran, apart for the runs that did work
// and those that found none. The agent runner makes one stage per agent (each poll timed);
// an agent may add stages for parts of its poll (the order server's reads, the publisher's
// sends), each named with its parent so a table can show it under the agent it belongs to.
//
// Off unless asked for (--stage-costs): the timing reads the TSC around every poll, which a
// process that is not being measured should not pay.
//
// Thread contract: add() at start-up, before any thread records; record() by the one thread
// that runs the stage (each stage has one writer); the readers and table() from any thread
// (relaxed loads: the figures of a running process may be a few runs apart).
class StageCosts {
 public:
  using Stage = std::size_t;
  static constexpr std::size_t kMaxStages = 32;
  static constexpr Stage kNoParent = kMaxStages;

  // Stamps with `clock` (the process's clock unless given).
  explicit StageCosts(const TscClock& clock = TscClock::instance()) noexcept : clock_(&clock) {}
  StageCosts(const StageCosts&) = delete;
  StageCosts& operator=(const StageCosts&) = delete;

  // A stamp for record(): the clock's ticks.
  [[nodiscard]] std::uint64_t now() const noexcept { return clock_->now_ticks(); }

  // Start-up: a stage named `name`, part of `parent` (kNoParent: a top-level stage). Returns
  // its index. Throws std::length_error beyond kMaxStages, std::invalid_argument for a parent
  // that is not a stage yet.
  Stage add(std::string name, Stage parent = kNoParent);

  // The stage's thread: one run of `stage` took `ticks`; `worked` when it did some work.
  void record(Stage stage, std::uint64_t ticks, bool worked) noexcept {
    Entry& entry = entries_[stage];
    if (worked) {
      entry.busy_ticks.add(ticks);
      entry.busy_runs.add();
    } else {
      entry.idle_ticks.add(ticks);
      entry.idle_runs.add();
    }
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] const std::string& name(Stage stage) const noexcept { return entries_[stage].name; }
  [[nodiscard]] Stage parent(Stage stage) const noexcept { return entries_[stage].parent; }
  [[nodiscard]] std::uint64_t busy_ticks(Stage stage) const noexcept {
    return entries_[stage].busy_ticks.load();
  }
  [[nodiscard]] std::uint64_t busy_runs(Stage stage) const noexcept {
    return entries_[stage].busy_runs.load();
  }
  [[nodiscard]] std::uint64_t idle_ticks(Stage stage) const noexcept {
    return entries_[stage].idle_ticks.load();
  }
  [[nodiscard]] std::uint64_t idle_runs(Stage stage) const noexcept {
    return entries_[stage].idle_runs.load();
  }

  // Cold. The table of every stage (parts indented under their parent): time in runs that
  // did work and in those that did not, the runs, ns per working run, and, when `units` > 0,
  // ns of working time per unit (`unit`: "request"), with the top-level stages' total.
  [[nodiscard]] std::string table(std::uint64_t units, std::string_view unit) const;

 private:
  struct Entry {
    std::string name;
    Stage parent = kNoParent;
    SingleWriterCounter busy_ticks;
    SingleWriterCounter busy_runs;
    SingleWriterCounter idle_ticks;
    SingleWriterCounter idle_runs;
  };
  const TscClock* clock_;
  std::array<Entry, kMaxStages> entries_;
  std::size_t size_ = 0;
};

}  // namespace llt::common
