#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

#include "common/net/tcp_server.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/reject_reason.h"
#include "trading/order_gateway/order_gateway.h"
#include "trading/trading_messages.h"

namespace llt::trading::testing {

using namespace std::chrono_literals;

// Gateway options for tests: loopback, short back-off, and no heartbeat or receive timeout
// unless a test asks (a loaded machine must not see a heartbeat where a test expects a reply).
inline OrderGatewayOptions test_gateway_options(std::uint16_t port, exchange::ClientId client_id) {
  OrderGatewayOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.client_id = client_id;
  options.reconnect_initial = 10ms;
  options.reconnect_max = 100ms;
  options.heartbeat_interval = std::chrono::hours(1);
  options.connect_timeout = 500ms;
  options.logon_timeout = 5000ms;
  options.receive_timeout = 0ms;
  options.receive_buffer_bytes = 16 * 1024;
  options.send_buffer_bytes = 16 * 1024;
  return options;
}

inline OrderRequest new_order(exchange::TickerId ticker, exchange::OrderId id, exchange::Side side,
                              exchange::Price price, exchange::Qty qty) {
  OrderRequest request;
  request.request.msg_type = exchange::ClientRequestType::kNew;
  request.request.ticker_id = ticker;
  request.request.order_id = id;
  request.request.side = side;
  request.request.price = price;
  request.request.qty = qty;
  return request;
}

inline OrderRequest cancel_order(exchange::TickerId ticker, exchange::OrderId id) {
  OrderRequest request;
  request.request.msg_type = exchange::ClientRequestType::kCancel;
  request.request.ticker_id = ticker;
  request.request.order_id = id;
  return request;
}

// One gateway with its two queues, driven from the test thread: poll() the gateway, drain
// its events into a log.
//
// Thread contract: the test thread calls every member.
class GatewayHarness {
 public:
  explicit GatewayHarness(const OrderGatewayOptions& options, std::size_t event_capacity = 1024)
      : requests_(256), events_(event_capacity), gateway_(options, requests_, events_) {}

  OrderGateway& gateway() { return gateway_; }
  OrderRequestQueue& requests() { return requests_; }
  GatewayEventQueue& events() { return events_; }

  bool submit(const OrderRequest& request) { return requests_.try_push(request); }

  void drain() {
    while (GatewayEvent* event = events_.front()) {
      log_.push_back(*event);
      events_.pop();
    }
  }

  // Everything emitted so far.
  const std::vector<GatewayEvent>& log() {
    drain();
    return log_;
  }

  std::size_t count(GatewayEventType type) {
    std::size_t n = 0;
    for (const GatewayEvent& event : log()) {
      n += event.type == type ? 1 : 0;
    }
    return n;
  }

  // kResponse events only, in order.
  std::vector<exchange::ClientResponse> responses() {
    std::vector<exchange::ClientResponse> out;
    for (const GatewayEvent& event : log()) {
      if (event.type == GatewayEventType::kResponse) {
        out.push_back(event.response);
      }
    }
    return out;
  }

  // Polls (and calls `also` each turn, e.g. a scripted server's poll) until pred() holds or
  // the timeout passes; returns pred's last value.
  template <class Pred, class Also>
  bool poll_until(Pred&& pred, Also&& also, std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      gateway_.poll();
      also();
      drain();
      if (pred()) {
        return true;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(50us);
    }
  }
  template <class Pred>
  bool poll_until(Pred&& pred, std::chrono::milliseconds timeout = 5000ms) {
    return poll_until(
        std::forward<Pred>(pred), [] {}, timeout);
  }

  // Polls until the gateway has emitted `n` events of `type` in all.
  bool wait_for(GatewayEventType type, std::size_t n, std::chrono::milliseconds timeout = 5000ms) {
    return poll_until([&] { return count(type) >= n; }, timeout);
  }

  // Polls for `duration` (to show that something does not happen).
  template <class Also>
  void poll_for(std::chrono::milliseconds duration, Also&& also) {
    (void)poll_until([] { return false; }, std::forward<Also>(also), duration);
  }

 private:
  OrderRequestQueue requests_;
  GatewayEventQueue events_;
  OrderGateway gateway_;
  std::vector<GatewayEvent> log_;
};

// A scripted exchange speaking the version 2 session numbering (docs/protocol.md): a TcpServer
// on an ephemeral loopback port, polled from the test thread, that records each connection's
// requests and keeps one client's two streams across connections. A LOGON asking for replay
// from n gets LOGON_ACCEPTED (seq_num n, or the next live number for 0; client_order_id the
// next request number it expects; market_order_id the next live number), then every response
// it numbered from n, unless told otherwise. Numbered requests at the expected number advance
// it; nothing else is answered unless the test sends it.
//
// Thread contract: the test thread calls every member.
class ScriptedExchange {
 public:
  explicit ScriptedExchange(exchange::ClientId client_id) : client_id_(client_id) {
    common::TcpServerOptions options;
    options.port = 0;
    options.max_connections = 4;
    options.receive_buffer_bytes = 16 * 1024;
    options.send_buffer_bytes = 64 * 1024;
    server_.emplace(options);
  }

  [[nodiscard]] std::uint16_t port() const { return server_->port(); }

  void poll() { (void)server_->poll(*this); }

  // Requests received, per connection in accept order.
  const std::vector<std::vector<exchange::ClientRequest>>& connections() const {
    return connections_;
  }
  // NEW, CANCEL and MODIFY received, over every connection, in arrival order.
  const std::vector<exchange::ClientRequest>& orders() const { return orders_; }
  [[nodiscard]] bool connected() const { return current_.has_value(); }
  void set_answer_logon(bool answer) { answer_logon_ = answer; }
  // The next LOGON gets LOGON_REJECTED(reason) instead (once).
  void reject_next_logon(exchange::RejectReason reason) { reject_next_logon_ = reason; }
  // The next LOGON_ACCEPTED claims to expect this request number (once; 0: the real one).
  void claim_next_expected(exchange::SeqNum expected) { claimed_expected_ = expected; }
  // Requests arriving from now on are dropped unread (as if lost with the connection).
  void set_drop_orders(bool drop) { drop_orders_ = drop; }
  // Forgets the whole day: both streams start from 1 again (a restart without a journal).
  void new_day() {
    history_.clear();
    expected_request_ = 1;
  }

  // Sends `response` on the current connection. Unless `raw`, a numbered type takes the next
  // live number (and is kept for replay) and a HEARTBEAT carries it; the client id is ours.
  // False when there is no connection or no room.
  bool send(exchange::ClientResponse response, bool raw = false) {
    if (!raw) {
      response.client_id = client_id_;
      if (response.msg_type == exchange::ClientResponseType::kHeartbeat) {
        response.seq_num = next_live();
      } else {
        response.seq_num = next_live();
        history_.push_back(response);
      }
    }
    return write(response);
  }
  bool send(exchange::ClientResponseType type, exchange::OrderId client_order_id = 0) {
    exchange::ClientResponse response{};
    response.msg_type = type;
    response.ticker_id = 1;
    response.client_order_id = client_order_id;
    return send(response);
  }
  // Numbers a response into the stream without sending it (it is replayed on the next LOGON
  // that asks for it), as if the connection died before it left.
  void record_unsent(exchange::ClientResponse response) {
    response.client_id = client_id_;
    response.seq_num = next_live();
    history_.push_back(response);
  }
  // The numbered stream so far, from 1.
  const std::vector<exchange::ClientResponse>& history() const { return history_; }
  // The next live response number.
  [[nodiscard]] exchange::SeqNum next_live() const { return history_.size() + 1; }
  // The next request number it expects.
  [[nodiscard]] exchange::SeqNum expected_request() const { return expected_request_; }

  // Drops the current connection (as an exchange that restarts or kicks the session).
  void kick() {
    if (current_.has_value()) {
      (void)server_->close(*current_);
      current_.reset();
    }
  }

  // TcpServer handler.
  void on_accept(common::TcpConnectionId id, common::TcpConnection&) {
    current_ = id;
    connections_.emplace_back();
  }
  void on_data(common::TcpConnectionId id, common::TcpConnection& connection) {
    connection.for_each_message<exchange::ClientRequest>([&](const exchange::ClientRequest& r) {
      if (current_ != id) {
        return;
      }
      if (exchange::is_order_type(r.msg_type) && drop_orders_) {
        return;
      }
      connections_.back().push_back(r);
      if (exchange::is_order_type(r.msg_type)) {
        orders_.push_back(r);
        if (r.seq_num == expected_request_) {
          ++expected_request_;
        }
      }
      if (r.msg_type == exchange::ClientRequestType::kLogon && answer_logon_) {
        answer_logon(r);
      }
    });
  }
  void on_closed(common::TcpConnectionId id) {
    if (current_ == id) {
      current_.reset();
    }
  }

 private:
  void answer_logon(const exchange::ClientRequest& logon) {
    exchange::ClientResponse answer{};
    answer.client_id = client_id_;
    const exchange::SeqNum from = logon.order_id;
    if (reject_next_logon_.has_value() || from > next_live()) {
      answer.msg_type = exchange::ClientResponseType::kLogonRejected;
      answer.reject_reason = reject_next_logon_.value_or(exchange::RejectReason::kBadSeqNum);
      answer.seq_num = next_live();
      reject_next_logon_.reset();
      (void)write(answer);
      kick();
      return;
    }
    answer.msg_type = exchange::ClientResponseType::kLogonAccepted;
    answer.seq_num = from == 0 ? next_live() : from;
    answer.client_order_id = claimed_expected_ != 0 ? claimed_expected_ : expected_request_;
    if (claimed_expected_ != 0) {
      expected_request_ = claimed_expected_;
      claimed_expected_ = 0;
    }
    answer.market_order_id = next_live();
    (void)write(answer);
    for (exchange::SeqNum n = from == 0 ? next_live() : from; n < next_live(); ++n) {
      (void)write(history_[n - 1]);
    }
  }

  bool write(const exchange::ClientResponse& response) {
    if (!current_.has_value()) {
      return false;
    }
    common::TcpConnection* connection = server_->connection(*current_);
    if (connection == nullptr) {
      return false;
    }
    return connection->send(&response, sizeof(response)).ok();
  }

  exchange::ClientId client_id_;
  std::optional<common::TcpServer> server_;
  std::optional<common::TcpConnectionId> current_;
  std::vector<std::vector<exchange::ClientRequest>> connections_;
  std::vector<exchange::ClientRequest> orders_;
  std::vector<exchange::ClientResponse> history_;  // the numbered stream, from 1
  exchange::SeqNum expected_request_ = 1;
  exchange::SeqNum claimed_expected_ = 0;
  std::optional<exchange::RejectReason> reject_next_logon_;
  bool answer_logon_ = true;
  bool drop_orders_ = false;
};

}  // namespace llt::trading::testing
