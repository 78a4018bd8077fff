// R12: the password rules, their block-list and the personal data a password must not hold.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "calp/password_policy.hpp"
#include "crypto/secret_wipe_hook.hpp"
#include "unit/test_support.hpp"

namespace {

using namespace std::string_view_literals;
using calp::password_policy;
using calp::password_refusal;
using calp::secret;

// A password no rule refuses: 9 code points, digits, both cases, on no list.
constexpr std::string_view good = "Tq7vLm2pX";

calp::password_check check(std::string_view password, const calp::password_personal_data& personal = {},
                           const password_policy& policy = {}) {
  return calp::check_password(policy, secret{password}, secret{password}, personal);
}

calp::password_check check_typed_twice(std::string_view password, std::string_view confirmation) {
  return calp::check_password(password_policy{}, secret{password}, secret{confirmation});
}

std::vector<password_refusal> only(password_refusal r) { return {r}; }

// What the secret wipe observer saw: how many secrets were released, all zeroed or not.
struct observer {
  static void record(const char* data, std::size_t size) {
    all_zero = all_zero && std::all_of(data, data + size, [](char c) { return c == '\0'; });
    ++count;
  }
  static inline bool all_zero = true;
  static inline int count = 0;
};

calp::nir sample_nir() { return calp::nir::parse("284052A32102552").value(); }

calp::password_personal_data born_12_march_1985() {
  calp::password_personal_data p;
  p.birth_date = calp::parse_date("1985-03-12").value();
  return p;
}

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST_CASE("R12 a password meeting every rule is valid, each rule reported true") {
  const auto c = check(good);
  CHECK(c.valid);
  CHECK(c.length);
  CHECK(c.digit);
  CHECK(c.lower);
  CHECK(c.upper);
  CHECK(c.confirmation);
  CHECK(c.refusals.empty());
  CHECK(c.code_points == 9);
}

TEST_CASE("R12 each missing kind of character fails its own rule and only it") {
  auto c = check("TqxvLmwpX");
  CHECK_FALSE(c.valid);
  CHECK_FALSE(c.digit);
  CHECK((c.length && c.lower && c.upper && c.confirmation));

  c = check("TQ7VLM2PX");
  CHECK_FALSE(c.valid);
  CHECK_FALSE(c.lower);
  CHECK((c.length && c.digit && c.upper));

  c = check("tq7vlm2px");
  CHECK_FALSE(c.valid);
  CHECK_FALSE(c.upper);
  CHECK((c.length && c.digit && c.lower));

  c = check("");
  CHECK_FALSE(c.valid);
  CHECK_FALSE((c.length || c.digit || c.lower || c.upper));
  CHECK(c.confirmation);
  CHECK(c.code_points == 0);
}

TEST_CASE("R12 accented letters of the French alphabet count: é is lower-case, É upper-case") {
  // No ASCII lower-case letter: only the accented one can satisfy the rule.
  for (const std::string_view lower : {"é", "è", "ê", "ë", "à", "â", "ä", "î", "ï", "ô", "ö", "ù", "û",
                                       "ü", "ÿ", "ç", "æ", "œ"}) {
    CAPTURE(lower);
    const auto c = check(std::string("QWRTZ12") + std::string(lower));
    CHECK(c.lower);
    CHECK(c.valid);
  }
  for (const std::string_view upper : {"É", "È", "Ê", "Ë", "À", "Â", "Ä", "Î", "Ï", "Ô", "Ö", "Ù", "Û",
                                       "Ü", "Ÿ", "Ç", "Æ", "Œ"}) {
    CAPTURE(upper);
    const auto c = check(std::string("qwrtz12") + std::string(upper));
    CHECK(c.upper);
    CHECK(c.valid);
  }
}

TEST_CASE("R12 letters of other scripts count toward the length only") {
  // Ω is a Greek capital, я a Cyrillic small letter, ñ not in the French alphabet.
  auto c = check("QWRTZ12Ωя");
  CHECK(c.code_points == 9);
  CHECK(c.length);
  CHECK_FALSE(c.lower);
  CHECK_FALSE(c.valid);

  c = check("qwrtz12Ωя");
  CHECK_FALSE(c.upper);
  CHECK_FALSE(c.valid);

  c = check("QWRTZ12ñ");
  CHECK_FALSE(c.lower);

  c = check("Ωяωя12Ωя");
  CHECK(c.length);
  CHECK_FALSE((c.lower || c.upper));
}

TEST_CASE("R12 the length is counted in code points: 7 and 25 fail, 8 and 24 pass") {
  // Every character but the digit takes two bytes: a byte count would give 13 for 7.
  const std::string seven = "Éé1Àà" + repeat("ç", 2);
  REQUIRE(seven.size() == 13);
  auto c = check(seven);
  CHECK(c.code_points == 7);
  CHECK_FALSE(c.length);
  CHECK_FALSE(c.valid);

  c = check(seven + "ô");
  CHECK(c.code_points == 8);
  CHECK(c.length);
  CHECK(c.valid);

  const std::string twenty_four = "Éé1" + repeat("àÇ", 10) + "ô";
  c = check(twenty_four);
  CHECK(c.code_points == 24);
  CHECK(c.length);
  CHECK(c.valid);

  c = check(twenty_four + "€");  // three bytes, one code point
  CHECK(c.code_points == 25);
  CHECK_FALSE(c.length);
  CHECK_FALSE(c.valid);

  // Four-byte code points too.
  c = check("Ab1" + repeat("😀", 5));
  CHECK(c.code_points == 8);
  CHECK(c.length);
}

TEST_CASE("R12 invalid UTF-8 is refused, the other rules read false, and nothing crashes") {
  for (const std::string_view bad : {
           "Abcdef1\xC0\xAF"sv,              // overlong '/'
           "Abcdef1\xE0\x80\xAF"sv,          // overlong, three bytes
           "Abcdef1\xED\xA0\x80"sv,          // UTF-16 surrogate U+D800
           "Abcdef1\xF4\x90\x80\x80"sv,      // above U+10FFFF
           "Abcdef1\xC3"sv,                  // truncated at the end
           "Abcdef1\xE2\x82xyz"sv,           // truncated in the middle
           "Abcdef1\x80xyz"sv,               // a lone continuation byte
           "Abcdef1\xFFxyz"sv,               // never in UTF-8
       }) {
    CAPTURE(bad.size());
    const auto c = check(bad);
    CHECK_FALSE(c.valid);
    CHECK(c.refusals == only(password_refusal::invalid_utf8));
    CHECK_FALSE((c.length || c.digit || c.lower || c.upper));
    CHECK(c.code_points == 0);
    // Still meaningful: the two entries are the same bytes.
    CHECK(c.confirmation);
    CHECK_FALSE(calp::is_common_password(bad));
  }
  CHECK_FALSE(check_typed_twice("Abcdef1\xC3"sv, "Abcdef1\xC4"sv).confirmation);
}

TEST_CASE("R12 control characters (C0, DEL, C1) are refused, the other rules still report") {
  for (const std::string_view bad : {"Tq7v\tLm2pX"sv, "Tq7v\nLm2pX"sv, "Tq7v\0Lm2pX"sv, "Tq7v\x1FLm2pX"sv,
                                     "Tq7v\x7FLm2pX"sv, "Tq7v\xC2\x85Lm2pX"sv, "Tq7v\xC2\x9FLm2pX"sv}) {
    CAPTURE(bad.size());
    const auto c = check(bad);
    CHECK_FALSE(c.valid);
    CHECK(c.refusals == only(password_refusal::control_character));
    CHECK((c.length && c.digit && c.lower && c.upper && c.confirmation));
    CHECK(c.code_points == 10);
  }
  // U+00A0 (no-break space) is past the C1 range: a printable character.
  CHECK(check("Tq7v\xC2\xA0Lm2pX"sv).valid);
}

TEST_CASE("R12 the password is typed twice: the confirmation must be the same bytes") {
  CHECK(check_typed_twice(good, good).confirmation);
  auto c = check_typed_twice(good, "Tq7vLm2pY");
  CHECK_FALSE(c.confirmation);
  CHECK_FALSE(c.valid);
  CHECK((c.length && c.digit && c.lower && c.upper));
  CHECK(c.refusals.empty());
  CHECK_FALSE(check_typed_twice(good, "Tq7vLm2pX ").confirmation);
  CHECK_FALSE(check_typed_twice(good, "").confirmation);
  // No normalisation: a composed and a decomposed é are different passwords.
  CHECK_FALSE(check_typed_twice("Tq7vLm2pé", "Tq7vLm2pe\xCC\x81").confirmation);
}

TEST_CASE("R12 a password containing the NIR is refused, with spaces, dots, hyphens or not") {
  calp::password_personal_data p;
  p.nir = sample_nir();
  for (const std::string_view pw : {"284052A32102552Zz", "Zz284052a321025", "2 84 05 2A 321 025 Zz",
                                    "Zz2.84.05.2a.321.025", "Zz284-05-2A-321-025-52"}) {
    CAPTURE(pw);
    const auto c = check(pw, p);
    CHECK_FALSE(c.valid);
    CHECK(c.refused(password_refusal::contains_nir));
  }
  // A piece of it is not the NIR.
  CHECK(check("Zz2840521xx", p).valid);
  // Without the NIR among the data, or with the rule off, nothing is refused.
  CHECK(check("Zz284052a321025").valid);
  password_policy lax;
  lax.refuse_personal_data = false;
  CHECK(check("Zz284052a321025", p, lax).valid);
}

TEST_CASE("R12 a password containing the birth date in a common form is refused") {
  const auto p = born_12_march_1985();
  for (const std::string_view pw : {"Zq12031985", "Zq12/03/1985", "Zq12-03-1985", "Zq12.03.1985",
                                    "Zq1985-03-12", "Zq19850312", "Zq120385", "Zq12/03/85", "Zq1231985",
                                    "Zq03121985", "Zq 12 03 1985"}) {
    CAPTURE(pw);
    const auto c = check(pw, p);
    CHECK_FALSE(c.valid);
    CHECK(c.refusals == only(password_refusal::contains_birth_date));
  }
  // The year alone, or the day and month alone, match too many passwords by chance.
  CHECK(check("Zq1985wxy", p).valid);
  CHECK(check("Zq1203wxy", p).valid);

  // Day and month below 10 are also written without their zero: 1/3/1985.
  calp::password_personal_data early;
  early.birth_date = calp::parse_date("1985-03-01").value();
  CHECK(check("Zq131985x", early).refused(password_refusal::contains_birth_date));
  CHECK(check("Zq01031985", early).refused(password_refusal::contains_birth_date));
  CHECK(check("Zq010385x", early).refused(password_refusal::contains_birth_date));
}

TEST_CASE("R12 a password containing a name is refused, whatever its case and accents") {
  // Given names are on the block-list too: look at this rule alone.
  password_policy names_only;
  names_only.refuse_common = false;
  const auto check_names = [&](std::string_view pw, const calp::password_personal_data& data) {
    return check(pw, data, names_only);
  };
  calp::password_personal_data p;
  p.names = {"Dupont-Martin", "Élodie", "Li"};
  for (const std::string_view pw : {"Elodie2024!", "xxÉLODIE9a", "elodié77Q", "Dupont1234x", "9xMARTINx",
                                    "DupontMartin7", "Zélodie5ab"}) {
    CAPTURE(pw);
    const auto c = check_names(pw, p);
    CHECK_FALSE(c.valid);
    CHECK(c.refusals == only(password_refusal::contains_name));
  }
  // A part under 3 letters (Li) is inside too many words to count.
  CHECK(check_names("Lima1234Zz", p).valid);

  calp::password_personal_data ligature;
  ligature.names = {"Lœuvre"};
  CHECK(check_names("LOEUVRE12x", ligature).refused(password_refusal::contains_name));
  CHECK(check_names("lŒuvre12X", ligature).refused(password_refusal::contains_name));
}

TEST_CASE("R12 every reason is reported at once, in the order of password_refusal") {
  calp::password_personal_data p = born_12_march_1985();
  p.names = {"Soleil"};
  const auto c = check("Soleil12031985\x01", p);
  CHECK(c.refusals == std::vector<password_refusal>{password_refusal::control_character,
                                                    password_refusal::common,
                                                    password_refusal::contains_birth_date,
                                                    password_refusal::contains_name});
}

TEST_CASE("R12 common passwords are refused, whole or dressed with digits and symbols") {
  for (const std::string_view pw : {"Azertyuiop1", "AZERTY123", "Azerty123!", "Marseille13", "MotDePasse1",
                                    "Soleil2024!", "Jetaime123", "!!Doudou2024", "Loulou75*", "Chouchou1",
                                    "Nicolas1990", "Password1", "Bonjour2024", "Chocolat1"}) {
    CAPTURE(pw);
    const auto c = check(pw);
    CHECK_FALSE(c.valid);
    CHECK(c.refusals == only(password_refusal::common));
    CHECK(calp::is_common_password(pw));
  }
  // A core under 6 characters is not looked up: `paris` is inside too many passwords.
  CHECK_FALSE(calp::is_common_password("Paris2024!"));
  CHECK_FALSE(calp::is_common_password(good));
  CHECK_FALSE(calp::is_common_password(""));
  CHECK_FALSE(calp::is_common_password("12345678"));  // only digits: no core at all

  password_policy lax;
  lax.refuse_common = false;
  CHECK(check("Azerty123!", {}, lax).valid);
}

TEST_CASE("R12 a configured policy: a longer minimum, rules turned off") {
  password_policy strict;
  strict.min_length = 12;
  auto c = check(good, {}, strict);
  CHECK_FALSE(c.length);
  CHECK_FALSE(c.valid);
  CHECK(check("Tq7vLm2pXw8k", {}, strict).valid);

  password_policy letters_only;
  letters_only.require_digit = false;
  letters_only.require_upper = false;
  c = check("tqxvlmwpx", {}, letters_only);
  CHECK(c.digit);
  CHECK(c.upper);
  CHECK(c.valid);

  // A policy whose bounds cross accepts nothing rather than anything.
  password_policy crossed;
  crossed.min_length = 20;
  crossed.max_length = 10;
  CHECK_FALSE(check(good, {}, crossed).valid);
}

TEST_CASE("R12 refusals have stable ids and French messages that hold no password") {
  const std::vector<std::pair<password_refusal, std::string_view>> ids = {
      {password_refusal::invalid_utf8, "invalid_utf8"},
      {password_refusal::control_character, "control_character"},
      {password_refusal::common, "common"},
      {password_refusal::contains_nir, "contains_nir"},
      {password_refusal::contains_birth_date, "contains_birth_date"},
      {password_refusal::contains_name, "contains_name"}};
  for (const auto& [r, id] : ids) {
    CHECK(calp::to_string(r) == id);
    const auto message = calp::french_message(r);
    CHECK(message.find("mot de passe") != std::string_view::npos);
    CHECK(message.back() == '.');
  }
}

TEST_CASE("R12 the copies of the password made for the checks are wiped") {
  const auto previous = calp::detail::set_secret_wipe_observer(&observer::record);
  calp::password_personal_data p = born_12_march_1985();
  p.nir = sample_nir();
  p.names = {"Dupont"};
  {
    const secret pw{good};
    const secret again{good};
    const auto c = calp::check_password(password_policy{}, pw, again, p);
    CHECK(c.valid);
  }
  calp::detail::set_secret_wipe_observer(previous);
  // The two entries, and the folded and compacted copies besides.
  CHECK(observer::count > 2);
  CHECK(observer::all_zero);
}

TEST_CASE("R12 the block-list: sorted, unique, lower-case, over 10,000 entries, French ones in it") {
  const std::string text =
      calp::testing::read_file(std::filesystem::path{CALP_SOURCE_DIR} / "src/data/common-passwords.txt");
  REQUIRE_FALSE(text.empty());
  REQUIRE(text.back() == '\n');
  std::vector<std::string_view> entries;
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    entries.push_back(rest.substr(0, end));
    rest.remove_prefix(end + 1);
  }
  CHECK(entries.size() >= 10000);
  CHECK(entries.size() == calp::common_password_count());
  CHECK(std::none_of(entries.begin(), entries.end(), [](std::string_view e) { return e.empty(); }));
  // Strictly increasing byte-wise (string_view compares as unsigned char): sorted, unique.
  CHECK(std::adjacent_find(entries.begin(), entries.end(),
                           [](std::string_view a, std::string_view b) { return a >= b; }) == entries.end());
  CHECK(std::none_of(entries.begin(), entries.end(), [](std::string_view e) {
    return std::any_of(e.begin(), e.end(), [](char c) { return (c >= 'A' && c <= 'Z') || c == '\r'; });
  }));
  for (const std::string_view french : {"azerty", "motdepasse", "soleil", "marseille", "doudou", "loulou",
                                        "chouchou", "jetaime", "nicolas"}) {
    CAPTURE(french);
    CHECK(std::binary_search(entries.begin(), entries.end(), french));
  }
  // The compiled-in copy is the file: every entry is found by the library's search.
  std::size_t missed = 0;
  for (const auto e : entries) missed += calp::is_common_password(e) ? 0 : 1;
  CHECK(missed == 0);
  // Just outside the list on either side, and between two entries.
  CHECK_FALSE(calp::is_common_password(" "));
  CHECK_FALSE(calp::is_common_password("\xF4\x8F\xBF\xBF"));
  CHECK_FALSE(calp::is_common_password(std::string(entries[100]) + "qz~"));
}
