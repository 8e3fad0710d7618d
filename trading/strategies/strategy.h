#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "trading/book/market_order_book.h"
#include "trading/engine/order_manager.h"
#include "trading/features/feature_engine.h"
#include "trading/position/position_keeper.h"
#include "trading/strategies/strategy_options.h"

namespace llt::trading {

// What the trade engine asks of a strategy type (docs/strategies.md):
//  - kName, its --strategy value, and kHelp, its line in --help;
//  - static S make(options, ticks_per_second), called once at start-up (may throw);
//  - on_update(ticker, features, bbo, position, orders), called after every BBO change and
//    every order event of a ticker while the strategy may trade; `ticker` is the ticker's
//    index in the traded list. It orders only through `orders` (OrderManager::move/cancel,
//    which apply the risk checks), never allocates and never throws.
template <class S>
concept TradingStrategy = requires(S& s, const StrategyOptions& options, std::size_t ticker,
                                   const TickerFeatures& features, const Bbo& bbo,
                                   const Position& position, OrderManager& orders) {
  { S::kName } -> std::convertible_to<std::string_view>;
  { S::kHelp } -> std::convertible_to<std::string_view>;
  { S::make(options, 1.0) } -> std::same_as<S>;
  { s.on_update(ticker, features, bbo, position, orders) }
  noexcept;
};

// A strategy that also acts on time: on_timer(now_ticks, features, positions, orders) runs
// from every poll of the trade engine while the strategy may trade; now_ticks is the TSC,
// features and positions are indexed like the traded tickers.
template <class S>
concept TimedStrategy = TradingStrategy<S> &&
    requires(S& s, std::uint64_t now_ticks, std::span<const TickerFeatures> features,
             std::span<const Position> positions, OrderManager& orders) {
  { s.on_timer(now_ticks, features, positions, orders) }
  noexcept;
};

// A list of strategy types; strategy_registry.h holds the one the trading client runs.
template <TradingStrategy... S>
struct StrategyList {};

template <class List>
class StrategySet;

// One strategy of a list, chosen by name at start-up and dispatched statically (a variant:
// one switch per event, no virtual call).
//
// Thread contract: the trade engine's thread.
template <TradingStrategy... S>
class StrategySet<StrategyList<S...>> {
 public:
  // The names and help lines of the list, in its order.
  static constexpr std::array<std::string_view, sizeof...(S)> kNames{S::kName...};
  static constexpr std::array<std::string_view, sizeof...(S)> kHelps{S::kHelp...};

  [[nodiscard]] static constexpr bool contains(std::string_view name) noexcept {
    return ((name == S::kName) || ...);
  }

  // Builds the strategy named options.name; throws std::invalid_argument for a name not in
  // the list. ticks_per_second: TSC ticks in a second, for a timed strategy's clock.
  StrategySet(const StrategyOptions& options, double ticks_per_second)
      : impl_(make(options, ticks_per_second)),
        has_timer_(((std::holds_alternative<S>(impl_) && TimedStrategy<S>) || ...)) {}

  void on_update(std::size_t ticker, const TickerFeatures& f, const Bbo& bbo, const Position& pos,
                 OrderManager& om) noexcept {
    dispatch([&](auto& s) { s.on_update(ticker, f, bbo, pos, om); });
  }

  // Whether the strategy is a TimedStrategy (the engine then calls on_timer from poll).
  [[nodiscard]] bool has_timer() const noexcept { return has_timer_; }
  void on_timer(std::uint64_t now_ticks, std::span<const TickerFeatures> features,
                std::span<const Position> positions, OrderManager& om) noexcept {
    dispatch([&](auto& s) {
      if constexpr (TimedStrategy<std::remove_cvref_t<decltype(s)>>) {
        s.on_timer(now_ticks, features, positions, om);
      }
    });
  }

  // When a timed strategy next wants on_timer (clock ticks; 0: at once, UINT64_MAX: never);
  // UINT64_MAX for a strategy without a timer or one that does not say.
  [[nodiscard]] std::uint64_t next_timer_ticks() const noexcept {
    std::uint64_t ticks = UINT64_MAX;
    (void)(next_timer_ticks_if<S>(ticks) || ...);
    return ticks;
  }

  [[nodiscard]] std::string_view name() const noexcept { return kNames[impl_.index()]; }

 private:
  using Impl = std::variant<S...>;

  static Impl make(const StrategyOptions& options, double ticks_per_second) {
    std::optional<Impl> impl;
    ((!impl && options.name == S::kName
          ? (void)impl.emplace(std::in_place_type<S>, S::make(options, ticks_per_second))
          : (void)0),
     ...);
    if (!impl) {
      throw std::invalid_argument("--strategy: '" + options.name + "' is not a strategy");
    }
    return std::move(*impl);
  }

  // Calls f on the strategy built: one index test per listed type, in order, and nothing
  // that can throw (std::visit may throw bad_variant_access).
  template <class F>
  void dispatch(F&& f) noexcept {
    (void)(dispatch_if<S>(f) || ...);
  }
  template <class T, class F>
  bool dispatch_if(F& f) noexcept {
    T* s = std::get_if<T>(&impl_);
    if (s == nullptr) {
      return false;
    }
    f(*s);
    return true;
  }

  template <class T>
  bool next_timer_ticks_if(std::uint64_t& ticks) const noexcept {
    const T* s = std::get_if<T>(&impl_);
    if (s == nullptr) {
      return false;
    }
    if constexpr (requires { s->next_due_ticks(); }) {
      ticks = s->next_due_ticks();
    }
    return true;
  }

  Impl impl_;
  bool has_timer_;
};

}  // namespace llt::trading
