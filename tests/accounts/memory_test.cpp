// The account service's rules on the in-memory storage, directly and through a
// failing_storage that injects a storage failure in the middle of each flow.

#include <memory>

#include "accounts/account_tests.hpp"
#include "accounts/delegation_tests.hpp"
#include "accounts/primo_tests.hpp"
#include "calp/storage/memory.hpp"
#include "calp/testing/failing_storage.hpp"

namespace {

struct memory_factory {
  static std::unique_ptr<calp::storage> make() { return std::make_unique<calp::memory_storage>(); }
};

}  // namespace

TYPE_TO_STRING_AS("memory", memory_factory);
CALP_ACCOUNT_TESTS(memory_factory);
CALP_DELEGATION_TESTS(memory_factory);
CALP_PRIMO_TESTS(memory_factory);

namespace {

// A memory storage behind a failing_storage, owned together.
struct memory_holder {
  calp::memory_storage memory;
};
class owned_failing_storage : private memory_holder, public calp::testing::failing_storage {
 public:
  owned_failing_storage() : failing_storage(memory) {}
};
struct failing_factory {
  static std::unique_ptr<calp::storage> make() { return std::make_unique<owned_failing_storage>(); }
};

// Logs p1 in with whichever password opens the account now and does every step left;
// false when a step does not answer as it should. No doctest assertion inside, so a
// storage_error reaches the caller.
bool finish_bascule(calp_account_test::world<failing_factory>& w) {
  using namespace calp_account_test;
  auto in = w.login(1, legacy_password);
  if (in.outcome != login_outcome::signed_in) in = w.login(1, good_password);
  if (in.outcome != login_outcome::signed_in) return false;
  auto step = in.next_step;
  const auto& t = in.token;
  while (step != first_connection_step::done) {
    calp::step_result r;
    switch (step) {
      case first_connection_step::accept_terms: r = w.service.accept_terms(t, terms); break;
      case first_connection_step::create_password:
        r = w.service.create_password(t, pw(good_password), pw(good_password));
        break;
      case first_connection_step::prove_contact:
        r = w.service.send_contact_code(t, calp::contact_kind::mobile, mobile);
        if (r.outcome != step_outcome::code_sent) r = w.service.resend_contact_code(t);
        if (r.outcome != step_outcome::code_sent) return false;
        r = w.service.confirm_contact(t, last_code(w.notes, mobile_e164));
        break;
      case first_connection_step::answer_delegation_offer:
        r = w.service.answer_delegation_offer(t, true);
        break;
      case first_connection_step::done: break;
    }
    if (r.outcome != step_outcome::done) return false;
    step = r.next_step;
  }
  return true;
}

}  // namespace

TEST_CASE("accounts: a storage failure at any call of la bascule loses nothing and the person "
          "resumes") {
  using namespace calp_account_test;
  // The bascule makes about 60 storage calls; fail each one in turn.
  for (std::uint64_t n = 1; n <= 80; ++n) {
    CAPTURE(n);
    world<failing_factory> w;
    auto& failing = dynamic_cast<calp::testing::failing_storage&>(*w.store);
    failing.fail_on_call(n);
    bool threw = false;
    try {
      const bool answered = finish_bascule(w);  // outside CHECK, which would catch the throw
      CHECK(answered);
    } catch (const calp::storage_error& e) {
      threw = true;
      CHECK(e.code() == calp::errc::storage_failure);
    }
    failing.disarm();
    if (threw) {
      const bool resumed = finish_bascule(w);
      REQUIRE(resumed);
    }
    if (n == 80) CHECK_FALSE(threw);  // every call of the flow was failed once
    const auto acc = w.store->find_account(pid("p1"));
    REQUIRE(acc);
    CHECK(acc->value.state == calp::account_state::active);
    CHECK(acc->value.legacy_password_hash.empty());
    CHECK(acc->value.contacts.size() == 1);
    CHECK(w.login(1, good_password).next_step == first_connection_step::done);
    CHECK(w.login(1, legacy_password).outcome == login_outcome::refused);
  }
}
