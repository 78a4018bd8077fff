// NIR parsing, key and display (R1, R2). Vectors come from DESIGN.md §2 and
// research/domain-rules.md §1.7–1.8; bodies marked synthetic there are made up.

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "calp/nir.hpp"

using calp::nir;
using calp::nir_month_kind;
using calp::nir_profile;

namespace {

// "ok", or the stable id of the error: doctest prints strings when a check fails.
template <class T>
std::string outcome(const calp::result<T>& r) {
  return r ? std::string("ok") : std::string(calp::to_string(r.error().code));
}

std::string parse_outcome(std::string_view input, nir_profile profile = nir_profile::strict) {
  return outcome(nir::parse(input, profile));
}

std::string message_of(std::string_view input, nir_profile profile = nir_profile::strict) {
  const auto r = nir::parse(input, profile);
  REQUIRE_FALSE(r.has_value());
  return r.error().message;
}

// A 15-character NIR from a 13-character body and its computed key.
std::string with_key(const std::string& body) {
  const auto key = nir::compute_key(body);
  REQUIRE(key.has_value());
  return fmt::format("{}{:02}", body, *key);
}

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

struct invalid_case {
  const char* input;
  const char* code;
};

}  // namespace

TEST_CASE("R1 `2 84 05 2a 321 025 52` normalises to `284052A32102552`") {
  const auto n = nir::parse("2 84 05 2a 321 025 52");
  REQUIRE(n.has_value());
  CHECK(n->str() == "284052A32102552");
  CHECK(n->department() == "2A");
}

TEST_CASE("R1 spaces, no-break spaces, dots and hyphens are stripped to one canonical value") {
  const auto canonical = nir::parse("284058832102532");
  REQUIRE(canonical.has_value());
  for (const std::string_view form :
       {"2 84 05 88 321 025 32", "2.84.05.88.321.025.32", "2-84-05-88-321-025-32",
        "2\xC2\xA0" "84\xC2\xA0" "05\xC2\xA0" "88\xC2\xA0" "321\xC2\xA0" "025\xC2\xA0" "32",
        "  2 84.05-88\xC2\xA0" "321 -. 025 32  ", "284058832102532 "}) {
    CAPTURE(form);
    const auto n = nir::parse(form);
    REQUIRE(n.has_value());
    CHECK(*n == *canonical);
    CHECK(n->str() == "284058832102532");
  }
}

TEST_CASE("R1 the seed's example `1 97 06 78 646 489 xx` is valid with its key in place of xx") {
  CHECK(parse_outcome("1 97 06 78 646 489 90") == "ok");
  CHECK(parse_outcome("1 97 06 78 646 489 xx") == "calp.nir.character");
  CHECK(message_of("1 97 06 78 646 489 xx") ==
        "nir character 14 is the letter `x`; letters are allowed only as `2A` or `2B` at positions 6 and 7");
}

TEST_CASE("R1 the no-break spaces U+00A0 and U+202F are separators, no other non-ASCII space") {
  CHECK(parse_outcome("284058832102532\xC2\xA0") == "ok");
  // French number formatting groups digits with U+202F: a pasted NIR carries it.
  CHECK(parse_outcome("2\xE2\x80\xAF" "84\xE2\x80\xAF" "05\xE2\x80\xAF" "88\xE2\x80\xAF" "321\xE2\x80\xAF" "025\xE2\x80\xAF" "32") == "ok");
  // U+2007 figure space, tab, and a lone Latin-1 NBSP byte each count as a character:
  // in place of a digit they are a character error, added to 15 digits they make 16
  // characters.
  CHECK(parse_outcome("2\xE2\x80\x87" "4058832102532") == "calp.nir.character");
  CHECK(parse_outcome("2\t4058832102532") == "calp.nir.character");
  CHECK(parse_outcome("2\xA0" "4058832102532") == "calp.nir.character");
  CHECK(message_of("2\xE2\x80\x87" "4058832102532") ==
        "nir character 2 is `\\u{2007}`, expected an ASCII digit");
  CHECK(parse_outcome("2\xE2\x80\x87" "84058832102532") == "calp.nir.length");
}

TEST_CASE("R1 a NIR must have exactly 15 characters once separators are removed") {
  CHECK(parse_outcome("284058832102") == "calp.nir.length");
  CHECK(parse_outcome("2840588321025") == "calp.nir.length");
  CHECK(parse_outcome("28405883210253") == "calp.nir.length");
  CHECK(parse_outcome("2840588321025320") == "calp.nir.length");
  CHECK(parse_outcome("2 84 05 88 321 025 32 0") == "calp.nir.length");
  CHECK(message_of("284058832102") ==
        "nir must have 15 characters once spaces, dots and hyphens are removed, got 12");
  CHECK(message_of("2840588321025320") ==
        "nir must have 15 characters once spaces, dots and hyphens are removed, got 16");
}

TEST_CASE("R1 empty input, or separators only, is a length error") {
  for (const std::string_view input : {"", " ", "...", "- -", "\xC2\xA0\xC2\xA0"}) {
    CAPTURE(input);
    CHECK(parse_outcome(input) == "calp.nir.length");
    CHECK(message_of(input) ==
          "nir must have 15 characters once spaces, dots and hyphens are removed, got 0");
  }
}

TEST_CASE("R1 very long input is a length error with a short message that does not echo it") {
  const std::string digits(4'000'000, '1');
  CHECK(parse_outcome(digits) == "calp.nir.length");
  CHECK(message_of(digits) ==
        "nir must have 15 characters once spaces, dots and hyphens are removed, got 4000000");
  const std::string junk(1'000'000, '\xFF');
  CHECK(parse_outcome(junk) == "calp.nir.length");
  CHECK(message_of(junk).size() < 120);
  const std::string separators(1'000'000, ' ');
  CHECK(parse_outcome(separators + "284058832102532" + separators) == "ok");
}

TEST_CASE("R2 non-ASCII digits are a character error, counted as one character each") {
  // Fullwidth digits: 15 characters (45 bytes), so the length passes and the characters fail.
  const std::string fullwidth =
      "\xEF\xBC\x92\xEF\xBC\x98\xEF\xBC\x94\xEF\xBC\x90\xEF\xBC\x95\xEF\xBC\x98\xEF\xBC\x98"
      "\xEF\xBC\x93\xEF\xBC\x92\xEF\xBC\x91\xEF\xBC\x90\xEF\xBC\x92\xEF\xBC\x95\xEF\xBC\x93"
      "\xEF\xBC\x92";
  CHECK(parse_outcome(fullwidth) == "calp.nir.character");
  CHECK(message_of(fullwidth) == "nir character 1 is `\\u{FF12}`, expected an ASCII digit");
  // One digit replaced by an Arabic-Indic two, a Devanagari two, a superscript two, a
  // mathematical bold two (4 bytes).
  for (const std::string_view two :
       {"\xD9\xA2", "\xE0\xA5\xA8", "\xC2\xB2", "\xF0\x9D\x9F\x90"}) {
    CAPTURE(two);
    const std::string input = "28405883" + std::string(two) + "102532";
    CHECK(parse_outcome(input) == "calp.nir.character");
    CHECK(message_of(input).rfind("nir character 9 is `\\u{", 0) == 0);
  }
  CHECK(parse_outcome("\xD9\xA2" "84058832102532", nir_profile::lenient) == "calp.nir.character");
}

TEST_CASE("R2 an embedded NUL is a character error, never a truncation") {
  std::string with_nul = "284058832102532";
  with_nul[4] = '\0';
  CHECK(parse_outcome(with_nul) == "calp.nir.character");
  const std::string message = message_of(with_nul);
  CHECK(message == "nir character 5 is `\\u{0000}`, expected an ASCII digit");
  CHECK(message.find('\0') == std::string::npos);
  // A valid NIR followed by a NUL and more must not be read as the valid NIR.
  CHECK(parse_outcome(std::string("284058832102532\0", 16)) == "calp.nir.length");
  CHECK(parse_outcome(std::string("28405883210253\0", 15)) == "calp.nir.character");
}

TEST_CASE("R2 malformed UTF-8 is refused and never echoed raw") {
  // An overlong encoding of '2' must not be decoded as '2'; nor a surrogate, nor stray bytes.
  for (const std::string_view bad : {"\xC0\xB2", "\xED\xA0\x80", "\x80", "\xFF", "\xC2", "\xF4\x90\x80\x80"}) {
    CAPTURE(bad);
    const std::string input = "2840588" + std::string(bad) + "2102532";
    CHECK(parse_outcome(input) != "ok");
    const auto r = nir::parse(input);
    REQUIRE_FALSE(r.has_value());
    CHECK(printable_ascii(r.error().message));
  }
  CHECK(message_of("2840588\xFF" "2102532") == "nir character 8 is `\\xFF`, expected an ASCII digit");
}

TEST_CASE("R2 random byte strings never crash and every message is short printable ASCII") {
  const std::string alphabet = std::string("0123456789 .-2ABab\xC2\xA0\xFF\xEF\xBC\x92\t", 26) + '\0';
  std::mt19937 rng(1976);
  std::uniform_int_distribution<std::size_t> length(0, 40);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string bad_message;
  for (int n = 0; n < 20'000; ++n) {
    std::string input;
    for (std::size_t i = length(rng); i > 0; --i) input += alphabet[pick(rng)];
    for (const auto profile : {nir_profile::strict, nir_profile::lenient}) {
      const auto r = nir::parse(input, profile);
      if (r) {
        if (r->str().size() != 15) bad_message = "accepted: " + input;
      } else if (!printable_ascii(r.error().message) || r.error().message.size() > 200) {
        bad_message = r.error().message;
      }
    }
  }
  CHECK(bad_message.empty());
}

TEST_CASE("R2 the valid NIRs of DESIGN §2 parse in the strict profile") {
  for (const std::string_view input :
       {"295109912611193", "253072B07300470", "253072A07300443", "185017510008897",
        "185017510008701", "185017510007810", "180427512345637", "185039721200145",
        "160072012345602", "2 84 05 2a 321 025 52"}) {
    CAPTURE(input);
    CHECK(parse_outcome(input) == "ok");
  }
}

TEST_CASE("R2 the valid NIRs of research §1.8 parse in the strict profile") {
  for (const std::string_view input :
       {"295109912611193", "253072B07300470", "253072A07300443", "255081416802538",
        "294037512000591", "153124500723160", "284058832102532", "284052A32102552",
        "284052B32102579", "195109912611146", "195109912622232", "195109912633318",
        "186022A21532523", "169109935247001", "178059933010817", "282041737978516",
        "180127512345642", "185039721200145", "201059760500116", "180049873500112",
        "160072012345602", "180207512345673", "180307512345639", "180427512345637",
        "180507512345668", "180997512345676", "185019135200149", "185017510008897",
        "185017510008701", "185017510007810", "185017510006820"}) {
    CAPTURE(input);
    CHECK(parse_outcome(input) == "ok");
    CHECK(parse_outcome(input, nir_profile::lenient) == "ok");
  }
}

TEST_CASE("R2 sex digits 3, 4, 7 and 8 are valid only in the lenient profile") {
  for (const std::string_view input :
       {"384058832102579", "484058832102529", "784058832102573", "884058832102523"}) {
    CAPTURE(input);
    CHECK(parse_outcome(input) == "calp.nir.sex");
    CHECK(parse_outcome(input, nir_profile::lenient) == "ok");
  }
  CHECK(message_of("884058832102523") ==
        "nir sex digit is `8`, expected 1 or 2 (3, 4, 7 and 8 only in the lenient profile)");
  const auto lenient = nir::parse("884058832102523", nir_profile::lenient);
  REQUIRE(lenient.has_value());
  CHECK(lenient->sex_digit() == '8');
}

TEST_CASE("R2 sex digits 0, 5, 6 and 9 are refused in both profiles") {
  for (const char sex : {'0', '5', '6', '9'}) {
    CAPTURE(sex);
    const std::string input = with_key(std::string(1, sex) + "840588321025");
    CHECK(parse_outcome(input) == "calp.nir.sex");
    CHECK(parse_outcome(input, nir_profile::lenient) == "calp.nir.sex");
  }
  CHECK(message_of("984058832102570", nir_profile::lenient) ==
        "nir sex digit is `9`, expected 1, 2, 3, 4, 7 or 8");
}

TEST_CASE("R2 the invalid NIRs of DESIGN §2 each report their own error code") {
  for (const auto& c : std::vector<invalid_case>{
           {"284058832102533", "calp.nir.key"},
           {"284058832102500", "calp.nir.key"},
           {"253072C07300443", "calp.nir.character"},
           {"284138832102563", "calp.nir.month"},
           {"984058832102570", "calp.nir.sex"},
           {"284050032102580", "calp.nir.department"},
           {"284058832100057", "calp.nir.order"},
           {"884058832102523", "calp.nir.sex"},
       }) {
    CAPTURE(c.input);
    CHECK(parse_outcome(c.input) == c.code);
  }
}

TEST_CASE("R2 the invalid NIRs of research §1.8 report the first failing rule") {
  for (const auto& c : std::vector<invalid_case>{
           {"284058832102533", "calp.nir.key"},
           {"284058832102500", "calp.nir.key"},
           {"284058832102598", "calp.nir.key"},
           {"284058831202532", "calp.nir.key"},
           {"284058832102553", "calp.nir.key"},
           {"187127644708044", "calp.nir.key"},
           {"284058832102", "calp.nir.length"},
           {"2840588321025320", "calp.nir.length"},
           {"2840588321025", "calp.nir.length"},
           {"253072C07300443", "calp.nir.character"},
           {"284056B32102552", "calp.nir.character"},
           {"284138832102563", "calp.nir.month"},
           {"185434501234556", "calp.nir.month"},
           {"984058832102570", "calp.nir.sex"},
           {"084058832102535", "calp.nir.sex"},
           {"884058832102523", "calp.nir.sex"},
           {"284050032102580", "calp.nir.department"},
           {"284058832100057", "calp.nir.order"},
       }) {
    CAPTURE(c.input);
    CHECK(parse_outcome(c.input) == c.code);
  }
  CHECK(message_of("284058831202532").find("expected 11") != std::string::npos);
  CHECK(message_of("284058832102553").find("expected 32") != std::string::npos);
  CHECK(message_of("187127644708044").find("expected 28") != std::string::npos);
}

TEST_CASE("R2 checks run in the documented order: characters, sex, month, department, order, key") {
  CHECK(parse_outcome("9 84 13 00 32x 000 00") == "calp.nir.character");
  CHECK(parse_outcome("9 84 13 00 321 000 00") == "calp.nir.sex");
  CHECK(parse_outcome("2 84 13 00 321 000 00") == "calp.nir.month");
  CHECK(parse_outcome("2 84 05 00 321 000 00") == "calp.nir.department");
  CHECK(parse_outcome("2 84 05 88 321 000 00") == "calp.nir.order");
  CHECK(parse_outcome("2 84 05 88 321 025 00") == "calp.nir.key");
  CHECK(parse_outcome("2 84 05 88 321 025 32") == "ok");
}

TEST_CASE("R2 each field error message names the field and its value") {
  CHECK(message_of("284138832102563") == "nir month is `13`, expected 01 to 12, 20 to 42 or 50 to 99");
  CHECK(message_of("284050032102580") == "nir department is `00`, expected 01 to 99, 2A or 2B");
  CHECK(message_of("284058832100057") == "nir order number is `000`, expected 001 to 999");
  CHECK(message_of("984058832102570") == "nir sex digit is `9`, expected 1 or 2");
}

TEST_CASE("R2 a key error shows the masked NIR and the expected key") {
  CHECK(message_of("284058832102533") == "nir key is 33, expected 32 (`2 84 05 ** *** *** 33`)");
  CHECK(message_of("284058832102500") == "nir key is 00, expected 32 (`2 84 05 ** *** *** 00`)");
  CHECK(message_of("284052A32102553") == "nir key is 53, expected 52 (`2 84 05 ** *** *** 53`)");
}

TEST_CASE("R2 no error message contains the NIR's birth place or order number") {
  for (const std::string_view input :
       {"284058832102533", "284058832102598", "284138832102563", "984058832102570",
        "884058832102523", "284050032102580", "284058832100057", "253072C07300443",
        "2840588321025320", "2 84 05 88 321 025 33"}) {
    CAPTURE(input);
    std::string canonical;
    for (const char c : input) {
      if (c != ' ') canonical += c;
    }
    const std::string message = message_of(input);
    CHECK(message.find(canonical.substr(5, 8)) == std::string::npos);
    CHECK(message.find(canonical.substr(7, 6)) == std::string::npos);
    CHECK(message.find("321 025") == std::string::npos);
  }
}

TEST_CASE("R2 month fields 01-12, 20-42 and 50-99 are accepted, 00, 13-19 and 43-49 are refused") {
  for (int month = 0; month <= 99; ++month) {
    CAPTURE(month);
    const std::string input = with_key(fmt::format("180{:02}75123456", month));
    const bool valid = (month >= 1 && month <= 12) || (month >= 20 && month <= 42) || month >= 50;
    CHECK(parse_outcome(input) == (valid ? "ok" : "calp.nir.month"));
  }
}

TEST_CASE("R2 the month field tells calendar, unknown and pseudo-fictitious months apart") {
  struct month_case {
    const char* input;
    int field;
    nir_month_kind kind;
    int birth_month;
  };
  for (const auto& c : std::vector<month_case>{
           {"180127512345642", 12, nir_month_kind::calendar, 12},
           {"180207512345673", 20, nir_month_kind::unknown, 0},
           {"180307512345639", 30, nir_month_kind::unknown, 0},
           {"180427512345637", 42, nir_month_kind::pseudo_fictitious, 12},
           {"180507512345668", 50, nir_month_kind::unknown, 0},
           {"180997512345676", 99, nir_month_kind::unknown, 0},
       }) {
    CAPTURE(c.input);
    const auto n = nir::parse(c.input);
    REQUIRE(n.has_value());
    CHECK(n->month_field() == c.field);
    CHECK(n->month_kind() == c.kind);
    CHECK(n->birth_month() == c.birth_month);
  }
  const auto january = nir::parse(with_key("1803175123456"));
  REQUIRE(january.has_value());
  CHECK(january->month_kind() == nir_month_kind::pseudo_fictitious);
  CHECK(january->birth_month() == 1);
}

TEST_CASE("R2 department 00 is refused, 01 to 99, 2A and 2B are accepted") {
  for (int department = 0; department <= 99; ++department) {
    CAPTURE(department);
    const std::string input = with_key(fmt::format("18501{:02}123456", department));
    CHECK(parse_outcome(input) == (department == 0 ? "calp.nir.department" : "ok"));
  }
  CHECK(parse_outcome("284052A32102552") == "ok");
  CHECK(parse_outcome("284052B32102579") == "ok");
  CHECK(parse_outcome("284052b32102579") == "ok");
}

TEST_CASE("R2 departments are never checked against today's list") {
  struct place_case {
    const char* input;
    const char* department;
    const char* commune;
    bool abroad;
  };
  for (const auto& c : std::vector<place_case>{
           {"160072012345602", "20", "123", false},  // Corsica before 1976
           {"185019135200149", "91", "352", false},  // Essonne, or Algeria before 1962
           {"185039721200145", "97", "212", false},  // Martinique 972, commune 12
           {"201059760500116", "97", "605", false},  // Mayotte 976
           {"180049873500112", "98", "735", false},  // Polynésie 987
           {"295109912611193", "99", "126", true},   // born abroad, country 126
       }) {
    CAPTURE(c.input);
    const auto n = nir::parse(c.input);
    REQUIRE(n.has_value());
    CHECK(n->department() == c.department);
    CHECK(n->commune() == c.commune);
    CHECK(n->born_abroad() == c.abroad);
  }
}

TEST_CASE("R2 letters are allowed only as 2A or 2B at positions 6-7") {
  CHECK(message_of("253072C07300443") ==
        "nir character 7 is the letter `C`; letters are allowed only as `2A` or `2B` at positions 6 and 7");
  CHECK(parse_outcome("284056B32102552") == "calp.nir.character");  // `6B`
  CHECK(parse_outcome("28405A232102552") == "calp.nir.character");  // `A2`
  CHECK(parse_outcome("2840522A2102552") == "calp.nir.character");  // `2A` at 7-8
  CHECK(parse_outcome("28405AB32102552") == "calp.nir.character");
  CHECK(parse_outcome("A84052A32102552") == "calp.nir.character");
  CHECK(parse_outcome("284052A3210255B") == "calp.nir.character");
  CHECK(parse_outcome("284052A321025AB") == "calp.nir.character");
  CHECK(message_of("28405A232102552").rfind("nir character 6 is the letter `A`", 0) == 0);
}

TEST_CASE("R2 order number 000 is refused, 001 and 999 are accepted") {
  CHECK(parse_outcome(with_key("1850175100000")) == "calp.nir.order");
  CHECK(parse_outcome(with_key("1850175100001")) == "ok");
  CHECK(parse_outcome(with_key("1850175100999")) == "ok");
  const auto n = nir::parse(with_key("1850175100001"));
  REQUIRE(n.has_value());
  CHECK(n->order() == 1);
}

TEST_CASE("R2 key 97 is not printed as 00") {
  const auto n = nir::parse("185017510008897");
  REQUIRE(n.has_value());
  CHECK(n->key() == 97);
  CHECK(n->formatted() == "1 85 01 75 100 088 97");
  CHECK(n->masked() == "1 85 01 ** *** *** 97");
  const auto key = nir::compute_key("1850175100088");
  REQUIRE(key.has_value());
  CHECK(*key == 97);
  CHECK(parse_outcome("185017510008800") == "calp.nir.key");
}

TEST_CASE("R2 key 01 keeps its leading zero (regression §1.7.6)") {
  const auto n = nir::parse("185017510008701");
  REQUIRE(n.has_value());
  CHECK(n->key() == 1);
  CHECK(n->str() == "185017510008701");
  CHECK(n->formatted() == "1 85 01 75 100 087 01");
  CHECK(n->masked() == "1 85 01 ** *** *** 01");
  CHECK(parse_outcome("1850175100087 1") == "calp.nir.length");
  CHECK(parse_outcome("60072012345602") == "calp.nir.length");
  CHECK(message_of("185017510008702") == "nir key is 02, expected 01 (`1 85 01 ** *** *** 02`)");
}

TEST_CASE("R2 keys 10 and 20 are valid (regression §1.7: IsoCodes key regex)") {
  CHECK(parse_outcome("185017510007810") == "ok");
  CHECK(parse_outcome("185017510006820") == "ok");
  const auto n = nir::parse("185017510007810");
  REQUIRE(n.has_value());
  CHECK(n->key() == 10);
}

TEST_CASE("R2 regression §1.7.1: 2A reads as 19 and 2B as 18, not swapped") {
  CHECK(nir::compute_key("284052A321025").value() == 52);
  CHECK(nir::compute_key("284052B321025").value() == 79);
  CHECK(parse_outcome("284052A32102579") == "calp.nir.key");
  CHECK(parse_outcome("284052B32102552") == "calp.nir.key");
}

TEST_CASE("R2 regression §1.7.2: the key is 97 - (body mod 97), not body mod 97") {
  CHECK(nir::compute_key("2840588321025").value() == 32);
  CHECK(parse_outcome("284058832102565") == "calp.nir.key");
}

TEST_CASE("R2 regression §1.7.3: a Corsica letter is not just replaced by 0") {
  CHECK(nir::compute_key("284052A321025").value() == 52);
  CHECK(parse_outcome("284052A32102525") == "calp.nir.key");
}

TEST_CASE("R2 regression §1.7.4: letters are substituted at positions 6-7 only") {
  const auto key = nir::compute_key("2B34567890123");
  REQUIRE_FALSE(key.has_value());
  CHECK(key.error().code == calp::errc::nir_character);
  CHECK(parse_outcome("2B3456789012378") == "calp.nir.character");
  CHECK(parse_outcome("2A4052A32102552") == "calp.nir.character");
}

TEST_CASE("R2 regression §1.7.5: the 2B branch does not read 2A") {
  CHECK(nir::compute_key("284052B321025").value() != nir::compute_key("284052A321025").value());
  CHECK(parse_outcome("284052B32102579") == "ok");
}

TEST_CASE("R2 regression §1.7.7: published examples with wrong keys are refused") {
  CHECK(message_of("190017501012097").find("expected 95") != std::string::npos);
  CHECK(message_of("175039720123594").find("expected 49") != std::string::npos);
  CHECK(message_of("2 94 03 2B 120 005 18").find("expected 78") != std::string::npos);
}

TEST_CASE("R2 compute_key takes a 13-character body and reports length and character errors") {
  CHECK(nir::compute_key("2 84 05 2a 321 025").value() == 52);
  CHECK(outcome(nir::compute_key("284058832102")) == "calp.nir.length");
  CHECK(outcome(nir::compute_key("284058832102532")) == "calp.nir.length");
  CHECK(outcome(nir::compute_key("")) == "calp.nir.length");
  CHECK(outcome(nir::compute_key("28405883210x5")) == "calp.nir.character");
  CHECK(outcome(nir::compute_key("2840588\xD9\xA2" "21025")) == "calp.nir.character");
  CHECK(nir::compute_key("284058832102").error().message ==
        "nir body must have 13 characters once spaces, dots and hyphens are removed, got 12");
}

TEST_CASE("R2 formatted groups the fields and masked hides birth place and order number") {
  const auto corsica = nir::parse("284052A32102552");
  REQUIRE(corsica.has_value());
  CHECK(corsica->formatted() == "2 84 05 2A 321 025 52");
  CHECK(corsica->masked() == "2 84 05 ** *** *** 52");
  const auto plain = nir::parse("284058832102532");
  REQUIRE(plain.has_value());
  CHECK(plain->masked() == "2 84 05 ** *** *** 32");
  CHECK(nir::parse(plain->formatted()).value() == *plain);
}

TEST_CASE("R2 accessors read the fields of the canonical form") {
  const auto n = nir::parse("2 84 05 2A 321 025 52");
  REQUIRE(n.has_value());
  CHECK(n->sex_digit() == '2');
  CHECK(n->year_of_birth() == 84);
  CHECK(n->month_field() == 5);
  CHECK(n->month_kind() == nir_month_kind::calendar);
  CHECK(n->birth_month() == 5);
  CHECK(n->department() == "2A");
  CHECK(n->commune() == "321");
  CHECK(n->order() == 25);
  CHECK(n->key() == 52);
  CHECK_FALSE(n->born_abroad());
  const auto year_zero = nir::parse(with_key("1000175100001"));
  REQUIRE(year_zero.has_value());
  CHECK(year_zero->year_of_birth() == 0);
}

TEST_CASE("R2 two NIRs compare by their canonical form") {
  const auto a = nir::parse("2 84 05 88 321 025 32");
  const auto b = nir::parse("284058832102532");
  const auto c = nir::parse("284052A32102552");
  REQUIRE((a && b && c));
  CHECK(*a == *b);
  CHECK(*a != *c);
  CHECK((*c < *a) == (c->str() < a->str()));
}

TEST_CASE("R2 nir error codes have stable string ids") {
  using calp::errc;
  CHECK(calp::to_string(errc::nir_length) == "calp.nir.length");
  CHECK(calp::to_string(errc::nir_character) == "calp.nir.character");
  CHECK(calp::to_string(errc::nir_sex) == "calp.nir.sex");
  CHECK(calp::to_string(errc::nir_month) == "calp.nir.month");
  CHECK(calp::to_string(errc::nir_department) == "calp.nir.department");
  CHECK(calp::to_string(errc::nir_order) == "calp.nir.order");
  CHECK(calp::to_string(errc::nir_key) == "calp.nir.key");
}

namespace {

// A random synthetic body with every field in its valid range; one in ten is Corsican.
std::string random_body(std::mt19937& rng) {
  const auto pick = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  static const std::vector<int> months = [] {
    std::vector<int> all;
    for (int m = 1; m <= 99; ++m) {
      if ((m <= 12) || (m >= 20 && m <= 42) || m >= 50) all.push_back(m);
    }
    return all;
  }();
  const int month = months[static_cast<std::size_t>(pick(0, static_cast<int>(months.size()) - 1))];
  const std::string department =
      pick(0, 9) == 0 ? (pick(0, 1) == 0 ? "2A" : "2B") : fmt::format("{:02}", pick(1, 99));
  return fmt::format("{}{:02}{:02}{}{:03}{:03}", pick(1, 2), pick(0, 99), month, department,
                     pick(0, 999), pick(1, 999));
}

// The research's second formulation (IsoCodes): a Corsica letter becomes 0 and 1 000 000
// (2A) or 2 000 000 (2B) is subtracted from the 13-digit number, in 64-bit integers.
int reference_key(const std::string& body) {
  std::uint64_t value = 0;
  for (const char c : body) value = value * 10 + (c == 'A' || c == 'B' ? 0 : static_cast<std::uint64_t>(c - '0'));
  if (body[6] == 'A') value -= 1'000'000;
  if (body[6] == 'B') value -= 2'000'000;
  return static_cast<int>(97 - value % 97);
}

}  // namespace

TEST_CASE("R2 property: compute_key agrees with the letter-to-0 formulation") {
  std::mt19937 rng(84052);
  std::string mismatch;
  for (int n = 0; n < 5000; ++n) {
    const std::string body = random_body(rng);
    const auto key = nir::compute_key(body);
    if (!key || *key != reference_key(body)) mismatch = body;
  }
  CHECK(mismatch.empty());
}

TEST_CASE("R2 property: a body with its computed key parses, and any one changed digit is refused") {
  std::mt19937 rng(20240229);
  std::string counterexample;
  for (int n = 0; n < 3000; ++n) {
    const std::string body = random_body(rng);
    const auto key = nir::compute_key(body);
    REQUIRE(key.has_value());
    REQUIRE(*key >= 1);
    REQUIRE(*key <= 97);
    const std::string full = fmt::format("{}{:02}", body, *key);
    const auto parsed = nir::parse(full);
    if (!parsed || parsed->str() != full) counterexample = "refused: " + full;
    for (std::size_t i = 0; i < full.size(); ++i) {
      if (full[i] < '0' || full[i] > '9') continue;
      for (char d = '0'; d <= '9'; ++d) {
        if (d == full[i]) continue;
        std::string changed = full;
        changed[i] = d;
        if (nir::parse(changed, nir_profile::lenient)) counterexample = "accepted: " + changed;
      }
    }
  }
  CHECK(counterexample.empty());
}
