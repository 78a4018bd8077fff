#include <doctest/doctest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "calp/calp.hpp"

namespace {

// DESIGN.md §3, copied verbatim: `calp policy table` must print exactly this.
constexpr std::string_view design_table =
    "| action (stable name) | allocataire | conjoint | conjoint + délégation | conjoint allocataire (AJPA, BAFA, AAH, PALA) | other 15+ |\n"
    "|---|---|---|---|---|---|\n"
    "| `own_data.read` read own personal data | yes | yes | yes | yes | yes |\n"
    "| `own_contact.update` own contact details | yes | yes | yes | yes | yes |\n"
    "| `own_password.change` own password | yes | yes | yes | yes | yes |\n"
    "| `separation.declare` declare a separation | yes, if in a couple | yes | yes | yes | no |\n"
    "| `dossier.read` the dossier, rights and payments | yes | no | yes | yes | no |\n"
    "| `changes.declare` declare changes | yes | no | yes | yes | no |\n"
    "| `benefit.request` request a benefit | yes | no | yes | yes | no |\n"
    "| `delegation.manage` grant / revoke the délégation | yes, if in a couple | no | no | no | no |\n";

nlohmann::json default_document() { return nlohmann::json::parse(calp::policy::caf_default_json()); }

// Loads the default document after `edit`, expecting an error with `code` at `field`.
void check_refused(const std::function<void(nlohmann::json&)>& edit, calp::errc code,
                   const std::string& field) {
  auto doc = default_document();
  edit(doc);
  const auto loaded = calp::policy::from_json(doc.dump());
  REQUIRE_FALSE(loaded.has_value());
  CHECK(calp::to_string(loaded.error().code) == calp::to_string(code));
  CHECK(loaded.error().field == field);
  CHECK_FALSE(loaded.error().message.empty());
}

calp::date day(const char* text) { return calp::parse_date(text).value(); }

}  // namespace

TEST_CASE("R5 the default policy loads and its table is the table of DESIGN.md §3") {
  const auto& p = calp::policy::caf_default();
  CHECK(p.id() == "caf-default");
  CHECK(p.table() == design_table);
}

TEST_CASE("R5 the default policy's table is the one in the live DESIGN.md, when it is beside the checkout") {
  // The project's checkouts sit beside `shared/`; the copy above keeps the test
  // meaningful elsewhere, this one catches a change of DESIGN.md itself.
  std::ifstream design(std::string(CALP_SOURCE_DIR) + "/../shared/DESIGN.md");
  if (!design) {
    MESSAGE("no ../shared/DESIGN.md beside the checkout: compared with the copy only");
    return;
  }
  std::string table;
  for (std::string line; std::getline(design, line);) {
    if (table.empty() && line.rfind("| action (stable name)", 0) != 0) continue;
    if (line.empty() || line[0] != '|') break;
    table += line + "\n";
  }
  CHECK(table == design_table);
  CHECK(calp::policy::caf_default().table() == table);
}

TEST_CASE("R5 the embedded default policy is the shipped src/policy/caf-default.json") {
  std::ifstream in(std::string(CALP_SOURCE_DIR) + "/src/policy/caf-default.json", std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == calp::policy::caf_default_json());
}

TEST_CASE("R5 an invalid policy is refused whole, naming the place") {
  using calp::errc;
  check_refused([](auto& d) { d["extra"] = 1; }, errc::json_unknown_field, "extra");
  check_refused([](auto& d) { d["format"] = "calp.policy.v2"; }, errc::policy_invalid, "format");
  check_refused([](auto& d) { d.erase("rules"); }, errc::json_missing_field, "rules");
  check_refused([](auto& d) { d["id"] = "Caf Default"; }, errc::policy_invalid, "id");
  check_refused([](auto& d) { d["rules"]["dossier.write"] = nlohmann::json::object(); },
                errc::action_unknown, "rules.dossier.write");
  check_refused([](auto& d) { d["rules"]["dossier.read"]["parent"] = d["rules"]["dossier.read"]["other"]; },
                errc::policy_invalid, "rules.dossier.read.parent");
  check_refused([](auto& d) { d["rules"]["dossier.read"]["conjoint"]["effect"] = "permit"; },
                errc::policy_invalid, "rules.dossier.read.conjoint.effect");
  check_refused([](auto& d) { d["rules"]["dossier.read"]["conjoint"]["effect"] = true; },
                errc::json_type, "rules.dossier.read.conjoint.effect");
  check_refused([](auto& d) { d["rules"]["dossier.read"]["conjoint"]["reason"] = "because"; },
                errc::policy_invalid, "rules.dossier.read.conjoint.reason");
  check_refused([](auto& d) { d["rules"]["dossier.read"]["conjoint"]["priority"] = 1; },
                errc::json_unknown_field, "rules.dossier.read.conjoint.priority");
  check_refused([](auto& d) { d["rules"]["delegation.manage"]["allocataire"].erase("otherwise"); },
                errc::policy_invalid, "rules.delegation.manage.allocataire.otherwise");
  check_refused([](auto& d) { d["rules"]["delegation.manage"]["allocataire"]["when"] = "always"; },
                errc::policy_invalid, "rules.delegation.manage.allocataire.when");
  check_refused([](auto& d) { d["rules"]["dossier.read"]["other"]["otherwise"] = "not_allowed"; },
                errc::policy_invalid, "rules.dossier.read.other.otherwise");
  check_refused(
      [](auto& d) {
        d["rules"]["dossier.read"]["other"]["when"] = "in_couple";
        d["rules"]["dossier.read"]["other"]["otherwise"] = "not_allowed";
      },
      errc::policy_invalid, "rules.dossier.read.other.when");
  check_refused([](auto& d) { d["reasons"].erase("under_15"); }, errc::policy_invalid, "reasons.under_15");
  check_refused([](auto& d) { d["reasons"]["Bad Code"] = "x"; }, errc::policy_invalid, "reasons.Bad Code");
  check_refused([](auto& d) { d["reasons"]["not_allowed"] = ""; }, errc::policy_invalid, "reasons.not_allowed");
  check_refused([](auto& d) { d["reasons"]["not_allowed"] = std::string(5000, 'x'); }, errc::json_too_long,
                "reasons.not_allowed");
  check_refused([](auto& d) { d["rules"] = nlohmann::json::array(); }, errc::json_type, "rules");
}

TEST_CASE("R5 malformed, oversized and deeply nested policy documents are refused") {
  CHECK(calp::policy::from_json("{").error().code == calp::errc::json_syntax);
  CHECK(calp::policy::from_json("").error().code == calp::errc::json_syntax);
  CHECK(calp::policy::from_json("[]").error().code == calp::errc::json_type);
  CHECK(calp::policy::from_json(std::string(100000, '[')).error().code == calp::errc::json_too_deep);
  CHECK(calp::policy::from_json(std::string(calp::policy::max_bytes + 1, ' ')).error().code ==
        calp::errc::json_too_large);
  CHECK(calp::policy::from_json("{\"format\": \"\xff\"}").error().code == calp::errc::json_syntax);
}

TEST_CASE("R5 a reviewed variant changes decisions, a missing cell denies") {
  auto doc = default_document();
  doc["id"] = "caf-variant";
  doc["rules"]["changes.declare"]["other"] = {{"effect", "allow"}, {"reason", "own_account"}};
  doc["rules"]["dossier.read"].erase("conjoint");
  const auto variant = calp::policy::from_json(doc.dump());
  REQUIRE(variant.has_value());
  CHECK(variant->id() == "caf-variant");
  const auto h = calp::household::from_json(R"({"dossier": "4000001", "members": [
      {"id": "a", "role": "allocataire", "birth_date": "1980-01-01"},
      {"id": "c", "role": "conjoint", "birth_date": "1980-01-01"},
      {"id": "o", "role": "other", "birth_date": "2000-01-01"}]})").value();
  const auto at = day("2026-01-01");
  CHECK(calp::decide(*variant, h, {"o", calp::action::changes_declare, at}).allowed);
  CHECK_FALSE(calp::decide(h, {"o", calp::action::changes_declare, at}).allowed);
  const auto missing = calp::decide(*variant, h, {"c", calp::action::dossier_read, at});
  CHECK_FALSE(missing.allowed);
  CHECK(missing.reason == calp::reasons::not_allowed);
  CHECK(variant->table().find("| `changes.declare` declare changes | yes | no | yes | yes | yes |") !=
        std::string::npos);
}

TEST_CASE("R5 a conjoint with délégation falls back to the conjoint cell, most specific first") {
  auto doc = default_document();
  doc["rules"]["dossier.read"].erase("conjoint_delegation");
  const auto p = calp::policy::from_json(doc.dump()).value();
  const auto h = calp::household::from_json(R"({"dossier": "4000002", "members": [
      {"id": "a", "role": "allocataire", "birth_date": "1980-01-01"},
      {"id": "c", "role": "conjoint", "birth_date": "1980-01-01"}],
      "delegation": {"to": "c", "granted": "2025-01-01"}})").value();
  const auto d = calp::decide(p, h, {"c", calp::action::dossier_read, day("2026-01-01")});
  CHECK_FALSE(d.allowed);
  CHECK(d.reason == "conjoint_without_delegation");
}
