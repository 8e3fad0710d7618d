#include "common/concurrent/thread_utils.h"

#include <pthread.h>
#include <sched.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <system_error>

namespace llt::common {

void set_current_thread_name(const std::string& name) noexcept {
  const std::string truncated = name.substr(0, 15);
  pthread_setname_np(pthread_self(), truncated.c_str());
}

void pin_current_thread(int cpu) {
  if (cpu < 0 || cpu >= CPU_SETSIZE) {
    throw std::system_error(EINVAL, std::generic_category(),
                            "pin thread to CPU " + std::to_string(cpu));
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  const int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  if (rc != 0) {
    throw std::system_error(rc, std::generic_category(),
                            "pin thread to CPU " + std::to_string(cpu));
  }
}

std::thread start_thread(std::string name, std::optional<int> cpu, std::function<void()> body) {
  return std::thread([name = std::move(name), cpu, body = std::move(body)] {
    set_current_thread_name(name);
    if (cpu) {
      try {
        pin_current_thread(*cpu);
      } catch (const std::system_error& e) {
        std::fprintf(stderr, "thread %s: %s; running unpinned\n", name.c_str(), e.what());
      }
    }
    body();
  });
}

int available_cpus() noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    return 1;
  }
  return CPU_COUNT(&set);
}

bool may_run_on(int cpu) noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof(set), &set) != 0) {
    return false;
  }
  return CPU_ISSET(cpu, &set);
}

bool keep_off_cpus(const std::vector<int>& cpus) noexcept {
  if (cpus.empty()) {
    return false;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    return false;
  }
  cpu_set_t rest = set;
  for (const int cpu : cpus) {
    if (cpu >= 0 && cpu < CPU_SETSIZE) {
      CPU_CLR(cpu, &rest);
    }
  }
  if (CPU_COUNT(&rest) == 0 || CPU_EQUAL(&rest, &set)) {
    return false;
  }
  return pthread_setaffinity_np(pthread_self(), sizeof(rest), &rest) == 0;
}

}  // namespace llt::common
