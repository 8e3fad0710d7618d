#include "common/stats/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace llt::common {
namespace {

// The oracle: the smallest sample v with at least p% of the samples <= v.
std::uint64_t oracle_percentile(std::vector<std::uint64_t> sorted, double p) {
  std::sort(sorted.begin(), sorted.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

void expect_matches_oracle(const std::vector<std::uint64_t>& samples) {
  auto histogram = std::make_unique<LatencyHistogram>();
  for (std::uint64_t v : samples) {
    histogram->record(v);
  }
  for (double p : {0.0, 1.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const auto expected = static_cast<double>(oracle_percentile(samples, p));
    const auto got = static_cast<double>(histogram->percentile(p));
    // The reported value is the top of the oracle's bucket: never below, at most 1/128 above.
    EXPECT_GE(got, expected) << "p" << p;
    EXPECT_LE(got, expected * (1.0 + 1.0 / 128.0) + 1.0) << "p" << p;
  }
  EXPECT_EQ(histogram->max(), *std::max_element(samples.begin(), samples.end()));
  EXPECT_EQ(histogram->min(), *std::min_element(samples.begin(), samples.end()));
  EXPECT_EQ(histogram->count(), samples.size());
}

TEST(LatencyHistogram, percentiles_match_a_sorted_vector_oracle_for_lognormal_latencies) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> latency(7.0, 1.0);  // median ~1.1 us, long tail
  std::vector<std::uint64_t> samples(200'000);
  for (auto& v : samples)
    v = static_cast<std::uint64_t>(latency(rng));
  expect_matches_oracle(samples);
}

TEST(LatencyHistogram, percentiles_match_the_oracle_across_the_whole_range) {
  std::mt19937_64 rng(7);
  std::vector<std::uint64_t> samples(50'000);
  for (auto& v : samples)
    v = rng() >> (rng() % 64);
  expect_matches_oracle(samples);
}

TEST(LatencyHistogram, small_values_are_exact) {
  auto histogram = std::make_unique<LatencyHistogram>();
  for (std::uint64_t v = 1; v <= 100; ++v)
    histogram->record(v);
  EXPECT_EQ(histogram->percentile(50), 50U);
  EXPECT_EQ(histogram->percentile(99), 99U);
  EXPECT_EQ(histogram->percentile(100), 100U);
  EXPECT_DOUBLE_EQ(histogram->mean(), 50.5);
}

TEST(LatencyHistogram, empty_histogram_reports_zero) {
  auto histogram = std::make_unique<LatencyHistogram>();
  EXPECT_EQ(histogram->percentile(99), 0U);
  EXPECT_EQ(histogram->max(), 0U);
  EXPECT_EQ(histogram->min(), 0U);
  EXPECT_EQ(histogram->count(), 0U);
}

TEST(LatencyHistogram, every_bucket_contains_its_own_bounds) {
  for (std::size_t i = 0; i < LatencyHistogram::kBucketCount; ++i) {
    ASSERT_EQ(LatencyHistogram::bucket_index(LatencyHistogram::bucket_lowest(i)), i);
    ASSERT_EQ(LatencyHistogram::bucket_index(LatencyHistogram::bucket_highest(i)), i);
    if (i + 1 < LatencyHistogram::kBucketCount) {
      ASSERT_EQ(LatencyHistogram::bucket_highest(i) + 1, LatencyHistogram::bucket_lowest(i + 1));
    }
  }
}

TEST(LatencyHistogram, merge_equals_recording_everything_in_one) {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> latency(8.0, 1.5);
  auto a = std::make_unique<LatencyHistogram>();
  auto b = std::make_unique<LatencyHistogram>();
  auto all = std::make_unique<LatencyHistogram>();
  for (int i = 0; i < 10'000; ++i) {
    const auto v = static_cast<std::uint64_t>(latency(rng));
    (i % 3 == 0 ? *a : *b).record(v);
    all->record(v);
  }
  a->merge(*b);
  EXPECT_EQ(a->count(), all->count());
  EXPECT_EQ(a->max(), all->max());
  EXPECT_EQ(a->min(), all->min());
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    EXPECT_EQ(a->percentile(p), all->percentile(p));
  }
}

TEST(LatencyHistogram, reset_forgets_everything) {
  auto histogram = std::make_unique<LatencyHistogram>();
  histogram->record(1000);
  histogram->reset();
  EXPECT_EQ(histogram->count(), 0U);
  EXPECT_EQ(histogram->percentile(50), 0U);
}

TEST(LatencyHistogram, csv_rows_are_a_cumulative_distribution) {
  auto histogram = std::make_unique<LatencyHistogram>();
  for (std::uint64_t v : {10, 10, 20, 5000})
    histogram->record(v);
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  histogram->write_csv_rows(out, "hop");
  std::rewind(out);
  char line[256];
  std::vector<std::string> rows;
  while (std::fgets(line, sizeof line, out) != nullptr)
    rows.emplace_back(line);
  std::fclose(out);
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[0], "hop,10,50.000000,2\n");
  EXPECT_EQ(rows[1], "hop,20,75.000000,1\n");
  EXPECT_EQ(rows[2], "hop,5000,100.000000,1\n");
}

}  // namespace
}  // namespace llt::common
