// Several processes × threads, each process with its own pool, racing on one PostgreSQL
// schema: limits are never exceeded, counts are exact, a unique value has one holder,
// and R14 holds when two servers write two members of one household at once.
//
// The parent sets the schema up and checks it with storages it closes before forking
// and opens after the children are gone: no libpq connection crosses a fork.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "calp/storage/postgres.hpp"
#include "postgres_support.hpp"

namespace {

using calp::errc;
using calp_pg_test::run_workers;
using calp_pg_test::scratch_schema;

constexpr int processes = 4;
constexpr int threads = 3;

calp::person_id pid(std::string_view s) { return calp::person_id::parse(s).value(); }

calp::timestamp instant(std::int64_t seconds) {
  return calp::timestamp{std::chrono::seconds{1767225600 + seconds}};
}

// A valid NIR whose order field is `order` (1–999).
calp::nir test_nir(int order) {
  const std::string body = fmt::format("1850175100{:03}", order);
  return calp::nir::parse(fmt::format("{}{:02}", body, calp::nir::compute_key(body).value()))
      .value();
}

void must_commit(calp::storage& s, const calp::write_batch& b) {
  const auto r = s.commit(b);
  REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().message));
}

// Commit failures other than the ones a racing worker expects end the worker.
[[noreturn]] void unexpected_failure(const calp::error& e) {
  throw std::runtime_error(fmt::format("{}: {}", to_string(e.code), e.message));
}

// What committing `b` assigned, or nothing when another worker got there first (a
// conflict: read again); any other failure ends the worker.
std::optional<calp::commit_receipt> commit_or_conflict(calp::storage& s,
                                                       const calp::write_batch& b) {
  auto r = s.commit(b);
  if (r) return std::move(*r);
  if (r.error().code != errc::storage_conflict) unexpected_failure(r.error());
  return std::nullopt;
}

// Commits `b` in a fresh schema before the workers start.
void set_up(const calp_pg_test::scratch_schema& schema, const calp::write_batch& b) {
  must_commit(*schema.open(1), b);
}

}  // namespace

TEST_CASE("R13 processes and threads racing for codes never issue more than 3") {
  CALP_PG_SERVER_OR_SKIP(uri);
  const scratch_schema schema(uri);
  {
    calp::challenge_record c;
    c.key = "contact:p1:email";
    c.secret_hash = "hash";
    c.issued_at = instant(0);
    c.expires_at = instant(600);
    set_up(schema, calp::write_batch().put(c, 0));
  }
  auto* area = calp_pg_test::map_shared_area();
  const std::int64_t issued =
      run_workers(schema, processes, threads, [&](calp::storage& s, int, int workers) {
        calp_pg_test::start_line(*area, 0, workers);
        std::int64_t mine = 0;
        for (;;) {
          const auto c = s.find_challenge("contact:p1:email");
          if (!c) throw std::runtime_error("the challenge vanished");
          if (c->value.issued_count >= 3) return mine;  // R13: no fourth code
          calp::challenge_record next = c->value;
          ++next.issued_count;
          next.secret_hash = fmt::format("hash-{}", next.issued_count);
          if (commit_or_conflict(s, calp::write_batch().put(next, c->version))) ++mine;
        }
      });
  CHECK(issued == 3);
  auto store = schema.open(1);
  const auto c = store->find_challenge("contact:p1:email");
  REQUIRE(c);
  CHECK(c->value.issued_count == 3);
  CHECK(c->version == 4);
}

TEST_CASE("R12b processes and threads counting failures together lose no update") {
  CALP_PG_SERVER_OR_SKIP(uri);
  const scratch_schema schema(uri);
  {
    calp::throttle_record t;
    t.key = "login:hash-of-identifier";
    set_up(schema, calp::write_batch().put(t, 0));
  }
  constexpr int increments = 15;
  auto* area = calp_pg_test::map_shared_area();
  const std::int64_t counted =
      run_workers(schema, processes, threads, [&](calp::storage& s, int, int workers) {
        calp_pg_test::start_line(*area, 0, workers);
        std::int64_t mine = 0;
        while (mine < increments) {
          const auto t = s.find_throttle("login:hash-of-identifier");
          if (!t) throw std::runtime_error("the throttle record vanished");
          calp::throttle_record next = t->value;
          ++next.consecutive_failures;
          next.recent_failures.push_back(instant(next.consecutive_failures));
          if (commit_or_conflict(s, calp::write_batch().put(next, t->version))) ++mine;
        }
        return mine;
      });
  CHECK(counted == processes * threads * increments);
  auto store = schema.open(1);
  const auto t = store->find_throttle("login:hash-of-identifier");
  REQUIRE(t);
  CHECK(t->value.consecutive_failures == counted);
  CHECK(t->value.recent_failures.size() == static_cast<std::size_t>(counted));
  CHECK(t->version == static_cast<std::uint64_t>(counted) + 1);
}

TEST_CASE("R3 processes and threads creating persons with one NIR leave exactly one holder") {
  CALP_PG_SERVER_OR_SKIP(uri);
  const scratch_schema schema(uri);
  { auto store = schema.open(1); }  // the schema exists before the race
  constexpr int rounds = 8;
  auto* area = calp_pg_test::map_shared_area();
  const std::int64_t created =
      run_workers(schema, processes, threads, [&](calp::storage& s, int worker, int workers) {
        std::int64_t mine = 0;
        for (int round = 0; round < rounds; ++round) {
          calp_pg_test::start_line(*area, round, workers);
          calp::person_record p{pid(fmt::format("w{}-r{}", worker, round)), test_nir(round + 1),
                                std::nullopt, std::nullopt, std::nullopt};
          calp::write_batch b;
          b.put(p, 0);
          const auto r = s.commit(b);
          if (r) {
            ++mine;
          } else if (r.error().code != errc::storage_duplicate) {
            unexpected_failure(r.error());
          } else if (r.error().field != "operations[0].nir") {
            throw std::runtime_error("duplicate names " + r.error().field);
          }
        }
        return mine;
      });
  CHECK(created == rounds);
  calp_pg_test::admin db(uri);
  CHECK(db.exec(fmt::format("SELECT count(*) FROM \"{}\".persons", schema.name())) ==
        std::to_string(rounds));
  auto store = schema.open(1);
  for (int round = 0; round < rounds; ++round) {
    const auto holder = store->find_person_by_nir(test_nir(round + 1));
    REQUIRE(holder);
    CHECK(holder->value.id.str().ends_with(fmt::format("-r{}", round)));
  }
}

TEST_CASE("R14 two servers giving two members of one household the same e-mail: one wins") {
  CALP_PG_SERVER_OR_SKIP(uri);
  const scratch_schema schema(uri);
  constexpr int rounds = 12;
  const auto member_id = [](int round, int side) {
    return pid(fmt::format("{}{}", side == 0 ? "a" : "b", round));
  };
  {
    calp::write_batch setup;
    for (int round = 0; round < rounds; ++round) {
      const auto d = calp::dossier_number::parse(fmt::format("{:07}", 1000 + round)).value();
      const calp::date born{std::chrono::year{1985}, std::chrono::January, std::chrono::day{1}};
      setup.put(calp::household::make(
                    d,
                    {calp::member{member_id(round, 0), calp::member_role::allocataire, born, {}, {}},
                     calp::member{member_id(round, 1), calp::member_role::conjoint, born, {}, {}}},
                    std::nullopt)
                    .value(),
                0);
      for (int side = 0; side < 2; ++side) {
        calp::account_record a{member_id(round, side), calp::account_state::active, "", "",
                               std::nullopt, std::nullopt, {}, std::nullopt, std::nullopt, false,
                               instant(0), std::nullopt};
        setup.put(a, 0);
      }
    }
    set_up(schema, setup);
  }
  // Two processes (two servers), one per member; each round starts them together.
  auto* area = calp_pg_test::map_shared_area();
  const std::int64_t given = run_workers(schema, 2, 1, [&](calp::storage& s, int side, int workers) {
    std::int64_t mine = 0;
    for (int round = 0; round < rounds; ++round) {
      calp_pg_test::start_line(*area, round, workers);
      for (;;) {
        const auto a = s.find_account(member_id(round, side));
        if (!a) throw std::runtime_error("the account vanished");
        calp::account_record next = a->value;
        next.contacts = {calp::contact_point{calp::contact_kind::email,
                                             side == 0 ? "Famille.Martin@example.fr"
                                                       : "famille.martin@EXAMPLE.fr",
                                             std::nullopt}};
        calp::write_batch b;
        b.put(next, a->version);
        const auto r = s.commit(b);
        if (r) {
          ++mine;
          break;
        }
        if (r.error().code == errc::storage_duplicate) break;
        if (r.error().code != errc::storage_conflict) unexpected_failure(r.error());
      }
    }
    return mine;
  });
  CHECK(given == rounds);
  auto store = schema.open(1);
  for (int round = 0; round < rounds; ++round) {
    CAPTURE(round);
    int holders = 0;
    for (int side = 0; side < 2; ++side) {
      const auto a = store->find_account(member_id(round, side));
      REQUIRE(a);
      if (!a->value.contacts.empty()) ++holders;
    }
    CHECK(holders == 1);
  }
}

TEST_CASE("R19 processes and threads appending audit events get distinct numbers in order") {
  CALP_PG_SERVER_OR_SKIP(uri);
  const scratch_schema schema(uri);
  { auto store = schema.open(1); }
  constexpr int events = 10;
  auto* area = calp_pg_test::map_shared_area();
  const std::int64_t appended =
      run_workers(schema, processes, threads, [&](calp::storage& s, int worker, int workers) {
        calp_pg_test::start_line(*area, 0, workers);
        std::int64_t mine = 0;
        while (mine < events) {
          // Chained: each event names the one before it, as the audit service does.
          const auto tail = s.audit_tail();
          calp::audit_event e;
          e.at = instant(mine);
          e.kind = "login.failed";
          e.actor = fmt::format("w{}", worker);
          e.subject = "p1";
          e.outcome = "denied";
          e.link = tail ? fmt::format("after-{}", tail->seq) : "first";
          const auto r = commit_or_conflict(s, calp::write_batch().append(e, tail ? tail->seq : 0));
          if (r) {
            if (r->audit_seqs.size() != 1) throw std::runtime_error("no seq assigned");
            ++mine;
          }
        }
        return mine;
      });
  const std::int64_t total = processes * threads * events;
  CHECK(appended == total);
  auto store = schema.open(1);
  const auto trail = store->audit_events({.subject = {}, .actor = {}, .after_seq = 0, .limit = 10000});
  REQUIRE(trail.size() == static_cast<std::size_t>(total));
  for (std::size_t i = 0; i < trail.size(); ++i) {
    CHECK(trail[i].seq == i + 1);
    CHECK(trail[i].link == (i == 0 ? std::string("first") : fmt::format("after-{}", i)));
  }
  CHECK(store->audit_tail()->seq == static_cast<std::uint64_t>(total));
}
