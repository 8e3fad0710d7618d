#include "common/concurrent/agent_runner.h"

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
  if (options_.threading == ThreadingMode::kShared) {
    std::optional<int> cpu;
    if (!options_.cpus.empty())
      cpu = options_.cpus.front();
    threads_.push_back(start_thread(options_.name, cpu, [this] { run_thread(agents_); }));
    return;
  }
  for (std::size_t i = 0; i < agents_.size(); ++i) {
    std::optional<int> cpu;
    if (i < options_.cpus.size())
      cpu = options_.cpus[i];
    Agent* agent = agents_[i];
    threads_.push_back(
        start_thread(std::string(agent->name()), cpu, [this, agent] { run_thread({agent}); }));
  }
}

void AgentRunner::stop() {
  if (!started_ || stopped_) {
    return;
  }
  stop_requested_.store(true, std::memory_order_release);
  for (std::thread& thread : threads_) {
    thread.join();
  }
  stopped_ = true;
}

void AgentRunner::run_thread(const std::vector<Agent*>& agents) {
  for (Agent* agent : agents) {
    agent->on_start();
  }
  if (options_.idle == IdleMode::kSpin) {
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

}  // namespace llt::common
