#include "common/concurrent/agent_runner.h"

#include <algorithm>
#include <stdexcept>

#include "common/concurrent/thread_utils.h"

namespace llt::common {

AgentRunner::AgentRunner(std::vector<Agent*> agents, RunnerOptions options)
    : agents_(std::move(agents)), options_(std::move(options)) {
  for (const Agent* agent : agents_) {
    if (agent == nullptr) {
      throw std::invalid_argument("AgentRunner: null agent");
    }
  }
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
        start_thread(options_.name, cpu, [this, waits] { run_thread(agents_, waits); }));
    return;
  }
  for (std::size_t i = 0; i < agents_.size(); ++i) {
    std::optional<int> cpu;
    if (i < options_.cpus.size())
      cpu = options_.cpus[i];
    Agent* agent = agents_[i];
    WaitSet* waits = wait_set(i);
    threads_.push_back(start_thread(std::string(agent->name()), cpu,
                                    [this, agent, waits] { run_thread({agent}, waits); }));
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
  for (std::thread& thread : threads_) {
    thread.join();
  }
  stopped_ = true;
}

void AgentRunner::run_thread(const std::vector<Agent*>& agents, WaitSet* waits) {
  for (Agent* agent : agents) {
    agent->on_start();
  }
  if (waits != nullptr) {
    block_loop(agents, *waits);
  } else if (options_.idle == IdleMode::kSpin) {
    poll_loop(agents, SpinIdleStrategy{});
  } else {
    poll_loop(agents, BackoffIdleStrategy{options_.backoff});
  }
  for (Agent* agent : agents) {
    agent->on_stop();
  }
}

template <typename Idle>
void AgentRunner::poll_loop(const std::vector<Agent*>& agents, Idle idle) {
  std::uint64_t idle_passes = 0;
  while (!stop_requested_.load(std::memory_order_acquire)) {
    int work = 0;
    for (Agent* agent : agents) {
      work += agent->poll();
    }
    if (work == 0)
      ++idle_passes;
    idle.idle(work);
  }
  idle_passes_.fetch_add(idle_passes, std::memory_order_relaxed);
}

// docs/architecture.md, Block idle strategy.
void AgentRunner::block_loop(const std::vector<Agent*>& agents, WaitSet& waits) {
  for (Agent* agent : agents) {
    agent->on_wait_set(waits);
  }
  WakeSignal& signal = waits.signal();
  const auto pass = [&agents] {
    int work = 0;
    for (Agent* agent : agents) {
      work += agent->poll();
    }
    return work;
  };
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
