#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <string>

#include "exchange/matcher/order_book.h"
#include "exchange/protocol/types.h"
#include "tests/support/reference_book.h"

// Structural checks shared by the differential, scenario and unit tests. Each returns an
// empty string when everything holds, else a description of the first violation (so the
// caller decides how to fail, and these headers need no GoogleTest).
namespace llt::test {

// Every invariant of one book that can be seen from outside:
//  - levels strictly ordered best-first, each on its side, price > 0, findable by price;
//  - no empty level and no zero-quantity order;
//  - each level's total = sum of its orders' qty, order_count = length of its FIFO;
//  - FIFO priorities strictly increasing; every order points back at its level;
//  - the book is not crossed (best bid < best ask);
//  - the id index finds every resting order at itself;
//  - the per-client lists hold exactly the book's orders, oldest first (by priority);
//  - the pools' in-use counts match what is linked.
template <typename Book>
std::string check_book_invariants(const Book& book) {
  using exchange::Order;
  using exchange::PriceLevel;
  using exchange::Side;
  std::size_t orders = 0;
  std::map<ClientId, std::size_t> orders_per_client;
  for (const Side side : {Side::kBuy, Side::kSell}) {
    std::optional<Price> previous;
    for (std::size_t depth = 0; depth < book.level_count(side); ++depth) {
      const PriceLevel* level = book.level_at_depth(side, depth);
      // Formatted only on failure: this runs after every request of the differential test.
      auto where = [&] {
        return fmt::format("ticker {} {} level depth {}", book.ticker_id(),
                           exchange::to_string(side), depth);
      };
      if (level == nullptr)
        return where() + ": missing";
      if (level->side != side)
        return where() + ": on the wrong side";
      if (level->price <= 0)
        return where() + ": price not positive";
      if (previous &&
          (side == Side::kBuy ? level->price >= *previous : level->price <= *previous)) {
        return where() +
               fmt::format(": price {} not strictly worse than {}", level->price, *previous);
      }
      previous = level->price;
      if (book.find_level(side, level->price) != level)
        return where() + ": not found by price";
      if (level->order_count == 0 || book.first_order(*level) == nullptr)
        return where() + ": empty";
      std::uint64_t total = 0;
      std::uint32_t count = 0;
      std::optional<Priority> last_priority;
      for (const Order* order = book.first_order(*level); order != nullptr;
           order = book.next_order(*order)) {
        ++count;
        total += order->qty;
        if (order->qty == 0)
          return where() + ": zero-quantity order";
        if (order->side != side)
          return where() + ": order on the wrong side";
        if (book.price_of(*order) != level->price)
          return where() + ": order not linked to level";
        if (last_priority && order->priority <= *last_priority) {
          return where() + ": FIFO priorities not increasing";
        }
        last_priority = order->priority;
        if (book.find_order(order->client_id, order->client_order_id) != order) {
          return where() + fmt::format(": id index does not find order {}/{}", order->client_id,
                                       order->client_order_id);
        }
        ++orders_per_client[order->client_id];
      }
      if (count != level->order_count)
        return where() + ": order_count != FIFO length";
      if (total != level->total_qty) {
        return where() + fmt::format(": total {} != sum of orders {}", level->total_qty, total);
      }
      orders += count;
    }
  }
  const auto bid = book.best_price(Side::kBuy);
  const auto ask = book.best_price(Side::kSell);
  if (bid && ask && *bid >= *ask) {
    return fmt::format("ticker {}: crossed book, bid {} >= ask {}", book.ticker_id(), *bid, *ask);
  }
  if (orders != book.order_count()) {
    return fmt::format("ticker {}: {} orders linked, {} slots in use", book.ticker_id(), orders,
                       book.order_count());
  }
  if (book.level_count() != book.level_pool_in_use()) {
    return fmt::format("ticker {}: {} levels on the ladders, {} level slots in use",
                       book.ticker_id(), book.level_count(), book.level_pool_in_use());
  }
  if (orders_per_client.size() != book.client_count()) {
    return fmt::format("ticker {}: {} clients rest orders, {} client slots in use",
                       book.ticker_id(), orders_per_client.size(), book.client_count());
  }
  for (const auto& [client, expected] : orders_per_client) {
    std::size_t listed = 0;
    std::optional<Priority> last_priority;
    for (const Order* order = book.first_order_of(client); order != nullptr;
         order = book.next_order_of(*order)) {
      ++listed;
      if (order->client_id != client)
        return fmt::format("client {} list holds a foreign order", client);
      // Oldest first by the time it came to rest: an order that lost priority to a MODIFY
      // rests anew (a new priority) under its old market order id.
      if (last_priority && order->priority <= *last_priority) {
        return fmt::format("client {} list not oldest first", client);
      }
      last_priority = order->priority;
    }
    if (listed != expected) {
      return fmt::format("client {} list has {} orders, the book {}", client, listed, expected);
    }
  }
  return {};
}

// Our book and the reference hold the same levels (price, total) and the same orders in the
// same FIFO order with the same ids, quantities and priorities.
template <typename Book>
std::string compare_books(const Book& ours, const ReferenceBook& reference) {
  using exchange::Order;
  using exchange::Side;
  auto compare_side = [&](Side side, const auto& levels) -> std::string {
    const std::string_view name = exchange::to_string(side);
    if (ours.level_count(side) != levels.size()) {
      return fmt::format("ticker {} {}: {} levels, reference {}", ours.ticker_id(), name,
                         ours.level_count(side), levels.size());
    }
    std::size_t depth = 0;
    for (const auto& [price, fifo] : levels) {
      const exchange::PriceLevel* level = ours.level_at_depth(side, depth);
      auto where = [&, price = price] {
        return fmt::format("ticker {} {} depth {} (reference price {})", ours.ticker_id(), name,
                           depth, price);
      };
      if (level->price != price)
        return where() + fmt::format(": price {}", level->price);
      if (level->order_count != fifo.size()) {
        return where() + fmt::format(": {} orders, reference {}", level->order_count, fifo.size());
      }
      const Order* order = ours.first_order(*level);
      std::size_t position = 0;
      for (const ReferenceBook::Order& expected : fifo) {
        if (order == nullptr)
          return where() + ": FIFO too short";
        if (order->market_order_id != expected.market_order_id ||
            order->client_id != expected.client_id ||
            order->client_order_id != expected.client_order_id || order->qty != expected.qty ||
            order->priority != expected.priority || order->side != expected.side) {
          return where() + fmt::format(
                               ": FIFO position {}: ours moid={} client={} id={} qty={} prio={}, "
                               "reference moid={} client={} id={} qty={} prio={}",
                               position, order->market_order_id, order->client_id,
                               order->client_order_id, order->qty, order->priority,
                               expected.market_order_id, expected.client_id,
                               expected.client_order_id, expected.qty, expected.priority);
        }
        order = ours.next_order(*order);
        ++position;
      }
      ++depth;
    }
    return {};
  };
  std::string problem = compare_side(Side::kBuy, reference.bids());
  if (problem.empty())
    problem = compare_side(Side::kSell, reference.asks());
  if (problem.empty() && ours.order_count() != reference.order_count()) {
    problem = fmt::format("ticker {}: {} orders, reference {}", ours.ticker_id(),
                          ours.order_count(), reference.order_count());
  }
  if (problem.empty() && ours.client_count() != reference.client_count()) {
    problem = fmt::format("ticker {}: {} clients, reference {}", ours.ticker_id(),
                          ours.client_count(), reference.client_count());
  }
  return problem;
}

}  // namespace llt::test
