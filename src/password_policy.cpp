#include "calp/password_policy.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <string>
#include <vector>

#include "detail/input_text.hpp"

namespace calp {

namespace detail {
// Generated from src/data/common-passwords.txt (src/data/common_passwords.cpp.in).
extern const std::string_view common_passwords;
extern const std::size_t common_password_entries;
}  // namespace detail

namespace {

// The block-list has no entry longer than this (24 code points of at most 4 bytes);
// a longer candidate is not looked up at all.
constexpr std::size_t max_entry_bytes = 96;
// The shortest core (what is left after stripping digits and symbols) worth looking up:
// shorter words are inside too many good passwords.
constexpr std::size_t min_core_code_points = 6;

// Calls `visit(code_point, bytes)` for each code point of `s`; false, after visiting the
// valid prefix, when `s` is not well-formed UTF-8.
template <class Visit>
bool for_each_code_point(std::string_view s, Visit&& visit) {
  while (!s.empty()) {
    const std::size_t n = detail::utf8_sequence_length(s);
    if (n == 0) return false;
    const auto byte = [&](std::size_t i) { return static_cast<char32_t>(static_cast<unsigned char>(s[i])); };
    char32_t cp = 0;
    switch (n) {
      case 1: cp = byte(0); break;
      case 2: cp = ((byte(0) & 0x1F) << 6) | (byte(1) & 0x3F); break;
      case 3: cp = ((byte(0) & 0x0F) << 12) | ((byte(1) & 0x3F) << 6) | (byte(2) & 0x3F); break;
      default:
        cp = ((byte(0) & 0x07) << 18) | ((byte(1) & 0x3F) << 12) | ((byte(2) & 0x3F) << 6) | (byte(3) & 0x3F);
        break;
    }
    visit(cp, s.substr(0, n));
    s.remove_prefix(n);
  }
  return true;
}

// The accented letters of the French alphabet, lower-case and upper-case at the same
// index, so that lower-casing is a lookup.
constexpr std::array<char32_t, 18> french_lower_accented = {
    U'é', U'è', U'ê', U'ë', U'à', U'â', U'ä', U'î', U'ï',
    U'ô', U'ö', U'ù', U'û', U'ü', U'ÿ', U'ç', U'æ', U'œ'};
constexpr std::array<char32_t, 18> french_upper_accented = {
    U'É', U'È', U'Ê', U'Ë', U'À', U'Â', U'Ä', U'Î', U'Ï',
    U'Ô', U'Ö', U'Ù', U'Û', U'Ü', U'Ÿ', U'Ç', U'Æ', U'Œ'};
// What each lower-case accented letter is without its accent, same index.
constexpr std::array<std::string_view, 18> french_unaccented = {
    "e", "e", "e", "e", "a", "a", "a", "i", "i", "o", "o", "u", "u", "u", "y", "c", "ae", "oe"};

constexpr std::size_t index_of(const std::array<char32_t, 18>& set, char32_t cp) noexcept {
  return static_cast<std::size_t>(std::find(set.begin(), set.end(), cp) - set.begin());
}

constexpr bool is_french_lower(char32_t cp) noexcept {
  return (cp >= U'a' && cp <= U'z') || index_of(french_lower_accented, cp) < french_lower_accented.size();
}
constexpr bool is_french_upper(char32_t cp) noexcept {
  return (cp >= U'A' && cp <= U'Z') || index_of(french_upper_accented, cp) < french_upper_accented.size();
}
constexpr bool is_digit(char32_t cp) noexcept { return cp >= U'0' && cp <= U'9'; }
constexpr bool is_control(char32_t cp) noexcept {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

// Digits, ASCII punctuation and space, and the symbols of Latin-1 (`°`, `§`, `£`, no-break
// space...), of General Punctuation and the currency signs (`€`): what people pad a word
// with. Letters of any script are kept, so a core is never cut inside a word.
constexpr bool is_padding(char32_t cp) noexcept {
  if (cp < 0x80) return !((cp >= U'a' && cp <= U'z') || (cp >= U'A' && cp <= U'Z'));
  return (cp >= 0xA0 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x206F) ||
         (cp >= 0x20A0 && cp <= 0x20CF);
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    // Only letters of the French alphabet are ever re-encoded, all below U+0800, plus
    // `œ`: U+0153, still two bytes. Three bytes for completeness.
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

enum class accents { keep, remove };

// `text` with the French alphabet lower-cased, and with accents removed when asked;
// every other code point is copied as it is. Empty when `text` is not UTF-8. The result
// is a secret because it is the password with its case changed.
secret fold(std::string_view text, accents mode) {
  std::string out;
  // Folding never lengthens the text (`Œ` → `oe` is two bytes to two), so this reserve
  // is the only allocation, and no unwiped copy is left behind by a reallocation.
  out.reserve(text.size());
  const bool valid = for_each_code_point(text, [&](char32_t cp, std::string_view bytes) {
    if (cp >= U'A' && cp <= U'Z') {
      out.push_back(static_cast<char>(cp - U'A' + U'a'));
      return;
    }
    std::size_t i = index_of(french_upper_accented, cp);
    if (i == french_upper_accented.size()) i = index_of(french_lower_accented, cp);
    if (i == french_lower_accented.size()) {
      out.append(bytes);
    } else if (mode == accents::remove) {
      out.append(french_unaccented[i]);
    } else {
      append_utf8(out, french_lower_accented[i]);
    }
  });
  if (!valid) out.clear();
  return secret::take(out);
}

std::size_t count_code_points(std::string_view s) noexcept {
  std::size_t n = 0;
  for_each_code_point(s, [&](char32_t, std::string_view) { ++n; });
  return n;
}

// Binary search over the generated text: one entry per line, sorted byte-wise, every
// line ending in '\n'. Each probe lands inside some line and widens to it.
bool listed(std::string_view key) noexcept {
  const std::string_view list = detail::common_passwords;
  if (key.empty() || key.size() > max_entry_bytes) return false;
  // Invariant: `lo` and `hi` are line starts (or the end), and the key, if listed, is
  // a line starting in [lo, hi).
  std::size_t lo = 0;
  std::size_t hi = list.size();
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    // The line holding `mid`, or ending at it: its start is past the last '\n' before
    // `mid`, which is never before `lo`.
    const std::size_t before = mid == 0 ? std::string_view::npos : list.rfind('\n', mid - 1);
    const std::size_t start = before == std::string_view::npos ? 0 : before + 1;
    std::size_t end = list.find('\n', start);
    if (end == std::string_view::npos) end = list.size();
    const int order = list.substr(start, end - start).compare(key);
    if (order == 0) return true;
    if (order < 0) {
      lo = end + 1;
    } else {
      hi = start;
    }
  }
  return false;
}

// `folded` without its leading and trailing padding (see `is_padding`).
std::string_view core_of(std::string_view folded) noexcept {
  std::size_t first = folded.size();
  std::size_t last = 0;
  std::size_t at = 0;
  for_each_code_point(folded, [&](char32_t cp, std::string_view bytes) {
    if (!is_padding(cp)) {
      if (first == folded.size()) first = at;
      last = at + bytes.size();
    }
    at += bytes.size();
  });
  if (first == folded.size()) return {};
  return folded.substr(first, last - first);
}

bool common_folded(std::string_view folded) noexcept {
  if (listed(folded)) return true;
  const std::string_view core = core_of(folded);
  return core.size() != folded.size() && count_code_points(core) >= min_core_code_points && listed(core);
}

// `text` without the code points for which `drop` is true. A secret: it is the password
// with its separators removed.
template <class Drop>
secret without(std::string_view text, Drop&& drop) {
  std::string out;
  out.reserve(text.size());
  for_each_code_point(text, [&](char32_t cp, std::string_view bytes) {
    if (!drop(cp)) out.append(bytes);
  });
  return secret::take(out);
}

bool contains_nir(std::string_view folded, const calp::nir& n) {
  // The separators nir::parse accepts between groups of digits.
  const secret compact = without(folded, [](char32_t cp) {
    return cp == U' ' || cp == U'.' || cp == U'-' || cp == 0xA0 || cp == 0x202F;
  });
  std::array<char, 13> body{};
  std::transform(n.str().begin(), n.str().begin() + 13, body.begin(), [](char c) {
    return c == 'A' || c == 'B' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return compact.view().find(std::string_view{body.data(), body.size()}) != std::string_view::npos;
}

std::string two_digits(unsigned v) {
  return {static_cast<char>('0' + v / 10 % 10), static_cast<char>('0' + v % 10)};
}

bool contains_birth_date(std::string_view password, date d) {
  if (!d.ok()) return false;
  const secret compact = without(password, [](char32_t cp) {
    return cp == U' ' || cp == U'/' || cp == U'-' || cp == U'.' || cp == U'_';
  });
  const int year = static_cast<int>(d.year());
  const unsigned month = static_cast<unsigned>(d.month());
  const unsigned day = static_cast<unsigned>(d.day());
  const std::string yyyy = std::to_string(year);
  const std::string yy = two_digits(static_cast<unsigned>(year % 100));
  const std::string mm = two_digits(month);
  const std::string dd = two_digits(day);
  std::vector<std::string> days{dd};
  if (day < 10) days.push_back(std::to_string(day));
  std::vector<std::string> months{mm};
  if (month < 10) months.push_back(std::to_string(month));
  std::vector<std::string> forms{yyyy + mm + dd};
  for (const auto& day_form : days) {
    for (const auto& month_form : months) {
      forms.push_back(day_form + month_form + yyyy);
      forms.push_back(day_form + month_form + yy);
      forms.push_back(month_form + day_form + yyyy);
    }
  }
  return std::any_of(forms.begin(), forms.end(), [&](const std::string& form) {
    // Shorter forms (`1385` for 1/3/1985) would match passwords by chance.
    return form.size() >= 6 && compact.view().find(form) != std::string_view::npos;
  });
}

// The name, its separators removed, and each of its parts, folded like the password;
// only those of at least 3 code points.
std::vector<std::string> name_forms(std::string_view name) {
  const secret folded = fold(name, accents::remove);
  const auto separator = [](char32_t cp) { return cp == U' ' || cp == U'-' || cp == U'\'' || cp == 0x2019; };
  std::vector<std::string> forms;
  std::string whole;
  std::string part;
  const auto close_part = [&] {
    if (count_code_points(part) >= 3) forms.push_back(part);
    part.clear();
  };
  for_each_code_point(folded.view(), [&](char32_t cp, std::string_view bytes) {
    if (separator(cp)) {
      close_part();
      return;
    }
    part.append(bytes);
    whole.append(bytes);
  });
  close_part();
  if (count_code_points(whole) >= 3) forms.push_back(whole);
  return forms;
}

bool contains_name(std::string_view folded, const std::vector<std::string>& names) {
  return std::any_of(names.begin(), names.end(), [&](const std::string& name) {
    const auto forms = name_forms(name);
    return std::any_of(forms.begin(), forms.end(), [&](const std::string& form) {
      return folded.find(form) != std::string_view::npos;
    });
  });
}

}  // namespace

std::string_view to_string(password_refusal r) noexcept {
  switch (r) {
    case password_refusal::invalid_utf8: return "invalid_utf8";
    case password_refusal::control_character: return "control_character";
    case password_refusal::common: return "common";
    case password_refusal::contains_nir: return "contains_nir";
    case password_refusal::contains_birth_date: return "contains_birth_date";
    case password_refusal::contains_name: return "contains_name";
  }
  return "unknown";
}

std::string_view french_message(password_refusal r) noexcept {
  switch (r) {
    case password_refusal::invalid_utf8:
      return "Votre mot de passe contient des caractères non reconnus. Veuillez le saisir à nouveau.";
    case password_refusal::control_character:
      return "Votre mot de passe ne doit pas contenir de caractère invisible (tabulation, retour à la "
             "ligne…).";
    case password_refusal::common:
      return "Ce mot de passe est trop courant\u00a0: il serait facile à deviner. Veuillez en choisir "
             "un autre.";
    case password_refusal::contains_nir:
      return "Votre mot de passe ne doit pas contenir votre numéro de sécurité sociale.";
    case password_refusal::contains_birth_date:
      return "Votre mot de passe ne doit pas contenir votre date de naissance.";
    case password_refusal::contains_name:
      return "Votre mot de passe ne doit contenir ni votre nom ni votre prénom.";
  }
  return "Votre mot de passe ne respecte pas les règles de sécurité.";
}

bool password_check::refused(password_refusal r) const noexcept {
  return std::find(refusals.begin(), refusals.end(), r) != refusals.end();
}

password_check check_password(const password_policy& policy, const secret& password,
                              const secret& confirmation, const password_personal_data& personal) {
  password_check check;
  check.confirmation = constant_time_equal(password.view(), confirmation.view());

  bool digit = false;
  bool lower = false;
  bool upper = false;
  bool control = false;
  std::size_t count = 0;
  const bool utf8 = for_each_code_point(password.view(), [&](char32_t cp, std::string_view) {
    ++count;
    digit = digit || is_digit(cp);
    lower = lower || is_french_lower(cp);
    upper = upper || is_french_upper(cp);
    control = control || is_control(cp);
  });
  if (!utf8) {
    // The characters cannot be told apart: no rule can be said to hold.
    check.refusals.push_back(password_refusal::invalid_utf8);
    return check;
  }

  check.code_points = count;
  check.length = count >= policy.min_length && count <= policy.max_length;
  check.digit = digit || !policy.require_digit;
  check.lower = lower || !policy.require_lower;
  check.upper = upper || !policy.require_upper;
  if (control) check.refusals.push_back(password_refusal::control_character);

  if (policy.refuse_common && common_folded(fold(password.view(), accents::keep).view())) {
    check.refusals.push_back(password_refusal::common);
  }
  if (policy.refuse_personal_data) {
    const secret folded = fold(password.view(), accents::remove);
    if (personal.nir && contains_nir(folded.view(), *personal.nir)) {
      check.refusals.push_back(password_refusal::contains_nir);
    }
    if (personal.birth_date && contains_birth_date(password.view(), *personal.birth_date)) {
      check.refusals.push_back(password_refusal::contains_birth_date);
    }
    if (contains_name(folded.view(), personal.names)) {
      check.refusals.push_back(password_refusal::contains_name);
    }
  }

  check.valid = check.length && check.digit && check.lower && check.upper && check.confirmation &&
                check.refusals.empty();
  return check;
}

bool is_common_password(std::string_view password) {
  if (!for_each_code_point(password, [](char32_t, std::string_view) {})) return false;
  return common_folded(fold(password, accents::keep).view());
}

std::size_t common_password_count() noexcept { return detail::common_password_entries; }

}  // namespace calp
