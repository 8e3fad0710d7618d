#include "common/concurrent/agent_runner.h"

#include <algorithm>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/concurrent/thread_utils.h"
#include "common/error.h"

namespace llt::common {

AgentRunner::AgentRunner(std::vector<Agent*> agents, RunnerOptions options)
    : agents_(std::move(agents)), options_(std::move(options)) {
  for (const Agent* agent : agents_) {
    if (agent == nullptr) {
      throw std::invalid_argument("AgentRunner: null agent");
    }
  }
  if (options_.stage_costs != nullptr) {
    for (const Agent* agent : agents_) {
      stages_.push_back(options_.stage_costs->add(std::string(agent->name())));
    }
  }
}

StageCosts::Stage AgentRunner::stage_of(const Agent* agent) const noexcept {
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    if (agents_[i] == agent) {
      return stages_[i];
    }
  }
  return StageCosts::kNoParent;
}

int AgentRunner::pass(const std::vector<Agent*>& agents, std::size_t first) noexcept {
  int work = 0;
  StageCosts* costs = options_.stage_costs;
  if (LLT_LIKELY(costs == nullptr)) {
    for (Agent* agent : agents) {
      work += agent->poll();
    }
    return work;
  }
  // One stamp between two agents' polls: each poll's time is the difference.
  std::uint64_t before = costs->now();
  for (std::size_t i = 0; i < agents.size(); ++i) {
    const int done = agents[i]->poll();
    const std::uint64_t after = costs->now();
    costs->record(stages_[first + i], after - before, done > 0);
    before = after;
    work += done;
  }
  return work;
}

AgentRunner::~AgentRunner() {
  stop();
}

void AgentRunner::start() {
  if (started_) {
    throw std::logic_error("AgentRunner already started");
  }
  started_ = true;
  const std::size_t threads = options_.threading == ThreadingMode::kShared ? 1 : agents_.size();
  drain_progress_ = std::make_unique<DrainProgress[]>(threads);
  if (options_.idle == IdleMode::kBlock) {
    for (std::size_t i = 0; i < threads; ++i) {
      wait_sets_.push_back(std::make_unique<WaitSet>());
    }
  }
  auto wait_set = [this](std::size_t i) {
    return wait_sets_.empty() ? nullptr : wait_sets_[i].get();
  };
  if (options_.threading == ThreadingMode::kShared) {
    std::optional<int> cpu;
    if (!options_.cpus.empty())
      cpu = options_.cpus.front();
    WaitSet* waits = wait_set(0);
    threads_.push_back(
        start_thread(options_.name, cpu, [this, waits] { run_thread(agents_, 0, waits); }));
    return;
  }
  for (std::size_t i = 0; i < agents_.size(); ++i) {
    std::optional<int> cpu;
    if (i < options_.cpus.size())
      cpu = options_.cpus[i];
    Agent* agent = agents_[i];
    WaitSet* waits = wait_set(i);
    threads_.push_back(start_thread(std::string(agent->name()), cpu,
                                    [this, agent, i, waits] { run_thread({agent}, i, waits); }));
  }
}

void AgentRunner::stop() {
  if (!started_ || stopped_) {
    return;
  }
  stop_requested_.store(true, std::memory_order_release);
  for (const auto& waits : wait_sets_) {
    waits->signal().wake();  // a parked thread sees the request now, not at its timeout
  }
  wait_until_drained();
  drained_.store(true, std::memory_order_release);
  for (std::thread& thread : threads_) {
    thread.join();
  }
  stopped_ = true;
}

// Quiet means: a look at the work every thread found in its drain so far, then at how many
// passes each has made; each thread then began and finished a pass, and the work total did
// not move. An item left in a queue between agents was pushed by a pass that found work (or
// by a thread's last pass before the stop request, which its drain counts as work on entry).
// If that work was in the first look, the push was visible before the look at the passes, so
// the consumer's pass begun after that look took the item; if not, the total moved and the
// round starts again. The counters are sequentially consistent: a thread's next pass reads
// the queues only once its pass count is visible, and the looks are ordered with it.
void AgentRunner::wait_until_drained() {
  const std::size_t threads = threads_.size();
  if (options_.stop_drain.count() <= 0 || threads == 0) {
    return;
  }
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + options_.stop_drain;
  const auto total_work = [this, threads] {
    std::uint64_t work = 0;
    for (std::size_t t = 0; t < threads; ++t) {
      work += drain_progress_[t].work.load(std::memory_order_seq_cst);
    }
    return work;
  };
  std::vector<std::uint64_t> passes_before(threads);
  while (Clock::now() < deadline) {
    const std::uint64_t work_before = total_work();
    for (std::size_t t = 0; t < threads; ++t) {
      passes_before[t] = drain_progress_[t].passes.load(std::memory_order_seq_cst);
    }
    bool round_done = false;
    while (!round_done && Clock::now() < deadline) {
      round_done = true;
      for (std::size_t t = 0; t < threads; ++t) {
        // Two passes: the one under way at the look may have begun before it.
        if (drain_progress_[t].passes.load(std::memory_order_seq_cst) < passes_before[t] + 2) {
          round_done = false;
          break;
        }
      }
      if (!round_done) {
        std::this_thread::yield();
      }
    }
    if (round_done && total_work() == work_before) {
      return;
    }
  }
}

void AgentRunner::drain(const std::vector<Agent*>& agents, std::size_t first,
                        DrainProgress& progress) {
  std::uint64_t passes = 0;
  // Entering counts as work: the last pass before the stop request may have pushed an item.
  std::uint64_t work = 1;
  progress.work.store(work, std::memory_order_seq_cst);
  while (!drained_.load(std::memory_order_acquire)) {
    const int done = pass(agents, first);
    work += static_cast<std::uint64_t>(std::max(done, 0));
    progress.work.store(work, std::memory_order_seq_cst);
    progress.passes.store(++passes, std::memory_order_seq_cst);
    if (done == 0) {
      std::this_thread::yield();
    }
  }
}

void AgentRunner::run_thread(const std::vector<Agent*>& agents, std::size_t first, WaitSet* waits) {
  for (Agent* agent : agents) {
    agent->on_start();
  }
  if (waits != nullptr) {
    block_loop(agents, first, *waits);
  } else if (options_.idle == IdleMode::kSpin) {
    poll_loop(agents, first, SpinIdleStrategy{});
  } else {
    poll_loop(agents, first, BackoffIdleStrategy{options_.backoff});
  }
  drain(agents, first, drain_progress_[first]);
  for (Agent* agent : agents) {
    agent->on_stop();
  }
}

template <typename Idle>
void AgentRunner::poll_loop(const std::vector<Agent*>& agents, std::size_t first, Idle idle) {
  std::uint64_t idle_passes = 0;
  while (!stop_requested_.load(std::memory_order_acquire)) {
    const int work = pass(agents, first);
    if (work == 0)
      ++idle_passes;
    idle.idle(work);
  }
  idle_passes_.fetch_add(idle_passes, std::memory_order_relaxed);
}

// docs/architecture.md, Block idle strategy.
void AgentRunner::block_loop(const std::vector<Agent*>& agents, std::size_t first, WaitSet& waits) {
  for (Agent* agent : agents) {
    agent->on_wait_set(waits);
  }
  WakeSignal& signal = waits.signal();
  const auto pass = [this, &agents, first] { return this->pass(agents, first); };
  const auto max_park =
      static_cast<std::uint64_t>(std::max<std::int64_t>(options_.max_park.count(), 0));
  std::uint64_t idle_passes = 0;
  std::uint32_t spins = 0;
  while (!stop_requested_.load(std::memory_order_acquire)) {
    if (pass() > 0) {
      spins = 0;
      continue;
    }
    ++idle_passes;
    if (spins < options_.block_spins) {
      ++spins;
      cpu_relax();
      continue;
    }
    // Raise the flag, then look once more: a producer that pushed before the flag was seen
    // is found by this pass; one that pushes after it sees the flag and writes the eventfd.
    signal.park();
    if (stop_requested_.load(std::memory_order_acquire) || pass() > 0) {
      signal.unpark();
      spins = 0;
      continue;
    }
    std::uint64_t limit = max_park;
    for (const Agent* agent : agents) {
      limit = std::min(limit, agent->max_park_ns());
    }
    parks_.fetch_add(1, std::memory_order_relaxed);  // beside a system call: free
    const bool woken = waits.wait(std::chrono::nanoseconds(limit)) > 0;
    signal.unpark();
    if (woken) {
      wakeups_.fetch_add(1, std::memory_order_relaxed);
      spins = 0;  // traffic: stay awake a little for what follows
    }
    // After a timeout the next pass serves the timers, then the thread parks again without
    // spinning.
  }
  idle_passes_.fetch_add(idle_passes, std::memory_order_relaxed);
}

}  // namespace llt::common
