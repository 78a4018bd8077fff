// `calp audit key | verify | purge | events` on a SQLite file (R19): a front-desk session
// written through the key, then edited behind calp's back with the sqlite3 tool.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "calp/time.hpp"
#include "unit/cli_support.hpp"
#include "unit/test_support.hpp"

namespace {

using calp::testing::calp_run;
using calp::testing::json_lines;
using calp::testing::temp_dir;

const std::string data = CALP_EXAMPLES_DATA_DIR;

std::string shell_quoted(const std::string& s) { return "'" + s + "'"; }

// Runs SQL on the file with the sqlite3 tool, as someone with access to the file would.
void sqlite3_exec(const std::string& db, const std::string& sql) {
  const std::string command = "sqlite3 " + shell_quoted(db) + " \"" + sql + "\"";
  REQUIRE(std::system(command.c_str()) == 0);
}

// A database with the sample couple, a key file, and the eight decisions of one
// front-desk consultation chained with that key.
struct session {
  temp_dir dir;
  std::string db = dir.file("calp.sqlite");
  std::string key = dir.file("audit.key");
  std::string with_db = "--db " + shell_quoted(db);
  std::string with_key = " --audit-key " + shell_quoted(key);

  session() {
    const auto made = calp_run("audit key");
    REQUIRE(made.status == 0);
    std::ofstream(key) << made.out;
    REQUIRE(calp_run(with_db + " db init").status == 0);
    REQUIRE(calp_run(with_db + " household import " + shell_quoted(data + "/couple-sans-delegation.json"))
                .status == 0);
    const auto o = calp_run(with_db + " explain --dossier 1234567 --person p2 --agent A1" + with_key);
    REQUIRE_MESSAGE(o.status == 0, o.err);
  }
};

}  // namespace

TEST_CASE("calp audit key: 64 hex digits from the CSPRNG, a new one each time") {
  const auto a = calp_run("audit key");
  const auto b = calp_run("audit key");
  REQUIRE(a.status == 0);
  REQUIRE(a.out.size() == 65);
  CHECK(a.out.back() == '\n');
  CHECK(a.out.find_first_not_of("0123456789abcdef\n") == std::string::npos);
  CHECK(a.out != b.out);
}

TEST_CASE("R19 calp audit verify: intact after a front-desk session, broken once edited") {
  session s;
  auto o = calp_run(s.with_db + " audit verify" + s.with_key);
  CHECK_MESSAGE(o.status == 0, o.err);
  CHECK(o.out.find("audit trail intact: 8 events, 1 to 8") != std::string::npos);
  o = calp_run(s.with_db + " audit verify --json" + s.with_key);
  REQUIRE(o.status == 0);
  const auto j = nlohmann::json::parse(o.out);
  CHECK(j["intact"] == true);
  CHECK(j["events"] == 8);
  CHECK(j["tail_link"].get<std::string>().size() == 64);
  CHECK(j["broken_at"].is_null());

  SUBCASE("the key from the environment") {
    o = calp_run(s.with_db + " audit verify", "", "CALP_AUDIT_KEY_FILE=" + shell_quoted(s.key));
    CHECK(o.status == 0);
  }
  SUBCASE("a denial turned into a grant, or the reverse") {
    sqlite3_exec(s.db, "UPDATE audit SET outcome = CASE outcome WHEN 'allowed' THEN 'denied' "
                       "ELSE 'allowed' END WHERE seq = 3");
    o = calp_run(s.with_db + " audit verify" + s.with_key);
    CHECK(o.status == 1);
    CHECK(o.out.find("BROKEN at event 3") != std::string::npos);
    o = calp_run(s.with_db + " audit verify --json" + s.with_key);
    CHECK(o.status == 1);
    CHECK(nlohmann::json::parse(o.out)["broken_at"] == 3);
  }
  SUBCASE("an event deleted") {
    sqlite3_exec(s.db, "DELETE FROM audit WHERE seq = 5");
    o = calp_run(s.with_db + " audit verify" + s.with_key);
    CHECK(o.status == 1);
    CHECK(o.out.find("BROKEN at event 6") != std::string::npos);
  }
  SUBCASE("the oldest events deleted") {
    sqlite3_exec(s.db, "DELETE FROM audit WHERE seq < 3");
    o = calp_run(s.with_db + " audit verify" + s.with_key);
    CHECK(o.status == 1);
    CHECK(o.out.find("no audit.purged event") != std::string::npos);
  }
  SUBCASE("another key") {
    const std::string other = s.dir.file("other.key");
    std::ofstream(other) << calp_run("audit key").out;
    o = calp_run(s.with_db + " audit verify --audit-key " + shell_quoted(other));
    CHECK(o.status == 1);
    CHECK(o.out.find("BROKEN at event 1") != std::string::npos);
  }
  SUBCASE("no key, or not a key: bad input, and the file's text is not repeated") {
    o = calp_run(s.with_db + " audit verify", "", "CALP_AUDIT_KEY_FILE=");
    CHECK(o.status == 2);
    CHECK(o.err.find("no audit key") != std::string::npos);
    const std::string bad = s.dir.file("bad.key");
    std::ofstream(bad) << "secretsecretsecret";
    o = calp_run(s.with_db + " audit verify --audit-key " + shell_quoted(bad));
    CHECK(o.status == 2);
    CHECK(o.err.find("calp.audit.key") != std::string::npos);
    CHECK(o.err.find("secretsecret") == std::string::npos);
    CHECK(o.out.empty());
  }
}

TEST_CASE("R19 calp audit purge: old events go, the chain is re-anchored and still verifies") {
  session s;
  // The session's events are stamped this second; the purge takes those before the next.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  const std::string before = calp::format_timestamp(now);

  auto o = calp_run(s.with_db + " audit purge --before " + before + " --by ops:jdupont" + s.with_key);
  REQUIRE_MESSAGE(o.status == 0, o.err);
  const auto done = nlohmann::json::parse(o.out);
  CHECK(done["removed"] == 8);
  CHECK(done["event_seq"] == 9);
  o = calp_run(s.with_db + " audit verify" + s.with_key);
  CHECK_MESSAGE(o.status == 0, o.out);
  CHECK(o.out.find("intact: 1 events, 9 to 9") != std::string::npos);
  // Later events chain on.
  REQUIRE(calp_run(s.with_db + " explain --dossier 1234567 --person p1 --agent A1" + s.with_key).status == 0);
  CHECK(calp_run(s.with_db + " audit verify" + s.with_key).status == 0);

  SUBCASE("refused without the key, in the future, or without a name") {
    o = calp_run(s.with_db + " audit purge --before 2020-01-01 --by ops", "", "CALP_AUDIT_KEY_FILE=");
    CHECK(o.status == 2);
    CHECK(o.err.find("no audit key") != std::string::npos);
    const std::string later = calp::format_timestamp(now + std::chrono::hours(48));
    o = calp_run(s.with_db + " audit purge --before " + later + " --by ops" + s.with_key);
    CHECK(o.status == 2);
    CHECK(o.err.find("calp.audit.invalid") != std::string::npos);
    o = calp_run(s.with_db + " audit purge --before 2020-01-01" + s.with_key);
    CHECK(o.status == 2);
    o = calp_run(s.with_db + " audit purge --before yesterday --by ops" + s.with_key);
    CHECK(o.status == 2);
  }
}

TEST_CASE("R19 calp audit events: about a person, of an agent, page by page") {
  session s;
  auto o = calp_run(s.with_db + " audit events --agent A1");
  REQUIRE_MESSAGE(o.status == 0, o.err);
  const auto of_agent = json_lines(o.out);
  CHECK(of_agent.size() == 8);
  for (const auto& e : of_agent) {
    CHECK(e["actor"] == "agent:A1");
    CHECK(e["kind"] == "decision");
    CHECK(e["detail"]["action"].is_string());
  }
  o = calp_run(s.with_db + " audit events --agent A1 --after 2 --limit 3");
  const auto page = json_lines(o.out);
  REQUIRE(page.size() == 3);
  CHECK(page[0]["seq"] == 3);

  o = calp_run(s.with_db + " audit events --person p2");
  REQUIRE(o.status == 0);
  const auto about = json_lines(o.out);
  CHECK_FALSE(about.empty());
  CHECK(about.size() < 8);
  for (const auto& e : about) CHECK((e["subject"] == "p2" || e["actor"] == "p2"));

  CHECK(calp_run(s.with_db + " audit events").status == 2);
  CHECK(calp_run(s.with_db + " audit events --person p2 --agent A1").status == 2);
  CHECK(calp_run(s.with_db + " audit events --agent A1 --limit lots").status == 2);
  CHECK(calp_run(s.with_db + " audit events --person 'not an id!'").status == 2);
}
