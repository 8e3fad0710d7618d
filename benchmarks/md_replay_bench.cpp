// The market data publisher's throughput with the replay agent on (the ring written for every
// update, the agent on the same shared thread) beside the same publisher with replay off, in
// one run: the fraction of the throughput the replay costs (docs/protocol.md, Market data
// replay). The publisher and the agent run on one runner thread (--threading shared) pinned to
// one CPU; the feeder (the engine's side of the queues) on the other.
//   md_publisher/ours            replay on, nobody asking
//   md_publisher_replaying/ours  replay on, and a client asking for 1,000 records at a time,
//                                again and again, for the whole run (served on the same thread)
//   .../replay_off               the same publisher without ring or agent
// On a shared, busy host those runs are noisy (another process takes the publisher's CPU for a
// while), so one more benchmark drives both publishers on the calling thread, alternating
// short trials of the same updates (off, on, on, off, ...), and prints the ratio of their
// summed thread CPU times (user + system, so time the host gave to other processes does not
// count): md_publisher_paired, counters on_over_off (< 1: replay costs throughput),
// off_updates_per_s, on_updates_per_s. "on" includes the replay agent's idle poll each pass,
// as on the exchange's shared thread.
// The floor of the ring's cost, without a publisher: batches of 34 records (a full datagram)
// stored into a ring of the default --md-replay-depth (1,048,576 records) and nothing else,
//   md_ring_store/ours        MdReplayRing (claim, write, publish), as the publisher does
//   md_ring_store/plain_copy  memcpy into packed 42-byte slots: the fewest bytes and
//                             instructions any copy of the records can take
//   md_ring_store/plain_copy_fits_l2  the same into 16,384 slots, a ring that stays in L2
// in ns per record (counter ns_per_record), beside the replay-off publisher's ns per update.

#include <time.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "benchmarks/bench_report.h"
#include "common/concurrent/agent_runner.h"
#include "exchange/exchange_messages.h"
#include "exchange/market_data/market_data_publisher.h"
#include "exchange/market_data/md_replay_ring.h"
#include "exchange/market_data/md_replay_server.h"
#include "exchange/protocol/md_replay.h"
#include "tests/support/multicast_channel.h"
#include "tests/support/tcp_connect.h"

namespace {

using namespace llt::exchange;
using llt::common::IoStatus;

constexpr std::uint64_t kUpdatesPerIteration = 1 << 18;
constexpr std::size_t kQueueCapacity = 1 << 16;

enum Mode : std::int64_t { kOff = 0, kOn = 1, kReplaying = 2 };

MarketUpdate update_of(std::uint64_t n) {
  MarketUpdate update;
  update.msg_type = MarketUpdateType::kAdd;
  update.order_id = n;
  update.ticker_id = 1;
  update.side = Side::kBuy;
  update.price = static_cast<Price>(100 + n % 16);
  update.qty = 10;
  update.priority = n;
  return update;
}

// A replay client driven by the feeder between pushes: one request of 1,000 records in flight,
// read as it arrives, the next sent when its REPLAY_END is in.
class Replayer {
 public:
  explicit Replayer(std::uint16_t port)
      : connection_(llt::test::connect_blocking("127.0.0.1", port, std::chrono::seconds(5), 1 << 20,
                                                1 << 12)) {}

  void poll(SeqNum last_published) {
    if (!in_flight_) {
      if (last_published < 2'000) {
        return;
      }
      const MdReplayRequest request{last_published - 1'500, 1'000, 0};
      if (connection_.send(&request, sizeof(request)).status == IoStatus::kOk) {
        in_flight_ = true;
        ++requests_;
      }
      return;
    }
    (void)connection_.read_some();
    while (const auto* update = connection_.peek_message<MarketUpdate>()) {
      const bool end = update->msg_type == MarketUpdateType::kReplayEnd;
      connection_.consume(sizeof(MarketUpdate));
      if (end) {
        in_flight_ = false;
        break;
      }
      ++records_;
    }
  }

  [[nodiscard]] std::uint64_t records() const { return records_; }
  [[nodiscard]] std::uint64_t requests() const { return requests_; }

 private:
  llt::common::TcpConnection connection_;
  bool in_flight_ = false;
  std::uint64_t records_ = 0;
  std::uint64_t requests_ = 0;
};

void md_publisher(benchmark::State& state) {
  const auto mode = static_cast<Mode>(state.range(0));
  const llt::test::MulticastChannel channel = llt::test::random_multicast_channel();
  MarketDataPublisherOptions options;
  options.group = channel.group;
  options.port = channel.port;
  UpdateQueue updates(kQueueCapacity);
  PublishedUpdateQueue published(kQueueCapacity);
  MarketDataPublisher publisher(options, updates, published);
  std::unique_ptr<MdReplayRing> ring;
  std::unique_ptr<MdReplayServer> server;
  std::vector<llt::common::Agent*> agents{&publisher};
  if (mode != kOff) {
    ring = std::make_unique<MdReplayRing>(std::size_t{1} << 20);  // the exchange's default
    server = std::make_unique<MdReplayServer>(MdReplayServerOptions{}, *ring);
    publisher.set_replay_ring(ring.get());
    agents.push_back(server.get());
  }
  llt::common::AgentRunner runner(
      agents, llt::common::RunnerOptions{.threading = llt::common::ThreadingMode::kShared,
                                         .idle = llt::common::IdleMode::kSpin,
                                         .backoff = {},
                                         .cpus = {llt::bench::kPeerCpu},
                                         .name = "md-bench"});
  runner.start();
  llt::bench::pin_to(llt::bench::kMainCpu);
  std::optional<Replayer> replayer;
  if (mode == kReplaying) {
    replayer.emplace(server->port());
  }

  std::uint64_t fed = 0;
  for (auto _ : state) {
    const std::uint64_t target = fed + kUpdatesPerIteration;
    while (publisher.stats().updates_published < target) {
      for (int i = 0; i < 64 && fed < target; ++i) {
        if (!updates.try_push(MatchingUpdate{update_of(fed + 1), HopTicks{}})) {
          break;
        }
        ++fed;
      }
      while (published.front() != nullptr) {
        published.pop();
      }
      if (replayer) {
        replayer->poll(publisher.stats().last_seq);
      }
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kUpdatesPerIteration));
  const MarketDataPublisherStats stats = publisher.stats();
  state.counters["updates_per_datagram"] =
      stats.datagrams > 0
          ? static_cast<double>(stats.updates_published) / static_cast<double>(stats.datagrams)
          : 0.0;
  if (replayer) {
    state.counters["replayed_records"] = static_cast<double>(replayer->records());
    state.counters["replay_requests"] = static_cast<double>(replayer->requests());
  }
  replayer.reset();
  runner.stop();
}

// One publisher and its queues, driven by the calling thread.
struct PairedSide {
  PairedSide(bool replay, const llt::test::MulticastChannel& channel)
      : updates(kQueueCapacity),
        published(kQueueCapacity),
        publisher(options_of(channel), updates, published) {
    if (replay) {
      ring = std::make_unique<MdReplayRing>(std::size_t{1} << 20);
      server = std::make_unique<MdReplayServer>(MdReplayServerOptions{}, *ring);
      publisher.set_replay_ring(ring.get());
      server->on_start();
    }
    publisher.on_start();
  }

  static MarketDataPublisherOptions options_of(const llt::test::MulticastChannel& channel) {
    MarketDataPublisherOptions options;
    options.group = channel.group;
    options.port = channel.port;
    return options;
  }

  // The calling thread's CPU time (user and system), ns: time the host gave to another
  // process does not count.
  static std::uint64_t thread_cpu_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000ULL +
           static_cast<std::uint64_t>(now.tv_nsec);
  }

  // Publishes `count` more updates; returns the thread's CPU nanoseconds it took.
  std::uint64_t run(std::uint64_t count) {
    const std::uint64_t start = thread_cpu_ns();
    const std::uint64_t target = fed + count;
    while (publisher.stats().updates_published < target) {
      for (std::size_t i = 0; i < kMaxUpdatesPerDatagram * 8 && fed < target; ++i) {
        if (!updates.try_push(MatchingUpdate{update_of(fed + 1), HopTicks{}})) {
          break;
        }
        ++fed;
      }
      (void)publisher.poll();
      if (server) {
        (void)server->poll();
      }
      while (published.front() != nullptr) {
        published.pop();
      }
    }
    return thread_cpu_ns() - start;
  }

  UpdateQueue updates;
  PublishedUpdateQueue published;
  MarketDataPublisher publisher;
  std::unique_ptr<MdReplayRing> ring;
  std::unique_ptr<MdReplayServer> server;
  std::uint64_t fed = 0;
};

void md_publisher_paired(benchmark::State& state) {
  constexpr std::uint64_t kTrial = 1 << 14;
  llt::bench::pin_to(llt::bench::kMainCpu);
  PairedSide off(false, llt::test::random_multicast_channel());
  PairedSide on(true, llt::test::random_multicast_channel());
  std::uint64_t off_ns = 0;
  std::uint64_t on_ns = 0;
  std::uint64_t trials = 0;
  for (auto _ : state) {
    for (int i = 0; i < 8; ++i, ++trials) {
      if (trials % 2 == 0) {
        off_ns += off.run(kTrial);
        on_ns += on.run(kTrial);
      } else {
        on_ns += on.run(kTrial);
        off_ns += off.run(kTrial);
      }
    }
  }
  const double updates = static_cast<double>(trials * kTrial);
  state.SetItemsProcessed(static_cast<std::int64_t>(2 * trials * kTrial));
  state.counters["off_updates_per_s"] =
      off_ns > 0 ? updates * 1e9 / static_cast<double>(off_ns) : 0;
  state.counters["on_updates_per_s"] = on_ns > 0 ? updates * 1e9 / static_cast<double>(on_ns) : 0;
  state.counters["on_over_off"] =
      on_ns > 0 ? static_cast<double>(off_ns) / static_cast<double>(on_ns) : 0;
}

BENCHMARK(md_publisher_paired)->UseRealTime()->Unit(benchmark::kMillisecond);

// state.range(0): 0 MdReplayRing, 1 plain copy into packed slots; state.range(1): depth.
void md_ring_store(benchmark::State& state) {
  constexpr std::size_t kBatch = kMaxUpdatesPerDatagram;
  const auto depth = static_cast<std::size_t>(state.range(1));
  llt::bench::pin_to(llt::bench::kMainCpu);
  std::array<MarketUpdate, kBatch> batch{};
  for (std::size_t i = 0; i < kBatch; ++i) {
    batch[i] = update_of(i + 1);
  }
  std::unique_ptr<MdReplayRing> ring;
  std::vector<unsigned char> packed;
  if (state.range(0) == 0) {
    ring = std::make_unique<MdReplayRing>(depth);
  } else {
    packed.assign(depth * sizeof(MarketUpdate), 1);  // written once: the pages are resident
  }
  SeqNum seq = 0;
  std::size_t slot = 0;
  constexpr std::uint64_t kBatches = kUpdatesPerIteration / kBatch;
  for (auto _ : state) {
    for (std::uint64_t batch_number = 0; batch_number < kBatches; ++batch_number) {
      for (MarketUpdate& update : batch) {
        update.seq_num = ++seq;
      }
      if (ring) {
        ring->claim(seq);
        ring->write(batch.data(), kBatch);
        ring->publish(seq);
      } else {
        for (const MarketUpdate& update : batch) {
          std::memcpy(packed.data() + slot * sizeof(MarketUpdate), &update, sizeof(MarketUpdate));
          slot = slot + 1 == depth ? 0 : slot + 1;
        }
        benchmark::ClobberMemory();
      }
    }
  }
  const auto records = static_cast<double>(state.iterations() * kBatches * kBatch);
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
  state.counters["ns_per_record"] =
      benchmark::Counter(records, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK(md_ring_store)
    ->Name("md_ring_store/ours")
    ->Args({0, std::int64_t{1} << 20})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(md_ring_store)
    ->Name("md_ring_store/plain_copy")
    ->Args({1, std::int64_t{1} << 20})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(md_ring_store)
    ->Name("md_ring_store/plain_copy_fits_l2")
    ->Args({1, std::int64_t{1} << 14})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK(md_publisher)
    ->Name("md_publisher/ours")
    ->Arg(kOn)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(md_publisher)
    ->Name("md_publisher/replay_off")
    ->Arg(kOff)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(md_publisher)
    ->Name("md_publisher_replaying/ours")
    ->Arg(kReplaying)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(md_publisher)
    ->Name("md_publisher_replaying/replay_off")
    ->Arg(kOff)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  return llt::bench::run_and_report(argc, argv);
}
