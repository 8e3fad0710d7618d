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
// and docs/protocol.md (Order of events, Order types and modify), and the OrderBook/Matcher
// comments, written for clarity rather than speed, with standard containers only: std::map of
// price to std::list of orders, best price first. It shares nothing with the real book but the
// wire structs and the options struct (capacities and self-trade prevention).
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
using exchange::SelfTradePrevention;
using exchange::Side;
using exchange::TickerId;
using exchange::TimeInForce;

class ReferenceBook {
 public:
  struct Order {
    ClientId client_id = 0;
    OrderId client_order_id = 0;
    OrderId market_order_id = 0;
    Side side = Side::kInvalid;
    Price price = 0;
    Qty qty = 0;  // resting quantity (while it trades: what is left of it)
    Priority priority = 0;
  };
  using Level = std::list<Order>;                            // FIFO: front is oldest
  using Bids = std::map<Price, Level, std::greater<Price>>;  // highest price first
  using Asks = std::map<Price, Level, std::less<Price>>;     // lowest price first

  // live_ids: (client, client order id) of every resting order in every book of the exchange.
  ReferenceBook(TickerId ticker_id, OrderBookOptions options,
                std::set<std::pair<ClientId, OrderId>>& live_ids, std::vector<BookEvent>& out)
      : ticker_id_(ticker_id), options_(options), live_ids_(live_ids), out_(out) {}

  // NEW. Returns kNone when accepted (whatever became of it), else the reason of the one
  // REJECTED it emitted.
  RejectReason add(ClientId client_id, OrderId client_order_id, Side side, Price price, Qty qty,
                   TimeInForce tif = TimeInForce::kGtc, std::uint8_t flags = 0) {
    const bool post_only = (flags & exchange::kFlagPostOnly) != 0;
    RejectReason reason = RejectReason::kNone;
    if (client_id == 0) {
      reason = RejectReason::kInvalidClientId;
    } else if (side != Side::kBuy && side != Side::kSell) {
      reason = RejectReason::kInvalidSide;
    } else if (qty == 0) {
      reason = RejectReason::kInvalidQty;
    } else if (price <= 0) {
      reason = RejectReason::kInvalidPrice;
    } else if ((tif != TimeInForce::kGtc && tif != TimeInForce::kIoc && tif != TimeInForce::kFok) ||
               (post_only && tif != TimeInForce::kGtc)) {
      reason = RejectReason::kInvalidTif;  // a tif past FOK, or POST_ONLY with IOC or FOK
    } else if ((flags & ~exchange::kFlagPostOnly) != 0) {
      reason = RejectReason::kInvalidFlags;
    } else if (live_ids_.count({client_id, client_order_id}) > 0) {
      reason = RejectReason::kDuplicateOrderId;
    } else if (post_only && crossing_qty(side, price) > 0) {
      reason = RejectReason::kWouldCross;
    } else if (tif == TimeInForce::kGtc && !can_rest(client_id, side, price) &&
               crossing_qty(side, price) < qty) {
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
    if (tif == TimeInForce::kFok && fok_fillable_qty(order) < qty) {
      end_aggressor(order, RejectReason::kExpired);
      return RejectReason::kNone;
    }
    enter(order, tif);
    return RejectReason::kNone;
  }

  // CANCEL by the client (reason NONE). Returns kNone (CANCELED and the CANCEL update emitted)
  // or the reason of the one CANCEL_REJECTED emitted.
  RejectReason cancel(ClientId client_id, OrderId client_order_id, TimeInForce tif = TimeInForce{},
                      std::uint8_t flags = 0) {
    RejectReason reason = RejectReason::kNone;
    if (tif != TimeInForce::kGtc) {
      reason = RejectReason::kInvalidTif;
    } else if (flags != 0) {
      reason = RejectReason::kInvalidFlags;
    } else if (locations_.count({client_id, client_order_id}) == 0) {
      reason = RejectReason::kUnknownOrder;
    }
    if (reason != RejectReason::kNone) {
      respond(ClientResponseType::kCancelRejected, client_id, client_order_id, 0, Side::kInvalid, 0,
              0, 0, reason);
      return reason;
    }
    remove_and_report(client_id, client_order_id, RejectReason::kNone);
    return RejectReason::kNone;
  }

  // MODIFY. Returns kNone when modified (MODIFIED emitted, then whatever the change caused),
  // else the reason of the one MODIFY_REJECTED emitted.
  RejectReason modify(ClientId client_id, OrderId client_order_id, Side side, Price price, Qty qty,
                      TimeInForce tif = TimeInForce{}, std::uint8_t flags = 0) {
    const auto location = locations_.find({client_id, client_order_id});
    const Order* order =
        location == locations_.end()
            ? nullptr
            : find(client_id, client_order_id, location->second.first, location->second.second);
    RejectReason reason = RejectReason::kNone;
    if (tif != TimeInForce::kGtc) {
      reason = RejectReason::kInvalidTif;
    } else if (flags != 0) {
      reason = RejectReason::kInvalidFlags;
    } else if (order == nullptr) {
      reason = RejectReason::kUnknownOrder;
    } else if (side != order->side) {
      reason = RejectReason::kInvalidSide;
    } else if (qty == 0) {
      reason = RejectReason::kInvalidQty;
    } else if (price <= 0) {
      reason = RejectReason::kInvalidPrice;
    } else if (!(price == order->price && qty <= order->qty) && !can_move(*order, price, qty)) {
      reason = RejectReason::kCapacity;
    }
    if (reason != RejectReason::kNone) {
      respond(ClientResponseType::kModifyRejected, client_id, client_order_id, 0, side, price, 0, 0,
              reason);
      return reason;
    }

    const Order old = *order;
    respond(ClientResponseType::kModified, client_id, client_order_id, old.market_order_id,
            old.side, price, 0, qty, RejectReason::kNone);
    if (price == old.price && qty <= old.qty) {
      // In place: keeps its place in the queue.
      find(client_id, client_order_id, old.side, old.price)->qty = qty;
      publish(MarketUpdateType::kModify, old.market_order_id, old.side, old.price, qty,
              old.priority);
      return RejectReason::kNone;
    }
    // Loses priority: leaves its queue, then enters again as a GTC order without POST_ONLY
    // would, with its market order id.
    publish(MarketUpdateType::kCancel, old.market_order_id, old.side, old.price, old.qty,
            old.priority);
    erase(old);
    Order moved{client_id, client_order_id, old.market_order_id, old.side, price, qty, 0};
    enter(moved, TimeInForce::kGtc);
    return RejectReason::kNone;
  }

  // Cancels the client's oldest order here with reason DISCONNECTED: the one resting longest
  // (lowest priority; an order that lost priority to a MODIFY rests anew). False if it has
  // none.
  bool cancel_oldest_of(ClientId client_id) {
    const Order* oldest = nullptr;
    for_each_order([&](const Order& order) {
      if (order.client_id == client_id &&
          (oldest == nullptr || order.priority < oldest->priority)) {
        oldest = &order;
      }
    });
    if (oldest == nullptr) {
      return false;
    }
    remove_and_report(client_id, oldest->client_order_id, RejectReason::kDisconnected);
    return true;
  }

  [[nodiscard]] const Bids& bids() const { return bids_; }
  [[nodiscard]] const Asks& asks() const { return asks_; }
  [[nodiscard]] TickerId ticker_id() const { return ticker_id_; }
  [[nodiscard]] std::size_t order_count() const { return locations_.size(); }
  [[nodiscard]] std::size_t client_count() const { return orders_per_client_.size(); }

 private:
  // An accepted order (or one that lost priority) meets the book: it trades, then its
  // remainder rests (GTC) or expires (IOC). A FOK got here only if it fills completely.
  void enter(Order& order, TimeInForce tif) {
    const bool ended = order.side == Side::kBuy ? match(order, asks_) : match(order, bids_);
    if (ended || order.qty == 0) {
      return;
    }
    if (tif == TimeInForce::kGtc) {
      rest(order);
    } else if (tif == TimeInForce::kIoc) {
      end_aggressor(order, RejectReason::kExpired);
    } else {
      throw std::logic_error("reference book: a FOK that passed its check did not fill");
    }
  }

  static bool crosses(Side side, Price limit, Price resting_price) {
    return side == Side::kBuy ? resting_price <= limit : resting_price >= limit;
  }

  // Trades the aggressor against the opposite side, best price first, oldest first within a
  // price, at the resting order's price, while the price crosses. Returns true if self-trade
  // prevention (cancel-newest) ended the aggressor.
  template <typename Levels>
  bool match(Order& aggressor, Levels& opposite) {
    const SelfTradePrevention stp = options_.self_trade_prevention;
    while (aggressor.qty > 0 && !opposite.empty() &&
           crosses(aggressor.side, aggressor.price, opposite.begin()->first)) {
      auto level = opposite.begin();
      const Price price = level->first;
      Order& resting = level->second.front();
      if (stp != SelfTradePrevention::kOff && resting.client_id == aggressor.client_id) {
        if (stp == SelfTradePrevention::kCancelNewest) {
          end_aggressor(aggressor, RejectReason::kSelfTrade);
          return true;
        }
        // Cancel-oldest: the resting order goes, the aggressor goes on.
        remove_and_report(resting.client_id, resting.client_order_id, RejectReason::kSelfTrade);
        continue;
      }
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
        erase(resting);
      } else {
        publish(MarketUpdateType::kModify, resting.market_order_id, resting.side, price,
                resting.qty, resting.priority);
      }
    }
    return false;
  }

  // The aggressor ends without resting: CANCELED at its limit price, nothing on market data.
  void end_aggressor(Order& aggressor, RejectReason reason) {
    respond(ClientResponseType::kCanceled, aggressor.client_id, aggressor.client_order_id,
            aggressor.market_order_id, aggressor.side, aggressor.price, 0, 0, reason);
    aggressor.qty = 0;
  }

  void rest(Order& order) {
    order.priority = next_priority_++;
    if (order.side == Side::kBuy) {
      bids_[order.price].push_back(order);
    } else {
      asks_[order.price].push_back(order);
    }
    live_ids_.insert({order.client_id, order.client_order_id});
    locations_[{order.client_id, order.client_order_id}] = {order.side, order.price};
    ++orders_per_client_[order.client_id];
    publish(MarketUpdateType::kAdd, order.market_order_id, order.side, order.price, order.qty,
            order.priority);
  }

  // What a FOK could fill before any fill, under the book's self-trade prevention: the
  // crossing orders best level first, FIFO; cancel-oldest skips the client's own orders
  // (they would be cancelled, not filled), cancel-newest stops at the first one (it would end
  // the FOK there).
  std::uint64_t fok_fillable_qty(const Order& fok) const {
    const SelfTradePrevention stp = options_.self_trade_prevention;
    std::uint64_t sum = 0;
    auto count = [&](const auto& levels) {
      for (const auto& [price, level] : levels) {
        if (!crosses(fok.side, fok.price, price))
          return;
        for (const Order& order : level) {
          if (stp == SelfTradePrevention::kOff || order.client_id != fok.client_id) {
            sum += order.qty;
          } else if (stp == SelfTradePrevention::kCancelNewest) {
            return;
          }
        }
      }
    };
    if (fok.side == Side::kBuy) {
      count(asks_);
    } else {
      count(bids_);
    }
    return sum;
  }

  // Total quantity of the opposite side's levels that cross the limit, every order counted.
  std::uint64_t crossing_qty(Side side, Price price) const {
    std::uint64_t total = 0;
    auto count = [&](const auto& levels) {
      for (const auto& [level_price, level] : levels) {
        if (!crosses(side, price, level_price))
          return;
        for (const Order& order : level)
          total += order.qty;
      }
    };
    if (side == Side::kBuy) {
      count(asks_);
    } else {
      count(bids_);
    }
    return total;
  }

  const Order* find(ClientId client_id, OrderId client_order_id, Side side, Price price) const {
    const Level* level = nullptr;
    if (side == Side::kBuy) {
      level = &bids_.at(price);
    } else {
      level = &asks_.at(price);
    }
    for (const Order& order : *level) {
      if (order.client_id == client_id && order.client_order_id == client_order_id)
        return &order;
    }
    throw std::logic_error("reference book: order location out of date");
  }
  Order* find(ClientId client_id, OrderId client_order_id, Side side, Price price) {
    return const_cast<Order*>(std::as_const(*this).find(client_id, client_order_id, side, price));
  }

  // CANCELED (with the reason) to the owner of a resting order, then the CANCEL update with
  // its resting quantity; the order leaves the book.
  void remove_and_report(ClientId client_id, OrderId client_order_id, RejectReason reason) {
    const auto [side, price] = locations_.at({client_id, client_order_id});
    const Order order = *find(client_id, client_order_id, side, price);
    respond(ClientResponseType::kCanceled, client_id, client_order_id, order.market_order_id,
            order.side, order.price, 0, 0, reason);
    publish(MarketUpdateType::kCancel, order.market_order_id, order.side, order.price, order.qty,
            order.priority);
    erase(order);
  }

  // Takes a resting order off its level (and the level off the book when it empties) and out
  // of the id sets and counts. Copies the order first: it may be the order being erased.
  void erase(const Order& resting) {
    const Order order = resting;
    auto erase_from = [&](auto& levels) {
      auto level = levels.find(order.price);
      auto& fifo = level->second;
      for (auto it = fifo.begin(); it != fifo.end(); ++it) {
        if (it->client_id == order.client_id && it->client_order_id == order.client_order_id) {
          fifo.erase(it);
          break;
        }
      }
      if (fifo.empty())
        levels.erase(level);
    };
    if (order.side == Side::kBuy) {
      erase_from(bids_);
    } else {
      erase_from(asks_);
    }
    live_ids_.erase({order.client_id, order.client_order_id});
    locations_.erase({order.client_id, order.client_order_id});
    if (--orders_per_client_[order.client_id] == 0) {
      orders_per_client_.erase(order.client_id);
    }
  }

  bool level_exists(Side side, Price price) const {
    return side == Side::kBuy ? bids_.count(price) > 0 : asks_.count(price) > 0;
  }

  // Resting a remainder needs a free order slot, a level slot unless the level exists, and a
  // client slot unless the client already rests an order here.
  bool can_rest(ClientId client_id, Side side, Price price) const {
    if (locations_.size() >= options_.max_orders) {
      return false;
    }
    if (!level_exists(side, price) && bids_.size() + asks_.size() >= options_.max_price_levels) {
      return false;
    }
    return orders_per_client_.count(client_id) > 0 ||
           orders_per_client_.size() < options_.max_clients;
  }

  // A MODIFY that loses priority is refused only for a level slot: none exists at the new
  // price, leaving the old level frees none (others rest there), every slot is in use, and
  // what crosses the new price cannot fill the new qty. Its own order, client and id slots
  // are freed by its removal.
  bool can_move(const Order& order, Price price, Qty qty) const {
    const std::size_t old_level_size =
        order.side == Side::kBuy ? bids_.at(order.price).size() : asks_.at(order.price).size();
    const bool short_of_levels = !level_exists(order.side, price) && old_level_size > 1 &&
                                 bids_.size() + asks_.size() >= options_.max_price_levels;
    return !short_of_levels || crossing_qty(order.side, price) >= qty;
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
  OrderBookOptions options_;
  std::set<std::pair<ClientId, OrderId>>& live_ids_;
  std::vector<BookEvent>& out_;
  Bids bids_;
  Asks asks_;
  // Where each resting order of this book is, to find it without searching every level.
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
    const Side side = request.side;
    const Price price = request.price;
    const Qty qty = request.qty;
    const TimeInForce tif = request.tif;
    const std::uint8_t flags = request.flags;
    if (type == ClientRequestType::kNew) {
      if (book == books_.end()) {
        reject(ClientResponseType::kRejected, request, RejectReason::kUnknownTicker);
      } else {
        last_reason_ =
            book->second.add(request.client_id, request.order_id, side, price, qty, tif, flags);
      }
    } else if (type == ClientRequestType::kCancel) {
      if (book == books_.end()) {
        reject(ClientResponseType::kCancelRejected, request, RejectReason::kUnknownTicker);
      } else {
        last_reason_ = book->second.cancel(request.client_id, request.order_id, tif, flags);
      }
    } else if (type == ClientRequestType::kModify) {
      if (book == books_.end()) {
        reject(ClientResponseType::kModifyRejected, request, RejectReason::kUnknownTicker);
      } else {
        last_reason_ =
            book->second.modify(request.client_id, request.order_id, side, price, qty, tif, flags);
      }
    } else if (type == exchange::kCancelAllOfClient) {
      for (const TickerId ticker : tickers_) {
        while (books_.at(ticker).cancel_oldest_of(request.client_id)) {
        }
      }
    } else if (type == exchange::kSessionReject) {
      reject(ClientResponseType::kRejected, request, static_cast<RejectReason>(request.flags));
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
