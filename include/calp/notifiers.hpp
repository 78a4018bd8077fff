#pragma once
/// \file
/// Two ready-made `calp::notifier`s: `recording_notifier` for tests (keeps what was sent,
/// fails on demand) and `console_notifier` for examples and demos (prints what would be
/// sent). Neither is meant for production: both show or keep the text of codes, which
/// the notifier contract forbids a real gateway to do.

#include <cstddef>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calp/notifier.hpp"

namespace calp {

/// Keeps every notice sent, in the order of the sends, so a test can read back the code
/// a flow sent and assert on what a person was told; can be told to fail, to test what
/// a flow does when a notice is not delivered. Thread-safe: every member may be called
/// from several threads at once (each send is recorded whole, in one place of the
/// order).
/// WARNING: for tests only; it keeps codes in memory in plain text.
class recording_notifier : public notifier {
 public:
  recording_notifier() = default;

  /// Records `notice`, or throws `notifier_error` without recording it when a failure
  /// is pending (`fail_next`).
  void send_sms(const sms_notice& notice) override;

  /// Records `notice`, or throws `notifier_error` without recording it when a failure
  /// is pending (`fail_next`).
  void send_email(const email_notice& notice) override;

  /// The SMS delivered so far, oldest first (a copy, safe to keep while others send).
  [[nodiscard]] std::vector<sms_notice> sms() const;

  /// The e-mails delivered so far, oldest first (a copy).
  [[nodiscard]] std::vector<email_notice> emails() const;

  /// The latest SMS delivered to exactly `to`, if any.
  [[nodiscard]] std::optional<sms_notice> last_sms_to(std::string_view to) const;

  /// The latest e-mail delivered to exactly `to`, if any.
  [[nodiscard]] std::optional<email_notice> last_email_to(std::string_view to) const;

  /// Makes the next `count` sends (SMS and e-mails alike, in whatever order they come)
  /// throw `notifier_error` and record nothing; replaces any count still pending, so
  /// `fail_next(0)` cancels it.
  void fail_next(std::size_t count);

  /// How many sends were refused by `fail_next` since construction or `clear`.
  [[nodiscard]] std::size_t failures() const;

  /// Forgets every notice, the failure count and any pending failure.
  void clear();

 private:
  // Returns true when this send must fail; consumes one pending failure.
  bool take_failure();

  mutable std::mutex mutex_;
  std::vector<sms_notice> sms_;
  std::vector<email_notice> emails_;
  std::size_t pending_failures_ = 0;
  std::size_t failures_ = 0;
};

/// Prints each notice as a block, for examples and demos:
///
/// ```text
/// SMS à +33612345678 (verification_code) :
///   Votre code de vérification Caf : 123456.
///   Il est valable 10 minutes. Ne le communiquez à personne.
///
/// Mail à daniel.morvan@test.fr, objet « Votre identifiant provisoire » (provisional_id_reminder) :
///   Bonjour,
///   ...
/// ```
///
/// The headings put a no-break space (U+00A0) before ":" and inside « », as every French
/// text of calp but the SMS bodies (tests/unit/french_messages_test.cpp).
///
/// The text is indented by two spaces (blank lines stay empty), and a blank line ends
/// the block. Thread-safe: one block is written whole, under a lock, then flushed; two
/// console notifiers on the same stream do not share that lock, so use one per stream.
/// Throws `notifier_error` when the stream is in a failed state after writing.
/// WARNING: prints codes in clear; for examples only.
class console_notifier : public notifier {
 public:
  /// Writes to `out`, which must outlive this notifier.
  explicit console_notifier(std::ostream& out) noexcept : out_(out) {}

  void send_sms(const sms_notice& notice) override;
  void send_email(const email_notice& notice) override;

 private:
  void write(const std::string& block);

  std::mutex mutex_;
  std::ostream& out_;
};

}  // namespace calp
