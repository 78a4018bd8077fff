#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

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

namespace {

// Random households, with the shapes the quick facts cannot hold too (more than six
// members, long ids, three personal benefit periods), so both paths are exercised.
calp::household random_household(std::mt19937_64& rng, int n) {
  const auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const auto random_day = [&](int from_year, int to_year) {
    const calp::date d{std::chrono::year{pick(from_year, to_year)},
                       std::chrono::month{static_cast<unsigned>(pick(1, 12))},
                       std::chrono::day{static_cast<unsigned>(pick(1, 29))}};
    return d.ok() ? d : calp::date{d.year(), d.month(), std::chrono::day{28}};
  };
  const int size = pick(1, 9);
  const bool long_ids = pick(0, 9) == 0;
  std::vector<calp::member> members;
  for (int i = 0; i < size; ++i) {
    const std::string id = (long_ids ? "a-very-long-person-identifier-" : "p") + std::to_string(n) + "-" +
                           std::to_string(i);
    calp::member m{calp::person_id::parse(id).value(),
                   i == 0 ? calp::member_role::allocataire
                          : (i == 1 && pick(0, 3) > 0 ? calp::member_role::conjoint : calp::member_role::other),
                   pick(0, 20) == 0 ? calp::date{std::chrono::year{2012}, std::chrono::February, std::chrono::day{29}}
                                    : random_day(1960, 2024),
                   {},
                   std::nullopt};
    for (int b = pick(0, 3); b > 0; --b) {
      const auto from = random_day(2015, 2028);
      std::optional<calp::date> until;
      if (pick(0, 1)) until = calp::date{std::chrono::sys_days{from} + std::chrono::days{pick(0, 900)}};
      m.benefits.push_back({pick(0, 2) ? "AAH" : (pick(0, 1) ? "PALA" : "AF"), from, until});
    }
    if (pick(0, 5) == 0) m.left = random_day(2018, 2030);
    members.push_back(std::move(m));
  }
  std::optional<calp::delegation> d;
  if (members.size() > 1 && members[1].role == calp::member_role::conjoint && pick(0, 1)) {
    const auto granted = random_day(2018, 2028);
    std::optional<calp::date> revoked;
    if (pick(0, 1)) revoked = calp::date{std::chrono::sys_days{granted} + std::chrono::days{pick(0, 700)}};
    d = calp::delegation{members[1].id, granted, revoked};
  }
  return calp::household::make(calp::dossier_number::parse("1234567").value(), std::move(members), d).value();
}

}  // namespace

TEST_CASE("R5 the quick facts derive exactly the standing of the general path") {
  std::mt19937_64 rng(99);
  std::size_t compared = 0;
  for (int n = 0; n < 3000; ++n) {
    const auto h = random_household(rng, n);
    for (int k = 0; k < 40; ++k) {
      const calp::date at{std::chrono::sys_days{calp::date{std::chrono::year{2014}, std::chrono::January,
                                                           std::chrono::day{1}}} +
                          std::chrono::days{std::uniform_int_distribution<int>(0, 6500)(rng)}};
      for (const auto& m : h.members()) {
        CHECK(calp::standing_at(h, m.id.str(), at) == calp::standing_at(h, m, at));
        ++compared;
      }
      // A day that does not exist still gets the general path's answer.
      const calp::date not_a_day{at.year(), std::chrono::February, std::chrono::day{30}};
      CHECK(calp::standing_at(h, h.members()[0].id.str(), not_a_day) ==
            calp::standing_at(h, h.members()[0], not_a_day));
      CHECK(calp::standing_at(h, "nobody", at) == calp::standing{});
      CHECK(calp::standing_at(h, std::string(h.members()[0].id.str()) + "x", at) == calp::standing{});
    }
  }
  CHECK(compared > 100000);
}
