#pragma once
/// \file
/// Login throttling (R12b) as pure transitions on `calp::throttle_record`, in the style of
/// `verification_code.hpp`: the account service reads the record of an identifier,
/// calls `reserve_attempt` with the current instant, commits the record it returns at
/// the version it read, and only then verifies the password.
///
/// An attempt is counted as a failure *before* the password is checked, and given back
/// by `settle_success` when it turns out right. Counting afterwards would let four
/// servers that read "4 failures" at the same moment check four guesses where one was
/// allowed; reserving first makes the version check of the commit admit exactly as many
/// attempts as the rules do, however many servers share the storage. A server that dies
/// between the two commits leaves a failure counted, which errs on the safe side.
///
/// The rules, with the defaults of R12b:
/// - the first `free_failures` (5) consecutive failures follow one another freely;
/// - the 5th blocks the identifier for `first_delay` (2 min, "beyond 1 minute"), and
///   each further one for twice as long as the previous, up to `max_delay` (1 h);
/// - at most `max_failures_per_window` (25) failures in any span of `window` (24 h): the
///   record keeps the instants of the failures of the last 24 hours, and an attempt is
///   checked only while fewer than 25 of them remain (a sliding window, so no burst at
///   the turn of a fixed window can reach 50);
/// - a success clears the consecutive count and any delay, not the window's count: 25
///   wrong guesses a day stay 25 however many right ones are interleaved.
///
/// The service answers a blocked attempt exactly like a wrong password, after spending
/// one hash verification (`password_hasher::verify_nothing`), so nobody learns from the
/// answer or its timing whether an identifier exists or is blocked.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "calp/storage.hpp"
#include "calp/time.hpp"

namespace calp {

/// The limits of R12b. The defaults are the rule.
struct login_throttle_rules {
  std::uint32_t free_failures = 5;
  std::chrono::seconds first_delay = std::chrono::minutes{2};
  std::chrono::seconds max_delay = std::chrono::hours{1};
  /// At most `max_throttle_instants` (storage.hpp); a larger value counts as that.
  std::uint32_t max_failures_per_window = 25;
  std::chrono::seconds window = std::chrono::hours{24};
};

/// The outcome of `reserve_attempt`.
struct throttle_reservation {
  /// Whether the attempt may be checked. When false there is nothing to commit, and the
  /// attempt must be answered as a wrong password.
  bool allowed = false;
  /// When allowed: the record with this attempt counted as a failure, to commit at the
  /// version read (0 when there was none) before checking the secret.
  throttle_record next;
  /// When not allowed: the first instant at which an attempt would be checked. For the
  /// audit trail and the front desk, never for the person (R12b).
  std::optional<timestamp> blocked_until;
};

/// Reserves one attempt under `key` (the record read under it, if any). Throws
/// `std::invalid_argument` when `current` is under another key.
[[nodiscard]] throttle_reservation reserve_attempt(const std::optional<throttle_record>& current,
                                                   std::string key, timestamp now,
                                                   const login_throttle_rules& rules = {});

/// The record after the attempt reserved at `reserved_at` proved right: the consecutive
/// count and any delay are cleared, and that attempt's failure is given back to the
/// window. Apply it to the record as read now (other attempts may have been reserved
/// since).
[[nodiscard]] throttle_record settle_success(throttle_record current, timestamp reserved_at);

/// When `record` blocks attempts at `now`, the instant it stops doing so.
[[nodiscard]] std::optional<timestamp> blocked_until(const throttle_record& record, timestamp now,
                                                     const login_throttle_rules& rules = {});

}  // namespace calp
