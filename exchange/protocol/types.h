#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

// The exchange's domain vocabulary, shared by the wire structs, the matcher and (through the
// protocol target) the trading client. Units are part of the name's contract: prices are
// integer cents, quantities whole units.
namespace llt::exchange {

// A client's own order id (unique among that client's live orders) or an exchange-assigned
// market order id (unique per ticker: (ticker_id, market_order_id) names one order).
using OrderId = std::uint64_t;
// Client id 0 is invalid (docs/protocol.md).
using ClientId = std::uint32_t;
using TickerId = std::uint32_t;
// Signed cents. Orders need price > 0; any positive i64 works (there is no price table).
using Price = std::int64_t;
using Qty = std::uint32_t;
// Time priority inside a price level: increases with every order that rests in a book, so
// the FIFO of a level is exactly its orders sorted by ascending priority.
using Priority = std::uint64_t;
using SeqNum = std::uint64_t;

inline constexpr ClientId kInvalidClientId = 0;

// The most tickers one exchange or one trading client takes (--tickers, --ticker). Every ticker
// has books and pools of its own, allocated at start-up (tens of MB each at the default
// capacities), so a list much longer than this would only exhaust the machine's memory.
inline constexpr std::size_t kMaxTickers = 256;

// On the wire as i8: 1 buy, -1 sell. Any other value is invalid (INVALID_SIDE), and an enum
// with a fixed underlying type may hold it without undefined behaviour.
enum class Side : std::int8_t { kInvalid = 0, kBuy = 1, kSell = -1 };

[[nodiscard]] constexpr bool is_valid(Side side) noexcept {
  return side == Side::kBuy || side == Side::kSell;
}

[[nodiscard]] constexpr Side opposite(Side side) noexcept {
  return side == Side::kBuy ? Side::kSell : side == Side::kSell ? Side::kBuy : Side::kInvalid;
}

// Cold: for logs and test output. Unknown values read "INVALID".
[[nodiscard]] constexpr std::string_view to_string(Side side) noexcept {
  switch (side) {
    case Side::kBuy:
      return "BUY";
    case Side::kSell:
      return "SELL";
    case Side::kInvalid:
      break;
  }
  return "INVALID";
}

}  // namespace llt::exchange
