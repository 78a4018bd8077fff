#pragma once
// The account service's rules (R11–R17, R19) as doctest cases written once and run on
// every storage: include this header in one source file per storage and invoke
// CALP_ACCOUNT_TESTS(factory), the factory having `static std::unique_ptr<storage> make()`.
// Time is a manual clock, so every limit is tested at its boundary.

#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "calp/accounts.hpp"
#include "calp/audit.hpp"
#include "calp/notifiers.hpp"
#include "calp/password_hasher.hpp"
#include "calp/testing/manual_clock.hpp"
#include "calp/testing/storage_conformance.hpp"

namespace calp_account_test {

using namespace std::chrono_literals;
using calp::first_connection_step;
using calp::login_outcome;
using calp::step_outcome;
using calp::testing::conformance::day;
using calp::testing::conformance::instant;
using calp::testing::conformance::pid;
using calp::testing::conformance::test_nir;

inline constexpr std::string_view terms = "CGU-2026-01";
inline constexpr std::string_view legacy_password = "48151623";
inline constexpr std::string_view good_password = "Vk3!nuage-Ocre";
inline constexpr std::string_view other_password = "Hibou9-Lanterne";
inline constexpr std::string_view mobile = "06 12 15 45 45";
inline constexpr std::string_view mobile_e164 = "+33612154545";

inline calp::secret pw(std::string_view s) { return calp::secret(s); }

inline calp::account_config test_config(std::string_view version = terms) {
  calp::account_config c;
  c.terms_version = std::string(version);
  c.password_hashing = calp::password_hash_params::for_tests();
  return c;
}

inline calp::code_key test_key() {
  return calp::code_key::from_hex("1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100")
      .value();
}

inline calp::person_record person(std::string_view id, int nir_order, std::string family,
                                  std::string given, calp::date birth) {
  calp::person_record r{pid(id), test_nir(nir_order), std::nullopt, std::nullopt, std::nullopt};
  r.civil_status = calp::civil_status{};
  r.civil_status->family_name = std::move(family);
  r.civil_status->given_names = std::move(given);
  r.civil_status->birth_date = birth;
  r.civil_status->birth_country = "99100";
  r.civil_status->birth_place = "75111";
  return r;
}

// The household of the seed's screens: Audrey Deslot (allocataire), her conjoint, a
// child of 15 and one of 11.
inline calp::household couple(std::optional<calp::delegation> d = std::nullopt) {
  using calp::member;
  using calp::member_role;
  return calp::household::make(calp::dossier_number::parse("1234567").value(),
                               {member{pid("p1"), member_role::allocataire, day(1985, 3, 2), {}, {}},
                                member{pid("p2"), member_role::conjoint, day(1987, 11, 20), {}, {}},
                                member{pid("p3"), member_role::other, day(2010, 6, 1), {}, {}},
                                member{pid("p4"), member_role::other, day(2014, 5, 10), {}, {}}},
                               std::move(d))
      .value();
}

// The six digits of the last code sent to `to` (SMS or e-mail).
inline std::string last_code(const calp::recording_notifier& n, std::string_view to) {
  std::string text;
  if (auto s = n.last_sms_to(to)) text = s->text;
  else if (auto e = n.last_email_to(to)) text = e->text;
  std::smatch m;
  const std::regex six(R"((^|[^0-9])([0-9]{6})([^0-9]|$))");
  REQUIRE_MESSAGE(std::regex_search(text, m, six), "no code sent to " << to);
  return m[2].str();
}

inline std::string wrong_code_for(const std::string& code) {
  std::string w = code;
  w[0] = w[0] == '9' ? '0' : static_cast<char>(w[0] + 1);
  return w;
}

// R19 "typed events": every event a test left in `store` is of a kind the catalogue
// (`calp::audit_event_kinds`) lists. Run when a world ends, so every test checks it.
inline void check_catalogued(calp::storage& store) {
  if (std::uncaught_exceptions() != 0) return;
  const auto kinds = calp::audit_event_kinds();
  calp::audit_query q;
  q.limit = 100000;
  for (const auto& e : store.audit_events(q)) {
    CHECK_MESSAGE(std::binary_search(kinds.begin(), kinds.end(), e.kind),
                  "audit event kind `" << e.kind << "` is not in calp::audit_event_kinds()");
  }
}

// A storage, a recording notifier, a manual clock at 2026-01-01T00:00:00Z and the
// service over them, with the seed's household and accounts for p1 (allocataire), p2
// (conjoint) and p3 (15 years old) imported.
template <class Factory>
struct world {
  std::unique_ptr<calp::storage> store = Factory::make();
  calp::recording_notifier notes;
  calp::testing::manual_clock clock{instant(0)};
  calp::account_service service{*store, notes, clock, test_config(), test_key()};

  world() {
    calp::write_batch b;
    b.put(couple(), 0);
    REQUIRE(store->commit(b));
    const auto legacy = service.hash_legacy_password(pw(legacy_password));
    REQUIRE(service.import_account(person("p1", 1, "DESLOT", "Audrey Marie", day(1985, 3, 2)), legacy));
    REQUIRE(service.import_account(person("p2", 2, "DESLOT", "Marc", day(1987, 11, 20)), legacy));
    REQUIRE(store->commit(calp::write_batch().put(
        person("p3", 3, "DESLOT", "Léa", day(2010, 6, 1)), 0)));
  }
  ~world() { check_catalogued(*store); }
  world(const world&) = delete;
  world& operator=(const world&) = delete;

  std::string nir_of(int order) const { return std::string(test_nir(order).str()); }

  calp::login_result login(int order, std::string_view password) {
    return service.login(nir_of(order), pw(password));
  }

  // La bascule of p1 up to `until` (excluded); returns the session token.
  calp::secret bascule(first_connection_step until = first_connection_step::done,
                       int order = 1) {
    auto in = login(order, legacy_password);
    REQUIRE(in.outcome == login_outcome::signed_in);
    auto& t = in.token;
    if (until == first_connection_step::accept_terms) return std::move(t);
    REQUIRE(service.accept_terms(t, terms).outcome == step_outcome::done);
    if (until == first_connection_step::create_password) return std::move(t);
    REQUIRE(service.create_password(t, pw(good_password), pw(good_password)).outcome ==
            step_outcome::done);
    if (until == first_connection_step::prove_contact) return std::move(t);
    const std::string phone = order == 1 ? std::string(mobile) : "07 00 00 00 0" + std::to_string(order);
    REQUIRE(service.send_contact_code(t, calp::contact_kind::mobile, phone).outcome ==
            step_outcome::code_sent);
    const auto e164 = calp::parse_mobile(phone).value();
    REQUIRE(service.confirm_contact(t, last_code(notes, e164)).outcome == step_outcome::done);
    if (until == first_connection_step::answer_delegation_offer) return std::move(t);
    if (order == 1) {
      REQUIRE(service.answer_delegation_offer(t, false).outcome == step_outcome::done);
    }
    return std::move(t);
  }

  std::vector<calp::audit_event> events() {
    calp::audit_query q;
    q.limit = 100000;
    return store->audit_events(q);
  }

  std::size_t count_events(std::string_view kind, std::string_view outcome = {}) {
    const auto all = events();
    return static_cast<std::size_t>(std::count_if(all.begin(), all.end(), [&](const auto& e) {
      return e.kind == kind && (outcome.empty() || e.outcome == outcome);
    }));
  }
};

}  // namespace calp_account_test

// doctest's template cases must be declared where TEST_CASE_TEMPLATE_INVOKE can name them.
using namespace calp_account_test;  // NOLINT(google-build-using-namespace): one test TU

// ---------------------------------------------------------------------------------

TEST_CASE_TEMPLATE_DEFINE("accounts: R11 la bascule runs its steps in order and retires the "
                          "dossier password",
                          Factory, calp_accounts_bascule) {
  world<Factory> w;
  auto in = w.login(1, legacy_password);
  REQUIRE(in.outcome == login_outcome::signed_in);
  CHECK(in.next_step == first_connection_step::accept_terms);
  CHECK(in.token.size() == 64);
  const auto& t = in.token;

  // Only the next step is open.
  CHECK(w.service.create_password(t, pw(good_password), pw(good_password)).outcome ==
        step_outcome::out_of_order);
  CHECK(w.service.answer_delegation_offer(t, true).outcome == step_outcome::out_of_order);
  CHECK(w.service.change_password(t, pw(legacy_password), pw(good_password), pw(good_password))
            .outcome == step_outcome::out_of_order);
  CHECK(w.service.accept_terms(t, "CGU-2025-06").outcome == step_outcome::stale_terms);

  auto r = w.service.accept_terms(t, terms);
  CHECK(r.outcome == step_outcome::done);
  CHECK(r.next_step == first_connection_step::create_password);

  r = w.service.create_password(t, pw("court1A"), pw("court1A"));
  CHECK(r.outcome == step_outcome::password_rejected);
  REQUIRE(r.password);
  CHECK_FALSE(r.password->length);
  r = w.service.create_password(t, pw(good_password), pw("Vk3!nuage-ocre"));
  CHECK(r.outcome == step_outcome::password_rejected);
  CHECK_FALSE(r.password->confirmation);
  r = w.service.create_password(t, pw(good_password), pw(good_password));
  CHECK(r.outcome == step_outcome::done);
  CHECK(r.next_step == first_connection_step::prove_contact);

  r = w.service.send_contact_code(t, calp::contact_kind::mobile, mobile);
  CHECK(r.outcome == step_outcome::code_sent);
  CHECK(r.sent_to == "06 12 15 45 45");
  CHECK(r.new_codes_left == 3);
  r = w.service.confirm_contact(t, last_code(w.notes, mobile_e164));
  CHECK(r.outcome == step_outcome::done);
  CHECK(r.next_step == first_connection_step::answer_delegation_offer);

  r = w.service.answer_delegation_offer(t, true);
  CHECK(r.outcome == step_outcome::done);
  CHECK(r.next_step == first_connection_step::done);
  // Recorded and announced as a grant from "Mes autorisations" would be.
  CHECK(w.count_events("delegation.granted", "ok") == 1);
  const auto announced = w.notes.last_sms_to(mobile_e164);
  REQUIRE(announced);
  CHECK(announced->kind == calp::notice_kind::delegation_granted);

  const auto session = w.service.session(t);
  REQUIRE(session);
  CHECK(session->kind == calp::session_kind::full);
  CHECK(session->next_step == first_connection_step::done);
  const auto acc = w.store->find_account(pid("p1"));
  REQUIRE(acc);
  CHECK(acc->value.state == calp::account_state::active);
  CHECK(acc->value.legacy_password_hash.empty());
  CHECK(acc->value.terms_version == std::string(terms));
  CHECK(acc->value.delegation_offer_accepted == true);
  const auto h = w.store->find_household(calp::dossier_number::parse("1234567").value());
  REQUIRE(h);
  REQUIRE(h->value.delegation());
  CHECK(h->value.delegation()->to == pid("p2"));
  CHECK(h->value.delegation()->granted == day(2026, 1, 1));

  // The dossier password no longer opens p1's account; the personal one does, fully.
  CHECK(w.login(1, legacy_password).outcome == login_outcome::refused);
  const auto again = w.login(1, good_password);
  CHECK(again.outcome == login_outcome::signed_in);
  CHECK(again.next_step == first_connection_step::done);
  // The conjoint's own bascule is untouched: the dossier password still opens theirs.
  CHECK(w.login(2, legacy_password).outcome == login_outcome::signed_in);

  for (const auto* kind : {"login.succeeded", "terms.accepted", "password.created",
                           "contact.code_sent", "contact.verified", "delegation_offer.answered",
                           "first_connection.completed"}) {
    CHECK_MESSAGE(w.count_events(kind) >= 1, kind);
  }
}

TEST_CASE_TEMPLATE_DEFINE("accounts: R11 a person who stops half-way resumes at the first step "
                          "not done",
                          Factory, calp_accounts_resume) {
  world<Factory> w;
  auto t = w.bascule(first_connection_step::create_password);
  w.service.logout(t);
  CHECK_FALSE(w.service.session(t));
  auto in = w.login(1, legacy_password);
  REQUIRE(in.outcome == login_outcome::signed_in);
  CHECK(in.next_step == first_connection_step::create_password);
  REQUIRE(w.service.create_password(in.token, pw(good_password), pw(good_password)).outcome ==
          step_outcome::done);

  // Once the personal password exists, it is the one that opens the account.
  CHECK(w.login(1, legacy_password).outcome == login_outcome::refused);
  in = w.login(1, good_password);
  REQUIRE(in.outcome == login_outcome::signed_in);
  CHECK(in.next_step == first_connection_step::prove_contact);
  CHECK(w.service.session(in.token)->kind == calp::session_kind::first_connection);
  CHECK(w.service.next_step(pid("p1")).value() == first_connection_step::prove_contact);
  CHECK(w.service.next_step(pid("p9")).error().code == calp::errc::account_unknown);
}

TEST_CASE_TEMPLATE_DEFINE("accounts: R16 a new CGU version is a required step at the next login",
                          Factory, calp_accounts_new_terms) {
  world<Factory> w;
  (void)w.bascule();
  calp::account_service next_version{*w.store, w.notes, w.clock, test_config("CGU-2026-07"),
                                     test_key()};
  auto in = next_version.login(w.nir_of(1), pw(good_password));
  REQUIRE(in.outcome == login_outcome::signed_in);
  CHECK(in.next_step == first_connection_step::accept_terms);
  CHECK(next_version.session(in.token)->kind == calp::session_kind::first_connection);
  CHECK(next_version.change_password(in.token, pw(good_password), pw(other_password),
                                     pw(other_password))
            .outcome == step_outcome::out_of_order);
  CHECK(next_version.accept_terms(in.token, terms).outcome == step_outcome::stale_terms);
  const auto r = next_version.accept_terms(in.token, "CGU-2026-07");
  CHECK(r.outcome == step_outcome::done);
  CHECK(r.next_step == first_connection_step::done);
  CHECK(next_version.session(in.token)->kind == calp::session_kind::full);
}

TEST_CASE_TEMPLATE_DEFINE("accounts: R13 contact codes expire, count wrong entries and new codes",
                          Factory, calp_accounts_codes) {
  world<Factory> w;
  auto t = w.bascule(first_connection_step::prove_contact);
  CHECK(w.service.resend_contact_code(t).outcome == step_outcome::no_code_pending);
  CHECK(w.service.confirm_contact(t, "123456").outcome == step_outcome::no_code_pending);

  auto r = w.service.send_contact_code(t, calp::contact_kind::mobile, "01 23 45 67 89");
  CHECK(r.outcome == step_outcome::invalid_contact);
  REQUIRE(r.contact_error);
  CHECK(r.contact_error->code == calp::errc::contact_mobile);

  SUBCASE("an SMS code is valid 10 minutes: 9:59 yes, 10:00 no") {
    REQUIRE(w.service.send_contact_code(t, calp::contact_kind::mobile, mobile).outcome ==
            step_outcome::code_sent);
    const auto code = last_code(w.notes, mobile_e164);
    w.clock.advance(10min);
    CHECK(w.service.confirm_contact(t, code).outcome == step_outcome::expired_code);
    w.clock.advance(-1s);
    CHECK(w.service.confirm_contact(t, code).outcome == step_outcome::done);
  }
  SUBCASE("an e-mail code is valid 15 minutes") {
    REQUIRE(w.service.send_contact_code(t, calp::contact_kind::email, " Audrey.Deslot@Example.FR ")
                .outcome == step_outcome::code_sent);
    const auto code = last_code(w.notes, "Audrey.Deslot@example.fr");
    w.clock.advance(14min + 59s);
    CHECK(w.service.confirm_contact(t, code).outcome == step_outcome::done);
    const auto acc = w.store->find_account(pid("p1"));
    REQUIRE(acc->value.contacts.size() == 1);
    CHECK(acc->value.contacts[0].value == "Audrey.Deslot@example.fr");
    CHECK(acc->value.contacts[0].verified_at == instant(0) + 14min + 59s);
  }
  SUBCASE("the 5th wrong entry voids the code; a new code works") {
    REQUIRE(w.service.send_contact_code(t, calp::contact_kind::mobile, mobile).outcome ==
            step_outcome::code_sent);
    const auto code = last_code(w.notes, mobile_e164);
    CHECK(w.service.confirm_contact(t, "12a456").outcome == step_outcome::malformed_code);
    for (unsigned left = 4; left >= 1; --left) {
      r = w.service.confirm_contact(t, wrong_code_for(code));
      CHECK(r.outcome == step_outcome::wrong_code);
      CHECK(r.attempts_left == left);
    }
    CHECK(w.service.confirm_contact(t, wrong_code_for(code)).outcome == step_outcome::void_code);
    CHECK(w.service.confirm_contact(t, code).outcome == step_outcome::void_code);
    r = w.service.resend_contact_code(t);
    CHECK(r.outcome == step_outcome::code_sent);
    CHECK(r.new_codes_left == 2);
    CHECK(w.service.confirm_contact(t, last_code(w.notes, mobile_e164)).outcome ==
          step_outcome::done);
    CHECK(w.count_events("contact.code_failed", "wrong") == 4);
  }
  SUBCASE("3 new codes per contact point, a new code voids the previous, a new point starts over") {
    REQUIRE(w.service.send_contact_code(t, calp::contact_kind::mobile, mobile).outcome ==
            step_outcome::code_sent);
    const auto first = last_code(w.notes, mobile_e164);
    for (unsigned left = 2;; --left) {
      r = w.service.resend_contact_code(t);
      REQUIRE(r.outcome == step_outcome::code_sent);
      CHECK(r.new_codes_left == left);
      if (left == 0) break;
    }
    CHECK(w.service.resend_contact_code(t).outcome == step_outcome::too_many_codes);
    CHECK(w.service.send_contact_code(t, calp::contact_kind::mobile, "+33 6 12 15 45 45").outcome ==
          step_outcome::too_many_codes);
    const auto last = last_code(w.notes, mobile_e164);
    if (last != first) {
      CHECK(w.service.confirm_contact(t, first).outcome == step_outcome::wrong_code);
    }
    // "Modifier vos coordonnées": another point has its own count.
    r = w.service.send_contact_code(t, calp::contact_kind::mobile, "07 11 22 33 44");
    CHECK(r.outcome == step_outcome::code_sent);
    CHECK(r.new_codes_left == 3);
    CHECK(w.service.confirm_contact(t, last).outcome != step_outcome::done);
    CHECK(w.service.confirm_contact(t, last_code(w.notes, "+33711223344")).outcome ==
          step_outcome::done);
    const auto acc = w.store->find_account(pid("p1"));
    REQUIRE(acc->value.contacts.size() == 1);
    CHECK(acc->value.contacts[0].value == "+33711223344");
  }
  SUBCASE("a code is single use") {
    REQUIRE(w.service.send_contact_code(t, calp::contact_kind::mobile, mobile).outcome ==
            step_outcome::code_sent);
    const auto code = last_code(w.notes, mobile_e164);
    REQUIRE(w.service.confirm_contact(t, code).outcome == step_outcome::done);
    CHECK(w.service.confirm_contact(t, code).outcome == step_outcome::out_of_order);
  }
  SUBCASE("at most max_codes_per_day codes a day over every contact point") {
    int sent = 0;
    for (int n = 0; n < 20; ++n) {
      const auto phone = "07 00 00 00 " + std::to_string(10 + n);
      if (w.service.send_contact_code(t, calp::contact_kind::mobile, phone).outcome ==
          step_outcome::code_sent) {
        ++sent;
      }
    }
    CHECK(sent == 10);
    CHECK(w.count_events("contact.code_sent", "limit") == 10);
    w.clock.advance(24h);
    auto in = w.login(1, good_password);
    REQUIRE(in.outcome == login_outcome::signed_in);
    CHECK(w.service.resend_contact_code(in.token).outcome == step_outcome::code_sent);
  }
  SUBCASE("a notifier failure is reported; the code counts") {
    w.notes.fail_next(1);
    r = w.service.send_contact_code(t, calp::contact_kind::mobile, mobile);
    CHECK(r.outcome == step_outcome::code_not_delivered);
    CHECK(r.new_codes_left == 3);
    CHECK(w.count_events("contact.code_sent", "not_delivered") == 1);
    r = w.service.resend_contact_code(t);
    CHECK(r.outcome == step_outcome::code_sent);
    CHECK(r.new_codes_left == 2);
  }
}

TEST_CASE_TEMPLATE_DEFINE("accounts: R14 an e-mail address of the conjoint is refused", Factory,
                          calp_accounts_r14) {
  world<Factory> w;
  auto t2 = w.bascule(first_connection_step::prove_contact, 2);
  REQUIRE(w.service.send_contact_code(t2, calp::contact_kind::email, "famille.deslot@example.fr")
              .outcome == step_outcome::code_sent);
  auto t1 = w.bascule(first_connection_step::prove_contact, 1);
  const auto r = w.service.send_contact_code(t1, calp::contact_kind::email,
                                             "Famille.Deslot@EXAMPLE.fr");
  CHECK(r.outcome == step_outcome::email_not_personal);
  CHECK(r.next_step == first_connection_step::prove_contact);
  CHECK(w.count_events("contact.refused", "email_not_personal") == 1);
  CHECK_FALSE(w.notes.last_email_to("Famille.Deslot@example.fr"));
  CHECK(w.service.send_contact_code(t1, calp::contact_kind::email, "audrey@example.fr").outcome ==
        step_outcome::code_sent);
}

TEST_CASE_TEMPLATE_DEFINE("accounts: R12 the password must not hold the person's name, birth date "
                          "or NIR",
                          Factory, calp_accounts_personal_password) {
  world<Factory> w;
  auto t = w.bascule(first_connection_step::create_password);
  for (const std::string candidate : {"Deslot2024!x", "Audrey-2024x", "Xy02031985z"}) {
    const auto r = w.service.create_password(t, pw(candidate), pw(candidate));
    CHECK_MESSAGE(r.outcome == step_outcome::password_rejected, candidate);
    REQUIRE(r.password);
    CHECK_FALSE(r.password->refusals.empty());
  }
  const std::string with_nir = "Ab" + w.nir_of(1);
  CHECK(w.service.create_password(t, pw(with_nir), pw(with_nir)).outcome ==
        step_outcome::password_rejected);
}

TEST_CASE_TEMPLATE_DEFINE("accounts: R12b login throttling gives one answer to every refusal",
                          Factory, calp_accounts_throttle) {
  world<Factory> w;
  (void)w.bascule();
  const auto refused_alike = [](const calp::login_result& r) {
    return r.outcome == login_outcome::refused && r.token.empty() && !r.person &&
           r.next_step == first_connection_step::done && !r.identifier_error;
  };
  for (int n = 0; n < 5; ++n) CHECK(refused_alike(w.login(1, other_password)));
  // Blocked now: even the right password gets the same refusal...
  CHECK(refused_alike(w.login(1, good_password)));
  // ...for more than a minute after the 5th failure.
  w.clock.advance(61s);
  CHECK(refused_alike(w.login(1, good_password)));
  w.clock.advance(60s);
  CHECK(w.login(1, good_password).outcome == login_outcome::signed_in);

  // Unknown identifiers (valid NIRs nobody has) and a disabled account answer alike.
  CHECK(refused_alike(w.login(77, good_password)));
  CHECK(refused_alike(w.service.login("P12345678", pw(good_password))));
  auto acc = w.store->find_account(pid("p1"));
  auto disabled = acc->value;
  disabled.state = calp::account_state::disabled;
  REQUIRE(w.store->commit(calp::write_batch().put(disabled, acc->version)));
  CHECK(refused_alike(w.login(1, good_password)));

  const auto malformed = w.service.login("1 85 01 75 100", pw(good_password));
  CHECK(malformed.outcome == login_outcome::malformed_identifier);
  CHECK(malformed.identifier_error);

  // An unknown identifier is throttled like a known one.
  for (int n = 0; n < 5; ++n) (void)w.login(78, other_password);
  CHECK(w.count_events("login.failed") >= 10);
  const auto all = w.events();
  const bool throttled_unknown = std::any_of(all.begin(), all.end(), [](const auto& e) {
    return e.kind == "login.failed" && e.subject.empty() &&
           e.detail.find("throttled") == std::string::npos;
  });
  CHECK(throttled_unknown);
  (void)w.login(78, other_password);
  CHECK(w.events().back().detail.find("throttled") != std::string::npos);
}

TEST_CASE_TEMPLATE_DEFINE("accounts: R12b at most 25 failures in 24 hours", Factory,
                          calp_accounts_daily_limit) {
  world<Factory> w;
  (void)w.bascule();
  // Interleaved successes reset the delay, not the day's count.
  int failures = 0;
  for (int round = 0; round < 10; ++round) {
    for (int n = 0; n < 4; ++n) {
      if (w.login(1, other_password).outcome == login_outcome::refused) ++failures;
    }
    (void)w.login(1, good_password);
    w.clock.advance(1min);
  }
  const auto wrong = w.count_events("login.failed");
  const auto all = w.events();
  const auto checked = std::count_if(all.begin(), all.end(), [](const auto& e) {
    return e.kind == "login.failed" && e.detail.find("wrong_password") != std::string::npos;
  });
  CHECK(checked == 25);
  CHECK(failures == 40);
  CHECK(wrong == 44);  // the 40 wrong ones and the 4 right ones of the blocked rounds
  CHECK(w.login(1, good_password).outcome == login_outcome::refused);
  w.clock.set(instant(0) + 24h);
  CHECK(w.login(1, good_password).outcome == login_outcome::signed_in);
}

TEST_CASE_TEMPLATE_DEFINE("accounts: R12 a login rehashes a password made with other parameters",
                          Factory, calp_accounts_rehash) {
  world<Factory> w;
  (void)w.bascule();
  const calp::password_hasher older({2, 16 * 1024});
  auto acc = w.store->find_account(pid("p1"));
  auto next = acc->value;
  next.password_hash = older.hash(pw(good_password));
  REQUIRE(w.store->commit(calp::write_batch().put(next, acc->version)));
  REQUIRE(w.login(1, good_password).outcome == login_outcome::signed_in);
  const calp::password_hasher current(calp::password_hash_params::for_tests());
  const auto stored = w.store->find_account(pid("p1"))->value.password_hash;
  CHECK(stored != next.password_hash);
  CHECK_FALSE(current.needs_rehash(stored));
  CHECK(current.verify(stored, pw(good_password)));
}

TEST_CASE_TEMPLATE_DEFINE("accounts: R11 a host's own legacy password check opens la bascule; "
                          "when it throws, the attempt counts and nothing else is written",
                          Factory, calp_accounts_legacy_verifier) {
  world<Factory> w;
  bool down = false;
  int calls = 0;
  calp::account_config config = test_config();
  config.legacy_verifier = [&](const calp::person_record& who, const calp::secret& typed) {
    ++calls;
    if (down) throw std::runtime_error("the legacy directory is down");
    return who.id.str() == "p4" && typed.view() == "24681357";
  };
  calp::account_service service{*w.store, w.notes, w.clock, config, test_key()};
  REQUIRE(service.import_account(person("p4", 4, "DESLOT", "Jules", day(2000, 1, 1)), ""));
  const auto p4 = [&](std::string_view typed) { return service.login(w.nir_of(4), pw(typed)); };

  CHECK(p4("00000000").outcome == login_outcome::refused);
  CHECK(p4("24681357").outcome == login_outcome::signed_in);
  CHECK(w.login(1, legacy_password).outcome == login_outcome::signed_in);  // imported hash: not asked
  CHECK(calls == 2);

  down = true;
  const auto sessions = w.store->sessions_of(pid("p4")).size();
  const auto events = w.events().size();
  for (int n = 0; n < 5; ++n) CHECK_THROWS_AS((void)p4("24681357"), std::runtime_error);
  CHECK(w.store->sessions_of(pid("p4")).size() == sessions);
  CHECK(w.events().size() == events);
  down = false;
  // The five attempts counted against the identifier (R12b): blocked for first_delay.
  CHECK(p4("24681357").outcome == login_outcome::refused);
  w.clock.advance(config.throttle.first_delay);
  CHECK(p4("24681357").outcome == login_outcome::signed_in);
}

TEST_CASE_TEMPLATE_DEFINE("accounts: sessions expire when idle or old, and a password change "
                          "closes them all",
                          Factory, calp_accounts_sessions) {
  world<Factory> w;
  (void)w.bascule();
  auto a = w.login(1, good_password);
  REQUIRE(a.outcome == login_outcome::signed_in);
  CHECK(w.service.session(a.token)->kind == calp::session_kind::full);
  CHECK_FALSE(w.service.session(calp::secret(std::string(64, '0'))));
  CHECK_FALSE(w.service.session(calp::secret("short")));

  SUBCASE("idle") {
    w.clock.advance(29min);
    REQUIRE(w.service.session(a.token));  // used: the idle time starts over
    w.clock.advance(29min);
    REQUIRE(w.service.session(a.token));
    w.clock.advance(30min);
    CHECK_FALSE(w.service.session(a.token));
  }
  SUBCASE("absolute") {
    for (int n = 0; n < 24; ++n) {
      w.clock.advance(29min);
      REQUIRE(w.service.session(a.token));  // up to 11 h 36 min, used every 29 min
    }
    w.clock.advance(29min);
    CHECK_FALSE(w.service.session(a.token));  // 12 h 05 min: past the absolute limit
  }
  SUBCASE("logout") {
    w.service.logout(a.token);
    CHECK_FALSE(w.service.session(a.token));
    w.service.logout(a.token);
  }
  SUBCASE("password change") {
    auto b = w.login(1, good_password);
    auto r = w.service.change_password(a.token, pw(other_password), pw(other_password),
                                       pw(other_password));
    CHECK(r.outcome == step_outcome::wrong_password);
    r = w.service.change_password(a.token, pw(good_password), pw("faible"), pw("faible"));
    CHECK(r.outcome == step_outcome::password_rejected);
    r = w.service.change_password(a.token, pw(good_password), pw(other_password),
                                  pw(other_password));
    REQUIRE(r.outcome == step_outcome::done);
    CHECK_FALSE(w.service.session(a.token));
    CHECK_FALSE(w.service.session(b.token));
    CHECK(w.service.session(r.token));
    CHECK(w.login(1, good_password).outcome == login_outcome::refused);
    CHECK(w.login(1, other_password).outcome == login_outcome::signed_in);
    const auto notice = w.notes.last_sms_to(mobile_e164);
    REQUIRE(notice);
    CHECK(notice->kind == calp::notice_kind::password_changed);
  }
}

TEST_CASE_TEMPLATE_DEFINE("accounts: R11 the délégation offer concerns only the allocataire in a "
                          "couple",
                          Factory, calp_accounts_delegation_offer) {
  world<Factory> w;
  SUBCASE("declined: recorded, no délégation") {
    auto t = w.bascule(first_connection_step::answer_delegation_offer);
    CHECK(w.service.answer_delegation_offer(t, false).outcome == step_outcome::done);
    CHECK(w.store->find_account(pid("p1"))->value.delegation_offer_accepted == false);
    CHECK_FALSE(w.store->find_household(calp::dossier_number::parse("1234567").value())
                    ->value.delegation());
    CHECK(w.count_events("delegation_offer.answered", "declined") == 1);
  }
  SUBCASE("the conjoint never gets the offer") {
    auto t = w.bascule(first_connection_step::answer_delegation_offer, 2);
    CHECK(w.service.session(t)->kind == calp::session_kind::full);
    CHECK(w.service.answer_delegation_offer(t, true).outcome == step_outcome::not_applicable);
  }
  SUBCASE("a délégation already in force is not offered again") {
    auto h = w.store->find_household(calp::dossier_number::parse("1234567").value());
    const auto granted = couple(calp::delegation{pid("p2"), day(2025, 6, 1), std::nullopt});
    REQUIRE(w.store->commit(calp::write_batch().put(granted, h->version)));
    auto t = w.bascule(first_connection_step::answer_delegation_offer);
    CHECK(w.service.session(t)->kind == calp::session_kind::full);
    CHECK(w.service.answer_delegation_offer(t, false).outcome == step_outcome::out_of_order);
  }
  SUBCASE("an allocataire whose conjoint left gets no offer") {
    auto h = w.store->find_household(calp::dossier_number::parse("1234567").value());
    auto members = std::vector<calp::member>(h->value.members().begin(), h->value.members().end());
    members[1].left = day(2025, 12, 1);
    auto separated = calp::household::make(h->value.dossier(), members, std::nullopt).value();
    REQUIRE(w.store->commit(calp::write_batch().put(separated, h->version)));
    auto t = w.bascule(first_connection_step::answer_delegation_offer);
    CHECK(w.service.session(t)->kind == calp::session_kind::full);
  }
}

TEST_CASE_TEMPLATE_DEFINE("accounts: R11 activation codes open the account of a member aged 15+ once",
                          Factory, calp_accounts_activation) {
  world<Factory> w;
  CHECK(w.service.issue_activation_code(pid("p4"), "guichet-7").error().code ==
        calp::errc::account_unknown);
  REQUIRE(w.store->commit(calp::write_batch().put(
      person("p4", 4, "DESLOT", "Tom", day(2014, 5, 10)), 0)));
  CHECK(w.service.issue_activation_code(pid("p4"), "guichet-7").error().code ==
        calp::errc::account_state);
  auto code = w.service.issue_activation_code(pid("p3"), "guichet-7");
  REQUIRE(code);
  CHECK(code->code.size() == 14);
  CHECK(code->expires_at == instant(0) + 30 * 24h);
  CHECK(w.count_events("activation.issued") == 1);
  CHECK(w.events().back().actor == "agent:guichet-7");

  SUBCASE("single use, typed in lower case with spaces") {
    std::string typed(code->code.view());
    for (auto& c : typed) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : (c == '-' ? ' ' : c);
    CHECK(w.service.activate(w.nir_of(3), "AAAA-AAAA-AAAA").outcome == login_outcome::refused);
    auto in = w.service.activate(w.nir_of(3), typed);
    REQUIRE(in.outcome == login_outcome::signed_in);
    CHECK(in.next_step == first_connection_step::accept_terms);
    CHECK(w.service.activate(w.nir_of(3), code->code.view()).outcome == login_outcome::refused);
    // A first connection without the délégation offer: p3 is not the allocataire.
    REQUIRE(w.service.accept_terms(in.token, terms).outcome == step_outcome::done);
    REQUIRE(w.service.create_password(in.token, pw(good_password), pw(good_password)).outcome ==
            step_outcome::done);
    REQUIRE(w.service.send_contact_code(in.token, calp::contact_kind::email, "lea@example.fr")
                .outcome == step_outcome::code_sent);
    const auto r = w.service.confirm_contact(in.token, last_code(w.notes, "lea@example.fr"));
    CHECK(r.outcome == step_outcome::done);
    CHECK(r.next_step == first_connection_step::done);
    CHECK(w.service.issue_activation_code(pid("p3"), "guichet-7").error().code ==
          calp::errc::account_state);
  }
  SUBCASE("expires") {
    w.clock.advance(30 * 24h);
    CHECK(w.service.activate(w.nir_of(3), code->code.view()).outcome == login_outcome::refused);
  }
  SUBCASE("a new code replaces the previous one") {
    auto second = w.service.issue_activation_code(pid("p3"), "guichet-7");
    REQUIRE(second);
    CHECK(w.service.activate(w.nir_of(3), code->code.view()).outcome == login_outcome::refused);
    CHECK(w.service.activate(w.nir_of(3), second->code.view()).outcome == login_outcome::signed_in);
  }
  SUBCASE("throttled like a password") {
    for (int n = 0; n < 5; ++n) (void)w.service.activate(w.nir_of(3), "AAAA-AAAA-AAAA");
    CHECK(w.service.activate(w.nir_of(3), code->code.view()).outcome == login_outcome::refused);
    w.clock.advance(2min);
    CHECK(w.service.activate(w.nir_of(3), code->code.view()).outcome == login_outcome::signed_in);
  }
}

TEST_CASE_TEMPLATE_DEFINE("accounts: R17 a forgotten password is reset through a verified contact "
                          "point",
                          Factory, calp_accounts_recovery) {
  world<Factory> w;
  (void)w.bascule();
  auto before = w.login(1, good_password);
  const auto sent_before = w.notes.sms().size() + w.notes.emails().size();

  CHECK(w.service.request_password_reset("pas un NIR", calp::contact_kind::mobile) ==
        calp::recovery_outcome::malformed_identifier);
  // Unknown identifier and an account with no verified point: the same answer, nothing sent.
  CHECK(w.service.request_password_reset(w.nir_of(77), calp::contact_kind::mobile) ==
        calp::recovery_outcome::accepted);
  CHECK(w.service.request_password_reset(w.nir_of(2), calp::contact_kind::mobile) ==
        calp::recovery_outcome::accepted);
  CHECK(w.notes.sms().size() + w.notes.emails().size() == sent_before);

  // Asked by e-mail, sent to the only verified point, the mobile.
  CHECK(w.service.request_password_reset(w.nir_of(1), calp::contact_kind::email) ==
        calp::recovery_outcome::accepted);
  const auto notice = w.notes.last_sms_to(mobile_e164);
  REQUIRE(notice);
  CHECK(notice->kind == calp::notice_kind::recovery_code);
  const auto code = last_code(w.notes, mobile_e164);

  CHECK(w.service.reset_password(w.nir_of(77), code, pw(other_password), pw(other_password))
            .outcome == step_outcome::wrong_code);
  CHECK(w.service.reset_password(w.nir_of(1), wrong_code_for(code), pw(other_password),
                                 pw(other_password))
            .outcome == step_outcome::wrong_code);
  // A weak or personal password does not use the code up.
  CHECK(w.service.reset_password(w.nir_of(1), code, pw("faible"), pw("faible")).outcome ==
        step_outcome::password_rejected);
  CHECK(w.service.reset_password(w.nir_of(1), code, pw("Deslot-2024x"), pw("Deslot-2024x"))
            .outcome == step_outcome::password_rejected);
  const auto r = w.service.reset_password(w.nir_of(1), code, pw(other_password), pw(other_password));
  CHECK(r.outcome == step_outcome::done);
  CHECK(w.service.reset_password(w.nir_of(1), code, pw(good_password), pw(good_password)).outcome ==
        step_outcome::wrong_code);
  CHECK_FALSE(w.service.session(before.token));
  CHECK(w.login(1, good_password).outcome == login_outcome::refused);
  CHECK(w.login(1, other_password).outcome == login_outcome::signed_in);
  CHECK(w.notes.last_sms_to(mobile_e164)->kind == calp::notice_kind::password_changed);
  CHECK(w.count_events("password.reset", "ok") == 1);

  // 4 codes a day (the first and 3 new ones), then the same answer and nothing sent.
  for (int n = 0; n < 4; ++n) {
    (void)w.service.request_password_reset(w.nir_of(1), calp::contact_kind::mobile);
  }
  const auto count = w.notes.sms().size();
  CHECK(w.service.request_password_reset(w.nir_of(1), calp::contact_kind::mobile) ==
        calp::recovery_outcome::accepted);
  CHECK(w.notes.sms().size() == count);
  CHECK(w.count_events("recovery.requested", "limit") == 1);
}

TEST_CASE_TEMPLATE_DEFINE("accounts: R17 a forgotten provisional identifier goes to the verified "
                          "contact point",
                          Factory, calp_accounts_provisional_reminder) {
  world<Factory> w;
  auto p = person("p8", 8, "MORVAN", "Daniel", day(1962, 9, 9));
  p.nir.reset();
  p.provisional_id = calp::provisional_id::parse("P33392250").value();
  REQUIRE(w.service.import_account(p, w.service.hash_legacy_password(pw(legacy_password))));
  auto acc = w.store->find_account(pid("p8"));
  auto next = acc->value;
  next.contacts.push_back({calp::contact_kind::email, "daniel.morvan@test.fr", instant(0)});
  REQUIRE(w.store->commit(calp::write_batch().put(next, acc->version)));

  calp::provisional_id_reminder_request req{"Morvan", day(1962, 9, 9), calp::contact_kind::email,
                                            "Daniel.Morvan@TEST.fr"};
  CHECK(w.service.remind_provisional_id(req) == calp::recovery_outcome::accepted);
  const auto mail = w.notes.last_email_to("daniel.morvan@test.fr");
  REQUIRE(mail);
  CHECK(mail->kind == calp::notice_kind::provisional_id_reminder);
  CHECK(mail->text.find("P33392250") != std::string::npos);
  CHECK(mail->text.find("Veuillez") != std::string::npos);

  // At most 3 reminders a day (max_reminders_per_day), then the same answer and nothing.
  CHECK(w.service.remind_provisional_id(req) == calp::recovery_outcome::accepted);
  CHECK(w.service.remind_provisional_id(req) == calp::recovery_outcome::accepted);
  const auto sent = w.notes.emails().size();
  CHECK(w.service.remind_provisional_id(req) == calp::recovery_outcome::accepted);
  CHECK(w.notes.emails().size() == sent);
  CHECK(w.count_events("provisional_id.reminded", "limit") == 1);
  req.family_name = "Martin";
  CHECK(w.service.remind_provisional_id(req) == calp::recovery_outcome::accepted);
  req.family_name = "MORVAN";
  req.contact = "autre@test.fr";
  CHECK(w.service.remind_provisional_id(req) == calp::recovery_outcome::accepted);
  req.contact = "pas une adresse";
  CHECK(w.service.remind_provisional_id(req) == calp::recovery_outcome::invalid_contact);
  CHECK(w.notes.emails().size() == sent);

  // The provisional identifier logs in too, until its transition period ends.
  CHECK(w.service.login("P33392250", pw(legacy_password)).outcome == login_outcome::signed_in);
  auto person_rec = w.store->find_person(pid("p8"));
  auto ended = person_rec->value;
  ended.provisional_valid_until = instant(60);
  REQUIRE(w.store->commit(calp::write_batch().put(ended, person_rec->version)));
  w.clock.advance(60s);
  CHECK(w.service.login("P33392250", pw(legacy_password)).outcome == login_outcome::refused);
  req.contact = "daniel.morvan@test.fr";
  CHECK(w.service.remind_provisional_id(req) == calp::recovery_outcome::accepted);
  CHECK(w.notes.emails().size() == sent);
}

TEST_CASE_TEMPLATE_DEFINE("accounts: R19 the audit trail and the messages never hold a NIR, a "
                          "password or a code",
                          Factory, calp_accounts_no_secret_leaks) {
  world<Factory> w;
  auto t = w.bascule(first_connection_step::prove_contact);
  std::vector<std::string> codes;
  REQUIRE(w.service.send_contact_code(t, calp::contact_kind::mobile, mobile).outcome ==
          step_outcome::code_sent);
  codes.push_back(last_code(w.notes, mobile_e164));
  (void)w.service.confirm_contact(t, wrong_code_for(codes.back()));
  REQUIRE(w.service.resend_contact_code(t).outcome == step_outcome::code_sent);
  codes.push_back(last_code(w.notes, mobile_e164));
  REQUIRE(w.service.confirm_contact(t, codes.back()).outcome == step_outcome::done);
  REQUIRE(w.service.answer_delegation_offer(t, true).outcome == step_outcome::done);
  (void)w.login(1, other_password);
  (void)w.login(77, other_password);
  auto in = w.login(1, good_password);
  REQUIRE(w.service.change_password(in.token, pw(good_password), pw(other_password),
                                    pw(other_password))
              .outcome == step_outcome::done);
  (void)w.service.request_password_reset(w.nir_of(1), calp::contact_kind::mobile);
  codes.push_back(last_code(w.notes, mobile_e164));
  REQUIRE(w.service.reset_password(w.nir_of(1), codes.back(), pw(good_password), pw(good_password))
              .outcome == step_outcome::done);
  const auto activation = w.service.issue_activation_code(pid("p3"), "guichet-1");
  REQUIRE(activation);

  const std::vector<std::string> secrets = {
      w.nir_of(1), w.nir_of(77), std::string(test_nir(1).formatted()), std::string(legacy_password),
      std::string(good_password), std::string(other_password), std::string(activation->code.view()),
      std::string(in.token.view())};
  const auto holds = [](std::string_view text, std::string_view s) {
    return text.find(s) != std::string_view::npos;
  };
  for (const auto& e : w.events()) {
    for (const auto* field : {&e.kind, &e.actor, &e.subject, &e.dossier, &e.outcome, &e.detail}) {
      for (const auto& s : secrets) CHECK_MESSAGE(!holds(*field, s), e.kind << ": " << *field);
      for (const auto& c : codes) CHECK_MESSAGE(!holds(*field, c), e.kind << ": " << *field);
    }
  }
  std::vector<std::pair<calp::notice_kind, std::string>> texts;
  for (const auto& s : w.notes.sms()) texts.emplace_back(s.kind, s.text);
  for (const auto& m : w.notes.emails()) texts.emplace_back(m.kind, m.subject + m.text);
  CHECK(texts.size() >= 4);
  for (const auto& [kind, text] : texts) {
    for (const auto& s : secrets) CHECK_MESSAGE(!holds(text, s), text);
    if (kind == calp::notice_kind::password_changed) {
      for (const auto& c : codes) CHECK_MESSAGE(!holds(text, c), text);
    }
  }
}

#define CALP_ACCOUNT_TESTS(...)                                                         \
  TEST_CASE_TEMPLATE_INVOKE(calp_accounts_bascule, __VA_ARGS__);                       \
  TEST_CASE_TEMPLATE_INVOKE(calp_accounts_resume, __VA_ARGS__);                        \
  TEST_CASE_TEMPLATE_INVOKE(calp_accounts_new_terms, __VA_ARGS__);                     \
  TEST_CASE_TEMPLATE_INVOKE(calp_accounts_codes, __VA_ARGS__);                         \
  TEST_CASE_TEMPLATE_INVOKE(calp_accounts_r14, __VA_ARGS__);                           \
  TEST_CASE_TEMPLATE_INVOKE(calp_accounts_personal_password, __VA_ARGS__);             \
  TEST_CASE_TEMPLATE_INVOKE(calp_accounts_throttle, __VA_ARGS__);                      \
  TEST_CASE_TEMPLATE_INVOKE(calp_accounts_daily_limit, __VA_ARGS__);                   \
  TEST_CASE_TEMPLATE_INVOKE(calp_accounts_rehash, __VA_ARGS__);                        \
  TEST_CASE_TEMPLATE_INVOKE(calp_accounts_legacy_verifier, __VA_ARGS__);               \
  TEST_CASE_TEMPLATE_INVOKE(calp_accounts_sessions, __VA_ARGS__);                      \
  TEST_CASE_TEMPLATE_INVOKE(calp_accounts_delegation_offer, __VA_ARGS__);              \
  TEST_CASE_TEMPLATE_INVOKE(calp_accounts_activation, __VA_ARGS__);                    \
  TEST_CASE_TEMPLATE_INVOKE(calp_accounts_recovery, __VA_ARGS__);                      \
  TEST_CASE_TEMPLATE_INVOKE(calp_accounts_provisional_reminder, __VA_ARGS__);          \
  TEST_CASE_TEMPLATE_INVOKE(calp_accounts_no_secret_leaks, __VA_ARGS__)
