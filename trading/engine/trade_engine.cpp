#include "trading/engine/trade_engine.h"

#include <algorithm>
#include <cinttypes>
#include <stdexcept>
#include <string>

namespace llt::trading {
namespace {

const std::vector<exchange::TickerId>& checked_tickers(const std::vector<exchange::TickerId>& t) {
  if (t.empty()) {
    throw std::invalid_argument("TradeEngine: no ticker to trade (--ticker)");
  }
  for (std::size_t i = 0; i < t.size(); ++i) {
    for (std::size_t j = i + 1; j < t.size(); ++j) {
      if (t[i] == t[j]) {
        throw std::invalid_argument("TradeEngine: ticker " + std::to_string(t[i]) +
                                    " is listed twice (--ticker)");
      }
    }
  }
  return t;
}

StrategyOptions strategy_options(const TradeEngineOptions& options) {
  StrategyOptions o = options.strategy;
  o.ticker_count = options.tickers.size();
  return o;
}

}  // namespace

TradeEngine::TradeEngine(const TradeEngineOptions& options, MarketEventQueue& market_events,
                         GatewayEventQueue& gateway_events, OrderRequestQueue& requests,
                         const TradeEngineCapacity& capacity)
    : tickers_(checked_tickers(options.tickers)),
      market_events_in_(market_events),
      gateway_events_in_(gateway_events),
      stats_(std::make_unique<TickerStats[]>(options.tickers.size())),
      tops_(std::make_unique<common::TopOfBookCell[]>(options.tickers.size())),
      feature_engine_(options.ema_alpha, options.reference_price),
      risk_(options.risk),
      orders_(options.tickers, requests, risk_),
      strategy_(strategy_options(options), common::TscClock::instance().ticks_per_ns() * 1e9),
      clock_(common::TscClock::instance()) {
  books_.reserve(tickers_.size());
  for (const exchange::TickerId id : tickers_) {
    books_.push_back(std::make_unique<MarketOrderBook>(id, capacity.max_orders_per_book,
                                                       capacity.max_levels_per_side));
  }
  orders_.set_adopting(true);
  features_.assign(tickers_.size(), feature_engine_.initial());
  features_bbo_.assign(tickers_.size(), Bbo{});
  positions_.assign(tickers_.size(), Position{});
}

TradeEngine::~TradeEngine() = default;

int TradeEngine::poll() {
  int work = 0;
  for (std::size_t i = 0; i < kBatch; ++i) {
    const MarketEvent* e = market_events_in_.front();
    if (e == nullptr) {
      break;
    }
    on_market_event(*e, common::rdtsc());
    market_events_in_.pop();
    ++work;
  }
  for (std::size_t i = 0; i < kBatch; ++i) {
    const GatewayEvent* e = gateway_events_in_.front();
    if (e == nullptr) {
      break;
    }
    on_gateway_event(*e);
    gateway_events_in_.pop();
    ++work;
  }
  if (strategy_.has_timer()) {
    run_timer();
  }
  if (LLT_UNLIKELY(wind_down_requested_.load(std::memory_order_relaxed))) {
    work += wind_down();
  }
  return work;
}

void TradeEngine::on_wait_set(common::WaitSet& waits) {
  market_events_in_.set_consumer_wake(&waits.signal());
  gateway_events_in_.set_consumer_wake(&waits.signal());
}

std::uint64_t TradeEngine::max_park_ns() const noexcept {
  if (!strategy_.has_timer() || !orders_.logged_on() || in_recovery_ || quiet_) {
    return UINT64_MAX;
  }
  const std::uint64_t due = strategy_.next_timer_ticks();
  if (due == UINT64_MAX) {
    return UINT64_MAX;
  }
  const std::uint64_t now = clock_.now_ticks();
  return due <= now ? 0 : clock_.ticks_to_ns(due - now);
}

int TradeEngine::wind_down() noexcept {
  quiet_ = true;
  if (flat_.load(std::memory_order_relaxed)) {
    return 0;
  }
  // cancel() sends a CANCEL for a live order and waits while one is in flight, so each order
  // gets at most one CANCEL per answer (a pending NEW is cancelled on a later pass, once
  // ACCEPTED made it live; a refused CANCEL makes the order live again and it is retried).
  int sent = 0;
  for (std::size_t t = 0; t < tickers_.size(); ++t) {
    sent += orders_.cancel(t, exchange::Side::kBuy) == MoveResult::kSentCancel ? 1 : 0;
    sent += orders_.cancel(t, exchange::Side::kSell) == MoveResult::kSentCancel ? 1 : 0;
  }
  if (!orders_.logged_on() || (orders_.open_orders() == 0 && orders_.answers_owed() == 0)) {
    flat_.store(true, std::memory_order_release);
  }
  return sent;
}

void TradeEngine::on_stop() {
  drain_stopped();
}

void TradeEngine::drain_stopped() noexcept {
  quiet_ = true;
  orders_.set_logged_on(false);
  for (const MarketEvent* e = market_events_in_.front(); e != nullptr;
       e = market_events_in_.front()) {
    on_market_event(*e, common::rdtsc());
    market_events_in_.pop();
  }
  for (const GatewayEvent* e = gateway_events_in_.front(); e != nullptr;
       e = gateway_events_in_.front()) {
    on_gateway_event(*e);
    gateway_events_in_.pop();
  }
}

void TradeEngine::on_market_event(const MarketEvent& e, std::uint64_t in_tsc) noexcept {
  market_events_.add();
  if (e.read_tsc != 0) {
    md_to_engine_ns_.record(clock_.elapsed_ns(e.read_tsc, in_tsc));
  }
  const exchange::MarketUpdate& u = e.update;
  switch (u.msg_type) {
    case exchange::MarketUpdateType::kSnapshotStart:
      in_recovery_ = true;
      return;
    case exchange::MarketUpdateType::kSnapshotEnd:
      in_recovery_ = false;
      last_seq_ = u.order_id;
      orders_.set_stamps(e.read_tsc, in_tsc);
      for (std::size_t t = 0; t < tickers_.size(); ++t) {
        if (!(books_[t]->bbo() == features_bbo_[t])) {
          on_bbo(t);
        }
        run_strategy(t);
      }
      orders_.set_stamps(0, 0);
      return;
    case exchange::MarketUpdateType::kClear:
    case exchange::MarketUpdateType::kAdd:
    case exchange::MarketUpdateType::kModify:
    case exchange::MarketUpdateType::kCancel:
    case exchange::MarketUpdateType::kTrade:
      break;
    default:
      return;
  }
  if (!in_recovery_ && u.seq_num != 0) {
    last_seq_ = u.seq_num;
  }
  const std::size_t t = ticker_index(u.ticker_id);
  if (t == SIZE_MAX) {
    unknown_ticker_.add();
    return;
  }
  MarketOrderBook& book = *books_[t];
  const BookResult r = book.apply(u);
  if (LLT_UNLIKELY(r != BookResult::kApplied && r != BookResult::kIgnored)) {
    book_errors_.add();
  }
  if (book.bbo_changed() || u.msg_type == exchange::MarketUpdateType::kTrade) {
    const Bbo& bbo = book.bbo();
    const LastTrade& last = book.last_trade();
    tops_[t].publish(
        {bbo.bid_price, bbo.bid_qty, bbo.ask_price, bbo.ask_qty, last.price, last.qty});
  }
  if (in_recovery_ || !book.bbo_changed()) {
    return;
  }
  on_bbo(t);
  orders_.set_stamps(e.read_tsc, in_tsc);
  run_strategy(t);
  orders_.set_stamps(0, 0);
}

void TradeEngine::on_gateway_event(const GatewayEvent& e) noexcept {
  gateway_events_.add();
  switch (e.type) {
    case GatewayEventType::kLoggedOn:
      return;  // the replay and the resend come first: orders wait for kCaughtUp
    case GatewayEventType::kCaughtUp:
      // Until the first catch-up the replay may hold an earlier run's orders (a restart).
      orders_.set_adopting(false);
      orders_.set_logged_on(true);
      if (e.resume != ResumeOutcome::kComplete) {
        reconciles_.add();
        (void)orders_.reconcile(e.resume);
      }
      for (std::size_t t = 0; t < tickers_.size(); ++t) {
        run_strategy(t);
      }
      return;
    case GatewayEventType::kDisconnected:
      orders_.on_disconnected();
      return;
    case GatewayEventType::kResponse:
      break;
  }
  const exchange::ClientResponse& r = e.response;
  const std::size_t t = ticker_index(r.ticker_id);
  if (t == SIZE_MAX) {
    unknown_ticker_.add();
    return;
  }
  if (r.msg_type == exchange::ClientResponseType::kFilled) {
    PositionKeeper::on_fill(positions_[t], r.side, r.price, r.exec_qty);
    fills_.add();
    stats_[t].fills.add();
    stats_[t].filled_qty.add(r.exec_qty);
    (r.side == exchange::Side::kBuy ? stats_[t].bought_qty : stats_[t].sold_qty).add(r.exec_qty);
    publish_position(t);
  }
  (void)orders_.on_response(t, r);
  run_strategy(t);
}

void TradeEngine::on_bbo(std::size_t t) noexcept {
  const Bbo& bbo = books_[t]->bbo();
  features_bbo_[t] = bbo;
  TickerFeatures& f = features_[t];
  feature_engine_.on_bbo(bbo, f);
  PositionKeeper::on_mid(positions_[t], bbo.two_sided(), f.mid);
  publish_position(t);
}

void TradeEngine::run_strategy(std::size_t t) noexcept {
  if (!orders_.logged_on() || in_recovery_ || quiet_) {
    return;
  }
  strategy_.on_update(t, features_[t], books_[t]->bbo(), positions_[t], orders_);
}

void TradeEngine::run_timer() noexcept {
  if (!orders_.logged_on() || in_recovery_ || quiet_) {
    return;
  }
  strategy_.on_timer(clock_.now_ticks(), features_, positions_, orders_);
}

void TradeEngine::publish_position(std::size_t t) noexcept {
  const Position& p = positions_[t];
  stats_[t].position.publish({p.position, std::llround(p.vwap), std::llround(p.realized_pnl),
                              std::llround(p.unrealized_pnl)});
}

void TradeEngine::dump_books(std::FILE* out) const {
  std::fprintf(out, "seq %" PRIu64 "\n", static_cast<std::uint64_t>(last_seq_));
  std::vector<std::size_t> order(tickers_.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::sort(order.begin(), order.end(),
            [this](std::size_t a, std::size_t b) { return tickers_[a] < tickers_[b]; });
  std::vector<BookOrder> resting;
  for (const std::size_t t : order) {
    resting.clear();
    books_[t]->for_each_order([&resting](const BookOrder& o) { resting.push_back(o); });
    std::sort(resting.begin(), resting.end(), [](const BookOrder& a, const BookOrder& b) {
      if (a.side != b.side) {
        return a.side == exchange::Side::kBuy;
      }
      if (a.price != b.price) {
        return a.side == exchange::Side::kBuy ? a.price > b.price : a.price < b.price;
      }
      return a.priority < b.priority;
    });
    for (const BookOrder& o : resting) {
      std::fprintf(out, "%" PRIu32 " %s %" PRId64 " %" PRIu32 " %" PRIu64 " %" PRIu64 "\n",
                   static_cast<std::uint32_t>(tickers_[t]),
                   o.side == exchange::Side::kBuy ? "BUY" : "SELL",
                   static_cast<std::int64_t>(o.price), static_cast<std::uint32_t>(o.qty),
                   static_cast<std::uint64_t>(o.priority), static_cast<std::uint64_t>(o.order_id));
    }
  }
}

}  // namespace llt::trading
