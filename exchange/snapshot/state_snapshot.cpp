#include "exchange/snapshot/state_snapshot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <type_traits>

#include "exchange/journal/crc32c.h"
#include "exchange/journal/journal_error.h"

namespace llt::exchange {
namespace {

namespace fs = std::filesystem;

// docs/snapshots.md: the file is a 64-byte header, the body, and the body's crc32c.
constexpr char kMagic[8] = {'L', 'L', 'T', 'S', 'N', 'A', 'P', '\0'};
constexpr std::size_t kHeaderSize = 64;
constexpr std::string_view kPrefix = "snapshot-";
constexpr std::string_view kSuffix = ".llts";
constexpr std::size_t kDigits = 20;

// Appends little-endian fields to a byte buffer.
class Encoder {
 public:
  template <class T>
  void put(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* bytes = reinterpret_cast<const char*>(&value);
    bytes_.insert(bytes_.end(), bytes, bytes + sizeof(T));
  }
  void put_bytes(const void* data, std::size_t size) {
    if (size == 0) {
      return;  // data may be an empty vector's null data()
    }
    const auto* bytes = static_cast<const char*>(data);
    bytes_.insert(bytes_.end(), bytes, bytes + size);
  }
  [[nodiscard]] std::vector<char>& bytes() noexcept { return bytes_; }

 private:
  std::vector<char> bytes_;
};

// Reads fields back, throwing JournalError(file, offset, ...) past the end.
class Decoder {
 public:
  Decoder(const std::string& path, const std::vector<char>& bytes, std::size_t offset,
          std::size_t end)
      : path_(path), bytes_(bytes), offset_(offset), end_(end) {}

  template <class T>
  T get(const char* what) {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    get_bytes(&value, sizeof(T), what);
    return value;
  }
  void get_bytes(void* out, std::size_t size, const char* what) {
    if (size == 0) {
      return;  // out may be an empty vector's null data()
    }
    if (end_ - offset_ < size) {
      fail(std::string("short file: ") + what + " cut off");
    }
    std::memcpy(out, bytes_.data() + offset_, size);
    offset_ += size;
  }
  [[noreturn]] void fail(const std::string& problem) const {
    throw JournalError(path_, offset_, problem);
  }
  [[nodiscard]] std::size_t offset() const noexcept { return offset_; }
  [[nodiscard]] std::size_t left() const noexcept { return end_ - offset_; }

 private:
  const std::string& path_;
  const std::vector<char>& bytes_;
  std::size_t offset_;
  std::size_t end_;
};

void encode_body(Encoder& out, const StateSnapshot& snapshot) {
  for (const SnapshotBook& book : snapshot.books) {
    out.put<std::uint32_t>(book.ticker_id);
    out.put<std::uint32_t>(0);
    out.put<std::uint64_t>(book.next_market_order_id);
    out.put<std::uint64_t>(book.next_priority);
    out.put<std::uint64_t>(book.trades);
    out.put<std::uint64_t>(book.orders.size());
    for (const SnapshotOrder& order : book.orders) {
      out.put<std::uint64_t>(order.market_order_id);
      out.put<std::uint64_t>(order.client_order_id);
      out.put<std::uint64_t>(order.priority);
      out.put<std::int64_t>(order.price);
      out.put<std::uint32_t>(order.client_id);
      out.put<std::uint32_t>(order.qty);
      out.put<std::uint8_t>(static_cast<std::uint8_t>(order.side));
      out.put_bytes("\0\0\0\0\0\0\0", 7);
    }
  }
  for (const SnapshotClient& client : snapshot.clients) {
    const ClientStream& stream = client.stream;
    out.put<std::uint32_t>(stream.client_id);
    out.put<std::uint8_t>(stream.keep_orders ? 1 : 0);
    out.put<std::uint8_t>(stream.connected ? 1 : 0);
    out.put<std::uint16_t>(0);
    out.put<std::uint64_t>(stream.next_request);
    out.put<std::uint64_t>(stream.next_response);
    out.put<std::uint64_t>(stream.bought);
    out.put<std::uint64_t>(stream.sold);
    out.put<std::uint64_t>(client.kept.size());
    out.put_bytes(client.kept.data(), client.kept.size() * sizeof(ClientResponse));
  }
  out.put<std::uint64_t>(snapshot.md_tail.size());
  out.put_bytes(snapshot.md_tail.data(), snapshot.md_tail.size() * sizeof(MarketUpdate));
}

void decode_body(Decoder& in, StateSnapshot& snapshot, std::uint32_t books, std::uint32_t clients) {
  constexpr std::size_t kOrderBytes = 48;
  snapshot.books.resize(books);
  for (SnapshotBook& book : snapshot.books) {
    book.ticker_id = in.get<std::uint32_t>("book header");
    (void)in.get<std::uint32_t>("book header");
    book.next_market_order_id = in.get<std::uint64_t>("book header");
    book.next_priority = in.get<std::uint64_t>("book header");
    book.trades = in.get<std::uint64_t>("book header");
    const auto count = in.get<std::uint64_t>("book header");
    if (count > in.left() / kOrderBytes) {
      in.fail("book of ticker " + std::to_string(book.ticker_id) + " claims " +
              std::to_string(count) + " orders, more than the file holds");
    }
    book.orders.resize(count);
    for (SnapshotOrder& order : book.orders) {
      order.market_order_id = in.get<std::uint64_t>("order");
      order.client_order_id = in.get<std::uint64_t>("order");
      order.priority = in.get<std::uint64_t>("order");
      order.price = in.get<std::int64_t>("order");
      order.client_id = in.get<std::uint32_t>("order");
      order.qty = in.get<std::uint32_t>("order");
      order.side = static_cast<Side>(in.get<std::uint8_t>("order"));
      char pad[7];
      in.get_bytes(pad, sizeof pad, "order");
    }
  }
  snapshot.clients.resize(clients);
  for (SnapshotClient& client : snapshot.clients) {
    ClientStream& stream = client.stream;
    stream.client_id = in.get<std::uint32_t>("client");
    stream.keep_orders = in.get<std::uint8_t>("client") != 0;
    stream.connected = in.get<std::uint8_t>("client") != 0;
    (void)in.get<std::uint16_t>("client");
    stream.next_request = in.get<std::uint64_t>("client");
    stream.next_response = in.get<std::uint64_t>("client");
    stream.bought = in.get<std::uint64_t>("client");
    stream.sold = in.get<std::uint64_t>("client");
    const auto kept = in.get<std::uint64_t>("client");
    if (kept > in.left() / sizeof(ClientResponse)) {
      in.fail("client " + std::to_string(stream.client_id) + " claims " + std::to_string(kept) +
              " kept responses, more than the file holds");
    }
    client.kept.resize(kept);
    in.get_bytes(client.kept.data(), kept * sizeof(ClientResponse), "kept responses");
  }
  const auto tail = in.get<std::uint64_t>("market data tail");
  if (tail > in.left() / sizeof(MarketUpdate)) {
    in.fail("the market data tail claims " + std::to_string(tail) +
            " records, more than the file holds");
  }
  snapshot.md_tail.resize(tail);
  in.get_bytes(snapshot.md_tail.data(), tail * sizeof(MarketUpdate), "market data tail");
  for (std::size_t i = 0; i < snapshot.md_tail.size(); ++i) {
    if (snapshot.md_tail[i].seq_num != snapshot.md_seq - tail + 1 + i) {
      in.fail("the market data tail is not numbered up to the last market data number");
    }
  }
  if (in.left() != 0) {
    in.fail(std::to_string(in.left()) + " bytes after the market data tail");
  }
}

void write_all(int fd, const char* data, std::size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw JournalError(path, 0, std::string("cannot write: ") + errno_text(errno));
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

std::vector<char> read_whole(const std::string& name) {
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    const int error = errno;
    if (fd >= 0) {
      ::close(fd);
    }
    throw JournalError(name, 0, std::string("cannot open the snapshot: ") + errno_text(error));
  }
  std::vector<char> bytes(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      const int error = n < 0 ? errno : 0;
      ::close(fd);
      if (n == 0) {
        bytes.resize(done);  // shorter than fstat said: the sizes check below says so
        return bytes;
      }
      throw JournalError(name, done, std::string("cannot read: ") + errno_text(error));
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return bytes;
}

}  // namespace

std::string snapshot_file_name(std::uint64_t next_index) {
  std::string digits = std::to_string(next_index);
  return std::string(kPrefix) + std::string(kDigits - std::min(kDigits, digits.size()), '0') +
         digits + std::string(kSuffix);
}

std::optional<std::uint64_t> parse_snapshot_file_name(const std::string& name) {
  if (name.size() != kPrefix.size() + kDigits + kSuffix.size() || !name.starts_with(kPrefix) ||
      !name.ends_with(kSuffix)) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (std::size_t i = kPrefix.size(); i < kPrefix.size() + kDigits; ++i) {
    if (name[i] < '0' || name[i] > '9') {
      return std::nullopt;
    }
    const auto digit = static_cast<std::uint64_t>(name[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) {
      return std::nullopt;
    }
    value = value * 10 + digit;
  }
  return value == 0 ? std::nullopt : std::optional<std::uint64_t>(value);
}

std::vector<fs::path> list_snapshots(const fs::path& directory) {
  std::vector<std::pair<std::uint64_t, fs::path>> found;
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    if (const auto index = parse_snapshot_file_name(it->path().filename().string())) {
      found.emplace_back(*index, it->path());
    }
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    throw JournalError(directory.string(), 0, "cannot list the directory: " + ec.message());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> paths;
  paths.reserve(found.size());
  for (auto& [index, path] : found) {
    paths.push_back(std::move(path));
  }
  return paths;
}

fs::path write_state_snapshot(const fs::path& directory, const StateSnapshot& snapshot) {
  Encoder body;
  encode_body(body, snapshot);
  const std::uint32_t body_crc = crc32c(body.bytes().data(), body.bytes().size());

  Encoder header;
  header.put_bytes(kMagic, sizeof kMagic);
  header.put<std::uint32_t>(kSnapshotVersion);
  header.put<std::uint32_t>(0);
  header.put<std::uint64_t>(snapshot.next_index);
  header.put<std::uint64_t>(snapshot.md_seq);
  header.put<std::uint32_t>(static_cast<std::uint32_t>(snapshot.books.size()));
  header.put<std::uint32_t>(static_cast<std::uint32_t>(snapshot.clients.size()));
  header.put<std::uint64_t>(body.bytes().size());
  header.put_bytes("\0\0\0\0\0\0\0\0\0\0\0\0", 12);
  header.put<std::uint32_t>(crc32c(header.bytes().data(), header.bytes().size()));

  fs::path path = directory / snapshot_file_name(snapshot.next_index);
  const fs::path temporary = path.string() + ".tmp";
  const std::string temporary_name = temporary.string();
  const int fd = ::open(temporary_name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw JournalError(temporary_name, 0, std::string("cannot create: ") + errno_text(errno));
  }
  try {
    write_all(fd, header.bytes().data(), header.bytes().size(), temporary_name);
    write_all(fd, body.bytes().data(), body.bytes().size(), temporary_name);
    write_all(fd, reinterpret_cast<const char*>(&body_crc), sizeof body_crc, temporary_name);
    if (::fsync(fd) != 0) {
      throw JournalError(temporary_name, 0, std::string("cannot sync: ") + errno_text(errno));
    }
  } catch (...) {
    ::close(fd);
    ::unlink(temporary_name.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(temporary_name.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary_name.c_str());
    throw JournalError(path.string(), 0, std::string("cannot rename: ") + errno_text(error));
  }
  const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    (void)::fsync(dir_fd);
    ::close(dir_fd);
  }
  return path;
}

StateSnapshot read_state_snapshot(const fs::path& path) {
  const std::string name = path.string();
  const std::vector<char> bytes = read_whole(name);
  Decoder header(name, bytes, 0, std::min(bytes.size(), kHeaderSize));
  char magic[8];
  header.get_bytes(magic, sizeof magic, "header");
  if (std::memcmp(magic, kMagic, sizeof kMagic) != 0) {
    throw JournalError(name, 0, "not a snapshot file (bad magic)");
  }
  const auto version = header.get<std::uint32_t>("header");
  if (version != kSnapshotVersion) {
    throw JournalError(name, 8,
                       "snapshot version " + std::to_string(version) + ", this exchange reads " +
                           std::to_string(kSnapshotVersion));
  }
  (void)header.get<std::uint32_t>("header");
  StateSnapshot snapshot;
  snapshot.next_index = header.get<std::uint64_t>("header");
  snapshot.md_seq = header.get<std::uint64_t>("header");
  const auto books = header.get<std::uint32_t>("header");
  const auto clients = header.get<std::uint32_t>("header");
  const auto body_bytes = header.get<std::uint64_t>("header");
  char reserved[12];
  header.get_bytes(reserved, sizeof reserved, "header");
  const auto header_crc = header.get<std::uint32_t>("header");
  if (crc32c(bytes.data(), kHeaderSize - sizeof header_crc) != header_crc) {
    throw JournalError(name, 0, "header crc mismatch");
  }
  if (body_bytes > bytes.size() ||
      bytes.size() - kHeaderSize != body_bytes + sizeof(std::uint32_t)) {
    throw JournalError(name, kHeaderSize,
                       "the header says " + std::to_string(body_bytes) +
                           " body bytes, the file holds " + std::to_string(bytes.size()));
  }
  std::uint32_t body_crc = 0;
  std::memcpy(&body_crc, bytes.data() + kHeaderSize + body_bytes, sizeof body_crc);
  if (crc32c(bytes.data() + kHeaderSize, body_bytes) != body_crc) {
    throw JournalError(name, kHeaderSize, "body crc mismatch");
  }
  if (parse_snapshot_file_name(path.filename().string()) != snapshot.next_index) {
    throw JournalError(name, 16,
                       "the header's next index " + std::to_string(snapshot.next_index) +
                           " does not match the file name");
  }
  Decoder body(name, bytes, kHeaderSize, kHeaderSize + body_bytes);
  decode_body(body, snapshot, books, clients);
  return snapshot;
}

}  // namespace llt::exchange
