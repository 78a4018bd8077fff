#pragma once
// R10 across processes: one process revokes the délégation (then declares a separation)
// while another, which keeps its storage open all along, decides from a fresh read of the
// household each time; the change is seen on the very next decision. Invoke
// CALP_DELEGATION_RACES(factory) with a factory whose `reset()` creates a fresh shared
// database and `make()` opens it (account_races.hpp's convention).
//
// The two children are forked, take turns through a counter in shared memory, and leave
// with _exit without touching doctest; the parent checks their exit codes.

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <new>
#include <thread>

#include "accounts/account_races.hpp"
#include "accounts/delegation_tests.hpp"

namespace calp_delegation_race {

struct turns {
  std::atomic<int> phase{0};
};

// Waits until the shared phase reaches `n` (at most about 60 s: a stuck peer fails the
// test instead of hanging it).
inline bool wait_for(turns& t, int n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
  while (t.phase.load() < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
  return true;
}

// Runs `body` in a forked child that exits 0 when it returns true.
inline pid_t spawn(const std::function<bool()>& body) {
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t child = ::fork();
  if (child != 0) return child;
  bool ok = false;
  try {
    ok = body();
  } catch (...) {
    ok = false;
  }
  ::_exit(ok ? 0 : 3);
}

inline bool exited_ok(pid_t child) {
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace calp_delegation_race

TEST_CASE_TEMPLATE_DEFINE("delegation races: R10 a revocation and a separation in one process "
                          "take effect on the next decision in another",
                          Factory, calp_delegation_race_r10) {
  using namespace calp_delegation_test;
  using calp_delegation_race::turns;
  using calp_delegation_race::wait_for;
  Factory::reset();
  {
    // The seed's household, with the délégation granted on 2026-01-01.
    household_world<Factory> w;
    REQUIRE(w.households.grant_delegation(pid("p1"), dossier).outcome == household_outcome::done);
  }
  void* shared = ::mmap(nullptr, sizeof(turns), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  REQUIRE(shared != MAP_FAILED);
  auto* t = new (shared) turns;
  const calp::date today = day(2026, 1, 1);

  // The decider: one storage opened once, a fresh household read for every decision.
  const pid_t decider = calp_delegation_race::spawn([&] {
    auto store = Factory::make();
    const auto reads = [&] {
      const auto h = store->find_household(dossier);
      if (!h) return false;
      return calp::decide(h->value, calp::request{"p2", calp::action::dossier_read, today,
                                                  calp::channel::online, {}})
          .allowed;
    };
    if (!reads()) return false;     // délégation in force
    t->phase.store(1);
    if (!wait_for(*t, 2)) return false;
    if (reads()) return false;      // revoked in the other process
    t->phase.store(3);
    if (!wait_for(*t, 4)) return false;
    if (!reads()) return false;     // granted again
    t->phase.store(5);
    if (!wait_for(*t, 6)) return false;
    if (reads()) return false;      // separated
    const auto h = store->find_household(dossier);
    return h && calp::role_at(h->value, "p2", today) == calp::household_role::not_member;
  });

  // The allocataire's side: its own storage and service.
  const pid_t changer = calp_delegation_race::spawn([&] {
    auto store = Factory::make();
    calp::recording_notifier notes;
    calp::testing::manual_clock clock{calp_account_test::instant(0)};
    calp::household_service hs{*store, notes, clock};
    if (!wait_for(*t, 1)) return false;
    if (hs.revoke_delegation(pid("p1"), dossier).outcome != household_outcome::done) return false;
    t->phase.store(2);
    if (!wait_for(*t, 3)) return false;
    if (hs.grant_delegation(pid("p1"), dossier).outcome != household_outcome::done) return false;
    t->phase.store(4);
    if (!wait_for(*t, 5)) return false;
    if (hs.declare_separation(pid("p1"), dossier, today).outcome != household_outcome::done) {
      return false;
    }
    t->phase.store(6);
    return true;
  });

  const bool changer_ok = calp_delegation_race::exited_ok(changer);
  const bool decider_ok = calp_delegation_race::exited_ok(decider);
  CHECK_MESSAGE(changer_ok, "the process that revokes failed");
  CHECK_MESSAGE(decider_ok, "the process that decides saw a stale household");
  ::munmap(shared, sizeof(turns));
  CHECK(calp_account_race::count_events<Factory>("delegation.revoked", "ok") == 1);
  CHECK(calp_account_race::count_events<Factory>("household.separation", "ok") == 1);
}

#define CALP_DELEGATION_RACES(...) TEST_CASE_TEMPLATE_INVOKE(calp_delegation_race_r10, __VA_ARGS__)
