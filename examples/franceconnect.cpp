// FranceConnect (R18) against a simulated provider: the host runs the OpenID Connect
// exchange and hands calp the claims (ID token merged with userinfo, signature already
// verified); calp checks them against the login attempt and links the identity to
// exactly one person by the six pivot fields, or logs no one in.
//
// usage: franceconnect [CLAIMS.json]   (default: examples/data/franceconnect/claims.json)
// The fixture holds the provider, the people the Caf knows, and six scenarios with their
// expected outcome; the program plays each one and says "ÉCHEC" when calp disagrees.
// The storage is in memory, the clock is set to the fixture's `now`.

#include <calp/accounts.hpp>
#include <calp/calp.hpp>
#include <calp/storage/memory.hpp>
#include <calp/testing/manual_clock.hpp>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace {

// ordered_json: the scenarios are played in the order of the file.
using json = nlohmann::ordered_json;

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

// One person of the fixture's "people" as the Caf knows them (no NIR needed here).
calp::person_record person(const json& p) {
  auto id = calp::person_id::parse(p.at("id").get<std::string>());
  auto born = calp::parse_date(p.at("birth_date").get<std::string>());
  if (!id || !born) fail("personne illisible\u00a0: " + p.dump());
  calp::civil_status cs;
  cs.family_name = p.at("family_name").get<std::string>();
  cs.given_names = p.at("given_names").get<std::string>();
  cs.gender = p.at("gender") == "male" ? calp::gender::male : calp::gender::female;
  cs.birth_date = *born;
  cs.birth_country = p.at("birth_country").get<std::string>();
  cs.birth_place = p.value("birth_place", "");
  cs.birth_city = p.value("birth_city", "");
  return {*id, std::nullopt, std::nullopt, std::nullopt, std::move(cs)};
}

// What the fixture expects, as the outcome of complete_franceconnect.
struct expectation {
  calp::franceconnect_outcome outcome;
  std::string problem;  // for `refused`
  std::string person;   // for `signed_in`
};

expectation expected_of(const json& e) {
  const json& matches = e.at("matches");
  if (!e.at("problem").is_null()) {
    return {calp::franceconnect_outcome::refused, e.at("problem").get<std::string>(), {}};
  }
  if (matches.empty()) return {calp::franceconnect_outcome::identity_unknown, {}, {}};
  if (matches.size() > 1) return {calp::franceconnect_outcome::identity_ambiguous, {}, {}};
  return {calp::franceconnect_outcome::signed_in, {}, matches.front().get<std::string>()};
}

// The outcome in one French line, with the same fields the expectation names.
std::string describe(const calp::franceconnect_result& r) {
  using o = calp::franceconnect_outcome;
  switch (r.outcome) {
    case o::signed_in:
      return "connecté(e)\u00a0: " + std::string(r.person->str()) +
             (r.linked ? ", identité FranceConnect reliée" : ", identité déjà reliée") +
             ", étape suivante " + std::string(calp::to_string(r.next_step));
    case o::refused:
      return "refusé (" + std::string(r.problem ? calp::to_string(*r.problem) : "?") + ")";
    case o::identity_unknown: return "identité inconnue\u00a0: personne n'est connecté";
    case o::identity_ambiguous:
      return "identité ambiguë\u00a0: personne n'est connecté, la Caf doit vérifier";
    case o::malformed_claims:
      return "claims illisibles\u00a0: " + r.claims_error.value_or(calp::error{}).message;
    case o::disabled: return "compte désactivé";
  }
  return "?";
}

bool as_expected(const calp::franceconnect_result& r, const expectation& e) {
  if (r.outcome != e.outcome) return false;
  if (e.outcome == calp::franceconnect_outcome::refused) {
    return r.problem && calp::to_string(*r.problem) == e.problem;
  }
  if (e.outcome == calp::franceconnect_outcome::signed_in) {
    return r.person && r.person->str() == e.person;
  }
  return true;
}

// The provider echoes the attempt's nonce: the fixture writes it "<nonce>".
std::string claims_for(json claims, const calp::secret& nonce) {
  for (auto& [name, value] : claims.items()) {
    if (value == "<nonce>") value = std::string(nonce.view());
  }
  return claims.dump();
}

}  // namespace

int main(int argc, char** argv) try {
  std::ifstream file(argc > 1 ? argv[1] : CALP_EXAMPLE_FRANCECONNECT_CLAIMS);
  if (!file) fail("fichier de claims introuvable");
  std::stringstream text;
  text << file.rdbuf();
  const json fixture = json::parse(text.str());
  const json& provider = fixture.at("provider");

  calp::memory_storage store;
  calp::console_notifier notifier(std::cout);  // a FranceConnect login informs the person
  calp::testing::manual_clock clock(
      calp::parse_timestamp(provider.at("now").get<std::string>()).value());
  calp::account_config config;
  config.terms_version = "CGU-2026-10";
  // Pinned by the host's configuration, never read from a token.
  config.franceconnect.issuer = provider.at("issuer").get<std::string>();
  config.franceconnect.client_id = provider.at("client_id").get<std::string>();
  calp::account_service service(store, notifier, clock, config, calp::code_key::generate());

  // -- The Caf's side: the people and their accounts, not yet used -----------------------
  for (const json& p : fixture.at("people")) {
    const auto record = person(p);
    if (auto imported = service.import_account(record); !imported) fail(imported.error().message);
    const auto& c = *record.civil_status;
    std::cout << "La Caf connaît " << record.id.str() << "\u00a0: " << c.given_names << ' ' << c.family_name
              << ", né(e) le " << calp::format_date(c.birth_date) << " (" << c.birth_country
              << (c.birth_place.empty() ? "" : " " + c.birth_place) << ")\n";
  }

  // -- Each scenario: a new attempt, the provider's answer, calp's verdict ---------------
  int failures = 0;
  int played = 0;
  std::string one_match_claims;  // to log in again with a known `sub`, below
  for (const auto& [name, scenario] : fixture.at("scenarios").items()) {
    const auto acr = calp::parse_eidas_level(scenario.at("acr_values").get<std::string>());
    if (!acr) fail(name + "\u00a0: acr_values illisible");
    const auto start = service.begin_franceconnect(*acr);  // state, nonce, acr_values
    const std::string claims = claims_for(scenario.at("claims"), start.nonce);
    if (name == "one_match") one_match_claims = scenario.at("claims").dump();
    const auto result = service.complete_franceconnect(start.state.view(), claims);
    const expectation want = expected_of(scenario.at("expected"));
    const bool ok = as_expected(result, want);
    ++played;
    std::cout << '\n' << name << " — " << scenario.at("description").get<std::string>()
              << "\n  acr_values " << calp::to_string(start.acr) << "\u00a0: " << describe(result) << '\n';
    if (!ok) {
      ++failures;
      std::cout << "  ÉCHEC\u00a0: attendu " << calp::to_string(want.outcome)
                << (want.problem.empty() ? "" : " (" + want.problem + ")")
                << (want.person.empty() ? "" : " " + want.person) << '\n';
    }
  }

  // -- Two more rules of R18 with the one_match claims ----------------------------------
  if (!one_match_claims.empty()) {
    const auto answer = [&](const calp::franceconnect_start& s) {
      return claims_for(json::parse(one_match_claims), s.nonce);
    };
    // A known `sub` logs its account in directly, without comparing the pivot fields again.
    auto start = service.begin_franceconnect();
    const auto again = service.complete_franceconnect(start.state.view(), answer(start));
    std::cout << "\nUne seconde connexion du même sub\u00a0: " << describe(again) << '\n';
    if (again.outcome != calp::franceconnect_outcome::signed_in || again.linked) {
      ++failures;
      std::cout << "  ÉCHEC\u00a0: attendu signed_in sans nouveau lien\n";
    }
    // A state is single use: the same answer sent twice is refused the second time.
    const auto replay = service.complete_franceconnect(start.state.view(), answer(start));
    std::cout << "La même réponse rejouée\u00a0: " << describe(replay) << '\n';
    if (replay.outcome != calp::franceconnect_outcome::refused || !replay.problem ||
        *replay.problem != calp::claims_problem::state_used) {
      ++failures;
      std::cout << "  ÉCHEC\u00a0: attendu refused (state_used)\n";
    }
  }

  if (failures != 0) {
    std::cout << '\n' << failures << " résultat(s) différent(s) de ceux attendus\u00a0: ÉCHEC\n";
    return 1;
  }
  std::cout << "\nLes " << played << " scénarios FranceConnect donnent le résultat attendu.\n";
} catch (const std::exception& e) {
  std::cerr << "ÉCHEC\u00a0: " << e.what() << '\n';
  return 1;
}
