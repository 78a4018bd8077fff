#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calp/contact.hpp"
#include "calp/error.hpp"

using calp::contact_kind;
using calp::contact_point;
using calp::errc;

namespace {

std::string mobile(std::string_view typed) {
  auto r = calp::parse_mobile(typed);
  REQUIRE_MESSAGE(r.has_value(), std::string(typed));
  return r.value();
}

std::string email(std::string_view typed) {
  auto r = calp::parse_email(typed);
  REQUIRE_MESSAGE(r.has_value(), std::string(typed));
  return r.value();
}

// The error of a refused input: its code, and a message that does not quote it.
void refused(const calp::result<std::string>& r, errc code, std::string_view typed) {
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == code);
  CHECK_FALSE(r.error().message.empty());
  if (typed.size() >= 3) CHECK(r.error().message.find(typed) == std::string::npos);
}

void refused_mobile(std::string_view typed) {
  CAPTURE(std::string(typed));
  refused(calp::parse_mobile(typed), errc::contact_mobile, typed);
  refused(calp::parse_contact(contact_kind::mobile, typed), errc::contact_mobile, typed);
}

void refused_email(std::string_view typed) {
  CAPTURE(std::string(typed));
  refused(calp::parse_email(typed), errc::contact_email, typed);
  refused(calp::parse_contact(contact_kind::email, typed), errc::contact_email, typed);
}

std::string masked(contact_kind kind, std::string value) {
  return calp::masked(contact_point{kind, std::move(value), std::nullopt});
}

}  // namespace

TEST_CASE("R13 a metropolitan mobile number is read in every usual form") {
  for (const std::string_view typed :
       {"0612154545", "06 12 15 45 45", "06.12.15.45.45", "06-12-15-45-45", "  06 12 15 45 45  ",
        "06 12.15-45 45", "+33612154545", "+33 6 12 15 45 45", "+33 612 154 545",
        "+33-6-12-15-45-45", "0033612154545", "00 33 6 12 15 45 45", "+ 33 6 12 15 45 45"}) {
    CAPTURE(std::string(typed));
    CHECK(mobile(typed) == "+33612154545");
  }
  CHECK(mobile("07 11 22 33 44") == "+33711223344");
  CHECK(mobile("+33 7 11 22 33 44") == "+33711223344");
  CHECK(mobile("0033711223344") == "+33711223344");
  CHECK(mobile("07 00 00 00 01") == "+33700000001");
  CHECK(calp::parse_contact(contact_kind::mobile, "06 12 15 45 45").value() == "+33612154545");
}

TEST_CASE("R13 an overseas mobile number takes the E.164 code of its territory") {
  // Guadeloupe, Saint-Martin, Saint-Barthélemy
  CHECK(mobile("0690 12 34 56") == "+590690123456");
  CHECK(mobile("06 91 12 34 56") == "+590691123456");
  CHECK(mobile("+590 690 12 34 56") == "+590690123456");
  CHECK(mobile("00590690123456") == "+590690123456");
  // Guyane
  CHECK(mobile("0694 12 34 56") == "+594694123456");
  CHECK(mobile("+594 694 12 34 56") == "+594694123456");
  // Martinique
  CHECK(mobile("0696 12 34 56") == "+596696123456");
  CHECK(mobile("0697 12 34 56") == "+596697123456");
  // La Réunion, Mayotte
  CHECK(mobile("0692 12 34 56") == "+262692123456");
  CHECK(mobile("0693 12 34 56") == "+262693123456");
  CHECK(mobile("0639 12 34 56") == "+262639123456");
  CHECK(mobile("+262 639 12 34 56") == "+262639123456");
  CHECK(mobile("00262692123456") == "+262692123456");
  // The usual slip, +33 before an overseas number, still reaches it.
  CHECK(mobile("+33 6 90 12 34 56") == "+590690123456");
  CHECK(mobile("0033 639 12 34 56") == "+262639123456");
  // A neighbouring metropolitan block stays +33.
  CHECK(mobile("06 40 12 34 56") == "+33640123456");
  CHECK(mobile("06 89 12 34 56") == "+33689123456");
}

TEST_CASE("R13 a number that is not a French mobile is refused without being quoted") {
  for (const std::string_view typed : {
           "01 23 45 67 89", "02 23 45 67 89", "03 23 45 67 89", "04 23 45 67 89",
           "05 23 45 67 89", "08 00 12 34 56", "09 23 45 67 89",  // landlines and others
           "+33 1 23 45 67 89", "0033123456789", "+33 9 23 45 67 89",
           "06 12 15 45 4", "0612154", "06 12 15 45 45 4", "061215454545",  // length
           "6 12 15 45 45", "612154545", "+33 06 12 15 45 45", "+33 6 12 15 45 4",
           "+33 6 12 15 45 45 4", "+6 12 15 45 45", "+612154545", "0033 06 12 15 45 45",
           "+44 7911 123456", "+1 612 154 5451", "+590 612154545", "+262 690 12 34 56",
           "+594 696 12 34 56", "+0 612154545", "000612154545",           // other countries
           "06 12 15 45 4S", "O6 12 15 45 45", "06 12 15 45 45a", "tel 0612154545",  // letters
           "++33 6 12 15 45 45", "+33 +6 12 15 45 45", "06 12 15 45 45+", "0+33612154545",
           "", " ", "+", "-", "...",                                       // empty
           "06/12/15/45/45", "06_12_15_45_45", "(06) 12 15 45 45", "06\t12 15 45 45",
           "06 12 15 45 45\n", "06,12,15,45,45",
       }) {
    refused_mobile(typed);
  }
  // 400 characters: spaces around a valid number.
  const std::string long_input = std::string(195, ' ') + "0612154545" + std::string(195, ' ');
  REQUIRE(long_input.size() == 400);
  refused_mobile(long_input);
  // Non-ASCII digits: full-width (U+FF10…) and Arabic-Indic (U+0660…), and a no-break space.
  refused_mobile("\xEF\xBC\x90\xEF\xBC\x96\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x91\xEF\xBC\x95"
                 "\xEF\xBC\x94\xEF\xBC\x95\xEF\xBC\x94\xEF\xBC\x95");
  refused_mobile("\xD9\xA0\xD9\xA6\xD9\xA1\xD9\xA2\xD9\xA1\xD9\xA5\xD9\xA4\xD9\xA5\xD9\xA4\xD9\xA5");
  refused_mobile("06\xC2\xA0" "12 15 45 45");
  // A refused number is never quoted, even in part.
  const auto r = calp::parse_mobile("01 99 88 77 66");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("99") == std::string::npos);
  CHECK(r.error().message.find("0199887766") == std::string::npos);
}

TEST_CASE("R13 an e-mail address is trimmed, its domain lowered, its local part kept") {
  CHECK(email("dupont@test.fr") == "dupont@test.fr");
  CHECK(email("Jean.Dupont@Test.FR") == "Jean.Dupont@test.fr");
  CHECK(email("DUPONT@EXAMPLE.COM") == "DUPONT@example.com");
  CHECK(email("  dupont@test.fr\t ") == "dupont@test.fr");
  CHECK(email("jean-marie.o'neil+caf@mail.sub-domain.example.fr") ==
        "jean-marie.o'neil+caf@mail.sub-domain.example.fr");
  CHECK(email("a@b.co") == "a@b.co");
  CHECK(email("x_y{z}!#$%&*/=?^`|~@test.fr") == "x_y{z}!#$%&*/=?^`|~@test.fr");
  CHECK(email("d@caf-75.fr") == "d@caf-75.fr");
  CHECK(email("d@123.fr") == "d@123.fr");
  CHECK(calp::parse_contact(contact_kind::email, " A@B.FR ").value() == "A@b.fr");

  // The limits, exactly: 64 bytes before the @, 63 per label, 254 in all.
  const std::string local64(64, 'a');
  CHECK(email(local64 + "@test.fr") == local64 + "@test.fr");
  const std::string label63(63, 'b');
  CHECK(email("d@" + label63 + ".fr") == "d@" + label63 + ".fr");
  // 64 + 1 + 63 + 1 + 63 + 1 + 61 = 254
  const std::string at254 = local64 + "@" + label63 + "." + label63 + "." + std::string(61, 'c');
  REQUIRE(at254.size() == 254);
  CHECK(email(at254) == at254);
}

TEST_CASE("R13 an address calp would not send to is refused without being quoted") {
  const std::string local64(64, 'a');
  const std::string label63(63, 'b');
  const std::string at255 =
      local64 + "@" + label63 + "." + label63 + "." + std::string(62, 'c');
  REQUIRE(at255.size() == 255);
  for (const std::string& typed : std::vector<std::string>{
           "", "   ", "\t",                                             // empty
           "dupont.test.fr", "dupont", "@",                             // no @
           "dupont@@test.fr", "dupont@test@test.fr", "a@b@c.fr",        // two @
           "@test.fr", local64 + "a@test.fr",                           // local part length
           at255, std::string(300, 'a') + "@test.fr",                   // too long
           "jean dupont@test.fr", "dupont@te st.fr", "dupont @test.fr",  // spaces
           "\"dupont\"@test.fr", "du\"pont@test.fr", "du\\pont@test.fr",  // quotes
           "dupont(caf)@test.fr", "<dupont@test.fr>", "du,pont@test.fr", "du;pont@test.fr",
           "du:pont@test.fr", "du[pont]@test.fr",
           "du\x01pont@test.fr", "dupont@test.fr\n", "du\x7fpont@test.fr",  // control
           std::string("du\0pont@test.fr", 15), "dupont@te\x1bst.fr",
           "dupont@-test.fr", "dupont@test-.fr", "dupont@mail.-test.fr",  // hyphens
           "dupont@test..fr", "dupont@.test.fr", "dupont@test.fr.",        // empty label
           "dupont@", "dupont@.",
           "dupont@localhost", "dupont@TEST",                              // no dot
           "dupont@" + std::string(64, 'b') + ".fr",                       // label of 64
           ".dupont@test.fr", "dupont.@test.fr", "du..pont@test.fr",       // dots
           "dupont@test_caf.fr", "dupont@test.fr/x", "dupont@[127.0.0.1]",  // domain chars
           "andr\xC3\xA9@test.fr", "dupont@caf-r\xC3\xA9union.fr",         // non-ASCII
           "dupont@xn--caf\xC3\xA9.fr", "\xC3\xA9@test.fr", "dupont\xE2\x80\x8B@test.fr",
       }) {
    refused_email(typed);
  }
  // Never quoted, even in part.
  const auto r = calp::parse_email("secret.name@@example.fr");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("secret") == std::string::npos);
  CHECK(r.error().message.find("example") == std::string::npos);
}

TEST_CASE("R13 masked shows a contact point without giving it away") {
  CHECK(masked(contact_kind::mobile, "+33612154545") == "06 ** ** ** 45");
  CHECK(masked(contact_kind::mobile, "+33711223344") == "07 ** ** ** 44");
  CHECK(masked(contact_kind::mobile, "+590690123456") == "06 ** ** ** 56");
  CHECK(masked(contact_kind::mobile, "+262639123456") == "06 ** ** ** 56");
  CHECK(masked(contact_kind::mobile, "") == "**");
  CHECK(masked(contact_kind::mobile, "not a number") == "**");
  CHECK(masked(contact_kind::mobile, "+4479111234567") == "**");

  CHECK(masked(contact_kind::email, "dupont@test.fr") == "d***@test.fr");
  CHECK(masked(contact_kind::email, "Jean.Dupont@caf.fr") == "J***@caf.fr");
  CHECK(masked(contact_kind::email, "d@test.fr") == "d***@test.fr");
  CHECK(masked(contact_kind::email, "no-at-sign") == "***");
  CHECK(masked(contact_kind::email, "@test.fr") == "***");
  CHECK(masked(contact_kind::email, "") == "***");
  CHECK(masked(contact_kind::email, "élodie@exemple.fr") == "é***@exemple.fr");  // a character, not a byte
  CHECK(masked(contact_kind::email, "\xC3@exemple.fr") == "***@exemple.fr");

  // What parse_* returns, masked, never holds the middle of it.
  const std::string m = masked(contact_kind::mobile, mobile("06 12 15 45 45"));
  CHECK(m.find("12") == std::string::npos);
  CHECK(m.find("15") == std::string::npos);
  const std::string e = masked(contact_kind::email, email("secret.name@test.fr"));
  CHECK(e.find("secret") == std::string::npos);
}

TEST_CASE("R13 national_mobile gives back the number as the person knows it") {
  CHECK(calp::national_mobile("+33612154545") == "06 12 15 45 45");
  CHECK(calp::national_mobile("+33711223344") == "07 11 22 33 44");
  CHECK(calp::national_mobile("+590690123456") == "06 90 12 34 56");
  CHECK(calp::national_mobile("+594694123456") == "06 94 12 34 56");
  CHECK(calp::national_mobile("+596696123456") == "06 96 12 34 56");
  CHECK(calp::national_mobile("+262692123456") == "06 92 12 34 56");
  CHECK(calp::national_mobile("+262639123456") == "06 39 12 34 56");
  CHECK(calp::national_mobile(mobile("0033 6 12 15 45 45")) == "06 12 15 45 45");
  // Anything else comes back as it is.
  CHECK(calp::national_mobile("") == "");
  CHECK(calp::national_mobile("0612154545") == "0612154545");
  CHECK(calp::national_mobile("+4479111234567") == "+4479111234567");
  CHECK(calp::national_mobile("+590612154545") == "+590612154545");
  CHECK(calp::national_mobile("+33a12154545") == "+33a12154545");
  CHECK(calp::national_mobile("+3361215454") == "+3361215454");
}

TEST_CASE("R13 the error codes of contact points and accounts have stable names") {
  CHECK(calp::to_string(errc::contact_mobile) == "calp.contact.mobile");
  CHECK(calp::to_string(errc::contact_email) == "calp.contact.email");
  CHECK(calp::to_string(errc::account_unknown) == "calp.account.unknown");
  CHECK(calp::to_string(errc::account_state) == "calp.account.state");
}
