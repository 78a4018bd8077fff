#pragma once
// RAII over the SQLite C API: a connection that owns its prepared statements, and one
// use of a statement that resets it whatever happens. Nothing here knows calp's
// records; errors become `calp::storage_error`.

#include <sqlite3.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "calp/error.hpp"

namespace calp::sqlite_detail {

// Throws `storage_error` for `rc`, with `what` and SQLite's own message (which names
// tables and columns, never a bound value).
[[noreturn]] void fail(int rc, sqlite3* db, std::string_view what);

// Every statement the storage runs, prepared once per connection on first use.
enum class sql : std::uint8_t {
  person_by_id,
  person_version,
  person_by_nir,
  person_by_provisional_id,
  persons_born_on,
  person_id_by_nir,
  person_id_by_provisional_id,
  person_insert,
  person_update,
  household_by_dossier,
  households_of,
  households_of_person,
  household_insert,
  household_update,
  members_delete,
  member_insert,
  household_shared_email,
  account_by_person,
  account_version,
  account_by_sub,
  account_person_by_sub,
  account_insert,
  account_update,
  emails_delete,
  email_insert,
  email_shared_in_household,
  any_email,
  challenge_by_key,
  challenge_insert,
  challenge_update,
  challenge_delete,
  throttle_by_key,
  throttle_insert,
  throttle_update,
  session_by_hash,
  sessions_of,
  session_insert,
  session_update,
  session_delete,
  sessions_of_delete,
  audit_all,
  audit_by_subject,
  audit_by_actor,
  audit_by_subject_actor,
  audit_tail,
  audit_tail_seq,
  audit_insert,
  audit_tail_upsert,
  audit_purge,
  begin_immediate,
  commit,
  savepoint,
  release_savepoint,
  rollback_to_savepoint,
  count_
};

// The SQL text of each statement (schema.cpp, beside the tables it reads).
[[nodiscard]] const char* text_of(sql id) noexcept;

class connection {
 public:
  // Opens `path` with `flags` (`SQLITE_OPEN_*`), sets the busy timeout; throws.
  connection(const std::string& path, int flags, std::chrono::milliseconds busy_timeout);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  [[nodiscard]] sqlite3* get() const noexcept { return db_; }
  // Runs SQL text that returns no rows; throws.
  void exec(const char* text);
  // Runs SQL text and returns SQLite's result code instead of throwing.
  [[nodiscard]] int try_exec(const char* text) noexcept;
  // A pragma or query whose single result is an integer; throws.
  [[nodiscard]] std::int64_t query_integer(const char* text);
  // The same for a result that is text (`PRAGMA journal_mode`).
  [[nodiscard]] std::string query_text(const char* text);
  // The cached statement `id`, prepared on first use.
  [[nodiscard]] sqlite3_stmt* statement(sql id);

  // Set when the connection is in a state nobody should reuse (a rollback failed).
  bool broken = false;

 private:
  sqlite3* db_ = nullptr;
  std::array<sqlite3_stmt*, static_cast<std::size_t>(sql::count_)> statements_{};
};

// One execution of a cached statement. Text and blobs are bound without a copy
// (`SQLITE_STATIC`): they must outlive the query object, which resets the statement
// and clears its bindings when destroyed, so it never holds a read transaction open
// nor a dangling pointer.
class query {
 public:
  query(connection& c, sql id) : db_(c.get()), stmt_(c.statement(id)) {}
  ~query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  query(const query&) = delete;
  query& operator=(const query&) = delete;

  query& bind(int index, std::string_view text);
  query& bind_blob(int index, std::string_view bytes);
  query& bind(int index, std::int64_t value);
  query& bind_null(int index);

  // True for a row, false when done; throws on error.
  [[nodiscard]] bool step();
  // One step, returning SQLite's result code instead of throwing.
  [[nodiscard]] int step_code() noexcept { return sqlite3_step(stmt_); }
  // Steps to the end; throws on error.
  void run();
  // Rows changed by the last `run`.
  [[nodiscard]] std::int64_t changes() const noexcept { return sqlite3_changes64(db_); }

  [[nodiscard]] std::int64_t integer(int column) const noexcept {
    return sqlite3_column_int64(stmt_, column);
  }
  // Valid until the next step or the end of the query.
  [[nodiscard]] std::string_view text(int column) const noexcept;
  [[nodiscard]] std::string_view blob(int column) const noexcept;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

}  // namespace calp::sqlite_detail
