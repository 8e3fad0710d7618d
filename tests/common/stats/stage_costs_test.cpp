#include "common/stats/stage_costs.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace llt::common {
namespace {

TEST(StageCosts, counts_working_and_idle_runs_apart) {
  StageCosts costs;
  const StageCosts::Stage stage = costs.add("agent");
  costs.record(stage, 100, true);
  costs.record(stage, 50, true);
  costs.record(stage, 7, false);
  EXPECT_EQ(costs.busy_ticks(stage), 150U);
  EXPECT_EQ(costs.busy_runs(stage), 2U);
  EXPECT_EQ(costs.idle_ticks(stage), 7U);
  EXPECT_EQ(costs.idle_runs(stage), 1U);
}

TEST(StageCosts, the_table_shows_parts_under_their_parent_and_the_cost_per_unit) {
  // A clock whose tick is a nanosecond: the figures are exact.
  const TscClock clock(std::chrono::microseconds(1), /*force_fallback=*/true);
  StageCosts costs(clock);
  const StageCosts::Stage server = costs.add("order_server");
  const StageCosts::Stage engine = costs.add("matching_engine");
  const StageCosts::Stage reads = costs.add("reads", server);
  costs.record(server, 3'000'000, true);  // 3 ms in 2 runs
  costs.record(server, 1'000'000, false);
  costs.record(server, 0, true);
  costs.record(engine, 1'000'000, true);
  costs.record(reads, 2'000'000, true);
  const std::string table = costs.table(1000, "request");
  EXPECT_NE(table.find("ns/request"), std::string::npos) << table;
  // The part comes right after its parent, indented; then the other top-level stage.
  const std::size_t at_server = table.find("\norder_server ");
  const std::size_t at_reads = table.find("\n  reads ");
  const std::size_t at_engine = table.find("\nmatching_engine ");
  ASSERT_NE(at_server, std::string::npos) << table;
  ASSERT_NE(at_reads, std::string::npos) << table;
  ASSERT_NE(at_engine, std::string::npos) << table;
  EXPECT_LT(at_server, at_reads);
  EXPECT_LT(at_reads, at_engine);
  // order_server: 3.0 busy ms, 2 runs, 1500000 ns a run, 1.0 idle ms, 1 idle run, 3000 ns a
  // request; the total counts the top-level stages only (4 ms over 1000 requests).
  const std::string server_row =
      table.substr(at_server + 1, table.find('\n', at_server + 1) - at_server - 1);
  EXPECT_NE(server_row.find(" 3.0 "), std::string::npos) << server_row;
  EXPECT_NE(server_row.find(" 1500000.0 "), std::string::npos) << server_row;
  EXPECT_NE(server_row.find(" 3000.0"), std::string::npos) << server_row;
  const std::size_t at_total = table.find("all stages, working runs");
  ASSERT_NE(at_total, std::string::npos) << table;
  EXPECT_NE(table.find(" 4000.0", at_total), std::string::npos) << table;
  // Without units, no per-unit column.
  EXPECT_EQ(costs.table(0, "").find("ns/"), costs.table(0, "").find("ns/run"));
}

TEST(StageCosts, refuses_a_stage_beyond_its_capacity_or_with_an_unknown_parent) {
  StageCosts costs;
  EXPECT_THROW(costs.add("orphan", 3), std::invalid_argument);
  for (std::size_t i = 0; i < StageCosts::kMaxStages; ++i) {
    costs.add("stage " + std::to_string(i));
  }
  EXPECT_EQ(costs.size(), StageCosts::kMaxStages);
  EXPECT_THROW(costs.add("one too many"), std::length_error);
}

}  // namespace
}  // namespace llt::common
