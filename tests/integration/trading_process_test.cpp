// The real trading executable against the real exchange executable on loopback: flags, a
// clean exit, and a market maker, a liquidity taker and a random trader whose positions,
// fills and books agree with the exchange's.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "common/net/mcast_socket.h"
#include "tests/support/child_process.h"
#include "tests/support/json_reader.h"
#include "tests/support/md_book_rebuilder.h"
#include "tests/support/md_subscriber.h"

namespace llt::trading {
namespace {

using namespace std::chrono_literals;
using exchange::MarketUpdate;
using exchange::SeqNum;
using exchange::TickerId;
using test::ChildProcess;
using test::md_random_channel;
using test::MdBooks;
using test::MdChannel;

constexpr const char* kExchange = LLT_EXCHANGE_BINARY;
constexpr const char* kTrading = LLT_TRADING_BINARY;

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "llt_trading_" + std::to_string(::getpid()) + "_" + name;
}

std::vector<std::string> md_args(const MdChannel& md) {
  return {"--multicast-addr",      md.group,          "--multicast-port",
          std::to_string(md.port), "--snapshot-port", std::to_string(md.snapshot_port)};
}

std::unique_ptr<ChildProcess> start_exchange(const MdChannel& md, std::uint16_t& port,
                                             const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"--port",
                                "0",
                                "--tickers",
                                "1,2",
                                "--max-orders",
                                "16384",
                                "--snapshot-interval-ms",
                                "200",
                                "--stats-interval",
                                "0"};
  const auto md_flags = md_args(md);
  args.insert(args.end(), md_flags.begin(), md_flags.end());
  args.insert(args.end(), extra.begin(), extra.end());
  auto exchange = std::make_unique<ChildProcess>(kExchange, args);
  port = test::exchange_port(*exchange);
  return exchange;
}

struct Client {
  std::string name;
  std::uint32_t client_id;
  std::vector<std::string> strategy_args;
  std::string book_file;
  std::unique_ptr<ChildProcess> process;
  std::string summary_file;
  std::string stats_file;
};

void start_client(Client& client, std::uint16_t port, const MdChannel& md, double duration_s,
                  const std::vector<std::string>& extra = {}) {
  client.book_file = temp_path(client.name + ".book");
  client.summary_file = temp_path(client.name + ".json");
  client.stats_file = temp_path(client.name + ".stats.csv");
  std::vector<std::string> args{"--port",
                                std::to_string(port),
                                "--client-id",
                                std::to_string(client.client_id),
                                "--duration",
                                std::to_string(duration_s),
                                "--stats-interval",
                                "1",
                                "--book-dump",
                                client.book_file,
                                "--summary-json",
                                client.summary_file,
                                "--stats-csv",
                                client.stats_file,
                                "--stats-csv-interval-ms",
                                "200"};
  const auto md_flags = md_args(md);
  args.insert(args.end(), md_flags.begin(), md_flags.end());
  args.insert(args.end(), client.strategy_args.begin(), client.strategy_args.end());
  args.insert(args.end(), extra.begin(), extra.end());
  client.process = std::make_unique<ChildProcess>(kTrading, args);
}

// Every incremental record the exchange published, by seq_num (loopback may reorder or
// duplicate nothing, but the map makes the order and uniqueness explicit).
class StreamRecorder {
 public:
  explicit StreamRecorder(const MdChannel& md) : receiver_(md.group, md.port) {
    test::md_grow_receive_buffer(receiver_);
  }

  void poll() {
    std::array<std::byte, 2048> buffer{};
    for (;;) {
      const common::IoResult result = receiver_.receive(buffer.data(), buffer.size());
      if (result.status != common::IoStatus::kOk)
        return;
      test::md_for_each_record(buffer.data(), result.bytes, [&](const MarketUpdate& update) {
        if (update.msg_type != exchange::MarketUpdateType::kHeartbeat)
          records_.emplace(update.seq_num, update);
      });
    }
  }

  // Whether update `seq` has been recorded.
  bool has(SeqNum seq) const { return records_.count(seq) != 0; }

  // The exchange's books after update `seq`, rebuilt from the recording; nullopt when a
  // record up to it is missing.
  std::optional<MdBooks> books_at(SeqNum seq) const {
    test::MdBookRebuilder rebuilder;
    for (SeqNum s = 1; s <= seq; ++s) {
      const auto it = records_.find(s);
      if (it == records_.end())
        return std::nullopt;
      rebuilder.on_record(it->second);
    }
    return rebuilder.books();
  }

  [[nodiscard]] std::uint64_t traded_qty(TickerId ticker) const {
    std::uint64_t qty = 0;
    for (const auto& [seq, update] : records_) {
      if (update.msg_type == exchange::MarketUpdateType::kTrade && update.ticker_id == ticker)
        qty += update.qty;
    }
    return qty;
  }

  [[nodiscard]] SeqNum last_seq() const { return records_.empty() ? 0 : records_.rbegin()->first; }

  // The price of the last TRADE of `ticker` recorded (0: none).
  [[nodiscard]] exchange::Price last_trade_price(TickerId ticker) const {
    exchange::Price price = 0;
    for (const auto& [seq, update] : records_) {
      if (update.msg_type == exchange::MarketUpdateType::kTrade && update.ticker_id == ticker)
        price = update.price;
    }
    return price;
  }

 private:
  common::McastReceiver receiver_;
  std::map<SeqNum, MarketUpdate> records_;
};

// A client's --book-dump: "seq N", then "ticker side price qty priority order_id" lines.
struct BookDump {
  SeqNum seq = 0;
  MdBooks books;
};

std::optional<BookDump> read_book_dump(const std::string& path) {
  std::ifstream in(path);
  std::string word;
  BookDump dump;
  if (!(in >> word >> dump.seq) || word != "seq")
    return std::nullopt;
  TickerId ticker = 0;
  std::string side;
  test::MdOrder order;
  exchange::OrderId id = 0;
  while (in >> ticker >> side >> order.price >> order.qty >> order.priority >> id) {
    order.side = side == "BUY" ? exchange::Side::kBuy : exchange::Side::kSell;
    if (!dump.books[ticker].add(id, order).empty())
      return std::nullopt;
  }
  return dump;
}

// One "trading: ticker T position P bought B sold S ..." summary line.
struct TickerSummary {
  std::int64_t position = 0;
  std::uint64_t bought = 0;
  std::uint64_t sold = 0;
};

std::optional<TickerSummary> ticker_summary(const std::string& out, TickerId ticker) {
  const std::regex line("trading: ticker " + std::to_string(ticker) +
                        " position (-?[0-9]+) bought ([0-9]+) sold ([0-9]+)");
  std::smatch match;
  if (!std::regex_search(out, match, line))
    return std::nullopt;
  return TickerSummary{std::stoll(match[1]), std::stoull(match[2]), std::stoull(match[3])};
}

std::uint64_t summary_count(const std::string& out, const std::string& label) {
  // The last match: the status lines printed while it ran carry some labels too, with the
  // figures of their time; the exit summary comes after them.
  const std::regex pattern(label + " ([0-9]+)");
  std::uint64_t last = 0;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), pattern);
       it != std::sregex_iterator(); ++it) {
    last = std::stoull((*it)[1]);
  }
  return last;
}

// The number after `label` in the client's last status line (stdout, one a second); 0 before
// its first one.
std::uint64_t status_count(const Client& client, const std::string& label) {
  const std::string out = client.process->stdout_text();
  const std::size_t at = out.rfind("trading: client ");
  if (at == std::string::npos)
    return 0;
  return summary_count(out.substr(at, out.find('\n', at) - at), label);
}

// The clients' --duration: only a bound should the test die before it stops them.
constexpr double kClientCapSeconds = 180.0;
// How long a run may take to show what the test waits for (a passing run waits only as long
// as it takes; a sanitized one on a loaded machine takes several times longer).
constexpr auto kEventLimit = 60s;

// Runs `each` every millisecond until `done()` holds, at least `least` and at most kEventLimit;
// then stops the clients with SIGTERM (each winds down and logs out). Returns done().
template <typename Done, typename Each>
bool run_then_stop(std::vector<Client*> clients, std::chrono::milliseconds least, Done done,
                   Each each) {
  const auto start = std::chrono::steady_clock::now();
  bool ok = false;
  while (std::chrono::steady_clock::now() < start + kEventLimit) {
    each();
    if (std::chrono::steady_clock::now() >= start + least && done()) {
      ok = true;
      break;
    }
    std::this_thread::sleep_for(1ms);
  }
  for (Client* client : clients)
    client->process->signal(SIGTERM);
  return ok;
}

TEST(TradingProcess, refuses_bad_flags_naming_the_flag_and_exits_non_zero) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--strategy", "momentum"}, "--strategy"},
      {{"--port", "0"}, "--port"},
      {{"--ticker", "x"}, "--ticker"},
      {{"--md-loss-rate", "1.5"}, "--md-loss-rate"},
      {{"--interface", "0.0.0.0"}, "--interface"},
      {{"--bogus"}, "--bogus"},
  };
  for (const auto& [args, flag] : cases) {
    ChildProcess trading(kTrading, args);
    const auto code = trading.wait_exit(test::kStartupLimit);
    ASSERT_TRUE(code.has_value()) << flag << ": still running";
    EXPECT_EQ(*code, 2) << flag;
    // One format for every bad flag: "<program>: <flag>: <reason>".
    EXPECT_EQ(trading.stderr_text().rfind("trading: " + flag + ": ", 0), 0U)
        << flag << ": " << trading.stderr_text();
  }
  ChildProcess help(kTrading, {"--help"});
  ASSERT_EQ(help.wait_exit(test::kStartupLimit), 0);
  EXPECT_NE(help.stdout_text().find("--signal-threshold"), std::string::npos);
}

TEST(TradingProcess, without_an_exchange_keeps_retrying_and_exits_3_on_sigterm) {
  const MdChannel md = md_random_channel();
  // A port nothing listens on: the client retries with back-off and keeps running.
  const std::string summary_path = temp_path("down.json");
  std::vector<std::string> args{"--port",         "1",         "--stats-interval", "1",
                                "--summary-json", summary_path};
  const auto md_flags = md_args(md);
  args.insert(args.end(), md_flags.begin(), md_flags.end());
  ChildProcess trading(kTrading, args);
  ASSERT_TRUE(trading.wait_for_output("trading: client 1", test::kStartupLimit))
      << trading.stderr_text();
  std::this_thread::sleep_for(1500ms);
  ASSERT_FALSE(trading.wait_exit(0ms).has_value()) << trading.stderr_text();
  trading.signal(SIGTERM);
  // It never logged on: exit code 3 (docs/operations.md, Exit codes), everything still written.
  ASSERT_EQ(trading.wait_exit(10s), 3) << trading.stderr_text();
  EXPECT_NE(trading.stderr_text().find("trading: never logged on to the exchange at 127.0.0.1:1"),
            std::string::npos)
      << trading.stderr_text();
  const std::string out = trading.stdout_text();
  EXPECT_NE(out.find("hop (ns)"), std::string::npos) << out;
  EXPECT_NE(out.find("trading: stopped"), std::string::npos) << out;
  EXPECT_EQ(summary_count(out, "orders sent"), 0U) << out;

  std::string error;
  const auto summary = test::JsonReader::parse_file(summary_path, &error);
  std::remove(summary_path.c_str());
  ASSERT_TRUE(summary.has_value()) << error;
  EXPECT_EQ((*summary)["process"].text, "trading");
  EXPECT_EQ((*summary)["client_id"].integer(), 1);
  EXPECT_FALSE((*summary)["session"]["ever_logged_on"].boolean);
  EXPECT_EQ((*summary)["session"]["logons"].integer(), 0);
  EXPECT_GT((*summary)["session"]["connect_attempts"].integer(), 0);
  EXPECT_EQ((*summary)["counters"]["orders_sent"].integer(), 0);
  ASSERT_EQ((*summary)["tickers"].elements.size(), 1U);
  EXPECT_EQ((*summary)["tickers"].elements[0]["position"].integer(), 0);
}

// A --stats-csv file: the column names and the rows, each cell as text.
struct StatsCsv {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;

  // The column's cell of the last row; "" when there is no such column or row.
  [[nodiscard]] std::string last(const std::string& column) const {
    const auto it = std::find(columns.begin(), columns.end(), column);
    if (it == columns.end() || rows.empty())
      return {};
    return rows.back()[static_cast<std::size_t>(it - columns.begin())];
  }
};

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ','))
    cells.push_back(cell);
  if (!line.empty() && line.back() == ',')
    cells.emplace_back();
  return cells;
}

// Reads `path`; every row must have as many cells as the header and a time_s after the
// previous row's (else nullopt with `error`).
std::optional<StatsCsv> read_stats_csv(const std::string& path, std::string& error) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) {
    error = path + ": empty or missing";
    return std::nullopt;
  }
  StatsCsv csv;
  csv.columns = split_csv_line(line);
  double previous = -1;
  while (std::getline(in, line)) {
    std::vector<std::string> cells = split_csv_line(line);
    if (cells.size() != csv.columns.size()) {
      error = path + ": a row of " + std::to_string(cells.size()) + " cells under " +
              std::to_string(csv.columns.size()) + " columns: " + line;
      return std::nullopt;
    }
    const double time_s = std::stod(cells[0]);
    if (time_s <= previous) {
      error = path + ": time_s does not increase: " + line;
      return std::nullopt;
    }
    previous = time_s;
    csv.rows.push_back(std::move(cells));
  }
  return csv;
}

// A client's --stats-csv: a row every 200 ms while it ran, the last one (written after the
// stop) agreeing with its --summary-json.
void expect_stats_csv_matches_the_summary(const Client& client, const test::JsonValue& s) {
  std::string error;
  const auto csv = read_stats_csv(client.stats_file, error);
  std::remove(client.stats_file.c_str());
  ASSERT_TRUE(csv.has_value()) << client.name << ": " << error;
  ASSERT_FALSE(csv->columns.empty());
  EXPECT_EQ(csv->columns[0], "time_s");
  for (const char* column : {"orders", "fills", "round_trip_p50_us", "t1_position",
                             "t1_total_cents", "t1_bid_cents", "t1_last_cents"}) {
    EXPECT_NE(std::find(csv->columns.begin(), csv->columns.end(), column), csv->columns.end())
        << client.name << ": no column " << column;
  }
  // About 4 to 5 s at 5 rows a second; loaded machines write fewer, never none.
  ASSERT_GE(csv->rows.size(), 5U) << client.name;
  EXPECT_EQ(csv->last("orders"), std::to_string(s["counters"]["orders_sent"].integer()))
      << client.name;
  EXPECT_EQ(csv->last("fills"), std::to_string(s["counters"]["fills"].integer())) << client.name;
  EXPECT_EQ(csv->last("t1_position"),
            std::to_string(s["tickers"].elements[0]["position"].integer()))
      << client.name;
  EXPECT_NE(csv->last("t1_last_cents"), "") << client.name << ": no trade seen";
}

// A client's --summary-json agrees with its text summary on stdout.
void expect_summary_json_matches_the_text(const Client& client, const std::string& out) {
  std::string error;
  const auto summary = test::JsonReader::parse_file(client.summary_file, &error);
  std::remove(client.summary_file.c_str());
  ASSERT_TRUE(summary.has_value()) << client.name << ": " << error;
  const test::JsonValue& s = *summary;
  EXPECT_EQ(s["process"].text, "trading");
  EXPECT_EQ(s["client_id"].integer(), static_cast<std::int64_t>(client.client_id));
  EXPECT_TRUE(s["session"]["ever_logged_on"].boolean) << client.name;
  ASSERT_EQ(s["tickers"].elements.size(), 1U) << client.name;
  const test::JsonValue& ticker = s["tickers"].elements[0];
  EXPECT_EQ(ticker["ticker"].integer(), 1);
  const auto text = ticker_summary(out, 1);
  ASSERT_TRUE(text.has_value()) << out;
  EXPECT_EQ(ticker["position"].integer(), text->position) << client.name;
  EXPECT_EQ(static_cast<std::uint64_t>(ticker["bought"].integer()), text->bought) << client.name;
  EXPECT_EQ(static_cast<std::uint64_t>(ticker["sold"].integer()), text->sold) << client.name;
  EXPECT_EQ(static_cast<std::uint64_t>(s["counters"]["orders_sent"].integer()),
            summary_count(out, "orders sent"))
      << client.name;
  EXPECT_EQ(static_cast<std::uint64_t>(s["counters"]["fills"].integer()),
            summary_count(out, "modifies rejected [0-9]+ fills"))
      << client.name;
  EXPECT_EQ(static_cast<std::uint64_t>(s["counters"]["modifies_sent"].integer()),
            summary_count(out, "modifies sent"))
      << client.name;
  EXPECT_EQ(static_cast<std::uint64_t>(s["counters"]["expirations"].integer()),
            summary_count(out, "expired"))
      << client.name;
  EXPECT_EQ(static_cast<std::uint64_t>(s["counters"]["quote_changes"].integer()),
            summary_count(out, "quote changes"))
      << client.name;
  EXPECT_EQ(static_cast<std::uint64_t>(s["risk_rejects"].integer()),
            summary_count(out, "risk rejects"))
      << client.name;
  EXPECT_EQ(static_cast<std::uint64_t>(s["session"]["requests"].integer()),
            summary_count(out, "disconnects [0-9]+ requests"))
      << client.name;
  for (const char* hop : {"md_read_to_order_sent", "order_sent_to_response_read"}) {
    ASSERT_TRUE(s["latency_ns"].has(hop)) << client.name << " " << hop;
    EXPECT_TRUE(s["latency_ns"][hop]["p99_9"].is_number()) << client.name << " " << hop;
  }
  std::smatch answers;
  ASSERT_TRUE(
      std::regex_search(out, answers, std::regex("order round trip .* \\(([0-9]+) answers")))
      << out;
  EXPECT_EQ(s["latency_ns"]["order_sent_to_response_read"]["count"].text, answers[1].str())
      << client.name;
  expect_stats_csv_matches_the_summary(client, s);
}

// The market maker moved its quotes with MODIFY: one request per quote change (cancel + new
// sends two), and no CANCEL but the wind-down's (one per side) and those after a refusal. The
// taker's IOCs and the random trader's IOC and FOK orders expired instead of resting.
void expect_order_types_used(const std::vector<Client>& clients) {
  const std::string maker = clients[0].process->stdout_text();
  const std::uint64_t refusals =
      summary_count(maker, "risk rejects") + summary_count(maker, "exchange rejects");
  EXPECT_GT(summary_count(maker, "modifies sent"), 0U) << maker;
  EXPECT_LE(summary_count(maker, "cancels sent"), 2 + refusals) << maker;
  EXPECT_GT(summary_count(maker, "quote changes"), 0U) << maker;
  EXPECT_LE(summary_count(maker, "quote changes [0-9]+ requests"),
            summary_count(maker, "quote changes"))
      << maker;
  const std::string taker = clients[1].process->stdout_text();
  EXPECT_EQ(summary_count(taker, "cancels sent"), 0U) << taker;
  EXPECT_EQ(summary_count(taker, "modifies sent"), 0U) << taker;
  const std::string random = clients[2].process->stdout_text();
  EXPECT_GT(summary_count(random, "expired"), 0U) << random;
  EXPECT_GT(summary_count(random, "modifies sent"), 0U) << random;
}

// The exchange, a market maker, a liquidity taker and a random trader on ticker 1 (the
// random trader is the outside flow that moves the market); `taker_extra` flags go to the
// taker.
void trade_and_check_against_the_exchange(const std::vector<std::string>& taker_extra,
                                          bool taker_loses_market_data) {
  const MdChannel md = md_random_channel();
  StreamRecorder recorder(md);
  std::uint16_t port = 0;
  const std::string exchange_stats = temp_path("exchange.stats.csv");
  auto exchange = start_exchange(md, port, {"--stats-csv", exchange_stats});
  ASSERT_NE(port, 0) << exchange->stderr_text();

  std::vector<Client> clients;
  clients.push_back(
      {"maker", 11, {"--strategy", "market-maker", "--ticker", "1"}, "", nullptr, "", ""});
  clients.push_back(
      {"taker",
       22,
       {"--strategy", "liquidity-taker", "--ticker", "1", "--signal-threshold", "0.1"},
       "",
       nullptr,
       "",
       ""});
  clients.push_back({"random",
                     33,
                     {"--strategy", "random", "--ticker", "1", "--orders-per-second", "40"},
                     "",
                     nullptr,
                     "",
                     ""});
  start_client(clients[0], port, md, kClientCapSeconds);
  std::this_thread::sleep_for(300ms);  // the market maker quotes first
  start_client(clients[1], port, md, kClientCapSeconds, taker_extra);
  start_client(clients[2], port, md, kClientCapSeconds);

  // They trade for 4 s at least, and until their status lines show what the checks below look
  // for: trades, the maker's modifies, the taker's orders, the random trader's expirations and
  // modifies (and the lossy taker's recoveries); then the test stops them.
  const bool shown = run_then_stop(
      {&clients[0], &clients[1], &clients[2]}, 4s,
      [&] {
        return recorder.traded_qty(1) > 0 && status_count(clients[0], "modifies") > 0 &&
               status_count(clients[1], "orders") > 0 && status_count(clients[2], "expired") > 0 &&
               status_count(clients[2], "modifies") > 0 &&
               (!taker_loses_market_data || status_count(clients[1], "md recoveries") > 0);
      },
      [&] { recorder.poll(); });
  EXPECT_TRUE(shown) << "the clients' status lines did not show every order type in use";

  const auto deadline = std::chrono::steady_clock::now() + 30s;
  std::map<std::string, int> exit_codes;
  while (exit_codes.size() < clients.size() && std::chrono::steady_clock::now() < deadline) {
    recorder.poll();
    for (Client& client : clients) {
      if (exit_codes.count(client.name) == 0) {
        if (auto code = client.process->wait_exit(0ms))
          exit_codes[client.name] = *code;
      }
    }
    std::this_thread::sleep_for(1ms);
  }
  // The last cancels (cancel-on-disconnect) and a snapshot after them.
  const auto settle = std::chrono::steady_clock::now() + 600ms;
  while (std::chrono::steady_clock::now() < settle) {
    recorder.poll();
    std::this_thread::sleep_for(1ms);
  }

  for (const Client& client : clients) {
    ASSERT_EQ(exit_codes.count(client.name), 1U) << client.name << " did not exit";
    EXPECT_EQ(exit_codes[client.name], 0)
        << client.name << ":\n"
        << client.process->stdout_text() << client.process->stderr_text();
    // Each client cancelled its orders and had every answer before it logged out.
    EXPECT_EQ(client.process->stderr_text().find("wind-down"), std::string::npos)
        << client.name << ": " << client.process->stderr_text();
  }

  // The exchange's own snapshot, taken after every client left, matches the recording.
  test::MdSubscriber late(md, test::MdSubscriber::Mode::kRecover);
  ASSERT_TRUE(late.poll_until(
      [&] {
        recorder.poll();
        return late.recoveries() > 0;
      },
      30s));
  const SeqNum snapshot_seq = late.recovered_from()->last_incremental_seq;
  // The recorder reads the updates up to the snapshot's (they may still be in its socket).
  const auto recorded_by = std::chrono::steady_clock::now() + 30s;
  while (!recorder.has(snapshot_seq) && std::chrono::steady_clock::now() < recorded_by) {
    recorder.poll();
    std::this_thread::sleep_for(1ms);
  }
  const auto at_snapshot = recorder.books_at(snapshot_seq);
  ASSERT_TRUE(at_snapshot.has_value()) << "recording misses updates up to " << snapshot_seq;
  EXPECT_EQ(test::md_diff(late.recovered_from()->books, *at_snapshot), "");

  std::int64_t position_sum = 0;
  std::uint64_t bought_sum = 0;
  std::uint64_t sold_sum = 0;
  for (const Client& client : clients) {
    const std::string out = client.process->stdout_text();
    const auto summary = ticker_summary(out, 1);
    ASSERT_TRUE(summary.has_value()) << client.name << ":\n" << out;
    expect_summary_json_matches_the_text(client, out);
    // The position is the signed sum of the FILLED quantities the exchange sent.
    EXPECT_EQ(summary->position,
              static_cast<std::int64_t>(summary->bought) - static_cast<std::int64_t>(summary->sold))
        << client.name;
    position_sum += summary->position;
    bought_sum += summary->bought;
    sold_sum += summary->sold;

    // The client's books equal the exchange's as of the last update the client applied.
    const auto dump = read_book_dump(client.book_file);
    ASSERT_TRUE(dump.has_value()) << client.name << ": no readable " << client.book_file;
    const auto expected = recorder.books_at(dump->seq);
    ASSERT_TRUE(expected.has_value())
        << client.name << ": recording misses updates up to " << dump->seq;
    EXPECT_EQ(test::md_diff(*expected, dump->books), "") << client.name << " at seq " << dump->seq;
    std::remove(client.book_file.c_str());
  }
  EXPECT_EQ(position_sum, 0);
  // Every traded unit was bought by one client and sold by another: the fills the clients
  // were sent add up to the TRADE volume the exchange published.
  EXPECT_GT(recorder.traded_qty(1), 0U) << "no trades happened";
  EXPECT_EQ(bought_sum, recorder.traded_qty(1));
  EXPECT_EQ(sold_sum, recorder.traded_qty(1));
  EXPECT_GT(summary_count(clients[1].process->stdout_text(), "orders sent"), 0U)
      << "the liquidity taker never traded:\n"
      << clients[1].process->stdout_text();
  expect_order_types_used(clients);

  if (taker_loses_market_data) {
    const std::string out = clients[1].process->stdout_text();
    EXPECT_GT(summary_count(out, "loss-knob drops"), 0U) << out;
    EXPECT_GT(summary_count(out, "recoveries"), 0U) << out;
  }

  exchange->signal(SIGTERM);
  EXPECT_EQ(exchange->wait_exit(10s), 0);
  // The exchange's --stats-csv (a row a second): its last row, written after the stop, has
  // trades and the last trade price the recording ends with.
  std::string error;
  const auto csv = read_stats_csv(exchange_stats, error);
  std::remove(exchange_stats.c_str());
  ASSERT_TRUE(csv.has_value()) << error;
  ASSERT_GE(csv->rows.size(), 2U);
  EXPECT_NE(csv->last("trades"), "0");
  EXPECT_EQ(csv->last("t1_last_cents"), std::to_string(recorder.last_trade_price(1)));
  EXPECT_EQ(csv->last("t2_last_cents"), "") << "ticker 2 never traded";
  EXPECT_EQ(csv->last("sessions_logged_on"), "0");
}

TEST(TradingProcess, maker_taker_and_random_trader_agree_with_the_exchange) {
  trade_and_check_against_the_exchange({}, false);
}

TEST(TradingProcess, a_client_losing_market_data_recovers_and_its_books_still_agree) {
  trade_and_check_against_the_exchange({"--md-loss-rate", "0.05", "--md-loss-seed", "7"}, true);
}

// Alone on an exchange that prevents self-trades, the random trader's orders that cross its
// own resting order end CANCELED(SELF_TRADE): counted, and no trade ever happens.
TEST(TradingProcess, a_random_trader_alone_under_self_trade_prevention_never_trades) {
  const MdChannel md = md_random_channel();
  std::uint16_t port = 0;
  auto exchange = start_exchange(md, port, {"--self-trade-prevention", "cancel-newest"});
  ASSERT_NE(port, 0) << exchange->stderr_text();
  Client random{"random-stp",
                44,
                {"--strategy", "random", "--ticker", "1", "--orders-per-second", "200"},
                "",
                nullptr,
                "",
                ""};
  start_client(random, port, md, kClientCapSeconds);
  EXPECT_TRUE(run_then_stop(
      {&random}, 2s,
      [&] {
        return status_count(random, "self-trade cancels") > 0 &&
               status_count(random, "modifies") > 0 && status_count(random, "expired") > 0;
      },
      [] {}))
      << random.process->stdout_text();
  const auto code = random.process->wait_exit(30s);
  ASSERT_TRUE(code.has_value()) << "the client did not exit";
  EXPECT_EQ(*code, 0) << random.process->stdout_text() << random.process->stderr_text();
  std::remove(random.book_file.c_str());
  std::remove(random.stats_file.c_str());

  std::string error;
  const auto summary = test::JsonReader::parse_file(random.summary_file, &error);
  std::remove(random.summary_file.c_str());
  ASSERT_TRUE(summary.has_value()) << error;
  const test::JsonValue& c = (*summary)["counters"];
  const std::string out = random.process->stdout_text();
  EXPECT_GT(c["self_trade_cancels"].integer(), 0) << out;
  EXPECT_EQ(static_cast<std::uint64_t>(c["self_trade_cancels"].integer()),
            summary_count(out, "self-trade cancels"));
  EXPECT_EQ(c["fills"].integer(), 0) << out;
  EXPECT_GT(c["modifies_sent"].integer(), 0) << out;
  EXPECT_GT(c["expirations"].integer(), 0) << out;

  exchange->signal(SIGTERM);
  EXPECT_EQ(exchange->wait_exit(10s), 0);
}

}  // namespace
}  // namespace llt::trading
