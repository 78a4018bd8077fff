#include "storage/postgres/libpq.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include <fmt/format.h>

#include "calp/storage.hpp"
#include "storage/location.hpp"

namespace calp::detail::pg {

namespace {

// libpq's messages end with a newline and sometimes hold a tab-indented hint on the next
// line: one line, the parts joined by `; `.
std::string one_line(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    if (line.empty()) continue;
    if (!out.empty()) out += "; ";
    out += line;
  }
  return out;
}

std::string big_endian(std::uint64_t v, std::size_t bytes) {
  std::string out(bytes, '\0');
  for (std::size_t i = 0; i < bytes; ++i) {
    out[bytes - 1 - i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  return out;
}

std::uint64_t from_big_endian(std::string_view bytes) {
  std::uint64_t v = 0;
  for (const char c : bytes) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

struct conninfo_deleter {
  void operator()(PQconninfoOption* o) const noexcept { PQconninfoFree(o); }
};

}  // namespace

statement_error::statement_error(std::string sqlstate, std::string message,
                                 std::string constraint, bool connection_lost)
    : sqlstate_(std::move(sqlstate)),
      message_(std::move(message)),
      constraint_(std::move(constraint)),
      connection_lost_(connection_lost) {}

// ---------------------------------------------------------------------------------------

target::target(std::string_view uri, std::chrono::milliseconds connect_timeout)
    : secrets_(location_secrets(uri)) {
  if (postgres_scheme_length(uri) == 0) {
    // Not echoed: a key/value string may hold a password in a form not recognised here.
    throw storage_error(errc::storage_location,
                        "a PostgreSQL location must be a `postgresql://` URI");
  }
  if (uri.find('\0') != std::string_view::npos) {
    throw storage_error(errc::storage_location, "the PostgreSQL URI holds a NUL character");
  }
  // libpq reads the scheme in lower case only; `open_storage` accepts any case.
  std::string text(uri);
  for (std::size_t i = 0; i < postgres_scheme_length(uri); ++i) {
    if (text[i] >= 'A' && text[i] <= 'Z') text[i] = static_cast<char>(text[i] - 'A' + 'a');
  }
  char* problem = nullptr;
  std::unique_ptr<PQconninfoOption, conninfo_deleter> options(PQconninfoParse(text.c_str(), &problem));
  if (!options) {
    std::string why = problem != nullptr ? one_line(problem) : "out of memory";
    if (problem != nullptr) PQfreemem(problem);
    throw storage_error(errc::storage_location,
                        fmt::format("malformed PostgreSQL URI: {}", scrub(why)));
  }
  std::string host, port, dbname, user;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view keyword = o->keyword;
    // calp's own settings below take precedence.
    if (keyword == "connect_timeout" || keyword == "client_encoding") continue;
    if (keyword == "password" && *o->val != '\0') secrets_.emplace_back(o->val);
    if (keyword == "host" || keyword == "hostaddr") host = host.empty() ? o->val : host;
    if (keyword == "port") port = o->val;
    if (keyword == "dbname") dbname = o->val;
    if (keyword == "user") user = o->val;
    keywords_.emplace_back(keyword);
    values_.emplace_back(o->val);
  }
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  // libpq reads the port only when connecting, and would report a malformed one as a
  // connection failure; it is a malformed URI.
  if (!port.empty() && port.find_first_not_of("0123456789,") != std::string::npos) {
    throw storage_error(errc::storage_location,
                        fmt::format("malformed PostgreSQL URI: port `{}` is not a number", scrub(port)));
  }
  const auto seconds = std::max<std::int64_t>(
      2, (connect_timeout.count() + 999) / 1000);
  keywords_.emplace_back("connect_timeout");
  values_.push_back(std::to_string(seconds));
  keywords_.emplace_back("client_encoding");
  values_.emplace_back("UTF8");
  keywords_.emplace_back("fallback_application_name");
  values_.emplace_back("calp");
  description_ = scrub(fmt::format(
      "PostgreSQL server `{}{}{}`, database `{}`", host.empty() ? "localhost" : host,
      port.empty() ? "" : ":", port, dbname.empty() ? (user.empty() ? "(default)" : user) : dbname));
}

std::string target::scrub(std::string_view text) const { return without_secrets(text, secrets_); }

// ---------------------------------------------------------------------------------------

params& params::owned(std::string bytes, int format) {
  owned_.push_back(std::move(bytes));
  values_.push_back(owned_.back().c_str());
  lengths_.push_back(static_cast<int>(owned_.back().size()));
  formats_.push_back(format);
  return *this;
}

params& params::text(std::string_view v) {
  // An empty view may have a null data(): libpq would read that as SQL NULL.
  values_.push_back(v.empty() ? "" : v.data());
  lengths_.push_back(static_cast<int>(v.size()));
  formats_.push_back(1);
  return *this;
}

params& params::int8(std::int64_t v) { return owned(big_endian(static_cast<std::uint64_t>(v), 8), 1); }

params& params::date(calp::date d) {
  using namespace std::chrono;
  constexpr sys_days epoch = year{2000} / January / 1;
  const auto days = static_cast<std::int32_t>((sys_days(d) - epoch).count());
  return owned(big_endian(static_cast<std::uint32_t>(days), 4), 1);
}

params& params::null() {
  values_.push_back(nullptr);
  lengths_.push_back(0);
  formats_.push_back(1);
  return *this;
}

params& params::text_array(std::span<const std::string> values) {
  std::string literal = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) literal += ',';
    literal += '"';
    for (const char c : values[i]) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  literal += '}';
  return owned(std::move(literal), 0);
}

params& params::bool_array(const std::vector<bool>& values) {
  std::string literal = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) literal += ',';
    literal += values[i] ? 't' : 'f';
  }
  literal += '}';
  return owned(std::move(literal), 0);
}

// ---------------------------------------------------------------------------------------

std::string_view rows::bytes(int row, int column) const noexcept {
  return {PQgetvalue(result_.get(), row, column),
          static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::int64_t rows::int8(int row, int column) const {
  const std::string_view v = bytes(row, column);
  if (is_null(row, column) || v.size() != 8) {
    throw storage_error(errc::storage_corrupt, "a PostgreSQL column holds no 64-bit integer");
  }
  return static_cast<std::int64_t>(from_big_endian(v));
}

bool rows::boolean(int row, int column) const {
  const std::string_view v = bytes(row, column);
  if (is_null(row, column) || v.size() != 1) {
    throw storage_error(errc::storage_corrupt, "a PostgreSQL column holds no boolean");
  }
  return v[0] != 0;
}

std::uint64_t rows::affected() const noexcept {
  const std::string_view tuples = PQcmdTuples(result_.get());
  std::uint64_t n = 0;
  std::from_chars(tuples.data(), tuples.data() + tuples.size(), n);
  return n;
}

// ---------------------------------------------------------------------------------------

connection::connection(const target& where) {
  std::vector<const char*> keywords, values;
  for (std::size_t i = 0; i < where.keywords().size(); ++i) {
    keywords.push_back(where.keywords()[i].c_str());
    values.push_back(where.values()[i].c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  conn_.reset(PQconnectdbParams(keywords.data(), values.data(), 0));
  if (!conn_) {
    throw storage_error(errc::storage_unavailable,
                        fmt::format("cannot connect to {}: out of memory", where.description()));
  }
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    const std::string why = where.scrub(one_line(PQerrorMessage(conn_.get())));
    // The server says so only in words (the SQLSTATE of a failed login does not reach
    // libpq's API); a server with translated messages gets `storage_unavailable`.
    const bool no_database = why.find("database \"") != std::string::npos &&
                             why.find("\" does not exist") != std::string::npos;
    throw storage_error(no_database ? errc::storage_location : errc::storage_unavailable,
                        fmt::format("cannot connect to {}: {}", where.description(), why));
  }
  // libpq prints the server's notices on stderr by default; a library says nothing.
  PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
}

rows connection::check(PGresult* r) {
  result_ptr result(r);
  if (result) {
    const ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return rows(std::move(result));
  }
  auto field = [&](int code) -> std::string {
    const char* v = result ? PQresultErrorField(result.get(), code) : nullptr;
    return v != nullptr ? v : "";
  };
  std::string message = field(PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty()) message = one_line(PQerrorMessage(conn_.get()));
  if (message.empty()) message = "no answer from the server";
  throw statement_error(field(PG_DIAG_SQLSTATE), std::move(message),
                        field(PG_DIAG_CONSTRAINT_NAME), broken());
}

rows connection::run(const statement& s, const params& p) {
  const auto index = static_cast<std::size_t>(s.id);
  if (index >= prepared_.size()) prepared_.resize(index + 1, false);
  const std::string name = fmt::format("calp_{}", s.id);
  if (!prepared_[index]) {
    check(PQprepare(conn_.get(), name.c_str(), s.sql.c_str(), 0, nullptr));
    prepared_[index] = true;
  }
  return check(PQexecPrepared(conn_.get(), name.c_str(), p.size(), p.values(), p.lengths(),
                              p.formats(), 1));
}

rows connection::run(const char* sql, const params& p) {
  return check(PQexecParams(conn_.get(), sql, p.size(), nullptr, p.values(), p.lengths(),
                            p.formats(), 1));
}

std::string connection::run(const char* sql) {
  return check(PQexec(conn_.get(), sql)).command();
}

}  // namespace calp::detail::pg
