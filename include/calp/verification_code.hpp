#pragma once
/// \file
/// Verification codes (R13): the 6-digit codes that prove a mobile number or an e-mail
/// address. This file holds the rules as pure transitions on `calp::challenge_record`;
/// the account service reads the record, calls one of them with the current instant,
/// and commits the record they return. Nothing here reads the clock or the storage.
///
/// The limits hold across application servers because of the storage's versions, not
/// because of anything in this file: the caller must commit `next` at the version it
/// read. Two servers that check the same right code from the same read both compute
/// `accepted`, but only one commit succeeds; the other gets `errc::storage_conflict`,
/// reads again, checks again, and now sees `already_used`. Wrong entries race the same
/// way, so no interleaving lets a sixth guess at one code through.
///
/// ```cpp
/// auto read = store.find_challenge(key);  // absent: no code was sent
/// auto check = calp::check_code(read->value, typed, now, server_key);
/// if (!check.changed) return check.outcome;  // nothing to record
/// calp::write_batch batch;
/// batch.put(check.next, read->version);  // compare-and-set on the version read
/// if (!store.commit(batch)) { /* storage_conflict: read again, check again */ }
/// ```
///
/// `accepted` means nothing until that commit succeeds. Issuing works alike: commit
/// `issued_code::record` at the version the current record was read at (0 when there
/// was none), so two concurrent requests cannot both take the third code.
///
/// Choices the rule leaves open, fixed here:
/// - A code is valid strictly before `issued_at + validity`: issued at 10:00:00 by SMS,
///   it opens at 10:09:59 and is expired at 10:10:00.
/// - The typed code is read after removing ASCII spaces (people copy `123 456`); what is
///   left must be exactly 6 ASCII digits, else the entry is `malformed` and does not
///   count as an attempt: the limit rate-limits guesses (NIST SP 800-63B §5.2.2), and a
///   text that cannot be a code guesses nothing. The login throttle (R12b) bounds how
///   often anyone may type at all.
/// - The 5th wrong entry answers `void_too_many_attempts`, not `wrong`, so the screen can
///   offer a new code at once.
/// - The counter of issued codes never resets under one key; "modifier vos coordonnées"
///   uses a new key (a new contact point), and the service erases the record when it
///   wants to start over.
///
/// The stored hash is a keyed BLAKE2b (`crypto_generichash`) with a 32-byte server key
/// over the challenge key and the code: without the server key a leaked database does
/// not give the 10^6 codes away by brute force, and a hash copied under another key
/// does not verify there.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "calp/error.hpp"
#include "calp/ids.hpp"
#include "calp/secret.hpp"
#include "calp/storage.hpp"
#include "calp/time.hpp"

namespace calp {

namespace detail {
struct code_key_access;
}  // namespace detail

/// How the code reaches the person; it sets the validity (R13).
enum class code_channel : std::uint8_t { sms, email };

/// `"sms"`, `"email"`: the payload of a record `issue_code` builds.
[[nodiscard]] std::string_view to_string(code_channel c) noexcept;

/// The limits of R13. The defaults are the rule; a host changes them only when the
/// Caf changes the rule.
struct verification_code_rules {
  std::chrono::seconds sms_validity = std::chrono::minutes{10};
  std::chrono::seconds email_validity = std::chrono::minutes{15};
  /// New codes a person may ask for per challenge key (per contact point) after the
  /// first one: the seed's "Nombre maximum d'envoi d'un nouveau code : 3 fois pour
  /// chaque coordonnée", so 4 codes in all.
  std::uint32_t max_new_codes = 3;
  /// Wrong entries per code; the entry that reaches it voids the code.
  std::uint32_t max_failed_attempts = 5;

  /// The validity of a code sent through `c`.
  [[nodiscard]] std::chrono::seconds validity(code_channel c) const noexcept {
    return c == code_channel::sms ? sms_validity : email_validity;
  }
};

/// The server key of the code hashes. Generate one per deployment, keep it in the
/// host's configuration (every application server needs the same one), and load it
/// with `from_hex`. Changing it voids every code in flight, nothing else.
///
/// Move-only, wiped on destruction, and deliberately not printable: no stream operator,
/// no accessor; only the code functions read it.
class code_key {
 public:
  /// Bytes in a key.
  static constexpr std::size_t size = 32;

  /// A new key from libsodium's CSPRNG.
  [[nodiscard]] static code_key generate();
  /// Exactly `size` bytes. Errors: `errc::code_key`.
  [[nodiscard]] static result<code_key> from_bytes(std::span<const unsigned char> bytes);
  /// Exactly `2 * size` hex digits (either case). Errors: `errc::code_key`; the message
  /// never quotes the text, which may be a real key with a typo.
  [[nodiscard]] static result<code_key> from_hex(std::string_view hex);

 private:
  explicit code_key(secret bytes) noexcept : bytes_(std::move(bytes)) {}
  friend struct detail::code_key_access;
  secret bytes_;
};

/// A new code and the record to commit for it.
struct issued_code {
  /// The record to put at the version `current` was read at (0 when there was none).
  challenge_record record;
  /// The 6 digits to send; never stored, never logged.
  secret code;
};

/// Starts a new code under `key` (1 to 256 bytes), replacing the one in `current`
/// (which must be the record read under `key`, if any): the failed attempts and the
/// consumed mark start over, the issued count carries over plus one, and the payload
/// holds `to_string(channel)` (the service may replace it; the code functions never
/// read it). Errors: `errc::code_limit` when the first code and `rules.max_new_codes`
/// new ones were already issued under `key`. Throws `std::invalid_argument` when `key` is empty, too long, or
/// differs from `current->key`: a service bug, not a person's mistake.
[[nodiscard]] result<issued_code> issue_code(const std::optional<challenge_record>& current,
                                             std::string key, std::optional<person_id> person,
                                             code_channel channel, timestamp now,
                                             const code_key& server_key,
                                             const verification_code_rules& rules = {});

/// What an entry of a code came to.
enum class code_outcome : std::uint8_t {
  accepted,                ///< the right code, in time, first use: commit `next` before acting on it
  wrong,                   ///< not the code; one attempt counted
  expired,                 ///< the validity has passed; nothing counted
  void_too_many_attempts,  ///< the limit of wrong entries is reached (by this entry or before)
  already_used,            ///< accepted once already
  malformed,               ///< not 6 digits once spaces are removed; nothing counted
};

/// `"accepted"`, `"wrong"`, `"expired"`, `"void_too_many_attempts"`, `"already_used"`,
/// `"malformed"`: stable names for the audit trail.
[[nodiscard]] std::string_view to_string(code_outcome o) noexcept;

/// The outcome of `check_code` and the record to commit.
struct code_check {
  code_outcome outcome = code_outcome::malformed;
  /// The record after this entry: to put at the version the checked record was read at.
  challenge_record next;
  /// Whether `next` differs from the checked record; when false there is nothing to
  /// commit (the entry changed nothing).
  bool changed = false;
  /// Wrong entries still allowed against this code after this one.
  std::uint32_t attempts_left = 0;
};

/// Checks `typed` against the code of `current`. In this order: a consumed record is
/// `already_used`, one at the attempt limit `void_too_many_attempts`, one at or past
/// `expires_at` `expired`, a text that is not 6 digits `malformed`; only then is the
/// code compared (keyed hash, constant time), giving `accepted` (and `next.consumed`)
/// or a counted wrong entry. See the file comment for the commit contract.
[[nodiscard]] code_check check_code(const challenge_record& current, std::string_view typed,
                                    timestamp now, const code_key& server_key,
                                    const verification_code_rules& rules = {});

}  // namespace calp
