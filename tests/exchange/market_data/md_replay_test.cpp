// Market data replay (docs/protocol.md, Market data replay): the publisher's ring, and the
// replay agent answering on loopback TCP while the publisher multicasts on loopback. Every
// answer is compared byte for byte with the records received from the multicast stream.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/concurrent/agent_runner.h"
#include "common/net/mcast_socket.h"
#include "exchange/exchange_messages.h"
#include "exchange/market_data/market_data_publisher.h"
#include "exchange/market_data/md_replay_ring.h"
#include "exchange/market_data/md_replay_server.h"
#include "exchange/protocol/md_replay.h"
#include "tests/support/md_subscriber.h"
#include "tests/support/tcp_connect.h"
#include "tests/support/test_io_backend.h"

namespace llt::exchange {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

MarketUpdate sample_update(std::uint64_t n) {
  MarketUpdate update;
  update.msg_type = n % 3 == 0 ? MarketUpdateType::kTrade : MarketUpdateType::kAdd;
  update.order_id = 1'000'000 + n;
  update.ticker_id = static_cast<TickerId>(1 + n % 3);
  update.side = n % 2 == 0 ? Side::kBuy : Side::kSell;
  update.price = static_cast<Price>(100 + n % 50);
  update.qty = static_cast<Qty>(1 + n % 97);
  update.priority = n;
  return update;
}

// --- The ring alone ---

TEST(MdReplayRing, serves_what_was_written_and_reports_overwritten_or_unwritten_slots) {
  MdReplayRing ring(3);  // not a power of two
  MarketUpdate out;
  EXPECT_FALSE(ring.read(1, out)) << "nothing written";
  ring.claim(5);
  for (SeqNum seq = 1; seq <= 5; ++seq) {
    MarketUpdate update = sample_update(seq);
    update.seq_num = seq;
    ring.write(update);
  }
  ring.publish(5);
  EXPECT_EQ(ring.last_published(), 5U);
  EXPECT_EQ(ring.oldest_kept(5), 3U);
  EXPECT_FALSE(ring.read(1, out)) << "overwritten by 4";
  EXPECT_FALSE(ring.read(2, out)) << "overwritten by 5";
  for (SeqNum seq = 3; seq <= 5; ++seq) {
    ASSERT_TRUE(ring.read(seq, out)) << seq;
    MarketUpdate expected = sample_update(seq);
    expected.seq_num = seq;
    EXPECT_EQ(std::memcmp(&out, &expected, sizeof(MarketUpdate)), 0) << seq;
  }
  EXPECT_FALSE(ring.read(6, out)) << "not written yet";
  // Records 6 and 7 claimed: the writer may be overwriting 3 and 4 now, 5 is intact.
  ring.claim(7);
  EXPECT_FALSE(ring.read(3, out));
  EXPECT_FALSE(ring.read(4, out));
  EXPECT_TRUE(ring.read(5, out));
  EXPECT_EQ(ring.oldest_kept(2), 1U);
  EXPECT_THROW(MdReplayRing(0), std::invalid_argument);

  // Resumed at 100 without the records: they read as not available; the stream goes on.
  MdReplayRing resumed(8);
  resumed.skip_to(100);
  EXPECT_EQ(resumed.last_published(), 100U);
  EXPECT_FALSE(resumed.read(100, out));
  EXPECT_FALSE(resumed.read(95, out));
  MarketUpdate next = sample_update(101);
  next.seq_num = 101;
  resumed.claim(101);
  resumed.write(next);
  resumed.publish(101);
  ASSERT_TRUE(resumed.read(101, out));
  EXPECT_EQ(out, next);
  resumed.skip_to(50);
  EXPECT_EQ(resumed.last_published(), 101U) << "never backwards";
}

// --- The replay agent beside a live publisher ---

struct Answer {
  std::vector<MarketUpdate> records;
  std::optional<MarketUpdate> end;
  bool closed = false;  // the exchange closed the connection
};

// A replay client on a non-blocking connection; every wait is bounded.
class ReplayClient {
 public:
  explicit ReplayClient(std::uint16_t port, std::size_t receive_capacity = 1 << 22)
      : connection_(test::connect_blocking("127.0.0.1", port, 5s, receive_capacity, 1 << 16)) {}

  void send_raw(const void* data, std::size_t size) {
    ASSERT_EQ(connection_.send(data, size).status, common::IoStatus::kOk);
    const auto deadline = Clock::now() + 5s;
    while (connection_.pending_send_bytes() > 0 && Clock::now() < deadline) {
      (void)connection_.flush();
      std::this_thread::sleep_for(100us);
    }
  }

  void request(SeqNum from, std::uint32_t count, std::uint32_t reserved = 0) {
    const MdReplayRequest request{from, count, reserved};
    send_raw(&request, sizeof(request));
  }

  // Moves the whole records received so far into `answer`, up to its REPLAY_END; true when
  // that came.
  bool take_received(Answer& answer) {
    while (const auto* update = connection_.peek_message<MarketUpdate>()) {
      const MarketUpdate copy = *update;
      connection_.consume(sizeof(MarketUpdate));
      if (copy.msg_type == MarketUpdateType::kReplayEnd) {
        answer.end = copy;
        return true;
      }
      answer.records.push_back(copy);
    }
    return false;
  }

  // Reads the answer to one request: records up to its REPLAY_END (or the close).
  Answer read_answer(std::chrono::milliseconds limit = 10s) {
    Answer answer;
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      if (take_received(answer)) {
        return answer;
      }
      const common::IoResult result = connection_.read_some();
      if (result.status == common::IoStatus::kClosed || result.status == common::IoStatus::kError) {
        answer.closed = true;
        return answer;
      }
      if (result.status == common::IoStatus::kWouldBlock) {
        std::this_thread::sleep_for(100us);
      }
    }
    return answer;
  }

  // Reads and discards until the exchange closes the connection; returns the bytes read, or
  // nullopt when it is still open at the deadline.
  std::optional<std::uint64_t> drain_until_closed(std::chrono::milliseconds limit) {
    std::uint64_t bytes = 0;
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      const common::IoResult result = connection_.read_some();
      bytes += result.bytes;
      connection_.consume(connection_.received_size());
      if (result.status == common::IoStatus::kClosed || result.status == common::IoStatus::kError) {
        return bytes;
      }
      if (result.status == common::IoStatus::kWouldBlock) {
        std::this_thread::sleep_for(200us);
      }
    }
    return std::nullopt;
  }

  common::TcpConnection& connection() { return connection_; }

 private:
  common::TcpConnection connection_;
};

// A publisher with a replay ring and the replay agent on one runner thread; the test thread
// feeds the engine's side of the publisher and listens to the multicast stream.
class ReplayBench {
 public:
  explicit ReplayBench(std::size_t depth, std::uint32_t stall_timeout_ms = 2000)
      : channel_(test::md_random_channel()),
        receiver_(channel_.group, channel_.port, "127.0.0.1"),
        updates_(1 << 16),
        published_(1 << 16),
        ring_(depth),
        publisher_(publisher_options(channel_), updates_, published_),
        server_(server_options(stall_timeout_ms), ring_) {
    test::md_grow_receive_buffer(receiver_);
    publisher_.set_replay_ring(&ring_);
  }

  ~ReplayBench() { stop(); }

  void start() {
    runner_ = std::make_unique<common::AgentRunner>(
        std::vector<common::Agent*>{&publisher_, &server_},
        common::RunnerOptions{.threading = common::ThreadingMode::kShared,
                              .idle = common::IdleMode::kBackoff,
                              .backoff = {},
                              .cpus = {},
                              .name = "md-replay-test"});
    runner_->start();
  }

  void stop() {
    if (runner_) {
      runner_->stop();
    }
  }

  // Feeds `count` more updates and waits (bounded) until the multicast stream has delivered
  // every one so far.
  void publish(std::uint64_t count) {
    const auto deadline = Clock::now() + 20s;
    std::uint64_t pushed = 0;
    while (pushed < count && Clock::now() < deadline) {
      if (updates_.try_push(MatchingUpdate{sample_update(fed_ + 1), HopTicks{}})) {
        ++fed_;
        ++pushed;
      }
      drain();
    }
    ASSERT_EQ(pushed, count);
    while (received_contiguous() < fed_ && Clock::now() < deadline) {
      drain();
      std::this_thread::sleep_for(100us);
    }
    ASSERT_EQ(received_contiguous(), fed_) << "multicast records received in order";
  }

  // The publisher's output: every update fed went out, numbered from 1, unchanged.
  void expect_stream_intact() {
    ASSERT_EQ(received_contiguous(), fed_);
    for (SeqNum seq = 1; seq <= fed_; ++seq) {
      MarketUpdate expected = sample_update(seq);
      expected.seq_num = seq;
      ASSERT_EQ(multicast_.at(seq), expected) << seq;
    }
    EXPECT_EQ(publisher_.stats().send_errors, 0U);
  }

  // The answer's records are exactly the multicast records from `from`, byte for byte.
  void expect_records_equal_multicast(const Answer& answer, SeqNum from) {
    for (std::size_t i = 0; i < answer.records.size(); ++i) {
      const auto it = multicast_.find(from + i);
      ASSERT_NE(it, multicast_.end()) << from + i;
      ASSERT_EQ(std::memcmp(&answer.records[i], &it->second, sizeof(MarketUpdate)), 0)
          << "record " << from + i;
    }
  }

  [[nodiscard]] std::uint16_t port() const { return server_.port(); }
  [[nodiscard]] const MdReplayServer& server() const { return server_; }
  [[nodiscard]] MarketDataPublisher& publisher() { return publisher_; }
  [[nodiscard]] SeqNum fed() const { return fed_; }

  void drain() {
    while (published_.front() != nullptr) {
      published_.pop();
    }
    std::array<MarketUpdate, kMaxUpdatesPerDatagram> datagram{};
    for (;;) {
      const common::IoResult result = receiver_.receive(datagram.data(), sizeof(datagram));
      if (!result.ok()) {
        break;
      }
      for (std::size_t i = 0; i < result.bytes / sizeof(MarketUpdate); ++i) {
        if (datagram[i].msg_type != MarketUpdateType::kHeartbeat) {
          multicast_[datagram[i].seq_num] = datagram[i];
        }
      }
    }
  }

 private:
  [[nodiscard]] SeqNum received_contiguous() const {
    SeqNum seq = 0;
    while (multicast_.count(seq + 1) != 0) {
      ++seq;
    }
    return seq;
  }

  static MarketDataPublisherOptions publisher_options(const test::MdChannel& channel) {
    MarketDataPublisherOptions options;
    options.group = channel.group;
    options.port = channel.port;
    options.heartbeat_ms = 50;
    return options;
  }
  static MdReplayServerOptions server_options(std::uint32_t stall_timeout_ms) {
    MdReplayServerOptions options;
    options.port = 0;
    options.stall_timeout_ms = stall_timeout_ms;
    options.io = test::test_io_backend();
    return options;
  }

  test::MdChannel channel_;
  common::McastReceiver receiver_;
  UpdateQueue updates_;
  PublishedUpdateQueue published_;
  MdReplayRing ring_;
  MarketDataPublisher publisher_;
  MdReplayServer server_;
  std::unique_ptr<common::AgentRunner> runner_;
  std::map<SeqNum, MarketUpdate> multicast_;
  SeqNum fed_ = 0;
};

void expect_end(const Answer& answer, SeqNum from, std::uint64_t records, MdReplayStatus status) {
  ASSERT_TRUE(answer.end.has_value()) << "no REPLAY_END (closed: " << answer.closed << ")";
  EXPECT_EQ(answer.end->seq_num, from);
  EXPECT_EQ(answer.end->order_id, records);
  EXPECT_EQ(answer.end->qty, static_cast<Qty>(status))
      << to_string(static_cast<MdReplayStatus>(answer.end->qty));
  EXPECT_EQ(answer.records.size(), records);
}

TEST(MdReplayServer, answers_equal_the_multicast_records_byte_for_byte_and_name_each_refusal) {
  ReplayBench bench(4096);
  bench.start();
  bench.publish(5000);  // the ring keeps 905..5000
  ReplayClient client(bench.port());

  // The whole kept range, in requests of different sizes on one connection.
  SeqNum from = 905;
  for (const std::uint32_t count : {1U, 34U, 1000U, 65'536U}) {
    client.request(from, count);
    const Answer answer = client.read_answer();
    const std::uint64_t expected = std::min<std::uint64_t>(count, 5000 - from + 1);
    expect_end(answer, from, expected, MdReplayStatus::kServed);
    bench.expect_records_equal_multicast(answer, from);
    from += expected;
  }
  EXPECT_EQ(from, 5001U);

  // Older than the ring: NOT_AVAILABLE with no record, even when the range reaches into it.
  client.request(1, 10);
  expect_end(client.read_answer(), 1, 0, MdReplayStatus::kNotAvailable);
  client.request(904, 10);
  expect_end(client.read_answer(), 904, 0, MdReplayStatus::kNotAvailable);
  // Not yet published.
  client.request(5001, 1);
  expect_end(client.read_answer(), 5001, 0, MdReplayStatus::kNotYetPublished);
  client.request(UINT64_MAX, 65'536);
  expect_end(client.read_answer(), UINT64_MAX, 0, MdReplayStatus::kNotYetPublished);
  // Past the last published: what exists, SERVED with its number.
  client.request(4990, 100);
  Answer partial = client.read_answer();
  expect_end(partial, 4990, 11, MdReplayStatus::kServed);
  bench.expect_records_equal_multicast(partial, 4990);
  // Bad counts and from_seq 0: BAD_REQUEST, the connection stays usable.
  client.request(1000, 0);
  expect_end(client.read_answer(), 1000, 0, MdReplayStatus::kBadRequest);
  client.request(1000, 65'537);
  expect_end(client.read_answer(), 1000, 0, MdReplayStatus::kBadRequest);
  client.request(0, 5);
  expect_end(client.read_answer(), 0, 0, MdReplayStatus::kBadRequest);
  client.request(2000, 3);
  Answer after = client.read_answer();
  expect_end(after, 2000, 3, MdReplayStatus::kServed);
  bench.expect_records_equal_multicast(after, 2000);

  // The stream moves on: newly published records are served too.
  bench.publish(100);
  client.request(5001, 100);
  Answer fresh = client.read_answer();
  expect_end(fresh, 5001, 100, MdReplayStatus::kServed);
  bench.expect_records_equal_multicast(fresh, 5001);

  // Garbage (reserved field not 0): BAD_REQUEST, then the connection is closed.
  client.request(2000, 3, 7);
  expect_end(client.read_answer(), 2000, 0, MdReplayStatus::kBadRequest);
  EXPECT_TRUE(client.drain_until_closed(5s).has_value()) << "closed after garbage";

  bench.stop();
  bench.expect_stream_intact();
  const MdReplayServerStats stats = bench.server().stats();
  EXPECT_EQ(stats.garbage_closed, 1U);
  EXPECT_EQ(stats.bad_requests, 4U);
  EXPECT_EQ(stats.not_available, 2U);
  EXPECT_EQ(stats.not_yet_published, 2U);
  EXPECT_EQ(stats.slow_closed, 0U);
}

TEST(MdReplayServer, a_request_dribbled_byte_by_byte_and_pipelined_requests_are_answered_in_order) {
  ReplayBench bench(1024);
  bench.start();
  bench.publish(500);
  ReplayClient client(bench.port());

  const MdReplayRequest request{100, 50, 0};
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(&request);
  for (std::size_t i = 0; i < sizeof(request); ++i) {
    client.send_raw(bytes + i, 1);
    std::this_thread::sleep_for(2ms);
  }
  Answer answer = client.read_answer();
  expect_end(answer, 100, 50, MdReplayStatus::kServed);
  bench.expect_records_equal_multicast(answer, 100);

  // Three requests in one write, the middle one refused.
  const std::array<MdReplayRequest, 3> pipelined{{{1, 10, 0}, {600, 1, 0}, {490, 20, 0}}};
  client.send_raw(pipelined.data(), sizeof(pipelined));
  Answer first = client.read_answer();
  expect_end(first, 1, 10, MdReplayStatus::kServed);
  bench.expect_records_equal_multicast(first, 1);
  expect_end(client.read_answer(), 600, 0, MdReplayStatus::kNotYetPublished);
  Answer third = client.read_answer();
  expect_end(third, 490, 11, MdReplayStatus::kServed);
  bench.expect_records_equal_multicast(third, 490);

  // Half a request then a close: nothing is answered, nothing breaks.
  {
    ReplayClient half(bench.port());
    half.send_raw(bytes, 7);
  }
  client.request(5, 5);
  expect_end(client.read_answer(), 5, 5, MdReplayStatus::kServed);

  bench.stop();
  bench.expect_stream_intact();
}

TEST(MdReplayServer, two_hundred_connections_at_once_each_get_their_answer) {
  ReplayBench bench(8192);
  bench.start();
  bench.publish(6000);
  constexpr int kConnections = 200;
  std::vector<std::unique_ptr<ReplayClient>> clients;
  clients.reserve(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(std::make_unique<ReplayClient>(bench.port(), 1 << 18));
  }
  for (int i = 0; i < kConnections; ++i) {
    clients[static_cast<std::size_t>(i)]->request(1 + static_cast<SeqNum>(i) * 25, 1000);
  }
  // While they are answered, the stream goes on.
  bench.publish(2000);
  for (int i = 0; i < kConnections; ++i) {
    const SeqNum from = 1 + static_cast<SeqNum>(i) * 25;
    const Answer answer = clients[static_cast<std::size_t>(i)]->read_answer();
    expect_end(answer, from, 1000, MdReplayStatus::kServed);
    bench.expect_records_equal_multicast(answer, from);
  }
  clients.clear();
  bench.stop();
  bench.expect_stream_intact();
  EXPECT_GE(bench.server().stats().connections_accepted, static_cast<std::uint64_t>(kConnections));
  EXPECT_EQ(bench.server().stats().connections_refused, 0U);
}

TEST(MdReplayServer, a_reader_that_never_reads_is_cut_off_and_the_publisher_goes_on) {
  // The ring is not wrapped during the test, so every request is a full answer.
  // A stall limit well above any pause of a loaded machine, so the connection that reads is
  // never taken for a stalled one.
  ReplayBench bench(1 << 17, /*stall_timeout_ms=*/1000);
  bench.start();
  bench.publish(1 << 16);
  ReplayClient sleeper(bench.port(), 4096);
  // Far more than the socket buffers hold: 64 answers of 65,536 records (about 176 MB).
  std::vector<MdReplayRequest> requests(64, MdReplayRequest{1, 65'536, 0});
  sleeper.send_raw(requests.data(), requests.size() * sizeof(MdReplayRequest));

  // The publisher keeps publishing while the agent's connection is stuck, and another
  // connection is served meanwhile.
  bench.publish(20'000);
  ReplayClient other(bench.port());
  other.request(60'000, 5'000);
  Answer answer = other.read_answer();
  expect_end(answer, 60'000, 5'000, MdReplayStatus::kServed);
  bench.expect_records_equal_multicast(answer, 60'000);

  const auto deadline = Clock::now() + 20s;
  while (bench.server().stats().slow_closed == 0 && Clock::now() < deadline) {
    bench.drain();
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(bench.server().stats().slow_closed, 1U);
  const std::optional<std::uint64_t> read = sleeper.drain_until_closed(20s);
  ASSERT_TRUE(read.has_value()) << "the exchange closed the connection";
  EXPECT_LT(*read, requests.size() * 65'536ULL * sizeof(MarketUpdate));

  bench.stop();
  bench.expect_stream_intact();
  EXPECT_EQ(bench.publisher().stats().updates_published, bench.fed());
}

TEST(MdReplayServer, serves_the_updates_the_publisher_recovered_at_start_up) {
  ReplayBench bench(1024);
  // What ExchangeApp::recover() does with the journal's day: numbered, not sent.
  std::vector<MarketUpdate> recovered;
  for (std::uint64_t n = 1; n <= 300; ++n) {
    recovered.push_back(bench.publisher().recover(sample_update(n)));
  }
  bench.publisher().end_recovery();
  bench.start();
  ReplayClient client(bench.port());
  client.request(1, 300);
  const Answer answer = client.read_answer();
  expect_end(answer, 1, 300, MdReplayStatus::kServed);
  for (std::size_t i = 0; i < answer.records.size(); ++i) {
    ASSERT_EQ(std::memcmp(&answer.records[i], &recovered[i], sizeof(MarketUpdate)), 0) << i;
    EXPECT_EQ(answer.records[i].seq_num, i + 1);
  }
  client.request(301, 1);
  expect_end(client.read_answer(), 301, 0, MdReplayStatus::kNotYetPublished);
}

// --- The idle agent: the readiness watch (docs/io_backends.md) ---

// A replay agent driven on the test thread, over a ring holding records 1 to 5, with idle
// epoll looks spaced 10 s apart: a request taken within the test's bounds was taken because
// of the watch, or because the uring back end looks at every poll.
class IdleReplayAgent {
 public:
  explicit IdleReplayAgent(bool watch, common::IoBackend io = common::IoBackend::kEpoll)
      : ring_(64), server_(options(watch, io), ring_) {
    ring_.claim(5);
    for (std::uint64_t n = 1; n <= 5; ++n) {
      MarketUpdate update = sample_update(n);
      update.seq_num = n;
      ring_.write(update);
    }
    ring_.publish(5);
    server_.on_start();
  }

  // Polls until 100 polls in a row found nothing and looked at no socket (bounded): a
  // readiness report can trail the look that took what it reports, and costs one more look.
  void settle() {
    int quiet = 0;
    for (int i = 0; i < 100'000 && quiet < 100; ++i) {
      const std::uint64_t waits = server_.epoll_waits();
      const std::uint64_t enters = server_.ring_enters();
      const bool idle = server_.poll() == 0;
      quiet =
          idle && server_.epoll_waits() == waits && server_.ring_enters() == enters ? quiet + 1 : 0;
    }
    ASSERT_EQ(quiet, 100) << "the agent keeps looking";
  }

  // Polls, and reads what the client received, until the client has a REPLAY_END or `limit`
  // passed.
  Answer poll_for_answer(ReplayClient& client, std::chrono::milliseconds limit) {
    Answer answer;
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      (void)server_.poll();
      (void)client.connection().read_some();
      if (client.take_received(answer)) {
        return answer;
      }
      std::this_thread::sleep_for(200us);
    }
    return answer;
  }

  MdReplayServer& server() { return server_; }

 private:
  static MdReplayServerOptions options(bool watch, common::IoBackend io) {
    MdReplayServerOptions options;
    options.port = 0;
    options.io = io;
    options.watch_readiness = watch;
    options.idle_poll_interval_us = 10'000'000;
    return options;
  }

  MdReplayRing ring_;
  MdReplayServer server_;
};

TEST(MdReplayServer, an_idle_agent_with_the_watch_makes_no_system_call_and_answers_at_once) {
  IdleReplayAgent agent(true);
  if (!agent.server().watching_readiness()) {
    GTEST_SKIP() << "the kernel refused io_uring: no readiness watch";
  }
  ReplayClient client(agent.server().port());
  const auto deadline = Clock::now() + 5s;
  while (agent.server().stats().connections_accepted == 0 && Clock::now() < deadline) {
    (void)agent.server().poll();
    std::this_thread::sleep_for(200us);
  }
  ASSERT_EQ(agent.server().stats().connections_accepted, 1U) << "the watch reported the connection";
  ASSERT_NO_FATAL_FAILURE(agent.settle());

  const std::uint64_t waits = agent.server().epoll_waits();
  for (int i = 0; i < 10'000; ++i) {
    ASSERT_EQ(agent.server().poll(), 0);
  }
  EXPECT_EQ(agent.server().epoll_waits(), waits) << "idle polls read the watch's queue only";

  for (SeqNum from : {2U, 4U}) {  // the second after the agent went idle again
    client.request(from, 2);
    const Answer answer = agent.poll_for_answer(client, 5s);
    expect_end(answer, from, 2, MdReplayStatus::kServed);
    ASSERT_NO_FATAL_FAILURE(agent.settle());
  }
  EXPECT_EQ(agent.server().stats().requests, 2U);
}

TEST(MdReplayServer, on_the_uring_back_end_an_idle_agent_enters_no_ring_and_answers_at_once) {
  IdleReplayAgent agent(true, common::IoBackend::kUring);
  EXPECT_FALSE(agent.server().watching_readiness()) << "uring needs no watch";
  ReplayClient client(agent.server().port());
  client.request(1, 3);
  expect_end(agent.poll_for_answer(client, 5s), 1, 3, MdReplayStatus::kServed);
  ASSERT_NO_FATAL_FAILURE(agent.settle());
  const std::uint64_t enters = agent.server().ring_enters();
  for (int i = 0; i < 10'000; ++i) {
    ASSERT_EQ(agent.server().poll(), 0);
  }
  EXPECT_EQ(agent.server().ring_enters(), enters) << "idle polls read the completion queue";
  client.request(3, 3);
  expect_end(agent.poll_for_answer(client, 5s), 3, 3, MdReplayStatus::kServed);
  EXPECT_EQ(agent.server().epoll_waits(), 0U);
}

TEST(MdReplayServer, without_the_watch_an_idle_agent_looks_only_at_its_interval) {
  IdleReplayAgent agent(false);
  EXPECT_FALSE(agent.server().watching_readiness());
  ASSERT_NO_FATAL_FAILURE(agent.settle());  // its first look: nothing yet
  ReplayClient client(agent.server().port());
  client.request(1, 1);
  const Answer answer = agent.poll_for_answer(client, 200ms);
  EXPECT_FALSE(answer.end.has_value()) << "the next look is 10 s away";
  EXPECT_EQ(agent.server().stats().connections_accepted, 0U);
}

}  // namespace
}  // namespace llt::exchange
