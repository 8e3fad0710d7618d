// A consumer of the installed llt package (tests/package_test.py): connects to an exchange on
// 127.0.0.1:PORT with llt::common's TCP classes, sends a LOGON (docs/protocol.md) built from
// llt::protocol's structs and exits 0 when the answer is LOGON_ACCEPTED.
//
//   logon_client PORT [CLIENT_ID]

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "common/net/io_status.h"
#include "common/net/socket_address.h"
#include "common/net/tcp_connection.h"
#include "common/net/tcp_connector.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/format.h"
#include "llt/version.h"

namespace {

using Clock = std::chrono::steady_clock;
using llt::common::IoStatus;
using llt::common::TcpConnection;
using llt::common::TcpConnector;
using llt::exchange::ClientRequest;
using llt::exchange::ClientRequestType;
using llt::exchange::ClientResponse;
using llt::exchange::ClientResponseType;

constexpr auto kTimeout = std::chrono::seconds(10);
constexpr auto kPollPause = std::chrono::milliseconds(1);

int fail(const std::string& what) {
  fmt::print(stderr, "logon_client: {}\n", what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    return fail("usage: logon_client PORT [CLIENT_ID]");
  }
  const auto port = static_cast<std::uint16_t>(std::strtoul(argv[1], nullptr, 10));
  const auto client_id =
      argc == 3 ? static_cast<llt::exchange::ClientId>(std::strtoul(argv[2], nullptr, 10)) : 1U;
  fmt::print("logon_client: built against llt {}\n", LLT_VERSION);

  const auto deadline = Clock::now() + kTimeout;
  TcpConnector connector;
  TcpConnector::Status status = connector.start(llt::common::make_sockaddr("127.0.0.1", port));
  while (status == TcpConnector::Status::kInProgress && Clock::now() < deadline) {
    std::this_thread::sleep_for(kPollPause);
    status = connector.check();
  }
  if (status != TcpConnector::Status::kConnected) {
    connector.abandon();
    return fail(fmt::format("connect 127.0.0.1:{} failed (errno {})", port, connector.error()));
  }
  TcpConnection connection(4096, 4096);
  if (!connection.attach(connector.take()).ok()) {
    return fail("cannot configure the connected socket");
  }

  ClientRequest logon{};
  logon.seq_num = 1;  // the next request number of a fresh client
  logon.msg_type = ClientRequestType::kLogon;
  logon.client_id = client_id;
  fmt::print("logon_client: sending {}\n", logon);
  if (!connection.send(&logon, sizeof(logon)).ok()) {
    return fail("send failed");
  }
  while (connection.pending_send_bytes() > 0 && Clock::now() < deadline) {
    (void)connection.flush();
    std::this_thread::sleep_for(kPollPause);
  }

  while (Clock::now() < deadline) {
    const llt::common::IoResult read = connection.read_some();
    if (read.status == IoStatus::kClosed || read.status == IoStatus::kError) {
      return fail("the exchange closed the connection before answering");
    }
    if (const ClientResponse* response = connection.peek_message<ClientResponse>()) {
      const ClientResponse answer = *response;
      fmt::print("logon_client: received {}\n", answer);
      if (answer.msg_type != ClientResponseType::kLogonAccepted) {
        return fail("the LOGON was not accepted");
      }
      fmt::print("logon_client: LOGON accepted\n");
      return 0;
    }
    std::this_thread::sleep_for(kPollPause);
  }
  return fail("no answer to the LOGON in time");
}
