// The persistent mode of the `calp` tool: `--db` with a SQLite file (PostgreSQL runs
// the same code through `open_storage`; its URIs are tested for what must never leak).
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "calp/action.hpp"
#include "calp/household.hpp"
#include "unit/cli_support.hpp"
#include "unit/test_support.hpp"

namespace {

using calp::testing::calp_run;
using calp::testing::json_lines;
using calp::testing::read_file;
using calp::testing::temp_dir;

const std::string data = CALP_EXAMPLES_DATA_DIR;
const std::vector<std::string> samples = {
    "allocataire-seul.json",   "conjoint-allocataire.json", "couple-avec-delegation.json",
    "couple-sans-delegation.json", "delegation-revoquee.json",  "separation.json"};

std::string shell_quoted(const std::string& s) { return "'" + s + "'"; }

// A database with every sample household imported.
std::string sample_database(const temp_dir& dir) {
  const std::string db = dir.file("caf.sqlite");
  REQUIRE(calp_run("--db " + shell_quoted(db) + " db init").status == 0);
  for (const auto& name : samples) {
    const auto o = calp_run("--db " + shell_quoted(db) + " household import " + shell_quoted(data + "/" + name));
    REQUIRE_MESSAGE(o.status == 0, o.err);
  }
  return db;
}

}  // namespace

TEST_CASE("calp db init creates the SQLite file, and running it again is harmless") {
  temp_dir dir;
  const std::string db = dir.file("new.sqlite");
  const auto first = calp_run("db init --db " + shell_quoted(db));
  CHECK(first.status == 0);
  CHECK(first.out.find("calp database ready") != std::string::npos);
  CHECK(std::filesystem::exists(db));
  CHECK(calp_run("db init --db " + shell_quoted(db)).status == 0);
}

TEST_CASE("calp commands other than db init never create a database: a mistyped path is an error") {
  temp_dir dir;
  const std::string db = dir.file("typo.sqlite");
  const auto o = calp_run("household export 1234567 --db " + shell_quoted(db));
  CHECK(o.status == 2);
  CHECK(o.out.empty());
  CHECK(o.err.find("calp.storage.unavailable") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(db));
}

TEST_CASE("calp household import then export gives back the household in canonical form") {
  temp_dir dir;
  const std::string db = sample_database(dir);
  for (const auto& name : samples) {
    CAPTURE(name);
    const auto canonical = calp_run("household check " + shell_quoted(data + "/" + name));
    REQUIRE(canonical.status == 0);
    const auto dossier = nlohmann::json::parse(canonical.out)["dossier"].get<std::string>();
    const auto exported = calp_run("household export " + dossier + " --db " + shell_quoted(db));
    CHECK(exported.status == 0);
    CHECK(exported.out == canonical.out);
  }
}

TEST_CASE("calp household import takes a JSON array and reports what it created and replaced") {
  temp_dir dir;
  const std::string db = dir.file("caf.sqlite");
  REQUIRE(calp_run("db init --db " + shell_quoted(db)).status == 0);
  std::string array = "[";
  for (std::size_t i = 0; i < samples.size(); ++i) {
    array += (i ? "," : "") + read_file(data + "/" + samples[i]);
  }
  array += "]";
  const auto created = calp_run("household import - --db " + shell_quoted(db), array);
  REQUIRE_MESSAGE(created.status == 0, created.err);
  CHECK(nlohmann::json::parse(created.out) ==
        nlohmann::json{{"imported", 6}, {"created", 6}, {"replaced", 0}});

  SUBCASE("a dossier already stored is refused, naming it, and nothing else is written") {
    const auto again = calp_run("household import - --db " + shell_quoted(db), array);
    CHECK(again.status == 2);
    CHECK(again.out.empty());
    CHECK(again.err.find("calp.storage.conflict") != std::string::npos);
    CHECK(again.err.find("already in the database") != std::string::npos);
    CHECK(again.err.find("(at [0])") != std::string::npos);
  }
  SUBCASE("--replace overwrites the stored dossiers") {
    const auto replaced = calp_run("household import - --replace --db " + shell_quoted(db), array);
    REQUIRE_MESSAGE(replaced.status == 0, replaced.err);
    CHECK(nlohmann::json::parse(replaced.out) ==
          nlohmann::json{{"imported", 6}, {"created", 0}, {"replaced", 6}});
  }
}

TEST_CASE("calp household import writes nothing when one household of the file is bad") {
  temp_dir dir;
  const std::string db = dir.file("caf.sqlite");
  REQUIRE(calp_run("db init --db " + shell_quoted(db)).status == 0);
  const std::string good = read_file(data + "/couple-sans-delegation.json");
  const std::string bad =
      R"({"dossier": "7654321", "members": [{"id": "x", "role": "chef", "birth_date": "1980-01-01"}]})";
  const auto o = calp_run("household import - --db " + shell_quoted(db), "[" + good + "," + bad + "]");
  CHECK(o.status == 2);
  CHECK(o.out.empty());
  CHECK(o.err.find("calp.household.role") != std::string::npos);
  CHECK(o.err.find("[1].members[0].role") != std::string::npos);
  const auto dossier = nlohmann::json::parse(good)["dossier"].get<std::string>();
  CHECK(calp_run("household export " + dossier + " --db " + shell_quoted(db)).status == 1);

  SUBCASE("so does a file naming one dossier twice") {
    const auto twice = calp_run("household import - --db " + shell_quoted(db), "[" + good + "," + good + "]");
    CHECK(twice.status == 2);
    CHECK(twice.err.find("more than once") != std::string::npos);
    CHECK(calp_run("household export " + dossier + " --db " + shell_quoted(db)).status == 1);
  }
  SUBCASE("and a file that is not JSON") {
    const auto junk = calp_run("household import - --db " + shell_quoted(db), "[{\"dossier\": ");
    CHECK(junk.status == 2);
    CHECK(junk.err.find("calp.json.syntax") != std::string::npos);
  }
}

TEST_CASE("calp decide --db --dossier answers exactly as calp decide --household") {
  temp_dir dir;
  const std::string db = sample_database(dir);
  for (const auto& name : samples) {
    const std::string file = data + "/" + name;
    const auto h = calp::household::from_json(read_file(file));
    REQUIRE(h);
    for (const auto& m : h->members()) {
      for (const auto act : calp::all_actions) {
        const std::string common = " --person " + std::string(m.id.str()) + " --action " +
                                   std::string(calp::to_string(act)) + " --at 2026-11-28";
        const auto from_file = calp_run("decide --household " + shell_quoted(file) + common);
        const auto from_db = calp_run("decide --db " + shell_quoted(db) + " --dossier " +
                                      std::string(h->dossier().str()) + common);
        CAPTURE(name);
        CAPTURE(common);
        CHECK(from_db.status == from_file.status);
        CHECK(from_db.out == from_file.out);
      }
    }
  }
}

TEST_CASE("calp --db before the command, and CALP_DB, name the database too") {
  temp_dir dir;
  const std::string db = sample_database(dir);
  const std::string request = " --dossier 2345678 --person a2 --action dossier.read --at 2026-11-28";
  const auto leading = calp_run("--db " + shell_quoted(db) + " decide" + request);
  const auto env = calp_run("decide" + request, "", "CALP_DB=" + shell_quoted(db));
  CHECK(leading.status == 0);
  CHECK(env.status == 0);
  CHECK(env.out == leading.out);
  CHECK(calp_run("decide" + request, "", "CALP_DB=").status == 2);
}

TEST_CASE("R10 calp decide --db sees a revocation committed by another process on its next run") {
  temp_dir dir;
  const std::string db = sample_database(dir);
  const std::string request =
      "decide --db " + shell_quoted(db) + " --dossier 2345678 --person a2 --action dossier.read --at 2026-11-28";
  REQUIRE(calp_run(request).status == 0);
  auto revoked = nlohmann::json::parse(read_file(data + "/couple-avec-delegation.json"));
  revoked["delegation"]["revoked"] = "2026-11-01";
  REQUIRE(calp_run("household import - --replace --db " + shell_quoted(db), revoked.dump()).status == 0);
  const auto after = calp_run(request);
  CHECK(after.status == 1);
  CHECK(nlohmann::json::parse(after.out)["reason"] == "conjoint_without_delegation");
}

TEST_CASE("calp decide --db --requests decides every line against the stored household") {
  temp_dir dir;
  const std::string db = sample_database(dir);
  const auto o = calp_run("decide --db " + shell_quoted(db) + " --dossier 2345678 --at 2026-11-28 --requests -",
                          "{\"person\": \"a1\", \"action\": \"delegation.manage\"}\n"
                          "{\"person\": \"a3\", \"action\": \"dossier.read\"}\n");
  CHECK(o.status == 0);
  const auto lines = json_lines(o.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["allowed"] == true);
  CHECK(lines[1]["allowed"] == false);
}

TEST_CASE("calp decide --db refuses an unknown dossier, a missing --dossier, and --household with --db") {
  temp_dir dir;
  const std::string db = sample_database(dir);
  const auto unknown =
      calp_run("decide --db " + shell_quoted(db) + " --dossier 9999999 --person a1 --action dossier.read");
  CHECK(unknown.status == 2);
  CHECK(unknown.err.find("no dossier `9999999`") != std::string::npos);
  CHECK(calp_run("decide --db " + shell_quoted(db) + " --person a1 --action dossier.read").status == 2);
  const auto both = calp_run("decide --db " + shell_quoted(db) + " --household " +
                             shell_quoted(data + "/separation.json") + " --person a1 --action dossier.read");
  CHECK(both.status == 2);
  CHECK(both.err.find("not both") != std::string::npos);
  const auto malformed =
      calp_run("decide --db " + shell_quoted(db) + " --dossier 12AB --person a1 --action dossier.read");
  CHECK(malformed.status == 2);
  CHECK(malformed.err.find("calp.dossier_number.format") != std::string::npos);
}

TEST_CASE("calp never echoes a PostgreSQL password, in the URI or as a parameter") {
  for (const std::string uri : {"postgresql://calp:s3cretPW@127.0.0.1:1/caf",
                                "postgres://calp:s3cretPW@127.0.0.1:1/caf?connect_timeout=2",
                                "postgresql://calp@127.0.0.1:1/caf?password=s3cretPW",
                                "postgresql://calp:s3cretPW@/caf?host=/nonexistent"}) {
    CAPTURE(uri);
    for (const std::string command : {"db init", "household export 1234567"}) {
      const auto o = calp_run("--db " + shell_quoted(uri) + " " + command);
      CHECK(o.status == 2);
      CHECK(o.out.empty());
      CHECK(o.err.find("calp.storage.") != std::string::npos);
      CHECK(o.err.find("s3cretPW") == std::string::npos);
    }
  }
}

TEST_CASE("calp refuses a file that is not a calp database and leaves it as it was") {
  temp_dir dir;
  const std::string db = dir.file("notes.txt");
  const std::string content(8192, 'x');
  { std::ofstream(db, std::ios::binary) << content; }
  const auto o = calp_run("household export 1234567 --db " + shell_quoted(db));
  CHECK(o.status == 2);
  CHECK(o.err.find("calp.storage.corrupt") != std::string::npos);
  CHECK(read_file(db) == content);
  CHECK(calp_run("db init --db " + shell_quoted(db)).status == 2);
  CHECK(read_file(db) == content);
}

TEST_CASE("calp --db postgresql:// imports, exports and decides, and never shows the password") {
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
  // The test server trusts local connections, so a password in the URI is accepted and
  // ignored: every message the tool prints can be searched for it.
  std::string uri = server;
  const auto user_end = uri.find('@');
  REQUIRE(user_end != std::string::npos);
  uri.insert(user_end, ":s3cretPW");
  const std::string db = "--db " + shell_quoted(uri);
  const std::vector<calp::testing::outcome> runs = {
      calp_run(db + " db init"),
      calp_run(db + " household import --replace " + shell_quoted(data + "/couple-avec-delegation.json")),
      calp_run(db + " household export 2345678"),
      calp_run(db + " decide --dossier 2345678 --person a2 --action dossier.read --at 2026-11-28"),
      calp_run(db + " decide --dossier 9999999 --person a2 --action dossier.read"),
  };
  CHECK(runs[0].status == 0);
  CHECK(runs[0].out.find(":***@") != std::string::npos);
  CHECK(runs[1].status == 0);
  CHECK(runs[2].status == 0);
  CHECK(runs[2].out == calp_run("household check " + shell_quoted(data + "/couple-avec-delegation.json")).out);
  CHECK(runs[3].status == 0);
  CHECK(runs[4].status == 2);
  for (const auto& o : runs) {
    CHECK(o.out.find("s3cretPW") == std::string::npos);
    CHECK(o.err.find("s3cretPW") == std::string::npos);
  }
}
