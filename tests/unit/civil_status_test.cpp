// The civil status of a primo-demandeur (R3, R4, R15): field rules, consistency with a
// NIR, and the normal form of names. The reference person is the seed's récapitulatif:
// MORVAN Daniel, born 09/09/1962 in ORAN, ALGERIE, parents MORVAN JEAN and MORVAN
// JEANNE, living in 06000.

#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "calp/civil_status.hpp"
#include "calp/error.hpp"
#include "calp/nir.hpp"

using calp::civil_status;
using calp::civil_status_limits;
using calp::errc;
using calp::nir_mismatch;
using namespace std::chrono_literals;

namespace {

constexpr calp::date today{2026y, std::chrono::January, 15d};

calp::date day(int y, unsigned m, unsigned d) {
  return calp::date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
}

// The seed's primo-demandeur, born abroad.
civil_status morvan() {
  civil_status cs;
  cs.family_name = "MORVAN";
  cs.given_names = "DANIEL";
  cs.gender = calp::gender::male;
  cs.birth_date = day(1962, 9, 9);
  cs.birth_country = "99352";  // Algérie
  cs.birth_city = "ORAN";
  cs.parents = {{"MORVAN", "JEAN"}, {"MORVAN", "JEANNE"}};
  cs.postal_code = "06000";
  return cs;
}

// A person born in France: Nice (06088), no parents needed.
civil_status born_in_nice() {
  civil_status cs;
  cs.family_name = "DUBOIS";
  cs.given_names = "ANGELA CLAIRE LOUISE";
  cs.gender = calp::gender::female;
  cs.birth_date = day(1985, 3, 2);
  cs.birth_country = "99100";
  cs.birth_place = "06088";
  cs.postal_code = "06000";
  return cs;
}

// "field=code" for each error, in order: doctest prints strings when a check fails.
std::vector<std::string> outcome(const civil_status& cs, const civil_status_limits& limits = {}) {
  std::vector<std::string> out;
  for (const calp::error& e : calp::validate_civil_status(cs, today, limits)) {
    CHECK_FALSE(e.message.empty());
    out.push_back(e.field + "=" + std::string(calp::to_string(e.code)));
  }
  return out;
}

using list = std::vector<std::string>;

const list valid{};

// The outcome of `morvan()` with its family name replaced.
list family_name_outcome(std::string_view name) {
  civil_status cs = morvan();
  cs.family_name = std::string(name);
  return outcome(cs);
}

const list bad_family_name{"family_name=calp.civil_status.name"};

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

calp::nir nir_of(std::string_view body13, calp::nir_profile profile = calp::nir_profile::strict) {
  const auto key = calp::nir::compute_key(body13);
  REQUIRE(key.has_value());
  std::string full(body13);
  full += static_cast<char>('0' + key.value() / 10);
  full += static_cast<char>('0' + key.value() % 10);
  auto n = calp::nir::parse(full, profile);
  REQUIRE_MESSAGE(n.has_value(), full);
  return n.value();
}

calp::nir parsed(std::string_view nir15) {
  auto n = calp::nir::parse(nir15);
  REQUIRE_MESSAGE(n.has_value(), std::string(nir15));
  return n.value();
}

std::vector<std::string> mismatches(const calp::nir& n, const civil_status& cs) {
  std::vector<std::string> out;
  for (const nir_mismatch m : calp::nir_consistency(n, cs)) out.emplace_back(calp::to_string(m));
  return out;
}

// Born in Greece (99126) in October 1995, female: DESIGN §2's `295109912611193`.
civil_status born_in_greece() {
  civil_status cs = morvan();
  cs.family_name = "PAPADOPOULOU";
  cs.given_names = "ELENI";
  cs.gender = calp::gender::female;
  cs.birth_date = day(1995, 10, 21);
  cs.birth_country = "99126";
  cs.birth_city = "ATHENES";
  return cs;
}

std::string normalized(std::string_view name) {
  const auto r = calp::normalize_name(name);
  REQUIRE_MESSAGE(r.has_value(), std::string(name));
  return r.value();
}

}  // namespace

// ---------------------------------------------------------------------------------
// The seed's person and the France / abroad requirements

TEST_CASE("R4 the seed's primo-demandeur born in Oran, Algeria, with both parents is valid") {
  CHECK(outcome(morvan()) == valid);
}

TEST_CASE("R15 a person born in France needs a commune code, no city and no parents") {
  CHECK(outcome(born_in_nice()) == valid);
  civil_status cs = born_in_nice();
  cs.birth_city = "NICE";  // allowed, and checked when given
  CHECK(outcome(cs) == valid);
  cs.birth_city = "NICE 06";
  CHECK(outcome(cs) == list{"birth_city=calp.civil_status.birth_place"});
  cs = born_in_nice();
  cs.birth_place.clear();
  CHECK(outcome(cs) == list{"birth_place=calp.civil_status.birth_place"});
}

TEST_CASE("R15 a French commune code is 5 digits or 2A/2B and 3 digits, never 00 or a country") {
  for (const char* code : {"06088", "75056", "97209", "98818", "2A004", "2B033", "20004", "01001"}) {
    CAPTURE(code);
    civil_status cs = born_in_nice();
    cs.birth_place = code;
    CHECK(outcome(cs) == valid);
  }
  for (const char* code : {"0608", "060880", "2a004", "2b033", "2C004", "A2004", "2A0B4", "06 08",
                           "00123", "99352", "99100", "O6088", "٠٦٠٨٨"}) {
    CAPTURE(code);
    civil_status cs = born_in_nice();
    cs.birth_place = code;
    CHECK(outcome(cs) == list{"birth_place=calp.civil_status.birth_place"});
  }
}

TEST_CASE("R15 parents' names given by a person born in France are checked, empty ones ignored") {
  civil_status cs = born_in_nice();
  cs.parents = {{"DUBOIS", ""}};
  CHECK(outcome(cs) == valid);
  cs.parents = {{"DUBOIS", "PIERRE2"}};
  CHECK(outcome(cs) == list{"parents[0].given_names=calp.civil_status.name"});
}

TEST_CASE("R4 born abroad: the city of birth is required and the commune code must be empty") {
  civil_status cs = morvan();
  cs.birth_city.clear();
  CHECK(outcome(cs) == list{"birth_city=calp.civil_status.birth_place"});
  cs = morvan();
  cs.birth_place = "06088";
  CHECK(outcome(cs) == list{"birth_place=calp.civil_status.birth_place"});
}

TEST_CASE("R4 a city of birth abroad: letters, spaces, hyphens, apostrophes and dots") {
  for (const char* city : {"ORAN", "ST. LOUIS", "WASHINGTON D.C.", "FRANKFURT AM MAIN",
                           "L’AQUILA", "AIX-LA-CHAPELLE", "SÃO PAULO", "北京", "Санкт-Петербург",
                           "D'ARTAGNAN", "N.Y."}) {
    CAPTURE(city);
    civil_status cs = morvan();
    cs.birth_city = city;
    CHECK(outcome(cs) == valid);
  }
  for (const char* city : {"ORAN 1", "HALLE (SAALE)", "WASHINGTON, D.C.", ".ORAN", " ORAN", "ORAN-",
                           "ST..LOUIS", "ST.-.LOUIS", "ORAN\t", "ORAN\n", "SAINT  DENIS", "-ORAN",
                           "\xC3"}) {
    CAPTURE(city);
    civil_status cs = morvan();
    cs.birth_city = city;
    CHECK(outcome(cs) == list{"birth_city=calp.civil_status.birth_place"});
  }
  civil_status cs = morvan();
  cs.birth_city = repeat("É", 80);
  CHECK(outcome(cs) == valid);
  cs.birth_city = repeat("É", 81);
  CHECK(outcome(cs) == list{"birth_city=calp.civil_status.birth_place"});
}

TEST_CASE("R4 born abroad: both parents are required, each with a family name and given names") {
  civil_status cs = morvan();
  cs.parents.clear();
  CHECK(outcome(cs) == list{"parents=calp.civil_status.parents"});
  cs.parents = {{"MORVAN", "JEAN"}};
  CHECK(outcome(cs) == list{"parents=calp.civil_status.parents"});
  cs.parents = {{"MORVAN", "JEAN"}, {"MORVAN", "JEANNE"}, {"MORVAN", "JEANNOT"}};
  CHECK(outcome(cs) == list{"parents=calp.civil_status.parents"});
  cs = morvan();
  cs.parents[1].family_name.clear();
  CHECK(outcome(cs) == list{"parents[1].family_name=calp.civil_status.parents"});
  cs = morvan();
  cs.parents[0].given_names.clear();
  cs.parents[1].given_names.clear();
  CHECK(outcome(cs) == list{"parents[0].given_names=calp.civil_status.parents",
                            "parents[1].given_names=calp.civil_status.parents"});
  cs = morvan();
  cs.parents[1].family_name = "-MORVAN";
  cs.parents[0].given_names = "JEAN3";
  CHECK(outcome(cs) == list{"parents[0].given_names=calp.civil_status.name",
                            "parents[1].family_name=calp.civil_status.name"});
  cs = morvan();
  cs.parents = {{"MORVAN", "JEAN"}, {"", ""}};
  CHECK(outcome(cs) == list{"parents[1].family_name=calp.civil_status.parents",
                            "parents[1].given_names=calp.civil_status.parents"});
}

TEST_CASE("R4 the country of birth is an INSEE code: 99, a continent digit 1-5, 2 digits") {
  for (const char* country : {"99100", "99352", "99126", "99109", "99404", "99502", "99599"}) {
    CAPTURE(country);
    civil_status cs = morvan();
    cs.birth_country = country;
    if (std::string_view(country) == "99100") {
      // France: the Algerian city no longer fits, a commune code is needed.
      cs.birth_city.clear();
      cs.birth_place = "06088";
    }
    CHECK(outcome(cs) == valid);
  }
  for (const char* country : {"", "99", "9935", "993520", "99000", "99600", "99999", "98352",
                              "06088", "9935a", "ALGERIE", " 99352"}) {
    CAPTURE(country);
    civil_status cs = morvan();
    cs.birth_country = country;
    CHECK(outcome(cs) == list{"birth_country=calp.civil_status.birth_place"});
  }
}

TEST_CASE("R4 with an invalid country, nothing more is required but a city and parents given are checked") {
  civil_status cs = morvan();
  cs.birth_country = "ALGERIE";
  cs.parents.clear();
  CHECK(outcome(cs) == list{"birth_country=calp.civil_status.birth_place"});
  cs.parents = {{"MORVAN", "JEAN!"}};
  CHECK(outcome(cs) == list{"birth_country=calp.civil_status.birth_place",
                            "parents[0].given_names=calp.civil_status.name"});
  cs.birth_city = "ORAN (1)";
  CHECK(outcome(cs) == list{"birth_country=calp.civil_status.birth_place",
                            "birth_city=calp.civil_status.birth_place",
                            "parents[0].given_names=calp.civil_status.name"});
}

// ---------------------------------------------------------------------------------
// Names

TEST_CASE("R15 names of any script, with accents, hyphens, spaces and apostrophes, are valid") {
  for (const char* name :
       {"MORVAN", "Morvan", "ÉLOÏSE", "éloïse", "DE LA FONTAINE", "SAINT-EXUPÉRY", "N’DIAYE",
        "O'NEIL", "D'ALEMBERT-LE ROND", "李", "李小龙", "Ελένη", "МОРВАН", "محمد", "हिन्दी", "ŒUVRE",
        "STRAUẞ", "Nguyễn", "E\xCC\x81LOI\xCC\x88SE" /* NFD */, "A"}) {
    CAPTURE(name);
    CHECK(family_name_outcome(name) == valid);
  }
}

TEST_CASE("R15 a name must start and end with a letter, with single separators in between") {
  for (const char* name : {"-MORVAN", "MORVAN-", "'MORVAN", "MORVAN’", " MORVAN", "MORVAN ",
                           "JEAN--PIERRE", "JEAN -PIERRE", "JEAN- PIERRE", "O''NEIL", "O’’NEIL",
                           "DE  LA FONTAINE", "-", " ", "'"}) {
    CAPTURE(name);
    CHECK(family_name_outcome(name) == bad_family_name);
  }
}

TEST_CASE("R15 digits, punctuation, symbols, dots and other spaces are refused in a name") {
  for (const char* name : {"MORVAN2", "2MORVAN", "MORVAN٣", "MOR.VAN", "J.", "MORVAN!", "MOR_VAN",
                           "MOR,VAN", "MORVAN@", "MOR+VAN", "MORVAN😀", "MOR\xC2\xA0VAN" /* NBSP */,
                           "MOR\xE2\x80\x8BVAN" /* zero-width space */, "MOR\xE2\x80\x98VAN" /* ‘ */,
                           "MOR`VAN", "\xCC\x81MORVAN" /* a mark first */, "MOR \xCC\x81VAN",
                           "\xEE\x80\x80" /* private use */}) {
    CAPTURE(name);
    CHECK(family_name_outcome(name) == bad_family_name);
  }
}

TEST_CASE("R15 control characters and malformed UTF-8 are refused in a name") {
  using namespace std::string_literals;
  for (const std::string& name :
       {"MOR\tVAN"s, "MORVAN\n"s, "MOR\rVAN"s, "MOR\x01VAN"s, "MOR\x7FVAN"s, "MOR\0VAN"s,
        "MOR\xC2\x85VAN"s /* NEL */, "MOR\xC3"s, "\xC3\x28"s, "\xC0\x80"s /* overlong NUL */,
        "\xED\xA0\x80"s /* surrogate */, "\xF4\x90\x80\x80"s /* past U+10FFFF */, "\xFF"s}) {
    CAPTURE(name);
    CHECK(family_name_outcome(name) == bad_family_name);
  }
}

TEST_CASE("R15 an empty name is refused, for the family name and the given names") {
  civil_status cs = morvan();
  cs.family_name.clear();
  cs.given_names.clear();
  CHECK(outcome(cs) ==
        list{"family_name=calp.civil_status.name", "given_names=calp.civil_status.name"});
}

TEST_CASE("R15 name lengths count code points, not bytes: 80 for the family name, 120 given") {
  civil_status cs = morvan();
  for (const std::string_view unit : {"A", "É", "李"}) {
    CAPTURE(std::string(unit));
    cs.family_name = repeat(unit, 80);
    cs.given_names = repeat(unit, 120);
    CHECK(outcome(cs) == valid);
    cs.family_name = repeat(unit, 81);
    cs.given_names = repeat(unit, 121);
    CHECK(outcome(cs) ==
          list{"family_name=calp.civil_status.name", "given_names=calp.civil_status.name"});
  }
  // A decomposed letter is two code points: 40 `É` in NFD are 80, 41 are 82.
  cs = morvan();
  cs.family_name = repeat("E\xCC\x81", 40);
  CHECK(outcome(cs) == valid);
  cs.family_name = repeat("E\xCC\x81", 41);
  CHECK(outcome(cs) == bad_family_name);
  // Parents follow the same bounds.
  cs = morvan();
  cs.parents[0].family_name = repeat("É", 81);
  cs.parents[1].given_names = repeat("É", 121);
  CHECK(outcome(cs) == list{"parents[0].family_name=calp.civil_status.name",
                            "parents[1].given_names=calp.civil_status.name"});
}

TEST_CASE("R15 the limits can be changed by the host") {
  civil_status cs = morvan();
  civil_status_limits limits;
  limits.family_name_max = 5;
  limits.given_names_max = 6;
  limits.birth_city_max = 3;
  CHECK(outcome(cs, limits) == list{"family_name=calp.civil_status.name",
                                    "birth_city=calp.civil_status.birth_place",
                                    "parents[0].family_name=calp.civil_status.name",
                                    "parents[1].family_name=calp.civil_status.name"});
  limits.family_name_max = 6;
  limits.birth_city_max = 4;
  CHECK(outcome(cs, limits) == valid);
}

// ---------------------------------------------------------------------------------
// Birth date

TEST_CASE("R15 the birth date is a real day from 1900-01-01 to today") {
  civil_status cs = morvan();
  cs.birth_date = day(1900, 1, 1);
  CHECK(outcome(cs) == valid);
  cs.birth_date = today;
  CHECK(outcome(cs) == valid);
  const list bad{"birth_date=calp.civil_status.date"};
  cs.birth_date = day(1899, 12, 31);
  CHECK(outcome(cs) == bad);
  cs.birth_date = day(2026, 1, 16);  // tomorrow
  CHECK(outcome(cs) == bad);
  cs.birth_date = day(2023, 2, 29);
  CHECK(outcome(cs) == bad);
  cs.birth_date = day(2024, 2, 29);
  CHECK(outcome(cs) == valid);
  cs.birth_date = day(1962, 13, 1);
  CHECK(outcome(cs) == bad);
  cs.birth_date = calp::date{};
  CHECK(outcome(cs) == bad);
}

// ---------------------------------------------------------------------------------
// Postal code

TEST_CASE("R15 the postal code of residence is exactly 5 ASCII digits, required by default") {
  for (const char* code : {"06000", "75001", "97200", "98000", "01000"}) {
    civil_status cs = morvan();
    cs.postal_code = code;
    CHECK(outcome(cs) == valid);
  }
  const list bad{"postal_code=calp.civil_status.postal_code"};
  for (const char* code : {"", "6000", "060000", "06 000", "2A000", "06000 ", "O6000", "٠٦٠٠٠"}) {
    CAPTURE(code);
    civil_status cs = morvan();
    cs.postal_code = code;
    CHECK(outcome(cs) == bad);
  }
  civil_status_limits relaxed;
  relaxed.postal_code_required = false;
  civil_status cs = morvan();
  cs.postal_code.clear();
  CHECK(outcome(cs, relaxed) == valid);
  cs.postal_code = "6000";
  CHECK(outcome(cs, relaxed) == bad);
}

// ---------------------------------------------------------------------------------
// All errors at once, and what messages reveal

TEST_CASE("R15 every faulty field is reported at once, in field order") {
  civil_status cs;
  cs.family_name = "M0RVAN";
  cs.birth_date = day(2030, 1, 1);
  cs.birth_country = "99352";
  cs.birth_place = "06088";
  cs.postal_code = "6000";
  CHECK(outcome(cs) == list{"family_name=calp.civil_status.name", "given_names=calp.civil_status.name",
                            "birth_date=calp.civil_status.date",
                            "birth_place=calp.civil_status.birth_place",
                            "birth_city=calp.civil_status.birth_place", "parents=calp.civil_status.parents",
                            "postal_code=calp.civil_status.postal_code"});
}

TEST_CASE("R15 error messages never quote the person's data") {
  civil_status cs;
  cs.family_name = "MORVAN7";
  cs.given_names = "DANIEL--JEAN";
  cs.birth_date = day(2030, 9, 9);
  cs.birth_country = "99352X";
  cs.birth_place = "0608";
  cs.birth_city = "ORAN (1)";
  cs.parents = {{"MORVANE!", "JEANNOT?"}};
  cs.postal_code = "06000X";
  const auto errors = calp::validate_civil_status(cs, today);
  REQUIRE(errors.size() >= 6);
  for (const calp::error& e : errors) {
    CAPTURE(e.message);
    for (const std::string_view data : {"MORVAN", "DANIEL", "JEAN", "2030", "99352", "0608", "ORAN", "06000"}) {
      CHECK(e.message.find(data) == std::string::npos);
    }
  }
  // Positions and kinds, so that a screen or an agent can still say what to fix.
  cs = morvan();
  cs.family_name = "MORVAN7";
  const auto named = calp::validate_civil_status(cs, today);
  REQUIRE(named.size() == 1);
  CHECK(named[0].message == "family name character 7 is a digit; only letters, spaces, hyphens and "
                            "apostrophes are allowed");
}

// ---------------------------------------------------------------------------------
// Consistency with a NIR (R3)

TEST_CASE("R3 the NIR of a woman born in Greece in October 1995 matches her civil status") {
  const calp::nir n = parsed("295109912611193");
  CHECK(mismatches(n, born_in_greece()).empty());
  // The century is not in the NIR: 2095 would give the same `95`, and the day never counts.
  civil_status cs = born_in_greece();
  cs.birth_date = day(1895, 10, 1);
  CHECK(mismatches(n, cs).empty());
}

TEST_CASE("R3 sex digit 1 is a man, 2 a woman") {
  civil_status cs = born_in_greece();
  cs.gender = calp::gender::male;
  CHECK(mismatches(parsed("295109912611193"), cs) == std::vector<std::string>{"sex"});
  const calp::nir man = nir_of("1951099126111");
  CHECK(mismatches(man, cs).empty());
  cs.gender = calp::gender::female;
  CHECK(mismatches(man, cs) == std::vector<std::string>{"sex"});
}

TEST_CASE("R3 the provisional sex digits 3, 4, 7 and 8 are never compared") {
  for (const char sex : {'3', '4', '7', '8'}) {
    CAPTURE(sex);
    std::string body = "2951099126111";
    body[0] = sex;
    const calp::nir n = nir_of(body, calp::nir_profile::lenient);
    civil_status cs = born_in_greece();
    cs.gender = calp::gender::male;
    CHECK(mismatches(n, cs).empty());
    cs.gender = calp::gender::female;
    CHECK(mismatches(n, cs).empty());
  }
}

TEST_CASE("R3 the NIR's year must be the birth year modulo 100") {
  civil_status cs = born_in_greece();
  cs.birth_date = day(1996, 10, 21);
  CHECK(mismatches(parsed("295109912611193"), cs) == std::vector<std::string>{"birth_year"});
  // Year 00: born in 2000 (or 1900).
  const calp::nir n = nir_of("2001099126111");
  cs.birth_date = day(2000, 10, 1);
  CHECK(mismatches(n, cs).empty());
  cs.birth_date = day(1900, 10, 1);
  CHECK(mismatches(n, cs).empty());
  cs.birth_date = day(2001, 10, 1);
  CHECK(mismatches(n, cs) == std::vector<std::string>{"birth_year"});
}

TEST_CASE("R3 the NIR's month is compared only when it is a calendar month 01-12") {
  civil_status cs = born_in_greece();
  cs.birth_date = day(1995, 11, 21);
  CHECK(mismatches(parsed("295109912611193"), cs) == std::vector<std::string>{"birth_month"});
  // Unknown months (20-30, 50-99) and pseudo-fictitious ones (31-42) are never compared.
  for (const char* month : {"20", "30", "31", "40", "42", "50", "99"}) {
    CAPTURE(month);
    std::string body = "2951099126111";
    body.replace(3, 2, month);
    CHECK(mismatches(nir_of(body), cs).empty());
  }
  // DESIGN §2's month-42 NIR (a man born in 1980, December by the record) and any month.
  civil_status man = born_in_nice();
  man.gender = calp::gender::male;
  man.birth_date = day(1980, 5, 3);
  CHECK(mismatches(parsed("180427512345637"), man).empty());
}

TEST_CASE("R3 a NIR of someone born abroad does not match a civil status born in France") {
  civil_status cs = born_in_greece();
  cs.birth_country = "99100";
  cs.birth_place = "06088";
  cs.birth_city.clear();
  CHECK(mismatches(parsed("295109912611193"), cs) == std::vector<std::string>{"born_abroad"});
}

TEST_CASE("R3 a NIR of someone born in France does not match a civil status born abroad") {
  // DESIGN §2's `253072B07300470`: a woman born in Haute-Corse in July 1953.
  const calp::nir n = parsed("253072B07300470");
  civil_status cs = born_in_nice();
  cs.birth_date = day(1953, 7, 14);
  cs.birth_place = "2B073";
  CHECK(mismatches(n, cs).empty());
  cs.birth_country = "99126";
  cs.birth_place.clear();
  CHECK(mismatches(n, cs) == std::vector<std::string>{"born_in_france"});
  // Overseas departments are France too.
  civil_status martinique = born_in_nice();
  martinique.gender = calp::gender::male;
  martinique.birth_date = day(1985, 3, 2);
  martinique.birth_place = "97212";
  CHECK(mismatches(parsed("185039721200145"), martinique).empty());
  martinique.birth_country = "99352";
  CHECK(mismatches(parsed("185039721200145"), martinique) == std::vector<std::string>{"born_in_france"});
}

TEST_CASE("R3 departments 91-96 of Algeria, Morocco and Tunisia before independence are not born_in_france") {
  civil_status cs = morvan();
  cs.birth_date = day(1955, 4, 1);
  for (const char* dept : {"91", "92", "93", "94"}) {
    CAPTURE(dept);
    std::string body = "1550491352001";
    body.replace(5, 2, dept);
    cs.birth_country = "99352";  // Algérie
    CHECK(mismatches(nir_of(body), cs).empty());
    cs.birth_country = "99350";  // Maroc: 91-94 were Algeria
    CHECK(mismatches(nir_of(body), cs) == std::vector<std::string>{"born_in_france"});
  }
  cs.birth_country = "99350";
  CHECK(mismatches(nir_of("1550495352001"), cs).empty());
  cs.birth_country = "99351";  // Tunisie
  CHECK(mismatches(nir_of("1550496352001"), cs).empty());
  CHECK(mismatches(nir_of("1550495352001"), cs) == std::vector<std::string>{"born_in_france"});
  cs.birth_country = "99109";  // Allemagne
  CHECK(mismatches(nir_of("1550491352001"), cs) == std::vector<std::string>{"born_in_france"});
  // The seed's Daniel MORVAN, born in Oran after independence, with a NIR coded 99 352.
  CHECK(mismatches(nir_of("1620999352001"), morvan()).empty());
}

TEST_CASE("R3 an invalid country or birth date compares nothing about them") {
  civil_status cs = born_in_greece();
  cs.birth_country = "GRECE";
  cs.birth_date = calp::date{};
  CHECK(mismatches(parsed("295109912611193"), cs).empty());
  cs.birth_country.clear();
  CHECK(mismatches(parsed("253072B07300470"), cs).empty());
}

TEST_CASE("R3 every mismatch is reported, in the order of nir_mismatch") {
  civil_status cs = born_in_greece();
  cs.gender = calp::gender::male;
  cs.birth_date = day(1994, 3, 1);
  cs.birth_country = "99100";
  CHECK(mismatches(parsed("295109912611193"), cs) ==
        std::vector<std::string>{"sex", "birth_year", "birth_month", "born_abroad"});
  cs.birth_country = "99126";
  CHECK(mismatches(parsed("253072B07300470"), cs) ==
        std::vector<std::string>{"sex", "birth_year", "birth_month", "born_in_france"});
}

TEST_CASE("R3 mismatches have stable names and a French sentence for the agent") {
  const std::pair<nir_mismatch, std::string_view> names[] = {
      {nir_mismatch::sex, "sex"},
      {nir_mismatch::birth_year, "birth_year"},
      {nir_mismatch::birth_month, "birth_month"},
      {nir_mismatch::born_abroad, "born_abroad"},
      {nir_mismatch::born_in_france, "born_in_france"},
  };
  std::vector<std::string_view> reasons;
  for (const auto& [m, name] : names) {
    CHECK(calp::to_string(m) == name);
    const std::string_view reason = calp::french_reason(m);
    CAPTURE(std::string(reason));
    CHECK(reason.starts_with("L"));
    CHECK(reason.ends_with("."));
    CHECK(reason.find("NIR") != std::string_view::npos);
    for (const std::string_view other : reasons) CHECK(other != reason);
    reasons.push_back(reason);
  }
  CHECK(calp::french_reason(nir_mismatch::sex) ==
        "Le sexe indiqué par le NIR ne correspond pas à la civilité déclarée.");
}

// ---------------------------------------------------------------------------------
// normalize_name

TEST_CASE("R15 normalize_name trims, folds white space and upper-cases, accents kept") {
  CHECK(normalized("  jean   pierre ") == "JEAN PIERRE");
  CHECK(normalized("Éloïse") == "ÉLOÏSE");
  CHECK(normalized("éloïse") == "ÉLOÏSE");
  CHECK(normalized("morvan") == "MORVAN");
  CHECK(normalized("MORVAN") == "MORVAN");
  CHECK(normalized("n’diaye") == "N’DIAYE");
  CHECK(normalized("saint-exupéry") == "SAINT-EXUPÉRY");
  CHECK(normalized("jean\tpierre\r\n") == "JEAN PIERRE");
  CHECK(normalized("jean\xC2\xA0pierre\xE2\x80\xAF") == "JEAN PIERRE");  // no-break spaces
  CHECK(normalized("œuvre") == "ŒUVRE");
  CHECK(normalized("ελένη") == "ΕΛΈΝΗ");
  CHECK(normalized("李小龙") == "李小龙");
  CHECK(normalized("nguyễn") == "NGUYỄN");
  CHECK(normalized("jean\xC2\x85pierre") == "JEAN PIERRE");           // NEL
  CHECK(normalized("jean\xE2\x80\xA8\xE2\x80\xA9pierre") == "JEAN PIERRE");  // U+2028, U+2029
  CHECK(normalized("") == "");
  CHECK(normalized(" \t ") == "");
  // Normalising twice changes nothing.
  for (const char* name : {"  jean   pierre ", "éloïse", "E\xCC\x81LOI\xCC\x88SE", "Strauß", "ελένη",
                           "n’diaye", "j\xCC\x8C"}) {
    CAPTURE(name);
    const std::string once = normalized(name);
    CHECK(normalized(once) == once);
  }
}

TEST_CASE("R15 normalize_name composes decomposed input (NFD) into NFC") {
  // E + COMBINING ACUTE, and i + COMBINING DIAERESIS, as macOS file names and some
  // keyboards send them.
  CHECK(normalized("E\xCC\x81loi\xCC\x88se") == "ÉLOÏSE");
  CHECK(normalized("e\xCC\x81") == "\xC3\x89");
  CHECK(normalized("\xC3\x89") == normalized("E\xCC\x81"));
  // Two spellings of one name compare equal once normalised.
  CHECK(normalized("  Jean-Éloi ") == normalized("JEAN-E\xCC\x81LOI"));
  // A precomposed letter without a one-code-point upper case: the same either way.
  CHECK(normalized("j\xCC\x8C") == normalized("\xC7\xB0"));
  CHECK(normalized("\xC7\xB0") == "\xC7\xB0");
  // Already normal: unchanged.
  const std::string done = normalized("DE LA FONTAINE");
  CHECK(normalized(done) == done);
}

TEST_CASE("R15 normalize_name writes ß and ẞ as SS") {
  CHECK(normalized("Strauß") == "STRAUSS");
  CHECK(normalized("STRAUẞ") == "STRAUSS");
  CHECK(normalized("strauss") == "STRAUSS");
}

TEST_CASE("R15 normalize_name leaves validation to validate_civil_status") {
  CHECK(normalized("jean2") == "JEAN2");
  CHECK(normalized("-jean") == "-JEAN");
}

TEST_CASE("R15 normalize_name refuses malformed UTF-8, control characters and huge input") {
  using namespace std::string_literals;
  for (const std::string& bad : {"MOR\xC3"s, "\xC0\x80"s, "\xED\xA0\x80"s, "\xFF"s, "MOR\x01VAN"s,
                                  "MOR\0VAN"s, "MOR\x1B[31mVAN"s, "MOR\x7FVAN"s}) {
    CAPTURE(bad);
    const auto r = calp::normalize_name(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::civil_status_name);
    CHECK(r.error().message.find("MOR") == std::string::npos);
  }
  const auto huge = calp::normalize_name(std::string(4097, 'a'));
  REQUIRE_FALSE(huge.has_value());
  CHECK(huge.error().code == errc::civil_status_name);
  CHECK(calp::normalize_name(std::string(4096, 'a')).has_value());
}

TEST_CASE("R15 what normalize_name returns for a good name passes validate_civil_status") {
  civil_status cs = morvan();
  cs.family_name = normalized("  de   la fontaine ");
  cs.given_names = normalized("jean-e\xCC\x81loi\tmarie ");
  CHECK(cs.family_name == "DE LA FONTAINE");
  CHECK(cs.given_names == "JEAN-ÉLOI MARIE");
  CHECK(outcome(cs) == valid);
}

// ---------------------------------------------------------------------------------

TEST_CASE("R4 the error codes of the civil status have stable names") {
  CHECK(calp::to_string(errc::civil_status_name) == "calp.civil_status.name");
  CHECK(calp::to_string(errc::civil_status_date) == "calp.civil_status.date");
  CHECK(calp::to_string(errc::civil_status_birth_place) == "calp.civil_status.birth_place");
  CHECK(calp::to_string(errc::civil_status_parents) == "calp.civil_status.parents");
  CHECK(calp::to_string(errc::civil_status_postal_code) == "calp.civil_status.postal_code");
}

TEST_CASE("R15 each error of a declaration has a French sentence for the form") {
  using calp::errc;
  const auto say = [](errc code, std::string field) {
    return calp::french_message(calp::error{code, "developer message", std::move(field)});
  };
  CHECK(say(errc::civil_status_name, "family_name") ==
        "Le nom de naissance ne doit contenir que des lettres, des espaces, des traits d'union et "
        "des apostrophes\u00a0; il doit commencer et finir par une lettre.");
  CHECK(say(errc::civil_status_name, "given_names")
            .ends_with("apostrophes\u00a0; ils doivent commencer et finir par une lettre."));
  CHECK(say(errc::civil_status_name, "given_names").starts_with("Les prénoms ne doivent contenir"));
  CHECK(say(errc::civil_status_name, "parents[1].family_name")
            .starts_with("Le nom de naissance du parent 2 ne doit"));
  CHECK(say(errc::civil_status_name, "parents[0].given_names").starts_with("Les prénoms du parent 1"));
  CHECK(say(errc::civil_status_date, "birth_date") ==
        "La date de naissance doit être une date valide, comprise entre 1900 et aujourd'hui.");
  CHECK(say(errc::civil_status_parents, "parents") ==
        "Les noms de naissance et prénoms des deux parents sont obligatoires lorsque vous êtes "
        "né(e) à l'étranger.");
  CHECK(say(errc::civil_status_parents, "parents[1].given_names")
            .starts_with("Les noms de naissance et prénoms des deux parents sont obligatoires"));
  CHECK(say(errc::civil_status_postal_code, "postal_code") ==
        "Le code postal du lieu de résidence doit comporter 5 chiffres.");
  CHECK(say(errc::civil_status_birth_place, "birth_place") ==
        "La commune de naissance est manquante ou incorrecte.");
  CHECK(say(errc::civil_status_birth_place, "birth_country") ==
        "Le pays de naissance est manquant ou incorrect.");
  CHECK(say(errc::nir_key, "nir").starts_with("Le numéro de sécurité sociale n'est pas valide"));
  // Every error a real declaration produces has one, and none quotes the input.
  calp::civil_status cs;
  cs.family_name = "D4VID";
  cs.given_names = "";
  cs.birth_country = "99352";
  cs.postal_code = "7";
  for (const auto& e : calp::validate_civil_status(cs, calp::date{std::chrono::year{2026},
                                                                  std::chrono::November,
                                                                  std::chrono::day{28}})) {
    const auto text = calp::french_message(e);
    CHECK_FALSE(text.empty());
    CHECK(text.find("D4VID") == std::string::npos);
  }
}
