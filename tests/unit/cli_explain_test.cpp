// `calp explain` (R8, R9): for every action, allowed or not, the French reason and the
// facts it rests on; with --agent, a front-desk consultation written to the audit trail.
// On SQLite, and on PostgreSQL when CALP_TEST_POSTGRES_URI is set.
#include <doctest/doctest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "calp/action.hpp"
#include "calp/authorizer.hpp"
#include "calp/household.hpp"
#include "calp/storage.hpp"
#include "calp/storage/open.hpp"
#include "unit/cli_support.hpp"
#include "unit/test_support.hpp"

namespace {

using calp::testing::calp_run;
using calp::testing::read_file;
using calp::testing::temp_dir;

const std::string data = CALP_EXAMPLES_DATA_DIR;

std::string shell_quoted(const std::string& s) { return "'" + s + "'"; }

// The sample households in a database at `location` (a SQLite path or a URI).
void import_samples(const std::string& location) {
  const std::string db = "--db " + shell_quoted(location);
  REQUIRE(calp_run(db + " db init").status == 0);
  for (const std::string name : {"couple-sans-delegation.json", "couple-avec-delegation.json",
                                 "conjoint-allocataire.json", "delegation-revoquee.json"}) {
    // A PostgreSQL server is shared with the other CLI tests, which may replace the same
    // sample at the same moment: a conflict is worth another try.
    auto o = calp_run(db + " household import --replace " + shell_quoted(data + "/" + name));
    for (int retry = 0; o.status != 0 && retry < 3; ++retry) {
      o = calp_run(db + " household import --replace " + shell_quoted(data + "/" + name));
    }
    REQUIRE_MESSAGE(o.status == 0, o.err);
  }
}

// The audit events of one agent: on a shared server, other tests write events too.
std::vector<calp::audit_event> audit_trail(const std::string& location, const std::string& agent) {
  const auto s = calp::open_storage(location, calp::open_mode::must_exist);
  calp::audit_query q;
  q.actor = "agent:" + agent;
  q.limit = 10000;
  return s->audit_events(q);
}

// Every explanation, whatever the storage: the same checks.
void check_explain(const std::string& location) {
  const std::string db = "--db " + shell_quoted(location);

  SUBCASE("R7 R9 the conjoint without délégation: every action, its French reason, the facts") {
    const auto o = calp_run(db + " explain --dossier 1234567 --person p2 --at 2026-11-28 --json");
    REQUIRE_MESSAGE(o.status == 0, o.err);
    CHECK(o.err.empty());
    const auto j = nlohmann::json::parse(o.out);
    CHECK(j["dossier"] == "1234567");
    CHECK(j["person"] == "p2");
    CHECK(j["channel"] == "online");
    CHECK(j["audited"] == false);
    CHECK(j["facts"]["member"] == true);
    CHECK(j["facts"]["role"] == "conjoint");
    CHECK(j["facts"]["role_libelle"] == "conjoint");
    CHECK(j["facts"]["in_couple"] == true);
    CHECK(j["facts"]["has_delegation"] == false);
    CHECK(j["facts"]["delegation"].is_null());
    REQUIRE(j["decisions"].size() == calp::action_count);
    const auto h = calp::household::from_json(read_file(data + "/couple-sans-delegation.json")).value();
    for (std::size_t i = 0; i < calp::action_count; ++i) {
      const auto& d = j["decisions"][i];
      const calp::action a = calp::all_actions[i];
      const calp::decision pure = calp::decide(h, {"p2", a, calp::parse_date("2026-11-28").value()});
      CAPTURE(calp::to_string(a));
      CHECK(d["action"] == calp::to_string(a));
      CHECK(d["libelle"] == calp::libelle(a));
      CHECK(d["allowed"] == pure.allowed);
      CHECK(d["reason"] == pure.reason);
      CHECK(d["message"] == pure.message);
    }
    CHECK(j["decisions"][4]["reason"] == "conjoint_without_delegation");
  }

  SUBCASE("plain text for an agent: the role, the délégation with its dates, each answer") {
    const auto o = calp_run(db + " explain --dossier 2345678 --person a2 --at 2026-11-28");
    REQUIRE_MESSAGE(o.status == 0, o.err);
    CHECK(o.out.find("Rôle à cette date\u00a0: conjoint") != std::string::npos);
    CHECK(o.out.find("Membre du foyer\u00a0: oui") != std::string::npos);
    CHECK(o.out.find("Délégation de gestion\u00a0: à a2, donnée le 15/01/2026 – en vigueur à cette date") !=
          std::string::npos);
    CHECK(o.out.find("[oui] consulter le dossier, les droits et les paiements") != std::string::npos);
    CHECK(o.out.find("[non] donner ou retirer la délégation de gestion") != std::string::npos);
    CHECK(o.out.find("Le conjoint a la délégation de gestion de l'allocataire.") != std::string::npos);
  }

  SUBCASE("a conjoint allocataire: the benefit and its dates are shown") {
    const auto o = calp_run(db + " explain --dossier 3456789 --person b2 --at 2026-11-28 --json");
    REQUIRE_MESSAGE(o.status == 0, o.err);
    const auto j = nlohmann::json::parse(o.out);
    CHECK(j["facts"]["role"] == "conjoint_allocataire");
    CHECK(j["facts"]["role_libelle"] == "conjoint allocataire");
    REQUIRE(j["facts"]["benefits"].size() == 1);
    CHECK(j["facts"]["benefits"][0]["code"] == "AAH");
    CHECK(j["facts"]["benefits"][0]["from"] == "2024-01-01");
    CHECK(j["facts"]["benefits"][0]["until"].is_null());
    CHECK(j["facts"]["benefits"][0]["held"] == true);
    CHECK(j["facts"]["benefits"][0]["personal"] == true);
    CHECK(j["decisions"][4]["allowed"] == true);
    const auto text = calp_run(db + " explain --dossier 3456789 --person b2 --at 2026-11-28");
    CHECK(text.out.find("AAH du 01/01/2024 sans date de fin – perçue à cette date") != std::string::npos);
  }

  SUBCASE("a member who left, and a person unknown in the dossier: not members, all denied") {
    for (const std::string person : {"p5", "nobody"}) {
      CAPTURE(person);
      const auto o = calp_run(db + " explain --dossier 1234567 --person " + person + " --at 2026-11-28 --json");
      REQUIRE_MESSAGE(o.status == 0, o.err);
      const auto j = nlohmann::json::parse(o.out);
      CHECK(j["facts"]["member"] == false);
      CHECK(j["facts"]["role"] == "not_member");
      for (const auto& d : j["decisions"]) {
        CHECK(d["allowed"] == false);
        CHECK(d["reason"] == "not_member");
      }
    }
  }

  SUBCASE("R8 R19 with --agent every answer is a front-desk decision written to the audit trail") {
    const std::string agent = "A" + std::to_string(::getpid());
    const std::size_t before = audit_trail(location, agent).size();
    const auto o = calp_run(db + " explain --dossier 1234567 --person p2 --agent " + agent +
                            " --at 2026-11-28 --json");
    REQUIRE_MESSAGE(o.status == 0, o.err);
    const auto j = nlohmann::json::parse(o.out);
    CHECK(j["channel"] == "front-desk");
    CHECK(j["agent"] == agent);
    CHECK(j["audited"] == true);
    for (const auto& d : j["decisions"]) CHECK(d.contains("audit_seq"));
    CHECK(j["decisions"][4]["allowed"] == false);
    const auto events = audit_trail(location, agent);
    REQUIRE(events.size() == before + calp::action_count);
    for (std::size_t i = before; i < events.size(); ++i) {
      CHECK(events[i].kind == "decision");
      CHECK(events[i].actor == "agent:" + agent);
      CHECK(events[i].dossier == "1234567");
    }
    CHECK(events[before + 4].subject == "p1");
    CHECK(events[before + 4].outcome == "denied");
    // Without --agent nothing is written.
    const auto s = calp::open_storage(location, calp::open_mode::must_exist);
    calp::audit_query about_allocataire;
    about_allocataire.subject = "p1";
    about_allocataire.limit = 100000;
    const std::size_t about_before = s->audit_events(about_allocataire).size();
    REQUIRE(calp_run(db + " explain --dossier 1234567 --person p2 --at 2026-11-28").status == 0);
    CHECK(s->audit_events(about_allocataire).size() == about_before);
  }

  SUBCASE("bad input: exit 2, a clear message on stderr, nothing on stdout") {
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"explain --dossier 7654321 --person p1", "no dossier `7654321` in the database"},
        {"explain --dossier 12AB --person p1", "calp.dossier"},
        {"explain --dossier 1234567", "--person is required"},
        {"explain --person p1", "--dossier is required"},
        {"explain --dossier 1234567 --person p1 --at 2026-02-30", "calp.date"},
        {"explain --dossier 1234567 --person 'p 1'", "calp.person_id"},
        {"explain --dossier 1234567 --person p1 --agent ''", "--agent"},
        {"explain --dossier 1234567 --person p1 --channel online", "unknown option"},
    };
    for (const auto& [args, expected] : bad) {
      CAPTURE(args);
      const auto o = calp_run(db + " " + args);
      CHECK(o.status == 2);
      CHECK(o.out.empty());
      CHECK_MESSAGE(o.err.find(expected) != std::string::npos, o.err);
    }
  }
}

}  // namespace

TEST_CASE("calp explain on SQLite") {
  temp_dir dir;
  const std::string db = dir.file("caf.sqlite");
  import_samples(db);
  check_explain(db);
}

TEST_CASE("calp explain --help and the command list name it") {
  const auto help = calp_run("explain --help");
  CHECK(help.status == 0);
  CHECK(help.out.find("usage: calp explain") != std::string::npos);
  CHECK(calp_run("--help").out.find("explain") != std::string::npos);
}

TEST_CASE("calp explain on PostgreSQL") {
  if (!CALP_CLI_HAS_POSTGRES) {
    MESSAGE("skipped: calp was built without PostgreSQL");
    return;
  }
  const char* server = std::getenv("CALP_TEST_POSTGRES_URI");
  if (server == nullptr || *server == '\0') {
    if (CALP_REQUIRE_POSTGRES) FAIL("CALP_TEST_POSTGRES_URI is not set");
    MESSAGE("skipped: CALP_TEST_POSTGRES_URI is not set");
    return;
  }
  import_samples(server);
  check_explain(server);
}
