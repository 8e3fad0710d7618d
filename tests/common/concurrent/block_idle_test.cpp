// The block idle strategy: WakeSignal's handshake, WaitSet's descriptors, and AgentRunner
// parking threads in the kernel and waking them on a push, a packet, a timer or stop().
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "common/concurrent/agent_runner.h"
#include "common/concurrent/spsc_queue.h"
#include "common/concurrent/wait_set.h"
#include "common/net/socket_fd.h"
#include "tests/support/wait_for.h"

namespace llt::common {
namespace {

using namespace std::chrono_literals;
using llt::test::wait_for;

struct SocketPair {
  SocketPair() {
    std::array<int, 2> fds{-1, -1};
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds.data()), 0);
    a.reset(fds[0]);
    b.reset(fds[1]);
  }
  SocketFd a;
  SocketFd b;
};

TEST(WakeSignal, notify_writes_the_eventfd_only_for_a_parked_owner_and_only_once) {
  WakeSignal signal;
  signal.notify();
  EXPECT_EQ(signal.wakes(), 0U) << "a running owner costs the producer no system call";
  signal.park();
  signal.notify();
  signal.notify();
  EXPECT_EQ(signal.wakes(), 1U) << "the first producer claims the wake-up";
  std::uint64_t count = 0;
  EXPECT_EQ(::read(signal.fd(), &count, sizeof count), static_cast<ssize_t>(sizeof count));
  EXPECT_EQ(count, 1U);
  signal.unpark();
  signal.notify();
  EXPECT_EQ(signal.wakes(), 1U);
}

TEST(WaitSet, a_readable_socket_or_the_signal_ends_the_wait_and_a_quiet_one_times_out) {
  WaitSet waits;
  SocketPair pair;
  ASSERT_TRUE(waits.watch(pair.a.get()));
  EXPECT_TRUE(waits.watch(pair.a.get())) << "watching twice is harmless";
  EXPECT_EQ(waits.wait(1ms), 0);

  ASSERT_EQ(::write(pair.b.get(), "x", 1), 1);
  EXPECT_EQ(waits.wait(10s), 1);
  EXPECT_EQ(waits.wait(10s), 1) << "level-triggered: unread data keeps waking";
  char byte = 0;
  ASSERT_EQ(::read(pair.a.get(), &byte, 1), 1);
  EXPECT_EQ(waits.wait(1ms), 0);

  waits.signal().wake();
  EXPECT_EQ(waits.wait(10s), 1);
  EXPECT_EQ(waits.wait(1ms), 0) << "the eventfd was drained";

  waits.unwatch(pair.a.get());
  ASSERT_EQ(::write(pair.b.get(), "y", 1), 1);
  EXPECT_EQ(waits.wait(1ms), 0) << "an unwatched socket does not wake";
}

TEST(WaitSet, refuses_a_bad_descriptor_and_counts_it) {
  WaitSet waits;
  EXPECT_FALSE(waits.watch(-1));
  EXPECT_EQ(waits.watch_failures(), 1U);
}

TEST(WaitSet, a_closed_socket_leaves_the_set_by_itself) {
  WaitSet waits;
  int number = -1;
  {
    SocketPair pair;
    number = pair.a.get();
    ASSERT_TRUE(waits.watch(number));
  }
  // The same descriptor number, reused by a new socket that nobody watched.
  SocketPair reused;
  if (reused.a.get() != number) {
    GTEST_SKIP() << "the kernel gave another descriptor number";
  }
  ASSERT_EQ(::write(reused.b.get(), "x", 1), 1);
  EXPECT_EQ(waits.wait(1ms), 0);
  EXPECT_TRUE(waits.watch(number)) << "watching the new socket is an ADD, not an EEXIST";
  EXPECT_EQ(waits.wait(10s), 1);
}

// Reads a queue; hands its WakeSignal to the queue.
class QueueReader final : public Agent {
 public:
  explicit QueueReader(SpscQueue<int>& in) : in_(in) {}
  int poll() override {
    int work = 0;
    while (int* item = in_.front()) {
      if (*item != received_.load(std::memory_order_relaxed)) {
        out_of_order_.fetch_add(1);
      }
      in_.pop();
      received_.fetch_add(1, std::memory_order_release);
      ++work;
    }
    return work;
  }
  std::string_view name() const override { return "reader"; }
  void on_wait_set(WaitSet& waits) override {
    in_.set_consumer_wake(&waits.signal());
    signal_ = &waits.signal();
  }
  [[nodiscard]] int received() const { return received_.load(std::memory_order_acquire); }
  [[nodiscard]] int out_of_order() const { return out_of_order_.load(); }
  [[nodiscard]] const WakeSignal* signal() const { return signal_; }

 private:
  SpscQueue<int>& in_;
  std::atomic<int> received_{0};
  std::atomic<int> out_of_order_{0};
  const WakeSignal* signal_ = nullptr;
};

// Writes `limit` numbers, a few per poll.
class QueueWriter final : public Agent {
 public:
  QueueWriter(SpscQueue<int>& out, int limit) : out_(out), limit_(limit) {}
  int poll() override {
    int work = 0;
    while (work < 8 && next_ < limit_ && out_.try_push(next_)) {
      ++next_;
      ++work;
    }
    return work;
  }
  std::string_view name() const override { return "writer"; }

 private:
  SpscQueue<int>& out_;
  int limit_;
  int next_ = 0;
};

RunnerOptions block_options(ThreadingMode threading, std::chrono::nanoseconds max_park) {
  RunnerOptions options;
  options.threading = threading;
  options.idle = IdleMode::kBlock;
  options.max_park = max_park;
  return options;
}

void run_block_pipeline(ThreadingMode threading) {
  constexpr int kItems = 50'000;
  SpscQueue<int> queue(1024);
  QueueWriter writer(queue, kItems);
  QueueReader reader(queue);
  AgentRunner runner({&writer, &reader}, block_options(threading, 1ms));
  runner.start();
  EXPECT_TRUE(wait_for([&] { return reader.received() == kItems; }, 30000ms));
  ASSERT_NE(reader.signal(), nullptr) << "on_wait_set ran";
  const std::uint64_t wakes = reader.signal()->wakes();  // stop() below writes one more
  runner.stop();
  EXPECT_EQ(reader.received(), kItems);
  EXPECT_EQ(reader.out_of_order(), 0);
  if (threading == ThreadingMode::kShared) {
    // Producer and consumer share the thread: it never parks with work queued, so no push
    // ever finds it parked.
    EXPECT_EQ(wakes, 0U);
  }
}

TEST(BlockIdle, shared_threading_moves_every_item_in_order) {
  run_block_pipeline(ThreadingMode::kShared);
}

TEST(BlockIdle, dedicated_threading_moves_every_item_in_order) {
  run_block_pipeline(ThreadingMode::kDedicated);
}

TEST(BlockIdle, a_push_wakes_a_parked_consumer_long_before_its_timeout) {
  SpscQueue<int> queue(16);
  QueueReader reader(queue);
  AgentRunner runner({&reader}, block_options(ThreadingMode::kShared, 60s));
  runner.start();
  // Parked: the only way out within 60 s is the push's eventfd write.
  ASSERT_TRUE(wait_for([&] { return runner.parks() > 0; }));
  ASSERT_TRUE(queue.try_push(0));
  EXPECT_TRUE(wait_for([&] { return reader.received() == 1; }));
  ASSERT_NE(reader.signal(), nullptr);
  EXPECT_GE(reader.signal()->wakes(), 1U);
  runner.stop();
  EXPECT_GE(runner.wakeups(), 1U);
}

// Reads a socket it watches.
class SocketReader final : public Agent {
 public:
  explicit SocketReader(int fd) : fd_(fd) {}
  int poll() override {
    char buffer[64];
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n <= 0) {
      return 0;
    }
    bytes_.fetch_add(static_cast<int>(n));
    return 1;
  }
  std::string_view name() const override { return "socket_reader"; }
  void on_wait_set(WaitSet& waits) override { (void)waits.watch(fd_); }
  [[nodiscard]] int bytes() const { return bytes_.load(); }

 private:
  int fd_;
  std::atomic<int> bytes_{0};
};

TEST(BlockIdle, a_packet_wakes_a_parked_thread_long_before_its_timeout) {
  SocketPair pair;
  SocketReader reader(pair.a.get());
  AgentRunner runner({&reader}, block_options(ThreadingMode::kShared, 60s));
  runner.start();
  ASSERT_TRUE(wait_for([&] { return runner.parks() > 0; }));
  ASSERT_EQ(::write(pair.b.get(), "abc", 3), 3);
  EXPECT_TRUE(wait_for([&] { return reader.bytes() == 3; }));
  runner.stop();
}

TEST(BlockIdle, stop_wakes_a_parked_thread) {
  SpscQueue<int> queue(16);
  QueueReader reader(queue);
  AgentRunner runner({&reader}, block_options(ThreadingMode::kDedicated, 60s));
  runner.start();
  ASSERT_TRUE(wait_for([&] { return runner.parks() > 0; }));
  auto stopped = std::async(std::launch::async, [&] { runner.stop(); });
  // Without the wake the join would take the whole 60 s park.
  EXPECT_EQ(stopped.wait_for(10s), std::future_status::ready);
  stopped.wait();
}

// Has a timer: wants a poll at its deadline, and counts the polls that found it due.
class TimedAgent final : public Agent {
 public:
  explicit TimedAgent(std::chrono::milliseconds period) : period_(period) {}
  int poll() override {
    if (std::chrono::steady_clock::now() >= due_) {
      fired_.fetch_add(1);
      due_ = std::chrono::steady_clock::now() + period_;
    }
    return 0;  // a timer's poll reports no work, as the trade engine's does
  }
  std::string_view name() const override { return "timed"; }
  void on_start() override { due_ = std::chrono::steady_clock::now() + period_; }
  [[nodiscard]] std::uint64_t max_park_ns() const noexcept override {
    const auto left = due_ - std::chrono::steady_clock::now();
    return left.count() <= 0
               ? 0
               : static_cast<std::uint64_t>(
                     std::chrono::duration_cast<std::chrono::nanoseconds>(left).count());
  }
  [[nodiscard]] int fired() const { return fired_.load(); }

 private:
  std::chrono::milliseconds period_;
  std::chrono::steady_clock::time_point due_{};
  std::atomic<int> fired_{0};
};

TEST(BlockIdle, an_agent_timer_bounds_the_park) {
  TimedAgent timed(5ms);
  AgentRunner runner({&timed}, block_options(ThreadingMode::kShared, 60s));
  runner.start();
  // With only the runner's 60 s park the timer could not fire three times in 5 s.
  EXPECT_TRUE(wait_for([&] { return timed.fired() >= 3; }));
  runner.stop();
  EXPECT_GE(runner.parks(), 3U);
}

}  // namespace
}  // namespace llt::common
