// e2e_latency: end-to-end latency on loopback, through the real agents, beside the floor of
// this machine measured in the same run on the project's own sockets (docs/latency.md,
// Benchmarks).
//
// Scenarios, for each idle strategy asked for (--idle spin|backoff|block|both|all):
//  1. Floors. tcp_pingpong: a 40-byte message to a TcpServer agent that echoes it, round trip
//     (TcpConnection on the client). udp_one_way: the same agent, on each 40-byte request,
//     stamps now_ticks() into a 42-byte datagram just before McastSender::send; the client's
//     McastReceiver decodes it and reads the clock: one-way = decode - stamp.
//  2. order_round_trip: the whole exchange (ExchangeApp: order server, sequencer, matching
//     engine, publisher, snapshot synthesizer); the client sends NEW and reads ACCEPTED. Then
//     the same with --journal-dir in the temp dir, --journal-sync none and batch (every request
//     written, and for batch fdatasync'ed, before it reaches the engine), and with --io uring.
//  3. md_one_way: the same agents (wired as ExchangeApp wires them, plus an observer agent
//     that reads the engine's stamp off each update, see e2e_tapped_exchange.h); the client
//     sends NEW / CANCEL and decodes the ADD / CANCEL datagram: one-way = decode time - the
//     engine's stamp (MatchingUpdate::ticks.engine_in_ticks, when the engine took the request
//     that caused the update). Same clock (invariant TSC, shared by the cores) on both ends.
//  4. tick_to_trade: the trading client (TradingApp: market data consumer, trade engine with
//     the liquidity taker, order gateway) against a real ExchangeApp, fed by a McastSender this
//     binary controls: every other tick moves the book imbalance so that the taker sends
//     exactly one order (an IOC, which expires); the ticks between reset the book. The figure is
//     the gateway's own md_read_to_order_sent histogram: rdtsc when the consumer read the datagram
//     -> rdtsc just before the gateway's send() of the order (recorded once that send() succeeded;
//     the send() itself is the kernel's and not included). Its parts (read -> trade engine, trade
//     engine -> order handed to send()) and the cost of one 40-byte TCP send() call on this machine
//     are printed beside it.
//
// Across a link (--server-netns NS:ADDR --client-netns NS:ADDR, docs/deployment.md): the
// server side (floor agent, exchange) creates its sockets inside network namespace NS on ADDR
// (order entry listens there, multicast leaves through it) and the measuring client creates
// its own inside the other namespace, joining and connecting from its ADDR; the threads stay
// in this process, so both ends read the same TSC. Scenarios 1-3 only.
//
// Threads: every agent group in --threading shared on one thread: the exchange (or floor
// agent) pinned to CPU 0 and the measuring client on CPU 1; for tick_to_trade the trading
// client on CPU 1 and the exchange (backoff) and the feed on CPU 0. The client always
// busy-polls; --idle sets the agents' idle strategy.

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "benchmarks/bench_report.h"
#include "benchmarks/e2e_tapped_exchange.h"
#include "common/concurrent/agent.h"
#include "common/concurrent/agent_runner.h"
#include "common/net/mcast_socket.h"
#include "common/net/tcp_connection.h"
#include "common/net/tcp_server.h"
#include "common/stats/latency_histogram.h"
#include "common/time/tsc_clock.h"
#include "exchange/exchange_app.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/market_update.h"
#include "tests/support/multicast_channel.h"
#include "tests/support/tcp_connect.h"
#include "trading/engine/trade_engine.h"
#include "trading/market_data/market_data_consumer.h"
#include "trading/order_gateway/order_gateway.h"
#include "trading/trading_app.h"

namespace {

using llt::common::IdleMode;
using llt::common::IoStatus;
using llt::common::LatencyHistogram;
using llt::common::TcpConnection;
using llt::common::TscClock;
using llt::exchange::ClientRequest;
using llt::exchange::ClientRequestType;
using llt::exchange::ClientResponse;
using llt::exchange::ClientResponseType;
using llt::exchange::MarketUpdate;
using llt::exchange::MarketUpdateType;

constexpr int kAgentCpu = 0;
constexpr int kClientCpu = 1;
constexpr llt::exchange::TickerId kTicker = 1;
constexpr std::size_t kBufferBytes = 1 << 16;
constexpr auto kWaitLimit = std::chrono::seconds(2);  // per message: a lost one is an error

// A network namespace (a file of /run/netns, as `ip netns add` makes them) and the address
// the side uses in it; both empty: this process's own namespace on loopback.
struct NetSide {
  std::string netns;
  std::string address = "127.0.0.1";
};

struct Config {
  NetSide server;
  NetSide client;
  std::vector<IdleMode> idle_modes{IdleMode::kSpin, IdleMode::kBackoff};
  std::uint64_t samples = 20'000;  // round trips / one-ways per scenario
  std::uint64_t warmup = 2'000;
  std::uint64_t ticks = 4'000;  // tick_to_trade: market data ticks that each make one order
  bool help = false;            // -h / --help: print the usage and exit 0
};

const TscClock& clock_ref() {
  return TscClock::instance();
}

using Channel = llt::test::MulticastChannel;
using llt::test::random_multicast_channel;

// Where sockets are made: the calling thread enters a side's namespace for the scope of one
// of these (setns), and returns to the namespace it started in. A socket stays in the
// namespace it was created in, whichever thread uses it later.
class NetScope {
 public:
  static void configure(const Config& config) {
    server_ = config.server;
    client_ = config.client;
    if (!server_.netns.empty()) {
      home_fd_ = open_ns("/proc/thread-self/ns/net");
      server_fd_ = open_ns("/run/netns/" + server_.netns);
      client_fd_ = open_ns("/run/netns/" + client_.netns);
    }
  }
  static const NetSide& server() { return server_; }
  static const NetSide& client() { return client_; }
  static bool across_link() { return home_fd_ >= 0; }

  explicit NetScope(bool server_side) : active_(home_fd_ >= 0) {
    if (active_) {
      enter(server_side ? server_fd_ : client_fd_);
    }
  }
  ~NetScope() {
    // Staying in the other side's namespace would make every later socket wrong: stop.
    if (active_ && ::setns(home_fd_, CLONE_NEWNET) != 0) {
      std::fputs("e2e_latency: cannot return to the starting network namespace\n", stderr);
      std::abort();
    }
  }
  NetScope(const NetScope&) = delete;
  NetScope& operator=(const NetScope&) = delete;
  NetScope(NetScope&&) = delete;
  NetScope& operator=(NetScope&&) = delete;

 private:
  static int open_ns(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      throw std::runtime_error(
          fmt::format("{}: cannot open it (errno {}): is the namespace "
                      "there (scripts/netlab.sh up) and are we root?",
                      path, errno));
    }
    return fd;
  }
  static void enter(int fd) {
    if (::setns(fd, CLONE_NEWNET) != 0) {
      throw std::runtime_error(fmt::format("setns failed (errno {})", errno));
    }
  }

  bool active_;
  static inline NetSide server_;
  static inline NetSide client_;
  static inline int home_fd_ = -1;
  static inline int server_fd_ = -1;
  static inline int client_fd_ = -1;
};

// Client-side sockets: in the client's namespace, on its address.
llt::common::McastReceiver make_receiver(const Channel& channel) {
  const NetScope scope(false);
  return llt::common::McastReceiver(channel.group, channel.port, NetScope::client().address);
}

TcpConnection connect_to_server(std::uint16_t port) {
  const NetScope scope(false);
  return llt::test::connect_blocking(NetScope::server().address, port, std::chrono::seconds(5),
                                     kBufferBytes, kBufferBytes);
}

std::string_view idle_name(IdleMode mode) {
  return llt::common::to_string(mode);
}

// Bounded busy-wait: throws when `limit` passes, so a lost message ends the run with a reason.
class Deadline {
 public:
  explicit Deadline(std::chrono::nanoseconds limit)
      : end_(clock_ref().now_ticks() +
             static_cast<std::uint64_t>(static_cast<double>(limit.count()) *
                                        clock_ref().ticks_per_ns())) {}
  void check(const char* what) const {
    if (clock_ref().now_ticks() > end_) {
      throw std::runtime_error(fmt::format("timed out waiting for {}", what));
    }
  }

 private:
  std::uint64_t end_;
};

// Reads the connection until one whole Msg is buffered, then returns it (consumed).
template <class Msg>
Msg read_message(TcpConnection& connection, const char* what) {
  const Deadline deadline(kWaitLimit);
  for (;;) {
    if (const Msg* msg = connection.peek_message<Msg>()) {
      Msg copy;
      std::memcpy(&copy, msg, sizeof copy);
      connection.consume(sizeof copy);
      return copy;
    }
    const auto result = connection.read_some();
    if (result.status == IoStatus::kClosed || result.status == IoStatus::kError) {
      throw std::runtime_error(fmt::format("connection closed waiting for {}", what));
    }
    deadline.check(what);
  }
}

void send_all(TcpConnection& connection, const void* data, std::size_t size) {
  if (connection.send(data, size).status != IoStatus::kOk) {
    throw std::runtime_error("send failed");
  }
}

// Decodes one multicast datagram of whole MarketUpdates; returns false for anything else.
bool decode_datagram(const unsigned char* data, std::size_t size, MarketUpdate& first) {
  if (size == 0 || size % sizeof(MarketUpdate) != 0) {
    return false;
  }
  std::memcpy(&first, data, sizeof first);
  return llt::exchange::is_wire_type(first.msg_type);
}

// ---- Floors ---------------------------------------------------------------------------------

// The floor's server agent: echoes every 40-byte message; with a McastSender it first sends
// a 42-byte datagram carrying now_ticks() (stamped just before the send) in `priority`.
class FloorAgent final : public llt::common::Agent {
 public:
  explicit FloorAgent(std::optional<Channel> channel) : server_(server_options()) {
    if (channel) {
      sender_.emplace(channel->group, channel->port, NetScope::server().address);
    }
  }

  int poll() override { return server_.poll(*this); }
  [[nodiscard]] std::string_view name() const override { return "floor"; }
  void on_wait_set(llt::common::WaitSet& waits) override { (void)waits.watch(server_.wait_fd()); }
  [[nodiscard]] std::uint16_t port() const { return server_.port(); }

  void on_accept(llt::common::TcpConnectionId, TcpConnection&) {}
  void on_closed(llt::common::TcpConnectionId) {}
  void on_data(llt::common::TcpConnectionId, TcpConnection& connection) {
    connection.for_each_message<ClientRequest>([&](const ClientRequest& request) {
      if (sender_) {
        MarketUpdate update{};
        update.msg_type = MarketUpdateType::kAdd;
        update.order_id = request.order_id;
        update.ticker_id = request.ticker_id;
        update.side = request.side;
        update.price = request.price;
        update.qty = request.qty;
        update.priority = clock_ref().now_ticks();
        (void)sender_->send(&update, sizeof update);
      }
      (void)connection.send(&request, sizeof request);
    });
  }

 private:
  static llt::common::TcpServerOptions server_options() {
    llt::common::TcpServerOptions options;
    options.address = NetScope::server().address;
    options.max_connections = 4;
    return options;
  }

  llt::common::TcpServer server_;
  std::optional<llt::common::McastSender> sender_;
};

llt::common::RunnerOptions agent_runner_options(IdleMode idle, const char* name) {
  llt::common::RunnerOptions options;
  options.threading = llt::common::ThreadingMode::kShared;
  options.idle = idle;
  options.cpus = {kAgentCpu};
  options.name = name;
  return options;
}

ClientRequest make_request(ClientRequestType type, std::uint64_t seq, std::uint64_t order_id) {
  ClientRequest request{};
  request.seq_num = seq;
  request.msg_type = type;
  request.client_id = 1;
  request.ticker_id = kTicker;
  request.order_id = order_id;
  request.side = llt::exchange::Side::kBuy;
  request.price = 9'000 + static_cast<std::int64_t>(order_id % 64);  // passive: never trades
  request.qty = 10;
  return request;
}

struct FloorResult {
  LatencyHistogram round_trip;
  LatencyHistogram send_call;  // TcpConnection::send of 40 bytes, as the client timed it
  LatencyHistogram one_way;
  LatencyHistogram empty_read;  // a read that finds nothing (EAGAIN): TCP read_some / UDP recv
};

FloorResult run_tcp_floor(IdleMode idle, const Config& config) {
  std::optional<FloorAgent> agent_storage;
  {
    const NetScope scope(true);
    agent_storage.emplace(std::nullopt);
  }
  FloorAgent& agent = *agent_storage;
  llt::common::AgentRunner runner({&agent}, agent_runner_options(idle, "floor"));
  runner.start();
  llt::bench::pin_to(kClientCpu);
  TcpConnection connection = connect_to_server(agent.port());
  FloorResult result;
  const TscClock& clock = clock_ref();
  for (std::uint64_t i = 0; i < config.warmup + config.samples; ++i) {
    const ClientRequest request = make_request(ClientRequestType::kNew, i + 1, i + 1);
    const std::uint64_t r0 = clock.now_ticks();
    const auto empty = connection.read_some();
    const std::uint64_t r1 = clock.now_ticks();
    if (empty.status == IoStatus::kWouldBlock && i >= config.warmup) {
      result.empty_read.record(clock.elapsed_ns(r0, r1));
    }
    const std::uint64_t t0 = clock.now_ticks();
    send_all(connection, &request, sizeof request);
    const std::uint64_t t1 = clock.now_ticks();
    const ClientRequest echo = read_message<ClientRequest>(connection, "the echo");
    const std::uint64_t t2 = clock.now_ticks();
    if (echo.seq_num != request.seq_num) {
      throw std::runtime_error("echo out of order");
    }
    if (i >= config.warmup) {
      result.send_call.record(clock.elapsed_ns(t0, t1));
      result.round_trip.record(clock.elapsed_ns(t0, t2));
    }
  }
  connection.close();
  runner.stop();
  return result;
}

FloorResult run_udp_floor(IdleMode idle, const Config& config) {
  const Channel channel = random_multicast_channel();
  llt::common::McastReceiver receiver = make_receiver(channel);
  std::optional<FloorAgent> agent_storage;
  {
    const NetScope scope(true);
    agent_storage.emplace(channel);
  }
  FloorAgent& agent = *agent_storage;
  llt::common::AgentRunner runner({&agent}, agent_runner_options(idle, "floor"));
  runner.start();
  llt::bench::pin_to(kClientCpu);
  TcpConnection connection = connect_to_server(agent.port());
  FloorResult result;
  const TscClock& clock = clock_ref();
  alignas(64) unsigned char buffer[2048];
  for (std::uint64_t i = 0; i < config.warmup + config.samples; ++i) {
    const ClientRequest request = make_request(ClientRequestType::kNew, i + 1, i + 1);
    const std::uint64_t r0 = clock.now_ticks();
    const auto empty = receiver.receive(buffer, sizeof buffer);
    const std::uint64_t r1 = clock.now_ticks();
    if (empty.status == IoStatus::kWouldBlock && i >= config.warmup) {
      result.empty_read.record(clock.elapsed_ns(r0, r1));
    }
    send_all(connection, &request, sizeof request);
    const Deadline deadline(kWaitLimit);
    for (;;) {
      const auto got = receiver.receive(buffer, sizeof buffer);
      if (got.ok()) {
        MarketUpdate update;
        if (decode_datagram(buffer, got.bytes, update) && update.order_id == request.order_id) {
          const std::uint64_t now = clock.now_ticks();
          if (i >= config.warmup) {
            result.one_way.record(clock.elapsed_ns(update.priority, now));
          }
          break;
        }
      }
      deadline.check("the floor datagram");
    }
    (void)read_message<ClientRequest>(connection, "the echo");
  }
  connection.close();
  runner.stop();
  return result;
}

// ---- Exchange -------------------------------------------------------------------------------

// journal_dir empty: no journal; else --journal-dir (sync none, or batch with sync_batch).
llt::exchange::ExchangeOptions exchange_options(IdleMode idle, const Channel& md,
                                                const std::string& journal_dir = {},
                                                bool sync_batch = false) {
  llt::exchange::ExchangeOptions options;
  options.journal_dir = journal_dir;
  options.journal_sync_batch = sync_batch;
  options.port = 0;
  options.listen_addr = NetScope::server().address;
  options.market_data.interface = NetScope::server().address;
  options.market_data.multicast_addr = md.group;
  options.market_data.multicast_port = md.port;
  options.market_data.snapshot_port = static_cast<std::uint16_t>(md.port + 1);
  options.tickers = {kTicker};
  options.max_orders = 65'536;
  options.process.threading = llt::common::ThreadingMode::kShared;
  options.process.idle = idle;
  options.process.cpus = {kAgentCpu};
  options.process.stats_interval_s = 0;
  return options;
}

// One logged-on order entry session; one request in flight at a time.
class OrderClient {
 public:
  explicit OrderClient(std::uint16_t port) : connection_(connect_to_server(port)) {
    ClientRequest logon{};
    logon.seq_num = seq_ + 1;  // carries the next request number, takes none
    logon.msg_type = ClientRequestType::kLogon;
    logon.client_id = 1;
    send_all(connection_, &logon, sizeof logon);
    if (next_response("LOGON_ACCEPTED").msg_type != ClientResponseType::kLogonAccepted) {
      throw std::runtime_error("logon refused");
    }
  }

  // Returns the time just before the send (now_ticks).
  std::uint64_t send(ClientRequestType type, std::uint64_t order_id) {
    const ClientRequest request = make_request(type, ++seq_, order_id);
    const std::uint64_t t0 = clock_ref().now_ticks();
    send_all(connection_, &request, sizeof request);
    return t0;
  }

  // The next response that is not a HEARTBEAT; throws unless it has type `expected`.
  ClientResponse expect(ClientResponseType expected, const char* what) {
    const ClientResponse response = next_response(what);
    if (response.msg_type != expected) {
      throw std::runtime_error(fmt::format("expected {}, got response type {} (reject {})", what,
                                           static_cast<int>(response.msg_type),
                                           static_cast<int>(response.reject_reason)));
    }
    return response;
  }

 private:
  ClientResponse next_response(const char* what) {
    for (;;) {
      const ClientResponse response = read_message<ClientResponse>(connection_, what);
      if (response.msg_type != ClientResponseType::kHeartbeat) {
        return response;
      }
    }
  }

  TcpConnection connection_;
  std::uint64_t seq_ = 0;
};

// journal: 0 none, 1 --journal-sync none, 2 --journal-sync batch (in a fresh temp directory).
// io: the exchange's --io.
LatencyHistogram run_order_round_trip(IdleMode idle, const Config& config, int journal = 0,
                                      llt::common::IoBackend io = llt::common::IoBackend::kEpoll) {
  const std::filesystem::path journal_dir =
      journal == 0 ? std::filesystem::path()
                   : std::filesystem::temp_directory_path() /
                         ("llt_e2e_journal_" + std::to_string(::getpid()));
  if (journal != 0) {
    std::filesystem::remove_all(journal_dir);
  }
  std::optional<llt::exchange::ExchangeApp> app_storage;
  {
    const NetScope scope(true);
    llt::exchange::ExchangeOptions options =
        exchange_options(idle, random_multicast_channel(), journal_dir.string(), journal == 2);
    options.io = io;
    app_storage.emplace(options);
    app_storage->start();
  }
  llt::exchange::ExchangeApp& app = *app_storage;
  llt::bench::pin_to(kClientCpu);
  LatencyHistogram round_trip;
  {
    OrderClient client(app.port());
    const TscClock& clock = clock_ref();
    for (std::uint64_t i = 0; i < config.warmup + config.samples; ++i) {
      const std::uint64_t order_id = i + 1;
      const std::uint64_t t0 = client.send(ClientRequestType::kNew, order_id);
      (void)client.expect(ClientResponseType::kAccepted, "ACCEPTED");
      const std::uint64_t t1 = clock.now_ticks();
      if (i >= config.warmup) {
        round_trip.record(clock.elapsed_ns(t0, t1));
      }
      (void)client.send(ClientRequestType::kCancel, order_id);
      (void)client.expect(ClientResponseType::kCanceled, "CANCELED");
    }
  }
  app.stop();
  if (journal != 0) {
    std::filesystem::remove_all(journal_dir);
  }
  return round_trip;
}

struct MdResult {
  LatencyHistogram one_way;
  std::uint64_t unmatched = 0;  // updates whose engine stamp the tap did not see
};

MdResult run_md_one_way(IdleMode idle, const Config& config) {
  const Channel md = random_multicast_channel();
  llt::common::McastReceiver receiver = make_receiver(md);
  std::optional<llt::bench::TappedExchange> exchange_storage;
  {
    const NetScope scope(true);
    exchange_storage.emplace(exchange_options(idle, md));
    exchange_storage->start();
  }
  llt::bench::TappedExchange& exchange = *exchange_storage;
  llt::bench::pin_to(kClientCpu);
  MdResult result;
  const TscClock& clock = clock_ref();
  alignas(64) unsigned char buffer[2048];
  // Waits for the update of `type` about market order `market_id` and records its one-way.
  auto await_update = [&](MarketUpdateType type, std::uint64_t market_id, bool record) {
    const Deadline deadline(kWaitLimit);
    for (;;) {
      const auto got = receiver.receive(buffer, sizeof buffer);
      if (got.ok()) {
        MarketUpdate update;
        if (decode_datagram(buffer, got.bytes, update) && update.msg_type == type &&
            update.order_id == market_id) {
          const std::uint64_t now = clock.now_ticks();
          const std::uint64_t engine = exchange.tap().engine_ticks(update.order_id, type);
          if (record) {
            if (engine == 0) {
              ++result.unmatched;
            } else {
              result.one_way.record(clock.elapsed_ns(engine, now));
            }
          }
          return;
        }
      }
      deadline.check("a market data update");
    }
  };
  {
    OrderClient client(exchange.port());
    for (std::uint64_t i = 0; i < config.warmup + config.samples / 2; ++i) {
      const std::uint64_t order_id = i + 1;
      const bool record = i >= config.warmup;
      (void)client.send(ClientRequestType::kNew, order_id);
      // The publisher sends the ADD in the same runner pass as the engine made it; the order
      // server sends ACCEPTED on the next pass. Read the datagram first, then the response.
      // The market order id is learnt from ACCEPTED, so match the ADD by arrival order: one
      // order in flight, and a record's order id is checked against the tap's.
      const Deadline deadline(kWaitLimit);
      MarketUpdate add{};
      std::uint64_t add_now = 0;
      for (;;) {
        const auto got = receiver.receive(buffer, sizeof buffer);
        if (got.ok() && decode_datagram(buffer, got.bytes, add) &&
            add.msg_type == MarketUpdateType::kAdd) {
          add_now = clock.now_ticks();
          break;
        }
        deadline.check("the ADD update");
      }
      const ClientResponse accepted = client.expect(ClientResponseType::kAccepted, "ACCEPTED");
      if (accepted.market_order_id != add.order_id) {
        throw std::runtime_error("the ADD is not the order just sent");
      }
      if (record) {
        const std::uint64_t engine = exchange.tap().engine_ticks(add.order_id, add.msg_type);
        if (engine == 0) {
          ++result.unmatched;
        } else {
          result.one_way.record(clock.elapsed_ns(engine, add_now));
        }
      }
      (void)client.send(ClientRequestType::kCancel, order_id);
      await_update(MarketUpdateType::kCancel, accepted.market_order_id, record);
      (void)client.expect(ClientResponseType::kCanceled, "CANCELED");
    }
  }
  exchange.stop();
  return result;
}

// ---- Tick to trade --------------------------------------------------------------------------

struct TickToTradeResult {
  LatencyHistogram md_read_to_order_sent;
  LatencyHistogram md_read_to_engine_in;
  LatencyHistogram engine_in_to_order_sent;
  std::uint64_t ticks = 0;
  std::uint64_t unanswered_ticks = 0;  // ticks after which the strategy sent nothing
};

TickToTradeResult run_tick_to_trade(IdleMode idle, const Config& config) {
  llt::exchange::ExchangeApp exchange(
      exchange_options(IdleMode::kBackoff, random_multicast_channel()));
  exchange.start();
  const Channel feed = random_multicast_channel();
  llt::common::McastSender sender(feed.group, feed.port);

  llt::trading::TradingOptions options;
  options.port = exchange.port();
  options.client_id = 7;
  options.market_data.multicast_addr = feed.group;
  options.market_data.multicast_port = feed.port;
  options.market_data.snapshot_port = static_cast<std::uint16_t>(feed.port + 1);
  options.strategy = "liquidity-taker";
  options.signal_threshold = 0.2;
  options.tickers = {kTicker};
  options.process.threading = llt::common::ThreadingMode::kShared;
  options.process.idle = idle;
  options.process.cpus = {kClientCpu};
  options.process.stats_interval_s = 0;
  llt::trading::TradingApp trading(options);
  trading.start();
  llt::bench::pin_to(kAgentCpu);

  auto wait_until = [](auto&& done, std::chrono::milliseconds limit, const char* what) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) {
        throw std::runtime_error(fmt::format("timed out waiting for {}", what));
      }
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  };
  wait_until([&] { return trading.gateway().logged_on(); }, std::chrono::seconds(5),
             "the trading client's logon");

  // Quiet: every request answered (LOGON_ACCEPTED answered a LOGON that requests_sent does
  // not count: `offset`), and nothing new sent for three checks in a row.
  const auto at_logon = trading.gateway().counters();
  const std::uint64_t offset =
      at_logon.responses_received - at_logon.heartbeats_received - at_logon.requests_sent;
  auto answered_all = [&](std::uint64_t& sent) {
    const auto c = trading.gateway().counters();
    const std::uint64_t answered = c.responses_received - c.heartbeats_received - offset;
    const bool quiet = c.requests_sent == sent && answered >= c.requests_sent;
    sent = c.requests_sent;
    return quiet;
  };
  std::uint64_t seq = 0;
  auto wait_quiet = [&] {
    // First the consumer must have read every datagram sent (the trading thread may be
    // descheduled by other work on this CPU); then the session must go quiet.
    const auto read_end = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    while (trading.consumer().stats().incremental_datagrams < seq &&
           std::chrono::steady_clock::now() < read_end) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    std::uint64_t sent = trading.gateway().counters().requests_sent;
    int quiet_checks = 0;
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    while (quiet_checks < 3 && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      quiet_checks = answered_all(sent) ? quiet_checks + 1 : 0;
    }
  };

  auto publish = [&](MarketUpdateType type, std::uint64_t order_id, llt::exchange::Side side,
                     std::int64_t price, llt::exchange::Qty qty) {
    MarketUpdate update{};
    update.seq_num = ++seq;
    update.msg_type = type;
    update.order_id = order_id;
    update.ticker_id = kTicker;
    update.side = side;
    update.price = price;
    update.qty = qty;
    update.priority = 1;
    while (sender.send(&update, sizeof update).status == IoStatus::kWouldBlock) {
    }
  };
  // A two-sided book, 9,900 x 10,100, 100 each side; the mid never moves, so the fair value
  // stays on it and the signal is 0.3 * imbalance. A cycle of four ticks: 1000 more on the bid
  // (imbalance 0.83: the liquidity taker, threshold 0.2, sends an IOC buy), its removal, 1000
  // more on the ask (an IOC sell), its removal. Nobody trades against the IOCs on the real
  // exchange, so each expires; the removals send nothing (the taker has no resting order to
  // cancel) and only reset the book, so only the even ticks are counted.
  publish(MarketUpdateType::kAdd, 1, llt::exchange::Side::kBuy, 9'900, 100);
  publish(MarketUpdateType::kAdd, 2, llt::exchange::Side::kSell, 10'100, 100);
  wait_quiet();
  TickToTradeResult result;
  std::uint64_t next_id = 3;
  for (std::uint64_t tick = 0; tick < 2 * config.ticks; ++tick) {
    const std::uint64_t before = trading.gateway().counters().requests_sent;
    const auto side = tick % 4 < 2 ? llt::exchange::Side::kBuy : llt::exchange::Side::kSell;
    const std::int64_t price = side == llt::exchange::Side::kBuy ? 9'900 : 10'100;
    const bool order_tick = tick % 2 == 0;
    if (order_tick) {
      publish(MarketUpdateType::kAdd, next_id, side, price, 1'000);
    } else {
      publish(MarketUpdateType::kCancel, next_id++, side, price, 1'000);
    }
    wait_quiet();
    if (!order_tick) {
      continue;
    }
    ++result.ticks;
    if (trading.gateway().counters().requests_sent == before) {
      ++result.unanswered_ticks;
    }
  }
  trading.stop();
  exchange.stop();
  if (std::getenv("E2E_VERBOSE") != nullptr) {
    std::fprintf(stderr, "%s", trading.summary().c_str());
  }
  result.md_read_to_order_sent = trading.gateway().md_read_to_order_sent();
  result.md_read_to_engine_in = trading.engine().md_read_to_engine_in();
  result.engine_in_to_order_sent = trading.gateway().engine_in_to_order_sent();
  return result;
}

// ---- Report ---------------------------------------------------------------------------------

struct Row {
  std::string scenario;
  std::string idle;
  LatencyHistogram histogram;
  const LatencyHistogram* floor = nullptr;
  std::string floor_name;
  std::string target;  // e.g. "p50<=1.5x p99<=3x"
  double max_p50_ratio = 0;
  double max_p99_ratio = 0;
  std::uint64_t max_p50_ns = 0;
  std::uint64_t max_p99_ns = 0;
};

std::string verdict(const Row& row) {
  if (row.target.empty()) {
    return "";
  }
  const auto p50 = static_cast<double>(row.histogram.percentile(50));
  const auto p99 = static_cast<double>(row.histogram.percentile(99));
  bool holds = true;
  if (row.floor != nullptr) {
    const auto f50 = static_cast<double>(row.floor->percentile(50));
    const auto f99 = static_cast<double>(row.floor->percentile(99));
    holds = holds && (row.max_p50_ratio == 0 || p50 <= row.max_p50_ratio * f50);
    holds = holds && (row.max_p99_ratio == 0 || p99 <= row.max_p99_ratio * f99);
  }
  holds = holds && (row.max_p50_ns == 0 || p50 < static_cast<double>(row.max_p50_ns));
  holds = holds && (row.max_p99_ns == 0 || p99 < static_cast<double>(row.max_p99_ns));
  return holds ? "yes" : "NO";
}

void print_table(const std::vector<std::unique_ptr<Row>>& rows) {
  std::printf("\n%-30s %-8s %8s %9s %9s %9s %9s %-14s %8s %8s  %-22s %s\n", "scenario", "idle",
              "count", "p50_ns", "p99_ns", "p99.9_ns", "max_ns", "floor", "p50/fl", "p99/fl",
              "target", "holds");
  for (const auto& row_ptr : rows) {
    const Row& row = *row_ptr;
    const LatencyHistogram& h = row.histogram;
    std::string r50 = "-";
    std::string r99 = "-";
    if (row.floor != nullptr && row.floor->count() > 0) {
      r50 = fmt::format("{:.2f}", static_cast<double>(h.percentile(50)) /
                                      static_cast<double>(row.floor->percentile(50)));
      r99 = fmt::format("{:.2f}", static_cast<double>(h.percentile(99)) /
                                      static_cast<double>(row.floor->percentile(99)));
    }
    std::printf("%-30s %-8s %8llu %9llu %9llu %9llu %9llu %-14s %8s %8s  %-22s %s\n",
                row.scenario.c_str(), row.idle.c_str(), static_cast<unsigned long long>(h.count()),
                static_cast<unsigned long long>(h.percentile(50)),
                static_cast<unsigned long long>(h.percentile(99)),
                static_cast<unsigned long long>(h.percentile(99.9)),
                static_cast<unsigned long long>(h.max()), row.floor_name.c_str(), r50.c_str(),
                r99.c_str(), row.target.c_str(), verdict(row).c_str());
  }
}

// Heap-allocated rows: LatencyHistogram is ~58 KiB, and the floors are pointed at.
void run_mode(IdleMode idle, const Config& config, std::vector<std::unique_ptr<Row>>& rows) {
  const std::string mode(idle_name(idle));
  auto add = [&](std::string scenario, const LatencyHistogram& h) -> Row& {
    rows.push_back(std::make_unique<Row>());
    Row& row = *rows.back();
    row.scenario = std::move(scenario);
    row.idle = mode;
    row.histogram = h;
    return row;
  };
  std::fprintf(stderr, "e2e_latency: idle %s: bare TCP ping-pong...\n", mode.c_str());
  const FloorResult tcp = run_tcp_floor(idle, config);
  const Row& tcp_row = add("floor: tcp_pingpong_40B", tcp.round_trip);
  add("floor: tcp_send_call_40B", tcp.send_call);
  add("floor: tcp_read_eagain", tcp.empty_read);
  std::fprintf(stderr, "e2e_latency: idle %s: bare UDP one-way...\n", mode.c_str());
  const FloorResult udp = run_udp_floor(idle, config);
  const Row& udp_row = add("floor: udp_one_way_42B", udp.one_way);
  add("floor: udp_recv_eagain", udp.empty_read);
  std::fprintf(stderr, "e2e_latency: idle %s: order round trip...\n", mode.c_str());
  Row& order = add("order_round_trip NEW->ACC", run_order_round_trip(idle, config));
  order.floor = &tcp_row.histogram;
  order.floor_name = "tcp_pingpong";
  order.target = "p50<=1.5x p99<=3x";
  order.max_p50_ratio = 1.5;
  order.max_p99_ratio = 3.0;
  for (const int journal : {1, 2}) {
    std::fprintf(stderr, "e2e_latency: idle %s: order round trip, journal sync %s...\n",
                 mode.c_str(), journal == 1 ? "none" : "batch");
    Row& journaled =
        add(journal == 1 ? "order_round_trip journal=none" : "order_round_trip journal=batch",
            run_order_round_trip(idle, config, journal));
    journaled.floor = &tcp_row.histogram;
    journaled.floor_name = "tcp_pingpong";
  }
  std::fprintf(stderr, "e2e_latency: idle %s: order round trip, --io uring...\n", mode.c_str());
  Row& uring = add("order_round_trip io=uring",
                   run_order_round_trip(idle, config, 0, llt::common::IoBackend::kUring));
  uring.floor = &tcp_row.histogram;
  uring.floor_name = "tcp_pingpong";
  std::fprintf(stderr, "e2e_latency: idle %s: market data one-way...\n", mode.c_str());
  const MdResult md = run_md_one_way(idle, config);
  Row& md_row = add("md_one_way engine->decode", md.one_way);
  md_row.floor = &udp_row.histogram;
  md_row.floor_name = "udp_one_way";
  md_row.target = "p50<=1.5x";
  md_row.max_p50_ratio = 1.5;
  if (md.unmatched > 0) {
    std::fprintf(stderr, "e2e_latency: %llu updates without an engine stamp (not counted)\n",
                 static_cast<unsigned long long>(md.unmatched));
  }
  if (NetScope::across_link()) {
    return;  // tick to trade runs on loopback only
  }
  std::fprintf(stderr, "e2e_latency: idle %s: tick to trade...\n", mode.c_str());
  const TickToTradeResult t2t = run_tick_to_trade(idle, config);
  Row& t2t_row = add("t2t md_read->order_handed", t2t.md_read_to_order_sent);
  t2t_row.target = "p50<2us p99<10us";
  t2t_row.max_p50_ns = 2'000;
  t2t_row.max_p99_ns = 10'000;
  add("  t2t part: md_read->engine_in", t2t.md_read_to_engine_in);
  add("  t2t part: engine_in->sent", t2t.engine_in_to_order_sent);
  if (t2t.unanswered_ticks > 0) {
    std::fprintf(stderr, "e2e_latency: %llu of %llu ticks made the strategy send nothing\n",
                 static_cast<unsigned long long>(t2t.unanswered_ticks),
                 static_cast<unsigned long long>(t2t.ticks));
  }
}

const char* kUsage =
    "usage: e2e_latency [--idle spin|backoff|block|both|all] [--samples N] [--ticks N] [--warmup "
    "N]\n"
    "  --idle     the agents' idle strategy (default both)\n"
    "  --samples  round trips / one-ways per scenario (default 20000)\n"
    "  --ticks    tick_to_trade market data ticks that each make one order (default 4000)\n"
    "  --warmup   unrecorded round trips before each scenario (default 2000)\n"
    "  --server-netns NS:ADDR, --client-netns NS:ADDR\n"
    "             measure across a link: the server side's sockets in network namespace NS\n"
    "             on ADDR, the client's in the other (both flags or neither; root; e.g. the\n"
    "             hosts of scripts/netlab.sh: --server-netns llt-ex:198.51.100.1\n"
    "             --client-netns llt-c1:198.51.100.11); tick to trade is skipped\n"
    "  --benchmark_*=X is accepted and ignored (scripts/demo.sh passes it)\n";

std::uint64_t parse_count(std::string_view flag, const std::string& value) {
  std::size_t used = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || n == 0 || value.empty() || value[0] == '-') {
    throw std::invalid_argument(
        fmt::format("{}: expected a positive integer, got '{}'", flag, value));
  }
  return n;
}

Config parse(int argc, char** argv) {
  Config config;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      config.help = true;
      return config;
    }
    if (arg.rfind("--benchmark_", 0) == 0) {
      continue;
    }
    std::string flag = arg;
    std::string value;
    const auto eq = arg.find('=');
    if (eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      throw std::invalid_argument(fmt::format("{}: missing value", flag));
    }
    if (flag == "--idle") {
      if (value == "spin") {
        config.idle_modes = {IdleMode::kSpin};
      } else if (value == "backoff") {
        config.idle_modes = {IdleMode::kBackoff};
      } else if (value == "block") {
        config.idle_modes = {IdleMode::kBlock};
      } else if (value == "both") {
        config.idle_modes = {IdleMode::kSpin, IdleMode::kBackoff};
      } else if (value == "all") {
        config.idle_modes = {IdleMode::kSpin, IdleMode::kBackoff, IdleMode::kBlock};
      } else {
        throw std::invalid_argument(fmt::format(
            "--idle: expected spin, backoff, block, both (spin and backoff) or all, got '{}'",
            value));
      }
    } else if (flag == "--server-netns" || flag == "--client-netns") {
      const auto colon = value.find(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == value.size()) {
        throw std::invalid_argument(
            fmt::format("{}: expected NAMESPACE:ADDRESS, got '{}'", flag, value));
      }
      NetSide& side = flag == "--server-netns" ? config.server : config.client;
      side.netns = value.substr(0, colon);
      side.address = value.substr(colon + 1);
    } else if (flag == "--samples") {
      config.samples = parse_count(flag, value);
    } else if (flag == "--ticks") {
      config.ticks = parse_count(flag, value);
    } else if (flag == "--warmup") {
      config.warmup = parse_count(flag, value);
    } else {
      throw std::invalid_argument(fmt::format("unknown flag '{}'", flag));
    }
  }
  if (config.server.netns.empty() != config.client.netns.empty()) {
    throw std::invalid_argument("--server-netns and --client-netns: give both or neither");
  }
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  try {
    config = parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "e2e_latency: %s\n%s", e.what(), kUsage);
    return 2;
  }
  if (config.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  try {
    (void)clock_ref();  // calibrate before anything is timed
    NetScope::configure(config);
    std::vector<std::unique_ptr<Row>> rows;
    for (IdleMode idle : config.idle_modes) {
      run_mode(idle, config, rows);
    }
    if (NetScope::across_link()) {
      std::printf(
          "e2e_latency: across a link: server side in network namespace %s on %s, "
          "client in %s on %s.\n",
          config.server.netns.c_str(), config.server.address.c_str(), config.client.netns.c_str(),
          config.client.address.c_str());
    }
    std::printf(
        "e2e_latency: %s, agents in --threading shared pinned to CPU %d, client on CPU %d "
        "(tick_to_trade: trading on CPU %d; exchange (backoff) and feed on CPU %d).\n"
        "md_one_way = subscriber decode - the engine's stamp on the update (engine_in_ticks); "
        "udp floor = decode - stamp just before send(). t2t = the gateway's md_read_to_order_sent "
        "(datagram read -> the order handed to send(): user space only; the send() itself is "
        "floor: tcp_send_call_40B).\n",
        NetScope::across_link() ? "veth link" : "loopback", kAgentCpu, kClientCpu, kClientCpu,
        kAgentCpu);
    print_table(rows);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "e2e_latency: %s\n", e.what());
    return 1;
  }
  return 0;
}
