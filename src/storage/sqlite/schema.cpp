#include "storage/sqlite/schema.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

#include "calp/storage/sqlite.hpp"

namespace calp::sqlite_detail {

namespace {

// Forward migrations: `migrations[v]` takes a file from `user_version` v to v + 1. A
// released entry never changes; a new schema adds one at the end and raises
// `sqlite_storage::schema_version`.
//
// Keys are TEXT compared with BINARY collation, which is the byte order of
// `std::string`: "in id order" means the same thing here as in the memory storage.
// Records are the codec's bytes (src/storage/codec.hpp); the other columns are copies
// of their keys, kept for the indexes and the uniqueness rules.
constexpr std::array<const char*, 1> migrations = {
    // 0 -> 1
    R"sql(
CREATE TABLE schema_info (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE persons (
  id TEXT PRIMARY KEY,
  nir TEXT UNIQUE,
  provisional_id TEXT UNIQUE,
  birth_date TEXT,
  body TEXT NOT NULL,
  version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX persons_birth_date ON persons (birth_date, id) WHERE birth_date IS NOT NULL;

-- The dossier number is 7 digits: as an integer it is the rowid, the fastest lookup
-- SQLite has, which is what find_household needs on the decision path.
CREATE TABLE households (
  dossier INTEGER PRIMARY KEY,
  body BLOB NOT NULL,
  version INTEGER NOT NULL
);

-- Rewritten on every household put: who is listed (households_of) and who is current
-- (no `left` date, for R14).
CREATE TABLE household_members (
  person TEXT NOT NULL,
  dossier INTEGER NOT NULL,
  current INTEGER NOT NULL,
  PRIMARY KEY (person, dossier)
) WITHOUT ROWID;
CREATE INDEX household_members_dossier ON household_members (dossier);

CREATE TABLE accounts (
  person TEXT PRIMARY KEY,
  franceconnect_sub TEXT UNIQUE,
  body TEXT NOT NULL,
  version INTEGER NOT NULL
) WITHOUT ROWID;

-- The e-mail addresses of each account, ASCII lower-cased (R14).
CREATE TABLE account_emails (
  person TEXT NOT NULL REFERENCES accounts (person) ON DELETE CASCADE,
  email_key TEXT NOT NULL,
  PRIMARY KEY (person, email_key)
) WITHOUT ROWID;
CREATE INDEX account_emails_key ON account_emails (email_key);

CREATE TABLE challenges (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  version INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE throttles (
  key TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  version INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  person TEXT NOT NULL,
  body TEXT NOT NULL,
  version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_person ON sessions (person, token_hash);

-- seq is assigned by the storage, never by SQLite: see audit_tail.
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  subject TEXT NOT NULL,
  dossier TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL,
  link TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit (subject, seq);
CREATE INDEX audit_actor ON audit (actor, seq);

-- A copy of the last event appended, kept when a purge removes it from `audit`: the
-- next seq follows it (numbers are never reused) and a writer can still chain to it.
CREATE TABLE audit_tail (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  subject TEXT NOT NULL,
  dossier TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL,
  link TEXT NOT NULL
);
)sql",
};

static_assert(migrations.size() == sqlite_storage::schema_version);

#define CALP_AUDIT_COLUMNS "seq, at, kind, actor, subject, dossier, outcome, detail, link"

constexpr std::array<const char*, static_cast<std::size_t>(sql::count_)> texts = {
    // person_by_id
    "SELECT body, version FROM persons WHERE id = ?1",
    // person_version
    "SELECT version FROM persons WHERE id = ?1",
    // person_by_nir
    "SELECT body, version FROM persons WHERE nir = ?1",
    // person_by_provisional_id
    "SELECT body, version FROM persons WHERE provisional_id = ?1",
    // persons_born_on
    "SELECT body, version FROM persons WHERE birth_date = ?1 ORDER BY id LIMIT ?2",
    // person_id_by_nir
    "SELECT id FROM persons WHERE nir = ?1",
    // person_id_by_provisional_id
    "SELECT id FROM persons WHERE provisional_id = ?1",
    // person_insert
    "INSERT INTO persons (id, nir, provisional_id, birth_date, body, version) "
    "VALUES (?1, ?2, ?3, ?4, ?5, 1)",
    // person_update
    "UPDATE persons SET nir = ?2, provisional_id = ?3, birth_date = ?4, body = ?5, "
    "version = version + 1 WHERE id = ?1 AND version = ?6",
    // household_by_dossier
    "SELECT body, version FROM households WHERE dossier = ?1",
    // households_of
    "SELECT dossier FROM household_members WHERE person = ?1 ORDER BY dossier",
    // households_of_person: one statement, so the index and the bodies are read in one
    // implicit read transaction and cannot disagree about a household put in between.
    "SELECT h.body, h.version, h.dossier FROM household_members m "
    "JOIN households h ON h.dossier = m.dossier WHERE m.person = ?1 ORDER BY m.dossier",
    // household_insert
    "INSERT INTO households (dossier, body, version) VALUES (?1, ?2, 1) "
    "ON CONFLICT (dossier) DO NOTHING",
    // household_update
    "UPDATE households SET body = ?2, version = version + 1 WHERE dossier = ?1 AND version = ?3",
    // members_delete
    "DELETE FROM household_members WHERE dossier = ?1",
    // member_insert
    "INSERT INTO household_members (person, dossier, current) VALUES (?1, ?2, ?3)",
    // household_shared_email: two current members of this dossier whose accounts share an
    // e-mail address; the second of them.
    "SELECT m2.person FROM household_members m1 "
    "JOIN account_emails e1 ON e1.person = m1.person "
    "JOIN account_emails e2 ON e2.email_key = e1.email_key AND e2.person <> m1.person "
    "JOIN household_members m2 ON m2.person = e2.person AND m2.dossier = m1.dossier "
    "WHERE m1.dossier = ?1 AND m1.current = 1 AND m2.current = 1 LIMIT 1",
    // account_by_person
    "SELECT body, version FROM accounts WHERE person = ?1",
    // account_version
    "SELECT version FROM accounts WHERE person = ?1",
    // account_by_sub
    "SELECT body, version FROM accounts WHERE franceconnect_sub = ?1",
    // account_person_by_sub
    "SELECT person FROM accounts WHERE franceconnect_sub = ?1",
    // account_insert
    "INSERT INTO accounts (person, franceconnect_sub, body, version) VALUES (?1, ?2, ?3, 1)",
    // account_update
    "UPDATE accounts SET franceconnect_sub = ?2, body = ?3, version = version + 1 "
    "WHERE person = ?1 AND version = ?4",
    // emails_delete
    "DELETE FROM account_emails WHERE person = ?1",
    // email_insert
    "INSERT OR IGNORE INTO account_emails (person, email_key) VALUES (?1, ?2)",
    // email_shared_in_household: another current member of a household where ?1 is
    // current has e-mail ?2 on their account.
    "SELECT m2.person FROM household_members m1 "
    "JOIN household_members m2 ON m2.dossier = m1.dossier AND m2.person <> m1.person "
    "JOIN account_emails e ON e.person = m2.person AND e.email_key = ?2 "
    "WHERE m1.person = ?1 AND m1.current = 1 AND m2.current = 1 LIMIT 1",
    // any_email
    "SELECT 1 FROM account_emails LIMIT 1",
    // challenge_by_key
    "SELECT body, version FROM challenges WHERE key = ?1",
    // challenge_insert
    "INSERT INTO challenges (key, body, version) VALUES (?1, ?2, 1) ON CONFLICT (key) DO NOTHING",
    // challenge_update
    "UPDATE challenges SET body = ?2, version = version + 1 WHERE key = ?1 AND version = ?3",
    // challenge_delete
    "DELETE FROM challenges WHERE key = ?1 AND version = ?2",
    // throttle_by_key
    "SELECT body, version FROM throttles WHERE key = ?1",
    // throttle_insert
    "INSERT INTO throttles (key, body, version) VALUES (?1, ?2, 1) ON CONFLICT (key) DO NOTHING",
    // throttle_update
    "UPDATE throttles SET body = ?2, version = version + 1 WHERE key = ?1 AND version = ?3",
    // session_by_hash
    "SELECT body, version FROM sessions WHERE token_hash = ?1",
    // sessions_of
    "SELECT body, version FROM sessions WHERE person = ?1 ORDER BY token_hash",
    // session_insert
    "INSERT INTO sessions (token_hash, person, body, version) VALUES (?1, ?2, ?3, 1) "
    "ON CONFLICT (token_hash) DO NOTHING",
    // session_update
    "UPDATE sessions SET person = ?2, body = ?3, version = version + 1 "
    "WHERE token_hash = ?1 AND version = ?4",
    // session_delete
    "DELETE FROM sessions WHERE token_hash = ?1 AND version = ?2",
    // sessions_of_delete
    "DELETE FROM sessions WHERE person = ?1",
    // audit_all
    "SELECT " CALP_AUDIT_COLUMNS " FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    // audit_by_subject
    "SELECT " CALP_AUDIT_COLUMNS " FROM audit WHERE subject = ?3 AND seq > ?1 "
    "ORDER BY seq LIMIT ?2",
    // audit_by_actor
    "SELECT " CALP_AUDIT_COLUMNS " FROM audit WHERE actor = ?3 AND seq > ?1 "
    "ORDER BY seq LIMIT ?2",
    // audit_by_subject_actor
    "SELECT " CALP_AUDIT_COLUMNS " FROM audit WHERE subject = ?3 AND actor = ?4 AND seq > ?1 "
    "ORDER BY seq LIMIT ?2",
    // audit_tail
    "SELECT " CALP_AUDIT_COLUMNS " FROM audit_tail WHERE id = 1",
    // audit_tail_seq
    "SELECT seq, link FROM audit_tail WHERE id = 1",
    // audit_insert
    "INSERT INTO audit (" CALP_AUDIT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    // audit_tail_upsert
    "INSERT INTO audit_tail (id, " CALP_AUDIT_COLUMNS ") "
    "VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (id) DO UPDATE SET "
    "seq = excluded.seq, at = excluded.at, kind = excluded.kind, actor = excluded.actor, "
    "subject = excluded.subject, dossier = excluded.dossier, outcome = excluded.outcome, "
    "detail = excluded.detail, link = excluded.link",
    // audit_purge
    "DELETE FROM audit WHERE seq < ?1",
    // begin_immediate
    "BEGIN IMMEDIATE",
    // commit
    "COMMIT",
    // savepoint: one batch of a group commit
    "SAVEPOINT calp_batch",
    // release_savepoint
    "RELEASE calp_batch",
    // rollback_to_savepoint (the savepoint stays open: release it after)
    "ROLLBACK TO calp_batch",
};

#undef CALP_AUDIT_COLUMNS

void apply_settings(connection& c, const connection_settings& settings) {
  // synchronous=FULL (the default, sqlite_durability::power_loss): in WAL mode every
  // commit syncs the WAL before `commit` returns. NORMAL already survives kill -9 of the
  // process (the WAL is in the OS cache), but a power loss or kernel crash could then
  // lose the last commits; the host chooses (sqlite.hpp).
  c.exec(fmt::format("PRAGMA synchronous = {}; PRAGMA foreign_keys = ON; "
                     "PRAGMA mmap_size = {}; PRAGMA cache_size = -{};",
                     settings.sync_each_commit ? "FULL" : "NORMAL", settings.mmap_bytes,
                     settings.cache_kib)
             .c_str());
}

struct header {
  std::int64_t application_id;
  std::int64_t user_version;
  std::int64_t objects;
};

header read_header(connection& c) {
  // Reading the header and the schema table writes nothing; a file that is not a
  // database fails here with SQLITE_NOTADB.
  return {c.query_integer("PRAGMA application_id"), c.query_integer("PRAGMA user_version"),
          c.query_integer("SELECT count(*) FROM sqlite_schema")};
}

// Throws unless the header is a calp file at a schema this calp can open, or an empty
// file. Returns true when the file is empty (a new database).
bool check_header(const header& h) {
  if (h.application_id == sqlite_storage::application_id) {
    if (h.user_version > sqlite_storage::schema_version) {
      throw storage_error(errc::storage_schema,
                          fmt::format("has schema version {}, newer than {}, "
                                      "the newest this calp knows; it was left untouched",
                                      h.user_version, sqlite_storage::schema_version));
    }
    return false;
  }
  if (h.application_id == 0 && h.user_version == 0 && h.objects == 0) return true;
  throw storage_error(errc::storage_corrupt,
                      fmt::format("is a SQLite database of another application "
                                  "(application id {:#x}), not a calp database; it was left "
                                  "untouched",
                                  static_cast<std::uint32_t>(h.application_id)));
}

}  // namespace

// A statement missing from the list would leave the last entries null: the list and the
// enum must stay in step.
static_assert(std::ranges::none_of(texts, [](const char* t) { return t == nullptr; }));

const char* text_of(sql id) noexcept { return texts[static_cast<std::size_t>(id)]; }

void prepare_database(connection& c, const connection_settings& settings, std::string_view path) {
  header before{};
  try {
    before = read_header(c);
    check_header(before);
  } catch (const storage_error& e) {
    // Name the file: the caller may open several.
    std::string_view what = e.what();
    what.remove_prefix(what.find(": ") + 2);  // the code, which the new error repeats
    if (what.starts_with("sqlite: ")) what.remove_prefix(8);
    throw storage_error(e.code(), fmt::format("`{}` {}", path, what));
  }
  if (before.application_id == sqlite_storage::application_id &&
      before.user_version == sqlite_storage::schema_version) {
    apply_settings(c, settings);
    return;
  }

  // Only now is the file written: WAL first (it is persistent, and a file with the
  // journal mode it needs), then the migrations.
  if (c.query_text("PRAGMA journal_mode = WAL") != "wal") {
    throw storage_error(errc::storage_failure, "sqlite: cannot turn write-ahead logging on");
  }
  apply_settings(c, settings);

  c.exec("BEGIN IMMEDIATE");
  try {
    // Another process may have created or migrated the file since it was read.
    const header now = read_header(c);
    check_header(now);
    const auto from = static_cast<std::size_t>(now.user_version);
    for (std::size_t v = from; v < migrations.size(); ++v) c.exec(migrations[v]);
    if (from < migrations.size()) {
      c.exec(fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {}; "
                         "INSERT OR REPLACE INTO schema_info (name, value) "
                         "VALUES ('schema_version', '{}');",
                         sqlite_storage::application_id, sqlite_storage::schema_version,
                         sqlite_storage::schema_version)
                 .c_str());
    }
    c.exec("COMMIT");
  } catch (...) {
    (void)c.try_exec("ROLLBACK");
    throw;
  }
}

void prepare_connection(connection& c, const connection_settings& settings) {
  const header h = read_header(c);
  if (check_header(h) || h.user_version != sqlite_storage::schema_version) {
    throw storage_error(errc::storage_schema,
                        "the database changed schema while it was open; open it again");
  }
  apply_settings(c, settings);
}

}  // namespace calp::sqlite_detail
