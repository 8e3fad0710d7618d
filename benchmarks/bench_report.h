#pragma once

// Shared by the benchmark binaries: benchmarks are registered as "<group>/<impl>", where impl
// "ours" is this project's and every other impl a peer measured in the same run. After the
// run, a table prints each group's figures and the ratio ours/peer, so the comparison holds
// on a noisy machine.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/stats/latency_histogram.h"

namespace llt::bench {

// Adds p50/p90/p99/p99.9/max (ns) counters from a histogram of per-operation latencies.
void add_percentile_counters(benchmark::State& state, const common::LatencyHistogram& histogram);

// Runs the registered benchmarks with a console reporter, then prints the ratio table.
// Returns the process exit code.
int run_and_report(int argc, char** argv);

// Pins the calling thread to `cpu` when the host has more than one CPU; best effort. (Not
// available_cpus(): a thread started by a pinned thread inherits its one-CPU mask.)
void pin_to(int cpu);

// The CPU a benchmark's second thread should use (the one the caller is not pinned to).
inline constexpr int kMainCpu = 1;
inline constexpr int kPeerCpu = 0;

}  // namespace llt::bench
