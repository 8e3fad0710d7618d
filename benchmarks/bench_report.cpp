#include "benchmarks/bench_report.h"

#include <fmt/format.h>

#include <cstdio>
#include <thread>

#include "common/concurrent/thread_utils.h"

namespace llt::bench {

void add_percentile_counters(benchmark::State& state, const common::LatencyHistogram& histogram) {
  state.counters["p50_ns"] = static_cast<double>(histogram.percentile(50));
  state.counters["p90_ns"] = static_cast<double>(histogram.percentile(90));
  state.counters["p99_ns"] = static_cast<double>(histogram.percentile(99));
  state.counters["p99.9_ns"] = static_cast<double>(histogram.percentile(99.9));
  state.counters["max_ns"] = static_cast<double>(histogram.max());
}

void pin_to(int cpu) {
  if (std::thread::hardware_concurrency() < 2)
    return;
  try {
    common::pin_current_thread(cpu);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "benchmark: %s (running unpinned)\n", e.what());
  }
}

namespace {

struct Figures {
  double ns_per_op = 0;
  std::map<std::string, double> counters;
};

// Console output as usual, and every run kept for the ratio table. With
// --benchmark_repetitions the table takes each benchmark's median over the repetitions
// (reported after them, so it replaces the last repetition).
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.error_occurred || (run.run_type != Run::RT_Iteration && !median))
        continue;
      const std::string name = run.run_name.str();
      const auto slash = name.find('/');
      if (slash == std::string::npos)
        continue;
      std::string impl = name.substr(slash + 1);
      impl = impl.substr(0, impl.find('/'));
      Figures figures;
      // GetAdjustedRealTime() is in the benchmark's display unit; the table is in ns.
      figures.ns_per_op =
          run.GetAdjustedRealTime() * 1e9 / benchmark::GetTimeUnitMultiplier(run.time_unit);
      for (const auto& [key, counter] : run.counters)
        figures.counters[key] = counter.value;
      groups_[name.substr(0, slash)][impl] = figures;
      order_.push_back(name.substr(0, slash));
    }
  }

  void print_ratios() const {
    std::printf("\n%-28s %-12s %14s %12s %12s %12s\n", "group", "peer", "metric", "ours", "peer",
                "ours/peer");
    std::vector<std::string> seen;
    for (const std::string& group : order_) {
      bool done = false;
      for (const auto& s : seen)
        done = done || s == group;
      if (done)
        continue;
      seen.push_back(group);
      const auto& impls = groups_.at(group);
      const auto ours = impls.find("ours");
      if (ours == impls.end())
        continue;
      for (const auto& [impl, figures] : impls) {
        if (impl == "ours")
          continue;
        print_row(group, impl, "ns/iteration", ours->second.ns_per_op, figures.ns_per_op);
        for (const char* key : {"items_per_second", "p50_ns", "p99_ns", "p99.9_ns"}) {
          const auto a = ours->second.counters.find(key);
          const auto b = figures.counters.find(key);
          if (a != ours->second.counters.end() && b != figures.counters.end()) {
            print_row(group, impl, key, a->second, b->second);
          }
        }
      }
    }
    std::printf("(ns and percentiles: lower is better; items_per_second: higher is better)\n");
  }

 private:
  static void print_row(const std::string& group, const std::string& peer, const char* metric,
                        double ours, double theirs) {
    const double ratio = theirs > 0 ? ours / theirs : 0.0;
    std::printf("%-28s %-12s %14s %12.4g %12.4g %12.3f\n", group.c_str(), peer.c_str(), metric,
                ours, theirs, ratio);
  }

  std::map<std::string, std::map<std::string, Figures>> groups_;
  std::vector<std::string> order_;
};

}  // namespace

int run_and_report(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return 0;
}

}  // namespace llt::bench
