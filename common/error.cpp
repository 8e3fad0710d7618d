#include "common/error.h"

#include <cstdio>
#include <cstdlib>

namespace llt::common {

void assert_fail(const char* expr, const char* why, const char* file, int line) noexcept {
  std::fprintf(stderr, "%s:%d: assertion `%s` failed: %s\n", file, line, expr, why);
  std::fflush(stderr);
  std::abort();
}

}  // namespace llt::common
