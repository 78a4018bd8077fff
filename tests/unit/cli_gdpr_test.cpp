// `calp gdpr export` (GDPR Art. 15) on a SQLite file: the person's JSON document on
// stdout, exit 0; an unknown person is a message on stderr and exit 2.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "calp/storage.hpp"
#include "calp/storage/open.hpp"
#include "calp/testing/storage_conformance.hpp"
#include "unit/cli_support.hpp"
#include "unit/test_support.hpp"

namespace {

using calp::testing::calp_run;
using calp::testing::temp_dir;
using calp::testing::conformance::instant;
using calp::testing::conformance::pid;
using calp::testing::conformance::test_nir;

const std::string data = CALP_EXAMPLES_DATA_DIR;

std::string quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace

TEST_CASE("GDPR Art. 15 calp gdpr export prints the person's own data from a SQLite file") {
  temp_dir dir;
  const std::string location = dir.file("caf.sqlite");
  const std::string db = "--db " + quoted(location);
  REQUIRE(calp_run(db + " db init").status == 0);
  const auto imported = calp_run(db + " household import " + quoted(data + "/couple-avec-delegation.json"));
  REQUIRE_MESSAGE(imported.status == 0, imported.err);

  const std::string hash = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
  const std::string sub = "fc-sub-secret-1234";
  {
    const auto s = calp::open_storage(location, calp::open_mode::must_exist);
    calp::person_record p{pid("a2"), test_nir(2), std::nullopt, std::nullopt, std::nullopt};
    const calp::account_record acc{
        .person = pid("a2"),
        .state = calp::account_state::active,
        .password_hash = hash,
        .legacy_password_hash = {},
        .terms_version = "CGU-2026-01",
        .terms_accepted_at = instant(5),
        .contacts = {{calp::contact_kind::email, "a2@example.org", instant(10)}},
        .franceconnect_sub = sub,
        .delegation_offer_accepted = std::nullopt,
        .civil_status_locked = false,
        .created_at = instant(0),
        .password_changed_at = std::nullopt};
    calp::audit_event e;
    e.at = instant(20);
    e.kind = "delegation.granted";
    e.actor = "a1";
    e.subject = "a2";
    e.dossier = "2345678";
    e.outcome = "ok";
    REQUIRE(s->commit(calp::write_batch().put(p, 0).put(acc, 0).append(e)));
  }

  const auto o = calp_run(db + " gdpr export --person a2");
  REQUIRE_MESSAGE(o.status == 0, o.err);
  CHECK(o.err.empty());
  const auto j = nlohmann::json::parse(o.out);
  CHECK(j["person"]["id"] == "a2");
  CHECK(j["person"]["nir"] == test_nir(2).masked());
  CHECK(j["account"]["state"] == "active");
  CHECK(j["account"]["password_set"] == true);
  CHECK(j["account"]["franceconnect_linked"] == true);
  CHECK(j["account"]["contacts"][0]["value"] == "a2@example.org");
  REQUIRE(j["households"].size() == 1);
  CHECK(j["households"][0]["dossier"] == "2345678");
  CHECK(j["households"][0]["role"] == "conjoint");
  CHECK(j["households"][0]["delegation"]["role"] == "received");
  CHECK(j["households"][0]["delegation"]["granted"] == "2026-01-15");
  REQUIRE(j["audit_events"].size() == 1);
  CHECK(j["audit_events"][0]["actor"] == "allocataire");
  CHECK(j["audit_events"][0]["subject"] == "a2");

  CHECK(o.out.find(std::string(test_nir(2).str())) == std::string::npos);
  CHECK(o.out.find(hash) == std::string::npos);
  CHECK(o.out.find(sub) == std::string::npos);
  CHECK(o.out.find("\"a1\"") == std::string::npos);
  CHECK(o.out.find("\"a3\"") == std::string::npos);

  // The allocataire has no person record, but is in a household: their export exists.
  const auto alloc = calp_run(db + " gdpr export --person a1");
  REQUIRE_MESSAGE(alloc.status == 0, alloc.err);
  const auto ja = nlohmann::json::parse(alloc.out);
  CHECK(ja["person"]["nir"].is_null());
  CHECK(ja["account"].is_null());
  CHECK(ja["households"][0]["benefits"][0]["code"] == "AF");
  CHECK(ja["households"][0]["delegation"]["role"] == "given");
  CHECK(alloc.out.find("\"a2\"") == std::string::npos);

  const auto unknown = calp_run(db + " gdpr export --person zz9");
  CHECK(unknown.status == 2);
  CHECK(unknown.out.empty());
  CHECK(unknown.err.find("zz9") != std::string::npos);

  const auto bad = calp_run(db + " gdpr export");
  CHECK(bad.status == 2);
  CHECK(bad.out.empty());

  const auto help = calp_run("gdpr export --help");
  CHECK(help.status == 0);
  CHECK(help.out.find("--person") != std::string::npos);
}
