#pragma once

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "exchange/protocol/client_response.h"
#include "exchange/protocol/format.h"
#include "tests/support/order_entry_client.h"
#include "tests/support/wait_for.h"

namespace llt::exchange::testing {

// Receives the next response and checks its type (and reason, when given).
inline ::testing::AssertionResult receive_response(
    OrderEntryClient& client, ClientResponse& out, ClientResponseType type,
    RejectReason reason = RejectReason::kNone,
    std::chrono::milliseconds timeout = llt::test::kEventLimit) {
  switch (client.receive(out, timeout)) {
    case OrderEntryClient::Receive::kMessage:
      break;
    case OrderEntryClient::Receive::kClosed:
      return ::testing::AssertionFailure()
             << "connection closed while waiting for " << to_string(type);
    case OrderEntryClient::Receive::kTimeout:
      return ::testing::AssertionFailure() << "timed out waiting for " << to_string(type);
    case OrderEntryClient::Receive::kError:
      return ::testing::AssertionFailure()
             << "socket error " << client.last_errno() << " waiting for " << to_string(type);
  }
  if (out.msg_type != type || out.reject_reason != reason) {
    return ::testing::AssertionFailure() << "expected " << to_string(type) << " reason "
                                         << to_string(reason) << ", got " << to_string(out);
  }
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult receive_response(OrderEntryClient& client,
                                                   ClientResponseType type,
                                                   RejectReason reason = RejectReason::kNone) {
  ClientResponse ignored{};
  return receive_response(client, ignored, type, reason);
}

// Sends LOGON (the client's next request number, no replay, no flags) and expects
// LOGON_ACCEPTED.
inline ::testing::AssertionResult log_on(OrderEntryClient& client) {
  if (!client.send(client.logon())) {
    return ::testing::AssertionFailure() << "send LOGON failed, errno " << client.last_errno();
  }
  return receive_response(client, ClientResponseType::kLogonAccepted);
}

// Sends LOGON asking for replay from replay_from (0: none) with LOGON flags, and expects
// LOGON_ACCEPTED, which it leaves in `accepted`.
inline ::testing::AssertionResult log_on(OrderEntryClient& client, SeqNum replay_from,
                                         std::uint8_t flags, ClientResponse& accepted) {
  if (!client.send(client.logon(replay_from, flags))) {
    return ::testing::AssertionFailure() << "send LOGON failed, errno " << client.last_errno();
  }
  return receive_response(client, accepted, ClientResponseType::kLogonAccepted);
}

// Expects the server to close the connection within the timeout with no further response.
inline ::testing::AssertionResult closed_by_server(
    OrderEntryClient& client, std::chrono::milliseconds timeout = llt::test::kEventLimit) {
  std::vector<ClientResponse> extra;
  if (!client.wait_closed(timeout, &extra)) {
    return ::testing::AssertionFailure() << "still open after " << timeout.count() << " ms";
  }
  if (!extra.empty()) {
    return ::testing::AssertionFailure()
           << extra.size() << " unexpected response(s) before the close, first "
           << to_string(extra.front());
  }
  return ::testing::AssertionSuccess();
}

}  // namespace llt::exchange::testing
