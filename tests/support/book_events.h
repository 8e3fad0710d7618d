#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "exchange/protocol/client_response.h"
#include "exchange/protocol/format.h"
#include "exchange/protocol/market_update.h"
#include "exchange/protocol/types.h"

namespace llt::test {

// One record a book emitted, response or market update, kept in emission order so tests see
// how the two streams interleave.
using BookEvent = std::variant<exchange::ClientResponse, exchange::MarketUpdate>;

// A BookHandler that records every event.
struct RecordingHandler {
  std::vector<BookEvent> events;
  void on_response(const exchange::ClientResponse& response) { events.emplace_back(response); }
  void on_market_update(const exchange::MarketUpdate& update) { events.emplace_back(update); }
};

inline std::string side_text(exchange::Side side) {
  if (side == exchange::Side::kBuy || side == exchange::Side::kSell) {
    return std::string(exchange::to_string(side));
  }
  return std::to_string(static_cast<int>(static_cast<std::int8_t>(side)));
}

// The canonical one-line text of an event, as written in tests/scenarios/*.txt:
//   -> FILLED client=1 ticker=1 id=10 moid=1 side=BUY price=100 exec=5 leaves=0 reason=NONE
//   md TRADE ticker=1 oid=3 side=BUY price=100 qty=5 priority=0
// seq_num is printed only when it is not 0 (the matcher leaves it 0).
inline std::string describe(const BookEvent& event) {
  if (const auto* r = std::get_if<exchange::ClientResponse>(&event)) {
    const std::uint64_t seq = r->seq_num;
    const std::uint32_t client = r->client_id;
    const std::uint32_t ticker = r->ticker_id;
    const std::uint64_t id = r->client_order_id;
    const std::uint64_t moid = r->market_order_id;
    const std::int64_t price = r->price;
    const std::uint32_t exec = r->exec_qty;
    const std::uint32_t leaves = r->leaves_qty;
    return fmt::format(
        "-> {}{} client={} ticker={} id={} moid={} side={} price={} exec={} leaves={} reason={}",
        exchange::ClientResponseType{r->msg_type}, seq == 0 ? "" : fmt::format(" seq={}", seq),
        client, ticker, id, moid, side_text(r->side), price, exec, leaves,
        exchange::RejectReason{r->reject_reason});
  }
  const auto& u = std::get<exchange::MarketUpdate>(event);
  const std::uint64_t seq = u.seq_num;
  const std::uint32_t ticker = u.ticker_id;
  const std::uint64_t oid = u.order_id;
  const std::int64_t price = u.price;
  const std::uint32_t qty = u.qty;
  const std::uint64_t priority = u.priority;
  return fmt::format("md {}{} ticker={} oid={} side={} price={} qty={} priority={}",
                     exchange::MarketUpdateType{u.msg_type},
                     seq == 0 ? "" : fmt::format(" seq={}", seq), ticker, oid, side_text(u.side),
                     price, qty, priority);
}

inline std::string describe(const std::vector<BookEvent>& events) {
  std::string text;
  for (const BookEvent& event : events) {
    text += "  ";
    text += describe(event);
    text += '\n';
  }
  return text;
}

}  // namespace llt::test
