#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <variant>
#include <vector>

#include "exchange/exchange_messages.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/types.h"
#include "tests/support/book_events.h"

namespace llt::test {

// SplitMix64: tiny, fast and identical on every platform and standard library, so a seed
// names the same flow everywhere (std::uniform_int_distribution does not promise that).
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n > 0 (the modulo bias is below 2^-40 for the n used here).
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  bool chance(std::uint64_t per_mille) { return below(1000) < per_mille; }

 private:
  std::uint64_t state_;
};

struct OrderFlowOptions {
  std::uint64_t seed = 1;
  std::vector<exchange::TickerId> tickers{1, 2, 3};
  std::uint32_t clients = 8;  // client ids first_client .. first_client + clients - 1
  exchange::ClientId first_client = 1;
  exchange::Price start_mid = 10'000;
  // Orders each client remembers as possibly live, for its cancels. When full, the client
  // cancels before it adds, which keeps the books a few hundred orders deep.
  std::size_t max_tracked_per_client = 64;
};

// A seeded stream of requests shaped like a busy market: mostly passive orders a few ticks
// from a drifting mid, cancels of them, crossing orders, and rarely deep sweeps, far-away and
// extreme i64 prices, invalid requests of every kind, stale and foreign cancels, reused ids,
// and cancel-on-disconnect.
//
// Feed it the events of each request (observe) and its clients forget orders that filled or
// were refused, as real clients do, so most of their cancels hit live orders; without
// feedback most cancels name orders that have already filled. Either way the requests depend
// only on the seed and the events, so a flow recorded once replays identically through any
// book that implements the same rules.
class OrderFlowGenerator {
 public:
  explicit OrderFlowGenerator(OrderFlowOptions options)
      : options_(std::move(options)),
        rng_(options_.seed),
        mid_(options_.tickers.size(), options_.start_mid),
        tracked_(options_.clients + 1),
        next_id_(options_.clients + 1, 1) {}

  std::vector<exchange::ClientRequest> generate(std::size_t count) {
    std::vector<exchange::ClientRequest> requests;
    requests.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      requests.push_back(next());
    }
    return requests;
  }

  // Feedback from the book: a client forgets an order once it is fully filled or refused.
  void observe(const std::vector<BookEvent>& events) {
    for (const BookEvent& event : events) {
      const auto* r = std::get_if<exchange::ClientResponse>(&event);
      if (r == nullptr)
        continue;
      const bool filled =
          r->msg_type == exchange::ClientResponseType::kFilled && r->leaves_qty == 0;
      const bool refused = r->msg_type == exchange::ClientResponseType::kRejected &&
                           r->reject_reason == exchange::RejectReason::kCapacity;
      // Back from the wire's client ids to 1..clients.
      const exchange::ClientId client = r->client_id - (options_.first_client - 1);
      if ((filled || refused) && r->client_id >= options_.first_client &&
          client < tracked_.size()) {
        forget(client, r->client_order_id);
      }
    }
  }

  exchange::ClientRequest next() {
    exchange::ClientRequest request = draw();
    if (request.client_id != exchange::kInvalidClientId) {
      request.client_id += options_.first_client - 1;
    }
    return request;
  }

 private:
  struct Tracked {
    exchange::TickerId ticker;
    exchange::OrderId id;
  };

  static constexpr exchange::Price kMaxPrice = std::numeric_limits<exchange::Price>::max();

  // The next request, with client ids 1..clients (next() moves them to first_client).
  exchange::ClientRequest draw() {
    drift_mids();
    const auto client = static_cast<exchange::ClientId>(1 + rng_.below(options_.clients));
    const std::size_t ticker_index = rng_.below(options_.tickers.size());
    exchange::ClientRequest request;
    request.seq_num = ++seq_num_;
    request.client_id = client;
    request.ticker_id = options_.tickers[ticker_index];

    if (tracked_[client].size() >= options_.max_tracked_per_client) {
      cancel_tracked(request);
      return request;
    }
    const std::uint64_t roll = rng_.below(10'000);
    if (roll < 5) {
      request.msg_type = exchange::kCancelAllOfClient;
      tracked_[client].clear();
    } else if (roll < 250) {
      invalid_new(request, ticker_index);
    } else if (roll < 450) {
      bad_cancel(request);
    } else if (roll < 500) {
      reused_id_new(request, ticker_index);
    } else if (roll < 600) {
      far_new(request, ticker_index);
    } else if (roll < 750) {
      sweep_new(request, ticker_index);
    } else if (roll < 2'000) {
      aggressive_new(request, ticker_index);
    } else if (roll < 4'800) {
      if (!cancel_tracked(request)) {
        passive_new(request, ticker_index);
      }
    } else {
      passive_new(request, ticker_index);
    }
    return request;
  }

  void drift_mids() {
    if (rng_.below(16) != 0) {
      return;
    }
    exchange::Price& mid = mid_[rng_.below(mid_.size())];
    const auto step = static_cast<exchange::Price>(1 + rng_.below(3));
    mid += rng_.chance(500) ? step : -step;
    if (mid < 1'000)
      mid = 1'000;
    if (mid > 1'000'000)
      mid = 1'000'000;
  }

  exchange::Side random_side() {
    return rng_.chance(500) ? exchange::Side::kBuy : exchange::Side::kSell;
  }

  void make_new(exchange::ClientRequest& request, exchange::Side side, exchange::Price price,
                exchange::Qty qty) {
    request.msg_type = exchange::ClientRequestType::kNew;
    request.order_id = next_id_[request.client_id]++;
    request.side = side;
    request.price = price;
    request.qty = qty;
    tracked_[request.client_id].push_back(Tracked{request.ticker_id, request.order_id});
  }

  exchange::Qty lot() {
    return static_cast<exchange::Qty>(rng_.chance(200) ? 100 * (1 + rng_.below(10))
                                                       : 1 + rng_.below(100));
  }

  // A few ticks behind the touch on its own side.
  void passive_new(exchange::ClientRequest& request, std::size_t ticker) {
    const exchange::Side side = random_side();
    const auto offset = static_cast<exchange::Price>(1 + rng_.below(4) + rng_.below(6));
    const exchange::Price mid = mid_[ticker];
    make_new(request, side, side == exchange::Side::kBuy ? mid - offset : mid + offset, lot());
  }

  // At or through the touch: usually trades with one or two resting orders.
  void aggressive_new(exchange::ClientRequest& request, std::size_t ticker) {
    const exchange::Side side = random_side();
    const auto through = static_cast<exchange::Price>(rng_.below(4));
    const exchange::Price mid = mid_[ticker];
    make_new(request, side, side == exchange::Side::kBuy ? mid + through : mid - through,
             static_cast<exchange::Qty>(1 + rng_.below(150)));
  }

  // Deep through the book, sometimes at the extreme prices (a market order in effect).
  void sweep_new(exchange::ClientRequest& request, std::size_t ticker) {
    const exchange::Side side = random_side();
    const exchange::Price mid = mid_[ticker];
    exchange::Price price = 0;
    if (rng_.chance(200)) {
      price = side == exchange::Side::kBuy ? kMaxPrice : 1;
    } else {
      const auto through = static_cast<exchange::Price>(20 + rng_.below(200));
      price = side == exchange::Side::kBuy ? mid + through
                                           : std::max<exchange::Price>(1, mid - through);
    }
    make_new(request, side, price, static_cast<exchange::Qty>(300 + rng_.below(3'000)));
  }

  // Far from the touch: tiny prices, huge prices, and the top of the i64 range.
  void far_new(exchange::ClientRequest& request, std::size_t ticker) {
    const exchange::Side side = random_side();
    const exchange::Price mid = mid_[ticker];
    exchange::Price price = 0;
    switch (rng_.below(4)) {
      case 0:
        price = side == exchange::Side::kBuy
                    ? 1 + static_cast<exchange::Price>(rng_.below(3))
                    : kMaxPrice - static_cast<exchange::Price>(rng_.below(3));
        break;
      case 1:
        price = side == exchange::Side::kBuy ? mid / 4 : mid * 50;
        break;
      case 2:
        price =
            side == exchange::Side::kBuy
                ? 1 + static_cast<exchange::Price>(rng_.below(static_cast<std::uint64_t>(mid / 2)))
                : mid * 2 + static_cast<exchange::Price>(rng_.below(1'000'000'000'000ULL));
        break;
      default:
        price = side == exchange::Side::kBuy
                    ? mid - 500 - static_cast<exchange::Price>(rng_.below(500))
                    : mid + 500 + static_cast<exchange::Price>(rng_.below(500));
        break;
    }
    make_new(request, side, price, lot());
  }

  // A NEW that fails one validation rule.
  void invalid_new(exchange::ClientRequest& request, std::size_t ticker) {
    passive_new(request, ticker);
    tracked_[request.client_id].pop_back();
    switch (rng_.below(10)) {
      case 0:
        request.qty = 0;
        break;
      case 1:
        request.price = 0;
        break;
      case 2:
        request.price = rng_.chance(500) ? std::numeric_limits<exchange::Price>::min()
                                         : -static_cast<exchange::Price>(1 + rng_.below(1'000'000));
        break;
      case 3:
        request.side = exchange::Side::kInvalid;
        break;
      case 4:
        request.side = static_cast<exchange::Side>(rng_.chance(500) ? 2 : -128);
        break;
      case 5:
        request.ticker_id = rng_.chance(500) ? 0 : 999'999;
        break;
      case 6:
        request.client_id = 0;
        break;
      case 7:
        request.msg_type = static_cast<exchange::ClientRequestType>(rng_.chance(500) ? 3 : 77);
        break;
      default: {
        // Duplicate: the id of one of its orders that may still be live.
        const auto& tracked = tracked_[request.client_id];
        if (!tracked.empty()) {
          request.order_id = tracked[rng_.below(tracked.size())].id;
        }
        break;
      }
    }
  }

  // Cancels one of the client's remembered orders. False if it remembers none.
  bool cancel_tracked(exchange::ClientRequest& request) {
    auto& tracked = tracked_[request.client_id];
    if (tracked.empty()) {
      return false;
    }
    const std::size_t pick = rng_.below(tracked.size());
    const Tracked order = tracked[pick];
    tracked[pick] = tracked.back();
    tracked.pop_back();
    request.msg_type = exchange::ClientRequestType::kCancel;
    request.ticker_id = order.ticker;
    request.order_id = order.id;
    request.side = random_side();  // ignored for a cancel
    remember_cancelled(request.client_id, order.id);
    return true;
  }

  // A CANCEL that names no live order of the client: never used, already cancelled,
  // another client's, the right id on the wrong ticker, or an unknown ticker.
  void bad_cancel(exchange::ClientRequest& request) {
    request.msg_type = exchange::ClientRequestType::kCancel;
    switch (rng_.below(5)) {
      case 0:
        request.order_id = 1'000'000'000'000ULL + rng_.below(1'000'000);
        break;
      case 1:
        request.order_id =
            cancelled_.empty() ? 1 : cancelled_[rng_.below(cancelled_.size())].second;
        break;
      case 2: {
        const auto other = static_cast<exchange::ClientId>(1 + rng_.below(options_.clients));
        const auto& tracked = tracked_[other];
        request.order_id = tracked.empty() ? 1 : tracked[rng_.below(tracked.size())].id;
        if (other != request.client_id && !tracked.empty()) {
          request.ticker_id = tracked[0].ticker;
        }
        break;
      }
      case 3: {
        const auto& tracked = tracked_[request.client_id];
        if (!tracked.empty()) {
          const Tracked& order = tracked[rng_.below(tracked.size())];
          request.order_id = order.id;
          request.ticker_id =
              options_.tickers[(ticker_slot(order.ticker) + 1) % options_.tickers.size()];
        }
        break;
      }
      default:
        request.ticker_id = 424'242;
        request.order_id = 1;
        break;
    }
  }

  // A NEW that reuses an id the client cancelled earlier (legal: the id is no longer live).
  void reused_id_new(exchange::ClientRequest& request, std::size_t ticker) {
    passive_new(request, ticker);
    for (const auto& [client, id] : cancelled_) {
      if (client == request.client_id) {
        request.order_id = id;
        tracked_[request.client_id].back().id = id;
        break;
      }
    }
  }

  void forget(exchange::ClientId client, exchange::OrderId id) {
    auto& tracked = tracked_[client];
    for (std::size_t i = 0; i < tracked.size(); ++i) {
      if (tracked[i].id == id) {
        tracked[i] = tracked.back();
        tracked.pop_back();
        return;
      }
    }
  }

  void remember_cancelled(exchange::ClientId client, exchange::OrderId id) {
    if (cancelled_.size() < 64) {
      cancelled_.emplace_back(client, id);
    } else {
      cancelled_[cancelled_next_++ % 64] = {client, id};
    }
  }

  std::size_t ticker_slot(exchange::TickerId ticker) const {
    for (std::size_t i = 0; i < options_.tickers.size(); ++i) {
      if (options_.tickers[i] == ticker)
        return i;
    }
    return 0;
  }

  OrderFlowOptions options_;
  SplitMix64 rng_;
  std::vector<exchange::Price> mid_;
  std::vector<std::vector<Tracked>> tracked_;  // per client id
  std::vector<exchange::OrderId> next_id_;     // per client id
  std::vector<std::pair<exchange::ClientId, exchange::OrderId>> cancelled_;
  std::size_t cancelled_next_ = 0;
  exchange::SeqNum seq_num_ = 0;
};

}  // namespace llt::test
