#pragma once
/// \file
/// Password hashing (R12): only an Argon2id hash is stored, in libsodium's
/// `crypto_pwhash_str` form (`$argon2id$v=19$m=…,t=…,p=1$salt$hash`), and a login
/// rehashes when the stored hash was made with other parameters than the current preset.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "calp/secret.hpp"

namespace calp {

/// Argon2id cost: passes over memory (`ops_limit`) and memory in bytes (`mem_limit`).
/// Pick a named preset; a hash made with another preset is flagged by `needs_rehash`.
struct password_hash_params {
  std::uint64_t ops_limit;  ///< passes (Argon2 `t`)
  std::size_t mem_limit;    ///< bytes (Argon2 `m` is this in KiB)

  /// The default for logins: libsodium's interactive preset, 2 passes over 64 MiB, above
  /// the floor of issue 4 and OWASP (19 MiB, 2 passes). About 0.1 s and 64 MiB per
  /// login on a current server core: size the number of concurrent logins accordingly.
  [[nodiscard]] static password_hash_params interactive() noexcept;

  /// libsodium's moderate preset, 3 passes over 256 MiB: for a host that can afford
  /// about 0.5 s and 256 MiB per login.
  [[nodiscard]] static password_hash_params moderate() noexcept;

  /// libsodium's minimum (1 pass, 8 KiB): no protection at all, only so tests stay fast.
  [[nodiscard]] static password_hash_params for_tests() noexcept;

  /// Same cost.
  friend bool operator==(const password_hash_params&, const password_hash_params&) = default;
};

/// Hashes and verifies passwords with one preset. Thread-safe; cheap to copy (copies
/// share the lazily made hash of `verify_nothing`).
class password_hasher {
 public:
  /// Throws `std::invalid_argument` when `params` lie outside libsodium's Argon2id limits,
  /// and `std::runtime_error` when libsodium cannot initialize.
  explicit password_hasher(password_hash_params params);

  /// The preset this hasher hashes with.
  [[nodiscard]] const password_hash_params& params() const noexcept { return params_; }

  /// A new `$argon2id$…` string with a fresh random salt, so two hashes of one password
  /// differ. Throws `std::runtime_error` only when libsodium fails, which in practice
  /// means it could not allocate `mem_limit` bytes: an infrastructure failure, not a
  /// person's mistake.
  [[nodiscard]] std::string hash(const secret& password) const;

  /// True when `password` matches `stored_hash`. False for a wrong password and for
  /// anything that is not a well-formed Argon2id hash (empty, truncated, another
  /// algorithm, garbage); never throws. Takes as long as the parameters inside
  /// `stored_hash` demand, which are those of the preset that made it.
  [[nodiscard]] bool verify(std::string_view stored_hash, const secret& password) const noexcept;

  /// True when `stored_hash` was not made with this hasher's preset, or when its
  /// algorithm and parameters cannot be read as Argon2id's: after a successful `verify`,
  /// store `hash(password)`. Reads only the parameters, not the salt nor the digest, so
  /// it is meaningful only after `verify` accepted the same string.
  [[nodiscard]] bool needs_rehash(std::string_view stored_hash) const noexcept;

  /// Spends one verification at this preset's cost against a hash no password matches,
  /// for a login whose identifier is unknown, throttled or locked (R12b), so that it
  /// takes as long as a wrong password for a known one. The hash is made on the first
  /// call (thread-safe); call it once before serving, or that first login is slower.
  /// Always concludes "no match", so it returns nothing.
  void verify_nothing(const secret& password) const noexcept;

 private:
  struct dummy;
  password_hash_params params_;
  std::shared_ptr<dummy> dummy_;
};

}  // namespace calp
