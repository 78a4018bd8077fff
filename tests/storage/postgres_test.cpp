// What is proper to the PostgreSQL storage beyond the conformance suite: bad URIs and
// unreachable servers (with the password kept out of every message), schemas of a newer
// calp or of someone else, migrations raced by several openers, freshness across two
// pools (R10), connections the server closed, and rows damaged behind calp's back.

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "calp/authorizer.hpp"
#include "calp/storage/postgres.hpp"
#include "postgres_support.hpp"

namespace {

using calp::errc;
using calp_pg_test::admin;
using calp_pg_test::scratch_schema;

calp::person_id pid(std::string_view s) { return calp::person_id::parse(s).value(); }
calp::dossier_number dossier(std::string_view s) { return calp::dossier_number::parse(s).value(); }
calp::date day(int y, unsigned m, unsigned d) {
  return calp::date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
}

// The storage_error that opening `options` throws.
std::optional<calp::storage_error> open_error(const calp::postgres_options& options) {
  try {
    calp::postgres_storage store(options);
  } catch (const calp::storage_error& e) {
    return e;
  }
  return std::nullopt;
}

// The code of the storage_error `read` throws; nothing when it returns.
template <class F>
std::optional<errc> read_error(F&& read) {
  try {
    (void)read();
  } catch (const calp::storage_error& e) {
    return e.code();
  }
  return std::nullopt;
}

calp::postgres_options at(std::string uri) {
  calp::postgres_options o;
  o.uri = std::move(uri);
  o.connect_timeout = std::chrono::seconds(3);
  return o;
}

// One field of the server's URI as libpq reads it.
std::string uri_field(const std::string& uri, std::string_view keyword) {
  char* problem = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &problem);
  if (problem != nullptr) PQfreemem(problem);
  std::string out;
  for (const PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
    if (keyword == o->keyword && o->val != nullptr) out = o->val;
  }
  PQconninfoFree(options);
  return out;
}

// `uri` with one more query parameter.
std::string with_parameter(const std::string& uri, std::string_view parameter) {
  return fmt::format("{}{}{}", uri, uri.find('?') == std::string::npos ? '?' : '&', parameter);
}

calp::household delegated_household(std::optional<calp::date> revoked) {
  return calp::household::make(
             dossier("1234567"),
             {calp::member{pid("p1"), calp::member_role::allocataire, day(1985, 1, 1), {}, {}},
              calp::member{pid("p2"), calp::member_role::conjoint, day(1986, 1, 1), {}, {}}},
             calp::delegation{pid("p2"), day(2026, 1, 15), revoked})
      .value();
}

// Commits the delegated household above, not revoked, as a new record.
void create_household(calp::storage& store) {
  calp::write_batch b;
  b.put(delegated_household(std::nullopt), 0);
  REQUIRE(store.commit(b));
}

}  // namespace

TEST_CASE("postgres a location that is not a PostgreSQL URI names no storage") {
  for (const std::string_view bad : {"", "mysql://calp@127.0.0.1/caf", "/var/lib/calp/calp.db",
                                     "host=127.0.0.1 user=calp password=s3cret"}) {
    CAPTURE(bad);
    const auto e = open_error(at(std::string(bad)));
    REQUIRE(e);
    CHECK(e->code() == errc::storage_location);
    CHECK(std::string_view(e->what()).find("s3cret") == std::string_view::npos);
  }
}

TEST_CASE("postgres a malformed URI is refused and its password never shown") {
  for (const std::string_view bad :
       {"postgresql://calp:s3cret@[::1/caf", "postgresql://calp:s3cret@127.0.0.1:5432/caf?nonsense=1",
        "postgresql://calp:s3cret@127.0.0.1:port/caf", "postgres://calp:s3%63ret@[::1/caf",
        "postgresql://calp@[::1/caf?password=s3cret", "POSTGRESQL://calp:s3cret@127.0.0.1/caf?nonsense=1"}) {
    CAPTURE(bad);
    const auto e = open_error(at(std::string(bad)));
    REQUIRE(e);
    CHECK(e->code() == errc::storage_location);
    CHECK(std::string_view(e->what()).find("s3cret") == std::string_view::npos);
  }
}

TEST_CASE("postgres an unreachable server is unavailable and the password never shown") {
  for (const std::string_view uri : {"postgresql://calp:s3cret@127.0.0.1:1/x",
                                     "postgresql://calp@127.0.0.1:1/x?password=s3cret",
                                     "postgresql://calp:s3%63ret@127.0.0.1:1/x"}) {
    CAPTURE(uri);
    const auto e = open_error(at(std::string(uri)));
    REQUIRE(e);
    CHECK(e->code() == errc::storage_unavailable);
    const std::string_view what = e->what();
    CHECK(what.find("s3cret") == std::string_view::npos);
    CHECK(what.find("127.0.0.1") != std::string_view::npos);
  }
}

TEST_CASE("postgres an invalid schema name or pool size is refused before connecting") {
  for (const std::string_view name : {"", "Calp", "1calp", "calp-test", "calp;drop", "pg_calp",
                                      "\"calp\"", "a23456789012345678901234567890123456789012345678901234567890abcd"}) {
    CAPTURE(name);
    calp::postgres_options o = at("postgresql://calp@127.0.0.1:1/x");
    o.schema = std::string(name);
    const auto e = open_error(o);
    REQUIRE(e);
    CHECK(e->code() == errc::storage_location);
  }
  calp::postgres_options o = at("postgresql://calp@127.0.0.1:1/x");
  o.pool_size = 0;
  const auto e = open_error(o);
  REQUIRE(e);
  CHECK(e->code() == errc::storage_location);
}

TEST_CASE("postgres a database that does not exist is named, and the password never shown") {
  CALP_PG_SERVER_OR_SKIP(uri);
  const std::string host = uri_field(uri, "host").empty() ? uri_field(uri, "hostaddr")
                                                          : uri_field(uri, "host");
  const std::string port = uri_field(uri, "port");
  const std::string user = uri_field(uri, "user");
  const std::string wrong = fmt::format("postgresql://{}:s3cret@{}{}{}/calp_no_such_database",
                                        user.empty() ? "calp" : user, host, port.empty() ? "" : ":",
                                        port);
  const auto e = open_error(at(wrong));
  REQUIRE(e);
  CHECK(e->code() == errc::storage_location);
  const std::string_view what = e->what();
  CHECK(what.find("s3cret") == std::string_view::npos);
  CHECK(what.find("calp_no_such_database") != std::string_view::npos);
}

TEST_CASE("postgres opening creates the schema once, and reopening keeps the data") {
  CALP_PG_SERVER_OR_SKIP(uri);
  const scratch_schema schema(uri);
  {
    auto store = schema.open();
    CHECK(store->schema() == schema.name());
    create_household(*store);
  }
  // The scheme is read in any case, as `open_storage` routes it.
  calp::postgres_options upper = schema.options();
  upper.uri = "POSTGRESQL" + uri.substr(uri.find("://"));
  auto again = std::make_unique<calp::postgres_storage>(upper);
  const auto h = again->find_household(dossier("1234567"));
  REQUIRE(h);
  CHECK(h->version == 1);
  CHECK(h->value == delegated_household(std::nullopt));
  admin db(uri);
  CHECK(db.exec(fmt::format("SELECT count(*) FROM \"{}\".schema_info", schema.name())) == "1");
  CHECK(db.exec(fmt::format("SELECT version FROM \"{}\".schema_info", schema.name())) ==
        std::to_string(calp::postgres_storage::schema_version));
}

TEST_CASE("postgres processes opening one new schema at once set it up exactly once") {
  CALP_PG_SERVER_OR_SKIP(uri);
  const scratch_schema schema(uri);
  std::vector<std::thread> openers;
  std::atomic<int> opened{0};
  for (int i = 0; i < 6; ++i) {
    openers.emplace_back([&] {
      try {
        auto store = schema.open(1);
        (void)store->audit_tail();
        ++opened;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "open failed: %s\n", e.what());
      }
    });
  }
  for (auto& t : openers) t.join();
  CHECK(opened == 6);
  admin db(uri);
  CHECK(db.exec(fmt::format("SELECT count(*) FROM \"{}\".schema_info", schema.name())) == "1");
  CHECK(db.exec(fmt::format("SELECT count(*) FROM \"{}\".audit_tail", schema.name())) == "1");
}

TEST_CASE("postgres a schema written by a newer calp is refused and left untouched") {
  CALP_PG_SERVER_OR_SKIP(uri);
  const scratch_schema schema(uri);
  create_household(*schema.open());
  admin db(uri);
  const int newer = calp::postgres_storage::schema_version + 1;
  db.exec(fmt::format("UPDATE \"{}\".schema_info SET version = {}", schema.name(), newer));
  const auto snapshot = [&] {
    return db.exec(fmt::format(
        "SELECT string_agg(table_name || ':' || column_name || ':' || data_type, ',' ORDER BY "
        "table_name, ordinal_position) FROM information_schema.columns WHERE table_schema = '{}'",
        schema.name())) +
           "|" +
           db.exec(fmt::format("SELECT string_agg(indexname, ',' ORDER BY indexname) FROM "
                               "pg_indexes WHERE schemaname = '{}'",
                               schema.name())) +
           "|" +
           db.exec(fmt::format("SELECT md5(string_agg(dossier || encode(body, 'hex') || version, "
                               "',')) FROM \"{}\".households",
                               schema.name()));
  };
  const std::string before = snapshot();

  const auto e = open_error(schema.options());
  REQUIRE(e);
  CHECK(e->code() == errc::storage_schema);
  CHECK(std::string_view(e->what()).find(std::to_string(newer)) != std::string_view::npos);
  CHECK(db.exec(fmt::format("SELECT version FROM \"{}\".schema_info", schema.name())) ==
        std::to_string(newer));
  CHECK(snapshot() == before);
}

TEST_CASE("postgres a schema holding someone else's tables is refused and left untouched") {
  CALP_PG_SERVER_OR_SKIP(uri);
  const scratch_schema schema(uri);
  admin db(uri);
  db.exec(fmt::format("CREATE SCHEMA \"{0}\"; CREATE TABLE \"{0}\".invoices (id int); "
                      "INSERT INTO \"{0}\".invoices VALUES (42)",
                      schema.name()));
  const auto e = open_error(schema.options());
  REQUIRE(e);
  CHECK(e->code() == errc::storage_corrupt);
  CHECK(db.exec(fmt::format("SELECT count(*) FROM pg_tables WHERE schemaname = '{}'",
                            schema.name())) == "1");
  CHECK(db.exec(fmt::format("SELECT id FROM \"{}\".invoices", schema.name())) == "42");
}

TEST_CASE("R10 a délégation revoked through one pool is seen by the next read through another") {
  CALP_PG_SERVER_OR_SKIP(uri);
  const scratch_schema schema(uri);
  auto a = schema.open(2);
  auto b = schema.open(2);
  const calp::date today = day(2026, 2, 1);
  const calp::request read_dossier{"p2", calp::action::dossier_read, today};
  create_household(*a);
  // B has read (and so pooled a connection) before the revocation.
  const auto before = b->find_household(dossier("1234567"));
  REQUIRE(before);
  CHECK(calp::decide(before->value, read_dossier).allowed);

  for (std::uint64_t round = 0; round < 20; ++round) {
    // Revoked through A as of today, then granted again, over and over: every read
    // through B right after A's commit sees it.
    calp::write_batch revoke;
    revoke.put(delegated_household(today), 1 + 2 * round);
    REQUIRE(a->commit(revoke));
    const auto after = b->find_household(dossier("1234567"));
    REQUIRE(after);
    CHECK(after->version == 2 + 2 * round);
    CHECK_FALSE(calp::decide(after->value, read_dossier).allowed);

    calp::write_batch grant;
    grant.put(delegated_household(std::nullopt), 2 + 2 * round);
    REQUIRE(a->commit(grant));
    CHECK(calp::decide(b->find_household(dossier("1234567"))->value, read_dossier).allowed);
  }
}

TEST_CASE("postgres a pooled connection the server closed is replaced") {
  CALP_PG_SERVER_OR_SKIP(uri);
  const scratch_schema schema(uri);
  const std::string application = schema.name() + "_app";
  calp::postgres_options o = schema.options(1);
  o.uri = with_parameter(uri, "application_name=" + application);
  calp::postgres_storage store(o);
  admin db(uri);
  const auto kill_pool = [&] {
    db.exec(fmt::format("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = '{}'",
                        application));
    // The backend exits asynchronously; wait until it is gone.
    for (int i = 0; i < 200; ++i) {
      if (db.exec(fmt::format("SELECT count(*) FROM pg_stat_activity WHERE application_name = '{}'",
                              application)) == "0") {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };

  CHECK_FALSE(store.find_person(pid("p1")));
  kill_pool();
  // A read after the server closed the only pooled connection.
  CHECK_FALSE(store.find_person(pid("p1")));
  kill_pool();
  // A commit too: the transaction had not started, so running it again is safe.
  create_household(store);
  CHECK(store.find_household(dossier("1234567"))->version == 1);
}

TEST_CASE("postgres one connection serves many threads in turn") {
  CALP_PG_SERVER_OR_SKIP(uri);
  const scratch_schema schema(uri);
  auto store = schema.open(1);
  std::vector<std::thread> threads;
  std::atomic<int> done{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        calp::throttle_record r;
        r.key = fmt::format("k{}-{}", t, i);
        calp::write_batch b;
        b.put(r, 0);
        if (store->commit(b) && store->find_throttle(r.key)) ++done;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(done == 160);
}

TEST_CASE("postgres a row damaged behind calp's back is reported corrupt, never returned") {
  CALP_PG_SERVER_OR_SKIP(uri);
  const scratch_schema schema(uri);
  auto store = schema.open();
  create_household(*store);
  admin db(uri);
  // A body copied under another dossier never answers for that dossier.
  db.exec(fmt::format("INSERT INTO \"{0}\".households SELECT '7654321', body, version FROM "
                      "\"{0}\".households; INSERT INTO \"{0}\".household_members "
                      "VALUES ('7654321', 'p9', true)",
                      schema.name()));
  CHECK(read_error([&] { return store->find_household(dossier("7654321")); }) ==
        errc::storage_corrupt);
  CHECK(read_error([&] { return store->find_households_of(pid("p9")); }) == errc::storage_corrupt);
  db.exec(fmt::format("UPDATE \"{}\".households SET body = '\\x00ff'::bytea", schema.name()));
  CHECK(read_error([&] { return store->find_household(dossier("1234567")); }) ==
        errc::storage_corrupt);
  db.exec(fmt::format("DROP TABLE \"{}\".persons", schema.name()));
  CHECK(read_error([&] { return store->find_person(pid("p1")); }) == errc::storage_corrupt);
}

TEST_CASE("postgres keys no write could store are absent, not errors") {
  CALP_PG_SERVER_OR_SKIP(uri);
  const scratch_schema schema(uri);
  auto store = schema.open();
  CHECK_FALSE(store->find_challenge(std::string("a\0b", 3)));
  CHECK_FALSE(store->find_throttle("\xff\xfe"));
  CHECK_FALSE(store->find_session(std::string(300, 'x')));
  CHECK_FALSE(store->find_account_by_franceconnect_sub(""));
  CHECK(store->audit_events({.subject = std::string("\xc3"), .actor = {}, .after_seq = 0, .limit = 10})
            .empty());
}
