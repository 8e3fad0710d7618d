// Requests per second through the whole exchange on loopback: TCP read, session rules, FIFO
// sequencer, matching engine, responses back over TCP (and the market data they cause on
// multicast), with the exchange's agents in --threading shared on one pinned CPU and the
// clients on the other. Beside it, two floors on the same sockets (TcpServer/TcpConnection):
// - bare_echo: each 40-byte request answered with a 51-byte response, nothing else;
// - floor: the system calls the exchange must make for this traffic and nothing else: the
//   same reads and one 51-byte response per request, plus the market data each request causes
//   (one 42-byte update: ADD for a NEW, CANCEL for a CANCEL) sent on multicast after each pass
//   in datagrams of what is pending, up to 34 updates, as the exchange's publisher batches
//   them, one send() a datagram. Both print md_updates_per_datagram, so the two runs'
//   datagrams can be compared;
// - floor_segmented: the same, with the datagrams of a pass handed to the kernel in one
//   system call (UDP_SEGMENT, common::McastSender::send_datagrams) as the exchange's
//   publisher sends them.
//
// Each client session keeps a window of requests in flight: a passive NEW, then its CANCEL,
// so every request gets exactly one response (ACCEPTED or CANCELED) and the books stay small.
//
// The journal's cost (--journal-sync none and batch beside no journal) comes with its floors:
// write_fdatasync/N (the batch mode's write + fdatasync of N records), write_page_cache/96 (a
// bare write() of a poll's 96 records into the page cache) and journal_writer_alone/96 (the
// journal's writer doing the same, records and checksums included), each in ns per record.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "benchmarks/bench_report.h"
#include "common/concurrent/cache_line.h"
#include "common/net/mcast_socket.h"
#include "common/net/tcp_connection.h"
#include "common/net/tcp_server.h"
#include "exchange/exchange_app.h"
#include "exchange/journal/journal_writer.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/market_update.h"
#include "tests/support/tcp_connect.h"

namespace {

using llt::common::TcpConnection;
using llt::exchange::ClientRequest;
using llt::exchange::ClientRequestType;
using llt::exchange::ClientResponse;

constexpr int kSessions = 4;
constexpr std::uint64_t kWindow = 256;  // requests in flight per session
constexpr std::uint64_t kRequestsPerIteration = 100'000;

// One client session: sends NEW/CANCEL pairs, counts responses.
class Client {
 public:
  Client(std::uint16_t port, std::uint32_t client_id)
      : connection_(llt::test::connect_blocking("127.0.0.1", port, std::chrono::seconds(5), 1 << 20,
                                                1 << 20)),
        client_id_(client_id) {}

  // Sends LOGON when the peer is the exchange.
  void logon() {
    send(ClientRequestType::kLogon, 0);
    while (answered_ < 1)
      read();
    answered_ = 0;
  }

  // Sends as many requests as the window allows, in one write. Returns how many.
  std::uint64_t send_window(std::uint64_t limit) {
    std::uint64_t count = 0;
    while (sent_ + count < limit && sent_ + count - answered_ < kWindow) {
      const std::uint64_t n = sent_ + count;
      batch_[count] = n % 2 == 0 ? make(ClientRequestType::kNew, ++order_id_)
                                 : make(ClientRequestType::kCancel, order_id_);
      ++count;
    }
    if (count > 0) {
      while (connection_.send(batch_, count * sizeof(ClientRequest)).status ==
             llt::common::IoStatus::kBufferFull) {
        (void)connection_.flush();
      }
      sent_ += count;
    }
    return count;
  }

  void read() {
    const auto result = connection_.read_some();
    if (result.status == llt::common::IoStatus::kClosed ||
        result.status == llt::common::IoStatus::kError) {
      throw std::runtime_error("exchange closed the session");
    }
    answered_ += connection_.for_each_message<ClientResponse>([](const ClientResponse&) {});
  }

  [[nodiscard]] std::uint64_t sent() const { return sent_; }
  [[nodiscard]] std::uint64_t answered() const { return answered_; }
  void reset_counts() { sent_ = answered_ = 0; }

 private:
  ClientRequest make(ClientRequestType type, std::uint64_t order_id) {
    ClientRequest request{};
    // NEW and CANCEL take the next request number; LOGON carries it (docs/protocol.md).
    request.seq_num = type == ClientRequestType::kLogon ? seq_ + 1 : ++seq_;
    request.msg_type = type;
    request.client_id = client_id_;
    request.ticker_id = 1;
    request.order_id = order_id;
    request.side = llt::exchange::Side::kBuy;
    request.price = 10'000 - static_cast<std::int64_t>(order_id % 100);
    request.qty = 10;
    return request;
  }

  void send(ClientRequestType type, std::uint64_t order_id) {
    const ClientRequest request = make(type, order_id);
    if (connection_.send(&request, sizeof request).status != llt::common::IoStatus::kOk) {
      throw std::runtime_error("send failed");
    }
    ++sent_;
  }

  TcpConnection connection_;
  std::uint32_t client_id_;
  std::uint64_t seq_ = 0;
  std::uint64_t order_id_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t answered_ = 0;
  ClientRequest batch_[kWindow];
};

// Drives every session until `count` requests in total were answered.
void run_clients(std::vector<std::unique_ptr<Client>>& clients, std::uint64_t count) {
  for (auto& client : clients)
    client->reset_counts();
  const std::uint64_t per_client = count / clients.size();
  bool done = false;
  while (!done) {
    done = true;
    for (auto& client : clients) {
      client->send_window(per_client);
      if (client->answered() < per_client) {
        client->read();
        done = false;
      }
    }
  }
}

std::uint16_t random_port() {
  std::random_device device;
  return static_cast<std::uint16_t>(20'000 + device() % 12'000);
}

// The --stage-costs table of each run that asked for it, by benchmark name (the last run of a
// name is the one its figures come from), printed after the ratio table.
std::map<std::string, std::string>& stage_tables() {
  static std::map<std::string, std::string> tables;
  return tables;
}

// state.range(1): 0 no journal, 1 --journal-sync none, 2 --journal-sync batch (the journal in a
// fresh directory under the temp dir, removed after). state.range(2): 1 runs the exchange
// with --stage-costs (its agents' polls timed; the run's rate beside the untimed one shows
// what the timing costs) and keeps its table. state.range(3): the I/O back end (--io).
void exchange(benchmark::State& state) {
  llt::exchange::ExchangeOptions options;
  const std::int64_t journal = state.range(1);
  std::filesystem::path journal_dir;
  if (journal != 0) {
    journal_dir = std::filesystem::temp_directory_path() /
                  ("llt_bench_journal_" + std::to_string(::getpid()));
    std::filesystem::remove_all(journal_dir);
    options.journal_dir = journal_dir.string();
    options.journal_sync_batch = journal == 2;
  }
  options.port = 0;
  options.market_data.multicast_port = random_port();
  options.market_data.snapshot_port =
      static_cast<std::uint16_t>(options.market_data.multicast_port + 1);
  options.tickers = {1};
  options.max_orders = 65'536;
  options.process.threading = llt::common::ThreadingMode::kShared;
  options.process.idle = static_cast<llt::common::IdleMode>(state.range(0));
  options.process.cpus = {llt::bench::kPeerCpu};
  options.process.stats_interval_s = 0;
  options.process.stage_costs = state.range(2) != 0;
  options.io = static_cast<llt::common::IoBackend>(state.range(3));
  llt::exchange::ExchangeApp app(options);
  app.start();
  llt::bench::pin_to(llt::bench::kMainCpu);
  std::vector<std::unique_ptr<Client>> clients;
  clients.reserve(kSessions);
  for (int i = 0; i < kSessions; ++i) {
    clients.push_back(std::make_unique<Client>(app.port(), static_cast<std::uint32_t>(i + 1)));
    clients.back()->logon();
  }
  for (auto _ : state) {
    run_clients(clients, kRequestsPerIteration);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kRequestsPerIteration));
  clients.clear();
  app.stop();
  const llt::exchange::MarketDataPublisherStats md = app.publisher().stats();
  state.counters["md_updates_per_datagram"] =
      md.datagrams > 0
          ? static_cast<double>(md.updates_published) / static_cast<double>(md.datagrams)
          : 0.0;
  if (options.process.stage_costs) {
    const char* group = journal == 0   ? "tcp_requests_spin"
                        : journal == 1 ? "journal_none_spin"
                                       : "journal_batch_spin";
    stage_tables()[std::string(group) + "/ours_stage_costs"] = app.stage_costs_table();
  }
  if (const llt::exchange::ExchangeJournal* j = app.journal()) {
    const double commits = static_cast<double>(j->writer().commits());
    state.counters["records_per_write"] =
        commits > 0 ? static_cast<double>(j->writer().records()) / commits : 0.0;
    state.counters["syncs"] = static_cast<double>(j->writer().syncs());
  }
  if (!journal_dir.empty()) {
    std::filesystem::remove_all(journal_dir);
  }
}

// The floors of the journal: write() of `records` 56-byte records, in a loop, appending to a
// file in the same temp directory (the same disk; every write lands in page-cache pages the
// file has just been given, as the journal's do), and nothing else: no records built, no
// checksums. kSync: then fdatasync(), the floor of --journal-sync batch; else that of none.
template <bool kSync>
void bare_write(benchmark::State& state) {
  const auto records = static_cast<std::size_t>(state.range(0));
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("llt_bench_write_" + std::to_string(::getpid()));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    state.SkipWithError("cannot create the file in the temp directory");
    return;
  }
  llt::bench::pin_to(llt::bench::kMainCpu);
  std::vector<std::byte> batch(records * 56, std::byte{1});
  for (auto _ : state) {
    if (::write(fd, batch.data(), batch.size()) != static_cast<ssize_t>(batch.size()) ||
        (kSync && ::fdatasync(fd) != 0)) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
  }
  const auto written = static_cast<double>(state.iterations() * records);
  state.SetItemsProcessed(static_cast<std::int64_t>(written));
  state.counters["ns_per_record"] =
      benchmark::Counter(written, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  ::close(fd);
  std::filesystem::remove(path);
}

// The journal's writer alone, no exchange around it: `records` records appended and committed
// (their checksums, then one write()), in a loop, in a fresh directory of the same temp
// directory, as the order server's poll does with --journal-sync none.
void journal_writer_alone(benchmark::State& state) {
  const auto records = static_cast<std::size_t>(state.range(0));
  const std::filesystem::path directory =
      std::filesystem::temp_directory_path() / ("llt_bench_writer_" + std::to_string(::getpid()));
  std::filesystem::remove_all(directory);
  llt::bench::pin_to(llt::bench::kMainCpu);
  std::uint64_t written = 0;
  {
    llt::exchange::JournalWriter writer(llt::exchange::JournalWriterOptions{.directory = directory},
                                        llt::exchange::JournalScan{});
    ClientRequest request{};
    request.msg_type = llt::exchange::ClientRequestType::kNew;
    request.client_id = 1;
    request.ticker_id = 1;
    request.side = llt::exchange::Side::kBuy;
    request.price = 100;
    request.qty = 10;
    for (auto _ : state) {
      bool appended = true;
      for (std::size_t i = 0; i < records && appended; ++i) {
        ++request.order_id;
        request.seq_num = request.order_id;
        appended = writer.append(llt::exchange::JournalRecordKind::kRequest,
                                 llt::exchange::RejectReason::kNone, request);
      }
      if (!appended || !writer.commit()) {
        state.SkipWithError("the journal writer failed (a full disk?)");
        break;
      }
      written += records;
    }
  }
  std::filesystem::remove_all(directory);
  state.SetItemsProcessed(static_cast<std::int64_t>(written));
  state.counters["ns_per_record"] = benchmark::Counter(
      static_cast<double>(written), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Answers every whole request in the connection's buffer with a 51-byte response, one send
// per kBatch of them. Returns how many it answered.
template <std::size_t kBatch>
std::size_t answer_requests(TcpConnection& connection, ClientResponse (&batch)[kBatch]) {
  std::size_t answered = 0;
  while (connection.received_size() >= sizeof(ClientRequest)) {
    std::size_t count = 0;
    connection.for_each_message<ClientRequest>([&](const ClientRequest& request) {
      ClientResponse& response = batch[count++];
      response = ClientResponse{};
      response.seq_num = request.seq_num;
      response.client_id = request.client_id;
      response.client_order_id = request.order_id;
      return count < kBatch;
    });
    (void)connection.send(batch, count * sizeof(ClientResponse));
    answered += count;
  }
  return answered;
}

// The bare echo: the same sockets, no sessions, sequencing, matching or market data.
class EchoHandler {
 public:
  void on_accept(llt::common::TcpConnectionId, TcpConnection&) {}
  void on_closed(llt::common::TcpConnectionId) {}
  void on_data(llt::common::TcpConnectionId, TcpConnection& connection) {
    (void)answer_requests(connection, batch_);
  }

 private:
  ClientResponse batch_[1024];
};

// The peer side of a floor: a thread on kPeerCpu repeats `pass` (which returns the work it
// did; an idle pass yields unless the run spins) while this thread drives the sessions.
template <typename Pass>
void serve_sessions(benchmark::State& state, std::uint16_t port, Pass pass) {
  std::atomic<bool> stop{false};
  std::thread peer([&] {
    llt::bench::pin_to(llt::bench::kPeerCpu);
    while (!stop.load(std::memory_order_relaxed)) {
      if (pass() == 0 && state.range(0) != 0)
        std::this_thread::yield();
    }
  });
  llt::bench::pin_to(llt::bench::kMainCpu);
  std::vector<std::unique_ptr<Client>> clients;
  clients.reserve(kSessions);
  for (int i = 0; i < kSessions; ++i) {
    clients.push_back(std::make_unique<Client>(port, static_cast<std::uint32_t>(i + 1)));
  }
  for (auto _ : state) {
    run_clients(clients, kRequestsPerIteration);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kRequestsPerIteration));
  clients.clear();
  stop = true;
  peer.join();
}

llt::common::TcpServer floor_server(llt::common::IoBackend io = llt::common::IoBackend::kEpoll) {
  llt::common::TcpServerOptions server_options;
  server_options.io = io;
  server_options.receive_buffer_bytes = 1 << 20;
  server_options.send_buffer_bytes = 1 << 20;
  return llt::common::TcpServer(server_options);
}

void bare_tcp_echo(benchmark::State& state) {
  llt::common::TcpServer server = floor_server();
  EchoHandler handler;
  serve_sessions(state, server.port(), [&] { return server.poll(handler); });
}

// The exchange's system calls without its work: EchoHandler's reads and responses, and the
// market data of the requests answered in a pass, sent at the end of the pass.
class FloorHandler {
 public:
  // segmented: the datagrams of a pass go out in send_datagrams() calls of up to 16 (one
  // system call each when the kernel segments, as the exchange's publisher sends them); else
  // one send() a datagram.
  FloorHandler(llt::common::McastSender& md, bool segmented) : md_(md), segmented_(segmented) {}

  void on_accept(llt::common::TcpConnectionId, TcpConnection&) {}
  void on_closed(llt::common::TcpConnectionId) {}
  void on_data(llt::common::TcpConnectionId, TcpConnection& connection) {
    pending_updates_ += answer_requests(connection, batch_);
  }

  // End of a pass: the pending updates in datagrams of up to kMaxUpdatesPerDatagram.
  void publish() {
    constexpr std::size_t kPerDatagram = llt::exchange::kMaxUpdatesPerDatagram;
    constexpr std::size_t kDatagramBytes = kPerDatagram * sizeof(llt::exchange::MarketUpdate);
    while (pending_updates_ > 0) {
      const std::size_t n = std::min(pending_updates_, segmented_ ? updates_.size() : kPerDatagram);
      for (std::size_t i = 0; i < n; ++i) {
        updates_[i].seq_num = ++md_seq_;
      }
      const std::size_t bytes = n * sizeof(llt::exchange::MarketUpdate);
      const llt::common::IoResult result =
          segmented_ ? md_.send_datagrams(updates_.data(), bytes, kDatagramBytes)
                     : md_.send(updates_.data(), bytes);
      if (result.status != llt::common::IoStatus::kOk) {
        return;  // the exchange's publisher retries on the next pass too
      }
      pending_updates_ -= n;
      updates_sent_ += n;
      datagrams_ += (n + kPerDatagram - 1) / kPerDatagram;
    }
  }

  [[nodiscard]] double updates_per_datagram() const {
    return datagrams_ > 0 ? static_cast<double>(updates_sent_) / static_cast<double>(datagrams_)
                          : 0.0;
  }

 private:
  llt::common::McastSender& md_;
  bool segmented_;
  ClientResponse batch_[1024];
  std::array<llt::exchange::MarketUpdate, 16 * llt::exchange::kMaxUpdatesPerDatagram> updates_{};
  std::size_t pending_updates_ = 0;
  std::uint64_t md_seq_ = 0;
  std::uint64_t updates_sent_ = 0;
  std::uint64_t datagrams_ = 0;
};

// state.range(1): the I/O back end of the floor's server. state.range(2): 1 sends the
// datagrams of a pass segmented (send_datagrams), as the exchange does; 0 one send() each.
void syscall_floor(benchmark::State& state) {
  llt::common::TcpServer server = floor_server(static_cast<llt::common::IoBackend>(state.range(1)));
  // The exchange's market data address: its default group, a random port, loopback, TTL 1.
  llt::common::McastSender md(llt::exchange::MarketDataPublisherOptions{}.group, random_port());
  FloorHandler handler(md, state.range(2) != 0);
  serve_sessions(state, server.port(), [&] {
    const int work = server.poll(handler);
    handler.publish();
    return work;
  });
  state.counters["md_updates_per_datagram"] = handler.updates_per_datagram();
}

constexpr auto kSpin = static_cast<std::int64_t>(llt::common::IdleMode::kSpin);
constexpr auto kBackoff = static_cast<std::int64_t>(llt::common::IdleMode::kBackoff);
constexpr auto kEpoll = static_cast<std::int64_t>(llt::common::IoBackend::kEpoll);
constexpr auto kUring = static_cast<std::int64_t>(llt::common::IoBackend::kUring);

BENCHMARK(exchange)
    ->Name("tcp_requests_spin/ours")
    ->Args({kSpin, 0, 0, kEpoll})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bare_tcp_echo)
    ->Name("tcp_requests_spin/bare_echo")
    ->Arg(kSpin)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(syscall_floor)
    ->Name("tcp_requests_spin/floor")
    ->Args({kSpin, kEpoll, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(syscall_floor)
    ->Name("tcp_requests_spin/floor_segmented")
    ->Args({kSpin, kEpoll, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
// Where the exchange's time goes: the spin run again with --stage-costs (its table printed
// at the end, in ns per request).
BENCHMARK(exchange)
    ->Name("tcp_requests_spin/ours_stage_costs")
    ->Args({kSpin, 0, 1, kEpoll})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
// The I/O back ends (--io): the exchange on io_uring beside itself on epoll, and beside the
// floor's system calls made through each back end.
BENCHMARK(exchange)
    ->Name("tcp_io_spin/ours")
    ->Args({kSpin, 0, 0, kUring})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(exchange)
    ->Name("tcp_io_spin/epoll")
    ->Args({kSpin, 0, 0, kEpoll})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(syscall_floor)
    ->Name("tcp_io_spin/floor_uring")
    ->Args({kSpin, kUring, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(syscall_floor)
    ->Name("tcp_io_spin/floor_epoll")
    ->Args({kSpin, kEpoll, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(exchange)
    ->Name("tcp_requests_backoff/ours")
    ->Args({kBackoff, 0, 0, kEpoll})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bare_tcp_echo)
    ->Name("tcp_requests_backoff/bare_echo")
    ->Arg(kBackoff)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(syscall_floor)
    ->Name("tcp_requests_backoff/floor")
    ->Args({kBackoff, kEpoll, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// The journal's cost: the same run with --journal-sync none and batch, each beside the run
// without a journal ("ours/no_journal" is the fraction of the throughput kept), and the none
// run's stage table (what the journal adds to each stage).
BENCHMARK(exchange)
    ->Name("journal_none_spin/ours")
    ->Args({kSpin, 1, 0, kEpoll})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(exchange)
    ->Name("journal_none_spin/no_journal")
    ->Args({kSpin, 0, 0, kEpoll})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(exchange)
    ->Name("journal_none_spin/ours_stage_costs")
    ->Args({kSpin, 1, 1, kEpoll})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(exchange)
    ->Name("journal_batch_spin/ours")
    ->Args({kSpin, 2, 0, kEpoll})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(exchange)
    ->Name("journal_batch_spin/no_journal")
    ->Args({kSpin, 0, 0, kEpoll})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bare_write<true>)
    ->Name("write_fdatasync")
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->Arg(256)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
// The floor of --journal-sync none, and the journal's writer, at the records a poll of the
// benchmark's load writes (about 96, its records_per_write counter).
BENCHMARK(bare_write<false>)
    ->Name("write_page_cache")
    ->Arg(96)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(journal_writer_alone)
    ->Name("journal_writer_alone")
    ->Arg(96)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  const int code = llt::bench::run_and_report(argc, argv);
  for (const auto& [name, table] : stage_tables()) {
    std::printf("\n%s: stage costs (TSC), per agent poll and part:\n%s", name.c_str(),
                table.c_str());
  }
  return code;
}
