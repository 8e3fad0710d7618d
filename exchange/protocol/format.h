#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/market_update.h"
#include "exchange/protocol/reject_reason.h"
#include "exchange/protocol/types.h"

// Cold: fmt formatters and to_string for logs, reports and test output. Never call these on
// the hot path (the logger copies the raw struct and formats in its backend).
//
// Enums print their name in docs/protocol.md ("FILLED"); a value outside the table prints with its
// number ("UNKNOWN(200)"), so a corrupt record is visible in a log. Packed fields are copied to
// locals before formatting: a reference to a packed field may be misaligned.

namespace llt::exchange::detail {

template <typename Enum>
struct EnumFormatter {
  constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }

  template <typename FormatContext>
  auto format(Enum value, FormatContext& ctx) const {
    const std::string_view name = to_string(value);
    if (name == "UNKNOWN" || name == "INVALID") {
      return fmt::format_to(ctx.out(), "{}({})", name,
                            static_cast<int>(static_cast<std::underlying_type_t<Enum>>(value)));
    }
    return fmt::format_to(ctx.out(), "{}", name);
  }
};

}  // namespace llt::exchange::detail

template <>
struct fmt::formatter<llt::exchange::Side>
    : llt::exchange::detail::EnumFormatter<llt::exchange::Side> {};
template <>
struct fmt::formatter<llt::exchange::RejectReason>
    : llt::exchange::detail::EnumFormatter<llt::exchange::RejectReason> {};
template <>
struct fmt::formatter<llt::exchange::ClientRequestType>
    : llt::exchange::detail::EnumFormatter<llt::exchange::ClientRequestType> {};
template <>
struct fmt::formatter<llt::exchange::TimeInForce>
    : llt::exchange::detail::EnumFormatter<llt::exchange::TimeInForce> {};
template <>
struct fmt::formatter<llt::exchange::ClientResponseType>
    : llt::exchange::detail::EnumFormatter<llt::exchange::ClientResponseType> {};
template <>
struct fmt::formatter<llt::exchange::MarketUpdateType>
    : llt::exchange::detail::EnumFormatter<llt::exchange::MarketUpdateType> {};

// "NEW seq=1 client=7 ticker=1 order_id=10 side=BUY price=10025 qty=5 tif=IOC flags=0x00"
template <>
struct fmt::formatter<llt::exchange::ClientRequest> {
  constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }

  template <typename FormatContext>
  auto format(const llt::exchange::ClientRequest& r, FormatContext& ctx) const {
    const std::uint64_t seq = r.seq_num;
    const llt::exchange::ClientRequestType type = r.msg_type;
    const std::uint32_t client = r.client_id;
    const std::uint32_t ticker = r.ticker_id;
    const std::uint64_t order_id = r.order_id;
    const llt::exchange::Side side = r.side;
    const std::int64_t price = r.price;
    const std::uint32_t qty = r.qty;
    const llt::exchange::TimeInForce tif = r.tif;
    const unsigned flags = r.flags;
    return fmt::format_to(
        ctx.out(),
        "{} seq={} client={} ticker={} order_id={} side={} price={} qty={} tif={} flags={:#04x}",
        type, seq, client, ticker, order_id, side, price, qty, tif, flags);
  }
};

// "FILLED seq=4 client=7 ticker=1 client_order_id=10 market_order_id=3 side=BUY price=10025
//  exec_qty=5 leaves_qty=0 reason=NONE"
template <>
struct fmt::formatter<llt::exchange::ClientResponse> {
  constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }

  template <typename FormatContext>
  auto format(const llt::exchange::ClientResponse& r, FormatContext& ctx) const {
    const std::uint64_t seq = r.seq_num;
    const llt::exchange::ClientResponseType type = r.msg_type;
    const std::uint32_t client = r.client_id;
    const std::uint32_t ticker = r.ticker_id;
    const std::uint64_t client_order_id = r.client_order_id;
    const std::uint64_t market_order_id = r.market_order_id;
    const llt::exchange::Side side = r.side;
    const std::int64_t price = r.price;
    const std::uint32_t exec_qty = r.exec_qty;
    const std::uint32_t leaves_qty = r.leaves_qty;
    const llt::exchange::RejectReason reason = r.reject_reason;
    return fmt::format_to(ctx.out(),
                          "{} seq={} client={} ticker={} client_order_id={} market_order_id={} "
                          "side={} price={} exec_qty={} leaves_qty={} reason={}",
                          type, seq, client, ticker, client_order_id, market_order_id, side, price,
                          exec_qty, leaves_qty, reason);
  }
};

// "TRADE seq=12 order_id=3 ticker=1 side=BUY price=10025 qty=5 priority=0"
template <>
struct fmt::formatter<llt::exchange::MarketUpdate> {
  constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }

  template <typename FormatContext>
  auto format(const llt::exchange::MarketUpdate& u, FormatContext& ctx) const {
    const std::uint64_t seq = u.seq_num;
    const llt::exchange::MarketUpdateType type = u.msg_type;
    const std::uint64_t order_id = u.order_id;
    const std::uint32_t ticker = u.ticker_id;
    const llt::exchange::Side side = u.side;
    const std::int64_t price = u.price;
    const std::uint32_t qty = u.qty;
    const std::uint64_t priority = u.priority;
    return fmt::format_to(ctx.out(),
                          "{} seq={} order_id={} ticker={} side={} price={} qty={} priority={}",
                          type, seq, order_id, ticker, side, price, qty, priority);
  }
};

namespace llt::exchange {

[[nodiscard, gnu::cold]] inline std::string to_string(const ClientRequest& request) {
  return fmt::format("{}", request);
}
[[nodiscard, gnu::cold]] inline std::string to_string(const ClientResponse& response) {
  return fmt::format("{}", response);
}
[[nodiscard, gnu::cold]] inline std::string to_string(const MarketUpdate& update) {
  return fmt::format("{}", update);
}

}  // namespace llt::exchange
