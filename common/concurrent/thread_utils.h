#pragma once

#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace llt::common {

// Names the calling thread (shown by top -H and gdb; truncated to 15 characters).
void set_current_thread_name(const std::string& name) noexcept;

// Pins the calling thread to one CPU. Throws std::system_error naming the CPU and the errno
// text when the CPU does not exist or is not allowed.
void pin_current_thread(int cpu);

// Starts a thread that names itself, pins itself to `cpu` if given, then runs `body`. Start-up
// only (allocates). A pinning failure is reported to stderr and the thread runs unpinned, so
// a CPU list written for a bigger host still starts.
std::thread start_thread(std::string name, std::optional<int> cpu, std::function<void()> body);

// Number of CPUs this process may run on.
int available_cpus() noexcept;
// Whether the calling thread may run on `cpu` (its affinity holds it); false for a CPU that
// does not exist.
bool may_run_on(int cpu) noexcept;

// Restricts the calling thread to the CPUs it may run on except `cpus` (the ones given to agent
// threads), when at least one remains; threads it starts afterwards inherit the restriction.
// Returns whether it changed anything (false: `cpus` empty, or they cover every CPU it has).
bool keep_off_cpus(const std::vector<int>& cpus) noexcept;

}  // namespace llt::common
