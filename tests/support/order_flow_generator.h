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
  // Protocol version 2 order types in the flow: IOC, FOK, POST_ONLY, MODIFY (in place and
  // losing priority) and their invalid forms. Off: NEW and CANCEL of GTC orders only.
  bool order_types = true;
  // With order_types: per 10,000 requests, modifies of tracked orders (a client with none sends
  // a passive NEW instead), and crossing IOC NEWs drawn besides the IOCs of the aggressive
  // share. The defaults are the differential test's mix.
  std::uint32_t modify_per_10k = 900;
  std::uint32_t extra_ioc_per_10k = 0;
};

// A seeded stream of requests shaped like a busy market: mostly passive orders a few ticks
// from a drifting mid (some POST_ONLY), cancels and modifies of them (in place: same price,
// qty down or equal; losing priority: qty up, another price, a price that crosses), crossing
// orders (GTC, IOC, FOK, and POST_ONLY that would cross), and rarely deep sweeps, far-away and
// extreme i64 prices, invalid requests of every kind (bad tif values and flag bits on NEW,
// CANCEL and MODIFY included; MODIFY with the wrong side, qty 0, price <= 0, of an unknown
// order), stale and foreign cancels, reused ids, and cancel-on-disconnect.
//
// Feed it the events of each request (observe) and its clients forget orders that filled,
// were refused or cancelled, and learn each order's leaves and modified price, as real
// clients do, so most of their cancels and modifies hit live orders as they are; without
// feedback most cancels and many modifies name orders that have already filled. Either way the
// requests depend only on the seed and the events, so a flow recorded once replays identically
// through any book that implements the same rules.
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

  // Feedback from the book: a client forgets an order once it is fully filled, refused
  // (CAPACITY, WOULD_CROSS: the id was not live before) or cancelled for any reason, and
  // follows its leaves and its price through FILLED and MODIFIED.
  void observe(const std::vector<BookEvent>& events) {
    using exchange::ClientResponseType;
    for (const BookEvent& event : events) {
      const auto* r = std::get_if<exchange::ClientResponse>(&event);
      if (r == nullptr)
        continue;
      // Back from the wire's client ids to 1..clients.
      const exchange::ClientId client = r->client_id - (options_.first_client - 1);
      if (r->client_id < options_.first_client || client >= tracked_.size())
        continue;
      const ClientResponseType type = r->msg_type;
      const exchange::RejectReason reason = r->reject_reason;
      const bool filled = type == ClientResponseType::kFilled && r->leaves_qty == 0;
      const bool refused =
          type == ClientResponseType::kRejected && (reason == exchange::RejectReason::kCapacity ||
                                                    reason == exchange::RejectReason::kWouldCross);
      if (filled || refused || type == ClientResponseType::kCanceled) {
        forget(client, r->client_order_id);
      } else if (type == ClientResponseType::kFilled || type == ClientResponseType::kModified) {
        if (Tracked* order = find_tracked(client, r->client_order_id)) {
          order->qty = r->leaves_qty;
          if (type == ClientResponseType::kModified)
            order->price = r->price;
        }
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
  // An order the client believes live, as it last knew it.
  struct Tracked {
    exchange::TickerId ticker;
    exchange::OrderId id;
    exchange::Side side;
    exchange::Price price;
    exchange::Qty qty;
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
    } else if (roll < (options_.order_types ? 4'350 : 4'800)) {
      if (!cancel_tracked(request)) {
        passive_new(request, ticker_index);
      }
    } else if (options_.order_types && roll < 4'350 + options_.modify_per_10k) {
      if (!modify_tracked(request)) {
        passive_new(request, ticker_index);
      }
    } else if (options_.order_types && roll < 4'450 + options_.modify_per_10k) {
      bad_modify(request);
    } else if (options_.order_types &&
               roll < 4'450 + options_.modify_per_10k + options_.extra_ioc_per_10k) {
      const exchange::Side side = random_side();
      make_new(request, side, aggressive_price(side, ticker_index),
               static_cast<exchange::Qty>(1 + rng_.below(150)), exchange::TimeInForce::kIoc);
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

  // A NEW of tif; only a GTC order can rest, so only it is remembered.
  void make_new(exchange::ClientRequest& request, exchange::Side side, exchange::Price price,
                exchange::Qty qty, exchange::TimeInForce tif = exchange::TimeInForce::kGtc,
                std::uint8_t flags = 0) {
    request.msg_type = exchange::ClientRequestType::kNew;
    request.order_id = next_id_[request.client_id]++;
    request.side = side;
    request.price = price;
    request.qty = qty;
    request.tif = tif;
    request.flags = flags;
    if (tif == exchange::TimeInForce::kGtc) {
      tracked_[request.client_id].push_back(
          Tracked{request.ticker_id, request.order_id, side, price, qty});
    }
  }

  // GTC mostly; IOC and FOK at the given per-mille rates when order types are on.
  exchange::TimeInForce random_tif(std::uint64_t ioc_per_mille, std::uint64_t fok_per_mille) {
    if (!options_.order_types)
      return exchange::TimeInForce::kGtc;
    const std::uint64_t roll = rng_.below(1000);
    if (roll < ioc_per_mille)
      return exchange::TimeInForce::kIoc;
    if (roll < ioc_per_mille + fok_per_mille)
      return exchange::TimeInForce::kFok;
    return exchange::TimeInForce::kGtc;
  }

  exchange::Price passive_price(exchange::Side side, std::size_t ticker) {
    const auto offset = static_cast<exchange::Price>(1 + rng_.below(4) + rng_.below(6));
    const exchange::Price mid = mid_[ticker];
    return side == exchange::Side::kBuy ? mid - offset : mid + offset;
  }

  exchange::Price aggressive_price(exchange::Side side, std::size_t ticker) {
    const auto through = static_cast<exchange::Price>(rng_.below(4));
    const exchange::Price mid = mid_[ticker];
    return side == exchange::Side::kBuy ? mid + through : mid - through;
  }

  exchange::Qty lot() {
    return static_cast<exchange::Qty>(rng_.chance(200) ? 100 * (1 + rng_.below(10))
                                                       : 1 + rng_.below(100));
  }

  // A few ticks behind the touch on its own side; one in ten POST_ONLY (it rests unless the
  // mid has moved through it).
  void passive_new(exchange::ClientRequest& request, std::size_t ticker) {
    const exchange::Side side = random_side();
    const exchange::Price price = passive_price(side, ticker);
    const std::uint8_t flags =
        options_.order_types && rng_.chance(100) ? exchange::kFlagPostOnly : std::uint8_t{0};
    make_new(request, side, price, lot(), exchange::TimeInForce::kGtc, flags);
  }

  // At or through the touch: usually trades with one or two resting orders. Some are IOC or
  // FOK; a few are POST_ONLY, mostly refused with WOULD_CROSS.
  void aggressive_new(exchange::ClientRequest& request, std::size_t ticker) {
    const exchange::Side side = random_side();
    const exchange::Price price = aggressive_price(side, ticker);
    const auto qty = static_cast<exchange::Qty>(1 + rng_.below(150));
    const exchange::TimeInForce tif = random_tif(200, 150);
    const std::uint8_t flags =
        options_.order_types && tif == exchange::TimeInForce::kGtc && rng_.chance(60)
            ? exchange::kFlagPostOnly
            : std::uint8_t{0};
    make_new(request, side, price, qty, tif, flags);
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
    make_new(request, side, price, static_cast<exchange::Qty>(300 + rng_.below(3'000)),
             random_tif(250, 150));
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
    request.flags = 0;
    switch (rng_.below(options_.order_types ? 13 : 10)) {
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
      case 10:  // a tif past FOK
        request.tif = static_cast<exchange::TimeInForce>(3 + rng_.below(253));
        break;
      case 11:  // POST_ONLY with IOC or FOK
        request.tif = rng_.chance(500) ? exchange::TimeInForce::kIoc : exchange::TimeInForce::kFok;
        request.flags = exchange::kFlagPostOnly;
        break;
      case 12:  // a flag bit NEW does not have, sometimes with POST_ONLY
        request.flags = static_cast<std::uint8_t>((2u << rng_.below(7)) | rng_.below(2));
        request.tif = random_tif(200, 200);
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
  // another client's, the right id on the wrong ticker, or an unknown ticker; or one of its
  // live orders with a tif or flags, which a CANCEL may not carry.
  void bad_cancel(exchange::ClientRequest& request) {
    request.msg_type = exchange::ClientRequestType::kCancel;
    switch (rng_.below(options_.order_types ? 6 : 5)) {
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
      case 5: {
        const auto& tracked = tracked_[request.client_id];
        if (!tracked.empty()) {
          const Tracked& order = tracked[rng_.below(tracked.size())];
          request.order_id = order.id;
          request.ticker_id = order.ticker;
        }
        if (rng_.chance(500)) {
          request.tif = static_cast<exchange::TimeInForce>(1 + rng_.below(255));
        } else {
          request.flags = static_cast<std::uint8_t>(1 + rng_.below(255));
        }
        break;
      }
      default:
        request.ticker_id = 424'242;
        request.order_id = 1;
        break;
    }
  }

  // Modifies one of the client's remembered orders. False if it remembers none. In place
  // (same price, qty down or equal), or losing priority: qty up, another price a few ticks
  // away, or a price through the touch that trades.
  bool modify_tracked(exchange::ClientRequest& request) {
    auto& tracked = tracked_[request.client_id];
    if (tracked.empty()) {
      return false;
    }
    Tracked& order = tracked[rng_.below(tracked.size())];
    const std::size_t slot = ticker_slot(order.ticker);
    exchange::Price price = order.price;
    exchange::Qty qty = order.qty == 0 ? 1 : order.qty;
    const std::uint64_t roll = rng_.below(100);
    if (roll < 40) {
      qty = static_cast<exchange::Qty>(1 + rng_.below(qty));
    } else if (roll < 60) {
      qty += static_cast<exchange::Qty>(1 + rng_.below(50));
    } else if (roll < 85) {
      price = passive_price(order.side, slot);
      qty = rng_.chance(500) ? qty : lot();
    } else {
      price = aggressive_price(order.side, slot);
      qty = static_cast<exchange::Qty>(1 + rng_.below(150));
    }
    request.msg_type = exchange::ClientRequestType::kModify;
    request.ticker_id = order.ticker;
    request.order_id = order.id;
    request.side = order.side;
    request.price = price;
    request.qty = qty;
    order.price = price;
    order.qty = qty;
    return true;
  }

  // A MODIFY that is refused: of an unknown order (never used, cancelled, another client's,
  // on an unknown ticker), with the wrong side or no side, qty 0, price <= 0, or with a tif
  // or flags.
  void bad_modify(exchange::ClientRequest& request) {
    request.msg_type = exchange::ClientRequestType::kModify;
    const auto& tracked = tracked_[request.client_id];
    if (!tracked.empty()) {
      const Tracked& order = tracked[rng_.below(tracked.size())];
      request.ticker_id = order.ticker;
      request.order_id = order.id;
      request.side = order.side;
      request.price = order.price;
      request.qty = order.qty == 0 ? 1 : order.qty;
    } else {
      request.order_id = 1;
      request.side = random_side();
      request.price = options_.start_mid;
      request.qty = 1;
    }
    switch (rng_.below(9)) {
      case 0:
        request.order_id = 1'000'000'000'000ULL + rng_.below(1'000'000);
        break;
      case 1:
        request.order_id =
            cancelled_.empty() ? 1 : cancelled_[rng_.below(cancelled_.size())].second;
        break;
      case 2:
        request.ticker_id = 424'242;
        break;
      case 3:
        request.side =
            request.side == exchange::Side::kBuy ? exchange::Side::kSell : exchange::Side::kBuy;
        break;
      case 4:
        request.side = static_cast<exchange::Side>(rng_.chance(500) ? 0 : 5);
        break;
      case 5:
        request.qty = 0;
        break;
      case 6:
        request.price = rng_.chance(500) ? 0 : -static_cast<exchange::Price>(1 + rng_.below(100));
        break;
      case 7:
        request.tif = static_cast<exchange::TimeInForce>(1 + rng_.below(255));
        break;
      default:
        request.flags = static_cast<std::uint8_t>(1 + rng_.below(255));
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

  Tracked* find_tracked(exchange::ClientId client, exchange::OrderId id) {
    for (Tracked& order : tracked_[client]) {
      if (order.id == id)
        return &order;
    }
    return nullptr;
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
