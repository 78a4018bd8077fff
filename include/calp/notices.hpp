#pragma once
/// \file
/// The French texts of the SMS and e-mails calp sends, as pure functions: they render a
/// notice and send nothing (hand the result to a `calp::notifier`). Wording follows the
/// Caf's own notices (seed "L'identifiant provisoire - Les notifications sms et mail
/// Caf.fr"): vouvoiement, signed "Votre caisse d'Allocations familiales", and every
/// e-mail ends with the Caf's anti-phishing footer (`notices::email_footer`).
///
/// ```cpp
/// auto issued = calp::issue_code(current, key, person, calp::code_channel::sms, now,
///                                server_key, rules);
/// // ... commit issued->record first (see calp/notifier.hpp), then:
/// notifier.send_sms(calp::notices::verification_code_sms(mobile, issued->code,
///                                                        rules.sms_validity));
/// ```
///
/// Instants are shown in the legal time of metropolitan France (`paris_local_time`) as
/// `28/11/2026 à 12 h 27 (heure de Paris)`: "h" is the French typographic norm for a
/// time of day, and the zone is named because the Caf also serves the overseas
/// departments, where "12 h 27" alone would be read as local time.
///
/// All functions are thread-safe (no shared state) and throw only `std::bad_alloc`,
/// and `std::invalid_argument` for a validity under one minute.

#include <chrono>
#include <string>
#include <string_view>

#include "calp/date.hpp"
#include "calp/ids.hpp"
#include "calp/notifier.hpp"
#include "calp/secret.hpp"
#include "calp/time.hpp"

namespace calp {

/// The legal time in metropolitan France at `t`: UTC+1, and UTC+2 from the last Sunday
/// of March 01:00 UTC (included) to the last Sunday of October 01:00 UTC (excluded), the
/// EU rule (directive 2000/84/EC) in force since 1996. Computed here rather than read
/// from the system's time zone database, which the core does not depend on (and which
/// `std::chrono::zoned_time` cannot reach with GCC 12). Instants before 1996 get the
/// same rule, which differs from history (summer time then ended in September); notices
/// only show recent instants. Should the EU end the clock change, this is the one place
/// to change.
[[nodiscard]] std::chrono::local_seconds paris_local_time(timestamp t) noexcept;

namespace notices {

/// The Caf's anti-phishing paragraph, verbatim from its notices; the last paragraph of
/// every e-mail built here.
inline constexpr std::string_view email_footer =
    "Votre Caf vous recommande de ne pas cliquer sur les liens contenus dans les courriels. "
    "Ils peuvent diriger vers des sites frauduleux. Il est préférable de saisir directement "
    "l'adresse du site dans votre navigateur.";

/// `t` in Paris legal time, `28/11/2026 à 12 h 27 (heure de Paris)`: the form every
/// notice uses, for a host screen that wants to match them.
[[nodiscard]] std::string format_paris_time(timestamp t);

/// SMS carrying a verification code (R13) and its validity, shown in whole minutes
/// rounded down (`10 minutes` for the rule's SMS validity). Throws
/// `std::invalid_argument` when `validity` is under one minute.
[[nodiscard]] sms_notice verification_code_sms(std::string to, const secret& code,
                                               std::chrono::seconds validity);

/// E-mail carrying a verification code (R13) and its validity (`15 minutes` for the
/// rule's e-mail validity). Same rounding and error as `verification_code_sms`.
[[nodiscard]] email_notice verification_code_email(std::string to, const secret& code,
                                                   std::chrono::seconds validity);

/// SMS carrying a forgotten-password code and its validity; tells a person who did not
/// ask that their password is unchanged. Same rounding and error as
/// `verification_code_sms`.
[[nodiscard]] sms_notice recovery_code_sms(std::string to, const secret& code,
                                           std::chrono::seconds validity);

/// E-mail carrying a forgotten-password code and its validity. Same rounding and error
/// as `verification_code_sms`.
[[nodiscard]] email_notice recovery_code_email(std::string to, const secret& code,
                                               std::chrono::seconds validity);

/// The Caf's SMS answering "Identifiant provisoire oublié ?" (R3), seed wording.
[[nodiscard]] sms_notice provisional_id_reminder_sms(std::string to, const provisional_id& id);

/// The Caf's e-mail answering "Identifiant provisoire oublié ?" (R3), seed wording,
/// subject "Votre identifiant provisoire".
[[nodiscard]] email_notice provisional_id_reminder_email(std::string to,
                                                         const provisional_id& id);

/// SMS alert: the password was changed at `when`; contact the Caf if it was not you.
[[nodiscard]] sms_notice password_changed_sms(std::string to, timestamp when);

/// E-mail alert: the password was changed at `when`; contact the Caf if it was not you.
[[nodiscard]] email_notice password_changed_email(std::string to, timestamp when);

/// SMS alert: someone logged in with FranceConnect at `when`; contact the Caf if it was
/// not you.
[[nodiscard]] sms_notice franceconnect_login_sms(std::string to, timestamp when);

/// E-mail alert: someone logged in with FranceConnect at `when`; contact the Caf if it
/// was not you.
[[nodiscard]] email_notice franceconnect_login_email(std::string to, timestamp when);

/// SMS carrying a one-time account activation code and the instant it expires.
[[nodiscard]] sms_notice activation_code_sms(std::string to, const secret& code,
                                             timestamp expires_at);

/// E-mail carrying a one-time account activation code and the instant it expires.
[[nodiscard]] email_notice activation_code_email(std::string to, const secret& code,
                                                 timestamp expires_at);

/// The body of a paper letter carrying a one-time activation code and the instant it
/// expires, for the host's mail merge (it adds address block, date and letterhead).
/// WARNING: the result holds the code in a plain `std::string`; do not log it.
[[nodiscard]] std::string activation_letter_text(const secret& code, timestamp expires_at);

/// `d` as the Caf's screens show a day: `JJ/MM/AAAA` (`15/01/2026`).
[[nodiscard]] std::string format_french_date(date d);

/// Who reads a délégation notice (R7): the allocataire who granted or withdrew it, or
/// the conjoint who received or lost it.
enum class delegation_reader : unsigned char { allocataire, conjoint };

/// SMS: the délégation de gestion was granted on `on`. `other_name` is the other person
/// (the conjoint for the allocataire, the allocataire for the conjoint), as
/// `delegation_screen_data::conjoint_name` shows it.
[[nodiscard]] sms_notice delegation_granted_sms(std::string to, delegation_reader reader,
                                                std::string_view other_name, date on);

/// E-mail: the délégation de gestion was granted on `on`, with what it allows.
[[nodiscard]] email_notice delegation_granted_email(std::string to, delegation_reader reader,
                                                    std::string_view other_name, date on);

/// SMS: the délégation de gestion no longer applies from `on`.
[[nodiscard]] sms_notice delegation_revoked_sms(std::string to, delegation_reader reader,
                                                std::string_view other_name, date on);

/// E-mail: the délégation de gestion no longer applies from `on`.
[[nodiscard]] email_notice delegation_revoked_email(std::string to, delegation_reader reader,
                                                    std::string_view other_name, date on);

}  // namespace notices
}  // namespace calp
