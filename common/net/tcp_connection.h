#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "common/error.h"
#include "common/net/io_status.h"
#include "common/net/socket_fd.h"

namespace llt::common {

// One non-blocking TCP connection with a fixed-capacity receive buffer and send buffer, both
// allocated (and zeroed, so their pages are resident) at construction. TCP_NODELAY is set.
//
// Receiving: read_some() appends what the kernel has to the receive buffer; whole fixed-size
// messages are then read in place with peek_message()/consume() or for_each_message(). Bytes
// of an incomplete message stay buffered until the rest arrives, whatever the split.
//
// Sending: send() is all-or-nothing per message: the bytes are written to the kernel or
// queued in the send buffer in full, or (kBufferFull) not taken at all. flush() pushes queued
// bytes to the kernel.
//
// Hot-path members (read_some, peek_message, consume, for_each_message, send, flush) never
// allocate or throw; they return [[nodiscard]] status codes. Setup members throw.
//
// Thread contract: not thread-safe; one thread (the owning agent's) calls every member.
class TcpConnection {
 public:
  // A closed connection whose buffers are allocated: attach() gives it a socket later, so a
  // server can pre-allocate its connection table. Throws std::invalid_argument when a
  // capacity is 0.
  TcpConnection(std::size_t receive_capacity, std::size_t send_capacity);

  // Takes ownership of a connected TCP socket and makes it non-blocking with TCP_NODELAY.
  // Throws std::invalid_argument on a zero capacity, std::system_error if the socket cannot
  // be configured (the socket is closed).
  TcpConnection(SocketFd fd, std::size_t receive_capacity, std::size_t send_capacity);

  TcpConnection(TcpConnection&& other) noexcept;
  TcpConnection& operator=(TcpConnection&& other) noexcept;
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;
  ~TcpConnection() = default;

  // Closes any current socket, empties both buffers and takes `fd` (made non-blocking, with
  // TCP_NODELAY). Returns kOk, or kError with errno (the fd is then closed and the
  // connection stays closed). Never allocates or throws: a server calls it on accept.
  [[nodiscard]] IoResult attach(SocketFd fd) noexcept;

  // Empties both buffers like close() but hands the socket to the caller instead of closing
  // it (a server keeps it open until the kernel has finished the requests posted on it).
  [[nodiscard]] SocketFd detach() noexcept {
    SocketFd fd = std::move(fd_);
    close();
    return fd;
  }

  // Closes the socket (bytes still queued for sending are dropped) and empties both buffers.
  // Idempotent.
  void close() noexcept {
    fd_.reset();
    recv_head_ = recv_tail_ = 0;
    send_head_ = send_tail_ = 0;
    send_in_flight_ = 0;
    receive_posted_ = false;
  }

  // Deferred sending, for a server whose I/O back end hands bytes to the kernel itself
  // (IoBackend::kUring, docs/io_backends.md): send() only queues (kBufferFull when the bytes
  // do not fit), the server posts the queued bytes (unsent(), ring_send_posted()) and reports
  // what the kernel took (ring_send_done()); flush() writes directly only while no posted
  // send is outstanding. The send buffer is then circular (send_head_ and send_tail_ count
  // bytes, their remainders modulo the capacity are offsets), so bytes posted to the kernel
  // never move and the free space is always the capacity less the queued bytes. Set by the
  // server before it attaches a socket; attach() keeps it.
  void set_deferred_sends(bool deferred) noexcept { deferred_sends_ = deferred; }
  // The oldest queued bytes not yet handed to the kernel, up to the end of the buffer (the
  // rest, wrapped to its start, follows once these are written); empty while a posted send is
  // outstanding.
  [[nodiscard]] std::span<const std::byte> unsent() const noexcept {
    if (send_in_flight_ != 0 || send_head_ == send_tail_) {
      return {};
    }
    const std::size_t offset = send_head_ % send_capacity_;
    return {send_buf_.get() + offset, std::min(send_tail_ - send_head_, send_capacity_ - offset)};
  }
  // The first `bytes` of unsent() were posted: they stay where they are until ring_send_done.
  void ring_send_posted(std::size_t bytes) noexcept { send_in_flight_ = bytes; }
  // The posted send finished having written `written` bytes (at most what was posted).
  void ring_send_done(std::size_t written) noexcept {
    LLT_ASSERT(written <= send_in_flight_, "ring_send_done() past the posted bytes");
    send_in_flight_ = 0;
    send_head_ += written;
    if (send_head_ == send_tail_) {
      send_head_ = send_tail_ = 0;
    }
  }

  // The free space at the end of the receive buffer for a receive the server posts (unread
  // bytes are first moved to the front when less than half the buffer is free at the end, as
  // read_some() does); empty when the buffer is full. ring_receive_posted() says a receive
  // into it is outstanding: until ring_received(n) appends the `n` bytes the kernel wrote
  // there (0 when it ended without bytes), consuming every byte no longer rewinds the buffer,
  // so the space stays where the kernel writes.
  [[nodiscard]] std::span<std::byte> receive_space() noexcept {
    if (recv_head_ > 0 && (recv_capacity_ - recv_tail_) * 2 < recv_capacity_) {
      compact_receive_buffer();
    }
    return {recv_buf_.get() + recv_tail_, recv_capacity_ - recv_tail_};
  }
  void ring_receive_posted() noexcept { receive_posted_ = true; }
  void ring_received(std::size_t bytes) noexcept {
    LLT_ASSERT(bytes <= recv_capacity_ - recv_tail_, "ring_received() past the buffer");
    receive_posted_ = false;
    recv_tail_ += bytes;
  }

  [[nodiscard]] bool is_open() const noexcept { return fd_.valid(); }
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

  // Cold: "a.b.c.d:port" of the peer, or "" when not connected.
  [[nodiscard]] std::string peer_name() const;

  // Reads once from the socket into the free space of the receive buffer, first moving
  // unread bytes to the front when less than half the buffer is free at the end.
  // Returns kOk with the bytes read (> 0); kWouldBlock when the socket has nothing;
  // kBufferFull when the buffer is full of unconsumed bytes (consume, then retry); kClosed
  // when the peer closed (read 0) or reset the connection (error holds ECONNRESET etc.);
  // kError with errno otherwise (EBADF when not open). After kClosed or kError the caller
  // should close(); bytes already buffered stay readable until then.
  [[nodiscard]] IoResult read_some() noexcept {
    if (LLT_UNLIKELY(!fd_.valid())) {
      return {IoStatus::kError, 0, EBADF};
    }
    if (recv_head_ > 0 && (recv_capacity_ - recv_tail_) * 2 < recv_capacity_) {
      compact_receive_buffer();
    }
    const std::size_t space = recv_capacity_ - recv_tail_;
    if (LLT_UNLIKELY(space == 0)) {
      return {IoStatus::kBufferFull, 0, 0};
    }
    for (;;) {
      const ssize_t n = ::recv(fd_.get(), recv_buf_.get() + recv_tail_, space, 0);
      if (LLT_LIKELY(n > 0)) {
        recv_tail_ += static_cast<std::size_t>(n);
        return {IoStatus::kOk, static_cast<std::size_t>(n), 0};
      }
      if (n == 0) {
        return {IoStatus::kClosed, 0, 0};
      }
      const int error = errno;
      if (error != EINTR) {
        return failure(error);
      }
    }
  }

  // Bytes received and not yet consumed, in arrival order. Valid until the next read_some(),
  // consume() or close().
  [[nodiscard]] std::span<const std::byte> received() const noexcept {
    return {recv_buf_.get() + recv_head_, recv_tail_ - recv_head_};
  }
  [[nodiscard]] std::size_t received_size() const noexcept { return recv_tail_ - recv_head_; }

  // The oldest unconsumed message, read in place (zero-copy), or nullptr while fewer than
  // sizeof(Msg) bytes are buffered. Valid until the next read_some(), consume() or close().
  template <class Msg>
  [[nodiscard]] const Msg* peek_message() const noexcept {
    static_assert(std::is_trivially_copyable_v<Msg>, "wire messages are raw bytes");
    static_assert(alignof(Msg) == 1,
                  "peek_message reads in place at any offset: wire messages must be packed");
    if (recv_tail_ - recv_head_ < sizeof(Msg)) {
      return nullptr;
    }
    return reinterpret_cast<const Msg*>(recv_buf_.get() + recv_head_);
  }

  // Drops the oldest `bytes` received bytes. Consuming more than received_size() is a
  // contract violation (checked in debug builds).
  void consume(std::size_t bytes) noexcept {
    LLT_ASSERT(bytes <= recv_tail_ - recv_head_, "consume() past the received bytes");
    recv_head_ += bytes;
    if (recv_head_ == recv_tail_ && !receive_posted_) {
      recv_head_ = recv_tail_ = 0;
    }
  }

  // Calls fn(const Msg&) for each whole buffered message, oldest first, consuming each one
  // before the call; a trailing partial message stays buffered. If fn returns bool, false
  // stops after that message. fn may send() on this connection or close() it (the walk then
  // stops); it must not call read_some(). Packed messages are passed in place, others as an
  // aligned copy. Returns the number of messages passed to fn.
  template <class Msg, class Fn>
  std::size_t for_each_message(Fn&& fn) noexcept(std::is_nothrow_invocable_v<Fn&, const Msg&>) {
    static_assert(std::is_trivially_copyable_v<Msg>, "wire messages are raw bytes");
    using Result = std::invoke_result_t<Fn&, const Msg&>;
    static_assert(std::is_void_v<Result> || std::is_same_v<Result, bool>,
                  "fn returns void, or bool to say whether to continue");
    std::size_t count = 0;
    while (recv_tail_ - recv_head_ >= sizeof(Msg)) {
      const std::byte* bytes = recv_buf_.get() + recv_head_;
      recv_head_ += sizeof(Msg);
      ++count;
      bool keep_going = true;
      if constexpr (alignof(Msg) == 1) {
        keep_going = invoke_on(fn, *reinterpret_cast<const Msg*>(bytes));
      } else {
        Msg copy;
        std::memcpy(&copy, bytes, sizeof(Msg));
        keep_going = invoke_on(fn, copy);
      }
      if (!keep_going) {
        break;
      }
    }
    if (recv_head_ == recv_tail_ && !receive_posted_) {
      recv_head_ = recv_tail_ = 0;
    }
    return count;
  }

  // Sends one message, all or nothing. When nothing is queued the bytes go straight to the
  // kernel and only what it does not take is queued; otherwise they are queued behind the
  // pending bytes and a flush is attempted.
  // Returns kOk (bytes = size: the whole message was written or queued); kBufferFull when
  // the message does not fit the free send buffer even after a flush attempt (nothing was
  // taken); kClosed when the peer is gone (EPIPE, ECONNRESET); kError with errno otherwise.
  [[nodiscard]] IoResult send(const void* data, std::size_t size) noexcept {
    if (LLT_UNLIKELY(!fd_.valid())) {
      return {IoStatus::kError, 0, EBADF};
    }
    const auto* bytes = static_cast<const std::byte*>(data);
    if (deferred_sends_) {
      return queue(bytes, size);
    }
    if (send_tail_ == send_head_) {
      if (LLT_UNLIKELY(size > send_capacity_)) {
        return {IoStatus::kBufferFull, 0, 0};
      }
      std::size_t written = 0;
      const IoResult result = write_all(bytes, size, written);
      if (LLT_UNLIKELY(result.status == IoStatus::kClosed || result.status == IoStatus::kError)) {
        return result;
      }
      if (written < size) {
        std::memcpy(send_buf_.get(), bytes + written, size - written);
        send_head_ = 0;
        send_tail_ = size - written;
      }
      return {IoStatus::kOk, size, 0};
    }
    if (size > send_capacity_ - pending_send_bytes()) {
      const IoResult flushed = flush();
      if (LLT_UNLIKELY(flushed.status == IoStatus::kClosed || flushed.status == IoStatus::kError)) {
        return flushed;
      }
      if (size > send_capacity_ - pending_send_bytes()) {
        return {IoStatus::kBufferFull, 0, 0};
      }
    }
    if (send_capacity_ - send_tail_ < size) {
      compact_send_buffer();
    }
    std::memcpy(send_buf_.get() + send_tail_, bytes, size);
    send_tail_ += size;
    const IoResult flushed = flush();
    if (LLT_UNLIKELY(flushed.status == IoStatus::kClosed || flushed.status == IoStatus::kError)) {
      return flushed;
    }
    return {IoStatus::kOk, size, 0};
  }

  // Writes queued bytes until the queue is empty or the kernel takes no more (MSG_NOSIGNAL:
  // a gone peer is a status, not a SIGPIPE). Returns kOk when the queue is empty (bytes =
  // written by this call); kWouldBlock when bytes remain queued (bytes = written); kClosed
  // (EPIPE, ECONNRESET) or kError with errno. Safe to call with nothing queued.
  [[nodiscard]] IoResult flush() noexcept {
    if (send_head_ == send_tail_) {
      return {IoStatus::kOk, 0, 0};
    }
    if (LLT_UNLIKELY(!fd_.valid())) {
      return {IoStatus::kError, 0, EBADF};
    }
    if (deferred_sends_) {
      return flush_deferred();
    }
    std::size_t written = 0;
    IoResult result = write_all(send_buf_.get() + send_head_, send_tail_ - send_head_, written);
    send_head_ += written;
    if (send_head_ == send_tail_) {
      send_head_ = send_tail_ = 0;
    }
    result.bytes = written;
    return result;
  }

  [[nodiscard]] std::size_t pending_send_bytes() const noexcept { return send_tail_ - send_head_; }
  [[nodiscard]] std::size_t receive_capacity() const noexcept { return recv_capacity_; }
  [[nodiscard]] std::size_t send_capacity() const noexcept { return send_capacity_; }

 private:
  // Errors that mean the connection is gone rather than that something is misconfigured.
  [[nodiscard]] static IoResult failure(int error) noexcept {
    switch (error) {
      case EAGAIN:
#if EWOULDBLOCK != EAGAIN
      case EWOULDBLOCK:
#endif
        return {IoStatus::kWouldBlock, 0, 0};
      case ECONNRESET:
      case EPIPE:
      case ECONNABORTED:
      case ETIMEDOUT:
      case ENOTCONN:
        return {IoStatus::kClosed, 0, error};
      default:
        return {IoStatus::kError, 0, error};
    }
  }

  template <class Fn, class Msg>
  [[nodiscard]] static bool invoke_on(Fn& fn, const Msg& msg) noexcept(
      std::is_nothrow_invocable_v<Fn&, const Msg&>) {
    if constexpr (std::is_void_v<std::invoke_result_t<Fn&, const Msg&>>) {
      fn(msg);
      return true;
    } else {
      return fn(msg);
    }
  }

  // Writes until `size` bytes are written or the kernel refuses; `written` says how many
  // went. Returns kOk when all went, else the failure() of the refusing call.
  [[nodiscard]] IoResult write_all(const std::byte* data, std::size_t size,
                                   std::size_t& written) noexcept {
    written = 0;
    while (written < size) {
      const ssize_t n = ::send(fd_.get(), data + written, size - written, MSG_NOSIGNAL);
      if (LLT_LIKELY(n > 0)) {
        written += static_cast<std::size_t>(n);
        continue;
      }
      if (n == 0) {
        return {IoStatus::kWouldBlock, written, 0};
      }
      const int error = errno;
      if (error != EINTR) {
        IoResult result = failure(error);
        result.bytes = written;
        return result;
      }
    }
    return {IoStatus::kOk, written, 0};
  }

  // send() with deferred sends: copies the message behind the queued bytes in the circular
  // buffer (wrapping at its end), or kBufferFull when it does not fit.
  [[nodiscard]] IoResult queue(const std::byte* bytes, std::size_t size) noexcept {
    if (size > send_capacity_ - pending_send_bytes()) {
      return {IoStatus::kBufferFull, 0, 0};
    }
    const std::size_t offset = send_tail_ % send_capacity_;
    const std::size_t first = std::min(size, send_capacity_ - offset);
    std::memcpy(send_buf_.get() + offset, bytes, first);
    std::memcpy(send_buf_.get(), bytes + first, size - first);
    send_tail_ += size;
    return {IoStatus::kOk, size, 0};
  }

  // flush() with deferred sends: writes the queued bytes directly (both parts of the circular
  // buffer), unless a posted send owns them.
  [[nodiscard]] IoResult flush_deferred() noexcept {
    if (send_in_flight_ != 0) {
      return {IoStatus::kWouldBlock, 0, 0};
    }
    std::size_t total = 0;
    IoResult result{IoStatus::kOk, 0, 0};
    while (send_head_ != send_tail_) {
      const std::span<const std::byte> part = unsent();
      std::size_t written = 0;
      result = write_all(part.data(), part.size(), written);
      send_head_ += written;
      total += written;
      if (result.status != IoStatus::kOk) {
        break;
      }
    }
    if (send_head_ == send_tail_) {
      send_head_ = send_tail_ = 0;
    }
    result.bytes = total;
    return result;
  }

  void compact_receive_buffer() noexcept {
    const std::size_t unread = recv_tail_ - recv_head_;
    std::memmove(recv_buf_.get(), recv_buf_.get() + recv_head_, unread);
    recv_head_ = 0;
    recv_tail_ = unread;
  }

  void compact_send_buffer() noexcept {
    const std::size_t pending = send_tail_ - send_head_;
    std::memmove(send_buf_.get(), send_buf_.get() + send_head_, pending);
    send_head_ = 0;
    send_tail_ = pending;
  }

  SocketFd fd_;
  std::unique_ptr<std::byte[]> recv_buf_;
  std::size_t recv_capacity_ = 0;
  std::size_t recv_head_ = 0;  // first unconsumed byte
  std::size_t recv_tail_ = 0;  // one past the last received byte
  std::unique_ptr<std::byte[]> send_buf_;
  std::size_t send_capacity_ = 0;
  std::size_t send_head_ = 0;       // first byte not yet written to the kernel
  std::size_t send_tail_ = 0;       // one past the last queued byte
  std::size_t send_in_flight_ = 0;  // bytes from send_head_ posted to the kernel (deferred)
  bool deferred_sends_ = false;
  bool receive_posted_ = false;  // a receive into [recv_tail_, capacity) is outstanding
};

}  // namespace llt::common
