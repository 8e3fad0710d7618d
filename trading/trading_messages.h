#pragma once

#include <cstdint>
#include <type_traits>

#include "common/concurrent/spsc_queue.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/market_update.h"

// What the trading client's three agents pass each other (docs/architecture.md, The trading
// pipeline):
//
//   UDP -> MarketDataConsumer -> [MarketEvent] -> TradeEngine -> [OrderRequest] -> OrderGateway
//                                                  TradeEngine <- [GatewayEvent] <- OrderGateway
//
// TSC stamps are common::rdtsc() ticks; 0 means "not stamped".
namespace llt::trading {

// Market data consumer -> trade engine: the book-changing stream, already in order and gap
// free. Incremental CLEAR/ADD/MODIFY/CANCEL/TRADE records keep their seq_num. A recovery is
// framed: SNAPSHOT_START (order_id = the snapshot's last incremental seq_num), then per ticker
// CLEAR and its ADDs from the snapshot stream, then SNAPSHOT_END (same order_id), then the
// queued incrementals after that seq_num. Between START and END the books are being rebuilt
// and strategies must not act on them. HEARTBEATs are not forwarded.
struct MarketEvent {
  exchange::MarketUpdate update;
  std::uint64_t read_tsc = 0;  // when the datagram carrying it was read from the socket
};

// Trade engine -> order gateway. The gateway assigns seq_num and client_id; the engine fills
// msg_type (NEW, CANCEL or MODIFY), ticker_id, order_id, side, price, qty, tif, flags.
struct OrderRequest {
  exchange::ClientRequest request;
  std::uint64_t md_read_tsc = 0;    // read_tsc of the market event that caused it, or 0
  std::uint64_t engine_in_tsc = 0;  // when the trade engine took that event, or 0
};

enum class GatewayEventType : std::uint8_t {
  kResponse = 1,      // `response` is a numbered ClientResponse, each number once (replayed or
                      // live), or a local REJECTED with seq_num 0 for a request not sent
  kLoggedOn = 2,      // `response` is the LOGON_ACCEPTED; the replay of missed responses and
                      // the resend of requests the exchange did not get follow
  kDisconnected = 3,  // the session ended (exchange gone, dropped us, LOGON_REJECTED): open
                      // orders are not assumed cancelled, the next logon's replay says what
                      // became of them; requests are refused until the next kCaughtUp
  kCaughtUp = 4,      // after kLoggedOn: the replay reached the live stream and every request
                      // to resend went out; `resume` says what could not be recovered.
                      // Orders may be sent
};

// What a reconnect could not recover, in a kCaughtUp (docs/recovery.md).
enum class ResumeOutcome : std::uint8_t {
  kComplete = 0,       // every missed response was replayed and every missed request resent
  kRequestsLost = 1,   // the exchange expected requests older than the resend ring holds:
                       // orders still waiting for an answer are unknown until reconciled
  kResponsesLost = 2,  // the exchange could not replay what was missed (REPLAY_UNAVAILABLE):
                       // fills may be missing and every open order is unknown
  kStreamsReset = 3,   // the exchange started a new day (its streams are behind ours): none
                       // of our orders exists there any more
};

// Order gateway -> trade engine.
struct GatewayEvent {
  GatewayEventType type = GatewayEventType::kResponse;
  ResumeOutcome resume = ResumeOutcome::kComplete;  // kCaughtUp only
  exchange::ClientResponse response;
  std::uint64_t read_tsc = 0;  // when the bytes were read from the socket
};

static_assert(std::is_trivially_copyable_v<MarketEvent> &&
                  std::is_trivially_copyable_v<OrderRequest> &&
                  std::is_trivially_copyable_v<GatewayEvent>,
              "passed by value through SPSC queues");

using MarketEventQueue = common::SpscQueue<MarketEvent>;
using OrderRequestQueue = common::SpscQueue<OrderRequest>;
using GatewayEventQueue = common::SpscQueue<GatewayEvent>;

}  // namespace llt::trading
