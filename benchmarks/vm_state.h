#pragma once

// Which speed the machine runs at, printed by logger_bench and queue_bench at the start and at
// the end of a run (benchmarks/RESULTS.md: the 2-vCPU guests measured there switch between a
// "fast" and a "slow" state for minutes at a time, and the slow one mostly slows traffic
// between the two cores). Three probes, about 50 ms in all:
// - cross-core round trip: one cache line bounced between a thread on kMainCpu and one on
//   kPeerCpu (two line transfers per trip), median of batches. This is the probe that tells
//   the states apart: every queue round trip and every cross-core throughput follows it.
// - core loop: one step of a fixed dependent multiply-add chain on one core (about 4 cycles
//   on the hardware), median of batches: shows a slow core, or a slower clock of the host.
// - TSC read: the cost of one back-to-back read, and the smallest step between two readings
//   (the clock's resolution): the floor of anything timed with the TSC.
// Also parses --benchmark_min_time, so a binary's own sections run shorter in the short mode
// that scripts/demo.sh --benchmarks uses (--benchmark_min_time=0.05).

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "benchmarks/bench_report.h"
#include "common/concurrent/cache_line.h"
#include "common/concurrent/thread_utils.h"
#include "common/time/tsc_clock.h"

namespace llt::bench {

struct VmState {
  double cross_core_round_trip_ns = 0;  // 0 when the host has one CPU
  double core_loop_ns = 0;
  double tsc_read_ns = 0;
  double tsc_step_ns = 0;
};

// Fast below this cross-core round trip, slow above it: on the 2-vCPU guest of RESULTS.md's
// 2026-12-05 runs the probe read 130-200 ns in the fast state and 480-520 ns in the slow one.
inline constexpr double kSlowRoundTripNs = 350.0;

// The factor by which a binary scales its own sections: 1 with the default
// --benchmark_min_time (0.5 s), 0.1 in the 0.05 s short mode, never below 0.1. Call before
// benchmark::Initialize, which removes the flag from argv.
inline double run_scale(int argc, char** argv) {
  constexpr std::string_view kFlag = "--benchmark_min_time=";
  double min_time = 0.5;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg.substr(0, kFlag.size()) == kFlag) {
      const std::string value(arg.substr(kFlag.size()));
      char* end = nullptr;
      const double parsed = std::strtod(value.c_str(), &end);
      // "0.05" and "0.05s" are times; "100x" (an iteration count) leaves the default.
      if (end != value.c_str() && *end != 'x' && parsed > 0) {
        min_time = parsed;
      }
    }
  }
  return std::clamp(min_time / 0.5, 0.1, 1.0);
}

// Median ns of one round trip of a cache line between the calling thread (moved to
// kMainCpu, where it stays) and a thread on kPeerCpu, over `batches` batches of `trips`
// trips; 0 when either thread cannot be pinned (a one-CPU host).
inline double cross_core_round_trip_ns(int batches = 15, int trips = 2000) {
  const common::TscClock& clock = common::TscClock::instance();
  // Odd values are the caller's serve, even ones the peer's return; 0 tells the peer to stop.
  alignas(common::kCacheLineSize) std::atomic<std::uint64_t> ball{2};
  alignas(common::kCacheLineSize) std::atomic<int> peer_pinned{0};  // 1 pinned, -1 failed
  std::thread peer([&] {
    try {
      common::pin_current_thread(kPeerCpu);
    } catch (const std::exception&) {
      peer_pinned.store(-1, std::memory_order_release);
      return;
    }
    peer_pinned.store(1, std::memory_order_release);
    for (;;) {
      const std::uint64_t v = ball.load(std::memory_order_acquire);
      if (v == 0) {
        return;
      }
      if ((v & 1U) != 0) {
        ball.store(v + 1, std::memory_order_release);
      }
    }
  });
  bool pinned = true;
  try {
    common::pin_current_thread(kMainCpu);
  } catch (const std::exception&) {
    pinned = false;
  }
  while (peer_pinned.load(std::memory_order_acquire) == 0) {
    std::this_thread::yield();
  }
  if (!pinned || peer_pinned.load(std::memory_order_acquire) < 0) {
    ball.store(0, std::memory_order_release);
    peer.join();
    return 0.0;
  }
  std::vector<double> ns;
  std::uint64_t v = 2;
  for (int b = 0; b <= batches; ++b) {  // batch 0 warms up (thread start, first transfers)
    const std::uint64_t t0 = clock.now_ticks();
    for (int t = 0; t < trips; ++t) {
      ball.store(v + 1, std::memory_order_release);
      v += 2;
      while (ball.load(std::memory_order_acquire) != v) {
        // Spins without pause: the probe times the line transfers, not the pause instruction.
      }
    }
    const std::uint64_t t1 = clock.now_ticks();
    if (b > 0) {
      ns.push_back(static_cast<double>(t1 - t0) / clock.ticks_per_ns() / trips);
    }
  }
  ball.store(0, std::memory_order_release);
  peer.join();
  std::sort(ns.begin(), ns.end());
  return ns[ns.size() / 2];
}

inline VmState measure_vm_state() {
  const common::TscClock& clock = common::TscClock::instance();
  VmState state;
  state.cross_core_round_trip_ns = cross_core_round_trip_ns();

  constexpr int kBatches = 9;
  std::vector<double> loop;
  std::vector<double> read;
  constexpr int kLoopSteps = 1 << 20;
  constexpr int kReads = 1 << 14;
  std::uint64_t step = ~std::uint64_t{0};
  for (int b = 0; b < kBatches; ++b) {
    std::uint64_t x = 1;
    std::uint64_t t0 = clock.now_ticks();
    for (int i = 0; i < kLoopSteps; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      benchmark::DoNotOptimize(x);
    }
    std::uint64_t t1 = clock.now_ticks();
    loop.push_back(static_cast<double>(t1 - t0) / clock.ticks_per_ns() / kLoopSteps);

    t0 = clock.now_ticks();
    std::uint64_t previous = t0;
    for (int i = 0; i < kReads; ++i) {
      const std::uint64_t now = clock.now_ticks();
      if (now > previous) {
        step = std::min(step, now - previous);
      }
      previous = now;
    }
    t1 = clock.now_ticks();
    read.push_back(static_cast<double>(t1 - t0) / clock.ticks_per_ns() / kReads);
  }
  std::sort(loop.begin(), loop.end());
  std::sort(read.begin(), read.end());
  state.core_loop_ns = loop[loop.size() / 2];
  state.tsc_read_ns = read[read.size() / 2];
  state.tsc_step_ns = static_cast<double>(step) / clock.ticks_per_ns();
  return state;
}

inline const char* vm_state_name(double cross_core_round_trip_ns) {
  if (cross_core_round_trip_ns <= 0) {
    return "unknown (no second CPU to probe)";
  }
  return cross_core_round_trip_ns < kSlowRoundTripNs ? "fast" : "slow";
}

// One line: "vm state at start: fast (cross-core round trip 141.3 ns, slow from 350; core loop
// 1.69 ns/step; TSC read 15.5 ns, step 10.0 ns)".
inline void print_vm_state(const char* when, const VmState& state) {
  std::printf(
      "vm state at %s: %s (cross-core round trip %.1f ns, slow from %.0f; core loop %.2f "
      "ns/step; TSC read %.1f ns, step %.1f ns)\n",
      when, vm_state_name(state.cross_core_round_trip_ns), state.cross_core_round_trip_ns,
      kSlowRoundTripNs, state.core_loop_ns, state.tsc_read_ns, state.tsc_step_ns);
  std::fflush(stdout);
}

// CPU time that other processes and the hypervisor took while the run went on, from
// /proc/stat and /proc/self/stat: a run with other work on the machine is not a measure of
// the VM's state, whichever state the probe reads. Not the load average, which the run's own
// spinning threads raise.
class OtherWork {
 public:
  OtherWork() : start_(read()) {}

  // "other work during the run: 0.01 CPUs (busy 1.98 of 2, this process 1.97), steal 0.00".
  void print() const {
    const Sample end = read();
    const double seconds =
        static_cast<double>(
            std::chrono::duration_cast<std::chrono::microseconds>(end.wall - start_.wall).count()) *
        1e-6;
    if (!end.valid || !start_.valid || seconds <= 0) {
      std::printf("other work during the run: unknown (no /proc)\n");
      return;
    }
    const auto hz = static_cast<double>(sysconf(_SC_CLK_TCK));
    auto cpus = [&](double jiffies) { return jiffies / hz / seconds; };
    const double busy = cpus(end.busy - start_.busy);
    const double self = cpus(end.self - start_.self);
    std::printf(
        "other work during the run: %.2f CPUs (busy %.2f of %u, this process %.2f), hypervisor "
        "steal %.2f CPUs\n",
        std::max(0.0, busy - self), busy, std::thread::hardware_concurrency(), self,
        cpus(end.steal - start_.steal));
    std::fflush(stdout);
  }

 private:
  struct Sample {
    bool valid = false;
    double busy = 0;  // jiffies, every CPU: user, nice, system, irq, softirq
    double steal = 0;
    double self = 0;  // this process's user + system jiffies
    std::chrono::steady_clock::time_point wall;
  };

  static Sample read() {
    Sample sample;
    sample.wall = std::chrono::steady_clock::now();
    std::ifstream stat("/proc/stat");
    std::string cpu;
    std::array<double, 8> f{};  // user nice system idle iowait irq softirq steal
    if (!(stat >> cpu) || cpu != "cpu") {
      return sample;
    }
    for (double& v : f) {
      stat >> v;
    }
    std::ifstream self("/proc/self/stat");
    std::string line;
    std::getline(self, line);
    const auto paren = line.rfind(')');
    if (!stat || paren == std::string::npos) {
      return sample;
    }
    // After the command's closing parenthesis: field 3 (state) onwards; utime and stime are
    // fields 14 and 15.
    std::istringstream fields(line.substr(paren + 1));
    std::string field;
    double utime = 0;
    double stime = 0;
    for (int i = 3; i <= 15 && (fields >> field); ++i) {
      if (i == 14) {
        utime = std::strtod(field.c_str(), nullptr);
      } else if (i == 15) {
        stime = std::strtod(field.c_str(), nullptr);
      }
    }
    sample.busy = f[0] + f[1] + f[2] + f[5] + f[6];
    sample.steal = f[7];
    sample.self = utime + stime;
    sample.valid = true;
    return sample;
  }

  Sample start_;
};

}  // namespace llt::bench
