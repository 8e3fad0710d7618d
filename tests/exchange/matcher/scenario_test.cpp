// Replays every tests/scenarios/*.txt: requests in, the exact expected events out, through the
// order book (whole, and cut into one-step calls) and through the reference book.
//
// File format, one item per line ('#' starts a comment):
//   tickers 1 2                               books to configure (default: 1)
//   limits orders=4 levels=8 clients=2        per-book capacities (default: large)
//   stp cancel-newest                         self-trade prevention: off (default),
//                                             cancel-newest or cancel-oldest
//   NEW client=1 ticker=1 id=10 side=BUY price=100 qty=5     side: BUY, SELL or a number
//   NEW client=1 ticker=1 id=11 side=SELL price=99 qty=5 tif=IOC flags=1
//                                             tif: GTC (default), IOC, FOK or a number;
//                                             flags: a number (default 0; 1 is POST_ONLY)
//   MODIFY client=1 ticker=1 id=10 side=BUY price=101 qty=3  (tif= and flags= as for NEW)
//   CANCEL client=1 ticker=1 id=10            (tif= and flags= as for NEW)
//   CANCEL_ALL client=1                       cancel-on-disconnect
//     -> ACCEPTED client=1 ticker=1 id=10 moid=1 side=BUY price=100 exec=0 leaves=5 reason=NONE
//     md ADD ticker=1 oid=1 side=BUY price=100 qty=5 priority=1
//   book ticker=1 bids=100x5,99x3 asks=-      levels best first, price x total quantity
// The "->" (response) and "md" (market update) lines after a request are exactly the events it
// must produce, in order; a request with none must produce none.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "exchange/exchange_messages.h"
#include "exchange/matcher/matcher.h"
#include "tests/support/book_checks.h"
#include "tests/support/book_events.h"
#include "tests/support/reference_book.h"

namespace llt::test {
namespace {

std::filesystem::path scenario_dir() {
  if (const char* dir = std::getenv("LLT_SCENARIO_DIR"))
    return dir;
  // This file is tests/exchange/matcher/scenario_test.cpp; the cases are in tests/scenarios.
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "scenarios";
}

std::vector<std::string> scenario_files() {
  std::vector<std::string> files;
  if (std::filesystem::is_directory(scenario_dir())) {
    for (const auto& entry : std::filesystem::directory_iterator(scenario_dir())) {
      if (entry.path().extension() == ".txt")
        files.push_back(entry.path().stem().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string normalize(const std::string& line) {
  std::istringstream in(line);
  std::string word;
  std::string out;
  while (in >> word)
    out += (out.empty() ? "" : " ") + word;
  return out;
}

struct Step {
  int line = 0;
  std::string text;
  bool is_book = false;
  ClientRequest request;
  std::vector<std::string> expected;              // requests
  std::map<std::string, std::string> book_check;  // book lines
};

struct Scenario {
  std::vector<TickerId> tickers{1};
  OrderBookOptions limits;
  std::vector<Step> steps;
};

std::map<std::string, std::string> key_values(std::istringstream& in) {
  std::map<std::string, std::string> values;
  std::string token;
  while (in >> token) {
    const auto eq = token.find('=');
    values[token.substr(0, eq)] = eq == std::string::npos ? "" : token.substr(eq + 1);
  }
  return values;
}

std::uint64_t number(const std::map<std::string, std::string>& kv, const std::string& key) {
  auto it = kv.find(key);
  return it == kv.end() ? 0 : std::stoull(it->second);
}

SelfTradePrevention stp_mode(const std::string& mode, int line_no) {
  if (mode == "off")
    return SelfTradePrevention::kOff;
  if (mode == "cancel-newest")
    return SelfTradePrevention::kCancelNewest;
  if (mode == "cancel-oldest")
    return SelfTradePrevention::kCancelOldest;
  throw std::runtime_error(fmt::format("line {}: unknown stp mode '{}'", line_no, mode));
}

Scenario parse(const std::filesystem::path& path) {
  Scenario scenario;
  scenario.limits.max_orders = 1'000;
  scenario.limits.max_price_levels = 1'000;
  scenario.limits.max_clients = 100;
  std::ifstream file(path);
  std::string raw;
  int line_no = 0;
  while (std::getline(file, raw)) {
    ++line_no;
    const std::string line = normalize(raw.substr(0, raw.find('#')));
    if (line.empty())
      continue;
    std::istringstream in(line);
    std::string head;
    in >> head;
    if (head == "->" || head == "md") {
      if (scenario.steps.empty() || scenario.steps.back().is_book) {
        throw std::runtime_error(fmt::format("line {}: event without a request", line_no));
      }
      scenario.steps.back().expected.push_back(line);
    } else if (head == "tickers") {
      scenario.tickers.clear();
      TickerId ticker = 0;
      while (in >> ticker)
        scenario.tickers.push_back(ticker);
    } else if (head == "limits") {
      const auto kv = key_values(in);
      if (kv.count("orders"))
        scenario.limits.max_orders = number(kv, "orders");
      if (kv.count("levels"))
        scenario.limits.max_price_levels = number(kv, "levels");
      if (kv.count("clients"))
        scenario.limits.max_clients = number(kv, "clients");
    } else if (head == "stp") {
      std::string mode;
      in >> mode;
      scenario.limits.self_trade_prevention = stp_mode(mode, line_no);
    } else if (head == "book") {
      Step step;
      step.line = line_no;
      step.text = line;
      step.is_book = true;
      step.book_check = key_values(in);
      scenario.steps.push_back(step);
    } else if (head == "NEW" || head == "CANCEL" || head == "MODIFY" || head == "CANCEL_ALL") {
      const auto kv = key_values(in);
      for (const auto& [key, value] : kv) {
        if (key != "client" && key != "ticker" && key != "id" && key != "side" && key != "price" &&
            key != "qty" && key != "tif" && key != "flags") {
          throw std::runtime_error(fmt::format("line {}: unknown field '{}'", line_no, key));
        }
      }
      Step step;
      step.line = line_no;
      step.text = line;
      ClientRequest& r = step.request;
      r.msg_type = head == "NEW"      ? ClientRequestType::kNew
                   : head == "CANCEL" ? ClientRequestType::kCancel
                   : head == "MODIFY" ? ClientRequestType::kModify
                                      : exchange::kCancelAllOfClient;
      r.client_id = static_cast<ClientId>(number(kv, "client"));
      r.ticker_id = static_cast<TickerId>(number(kv, "ticker"));
      r.order_id = number(kv, "id");
      const std::string side = kv.count("side") ? kv.at("side") : "0";
      r.side = side == "BUY"    ? Side::kBuy
               : side == "SELL" ? Side::kSell
                                : static_cast<Side>(std::stoi(side));
      r.price = kv.count("price") ? std::stoll(kv.at("price")) : 0;
      r.qty = static_cast<Qty>(number(kv, "qty"));
      const std::string tif = kv.count("tif") ? kv.at("tif") : "GTC";
      r.tif = tif == "GTC"   ? TimeInForce::kGtc
              : tif == "IOC" ? TimeInForce::kIoc
              : tif == "FOK" ? TimeInForce::kFok
                             : static_cast<TimeInForce>(std::stoul(tif));
      r.flags = static_cast<std::uint8_t>(number(kv, "flags"));
      scenario.steps.push_back(step);
    } else {
      throw std::runtime_error(fmt::format("line {}: cannot parse '{}'", line_no, line));
    }
  }
  return scenario;
}

template <typename Book>
std::string levels_text(const Book& book, Side side) {
  std::string text;
  for (std::size_t depth = 0; depth < book.level_count(side); ++depth) {
    const auto* level = book.level_at_depth(side, depth);
    text += fmt::format("{}{}x{}", text.empty() ? "" : ",", level->price, level->total_qty);
  }
  return text.empty() ? "-" : text;
}

std::vector<std::string> lines_of(const std::vector<BookEvent>& events) {
  std::vector<std::string> lines;
  lines.reserve(events.size());
  for (const BookEvent& event : events)
    lines.push_back(describe(event));
  return lines;
}

class ScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioTest, produces_exactly_the_expected_events) {
  const std::filesystem::path path = scenario_dir() / (GetParam() + ".txt");
  const Scenario scenario = parse(path);
  RecordingHandler whole_events;
  RecordingHandler stepped_events;
  exchange::Matcher<RecordingHandler> whole(scenario.tickers, scenario.limits, whole_events);
  exchange::Matcher<RecordingHandler> stepped(scenario.tickers, scenario.limits, stepped_events);
  ReferenceExchange reference(scenario.tickers, scenario.limits);
  std::size_t requests = 0;
  for (const Step& step : scenario.steps) {
    const std::string where = fmt::format("{}:{}: {}", path.string(), step.line, step.text);
    if (step.is_book) {
      const TickerId ticker = static_cast<TickerId>(number(step.book_check, "ticker"));
      ASSERT_NE(whole.book(ticker), nullptr) << where;
      if (step.book_check.count("bids")) {
        EXPECT_EQ(levels_text(*whole.book(ticker), Side::kBuy), step.book_check.at("bids"))
            << where;
      }
      if (step.book_check.count("asks")) {
        EXPECT_EQ(levels_text(*whole.book(ticker), Side::kSell), step.book_check.at("asks"))
            << where;
      }
      continue;
    }
    ++requests;
    whole_events.events.clear();
    whole.process(step.request);
    EXPECT_EQ(lines_of(whole_events.events), step.expected) << where;

    stepped_events.events.clear();
    (void)stepped.process(step.request, 1);
    while (stepped.busy()) {
      const bool done = stepped.resume(1);
      ASSERT_EQ(done, !stepped.busy()) << where << " (resume() says when it finished)";
    }
    EXPECT_EQ(lines_of(stepped_events.events), step.expected) << where << " (one step per call)";

    EXPECT_EQ(lines_of(reference.process(step.request)), step.expected) << where << " (reference)";
    for (const TickerId ticker : scenario.tickers) {
      EXPECT_EQ(check_book_invariants(*whole.book(ticker)), "") << where;
      EXPECT_EQ(compare_books(*whole.book(ticker), *reference.book(ticker)), "")
          << where << " (book against the reference)";
    }
  }
  EXPECT_GT(requests, 0u) << path;
}

INSTANTIATE_TEST_SUITE_P(Files, ScenarioTest, ::testing::ValuesIn(scenario_files()),
                         [](const auto& info) { return info.param; });

TEST(ScenarioFiles, are_found) {
  EXPECT_GE(scenario_files().size(), 8u) << "looked in " << scenario_dir();
}

}  // namespace
}  // namespace llt::test
