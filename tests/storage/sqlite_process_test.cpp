// The SQLite storage shared by processes: a commit reported before kill -9 is in the
// file afterwards, and processes × threads hammering one limit never exceed it nor lose
// an update (R12b, R13, R3).
//
// Children are forked; each opens its own `sqlite_storage` after the fork (SQLite
// connections must not cross a fork), reports through a pipe, and never uses doctest.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "calp/storage/sqlite.hpp"
#include "calp/testing/storage_conformance.hpp"
#include "storage/sqlite_support.hpp"

namespace {

using calp::errc;
using calp::sqlite_options;
using calp::sqlite_storage;
using calp::testing::raw_query;
using calp::testing::temp_dir;
using namespace calp::testing::conformance;
using namespace std::chrono_literals;

// Writes all of `text` to `fd` (one `write` when under PIPE_BUF, so lines from several
// threads never interleave).
bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Forks a child that runs `body(write_fd)` then exits with its return value. Returns
// the child's pid and the read end of its pipe.
template <class Body>
std::pair<pid_t, int> spawn(Body body) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    int code = 90;
    try {
      code = body(fds[1]);
    } catch (...) {
      code = 91;
    }
    ::_exit(code);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

std::string dossier_for(int round, int n) {
  char text[8];
  std::snprintf(text, sizeof text, "%02d%05d", round, n);
  return text;
}

// The child of one durability round: commits batches in a loop, each a challenge, a
// household and an audit event, and reports each challenge key once its commit returned.
int durable_writer(const std::string& path, int round, int fd) {
  // Both durabilities survive the death of the process; odd rounds use the faster one.
  sqlite_storage s(sqlite_options{.path = path,
                                  .durability = round % 2 == 0
                                                    ? calp::sqlite_durability::power_loss
                                                    : calp::sqlite_durability::process_crash});
  for (int n = 0; n < 99999; ++n) {
    const std::string key = "r" + std::to_string(round) + "-" + std::to_string(n);
    calp::write_batch b;
    b.put(make_challenge(key), 0)
        .put(make_household(dossier_for(round, n), {adult("p" + std::to_string(n),
                                                          calp::member_role::allocataire)}),
             0)
        .append(make_event("write", key));
    if (!s.commit(b)) return 3;
    if (!write_all(fd, key + "\n")) return 4;
  }
  return 0;
}

TEST_CASE("sqlite every commit reported before kill -9 is in the file afterwards, 24 rounds, "
          "either durability") {
  temp_dir dir;
  const std::string path = dir.file("durable.db");
  { sqlite_storage create(sqlite_options{.path = path}); }
  std::mt19937 rng(std::random_device{}());
  std::vector<std::string> reported;
  constexpr int rounds = 24;
  for (int round = 0; round < rounds; ++round) {
    auto [pid, fd] = spawn([&](int out) { return durable_writer(path, round, out); });
    // From "before the child opened the file" to "after many commits".
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 120));
    REQUIRE(::kill(pid, SIGKILL) == 0);
    const int status = wait_for(pid);
    // Killed, or (rarely) finished on its own; never failed.
    CHECK_MESSAGE((WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0)),
                  "child exit status ", WEXITSTATUS(status));
    for (auto& key : lines_of(read_all(fd))) reported.push_back(std::move(key));
    ::close(fd);
  }
  MESSAGE(reported.size() << " commits reported over " << rounds << " rounds");
  CHECK(reported.size() > static_cast<std::size_t>(rounds));

  CHECK(raw_query(path, "PRAGMA integrity_check") == "ok");
  sqlite_storage s(sqlite_options{.path = path});
  std::set<std::string> subjects;
  calp::audit_query all;
  all.limit = 1'000'000;
  for (const auto& e : s.audit_events(all)) subjects.insert(e.subject);
  for (const std::string& key : reported) {
    CAPTURE(key);
    CHECK(s.find_challenge(key));
    CHECK(subjects.count(key) == 1);
  }
  // Atomic too: every batch in the file is whole, reported or not.
  for (int round = 0; round < rounds; ++round) {
    for (int n = 0;; ++n) {
      const std::string key = "r" + std::to_string(round) + "-" + std::to_string(n);
      const bool challenge = s.find_challenge(key).has_value();
      CHECK(challenge == s.find_household(dossier(dossier_for(round, n))).has_value());
      CHECK(challenge == (subjects.count(key) == 1));
      if (!challenge) break;
    }
  }
}

// One worker of the contention test: the R13 limit, a counter by compare-and-swap, and
// the race for one NIR. Returns "issued increments won\n", or an empty string on an
// unexpected error.
std::string hammer(sqlite_storage& s, const std::string& worker, int increments) {
  int issued = 0;
  for (;;) {
    const auto c = s.find_challenge("contact:p1:email");
    if (!c) return {};
    if (c->value.issued_count >= 3) break;  // R13: at most 3 codes
    auto next = c->value;
    ++next.issued_count;
    const auto r = s.commit(put_one(next, c->version));
    if (r) {
      ++issued;
    } else if (r.error().code != errc::storage_conflict) {
      return {};
    }
  }
  int counted = 0;
  while (counted < increments) {
    const auto t = s.find_throttle("login:shared");
    if (!t) return {};
    auto next = t->value;
    ++next.consecutive_failures;
    const auto r = s.commit(put_one(next, t->version));
    if (r) {
      ++counted;
    } else if (r.error().code != errc::storage_conflict) {
      return {};
    }
  }
  auto person = full_person(worker, 42, 0);
  person.provisional_id.reset();
  const auto r = s.commit(put_one(person, 0));
  if (!r && r.error().code != errc::storage_duplicate) return {};
  return fmt::format("{} {} {}\n", issued, counted, r ? 1 : 0);
}

TEST_CASE("R13 R12b processes and threads on one file never exceed a limit nor lose a count") {
  temp_dir dir;
  const std::string path = dir.file("shared.db");
  {
    sqlite_storage s(sqlite_options{.path = path});
    calp::write_batch b;
    b.put(make_challenge("contact:p1:email", 0), 0).put(make_throttle("login:shared"), 0);
    must_commit(s, b);
  }
  constexpr int processes = 4;
  constexpr int threads = 4;
  constexpr int increments = 15;
  std::vector<std::pair<pid_t, int>> children;
  for (int p = 0; p < processes; ++p) {
    children.push_back(spawn([&](int out) {
      sqlite_storage s(sqlite_options{.path = path, .busy_timeout = 60s});
      std::atomic<bool> ok{true};
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
          try {
            const std::string line =
                hammer(s, "w" + std::to_string(p) + "-" + std::to_string(t), increments);
            if (line.empty() || !write_all(out, line)) ok = false;
          } catch (...) {
            ok = false;
          }
        });
      }
      for (auto& t : pool) t.join();
      return ok ? 0 : 5;
    }));
  }
  int issued = 0;
  int counted = 0;
  int won = 0;
  int reports = 0;
  for (auto [pid, fd] : children) {
    for (const std::string& line : lines_of(read_all(fd))) {
      int i = 0;
      int c = 0;
      int w = 0;
      REQUIRE(std::sscanf(line.c_str(), "%d %d %d", &i, &c, &w) == 3);
      issued += i;
      counted += c;
      won += w;
      ++reports;
    }
    ::close(fd);
    const int status = wait_for(pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(reports == processes * threads);
  sqlite_storage s(sqlite_options{.path = path});
  // R13: exactly three codes issued, whoever issued them.
  CHECK(issued == 3);
  CHECK(s.find_challenge("contact:p1:email")->value.issued_count == 3);
  // R12b: no failure lost: every successful increment is in the counter, once.
  CHECK(counted == processes * threads * increments);
  const auto counter = s.find_throttle("login:shared");
  CHECK(counter->value.consecutive_failures == static_cast<std::uint32_t>(counted));
  CHECK(counter->version == static_cast<std::uint64_t>(counted) + 1);
  // R3: one NIR, one person.
  CHECK(won == 1);
  CHECK(s.find_person_by_nir(test_nir(42)));
  CHECK(raw_query(path, "PRAGMA integrity_check") == "ok");
}

}  // namespace
