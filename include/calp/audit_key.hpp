#pragma once
/// \file
/// `calp::audit_key`: the server key that chains the audit trail (R19). Each event's
/// `link` is a keyed BLAKE2b of the event and of the link before it, so whoever can
/// write to the database but does not hold the key cannot edit, remove or reorder an
/// event without `verify_audit_trail` (`calp/audit.hpp`) finding the first broken link.
///
/// Generate one per deployment (`calp audit key`), keep it out of the database, give
/// the same one to every process that writes the trail and to whoever verifies it.
/// Keep it apart from the code key (`calp::code_key`): an auditor who verifies the trail
/// must not be able to forge code hashes.
#include <cstddef>
#include <span>
#include <string_view>

#include "calp/error.hpp"
#include "calp/secret.hpp"

namespace calp {

namespace detail {
struct audit_key_access;
}

/// 32 secret bytes. Move-only, wiped on destruction, not printable: only the audit
/// functions read it. Storages hold one through a `std::shared_ptr<const audit_key>`.
class audit_key {
 public:
  /// Bytes in a key.
  static constexpr std::size_t size = 32;

  /// A new key from libsodium's CSPRNG.
  [[nodiscard]] static audit_key generate();
  /// Exactly `size` bytes. Errors: `errc::audit_key`.
  [[nodiscard]] static result<audit_key> from_bytes(std::span<const unsigned char> bytes);
  /// Exactly `2 * size` hex digits (either case), surrounding ASCII white space ignored
  /// (a key file ends with a newline). Errors: `errc::audit_key`; the message never
  /// quotes the text, which may be a real key with a typo.
  [[nodiscard]] static result<audit_key> from_hex(std::string_view hex);

 private:
  explicit audit_key(secret bytes) noexcept : bytes_(std::move(bytes)) {}
  friend struct detail::audit_key_access;
  secret bytes_;
};

}  // namespace calp
