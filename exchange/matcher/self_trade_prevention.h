#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace llt::exchange {

// What happens when an order would trade with a resting order of the same client
// (docs/protocol.md, Self-trade prevention).
enum class SelfTradePrevention : std::uint8_t {
  kOff,           // the two orders trade
  kCancelNewest,  // the incoming order's remainder ends: CANCELED(SELF_TRADE)
  kCancelOldest,  // the resting order is cancelled (CANCELED(SELF_TRADE)); matching goes on
};

// Cold. Values outside the table read "UNKNOWN".
[[nodiscard]] constexpr std::string_view to_string(SelfTradePrevention mode) noexcept {
  switch (mode) {
    case SelfTradePrevention::kOff:
      return "off";
    case SelfTradePrevention::kCancelNewest:
      return "cancel-newest";
    case SelfTradePrevention::kCancelOldest:
      return "cancel-oldest";
  }
  return "UNKNOWN";
}

// The mode named by the flag's text ("off", "cancel-newest", "cancel-oldest"), or nullopt.
[[nodiscard]] constexpr std::optional<SelfTradePrevention> parse_self_trade_prevention(
    std::string_view text) noexcept {
  for (const auto mode : {SelfTradePrevention::kOff, SelfTradePrevention::kCancelNewest,
                          SelfTradePrevention::kCancelOldest}) {
    if (text == to_string(mode)) {
      return mode;
    }
  }
  return std::nullopt;
}

}  // namespace llt::exchange
