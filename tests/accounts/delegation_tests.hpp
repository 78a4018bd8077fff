#pragma once
// The délégation (R7) and the household changes, written once and run on every storage:
// include this header after account_tests.hpp in one source file per storage and invoke
// CALP_DELEGATION_TESTS(factory). The world is account_tests.hpp's: the seed's household
// (p1 Audrey DESLOT allocataire, p2 Marc DESLOT conjoint, p3 born 2010-06-01, p4 born
// 2014-05-10) on 2026-01-01, with a manual clock.

#include <chrono>
#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include "accounts/account_tests.hpp"
#include "calp/authorizer.hpp"
#include "calp/delegation.hpp"
#include "calp/roles.hpp"

namespace calp_delegation_test {

using calp::household_outcome;
using calp_account_test::pid;
using calp::testing::conformance::day;

inline const calp::dossier_number dossier = calp::dossier_number::parse("1234567").value();
inline const calp::dossier_number elsewhere = calp::dossier_number::parse("7654321").value();

inline calp::timestamp noon(calp::date d) {
  return calp::timestamp{std::chrono::sys_days{d}} + std::chrono::hours{12};
}

template <class Factory>
struct household_world : calp_account_test::world<Factory> {
  calp::household_service households{*this->store, this->notes, this->clock};

  calp::household current() { return this->store->find_household(dossier).value().value; }

  calp::decision decide(std::string_view person, calp::action a, calp::date at) {
    return calp::decide(current(), calp::request{person, a, at, calp::channel::online, {}});
  }

  std::size_t notices_of(calp::notice_kind kind, std::string_view to) {
    std::size_t n = 0;
    for (const auto& s : this->notes.sms()) n += s.kind == kind && s.to == to ? 1 : 0;
    for (const auto& e : this->notes.emails()) n += e.kind == kind && e.to == to ? 1 : 0;
    return n;
  }
};

inline const std::string p2_mobile = "+33700000002";

}  // namespace calp_delegation_test

TEST_CASE_TEMPLATE_DEFINE("delegation: R7 only the allocataire in a couple grants and revokes; "
                          "each refusal has its own outcome",
                          Factory, calp_delegation_grant_revoke) {
  using namespace calp_delegation_test;
  household_world<Factory> w;
  auto& hs = w.households;
  const auto p1 = pid("p1");
  const auto p2 = pid("p2");

  CHECK(hs.grant_delegation(p2, dossier).outcome == household_outcome::not_allocataire);
  CHECK(hs.grant_delegation(pid("p3"), dossier).outcome == household_outcome::not_allocataire);
  CHECK(hs.grant_delegation(pid("p9"), dossier).outcome == household_outcome::unknown);
  CHECK(hs.grant_delegation(p1, elsewhere).outcome == household_outcome::unknown);
  CHECK(hs.revoke_delegation(p1, dossier).outcome == household_outcome::no_delegation);
  CHECK_FALSE(w.current().delegation());
  CHECK_FALSE(w.decide("p2", calp::action::dossier_read, day(2026, 1, 1)).allowed);

  REQUIRE(hs.grant_delegation(p1, dossier).outcome == household_outcome::done);
  CHECK(w.current().delegation() == calp::delegation{p2, day(2026, 1, 1), std::nullopt});
  CHECK(w.decide("p2", calp::action::dossier_read, day(2026, 1, 1)).allowed);
  CHECK(w.decide("p2", calp::action::benefit_request, day(2026, 1, 1)).allowed);
  CHECK_FALSE(w.decide("p2", calp::action::delegation_manage, day(2026, 1, 1)).allowed);
  CHECK(hs.grant_delegation(p1, dossier).outcome == household_outcome::already_granted);
  CHECK(hs.revoke_delegation(p2, dossier).outcome == household_outcome::not_allocataire);

  w.clock.set(noon(day(2026, 1, 11)));
  REQUIRE(hs.revoke_delegation(p1, dossier).outcome == household_outcome::done);
  // History kept: the revoked délégation stays as data.
  CHECK(w.current().delegation() == calp::delegation{p2, day(2026, 1, 1), day(2026, 1, 11)});
  CHECK(w.decide("p2", calp::action::dossier_read, day(2026, 1, 10)).allowed);
  const auto denied = w.decide("p2", calp::action::dossier_read, day(2026, 1, 11));
  CHECK_FALSE(denied.allowed);
  CHECK(denied.reason == "conjoint_without_delegation");
  CHECK(hs.revoke_delegation(p1, dossier).outcome == household_outcome::no_delegation);

  // A later grant replaces the revoked one.
  w.clock.set(noon(day(2026, 1, 16)));
  REQUIRE(hs.grant_delegation(p1, dossier).outcome == household_outcome::done);
  CHECK(w.current().delegation() == calp::delegation{p2, day(2026, 1, 16), std::nullopt});

  CHECK(w.count_events("delegation.granted", "ok") == 2);
  CHECK(w.count_events("delegation.revoked", "ok") == 1);
  CHECK(w.count_events("delegation.refused", "not_allocataire") == 3);
  CHECK(w.count_events("delegation.refused", "no_delegation") == 2);
  CHECK(w.count_events("delegation.refused", "already_granted") == 1);
  for (const auto& e : w.events()) {
    if (e.kind == "delegation.granted" || e.kind == "delegation.revoked") {
      CHECK(e.actor == "p1");
      CHECK(e.subject == "p2");
      CHECK(e.dossier == "1234567");
    }
  }
}

TEST_CASE_TEMPLATE_DEFINE("delegation: R7 a single allocataire gets no_conjoint, and a "
                          "revocation on its day of grant never applied",
                          Factory, calp_delegation_single) {
  using namespace calp_delegation_test;
  household_world<Factory> w;
  const auto p1 = pid("p1");
  REQUIRE(w.households.grant_delegation(p1, dossier).outcome == household_outcome::done);
  REQUIRE(w.households.revoke_delegation(p1, dossier).outcome == household_outcome::done);
  CHECK_FALSE(w.current().delegation()->active_at(day(2026, 1, 1)));
  REQUIRE(w.households.declare_separation(p1, dossier, day(2026, 1, 1)).outcome ==
          household_outcome::done);
  CHECK(w.households.grant_delegation(p1, dossier).outcome == household_outcome::no_conjoint);
  CHECK(w.households.revoke_delegation(p1, dossier).outcome == household_outcome::no_conjoint);
  CHECK(w.count_events("delegation.refused", "no_conjoint") == 2);
}

TEST_CASE_TEMPLATE_DEFINE("delegation: R7 the Mes autorisations screen is the allocataire's only",
                          Factory, calp_delegation_screen) {
  using namespace calp_delegation_test;
  household_world<Factory> w;
  auto& hs = w.households;
  const auto screen = hs.delegation_screen(pid("p1"), dossier);
  REQUIRE(screen);
  CHECK(screen->applies);
  CHECK_FALSE(screen->granted);
  CHECK(screen->conjoint == pid("p2"));
  CHECK(screen->conjoint_name == "Marc DESLOT");
  CHECK(screen->sentence == "Vous n'autorisez pas Marc DESLOT à gérer votre dossier.");
  CHECK(screen->question ==
        "J'autorise Marc DESLOT à consulter les données du dossier et à réaliser les démarches.");
  CHECK(screen->capabilities[0] == "consulter les droits et paiements");
  CHECK(screen->capabilities[1] == "déclarer des changements");
  CHECK(screen->capabilities[2] == "demander une prestation");
  CHECK(screen->introduction.find("vous êtes seul(e) à pouvoir consulter") != std::string::npos);

  // The conjoint never sees it; nor does another member.
  for (const char* other : {"p2", "p3", "p4"}) {
    const auto s = hs.delegation_screen(pid(other), dossier);
    REQUIRE(s);
    CHECK_FALSE(s->applies);
    CHECK(s->sentence.empty());
  }
  CHECK_FALSE(hs.delegation_screen(pid("p9"), dossier));
  CHECK_FALSE(hs.delegation_screen(pid("p1"), elsewhere));

  w.clock.set(noon(day(2026, 1, 15)));
  REQUIRE(hs.grant_delegation(pid("p1"), dossier).outcome == household_outcome::done);
  const auto granted = hs.delegation_screen(pid("p1"), dossier);
  REQUIRE(granted);
  CHECK(granted->granted);
  CHECK(granted->granted_on == day(2026, 1, 15));
  CHECK(granted->sentence == "Vous autorisez Marc DESLOT à gérer votre dossier depuis le 15/01/2026.");

  // Separated: the screen no longer applies.
  REQUIRE(hs.declare_separation(pid("p2"), dossier, day(2026, 1, 15)).outcome ==
          household_outcome::done);
  CHECK_FALSE(hs.delegation_screen(pid("p1"), dossier)->applies);
}

TEST_CASE_TEMPLATE_DEFINE("delegation: R7 both people are informed at their verified contact "
                          "points, and no account means no notice",
                          Factory, calp_delegation_notices) {
  using namespace calp_delegation_test;
  household_world<Factory> w;
  const auto p1 = pid("p1");
  // No verified contact point yet: the délégation is granted, nobody is told.
  REQUIRE(w.households.grant_delegation(p1, dossier).outcome == household_outcome::done);
  CHECK(w.notes.sms().empty());
  CHECK(w.notes.emails().empty());
  REQUIRE(w.households.revoke_delegation(p1, dossier).outcome == household_outcome::done);

  (void)w.bascule();                                     // p1: mobile 06 12 15 45 45
  (void)w.bascule(calp::first_connection_step::done, 2);  // p2: mobile 07 00 00 00 02
  w.clock.set(noon(day(2026, 2, 3)));
  REQUIRE(w.households.grant_delegation(p1, dossier).outcome == household_outcome::done);
  const auto to_p1 = w.notes.last_sms_to(calp_account_test::mobile_e164);
  const auto to_p2 = w.notes.last_sms_to(p2_mobile);
  REQUIRE(to_p1);
  REQUIRE(to_p2);
  CHECK(to_p1->kind == calp::notice_kind::delegation_granted);
  CHECK(to_p1->text.find("vous autorisez Marc DESLOT") != std::string::npos);
  CHECK(to_p1->text.find("03/02/2026") != std::string::npos);
  CHECK(to_p2->kind == calp::notice_kind::delegation_granted);
  CHECK(to_p2->text.find("Audrey DESLOT vous autorise") != std::string::npos);

  REQUIRE(w.households.revoke_delegation(p1, dossier).outcome == household_outcome::done);
  CHECK(w.notices_of(calp::notice_kind::delegation_revoked, calp_account_test::mobile_e164) == 1);
  CHECK(w.notices_of(calp::notice_kind::delegation_revoked, p2_mobile) == 1);
  CHECK(w.notes.last_sms_to(p2_mobile)->text.find("vous n'êtes plus autorisé(e)") !=
        std::string::npos);

  // A notifier that fails loses the notice, not the change.
  w.notes.fail_next(2);
  CHECK(w.households.grant_delegation(p1, dossier).outcome == household_outcome::done);
  CHECK(w.current().delegation()->active_at(day(2026, 2, 3)));
}

TEST_CASE_TEMPLATE_DEFINE("delegation: R7 R10 a separation removes the conjoint and ends the "
                          "délégation on its date; the conjoint keeps their account",
                          Factory, calp_delegation_separation) {
  using namespace calp_delegation_test;
  household_world<Factory> w;
  auto& hs = w.households;
  REQUIRE(hs.grant_delegation(pid("p1"), dossier).outcome == household_outcome::done);
  CHECK(hs.declare_separation(pid("p3"), dossier, day(2026, 2, 1)).outcome ==
        household_outcome::not_allowed);
  CHECK(hs.declare_separation(pid("p9"), dossier, day(2026, 2, 1)).outcome ==
        household_outcome::unknown);
  CHECK(hs.declare_separation(pid("p2"), elsewhere, day(2026, 2, 1)).outcome ==
        household_outcome::unknown);

  REQUIRE(hs.declare_separation(pid("p2"), dossier, day(2026, 2, 1)).outcome ==
          household_outcome::done);
  const auto h = w.current();
  CHECK(h.conjoint()->left == day(2026, 2, 1));
  CHECK(h.delegation() == calp::delegation{pid("p2"), day(2026, 1, 1), day(2026, 2, 1)});
  CHECK(w.decide("p2", calp::action::dossier_read, day(2026, 1, 31)).allowed);
  CHECK_FALSE(w.decide("p2", calp::action::dossier_read, day(2026, 2, 1)).allowed);
  CHECK(calp::role_at(h, "p2", day(2026, 2, 1)) == calp::household_role::not_member);
  CHECK_FALSE(w.decide("p1", calp::action::delegation_manage, day(2026, 2, 1)).allowed);
  CHECK(w.decide("p1", calp::action::dossier_read, day(2026, 2, 1)).allowed);
  // Nothing deleted: the former conjoint keeps person and account.
  CHECK(w.store->find_person(pid("p2")));
  CHECK(w.store->find_account(pid("p2")));
  CHECK(hs.declare_separation(pid("p1"), dossier, day(2026, 3, 1)).outcome ==
        household_outcome::no_conjoint);
  CHECK(w.count_events("household.separation", "ok") == 1);

  // Declared by the allocataire, with no délégation: the conjoint leaves all the same.
  household_world<Factory> v;
  REQUIRE(v.households.declare_separation(pid("p1"), dossier, day(2026, 1, 20)).outcome ==
          household_outcome::done);
  CHECK(v.current().conjoint()->left == day(2026, 1, 20));
  CHECK_FALSE(v.current().delegation());
}

TEST_CASE_TEMPLATE_DEFINE("delegation: a new conjoint joins with no délégation, only when the "
                          "household has no current conjoint",
                          Factory, calp_delegation_new_conjoint) {
  using namespace calp_delegation_test;
  household_world<Factory> w;
  auto& hs = w.households;
  const calp::member p5{pid("p5"), calp::member_role::other, day(1990, 4, 4), {}, {}};
  CHECK(hs.add_conjoint("guichet-1", dossier, p5).outcome == household_outcome::conjoint_present);
  REQUIRE(hs.grant_delegation(pid("p1"), dossier).outcome == household_outcome::done);
  REQUIRE(hs.declare_separation(pid("p2"), dossier, day(2026, 1, 10)).outcome ==
          household_outcome::done);
  w.clock.set(noon(day(2026, 2, 1)));

  const auto bad_agent = hs.add_conjoint("", dossier, p5);
  CHECK(bad_agent.outcome == household_outcome::invalid);
  REQUIRE(bad_agent.problem);
  CHECK(bad_agent.problem->field == "agent");
  const calp::member p3{pid("p3"), calp::member_role::conjoint, day(2010, 6, 1), {}, {}};
  const auto dup = hs.add_conjoint("guichet-1", dossier, p3);
  CHECK(dup.outcome == household_outcome::invalid);
  REQUIRE(dup.problem);
  CHECK(dup.problem->code == calp::errc::household_duplicate_id);
  CHECK(hs.add_conjoint("guichet-1", elsewhere, p5).outcome == household_outcome::unknown);

  REQUIRE(hs.add_conjoint("guichet-1", dossier, p5).outcome == household_outcome::done);
  const auto h = w.current();
  CHECK(h.conjoint()->id == pid("p5"));
  CHECK_FALSE(h.delegation());
  CHECK(h.find("p2")->role == calp::member_role::other);
  CHECK(h.find("p2")->left == day(2026, 1, 10));
  CHECK_FALSE(w.decide("p5", calp::action::dossier_read, day(2026, 2, 1)).allowed);
  // No person record for p5: the screen names them by id.
  const auto screen = hs.delegation_screen(pid("p1"), dossier);
  REQUIRE(screen);
  CHECK(screen->applies);
  CHECK(screen->sentence == "Vous n'autorisez pas p5 à gérer votre dossier.");
  REQUIRE(hs.grant_delegation(pid("p1"), dossier).outcome == household_outcome::done);
  CHECK(w.decide("p5", calp::action::dossier_read, day(2026, 2, 1)).allowed);

  bool joined = false;
  for (const auto& e : w.events()) {
    if (e.kind == "household.conjoint_joined") {
      joined = true;
      CHECK(e.actor == "agent:guichet-1");
      CHECK(e.subject == "p5");
    }
  }
  CHECK(joined);
}

TEST_CASE_TEMPLATE_DEFINE("delegation: R5 a benefit that starts or ends changes the role on "
                          "that date",
                          Factory, calp_delegation_benefits) {
  using namespace calp_delegation_test;
  household_world<Factory> w;
  auto& hs = w.households;
  const auto p2 = pid("p2");
  const calp::benefit aah{"AAH", day(2026, 3, 1), std::nullopt};
  REQUIRE(hs.record_benefit("guichet-1", dossier, p2, aah).outcome == household_outcome::done);
  auto h = w.current();
  CHECK(calp::role_at(h, "p2", day(2026, 2, 28)) == calp::household_role::conjoint);
  CHECK(calp::role_at(h, "p2", day(2026, 3, 1)) == calp::household_role::conjoint_allocataire);
  CHECK_FALSE(w.decide("p2", calp::action::changes_declare, day(2026, 2, 28)).allowed);
  CHECK(w.decide("p2", calp::action::changes_declare, day(2026, 3, 1)).allowed);

  CHECK(hs.record_benefit("guichet-1", dossier, p2, {"AAH", day(2026, 5, 1), std::nullopt})
            .outcome == household_outcome::benefit_overlaps);
  CHECK(hs.record_benefit("guichet-1", dossier, pid("p9"), aah).outcome ==
        household_outcome::unknown);
  const auto bad = hs.record_benefit("guichet-1", dossier, p2, {"aah", day(2026, 5, 1), {}});
  CHECK(bad.outcome == household_outcome::invalid);
  REQUIRE(bad.problem);
  CHECK(bad.problem->code == calp::errc::household_benefit_code);

  CHECK(hs.end_benefit("guichet-1", dossier, p2, "AAH", day(2026, 2, 1)).outcome ==
        household_outcome::invalid);
  REQUIRE(hs.end_benefit("guichet-1", dossier, p2, "AAH", day(2026, 6, 30)).outcome ==
          household_outcome::done);
  h = w.current();
  CHECK(calp::role_at(h, "p2", day(2026, 6, 30)) == calp::household_role::conjoint_allocataire);
  CHECK(calp::role_at(h, "p2", day(2026, 7, 1)) == calp::household_role::conjoint);
  CHECK(hs.end_benefit("guichet-1", dossier, p2, "AAH", day(2026, 7, 30)).outcome ==
        household_outcome::no_open_benefit);
  CHECK(hs.end_benefit("guichet-1", dossier, pid("p9"), "AAH", day(2026, 7, 30)).outcome ==
        household_outcome::unknown);
  // A later period of the same benefit does not overlap the ended one.
  CHECK(hs.record_benefit("guichet-1", dossier, p2, {"AAH", day(2026, 9, 1), std::nullopt})
            .outcome == household_outcome::done);
  CHECK(w.count_events("household.benefit_started", "ok") == 2);
  CHECK(w.count_events("household.benefit_ended", "ok") == 1);
}

TEST_CASE_TEMPLATE_DEFINE("delegation: R6 a member becomes eligible for an activation code on "
                          "their 15th birthday, with no write",
                          Factory, calp_delegation_turns_15) {
  using namespace calp_delegation_test;
  household_world<Factory> w;
  REQUIRE(w.store->commit(calp::write_batch().put(
      calp_account_test::person("p4", 4, "DESLOT", "Noé", day(2014, 5, 10)), 0)));
  w.clock.set(noon(day(2029, 5, 9)));
  const auto early = w.service.issue_activation_code(pid("p4"), "guichet-1");
  REQUIRE_FALSE(early);
  CHECK(early.error().code == calp::errc::account_state);
  w.clock.set(calp::timestamp{std::chrono::sys_days{day(2029, 5, 10)}});
  CHECK(w.service.issue_activation_code(pid("p4"), "guichet-1"));
}

#define CALP_DELEGATION_TESTS(...)                                          \
  TEST_CASE_TEMPLATE_INVOKE(calp_delegation_grant_revoke, __VA_ARGS__);     \
  TEST_CASE_TEMPLATE_INVOKE(calp_delegation_single, __VA_ARGS__);           \
  TEST_CASE_TEMPLATE_INVOKE(calp_delegation_screen, __VA_ARGS__);           \
  TEST_CASE_TEMPLATE_INVOKE(calp_delegation_notices, __VA_ARGS__);          \
  TEST_CASE_TEMPLATE_INVOKE(calp_delegation_separation, __VA_ARGS__);       \
  TEST_CASE_TEMPLATE_INVOKE(calp_delegation_new_conjoint, __VA_ARGS__);     \
  TEST_CASE_TEMPLATE_INVOKE(calp_delegation_benefits, __VA_ARGS__);         \
  TEST_CASE_TEMPLATE_INVOKE(calp_delegation_turns_15, __VA_ARGS__)
