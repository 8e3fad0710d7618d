#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iterator>
#include <list>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "exchange/exchange_messages.h"
#include "exchange/matcher/order_book.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/market_update.h"
#include "exchange/protocol/reject_reason.h"
#include "exchange/protocol/types.h"
#include "tests/support/book_events.h"

// The reference the order book is proven against: the same rules as docs/architecture.md (Matching)
// and docs/protocol.md (Order of events), and the OrderBook/Matcher comments, written for clarity
// rather than speed, with standard containers only: std::map of price to std::list of orders, best
// price first. It shares nothing with the real book but the wire structs and the options struct.
namespace llt::test {

using exchange::ClientId;
using exchange::ClientRequest;
using exchange::ClientRequestType;
using exchange::ClientResponse;
using exchange::ClientResponseType;
using exchange::MarketUpdate;
using exchange::MarketUpdateType;
using exchange::OrderBookOptions;
using exchange::OrderId;
using exchange::Price;
using exchange::Priority;
using exchange::Qty;
using exchange::RejectReason;
using exchange::Side;
using exchange::TickerId;

class ReferenceBook {
 public:
  struct Order {
    ClientId client_id = 0;
    OrderId client_order_id = 0;
    OrderId market_order_id = 0;
    Side side = Side::kInvalid;
    Price price = 0;
    Qty qty = 0;  // resting quantity
    Priority priority = 0;
  };
  using Level = std::list<Order>;                            // FIFO: front is oldest
  using Bids = std::map<Price, Level, std::greater<Price>>;  // highest price first
  using Asks = std::map<Price, Level, std::less<Price>>;     // lowest price first

  // live_ids: (client, client order id) of every resting order in every book of the exchange.
  ReferenceBook(TickerId ticker_id, OrderBookOptions limits,
                std::set<std::pair<ClientId, OrderId>>& live_ids, std::vector<BookEvent>& out)
      : ticker_id_(ticker_id), limits_(limits), live_ids_(live_ids), out_(out) {}

  RejectReason add(ClientId client_id, OrderId client_order_id, Side side, Price price, Qty qty) {
    RejectReason reason = RejectReason::kNone;
    if (client_id == 0) {
      reason = RejectReason::kInvalidClientId;
    } else if (side != Side::kBuy && side != Side::kSell) {
      reason = RejectReason::kInvalidSide;
    } else if (qty == 0) {
      reason = RejectReason::kInvalidQty;
    } else if (price <= 0) {
      reason = RejectReason::kInvalidPrice;
    } else if (live_ids_.count({client_id, client_order_id}) > 0) {
      reason = RejectReason::kDuplicateOrderId;
    } else if (!can_rest(client_id, side, price) && !fills_completely(side, price, qty)) {
      reason = RejectReason::kCapacity;
    }
    if (reason != RejectReason::kNone) {
      respond(ClientResponseType::kRejected, client_id, client_order_id, 0, side, price, 0, 0,
              reason);
      return reason;
    }

    Order order{client_id, client_order_id, next_market_order_id_++, side, price, qty, 0};
    respond(ClientResponseType::kAccepted, client_id, client_order_id, order.market_order_id, side,
            price, 0, qty, RejectReason::kNone);
    if (side == Side::kBuy) {
      match(order, asks_, [&](Price ask) { return ask <= price; });
    } else {
      match(order, bids_, [&](Price bid) { return bid >= price; });
    }
    if (order.qty > 0) {
      order.priority = next_priority_++;
      if (side == Side::kBuy) {
        bids_[price].push_back(order);
      } else {
        asks_[price].push_back(order);
      }
      live_ids_.insert({client_id, client_order_id});
      locations_[{client_id, client_order_id}] = {side, price};
      ++orders_per_client_[client_id];
      publish(MarketUpdateType::kAdd, order.market_order_id, side, price, order.qty,
              order.priority);
    }
    return RejectReason::kNone;
  }

  RejectReason cancel(ClientId client_id, OrderId client_order_id) {
    auto location = locations_.find({client_id, client_order_id});
    if (location == locations_.end()) {
      respond(ClientResponseType::kCancelRejected, client_id, client_order_id, 0, Side::kInvalid, 0,
              0, 0, RejectReason::kUnknownOrder);
      return RejectReason::kUnknownOrder;
    }
    const auto [side, price] = location->second;
    if (side == Side::kBuy) {
      remove_and_report(client_id, client_order_id, bids_, bids_.find(price));
    } else {
      remove_and_report(client_id, client_order_id, asks_, asks_.find(price));
    }
    return RejectReason::kNone;
  }

  // Cancels the client's oldest order here (lowest market order id). False if it has none.
  bool cancel_oldest_of(ClientId client_id) {
    const Order* oldest = nullptr;
    for_each_order([&](const Order& order) {
      if (order.client_id == client_id &&
          (oldest == nullptr || order.market_order_id < oldest->market_order_id)) {
        oldest = &order;
      }
    });
    if (oldest == nullptr) {
      return false;
    }
    cancel(client_id, oldest->client_order_id);
    return true;
  }

  [[nodiscard]] const Bids& bids() const { return bids_; }
  [[nodiscard]] const Asks& asks() const { return asks_; }
  [[nodiscard]] TickerId ticker_id() const { return ticker_id_; }
  [[nodiscard]] std::size_t order_count() const { return locations_.size(); }
  [[nodiscard]] std::size_t client_count() const { return orders_per_client_.size(); }

 private:
  // Fills the aggressor against the opposite side, best price first, oldest first within a
  // price, at the resting order's price, while the price crosses.
  template <typename Levels, typename Crosses>
  void match(Order& aggressor, Levels& opposite, Crosses crosses) {
    while (aggressor.qty > 0 && !opposite.empty() && crosses(opposite.begin()->first)) {
      auto level = opposite.begin();
      const Price price = level->first;
      Order& resting = level->second.front();
      const Qty fill = std::min(aggressor.qty, resting.qty);
      aggressor.qty -= fill;
      resting.qty -= fill;
      respond(ClientResponseType::kFilled, aggressor.client_id, aggressor.client_order_id,
              aggressor.market_order_id, aggressor.side, price, fill, aggressor.qty,
              RejectReason::kNone);
      respond(ClientResponseType::kFilled, resting.client_id, resting.client_order_id,
              resting.market_order_id, resting.side, price, fill, resting.qty, RejectReason::kNone);
      publish(MarketUpdateType::kTrade, aggressor.market_order_id, aggressor.side, price, fill, 0);
      if (resting.qty == 0) {
        publish(MarketUpdateType::kCancel, resting.market_order_id, resting.side, price, 0,
                resting.priority);
        forget(resting);
        level->second.pop_front();
        if (level->second.empty()) {
          opposite.erase(level);
        }
      } else {
        publish(MarketUpdateType::kModify, resting.market_order_id, resting.side, price,
                resting.qty, resting.priority);
      }
    }
  }

  template <typename Levels>
  void remove_and_report(ClientId client_id, OrderId client_order_id, Levels& levels,
                         typename Levels::iterator level) {
    for (auto it = level->second.begin(); it != level->second.end(); ++it) {
      if (it->client_id == client_id && it->client_order_id == client_order_id) {
        const Order order = *it;
        respond(ClientResponseType::kCanceled, client_id, client_order_id, order.market_order_id,
                order.side, order.price, 0, 0, RejectReason::kNone);
        publish(MarketUpdateType::kCancel, order.market_order_id, order.side, order.price,
                order.qty, order.priority);
        forget(order);
        level->second.erase(it);
        if (level->second.empty()) {
          levels.erase(level);
        }
        return;
      }
    }
    throw std::logic_error("reference book: order location out of date");
  }

  // Drops a departing order from the id sets and counts.
  void forget(const Order& order) {
    live_ids_.erase({order.client_id, order.client_order_id});
    locations_.erase({order.client_id, order.client_order_id});
    if (--orders_per_client_[order.client_id] == 0) {
      orders_per_client_.erase(order.client_id);
    }
  }

  // Resting a remainder needs a free order slot, a level slot unless the level exists, and a
  // client slot unless the client already rests an order here.
  bool can_rest(ClientId client_id, Side side, Price price) const {
    if (locations_.size() >= limits_.max_orders) {
      return false;
    }
    const bool level_exists = side == Side::kBuy ? bids_.count(price) > 0 : asks_.count(price) > 0;
    if (!level_exists && bids_.size() + asks_.size() >= limits_.max_price_levels) {
      return false;
    }
    return orders_per_client_.count(client_id) > 0 ||
           orders_per_client_.size() < limits_.max_clients;
  }

  bool fills_completely(Side side, Price price, Qty qty) const {
    std::uint64_t available = 0;
    if (side == Side::kBuy) {
      for (const auto& [ask, level] : asks_) {
        if (ask > price)
          break;
        for (const Order& order : level)
          available += order.qty;
      }
    } else {
      for (const auto& [bid, level] : bids_) {
        if (bid < price)
          break;
        for (const Order& order : level)
          available += order.qty;
      }
    }
    return available >= qty;
  }

  template <typename F>
  void for_each_order(F f) const {
    for (const auto& [price, level] : bids_) {
      for (const Order& order : level)
        f(order);
    }
    for (const auto& [price, level] : asks_) {
      for (const Order& order : level)
        f(order);
    }
  }

  void respond(ClientResponseType type, ClientId client_id, OrderId client_order_id,
               OrderId market_order_id, Side side, Price price, Qty exec_qty, Qty leaves_qty,
               RejectReason reason) {
    ClientResponse response;
    response.msg_type = type;
    response.client_id = client_id;
    response.ticker_id = ticker_id_;
    response.client_order_id = client_order_id;
    response.market_order_id = market_order_id;
    response.side = side;
    response.price = price;
    response.exec_qty = exec_qty;
    response.leaves_qty = leaves_qty;
    response.reject_reason = reason;
    out_.emplace_back(response);
  }

  void publish(MarketUpdateType type, OrderId order_id, Side side, Price price, Qty qty,
               Priority priority) {
    MarketUpdate update;
    update.msg_type = type;
    update.order_id = order_id;
    update.ticker_id = ticker_id_;
    update.side = side;
    update.price = price;
    update.qty = qty;
    update.priority = priority;
    out_.emplace_back(update);
  }

  TickerId ticker_id_;
  OrderBookOptions limits_;
  std::set<std::pair<ClientId, OrderId>>& live_ids_;
  std::vector<BookEvent>& out_;
  Bids bids_;
  Asks asks_;
  // Where each resting order of this book is, to cancel it without searching every level.
  std::map<std::pair<ClientId, OrderId>, std::pair<Side, Price>> locations_;
  std::map<ClientId, std::size_t> orders_per_client_;
  OrderId next_market_order_id_ = 1;
  Priority next_priority_ = 1;
};

// The reference of exchange::Matcher: one ReferenceBook per ticker and the routing rules.
class ReferenceExchange {
 public:
  ReferenceExchange(std::vector<TickerId> tickers, OrderBookOptions limits)
      : tickers_(std::move(tickers)) {
    for (const TickerId ticker : tickers_) {
      books_.try_emplace(ticker, ticker, limits, live_ids_, events_);
    }
  }
  ReferenceExchange(const ReferenceExchange&) = delete;
  ReferenceExchange& operator=(const ReferenceExchange&) = delete;

  // Processes one request and returns the events it produced, in order.
  const std::vector<BookEvent>& process(const ClientRequest& request) {
    events_.clear();
    last_reason_ = RejectReason::kNone;
    const ClientRequestType type = request.msg_type;
    const TickerId ticker_id = request.ticker_id;  // a packed field: no reference to it
    auto book = books_.find(ticker_id);
    if (type == ClientRequestType::kNew) {
      if (book == books_.end()) {
        reject(ClientResponseType::kRejected, request, RejectReason::kUnknownTicker);
      } else {
        last_reason_ = book->second.add(request.client_id, request.order_id, request.side,
                                        request.price, request.qty);
      }
    } else if (type == ClientRequestType::kCancel) {
      if (book == books_.end()) {
        reject(ClientResponseType::kCancelRejected, request, RejectReason::kUnknownTicker);
      } else {
        last_reason_ = book->second.cancel(request.client_id, request.order_id);
      }
    } else if (type == exchange::kCancelAllOfClient) {
      for (const TickerId ticker : tickers_) {
        while (books_.at(ticker).cancel_oldest_of(request.client_id)) {
        }
      }
    } else {
      reject(ClientResponseType::kRejected, request, RejectReason::kUnknownMsgType);
    }
    return events_;
  }

  [[nodiscard]] RejectReason last_reason() const { return last_reason_; }
  [[nodiscard]] const ReferenceBook* book(TickerId ticker_id) const {
    auto it = books_.find(ticker_id);
    return it == books_.end() ? nullptr : &it->second;
  }
  [[nodiscard]] const std::vector<TickerId>& tickers() const { return tickers_; }
  [[nodiscard]] std::size_t live_order_count() const { return live_ids_.size(); }

 private:
  void reject(ClientResponseType type, const ClientRequest& request, RejectReason reason) {
    const bool is_cancel = type == ClientResponseType::kCancelRejected;
    ClientResponse response;
    response.msg_type = type;
    response.client_id = request.client_id;
    response.ticker_id = request.ticker_id;
    response.client_order_id = request.order_id;
    response.side = is_cancel ? Side::kInvalid : Side{request.side};
    response.price = is_cancel ? 0 : Price{request.price};
    response.reject_reason = reason;
    events_.emplace_back(response);
    last_reason_ = reason;
  }

  std::vector<TickerId> tickers_;
  std::set<std::pair<ClientId, OrderId>> live_ids_;
  std::vector<BookEvent> events_;
  std::map<TickerId, ReferenceBook> books_;
  RejectReason last_reason_ = RejectReason::kNone;
};

}  // namespace llt::test
