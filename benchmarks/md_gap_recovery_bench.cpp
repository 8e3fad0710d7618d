// How long the trading client's market data consumer takes from a detected one-datagram gap to
// books consistent again (docs/recovery.md, Market data: gaps and snapshot recovery), by replay
// (--md-replay on) and by the snapshot stream alone (--md-replay off), at the exchange's
// default snapshot interval (1,000 ms).
//   md_gap_recovery/ours           replay on: the exchange's replay agent answers the request
//   md_gap_recovery/snapshot_only  replay off: the next snapshot repairs the gap
// The ratio ours/snapshot_only is the replay's time as a fraction of the snapshot's.
//
// In one process, on loopback: a feeder thread plays the exchange's publisher (one ADD per
// datagram every 100 us, each record written to an MdReplayRing first, exactly as the
// publisher does, and a snapshot every 1,000 ms) with the real MdReplayServer polled on the
// same thread; the benchmark thread runs the real MarketDataConsumer. Each iteration asks the
// feeder to leave one datagram unsent (it stays in the ring, as a datagram the network lost),
// then polls the consumer until the recovery that gap starts has ended, and takes the time the
// consumer measured: from the read of the datagram that revealed the gap to the books whole
// again (SetIterationTime). p50..max of those times are the counters. Without replay each
// gap is placed at a random point of the snapshot cycle, so the snapshot's p50 is about half
// the interval.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "benchmarks/bench_report.h"
#include "common/net/mcast_socket.h"
#include "common/stats/latency_histogram.h"
#include "exchange/market_data/md_replay_ring.h"
#include "exchange/market_data/md_replay_server.h"
#include "exchange/protocol/market_update.h"
#include "tests/support/multicast_channel.h"
#include "trading/market_data/market_data_consumer.h"

namespace {

using namespace std::chrono_literals;
using llt::exchange::MarketUpdate;
using llt::exchange::MarketUpdateType;
using llt::exchange::SeqNum;

constexpr auto kSendEvery = 100us;
constexpr auto kSnapshotInterval = 1000ms;  // the exchange's --snapshot-interval-ms default

MarketUpdate record(SeqNum seq, MarketUpdateType type, std::uint64_t order_id) {
  MarketUpdate update;
  update.seq_num = seq;
  update.msg_type = type;
  update.order_id = order_id;
  update.ticker_id = 1;
  if (type == MarketUpdateType::kAdd) {
    update.side = llt::exchange::Side::kBuy;
    update.price = static_cast<llt::exchange::Price>(9'000 + order_id % 100);
    update.qty = 10;
    update.priority = order_id;
  }
  return update;
}

// The exchange's side: incremental datagrams (through the replay ring), snapshots, and the
// replay agent, on one thread.
class Feeder {
 public:
  explicit Feeder(const llt::test::MulticastChannel& channel)
      : ring_(1 << 16),
        server_(server_options(), ring_),
        incremental_(channel.group, channel.port),
        snapshots_(channel.group, static_cast<std::uint16_t>(channel.port + 1)),
        thread_([this] { run(); }) {}
  Feeder(const Feeder&) = delete;
  Feeder& operator=(const Feeder&) = delete;
  ~Feeder() {
    stop_ = true;
    thread_.join();
  }

  [[nodiscard]] std::uint16_t replay_port() const { return server_.port(); }
  void drop_next() { drop_.store(true); }
  [[nodiscard]] SeqNum last_seq() const { return last_.load(); }

 private:
  static llt::exchange::MdReplayServerOptions server_options() {
    llt::exchange::MdReplayServerOptions options;
    options.port = 0;
    return options;
  }

  void run() {
    llt::bench::pin_to(llt::bench::kPeerCpu);
    SeqNum seq = 0;
    auto next_send = std::chrono::steady_clock::now();
    auto next_snapshot = next_send + kSnapshotInterval;
    while (!stop_) {
      server_.poll();
      const auto now = std::chrono::steady_clock::now();
      if (now >= next_send) {
        next_send += kSendEvery;
        ++seq;
        const MarketUpdate update = record(seq, MarketUpdateType::kAdd, seq);
        ring_.claim(seq);
        ring_.write(update);
        ring_.publish(seq);
        if (!drop_.exchange(false)) {
          (void)incremental_.send(&update, sizeof(update));
        }
        last_.store(seq);
      }
      if (now >= next_snapshot) {
        next_snapshot += kSnapshotInterval;
        // A snapshot as of `seq`: its content does not change the timing (a real one carries
        // the resting orders too), only when it comes.
        const MarketUpdate snapshot[3] = {record(0, MarketUpdateType::kSnapshotStart, seq),
                                          record(1, MarketUpdateType::kClear, 0),
                                          record(2, MarketUpdateType::kSnapshotEnd, seq)};
        (void)snapshots_.send(snapshot, sizeof(snapshot));
      }
    }
  }

  llt::exchange::MdReplayRing ring_;
  llt::exchange::MdReplayServer server_;
  llt::common::McastSender incremental_;
  llt::common::McastSender snapshots_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> drop_{false};
  std::atomic<SeqNum> last_{0};
  std::thread thread_;
};

void BM_gap_recovery(benchmark::State& state, bool replay) {
  llt::bench::pin_to(llt::bench::kMainCpu);
  const llt::test::MulticastChannel channel = llt::test::random_multicast_channel();
  Feeder feeder(channel);
  llt::trading::MarketDataConsumerOptions options;
  options.group = channel.group;
  options.incremental_port = channel.port;
  options.snapshot_port = static_cast<std::uint16_t>(channel.port + 1);
  options.replay = replay;
  options.replay_port = feeder.replay_port();
  llt::trading::MarketEventQueue queue(1 << 16);
  llt::trading::MarketDataConsumer consumer(options, queue);
  const auto drain = [&] {
    while (queue.front() != nullptr) {
      queue.pop();
    }
  };
  const auto poll_until = [&](auto done, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return false;
      }
      consumer.poll();
      drain();
    }
    return true;
  };
  // In step with the stream first: the books start at seq 0 (a late start recovers from a
  // snapshot, not measured).
  if (!poll_until([&] { return consumer.stats().next_seq > 1 && !consumer.recovering(); }, 5s)) {
    state.SkipWithError("the consumer never got in step with the stream");
    return;
  }
  // A gap comes at any point of the snapshot cycle: without replay, each iteration first waits
  // a random part of the interval (else each gap would come just after the snapshot that ended
  // the previous recovery, and wait a whole interval).
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> phase_ms(0, kSnapshotInterval.count() - 1);
  llt::common::LatencyHistogram recoveries;
  const auto& histogram = consumer.sequencer().recovery_ns();  // every way a recovery ends
  for (auto _ : state) {
    const std::uint64_t before = histogram.count();
    if (!replay) {
      const auto until =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(phase_ms(rng));
      (void)poll_until([&] { return std::chrono::steady_clock::now() >= until; }, 2s);
    }
    const SeqNum at = feeder.last_seq();
    if (!poll_until([&] { return feeder.last_seq() > at + 2; }, 1s)) {
      state.SkipWithError("the feeder stalled");
      return;
    }
    feeder.drop_next();
    if (!poll_until([&] { return histogram.count() > before && !consumer.recovering(); }, 5s)) {
      state.SkipWithError("a recovery did not end");
      return;
    }
    const std::uint64_t ns = consumer.stats().last_recovery_ns;
    recoveries.record(ns);
    state.SetIterationTime(static_cast<double>(ns) / 1e9);
  }
  llt::bench::add_percentile_counters(state, recoveries);
  const auto stats = consumer.stats();
  state.counters["by_replay"] = static_cast<double>(stats.recoveries_by_replay);
  state.counters["by_snapshot"] = static_cast<double>(stats.recoveries_completed);
  state.counters["replay_failures"] =
      static_cast<double>(stats.replay_refused + stats.replay_connect_failures +
                          stats.replay_closed + stats.replay_garbage + stats.replay_timeouts);
}

BENCHMARK_CAPTURE(BM_gap_recovery, replay, true)
    ->Name("md_gap_recovery/ours")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(300);
BENCHMARK_CAPTURE(BM_gap_recovery, snapshot, false)
    ->Name("md_gap_recovery/snapshot_only")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(16);

}  // namespace

int main(int argc, char** argv) {
  return llt::bench::run_and_report(argc, argv);
}
