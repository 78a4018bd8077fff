#pragma once
// The account limits when several processes share one database (R12b, R13): 4 processes
// race on one identifier or one code, and no limit is exceeded. Written once, run on
// every storage that several processes can share: include this header in one source
// file and invoke CALP_ACCOUNT_RACES(factory), where `factory::reset()` creates a fresh
// shared database and `factory::make()` opens it (in the parent and, after the fork, in
// each child).
//
// Children are forked; each opens its own storage after the fork, meets the others at a
// start line in shared memory, reports a count through a pipe, and leaves with _exit
// without touching doctest.

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "accounts/account_tests.hpp"

namespace calp_account_race {

inline constexpr int processes = 4;

struct start_line {
  std::atomic<int> arrived{0};
};

// Runs `work(service)` in `processes` children at once, each with a service built from
// `make_config()` in the child; returns the sum of what they returned. A child that
// throws, returns a negative number or cannot report fails the test.
template <class Factory>
std::int64_t race(const std::function<std::int64_t(calp::account_service&)>& work,
                  const std::function<calp::account_config()>& make_config =
                      [] { return calp_account_test::test_config(); }) {
  void* shared = ::mmap(nullptr, sizeof(start_line), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  REQUIRE(shared != MAP_FAILED);
  auto* line = new (shared) start_line;
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
        calp::testing::manual_clock clock{calp_account_test::instant(0)};
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
  ::munmap(shared, sizeof(start_line));
  return total;
}

// P1 half-way through la bascule with a code sent to their mobile: the session token
// and the code, as plain strings that survive the fork.
template <class Factory>
std::pair<std::string, std::string> code_pending() {
  calp_account_test::world<Factory> w;
  auto t = w.bascule(calp_account_test::first_connection_step::prove_contact);
  REQUIRE(w.service.send_contact_code(t, calp::contact_kind::mobile, calp_account_test::mobile)
              .outcome == calp_account_test::step_outcome::code_sent);
  return {std::string(t.view()),
          calp_account_test::last_code(w.notes, calp_account_test::mobile_e164)};
}

// The audit events of this kind (and outcome, when given) in the shared database.
template <class Factory>
std::size_t count_events(std::string_view kind, std::string_view outcome = {},
                         std::string_view detail = {}) {
  auto store = Factory::make();
  calp::audit_query q;
  q.limit = 100000;
  std::size_t n = 0;
  for (const auto& e : store->audit_events(q)) {
    n += e.kind == kind && (outcome.empty() || e.outcome == outcome) &&
                 (detail.empty() || e.detail.find(detail) != std::string::npos)
             ? 1
             : 0;
  }
  return n;
}

}  // namespace calp_account_race

TEST_CASE_TEMPLATE_DEFINE("account races: R12b 4 processes guessing one password check 5 guesses "
                          "in all",
                          Factory, calp_account_race_guesses) {
  Factory::reset();
  std::string nir;
  {
    world<Factory> w;
    (void)w.bascule();
    nir = w.nir_of(1);
  }
  const auto signed_in = calp_account_race::race<Factory>([&](calp::account_service& s) {
    std::int64_t in = 0;
    for (int n = 0; n < 10; ++n) {
      if (s.login(nir, pw(other_password)).outcome == login_outcome::signed_in) ++in;
    }
    // The right password, once the others blocked the identifier: refused too.
    if (s.login(nir, pw(good_password)).outcome == login_outcome::signed_in) ++in;
    return in;
  });
  CHECK(signed_in == 0);
  CHECK(calp_account_race::count_events<Factory>("login.failed", {}, "wrong_password") == 5);
  CHECK(calp_account_race::count_events<Factory>("login.failed", {}, "throttled") == 4 * 11 - 5);
}

TEST_CASE_TEMPLATE_DEFINE("account races: R13 4 processes asking for new codes get 3 in all",
                          Factory, calp_account_race_new_codes) {
  Factory::reset();
  const auto token = calp_account_race::code_pending<Factory>().first;
  const auto sent = calp_account_race::race<Factory>([&](calp::account_service& s) {
    std::int64_t mine = 0;
    const calp::secret t(token);
    for (int n = 0; n < 5; ++n) {
      if (s.resend_contact_code(t).outcome == step_outcome::code_sent) ++mine;
    }
    return mine;
  });
  CHECK(sent == 3);
  CHECK(calp_account_race::count_events<Factory>("contact.code_sent", "ok") == 4);
}

TEST_CASE_TEMPLATE_DEFINE("account races: R13 4 processes typing wrong codes get 5 entries in all",
                          Factory, calp_account_race_wrong_codes) {
  Factory::reset();
  const auto [token, code] = calp_account_race::code_pending<Factory>();
  const std::string wrong = wrong_code_for(code);
  const auto counted = calp_account_race::race<Factory>([&](calp::account_service& s) {
    std::int64_t mine = 0;
    const calp::secret t(token);
    for (int n = 0; n < 4; ++n) {
      const auto o = s.confirm_contact(t, wrong).outcome;
      if (o == step_outcome::wrong_code) ++mine;
    }
    return mine;
  });
  CHECK(counted == 4);  // the 5th wrong entry answers void_code
  CHECK(calp_account_race::count_events<Factory>("contact.code_failed", "wrong") == 4);
  auto store = Factory::make();
  calp::recording_notifier notes;
  calp::testing::manual_clock clock{instant(0)};
  calp::account_service service{*store, notes, clock, test_config(), test_key()};
  // The right code, typed after the 5 wrong ones, no longer opens anything.
  CHECK(service.confirm_contact(calp::secret(token), code).outcome == step_outcome::void_code);
}

TEST_CASE_TEMPLATE_DEFINE("account races: R13 one code typed right by 4 processes is accepted once",
                          Factory, calp_account_race_single_use) {
  Factory::reset();
  const auto [token, code] = calp_account_race::code_pending<Factory>();
  const auto accepted = calp_account_race::race<Factory>([&](calp::account_service& s) {
    return s.confirm_contact(calp::secret(token), code).outcome == step_outcome::done ? 1 : 0;
  });
  CHECK(accepted == 1);
  CHECK(calp_account_race::count_events<Factory>("contact.verified") == 1);
}

#define CALP_ACCOUNT_RACES(...)                                          \
  TEST_CASE_TEMPLATE_INVOKE(calp_account_race_guesses, __VA_ARGS__);     \
  TEST_CASE_TEMPLATE_INVOKE(calp_account_race_new_codes, __VA_ARGS__);   \
  TEST_CASE_TEMPLATE_INVOKE(calp_account_race_wrong_codes, __VA_ARGS__); \
  TEST_CASE_TEMPLATE_INVOKE(calp_account_race_single_use, __VA_ARGS__)
