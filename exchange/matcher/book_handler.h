#pragma once

#include <concepts>

#include "exchange/protocol/client_response.h"
#include "exchange/protocol/market_update.h"

namespace llt::exchange {

// What an order book reports to. The book builds the exact ClientResponse and MarketUpdate records
// of docs/protocol.md, in the order its Order of events lists, and hands each to its handler; the
// handler decides where they go (the matching engine's output queues, a test's recorder, a
// benchmark's checksum). The book is a template on its handler, so each event is a direct,
// inlinable call: no virtual dispatch, no std::function.
//
// Contract for a handler: both members are noexcept in effect (the book does not catch), do
// not call back into the book, and are called on the book's thread only. The records' seq_num
// is 0: the order server numbers responses per session and the market data publisher numbers
// the update stream.
template <typename H>
concept BookHandler = requires(H& handler, const ClientResponse& response,
                               const MarketUpdate& update) {
  handler.on_response(response);
  handler.on_market_update(update);
};

// Builders shared by the book and the matcher, so every response is filled the same way.
[[nodiscard]] inline ClientResponse make_response(ClientResponseType type, ClientId client_id,
                                                  TickerId ticker_id, OrderId client_order_id,
                                                  OrderId market_order_id, Side side, Price price,
                                                  Qty exec_qty, Qty leaves_qty,
                                                  RejectReason reason) noexcept {
  ClientResponse response;
  response.msg_type = type;
  response.client_id = client_id;
  response.ticker_id = ticker_id;
  response.client_order_id = client_order_id;
  response.market_order_id = market_order_id;
  response.side = side;
  response.price = price;
  response.exec_qty = exec_qty;
  response.leaves_qty = leaves_qty;
  response.reject_reason = reason;
  return response;
}

[[nodiscard]] inline MarketUpdate make_update(MarketUpdateType type, OrderId order_id,
                                              TickerId ticker_id, Side side, Price price, Qty qty,
                                              Priority priority) noexcept {
  MarketUpdate update;
  update.msg_type = type;
  update.order_id = order_id;
  update.ticker_id = ticker_id;
  update.side = side;
  update.price = price;
  update.qty = qty;
  update.priority = priority;
  return update;
}

}  // namespace llt::exchange
