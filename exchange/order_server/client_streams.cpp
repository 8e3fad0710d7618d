#include "exchange/order_server/client_streams.h"

#include <sys/mman.h>

#include <bit>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

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
      index_(max_clients_) {
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
  // 2 MiB pages where the kernel allows them: a busy client's ring faults in 512 times less
  // often (a replay of a day's journal writes every response once). Advisory.
  (void)::madvise(memory, mapped_bytes_, MADV_HUGEPAGE);
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
  stream->first_kept = first + (kept.size() > depth_ ? kept.size() - depth_ : 0);
  const std::size_t skip = kept.size() > depth_ ? kept.size() - depth_ : 0;
  ClientResponse* ring = ring_of(*stream);
  for (std::size_t i = skip; i < kept.size(); ++i) {
    ring[(kept[i].seq_num - 1) & mask_] = kept[i];
  }
  return true;
}

ClientStreams::~ClientStreams() {
  if (rings_ != nullptr) {
    ::munmap(rings_, mapped_bytes_);
  }
}

}  // namespace llt::exchange
