#pragma once
// What the SQLite storage tests share: a temporary folder removed at the end, a storage
// that owns its file, and raw access to a file through SQLite's C API.

#include <sqlite3.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>

#include "calp/storage/sqlite.hpp"
#include "unit/test_support.hpp"

namespace calp::testing {

/// A temporary folder and a SQLite storage in a file inside it.
struct sqlite_in_temp_dir {
  explicit sqlite_in_temp_dir(std::shared_ptr<const audit_key> key = nullptr)
      : store(sqlite_options{.path = dir.file("calp.db"), .audit_key = std::move(key)}) {}
  temp_dir dir;
  sqlite_storage store;
};

/// A SQLite storage in a file of its own, deleted with it: the conformance factory's
/// product. The folder and the storage are a base, so they exist before the wrapper.
class owned_sqlite_storage : private sqlite_in_temp_dir, public storage_wrapper {
 public:
  explicit owned_sqlite_storage(std::shared_ptr<const audit_key> key = nullptr)
      : sqlite_in_temp_dir(std::move(key)), storage_wrapper(store) {}
};

inline std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::string& path, std::string_view bytes, std::streamoff at = 0) {
  std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
  if (!out) out.open(path, std::ios::binary | std::ios::out);
  out.seekp(at);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

/// Runs SQL on a file through SQLite itself, as another program would.
inline void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  const std::string text = message != nullptr ? message : "";
  sqlite3_free(message);
  sqlite3_close(db);
  REQUIRE_MESSAGE(rc == SQLITE_OK, text);
}

/// The first column of the first row of a query, as text.
inline std::string raw_query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW) {
    const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    out = t != nullptr ? t : "";
  } else {
    out = std::string("error: ") + sqlite3_errmsg(db);
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

}  // namespace calp::testing
