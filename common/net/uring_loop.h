#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace llt::common {

// One completion taken from the ring: the user_data its request was posted with and the
// result (bytes moved, or -errno).
struct UringCompletion {
  std::uint64_t user_data = 0;
  std::int32_t result = 0;
  bool more = false;  // a multishot request that stays posted
};

// A thin io_uring wrapper for a TcpServer (docs/io_backends.md): requests are prepared into
// the submission queue without a system call and handed to the kernel together by submit();
// completions are read from the completion queue without one, unless the kernel has work to
// finish first. The ring is set up (and its memory mapped) at construction; nothing after
// allocates or throws.
//
// Thread contract: not thread-safe; the one thread that polls the owning server calls every
// member after construction.
class UringLoop {
 public:
  // The user_data of requests whose completion is of no interest (cancellations).
  static constexpr std::uint64_t kIgnored = UINT64_MAX;

  // A ring with room for `max_in_flight` requests posted at once (submission and completion
  // queues are sized from it). Throws std::system_error naming io_uring_queue_init and the
  // errno text when the kernel refuses (io_uring disabled, memory lock limits).
  explicit UringLoop(std::size_t max_in_flight);
  UringLoop(const UringLoop&) = delete;
  UringLoop& operator=(const UringLoop&) = delete;
  UringLoop(UringLoop&&) = delete;
  UringLoop& operator=(UringLoop&&) = delete;
  // Tears the ring down; the kernel cancels what is still posted and waits for it, so buffers
  // that requests point to must outlive this.
  ~UringLoop();

  // Prepare one request (submitted by the next submit(), or at once when the submission
  // queue is full). A receive of at most `size` bytes into `buffer`; a send of `size` bytes
  // (MSG_NOSIGNAL); a multishot readiness poll (POLLIN) of `fd`; the cancellation of the
  // posted request with `target` as user_data. They return false only when the queue is
  // still full after a submit (the kernel refused it): the request was not prepared.
  [[nodiscard]] bool receive(std::uint64_t user_data, int fd, void* buffer,
                             std::size_t size) noexcept;
  [[nodiscard]] bool send(std::uint64_t user_data, int fd, const void* data,
                          std::size_t size) noexcept;
  [[nodiscard]] bool poll_readable(std::uint64_t user_data, int fd) noexcept;
  [[nodiscard]] bool cancel(std::uint64_t target) noexcept;

  // Hands the prepared requests to the kernel (one io_uring_enter; none when nothing is
  // prepared). Returns the number submitted, or -errno.
  int submit() noexcept;

  // Moves up to `max` completions into `out` and returns how many. No system call unless the
  // kernel has completions to flush first.
  [[nodiscard]] std::size_t reap(UringCompletion* out, std::size_t max) noexcept;

  // The ring's descriptor: readable while completions wait, for a thread that sleeps in a
  // WaitSet (block idle strategy).
  [[nodiscard]] int fd() const noexcept;
  // io_uring_enter() calls made by submit() and reap().
  [[nodiscard]] std::uint64_t enters() const noexcept { return enters_; }

 private:
  struct Ring;
  struct RingDeleter {
    void operator()(Ring* ring) const noexcept;
  };
  // A free submission queue entry, submitting the prepared ones first when the queue is full;
  // nullptr when there is still none.
  [[nodiscard]] void* next_entry() noexcept;

  std::unique_ptr<Ring, RingDeleter> ring_;
  std::size_t prepared_ = 0;
  std::uint64_t enters_ = 0;
};

}  // namespace llt::common
