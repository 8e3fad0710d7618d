#include "exchange/order_server/client_streams.h"

#include <sys/mman.h>

#include <bit>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

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

ClientStreams::~ClientStreams() {
  if (rings_ != nullptr) {
    ::munmap(rings_, mapped_bytes_);
  }
}

}  // namespace llt::exchange
