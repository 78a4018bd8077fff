#pragma once
/// \file
/// Reading and masking the contact points a code is sent to (R13, R14): a French mobile
/// number or an e-mail address, as a person types them in the seed's "Coordonnées de
/// contact" screen.

#include <string>
#include <string_view>

#include "calp/error.hpp"
#include "calp/storage.hpp"

namespace calp {

/// A French mobile number in E.164 form (`+33612154545`), from what a person types:
/// `06 12 15 45 45`, `06.12.15.45.45`, `06-12-15-45-45`, `+33 6 12 15 45 45`,
/// `0033612154545`. Mobile means a national number starting with 6 or 7. Overseas
/// mobiles are among them but take the E.164 code of their territory, as an SMS must be
/// sent: 0690/0691 → +590 (Guadeloupe, Saint-Martin, Saint-Barthélemy), 0694 → +594
/// (Guyane), 0696/0697 → +596 (Martinique), 0692/0693 and 0639 → +262 (La Réunion,
/// Mayotte); they are accepted typed nationally, after that code, or after +33 (the
/// usual slip). Errors: `errc::contact_mobile`; the message does not quote the input.
[[nodiscard]] result<std::string> parse_mobile(std::string_view typed);

/// An e-mail address, trimmed, its domain in lower case (the local part is kept as
/// typed: only the receiving server may fold it). At most 254 bytes; exactly one `@`
/// with 1 to 64 bytes before it; a domain of dot-separated labels of letters, digits and
/// hyphens, with at least one dot; ASCII only, no spaces, control characters or quotes
/// (`"`, `\`, `()<>[],;:`) before the `@`. Stricter than RFC 5322 on purpose: an
/// address a mail relay may mangle is not one to send codes to. Errors:
/// `errc::contact_email`; the message does not quote the input.
[[nodiscard]] result<std::string> parse_email(std::string_view typed);

/// `parse_mobile` or `parse_email`, by kind.
[[nodiscard]] result<std::string> parse_contact(contact_kind kind, std::string_view typed);

/// How a screen or the audit trail shows a contact point without giving it away:
/// `06 ** ** ** 45` for a mobile (as the seed shows the number back, but masked),
/// `d***@test.fr` for an e-mail address.
[[nodiscard]] std::string masked(const contact_point& c);

/// The national form of a number `parse_mobile` returned, `06 12 15 45 45` (`06 90 12 34
/// 56` for `+590690123456`), for the screen that says where the code went ("au numéro
/// suivant 06 12 15 45 45"). Anything else is returned unchanged.
[[nodiscard]] std::string national_mobile(std::string_view e164);

}  // namespace calp
