#include "storage/sqlite/handle.hpp"

#include <fmt/format.h>

#include "calp/storage.hpp"

namespace calp::sqlite_detail {

namespace {

// The `errc` for a SQLite result code.
errc errc_of(int rc) noexcept {
  switch (rc & 0xFF) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return errc::storage_corrupt;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return errc::storage_unavailable;
    default:
      return errc::storage_failure;
  }
}

}  // namespace

void fail(int rc, sqlite3* db, std::string_view what) {
  // The connection's message describes its last error, which is `rc` when the caller
  // reports at once; without a connection, SQLite's generic text for the code.
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw storage_error(errc_of(rc), fmt::format("sqlite: {}: {}", what, detail));
}

connection::connection(const std::string& path, int flags,
                       std::chrono::milliseconds busy_timeout) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message =
        fmt::format("sqlite: cannot open `{}`: {}", path,
                    db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw storage_error(errc_of(rc), message);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
}

connection::~connection() {
  for (sqlite3_stmt* s : statements_) sqlite3_finalize(s);
  sqlite3_close_v2(db_);
}

void connection::exec(const char* text) {
  const int rc = try_exec(text);
  if (rc != SQLITE_OK) fail(rc, db_, "cannot run a statement");
}

int connection::try_exec(const char* text) noexcept {
  return sqlite3_exec(db_, text, nullptr, nullptr, nullptr);
}

namespace {

// Runs a one-row, one-column statement and hands its column to `read`.
template <class Read>
auto query_one(sqlite3* db, const char* text, Read read) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, text, -1, &s, nullptr);
  if (rc != SQLITE_OK) fail(rc, db, "cannot be read");
  rc = sqlite3_step(s);
  if (rc != SQLITE_ROW) {
    // The statement's error is copied to the connection when it is finalized.
    sqlite3_finalize(s);
    fail(rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, db, "cannot be read");
  }
  auto value = read(s);
  sqlite3_finalize(s);
  return value;
}

}  // namespace

std::int64_t connection::query_integer(const char* text) {
  return query_one(db_, text, [](sqlite3_stmt* s) { return sqlite3_column_int64(s, 0); });
}

std::string connection::query_text(const char* text) {
  return query_one(db_, text, [](sqlite3_stmt* s) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    return std::string(p != nullptr ? p : "");
  });
}

sqlite3_stmt* connection::statement(sql id) {
  sqlite3_stmt*& s = statements_[static_cast<std::size_t>(id)];
  if (s == nullptr) {
    const int rc = sqlite3_prepare_v3(db_, text_of(id), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) {
      s = nullptr;
      fail(rc, db_, "cannot prepare a statement");
    }
  }
  return s;
}

namespace {
// `sqlite3_bind_text` takes a null pointer for SQL NULL; an empty string must not be one.
const char* non_null(std::string_view s) noexcept { return s.data() != nullptr ? s.data() : ""; }
}  // namespace

query& query::bind(int index, std::string_view text) {
  const int rc = sqlite3_bind_text64(stmt_, index, non_null(text), text.size(), SQLITE_STATIC,
                                     SQLITE_UTF8);
  if (rc != SQLITE_OK) fail(rc, db_, "cannot bind a value");
  return *this;
}

query& query::bind_blob(int index, std::string_view bytes) {
  const int rc = sqlite3_bind_blob64(stmt_, index, non_null(bytes), bytes.size(), SQLITE_STATIC);
  if (rc != SQLITE_OK) fail(rc, db_, "cannot bind a value");
  return *this;
}

query& query::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) fail(rc, db_, "cannot bind a value");
  return *this;
}

query& query::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) fail(rc, db_, "cannot bind a value");
  return *this;
}

bool query::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(rc, db_, "cannot run a statement");
}

void query::run() {
  while (step()) {
  }
}

std::string_view query::text(int column) const noexcept {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  const int n = sqlite3_column_bytes(stmt_, column);
  return p != nullptr ? std::string_view(p, static_cast<std::size_t>(n)) : std::string_view{};
}

std::string_view query::blob(int column) const noexcept {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  const int n = sqlite3_column_bytes(stmt_, column);
  return p != nullptr ? std::string_view(p, static_cast<std::size_t>(n)) : std::string_view{};
}

}  // namespace calp::sqlite_detail
