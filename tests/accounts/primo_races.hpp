#pragma once
// Registrations of primo-demandeurs when several processes share one database (R3,
// R15): 4 processes register the same NIR, or draw the same provisional identifier, at
// the same moment, and the storage's uniqueness rules decide. Written once, run on every
// storage that several processes can share: include this header (after
// account_races.hpp and primo_tests.hpp) in one source file and invoke
// CALP_PRIMO_RACES(factory), where `factory::reset()` creates a fresh shared database
// and `factory::make()` opens it.
//
// Children are forked as in account_races.hpp; each builds its own service with the
// configuration the case gives, meets the others at a start line in shared memory,
// reports a number through a pipe, and leaves with _exit without touching doctest.

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <new>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "accounts/account_races.hpp"
#include "accounts/primo_tests.hpp"

namespace calp_primo_race {

inline constexpr int processes = 4;

// Runs `work(service)` in `processes` children at once, each with a service built from
// `make_config()` in the child; returns the sum of what they returned. A child that
// throws or returns a negative number fails the test.
template <class Factory>
std::int64_t race(const std::function<calp::account_config()>& make_config,
                  const std::function<std::int64_t(calp::account_service&)>& work) {
  void* shared = ::mmap(nullptr, sizeof(calp_account_race::start_line), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  REQUIRE(shared != MAP_FAILED);
  auto* line = new (shared) calp_account_race::start_line;
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::fflush(stdout);
  std::fflush(stderr);
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(fds[0]);
      std::int64_t result = -1;
      try {
        auto store = Factory::make();
        calp::recording_notifier notes;
        calp::testing::manual_clock clock{calp::testing::conformance::instant(0)};
        calp::account_service service{*store, notes, clock, make_config(),
                                      calp_account_test::test_key()};
        line->arrived.fetch_add(1);
        while (line->arrived.load() < processes) std::this_thread::yield();
        result = work(service);
      } catch (...) {
        result = -1;
      }
      const bool written = ::write(fds[1], &result, sizeof result) == sizeof result;
      ::_exit(written && result >= 0 ? 0 : 3);
    }
    children.push_back(child);
  }
  ::close(fds[1]);
  std::int64_t total = 0;
  for (int p = 0; p < processes; ++p) {
    std::int64_t one = -1;
    ssize_t n = 0;
    do {
      n = ::read(fds[0], &one, sizeof one);
    } while (n < 0 && errno == EINTR);
    CHECK(n == static_cast<ssize_t>(sizeof one));
    CHECK(one >= 0);
    if (one > 0) total += one;
  }
  ::close(fds[0]);
  for (const pid_t child : children) {
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    CHECK_MESSAGE((WIFEXITED(status) && WEXITSTATUS(status) == 0), "a racing process failed");
  }
  ::munmap(shared, sizeof(calp_account_race::start_line));
  return total;
}

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
  const auto sum = calp_primo_race::race<Factory>([] { return calp_account_test::test_config(); },
                                                  [](calp::account_service& s) -> std::int64_t {
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
  const auto registered = calp_primo_race::race<Factory>(
      [] {
        auto c = calp_account_test::test_config();
        c.provisional_id_source = calp_primo_race::same_first_then_random();
        return c;
      },
      [](calp::account_service& s) -> std::int64_t {
        return s.register_primo_demandeur(morvan()).outcome == registration_outcome::registered ? 1 : -1;
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
