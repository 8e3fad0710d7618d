#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace llt::test {

// A child process started by a test, with stdout and stderr captured to files. The
// destructor kills it (SIGKILL, by its own pid) if the test did not stop it, so no test
// leaves a process behind.
class ChildProcess {
 public:
  // pending_signal, when not 0, is sent to the child before it execs, blocked: the executable
  // starts with it pending, as one sent during its start-up would be.
  ChildProcess(const std::string& binary, const std::vector<std::string>& args,
               int pending_signal = 0) {
    static int counter = 0;
    const std::string base =
        "/tmp/llt_child_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    stdout_path_ = base + ".out";
    stderr_path_ = base + ".err";
    std::vector<std::string> argv_storage{binary};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    // Built before fork: the child of a multi-threaded test only opens, dup2s and execs.
    std::vector<char*> argv;
    argv.reserve(argv_storage.size() + 1);
    for (auto& arg : argv_storage)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0)
      throw std::system_error(errno, std::generic_category(), "fork");
    if (pid_ == 0) {
      const int out = ::open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(out, STDOUT_FILENO);
      ::dup2(err, STDERR_FILENO);
      if (pending_signal != 0) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, pending_signal);
        ::sigprocmask(SIG_BLOCK, &set, nullptr);
        ::raise(pending_signal);
      }
      ::execv(binary.c_str(), argv.data());
      std::perror("execv");
      ::_exit(127);
    }
  }

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  ~ChildProcess() {
    if (running()) {
      ::kill(pid_, SIGKILL);
      (void)wait_exit(std::chrono::seconds(5));
    }
    std::remove(stdout_path_.c_str());
    std::remove(stderr_path_.c_str());
  }

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] bool running() const noexcept { return pid_ > 0 && !exit_status_; }

  void signal(int signo) const {
    if (running())
      ::kill(pid_, signo);
  }

  // Waits up to `limit` for the child to end. Returns its exit code (128 + signal when killed
  // by one), or nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!exit_status_) {
      int status = 0;
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (std::chrono::steady_clock::now() > deadline)
        return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return exit_status_;
  }

  [[nodiscard]] std::string stdout_text() const { return read_file(stdout_path_); }
  [[nodiscard]] std::string stderr_text() const { return read_file(stderr_path_); }

  // Waits up to `limit` until stdout contains `text`.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds limit) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (stdout_text().find(text) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline)
        return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

 private:
  static std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  std::string stdout_path_;
  std::string stderr_path_;
};

// How long a test waits for a started executable's first line (the exchange's "order entry
// on", a trading client's banner). Generous: a sanitizer build starting on a loaded 2-core
// machine can take several seconds, and a passing run waits only as long as start-up takes.
inline constexpr std::chrono::seconds kStartupLimit{30};

// The port the exchange printed ("order entry on 127.0.0.1:PORT"; started with --port 0), or
// 0 when it did not print it within the limit.
inline std::uint16_t exchange_port(const ChildProcess& exchange,
                                   std::chrono::milliseconds limit = kStartupLimit) {
  const std::string marker = "order entry on 127.0.0.1:";
  if (!exchange.wait_for_output(marker, limit))
    return 0;
  const std::string out = exchange.stdout_text();
  return static_cast<std::uint16_t>(std::stoul(out.substr(out.find(marker) + marker.size())));
}

}  // namespace llt::test
