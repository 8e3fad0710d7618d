#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/concurrent/agent.h"
#include "common/concurrent/cache_line.h"
#include "common/concurrent/idle_strategy.h"
#include "common/concurrent/wait_set.h"
#include "common/stats/stage_costs.h"

namespace llt::common {

// How agents are placed on threads (as Aeron's threading modes):
//  - kDedicated: one thread per agent, the i-th pinned to cpus[i] when given. For hosts with a
//    core per agent.
//  - kShared: one thread polls every agent in the order given, round robin, pinned to cpus[0]
//    when given. For laptops and 2-core machines.
enum class ThreadingMode { kDedicated, kShared };

// "dedicated" or "shared"; nullopt for anything else.
[[nodiscard]] inline std::optional<ThreadingMode> parse_threading_mode(
    std::string_view text) noexcept {
  if (text == "dedicated")
    return ThreadingMode::kDedicated;
  if (text == "shared")
    return ThreadingMode::kShared;
  return std::nullopt;
}

inline std::string_view to_string(ThreadingMode mode) noexcept {
  return mode == ThreadingMode::kDedicated ? "dedicated" : "shared";
}

struct RunnerOptions {
  ThreadingMode threading = ThreadingMode::kShared;
  IdleMode idle = IdleMode::kBackoff;
  BackoffOptions backoff{};
  // kBlock: idle passes spun before parking, and the longest park (timers of the agents
  // that do not say otherwise, e.g. heartbeats, are served at least this often).
  std::uint32_t block_spins = 200;
  std::chrono::nanoseconds max_park = std::chrono::milliseconds(1);
  // stop(): how long the threads may keep polling, after the request, for the work already
  // inside the process (items in the queues between agents) to reach its end. They stop
  // sooner when a whole round of every thread found nothing; zero stops after the current
  // pass. docs/architecture.md, Agents.
  std::chrono::nanoseconds stop_drain = std::chrono::milliseconds(100);
  std::vector<int> cpus;        // empty: no pinning
  std::string name = "agents";  // thread name prefix
  // Not null (--stage-costs): each agent's polls are timed into a stage named after it, added
  // by the runner's constructor (docs/architecture.md, Stage costs). Borrowed; outlives the
  // runner.
  StageCosts* stage_costs = nullptr;
};

// Runs agents on threads until stop(). The agents are borrowed and must outlive the runner.
//
// Thread contract: start, stop and the destructor are called from one controlling thread.
class AgentRunner {
 public:
  AgentRunner(std::vector<Agent*> agents, RunnerOptions options);
  ~AgentRunner();

  AgentRunner(const AgentRunner&) = delete;
  AgentRunner& operator=(const AgentRunner&) = delete;

  // Starts the threads; each calls on_start of its agents, then polls. Throws std::logic_error
  // if already started.
  void start();

  // Asks every thread to finish its current pass, then lets them poll on until the agents
  // are quiet (every thread did a pass after which no thread found work) or
  // options.stop_drain passed; calls on_stop of each agent on its thread, and joins.
  // Idempotent.
  void stop();

  [[nodiscard]] bool running() const noexcept { return started_ && !stopped_; }
  [[nodiscard]] std::size_t thread_count() const noexcept { return threads_.size(); }
  // Passes over the agents that found no work, summed over threads (for tests and status).
  [[nodiscard]] std::uint64_t idle_passes() const noexcept {
    return idle_passes_.load(std::memory_order_relaxed);
  }
  // kBlock: times a thread slept in the kernel, and those that ended before their timeout
  // (a socket or a producer woke it), summed over threads; live while the threads run.
  [[nodiscard]] std::uint64_t parks() const noexcept {
    return parks_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t wakeups() const noexcept {
    return wakeups_.load(std::memory_order_relaxed);
  }
  // With stage costs: the stage of `agent` (one of the runner's); StageCosts::kNoParent
  // without, or for an agent that is not the runner's.
  [[nodiscard]] StageCosts::Stage stage_of(const Agent* agent) const noexcept;

 private:
  // A thread's passes and the work they found, counted only while stop() drains. Written by
  // the thread, read by the controlling thread; a line of its own.
  struct alignas(kCacheLineSize) DrainProgress {
    std::atomic<std::uint64_t> passes{0};
    std::atomic<std::uint64_t> work{0};
  };

  // `agents` are agents_[first], agents_[first + 1], ...: a thread's share. `first` is also the
  // thread's index (0 for the one shared thread, the agent's index for a dedicated one), which
  // picks its drain_progress_.
  void run_thread(const std::vector<Agent*>& agents, std::size_t first, WaitSet* waits);
  // After the stop request: polls until stop() declares the agents drained.
  void drain(const std::vector<Agent*>& agents, std::size_t first, DrainProgress& progress);
  // The controlling thread's side: returns when the threads are quiet or the bound passed.
  void wait_until_drained();
  template <typename Idle>
  void poll_loop(const std::vector<Agent*>& agents, std::size_t first, Idle idle);
  void block_loop(const std::vector<Agent*>& agents, std::size_t first, WaitSet& waits);
  // One poll of every agent in `agents`; returns the work they did. Timed into their stages
  // when stage costs are on.
  int pass(const std::vector<Agent*>& agents, std::size_t first) noexcept;

  std::vector<Agent*> agents_;
  // With stage costs, by the agent's index in agents_.
  std::vector<StageCosts::Stage> stages_;
  RunnerOptions options_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> drained_{false};
  std::unique_ptr<DrainProgress[]> drain_progress_;
  std::atomic<std::uint64_t> idle_passes_{0};
  std::atomic<std::uint64_t> parks_{0};
  std::atomic<std::uint64_t> wakeups_{0};
  // kBlock: each thread's WaitSet, so stop() can wake the parked ones.
  std::vector<std::unique_ptr<WaitSet>> wait_sets_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace llt::common
