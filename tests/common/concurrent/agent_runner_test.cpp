#include "common/concurrent/agent_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "common/concurrent/spsc_queue.h"
#include "tests/support/wait_for.h"

namespace llt::common {
namespace {

using namespace std::chrono_literals;

using llt::test::wait_for;

// Produces `limit` numbers into a queue, a few per poll.
class Producer final : public Agent {
 public:
  Producer(SpscQueue<int>& out, int limit) : out_(out), limit_(limit) {}
  int poll() override {
    int work = 0;
    while (work < 8 && next_ < limit_ && out_.try_push(next_)) {
      ++next_;
      ++work;
    }
    return work;
  }
  std::string_view name() const override { return "producer"; }
  void on_start() override { thread_id = std::this_thread::get_id(); }

  std::thread::id thread_id;

 private:
  SpscQueue<int>& out_;
  int limit_;
  int next_ = 0;
};

// Consumes numbers and checks they arrive in order.
class Consumer final : public Agent {
 public:
  explicit Consumer(SpscQueue<int>& in) : in_(in) {}
  int poll() override {
    int work = 0;
    while (int* item = in_.front()) {
      if (*item != expected_)
        out_of_order.fetch_add(1);
      ++expected_;
      in_.pop();
      ++work;
    }
    received.store(expected_, std::memory_order_release);
    return work;
  }
  std::string_view name() const override { return "consumer"; }
  void on_start() override { thread_id = std::this_thread::get_id(); }
  void on_stop() override { stopped = true; }

  std::atomic<int> received{0};
  std::atomic<int> out_of_order{0};
  std::thread::id thread_id;
  bool stopped = false;

 private:
  SpscQueue<int>& in_;
  int expected_ = 0;
};

// Spinning threads on an oversubscribed machine only progress once per scheduler slice, so
// the spin case moves fewer items through a queue that holds them all.
void run_pipeline(ThreadingMode threading, IdleMode idle, int items = 100'000,
                  std::size_t capacity = 64) {
  const int kItems = items;
  SpscQueue<int> queue(capacity);
  Producer producer(queue, kItems);
  Consumer consumer(queue);
  RunnerOptions options;
  options.threading = threading;
  options.idle = idle;
  AgentRunner runner({&producer, &consumer}, options);
  runner.start();
  EXPECT_TRUE(wait_for([&] { return consumer.received.load() == kItems; }, 30000ms));
  runner.stop();
  EXPECT_EQ(consumer.received.load(), kItems);
  EXPECT_EQ(consumer.out_of_order.load(), 0);
  EXPECT_TRUE(consumer.stopped);
  if (threading == ThreadingMode::kShared) {
    EXPECT_EQ(runner.thread_count(), 1U);
    EXPECT_EQ(producer.thread_id, consumer.thread_id);
  } else {
    EXPECT_EQ(runner.thread_count(), 2U);
    EXPECT_NE(producer.thread_id, consumer.thread_id);
  }
}

TEST(AgentRunner, shared_mode_runs_all_agents_on_one_thread) {
  run_pipeline(ThreadingMode::kShared, IdleMode::kBackoff);
}

TEST(AgentRunner, dedicated_mode_runs_each_agent_on_its_own_thread) {
  run_pipeline(ThreadingMode::kDedicated, IdleMode::kBackoff);
}

TEST(AgentRunner, spin_idle_strategy_moves_the_same_items) {
  run_pipeline(ThreadingMode::kDedicated, IdleMode::kSpin, 10'000, 16'384);
}

TEST(AgentRunner, backoff_counts_idle_passes_when_there_is_no_work) {
  SpscQueue<int> queue(4);
  Consumer consumer(queue);
  AgentRunner runner({&consumer}, RunnerOptions{});
  runner.start();
  std::this_thread::sleep_for(20ms);
  runner.stop();
  EXPECT_GT(runner.idle_passes(), 0U);
  EXPECT_FALSE(runner.running());
}

// A stage of a chain. Without `in` it is the source: once `go` is set (when given) it counts
// up to `limit` (forever when negative) and pushes the numbers into `out` (or only counts
// them), up to 1000 in one poll. With `in` it moves
// one item per poll to `out` (or, without one, only counts it): a slow stage.
class ChainStage final : public Agent {
 public:
  ChainStage(SpscQueue<int>* in, SpscQueue<int>* out, int limit = 0,
             const std::atomic<bool>* go = nullptr)
      : in_(in), out_(out), limit_(limit), go_(go) {}
  int poll() override {
    if (in_ == nullptr) {
      if (go_ != nullptr && !go_->load(std::memory_order_acquire))
        return 0;
      int work = 0;
      while (work < 1000 && next_ != limit_ && (out_ == nullptr || out_->try_push(next_))) {
        ++next_;
        ++work;
      }
      moved.fetch_add(work, std::memory_order_release);
      return work > 0 ? 1 : 0;
    }
    const int* front = in_->front();
    if (front == nullptr || (out_ != nullptr && !out_->try_push(*front)))
      return 0;
    in_->pop();
    moved.fetch_add(1, std::memory_order_release);
    return 1;
  }
  std::string_view name() const override { return "chain_stage"; }

  std::atomic<int> moved{0};

 private:
  SpscQueue<int>* in_;
  SpscQueue<int>* out_;
  int limit_;
  const std::atomic<bool>* go_;
  int next_ = 0;
};

// What is in the queues when stop() is called still reaches the end of the chain: the
// threads poll on until every one of them found nothing.
void expect_stop_drains_the_queues(ThreadingMode threading, IdleMode idle) {
  constexpr int kItems = 500;
  SpscQueue<int> first(1024);
  SpscQueue<int> second(1024);
  std::atomic<bool> go{false};
  ChainStage source(nullptr, &first, kItems, &go);
  ChainStage relay(&first, &second);
  ChainStage sink(&second, nullptr);
  RunnerOptions options;
  options.threading = threading;
  options.idle = idle;
  options.stop_drain = 30s;  // bounded by the drain, not by this
  AgentRunner runner({&source, &relay, &sink}, options);
  runner.start();
  // The source starts as the stop is requested: all of its items move during the drain.
  go.store(true, std::memory_order_release);
  runner.stop();
  EXPECT_EQ(source.moved.load(), kItems);
  EXPECT_EQ(relay.moved.load(), kItems);
  EXPECT_EQ(sink.moved.load(), kItems);
  EXPECT_TRUE(first.empty_guess());
  EXPECT_TRUE(second.empty_guess());
}

TEST(AgentRunner, stop_drains_the_queues_in_shared_threading) {
  expect_stop_drains_the_queues(ThreadingMode::kShared, IdleMode::kBackoff);
}

TEST(AgentRunner, stop_drains_the_queues_in_dedicated_threading) {
  expect_stop_drains_the_queues(ThreadingMode::kDedicated, IdleMode::kBackoff);
}

TEST(AgentRunner, stop_drains_the_queues_with_the_block_idle_strategy) {
  expect_stop_drains_the_queues(ThreadingMode::kDedicated, IdleMode::kBlock);
}

// An agent that always finds work does not keep stop() from returning: the drain is bounded.
TEST(AgentRunner, stop_drain_ends_at_its_bound_when_work_never_stops) {
  // A source without a queue or a limit: every poll is work.
  ChainStage endless(nullptr, nullptr, -1);
  RunnerOptions options;
  options.stop_drain = 20ms;
  AgentRunner runner({&endless}, options);
  runner.start();
  ASSERT_TRUE(wait_for([&] { return endless.moved.load() > 10; }, 30000ms));
  runner.stop();
  EXPECT_FALSE(runner.running());
}

TEST(AgentRunner, stop_is_idempotent_and_start_twice_throws) {
  SpscQueue<int> queue(4);
  Consumer consumer(queue);
  AgentRunner runner({&consumer}, RunnerOptions{});
  runner.start();
  EXPECT_THROW(runner.start(), std::logic_error);
  runner.stop();
  runner.stop();
  EXPECT_TRUE(consumer.stopped);
}

TEST(AgentRunner, rejects_a_null_agent) {
  EXPECT_THROW(AgentRunner({nullptr}, RunnerOptions{}), std::invalid_argument);
}

// Works on its first `busy` polls, then finds nothing; counts its polls.
class CountedAgent final : public Agent {
 public:
  CountedAgent(std::string name, int busy) : name_(std::move(name)), busy_(busy) {}
  int poll() override {
    const int done = polls.load(std::memory_order_relaxed) < busy_ ? 1 : 0;
    polls.fetch_add(1, std::memory_order_relaxed);
    return done;
  }
  std::string_view name() const override { return name_; }

  std::atomic<int> polls{0};

 private:
  std::string name_;
  int busy_;
};

// With stage costs, every poll of every agent is recorded in the agent's stage: the working
// ones apart from the idle ones, whatever the threading and idle strategy.
void expect_every_poll_timed(ThreadingMode threading, IdleMode idle) {
  StageCosts costs;
  CountedAgent first("first", 50);
  CountedAgent second("second", 20);
  RunnerOptions options;
  options.threading = threading;
  options.idle = idle;
  options.stage_costs = &costs;
  AgentRunner runner({&first, &second}, options);
  ASSERT_EQ(costs.size(), 2U);
  const StageCosts::Stage a = runner.stage_of(&first);
  const StageCosts::Stage b = runner.stage_of(&second);
  EXPECT_EQ(costs.name(a), "first");
  EXPECT_EQ(costs.name(b), "second");
  EXPECT_EQ(costs.parent(a), StageCosts::kNoParent);
  runner.start();
  EXPECT_TRUE(
      wait_for([&] { return first.polls.load() > 60 && second.polls.load() > 30; }, 30000ms));
  runner.stop();
  EXPECT_EQ(costs.busy_runs(a), 50U);
  EXPECT_EQ(costs.busy_runs(b), 20U);
  EXPECT_EQ(costs.busy_runs(a) + costs.idle_runs(a), static_cast<std::uint64_t>(first.polls));
  EXPECT_EQ(costs.busy_runs(b) + costs.idle_runs(b), static_cast<std::uint64_t>(second.polls));
  EXPECT_GT(costs.busy_ticks(a), 0U);
  EXPECT_GT(costs.idle_ticks(b), 0U);
}

TEST(AgentRunner, stage_costs_time_every_poll_in_shared_threading) {
  expect_every_poll_timed(ThreadingMode::kShared, IdleMode::kBackoff);
}

TEST(AgentRunner, stage_costs_time_every_poll_in_dedicated_threading) {
  expect_every_poll_timed(ThreadingMode::kDedicated, IdleMode::kSpin);
}

TEST(AgentRunner, stage_costs_time_every_poll_with_the_block_idle_strategy) {
  expect_every_poll_timed(ThreadingMode::kShared, IdleMode::kBlock);
}

TEST(AgentRunner, without_stage_costs_no_agent_has_a_stage) {
  CountedAgent agent("agent", 1);
  AgentRunner runner({&agent}, RunnerOptions{});
  EXPECT_EQ(runner.stage_of(&agent), StageCosts::kNoParent);
}

TEST(AgentRunner, parses_mode_names) {
  EXPECT_EQ(parse_threading_mode("shared"), ThreadingMode::kShared);
  EXPECT_EQ(parse_threading_mode("dedicated"), ThreadingMode::kDedicated);
  EXPECT_EQ(parse_threading_mode("both"), std::nullopt);
  EXPECT_EQ(parse_idle_mode("spin"), IdleMode::kSpin);
  EXPECT_EQ(parse_idle_mode("backoff"), IdleMode::kBackoff);
  EXPECT_EQ(parse_idle_mode("block"), IdleMode::kBlock);
  EXPECT_EQ(to_string(IdleMode::kBlock), "block");
  EXPECT_EQ(parse_idle_mode("sleep"), std::nullopt);
}

TEST(BackoffIdleStrategy, spins_then_yields_then_sleeps_and_work_resets_it) {
  using Phase = BackoffIdleStrategy::Phase;
  BackoffIdleStrategy idle(BackoffOptions{.max_spins = 3,
                                          .max_yields = 2,
                                          .min_sleep = std::chrono::microseconds(200),
                                          .max_sleep = std::chrono::microseconds(400)});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(idle.phase(), Phase::kSpinning);
    idle.idle(0);
  }
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(idle.phase(), Phase::kYielding);
    idle.idle(0);
  }
  EXPECT_EQ(idle.phase(), Phase::kSleeping);
  const auto start = std::chrono::steady_clock::now();
  idle.idle(0);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200us);
  idle.idle(1);
  EXPECT_EQ(idle.phase(), Phase::kSpinning);
}

}  // namespace
}  // namespace llt::common
