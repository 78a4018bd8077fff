// The SQLite storage: the conformance suite, then what is proper to one file: bad files
// refused without a byte changed, the schema header, and freshness between two handles
// on one file (R10).

#include "calp/storage/sqlite.hpp"

#include <doctest/doctest.h>

#include <random>
#include <set>
#include <string>

#include "calp/testing/storage_conformance.hpp"
#include "storage/sqlite_support.hpp"

namespace {

struct sqlite_factory {
  static std::unique_ptr<calp::storage> make() {
    return std::make_unique<calp::testing::owned_sqlite_storage>();
  }
  static std::unique_ptr<calp::storage> make_chained(std::shared_ptr<const calp::audit_key> key) {
    return std::make_unique<calp::testing::owned_sqlite_storage>(std::move(key));
  }
};

}  // namespace

TYPE_TO_STRING_AS("sqlite", sqlite_factory);
CALP_STORAGE_CONFORMANCE(sqlite_factory);

namespace {

using calp::errc;
using calp::sqlite_options;
using calp::sqlite_storage;
using calp::testing::file_bytes;
using calp::testing::raw_exec;
using calp::testing::raw_query;
using calp::testing::temp_dir;
using calp::testing::write_bytes;
using namespace calp::testing::conformance;

errc open_error(const std::string& path) {
  try {
    sqlite_storage s(sqlite_options{.path = path});
  } catch (const calp::storage_error& e) {
    MESSAGE(std::string(e.what()));
    return e.code();
  }
  FAIL("the storage opened");
  return errc::storage_failure;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

// A calp database with one household in it, closed.
void make_calp_database(const std::string& path) {
  sqlite_storage s(sqlite_options{.path = path});
  must_commit(s, put_one(make_household("1234567", {adult("p1", calp::member_role::allocataire)}), 0));
}

TEST_CASE("sqlite a new file gets the calp application id, the schema version and WAL") {
  temp_dir dir;
  const std::string path = dir.file("new.db");
  make_calp_database(path);
  CHECK(raw_query(path, "PRAGMA application_id") == std::to_string(sqlite_storage::application_id));
  CHECK(raw_query(path, "PRAGMA user_version") == std::to_string(sqlite_storage::schema_version));
  CHECK(raw_query(path, "PRAGMA journal_mode") == "wal");
  CHECK(raw_query(path, "PRAGMA integrity_check") == "ok");
  // Reopened: the data is there and nothing is migrated again.
  sqlite_storage again(sqlite_options{.path = path});
  CHECK(again.find_household(dossier("1234567")));
}

TEST_CASE("sqlite an existing empty file becomes a calp database") {
  temp_dir dir;
  const std::string path = dir.file("empty.db");
  write_bytes(path, "");
  make_calp_database(path);
  CHECK(raw_query(path, "PRAGMA application_id") == std::to_string(sqlite_storage::application_id));
}

TEST_CASE("sqlite a file of random bytes is storage_corrupt and left unchanged") {
  temp_dir dir;
  const std::string path = dir.file("noise.db");
  const std::string noise = random_bytes(8192, 7);
  write_bytes(path, noise);
  CHECK(open_error(path) == errc::storage_corrupt);
  CHECK(file_bytes(path) == noise);
}

TEST_CASE("sqlite a text file is storage_corrupt and left unchanged") {
  temp_dir dir;
  const std::string path = dir.file("notes.txt");
  const std::string text = "household 1234567\nnot a database\n";
  write_bytes(path, text);
  CHECK(open_error(path) == errc::storage_corrupt);
  CHECK(file_bytes(path) == text);
}

TEST_CASE("sqlite a calp database with its header scribbled is storage_corrupt and left unchanged") {
  temp_dir dir;
  const std::string path = dir.file("scribbled.db");
  make_calp_database(path);
  SUBCASE("the file header") { write_bytes(path, random_bytes(100, 11), 0); }
  SUBCASE("the rest of the first page, the schema table") {
    write_bytes(path, random_bytes(3996, 13), 100);
  }
  const std::string before = file_bytes(path);
  CHECK(open_error(path) == errc::storage_corrupt);
  CHECK(file_bytes(path) == before);
}

TEST_CASE("sqlite a database of another application is storage_corrupt and left unchanged") {
  temp_dir dir;
  const std::string path = dir.file("foreign.db");
  SUBCASE("tables and no application id") {
    raw_exec(path, "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); "
                   "INSERT INTO invoices VALUES (1, 9.5);");
  }
  SUBCASE("another application id") { raw_exec(path, "PRAGMA application_id = 1234;"); }
  SUBCASE("another application id, in WAL mode") {
    raw_exec(path, "PRAGMA journal_mode = WAL; PRAGMA application_id = 1234; "
                   "CREATE TABLE t (x);");
  }
  SUBCASE("only a user version") { raw_exec(path, "PRAGMA user_version = 1;"); }
  const std::string before = file_bytes(path);
  CHECK(open_error(path) == errc::storage_corrupt);
  CHECK(file_bytes(path) == before);
  CHECK(raw_query(path, "PRAGMA integrity_check") == "ok");
}

TEST_CASE("sqlite a database of a newer schema is storage_schema and left unchanged") {
  temp_dir dir;
  const std::string path = dir.file("newer.db");
  make_calp_database(path);
  raw_exec(path, "PRAGMA user_version = " + std::to_string(sqlite_storage::schema_version + 1));
  const std::string before = file_bytes(path);
  CHECK(open_error(path) == errc::storage_schema);
  CHECK(file_bytes(path) == before);
  CHECK(raw_query(path, "PRAGMA user_version") ==
        std::to_string(sqlite_storage::schema_version + 1));
}

TEST_CASE("sqlite a path whose folder does not exist is storage_unavailable") {
  temp_dir dir;
  const std::string path = (dir.path() / "missing" / "calp.db").string();
  CHECK(open_error(path) == errc::storage_unavailable);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "missing"));
}

TEST_CASE("sqlite a folder, an empty path or :memory: is not a database file") {
  temp_dir dir;
  CHECK(open_error(dir.path().string()) == errc::storage_unavailable);
  CHECK(open_error("") == errc::storage_location);
  CHECK(open_error(":memory:") == errc::storage_location);
}

TEST_CASE("sqlite a damaged household row is storage_corrupt on read, not a household") {
  temp_dir dir;
  const std::string path = dir.file("rows.db");
  make_calp_database(path);
  raw_exec(path, "UPDATE households SET body = x'01313233' WHERE dossier = 1234567");
  sqlite_storage s(sqlite_options{.path = path});
  try {
    (void)s.find_household(dossier("1234567"));
    FAIL("read a damaged row");
  } catch (const calp::storage_error& e) {
    CHECK(e.code() == errc::storage_corrupt);
  }
}

TEST_CASE("R10 a délégation revoked through one handle is seen by the next read of another") {
  temp_dir dir;
  const std::string path = dir.file("shared.db");
  sqlite_storage a(sqlite_options{.path = path});
  sqlite_storage b(sqlite_options{.path = path});
  using calp::member_role;
  const std::vector<calp::member> members{adult("p1", member_role::allocataire),
                                          adult("p2", member_role::conjoint)};
  const auto granted = calp::household::make(dossier("1234567"), members,
                                             calp::delegation{pid("p2"), day(2026, 1, 15), std::nullopt})
                           .value();
  must_commit(a, put_one(granted, 0));
  // b reads it, so its statements and page cache hold the old state.
  REQUIRE(b.find_household(dossier("1234567"))->value.delegation()->revoked == std::nullopt);

  const auto revoked = calp::household::make(dossier("1234567"), members,
                                             calp::delegation{pid("p2"), day(2026, 1, 15),
                                                              day(2026, 3, 1)})
                           .value();
  must_commit(a, put_one(revoked, 1));
  const auto seen = b.find_household(dossier("1234567"));
  REQUIRE(seen);
  CHECK(seen->version == 2);
  CHECK(seen->value.delegation()->revoked == day(2026, 3, 1));

  // And the other way: a separation committed through b is seen by a.
  const auto separated =
      calp::household::make(dossier("1234567"),
                            {adult("p1", member_role::allocataire),
                             adult("p2", member_role::conjoint, day(2026, 4, 1))},
                            calp::delegation{pid("p2"), day(2026, 1, 15), day(2026, 3, 1)})
          .value();
  must_commit(b, put_one(separated, 2));
  CHECK(a.find_household(dossier("1234567"))->value.find("p2")->left == day(2026, 4, 1));
}

TEST_CASE("R10 a stale write through one handle conflicts after a commit through another") {
  temp_dir dir;
  const std::string path = dir.file("shared.db");
  sqlite_storage a(sqlite_options{.path = path});
  sqlite_storage b(sqlite_options{.path = path});
  must_commit(a, put_one(make_challenge("contact:p1:email", 1), 0));
  const auto read_a = a.find_challenge("contact:p1:email");
  const auto read_b = b.find_challenge("contact:p1:email");
  auto next = read_a->value;
  next.issued_count = 2;
  must_commit(a, put_one(next, read_a->version));
  auto stale = read_b->value;
  stale.issued_count = 2;
  must_fail(b, put_one(stale, read_b->version), errc::storage_conflict, "operations[0]");
  CHECK(b.find_challenge("contact:p1:email")->version == 2);
}

TEST_CASE("sqlite audit numbers continue after a purge and after reopening") {
  temp_dir dir;
  const std::string path = dir.file("audit.db");
  {
    sqlite_storage s(sqlite_options{.path = path});
    calp::write_batch b;
    b.append(make_event("login.ok")).append(make_event("login.ok")).append(make_event("login.ok"));
    CHECK(must_commit(s, b).audit_seqs == std::vector<std::uint64_t>{1, 2, 3});
    calp::write_batch purge;
    purge.purge_audit(4);
    must_commit(s, purge);
    CHECK(s.audit_events({}).empty());
    REQUIRE(s.audit_tail());
    CHECK(s.audit_tail()->seq == 3);
  }
  sqlite_storage s(sqlite_options{.path = path});
  calp::write_batch b;
  b.append(make_event("login.failed"), 3);
  CHECK(must_commit(s, b).audit_seqs == std::vector<std::uint64_t>{4});
  CHECK(seqs_of(s.audit_events({})) == std::vector<std::uint64_t>{4});
}

TEST_CASE("sqlite many threads share one storage object") {
  temp_dir dir;
  sqlite_storage s(sqlite_options{.path = dir.file("threads.db"), .max_idle_connections = 2});
  must_commit(s, put_one(make_household("1234567", {adult("p1", calp::member_role::allocataire)}), 0));
  std::atomic<int> found{0};
  run_threads(8, [&](int t) {
    for (int i = 0; i < 200; ++i) {
      if (s.find_household(dossier("1234567"))) ++found;
      if (i % 50 == 0) {
        calp::write_batch b;
        b.put(make_throttle("t" + std::to_string(t) + "-" + std::to_string(i)), 0);
        must_commit(s, b);
      }
    }
  });
  CHECK(found == 1600);
  CHECK(s.find_throttle("t7-150"));
}

TEST_CASE("sqlite batches committed at once by many threads each get their own outcome") {
  // Group commit: concurrent batches share a transaction, each under a savepoint. Mix
  // batches that must succeed with batches that must conflict halfway through (their
  // first put is fine, their second names a stale version), and batches that break R14.
  temp_dir dir;
  sqlite_storage s(sqlite_options{.path = dir.file("group.db"),
                                  .durability = calp::sqlite_durability::process_crash});
  must_commit(s, put_one(make_throttle("existing"), 0));
  constexpr int threads = 16;
  constexpr int rounds = 60;
  std::atomic<int> applied{0};
  std::atomic<int> conflicted{0};
  std::atomic<int> wrong{0};
  run_threads(threads, [&](int t) {
    for (int i = 0; i < rounds; ++i) {
      const std::string key = "k" + std::to_string(t) + "-" + std::to_string(i);
      calp::write_batch b;
      b.put(make_throttle(key), 0).append(make_event("group", key));
      const bool doomed = (t + i) % 3 == 0;
      if (doomed) b.put(make_throttle("existing"), 0);  // exists: a conflict
      const auto r = s.commit(b);
      if (doomed) {
        if (!r && r.error().code == errc::storage_conflict) ++conflicted;
        else ++wrong;
      } else {
        if (r && r->audit_seqs.size() == 1) ++applied;
        else ++wrong;
      }
    }
  });
  CHECK(wrong == 0);
  CHECK(applied + conflicted == threads * rounds);
  // What succeeded is there, with its audit event; nothing of a conflicting batch is.
  calp::audit_query q;
  q.limit = 100000;
  const auto events = s.audit_events(q);
  CHECK(events.size() == static_cast<std::size_t>(applied.load()));
  std::set<std::uint64_t> seqs;
  for (const auto& e : events) seqs.insert(e.seq);
  CHECK(seqs.size() == events.size());
  for (int t = 0; t < threads; ++t) {
    for (int i = 0; i < rounds; ++i) {
      const std::string key = "k" + std::to_string(t) + "-" + std::to_string(i);
      CHECK(s.find_throttle(key).has_value() == ((t + i) % 3 != 0));
    }
  }
}

}  // namespace
