#pragma once
// RAII over libpq's C API, and the few pieces the PostgreSQL storage builds on: where to
// connect (with the password kept out of every message), one connection that prepares
// its statements on first use, statement parameters and results in the binary format.
//
// Nothing here knows calp's tables; `postgres_storage.cpp` does.

#include <libpq-fe.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "calp/date.hpp"

namespace calp::detail::pg {

struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

struct connection_deleter {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
using connection_ptr = std::unique_ptr<PGconn, connection_deleter>;

// A statement the server (or libpq) refused. `message` is the server's primary message
// only: the DETAIL of an error may quote the values of a row (a NIR), so it is never
// kept.
class statement_error : public std::exception {
 public:
  statement_error(std::string sqlstate, std::string message, std::string constraint,
                  bool connection_lost);
  [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }
  [[nodiscard]] const std::string& sqlstate() const noexcept { return sqlstate_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  [[nodiscard]] const std::string& constraint() const noexcept { return constraint_; }
  // The connection is no longer usable: the server closed it, or the network failed.
  [[nodiscard]] bool connection_lost() const noexcept { return connection_lost_; }

 private:
  std::string sqlstate_;
  std::string message_;
  std::string constraint_;
  bool connection_lost_;
};

// Where to connect: the parsed URI plus calp's own settings. Built once per storage.
// Throws `storage_error(errc::storage_location)` for a string that is not a PostgreSQL
// URI libpq accepts; the message never holds the password.
class target {
 public:
  target(std::string_view uri, std::chrono::milliseconds connect_timeout);

  // `text` with every form of the password this target knows replaced by `***`.
  [[nodiscard]] std::string scrub(std::string_view text) const;
  // `host `h` port `p` database `d``, for messages; never the password.
  [[nodiscard]] const std::string& description() const noexcept { return description_; }

  [[nodiscard]] const std::vector<std::string>& keywords() const noexcept { return keywords_; }
  [[nodiscard]] const std::vector<std::string>& values() const noexcept { return values_; }

 private:
  std::vector<std::string> keywords_;
  std::vector<std::string> values_;
  std::vector<std::string> secrets_;  // the password as written and as decoded
  std::string description_;
};

// Statement parameters, all sent in the binary format except text-form arrays. Types come
// from the casts in the SQL (`$1::bigint`). Views passed to `text` and `bytea` must
// outlive the call that uses the parameters.
class params {
 public:
  params& text(std::string_view v);
  params& bytea(std::string_view v) { return text(v); }
  params& optional_text(std::optional<std::string_view> v) { return v ? text(*v) : null(); }
  params& int8(std::int64_t v);
  params& date(calp::date d);
  params& null();
  // A `text[]` or `boolean[]` in the text format (`{"a","b"}`); the elements are quoted.
  params& text_array(std::span<const std::string> values);
  params& bool_array(const std::vector<bool>& values);

  [[nodiscard]] int size() const noexcept { return static_cast<int>(values_.size()); }
  [[nodiscard]] const char* const* values() const noexcept { return values_.data(); }
  [[nodiscard]] const int* lengths() const noexcept { return lengths_.data(); }
  [[nodiscard]] const int* formats() const noexcept { return formats_.data(); }

 private:
  params& owned(std::string bytes, int format);

  std::deque<std::string> owned_;  // stable addresses
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// The rows of a statement run with binary results. Accessors throw
// `storage_error(errc::storage_corrupt)` when a value is not of the expected size.
class rows {
 public:
  explicit rows(result_ptr r) : result_(std::move(r)) {}
  [[nodiscard]] int size() const noexcept { return PQntuples(result_.get()); }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  [[nodiscard]] bool is_null(int row, int column) const noexcept {
    return PQgetisnull(result_.get(), row, column) != 0;
  }
  [[nodiscard]] std::string_view bytes(int row, int column) const noexcept;
  [[nodiscard]] std::int64_t int8(int row, int column) const;
  [[nodiscard]] bool boolean(int row, int column) const;
  // Rows a command changed (`UPDATE`, `INSERT`, `DELETE`).
  [[nodiscard]] std::uint64_t affected() const noexcept;
  // The command status tag (`COMMIT`, `ROLLBACK`, `INSERT 0 1`).
  [[nodiscard]] std::string command() const { return PQcmdStatus(result_.get()); }

 private:
  result_ptr result_;
};

// A statement this storage runs often: prepared once per connection, on first use.
struct statement {
  int id = 0;
  std::string sql;
};

// One open connection. Not thread-safe: the pool lends it to one caller at a time.
class connection {
 public:
  // Connects. Throws `storage_error`: `storage_location` when the database does not
  // exist, `storage_unavailable` for any other failure; messages are scrubbed.
  explicit connection(const target& where);

  // Runs a prepared statement with binary results. Throws `statement_error`.
  rows run(const statement& s, const params& p);
  // Runs one-off SQL with parameters (binary results). Throws `statement_error`.
  rows run(const char* sql, const params& p);
  // Runs SQL without parameters, possibly several statements (DDL, BEGIN, COMMIT).
  // Returns the command status tag of the last one (`COMMIT`, `ROLLBACK`).
  std::string run(const char* sql);

  // libpq knows the connection failed (only learnt after some I/O).
  [[nodiscard]] bool broken() const noexcept { return PQstatus(conn_.get()) == CONNECTION_BAD; }
  // No transaction open: the connection may go back to the pool.
  [[nodiscard]] bool idle() const noexcept {
    return PQtransactionStatus(conn_.get()) == PQTRANS_IDLE;
  }

 private:
  rows check(PGresult* r);

  connection_ptr conn_;
  std::vector<bool> prepared_;
};

}  // namespace calp::detail::pg
