#include "calp/household.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "unit/test_support.hpp"

namespace {

using calp::errc;
using calp::household;
using namespace std::chrono_literals;

using calp::testing::read_file;
using calp::testing::test_data_dir;

constexpr std::string_view design_example = R"({
  "dossier": "1234567",
  "members": [
    {"id": "p1", "role": "allocataire", "birth_date": "1985-03-02"},
    {"id": "p2", "role": "conjoint", "birth_date": "1987-11-20",
     "benefits": [{"code": "AAH", "from": "2024-01-01", "until": null}]},
    {"id": "p3", "role": "other", "birth_date": "2010-06-01"},
    {"id": "p4", "role": "other", "birth_date": "2004-02-29", "left": "2026-09-01"}
  ],
  "delegation": {"to": "p2", "granted": "2026-01-15", "revoked": null}
})";


calp::person_id pid(std::string_view id) { return calp::person_id::parse(id).value(); }

calp::dossier_number dossier() { return calp::dossier_number::parse("1234567").value(); }

calp::member person(std::string_view id, calp::member_role role,
                    calp::date birth = 1985y / 3 / 2) {
  return calp::member{.id = pid(id), .role = role, .birth_date = birth, .benefits = {}, .left = {}};
}

calp::benefit held(std::string code, calp::date from, std::optional<calp::date> until = {}) {
  return calp::benefit{.code = std::move(code), .from = from, .until = until};
}

// The allocataire `a`, the conjoint `c`, and a member `o` with the role `other`.
std::vector<calp::member> couple_with_child() {
  return {person("a", calp::member_role::allocataire), person("c", calp::member_role::conjoint),
          person("o", calp::member_role::other, 2010y / 6 / 1)};
}

calp::delegation delegation_to(std::string_view id, calp::date granted = 2026y / 1 / 15,
                               std::optional<calp::date> revoked = {}) {
  return calp::delegation{.to = pid(id), .granted = granted, .revoked = revoked};
}

// Asserts `r` failed with `code` on `field`, and that the message is bounded and names
// nothing it should not: tests below only add what is specific to them.
template <class T>
void check_error(const calp::result<T>& r, errc code, std::string_view field) {
  REQUIRE_FALSE(r.has_value());
  CHECK(calp::to_string(r.error().code) == calp::to_string(code));
  CHECK(r.error().field == field);
  CHECK_FALSE(r.error().message.empty());
  CHECK(r.error().message.size() <= 400);
}

calp::result<household> make(std::vector<calp::member> members,
                             std::optional<calp::delegation> deleg = {},
                             const calp::household_limits& limits = {}) {
  return household::make(dossier(), std::move(members), std::move(deleg), limits);
}

}  // namespace

TEST_CASE("§3 the DESIGN.md example household reads with every fact") {
  const auto h = household::from_json(design_example);
  REQUIRE_MESSAGE(h.has_value(), h.error().message);
  CHECK(h->dossier().str() == "1234567");
  REQUIRE(h->members().size() == 4);
  CHECK(h->allocataire().id == "p1");
  REQUIRE(h->conjoint() != nullptr);
  CHECK(h->conjoint()->id == "p2");
  CHECK(h->conjoint()->birth_date == 1987y / 11 / 20);
  REQUIRE(h->conjoint()->benefits.size() == 1);
  CHECK(h->conjoint()->benefits[0] == held("AAH", 2024y / 1 / 1));
  CHECK(h->find("p3")->role == calp::member_role::other);
  CHECK(h->find("p3")->benefits.empty());
  CHECK(h->find("p4")->left == calp::date{2026y / 9 / 1});
  CHECK_FALSE(h->find("p1")->left.has_value());
  CHECK(h->find("p5") == nullptr);
  REQUIRE(h->delegation().has_value());
  CHECK(*h->delegation() == delegation_to("p2"));
}

TEST_CASE("§3 the DESIGN.md example round-trips through to_json") {
  const auto h = household::from_json(design_example).value();
  const auto text = h.to_json();
  const auto again = household::from_json(text);
  REQUIRE_MESSAGE(again.has_value(), again.error().message);
  CHECK(*again == h);
  CHECK(again->to_json() == text);
}

TEST_CASE("§3 to_json is canonical: fixed field order, null for absent until and revoked") {
  // `left` is omitted when absent, as in DESIGN.md; `benefits` is always written so a
  // reader never has to guess between "none" and "not given".
  constexpr std::string_view canonical = R"({
  "dossier": "1234567",
  "members": [
    {
      "id": "p1",
      "role": "allocataire",
      "birth_date": "1985-03-02",
      "benefits": []
    },
    {
      "id": "p2",
      "role": "conjoint",
      "birth_date": "1987-11-20",
      "benefits": [
        {
          "code": "AAH",
          "from": "2024-01-01",
          "until": null
        }
      ]
    },
    {
      "id": "p3",
      "role": "other",
      "birth_date": "2010-06-01",
      "benefits": []
    },
    {
      "id": "p4",
      "role": "other",
      "birth_date": "2004-02-29",
      "benefits": [],
      "left": "2026-09-01"
    }
  ],
  "delegation": {
    "to": "p2",
    "granted": "2026-01-15",
    "revoked": null
  }
})";
  CHECK(household::from_json(design_example).value().to_json() == canonical);

  // The same facts written in another order give the same text.
  constexpr std::string_view reordered = R"({"delegation": {"revoked": null, "granted": "2026-01-15", "to": "p2"},
    "members": [
      {"birth_date": "1985-03-02", "role": "allocataire", "id": "p1", "benefits": []},
      {"benefits": [{"until": null, "from": "2024-01-01", "code": "AAH"}], "left": null,
       "birth_date": "1987-11-20", "id": "p2", "role": "conjoint"},
      {"role": "other", "id": "p3", "birth_date": "2010-06-01", "benefits": null},
      {"left": "2026-09-01", "birth_date": "2004-02-29", "role": "other", "id": "p4"}],
    "dossier": "1234567"})";
  CHECK(household::from_json(reordered).value().to_json() == canonical);
}

TEST_CASE("§3 to_json writes an absent délégation as null and dates that are set") {
  auto members = couple_with_child();
  members[1].benefits = {held("PALA", 2025y / 6 / 1, 2025y / 6 / 30)};
  members[1].left = 2026y / 3 / 1;
  const auto without = make(members).value();
  const auto doc = nlohmann::json::parse(without.to_json());
  CHECK(doc.at("delegation").is_null());
  CHECK(doc.at("members").at(1).at("benefits").at(0).at("until") == "2025-06-30");
  CHECK(doc.at("members").at(1).at("left") == "2026-03-01");
  CHECK(household::from_json(without.to_json()).value() == without);

  const auto with = make(members, delegation_to("c", 2024y / 4 / 1, 2024y / 9 / 1)).value();
  CHECK(nlohmann::json::parse(with.to_json()).at("delegation").at("revoked") == "2024-09-01");
  CHECK(household::from_json(with.to_json()).value() == with);
}

TEST_CASE("§3 délégation absent or null, benefits absent or null, left null: all mean none") {
  const auto absent = household::from_json(
      R"({"dossier": "1234567", "members": [{"id": "a", "role": "allocataire", "birth_date": "1985-03-02"}]})");
  const auto nulls = household::from_json(
      R"({"dossier": "1234567", "members": [{"id": "a", "role": "allocataire", "birth_date": "1985-03-02",
          "benefits": null, "left": null}], "delegation": null})");
  REQUIRE(absent.has_value());
  REQUIRE(nulls.has_value());
  CHECK(*absent == *nulls);
  CHECK_FALSE(absent->delegation().has_value());
  CHECK(absent->members()[0].benefits.empty());
  CHECK(absent->conjoint() == nullptr);
}

TEST_CASE("§3 every household of tests/corpus/households reads and round-trips") {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test_data_dir / "corpus" / "households")) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    INFO("file: " << entry.path().filename().string());
    const auto h = household::from_json(read_file(entry.path()));
    REQUIRE_MESSAGE(h.has_value(), h.error().field << ": " << h.error().message);
    const auto again = household::from_json(h->to_json());
    REQUIRE(again.has_value());
    CHECK(*again == *h);
    CHECK(again->to_json() == h->to_json());
  }
  CHECK(files >= 3);
}

TEST_CASE("§3 every file of tests/malformed is refused with its expected code and field") {
  const auto dir = test_data_dir / "malformed";
  const auto expected = nlohmann::json::parse(read_file(dir / "expected.json"));
  REQUIRE(expected.is_object());
  std::set<std::string> checked;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (name == "expected.json") continue;
    INFO("file: " << name);
    REQUIRE_MESSAGE(expected.contains(name), "no expectation in expected.json for " << name);
    const auto& want = expected.at(name);
    const auto h = household::from_json(read_file(entry.path()));
    REQUIRE_FALSE(h.has_value());
    INFO("message: " << h.error().message);
    CHECK(calp::to_string(h.error().code) == want.at("code").get<std::string>());
    CHECK(h.error().field == want.at("field").get<std::string>());
    CHECK(h.error().message.size() <= 400);
    checked.insert(name);
  }
  // An expectation whose file was renamed or deleted would otherwise prove nothing.
  for (const auto& [name, _] : expected.items()) {
    INFO("expectation without a file: " << name);
    CHECK(checked.count(name) == 1);
  }
  CHECK(checked.size() >= 90);
}

TEST_CASE("§3 a document over max_bytes is refused before parsing") {
  std::string big(design_example);
  big.insert(big.size() - 1, std::string(calp::household_limits{}.max_bytes, ' '));
  check_error(household::from_json(big), errc::json_too_large, "");

  calp::household_limits small;
  small.max_bytes = design_example.size() - 1;
  check_error(household::from_json(design_example, small), errc::json_too_large, "");
  small.max_bytes = design_example.size();
  CHECK(household::from_json(design_example, small).has_value());
}

TEST_CASE("§3 nesting over max_depth is refused before parsing: 100000 nested arrays, 50000 nested objects") {
  check_error(household::from_json(std::string(100000, '[')), errc::json_too_deep, "");
  std::string objects;  // 250000 bytes, under max_bytes
  for (int i = 0; i < 50000; ++i) objects += R"({"a":)";
  check_error(household::from_json(objects), errc::json_too_deep, "");

  // Brackets inside a string are text, not nesting.
  const std::string in_string = R"({"dossier": "1234567", "members": [{"id": "a", "role": "allocataire",
      "birth_date": "1985-03-02", "benefits": [{"code": "[[[[[[[[[[{{{{{{{{", "from": "2024-01-01"}]}]})";
  check_error(household::from_json(in_string), errc::household_benefit_code,
              "members[0].benefits[0].code");

  calp::household_limits shallow;
  shallow.max_depth = 4;  // the example needs 5: document, members, member, benefits, benefit
  check_error(household::from_json(design_example, shallow), errc::json_too_deep, "");
}

TEST_CASE("§3 household_limits bound members, benefits and strings") {
  calp::household_limits limits;
  limits.max_members = 3;
  check_error(household::from_json(design_example, limits), errc::json_too_long, "members");
  limits = {};
  limits.max_benefits_per_member = 0;
  check_error(household::from_json(design_example, limits), errc::json_too_long,
              "members[1].benefits");
  limits = {};
  limits.max_string_length = 6;  // "1234567" has 7 bytes
  check_error(household::from_json(design_example, limits), errc::json_too_long, "dossier");

  limits = {};
  limits.max_members = 2;
  check_error(make(couple_with_child(), {}, limits), errc::json_too_long, "members");
  limits = {};
  limits.max_benefits_per_member = 1;
  auto members = couple_with_child();
  members[2].benefits = {held("AF", 2020y / 1 / 1), held("APL", 2020y / 1 / 1)};
  check_error(make(members, {}, limits), errc::json_too_long, "members[2].benefits");
}

TEST_CASE("§3 an unknown field is named, and a huge unknown key is cut in the error") {
  const std::string key(5000, 'k');
  const auto h = household::from_json(R"({"dossier": "1234567", "members": [], ")" + key + R"(": 1})");
  REQUIRE_FALSE(h.has_value());
  CHECK(h.error().code == errc::json_unknown_field);
  CHECK(h.error().field.size() < 100);
  CHECK(h.error().field.starts_with("kkkk"));
  CHECK(h.error().message.size() < 200);

  // A key that would write to a terminal or split a log line is shown escaped.
  const auto escaped = household::from_json(R"({"dossier": "1234567", "members": [], "\u001b[2J\nx": 1})");
  REQUIRE_FALSE(escaped.has_value());
  CHECK(escaped.error().code == errc::json_unknown_field);
  CHECK(escaped.error().field == "\\u{001B}[2J\\u{000A}x");
  CHECK(escaped.error().message.find_first_of("\x1b\n") == std::string::npos);
}

TEST_CASE("§3 an object with the same key twice is refused, not read as its last value") {
  // nlohmann and Python keep the last value, other readers the first: such a document
  // could mean one household to calp and another to a host.
  const auto h = household::from_json(R"({"dossier": "1234567", "dossier": "7654321",
      "members": [{"id": "a", "role": "allocataire", "birth_date": "1985-03-02"}]})");
  check_error(h, errc::json_syntax, "dossier");
  const auto nested = household::from_json(R"({"dossier": "1234567", "members": [
      {"id": "a", "role": "allocataire", "birth_date": "1985-03-02"},
      {"id": "b", "role": "other", "birth_date": "1990-01-01",
       "benefits": [{"code": "AF", "from": "2020-01-01"}, {"code": "AF", "from": "2020-01-01", "from": "2021-01-01"}]}]})");
  check_error(nested, errc::json_syntax, "members[1].benefits[1].from");
  // The same key in two different objects is fine.
  CHECK(household::from_json(design_example).has_value());
}

TEST_CASE("§3 invalid UTF-8 and a number no double holds are syntax errors, never a crash") {
  std::string bad_utf8(design_example);
  bad_utf8.replace(bad_utf8.find("p3"), 2, "p\xC3");
  check_error(household::from_json(bad_utf8), errc::json_syntax, "");
  std::string huge_number(design_example);
  huge_number.replace(huge_number.find("\"1985-03-02\""), 12, "-1e400");
  check_error(household::from_json(huge_number), errc::json_syntax, "");
}

TEST_CASE("§3 make refuses a household without exactly one allocataire") {
  auto none = couple_with_child();
  none[0].role = calp::member_role::other;
  check_error(make(none), errc::household_allocataire, "members");
  check_error(make({}), errc::household_allocataire, "members");

  auto two = couple_with_child();
  two[2].role = calp::member_role::allocataire;
  const auto r = make(two);
  check_error(r, errc::household_allocataire, "members[2].role");
  CHECK(r.error().message.find("members[0]") != std::string::npos);
}

TEST_CASE("§3 make refuses a second conjoint and a repeated id") {
  auto two = couple_with_child();
  two[2].role = calp::member_role::conjoint;
  check_error(make(two), errc::household_conjoint, "members[2].role");

  auto same_id = couple_with_child();
  same_id[2].id = pid("a");
  const auto r = make(same_id);
  check_error(r, errc::household_duplicate_id, "members[2].id");
  CHECK(r.error().message.find("`a`") != std::string::npos);
}

TEST_CASE("R7 a délégation is held only by the conjoint of the household") {
  CHECK(make(couple_with_child(), delegation_to("c")).has_value());
  check_error(make(couple_with_child(), delegation_to("o")), errc::household_delegation,
              "delegation.to");
  check_error(make(couple_with_child(), delegation_to("a")), errc::household_delegation,
              "delegation.to");
  const auto unknown = make(couple_with_child(), delegation_to("nobody"));
  check_error(unknown, errc::household_delegation, "delegation.to");
  CHECK(unknown.error().message.find("not a member") != std::string::npos);

  auto single = couple_with_child();
  single.erase(single.begin() + 1);
  check_error(make(single, delegation_to("o")), errc::household_delegation, "delegation.to");

  // A conjoint who has left is still the household's conjoint: the délégation stays on
  // file and roles.hpp decides it no longer applies.
  auto separated = couple_with_child();
  separated[1].left = 2026y / 3 / 1;
  CHECK(make(separated, delegation_to("c")).has_value());
}

TEST_CASE("§3 dates: a benefit cannot end before it starts, a délégation cannot be revoked before it is granted") {
  auto members = couple_with_child();
  members[1].benefits = {held("AAH", 2024y / 1 / 1, 2023y / 12 / 31)};
  const auto r = make(members);
  check_error(r, errc::household_date_order, "members[1].benefits[0].until");
  CHECK(r.error().message.find("`2023-12-31`") != std::string::npos);

  // Equal dates are allowed: a one-day benefit, a délégation revoked the day it starts.
  members[1].benefits = {held("AAH", 2024y / 1 / 1, 2024y / 1 / 1)};
  CHECK(make(members).has_value());
  CHECK(make(couple_with_child(), delegation_to("c", 2026y / 1 / 15, 2026y / 1 / 15)).has_value());

  check_error(make(couple_with_child(), delegation_to("c", 2026y / 1 / 15, 2026y / 1 / 14)),
              errc::household_date_order, "delegation.revoked");
}

TEST_CASE("§3 make refuses a date that is not a day, so to_json never writes one from_json refuses") {
  auto members = couple_with_child();
  members[0].birth_date = 2023y / 2 / 29;
  check_error(make(members), errc::date_format, "members[0].birth_date");

  members = couple_with_child();
  members[2].left = 2024y / 13 / 1;
  check_error(make(members), errc::date_format, "members[2].left");

  members = couple_with_child();
  members[1].benefits = {held("AAH", calp::date{std::chrono::year{calp::max_year + 1}, std::chrono::January,
                                                 std::chrono::day{1}})};
  check_error(make(members), errc::date_format, "members[1].benefits[0].from");

  check_error(make(couple_with_child(), delegation_to("c", 1849y / 12 / 31)), errc::date_format,
              "delegation.granted");
  check_error(make(couple_with_child(), delegation_to("c", 2026y / 1 / 15, 2026y / 4 / 31)),
              errc::date_format, "delegation.revoked");

  // 29 February of a leap year is a day.
  members = couple_with_child();
  members[2].birth_date = 2004y / 2 / 29;
  CHECK(make(members).has_value());
}

TEST_CASE("§3 benefit codes are 1 to 16 of A-Z, 0-9 and _") {
  for (const std::string code : {"A", "AAH", "AF", "APL_2", "ABCDEFGHIJKLMNOP", "RSA0"}) {
    INFO("code: " << code);
    auto members = couple_with_child();
    members[2].benefits = {held(code, 2020y / 1 / 1)};
    CHECK(make(members).has_value());
  }
  for (const std::string code : {"", "aah", "Aah", "ABCDEFGHIJKLMNOPQ", "A-B", "A B", "É", "AAH\n"}) {
    INFO("code: " << code);
    auto members = couple_with_child();
    members[2].benefits = {held("AF", 2020y / 1 / 1), held(code, 2020y / 1 / 1)};
    const auto r = make(members);
    check_error(r, errc::household_benefit_code, "members[2].benefits[1].code");
    CHECK(r.error().message.find('\n') == std::string::npos);
  }
  // The code echoed in the message is cut, whatever its length.
  auto members = couple_with_child();
  members[0].benefits = {held(std::string(100000, 'x'), 2020y / 1 / 1)};
  check_error(make(members), errc::household_benefit_code, "members[0].benefits[0].code");
}

TEST_CASE("§3 the four personal benefits are AJPA, BAFA, AAH and PALA") {
  for (const std::string code : {"AJPA", "BAFA", "AAH", "PALA"}) {
    CHECK(held(code, 2020y / 1 / 1).is_personal());
  }
  for (const std::string code : {"AF", "APL", "RSA", "aah", "AAHX", "AA", ""}) {
    CHECK_FALSE(held(code, 2020y / 1 / 1).is_personal());
  }
}

TEST_CASE("§3 roles are exactly allocataire, conjoint and other") {
  for (const auto r : {calp::member_role::allocataire, calp::member_role::conjoint,
                       calp::member_role::other}) {
    CHECK(calp::parse_member_role(calp::to_string(r)).value() == r);
  }
  for (const std::string& name : std::vector<std::string>{"", "Allocataire", "CONJOINT", "enfant",
                                                         "conjoint_allocataire", "other ",
                                                         std::string(1000, 'o')}) {
    const auto r = calp::parse_member_role(name);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::household_role);
    CHECK(r.error().message.size() < 200);
  }
  auto members = couple_with_child();
  members[2].role = static_cast<calp::member_role>(7);
  check_error(make(members), errc::household_role, "members[2].role");
}

TEST_CASE("§3 find and conjoint give the recorded members, a conjoint who left included") {
  auto members = couple_with_child();
  members[1].left = 2026y / 3 / 1;
  const auto h = make(members).value();
  CHECK(&h.allocataire() == h.find("a"));
  CHECK(h.conjoint() == h.find("c"));
  CHECK(h.find("o")->birth_date == 2010y / 6 / 1);
  CHECK(h.find("") == nullptr);
  CHECK(h.find("A") == nullptr);

  auto single = couple_with_child();
  single.erase(single.begin() + 1);
  CHECK(make(single).value().conjoint() == nullptr);
}
