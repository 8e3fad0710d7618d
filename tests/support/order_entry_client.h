#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "common/net/socket_address.h"
#include "common/net/socket_fd.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/types.h"
#include "tests/support/wait_for.h"

namespace llt::exchange::testing {

// A test's order-entry client: one blocking loopback TCP socket whose every call is bounded
// by a timeout (SO_RCVTIMEO / SO_SNDTIMEO and a deadline), so a server bug fails the test
// instead of hanging it. Builds requests (40 bytes, docs/protocol.md) with the client's next
// request number and reassembles the 51-byte responses from any split.
//
// Thread contract: not thread-safe; one test thread uses a client.
class OrderEntryClient {
 public:
  enum class Receive { kMessage, kClosed, kTimeout, kError };

  // Connects to 127.0.0.1:port. receive_buffer_bytes > 0 sets SO_RCVBUF before connecting
  // (a small window for slow-reader tests). Throws std::system_error on failure.
  explicit OrderEntryClient(std::uint16_t port, ClientId client_id,
                            std::chrono::milliseconds timeout = llt::test::kEventLimit,
                            int receive_buffer_bytes = 0)
      : client_id_(client_id), timeout_(timeout) {
    fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd_.valid()) {
      throw std::system_error(errno, std::generic_category(), "socket");
    }
    if (receive_buffer_bytes > 0) {
      (void)::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes,
                         sizeof(receive_buffer_bytes));
    }
    set_timeout(SO_SNDTIMEO, timeout_);
    const sockaddr_in address = common::make_sockaddr("127.0.0.1", port);
    if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      int error = errno;
      if (error == EINTR) {
        // A signal cut the wait short (seen under the sanitizers); the handshake goes on in the
        // kernel: wait for it here, within the same timeout.
        error = finish_interrupted_connect();
      }
      if (error != 0) {
        throw std::system_error(error, std::generic_category(),
                                "connect 127.0.0.1:" + std::to_string(port));
      }
    }
    const int one = 1;
    (void)::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }

  [[nodiscard]] ClientId client_id() const noexcept { return client_id_; }
  [[nodiscard]] SeqNum next_seq() const noexcept { return next_seq_; }
  void set_next_seq(SeqNum seq) noexcept { next_seq_ = seq; }
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

  // --- Requests: NEW, CANCEL and MODIFY take the next request number; LOGON, HEARTBEAT and
  // LOGOUT carry it without taking it (docs/protocol.md, version 2) ---

  ClientRequest make(ClientRequestType type) {
    ClientRequest request{};
    request.seq_num = is_order_type(type) ? next_seq_++ : next_seq_;
    request.msg_type = type;
    request.client_id = client_id_;
    return request;
  }
  ClientRequest logon() { return make(ClientRequestType::kLogon); }
  // A LOGON asking for every response from number replay_from on (0: only live ones), with
  // LOGON flags (kFlagKeepOrders).
  ClientRequest logon(SeqNum replay_from, std::uint8_t flags = 0) {
    ClientRequest request = make(ClientRequestType::kLogon);
    request.order_id = replay_from;
    request.flags = flags;
    return request;
  }
  ClientRequest heartbeat() { return make(ClientRequestType::kHeartbeat); }
  ClientRequest logout() { return make(ClientRequestType::kLogout); }
  ClientRequest new_order(TickerId ticker, OrderId order_id, Side side, Price price, Qty qty) {
    ClientRequest request = make(ClientRequestType::kNew);
    request.ticker_id = ticker;
    request.order_id = order_id;
    request.side = side;
    request.price = price;
    request.qty = qty;
    return request;
  }
  // A NEW with a time in force and flags (kFlagPostOnly); tif and flags are sent as given,
  // valid or not.
  ClientRequest new_order(TickerId ticker, OrderId order_id, Side side, Price price, Qty qty,
                          TimeInForce tif, std::uint8_t flags = 0) {
    ClientRequest request = new_order(ticker, order_id, side, price, qty);
    request.tif = tif;
    request.flags = flags;
    return request;
  }
  ClientRequest cancel(TickerId ticker, OrderId order_id) {
    ClientRequest request = make(ClientRequestType::kCancel);
    request.ticker_id = ticker;
    request.order_id = order_id;
    return request;
  }
  // MODIFY of the client's live order `order_id`: side must be the order's, price and qty are
  // its new price and new resting qty.
  ClientRequest modify(TickerId ticker, OrderId order_id, Side side, Price price, Qty qty) {
    ClientRequest request = make(ClientRequestType::kModify);
    request.ticker_id = ticker;
    request.order_id = order_id;
    request.side = side;
    request.price = price;
    request.qty = qty;
    return request;
  }

  // --- Writing ---

  // Writes all the bytes (blocking, bounded by the timeout). False when the socket failed or
  // timed out (the peer closed, reset, or stopped reading).
  bool send_bytes(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const std::byte*>(data);
    std::size_t written = 0;
    while (written < size) {
      const ssize_t n = ::send(fd_.get(), bytes + written, size - written, MSG_NOSIGNAL);
      if (n > 0) {
        written += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) {
        continue;
      }
      last_errno_ = n < 0 ? errno : 0;
      return false;
    }
    return true;
  }
  bool send(const ClientRequest& request) { return send_bytes(&request, sizeof(request)); }
  // All requests in one write.
  bool send(std::span<const ClientRequest> requests) {
    return send_bytes(requests.data(), requests.size_bytes());
  }

  // --- Reading ---

  // The next response, waiting at most `timeout` (default: the client's). kClosed on EOF or
  // reset, kTimeout when nothing whole arrived in time.
  Receive receive(ClientResponse& out, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (buffer_.size() < sizeof(ClientResponse)) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return Receive::kTimeout;
      }
      set_timeout(SO_RCVTIMEO, left);
      std::byte chunk[4096];
      const ssize_t n = ::recv(fd_.get(), chunk, sizeof(chunk), 0);
      if (n > 0) {
        buffer_.insert(buffer_.end(), chunk, chunk + n);
        continue;
      }
      if (n == 0) {
        return Receive::kClosed;
      }
      const int error = errno;
      if (error == EINTR) {
        continue;
      }
      if (error == EAGAIN || error == EWOULDBLOCK) {
        return Receive::kTimeout;
      }
      last_errno_ = error;
      return error == ECONNRESET ? Receive::kClosed : Receive::kError;
    }
    std::memcpy(&out, buffer_.data(), sizeof(ClientResponse));
    buffer_.erase(buffer_.begin(),
                  buffer_.begin() + static_cast<std::ptrdiff_t>(sizeof(ClientResponse)));
    if (skip_heartbeats_ && out.msg_type == ClientResponseType::kHeartbeat) {
      ++skipped_heartbeats_;
      return receive(out, std::chrono::ceil<std::chrono::milliseconds>(
                              deadline - std::chrono::steady_clock::now()));
    }
    return Receive::kMessage;
  }
  Receive receive(ClientResponse& out) { return receive(out, timeout_); }

  // Reads until the server closes the connection (EOF or reset), keeping any responses that
  // arrive before it in `before_close`. True when the close came within `timeout`.
  bool wait_closed(std::chrono::milliseconds timeout,
                   std::vector<ClientResponse>* before_close = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return false;
      }
      ClientResponse response{};
      switch (receive(response, left)) {
        case Receive::kMessage:
          if (before_close != nullptr) {
            before_close->push_back(response);
          }
          continue;
        case Receive::kClosed:
          return true;
        case Receive::kTimeout:
          return false;
        case Receive::kError:
          return true;
      }
    }
  }

  // Closes with SO_LINGER 0: the kernel sends RST instead of FIN.
  void reset() {
    const linger abort_close{1, 0};
    (void)::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
    fd_.reset();
  }
  void close() { fd_.reset(); }

  [[nodiscard]] int last_errno() const noexcept { return last_errno_; }

  // When set, receive() drops server HEARTBEATs (counted), for tests whose timing is not the
  // point and that must not fail because a heartbeat came in between.
  void skip_heartbeats(bool skip) noexcept { skip_heartbeats_ = skip; }
  [[nodiscard]] std::size_t skipped_heartbeats() const noexcept { return skipped_heartbeats_; }

 private:
  // After connect() failed with EINTR: waits (poll, at most timeout_) for the connection to be
  // made and returns 0, or returns its error (ETIMEDOUT when it did not finish in time).
  [[nodiscard]] int finish_interrupted_connect() const {
    pollfd waiting{fd_.get(), POLLOUT, 0};
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return ETIMEDOUT;
      }
      const int ready = ::poll(&waiting, 1, static_cast<int>(left.count()));
      if (ready > 0) {
        break;
      }
      if (ready < 0 && errno != EINTR) {
        return errno;
      }
    }
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
      return errno;
    }
    return error;
  }

  void set_timeout(int option, std::chrono::milliseconds timeout) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    (void)::setsockopt(fd_.get(), SOL_SOCKET, option, &tv, sizeof(tv));
  }

  common::SocketFd fd_;
  ClientId client_id_;
  std::chrono::milliseconds timeout_;
  SeqNum next_seq_ = 1;
  std::vector<std::byte> buffer_;
  int last_errno_ = 0;
  bool skip_heartbeats_ = false;
  std::size_t skipped_heartbeats_ = 0;
};

}  // namespace llt::exchange::testing
