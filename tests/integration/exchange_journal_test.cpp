// The exchange executable on its journal (docs/recovery.md, Durability): a restart resumes the
// day (books, both numbered streams of a client, the next request number); a torn last record
// is cut off and reported; a flipped bit in the middle stops the start-up naming the file and
// the offset; --journal-check says the same without changing anything.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "exchange/journal/journal_format.h"
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

constexpr ClientId kClient = 5;

// A scratch journal directory.
class JournalDir : public test::ScratchDir {
 public:
  JournalDir() : ScratchDir("llt-exchange-journal") {}
  [[nodiscard]] std::filesystem::path first_file() const { return path() / journal_file_name(1); }
};

// pending_signal: see ChildProcess.
std::unique_ptr<ChildProcess> start_exchange(const JournalDir& dir, const test::MdChannel& md,
                                             int pending_signal = 0) {
  return std::make_unique<ChildProcess>(
      LLT_EXCHANGE_BINARY,
      test::joined_args({"--port", "0", "--tickers", "1", "--stats-interval", "0", "--journal-dir",
                         dir.path().string(), "--journal-snapshot-records", "0"},
                        test::md_flags(md)),
      pending_signal);
}

std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

ClientResponse receive(OrderEntryClient& client) {
  ClientResponse response{};
  EXPECT_EQ(client.receive(response), OrderEntryClient::Receive::kMessage);
  return response;
}

// A first day: client kClient logs on with KEEP_ORDERS and rests `orders` buy orders (answered
// ACCEPTED 1..orders), then the exchange stops cleanly.
void trade_a_day(const JournalDir& dir, const test::MdChannel& md, int orders) {
  auto exchange = start_exchange(dir, md);
  const std::uint16_t port = test::exchange_port(*exchange);
  ASSERT_NE(port, 0) << exchange->stderr_text();
  OrderEntryClient client(port, kClient);
  ClientRequest logon = client.logon();
  logon.flags = kFlagKeepOrders;
  ASSERT_TRUE(client.send(logon));
  ASSERT_EQ(receive(client).msg_type, ClientResponseType::kLogonAccepted);
  for (int i = 1; i <= orders; ++i) {
    ASSERT_TRUE(client.send(client.new_order(1, static_cast<OrderId>(i), Side::kBuy, 100 - i, 10)));
    const ClientResponse accepted = receive(client);
    ASSERT_EQ(accepted.msg_type, ClientResponseType::kAccepted);
    ASSERT_EQ(accepted.seq_num, static_cast<SeqNum>(i));
  }
  client.close();
  exchange->signal(SIGTERM);
  ASSERT_EQ(exchange->wait_exit(10s), 0) << exchange->stderr_text();
}

TEST(ExchangeJournal, a_restart_resumes_the_day_and_replays_the_stream_with_its_numbers) {
  const JournalDir dir;
  const test::MdChannel md = test::md_random_channel();
  trade_a_day(dir, md, 3);

  auto exchange = start_exchange(dir, md);
  const std::uint16_t port = test::exchange_port(*exchange);
  ASSERT_NE(port, 0) << exchange->stderr_text();
  EXPECT_NE(exchange->stdout_text().find("4 records replayed (3 requests)"), std::string::npos)
      << exchange->stdout_text();
  OrderEntryClient client(port, kClient);
  ClientRequest logon = client.logon();
  logon.order_id = 2;  // replay from response 2
  ASSERT_TRUE(client.send(logon));
  const ClientResponse accepted = receive(client);
  ASSERT_EQ(accepted.msg_type, ClientResponseType::kLogonAccepted);
  EXPECT_EQ(accepted.seq_num, 2u);
  EXPECT_EQ(accepted.client_order_id, 4u) << "requests 1-3 are in the journal";
  EXPECT_EQ(accepted.market_order_id, 4u) << "responses 1-3 were numbered";
  for (SeqNum seq = 2; seq <= 3; ++seq) {
    const ClientResponse replayed = receive(client);
    EXPECT_EQ(replayed.msg_type, ClientResponseType::kAccepted);
    EXPECT_EQ(replayed.seq_num, seq);
    EXPECT_EQ(replayed.client_order_id, seq);
  }
  // The orders rest in the recovered book: a CANCEL of order 3 finds it.
  client.set_next_seq(accepted.client_order_id);
  ASSERT_TRUE(client.send(client.cancel(1, 3)));
  const ClientResponse canceled = receive(client);
  EXPECT_EQ(canceled.msg_type, ClientResponseType::kCanceled);
  EXPECT_EQ(canceled.seq_num, 4u);
  client.close();
  exchange->signal(SIGTERM);
  EXPECT_EQ(exchange->wait_exit(10s), 0) << exchange->stderr_text();
}

TEST(ExchangeJournal, a_stop_signal_during_the_replay_ends_the_start_up_and_changes_nothing) {
  const JournalDir dir;
  const test::MdChannel md = test::md_random_channel();
  trade_a_day(dir, md, 3);
  const std::string journal = file_bytes(dir.first_file());
  ASSERT_FALSE(journal.empty());

  for (const int signo : {SIGTERM, SIGINT}) {
    auto stopped = start_exchange(dir, md, signo);
    EXPECT_EQ(stopped->wait_exit(10s), 0) << stopped->stderr_text();
    EXPECT_NE(stopped->stderr_text().find("stopped by a signal during start-up, in the journal's "
                                          "replay at record 1 (0 records replayed)"),
              std::string::npos)
        << stopped->stderr_text();
    EXPECT_EQ(stopped->stdout_text().find("order entry on"), std::string::npos)
        << "nothing was served: " << stopped->stdout_text();
    EXPECT_EQ(file_bytes(dir.first_file()), journal) << "the journal is left as it was";
  }

  // The next start replays the whole day.
  auto exchange = start_exchange(dir, md);
  ASSERT_NE(test::exchange_port(*exchange), 0) << exchange->stderr_text();
  EXPECT_NE(exchange->stdout_text().find("4 records replayed (3 requests)"), std::string::npos)
      << exchange->stdout_text();
  exchange->signal(SIGTERM);
  EXPECT_EQ(exchange->wait_exit(10s), 0) << exchange->stderr_text();
}

TEST(ExchangeJournal, a_journal_folder_that_cannot_be_made_is_refused_naming_the_flag) {
  const JournalDir dir;
  const std::filesystem::path file = dir.path() / "a-file";
  std::ofstream(file) << "x";
  // (An existing path that is no folder is refused with the flags, exit 2.)
  for (const std::filesystem::path& bad : {file / "journal", file / "journal" / "day"}) {
    ChildProcess exchange(
        LLT_EXCHANGE_BINARY,
        test::joined_args({"--port", "0", "--tickers", "1", "--journal-dir", bad.string()},
                          test::md_flags(test::md_random_channel())));
    EXPECT_EQ(exchange.wait_exit(10s), 1) << exchange.stderr_text();
    EXPECT_NE(
        exchange.stderr_text().find("exchange: --journal-dir " + bad.string() +
                                    ": cannot use it as the journal's folder: Not a directory"),
        std::string::npos)
        << exchange.stderr_text();
  }
}

TEST(ExchangeJournal, a_torn_last_record_is_cut_off_and_reported_and_the_rest_recovered) {
  const JournalDir dir;
  const test::MdChannel md = test::md_random_channel();
  trade_a_day(dir, md, 3);
  // Cut the last record (the third NEW) in its middle, as a crash during its write would.
  const auto size = std::filesystem::file_size(dir.first_file());
  std::filesystem::resize_file(dir.first_file(), size - kJournalRecordSize / 2);

  ChildProcess check(LLT_EXCHANGE_BINARY, {"--journal-check", dir.path().string()});
  EXPECT_EQ(check.wait_exit(10s), 0);
  EXPECT_NE(check.stdout_text().find("torn"), std::string::npos) << check.stdout_text();
  EXPECT_EQ(std::filesystem::file_size(dir.first_file()), size - kJournalRecordSize / 2)
      << "the check changes nothing";

  auto exchange = start_exchange(dir, md);
  const std::uint16_t port = test::exchange_port(*exchange);
  ASSERT_NE(port, 0) << exchange->stderr_text();
  const std::string out = exchange->stdout_text();
  EXPECT_NE(out.find("torn tail cut off"), std::string::npos) << out;
  EXPECT_NE(out.find("3 records replayed (2 requests)"), std::string::npos) << out;
  EXPECT_EQ(std::filesystem::file_size(dir.first_file()), size - kJournalRecordSize)
      << "cut at the last whole record";
  OrderEntryClient client(port, kClient);
  ClientRequest logon = client.logon();
  logon.order_id = 1;
  ASSERT_TRUE(client.send(logon));
  const ClientResponse accepted = receive(client);
  ASSERT_EQ(accepted.msg_type, ClientResponseType::kLogonAccepted);
  EXPECT_EQ(accepted.client_order_id, 3u) << "request 3 never reached the journal whole";
  EXPECT_EQ(accepted.market_order_id, 3u);
  client.close();
  exchange->signal(SIGTERM);
  EXPECT_EQ(exchange->wait_exit(10s), 0) << exchange->stderr_text();
}

TEST(ExchangeJournal, a_flipped_bit_in_the_middle_stops_the_start_naming_file_and_offset) {
  const JournalDir dir;
  const test::MdChannel md = test::md_random_channel();
  trade_a_day(dir, md, 5);
  // Record 3 of 6 (LOGON, 5 NEWs): a bit of its price.
  const std::uint64_t record_offset = kJournalHeaderSize + 2 * kJournalRecordSize;
  {
    std::fstream file(dir.first_file(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(record_offset + 40));
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x10);
    file.seekp(static_cast<std::streamoff>(record_offset + 40));
    file.write(&byte, 1);
  }
  const std::string where = journal_file_name(1) + " offset " + std::to_string(record_offset);

  ChildProcess check(LLT_EXCHANGE_BINARY, {"--journal-check", dir.path().string()});
  EXPECT_EQ(check.wait_exit(10s), 1);
  EXPECT_NE(check.stdout_text().find(where), std::string::npos) << check.stdout_text();

  auto exchange = start_exchange(dir, md);
  const std::optional<int> code = exchange->wait_exit(15s);
  ASSERT_TRUE(code.has_value()) << "the exchange started on a corrupt journal";
  EXPECT_EQ(*code, 1);
  EXPECT_NE(exchange->stderr_text().find(where), std::string::npos) << exchange->stderr_text();
  EXPECT_EQ(exchange->stdout_text().find("order entry on"), std::string::npos);
}

TEST(ExchangeJournal, the_check_refuses_a_path_that_is_no_journal_folder_and_other_arguments) {
  const JournalDir dir;
  const std::string missing = (dir.path() / "no-such-folder").string();
  const std::string file = (dir.path() / "a-file").string();
  std::ofstream(file) << "not a folder";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--journal-check", missing}, "--journal-check: '" + missing + "' does not exist"},
      {{"--journal-check", file}, "--journal-check: '" + file + "' is not a directory"},
      {{"--journal-check", ""}, "--journal-check: needs a directory"},
      {{"--journal-check="}, "--journal-check: needs a directory"},
      {{"--journal-check"}, "--journal-check: needs a value"},
      {{"--journal-check", dir.path().string(), "--port", "abc"},
       "--journal-check: runs alone: give '--journal-check DIR' and no other argument"},
      {{"--bogus", "--journal-check=" + dir.path().string()},
       "--journal-check: runs alone: give '--journal-check DIR' and no other argument"},
  };
  for (const auto& [args, message] : cases) {
    ChildProcess check(LLT_EXCHANGE_BINARY, args);
    EXPECT_EQ(check.wait_exit(10s), 2) << message;
    EXPECT_NE(check.stderr_text().find("exchange: " + message + "\n"), std::string::npos)
        << check.stderr_text();
    EXPECT_EQ(check.stdout_text(), "") << message;
  }
  // An empty folder is a journal of no records: the check passes.
  ChildProcess empty(LLT_EXCHANGE_BINARY, {"--journal-check", dir.path().string()});
  EXPECT_EQ(empty.wait_exit(10s), 0) << empty.stdout_text();
}

}  // namespace
}  // namespace llt::exchange
