// The market data publisher's throughput with the replay agent on (the ring written for every
// update, the agent on the same shared thread) beside the same publisher with replay off, in
// one run: the fraction of the throughput the replay costs (docs/protocol.md, Market data
// replay). The publisher and the agent run on one runner thread (--threading shared) pinned to
// one CPU; the feeder (the engine's side of the queues) on the other.
//   md_publisher/ours            replay on, nobody asking
//   md_publisher_replaying/ours  replay on, and a client asking for 1,000 records at a time,
//                                again and again, for the whole run (served on the same thread)
//   .../replay_off               the same publisher without ring or agent

#include <atomic>
#include <chrono>
#include <cstdint>
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
