// JsonWriter (the executables' --summary-json) read back with the tests' strict JSON reader:
// nesting, escaping, numbers, and the reader refusing what is not JSON.
#include "common/json/json_writer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <string>

#include <unistd.h>

#include "common/stats/latency_histogram.h"
#include "tests/support/json_reader.h"

namespace llt::common {
namespace {

using test::JsonReader;

TEST(JsonWriter, nested_objects_and_arrays_read_back) {
  JsonWriter json;
  json.begin_object();
  json.value("process", "exchange");
  json.begin_array("tickers");
  json.element(1U);
  json.element(2U);
  json.end_array();
  json.begin_object("counters");
  json.value("requests", std::uint64_t{18446744073709551615ULL});
  json.value("position", std::int64_t{-42});
  json.value("pnl", -12.5);
  json.value("flat", true);
  json.end_object();
  json.begin_object("empty");
  json.end_object();
  json.begin_array("none");
  json.end_array();
  json.end_object();

  std::string error;
  const auto doc = JsonReader::parse(json.text(), &error);
  ASSERT_TRUE(doc.has_value()) << error << "\n" << json.text();
  EXPECT_EQ((*doc)["process"].text, "exchange");
  ASSERT_EQ((*doc)["tickers"].elements.size(), 2U);
  EXPECT_EQ((*doc)["tickers"].elements[1].integer(), 2);
  EXPECT_EQ((*doc)["counters"]["requests"].text, "18446744073709551615");
  EXPECT_EQ((*doc)["counters"]["position"].integer(), -42);
  EXPECT_DOUBLE_EQ((*doc)["counters"]["pnl"].number, -12.5);
  EXPECT_TRUE((*doc)["counters"]["flat"].boolean);
  EXPECT_TRUE((*doc)["empty"].is_object());
  EXPECT_TRUE((*doc)["empty"].members.empty());
  EXPECT_TRUE((*doc)["none"].is_array());
  EXPECT_EQ(json.text().back(), '\n');
}

TEST(JsonWriter, escapes_quotes_backslashes_and_control_characters_in_keys_and_strings) {
  const std::string nasty = std::string("a\"b\\c\nd\te\x01f/\r") + '\0' + "g";
  JsonWriter json;
  json.begin_object();
  json.value(nasty, nasty);
  json.end_object();
  std::string error;
  const auto doc = JsonReader::parse(json.text(), &error);
  ASSERT_TRUE(doc.has_value()) << error << "\n" << json.text();
  ASSERT_TRUE(doc->has(nasty)) << json.text();
  EXPECT_EQ((*doc)[nasty].text, nasty);
  EXPECT_EQ(JsonWriter::quoted("\x1f"), "\"\\u001f\"");
}

TEST(JsonWriter, writes_non_finite_doubles_as_null) {
  JsonWriter json;
  json.begin_array();
  json.value({}, std::numeric_limits<double>::infinity());
  json.value({}, std::numeric_limits<double>::quiet_NaN());
  json.value({}, 1e-5);
  json.end_array();
  const auto doc = JsonReader::parse(json.text());
  ASSERT_TRUE(doc.has_value()) << json.text();
  ASSERT_EQ(doc->elements.size(), 3U);
  EXPECT_EQ(doc->elements[0].kind, test::JsonValue::Kind::kNull);
  EXPECT_EQ(doc->elements[1].kind, test::JsonValue::Kind::kNull);
  EXPECT_DOUBLE_EQ(doc->elements[2].number, 1e-5);
}

TEST(JsonWriter, latency_hops_carry_the_table_percentiles) {
  LatencyHistogram histogram;
  for (std::uint64_t v = 1; v <= 1000; ++v) {
    histogram.record(v);
  }
  const LatencyHop hops[] = {{"a_to_b", &histogram}};
  JsonWriter json;
  json.begin_object();
  add_latency_hops(json, "latency_ns", hops);
  json.end_object();
  const auto doc = JsonReader::parse(json.text());
  ASSERT_TRUE(doc.has_value()) << json.text();
  const auto& hop = (*doc)["latency_ns"]["a_to_b"];
  EXPECT_EQ(hop["count"].integer(), 1000);
  EXPECT_EQ(static_cast<std::uint64_t>(hop["p50"].integer()), histogram.percentile(50));
  EXPECT_EQ(static_cast<std::uint64_t>(hop["p99_9"].integer()), histogram.percentile(99.9));
  EXPECT_EQ(hop["max"].integer(), 1000);
}

TEST(JsonWriter, write_text_file_names_the_flag_when_the_file_cannot_be_written) {
  const std::string path = ::testing::TempDir() + "llt_json_" + std::to_string(::getpid());
  write_text_file(path, "{}\n", "--summary-json");
  const auto doc = JsonReader::parse_file(path);
  std::remove(path.c_str());
  EXPECT_TRUE(doc.has_value());
  try {
    write_text_file("/nonexistent-dir/x.json", "{}", "--summary-json");
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("--summary-json /nonexistent-dir/x.json"),
              std::string::npos)
        << e.what();
  }
}

TEST(JsonReader, refuses_what_is_not_json) {
  for (const char* text : {"", "{", "{\"a\":}", "{\"a\":1,}", "[1 2]", "{\"a\":1}x", "\"\x01\"",
                           "01", "1.", "{\"a\":1,\"a\":2}", "tru", "\"\\q\""}) {
    EXPECT_FALSE(JsonReader::parse(text).has_value()) << text;
  }
  EXPECT_TRUE(JsonReader::parse(" {\"a\": [1, -2.5e3, true, null, \"\\u00e9\"]} ").has_value());
}

}  // namespace
}  // namespace llt::common
