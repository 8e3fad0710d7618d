// Hostile and clumsy clients against the real exchange executable on loopback, while an honest pair
// of clients keeps trading: each case gets the reply (or the disconnect) that docs/protocol.md
// names (Session rules, Reject reasons), the exchange stays up, its memory stays flat after a
// flood, and every one of the honest trades completes exactly as it should. Prints a table: case,
// expected, got.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "exchange/protocol/format.h"
#include "tests/support/child_process.h"
#include "tests/support/md_subscriber.h"
#include "tests/support/order_entry_checks.h"
#include "tests/support/order_entry_client.h"
#include "tests/support/test_io_backend.h"
#include "tests/support/trading_processes.h"

namespace llt::exchange::testing {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;

// Sanitized builds run several times slower: a smaller flood says the same thing.
#if defined(LLT_SANITIZED)
constexpr std::uint64_t kFloodOrders = 20'000;
constexpr bool kCheckMemory = false;  // AddressSanitizer's quarantine grows the heap by design
#else
constexpr std::uint64_t kFloodOrders = 100'000;
constexpr bool kCheckMemory = true;
#endif
// Resting orders per ticker: the flood rests this many, the rest of it gets CAPACITY.
constexpr std::uint64_t kMaxOrders = kFloodOrders * 6 / 10;
constexpr int kConnections = 500;
constexpr TickerId kHonestTicker = 1;
constexpr TickerId kHostileTicker = 2;
constexpr ClientId kHonestBuyer = 1;
constexpr ClientId kHonestSeller = 2;

struct Row {
  std::string name;
  std::string expected;
  std::string got;
  bool pass = false;
};

std::string describe(const ClientResponse& response) {
  if (response.msg_type == ClientResponseType::kRejected ||
      response.msg_type == ClientResponseType::kCancelRejected ||
      response.msg_type == ClientResponseType::kModifyRejected ||
      response.msg_type == ClientResponseType::kLogonRejected ||
      (response.msg_type == ClientResponseType::kCanceled &&
       response.reject_reason != RejectReason::kNone)) {
    return fmt::format("{}({})", response.msg_type, response.reject_reason);
  }
  return fmt::format("{}", response.msg_type);
}

// How long a hostile client waits for an answer or a close it is owed (a passing run waits only
// as long as the exchange takes; a sanitized one on a loaded machine can take seconds).
constexpr std::chrono::milliseconds kReplyLimit = 30s;

// The next response as text ("timeout", "closed", "ACCEPTED", "REJECTED(BAD_SEQ_NUM)", ...).
std::string next_reply(OrderEntryClient& client, std::chrono::milliseconds timeout = kReplyLimit) {
  ClientResponse response{};
  switch (client.receive(response, timeout)) {
    case OrderEntryClient::Receive::kMessage:
      return describe(response);
    case OrderEntryClient::Receive::kClosed:
      return "closed";
    case OrderEntryClient::Receive::kTimeout:
      return "timeout";
    case OrderEntryClient::Receive::kError:
      return fmt::format("socket error {}", client.last_errno());
  }
  return "?";
}

// "closed" when the server closes the connection with nothing more sent, else what came.
std::string close_reply(OrderEntryClient& client) {
  std::vector<ClientResponse> extra;
  if (!client.wait_closed(kReplyLimit, &extra))
    return "still open";
  if (!extra.empty())
    return "then " + describe(extra.front()) + ", closed";
  return "closed";
}

// The next reply, then whether the server closed (in that order: one call per statement).
std::string replied_then_closed(OrderEntryClient& client) {
  std::string text = next_reply(client);
  text += ", ";
  text += close_reply(client);
  return text;
}

// The next two replies, joined by `separator`.
std::string two_replies(OrderEntryClient& client, const std::string& separator) {
  std::string text = next_reply(client);
  text += separator;
  text += next_reply(client);
  return text;
}

std::unique_ptr<OrderEntryClient> connect(std::uint16_t port, ClientId id) {
  auto client = std::make_unique<OrderEntryClient>(port, id);
  client->skip_heartbeats(true);
  return client;
}

std::unique_ptr<OrderEntryClient> logged_on(std::uint16_t port, ClientId id) {
  auto client = connect(port, id);
  if (!client->send(client->logon()) || next_reply(*client) != "LOGON_ACCEPTED")
    return nullptr;
  return client;
}

// The reply to a LOGON, as next_reply() tells it; a LOGON_ACCEPTED also sets the client's
// next request number to the one the exchange expects (the client id's request stream goes
// on across connections).
std::string logon_reply(OrderEntryClient& client) {
  ClientResponse response{};
  if (client.receive(response, kReplyLimit) != OrderEntryClient::Receive::kMessage)
    return "no reply";
  if (response.msg_type == ClientResponseType::kLogonAccepted)
    client.set_next_seq(response.client_order_id);
  return describe(response);
}

Row row(std::string name, std::string expected, std::string got) {
  const bool pass = expected == got;
  return {std::move(name), std::move(expected), std::move(got), pass};
}

// Two honest clients trading on ticker 1 in a thread of their own for the whole suite: each
// round the seller rests 5 @ 100.00, the buyer takes it, and each side must see exactly
// ACCEPTED then FILLED(5 @ 100.00, leaves 0).
class HonestTraders {
 public:
  explicit HonestTraders(std::uint16_t port)
      : buyer_(logged_on(port, kHonestBuyer)), seller_(logged_on(port, kHonestSeller)) {
    if (buyer_ && seller_)
      thread_ = std::thread([this] { run(); });
    else
      fail("honest clients could not log on");
  }
  HonestTraders(const HonestTraders&) = delete;
  HonestTraders& operator=(const HonestTraders&) = delete;
  ~HonestTraders() { stop(); }

  void stop() {
    stop_.store(true);
    if (thread_.joinable())
      thread_.join();
  }

  [[nodiscard]] std::uint64_t rounds() const { return rounds_.load(); }
  [[nodiscard]] std::uint64_t failures() const { return failures_.load(); }
  [[nodiscard]] std::string first_failure() const {
    const std::lock_guard lock(mutex_);
    return first_failure_;
  }

  // Waits until `more` rounds beyond now completed (or one failed), within 10 s.
  bool trade(std::uint64_t more = 1) const {
    const std::uint64_t target = rounds() + more;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (rounds() < target && failures() == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(2ms);
    return rounds() >= target && failures() == 0;
  }

 private:
  void run() {
    OrderId id = 0;
    while (!stop_.load() && failures_.load() == 0) {
      ++id;
      if (!seller_->send(seller_->new_order(kHonestTicker, id, Side::kSell, 10'000, 5)))
        return fail("seller send failed");
      if (!check(*seller_, ClientResponseType::kAccepted, 5, "seller"))
        return;
      if (!buyer_->send(buyer_->new_order(kHonestTicker, id, Side::kBuy, 10'000, 5)))
        return fail("buyer send failed");
      if (!check(*buyer_, ClientResponseType::kAccepted, 5, "buyer") ||
          !check(*buyer_, ClientResponseType::kFilled, 0, "buyer") ||
          !check(*seller_, ClientResponseType::kFilled, 0, "seller"))
        return;
      rounds_.fetch_add(1);
      std::this_thread::sleep_for(5ms);
    }
  }

  bool check(OrderEntryClient& client, ClientResponseType type, Qty leaves, const char* who) {
    ClientResponse response{};
    if (client.receive(response, 10s) != OrderEntryClient::Receive::kMessage) {
      fail(fmt::format("{} got no {} (errno {})", who, type, client.last_errno()));
      return false;
    }
    // Responses are numbered 1, 2, 3, ...; LOGON_ACCEPTED and the skipped heartbeats take no
    // number.
    const SeqNum expected_seq = who[0] == 'b' ? ++buyer_seq_ : ++seller_seq_;
    if (response.msg_type != type || response.leaves_qty != leaves || response.price != 10'000 ||
        response.ticker_id != kHonestTicker ||
        (type == ClientResponseType::kFilled && response.exec_qty != 5) ||
        response.seq_num != expected_seq) {
      fail(fmt::format("{} expected {} leaves {} seq_num {}, got {}", who, type, leaves,
                       expected_seq, response));
      return false;
    }
    return true;
  }

  void fail(std::string why) {
    const std::lock_guard lock(mutex_);
    if (first_failure_.empty())
      first_failure_ = std::move(why);
    failures_.fetch_add(1);
  }

  std::unique_ptr<OrderEntryClient> buyer_;
  std::unique_ptr<OrderEntryClient> seller_;
  SeqNum buyer_seq_ = 0;  // the last response number each side received
  SeqNum seller_seq_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> rounds_{0};
  std::atomic<std::uint64_t> failures_{0};
  mutable std::mutex mutex_;
  std::string first_failure_;
  std::thread thread_;
};

class HostileClients {
 public:
  explicit HostileClients(std::uint16_t port) : port_(port) {}

  // --- Before LOGON ---

  Row random_bytes_first() {
    auto client = connect(port_, 101);
    std::vector<unsigned char> bytes(sizeof(ClientRequest) * 20 + 17);
    for (auto& byte : bytes)
      byte = static_cast<unsigned char>(rng_());
    bytes[8] = 0x77;  // msg_type: not LOGON, so the reply is deterministic
    client->send_bytes(bytes.data(), bytes.size());
    return row("random bytes as the first message", "REJECTED(NOT_LOGGED_IN), closed",
               replied_then_closed(*client));
  }

  Row request_before_logon() {
    auto client = connect(port_, 102);
    client->send(client->new_order(kHostileTicker, 1, Side::kBuy, 9'000, 1));
    return row("NEW before LOGON", "REJECTED(NOT_LOGGED_IN), closed", replied_then_closed(*client));
  }

  // A new client id has sent no response yet: replay from 2 asks for one beyond the stream.
  Row logon_with_replay_beyond_the_stream() {
    auto client = connect(port_, 103);
    client->send(client->logon(2));
    return row("LOGON asking for replay from 2 as a new client",
               "LOGON_REJECTED(BAD_SEQ_NUM), closed", replied_then_closed(*client));
  }

  // A LOGON's seq_num is the client's next request number, which the exchange does not check.
  Row logon_with_any_seq() {
    auto client = connect(port_, 123);
    client->set_next_seq(9);
    client->send(client->logon());
    std::string got = logon_reply(*client);
    client->send(client->new_order(kHostileTicker, 1, Side::kBuy, 9'000, 1));
    got += ", NEW " + next_reply(*client);
    client->send(client->cancel(kHostileTicker, 1));
    got += ", CANCEL " + next_reply(*client);
    return row("LOGON with seq_num 9 of a new client, NEW and CANCEL from the number it expects",
               "LOGON_ACCEPTED, NEW ACCEPTED, CANCEL CANCELED", got);
  }

  Row logon_with_client_id_zero() {
    auto client = connect(port_, 0);
    client->send(client->logon());
    return row("LOGON with client id 0", "LOGON_REJECTED(INVALID_CLIENT_ID), closed",
               replied_then_closed(*client));
  }

  Row logon_with_flags(std::uint8_t flags) {
    auto client = connect(port_, 117);
    ClientRequest logon = client->logon();
    logon.flags = flags;
    client->send(logon);
    return row(fmt::format("LOGON with flags {:#04x}", flags),
               "LOGON_REJECTED(INVALID_FLAGS), closed", replied_then_closed(*client));
  }

  Row logon_with_a_tif() {
    auto client = connect(port_, 117);
    ClientRequest logon = client->logon();
    logon.tif = TimeInForce::kFok;
    client->send(logon);
    return row("LOGON with tif FOK", "LOGON_REJECTED(INVALID_TIF), closed",
               replied_then_closed(*client));
  }

  // KEEP_ORDERS: the order survives the LOGOUT; the next connection of the id cancels it.
  Row logon_with_keep_orders() {
    std::string got;
    {
      auto client = connect(port_, 118);
      client->send(client->logon(0, kFlagKeepOrders));
      got = next_reply(*client);
      client->send(client->new_order(kHostileTicker, 1, Side::kBuy, 9'000, 1));
      got += ", " + next_reply(*client);
      client->send(client->logout());
      got += ", logout: " + close_reply(*client);
    }
    auto again = connect(port_, 118);
    again->send(again->logon());
    got += ", logon again " + logon_reply(*again);
    again->send(again->cancel(kHostileTicker, 1));
    got += ", cancel of its order " + next_reply(*again);
    return row("LOGON with KEEP_ORDERS, NEW, LOGOUT, LOGON, CANCEL",
               "LOGON_ACCEPTED, ACCEPTED, logout: closed, logon again LOGON_ACCEPTED, cancel of "
               "its order CANCELED",
               got);
  }

  Row second_logon_for_a_live_id() {
    auto client = connect(port_, kHonestBuyer);
    client->send(client->logon());
    return row("LOGON as a live client id (another connection)",
               "LOGON_REJECTED(CLIENT_ID_IN_USE), closed", replied_then_closed(*client));
  }

  // --- Logged on: session rules ---

  Row second_logon_on_the_same_session() {
    auto client = logged_on(port_, 104);
    if (!client)
      return row("second LOGON on its own session", "", "logon failed");
    client->send(client->logon());  // carries request number 1 and takes none
    client->send(client->new_order(kHostileTicker, 1, Side::kBuy, 9'000, 1));
    return row("second LOGON on its own session", "REJECTED(CLIENT_ID_IN_USE), open: ACCEPTED",
               two_replies(*client, ", open: "));
  }

  Row another_clients_id() {
    auto client = logged_on(port_, 105);
    if (!client)
      return row("another client's id in a NEW", "", "logon failed");
    ClientRequest request = client->new_order(kHostileTicker, 1, Side::kBuy, 9'000, 1);
    request.client_id = kHonestSeller;
    client->send(request);
    client->set_next_seq(request.seq_num);
    client->send(client->new_order(kHostileTicker, 1, Side::kBuy, 9'000, 1));
    return row("another client's id in a NEW", "REJECTED(CLIENT_ID_MISMATCH), open: ACCEPTED",
               two_replies(*client, ", open: "));
  }

  Row wrong_seq_num() {
    auto client = logged_on(port_, 106);
    if (!client)
      return row("wrong seq_num", "", "logon failed");
    client->set_next_seq(7);
    client->send(client->new_order(kHostileTicker, 1, Side::kBuy, 9'000, 1));
    client->set_next_seq(1);
    client->send(client->new_order(kHostileTicker, 1, Side::kBuy, 9'000, 1));
    return row("NEW with seq_num 7 instead of 1", "REJECTED(BAD_SEQ_NUM), open: ACCEPTED",
               two_replies(*client, ", open: "));
  }

  Row too_many_invalid_messages() {
    auto client = logged_on(port_, 107);
    if (!client)
      return row("10 invalid messages", "", "logon failed");
    std::string got;
    for (int i = 0; i < 10; ++i) {
      client->set_next_seq(100);
      client->send(client->new_order(kHostileTicker, 1, Side::kBuy, 9'000, 1));
    }
    int rejects = 0;
    std::string reply;
    while ((reply = next_reply(*client, kReplyLimit)) == "REJECTED(BAD_SEQ_NUM)")
      ++rejects;
    return row("10 messages with a wrong seq_num", "10 x REJECTED(BAD_SEQ_NUM), closed",
               fmt::format("{} x REJECTED(BAD_SEQ_NUM), {}", rejects, reply));
  }

  Row random_bytes_after_logon() {
    auto client = logged_on(port_, 108);
    if (!client)
      return row("random bytes after LOGON", "", "logon failed");
    std::vector<unsigned char> bytes(sizeof(ClientRequest) * 30);
    for (auto& byte : bytes)
      byte = static_cast<unsigned char>(rng_());
    client->send_bytes(bytes.data(), bytes.size());
    int rejects = 0;
    std::string reply;
    while ((reply = next_reply(*client, kReplyLimit)).rfind("REJECTED(", 0) == 0)
      ++rejects;
    return row("30 random 40-byte records after LOGON", "10 x REJECTED(any reason), closed",
               fmt::format("{} x REJECTED(any reason), {}", rejects, reply));
  }

  // --- Logged on: every invalid field (one row each) ---

  std::vector<Row> invalid_fields() {
    std::vector<Row> rows;
    auto client = logged_on(port_, 109);
    if (!client)
      return {row("invalid fields", "", "logon failed")};
    const auto send_new = [&](const std::string& name, TickerId ticker, Side side, Price price,
                              Qty qty, const std::string& expected) {
      client->send(client->new_order(ticker, 1, side, price, qty));
      rows.push_back(row("NEW with " + name, expected, next_reply(*client)));
    };
    send_new("unknown ticker 99", 99, Side::kBuy, 9'000, 1, "REJECTED(UNKNOWN_TICKER)");
    send_new("side 0", kHostileTicker, static_cast<Side>(0), 9'000, 1, "REJECTED(INVALID_SIDE)");
    send_new("side 7", kHostileTicker, static_cast<Side>(7), 9'000, 1, "REJECTED(INVALID_SIDE)");
    send_new("qty 0", kHostileTicker, Side::kBuy, 9'000, 0, "REJECTED(INVALID_QTY)");
    send_new("price 0", kHostileTicker, Side::kBuy, 0, 1, "REJECTED(INVALID_PRICE)");
    send_new("price -100", kHostileTicker, Side::kSell, -100, 1, "REJECTED(INVALID_PRICE)");
    client->send(client->cancel(99, 1));
    rows.push_back(row("CANCEL with unknown ticker 99", "CANCEL_REJECTED(UNKNOWN_TICKER)",
                       next_reply(*client)));
    // 9 is no type; 0x80 is the exchange's internal cancel-all, which no client may send.
    for (const int type : {9, 0x80}) {
      ClientRequest bad_type = client->make(static_cast<ClientRequestType>(type));
      bad_type.ticker_id = kHostileTicker;
      client->send(bad_type);
      client->set_next_seq(bad_type.seq_num);
      client->send(
          client->new_order(kHostileTicker, static_cast<OrderId>(type), Side::kBuy, 9'000, 1));
      rows.push_back(row(fmt::format("msg_type {:#x}", type),
                         "REJECTED(UNKNOWN_MSG_TYPE), open: ACCEPTED",
                         two_replies(*client, ", open: ")));
    }
    return rows;
  }

  // --- Logged on: tif and flags (protocol version 2) ---

  std::vector<Row> invalid_tif_and_flags() {
    std::vector<Row> rows;
    auto client = logged_on(port_, 119);
    if (!client)
      return {row("invalid tif and flags", "", "logon failed")};
    const auto send_new = [&](const std::string& name, std::uint8_t tif, std::uint8_t flags,
                              const std::string& expected) {
      client->send(
          client->new_order(kHostileTicker, 1, Side::kBuy, 9'000, 1, TimeInForce{tif}, flags));
      rows.push_back(row("NEW with " + name, expected, next_reply(*client)));
    };
    send_new("tif 3", 3, 0, "REJECTED(INVALID_TIF)");
    send_new("tif 255", 255, 0, "REJECTED(INVALID_TIF)");
    send_new("IOC + POST_ONLY", 1, kFlagPostOnly, "REJECTED(INVALID_TIF)");
    send_new("FOK + POST_ONLY", 2, kFlagPostOnly, "REJECTED(INVALID_TIF)");
    send_new("flags 0x02", 0, 0x02, "REJECTED(INVALID_FLAGS)");
    send_new("flags 0x81", 0, 0x81, "REJECTED(INVALID_FLAGS)");

    // A live order for the CANCEL and MODIFY rows; it must survive them all.
    client->send(client->new_order(kHostileTicker, 2, Side::kBuy, 9'000, 3));
    rows.push_back(row("NEW to modify and cancel", "ACCEPTED", next_reply(*client)));
    const auto send_other = [&](const std::string& name, ClientRequest request, std::uint8_t tif,
                                std::uint8_t flags, const std::string& expected) {
      request.tif = TimeInForce{tif};
      request.flags = flags;
      client->send(request);
      rows.push_back(row(name, expected, next_reply(*client)));
    };
    send_other("CANCEL with tif IOC", client->cancel(kHostileTicker, 2), 1, 0,
               "CANCEL_REJECTED(INVALID_TIF)");
    send_other("CANCEL with flags 0x01", client->cancel(kHostileTicker, 2), 0, 1,
               "CANCEL_REJECTED(INVALID_FLAGS)");
    send_other("MODIFY with tif FOK", client->modify(kHostileTicker, 2, Side::kBuy, 9'000, 2), 2, 0,
               "MODIFY_REJECTED(INVALID_TIF)");
    send_other("MODIFY with flags 0x01", client->modify(kHostileTicker, 2, Side::kBuy, 9'000, 2), 0,
               1, "MODIFY_REJECTED(INVALID_FLAGS)");
    client->send(client->modify(kHostileTicker, 2, Side::kSell, 9'000, 2));
    rows.push_back(
        row("MODIFY with the wrong side", "MODIFY_REJECTED(INVALID_SIDE)", next_reply(*client)));

    // HEARTBEAT and LOGOUT carry neither: rejected by the session, seq_num not taken.
    const auto send_session = [&](const std::string& name, ClientRequest request, std::uint8_t tif,
                                  std::uint8_t flags, const std::string& reason) {
      request.tif = TimeInForce{tif};
      request.flags = flags;
      client->send(request);
      client->set_next_seq(request.seq_num);
      client->send(client->modify(kHostileTicker, 2, Side::kBuy, 9'000, 3));
      rows.push_back(
          row(name, "REJECTED(" + reason + "), open: MODIFIED", two_replies(*client, ", open: ")));
    };
    send_session("HEARTBEAT with flags 0x01", client->heartbeat(), 0, 1, "INVALID_FLAGS");
    send_session("HEARTBEAT with tif IOC", client->heartbeat(), 1, 0, "INVALID_TIF");
    send_session("LOGOUT with flags 0x01", client->logout(), 0, 1, "INVALID_FLAGS");
    send_session("LOGOUT with tif 3", client->logout(), 3, 0, "INVALID_TIF");

    client->send(client->cancel(kHostileTicker, 2));
    ClientResponse canceled{};
    const std::string got =
        client->receive(canceled, kReplyLimit) == OrderEntryClient::Receive::kMessage
            ? fmt::format("{} @ {}", describe(canceled), Price{canceled.price})
            : std::string("no reply");
    rows.push_back(row("CANCEL of that order after them all", "CANCELED @ 9000", got));
    return rows;
  }

  // The exchange runs with --self-trade-prevention cancel-newest: an order that meets the
  // client's own resting order ends there, and the resting one stays.
  Row trade_with_itself() {
    auto client = logged_on(port_, 122);
    if (!client)
      return row("a sell that meets its own buy", "", "logon failed");
    client->send(client->new_order(kHostileTicker, 1, Side::kBuy, 9'500, 2));
    std::string got = next_reply(*client);
    client->send(client->new_order(kHostileTicker, 2, Side::kSell, 9'500, 3));
    got += ", sell " + two_replies(*client, ", ");
    client->send(client->cancel(kHostileTicker, 1));
    got += ", its buy " + next_reply(*client);
    return row("a sell that meets its own buy (cancel-newest)",
               "ACCEPTED, sell ACCEPTED, CANCELED(SELF_TRADE), its buy CANCELED", got);
  }

  Row modify_another_clients_order() {
    auto victim = logged_on(port_, 120);
    auto thief = logged_on(port_, 121);
    if (!victim || !thief)
      return row("modify of another client's order", "", "logon failed");
    victim->send(victim->new_order(kHostileTicker, 5, Side::kSell, 20'000, 3));
    std::string got = "victim " + next_reply(*victim);
    thief->send(thief->modify(kHostileTicker, 5, Side::kSell, 1, 1));
    got += ", thief's modify " + next_reply(*thief);
    victim->send(victim->modify(kHostileTicker, 5, Side::kSell, 20'000, 3));
    got += ", victim's own modify " + next_reply(*victim);
    return row("MODIFY of another client's live order",
               "victim ACCEPTED, thief's modify MODIFY_REJECTED(UNKNOWN_ORDER), victim's own "
               "modify MODIFIED",
               got);
  }

  // --- Orders ---

  Row duplicate_live_order_id() {
    auto client = logged_on(port_, 110);
    if (!client)
      return row("duplicate live order id", "", "logon failed");
    client->send(client->new_order(kHostileTicker, 42, Side::kBuy, 9'000, 1));
    std::string got = next_reply(*client);
    client->send(client->new_order(kHostileTicker, 42, Side::kBuy, 9'100, 1));
    got += ", " + next_reply(*client);
    client->send(client->cancel(kHostileTicker, 42));
    got += ", cancel: " + next_reply(*client);
    return row("NEW reusing a live order id",
               "ACCEPTED, REJECTED(DUPLICATE_ORDER_ID), cancel: CANCELED", got);
  }

  Row cancel_unknown_order() {
    auto client = logged_on(port_, 111);
    if (!client)
      return row("cancel of an unknown order", "", "logon failed");
    client->send(client->cancel(kHostileTicker, 987'654));
    return row("CANCEL of an unknown order", "CANCEL_REJECTED(UNKNOWN_ORDER)", next_reply(*client));
  }

  Row cancel_another_clients_order() {
    auto victim = logged_on(port_, 112);
    auto thief = logged_on(port_, 113);
    if (!victim || !thief)
      return row("cancel of another client's order", "", "logon failed");
    victim->send(victim->new_order(kHostileTicker, 5, Side::kSell, 20'000, 3));
    std::string got = "victim " + next_reply(*victim);
    thief->send(thief->cancel(kHostileTicker, 5));
    got += ", thief's cancel " + next_reply(*thief);
    victim->send(victim->cancel(kHostileTicker, 5));
    got += ", victim's cancel " + next_reply(*victim);
    return row("CANCEL of another client's live order",
               "victim ACCEPTED, thief's cancel CANCEL_REJECTED(UNKNOWN_ORDER), victim's cancel "
               "CANCELED",
               got);
  }

  // --- Transport ---

  Row dribbled_one_byte_at_a_time() {
    auto client = connect(port_, 114);
    const ClientRequest logon = client->logon();
    const ClientRequest order = client->new_order(kHostileTicker, 1, Side::kBuy, 9'000, 1);
    std::vector<unsigned char> bytes(sizeof(ClientRequest) * 2);
    std::memcpy(bytes.data(), &logon, sizeof(logon));
    std::memcpy(bytes.data() + sizeof(logon), &order, sizeof(order));
    for (unsigned char byte : bytes) {
      client->send_bytes(&byte, 1);
      std::this_thread::sleep_for(1ms);
    }
    return row("LOGON and NEW sent one byte per write", "LOGON_ACCEPTED, ACCEPTED",
               two_replies(*client, ", "));
  }

  // A half request then a reset: the session ends, its resting order is cancelled, and the id
  // is free again (a new session with it sees no such order: its cancel is rejected).
  Row half_request_then_reset() {
    std::string got;
    {
      auto client = logged_on(port_, 115);
      if (!client)
        return row("half a request, then a reset", "", "logon failed");
      client->send(client->new_order(kHostileTicker, 77, Side::kBuy, 9'000, 2));
      got = next_reply(*client);
      const ClientRequest half = client->new_order(kHostileTicker, 78, Side::kBuy, 9'000, 2);
      client->send_bytes(&half, sizeof(half) / 2);
      std::this_thread::sleep_for(20ms);
      client->reset();
    }
    // The reset and this new connection race inside the exchange: retry the LOGON briefly.
    std::unique_ptr<OrderEntryClient> again;
    std::string reply;
    for (int attempt = 0; attempt < 50 && !again; ++attempt) {
      auto client = connect(port_, 115);
      client->send(client->logon());
      reply = logon_reply(*client);  // the cancel takes the request number expected next
      if (reply == "LOGON_ACCEPTED")
        again = std::move(client);
      else
        std::this_thread::sleep_for(20ms);
    }
    if (!again)
      return row("half a request, then a reset", "", got + ", logon again: " + reply);
    again->send(again->cancel(kHostileTicker, 77));
    got += ", logon again LOGON_ACCEPTED, cancel of its old order " + next_reply(*again);
    return row("half a request, then a reset (RST)",
               "ACCEPTED, logon again LOGON_ACCEPTED, cancel of its old order "
               "CANCEL_REJECTED(UNKNOWN_ORDER)",
               got);
  }

  // Never reads: its responses pile up until the exchange's bound for it is exceeded; the
  // exchange cuts it and cancels its orders (its resting order disappears from market data).
  Row never_reads_its_responses(const test::MdChannel& md) {
    constexpr ClientId kSlow = 116;
    auto client = std::make_unique<OrderEntryClient>(port_, kSlow, 5s, 4096);
    if (!client->send(client->logon()) || next_reply(*client) != "LOGON_ACCEPTED")
      return row("never reads its responses", "", "logon failed");
    client->send(client->new_order(kHostileTicker, 1, Side::kSell, 30'303, 7));
    ClientResponse accepted{};
    if (client->receive(accepted, kReplyLimit) != OrderEntryClient::Receive::kMessage ||
        accepted.msg_type != ClientResponseType::kAccepted)
      return row("never reads its responses", "", "its first order was not accepted");
    // From here on it only writes: NEW and CANCEL pairs (nothing else rests), in batches.
    constexpr std::uint64_t kLimit = 1'000'000;
    std::vector<ClientRequest> batch;
    std::uint64_t sent = 0;
    bool cut = false;
    OrderId id = 1;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (sent < kLimit && std::chrono::steady_clock::now() < deadline) {
      batch.clear();
      for (int i = 0; i < 256; ++i) {
        ++id;
        batch.push_back(client->new_order(kHostileTicker, id, Side::kBuy, 1'000, 1));
        batch.push_back(client->cancel(kHostileTicker, id));
      }
      if (!client->send(batch)) {
        // A send timeout (EAGAIN) would mean the exchange stopped reading: not a cut.
        cut = client->last_errno() != EAGAIN && client->last_errno() != EWOULDBLOCK;
        break;
      }
      sent += batch.size();
    }
    std::string got =
        cut ? fmt::format("cut after {} requests unread", sent)
            : fmt::format("not cut after {} requests (errno {})", sent, client->last_errno());
    // Its resting sell at 303.03 is gone from the exchange's books.
    test::MdSubscriber late(md, test::MdSubscriber::Mode::kRecover);
    const bool synced = late.poll_until(
        [&] {
          if (late.recoveries() == 0 || !late.synced())
            return false;
          const auto book = late.books().find(kHostileTicker);
          return book == late.books().end() ||
                 book->second.orders().count(accepted.market_order_id) == 0;
        },
        10s);
    got += synced ? ", its order cancelled" : ", its order still resting";
    return {"never reads its responses", "cut after N requests unread, its order cancelled", got,
            cut && synced};
  }

  // 500 connections, 200 of them logged on, all dropped (half with FIN, half with RST). Every
  // client id that logs on keeps its numbered streams for the day, and the exchange knows at
  // most 256 ids (OrderServerOptions::max_clients): with the other cases' ids, 200 fit.
  Row many_connections_dropped() {
    std::vector<std::unique_ptr<OrderEntryClient>> clients;
    clients.reserve(kConnections);
    int accepted = 0;
    const auto logs_on = [](int i) { return i % 5 < 2; };
    for (int i = 0; i < kConnections; ++i)
      clients.push_back(connect(port_, static_cast<ClientId>(10'000 + i)));
    for (int i = 0; i < kConnections; ++i) {
      if (logs_on(i))
        clients[static_cast<std::size_t>(i)]->send(clients[static_cast<std::size_t>(i)]->logon());
    }
    for (int i = 0; i < kConnections; ++i) {
      if (logs_on(i) && next_reply(*clients[static_cast<std::size_t>(i)]) == "LOGON_ACCEPTED")
        ++accepted;
    }
    for (int i = 0; i < kConnections; ++i) {
      if (i % 4 < 2)
        clients[static_cast<std::size_t>(i)]->close();
      else
        clients[static_cast<std::size_t>(i)]->reset();
    }
    return row(fmt::format("{} connections opened and dropped", kConnections),
               fmt::format("{} LOGON_ACCEPTED, all dropped", kConnections * 2 / 5),
               fmt::format("{} LOGON_ACCEPTED, all dropped", accepted));
  }

  struct FloodResult {
    std::uint64_t accepted = 0;
    std::uint64_t capacity = 0;
    std::uint64_t other = 0;
    bool closed = false;
  };

  // kFloodOrders resting buys on ticker 2, pipelined 512 at a time; every NEW must be
  // answered ACCEPTED or REJECTED(CAPACITY). The flooder then disconnects: its orders are
  // cancelled.
  FloodResult flood(ClientId id) {
    FloodResult result;
    auto client = std::make_unique<OrderEntryClient>(port_, id, 20s);
    client->skip_heartbeats(true);
    if (!client->send(client->logon()) || logon_reply(*client) != "LOGON_ACCEPTED") {
      result.closed = true;
      return result;
    }
    std::vector<ClientRequest> batch;
    OrderId order_id = 0;
    while (order_id < kFloodOrders && !result.closed) {
      batch.clear();
      for (int i = 0; i < 512 && order_id < kFloodOrders; ++i) {
        ++order_id;
        batch.push_back(client->new_order(kHostileTicker, order_id, Side::kBuy,
                                          5'000 - static_cast<Price>(order_id % 1000), 1));
      }
      if (!client->send(batch)) {
        result.closed = true;
        break;
      }
      for (std::size_t i = 0; i < batch.size(); ++i) {
        ClientResponse response{};
        if (client->receive(response, 20s) != OrderEntryClient::Receive::kMessage) {
          result.closed = true;
          break;
        }
        if (response.msg_type == ClientResponseType::kAccepted)
          ++result.accepted;
        else if (response.msg_type == ClientResponseType::kRejected &&
                 response.reject_reason == RejectReason::kCapacity)
          ++result.capacity;
        else
          ++result.other;
      }
    }
    client->send(client->logout());
    client->wait_closed(10s);
    return result;
  }

 private:
  std::uint16_t port_;
  std::mt19937_64 rng_{20240607};
};

// The exchange's latest status line shows at most `sessions` open sessions, within 10 s.
bool sessions_back_to(const ChildProcess& exchange, std::uint64_t sessions) {
  const std::string marker = "exchange: sessions ";
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string out = exchange.stdout_text();
    const std::size_t at = out.rfind(marker);
    if (at != std::string::npos &&
        std::strtoull(out.c_str() + at + marker.size(), nullptr, 10) <= sessions)
      return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

TEST(HostileClients, each_gets_its_designed_reply_while_an_honest_pair_keeps_trading) {
  const test::MdChannel md = test::md_random_channel();
  ChildProcess exchange(
      LLT_EXCHANGE_BINARY,
      test::joined_args(
          {"--port", "0", "--tickers", "1,2", "--max-orders", std::to_string(kMaxOrders),
           "--max-sessions", "1024", "--heartbeat-timeout-ms", "5000", "--snapshot-interval-ms",
           "500", "--stats-interval", "1", "--self-trade-prevention", "cancel-newest"},
          test::joined_args(test::md_flags(md), test::test_io_flags())));
  const std::uint16_t port = test::exchange_port(exchange);
  ASSERT_NE(port, 0) << exchange.stderr_text();

  HonestTraders honest(port);
  HostileClients hostile(port);
  std::vector<Row> rows;
  const auto add = [&](Row r) {
    r.name = fmt::format("{:2} {}", rows.size() + 1, r.name);
    rows.push_back(std::move(r));
    // The honest pair completes a trade after every case.
    if (!honest.trade(2))
      rows.push_back(row("   honest pair trades after it", "yes", "no"));
  };
  ASSERT_TRUE(honest.trade(3)) << honest.first_failure();

  add(hostile.random_bytes_first());
  add(hostile.request_before_logon());
  add(hostile.logon_with_replay_beyond_the_stream());
  add(hostile.logon_with_any_seq());
  add(hostile.logon_with_client_id_zero());
  add(hostile.logon_with_flags(0x02));
  add(hostile.logon_with_flags(0xff));
  add(hostile.logon_with_a_tif());
  add(hostile.logon_with_keep_orders());
  add(hostile.second_logon_for_a_live_id());
  add(hostile.second_logon_on_the_same_session());
  add(hostile.another_clients_id());
  add(hostile.wrong_seq_num());
  add(hostile.too_many_invalid_messages());
  add(hostile.random_bytes_after_logon());
  for (Row& r : hostile.invalid_fields())
    add(std::move(r));
  for (Row& r : hostile.invalid_tif_and_flags())
    add(std::move(r));
  add(hostile.trade_with_itself());
  add(hostile.modify_another_clients_order());
  add(hostile.duplicate_live_order_id());
  add(hostile.cancel_unknown_order());
  add(hostile.cancel_another_clients_order());
  add(hostile.dribbled_one_byte_at_a_time());
  add(hostile.half_request_then_reset());
  add(hostile.never_reads_its_responses(md));
  add(hostile.many_connections_dropped());
  // Two honest sessions remain; the 500 are gone (the status line is printed every second).
  add(row("   sessions after the drop (status line)", "<= 2",
          sessions_back_to(exchange, 2) ? "<= 2" : "more"));

  // The flood, twice by one client id: the first warms every pool and page up (the id's replay
  // ring included), the second must not grow RSS.
  const auto expected_flood = fmt::format("{} answers: {} ACCEPTED, {} REJECTED(CAPACITY)",
                                          kFloodOrders, kMaxOrders, kFloodOrders - kMaxOrders);
  const auto flood_text = [](const HostileClients::FloodResult& r) {
    return fmt::format("{} answers: {} ACCEPTED, {} REJECTED(CAPACITY){}{}",
                       r.accepted + r.capacity + r.other, r.accepted, r.capacity,
                       r.other > 0 ? fmt::format(", {} other", r.other) : "",
                       r.closed ? ", closed early" : "");
  };
  add(row(fmt::format("flood of {} NEW (warm-up)", kFloodOrders), expected_flood,
          flood_text(hostile.flood(200))));
  std::this_thread::sleep_for(1s);  // the cancel-on-disconnect of the flood drains
  const std::uint64_t warm_rss = test::resident_kib(exchange.pid());
  add(row(fmt::format("flood of {} NEW (again)", kFloodOrders), expected_flood,
          flood_text(hostile.flood(200))));
  std::this_thread::sleep_for(1s);
  const std::uint64_t end_rss = test::resident_kib(exchange.pid());
  const bool flat = end_rss <= warm_rss + warm_rss / 20;
  add({"   exchange RSS after the second flood",
       kCheckMemory ? "within +5% of after the first" : "(not checked under sanitizers)",
       fmt::format("{} KiB -> {} KiB ({:+.1f}%)", warm_rss, end_rss,
                   warm_rss == 0
                       ? 0.0
                       : 100.0 * (static_cast<double>(end_rss) - static_cast<double>(warm_rss)) /
                             static_cast<double>(warm_rss)),
       !kCheckMemory || (warm_rss > 0 && flat)});

  ASSERT_TRUE(honest.trade(3)) << honest.first_failure() << "\n" << exchange.stderr_text();
  honest.stop();
  rows.push_back({"   exchange still running", "yes", exchange.wait_exit(0ms) ? "no" : "yes",
                  exchange.running()});
  rows.push_back({"   honest pair: trades, each exactly ACCEPTED + FILLED both sides",
                  "all complete",
                  fmt::format("{} complete, {} failed{}", honest.rounds(), honest.failures(),
                              honest.first_failure().empty() ? "" : ": " + honest.first_failure()),
                  honest.failures() == 0 && honest.rounds() > 0});

  exchange.signal(SIGTERM);
  const auto code = exchange.wait_exit(10s);
  rows.push_back({"   exchange exit on SIGTERM", "0",
                  code ? std::to_string(*code) : "still running", code == 0});

  std::size_t name_width = 4;
  std::size_t expected_width = 8;
  for (const Row& r : rows) {
    name_width = std::max(name_width, r.name.size());
    expected_width = std::max(expected_width, r.expected.size());
  }
  fmt::print("\n{:<{}} | {:<{}} | {}\n", "case", name_width, "expected", expected_width, "got");
  fmt::print("{:-<{}}-+-{:-<{}}-+-{:-<40}\n", "", name_width, "", expected_width, "");
  for (const Row& r : rows) {
    fmt::print("{:<{}} | {:<{}} | {}{}\n", r.name, name_width, r.expected, expected_width, r.got,
               r.pass ? "" : "   <-- FAIL");
  }
  std::fflush(stdout);
  for (const Row& r : rows)
    EXPECT_TRUE(r.pass) << r.name << ": expected " << r.expected << ", got " << r.got;
}

}  // namespace
}  // namespace llt::exchange::testing
