#pragma once

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/net/io_status.h"
#include "common/net/socket_address.h"
#include "common/net/socket_fd.h"

namespace llt::common {

// Sends UDP datagrams to one multicast group:port, out of the interface whose address is
// given (IP_MULTICAST_IF; default loopback, never 0.0.0.0), with the given TTL (default 1:
// never routed off the link) and IP_MULTICAST_LOOP on so receivers on this host get them.
//
// Thread contract: not thread-safe; one thread sends.
class McastSender {
 public:
  // Throws std::invalid_argument naming the value for a group that is not an IPv4 multicast
  // address, an interface that is not an IPv4 unicast address (0.0.0.0 included), port 0 or
  // a TTL outside [0, 255]; std::system_error naming the group and the errno text when the
  // socket cannot be set up.
  McastSender(std::string_view group, std::uint16_t port,
              std::string_view interface = kDefaultMulticastInterface, int ttl = 1);

  // Sends one datagram of `size` bytes. Returns kOk (bytes = size); kWouldBlock when the
  // socket buffer or device queue is full (EAGAIN, ENOBUFS: nothing was sent); kError with
  // errno otherwise (EMSGSIZE for a datagram too large).
  [[nodiscard]] IoResult send(const void* data, std::size_t size) noexcept {
    for (;;) {
      ++send_calls_;
      const ssize_t n = ::send(fd_.get(), data, size, MSG_NOSIGNAL);
      if (LLT_LIKELY(n >= 0)) {
        return {IoStatus::kOk, static_cast<std::size_t>(n), 0};
      }
      const int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS) {
        return {IoStatus::kWouldBlock, 0, 0};
      }
      if (error != EINTR) {
        return {IoStatus::kError, 0, error};
      }
    }
  }

  // Sends `size` bytes as consecutive datagrams of `datagram_size` bytes (the last one may be
  // shorter), in one system call when the kernel segments them (UDP generic segmentation
  // offload, UDP_SEGMENT: receivers get exactly the datagrams separate sends would give), else
  // one send() each (docs/io_backends.md, Market data datagrams). Returns kOk (bytes = size);
  // kWouldBlock with bytes = the whole datagrams that went out before the socket refused one;
  // kError with errno and bytes = the datagrams that went out before it. Sizes: 0 < size,
  // 0 < datagram_size, size <= kMaxSegmentsPerSend * datagram_size.
  [[nodiscard]] IoResult send_datagrams(const void* data, std::size_t size,
                                        std::size_t datagram_size) noexcept {
    if (size <= datagram_size) {
      return send(data, size);
    }
    if (LLT_LIKELY(segmentation_)) {
      const IoResult result = send_segmented(data, size, datagram_size);
      if (LLT_LIKELY(result.status != IoStatus::kError || !segmentation_refused(result.error))) {
        return result;
      }
      segmentation_ = false;  // this socket's route cannot segment: one send() a datagram
    }
    const auto* bytes = static_cast<const unsigned char*>(data);
    std::size_t done = 0;
    while (done < size) {
      const std::size_t n = std::min(datagram_size, size - done);
      const IoResult result = send(bytes + done, n);
      if (!result.ok()) {
        return {result.status, done, result.error};
      }
      done += n;
    }
    return {IoStatus::kOk, size, 0};
  }

  // The most datagrams one send_datagrams() call may carry (the kernel's bound is higher).
  static constexpr std::size_t kMaxSegmentsPerSend = 32;

  // Whether send_datagrams() still segments in the kernel: false once the kernel refused it
  // for this socket (then every datagram is a send() of its own), or after disable.
  [[nodiscard]] bool segmentation() const noexcept { return segmentation_; }
  // Tests: one send() a datagram from now on.
  void disable_segmentation() noexcept { segmentation_ = false; }
  // System calls that sent (or tried to send) datagrams.
  [[nodiscard]] std::uint64_t send_calls() const noexcept { return send_calls_; }

  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  // "group:port via interface", for logs.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  // One sendmsg() with a UDP_SEGMENT control message: the kernel cuts the payload into
  // datagrams of datagram_size. All or nothing: kOk, or kWouldBlock/kError with bytes 0.
  [[nodiscard]] IoResult send_segmented(const void* data, std::size_t size,
                                        std::size_t datagram_size) noexcept {
    alignas(cmsghdr) unsigned char control[CMSG_SPACE(sizeof(std::uint16_t))] = {};
    iovec payload{const_cast<void*>(data), size};
    msghdr message{};
    message.msg_iov = &payload;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_UDP;
    header->cmsg_type = UDP_SEGMENT;
    header->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
    const auto segment = static_cast<std::uint16_t>(datagram_size);
    std::memcpy(CMSG_DATA(header), &segment, sizeof(segment));
    for (;;) {
      ++send_calls_;
      const ssize_t n = ::sendmsg(fd_.get(), &message, MSG_NOSIGNAL);
      if (LLT_LIKELY(n >= 0)) {
        return {IoStatus::kOk, size, 0};
      }
      const int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS) {
        return {IoStatus::kWouldBlock, 0, 0};
      }
      if (error != EINTR) {
        return {IoStatus::kError, 0, error};
      }
    }
  }

  // The errors by which a kernel says it cannot segment on this socket's route (no
  // UDP_SEGMENT before Linux 4.18; EIO when the device has no checksum offload); nothing was
  // sent, and the same datagrams go out one send() each.
  [[nodiscard]] static bool segmentation_refused(int error) noexcept {
    return error == EIO || error == EINVAL || error == ENOPROTOOPT || error == EOPNOTSUPP;
  }

  SocketFd fd_;
  std::string name_;
  bool segmentation_ = true;
  std::uint64_t send_calls_ = 0;
};

enum class McastJoin : std::uint8_t { kNow, kLater };

// Receives UDP datagrams sent to one multicast group:port, with group membership taken on
// the interface whose address is given (imr_interface; default loopback, never 0.0.0.0: a
// receiver joined on INADDR_ANY gets nothing from a loopback sender). The socket is bound to
// group:port with SO_REUSEADDR, so several receivers on one host each get every datagram,
// and IP_MULTICAST_ALL is off, so it gets only the group it joined.
//
// Thread contract: not thread-safe; one thread receives, joins and leaves.
class McastReceiver {
 public:
  // Binds and (with McastJoin::kNow) joins. Throws std::invalid_argument naming the value for
  // a group that is not an IPv4 multicast address, an interface that is not an IPv4 unicast
  // address (0.0.0.0 included) or port 0; std::system_error naming the group and the errno
  // text when the socket cannot be set up or the join fails.
  McastReceiver(std::string_view group, std::uint16_t port,
                std::string_view interface = kDefaultMulticastInterface,
                McastJoin join_mode = McastJoin::kNow);

  // Reads one datagram into buffer[0, capacity). Returns kOk with its size; kWouldBlock when
  // none is queued; kError with EMSGSIZE when the datagram was longer than `capacity` (it is
  // dropped; bytes = capacity were copied) or with another errno.
  [[nodiscard]] IoResult receive(void* buffer, std::size_t capacity) noexcept {
    for (;;) {
      // MSG_TRUNC makes recv return the datagram's real length, so truncation is seen.
      const ssize_t n = ::recv(fd_.get(), buffer, capacity, MSG_TRUNC);
      if (LLT_LIKELY(n >= 0)) {
        if (LLT_UNLIKELY(static_cast<std::size_t>(n) > capacity)) {
          return {IoStatus::kError, capacity, EMSGSIZE};
        }
        return {IoStatus::kOk, static_cast<std::size_t>(n), 0};
      }
      const int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) {
        return {IoStatus::kWouldBlock, 0, 0};
      }
      if (error != EINTR) {
        return {IoStatus::kError, 0, error};
      }
    }
  }

  // Takes group membership (IP_ADD_MEMBERSHIP). Returns kOk (also when already joined) or
  // kError with errno. No allocation, no exception: callable while trading (recovery).
  [[nodiscard]] IoResult join() noexcept;

  // Drops group membership (IP_DROP_MEMBERSHIP): datagrams sent afterwards are not received;
  // ones already queued still are. Returns kOk (also when not joined) or kError with errno.
  [[nodiscard]] IoResult leave() noexcept;

  [[nodiscard]] bool joined() const noexcept { return joined_; }
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  // "group:port via interface", for logs.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  SocketFd fd_;
  ip_mreq membership_{};
  bool joined_ = false;
  std::string name_;
};

}  // namespace llt::common
