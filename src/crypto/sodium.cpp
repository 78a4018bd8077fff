#include "crypto/sodium.hpp"

#include <sodium.h>

#include <mutex>
#include <stdexcept>

namespace calp::detail {

void ensure_sodium() {
  static std::once_flag once;
  // An exception leaves the flag unset, so a later call tries again rather than
  // proceeding with an uninitialized libsodium.
  std::call_once(once, [] {
    if (sodium_init() < 0) {
      throw std::runtime_error("calp: libsodium failed to initialize");
    }
  });
}

}  // namespace calp::detail
