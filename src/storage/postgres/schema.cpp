#include "storage/postgres/schema.hpp"

#include <cstddef>

namespace calp::detail::pg {

bool valid_schema_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 63 || name.starts_with("pg_")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

std::string qualify(std::string_view sql, std::string_view schema) {
  std::string out;
  out.reserve(sql.size() + 8 * schema.size());
  for (const char c : sql) {
    if (c == '@') {
      out += '"';
      out += schema;
      out += '"';
    } else {
      out += c;
    }
  }
  return out;
}

// Keys and identifiers compare and sort byte by byte (`COLLATE "C"`), as the other
// storages do, whatever the database's locale. Unique keys a batch may move from one
// record to another (a NIR corrected on two persons) are checked at COMMIT
// (`DEFERRABLE INITIALLY DEFERRED`); the storage checks them itself, with the
// operation's index, before committing, so the deferred check only catches two
// transactions racing for the same value.
const std::array<std::string_view, 1> migrations = {
    R"sql(
CREATE TABLE @.schema_info (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  version integer NOT NULL
);
CREATE TABLE @.persons (
  id text COLLATE "C" PRIMARY KEY,
  nir text COLLATE "C",
  provisional_id text COLLATE "C",
  birth_date date,
  body text NOT NULL,
  version bigint NOT NULL,
  CONSTRAINT persons_nir_unique UNIQUE (nir) DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT persons_provisional_id_unique UNIQUE (provisional_id)
    DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX persons_birth_date ON @.persons (birth_date, id);
CREATE TABLE @.households (
  dossier text COLLATE "C" PRIMARY KEY,
  body bytea NOT NULL,
  version bigint NOT NULL
);
CREATE TABLE @.household_members (
  dossier text COLLATE "C" NOT NULL REFERENCES @.households ON DELETE CASCADE,
  person text COLLATE "C" NOT NULL,
  current boolean NOT NULL
);
CREATE INDEX household_members_dossier ON @.household_members (dossier);
CREATE INDEX household_members_person ON @.household_members (person, dossier);
CREATE TABLE @.accounts (
  person text COLLATE "C" PRIMARY KEY,
  franceconnect_sub text COLLATE "C",
  body text NOT NULL,
  version bigint NOT NULL,
  CONSTRAINT accounts_franceconnect_sub_unique UNIQUE (franceconnect_sub)
    DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE @.account_emails (
  person text COLLATE "C" NOT NULL REFERENCES @.accounts ON DELETE CASCADE,
  email text COLLATE "C" NOT NULL
);
CREATE INDEX account_emails_person ON @.account_emails (person);
CREATE INDEX account_emails_email ON @.account_emails (email);
CREATE TABLE @.challenges (
  key text COLLATE "C" PRIMARY KEY,
  body text NOT NULL,
  version bigint NOT NULL
);
CREATE TABLE @.throttles (
  key text COLLATE "C" PRIMARY KEY,
  body text NOT NULL,
  version bigint NOT NULL
);
CREATE TABLE @.sessions (
  token_hash text COLLATE "C" PRIMARY KEY,
  person text COLLATE "C" NOT NULL,
  body text NOT NULL,
  version bigint NOT NULL
);
CREATE INDEX sessions_person ON @.sessions (person, token_hash);
CREATE TABLE @.audit (
  seq bigint PRIMARY KEY,
  at bigint NOT NULL,
  kind text NOT NULL,
  actor text COLLATE "C" NOT NULL,
  subject text COLLATE "C" NOT NULL,
  dossier text NOT NULL,
  outcome text NOT NULL,
  detail text NOT NULL,
  link text NOT NULL
);
CREATE INDEX audit_subject ON @.audit (subject, seq);
CREATE INDEX audit_actor ON @.audit (actor, seq);
-- The last event appended, kept whole even when a purge removes it from audit: the next
-- writer chains to it (after_seq, link), and numbers are never reused.
CREATE TABLE @.audit_tail (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  last_seq bigint NOT NULL,
  at bigint NOT NULL,
  kind text NOT NULL,
  actor text NOT NULL,
  subject text NOT NULL,
  dossier text NOT NULL,
  outcome text NOT NULL,
  detail text NOT NULL,
  link text NOT NULL
);
INSERT INTO @.audit_tail (last_seq, at, kind, actor, subject, dossier, outcome, detail, link)
  VALUES (0, 0, '', '', '', '', '', '', '');
)sql",
};

std::string_view statement_sql(stmt s) noexcept {
  switch (s) {
    case stmt::find_person: return "SELECT body, version FROM @.persons WHERE id = $1::text";
    case stmt::find_person_by_nir:
      return "SELECT body, version FROM @.persons WHERE nir = $1::text";
    case stmt::find_person_by_provisional_id:
      return "SELECT body, version FROM @.persons WHERE provisional_id = $1::text";
    case stmt::find_persons_born_on:
      return "SELECT body, version FROM @.persons WHERE birth_date = $1::date ORDER BY id "
             "LIMIT $2::bigint";
    case stmt::find_household:
      return "SELECT body, version FROM @.households WHERE dossier = $1::text";
    case stmt::households_of:
      return "SELECT DISTINCT dossier FROM @.household_members WHERE person = $1::text "
             "ORDER BY dossier";
    // One statement, hence one snapshot: the member index and the bodies cannot disagree
    // about a household put committed in between. A semi-join (`IN`), as member rows
    // have no unique key: a household listing the person twice is still read once.
    case stmt::find_households_of:
      return "SELECT body, version, dossier FROM @.households WHERE dossier IN (SELECT dossier "
             "FROM @.household_members WHERE person = $1::text) ORDER BY dossier";
    case stmt::find_account: return "SELECT body, version FROM @.accounts WHERE person = $1::text";
    case stmt::find_account_by_sub:
      return "SELECT body, version FROM @.accounts WHERE franceconnect_sub = $1::text";
    case stmt::find_challenge: return "SELECT body, version FROM @.challenges WHERE key = $1::text";
    case stmt::find_throttle: return "SELECT body, version FROM @.throttles WHERE key = $1::text";
    case stmt::find_session:
      return "SELECT body, version FROM @.sessions WHERE token_hash = $1::text";
    case stmt::sessions_of:
      return "SELECT body, version FROM @.sessions WHERE person = $1::text ORDER BY token_hash";
    case stmt::audit_events:
      return "SELECT seq, at, kind, actor, subject, dossier, outcome, detail, link FROM @.audit "
             "WHERE seq > $1::bigint ORDER BY seq LIMIT $2::bigint";
    case stmt::audit_events_subject:
      return "SELECT seq, at, kind, actor, subject, dossier, outcome, detail, link FROM @.audit "
             "WHERE seq > $1::bigint AND subject = $3::text ORDER BY seq LIMIT $2::bigint";
    case stmt::audit_events_actor:
      return "SELECT seq, at, kind, actor, subject, dossier, outcome, detail, link FROM @.audit "
             "WHERE seq > $1::bigint AND actor = $3::text ORDER BY seq LIMIT $2::bigint";
    case stmt::audit_events_subject_actor:
      return "SELECT seq, at, kind, actor, subject, dossier, outcome, detail, link FROM @.audit "
             "WHERE seq > $1::bigint AND subject = $3::text AND actor = $4::text ORDER BY seq "
             "LIMIT $2::bigint";
    case stmt::audit_tail:
      return "SELECT last_seq, at, kind, actor, subject, dossier, outcome, detail, link "
             "FROM @.audit_tail WHERE last_seq > 0";

    case stmt::insert_person:
      return "INSERT INTO @.persons (id, nir, provisional_id, birth_date, body, version) "
             "VALUES ($1::text, $2::text, $3::text, $4::date, $5::text, 1) "
             "ON CONFLICT (id) DO NOTHING";
    case stmt::update_person:
      return "UPDATE @.persons SET nir = $2::text, provisional_id = $3::text, "
             "birth_date = $4::date, body = $5::text, version = version + 1 "
             "WHERE id = $1::text AND version = $6::bigint";
    case stmt::insert_household:
      return "INSERT INTO @.households (dossier, body, version) VALUES ($1::text, $2::bytea, 1) "
             "ON CONFLICT (dossier) DO NOTHING";
    case stmt::update_household:
      return "UPDATE @.households SET body = $2::bytea, version = version + 1 "
             "WHERE dossier = $1::text AND version = $3::bigint";
    // One statement: the DELETE and the INSERT see the same snapshot, so the rows just
    // inserted are not deleted (there is no unique index for them to collide on).
    case stmt::replace_members:
      return "WITH gone AS (DELETE FROM @.household_members WHERE dossier = $1::text) "
             "INSERT INTO @.household_members (dossier, person, current) "
             "SELECT $1::text, m.p, m.c FROM unnest($2::text[], $3::boolean[]) AS m(p, c)";
    // Taken in key order (sorted by the subquery), so two writers never wait on each
    // other in opposite orders for these locks.
    case stmt::lock_keys:
      return "SELECT count(pg_advisory_xact_lock(($1::bigint)::integer, hashtext(s.p))) "
             "FROM (SELECT DISTINCT unnest($2::text[]) COLLATE \"C\" AS p ORDER BY 1) AS s";
    case stmt::insert_account:
      return "INSERT INTO @.accounts (person, franceconnect_sub, body, version) "
             "VALUES ($1::text, $2::text, $3::text, 1) ON CONFLICT (person) DO NOTHING";
    case stmt::update_account:
      return "UPDATE @.accounts SET franceconnect_sub = $2::text, body = $3::text, "
             "version = version + 1 WHERE person = $1::text AND version = $4::bigint";
    case stmt::replace_emails:
      return "WITH gone AS (DELETE FROM @.account_emails WHERE person = $1::text) "
             "INSERT INTO @.account_emails (person, email) "
             "SELECT DISTINCT $1::text, e FROM unnest($2::text[]) AS e";
    case stmt::insert_challenge:
      return "INSERT INTO @.challenges (key, body, version) VALUES ($1::text, $2::text, 1) "
             "ON CONFLICT (key) DO NOTHING";
    case stmt::update_challenge:
      return "UPDATE @.challenges SET body = $2::text, version = version + 1 "
             "WHERE key = $1::text AND version = $3::bigint";
    case stmt::erase_challenge:
      return "DELETE FROM @.challenges WHERE key = $1::text AND version = $2::bigint";
    case stmt::insert_throttle:
      return "INSERT INTO @.throttles (key, body, version) VALUES ($1::text, $2::text, 1) "
             "ON CONFLICT (key) DO NOTHING";
    case stmt::update_throttle:
      return "UPDATE @.throttles SET body = $2::text, version = version + 1 "
             "WHERE key = $1::text AND version = $3::bigint";
    case stmt::insert_session:
      return "INSERT INTO @.sessions (token_hash, person, body, version) "
             "VALUES ($1::text, $2::text, $3::text, 1) ON CONFLICT (token_hash) DO NOTHING";
    case stmt::update_session:
      return "UPDATE @.sessions SET person = $2::text, body = $3::text, version = version + 1 "
             "WHERE token_hash = $1::text AND version = $4::bigint";
    case stmt::erase_session:
      return "DELETE FROM @.sessions WHERE token_hash = $1::text AND version = $2::bigint";
    case stmt::erase_sessions_of: return "DELETE FROM @.sessions WHERE person = $1::text";
    // The UPDATE takes the tail row's lock: appenders queue there, numbers follow commit
    // order, and a compare-and-set on `after_seq` sees the last committed tail.
    case stmt::append_audit:
      return "WITH t AS (UPDATE @.audit_tail SET last_seq = last_seq + 1, at = $2::bigint, "
             "kind = $3::text, actor = $4::text, subject = $5::text, dossier = $6::text, "
             "outcome = $7::text, detail = $8::text, link = $9::text "
             "WHERE $1::bigint IS NULL OR last_seq = $1::bigint RETURNING last_seq) "
             "INSERT INTO @.audit (seq, at, kind, actor, subject, dossier, outcome, detail, link) "
             "SELECT t.last_seq, $2::bigint, $3::text, $4::text, $5::text, $6::text, $7::text, "
             "$8::text, $9::text FROM t RETURNING seq";
    // The chain's previous link is needed before the event can be written: locking the
    // tail row first makes this transaction the only appender until it ends.
    case stmt::lock_audit_tail:
      return "SELECT last_seq, link FROM @.audit_tail FOR UPDATE";
    case stmt::purge_audit: return "DELETE FROM @.audit WHERE seq < $1::bigint";

    case stmt::other_person_with_nir:
      return "SELECT 1 FROM @.persons WHERE nir = $1::text AND id <> $2::text "
             "AND id <> ALL($3::text[]) LIMIT 1";
    case stmt::other_person_with_provisional_id:
      return "SELECT 1 FROM @.persons WHERE provisional_id = $1::text AND id <> $2::text "
             "AND id <> ALL($3::text[]) LIMIT 1";
    case stmt::other_account_with_sub:
      return "SELECT 1 FROM @.accounts WHERE franceconnect_sub = $1::text "
             "AND person <> $2::text AND person <> ALL($3::text[]) LIMIT 1";
    case stmt::lock_households_of:
      return "SELECT dossier FROM @.households WHERE dossier IN (SELECT dossier FROM "
             "@.household_members WHERE person = $1::text AND current) ORDER BY dossier "
             "FOR UPDATE";
    case stmt::shared_emails_of_account:
      return "SELECT mine.email, min(m1.dossier) FROM @.account_emails mine "
             "JOIN @.household_members m1 ON m1.person = mine.person AND m1.current "
             "JOIN @.household_members m2 ON m2.dossier = m1.dossier AND m2.current "
             "AND m2.person <> mine.person "
             "JOIN @.account_emails e ON e.person = m2.person AND e.email = mine.email "
             "WHERE mine.person = $1::text GROUP BY mine.email";
    case stmt::shared_email_in_household:
      return "SELECT min(m.person) FROM @.household_members m "
             "JOIN @.account_emails e ON e.person = m.person "
             "WHERE m.dossier = $1::text AND m.current "
             "GROUP BY e.email HAVING count(DISTINCT m.person) > 1 LIMIT 1";
    case stmt::count_: break;
  }
  return {};
}

}  // namespace calp::detail::pg
