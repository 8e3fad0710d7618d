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

// A misbehaving exchange: a TcpServer on an ephemeral loopback port, polled from the test
// thread, that records each connection's requests, answers LOGON with LOGON_ACCEPTED (unless
// told not to) and sends whatever the test scripts.
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
  [[nodiscard]] bool connected() const { return current_.has_value(); }
  void set_answer_logon(bool answer) { answer_logon_ = answer; }

  // Sends `response` on the current connection with the next seq_num of this connection
  // (unless `raw`: then as given). False when there is no connection or no room.
  bool send(exchange::ClientResponse response, bool raw = false) {
    if (!current_.has_value()) {
      return false;
    }
    common::TcpConnection* connection = server_->connection(*current_);
    if (connection == nullptr) {
      return false;
    }
    if (!raw) {
      response.seq_num = next_seq_++;
      response.client_id = client_id_;
    }
    return connection->send(&response, sizeof(response)).ok();
  }
  bool send(exchange::ClientResponseType type, exchange::OrderId client_order_id = 0) {
    exchange::ClientResponse response{};
    response.msg_type = type;
    response.ticker_id = 1;
    response.client_order_id = client_order_id;
    return send(response);
  }
  [[nodiscard]] exchange::SeqNum next_seq() const { return next_seq_; }

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
    next_seq_ = 1;
    connections_.emplace_back();
  }
  void on_data(common::TcpConnectionId id, common::TcpConnection& connection) {
    connection.for_each_message<exchange::ClientRequest>([&](const exchange::ClientRequest& r) {
      if (current_ == id) {
        connections_.back().push_back(r);
      }
      if (answer_logon_ && r.msg_type == exchange::ClientRequestType::kLogon) {
        (void)send(exchange::ClientResponseType::kLogonAccepted);
      }
    });
  }
  void on_closed(common::TcpConnectionId id) {
    if (current_ == id) {
      current_.reset();
    }
  }

 private:
  exchange::ClientId client_id_;
  std::optional<common::TcpServer> server_;
  std::optional<common::TcpConnectionId> current_;
  std::vector<std::vector<exchange::ClientRequest>> connections_;
  exchange::SeqNum next_seq_ = 1;
  bool answer_logon_ = true;
};

}  // namespace llt::trading::testing
