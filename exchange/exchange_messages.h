#pragma once

#include <cstdint>
#include <type_traits>

#include "common/concurrent/spsc_queue.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/market_update.h"

// What the exchange's agents pass each other (docs/architecture.md):
//
//   TCP -> OrderServer (FIFO sequencer) -> [RequestQueue] -> MatchingEngine
//   TCP <- OrderServer                  <- [ResponseQueue] <- MatchingEngine
//          MatchingEngine -> [UpdateQueue] -> MarketDataPublisher -> UDP incremental stream
//          MarketDataPublisher -> [PublishedUpdateQueue] -> SnapshotSynthesizer -> UDP snapshots
//
// Every queue is an SPSC queue between two agents' threads; a full queue is back-pressure
// (the producer waits with its input), never a drop. Stamps are common::TscClock::now_ticks.
namespace llt::exchange {

// Internal request type, never on the wire: cancel every resting order of request.client_id
// in every book (cancel-on-disconnect). The order server enqueues it when a session closes;
// the other fields are ignored. A client that sends this byte gets REJECTED(UNKNOWN_MSG_TYPE)
// from the order server, because is_wire_type() is false for it.
inline constexpr auto kCancelAllOfClient = static_cast<ClientRequestType>(0x80);
static_assert(!is_wire_type(kCancelAllOfClient), "internal types must not be wire types");

// Internal request type, never on the wire: a request of a logged-on client that the order
// server's session rules rejected (BAD_SEQ_NUM, CLIENT_ID_MISMATCH, THROTTLED, ...). Its REJECTED
// is numbered in the client's response stream, so it travels through the sequencer, the journal
// and the engine like every other numbered response's cause (docs/recovery.md, Numbered
// streams): the engine answers REJECTED with the reason held in `flags`, echoing the rest.
inline constexpr auto kSessionReject = static_cast<ClientRequestType>(0x81);
static_assert(!is_wire_type(kSessionReject), "internal types must not be wire types");

// The hops (docs/latency.md) a request has passed, carried with it and copied into everything
// it produces, so the order server and the market data publisher can measure each hop when
// they emit. 0 means "not stamped".
struct HopTicks {
  std::uint64_t recv_ticks = 0;       // order server read the request's last byte from TCP
  std::uint64_t sequenced_ticks = 0;  // FIFO sequencer released it to the engine
  std::uint64_t engine_in_ticks = 0;  // matching engine took it (stamped by the engine)
};

// Order server -> matching engine. A sequenced NEW, CANCEL, MODIFY, kCancelAllOfClient or
// kSessionReject; the rest of the session layer (LOGON, HEARTBEAT, LOGOUT, client_id binding)
// never reaches the engine.
// ticks.engine_in_ticks is ignored on input.
struct MatchingRequest {
  ClientRequest request;
  HopTicks ticks;
};

// Matching engine -> order server. response.seq_num is 0: the order server numbers it in the
// client's response stream, and routes it by response.client_id.
struct MatchingResponse {
  ClientResponse response;
  HopTicks ticks;
};

// Matching engine -> market data publisher. update.seq_num is 0: the publisher numbers the
// incremental stream (contiguous from 1) as it sends, and feeds the snapshot synthesizer.
struct MatchingUpdate {
  MarketUpdate update;
  HopTicks ticks;
};

static_assert(std::is_trivially_copyable_v<MatchingRequest> &&
                  std::is_trivially_copyable_v<MatchingResponse> &&
                  std::is_trivially_copyable_v<MatchingUpdate>,
              "queue elements are copied by value between threads");

using RequestQueue = common::SpscQueue<MatchingRequest>;
using ResponseQueue = common::SpscQueue<MatchingResponse>;
using UpdateQueue = common::SpscQueue<MatchingUpdate>;
// Market data publisher -> snapshot synthesizer: every incremental update, numbered (seq_num
// contiguous from 1), in stream order. The publisher stops taking updates from the engine
// while this queue is full.
using PublishedUpdateQueue = common::SpscQueue<MarketUpdate>;

}  // namespace llt::exchange
