#pragma once
/// \file
/// `calp::notifier`, the seam through which calp reaches a person by SMS or e-mail. The
/// host implements it over its own SMS gateway and mail relay; calp only decides *what*
/// to say (`calp/notices.hpp`) and *when*. Test and example implementations are in
/// `calp/notifiers.hpp`.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace calp {

/// Why a notice is sent. Lets a host route, rate-limit or template notices per kind
/// without parsing their text, and tells it which texts hold a secret (`carries_secret`).
enum class notice_kind : std::uint8_t {
  verification_code,        ///< "verification_code": proves a mobile number or an address (R13)
  recovery_code,            ///< "recovery_code": forgotten password
  provisional_id_reminder,  ///< "provisional_id_reminder": "identifiant provisoire oublié" (R3)
  password_changed,         ///< "password_changed": alert after the password changed
  franceconnect_login,      ///< "franceconnect_login": alert after a FranceConnect login
  activation_code,          ///< "activation_code": one-time code to activate an account
  delegation_granted,       ///< "delegation_granted": the délégation de gestion was granted (R7)
  delegation_revoked,       ///< "delegation_revoked": the délégation de gestion was withdrawn (R7)
};

/// The stable snake_case name of a kind (the one in its comment above), for logs,
/// metrics and host-side routing; it never changes once released.
[[nodiscard]] std::string_view to_string(notice_kind kind) noexcept;

/// True for the kinds whose text holds a code that opens or changes an account
/// (`verification_code`, `recovery_code`, `activation_code`): their text must never be
/// logged, traced or kept after delivery.
[[nodiscard]] constexpr bool carries_secret(notice_kind kind) noexcept {
  return kind == notice_kind::verification_code || kind == notice_kind::recovery_code ||
         kind == notice_kind::activation_code;
}

/// One SMS, ready to send. `to` is the number as the account holds it; `text` is UTF-8
/// and the gateway chooses its encoding.
/// WARNING: when `carries_secret(kind)`, `text` holds the code in a plain `std::string`
/// (a gateway wants text, not a `calp::secret`): do not log it, copy it around or keep it.
struct sms_notice {
  notice_kind kind;
  std::string to;
  std::string text;
};

/// One e-mail, ready to send: plain UTF-8 text, no HTML and no link (the footer tells
/// the reader Caf e-mails do not ask them to click). Same WARNING as `sms_notice`.
struct email_notice {
  notice_kind kind;
  std::string to;
  std::string subject;
  std::string text;
};

/// What the host implements to deliver notices: through its SMS gateway and its mail
/// relay, a queue in front of them, or anything else.
///
/// Contract (the account service relies on it):
/// - calp calls a notifier only *after* the state change the notice reports was
///   committed (the code's record, the new password...). A notice therefore never
///   announces something that did not happen; a lost notice is the only failure, and
///   the person recovers from it by asking again ("Demander l'envoi d'un nouveau code").
/// - Methods may be called from several threads at once, for different people; an
///   implementation synchronises whatever it shares.
/// - Failure to deliver is reported by throwing, preferably `notifier_error`. The
///   service treats *any* exception from a notifier as "not delivered" and does not
///   undo the committed change.
/// - An implementation must not log, trace or persist the text of a notice for which
///   `carries_secret(kind)` (verification, recovery and activation codes); it may log
///   the kind, the recipient and the outcome.
/// - A call should not block long (it runs inside a person's request, e.g. a login
///   page waiting for its SMS): hand the notice to a queue or an asynchronous client
///   rather than wait for the operator's delivery receipt. This matters for R17 too:
///   a recovery request that finds an account sends, one that does not sends nothing,
///   and only a quick, constant-time hand-off keeps the two answers equally fast.
class notifier {
 public:
  virtual ~notifier() = default;

  /// Sends `notice` as an SMS to `notice.to`. Throws (preferably `notifier_error`) when
  /// it cannot be handed to the gateway.
  virtual void send_sms(const sms_notice& notice) = 0;

  /// Sends `notice` as an e-mail to `notice.to`. Throws (preferably `notifier_error`)
  /// when it cannot be handed to the relay.
  virtual void send_email(const email_notice& notice) = 0;
};

/// A notifier's way to say it could not deliver (gateway down, relay refused...). The
/// account service treats any exception from a notifier as "not delivered"; this type
/// just lets a host tell delivery failures from bugs in its own logs.
/// WARNING: the message must not quote the notice's text (it may hold a code).
class notifier_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace calp
