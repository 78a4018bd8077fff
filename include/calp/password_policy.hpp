#pragma once
/// \file
/// The password rules of R12: what a new password must satisfy before it is hashed.
/// `check_password` is a pure function of its inputs: no I/O, no clock, no state, safe
/// to call from any thread. It returns the status of each rule, so a screen can tick
/// them one by one as the person types (the seed's ✓ list), and the reasons for a
/// refusal, never the password.
///
/// \code
///   calp::secret typed{form["password"]}, again{form["confirmation"]};
///   const auto check = calp::check_password(calp::password_policy{}, typed, again,
///                                           {person_nir, birth_date, {"Dupont", "Élodie"}});
///   if (!check.valid) {
///     for (const auto r : check.refusals) show(calp::french_message(r));
///   }
/// \endcode
///
/// The password is read as UTF-8 exactly as typed and never normalised (no NFC): the
/// bytes checked here are the bytes that will be hashed, so a login with the same
/// keystrokes matches. A decomposed `é` (`e` followed by U+0301) is therefore an `e`
/// and a combining mark, two code points.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calp/date.hpp"
#include "calp/nir.hpp"
#include "calp/secret.hpp"

namespace calp {

/// The configurable rules. The defaults are those of the seed (R12); a host may make
/// them stricter (a longer minimum, say), and each field says what relaxing it means.
struct password_policy {
  /// Bounds on the length, counted in Unicode code points, not bytes: `é` is one.
  std::size_t min_length = 8;
  std::size_t max_length = 24;
  /// At least one ASCII digit `0`–`9`.
  bool require_digit = true;
  /// At least one lower-case letter of the French alphabet: `a`–`z` and
  /// `é è ê ë à â ä î ï ô ö ù û ü ÿ ç æ œ`. Letters of other scripts (`я`, `ω`, `ñ`)
  /// count toward the length only.
  bool require_lower = true;
  /// At least one upper-case letter of the French alphabet: `A`–`Z` and
  /// `É È Ê Ë À Â Ä Î Ï Ô Ö Ù Û Ü Ÿ Ç Æ Œ`.
  bool require_upper = true;
  /// Refuse a password on the block-list shipped with calp (see `is_common_password`).
  bool refuse_common = true;
  /// Refuse a password containing the person's NIR, birth date or names (see
  /// `password_personal_data`).
  bool refuse_personal_data = true;
};

/// What the password must not contain (R12). Any of it may be absent: a first connection
/// knows the NIR and the birth date, a primo-demandeur may have no NIR yet.
///
/// How each is looked for, in the password first folded as described at `check_password`:
/// - `nir`: its 13-character body (the NIR without its key, so the whole 15 characters
///   are caught too), in the password with the separators `nir::parse` accepts removed
///   (spaces, no-break spaces, `.`, `-`), since that is how a NIR is commonly written
///   (`2 84 05 …`); `2A`/`2B` match in either case. Shorter pieces (the birth year and
///   month, the commune) are not looked for.
/// - `birth_date`: the digits of the date in the forms people write it, after removing
///   spaces, `/`, `-`, `.` and `_` from the password: `DDMMYYYY`, `DDMMYY`, `YYYYMMDD`,
///   `MMDDYYYY`, and `D`/`M` without their leading zero when they are below 10
///   (`1/3/1985`), for every form of at least 6 digits. So `12/03/1985`, `1985-03-12`,
///   `120385` are refused; the year alone (`1985`) or the day and month alone (`1203`)
///   are not: far too many passwords would match them by chance.
/// - `names`: each name, and each part of a name of at least 3 letters separated by
///   spaces, hyphens or apostrophes (`Dupont-Martin` gives `dupontmartin`, `dupont`,
///   `martin`), compared after the same folding as the password. Parts shorter than 3
///   letters (`Li`, `Ba`) are ignored: they occur inside too many words. A name that is
///   not UTF-8 is ignored.
struct password_personal_data {
  std::optional<calp::nir> nir;
  std::optional<calp::date> birth_date;
  /// Family name, usage name, given names, as UTF-8.
  std::vector<std::string> names;
};

/// Why a password is refused, beyond the ✓ rules. The order of the enumerators is the
/// order in which `password_check::refusals` lists them.
enum class password_refusal : std::uint8_t {
  invalid_utf8,         ///< "invalid_utf8": not UTF-8 (overlong, surrogate, > U+10FFFF, truncated)
  control_character,    ///< "control_character": U+0000–U+001F, U+007F, U+0080–U+009F
  common,               ///< "common": on the block-list of common passwords
  contains_nir,         ///< "contains_nir"
  contains_birth_date,  ///< "contains_birth_date"
  contains_name,        ///< "contains_name"
};

/// The stable id of a refusal (`"invalid_utf8"`, `"common"`, …): hosts, logs and the
/// `calp password check` output match on it; it never changes once released.
[[nodiscard]] std::string_view to_string(password_refusal r) noexcept;

/// A sentence in French for the person, in the seed's tone ("Votre mot de passe …"),
/// ending with a period. Never contains the password nor the personal data.
[[nodiscard]] std::string_view french_message(password_refusal r) noexcept;

/// The outcome of `check_password`. Holds no part of the password.
struct password_check {
  /// True when every ✓ rule below holds and `refusals` is empty.
  bool valid = false;
  /// The seed's ✓ list. A rule the policy does not require is reported as true. When
  /// the password is not UTF-8, `length`, `digit`, `lower` and `upper` are false: its
  /// characters cannot be told apart.
  bool length = false;
  bool digit = false;
  bool lower = false;
  bool upper = false;
  /// The two entries are byte for byte the same.
  bool confirmation = false;
  /// Each reason at most once, in the order of `password_refusal`.
  std::vector<password_refusal> refusals;
  /// The length in code points; 0 when the password is not UTF-8.
  std::size_t code_points = 0;

  /// True when `r` is among `refusals`.
  [[nodiscard]] bool refused(password_refusal r) const noexcept;
};

/// Checks `password`, typed twice (`confirmation`), against `policy` and R12.
///
/// Every rule is evaluated, whatever the others give, so the screen can show them all.
/// Invalid UTF-8 is refused and then only the confirmation is still checked. The
/// block-list and personal-data checks compare a folded copy of the password: upper-case
/// letters of the French alphabet are lower-cased (`É` → `é`), and, for the personal data
/// only, accents are removed and ligatures split (`é` → `e`, `œ` → `oe`) so `Elodie`
/// matches `Élodie`. Letters of other scripts are compared as they are.
///
/// The confirmation is compared in constant time for equal lengths
/// (`constant_time_equal`). The folded copies live in `secret`s, so they are wiped
/// too. Never throws, except `std::bad_alloc`.
[[nodiscard]] password_check check_password(const password_policy& policy, const secret& password,
                                            const secret& confirmation,
                                            const password_personal_data& personal = {});

/// True when `password` is on the shipped block-list: the password lower-cased as above
/// is an entry, or what is left once leading and trailing digits, punctuation, spaces
/// and symbols are stripped is an entry of at least 6 code points. The second form
/// catches the usual dressing of a common word (`Azerty123!`, `Marseille13`,
/// `!!Soleil2024`) without refusing every password that merely contains a short word.
/// False for invalid UTF-8. Lookups are a binary search over data compiled into the
/// library: no file, no start-up cost. Thread-safe; throws only `std::bad_alloc` (the
/// folded copy is held in a `secret`, so it is wiped).
[[nodiscard]] bool is_common_password(std::string_view password);

/// The number of entries of the block-list (src/data/common-passwords.txt, built by
/// scripts/make-password-blocklist.sh).
[[nodiscard]] std::size_t common_password_count() noexcept;

}  // namespace calp
