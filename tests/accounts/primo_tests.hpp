#pragma once
// The primo-demandeur and FranceConnect rules of the account service (R3, R4, R15, R17,
// R18) as doctest cases written once and run on every storage: include this header in
// one source file per storage (after account_tests.hpp) and invoke
// CALP_PRIMO_TESTS(factory). Time is a manual clock, so the transition of a provisional
// identifier and the expiry of an ID token are tested at their boundaries.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "accounts/account_tests.hpp"
#include "calp/accounts.hpp"
#include "calp/civil_status.hpp"
#include "calp/franceconnect.hpp"

namespace calp_primo_test {

using calp_account_test::good_password;
using calp_account_test::legacy_password;
using calp_account_test::pw;
using calp_account_test::terms;
using calp::testing::conformance::day;
using calp::testing::conformance::instant;
using calp::testing::conformance::pid;
using calp::testing::conformance::test_nir;
using calp::first_connection_step;
using calp::franceconnect_outcome;
using calp::login_outcome;
using calp::registration_outcome;
using calp::step_outcome;
using civil_status_update = calp::account_service::civil_status_update;

inline constexpr std::string_view fc_issuer = "https://fcp.integ01.dev-franceconnect.fr/api/v2";
inline constexpr std::string_view fc_client = "calp-test";
inline constexpr std::string_view sub_leroy =
    "ef94814c0bb166ebb20339d63de73a69c89488a04ed28d8cbab3881a83c9828av1";

// The account tests' configuration with FranceConnect on.
inline calp::account_config fc_config() {
  auto c = calp_account_test::test_config();
  c.franceconnect.issuer = std::string(fc_issuer);
  c.franceconnect.client_id = std::string(fc_client);
  return c;
}

// A 15-character NIR with its key: sex, 2-digit year and month, department, commune,
// order.
inline std::string make_nir(char sex, int yy, int mm, std::string_view dept, std::string_view commune,
                            int order) {
  const std::string body = fmt::format("{}{:02}{:02}{}{}{:03}", sex, yy, mm, dept, commune, order);
  return body + fmt::format("{:02}", calp::nir::compute_key(body).value());
}

// The seed's primo-demandeur born abroad: Daniel MORVAN, born in Oran (Algeria, 99352),
// parents Jean and Jeanne MORVAN, living in Nice; typed in mixed case with stray spaces.
inline calp::primo_declaration morvan() {
  calp::primo_declaration d;
  d.civil.family_name = "  Morvan ";
  d.civil.given_names = "daniel";
  d.civil.gender = calp::gender::male;
  d.civil.birth_date = day(1962, 9, 9);
  d.civil.birth_country = "99352";
  d.civil.birth_city = "Oran";
  d.civil.parents = {calp::parent_names{"morvan", "Jean"}, calp::parent_names{"MORVAN", "jeanne"}};
  d.civil.postal_code = "06000";
  return d;
}

// A primo-demandeur born in Paris (11e) in April 1990, and a NIR consistent with it.
inline calp::primo_declaration durand(std::string nir = {}) {
  calp::primo_declaration d;
  d.civil.family_name = "Durand";
  d.civil.given_names = "Camille";
  d.civil.gender = calp::gender::female;
  d.civil.birth_date = day(1990, 4, 15);
  d.civil.birth_country = "99100";
  d.civil.birth_place = "75111";
  d.civil.postal_code = "75011";
  d.nir = std::move(nir);
  return d;
}
inline std::string durand_nir() { return make_nir('2', 90, 4, "75", "111", 42); }

// A person known to the Caf, outside any household, with a legacy dossier password.
inline calp::person_record leroy(std::string_view id = "p5", int order = 5) {
  auto r = calp_account_test::person(id, order, "LEROY", "Sophie", day(1979, 6, 30));
  r.civil_status->birth_place = "69123";
  return r;
}

// What FranceConnect says about a person: the six pivot fields.
struct fc_identity {
  std::string family_name;
  std::string given_name;
  std::string birthdate;
  std::string gender = "female";
  std::string birthplace;
  std::string birthcountry = "99100";
};
inline fc_identity leroy_identity() { return {"LEROY", "Sophie", "1979-06-30", "female", "69123", "99100"}; }

inline std::int64_t seconds_of(calp::timestamp t) { return t.time_since_epoch().count(); }

// A store, a recording notifier, a manual clock at 2026-01-01T00:00:00Z and the service
// over them with `config` (FranceConnect on by default), with the seed's household and
// the accounts of p1 (allocataire), p2 (conjoint) imported, and p3 (15, no account).
template <class Factory>
struct primo_world {
  std::unique_ptr<calp::storage> store = Factory::make();
  calp::recording_notifier notes;
  calp::testing::manual_clock clock{instant(0)};
  calp::account_service service;

  ~primo_world() { calp_account_test::check_catalogued(*store); }
  primo_world(const primo_world&) = delete;
  primo_world& operator=(const primo_world&) = delete;

  explicit primo_world(calp::account_config config = fc_config())
      : service{*store, notes, clock, std::move(config), calp_account_test::test_key()} {
    REQUIRE(store->commit(calp::write_batch().put(calp_account_test::couple(), 0)));
    const auto legacy = service.hash_legacy_password(pw(legacy_password));
    REQUIRE(service.import_account(
        calp_account_test::person("p1", 1, "DESLOT", "Audrey Marie", day(1985, 3, 2)), legacy));
    REQUIRE(service.import_account(
        calp_account_test::person("p2", 2, "DESLOT", "Marc", day(1987, 11, 20)), legacy));
    REQUIRE(store->commit(calp::write_batch().put(
        calp_account_test::person("p3", 3, "DESLOT", "Léa", day(2010, 6, 1)), 0)));
  }

  std::string nir_of(int order) const { return std::string(test_nir(order).str()); }

  // The claims FranceConnect would return for `who` now, echoing `nonce`.
  nlohmann::json claims(std::string_view nonce, std::string_view sub, const fc_identity& who) {
    const auto now = seconds_of(clock.now());
    return nlohmann::json{{"iss", fc_issuer},
                          {"sub", sub},
                          {"aud", fc_client},
                          {"nonce", nonce},
                          {"acr", "eidas1"},
                          {"amr", {"pwd"}},
                          {"exp", now + 60},
                          {"iat", now},
                          {"auth_time", now},
                          {"given_name", who.given_name},
                          {"family_name", who.family_name},
                          {"birthdate", who.birthdate},
                          {"gender", who.gender},
                          {"birthplace", who.birthplace},
                          {"birthcountry", who.birthcountry}};
  }

  // A whole FranceConnect login of `who` as `sub`.
  calp::franceconnect_result franceconnect(std::string_view sub, const fc_identity& who) {
    const auto start = service.begin_franceconnect();
    return service.complete_franceconnect(start.state.view(),
                                          claims(start.nonce.view(), sub, who).dump());
  }

  // Does every step of the first connection left for `token`, proving `phone`.
  void finish_first_connection(const calp::secret& token, std::string_view phone) {
    auto s = service.session(token);
    REQUIRE(s);
    auto step = s->next_step;
    while (step != first_connection_step::done) {
      calp::step_result r;
      switch (step) {
        case first_connection_step::accept_terms: r = service.accept_terms(token, terms); break;
        case first_connection_step::create_password:
          r = service.create_password(token, pw(good_password), pw(good_password));
          break;
        case first_connection_step::prove_contact: {
          REQUIRE(service.send_contact_code(token, calp::contact_kind::mobile, phone).outcome ==
                  step_outcome::code_sent);
          const auto e164 = calp::parse_mobile(phone).value();
          r = service.confirm_contact(token, calp_account_test::last_code(notes, e164));
          break;
        }
        case first_connection_step::answer_delegation_offer:
          r = service.answer_delegation_offer(token, false);
          break;
        case first_connection_step::done: break;
      }
      REQUIRE(r.outcome == step_outcome::done);
      step = r.next_step;
    }
    REQUIRE(service.session(token)->kind == calp::session_kind::full);
  }

  // Registers `d`, which must succeed, and completes its first connection.
  calp::registration_result register_fully(const calp::primo_declaration& d,
                                           std::string_view phone = "06 11 22 33 44") {
    auto r = service.register_primo_demandeur(d);
    REQUIRE(r.outcome == registration_outcome::registered);
    finish_first_connection(r.token, phone);
    return r;
  }

  std::vector<calp::audit_event> events() {
    calp::audit_query q;
    q.limit = 100000;
    return store->audit_events(q);
  }

  std::size_t count_events(std::string_view kind, std::string_view outcome = {}) {
    std::size_t n = 0;
    for (const auto& e : events()) n += e.kind == kind && (outcome.empty() || e.outcome == outcome) ? 1 : 0;
    return n;
  }

  std::vector<calp::error> registration_errors(const calp::primo_declaration& d) {
    auto r = service.register_primo_demandeur(d);
    CHECK(r.outcome == registration_outcome::invalid);
    CHECK_FALSE(r.person);
    CHECK(r.token.size() == 0);
    return r.errors;
  }
};

inline bool has_error(const std::vector<calp::error>& errors, std::string_view field, calp::errc code) {
  for (const auto& e : errors) {
    if (e.field == field && e.code == code) return true;
  }
  return false;
}

// Sets the state of `person`'s account.
inline void set_account_state(calp::storage& store, std::string_view person, calp::account_state state) {
  auto acc = store.find_account(pid(person));
  REQUIRE(acc);
  auto next = acc->value;
  next.state = state;
  REQUIRE(store.commit(calp::write_batch().put(next, acc->version)));
}

// A provisional_id_source that returns `script` in order, then P90000000, P90000001, …;
// counts its calls.
struct scripted_ids {
  std::shared_ptr<std::vector<std::string>> script;
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);

  explicit scripted_ids(std::vector<std::string> s)
      : script(std::make_shared<std::vector<std::string>>(std::move(s))) {}

  std::function<calp::provisional_id()> source() const {
    return [script = script, calls = calls] {
      const int n = calls->fetch_add(1);
      const auto i = static_cast<std::size_t>(n);
      const std::string text = i < script->size()
                                   ? (*script)[i]
                                   : fmt::format("P9{:07}", static_cast<int>(i - script->size()));
      return calp::provisional_id::parse(text).value();
    };
  }
};

}  // namespace calp_primo_test

// doctest's template cases must be declared where TEST_CASE_TEMPLATE_INVOKE can name them.
using namespace calp_primo_test;  // NOLINT(google-build-using-namespace): one test TU

// ---------------------------------------------------------------------------------
// Registration (R3, R4, R15)

TEST_CASE_TEMPLATE_DEFINE("primo: R15 a valid NIR consistent with the civil status is the "
                          "identifier",
                          Factory, calp_primo_nir_keyed) {
  primo_world<Factory> w;
  const auto r = w.service.register_primo_demandeur(durand(" 2 90 04 75 111 042 " +
                                                           durand_nir().substr(13)));
  REQUIRE(r.outcome == registration_outcome::registered);
  REQUIRE(r.person);
  CHECK_FALSE(r.provisional);
  CHECK(r.nir_mismatches.empty());
  CHECK(r.errors.empty());
  CHECK(r.token.size() == 64);
  CHECK(r.next_step == first_connection_step::accept_terms);

  const auto by_nir = w.store->find_person_by_nir(calp::nir::parse(durand_nir()).value());
  REQUIRE(by_nir);
  CHECK(by_nir->value.id == *r.person);
  CHECK_FALSE(by_nir->value.provisional_id);
  REQUIRE(by_nir->value.civil_status);
  CHECK(by_nir->value.civil_status->family_name == "DURAND");
  CHECK(by_nir->value.civil_status->given_names == "CAMILLE");
  const auto acc = w.store->find_account(*r.person);
  REQUIRE(acc);
  CHECK(acc->value.state == calp::account_state::first_connection);
  CHECK(acc->value.legacy_password_hash.empty());
  const auto s = w.service.session(r.token);
  REQUIRE(s);
  CHECK(s->kind == calp::session_kind::first_connection);
  CHECK(s->person == *r.person);

  CHECK(w.count_events("person.registered", "nir") == 1);
  const auto events = w.events();
  for (const auto& e : events) {
    CHECK_MESSAGE(e.detail.find(durand_nir()) == std::string::npos, e.kind);
  }
}

TEST_CASE_TEMPLATE_DEFINE("primo: R3 a NIR inconsistent with the civil status gives a provisional "
                          "identifier and records why",
                          Factory, calp_primo_nir_mismatch) {
  primo_world<Factory> w;
  struct mismatch_case {
    std::string nir;
    calp::nir_mismatch expected;
  };
  const std::vector<mismatch_case> cases = {
      {make_nir('1', 90, 4, "75", "111", 42), calp::nir_mismatch::sex},
      {make_nir('2', 91, 4, "75", "111", 42), calp::nir_mismatch::birth_year},
      {make_nir('2', 90, 5, "75", "111", 42), calp::nir_mismatch::birth_month},
      {make_nir('2', 90, 4, "99", "352", 42), calp::nir_mismatch::born_abroad},
  };
  std::vector<std::string> issued;
  for (const auto& c : cases) {
    CAPTURE(calp::to_string(c.expected));
    const auto r = w.service.register_primo_demandeur(durand(c.nir));
    REQUIRE(r.outcome == registration_outcome::registered);
    REQUIRE(r.person);
    REQUIRE(r.provisional);
    const std::string id(r.provisional->str());
    CHECK(id.size() == 9);
    CHECK(id[0] == 'P');
    CHECK(id.find_first_not_of("0123456789", 1) == std::string::npos);
    issued.push_back(id);
    REQUIRE(r.nir_mismatches.size() == 1);
    CHECK(r.nir_mismatches[0] == c.expected);
    // The inconsistent NIR is not the identifier: nobody is keyed by it.
    CHECK_FALSE(w.store->find_person_by_nir(calp::nir::parse(c.nir).value()));
    const auto p = w.store->find_person_by_provisional_id(*r.provisional);
    REQUIRE(p);
    CHECK(p->value.id == *r.person);
    CHECK_FALSE(p->value.nir);

    bool audited = false;
    for (const auto& e : w.events()) {
      if (e.kind != "person.registered" || e.subject != r.person->str()) continue;
      audited = true;
      CHECK(e.outcome == "provisional_id");
      CHECK(e.actor == r.person->str());
      const auto detail = nlohmann::json::parse(e.detail);
      CHECK(detail.at("nir_mismatches") == nlohmann::json::array({calp::to_string(c.expected)}));
      CHECK(e.detail.find(c.nir) == std::string::npos);
    }
    CHECK(audited);
  }
  // Four provisional identifiers, all different.
  std::sort(issued.begin(), issued.end());
  CHECK(std::unique(issued.begin(), issued.end()) == issued.end());

  SUBCASE("a NIR born in France for a person born abroad") {
    auto d = morvan();
    d.nir = make_nir('1', 62, 9, "75", "111", 7);
    const auto r = w.service.register_primo_demandeur(d);
    REQUIRE(r.outcome == registration_outcome::registered);
    CHECK(r.provisional);
    REQUIRE(r.nir_mismatches.size() == 1);
    CHECK(r.nir_mismatches[0] == calp::nir_mismatch::born_in_france);
  }
  SUBCASE("several mismatches are all listed") {
    const auto r = w.service.register_primo_demandeur(durand(make_nir('1', 91, 5, "75", "111", 42)));
    REQUIRE(r.outcome == registration_outcome::registered);
    CHECK(r.provisional);
    const std::vector<calp::nir_mismatch> all = {calp::nir_mismatch::sex, calp::nir_mismatch::birth_year,
                                                 calp::nir_mismatch::birth_month};
    CHECK(r.nir_mismatches == all);
  }
}

TEST_CASE_TEMPLATE_DEFINE("primo: R3 R4 a person born abroad without a NIR gets a provisional "
                          "identifier",
                          Factory, calp_primo_born_abroad) {
  primo_world<Factory> w;
  const auto r = w.service.register_primo_demandeur(morvan());
  REQUIRE(r.outcome == registration_outcome::registered);
  REQUIRE(r.person);
  REQUIRE(r.provisional);
  CHECK(r.nir_mismatches.empty());
  CHECK(r.next_step == first_connection_step::accept_terms);
  const auto p = w.store->find_person_by_provisional_id(*r.provisional);
  REQUIRE(p);
  CHECK(p->value.id == *r.person);
  CHECK_FALSE(p->value.nir);
  CHECK_FALSE(p->value.provisional_valid_until);
  REQUIRE(p->value.civil_status);
  const auto& cs = *p->value.civil_status;
  CHECK(cs.family_name == "MORVAN");
  CHECK(cs.given_names == "DANIEL");
  CHECK(cs.gender == calp::gender::male);
  CHECK(cs.birth_country == "99352");
  CHECK(cs.birth_place.empty());
  CHECK(cs.birth_city == "ORAN");
  REQUIRE(cs.parents.size() == 2);
  CHECK(cs.parents[0].family_name == "MORVAN");
  CHECK(cs.parents[0].given_names == "JEAN");
  CHECK(cs.parents[1].family_name == "MORVAN");
  CHECK(cs.parents[1].given_names == "JEANNE");
  CHECK(cs.postal_code == "06000");
  CHECK(w.count_events("person.registered", "provisional_id") == 1);

  // R17: the identifier can be reminded once a contact point is verified.
  w.finish_first_connection(r.token, "06 11 22 33 44");
  const calp::provisional_id_reminder_request req{"morvan", day(1962, 9, 9),
                                                  calp::contact_kind::mobile, "06 11 22 33 44"};
  CHECK(w.service.remind_provisional_id(req) == calp::recovery_outcome::accepted);
  const auto sms = w.notes.last_sms_to("+33611223344");
  REQUIRE(sms);
  CHECK(sms->kind == calp::notice_kind::provisional_id_reminder);
  CHECK(sms->text.find(std::string(r.provisional->str())) != std::string::npos);
}

TEST_CASE_TEMPLATE_DEFINE("primo: R4 R15 an invalid declaration names each faulty field and "
                          "stores nothing",
                          Factory, calp_primo_invalid) {
  primo_world<Factory> w;
  SUBCASE("born abroad without the parents") {
    auto d = morvan();
    d.civil.parents.clear();
    CHECK(has_error(w.registration_errors(d), "parents", calp::errc::civil_status_parents));
    d.civil.parents = {calp::parent_names{"MORVAN", "JEAN"}};
    CHECK(has_error(w.registration_errors(d), "parents", calp::errc::civil_status_parents));
  }
  SUBCASE("born abroad, a parent's given names missing") {
    auto d = morvan();
    d.civil.parents[1].given_names = "  ";
    const auto errors = w.registration_errors(d);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].field == "parents[1].given_names");
    CHECK(errors[0].code == calp::errc::civil_status_parents);
  }
  SUBCASE("born abroad without a city") {
    auto d = morvan();
    d.civil.birth_city.clear();
    CHECK(has_error(w.registration_errors(d), "birth_city", calp::errc::civil_status_birth_place));
  }
  SUBCASE("bad names") {
    auto d = durand();
    d.civil.family_name = "DUR4ND";
    d.civil.given_names = "Jean--Pierre";
    const auto errors = w.registration_errors(d);
    CHECK(has_error(errors, "family_name", calp::errc::civil_status_name));
    CHECK(has_error(errors, "given_names", calp::errc::civil_status_name));
    d = durand();
    d.civil.family_name = "Dur\x01nd";  // a control character: refused by normalize_name
    CHECK(has_error(w.registration_errors(d), "family_name", calp::errc::civil_status_name));
    d = durand();
    d.civil.given_names = "";
    CHECK(has_error(w.registration_errors(d), "given_names", calp::errc::civil_status_name));
  }
  SUBCASE("a birth date in the future") {
    auto d = durand();
    d.civil.birth_date = day(2026, 1, 2);
    CHECK(has_error(w.registration_errors(d), "birth_date", calp::errc::civil_status_date));
    d.civil.birth_date = day(1899, 12, 31);
    CHECK(has_error(w.registration_errors(d), "birth_date", calp::errc::civil_status_date));
  }
  SUBCASE("a bad postal code") {
    auto d = durand();
    d.civil.postal_code = "7501";
    CHECK(has_error(w.registration_errors(d), "postal_code", calp::errc::civil_status_postal_code));
    d.civil.postal_code = "";
    CHECK(has_error(w.registration_errors(d), "postal_code", calp::errc::civil_status_postal_code));
  }
  SUBCASE("a malformed NIR, with the civil status's own errors") {
    auto d = durand("2900475111");
    CHECK(has_error(w.registration_errors(d), "nir", calp::errc::nir_length));
    std::string bad_key = durand_nir();
    bad_key[14] = bad_key[14] == '0' ? '1' : '0';
    d = durand(bad_key);
    d.civil.postal_code = "ABCDE";
    const auto errors = w.registration_errors(d);
    CHECK(has_error(errors, "nir", calp::errc::nir_key));
    CHECK(has_error(errors, "postal_code", calp::errc::civil_status_postal_code));
  }
  SUBCASE("a name that cannot be normalised does not hide the other mistakes") {
    auto d = durand();
    d.civil.family_name = "DUR\x01AND";
    d.civil.postal_code = "750";
    const auto errors = w.registration_errors(d);
    CHECK(has_error(errors, "family_name", calp::errc::civil_status_name));
    CHECK(has_error(errors, "postal_code", calp::errc::civil_status_postal_code));
    CHECK(std::count_if(errors.begin(), errors.end(),
                        [](const calp::error& e) { return e.field == "family_name"; }) == 1);
  }
  SUBCASE("a French birth without its commune") {
    auto d = durand();
    d.civil.birth_place.clear();
    CHECK(has_error(w.registration_errors(d), "birth_place", calp::errc::civil_status_birth_place));
  }
  // Nothing stored, nothing registered.
  CHECK(w.store->find_persons_born_on(day(1990, 4, 15), 100).empty());
  CHECK(w.store->find_persons_born_on(day(1962, 9, 9), 100).empty());
  CHECK(w.count_events("person.registered") == 0);
}

TEST_CASE_TEMPLATE_DEFINE("primo: R15 the same NIR registers once", Factory,
                          calp_primo_already_registered) {
  primo_world<Factory> w;
  const auto first = w.service.register_primo_demandeur(durand(durand_nir()));
  REQUIRE(first.outcome == registration_outcome::registered);
  const auto second = w.service.register_primo_demandeur(durand(durand_nir()));
  CHECK(second.outcome == registration_outcome::already_registered);
  CHECK_FALSE(second.person);
  CHECK_FALSE(second.provisional);
  CHECK(second.token.size() == 0);
  CHECK(w.store->find_persons_born_on(day(1990, 4, 15), 100).size() == 1);
  CHECK(w.count_events("person.registration_refused", "already_registered") == 1);

  // A person whose dossier the Caf imported cannot open a second space with their NIR.
  calp::primo_declaration d = durand(w.nir_of(1));  // male, January 1985, born in Paris
  d.civil.family_name = "Deslot";
  d.civil.given_names = "Audrey Marie";
  d.civil.gender = calp::gender::male;
  d.civil.birth_date = day(1985, 1, 10);
  d.civil.birth_place = "75101";
  CHECK(w.service.register_primo_demandeur(d).outcome == registration_outcome::already_registered);
  CHECK(w.count_events("person.registration_refused", "already_registered") == 2);
}

TEST_CASE_TEMPLATE_DEFINE("primo: R11 R15 the first connection after registration has no "
                          "délégation offer, then the récapitulatif",
                          Factory, calp_primo_first_connection) {
  primo_world<Factory> w;
  auto r = w.service.register_primo_demandeur(morvan());
  REQUIRE(r.outcome == registration_outcome::registered);
  const auto& t = r.token;

  // The récapitulatif is there from the start.
  auto recap = w.service.recap(t);
  REQUIRE(recap);
  CHECK(recap->provisional);
  CHECK(recap->identifier == r.provisional->str());
  CHECK(recap->contacts.empty());

  CHECK(w.service.create_password(t, pw(good_password), pw(good_password)).outcome ==
        step_outcome::out_of_order);
  auto step = w.service.accept_terms(t, terms);
  REQUIRE(step.outcome == step_outcome::done);
  CHECK(step.next_step == first_connection_step::create_password);
  // R12: a password holding the person's name is refused.
  CHECK(w.service.create_password(t, pw("Morvan-1962x"), pw("Morvan-1962x")).outcome ==
        step_outcome::password_rejected);
  step = w.service.create_password(t, pw(good_password), pw(good_password));
  REQUIRE(step.outcome == step_outcome::done);
  CHECK(step.next_step == first_connection_step::prove_contact);
  REQUIRE(w.service.send_contact_code(t, calp::contact_kind::email, "daniel.morvan@test.fr").outcome ==
          step_outcome::code_sent);
  step = w.service.confirm_contact(t, calp_account_test::last_code(w.notes, "daniel.morvan@test.fr"));
  REQUIRE(step.outcome == step_outcome::done);
  CHECK(step.next_step == first_connection_step::done);
  CHECK(w.service.session(t)->kind == calp::session_kind::full);
  CHECK(w.service.answer_delegation_offer(t, true).outcome == step_outcome::not_applicable);
  CHECK(w.store->find_account(*r.person)->value.state == calp::account_state::active);
  CHECK(w.count_events("first_connection.completed") == 1);

  recap = w.service.recap(t);
  REQUIRE(recap);
  CHECK(recap->provisional);
  CHECK(recap->identifier == r.provisional->str());
  CHECK(recap->civil.family_name == "MORVAN");
  CHECK(recap->civil.given_names == "DANIEL");
  CHECK(recap->civil.birth_city == "ORAN");
  CHECK(recap->civil.birth_country == "99352");
  CHECK(recap->civil.birth_date == day(1962, 9, 9));
  CHECK(recap->civil.gender == calp::gender::male);
  REQUIRE(recap->civil.parents.size() == 2);
  CHECK(recap->civil.parents[0].given_names == "JEAN");
  CHECK(recap->civil.parents[1].given_names == "JEANNE");
  CHECK(recap->civil.postal_code == "06000");
  REQUIRE(recap->contacts.size() == 1);
  CHECK(recap->contacts[0].kind == calp::contact_kind::email);
  CHECK(recap->contacts[0].value == "daniel.morvan@test.fr");
  CHECK(recap->contacts[0].verified_at == instant(0));

  // The provisional identifier and the password open the account, fully.
  const auto in = w.service.login(r.provisional->str(), pw(good_password));
  REQUIRE(in.outcome == login_outcome::signed_in);
  CHECK(in.person == r.person);
  CHECK(in.next_step == first_connection_step::done);
  // Lower case and spaces are accepted in the identifier as typed.
  std::string typed(r.provisional->str());
  typed[0] = 'p';
  typed.insert(5, " ");
  CHECK(w.service.login(typed, pw(good_password)).outcome == login_outcome::signed_in);

  w.service.logout(t);
  CHECK_FALSE(w.service.recap(t));
  CHECK_FALSE(w.service.recap(calp::secret(std::string(64, 'a'))));

  SUBCASE("keyed by NIR, the récapitulatif shows it masked") {
    const auto k = w.service.register_primo_demandeur(durand(durand_nir()));
    REQUIRE(k.outcome == registration_outcome::registered);
    const auto rk = w.service.recap(k.token);
    REQUIRE(rk);
    CHECK_FALSE(rk->provisional);
    CHECK(rk->identifier == calp::nir::parse(durand_nir()).value().masked());
    CHECK(rk->identifier.find(durand_nir()) == std::string::npos);
  }
}

TEST_CASE_TEMPLATE_DEFINE("primo: R3 a provisional identifier already taken is drawn again",
                          Factory, calp_primo_provisional_collisions) {
  SUBCASE("the source returns a taken identifier 3 times") {
    scripted_ids ids({"P12345678", "P12345678", "P12345678"});
    auto config = fc_config();
    config.provisional_id_source = ids.source();
    primo_world<Factory> w(config);
    auto holder = calp_account_test::person("p9", 9, "MARTIN", "Paul", day(1970, 2, 3));
    holder.nir.reset();
    holder.provisional_id = calp::provisional_id::parse("P12345678").value();
    REQUIRE(w.service.import_account(holder));

    const auto r = w.service.register_primo_demandeur(morvan());
    REQUIRE(r.outcome == registration_outcome::registered);
    REQUIRE(r.provisional);
    CHECK(r.provisional->str() == "P90000000");
    CHECK(ids.calls->load() == 4);
    CHECK(w.store->find_person_by_provisional_id(*r.provisional)->value.id == *r.person);
    CHECK(w.store->find_person_by_provisional_id(holder.provisional_id.value())->value.id == pid("p9"));
    CHECK(w.count_events("person.registered") == 1);
    CHECK(w.service.session(r.token));
  }
  SUBCASE("two registrations forced onto the same first identifier") {
    scripted_ids ids({"P12345678", "P12345678"});
    auto config = fc_config();
    config.provisional_id_source = ids.source();
    primo_world<Factory> w(config);
    const auto a = w.service.register_primo_demandeur(morvan());
    const auto b = w.service.register_primo_demandeur(morvan());
    REQUIRE(a.outcome == registration_outcome::registered);
    REQUIRE(b.outcome == registration_outcome::registered);
    REQUIRE(a.provisional);
    REQUIRE(b.provisional);
    CHECK(a.provisional->str() == "P12345678");
    CHECK(b.provisional->str() == "P90000000");
    CHECK(*a.person != *b.person);
    CHECK(w.store->find_person_by_provisional_id(*a.provisional)->value.id == *a.person);
    CHECK(w.store->find_person_by_provisional_id(*b.provisional)->value.id == *b.person);
    CHECK(w.store->find_persons_born_on(day(1962, 9, 9), 100).size() == 2);
    CHECK(w.count_events("person.registered") == 2);
  }
}

TEST_CASE_TEMPLATE_DEFINE("primo: R15 a benefit request needs a full session and the policy's "
                          "leave",
                          Factory, calp_primo_benefit_request) {
  primo_world<Factory> w;
  auto no = w.service.may_request_benefit(calp::secret(std::string(64, 'b')));
  CHECK_FALSE(no.allowed);
  CHECK(no.reason == "not_signed_in");

  auto r = w.service.register_primo_demandeur(morvan());
  REQUIRE(r.outcome == registration_outcome::registered);
  no = w.service.may_request_benefit(r.token);
  CHECK_FALSE(no.allowed);
  CHECK(no.reason == "first_connection_incomplete");
  CHECK_FALSE(no.message.empty());

  w.finish_first_connection(r.token, "06 11 22 33 44");
  const auto yes = w.service.may_request_benefit(r.token);
  CHECK(yes.allowed);

  // The conjoint of the seed's household, without délégation nor benefit of their own.
  auto in = w.service.login(w.nir_of(2), pw(legacy_password));
  REQUIRE(in.outcome == login_outcome::signed_in);
  CHECK(w.service.may_request_benefit(in.token).reason == "first_connection_incomplete");
  w.finish_first_connection(in.token, "07 00 00 00 02");
  no = w.service.may_request_benefit(in.token);
  CHECK_FALSE(no.allowed);
  CHECK(no.reason == "conjoint_without_delegation");
  CHECK(no.message ==
        "Le conjoint n'a pas de délégation de gestion et n'est pas allocataire de l'AJPA, du "
        "BAFA, de l'AAH ou du PALA.");

  SUBCASE("allowed once the allocataire grants the délégation") {
    auto alloc = w.service.login(w.nir_of(1), pw(legacy_password));
    REQUIRE(alloc.outcome == login_outcome::signed_in);
    REQUIRE(w.service.accept_terms(alloc.token, terms).outcome == step_outcome::done);
    REQUIRE(w.service.create_password(alloc.token, pw(good_password), pw(good_password)).outcome ==
            step_outcome::done);
    REQUIRE(w.service.send_contact_code(alloc.token, calp::contact_kind::mobile, "06 12 15 45 45")
                .outcome == step_outcome::code_sent);
    REQUIRE(w.service.confirm_contact(alloc.token, calp_account_test::last_code(w.notes, "+33612154545"))
                .outcome == step_outcome::done);
    REQUIRE(w.service.answer_delegation_offer(alloc.token, true).outcome == step_outcome::done);
    CHECK(w.service.may_request_benefit(alloc.token).allowed);
    const auto now_allowed = w.service.may_request_benefit(in.token);
    CHECK(now_allowed.allowed);
  }
  SUBCASE("allowed when the conjoint holds one of the four benefits") {
    auto h = w.store->find_household(calp::dossier_number::parse("1234567").value());
    REQUIRE(h);
    auto members = std::vector<calp::member>(h->value.members().begin(), h->value.members().end());
    members[1].benefits = {calp::benefit{"AAH", day(2025, 1, 1), std::nullopt}};
    auto with_aah = calp::household::make(h->value.dossier(), members, std::nullopt).value();
    REQUIRE(w.store->commit(calp::write_batch().put(with_aah, h->version)));
    CHECK(w.service.may_request_benefit(in.token).allowed);
  }
  SUBCASE("allowed once the conjoint has left the household") {
    auto h = w.store->find_household(calp::dossier_number::parse("1234567").value());
    REQUIRE(h);
    auto members = std::vector<calp::member>(h->value.members().begin(), h->value.members().end());
    members[1].left = day(2025, 12, 1);
    auto separated = calp::household::make(h->value.dossier(), members, std::nullopt).value();
    REQUIRE(w.store->commit(calp::write_batch().put(separated, h->version)));
    CHECK(w.service.may_request_benefit(in.token).allowed);
  }
}

TEST_CASE_TEMPLATE_DEFINE("primo: R3 a certified NIR re-keys the person; the provisional "
                          "identifier opens the account until the transition ends",
                          Factory, calp_primo_certify_nir) {
  primo_world<Factory> w;
  const auto r = w.register_fully(morvan());
  const auto person = *r.person;
  const auto provisional = std::string(r.provisional->str());
  const auto before = w.store->find_account(person);
  REQUIRE(before);
  const auto certified = calp::nir::parse(make_nir('1', 62, 9, "99", "352", 17)).value();

  REQUIRE(w.service.certify_nir(person, certified, "guichet-3"));
  const auto p = w.store->find_person_by_nir(certified);
  REQUIRE(p);
  CHECK(p->value.id == person);
  CHECK(p->value.provisional_id == r.provisional);
  CHECK(p->value.provisional_valid_until == instant(0) + w.service.config().provisional_transition);
  CHECK(p->value.civil_status->family_name == "MORVAN");
  const auto after = w.store->find_account(person);
  REQUIRE(after);
  CHECK(after->value.password_hash == before->value.password_hash);
  CHECK(after->value.contacts == before->value.contacts);
  CHECK(after->value.state == calp::account_state::active);
  CHECK(w.count_events("person.registered") == 1);
  CHECK(w.count_events("person.nir_certified", "ok") == 1);
  for (const auto& e : w.events()) {
    if (e.kind != "person.nir_certified") continue;
    CHECK(e.actor == "agent:guichet-3");
    CHECK(e.subject == person.str());
    CHECK(e.detail.find(certified.str()) == std::string::npos);
  }

  auto in = w.service.login(certified.str(), pw(good_password));
  REQUIRE(in.outcome == login_outcome::signed_in);
  CHECK(in.person == person);
  CHECK(in.next_step == first_connection_step::done);
  const auto recap = w.service.recap(in.token);
  REQUIRE(recap);
  CHECK_FALSE(recap->provisional);
  CHECK(recap->identifier == certified.masked());

  // The provisional identifier: up to the last second of the transition, not at its end.
  CHECK(w.service.login(provisional, pw(good_password)).outcome == login_outcome::signed_in);
  w.clock.advance(w.service.config().provisional_transition - std::chrono::seconds{1});
  CHECK(w.service.login(provisional, pw(good_password)).outcome == login_outcome::signed_in);
  w.clock.advance(std::chrono::seconds{1});
  CHECK(w.service.login(provisional, pw(good_password)).outcome == login_outcome::refused);
  CHECK(w.service.login(certified.str(), pw(good_password)).outcome == login_outcome::signed_in);

  // Errors.
  CHECK(w.service.certify_nir(pid("p99"), certified, "guichet-3").error().code ==
        calp::errc::account_unknown);
  CHECK(w.service.certify_nir(person, certified, "guichet-3").error().code ==
        calp::errc::account_state);  // a NIR already
  CHECK(w.service.certify_nir(pid("p1"), test_nir(41), "guichet-3").error().code ==
        calp::errc::account_state);  // keyed by NIR, no provisional identifier
  const auto other = w.service.register_primo_demandeur(morvan());
  REQUIRE(other.outcome == registration_outcome::registered);
  CHECK(w.service.certify_nir(*other.person, certified, "guichet-3").error().code ==
        calp::errc::storage_duplicate);
  CHECK(w.service.certify_nir(*other.person, test_nir(1), "guichet-3").error().code ==
        calp::errc::storage_duplicate);
  CHECK_FALSE(w.store->find_person(*other.person)->value.nir);
  CHECK(w.count_events("person.nir_certified") == 1);
}

TEST_CASE_TEMPLATE_DEFINE("primo: R18 the civil status is the person's to correct until a "
                          "FranceConnect login locks the pivot",
                          Factory, calp_primo_update_civil_status) {
  primo_world<Factory> w;
  const auto r = w.register_fully(durand(durand_nir()));
  const auto person = *r.person;

  auto civ = durand().civil;
  civ.postal_code = "69003";
  CHECK(w.service.update_civil_status(r.token, civ) == civil_status_update::done);
  CHECK(w.store->find_person(person)->value.civil_status->postal_code == "69003");
  CHECK(w.count_events("civil_status.updated", "ok") == 1);

  std::vector<calp::error> errors;
  civ.postal_code = "690";
  CHECK(w.service.update_civil_status(r.token, civ, &errors) == civil_status_update::invalid);
  CHECK(has_error(errors, "postal_code", calp::errc::civil_status_postal_code));
  CHECK(w.store->find_person(person)->value.civil_status->postal_code == "69003");
  CHECK(w.service.update_civil_status(calp::secret(std::string(64, 'c')), civ) ==
        civil_status_update::not_signed_in);
  const auto fresh = w.service.register_primo_demandeur(morvan());
  CHECK(w.service.update_civil_status(fresh.token, morvan().civil) ==
        civil_status_update::not_signed_in);  // a first-connection session

  // Before FranceConnect the pivot fields may be corrected too.
  civ.postal_code = "69003";
  civ.given_names = "Camille Anne";
  CHECK(w.service.update_civil_status(r.token, civ) == civil_status_update::done);
  CHECK(w.store->find_person(person)->value.civil_status->given_names == "CAMILLE ANNE");

  const auto fc = w.franceconnect("sub-durand", {"DURAND", "Camille Anne", "1990-04-15", "female",
                                                 "75111", "99100"});
  REQUIRE(fc.outcome == franceconnect_outcome::signed_in);
  CHECK(fc.person == person);
  CHECK(fc.next_step == first_connection_step::done);
  CHECK(w.store->find_account(person)->value.civil_status_locked);

  auto changed = civ;
  changed.given_names = "Camille";
  CHECK(w.service.update_civil_status(fc.token, changed) == civil_status_update::locked);
  changed = civ;
  changed.birth_date = day(1990, 4, 16);
  CHECK(w.service.update_civil_status(fc.token, changed) == civil_status_update::locked);
  CHECK(w.count_events("civil_status.updated", "locked") == 2);
  CHECK(w.store->find_person(person)->value.civil_status->given_names == "CAMILLE ANNE");
  // Outside the pivot (the residence), and with the pivot typed in another case: fine.
  changed = civ;
  changed.postal_code = "13001";
  changed.family_name = "durand";
  CHECK(w.service.update_civil_status(fc.token, changed) == civil_status_update::done);
  CHECK(w.store->find_person(person)->value.civil_status->postal_code == "13001");

  SUBCASE("an imported person, whose names the host wrote in its own case") {
    REQUIRE(w.service.import_account(leroy()));
    auto in = w.franceconnect(sub_leroy, leroy_identity());
    REQUIRE(in.outcome == franceconnect_outcome::signed_in);
    w.finish_first_connection(in.token, "06 98 76 54 32");
    auto stored = *w.store->find_person(pid("p5"))->value.civil_status;
    REQUIRE(stored.given_names == "Sophie");
    stored.postal_code = "69001";
    CHECK(w.service.update_civil_status(in.token, stored) == civil_status_update::done);
    const auto now_stored = *w.store->find_person(pid("p5"))->value.civil_status;
    CHECK(now_stored.postal_code == "69001");
    CHECK(now_stored.given_names == "SOPHIE");
    stored.given_names = "Sophia";
    CHECK(w.service.update_civil_status(in.token, stored) == civil_status_update::locked);
  }
}

// ---------------------------------------------------------------------------------
// FranceConnect (R18)

TEST_CASE_TEMPLATE_DEFINE("franceconnect: R18 a pivot match links the imported account, whose "
                          "first connection skips the password",
                          Factory, calp_fc_link_imported) {
  primo_world<Factory> w;
  REQUIRE(w.service.import_account(leroy(), w.service.hash_legacy_password(pw(legacy_password))));

  const auto start = w.service.begin_franceconnect();
  CHECK(start.state.size() == 64);
  CHECK(start.nonce.size() == 64);
  CHECK(start.acr == calp::eidas_level::eidas1);
  auto r = w.service.complete_franceconnect(start.state.view(),
                                            w.claims(start.nonce.view(), sub_leroy, leroy_identity()).dump());
  REQUIRE(r.outcome == franceconnect_outcome::signed_in);
  CHECK(r.linked);
  CHECK(r.person == pid("p5"));
  CHECK(r.next_step == first_connection_step::accept_terms);
  CHECK(r.token.size() == 64);
  CHECK_FALSE(r.problem);
  auto s = w.service.session(r.token);
  REQUIRE(s);
  CHECK(s->kind == calp::session_kind::first_connection);
  CHECK(s->method == "franceconnect");

  // The legacy dossier password no longer opens the account.
  CHECK(w.service.login(w.nir_of(5), pw(legacy_password)).outcome == login_outcome::refused);

  auto step = w.service.accept_terms(r.token, terms);
  REQUIRE(step.outcome == step_outcome::done);
  CHECK(step.next_step == first_connection_step::prove_contact);  // no password step
  REQUIRE(w.service.send_contact_code(r.token, calp::contact_kind::mobile, "06 98 76 54 32").outcome ==
          step_outcome::code_sent);
  step = w.service.confirm_contact(r.token, calp_account_test::last_code(w.notes, "+33698765432"));
  REQUIRE(step.outcome == step_outcome::done);
  CHECK(step.next_step == first_connection_step::done);
  CHECK(w.service.session(r.token)->kind == calp::session_kind::full);

  auto acc = w.store->find_account(pid("p5"));
  REQUIRE(acc);
  CHECK(acc->value.franceconnect_sub == std::string(sub_leroy));
  CHECK(acc->value.legacy_password_hash.empty());
  CHECK(acc->value.password_hash.empty());
  CHECK(acc->value.civil_status_locked);
  CHECK(acc->value.state == calp::account_state::active);
  CHECK(w.service.login(w.nir_of(5), pw(legacy_password)).outcome == login_outcome::refused);
  CHECK(w.count_events("franceconnect.linked", "ok") == 1);
  CHECK(w.count_events("franceconnect.login", "ok") == 1);
  CHECK(w.notes.sms().size() == 1);  // the contact code only: no contact was verified yet

  // A later login: by sub, full at once, and the person is told.
  w.clock.advance(std::chrono::hours{2});
  r = w.franceconnect(sub_leroy, leroy_identity());
  REQUIRE(r.outcome == franceconnect_outcome::signed_in);
  CHECK_FALSE(r.linked);
  CHECK(r.person == pid("p5"));
  CHECK(r.next_step == first_connection_step::done);
  CHECK(w.service.session(r.token)->kind == calp::session_kind::full);
  const auto notice = w.notes.last_sms_to("+33698765432");
  REQUIRE(notice);
  CHECK(notice->kind == calp::notice_kind::franceconnect_login);
  CHECK(w.count_events("franceconnect.linked") == 1);
  CHECK(w.count_events("franceconnect.login", "ok") == 2);

  // The known sub is enough: FranceConnect's pivot may have changed since.
  auto changed = leroy_identity();
  changed.family_name = "LEROY-MARCHAND";
  changed.birthdate = "1979-07-01";
  r = w.franceconnect(sub_leroy, changed);
  REQUIRE(r.outcome == franceconnect_outcome::signed_in);
  CHECK(r.person == pid("p5"));
  CHECK_FALSE(r.linked);
  CHECK(w.count_events("franceconnect.login", "ok") == 3);
  std::size_t alerts = 0;
  for (const auto& m : w.notes.sms()) alerts += m.kind == calp::notice_kind::franceconnect_login ? 1 : 0;
  CHECK(alerts == 2);
}

TEST_CASE_TEMPLATE_DEFINE("franceconnect: R18 a person without an account matched by pivot gets "
                          "one, linked",
                          Factory, calp_fc_creates_account) {
  primo_world<Factory> w;
  REQUIRE_FALSE(w.store->find_account(pid("p3")));
  const auto r = w.franceconnect("sub-lea", {"DESLOT", "léa", "2010-06-01", "female", "75111", "99100"});
  REQUIRE(r.outcome == franceconnect_outcome::signed_in);
  CHECK(r.linked);
  CHECK(r.person == pid("p3"));
  CHECK(r.next_step == first_connection_step::accept_terms);
  const auto acc = w.store->find_account(pid("p3"));
  REQUIRE(acc);
  CHECK(acc->value.franceconnect_sub == std::string("sub-lea"));
  CHECK(acc->value.state == calp::account_state::first_connection);
  const auto by_sub = w.store->find_account_by_franceconnect_sub("sub-lea");
  REQUIRE(by_sub);
  CHECK(by_sub->value.person == pid("p3"));
  CHECK(w.count_events("franceconnect.linked", "ok") == 1);
}

TEST_CASE_TEMPLATE_DEFINE("franceconnect: R18 no match, several matches or an e-mail alone log "
                          "nobody in",
                          Factory, calp_fc_no_link) {
  primo_world<Factory> w;
  SUBCASE("no person has these six fields") {
    const auto r = w.franceconnect("sub-x", {"INCONNU", "Jean", "1979-06-30", "male", "69123", "99100"});
    CHECK(r.outcome == franceconnect_outcome::identity_unknown);
    CHECK(r.token.size() == 0);
    CHECK_FALSE(r.person);
    CHECK(w.count_events("franceconnect.refused", "no_match") == 1);
    CHECK_FALSE(w.store->find_account_by_franceconnect_sub("sub-x"));
  }
  SUBCASE("one field differs: accents count") {
    REQUIRE(w.service.import_account(leroy()));
    auto who = leroy_identity();
    who.given_name = "Sophié";
    CHECK(w.franceconnect("sub-x", who).outcome == franceconnect_outcome::identity_unknown);
    who = leroy_identity();
    who.birthplace = "69124";
    CHECK(w.franceconnect("sub-x", who).outcome == franceconnect_outcome::identity_unknown);
    who = leroy_identity();
    who.gender = "male";
    CHECK(w.franceconnect("sub-x", who).outcome == franceconnect_outcome::identity_unknown);
    CHECK_FALSE(w.store->find_account(pid("p5"))->value.franceconnect_sub);
  }
  SUBCASE("two homonyms") {
    REQUIRE(w.service.import_account(leroy("p6", 6)));
    auto twin = leroy("p7", 7);
    twin.civil_status->family_name = "Leroy";
    twin.civil_status->given_names = " sophie ";
    REQUIRE(w.service.import_account(twin));
    const auto r = w.franceconnect(sub_leroy, leroy_identity());
    CHECK(r.outcome == franceconnect_outcome::identity_ambiguous);
    CHECK(r.token.size() == 0);
    CHECK_FALSE(r.person);
    CHECK_FALSE(w.store->find_account(pid("p6"))->value.franceconnect_sub);
    CHECK_FALSE(w.store->find_account(pid("p7"))->value.franceconnect_sub);
    CHECK(w.count_events("franceconnect.refused", "ambiguous") == 1);
    CHECK(w.count_events("franceconnect.login") == 0);
  }
  SUBCASE("homonyms born abroad: the city is not compared") {
    auto a = calp_account_test::person("p6", 6, "MOREAU", "Jean", day(1975, 1, 1));
    a.civil_status->gender = calp::gender::male;
    a.civil_status->birth_country = "99350";
    a.civil_status->birth_place.clear();
    a.civil_status->birth_city = "CASABLANCA";
    auto b = a;
    b.id = pid("p7");
    b.nir = test_nir(7);
    b.civil_status->birth_city = "RABAT";
    REQUIRE(w.service.import_account(a));
    REQUIRE(w.service.import_account(b));
    CHECK(w.franceconnect("sub-m", {"MOREAU", "Jean", "1975-01-01", "male", "", "99350"}).outcome ==
          franceconnect_outcome::identity_ambiguous);
  }
  SUBCASE("an e-mail address is never enough") {
    REQUIRE(w.service.import_account(leroy()));
    auto acc = w.store->find_account(pid("p5"));
    auto next = acc->value;
    next.contacts.push_back({calp::contact_kind::email, "famille.leroy@test.fr", instant(0)});
    REQUIRE(w.store->commit(calp::write_batch().put(next, acc->version)));
    const auto start = w.service.begin_franceconnect();
    auto claims = w.claims(start.nonce.view(), "sub-other", {"LEROY", "Sophie Anne", "1979-06-30",
                                                               "female", "69123", "99100"});
    claims["email"] = "famille.leroy@test.fr";
    const auto r = w.service.complete_franceconnect(start.state.view(), claims.dump());
    CHECK(r.outcome == franceconnect_outcome::identity_unknown);
    CHECK_FALSE(w.store->find_account(pid("p5"))->value.franceconnect_sub);
    CHECK(w.notes.emails().empty());
  }
  SUBCASE("an account already linked to another FranceConnect identity") {
    REQUIRE(w.service.import_account(leroy()));
    REQUIRE(w.franceconnect(sub_leroy, leroy_identity()).outcome == franceconnect_outcome::signed_in);
    const auto r = w.franceconnect("another-sub", leroy_identity());
    CHECK(r.outcome == franceconnect_outcome::identity_ambiguous);
    CHECK(r.token.size() == 0);
    CHECK(w.store->find_account(pid("p5"))->value.franceconnect_sub == std::string(sub_leroy));
  }
}

TEST_CASE_TEMPLATE_DEFINE("franceconnect: R18 claims are checked: nonce, expiry, acr, issuer, "
                          "audience",
                          Factory, calp_fc_claims_checks) {
  primo_world<Factory> w;
  REQUIRE(w.service.import_account(leroy()));
  const auto refused_with = [&](calp::claims_problem expected, const calp::franceconnect_result& r) {
    CHECK(r.outcome == franceconnect_outcome::refused);
    REQUIRE(r.problem);
    CHECK(*r.problem == expected);
    CHECK(r.token.size() == 0);
    CHECK_FALSE(r.person);
    CHECK(w.count_events("franceconnect.refused", calp::to_string(expected)) >= 1);
  };
  const auto now = seconds_of(w.clock.now());

  SUBCASE("a nonce this attempt did not issue") {
    const auto start = w.service.begin_franceconnect();
    const auto claims = w.claims(std::string(64, 'e'), sub_leroy, leroy_identity());
    refused_with(calp::claims_problem::nonce_mismatch,
                 w.service.complete_franceconnect(start.state.view(), claims.dump()));
  }
  SUBCASE("expired at now - skew; accepted one second later") {
    auto start = w.service.begin_franceconnect();
    auto claims = w.claims(start.nonce.view(), sub_leroy, leroy_identity());
    claims["exp"] = now - 60;
    refused_with(calp::claims_problem::expired,
                 w.service.complete_franceconnect(start.state.view(), claims.dump()));
    start = w.service.begin_franceconnect();
    claims = w.claims(start.nonce.view(), sub_leroy, leroy_identity());
    claims["exp"] = now - 59;
    CHECK(w.service.complete_franceconnect(start.state.view(), claims.dump()).outcome ==
          franceconnect_outcome::signed_in);
  }
  SUBCASE("issued in the future beyond the skew") {
    const auto start = w.service.begin_franceconnect();
    auto claims = w.claims(start.nonce.view(), sub_leroy, leroy_identity());
    claims["iat"] = now + 61;
    refused_with(calp::claims_problem::issued_in_future,
                 w.service.complete_franceconnect(start.state.view(), claims.dump()));
  }
  SUBCASE("acr below the level asked for") {
    auto start = w.service.begin_franceconnect(calp::eidas_level::eidas2);
    CHECK(start.acr == calp::eidas_level::eidas2);
    auto claims = w.claims(start.nonce.view(), sub_leroy, leroy_identity());
    refused_with(calp::claims_problem::acr_too_low,
                 w.service.complete_franceconnect(start.state.view(), claims.dump()));
    start = w.service.begin_franceconnect(calp::eidas_level::eidas2);
    claims = w.claims(start.nonce.view(), sub_leroy, leroy_identity());
    claims["acr"] = "eidas3";
    CHECK(w.service.complete_franceconnect(start.state.view(), claims.dump()).outcome ==
          franceconnect_outcome::signed_in);
  }
  SUBCASE("an unknown acr") {
    const auto start = w.service.begin_franceconnect();
    auto claims = w.claims(start.nonce.view(), sub_leroy, leroy_identity());
    claims["acr"] = "EIDAS1";
    refused_with(calp::claims_problem::unknown_acr,
                 w.service.complete_franceconnect(start.state.view(), claims.dump()));
  }
  SUBCASE("another issuer") {
    const auto start = w.service.begin_franceconnect();
    auto claims = w.claims(start.nonce.view(), sub_leroy, leroy_identity());
    claims["iss"] = std::string(fc_issuer) + "/";
    refused_with(calp::claims_problem::wrong_issuer,
                 w.service.complete_franceconnect(start.state.view(), claims.dump()));
  }
  SUBCASE("another audience") {
    auto start = w.service.begin_franceconnect();
    auto claims = w.claims(start.nonce.view(), sub_leroy, leroy_identity());
    claims["aud"] = "calp-other";
    refused_with(calp::claims_problem::wrong_audience,
                 w.service.complete_franceconnect(start.state.view(), claims.dump()));
    start = w.service.begin_franceconnect();
    claims = w.claims(start.nonce.view(), sub_leroy, leroy_identity());
    claims["aud"] = {fc_client, "calp-other"};
    refused_with(calp::claims_problem::wrong_audience,
                 w.service.complete_franceconnect(start.state.view(), claims.dump()));
  }
  SUBCASE("an attempt older than its validity") {
    const auto start = w.service.begin_franceconnect();
    w.clock.advance(w.service.config().franceconnect.login_validity);
    const auto claims = w.claims(start.nonce.view(), sub_leroy, leroy_identity());
    refused_with(calp::claims_problem::state_expired,
                 w.service.complete_franceconnect(start.state.view(), claims.dump()));
  }
}

TEST_CASE_TEMPLATE_DEFINE("franceconnect: R18 a state is single use; unknown states and malformed "
                          "claims are refused",
                          Factory, calp_fc_state) {
  primo_world<Factory> w;
  REQUIRE(w.service.import_account(leroy()));
  SUBCASE("used twice after a login") {
    const auto start = w.service.begin_franceconnect();
    const auto claims = w.claims(start.nonce.view(), sub_leroy, leroy_identity()).dump();
    REQUIRE(w.service.complete_franceconnect(start.state.view(), claims).outcome ==
            franceconnect_outcome::signed_in);
    const auto again = w.service.complete_franceconnect(start.state.view(), claims);
    CHECK(again.outcome == franceconnect_outcome::refused);
    REQUIRE(again.problem);
    CHECK(*again.problem == calp::claims_problem::state_used);
    CHECK(again.token.size() == 0);
    CHECK(w.count_events("franceconnect.login") == 1);
  }
  SUBCASE("used twice after a refusal") {
    const auto start = w.service.begin_franceconnect();
    auto claims = w.claims(start.nonce.view(), sub_leroy, leroy_identity());
    claims["aud"] = "calp-other";
    CHECK(w.service.complete_franceconnect(start.state.view(), claims.dump()).outcome ==
          franceconnect_outcome::refused);
    claims["aud"] = fc_client;
    const auto again = w.service.complete_franceconnect(start.state.view(), claims.dump());
    CHECK(again.outcome == franceconnect_outcome::refused);
    REQUIRE(again.problem);
    CHECK(*again.problem == calp::claims_problem::state_used);
  }
  SUBCASE("used twice after no match") {
    const auto start = w.service.begin_franceconnect();
    auto claims = w.claims(start.nonce.view(), sub_leroy, {"INCONNU", "Jean", "1979-06-30", "male",
                                                           "69123", "99100"});
    CHECK(w.service.complete_franceconnect(start.state.view(), claims.dump()).outcome ==
          franceconnect_outcome::identity_unknown);
    claims = w.claims(start.nonce.view(), sub_leroy, leroy_identity());
    const auto again = w.service.complete_franceconnect(start.state.view(), claims.dump());
    CHECK(again.outcome == franceconnect_outcome::refused);
    REQUIRE(again.problem);
    CHECK(*again.problem == calp::claims_problem::state_used);
  }
  SUBCASE("an unknown state") {
    const auto start = w.service.begin_franceconnect();
    const auto claims = w.claims(start.nonce.view(), sub_leroy, leroy_identity()).dump();
    const auto r = w.service.complete_franceconnect(std::string(64, 'f'), claims);
    CHECK(r.outcome == franceconnect_outcome::refused);
    REQUIRE(r.problem);
    CHECK(*r.problem == calp::claims_problem::state_unknown);
    CHECK(w.service.complete_franceconnect("", claims).problem == calp::claims_problem::state_unknown);
    CHECK(w.count_events("franceconnect.refused", "state_unknown") == 2);
    // The real attempt is untouched.
    CHECK(w.service.complete_franceconnect(start.state.view(), claims).outcome ==
          franceconnect_outcome::signed_in);
  }
  SUBCASE("malformed claims") {
    auto start = w.service.begin_franceconnect();
    auto r = w.service.complete_franceconnect(start.state.view(), R"({"iss": )");
    CHECK(r.outcome == franceconnect_outcome::malformed_claims);
    REQUIRE(r.claims_error);
    CHECK(r.claims_error->code == calp::errc::json_syntax);
    CHECK(r.token.size() == 0);
    CHECK(w.count_events("franceconnect.refused", "malformed") == 1);

    start = w.service.begin_franceconnect();
    auto claims = w.claims(start.nonce.view(), sub_leroy, leroy_identity());
    claims.erase("sub");
    r = w.service.complete_franceconnect(start.state.view(), claims.dump());
    CHECK(r.outcome == franceconnect_outcome::malformed_claims);
    REQUIRE(r.claims_error);
    CHECK(r.claims_error->code == calp::errc::json_missing_field);

    start = w.service.begin_franceconnect();
    claims = w.claims(start.nonce.view(), sub_leroy, leroy_identity());
    claims["birthdate"] = "1979-02-30";
    r = w.service.complete_franceconnect(start.state.view(), claims.dump());
    CHECK(r.outcome == franceconnect_outcome::malformed_claims);
    REQUIRE(r.claims_error);
    CHECK(r.claims_error->code == calp::errc::date_format);

    // A subject no account can be keyed by: malformed claims, not a storage failure.
    for (const std::string& sub : {std::string(), std::string(300, 'a'), std::string("ab\0cd", 5)}) {
      CAPTURE(sub.size());
      start = w.service.begin_franceconnect();
      claims = w.claims(start.nonce.view(), sub, leroy_identity());
      r = w.service.complete_franceconnect(start.state.view(), claims.dump());
      CHECK(r.outcome == franceconnect_outcome::malformed_claims);
      REQUIRE(r.claims_error);
      CHECK(r.claims_error->field == "sub");
      CHECK(r.token.size() == 0);
    }
    CHECK_FALSE(w.store->find_account(pid("p5"))->value.franceconnect_sub);
  }
}

TEST_CASE_TEMPLATE_DEFINE("franceconnect: R18 a disabled account is not opened", Factory,
                          calp_fc_disabled) {
  primo_world<Factory> w;
  REQUIRE(w.service.import_account(leroy()));
  SUBCASE("matched by pivot") {
    set_account_state(*w.store, "p5", calp::account_state::disabled);
    const auto r = w.franceconnect(sub_leroy, leroy_identity());
    CHECK(r.outcome == franceconnect_outcome::disabled);
    CHECK(r.token.size() == 0);
    CHECK_FALSE(w.store->find_account(pid("p5"))->value.franceconnect_sub);
  }
  SUBCASE("known by sub") {
    REQUIRE(w.franceconnect(sub_leroy, leroy_identity()).outcome == franceconnect_outcome::signed_in);
    set_account_state(*w.store, "p5", calp::account_state::disabled);
    const auto r = w.franceconnect(sub_leroy, leroy_identity());
    CHECK(r.outcome == franceconnect_outcome::disabled);
    CHECK(r.token.size() == 0);
  }
  CHECK(w.count_events("franceconnect.refused", "disabled") == 1);
}

TEST_CASE_TEMPLATE_DEFINE("franceconnect: R18 unlinking needs a password to log in with", Factory,
                          calp_fc_unlink) {
  primo_world<Factory> w;
  REQUIRE(w.service.import_account(leroy()));
  auto r = w.franceconnect(sub_leroy, leroy_identity());
  REQUIRE(r.outcome == franceconnect_outcome::signed_in);
  w.finish_first_connection(r.token, "06 98 76 54 32");
  const auto& t = r.token;

  CHECK(w.service.unlink_franceconnect(t).outcome == step_outcome::password_required);
  CHECK(w.store->find_account(pid("p5"))->value.franceconnect_sub);
  auto added = w.service.add_password(t, pw("faible"), pw("faible"));
  CHECK(added.outcome == step_outcome::password_rejected);
  added = w.service.add_password(t, pw("Leroy-1979x"), pw("Leroy-1979x"));
  CHECK(added.outcome == step_outcome::password_rejected);
  added = w.service.add_password(t, pw(good_password), pw(good_password));
  CHECK(added.outcome == step_outcome::done);
  CHECK(w.service.add_password(t, pw(good_password), pw(good_password)).outcome ==
        step_outcome::not_applicable);
  CHECK(w.count_events("password.created", "ok") == 1);
  // The password opens the account, FranceConnect still does.
  CHECK(w.service.login(w.nir_of(5), pw(good_password)).outcome == login_outcome::signed_in);

  const auto unlinked = w.service.unlink_franceconnect(t);
  CHECK(unlinked.outcome == step_outcome::done);
  CHECK_FALSE(w.store->find_account(pid("p5"))->value.franceconnect_sub);
  CHECK_FALSE(w.store->find_account_by_franceconnect_sub(sub_leroy));
  CHECK(w.count_events("franceconnect.unlinked", "ok") == 1);
  CHECK(w.service.unlink_franceconnect(t).outcome == step_outcome::not_applicable);
  CHECK(w.service.login(w.nir_of(5), pw(good_password)).outcome == login_outcome::signed_in);

  CHECK(w.service.unlink_franceconnect(calp::secret(std::string(64, 'd'))).outcome ==
        step_outcome::not_signed_in);
  CHECK(w.service.add_password(calp::secret(std::string(64, 'd')), pw(good_password),
                               pw(good_password))
            .outcome == step_outcome::not_signed_in);
}

TEST_CASE_TEMPLATE_DEFINE("franceconnect: R18 off when no issuer is configured", Factory,
                          calp_fc_off) {
  primo_world<Factory> w(calp_account_test::test_config());
  REQUIRE(w.service.import_account(leroy()));
  CHECK_THROWS_AS((void)w.service.begin_franceconnect(), std::logic_error);
  const auto r = w.service.complete_franceconnect(std::string(64, 'a'),
                                                  w.claims(std::string(64, 'b'), sub_leroy,
                                                           leroy_identity())
                                                      .dump());
  CHECK(r.outcome == franceconnect_outcome::disabled);
  CHECK(r.token.size() == 0);
  CHECK_FALSE(w.store->find_account(pid("p5"))->value.franceconnect_sub);
}

TEST_CASE_TEMPLATE_DEFINE("franceconnect: R19 the audit trail holds no NIR, token or nonce",
                          Factory, calp_fc_no_secret_leaks) {
  primo_world<Factory> w;
  REQUIRE(w.service.import_account(leroy()));
  const auto start = w.service.begin_franceconnect();
  const auto claims = w.claims(start.nonce.view(), sub_leroy, leroy_identity()).dump();
  const auto r = w.service.complete_franceconnect(start.state.view(), claims);
  REQUIRE(r.outcome == franceconnect_outcome::signed_in);
  (void)w.service.complete_franceconnect(start.state.view(), claims);
  const auto reg = w.service.register_primo_demandeur(durand(make_nir('1', 90, 4, "75", "111", 42)));
  REQUIRE(reg.outcome == registration_outcome::registered);
  const std::vector<std::string> secrets = {
      std::string(start.state.view()), std::string(start.nonce.view()), std::string(r.token.view()),
      std::string(reg.token.view()), w.nir_of(5), make_nir('1', 90, 4, "75", "111", 42)};
  for (const auto& e : w.events()) {
    for (const auto* field : {&e.kind, &e.actor, &e.subject, &e.outcome, &e.detail}) {
      for (const auto& s : secrets) CHECK_MESSAGE(field->find(s) == std::string::npos, e.kind);
    }
  }
}

#define CALP_PRIMO_TESTS(...)                                                     \
  TEST_CASE_TEMPLATE_INVOKE(calp_primo_nir_keyed, __VA_ARGS__);                   \
  TEST_CASE_TEMPLATE_INVOKE(calp_primo_nir_mismatch, __VA_ARGS__);                \
  TEST_CASE_TEMPLATE_INVOKE(calp_primo_born_abroad, __VA_ARGS__);                 \
  TEST_CASE_TEMPLATE_INVOKE(calp_primo_invalid, __VA_ARGS__);                     \
  TEST_CASE_TEMPLATE_INVOKE(calp_primo_already_registered, __VA_ARGS__);          \
  TEST_CASE_TEMPLATE_INVOKE(calp_primo_first_connection, __VA_ARGS__);            \
  TEST_CASE_TEMPLATE_INVOKE(calp_primo_provisional_collisions, __VA_ARGS__);      \
  TEST_CASE_TEMPLATE_INVOKE(calp_primo_benefit_request, __VA_ARGS__);             \
  TEST_CASE_TEMPLATE_INVOKE(calp_primo_certify_nir, __VA_ARGS__);                 \
  TEST_CASE_TEMPLATE_INVOKE(calp_primo_update_civil_status, __VA_ARGS__);         \
  TEST_CASE_TEMPLATE_INVOKE(calp_fc_link_imported, __VA_ARGS__);                  \
  TEST_CASE_TEMPLATE_INVOKE(calp_fc_creates_account, __VA_ARGS__);                \
  TEST_CASE_TEMPLATE_INVOKE(calp_fc_no_link, __VA_ARGS__);                        \
  TEST_CASE_TEMPLATE_INVOKE(calp_fc_claims_checks, __VA_ARGS__);                  \
  TEST_CASE_TEMPLATE_INVOKE(calp_fc_state, __VA_ARGS__);                          \
  TEST_CASE_TEMPLATE_INVOKE(calp_fc_disabled, __VA_ARGS__);                       \
  TEST_CASE_TEMPLATE_INVOKE(calp_fc_unlink, __VA_ARGS__);                         \
  TEST_CASE_TEMPLATE_INVOKE(calp_fc_off, __VA_ARGS__);                            \
  TEST_CASE_TEMPLATE_INVOKE(calp_fc_no_secret_leaks, __VA_ARGS__)
