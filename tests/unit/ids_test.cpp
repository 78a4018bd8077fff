// Provisional identifier (R3), login identifier (R1), dossier number and person id
// (household interchange format, DESIGN §3; bad input, §7).

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "calp/ids.hpp"

using calp::dossier_number;
using calp::login_identifier;
using calp::nir_profile;
using calp::person_id;
using calp::provisional_id;

namespace {

// "ok", or the stable id of the error: doctest prints strings when a check fails.
template <class T>
std::string outcome(const calp::result<T>& r) {
  return r ? std::string("ok") : std::string(calp::to_string(r.error().code));
}

template <class T>
std::string message_of(const calp::result<T>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().message;
}

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

}  // namespace

TEST_CASE("R3 a provisional identifier is P followed by 8 digits") {
  const auto id = provisional_id::parse("P33392250");
  REQUIRE(id.has_value());
  CHECK(id->str() == "P33392250");
  CHECK(outcome(provisional_id::parse("P00000000")) == "ok");
}

TEST_CASE("R3 a provisional identifier is normalised like a NIR: separators, lower-case p") {
  for (const std::string_view form :
       {"p33392250", "P 333 922 50", "P.333.922.50", "P-333-922-50", "P\xC2\xA0" "33392250",
        "  p 33392250 "}) {
    CAPTURE(form);
    const auto id = provisional_id::parse(form);
    REQUIRE(id.has_value());
    CHECK(id->str() == "P33392250");
    CHECK(*id == provisional_id::parse("P33392250").value());
  }
}

TEST_CASE("R3 a malformed provisional identifier is a format error that names the problem") {
  for (const std::string_view input :
       {"", "P", "P1234567", "P123456789", "Q12345678", "12345678P", "PP1234567", "P1234567a",
        "P1234567p", "123456789", "P\xEF\xBC\x91" "2345678", "P1234\t5678"}) {
    CAPTURE(input);
    CHECK(outcome(provisional_id::parse(input)) == "calp.provisional_id.format");
  }
  CHECK(message_of(provisional_id::parse("P1234567")) ==
        "provisional identifier must be `P` followed by 8 digits, got 8 characters once spaces, "
        "dots and hyphens are removed");
  CHECK(message_of(provisional_id::parse("Q12345678")) ==
        "provisional identifier must start with `P`, got `Q`");
  CHECK(message_of(provisional_id::parse("P1234567a")) ==
        "provisional identifier character 9 is `a`, expected an ASCII digit");
  CHECK(message_of(provisional_id::parse("P\xEF\xBC\x91" "2345678")) ==
        "provisional identifier character 2 is `\\u{FF11}`, expected an ASCII digit");
}

TEST_CASE("R3 provisional identifier errors never echo the input (it may be a NIR typed in the wrong field)") {
  const auto r = provisional_id::parse("2 84 05 88 321 025 32");
  CHECK(message_of(r).find("321") == std::string::npos);
  const auto nine = provisional_id::parse("284058832");
  CHECK(message_of(nine) == "provisional identifier must start with `P`, got `2`");
}

TEST_CASE("R3 embedded NUL, malformed UTF-8 and huge input are format errors with printable messages") {
  std::string with_nul = "P33392250";
  with_nul[3] = '\0';
  CHECK(message_of(provisional_id::parse(with_nul)) ==
        "provisional identifier character 4 is `\\u{0000}`, expected an ASCII digit");
  CHECK(outcome(provisional_id::parse(std::string("P33392250\0", 10))) == "calp.provisional_id.format");
  CHECK(printable_ascii(message_of(provisional_id::parse("P3339\xFF" "250"))));
  const std::string huge = "P" + std::string(1'000'000, '1');
  const auto r = provisional_id::parse(huge);
  CHECK(outcome(r) == "calp.provisional_id.format");
  CHECK(message_of(r).size() < 150);
}

TEST_CASE("R1 a login identifier starting with P is a provisional identifier, else a NIR") {
  const auto provisional = login_identifier::parse(" p 333 922 50");
  REQUIRE(provisional.has_value());
  CHECK(provisional->is_provisional());
  CHECK_FALSE(provisional->is_nir());
  CHECK(provisional->as_provisional().str() == "P33392250");
  CHECK(provisional->str() == "P33392250");

  const auto nir = login_identifier::parse("2 84 05 2a 321 025 52");
  REQUIRE(nir.has_value());
  CHECK(nir->is_nir());
  CHECK(nir->as_nir().str() == "284052A32102552");
  CHECK(nir->str() == "284052A32102552");

  // The first character that is not a separator decides, even after a no-break space.
  const auto after_nbsp = login_identifier::parse("\xC2\xA0.-P33392250");
  REQUIRE(after_nbsp.has_value());
  CHECK(after_nbsp->is_provisional());
}

TEST_CASE("R1 a login identifier reports the errors of the parser it chose") {
  CHECK(outcome(login_identifier::parse("P1234")) == "calp.provisional_id.format");
  CHECK(outcome(login_identifier::parse("p33392250x")) == "calp.provisional_id.format");
  CHECK(outcome(login_identifier::parse("28405")) == "calp.nir.length");
  CHECK(outcome(login_identifier::parse("")) == "calp.nir.length");
  CHECK(outcome(login_identifier::parse("   ")) == "calp.nir.length");
  CHECK(outcome(login_identifier::parse("Q33392250")) == "calp.nir.length");
  CHECK(outcome(login_identifier::parse("284058832102533")) == "calp.nir.key");
  CHECK(message_of(login_identifier::parse("284058832102533")) ==
        "nir key is 33, expected 32 (`2 84 05 ** *** *** 33`)");
}

TEST_CASE("R1 a login identifier passes the NIR profile on") {
  CHECK(outcome(login_identifier::parse("884058832102523")) == "calp.nir.sex");
  CHECK(outcome(login_identifier::parse("884058832102523", nir_profile::lenient)) == "ok");
}

TEST_CASE("R1 a login identifier is masked when it is a NIR, shown as is when provisional") {
  CHECK(login_identifier::parse("284058832102532").value().masked() == "2 84 05 ** *** *** 32");
  CHECK(login_identifier::parse("284052A32102552").value().masked() == "2 84 05 ** *** *** 52");
  CHECK(login_identifier::parse("P33392250").value().masked() == "P33392250");
}

TEST_CASE("R1 login identifiers compare by kind and canonical form") {
  CHECK(login_identifier::parse("2 84 05 88 321 025 32").value() ==
        login_identifier::parse("284058832102532").value());
  CHECK(login_identifier::parse("p33392250").value() == login_identifier::parse("P 333 922 50").value());
  CHECK_FALSE(login_identifier::parse("P33392250").value() ==
              login_identifier::parse("284058832102532").value());
}

TEST_CASE("§3 a dossier number is 7 ASCII digits, ASCII spaces stripped") {
  CHECK(dossier_number::parse("1234567").value().str() == "1234567");
  CHECK(dossier_number::parse(" 123 4567 ").value().str() == "1234567");
  CHECK(dossier_number::parse("0000001").value().str() == "0000001");
  CHECK(dossier_number::parse("1234567").value() == dossier_number::parse("123 45 67").value());
  CHECK(dossier_number::parse("1234566").value() < dossier_number::parse("1234567").value());
}

TEST_CASE("§3 a malformed dossier number is a format error that names the problem") {
  for (const std::string_view input :
       {"", "123456", "12345678", "123.4567", "123-4567", "123\xC2\xA0" "4567", "123456a",
        "P123456", "\xEF\xBC\x91" "234567", "1234567\t"}) {
    CAPTURE(input);
    CHECK(outcome(dossier_number::parse(input)) == "calp.dossier_number.format");
  }
  CHECK(message_of(dossier_number::parse("123456")) ==
        "dossier number must have 7 digits once spaces are removed, got 6 characters");
  CHECK(message_of(dossier_number::parse("123456a")) ==
        "dossier number character 7 is `a`, expected an ASCII digit");
  CHECK(message_of(dossier_number::parse("\xEF\xBC\x91" "234567")) ==
        "dossier number character 1 is `\\u{FF11}`, expected an ASCII digit");
  std::string with_nul = "1234567";
  with_nul[2] = '\0';
  CHECK(message_of(dossier_number::parse(with_nul)) ==
        "dossier number character 3 is `\\u{0000}`, expected an ASCII digit");
  // A NIR passed as a dossier number is refused without being echoed.
  CHECK(message_of(dossier_number::parse("284058832102532")) ==
        "dossier number must have 7 digits once spaces are removed, got 15 characters");
  const std::string huge(1'000'000, '7');
  CHECK(message_of(dossier_number::parse(huge)).size() < 120);
}

TEST_CASE("§3 a person id is 1 to 64 ASCII letters, digits, `_`, `-`, `.` or `:`") {
  for (const std::string_view input :
       {"p1", "P", "0", "3f2b8c1e-9d4a-4e6b-8f00-1c2d3e4f5a6b", "host:key.1_a-b", "A.B:C_D-E"}) {
    CAPTURE(input);
    const auto id = person_id::parse(input);
    REQUIRE(id.has_value());
    CHECK(id->str() == input);
    CHECK(*id == input);
  }
  const std::string longest(person_id::max_length, 'x');
  CHECK(outcome(person_id::parse(longest)) == "ok");
  CHECK(person_id::parse("p1").value() == person_id::parse("p1").value());
  CHECK(person_id::parse("p1").value() < person_id::parse("p2").value());
}

TEST_CASE("§3 a malformed person id is a format error that quotes one character at most") {
  for (const std::string_view input :
       {"", " p1", "p 1", "p/1", "p1\n", "é", "p\xC2\xA0" "1", "p1\xFF", "p1`"}) {
    CAPTURE(input);
    CHECK(outcome(person_id::parse(input)) == "calp.person_id.format");
  }
  CHECK(message_of(person_id::parse("")) == "person id must not be empty");
  CHECK(message_of(person_id::parse("p/1")) ==
        "person id character 2 is `/`, expected an ASCII letter, a digit, `_`, `-`, `.` or `:`");
  CHECK(message_of(person_id::parse("ab\xC3\xA9")) ==
        "person id character 3 is `\\u{00E9}`, expected an ASCII letter, a digit, `_`, `-`, `.` or `:`");
  CHECK(message_of(person_id::parse("p1\xFF")) ==
        "person id character 3 is `\\xFF`, expected an ASCII letter, a digit, `_`, `-`, `.` or `:`");
  std::string with_nul = "p1";
  with_nul += '\0';
  CHECK(outcome(person_id::parse(with_nul)) == "calp.person_id.format");
  // A NIR in its display form is refused without being echoed.
  CHECK(message_of(person_id::parse("2 84 05 88 321 025 32")).find("321") == std::string::npos);
}

TEST_CASE("§3 a person id over 64 characters is refused without being echoed") {
  const std::string too_long(person_id::max_length + 1, 'x');
  CHECK(message_of(person_id::parse(too_long)) == "person id has 65 characters, over the limit of 64");
  const std::string huge(1'000'000, 'x');
  CHECK(message_of(person_id::parse(huge)) == "person id has 1000000 characters, over the limit of 64");
  // Characters are checked first, so a long id of non-ASCII characters is not
  // described with a byte count.
  std::string wide;
  for (int i = 0; i < 40; ++i) wide += "\xC3\xA9";
  CHECK(message_of(person_id::parse(wide)).rfind("person id character 1 is", 0) == 0);
}

TEST_CASE("§3 identifier error codes have stable string ids") {
  using calp::errc;
  CHECK(calp::to_string(errc::provisional_id_format) == "calp.provisional_id.format");
  CHECK(calp::to_string(errc::dossier_number_format) == "calp.dossier_number.format");
  CHECK(calp::to_string(errc::person_id_format) == "calp.person_id.format");
}
