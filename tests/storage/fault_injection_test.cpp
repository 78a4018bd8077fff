// Fault injection: a storage that fails at any call of a multi-step flow leaves the
// state of a step boundary, never half a step; `storage_wrapper` makes such doubles one
// small class.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "calp/storage/memory.hpp"
#include "calp/testing/failing_storage.hpp"
#include "calp/testing/storage_conformance.hpp"

namespace {

using namespace calp::testing::conformance;
using calp::testing::failing_storage;

// ----- the flow: what the account services do for a new person, in three commits.

const std::string challenge_key = "contact:p1:email";
const std::string token = "dG9rZW4taGFzaA";

// Each step runs only when its record is missing, so the flow resumes where a failure
// stopped it, as a person who retries does (R11: resume at the first step not done).
void run_flow(calp::storage& s, const std::function<void()>& after_step = [] {}) {
  // 1. create the person, their account and the audit event, together.
  if (!s.find_person(pid("p1"))) {
    calp::write_batch b;
    b.put(full_person("p1", 1, 1), 0)
        .put(account_with_email("p1", "p1@example.fr"), 0)
        .append(make_event("account.created"));
    // Outside REQUIRE, which would catch the injected storage_error.
    const auto committed = s.commit(b);
    REQUIRE(committed);
  }
  after_step();
  // 2. issue a verification code (R13): read the challenge, write it at that version.
  const auto current = s.find_challenge(challenge_key);
  if (!current) {
    calp::write_batch b;
    auto c = make_challenge(challenge_key, 1);
    c.person = pid("p1");
    b.put(c, 0).append(make_event("code.sent"));
    const auto committed = s.commit(b);
    REQUIRE(committed);
  }
  after_step();
  // 3. open a session and record the login, chained on the audit trail's tail.
  if (!s.find_session(token)) {
    const auto tail = s.audit_tail();
    REQUIRE(tail);
    calp::write_batch b;
    b.put(make_session(token, "p1"), 0).append(make_event("login.ok"), tail->seq);
    const auto committed = s.commit(b);
    REQUIRE(committed);
  }
  after_step();
}

// Everything the flow writes, read back with versions.
struct snapshot {
  std::optional<std::pair<calp::person_record, std::uint64_t>> person;
  std::optional<std::pair<calp::account_record, std::uint64_t>> account;
  std::optional<std::pair<calp::challenge_record, std::uint64_t>> challenge;
  std::optional<std::pair<calp::session_record, std::uint64_t>> session;
  std::vector<calp::audit_event> audit;
  std::optional<calp::audit_event> tail;
  std::size_t sessions_of_p1 = 0;
  bool indexed_by_nir = false;

  friend bool operator==(const snapshot&, const snapshot&) = default;
};

template <class T>
std::optional<std::pair<T, std::uint64_t>> unpack(const std::optional<calp::versioned<T>>& v) {
  if (!v) return std::nullopt;
  return std::pair<T, std::uint64_t>{v->value, v->version};
}

snapshot take(calp::storage& s) {
  snapshot out;
  out.person = unpack(s.find_person(pid("p1")));
  out.account = unpack(s.find_account(pid("p1")));
  out.challenge = unpack(s.find_challenge(challenge_key));
  out.session = unpack(s.find_session(token));
  out.audit = s.audit_events({});
  out.tail = s.audit_tail();
  out.sessions_of_p1 = s.sessions_of(pid("p1")).size();
  out.indexed_by_nir = s.find_person_by_nir(test_nir(1)).has_value();
  return out;
}

// The states a flow run without failure passes through: empty, then after each step.
std::vector<snapshot> boundaries(std::uint64_t& calls) {
  calp::memory_storage real;
  failing_storage counted(real);
  std::vector<snapshot> states{take(real)};
  run_flow(counted, [&] { states.push_back(take(real)); });
  calls = counted.calls();
  return states;
}

// A wrapper that owns its target, so a factory can hand it out.
class owning_failing_storage final : public failing_storage {
 public:
  explicit owning_failing_storage(std::shared_ptr<const calp::audit_key> key = nullptr)
      : owning_failing_storage(std::make_unique<calp::memory_storage>(std::move(key))) {}

 private:
  explicit owning_failing_storage(std::unique_ptr<calp::memory_storage> target)
      : failing_storage(*target), target_(std::move(target)) {}
  std::unique_ptr<calp::memory_storage> target_;
};

struct unarmed_failing_factory {
  static std::unique_ptr<calp::storage> make() {
    return std::make_unique<owning_failing_storage>();
  }
  static std::unique_ptr<calp::storage> make_chained(std::shared_ptr<const calp::audit_key> key) {
    return std::make_unique<owning_failing_storage>(std::move(key));
  }
};

}  // namespace

TYPE_TO_STRING_AS("memory through an unarmed failing_storage", unarmed_failing_factory);

// failing_storage forwards every method when no failure is armed.
CALP_STORAGE_CONFORMANCE(unarmed_failing_factory);

TEST_CASE("fault injection: a failure at any call of a flow leaves the state of a step boundary") {
  std::uint64_t calls = 0;
  const auto states = boundaries(calls);
  REQUIRE(states.size() == 4);
  REQUIRE(calls == 7);  // 2 + 2 + 3: every read and commit of the flow
  // The boundaries differ from one another, so landing on one says where the flow stopped.
  for (std::size_t i = 1; i < states.size(); ++i) CHECK_FALSE(states[i] == states[i - 1]);

  for (const bool and_after : {false, true}) {
    for (std::uint64_t n = 1; n <= calls; ++n) {
      CAPTURE(n);
      CAPTURE(and_after);
      calp::memory_storage real;
      failing_storage faulty(real);
      faulty.fail_on_call(n, and_after);
      bool threw = false;
      try {
        run_flow(faulty);
      } catch (const calp::storage_error& e) {
        threw = true;
        CHECK(e.code() == calp::errc::storage_failure);
      }
      CHECK(threw);
      CHECK(faulty.failures() == 1);
      const snapshot after = take(real);
      const auto found = std::find(states.begin(), states.end(), after);
      CHECK_MESSAGE(found != states.end(), "call ", n, " left a state between two steps");
      // Before the failure the flow had done some steps and nothing of the next one.
      CHECK(found != states.end() - 1);
      // Retrying on a healthy storage finishes the flow exactly as an unbroken run does.
      run_flow(real);
      CHECK(take(real) == states.back());
    }
  }
}

TEST_CASE("fault injection: a commit that throws writes nothing") {
  calp::memory_storage real;
  failing_storage faulty(real);
  calp::write_batch b;
  b.put(full_person("p1", 1, 1), 0)
      .put(full_account("p1"), 0)
      .put(make_session(token, "p1"), 0)
      .append(make_event("account.created"));
  const snapshot empty = take(real);

  faulty.fail_on_call(1);
  CHECK_THROWS_AS(static_cast<void>(faulty.commit(b)), calp::storage_error);
  CHECK(take(real) == empty);
  CHECK(real.audit_events({}).empty());
  CHECK(faulty.calls() == 1);
  CHECK(faulty.failures() == 1);

  // The failure was transient: the same batch now commits, once.
  REQUIRE(faulty.commit(b));
  CHECK(real.find_person(pid("p1")));
  CHECK(real.audit_tail()->seq == 1);

  // A database that went away: every call fails until disarmed, and nothing changes.
  faulty.fail_on_call(1, true);
  calp::write_batch more;
  more.append(make_event("x"));
  CHECK_THROWS_AS(static_cast<void>(faulty.commit(more)), calp::storage_error);
  CHECK_THROWS_AS(static_cast<void>(faulty.find_person(pid("p1"))), calp::storage_error);
  CHECK_THROWS_AS(static_cast<void>(faulty.audit_tail()), calp::storage_error);
  CHECK(faulty.failures() == 4);
  CHECK(real.audit_events({}).size() == 1);
  faulty.disarm();
  CHECK(faulty.find_person(pid("p1")));
}

TEST_CASE("fault injection: a storage_error message names the call that failed") {
  calp::memory_storage real;
  failing_storage faulty(real);
  faulty.fail_on_call(2);
  CHECK_FALSE(faulty.find_session("x"));
  try {
    static_cast<void>(faulty.households_of(pid("p1")));
    FAIL("no exception");
  } catch (const calp::storage_error& e) {
    CHECK(std::string(e.what()).find("households_of") != std::string::npos);
    CHECK(std::string(e.what()).find("calp.storage.failure") != std::string::npos);
  }
}

namespace {

// Overrides one method; every other call is inherited from storage_wrapper.
class commit_counter final : public calp::storage_wrapper {
 public:
  using storage_wrapper::storage_wrapper;
  calp::result<calp::commit_receipt> commit(const calp::write_batch& batch) override {
    ++commits;
    return storage_wrapper::commit(batch);
  }
  int commits = 0;
};

// Changes what one read answers.
class household_hider final : public calp::storage_wrapper {
 public:
  using storage_wrapper::storage_wrapper;
  std::optional<calp::versioned<calp::household>> find_household(
      const calp::dossier_number&) override {
    return std::nullopt;
  }
};

}  // namespace

TEST_CASE("storage_wrapper: a derived class overrides one method and inherits the rest") {
  calp::memory_storage real;
  commit_counter counter(real);
  const auto house =
      make_household("1234567", {adult("p1", calp::member_role::allocataire)});
  calp::write_batch b;
  b.put(house, 0).put(full_person("p1", 1, 1), 0).append(make_event("x"));
  REQUIRE(counter.commit(b));
  CHECK(counter.commits == 1);
  REQUIRE(counter.find_household(dossier("1234567")));
  CHECK(counter.find_household(dossier("1234567"))->value == house);
  CHECK(counter.find_person_by_nir(test_nir(1)));
  CHECK(counter.households_of(pid("p1")).size() == 1);
  REQUIRE(counter.find_households_of(pid("p1")).size() == 1);
  CHECK(counter.find_households_of(pid("p1"))[0].value == house);
  CHECK(counter.audit_tail()->seq == 1);

  household_hider hider(real);
  CHECK_FALSE(hider.find_household(dossier("1234567")));
  CHECK(hider.households_of(pid("p1")).size() == 1);
  CHECK(hider.find_person(pid("p1")));
  // Wrappers stack: a hider over a counter.
  household_hider stacked(counter);
  calp::write_batch more;
  more.append(make_event("y"));
  REQUIRE(stacked.commit(more));
  CHECK(counter.commits == 2);
  CHECK_FALSE(stacked.find_household(dossier("1234567")));
}
