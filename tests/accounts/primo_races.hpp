#pragma once
// Registrations of primo-demandeurs when several processes share one database (R3,
// R15): 4 processes register the same NIR, or draw the same provisional identifier, at
// the same moment, and the storage's uniqueness rules decide. Written once, run on every
// storage that several processes can share: include this header (after
// account_races.hpp and primo_tests.hpp) in one source file and invoke
// CALP_PRIMO_RACES(factory), where `factory::reset()` creates a fresh shared database
// and `factory::make()` opens it.
//
// The processes are those of account_races.hpp (calp_account_race::race), each with the
// configuration the case gives.

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>

#include <fmt/format.h>

#include "accounts/account_races.hpp"
#include "accounts/primo_tests.hpp"

namespace calp_primo_race {

// A provisional_id_source that returns P12345678 on its first call, then random ones
// (never P12345678), so that every process starts on the same identifier.
inline std::function<calp::provisional_id()> same_first_then_random() {
  auto first = std::make_shared<bool>(true);
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [first, engine] {
    if (*first) {
      *first = false;
      return calp::provisional_id::parse("P12345678").value();
    }
    std::uniform_int_distribution<int> digits(0, 99'999'999);
    int n = digits(*engine);
    if (n == 12'345'678) n = 87'654'321;
    return calp::provisional_id::parse(fmt::format("P{:08}", n)).value();
  };
}

}  // namespace calp_primo_race

TEST_CASE_TEMPLATE_DEFINE("primo races: R15 4 processes registering one NIR: one space, the "
                          "others already_registered",
                          Factory, calp_primo_race_same_nir) {
  Factory::reset();
  { primo_world<Factory> w; }  // the seed's household and accounts, as in the other cases
  // 1 for a registration, 100 for already_registered: the sum says how many of each.
  const auto sum = calp_account_race::race<Factory>([](calp::account_service& s) -> std::int64_t {
    const auto r = s.register_primo_demandeur(durand(durand_nir()));
    switch (r.outcome) {
      case registration_outcome::registered: return 1;
      case registration_outcome::already_registered: return 100;
      case registration_outcome::invalid: return -1;
    }
    return -1;
  });
  CHECK(sum == 1 + 3 * 100);
  auto store = Factory::make();
  const auto persons = store->find_persons_born_on(day(1990, 4, 15), 100);
  REQUIRE(persons.size() == 1);
  const auto by_nir = store->find_person_by_nir(calp::nir::parse(durand_nir()).value());
  REQUIRE(by_nir);
  CHECK(by_nir->value.id == persons[0].value.id);
  CHECK(store->find_account(persons[0].value.id));
  CHECK(calp_account_race::count_events<Factory>("person.registered", "nir") == 1);
  CHECK(calp_account_race::count_events<Factory>("person.registration_refused",
                                                 "already_registered") == 3);
}

TEST_CASE_TEMPLATE_DEFINE("primo races: R3 4 processes drawing the same provisional identifier "
                          "all register, with 4 distinct identifiers",
                          Factory, calp_primo_race_same_provisional_id) {
  Factory::reset();
  { primo_world<Factory> w; }
  const auto registered = calp_account_race::race<Factory>(
      [](calp::account_service& s) -> std::int64_t {
        return s.register_primo_demandeur(morvan()).outcome == registration_outcome::registered ? 1 : -1;
      },
      [] {
        auto c = calp_account_test::test_config();
        c.provisional_id_source = calp_primo_race::same_first_then_random();
        return c;
      });
  CHECK(registered == 4);
  auto store = Factory::make();
  const auto persons = store->find_persons_born_on(day(1962, 9, 9), 100);
  REQUIRE(persons.size() == 4);
  std::set<std::string> ids;
  int holders = 0;
  for (const auto& p : persons) {
    REQUIRE(p.value.provisional_id);
    const std::string id(p.value.provisional_id->str());
    ids.insert(id);
    holders += id == "P12345678" ? 1 : 0;
    CHECK(store->find_person_by_provisional_id(*p.value.provisional_id)->value.id == p.value.id);
    CHECK(store->find_account(p.value.id));
  }
  CHECK(ids.size() == 4);
  CHECK(holders == 1);
  CHECK(calp_account_race::count_events<Factory>("person.registered", "provisional_id") == 4);
}

#define CALP_PRIMO_RACES(...)                                               \
  TEST_CASE_TEMPLATE_INVOKE(calp_primo_race_same_nir, __VA_ARGS__);         \
  TEST_CASE_TEMPLATE_INVOKE(calp_primo_race_same_provisional_id, __VA_ARGS__)
