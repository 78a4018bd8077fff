#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>

#include "calp/accounts.hpp"
#include "calp/notifiers.hpp"
#include "calp/storage/memory.hpp"
#include "calp/testing/manual_clock.hpp"

using namespace std::chrono_literals;

namespace {

calp::account_config good() {
  calp::account_config c;
  c.terms_version = "cgu-2026";
  c.password_hashing = calp::password_hash_params::for_tests();
  return c;
}

// The message `validate_account_config` gives for `c`, or "" when it accepts it.
std::string problem(const calp::account_config& c) {
  try {
    calp::validate_account_config(c);
    return "";
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
}

}  // namespace

TEST_CASE("account_config: the defaults and the edges a flow can work with are accepted") {
  CHECK(problem(good()) == "");
  auto c = good();
  c.provisional_transition = 0s;    // the provisional identifier stops at once
  c.sessions.touch_interval = 0s;   // every call stamps the session
  c.throttle.first_delay = 0s;
  c.max_reminders_per_day = 0;      // no reminder by SMS
  c.codes.max_new_codes = 1000;
  c.activation_validity = std::chrono::days{36'500};
  CHECK(problem(c) == "");
}

TEST_CASE("account_config: a setting no flow can work with is refused, naming it") {
  const auto refused = [](const std::function<void(calp::account_config&)>& change, const std::string& named) {
    auto c = good();
    change(c);
    const std::string message = problem(c);
    CHECK_MESSAGE(message.find(named) != std::string::npos, named, " -> ", message);
  };
  refused([](auto& c) { c.terms_version.clear(); }, "terms_version");
  refused([](auto& c) { c.passwords.min_length = 0; }, "passwords: min_length (0)");
  refused([](auto& c) { c.passwords.max_length = 7; }, "max_length (7)");
  refused([](auto& c) { c.codes.sms_validity = 0s; }, "codes.sms_validity must be positive");
  refused([](auto& c) { c.codes.email_validity = -1s; }, "codes.email_validity");
  refused([](auto& c) { c.codes.max_new_codes = 0; }, "codes.max_new_codes must be 1 to 1000 (0)");
  refused([](auto& c) { c.codes.max_new_codes = 0xFFFF'FFFFu; }, "codes.max_new_codes");  // would overflow + 1
  refused([](auto& c) { c.codes.max_failed_attempts = 0; }, "codes.max_failed_attempts");
  refused([](auto& c) { c.throttle.max_delay = 1s; }, "throttle.max_delay must not be below first_delay");
  refused([](auto& c) { c.throttle.window = 0s; }, "throttle.window");
  refused([](auto& c) { c.throttle.max_failures_per_window = 0; }, "throttle.max_failures_per_window");
  refused([](auto& c) { c.sessions.idle = 0s; }, "sessions.idle");
  refused([](auto& c) { c.sessions.absolute = std::chrono::days{36'501}; }, "sessions.absolute must be at most");
  refused([](auto& c) { c.sessions.first_connection = 0s; }, "sessions.first_connection");
  refused([](auto& c) { c.activation_validity = 0s; }, "activation_validity");
  refused([](auto& c) { c.provisional_transition = -1s; }, "provisional_transition must be 0 or more");
  refused([](auto& c) { c.max_codes_per_day = 0; }, "max_codes_per_day");
  refused([](auto& c) { c.franceconnect.issuer = "https://fcp.integ01.dev-franceconnect.fr/api/v1"; },
          "franceconnect.client_id is required");
  auto hashing = good();
  hashing.password_hashing.ops_limit = 0;
  CHECK_THROWS_AS(calp::validate_account_config(hashing), std::invalid_argument);
}

TEST_CASE("account_config: the service refuses to start on a setting no flow can work with") {
  calp::memory_storage store;
  calp::recording_notifier notifier;
  calp::testing::manual_clock clock(calp::timestamp{std::chrono::seconds{1'767'225'600}});
  auto c = good();
  c.codes.max_failed_attempts = 0;
  CHECK_THROWS_AS(calp::account_service(store, notifier, clock, c, calp::code_key::generate()),
                  std::invalid_argument);
  const calp::account_service fine(store, notifier, clock, good(), calp::code_key::generate());
  CHECK(fine.config().terms_version == "cgu-2026");
}
