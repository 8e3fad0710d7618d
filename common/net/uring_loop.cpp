#include "common/net/uring_loop.h"

#include <liburing.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <string>

#include "common/error.h"
#include "common/net/socket_error.h"

namespace llt::common {

struct UringLoop::Ring {
  io_uring ring{};
};

void UringLoop::RingDeleter::operator()(Ring* ring) const noexcept {
  io_uring_queue_exit(&ring->ring);
  delete ring;
}

namespace {

constexpr std::size_t kMaxSubmissionEntries = 4096;

}  // namespace

UringLoop::UringLoop(std::size_t max_in_flight) {
  // Every posted request needs a completion slot; the submission queue only holds what one
  // poll prepares, and a full one is submitted early.
  const std::size_t wanted = std::max<std::size_t>(max_in_flight, 8);
  const auto sq_entries =
      static_cast<unsigned>(std::min(std::bit_ceil(wanted), kMaxSubmissionEntries));
  io_uring_params params{};
  params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;  // CLAMP: past the kernel's limit
  // A completion the kernel must finish on this thread does not interrupt it while it runs:
  // the kernel flags it (IORING_SQ_TASKRUN) and reap() enters the ring for it. A thread asleep
  // (block idle) is still woken for it.
  params.flags |= IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  params.cq_entries = static_cast<unsigned>(std::bit_ceil(wanted * 2));
  auto ring = std::make_unique<Ring>();
  const int result = io_uring_queue_init_params(sq_entries, &ring->ring, &params);
  if (result < 0) {
    throw socket_error(-result, "io_uring_queue_init", std::to_string(sq_entries) + " entries");
  }
  ring_.reset(ring.release());
}

UringLoop::~UringLoop() = default;

int UringLoop::fd() const noexcept {
  return ring_->ring.ring_fd;
}

void* UringLoop::next_entry() noexcept {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_->ring);
  if (sqe == nullptr) {
    (void)submit();
    sqe = io_uring_get_sqe(&ring_->ring);
  }
  if (sqe != nullptr) {
    ++prepared_;
  }
  return sqe;
}

bool UringLoop::receive(std::uint64_t user_data, int fd, void* buffer, std::size_t size) noexcept {
  auto* sqe = static_cast<io_uring_sqe*>(next_entry());
  if (sqe == nullptr) {
    return false;
  }
  io_uring_prep_recv(sqe, fd, buffer, size, 0);
  io_uring_sqe_set_data64(sqe, user_data);
  return true;
}

bool UringLoop::send(std::uint64_t user_data, int fd, const void* data, std::size_t size) noexcept {
  auto* sqe = static_cast<io_uring_sqe*>(next_entry());
  if (sqe == nullptr) {
    return false;
  }
  io_uring_prep_send(sqe, fd, data, size, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, user_data);
  return true;
}

bool UringLoop::poll_readable(std::uint64_t user_data, int fd) noexcept {
  auto* sqe = static_cast<io_uring_sqe*>(next_entry());
  if (sqe == nullptr) {
    return false;
  }
  io_uring_prep_poll_multishot(sqe, fd, POLLIN);
  io_uring_sqe_set_data64(sqe, user_data);
  return true;
}

bool UringLoop::cancel(std::uint64_t target) noexcept {
  auto* sqe = static_cast<io_uring_sqe*>(next_entry());
  if (sqe == nullptr) {
    return false;
  }
  io_uring_prep_cancel64(sqe, target, 0);
  io_uring_sqe_set_data64(sqe, kIgnored);
  return true;
}

int UringLoop::submit() noexcept {
  if (prepared_ == 0) {
    return 0;
  }
  int result = 0;
  do {
    ++enters_;
    result = io_uring_submit(&ring_->ring);
  } while (result == -EINTR);
  if (result < 0) {
    return result;
  }
  prepared_ -= std::min(prepared_, static_cast<std::size_t>(result));
  return result;
}

std::size_t UringLoop::reap(UringCompletion* out, std::size_t max) noexcept {
  io_uring& ring = ring_->ring;
  if (LLT_UNLIKELY((IO_URING_READ_ONCE(*ring.sq.kflags) &
                    (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)) != 0)) {
    // Completions the kernel holds until the ring is entered: ones the queue had no room
    // for, or (cooperative mode) ones it finishes only on the thread's next system call.
    ++enters_;
    (void)io_uring_get_events(&ring);
  }
  std::size_t count = 0;
  unsigned head = 0;
  io_uring_cqe* cqe = nullptr;
  io_uring_for_each_cqe(&ring, head, cqe) {
    if (count == max) {
      break;
    }
    out[count].user_data = io_uring_cqe_get_data64(cqe);
    out[count].result = cqe->res;
    out[count].more = (cqe->flags & IORING_CQE_F_MORE) != 0;
    ++count;
  }
  io_uring_cq_advance(&ring, static_cast<unsigned>(count));
  return count;
}

}  // namespace llt::common
