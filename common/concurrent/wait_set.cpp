#include "common/concurrent/wait_set.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>

#include <cerrno>
#include <system_error>

namespace llt::common {

WakeSignal::WakeSignal() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!fd_) {
    throw std::system_error(errno, std::generic_category(), "eventfd");
  }
}

void WakeSignal::wake() noexcept {
  const std::uint64_t one = 1;
  // EAGAIN only when the counter is at its maximum: the thread is woken anyway.
  (void)!::write(fd_.get(), &one, sizeof one);
  wakes_.fetch_add(1, std::memory_order_relaxed);
}

void WakeSignal::drain() noexcept {
  std::uint64_t count = 0;
  (void)!::read(fd_.get(), &count, sizeof count);
}

WaitSet::WaitSet() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!epoll_fd_) {
    throw std::system_error(errno, std::generic_category(), "epoll_create1");
  }
  if (!watch(signal_.fd())) {
    throw std::system_error(errno, std::generic_category(), "epoll_ctl (eventfd)");
  }
}

bool WaitSet::watch(int fd) noexcept {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = fd;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &event) == 0 || errno == EEXIST) {
    return true;
  }
  ++watch_failures_;
  return false;
}

void WaitSet::unwatch(int fd) noexcept {
  (void)::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

int WaitSet::wait(std::chrono::nanoseconds timeout) noexcept {
  epoll_event events[kMaxEvents];
  const auto ns = timeout.count() < 0 ? 0 : timeout.count();
  const timespec limit{static_cast<time_t>(ns / 1'000'000'000),
                       static_cast<long>(ns % 1'000'000'000)};
  const int ready = ::epoll_pwait2(epoll_fd_.get(), events, kMaxEvents, &limit, nullptr);
  if (ready <= 0) {
    return 0;
  }
  for (int i = 0; i < ready; ++i) {
    if (events[i].data.fd == signal_.fd()) {
      signal_.drain();
    }
  }
  return ready;
}

}  // namespace llt::common
