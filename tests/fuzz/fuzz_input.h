#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

// Helpers shared by the libFuzzer targets of tests/fuzz: a reader that turns the fuzzer's
// bytes into decisions, and the check that turns a broken invariant into a finding.
namespace llt::fuzz {

// Reads the fuzz input front to back. Past the end every read returns zeros, so a target
// never needs to check for a short input; done() says when to stop.
class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}

  [[nodiscard]] bool done() const noexcept { return pos_ >= size_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return done() ? 0 : size_ - pos_; }

  std::uint8_t u8() noexcept { return done() ? 0 : data_[pos_++]; }
  std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
  std::uint32_t u32() noexcept { return static_cast<std::uint32_t>(u16() | (u16() << 16)); }
  std::uint64_t u64() noexcept { return u32() | (std::uint64_t{u32()} << 32); }

  // A value in [lo, hi] (hi - lo < 256).
  std::uint32_t range(std::uint32_t lo, std::uint32_t hi) noexcept {
    return lo + u8() % (hi - lo + 1);
  }

  // Up to `max` bytes of the input, in place; returns how many (fewer near the end).
  std::size_t take(std::size_t max, const std::uint8_t*& bytes) noexcept {
    const std::size_t n = max < remaining() ? max : remaining();
    bytes = data_ + pos_;
    pos_ += n;
    return n;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// A broken invariant: print what and abort, which libFuzzer reports as a crash and saves the
// input. Cold.
[[noreturn, gnu::cold]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "FUZZ INVARIANT BROKEN: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace llt::fuzz

// Checks an invariant in every build type (the fuzz preset keeps LLT_ASSERT on too). The
// message is built only when the check fails.
#define LLT_FUZZ_CHECK(cond, ...)                  \
  do {                                             \
    if (!(cond)) {                                 \
      ::llt::fuzz::fail(fmt::format(__VA_ARGS__)); \
    }                                              \
  } while (false)
