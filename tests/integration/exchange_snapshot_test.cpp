// The exchange executable with state snapshots (docs/snapshots.md): a restart from the
// newest snapshot resumes the day exactly as a replay of the whole journal does (books, both
// numbered streams, the responses kept for replay); --journal-prune keeps only the newest
// snapshot; a journal whose first records are in no snapshot stops the start-up, naming them;
// --journal-check reports the snapshot.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "exchange/journal/journal_format.h"
#include "exchange/journal/journal_reader.h"
#include "exchange/journal/journal_writer.h"
#include "exchange/snapshot/state_snapshot.h"
#include "tests/support/child_process.h"
#include "tests/support/md_subscriber.h"
#include "tests/support/order_entry_client.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/trading_processes.h"

namespace llt::exchange {
namespace {

using namespace std::chrono_literals;
using exchange::testing::OrderEntryClient;
using test::ChildProcess;

constexpr ClientId kClient = 7;
constexpr int kOrders = 40;

// A scratch journal directory.
class TestDir : public test::ScratchDir {
 public:
  TestDir() : ScratchDir("llt-exchange-snapshot") {}
};

std::unique_ptr<ChildProcess> start_exchange(const std::filesystem::path& journal,
                                             const test::MdChannel& md,
                                             std::vector<std::string> extra) {
  std::vector<std::string> args = test::joined_args(
      {"--port", "0", "--tickers", "1", "--stats-interval", "0", "--journal-dir", journal.string()},
      test::md_flags(md));
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<ChildProcess>(LLT_EXCHANGE_BINARY, args);
}

ClientResponse receive(OrderEntryClient& client) {
  ClientResponse response{};
  EXPECT_EQ(client.receive(response), OrderEntryClient::Receive::kMessage);
  return response;
}

// Client kClient logs on with KEEP_ORDERS and rests kOrders buy orders; every fifth one is
// then crossed by a sell of 4 (a FILLED pair), so the streams and books hold more than ACCEPTs.
// The exchange is then stopped by `stop_signal`.
void trade_a_day(const std::filesystem::path& journal, const test::MdChannel& md,
                 const std::vector<std::string>& extra, int stop_signal) {
  auto exchange = start_exchange(journal, md, extra);
  const std::uint16_t port = test::exchange_port(*exchange);
  ASSERT_NE(port, 0) << exchange->stderr_text();
  OrderEntryClient client(port, kClient);
  ClientRequest logon = client.logon();
  logon.flags = kFlagKeepOrders;
  ASSERT_TRUE(client.send(logon));
  ASSERT_EQ(receive(client).msg_type, ClientResponseType::kLogonAccepted);
  OrderId id = 1;
  for (int i = 1; i <= kOrders; ++i) {
    ASSERT_TRUE(client.send(client.new_order(1, id++, Side::kBuy, 100 + i, 10)));
    ASSERT_EQ(receive(client).msg_type, ClientResponseType::kAccepted);
    if (i % 5 == 0) {
      ASSERT_TRUE(client.send(client.new_order(1, id++, Side::kSell, 100 + i, 4)));
      EXPECT_EQ(receive(client).msg_type, ClientResponseType::kAccepted);
      EXPECT_EQ(receive(client).msg_type, ClientResponseType::kFilled);
      EXPECT_EQ(receive(client).msg_type, ClientResponseType::kFilled);
    }
  }
  if (stop_signal == SIGKILL) {
    // The snapshot writer (a pass every 50 ms, slower on a loaded machine) writes the day's
    // first snapshot before the kill: waited for, bounded.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (list_snapshots(journal).empty() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
  }
  client.close();
  exchange->signal(stop_signal);
  const auto code = exchange->wait_exit(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, stop_signal == SIGKILL ? 128 + SIGKILL : 0) << exchange->stderr_text();
}

// What a client sees of the recovered day: LOGON_ACCEPTED with replay from 1, every response
// replayed, then the answer to a CANCEL of its last resting order.
std::vector<ClientResponse> what_the_day_says(const std::filesystem::path& journal,
                                              const test::MdChannel& md,
                                              const std::vector<std::string>& extra,
                                              std::string& stdout_text) {
  auto exchange = start_exchange(journal, md, extra);
  const std::uint16_t port = test::exchange_port(*exchange);
  EXPECT_NE(port, 0) << exchange->stderr_text();
  std::vector<ClientResponse> seen;
  if (port == 0) {
    return seen;
  }
  stdout_text = exchange->stdout_text();
  OrderEntryClient client(port, kClient);
  ClientRequest logon = client.logon();
  logon.order_id = 1;
  EXPECT_TRUE(client.send(logon));
  const ClientResponse accepted = receive(client);
  EXPECT_EQ(accepted.msg_type, ClientResponseType::kLogonAccepted);
  seen.push_back(accepted);
  for (SeqNum seq = 1; seq < accepted.market_order_id; ++seq) {
    seen.push_back(receive(client));
  }
  client.set_next_seq(accepted.client_order_id);
  // The last buy: ids run buy, buy, ..., buy, sell per five orders, so it is the one before the
  // last sell.
  EXPECT_TRUE(client.send(client.cancel(1, static_cast<OrderId>(kOrders + kOrders / 5 - 1))));
  seen.push_back(receive(client));
  client.close();
  exchange->signal(SIGTERM);
  EXPECT_EQ(exchange->wait_exit(10s), 0) << exchange->stderr_text();
  return seen;
}

void expect_same(const std::vector<ClientResponse>& a, const std::vector<ClientResponse>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(a[i] == b[i]) << "response " << i << " differs";
  }
}

TEST(ExchangeSnapshot, a_restart_from_a_snapshot_resumes_the_day_as_a_full_replay_does) {
  const TestDir dir;
  const test::MdChannel md = test::md_random_channel();
  const std::filesystem::path journal = dir.path() / "journal";
  trade_a_day(journal, md, {"--journal-snapshot-records", "25"}, SIGKILL);
  const auto snapshots = list_snapshots(journal);
  ASSERT_FALSE(snapshots.empty()) << "no snapshot was written";

  // The same journal without its snapshots: the whole day is replayed.
  const std::filesystem::path replayed = dir.path() / "replayed";
  std::filesystem::create_directories(replayed);
  for (const auto& entry : std::filesystem::directory_iterator(journal)) {
    if (parse_journal_file_name(entry.path().filename().string())) {
      std::filesystem::copy_file(entry.path(), replayed / entry.path().filename());
    }
  }
  std::string from_snapshot_out;
  std::string full_out;
  const auto from_snapshot =
      what_the_day_says(journal, md, {"--journal-snapshot-records", "0"}, from_snapshot_out);
  const auto full = what_the_day_says(replayed, md, {"--journal-snapshot-records", "0"}, full_out);
  EXPECT_NE(from_snapshot_out.find("restored snapshot " + snapshots.back().filename().string()),
            std::string::npos)
      << from_snapshot_out;
  EXPECT_EQ(full_out.find("restored snapshot"), std::string::npos) << full_out;
  ASSERT_GT(from_snapshot.size(), static_cast<std::size_t>(kOrders));
  expect_same(from_snapshot, full);
  EXPECT_EQ(from_snapshot.back().msg_type, ClientResponseType::kCanceled)
      << "the last order rests in the recovered book";
}

TEST(ExchangeSnapshot, a_clean_stop_leaves_a_snapshot_and_prune_keeps_only_the_newest) {
  const TestDir dir;
  const test::MdChannel md = test::md_random_channel();
  const std::filesystem::path journal = dir.path() / "journal";
  trade_a_day(journal, md, {"--journal-snapshot-records", "10", "--journal-prune"}, SIGTERM);
  const auto snapshots = list_snapshots(journal);
  ASSERT_EQ(snapshots.size(), 1U) << "prune leaves the newest snapshot only";
  const JournalScan scan = JournalReader(journal).scan(false);
  EXPECT_EQ(parse_snapshot_file_name(snapshots.back().filename().string()), scan.next_index)
      << "the clean stop's snapshot includes every record";

  std::string out;
  const auto day = what_the_day_says(journal, md, {}, out);
  EXPECT_NE(out.find(" 0 records replayed"), std::string::npos) << out;
  ASSERT_FALSE(day.empty());
  EXPECT_EQ(day.back().msg_type, ClientResponseType::kCanceled);

  ChildProcess check(LLT_EXCHANGE_BINARY, {"--journal-check", journal.string()});
  ASSERT_EQ(check.wait_exit(30s), 0) << check.stdout_text();
  EXPECT_NE(check.stdout_text().find("last snapshot: " +
                                     list_snapshots(journal).back().filename().string()),
            std::string::npos)
      << check.stdout_text();
}

TEST(ExchangeSnapshot, records_in_no_snapshot_and_no_journal_file_stop_the_start_naming_them) {
  const TestDir dir;
  const test::MdChannel md = test::md_random_channel();
  const std::filesystem::path journal = dir.path() / "journal";
  std::filesystem::create_directories(journal);
  {
    JournalWriterOptions options;
    options.directory = journal;
    options.max_file_bytes = kJournalHeaderSize + 10 * kJournalRecordSize;
    JournalWriter writer(options, JournalReader(journal).scan(true));
    ClientRequest logon{};
    logon.msg_type = ClientRequestType::kLogon;
    logon.client_id = kClient;
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(writer.append(JournalRecordKind::kLogon, RejectReason::kNone, logon));
    }
    ASSERT_TRUE(writer.commit());
  }
  std::filesystem::remove(journal / journal_file_name(1));
  auto exchange = start_exchange(journal, md, {});
  const auto code = exchange->wait_exit(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_NE(
      exchange->stderr_text().find("records 1 to 10 are neither in the journal nor in a snapshot"),
      std::string::npos)
      << exchange->stderr_text();

  ChildProcess check(LLT_EXCHANGE_BINARY, {"--journal-check", journal.string()});
  EXPECT_EQ(check.wait_exit(30s), 1) << check.stdout_text();
  EXPECT_NE(check.stdout_text().find("records 1 to 10 are neither"), std::string::npos)
      << check.stdout_text();
}

}  // namespace
}  // namespace llt::exchange
