#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/stats/latency_report.h"

namespace llt::common {

// Cold: builds one JSON document in memory, for the executables' --summary-json file (the
// keys are described in docs/operations.md). Keys and strings are escaped (quotes,
// backslashes, control characters); non-finite doubles are written as null. Members of an
// object are given as key + value; elements of an array without a key.
//
//   JsonWriter json;
//   json.begin_object();
//   json.value("process", "exchange");
//   json.begin_array("tickers");
//   json.value(1U);
//   json.end_array();
//   json.end_object();
//   json.text()  // {"process": "exchange", "tickers": [1]}, indented
//
// Thread contract: not thread-safe; one thread.
class JsonWriter {
 public:
  void begin_object(std::string_view key = {});
  void end_object();
  void begin_array(std::string_view key = {});
  void end_array();

  void value(std::string_view key, std::string_view text);
  void value(std::string_view key, const char* text) { value(key, std::string_view(text)); }
  void value(std::string_view key, std::uint64_t number);
  void value(std::string_view key, std::int64_t number);
  void value(std::string_view key, std::uint32_t number) {
    value(key, static_cast<std::uint64_t>(number));
  }
  void value(std::string_view key, int number) { value(key, static_cast<std::int64_t>(number)); }
  void value(std::string_view key, double number);
  void value(std::string_view key, bool flag);
  // Array elements.
  void element(std::uint64_t number) { value({}, number); }

  // The document so far, with a final newline once the outermost container is closed.
  [[nodiscard]] const std::string& text() const noexcept { return out_; }

  // `text` as a JSON string literal, quotes included.
  [[nodiscard]] static std::string quoted(std::string_view text);

 private:
  void member(std::string_view key);
  void open(std::string_view key, char bracket);
  void close(char bracket);

  std::string out_;
  std::vector<bool> first_;  // per open container: no member written yet
};

// Adds `key`: {"HOP": {"count", "p50", "p90", "p99", "p99_9", "max"}, ...} in ns, the same
// figures as print_latency_table.
void add_latency_hops(JsonWriter& json, std::string_view key, std::span<const LatencyHop> hops);

// Writes `text` to `path` (replacing it). Throws std::system_error naming `flag` and the path
// when the file cannot be written.
void write_text_file(const std::string& path, std::string_view text, std::string_view flag);

}  // namespace llt::common
