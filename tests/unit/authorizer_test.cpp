#include <doctest/doctest.h>

#include <array>
#include <vector>
#include <string>

#include "calp/calp.hpp"

namespace {

calp::date day(const char* text) { return calp::parse_date(text).value(); }

// One household holding every role on 2026-11-28.
const calp::household& every_role() {
  static const calp::household h = calp::household::from_json(R"({
    "dossier": "2000001",
    "members": [
      {"id": "allocataire", "role": "allocataire", "birth_date": "1980-01-01"},
      {"id": "conjoint", "role": "conjoint", "birth_date": "1981-01-01"},
      {"id": "other", "role": "other", "birth_date": "2005-01-01"},
      {"id": "under_15", "role": "other", "birth_date": "2015-01-01"},
      {"id": "left", "role": "other", "birth_date": "2000-01-01", "left": "2026-01-01"}
    ]})").value();
  return h;
}

// A couple whose conjoint has `conjoint_extra` fields, with `delegation`.
calp::household with(const std::string& conjoint_extra, const std::string& delegation) {
  return calp::household::from_json(R"({"dossier": "2000002", "members": [
      {"id": "allocataire", "role": "allocataire", "birth_date": "1980-01-01"},
      {"id": "conjoint", "role": "conjoint", "birth_date": "1981-01-01")" +
                                    conjoint_extra + "}], \"delegation\": " + delegation + "}")
      .value();
}

const calp::household& single() {
  static const calp::household h = calp::household::from_json(R"({"dossier": "2000003",
    "members": [{"id": "allocataire", "role": "allocataire", "birth_date": "1980-01-01"}]})").value();
  return h;
}

using row = std::array<bool, calp::action_count>;
// Columns in the order of calp::all_actions: own_data.read, own_contact.update,
// own_password.change, separation.declare, dossier.read, changes.declare,
// benefit.request, delegation.manage — DESIGN.md §3 transcribed.
constexpr row allocataire_in_couple = {true, true, true, true, true, true, true, true};
constexpr row allocataire_alone = {true, true, true, false, true, true, true, false};
constexpr row conjoint = {true, true, true, true, false, false, false, false};
constexpr row conjoint_with_delegation = {true, true, true, true, true, true, true, false};
constexpr row conjoint_allocataire = {true, true, true, true, true, true, true, false};
constexpr row other = {true, true, true, false, false, false, false, false};
constexpr row nothing = {false, false, false, false, false, false, false, false};

void check_row(const calp::household& h, const char* person, const row& expected) {
  const auto at = day("2026-11-28");
  for (std::size_t i = 0; i < calp::action_count; ++i) {
    const calp::action a = calp::all_actions[i];
    INFO(person, " ", calp::to_string(a));
    const auto online = calp::decide(h, {person, a, at});
    CHECK(online.allowed == expected[i]);
    CHECK_FALSE(online.reason.empty());
    CHECK_FALSE(online.message.empty());
    // R8: the front desk gives exactly the online answer.
    const auto desk = calp::decide(h, {person, a, at, calp::channel::front_desk, "A1"});
    CHECK(desk.allowed == online.allowed);
    CHECK(desk.reason == online.reason);
    CHECK(desk.message == online.message);
  }
}

}  // namespace

TEST_CASE("R5 the whole role x action matrix of DESIGN.md §3, online and at the front desk") {
  check_row(every_role(), "allocataire", allocataire_in_couple);
  check_row(single(), "allocataire", allocataire_alone);
  check_row(every_role(), "conjoint", conjoint);
  check_row(with("", R"({"to": "conjoint", "granted": "2026-01-01"})"), "conjoint",
            conjoint_with_delegation);
  for (const char* benefit : {"AJPA", "BAFA", "AAH", "PALA"}) {
    INFO(benefit);
    check_row(with(std::string(R"(, "benefits": [{"code": ")") + benefit +
                       R"(", "from": "2020-01-01"}])",
                   "null"),
              "conjoint", conjoint_allocataire);
  }
  check_row(with(R"(, "benefits": [{"code": "AAH", "from": "2020-01-01"}])",
                 R"({"to": "conjoint", "granted": "2026-01-01"})"),
            "conjoint", conjoint_allocataire);
  check_row(every_role(), "other", other);
}

TEST_CASE("R6 under 15 every action is denied") {
  check_row(every_role(), "under_15", nothing);
  CHECK(calp::decide(every_role(), {"under_15", calp::action::own_data_read, day("2026-11-28")}).reason ==
        "under_15");
}

TEST_CASE("R5 default deny: unknown persons and members who left get nothing") {
  check_row(every_role(), "left", nothing);
  check_row(every_role(), "nobody", nothing);
  check_row(every_role(), "", nothing);
}

TEST_CASE("R8 a front-desk decision without an agent is denied, even for an allowed action") {
  const auto d = calp::decide(every_role(), {"allocataire", calp::action::own_data_read,
                                             day("2026-11-28"), calp::channel::front_desk, ""});
  CHECK_FALSE(d.allowed);
  CHECK(d.reason == calp::reasons::agent_required);
}

TEST_CASE("R9 a decision is a value with a stable reason and a French message") {
  const auto d = calp::decide(every_role(), {"conjoint", calp::action::dossier_read, day("2026-11-28")});
  CHECK_FALSE(d);
  CHECK(d.reason == "conjoint_without_delegation");
  CHECK(d.message.find("Le conjoint n'a pas de délégation de gestion") == 0);
  CHECK(d.role == calp::household_role::conjoint);
}

TEST_CASE("R9 channel names") {
  CHECK(calp::parse_channel("front-desk").value() == calp::channel::front_desk);
  CHECK(calp::parse_channel("online").value() == calp::channel::online);
  CHECK(calp::to_string(calp::channel::front_desk) == "front-desk");
  const auto bad = calp::parse_channel("phone");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == calp::errc::channel_unknown);
}

TEST_CASE("R9 decide_batch gives exactly the decisions of decide, one by one") {
  const calp::household households[] = {every_role(), single(),
                                        with(R"(, "benefits": [{"code": "AAH", "from": "2020-01-01"}])", "null")};
  std::vector<calp::household_request> batch;
  for (const auto& h : households) {
    for (const auto& m : h.members()) {
      for (const calp::action a : calp::all_actions) {
        batch.push_back({&h, {m.id.str(), a, day("2026-11-28")}});
        batch.push_back({&h, {m.id.str(), a, day("2026-11-28"), calp::channel::front_desk, "A1"}});
        batch.push_back({&h, {m.id.str(), a, day("2026-11-28"), calp::channel::front_desk, ""}});
      }
    }
  }
  batch.push_back({nullptr, {"allocataire", calp::action::own_data_read, day("2026-11-28")}});
  std::vector<calp::decision> out(batch.size());
  calp::decide_batch(calp::policy::caf_default(), batch, out);
  for (std::size_t i = 0; i + 1 < batch.size(); ++i) {
    const auto one = calp::decide(*batch[i].in, batch[i].what);
    CHECK(out[i].allowed == one.allowed);
    CHECK(out[i].reason == one.reason);
    CHECK(out[i].role == one.role);
  }
  CHECK_FALSE(out.back().allowed);
  CHECK(out.back().reason == calp::reasons::not_member);
}
