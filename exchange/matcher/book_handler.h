#pragma once

#include <concepts>

#include "common/error.h"
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

// A handler may also take each record as a function that writes its fields
// (emplace_response(fill) calling fill(ClientResponse&), emplace_update(fill) calling
// fill(MarketUpdate&)) and run it on the record where it keeps it, a queue slot: the record is
// then written once, where it goes, and no copy reads back a record that was just written
// field by field (a load the CPU cannot serve from the stores still in flight, which waits for
// them). The book and the matcher use that form when the handler has it.
template <typename H>
concept InPlaceBookHandler = BookHandler<H> &&
    requires(H& handler, void (*fill_response)(ClientResponse&) noexcept,
             void (*fill_update)(MarketUpdate&) noexcept) {
  handler.emplace_response(fill_response);
  handler.emplace_update(fill_update);
};

// Builders shared by the book and the matcher, so every response is filled the same way.
inline void fill_response(ClientResponse& response, ClientResponseType type, ClientId client_id,
                          TickerId ticker_id, OrderId client_order_id, OrderId market_order_id,
                          Side side, Price price, Qty exec_qty, Qty leaves_qty,
                          RejectReason reason) noexcept {
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
}

[[nodiscard]] inline ClientResponse make_response(ClientResponseType type, ClientId client_id,
                                                  TickerId ticker_id, OrderId client_order_id,
                                                  OrderId market_order_id, Side side, Price price,
                                                  Qty exec_qty, Qty leaves_qty,
                                                  RejectReason reason) noexcept {
  ClientResponse response;
  fill_response(response, type, client_id, ticker_id, client_order_id, market_order_id, side, price,
                exec_qty, leaves_qty, reason);
  return response;
}

inline void fill_update(MarketUpdate& update, MarketUpdateType type, OrderId order_id,
                        TickerId ticker_id, Side side, Price price, Qty qty,
                        Priority priority) noexcept {
  update.msg_type = type;
  update.order_id = order_id;
  update.ticker_id = ticker_id;
  update.side = side;
  update.price = price;
  update.qty = qty;
  update.priority = priority;
}

[[nodiscard]] inline MarketUpdate make_update(MarketUpdateType type, OrderId order_id,
                                              TickerId ticker_id, Side side, Price price, Qty qty,
                                              Priority priority) noexcept {
  MarketUpdate update;
  fill_update(update, type, order_id, ticker_id, side, price, qty, priority);
  return update;
}

// Hands one response to the handler, in place when it can take it so.
template <BookHandler Handler>
LLT_ALWAYS_INLINE inline void emit_response(Handler& handler, ClientResponseType type,
                                            ClientId client_id, TickerId ticker_id,
                                            OrderId client_order_id, OrderId market_order_id,
                                            Side side, Price price, Qty exec_qty, Qty leaves_qty,
                                            RejectReason reason) noexcept {
  if constexpr (InPlaceBookHandler<Handler>) {
    handler.emplace_response([&](ClientResponse& response) noexcept {
      fill_response(response, type, client_id, ticker_id, client_order_id, market_order_id, side,
                    price, exec_qty, leaves_qty, reason);
    });
  } else {
    handler.on_response(make_response(type, client_id, ticker_id, client_order_id, market_order_id,
                                      side, price, exec_qty, leaves_qty, reason));
  }
}

// Hands one market update to the handler, in place when it can take it so.
template <BookHandler Handler>
LLT_ALWAYS_INLINE inline void emit_update(Handler& handler, MarketUpdateType type, OrderId order_id,
                                          TickerId ticker_id, Side side, Price price, Qty qty,
                                          Priority priority) noexcept {
  if constexpr (InPlaceBookHandler<Handler>) {
    handler.emplace_update([&](MarketUpdate& update) noexcept {
      fill_update(update, type, order_id, ticker_id, side, price, qty, priority);
    });
  } else {
    handler.on_market_update(make_update(type, order_id, ticker_id, side, price, qty, priority));
  }
}

}  // namespace llt::exchange
