#pragma once
/// \file
/// The pure rules of a primo-demandeur's civil status (R3, R4, R15): what the seed's
/// "récapitulatif de ma création de compte" screen shows (civilité, nom de naissance,
/// prénoms, date, pays and ville de naissance, the parents' names, lieu de résidence),
/// checked field by field; the consistency of that civil status with a NIR; and the one
/// normal form in which names are compared and stored.
///
/// No I/O and no clock: `today` is passed in. Every function is thread-safe (no shared
/// state) and never throws other than on allocation failure.
///
/// ```cpp
/// calp::civil_status cs;
/// cs.family_name = calp::normalize_name(typed_family_name).value_or("");
/// // ... the other fields ...
/// for (const calp::error& e : calp::validate_civil_status(cs, today)) {
///   show_next_to(e.field, e.message);  // e.code is one of the civil_status_* codes
/// }
/// ```

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "calp/date.hpp"
#include "calp/error.hpp"
#include "calp/nir.hpp"
#include "calp/storage.hpp"

namespace calp {

/// The INSEE COG code of France among the countries of birth (FranceConnect's
/// `birthcountry` for a person born in France, overseas included).
inline constexpr std::string_view birth_country_france = "99100";

/// No birth date before this day is accepted: anyone older would be past 125 today,
/// and an earlier year is almost always a typing slip (`1062` for `1962`).
inline constexpr date earliest_birth_date{std::chrono::year{1900}, std::chrono::January,
                                          std::chrono::day{1}};

/// Bounds of `validate_civil_status`. The defaults are the primo-demandeur's.
struct civil_status_limits {
  /// Most code points in a family name (a parent's too); a longer one is refused.
  std::size_t family_name_max = 80;
  /// Most code points in the given names (all of them, with their separators).
  std::size_t given_names_max = 120;
  /// Most code points in a city of birth.
  std::size_t birth_city_max = 80;
  /// The lieu de résidence is required of a primo-demandeur (the seed's screen always
  /// shows it); a host checking an imported record that lacks it may relax this.
  bool postal_code_required = true;
};

/// Checks every field of `cs` and returns one error per faulty field, in the order of
/// the fields below (empty: valid). Each error's `field` names the member
/// (`"family_name"`, `"parents[1].given_names"`, …); messages never quote the person's
/// data, only positions and kinds of characters. `cs.gender` is an enum and always
/// valid.
///
/// Expects what `normalize_name` returned for the names (a leading space or a tab is
/// refused here, not trimmed). Rules:
/// - `family_name`, `given_names` (`errc::civil_status_name`): 1 to
///   `family_name_max` / `given_names_max` code points of well-formed UTF-8; letters of
///   any script (Unicode categories L*, each possibly followed by combining marks M*),
///   and single separators between them: ASCII space, `-`, `'` or `’` (U+2019). It starts
///   and ends with a letter; two separators in a row are refused (`JEAN--PIERRE`,
///   `JEAN -PIERRE`). Digits, punctuation, symbols, control and format characters are
///   refused.
/// - `birth_date` (`errc::civil_status_date`): a real day, not after `today`, not before
///   `earliest_birth_date`.
/// - `birth_country` (`errc::civil_status_birth_place`): an INSEE COG country code, 5
///   ASCII digits `99` + continent digit 1–5 + 2 digits (`99100` France, `99352`
///   Algeria). Whether the code is still in today's list is not checked: it is the
///   country at birth.
/// - Born in France (`birth_country == "99100"`), `errc::civil_status_birth_place`:
///   `birth_place` required, an INSEE commune code of 5 characters: 5 ASCII digits or
///   `2A`/`2B` + 3 digits (upper case), department not `00`, not a `99…` country code;
///   never checked against today's list of communes. `birth_city` may be empty; if
///   given it follows the city rule below.
/// - Born abroad (any other valid country), R4: `birth_city` required
///   (`errc::civil_status_birth_place`), 1 to `birth_city_max` code points, the name
///   rule plus `.` right after a letter (`ST. LOUIS`, `D.C.`), which may also end it;
///   digits, commas and parentheses are refused. `birth_place` must be empty
///   (`errc::civil_status_birth_place`). Exactly two `parents`, each with a family name
///   and given names (`errc::civil_status_parents` when missing or not two, field
///   `"parents"` or `"parents[i].family_name"`); given names follow the name rule
///   (`errc::civil_status_name`).
/// - Born in France, parents are optional; names given are checked, empty ones ignored.
/// - `postal_code` (`errc::civil_status_postal_code`): exactly 5 ASCII digits; empty only
///   when `!limits.postal_code_required`.
/// With an invalid `birth_country` the France/abroad rules cannot be chosen: nothing is
/// required beyond the country, and a city or parents' names given are still checked.
[[nodiscard]] std::vector<calp::error> validate_civil_status(const civil_status& cs, date today,
                                                             const civil_status_limits& limits = {});

/// The error of `validate_civil_status` (or of the NIR typed with a declaration, field
/// `nir`) as a French sentence for the form, naming the field as the seed's screens do:
/// "Le nom de naissance du parent 2 ne doit contenir que des lettres, …". The `message`
/// of an error is for developers and logs; this is for the person. Never quotes what
/// was typed.
[[nodiscard]] std::string french_message(const error& e);

/// The normal form of a name, used both to store it and to compare two names: well-
/// formed UTF-8 in NFC, trimmed, every run of white space (ASCII space, tab, line
/// breaks, no-break spaces and the other Unicode space separators) folded to one ASCII
/// space, each code point upper-cased with its simple Unicode mapping
/// (`utf8proc_toupper`): accents are kept, `éloïse` → `ÉLOÏSE`, `  jean   pierre ` →
/// `JEAN PIERRE`, a decomposed `É` (E + U+0301) → the single code point U+00C9. NFC is
/// applied before upper-casing and again after, so that a name typed composed or
/// decomposed gives the same bytes (`ǰ` U+01F0, which has no one-code-point upper case,
/// stays `ǰ` either way).
///
/// `ß` and `ẞ` both become `SS`, on purpose: utf8proc's own mapping of `ß` changed
/// between versions (itself, then U+1E9E), and the civil-status registers and
/// FranceConnect write `STRAUSS`, never `STRAUẞ`; one stable answer keeps stored names
/// comparable across hosts. Other characters without a one-code-point upper case
/// (ligatures such as `ﬁ`) are kept as they are.
///
/// The result may be empty (blank input) and is not validated: characters that
/// `validate_civil_status` refuses (digits, punctuation) pass through. Errors
/// (`errc::civil_status_name`, field empty; the message does not quote the input):
/// input over 4096 bytes, malformed UTF-8, a control character other than white space.
[[nodiscard]] result<std::string> normalize_name(std::string_view name);

/// A way the civil status declared disagrees with the NIR given (R3: a provisional
/// identifier is then issued instead of using the NIR).
enum class nir_mismatch : std::uint8_t {
  sex,             ///< sex digit `1` and civilité female, or `2` and male
  birth_year,      ///< the NIR's 2-digit year is not the birth year modulo 100
  birth_month,     ///< a calendar month `01`–`12` in the NIR that is not the birth month
  born_abroad,     ///< the NIR says born abroad (department `99`), the civil status France
  born_in_france,  ///< the NIR says born in France, the civil status abroad
};

/// Stable id: `"sex"`, `"birth_year"`, `"birth_month"`, `"born_abroad"`,
/// `"born_in_france"`.
[[nodiscard]] std::string_view to_string(nir_mismatch m) noexcept;

/// One French sentence an agent can read out, or a screen show, to say what disagrees
/// (without quoting the NIR): "Le sexe indiqué par le NIR ne correspond pas à la
/// civilité déclarée."
[[nodiscard]] std::string_view french_reason(nir_mismatch m) noexcept;

/// Every disagreement between `n` and `cs`, in the order of `nir_mismatch` (empty:
/// consistent). Only what the NIR states for sure is compared, because a false mismatch
/// takes a person's own NIR away from them:
/// - sex: only sex digits `1` (male) and `2` (female). The provisional digits `3`, `4`,
///   `7`, `8` of the lenient profile are not compared: calp's sources do not establish
///   which sex each one means on a 15-character number.
/// - birth year: always, when `cs.birth_date` is a real day (the century is not in the
///   NIR: 1962 and 2062 both give `62`).
/// - birth month: only when the NIR's month is a calendar month `01`–`12`; unknown
///   (`20`–`30`, `50`–`99`) and pseudo-fictitious (`31`–`42`) months are never compared,
///   as the civil-status record behind them was incomplete.
/// - place: department `99` with `birth_country == "99100"` is `born_abroad`; another
///   department with a valid foreign country code is `born_in_france`, except
///   departments `91`–`94` with Algeria (`99352`), `95` with Morocco (`99350`) and `96`
///   with Tunisia (`99351`), the codes of people born there before independence. An
///   invalid `birth_country` compares nothing (`validate_civil_status` reports it). The
///   commune, and the country code after `99`, are never compared: both may have changed
///   since birth.
[[nodiscard]] std::vector<nir_mismatch> nir_consistency(const nir& n, const civil_status& cs);

}  // namespace calp
