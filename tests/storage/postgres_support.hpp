#pragma once
// What the PostgreSQL tests share: the server they use (`CALP_TEST_POSTGRES_URI`, set by
// scripts/with-postgres.sh or by CI), a scratch schema per test, a plain libpq
// connection to look at or tamper with the database from outside calp, and a way to run
// workers in several processes.
//
// Without a server the tests cannot run. When the build says PostgreSQL is required
// (CMake option CALP_REQUIRE_POSTGRES, on in CI) that is a failure; otherwise each test
// prints `skip_marker`, which ctest reports as "Skipped" (SKIP_REGULAR_EXPRESSION).

#include <libpq-fe.h>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "calp/storage/postgres.hpp"

#ifndef CALP_REQUIRE_POSTGRES
#define CALP_REQUIRE_POSTGRES 0
#endif

namespace calp_pg_test {

inline constexpr const char* skip_marker = "calp-postgres-tests: SKIPPED";

inline std::optional<std::string> server_uri() {
  const char* uri = std::getenv("CALP_TEST_POSTGRES_URI");
  if (uri == nullptr || *uri == '\0') return std::nullopt;
  return std::string(uri);
}

inline std::string missing_server_message() {
  return CALP_REQUIRE_POSTGRES
             ? "CALP_TEST_POSTGRES_URI is unset and this build requires PostgreSQL "
               "(CALP_REQUIRE_POSTGRES): run the tests through scripts/with-postgres.sh"
             : fmt::format("{}: CALP_TEST_POSTGRES_URI is unset (run the tests through "
                           "scripts/with-postgres.sh)",
                           skip_marker);
}

// The server's URI; without one, fails the test (required) or reports the skip and
// returns from the test case.
#define CALP_PG_SERVER_OR_SKIP(uri_variable)                   \
  const auto uri_variable##_found = ::calp_pg_test::server_uri(); \
  if (!uri_variable##_found) {                                 \
    if (CALP_REQUIRE_POSTGRES) {                               \
      FAIL(::calp_pg_test::missing_server_message());          \
    }                                                          \
    std::printf("%s\n", ::calp_pg_test::missing_server_message().c_str()); \
    std::fflush(stdout);                                       \
    return;                                                    \
  }                                                            \
  const std::string& uri_variable = *uri_variable##_found

// A plain libpq connection, for what the tests do behind calp's back.
class admin {
 public:
  explicit admin(const std::string& uri) : conn_(PQconnectdb(uri.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string why = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw std::runtime_error("test connection failed: " + why);
    }
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  }
  ~admin() { PQfinish(conn_); }
  admin(const admin&) = delete;
  admin& operator=(const admin&) = delete;

  // Runs `sql`; returns the first column of the first row as text, or "" if none.
  std::string exec(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const ExecStatusType status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const std::string why = PQresultErrorMessage(r);
      PQclear(r);
      throw std::runtime_error(fmt::format("test SQL `{}` failed: {}", sql, why));
    }
    std::string out;
    if (PQntuples(r) > 0 && PQnfields(r) > 0) out = PQgetvalue(r, 0, 0);
    PQclear(r);
    return out;
  }

 private:
  PGconn* conn_;
};

// A schema name no other test (of this run, or of any process) uses.
inline std::string unique_schema_name() {
  static std::atomic<int> counter{0};
  return fmt::format("t_{}_{}_{}", ::getpid(), counter.fetch_add(1),
                     std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

// A schema name reserved for one test: dropped (with everything in it) at the end.
class scratch_schema {
 public:
  explicit scratch_schema(std::string uri) : uri_(std::move(uri)), name_(unique_schema_name()) {}
  ~scratch_schema() {
    try {
      admin(uri_).exec(fmt::format("DROP SCHEMA IF EXISTS \"{}\" CASCADE", name_));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "could not drop test schema %s: %s\n", name_.c_str(), e.what());
    }
  }
  scratch_schema(const scratch_schema&) = delete;
  scratch_schema& operator=(const scratch_schema&) = delete;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& uri() const noexcept { return uri_; }
  [[nodiscard]] calp::postgres_options options(std::size_t pool_size = 4) const {
    calp::postgres_options o;
    o.uri = uri_;
    o.schema = name_;
    o.pool_size = pool_size;
    return o;
  }
  [[nodiscard]] std::unique_ptr<calp::postgres_storage> open(
      std::size_t pool_size = 4, std::shared_ptr<const calp::audit_key> key = nullptr) const {
    auto o = options(pool_size);
    o.audit_key = std::move(key);
    return std::make_unique<calp::postgres_storage>(std::move(o));
  }

 private:
  std::string uri_;
  std::string name_;
};

// Memory shared by the parent and every worker process, for start lines.
struct shared_area {
  std::atomic<int> arrived[256];
};

inline shared_area* map_shared_area() {
  void* p = ::mmap(nullptr, sizeof(shared_area), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
  auto* area = new (p) shared_area;
  for (auto& a : area->arrived) a.store(0);
  return area;
}

// Waits until `total` workers reached start line `line`, so that they then race.
inline void start_line(shared_area& area, int line, int total) {
  area.arrived[line].fetch_add(1);
  while (area.arrived[line].load() < total) std::this_thread::yield();
}

// What one worker process reports.
struct worker_report {
  std::int64_t sum = 0;
  std::int32_t ok = 0;
  char message[256] = {};
};

// Runs `work(storage, worker, workers)` on `threads` threads in each of `processes`
// child processes, each process with its own `postgres_storage` (its own pool) on
// `schema`; returns the sum of the values returned. The parent opens no connection of
// its own while children exist, and children leave with `_exit`, so no libpq
// connection is ever shared across `fork`. A worker that throws fails the test.
inline std::int64_t run_workers(const scratch_schema& schema, int processes, int threads,
                                const std::function<std::int64_t(calp::storage&, int, int)>& work) {
  int reports[2];
  REQUIRE(::pipe(reports) == 0);
  std::fflush(stdout);
  std::fflush(stderr);
  std::vector<pid_t> children;
  const int workers = processes * threads;
  for (int p = 0; p < processes; ++p) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(reports[0]);
      worker_report report;
      try {
        calp::postgres_storage store(schema.options(static_cast<std::size_t>(threads)));
        std::atomic<std::int64_t> sum{0};
        std::atomic<bool> failed{false};
        std::string failure;
        std::mutex failure_mutex;
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) {
          pool.emplace_back([&, t] {
            try {
              sum += work(store, p * threads + t, workers);
            } catch (const std::exception& e) {
              std::lock_guard lock(failure_mutex);
              failed = true;
              failure = e.what();
            }
          });
        }
        for (auto& t : pool) t.join();
        report.sum = sum.load();
        report.ok = failed ? 0 : 1;
        std::snprintf(report.message, sizeof report.message, "%s", failure.c_str());
      } catch (const std::exception& e) {
        report.ok = 0;
        std::snprintf(report.message, sizeof report.message, "%s", e.what());
      }
      // One write of less than PIPE_BUF bytes: never interleaved with another child's.
      const ssize_t written = ::write(reports[1], &report, sizeof report);
      ::_exit(written == static_cast<ssize_t>(sizeof report) && report.ok ? 0 : 3);
    }
    children.push_back(child);
  }
  ::close(reports[1]);
  std::int64_t total = 0;
  for (int p = 0; p < processes; ++p) {
    worker_report report;
    std::size_t got = 0;
    while (got < sizeof report) {
      const ssize_t n = ::read(reports[0], reinterpret_cast<char*>(&report) + got, sizeof report - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    REQUIRE_MESSAGE(got == sizeof report, "a worker process died without reporting");
    CHECK_MESSAGE(report.ok == 1, "worker failed: ", report.message);
    total += report.sum;
  }
  ::close(reports[0]);
  for (const pid_t child : children) {
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  return total;
}

}  // namespace calp_pg_test
