// Drives the `calp` binary as other tools do, and holds it to its output contract.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "unit/cli_support.hpp"
#include "unit/test_support.hpp"

namespace {

using calp::testing::calp_run;
using calp::testing::json_lines;

const std::string data = CALP_EXAMPLES_DATA_DIR;
const std::string couple = data + "/couple-sans-delegation.json";

}  // namespace

TEST_CASE("R1 calp nir check: valid prints the normalised NIR alone, exit 0") {
  const auto o = calp_run("nir check '2 84 05 2a 321 025 52'");
  CHECK(o.status == 0);
  CHECK(o.out == "284052A32102552\n");
  CHECK(o.err.empty());
}

TEST_CASE("R2 calp nir check: invalid exits 1 with the error on stderr and nothing on stdout") {
  const auto o = calp_run("nir check 284058832102533");
  CHECK(o.status == 1);
  CHECK(o.out.empty());
  CHECK(o.err.find("calp.nir.key") != std::string::npos);
  // The NIR is sensitive: the error never repeats it whole.
  CHECK(o.err.find("284058832102533") == std::string::npos);
}

TEST_CASE("R2 calp nir check --lenient accepts the provisional sex digits") {
  CHECK(calp_run("nir check 884058832102523").status == 1);
  const auto o = calp_run("nir check 884058832102523 --lenient");
  CHECK(o.status == 0);
  CHECK(o.out == "884058832102523\n");
}

TEST_CASE("R9 calp decide prints one JSON decision, exit 0 allowed, 1 denied") {
  auto o = calp_run("decide --household '" + couple + "' --person p1 --action dossier.read --at 2026-11-28");
  CHECK(o.status == 0);
  auto j = nlohmann::json::parse(o.out);
  CHECK(j.size() == 3);
  CHECK(j["allowed"] == true);
  CHECK(j["reason"] == "allocataire");
  CHECK_FALSE(j["message"].get<std::string>().empty());

  o = calp_run("decide --household '" + couple + "' --person p2 --action dossier.read --at 2026-11-28");
  CHECK(o.status == 1);
  j = nlohmann::json::parse(o.out);
  CHECK(j["allowed"] == false);
  CHECK(j["reason"] == "conjoint_without_delegation");
  // The key order is part of the contract.
  CHECK(o.out.rfind("{\"allowed\":false,\"reason\":", 0) == 0);
}

TEST_CASE("R8 calp decide at the front desk gives the online answer and needs an agent") {
  const auto base = "decide --household '" + couple + "' --person p2 --action dossier.read --at 2026-11-28";
  const auto online = calp_run(base);
  const auto desk = calp_run(base + " --channel front-desk --agent A4521");
  CHECK(desk.status == online.status);
  CHECK(desk.out == online.out);
  const auto no_agent = calp_run(base + " --channel front-desk");
  CHECK(no_agent.status == 2);
  CHECK(no_agent.out.empty());
  CHECK(no_agent.err.find("--agent") != std::string::npos);
}

TEST_CASE("R9 calp decide reads the household from stdin with -") {
  const auto o = calp_run("decide --household - --person p3 --action own_data.read --at 2026-11-28", calp::testing::read_file(couple));
  CHECK(o.status == 0);
  CHECK(nlohmann::json::parse(o.out)["reason"] == "own_account");
}

TEST_CASE("R5 calp decide: bad input exits 2 with the message on stderr and nothing on stdout") {
  const auto bad = [](const std::string& args, const std::string& expected, const std::string& input = "") {
    const auto o = calp_run(args, input);
    INFO(args);
    CHECK(o.status == 2);
    CHECK(o.out.empty());
    CHECK(o.err.find(expected) != std::string::npos);
  };
  const auto h = "--household '" + couple + "' ";
  bad("decide " + h + "--person p1 --action dossier.write", "calp.action.unknown");
  bad("decide " + h + "--person p1 --action dossier.read --at 2026-02-30", "calp.date.format");
  bad("decide " + h + "--person p1 --action dossier.read --channel phone", "calp.channel.unknown");
  bad("decide " + h + "--action dossier.read", "--person is required");
  bad("decide " + h + "--person p1 --action dossier.read --frobnicate 1", "unknown option");
  bad("decide --household /nonexistent/h.json --person p1 --action dossier.read", "cannot read");
  bad("decide --household - --person p1 --action dossier.read", "calp.json.syntax", "{\"dossier\":");
  bad("decide --household - --person p1 --action dossier.read", "calp.household.allocataire",
      R"({"dossier": "1234567", "members": []})");
  bad("decide --household - --person p1 --action dossier.read", "calp.json.too_large",
      std::string(300 * 1024, ' '));
  bad("decide " + h + "--person p1 --action dossier.read --policy /nonexistent.json", "cannot read");
}

TEST_CASE("R9 calp decide --requests: one decision per line, in order") {
  const std::string requests =
      R"({"person": "p1", "action": "dossier.read", "at": "2026-11-28"})" "\n"
      R"({"person": "p2", "action": "dossier.read", "at": "2026-11-28"})" "\n"
      "\n"
      R"({"person": "p4", "action": "own_data.read", "at": "2026-11-28", "channel": "front-desk", "agent": "A1"})" "\n"
      R"({"person": "p5", "action": "own_data.read", "at": "2026-08-31"})";
  const auto o = calp_run("decide --household '" + couple + "' --requests -", requests);
  CHECK(o.status == 0);
  const auto out = json_lines(o.out);
  REQUIRE(out.size() == 4);
  CHECK(out[0]["reason"] == "allocataire");
  CHECK(out[1]["reason"] == "conjoint_without_delegation");
  CHECK(out[2]["reason"] == "under_15");
  CHECK(out[3]["reason"] == "own_account");
}

TEST_CASE("R5 calp decide --requests: a bad line gets an error in its place and exit 2") {
  const std::string requests =
      R"({"person": "p1", "action": "dossier.read", "at": "2026-11-28"})" "\n"
      R"({"person": "p1", "action": "nope"})" "\n"
      R"({"person": "p1", "action": "dossier.read", "extra": 1})" "\n"
      "not json\n" +
      std::string(10000, 'x') + "\n" +
      R"({"person": "p1", "action": "dossier.read", "channel": "front-desk"})" "\n"
      R"({"person": "p2", "action": "own_data.read", "at": "2026-11-28"})" "\n";
  const auto o = calp_run("decide --household '" + couple + "' --requests - --at 2026-11-28", requests);
  CHECK(o.status == 2);
  const auto out = json_lines(o.out);
  REQUIRE(out.size() == 7);
  CHECK(out[0]["allowed"] == true);
  CHECK(out[1]["error"]["code"] == "calp.action.unknown");
  CHECK(out[1]["error"]["line"] == 2);
  CHECK(out[2]["error"]["code"] == "calp.json.unknown_field");
  CHECK(out[3]["error"]["code"] == "calp.json.syntax");
  CHECK(out[4]["error"]["code"] == "calp.json.too_large");
  CHECK(out[5]["error"]["code"] == "calp.request.invalid");
  CHECK(out[6]["reason"] == "own_account");
}

TEST_CASE("R5 calp policy table prints the table of DESIGN.md §3") {
  const auto o = calp_run("policy table");
  CHECK(o.status == 0);
  CHECK(o.out.find("| `separation.declare` declare a separation | yes, if in a couple | yes | yes | yes | no |\n") !=
        std::string::npos);
  CHECK(o.out.find("| `dossier.read` the dossier, rights and payments | yes | no | yes | yes | no |\n") !=
        std::string::npos);
}

TEST_CASE("R5 calp policy check refuses an invalid variant and names the place") {
  auto doc = nlohmann::json::parse(calp_run("policy default").out);
  doc["rules"]["dossier.read"]["conjoint"]["effect"] = "maybe";
  const auto o = calp_run("policy check -", doc.dump());
  CHECK(o.status == 1);
  CHECK(o.err.find("rules.dossier.read.conjoint.effect") != std::string::npos);
  doc["rules"]["dossier.read"]["conjoint"]["effect"] = "allow";
  const auto ok = calp_run("policy check -", doc.dump());
  CHECK(ok.status == 0);
  // The variant is used by decide --policy.
  const auto dir = std::filesystem::temp_directory_path() / ("calp_policy_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "p.json") << doc.dump();
  const auto d = calp_run("decide --household '" + couple + "' --person p2 --action dossier.read --at 2026-11-28 --policy '" +
                          (dir / "p.json").string() + "'");
  std::filesystem::remove_all(dir);
  CHECK(d.status == 0);
}

TEST_CASE("calp --help and every command's --help") {
  const auto help = calp_run("--help");
  CHECK(help.status == 0);
  for (const char* c : {"nir check", "decide", "policy table", "policy check", "policy default", "household check"}) {
    CHECK(help.out.find(c) != std::string::npos);
    const auto o = calp_run(std::string(c) + " --help");
    INFO(c);
    CHECK(o.status == 0);
    CHECK(o.out.rfind("usage: calp", 0) == 0);
  }
  const auto unknown = calp_run("frobnicate");
  CHECK(unknown.status == 2);
  CHECK(unknown.out.empty());
  CHECK(calp_run("").status == 2);
}

TEST_CASE("calp household check prints the canonical household or the error naming the field") {
  const auto ok = calp_run("household check '" + couple + "'");
  CHECK(ok.status == 0);
  CHECK(nlohmann::json::parse(ok.out)["dossier"] == "1234567");
  const auto bad = calp_run("household check -", R"({"dossier": "1234567", "members": [{"id": "a", "role": "chef", "birth_date": "1980-01-01"}]})");
  CHECK(bad.status == 1);
  CHECK(bad.err.find("members[0].role") != std::string::npos);
}
