#include "common/net/socket_error.h"

#include <string>

namespace llt::common {

std::system_error socket_error(int error, std::string_view operation, std::string_view target) {
  std::string context(operation);
  if (!target.empty()) {
    context.append(" ").append(target);
  }
  // std::system_error appends ": " and the errno text (strerror) of the generic category.
  return std::system_error(error, std::generic_category(), context);
}

}  // namespace llt::common
