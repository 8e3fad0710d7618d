// keep_off_cpus (docs/architecture.md, Threads and idle strategies): the calling thread, and
// the threads it starts, keep off the CPUs given to agents when another is left; may_run_on
// tells whether the calling thread may run on a CPU.
#include "common/concurrent/thread_utils.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <thread>
#include <vector>

namespace llt::common {
namespace {

cpu_set_t current_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  EXPECT_EQ(::sched_getaffinity(0, sizeof set, &set), 0);
  return set;
}

std::vector<int> cpu_list(const cpu_set_t& set) {
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) {
      cpus.push_back(cpu);
    }
  }
  return cpus;
}

TEST(KeepOffCpus, the_thread_and_the_threads_it_starts_leave_the_listed_cpu) {
  const std::vector<int> cpus = cpu_list(current_cpus());
  if (cpus.size() < 2) {
    GTEST_SKIP() << "needs two CPUs";
  }
  // On a thread of its own, so the test's thread keeps its CPUs.
  std::thread([&] {
    EXPECT_TRUE(may_run_on(cpus.front()));
    EXPECT_TRUE(keep_off_cpus({cpus.front()}));
    EXPECT_FALSE(may_run_on(cpus.front()));
    EXPECT_TRUE(may_run_on(cpus.back()));
    const cpu_set_t mine = current_cpus();
    EXPECT_FALSE(CPU_ISSET(cpus.front(), &mine));
    EXPECT_EQ(CPU_COUNT(&mine), static_cast<int>(cpus.size()) - 1);
    cpu_set_t child;
    std::thread([&] { child = current_cpus(); }).join();
    EXPECT_TRUE(CPU_EQUAL(&child, &mine)) << "inherited";
  }).join();
}

TEST(KeepOffCpus, changes_nothing_when_no_cpu_would_be_left_or_none_is_listed) {
  const cpu_set_t before = current_cpus();
  std::thread([&] {
    EXPECT_FALSE(keep_off_cpus(cpu_list(before)));
    EXPECT_FALSE(keep_off_cpus({}));
    EXPECT_FALSE(keep_off_cpus({-1, CPU_SETSIZE + 5})) << "CPUs that do not exist";
    EXPECT_FALSE(may_run_on(-1));
    EXPECT_FALSE(may_run_on(CPU_SETSIZE + 5));
    const cpu_set_t after = current_cpus();
    EXPECT_TRUE(CPU_EQUAL(&after, &before));
  }).join();
}

}  // namespace
}  // namespace llt::common
