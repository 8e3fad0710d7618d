#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/containers/fixed_hash_map.h"
#include "common/error.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/types.h"

namespace llt::exchange {

// What the exchange keeps of one client id for the trading day (docs/recovery.md, Numbered
// streams): the two numbered streams and the responses kept for replay.
struct ClientStream {
  static constexpr std::uint32_t kNoConnection = UINT32_MAX;

  ClientId client_id = kInvalidClientId;
  SeqNum next_request = 1;   // the request number the exchange expects next
  SeqNum next_response = 1;  // the number the next response will take
  // The oldest response number this process has (1, or where a snapshot's kept ones start).
  SeqNum first_kept = 1;
  // The connection (order server slot) bound to the client, or kNoConnection.
  std::uint32_t connection = kNoConnection;
  // Its last LOGON set KEEP_ORDERS: its orders survive the end of the connection.
  bool keep_orders = false;
  // Logged on and its connection not ended, as far as the journal says (recovery uses it to
  // apply the cancel-on-disconnect a crash left undone).
  bool connected = false;
  // Quantity its FILLEDs bought and sold today (what the exchange says the client traded).
  std::uint64_t bought = 0;
  std::uint64_t sold = 0;
};

// The numbered response streams of every client id of the day, each with a ring of its last
// `depth` responses for replay (docs/recovery.md).
//
// Memory: one anonymous mapping of max_clients x depth responses reserved at start-up with
// MAP_NORESERVE (on 4 KiB pages, see the constructor), so only the pages a client's responses
// touch are committed (and, with start_prefault(), a bounded distance past them); append() and
// the lookups never allocate, lock or throw. A client id beyond max_clients is refused
// (find_or_add returns nullptr; the order server answers LOGON_REJECTED(CAPACITY)).
//
// Committing those pages (the kernel zeroing each new one) would otherwise happen inside
// append(), on the order server's thread, once per page of a ring's first lap;
// start_prefault() moves it to a background thread that keeps the ring of every client that
// gets responses committed a fixed distance ahead of its writer (docs/recovery.md, Committing
// the rings ahead of the writer).
//
// Thread contract: not thread-safe; the order server's thread (or start-up recovery before the
// agents run) calls every member, except the prefault counters (any thread). The prefault
// thread reads only atomics and never touches the rings' bytes: it asks the kernel to commit
// their pages (madvise(MADV_POPULATE_WRITE)), which leaves committed pages as they are.
class ClientStreams {
 public:
  // depth is rounded up to a power of two. Throws std::invalid_argument for zero sizes and
  // std::system_error when the address space cannot be reserved.
  ClientStreams(std::size_t max_clients, std::size_t depth);
  ~ClientStreams();
  ClientStreams(const ClientStreams&) = delete;
  ClientStreams& operator=(const ClientStreams&) = delete;

  [[nodiscard]] ClientStream* find(ClientId client_id) noexcept {
    const std::uint32_t index = index_.find(client_id);
    return index == kNone ? nullptr : &streams_[index];
  }
  [[nodiscard]] const ClientStream* find(ClientId client_id) const noexcept {
    const std::uint32_t index = index_.find(client_id);
    return index == kNone ? nullptr : &streams_[index];
  }

  // The client's stream, created empty on its first call; nullptr when max_clients ids are
  // already known.
  [[nodiscard]] ClientStream* find_or_add(ClientId client_id) noexcept {
    if (ClientStream* stream = find(client_id)) {
      return stream;
    }
    if (count_ == max_clients_ || !index_.insert(client_id, static_cast<std::uint32_t>(count_))) {
      return nullptr;
    }
    ClientStream& stream = streams_[count_++];
    stream = ClientStream{};
    stream.client_id = client_id;
    origin_[count_ - 1].store(stream.next_response, std::memory_order_relaxed);
    written_[count_ - 1].store(stream.next_response, std::memory_order_relaxed);
    published_count_.store(count_, std::memory_order_release);
    return &stream;
  }

  // Replay of the journal (docs/recovery.md): one journaled input, in journal order, before
  // the engine processes it. A LOGON marks the client connected (with its KEEP_ORDERS), a
  // cancel-all marks it disconnected, a NEW, CANCEL or MODIFY advances its expected request
  // number. False when the client id does not fit (max_clients).
  [[nodiscard]] bool on_input(const ClientRequest& request) noexcept;

  // The clients connected without KEEP_ORDERS when the journal ends: their cancel-on-
  // disconnect is owed (the exchange stopped before it was done). Cold.
  [[nodiscard]] std::vector<ClientId> owed_cancel() const;

  // Start-up from a state snapshot (docs/snapshots.md): the client's stream with
  // `fields`' numbers and flags (connection unbound) and `kept`, its responses numbered
  // next_response - kept.size() .. next_response - 1 (the last depth() of them are kept).
  // False, restoring nothing, for a client id already known or beyond max_clients, or
  // responses whose numbers do not run up to next_response - 1.
  [[nodiscard]] bool restore(const ClientStream& fields, std::span<const ClientResponse> kept);

  // Numbers `response` with the stream's next response number, keeps it for replay, counts a
  // FILLED's quantity, and returns the stored copy.
  const ClientResponse& append(ClientStream& stream, const ClientResponse& response) noexcept {
    ClientResponse& slot = ring_of(stream)[(stream.next_response - 1) & mask_];
    slot = response;
    if (response.msg_type == ClientResponseType::kFilled) {
      (response.side == Side::kBuy ? stream.bought : stream.sold) += response.exec_qty;
    }
    slot.seq_num = stream.next_response++;
    written_[index_of(stream)].store(stream.next_response, std::memory_order_relaxed);
    return slot;
  }

  // The oldest response number still kept for the stream (next_response when none is).
  [[nodiscard]] SeqNum oldest(const ClientStream& stream) const noexcept {
    const SeqNum by_depth = stream.next_response > depth_ ? stream.next_response - depth_ : 1;
    return by_depth > stream.first_kept ? by_depth : stream.first_kept;
  }

  // Kept responses from number `from` on, contiguous in memory: at most max_count, and at
  // most up to the end of the ring (call again for the rest). Empty when from is not kept or
  // not yet numbered.
  [[nodiscard]] std::span<const ClientResponse> run(const ClientStream& stream, SeqNum from,
                                                    std::size_t max_count) const noexcept {
    if (from < oldest(stream) || from >= stream.next_response) {
      return {};
    }
    const std::size_t first = (from - 1) & mask_;
    std::size_t count = stream.next_response - from;
    count = count < depth_ - first ? count : depth_ - first;
    count = count < max_count ? count : max_count;
    return {ring_of(stream) + first, count};
  }

  // Calls fn(ClientStream&) for every client id known, in the order they were first seen.
  template <class Fn>
  void for_each(Fn&& fn) noexcept {
    for (std::size_t i = 0; i < count_; ++i) {
      fn(streams_[i]);
    }
  }

  template <class Fn>
  void for_each(Fn&& fn) const noexcept {
    for (std::size_t i = 0; i < count_; ++i) {
      fn(static_cast<const ClientStream&>(streams_[i]));
    }
  }

  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  [[nodiscard]] std::size_t max_clients() const noexcept { return max_clients_; }
  [[nodiscard]] std::size_t depth() const noexcept { return depth_; }

  // Starts the prefault thread: from then on, once a stream has numbered a response since it
  // was created or restored, the slots of its next responses, up to ahead_bytes of them
  // (wrapping round the ring, never more than the ring), are kept committed. Memory committed
  // this way stays committed, as the ring's own writes would leave it. Start-up only, once
  // (allocates, starts a thread); ahead_bytes 0 does nothing. A kernel without
  // MADV_POPULATE_WRITE (before Linux 5.14), or any madvise failure, ends the thread: the rings
  // then commit their pages as the writer reaches them, as without it, and prefault_errno()
  // says why. Throws std::system_error when the thread cannot start.
  void start_prefault(std::size_t ahead_bytes);

  // Any thread. Bytes of ring the prefault thread asked the kernel to commit (whole pages;
  // some may have been committed already); the errno that ended it, 0 while none.
  [[nodiscard]] std::uint64_t prefaulted_bytes() const noexcept {
    return prefaulted_bytes_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] int prefault_errno() const noexcept {
    return prefault_errno_.load(std::memory_order_relaxed);
  }
  // The address range of `client_id`'s ring (for tests); empty when unknown.
  [[nodiscard]] std::span<const ClientResponse> ring_memory(ClientId client_id) const noexcept {
    const ClientStream* stream = find(client_id);
    return stream == nullptr ? std::span<const ClientResponse>{}
                             : std::span<const ClientResponse>{ring_of(*stream), depth_};
  }

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX;
  struct Prefault;

  [[nodiscard]] std::size_t index_of(const ClientStream& stream) const noexcept {
    return static_cast<std::size_t>(&stream - streams_.get());
  }
  [[nodiscard]] ClientResponse* ring_of(const ClientStream& stream) const noexcept {
    return rings_ + index_of(stream) * depth_;
  }
  enum class PrefaultPass { kIdle, kCommitted, kFailed };  // kFailed: the errno is kept
  // One pass over the rings.
  PrefaultPass prefault_pass(Prefault& state) noexcept;
  // Commits the pages of slots first .. first + count - 1 of ring `index`; false on failure.
  bool prefault_slots(const Prefault& state, std::size_t index, std::size_t first,
                      std::size_t count) noexcept;

  std::size_t max_clients_;
  std::size_t depth_;
  std::size_t mask_;
  std::size_t mapped_bytes_ = 0;
  ClientResponse* rings_ = nullptr;
  std::unique_ptr<ClientStream[]> streams_;
  std::size_t count_ = 0;
  common::FixedHashMap<ClientId, std::uint32_t, kNone> index_;
  // Published for the prefault thread: each stream's next_response, the one it was created or
  // restored with, and count_.
  std::unique_ptr<std::atomic<SeqNum>[]> written_;
  std::unique_ptr<std::atomic<SeqNum>[]> origin_;
  std::atomic<std::size_t> published_count_{0};
  std::atomic<std::uint64_t> prefaulted_bytes_{0};
  std::atomic<int> prefault_errno_{0};
  std::unique_ptr<Prefault> prefault_;  // last: stopped first
};

}  // namespace llt::exchange
