// GDPR access (Art. 15): `calp::gdpr_export` gives everything calp holds about one person
// and nothing about the other members beyond what is theirs to see. On the memory storage,
// with the account service and the household service writing the records and the trail.
#include <doctest/doctest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "accounts/account_tests.hpp"
#include "calp/delegation.hpp"
#include "calp/gdpr.hpp"
#include "calp/storage/memory.hpp"

namespace {

using json = nlohmann::json;

struct memory_factory {
  static std::unique_ptr<calp::storage> make() { return std::make_unique<calp::memory_storage>(); }
};

const calp::dossier_number& dossier() {
  static const auto d = calp::dossier_number::parse("1234567").value();
  return d;
}

// The seed's world after p1's bascule, a FranceConnect link on p1, a benefit recorded
// by an agent and the délégation granted by p1 to p2.
struct gdpr_world : world<memory_factory> {
  calp::secret token;
  std::string sub = "fc-sub-0b9c6a2e-secret";

  gdpr_world() : token(bascule()) {
    auto acc = store->find_account(pid("p1")).value();
    acc.value.franceconnect_sub = sub;
    REQUIRE(store->commit(calp::write_batch().put(acc.value, acc.version)));
    calp::household_service hs{*store, notes, clock};
    REQUIRE(hs.record_benefit("A4521", dossier(), pid("p1"), calp::benefit{"AF", day(2025, 1, 1), {}})
                .outcome == calp::household_outcome::done);
    REQUIRE(hs.grant_delegation(pid("p1"), dossier()).outcome == calp::household_outcome::done);
  }

  json exported(std::string_view who) {
    const auto doc = calp::gdpr_export(*store, pid(who), instant(86400));
    REQUIRE(doc);
    return json::parse(*doc);
  }
};

// Every key of `j`, at any depth.
void keys_of(const json& j, std::vector<std::string>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      out.push_back(k);
      keys_of(v, out);
    }
  } else if (j.is_array()) {
    for (const auto& v : j) keys_of(v, out);
  }
}

}  // namespace

TEST_CASE("GDPR Art. 15 the export holds the person, the account, the households and the trail") {
  gdpr_world w;
  const json j = w.exported("p1");

  CHECK(j["exported_at"] == "2026-01-02T00:00:00Z");
  const json& p = j["person"];
  CHECK(p["id"] == "p1");
  CHECK(p["nir"] == calp::testing::conformance::test_nir(1).masked());
  CHECK(p["provisional_id"].is_null());
  CHECK(p["civil_status"]["family_name"] == "DESLOT");
  CHECK(p["civil_status"]["given_names"] == "Audrey Marie");
  CHECK(p["civil_status"]["birth_date"] == "1985-03-02");
  CHECK(p["civil_status"]["birth_place"] == "75111");

  const json& a = j["account"];
  CHECK(a["state"] == "active");
  CHECK(a["terms_version"] == std::string(terms));
  CHECK(a["terms_accepted_at"].is_string());
  REQUIRE(a["contacts"].size() == 1);
  CHECK(a["contacts"][0]["kind"] == "mobile");
  CHECK(a["contacts"][0]["value"] == std::string(mobile_e164));
  CHECK(a["contacts"][0]["verified_at"].is_string());
  CHECK(a["franceconnect_linked"] == true);
  CHECK(a["password_set"] == true);
  CHECK(a["legacy_password_set"] == false);
  CHECK(a["created_at"].is_string());
  CHECK(a.contains("password_changed_at"));
  CHECK(a["delegation_offer_accepted"] == false);

  REQUIRE(j["households"].size() == 1);
  const json& h = j["households"][0];
  CHECK(h["dossier"] == "1234567");
  CHECK(h["role"] == "allocataire");
  CHECK(h["left"].is_null());
  REQUIRE(h["benefits"].size() == 1);
  CHECK(h["benefits"][0]["code"] == "AF");
  CHECK(h["benefits"][0]["from"] == "2025-01-01");
  CHECK(h["benefits"][0]["until"].is_null());
  CHECK(h["delegation"]["role"] == "given");
  CHECK(h["delegation"]["granted"] == "2026-01-01");
  CHECK(h["delegation"]["revoked"].is_null());

  // The trail: the bascule's events, the agent's benefit, the grant; in seq order.
  const json& ev = j["audit_events"];
  REQUIRE(ev.size() >= 5);
  std::uint64_t last = 0;
  bool saw_grant = false;
  bool saw_agent = false;
  for (const json& e : ev) {
    for (const char* k : {"seq", "at", "kind", "actor", "subject", "dossier", "outcome", "detail"}) {
      CHECK_MESSAGE(e.contains(k), k);
    }
    CHECK(e["seq"].get<std::uint64_t>() > last);
    last = e["seq"].get<std::uint64_t>();
    CHECK((e["actor"] == "p1" || e["subject"] == "p1"));
    if (e["kind"] == "delegation.granted") {
      saw_grant = true;
      CHECK(e["subject"] == "conjoint");  // p2, named by role only
    }
    if (e["kind"] == "household.benefit_started") {
      saw_agent = true;
      CHECK(e["actor"] == "agent:A4521");
      CHECK(e["detail"]["code"] == "AF");
    }
  }
  CHECK(saw_grant);
  CHECK(saw_agent);
}

TEST_CASE("GDPR Art. 15 the export never holds a full NIR, a hash, a secret or another member's id") {
  gdpr_world w;
  const auto doc = calp::gdpr_export(*w.store, pid("p1"), instant(86400)).value();
  const auto acc = w.store->find_account(pid("p1")).value().value;

  CHECK(doc.find(w.nir_of(1)) == std::string::npos);
  CHECK(doc.find(w.nir_of(2)) == std::string::npos);
  REQUIRE(!acc.password_hash.empty());
  CHECK(doc.find(acc.password_hash) == std::string::npos);
  CHECK(doc.find("$argon2") == std::string::npos);
  CHECK(doc.find(w.sub) == std::string::npos);
  CHECK(doc.find(w.token.view()) == std::string::npos);
  for (const auto& s : w.store->sessions_of(pid("p1"))) {
    CHECK(doc.find(s.value.token_hash) == std::string::npos);
  }
  for (const char* other : {"\"p2\"", "\"p3\"", "\"p4\""}) {
    CHECK_MESSAGE(doc.find(other) == std::string::npos, other);
  }
  std::vector<std::string> keys;
  keys_of(json::parse(doc), keys);
  for (const std::string& k : keys) {
    CHECK_MESSAGE(k.find("hash") == std::string::npos, k);
    CHECK(k != "franceconnect_sub");
    CHECK(k != "link");
    CHECK(k != "token");
    CHECK(k != "secret");
  }
  // The conjoint, too, sees their own data only.
  const auto theirs = calp::gdpr_export(*w.store, pid("p2"), instant(86400)).value();
  CHECK(theirs.find(w.nir_of(2)) == std::string::npos);
  CHECK(theirs.find(w.nir_of(1)) == std::string::npos);
  for (const char* other : {"\"p1\"", "\"p3\"", "\"p4\""}) {
    CHECK_MESSAGE(theirs.find(other) == std::string::npos, other);
  }
  CHECK(theirs.find("Audrey") == std::string::npos);
}

TEST_CASE("GDPR Art. 15 R7 the délégation is given by the allocataire and received by the conjoint") {
  gdpr_world w;
  const json conjoint = w.exported("p2");
  REQUIRE(conjoint["households"].size() == 1);
  const json& h = conjoint["households"][0];
  CHECK(h["role"] == "conjoint");
  CHECK(h["benefits"].empty());  // the allocataire's AF is not theirs
  CHECK(h["delegation"]["role"] == "received");
  CHECK(h["delegation"]["granted"] == "2026-01-01");
  bool saw_grant = false;
  for (const json& e : conjoint["audit_events"]) {
    if (e["kind"] == "delegation.granted") {
      saw_grant = true;
      CHECK(e["actor"] == "allocataire");
      CHECK(e["subject"] == "p2");
    }
  }
  CHECK(saw_grant);
  // A child with a person record but no account: no délégation, no account.
  const json child = w.exported("p3");
  CHECK(child["account"].is_null());
  CHECK(child["households"][0]["role"] == "other");
  CHECK(child["households"][0]["delegation"].is_null());

  // Revoked: still reported, with its end.
  calp::household_service hs{*w.store, w.notes, w.clock};
  w.clock.advance(std::chrono::hours(48));
  REQUIRE(hs.revoke_delegation(pid("p1"), dossier()).outcome == calp::household_outcome::done);
  const json after = w.exported("p1");
  CHECK(after["households"][0]["delegation"]["role"] == "given");
  CHECK(after["households"][0]["delegation"]["revoked"] == "2026-01-03");
}

TEST_CASE("GDPR Art. 15 R19 more than one page of audit events: every one is exported, in order") {
  gdpr_world w;
  const auto before = calp::gdpr_export(*w.store, pid("p1"), instant(0)).value();
  const auto already = json::parse(before)["audit_events"].size();
  // 1100 events about p1 and 300 by p1 about someone else, interleaved with 200 that
  // are neither.
  std::size_t added = 0;
  for (int round = 0; round < 16; ++round) {
    calp::write_batch b;
    for (int n = 0; n < 100; ++n) {
      calp::audit_event e;
      e.at = instant(1000 + round * 100 + n);
      e.kind = "decision";
      e.outcome = "ok";
      const int slot = round * 100 + n;
      if (slot < 1100) {
        e.actor = "agent:A1";
        e.subject = "p1";
        ++added;
      } else if (slot < 1400) {
        e.actor = "p1";
        e.subject = "p9";
        ++added;
      } else {
        e.actor = "p2";
        e.subject = "p2";
      }
      b.append(std::move(e));
    }
    REQUIRE(w.store->commit(b));
  }
  const json j = w.exported("p1");
  const json& ev = j["audit_events"];
  CHECK(ev.size() == already + added);
  std::uint64_t last = 0;
  std::size_t someone_else = 0;
  for (const json& e : ev) {
    CHECK(e["seq"].get<std::uint64_t>() > last);
    last = e["seq"].get<std::uint64_t>();
    if (e["subject"] == "another_person") ++someone_else;
  }
  CHECK(someone_else == 300);
}

TEST_CASE("GDPR Art. 15 an unknown person has no export") {
  gdpr_world w;
  CHECK_FALSE(calp::gdpr_export(*w.store, pid("p9"), instant(0)).has_value());
  calp::memory_storage empty;
  CHECK_FALSE(calp::gdpr_export(empty, pid("p1"), instant(0)).has_value());
}
