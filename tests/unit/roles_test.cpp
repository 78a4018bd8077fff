#include <doctest/doctest.h>

#include "calp/calp.hpp"

namespace {

calp::date day(const char* text) { return calp::parse_date(text).value(); }

const calp::household& sample() {
  static const calp::household h = calp::household::from_json(R"({
    "dossier": "3000001",
    "members": [
      {"id": "a", "role": "allocataire", "birth_date": "1980-01-01"},
      {"id": "c", "role": "conjoint", "birth_date": "1981-01-01",
       "benefits": [{"code": "AJPA", "from": "2026-03-01", "until": "2026-03-31"}], "left": "2027-01-01"},
      {"id": "o", "role": "other", "birth_date": "2011-02-28"},
      {"id": "x", "role": "other", "birth_date": "2000-01-01",
       "benefits": [{"code": "BAFA", "from": "2020-01-01"}]}
    ],
    "delegation": {"to": "c", "granted": "2026-02-01", "revoked": "2026-05-01"}
  })").value();
  return h;
}

}  // namespace

TEST_CASE("R5 roles are derived from the facts at a date") {
  const auto& h = sample();
  CHECK(calp::role_at(h, "a", day("2026-01-01")) == calp::household_role::allocataire);
  CHECK(calp::role_at(h, "c", day("2026-01-01")) == calp::household_role::conjoint);
  CHECK(calp::role_at(h, "c", day("2026-03-01")) == calp::household_role::conjoint_allocataire);
  CHECK(calp::role_at(h, "c", day("2026-03-31")) == calp::household_role::conjoint_allocataire);
  CHECK(calp::role_at(h, "c", day("2026-04-01")) == calp::household_role::conjoint);
  CHECK(calp::role_at(h, "c", day("2027-01-01")) == calp::household_role::not_member);
  CHECK(calp::role_at(h, "o", day("2026-02-27")) == calp::household_role::under_15);
  CHECK(calp::role_at(h, "o", day("2026-02-28")) == calp::household_role::other);
  CHECK(calp::role_at(h, "nobody", day("2026-02-28")) == calp::household_role::not_member);
}

TEST_CASE("R5 only the conjoint becomes conjoint allocataire, another member holding BAFA is other") {
  CHECK(calp::role_at(sample(), "x", day("2026-01-01")) == calp::household_role::other);
}

TEST_CASE("R7 the délégation is part of the conjoint's standing while it applies") {
  const auto& h = sample();
  CHECK_FALSE(calp::standing_at(h, "c", day("2026-01-31")).has_delegation);
  CHECK(calp::standing_at(h, "c", day("2026-02-01")).has_delegation);
  // A conjoint allocataire who also has the délégation keeps both facts.
  const auto both = calp::standing_at(h, "c", day("2026-03-15"));
  CHECK(both.role == calp::household_role::conjoint_allocataire);
  CHECK(both.has_delegation);
  CHECK_FALSE(calp::standing_at(h, "c", day("2026-05-01")).has_delegation);
  // Only the holder has it.
  CHECK_FALSE(calp::standing_at(h, "a", day("2026-03-15")).has_delegation);
}

TEST_CASE("R7 in a couple while the conjoint is a member, the conjoint leaving ends it") {
  const auto& h = sample();
  CHECK(calp::standing_at(h, "a", day("2026-12-31")).in_couple);
  CHECK_FALSE(calp::standing_at(h, "a", day("2027-01-01")).in_couple);
}

TEST_CASE("R5 role names are stable") {
  CHECK(calp::to_string(calp::household_role::conjoint_allocataire) == "conjoint_allocataire");
  CHECK(calp::to_string(calp::household_role::under_15) == "under_15");
  CHECK(calp::to_string(calp::household_role::not_member) == "not_member");
  CHECK(calp::libelle(calp::household_role::conjoint_allocataire) == "conjoint allocataire");
}
