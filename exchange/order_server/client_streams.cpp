#include "exchange/order_server/client_streams.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include "common/concurrent/thread_utils.h"
#include "exchange/exchange_messages.h"

namespace llt::exchange {
namespace {

std::size_t check_size(std::size_t value, const char* what) {
  if (value == 0 || value > (std::size_t{1} << 32)) {
    throw std::invalid_argument(std::string("client streams: ") + what +
                                " must be between 1 and 2^32");
  }
  return value;
}

}  // namespace

ClientStreams::ClientStreams(std::size_t max_clients, std::size_t depth)
    : max_clients_(check_size(max_clients, "the client count")),
      depth_(std::bit_ceil(check_size(depth, "the replay depth"))),
      mask_(depth_ - 1),
      streams_(std::make_unique<ClientStream[]>(max_clients_)),
      index_(max_clients_),
      written_(std::make_unique<std::atomic<SeqNum>[]>(max_clients_)),
      origin_(std::make_unique<std::atomic<SeqNum>[]>(max_clients_)) {
  mapped_bytes_ = max_clients_ * depth_ * sizeof(ClientResponse);
  void* memory = ::mmap(nullptr, mapped_bytes_, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (memory == MAP_FAILED) {
    throw std::system_error(errno, std::generic_category(),
                            "client streams: reserving " + std::to_string(mapped_bytes_) +
                                " bytes for " + std::to_string(max_clients_) + " clients x " +
                                std::to_string(depth_) + " responses");
  }
  rings_ = static_cast<ClientResponse*>(memory);
  // 4 KiB pages, even where transparent huge pages are on for every mapping: the rings are
  // written and read in order, so a small page costs one TLB miss per 80 responses, while a
  // 2 MiB page the guest has not used recently costs six to ten times more per byte to commit
  // on the virtual machines measured (docs/recovery.md). Advisory.
  (void)::madvise(memory, mapped_bytes_, MADV_NOHUGEPAGE);
}

bool ClientStreams::on_input(const ClientRequest& request) noexcept {
  ClientStream* stream = find_or_add(request.client_id);
  if (stream == nullptr) {
    return false;
  }
  const ClientRequestType type = request.msg_type;
  if (type == ClientRequestType::kLogon) {
    stream->connected = true;
    stream->keep_orders = (request.flags & kFlagKeepOrders) != 0;
  } else if (type == kCancelAllOfClient) {
    stream->connected = false;
  } else if (is_order_type(type)) {
    stream->next_request = request.seq_num + 1;
  }
  return true;
}

std::vector<ClientId> ClientStreams::owed_cancel() const {
  std::vector<ClientId> clients;
  for_each([&](const ClientStream& stream) {
    if (stream.connected && !stream.keep_orders) {
      clients.push_back(stream.client_id);
    }
  });
  return clients;
}

bool ClientStreams::restore(const ClientStream& fields, std::span<const ClientResponse> kept) {
  if (fields.client_id == kInvalidClientId || find(fields.client_id) != nullptr ||
      fields.next_response == 0 || fields.next_request == 0 ||
      kept.size() >= fields.next_response) {
    return false;
  }
  const SeqNum first = fields.next_response - kept.size();
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (kept[i].seq_num != first + i || kept[i].client_id != fields.client_id) {
      return false;
    }
  }
  ClientStream* stream = find_or_add(fields.client_id);
  if (stream == nullptr) {
    return false;
  }
  *stream = fields;
  stream->connection = ClientStream::kNoConnection;
  origin_[index_of(*stream)].store(stream->next_response, std::memory_order_relaxed);
  written_[index_of(*stream)].store(stream->next_response, std::memory_order_relaxed);
  stream->first_kept = first + (kept.size() > depth_ ? kept.size() - depth_ : 0);
  const std::size_t skip = kept.size() > depth_ ? kept.size() - depth_ : 0;
  ClientResponse* ring = ring_of(*stream);
  for (std::size_t i = skip; i < kept.size(); ++i) {
    ring[(kept[i].seq_num - 1) & mask_] = kept[i];
  }
  return true;
}

// The prefault thread (docs/recovery.md, Committing the rings ahead of the writer). Its loop waits
// on `wake` between passes only so the destructor can end it at once.
struct ClientStreams::Prefault {
  std::mutex mutex;
  std::condition_variable wake;
  bool stop = false;
  SeqNum ahead = 0;          // responses to keep committed past a writer's next slot
  std::uintptr_t page = 0;   // the kernel's page size
  std::vector<SeqNum> done;  // per stream: the last response number whose slot it committed
  std::thread thread;
};

namespace {

// How often the prefault thread looks at the writers: every millisecond after a pass that
// committed something, backing off (doubling) to every 16 ms while the writers stand still, so
// an idle exchange is not woken a thousand times a second. At 2 M responses/s into one ring
// (about 100 MB/s) the default 4 MiB ahead last about 40 ms: a writer that starts moving is
// still ahead of the thread's next pass. An idle pass reads two atomics per known client.
constexpr auto kPrefaultPeriod = std::chrono::milliseconds(1);
constexpr auto kPrefaultIdlePeriod = std::chrono::milliseconds(16);

}  // namespace

void ClientStreams::start_prefault(std::size_t ahead_bytes) {
  if (ahead_bytes == 0 || prefault_ != nullptr) {
    return;
  }
  auto prefault = std::make_unique<Prefault>();
  Prefault& state = *prefault;
  state.ahead = (ahead_bytes + sizeof(ClientResponse) - 1) / sizeof(ClientResponse);
  state.page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  state.done.assign(max_clients_, 0);
  // Started before prefault_ is set: if the thread cannot start, nothing is left to join.
  state.thread = common::start_thread("llt-prefault", std::nullopt, [this, &state] {
    std::unique_lock lock(state.mutex);
    std::chrono::milliseconds period = kPrefaultPeriod;
    while (!state.stop) {
      lock.unlock();
      const PrefaultPass pass = prefault_pass(state);
      lock.lock();
      if (pass == PrefaultPass::kFailed) {
        break;
      }
      period = pass == PrefaultPass::kCommitted ? kPrefaultPeriod
                                                : std::min(period * 2, kPrefaultIdlePeriod);
      state.wake.wait_for(lock, period, [&] { return state.stop; });
    }
  });
  prefault_ = std::move(prefault);
}

bool ClientStreams::prefault_slots(const Prefault& state, std::size_t index, std::size_t first,
                                   std::size_t count) noexcept {
  const auto ring = reinterpret_cast<std::uintptr_t>(rings_ + index * depth_);
  const std::uintptr_t from = (ring + first * sizeof(ClientResponse)) & ~(state.page - 1);
  const std::uintptr_t to = ring + (first + count) * sizeof(ClientResponse);
  // NOLINTNEXTLINE(performance-no-int-to-ptr): an address inside the rings' own mapping
  if (::madvise(reinterpret_cast<void*>(from), to - from, MADV_POPULATE_WRITE) != 0) {
    prefault_errno_.store(errno != 0 ? errno : EIO, std::memory_order_relaxed);
    return false;
  }
  prefaulted_bytes_.fetch_add(((to + state.page - 1) & ~(state.page - 1)) - from,
                              std::memory_order_relaxed);
  return true;
}

ClientStreams::PrefaultPass ClientStreams::prefault_pass(Prefault& state) noexcept {
  PrefaultPass result = PrefaultPass::kIdle;
  const std::size_t count = published_count_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < count; ++i) {
    const SeqNum next = written_[i].load(std::memory_order_relaxed);
    if (next == origin_[i].load(std::memory_order_relaxed)) {
      continue;  // no response since the stream was created or restored
    }
    // The slots of responses next .. next + ahead - 1 (the writer has committed the ones
    // before next by writing them); those up to done are committed already.
    const SeqNum last = next - 1 + state.ahead;
    const SeqNum from = std::max(state.done[i] + 1, next);
    if (last < from) {
      continue;
    }
    const std::size_t slots = static_cast<std::size_t>(std::min<SeqNum>(last - from + 1, depth_));
    const std::size_t first = static_cast<std::size_t>((from - 1) & mask_);
    const std::size_t before_end = std::min(slots, depth_ - first);
    if (!prefault_slots(state, i, first, before_end) ||
        (slots > before_end && !prefault_slots(state, i, 0, slots - before_end))) {
      return PrefaultPass::kFailed;
    }
    state.done[i] = last;
    result = PrefaultPass::kCommitted;
  }
  return result;
}

ClientStreams::~ClientStreams() {
  if (prefault_ != nullptr) {
    {
      const std::lock_guard lock(prefault_->mutex);
      prefault_->stop = true;
    }
    prefault_->wake.notify_one();
    prefault_->thread.join();
  }
  if (rings_ != nullptr) {
    ::munmap(rings_, mapped_bytes_);
  }
}

}  // namespace llt::exchange
