#include "calp/civil_status.hpp"

#include <fmt/format.h>
#include <utf8proc.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/input_text.hpp"
#include "detail/unicode_text.hpp"

namespace calp {
namespace {

constexpr bool is_digit(char c) noexcept { return '0' <= c && c <= '9'; }

bool all_digits(std::string_view s) noexcept {
  for (const char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// One code point of well-formed UTF-8 at the start of `s`, and its size in bytes; size
// 0 when `s` does not start with one. The well-formedness check is the house one
// (RFC 3629: no overlong form, no surrogate), so that names and NIRs agree on what
// malformed means whatever the version of utf8proc.
struct code_point {
  utf8proc_int32_t value = 0;
  std::size_t size = 0;
};

code_point first_code_point(std::string_view s) noexcept {
  const std::size_t size = detail::utf8_sequence_length(s);
  if (size == 0) return {};
  code_point out;
  out.size = size;
  if (utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                       static_cast<utf8proc_ssize_t>(size), &out.value) != static_cast<utf8proc_ssize_t>(size)) {
    return {};
  }
  return out;
}

bool is_letter(utf8proc_category_t c) noexcept {
  return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LL || c == UTF8PROC_CATEGORY_LT ||
         c == UTF8PROC_CATEGORY_LM || c == UTF8PROC_CATEGORY_LO;
}

bool is_mark(utf8proc_category_t c) noexcept {
  return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME;
}

bool is_number(utf8proc_category_t c) noexcept {
  return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

// What a separator is allowed next to.
enum class token { letter, separator, dot };

// The name rule (and, with `dots`, the city rule) of `validate_civil_status`. `what` is
// the field as the message names it ("family name"). Returns the message of the first
// failure, or an empty string.
std::string name_problem(std::string_view text, std::string_view what, std::size_t max_code_points,
                         bool dots) {
  if (text.empty()) return fmt::format("{} is empty", what);
  const std::string_view allowed = dots ? "letters, spaces, hyphens, apostrophes and dots"
                                        : "letters, spaces, hyphens and apostrophes";
  std::size_t count = 0;
  bool started = false;
  token last = token::separator;
  for (std::string_view rest = text; !rest.empty();) {
    const code_point cp = first_code_point(rest);
    ++count;
    // Positions are 1-based code points: an agent counts characters, not bytes.
    if (cp.size == 0) return fmt::format("{} is not valid UTF-8 at character {}", what, count);
    rest.remove_prefix(cp.size);
    // Counting goes on past the bound only to stay within one pass; the text is
    // already refused.
    if (count > max_code_points) {
      return fmt::format("{} is longer than {} characters", what, max_code_points);
    }
    const auto category = utf8proc_category(cp.value);
    if (is_letter(category)) {
      last = token::letter;
      started = true;
      continue;
    }
    if (is_mark(category)) {
      // A combining mark belongs to the letter before it (NFD accents, Devanagari vowel
      // signs); after a separator or at the start it stands alone, like a symbol.
      if (last == token::letter) continue;
      return fmt::format("{} character {} is a combining mark that follows no letter", what, count);
    }
    const bool separator = cp.value == ' ' || cp.value == '-' || cp.value == '\'' || cp.value == 0x2019;
    if (separator || (dots && cp.value == '.')) {
      if (!started) return fmt::format("{} must start with a letter", what);
      // A dot closes an abbreviation (`ST. LOUIS`, `D.C.`), so a separator may follow it;
      // nothing else may follow a separator.
      if (last == token::separator || (last == token::dot && !separator)) {
        return fmt::format("{} has two separators in a row at character {}", what, count);
      }
      last = separator ? token::separator : token::dot;
      continue;
    }
    std::string_view kind = "a punctuation mark or a symbol";
    if (category == UTF8PROC_CATEGORY_CC) {
      kind = "a control character";
    } else if (is_number(category)) {
      kind = "a digit";
    } else if (category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL ||
               category == UTF8PROC_CATEGORY_ZP) {
      kind = "a space other than the ASCII space";
    } else if (category == UTF8PROC_CATEGORY_CF || category == UTF8PROC_CATEGORY_CO ||
               category == UTF8PROC_CATEGORY_CS || category == UTF8PROC_CATEGORY_CN) {
      kind = "an invisible, private-use or unassigned character";
    }
    return fmt::format("{} character {} is {}; only {} are allowed", what, count, kind, allowed);
  }
  if (last == token::separator) return fmt::format("{} must end with a letter", what);
  return {};
}

void check_name(std::vector<error>& errors, std::string_view text, std::string field,
                std::string_view what, std::size_t max_code_points) {
  std::string problem = name_problem(text, what, max_code_points, false);
  if (!problem.empty()) errors.push_back(error{errc::civil_status_name, std::move(problem), std::move(field)});
}

void check_city(std::vector<error>& errors, std::string_view text, std::size_t max_code_points) {
  std::string problem = name_problem(text, "city of birth", max_code_points, true);
  if (!problem.empty()) {
    errors.push_back(error{errc::civil_status_birth_place, std::move(problem), "birth_city"});
  }
}

// `99` + continent 1 (Europe) to 5 (Oceania) + 2 digits: INSEE's COG country codes
// (research §1.2.4).
bool is_country_code(std::string_view s) noexcept {
  return s.size() == 5 && all_digits(s) && s.starts_with("99") && s[2] >= '1' && s[2] <= '5';
}

// The problem with a commune code of a person born in France, or an empty view.
std::string_view commune_problem(std::string_view s) {
  if (s.empty()) return "place of birth is required when born in France";
  if (s.size() != 5) return "place of birth must be a 5-character INSEE commune code";
  const bool corsica = s[0] == '2' && (s[1] == 'A' || s[1] == 'B');
  if (!(corsica || (is_digit(s[0]) && is_digit(s[1]))) || !all_digits(s.substr(2))) {
    return "place of birth must be 5 digits, or 2A or 2B and 3 digits";
  }
  if (s.starts_with("00")) return "place of birth has department 00";
  // `99…` is how a country is coded, never a commune: the codes were mixed up.
  if (s.starts_with("99")) return "place of birth is a country code, expected a commune code";
  return {};
}

void check_birth_date(std::vector<error>& errors, date birth, date today) {
  std::string_view problem;
  if (!birth.ok()) {
    problem = "birth date is not a real day";
  } else if (birth > today) {
    problem = "birth date is in the future";
  } else if (birth < earliest_birth_date) {
    problem = "birth date is before 1900-01-01";
  }
  if (!problem.empty()) errors.push_back(error{errc::civil_status_date, std::string(problem), "birth_date"});
}

void check_parents(std::vector<error>& errors, const std::vector<parent_names>& parents, bool required,
                   const civil_status_limits& limits) {
  if (required && parents.size() != 2) {
    errors.push_back(error{errc::civil_status_parents,
                           fmt::format("both parents' names are required when born abroad, got {} parent{}",
                                       parents.size(), parents.size() == 1 ? "" : "s"),
                           "parents"});
  }
  for (std::size_t i = 0; i < parents.size(); ++i) {
    const auto& p = parents[i];
    const std::pair<std::string_view, std::string_view> fields[] = {{p.family_name, "family_name"},
                                                                    {p.given_names, "given_names"}};
    for (const auto& [text, name] : fields) {
      std::string field = fmt::format("parents[{}].{}", i, name);
      const bool family = name == "family_name";
      const std::string_view what = family ? "parent's family name" : "parent's given names";
      if (text.empty()) {
        if (required) {
          errors.push_back(error{errc::civil_status_parents,
                                 fmt::format("{} is required when born abroad", what), std::move(field)});
        }
        continue;
      }
      check_name(errors, text, std::move(field), what,
                 family ? limits.family_name_max : limits.given_names_max);
    }
  }
}

// White space folded by `normalize_name`: Unicode's White_Space property, which is the
// space separators (Zs), the line and paragraph separators, and these controls.
bool is_white_space(utf8proc_int32_t cp) noexcept {
  if (cp == '\t' || cp == '\n' || cp == 0x0B || cp == 0x0C || cp == '\r' || cp == 0x85) return true;
  const auto c = utf8proc_category(cp);
  return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

// Longer than any name: refused before any work is spent on it.
constexpr std::size_t max_name_bytes = 4096;

}  // namespace

std::vector<error> validate_civil_status(const civil_status& cs, date today,
                                         const civil_status_limits& limits) {
  std::vector<error> errors;
  check_name(errors, cs.family_name, "family_name", "family name", limits.family_name_max);
  check_name(errors, cs.given_names, "given_names", "given names", limits.given_names_max);
  check_birth_date(errors, cs.birth_date, today);

  const bool country_ok = is_country_code(cs.birth_country);
  if (!country_ok) {
    errors.push_back(error{errc::civil_status_birth_place,
                           cs.birth_country.empty()
                               ? std::string("country of birth is required")
                               : std::string("country of birth must be an INSEE country code: 99, "
                                             "a continent digit 1 to 5, then 2 digits"),
                           "birth_country"});
  }
  const bool in_france = country_ok && cs.birth_country == birth_country_france;
  const bool abroad = country_ok && !in_france;
  if (in_france) {
    if (const auto problem = commune_problem(cs.birth_place); !problem.empty()) {
      errors.push_back(error{errc::civil_status_birth_place, std::string(problem), "birth_place"});
    }
    if (!cs.birth_city.empty()) check_city(errors, cs.birth_city, limits.birth_city_max);
  } else if (abroad) {
    if (!cs.birth_place.empty()) {
      errors.push_back(error{errc::civil_status_birth_place,
                             "place of birth (a French commune code) must be empty when born abroad",
                             "birth_place"});
    }
    if (cs.birth_city.empty()) {
      errors.push_back(error{errc::civil_status_birth_place, "city of birth is required when born abroad",
                             "birth_city"});
    } else {
      check_city(errors, cs.birth_city, limits.birth_city_max);
    }
  } else if (!cs.birth_city.empty()) {
    check_city(errors, cs.birth_city, limits.birth_city_max);
  }
  // R4 asks for the parents only of a person born abroad; with an unknown country the
  // names given are still checked, and the country error says what to fix first.
  check_parents(errors, cs.parents, abroad, limits);

  if (cs.postal_code.empty()) {
    if (limits.postal_code_required) {
      errors.push_back(error{errc::civil_status_postal_code, "postal code is required", "postal_code"});
    }
  } else if (cs.postal_code.size() != 5 || !all_digits(cs.postal_code)) {
    errors.push_back(error{errc::civil_status_postal_code, "postal code must be exactly 5 digits",
                           "postal_code"});
  }
  return errors;
}

result<std::string> normalize_name(std::string_view name) {
  if (name.size() > max_name_bytes) {
    return fail(errc::civil_status_name, fmt::format("name is longer than {} bytes", max_name_bytes));
  }
  // Refuse first, with a position, rather than let utf8proc replace or drop anything.
  std::size_t count = 0;
  for (std::string_view rest = name; !rest.empty();) {
    const code_point cp = first_code_point(rest);
    ++count;
    if (cp.size == 0) {
      return fail(errc::civil_status_name, fmt::format("name is not valid UTF-8 at character {}", count));
    }
    rest.remove_prefix(cp.size);
    if (utf8proc_category(cp.value) == UTF8PROC_CATEGORY_CC && !is_white_space(cp.value)) {
      return fail(errc::civil_status_name, fmt::format("name character {} is a control character", count));
    }
  }
  // One normalisation for every comparison of names in calp (FranceConnect's too).
  auto normalized = detail::normalized_upper(name);
  if (!normalized) return fail(errc::civil_status_name, "name cannot be normalised");
  return std::move(*normalized);
}

namespace {

// The label of a field of the declaration, as the seed's screens name it.
std::string french_label(std::string_view field) {
  if (field.starts_with("parents[")) {
    const auto close = field.find(']');
    int index = 0;
    for (std::size_t k = 8; k < close && k < field.size(); ++k) {
      if (field[k] < '0' || field[k] > '9') break;
      index = index * 10 + (field[k] - '0');
    }
    const std::string_view member = close == std::string_view::npos ? "" : field.substr(close + 1);
    return fmt::format("{} du parent {}", member == ".given_names" ? "Les prénoms" : "Le nom de naissance",
                       index + 1);
  }
  if (field == "family_name") return "Le nom de naissance";
  if (field == "given_names") return "Les prénoms";
  if (field == "birth_date") return "La date de naissance";
  if (field == "birth_country") return "Le pays de naissance";
  if (field == "birth_place") return "La commune de naissance";
  if (field == "birth_city") return "La ville de naissance";
  if (field == "parents") return "Les noms de naissance et prénoms des deux parents";
  if (field == "postal_code") return "Le code postal du lieu de résidence";
  if (field == "nir") return "Le numéro de sécurité sociale";
  return "Ce champ";
}

}  // namespace

std::string french_message(const error& e) {
  const std::string label = french_label(e.field);
  const bool plural = label.starts_with("Les ");
  const bool feminine = label.starts_with("La ");
  // "manquant ou incorrect", agreed with the label.
  const std::string_view ending = plural ? (feminine ? "es" : "s") : (feminine ? "e" : "");
  // "il doit", "ils doivent", "elle doit", "elles doivent", agreed with the label.
  const std::string_view pronoun =
      plural ? (feminine ? "elles doivent" : "ils doivent") : (feminine ? "elle doit" : "il doit");
  switch (e.code) {
    case errc::civil_status_name:
      return fmt::format("{} {} contenir que des lettres, des espaces, des traits d'union et des "
                         "apostrophes\u00a0; {} commencer et finir par une lettre.",
                         label, plural ? "ne doivent" : "ne doit", pronoun);
    case errc::civil_status_date:
      return fmt::format("{} doit être une date valide, comprise entre 1900 et aujourd'hui.",
                         label);
    case errc::civil_status_birth_place:
      return fmt::format("{} {} manquant{} ou incorrect{}.", label, plural ? "sont" : "est", ending,
                         ending);
    case errc::civil_status_parents:
      // Whatever the field (the list, or a name left empty), the rule is about both.
      return "Les noms de naissance et prénoms des deux parents sont obligatoires lorsque vous "
             "êtes né(e) à l'étranger.";
    case errc::civil_status_postal_code:
      return fmt::format("{} doit comporter 5 chiffres.", label);
    case errc::nir_length:
    case errc::nir_character:
    case errc::nir_sex:
    case errc::nir_month:
    case errc::nir_department:
    case errc::nir_order:
    case errc::nir_key:
      return fmt::format("{} n'est pas valide. Veuillez vérifier les 15 caractères du numéro "
                         "inscrit sur votre carte Vitale.",
                         label);
    default:
      return fmt::format("{} {} incorrect{}.", label, plural ? "sont" : "est", ending);
  }
}

std::string_view to_string(nir_mismatch m) noexcept {
  switch (m) {
    case nir_mismatch::sex: return "sex";
    case nir_mismatch::birth_year: return "birth_year";
    case nir_mismatch::birth_month: return "birth_month";
    case nir_mismatch::born_abroad: return "born_abroad";
    case nir_mismatch::born_in_france: return "born_in_france";
  }
  return "unknown";
}

std::string_view french_reason(nir_mismatch m) noexcept {
  switch (m) {
    case nir_mismatch::sex:
      return "Le sexe indiqué par le NIR ne correspond pas à la civilité déclarée.";
    case nir_mismatch::birth_year:
      return "L'année de naissance indiquée par le NIR ne correspond pas à la date de naissance "
             "déclarée.";
    case nir_mismatch::birth_month:
      return "Le mois de naissance indiqué par le NIR ne correspond pas à la date de naissance "
             "déclarée.";
    case nir_mismatch::born_abroad:
      return "Le NIR indique une naissance à l'étranger, mais le pays de naissance déclaré est la "
             "France.";
    case nir_mismatch::born_in_france:
      return "Le NIR indique une naissance en France, mais le pays de naissance déclaré est "
             "étranger.";
  }
  return "Le NIR ne correspond pas à l'état civil déclaré.";
}

std::vector<nir_mismatch> nir_consistency(const nir& n, const civil_status& cs) {
  std::vector<nir_mismatch> out;
  const char sex = n.sex_digit();
  if ((sex == '1' && cs.gender != gender::male) || (sex == '2' && cs.gender != gender::female)) {
    out.push_back(nir_mismatch::sex);
  }
  if (cs.birth_date.ok()) {
    if (n.year_of_birth() != static_cast<int>(cs.birth_date.year()) % 100) {
      out.push_back(nir_mismatch::birth_year);
    }
    if (n.month_kind() == nir_month_kind::calendar &&
        n.month_field() != static_cast<int>(static_cast<unsigned>(cs.birth_date.month()))) {
      out.push_back(nir_mismatch::birth_month);
    }
  }
  if (is_country_code(cs.birth_country)) {
    const bool declared_abroad = cs.birth_country != birth_country_france;
    const std::string_view dept = n.department();
    // Before independence, people born in Algeria, Morocco and Tunisia got these
    // departments, not `99` (service-public F33078, research §1.2.4).
    const bool north_africa = (cs.birth_country == "99352" && dept >= "91" && dept <= "94") ||
                              (cs.birth_country == "99350" && dept == "95") ||
                              (cs.birth_country == "99351" && dept == "96");
    if (n.born_abroad() && !declared_abroad) out.push_back(nir_mismatch::born_abroad);
    if (!n.born_abroad() && declared_abroad && !north_africa) out.push_back(nir_mismatch::born_in_france);
  }
  return out;
}

}  // namespace calp
