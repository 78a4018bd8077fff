#pragma once
// Unicode text as identity matching needs it (names compared between FranceConnect's
// pivot identity and a civil status, R18), so that every comparison of names in calp
// normalises the same way.

#include <optional>
#include <string>
#include <string_view>

namespace calp::detail {

// `text` in the form names are compared in: Unicode NFC, each code point mapped to its
// simple upper case (utf8proc_toupper; `ß` see below), NFC again (upper-casing may
// leave a composable pair), leading and trailing white space removed and each run of
// white space (Unicode's White_Space property: ASCII tab, line feed, vertical tab, form
// feed, carriage return, NEL, and the categories Zs, Zl, Zp, so no-break spaces too)
// replaced by one U+0020 SPACE.
//
// What it deliberately does not do: remove accents (`É` stays `É`, so `Élodie` is not
// `Elodie`), fold compatibility forms (NFKC), map hyphens or apostrophes, or use full
// case mappings: names are compared exactly, never fuzzily. One exception, made so
// that the answer does not depend on the utf8proc version (whose upper case of `ß`
// changed from itself to U+1E9E): `ß` and `ẞ` both become `SS`, as the registers write
// them.
//
// std::nullopt when `text` is not valid UTF-8 or holds a control character (category
// Cc) other than the white space above: such text names nobody.
[[nodiscard]] std::optional<std::string> normalized_upper(std::string_view text);

}  // namespace calp::detail
