#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/net/mcast_socket.h"
#include "tests/support/child_process.h"
#include "tests/support/md_book_rebuilder.h"
#include "tests/support/md_subscriber.h"

// Helpers for tests that run the real `exchange` and `trading` executables together: start
// them on a random loopback channel, record the exchange's incremental stream, read a
// client's --book-dump and its summary lines, and read a process's resident memory.
namespace llt::test {

// The market data flags of both executables for one channel.
inline std::vector<std::string> md_flags(const MdChannel& md) {
  return {"--multicast-addr",      md.group,          "--multicast-port",
          std::to_string(md.port), "--snapshot-port", std::to_string(md.snapshot_port)};
}

inline std::vector<std::string> joined_args(std::vector<std::string> args,
                                            const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Every incremental record the exchange published, by seq_num. clear() forgets them (an
// exchange restarted: its seq_num starts again from 1).
//
// Thread contract: not thread-safe; one test thread.
class MdStreamRecorder {
 public:
  explicit MdStreamRecorder(const MdChannel& md) : receiver_(md.group, md.port) {
    md_grow_receive_buffer(receiver_);
  }

  // Reads every datagram queued. Returns how many.
  std::size_t poll() {
    std::array<std::byte, 2048> buffer{};
    std::size_t datagrams = 0;
    for (;;) {
      const common::IoResult result = receiver_.receive(buffer.data(), buffer.size());
      if (result.status != common::IoStatus::kOk)
        return datagrams;
      ++datagrams;
      md_for_each_record(buffer.data(), result.bytes, [&](const MarketUpdate& update) {
        if (update.msg_type == MarketUpdateType::kHeartbeat)
          return;
        if (!records_.emplace(update.seq_num, update).second)
          ++duplicates_;
        if (update.msg_type == MarketUpdateType::kAdd)
          ++adds_;
      });
    }
  }

  void clear() {
    records_.clear();
    adds_ = 0;
  }

  // The exchange's books after update `seq`, rebuilt from the recording, only the tickers in
  // `tickers` (all when empty) and without empty books; nullopt when a record up to `seq` is
  // missing.
  [[nodiscard]] std::optional<MdBooks> books_at(SeqNum seq,
                                                const std::set<TickerId>& tickers = {}) const {
    MdBookRebuilder rebuilder;
    for (SeqNum s = 1; s <= seq; ++s) {
      const auto it = records_.find(s);
      if (it == records_.end())
        return std::nullopt;
      rebuilder.on_record(it->second);
    }
    MdBooks books;
    for (const auto& [ticker, book] : rebuilder.books()) {
      if (!book.orders().empty() && (tickers.empty() || tickers.count(ticker) != 0))
        books.emplace(ticker, book);
    }
    return books;
  }

  [[nodiscard]] std::uint64_t traded_qty(TickerId ticker) const {
    std::uint64_t qty = 0;
    for (const auto& [seq, update] : records_) {
      if (update.msg_type == MarketUpdateType::kTrade && update.ticker_id == ticker)
        qty += update.qty;
    }
    return qty;
  }

  [[nodiscard]] SeqNum last_seq() const { return records_.empty() ? 0 : records_.rbegin()->first; }
  [[nodiscard]] std::size_t size() const { return records_.size(); }
  [[nodiscard]] std::uint64_t adds() const { return adds_; }
  [[nodiscard]] std::uint64_t duplicates() const { return duplicates_; }

 private:
  common::McastReceiver receiver_;
  std::map<SeqNum, MarketUpdate> records_;
  std::uint64_t adds_ = 0;
  std::uint64_t duplicates_ = 0;
};

// A trading client's --book-dump: "seq N", then "ticker side price qty priority order_id".
struct BookDump {
  SeqNum seq = 0;
  MdBooks books;  // only non-empty books
};

inline std::optional<BookDump> read_book_dump(const std::string& path) {
  std::ifstream in(path);
  std::string word;
  BookDump dump;
  if (!(in >> word >> dump.seq) || word != "seq")
    return std::nullopt;
  TickerId ticker = 0;
  std::string side;
  MdOrder order;
  OrderId id = 0;
  while (in >> ticker >> side >> order.price >> order.qty >> order.priority >> id) {
    order.side = side == "BUY" ? Side::kBuy : Side::kSell;
    if (!dump.books[ticker].add(id, order).empty())
      return std::nullopt;
  }
  return dump;
}

// Compares a client's book dump with the recording at the dump's seq, for the client's
// tickers: success, or why not.
inline ::testing::AssertionResult dump_matches_recording(const std::string& name,
                                                         const std::string& dump_path,
                                                         const MdStreamRecorder& recorder,
                                                         const std::set<TickerId>& tickers) {
  const auto dump = read_book_dump(dump_path);
  if (!dump)
    return ::testing::AssertionFailure() << name << ": no readable book dump " << dump_path;
  if (dump->seq == 0)
    return ::testing::AssertionFailure() << name << ": its books never synced (dump seq 0)";
  const auto expected = recorder.books_at(dump->seq, tickers);
  if (!expected)
    return ::testing::AssertionFailure()
           << name << ": the recording misses updates up to " << dump->seq;
  const std::string diff = md_diff(*expected, md_without_empty(dump->books));
  if (!diff.empty())
    return ::testing::AssertionFailure() << name << " at seq " << dump->seq << ":\n" << diff;
  return ::testing::AssertionSuccess() << name << " equal at seq " << dump->seq;
}

// The number after "label " in a process's output, searching from the first occurrence of
// `after` (from the start when empty), e.g. summary_number(out, "recoveries", "trading: market
// data"); nullopt when absent. (No std::regex: g++ 12 warns inside <regex> under ASan.)
inline std::optional<double> summary_number(const std::string& out, const std::string& label,
                                            const std::string& after = "") {
  std::size_t from = after.empty() ? 0 : out.find(after);
  if (from == std::string::npos)
    return std::nullopt;
  const std::size_t at = out.find(label + " ", from);
  if (at == std::string::npos)
    return std::nullopt;
  const char* begin = out.c_str() + at + label.size() + 1;
  char* end = nullptr;
  const double value = std::strtod(begin, &end);
  if (end == begin)
    return std::nullopt;
  return value;
}

inline std::uint64_t summary_count(const std::string& out, const std::string& label,
                                   const std::string& after = "") {
  const auto value = summary_number(out, label, after);
  return value ? static_cast<std::uint64_t>(*value) : 0;
}

// VmRSS of a live process in KiB, 0 when it cannot be read.
inline std::uint64_t resident_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stoull(line.substr(6));
  }
  return 0;
}

// A trading client the test starts: name, client id, strategy flags, book dump path.
struct TradingClient {
  std::string name;
  std::uint32_t client_id = 0;
  std::vector<std::string> flags;  // strategy and anything else
  std::string book_file;
  std::unique_ptr<ChildProcess> process;
  std::optional<int> exit_code;

  // Starts `trading` against 127.0.0.1:port on channel md for duration_s seconds.
  void start(std::uint16_t port, const MdChannel& md, double duration_s,
             const std::string& temp_prefix) {
    book_file = temp_prefix + name + ".book";
    std::vector<std::string> args{"--port",           std::to_string(port),
                                  "--client-id",      std::to_string(client_id),
                                  "--duration",       std::to_string(duration_s),
                                  "--stats-interval", "1",
                                  "--book-dump",      book_file};
    args = joined_args(joined_args(args, md_flags(md)), flags);
    process = std::make_unique<ChildProcess>(LLT_TRADING_BINARY, args);
  }

  // Records the exit code once it ended. Returns true when it has.
  bool poll_exit() {
    if (!exit_code && process)
      exit_code = process->wait_exit(std::chrono::milliseconds(0));
    return exit_code.has_value();
  }

  [[nodiscard]] std::string out() const { return process ? process->stdout_text() : ""; }
  [[nodiscard]] std::string err() const { return process ? process->stderr_text() : ""; }

  // The LOGON_ACCEPTEDs it logged so far (one "logged on as client" line on stderr each).
  [[nodiscard]] std::size_t logons_logged() const {
    const std::string text = err();
    const std::string line = "order gateway: logged on as client";
    std::size_t count = 0;
    for (std::size_t at = text.find(line); at != std::string::npos; at = text.find(line, at + 1))
      ++count;
    return count;
  }
};

}  // namespace llt::test
