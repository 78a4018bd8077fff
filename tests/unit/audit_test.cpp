// The audit trail's chain, verification, retention and queries (R19), on the memory
// storage; a wrapper that hands the verifier an altered trail plays the attacker who can
// write to the database but does not hold the key.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>
#include <memory>
#include <string>
#include <vector>

#include "calp/audit.hpp"
#include "calp/audit_writer.hpp"
#include "calp/household.hpp"
#include "calp/storage/memory.hpp"
#include "calp/storage_authorizer.hpp"
#include "calp/time.hpp"

namespace {

using calp::audit_event;
using calp::audit_key;

calp::timestamp instant(std::int64_t seconds) {
  return calp::timestamp{std::chrono::seconds{1767225600 + seconds}};  // 2026-01-01
}

std::shared_ptr<const audit_key> new_key() {
  return std::make_shared<const audit_key>(audit_key::generate());
}

audit_event event(std::int64_t at, std::string kind, std::string actor, std::string subject) {
  audit_event e;
  e.at = instant(at);
  e.kind = std::move(kind);
  e.actor = std::move(actor);
  e.subject = std::move(subject);
  e.dossier = "1234567";
  e.outcome = "ok";
  e.detail = R"({"n":1})";
  return e;
}

// `count` events, one per batch, at seconds 0, 10, 20 …; every third one in a batch of two.
void fill(calp::storage& s, int count) {
  for (int i = 0; i < count; ++i) {
    calp::write_batch b;
    b.append(event(10 * i, "login.succeeded", "p" + std::to_string(i % 3), "p" + std::to_string(i % 3)));
    if (i % 3 == 2) b.append(event(10 * i, "decision", "agent:a1", "p1"));
    REQUIRE(s.commit(b));
  }
}

// Hands out the trail as stored, altered by `edit` (which sees it whole, in seq order).
class tampered : public calp::storage_wrapper {
 public:
  tampered(calp::storage& s, std::function<void(std::vector<audit_event>&)> edit)
      : storage_wrapper(s), edit_(std::move(edit)) {}

  std::vector<audit_event> audit_events(const calp::audit_query& q) override {
    calp::audit_query all = q;
    all.after_seq = 0;
    all.limit = 1'000'000;
    auto events = storage_wrapper::audit_events(all);
    edit_(events);
    std::vector<audit_event> out;
    for (auto& e : events) {
      if (e.seq > q.after_seq && out.size() < q.limit) out.push_back(std::move(e));
    }
    return out;
  }

 private:
  std::function<void(std::vector<audit_event>&)> edit_;
};

}  // namespace

TEST_CASE("audit keys: 64 hex digits, a newline allowed, never quoted in errors") {
  const std::string hex(64, 'a');
  CHECK(audit_key::from_hex(hex));
  CHECK(audit_key::from_hex(hex + "\n"));
  CHECK(audit_key::from_hex("  " + hex + " \r\n"));
  const auto short_key = audit_key::from_hex(hex.substr(2));
  REQUIRE_FALSE(short_key);
  CHECK(short_key.error().code == calp::errc::audit_key);
  const auto not_hex = audit_key::from_hex(std::string(63, 'a') + "g");
  REQUIRE_FALSE(not_hex);
  CHECK(not_hex.error().code == calp::errc::audit_key);
  CHECK(not_hex.error().message.find("aaaa") == std::string::npos);
  const unsigned char raw[31] = {};
  CHECK(audit_key::from_bytes(raw).error().code == calp::errc::audit_key);
}

TEST_CASE("R19 a link covers every field, the previous link and the key") {
  const audit_key key = audit_key::generate();
  audit_event e = event(5, "decision", "agent:a1", "p1");
  e.seq = 7;
  const std::string link = calp::audit_link(key, "prev", e);
  CHECK(link.size() == 64);
  CHECK(calp::audit_link(key, "prev", e) == link);
  CHECK(calp::audit_link(key, "other", e) != link);
  CHECK(calp::audit_link(audit_key::generate(), "prev", e) != link);
  const std::vector<std::function<void(audit_event&)>> edits = {
      [](audit_event& x) { x.seq = 8; },
      [](audit_event& x) { x.at = instant(6); },
      [](audit_event& x) { x.kind = "decisio"; },
      [](audit_event& x) { x.actor = "agent:a2"; },
      [](audit_event& x) { x.subject = "p2"; },
      [](audit_event& x) { x.dossier = "1234568"; },
      [](audit_event& x) { x.outcome = "denied"; },
      [](audit_event& x) { x.detail = R"({"n":2})"; },
      // Moving bytes from one field to the next changes the framing, so the link.
      [](audit_event& x) {
        x.kind = "decisionagent:a1";
        x.actor = "";
      },
  };
  for (const auto& edit : edits) {
    audit_event changed = e;
    edit(changed);
    CHECK(calp::audit_link(key, "prev", changed) != link);
  }
  // The stored link itself is not hashed: a storage overwrites it.
  audit_event relinked = e;
  relinked.link = "anything";
  CHECK(calp::audit_link(key, "prev", relinked) == link);
}

TEST_CASE("R19 a storage opened with the key chains every event it appends") {
  const auto key = new_key();
  calp::memory_storage s(key);
  fill(s, 9);
  const auto events = s.audit_events({});
  REQUIRE(events.size() == 12);
  std::string previous;
  for (const auto& e : events) {
    CHECK(e.link == calp::audit_link(*key, previous, e));
    previous = e.link;
  }
  const auto v = calp::verify_audit_trail(s, *key);
  CHECK(v.intact);
  CHECK(v.problem.empty());
  CHECK(v.events == 12);
  CHECK(v.first_seq == 1);
  CHECK(v.last_seq == 12);
  CHECK(v.tail_link == events.back().link);
  CHECK(s.audit_tail()->link == v.tail_link);

  SUBCASE("a link given in the batch is replaced") {
    calp::write_batch b;
    audit_event forged = event(100, "decision", "agent:a1", "p1");
    forged.link = std::string(64, '0');
    b.append(forged);
    REQUIRE(s.commit(b));
    CHECK(s.audit_tail()->link != forged.link);
    CHECK(calp::verify_audit_trail(s, *key).intact);
  }
  SUBCASE("after_seq still guards the tail") {
    calp::write_batch b;
    b.append(event(100, "decision", "agent:a1", "p1"), 11);
    CHECK(s.commit(b).error().code == calp::errc::storage_conflict);
    calp::write_batch ok;
    ok.append(event(100, "decision", "agent:a1", "p1"), 12);
    CHECK(s.commit(ok));
    CHECK(calp::verify_audit_trail(s, *key).intact);
  }
}

TEST_CASE("R19 verify finds the first edited, removed or moved event") {
  const auto key = new_key();
  calp::memory_storage s(key);
  fill(s, 9);  // seq 1 … 12

  struct attack {
    const char* name;
    std::function<void(std::vector<audit_event>&)> edit;
    std::uint64_t broken_at;
  };
  const std::vector<attack> attacks = {
      {"an outcome edited", [](auto& ev) { ev[4].outcome = "denied"; }, 5},
      {"a date moved", [](auto& ev) { ev[6].at = instant(-1); }, 7},
      {"an actor edited in the last event", [](auto& ev) { ev.back().actor = "p9"; }, 12},
      {"an event removed", [](auto& ev) { ev.erase(ev.begin() + 3); }, 5},
      {"two events swapped",
       [](auto& ev) {
         std::swap(ev[2], ev[3]);
         std::swap(ev[2].seq, ev[3].seq);
       },
       3},
      {"two events swapped, numbers and all", [](auto& ev) { std::swap(ev[2], ev[3]); }, 4},
      {"a link recomputed without the key",
       [](auto& ev) {
         ev[1].subject = "p2";
         ev[1].link = calp::audit_link(audit_key::generate(), ev[0].link, ev[1]);
       },
       2},
      {"an event inserted",
       [](auto& ev) {
         audit_event fake = ev[5];
         fake.kind = "login.failed";
         ev.insert(ev.begin() + 6, fake);
         for (std::size_t i = 6; i < ev.size(); ++i) ev[i].seq = i + 1;
       },
       7},
      {"an unchained event", [](auto& ev) { ev[8].link.clear(); }, 9},
  };
  for (const auto& a : attacks) {
    CAPTURE(a.name);
    tampered t(s, a.edit);
    const auto v = calp::verify_audit_trail(t, *key);
    CHECK_FALSE(v.intact);
    CHECK(v.broken_at == a.broken_at);
    CHECK_FALSE(v.problem.empty());
  }

  SUBCASE("the newest events removed: the stored tail tells") {
    tampered t(s, [](auto& ev) { ev.resize(ev.size() - 2); });
    const auto v = calp::verify_audit_trail(t, *key);
    CHECK_FALSE(v.intact);
    CHECK(v.broken_at == 0);
    CHECK(v.problem.find("newest events were removed") != std::string::npos);
  }
  SUBCASE("every event removed") {
    tampered t(s, [](auto& ev) { ev.clear(); });
    const auto v = calp::verify_audit_trail(t, *key);
    CHECK_FALSE(v.intact);
    CHECK(v.problem.find("every event was removed") != std::string::npos);
  }
  SUBCASE("the oldest events removed without a purge") {
    tampered t(s, [](auto& ev) { ev.erase(ev.begin(), ev.begin() + 4); });
    const auto v = calp::verify_audit_trail(t, *key);
    CHECK_FALSE(v.intact);
    CHECK(v.broken_at == 5);
    CHECK(v.problem.find("no audit.purged event") != std::string::npos);
  }
  SUBCASE("another key finds the first event broken") {
    const auto v = calp::verify_audit_trail(s, audit_key::generate());
    CHECK_FALSE(v.intact);
    CHECK(v.broken_at == 1);
  }
}

TEST_CASE("R19 a storage opened without the key leaves events verify reports") {
  const auto key = new_key();
  calp::memory_storage s;  // no key
  fill(s, 2);
  const auto v = calp::verify_audit_trail(s, *key);
  CHECK_FALSE(v.intact);
  CHECK(v.broken_at == 1);
  CHECK(v.problem.find("without the audit key") != std::string::npos);
  calp::memory_storage empty;
  CHECK(calp::verify_audit_trail(empty, *key).intact);
}

TEST_CASE("R19 retention: a purge removes old events and re-anchors the chain, audited") {
  const auto key = new_key();
  calp::memory_storage s(key);
  fill(s, 9);  // events at 0 … 80 s, seq 1 … 12; seq 3, 4 at 20 s; 7, 8 at 50 s

  const auto purged = calp::purge_audit_trail(s, instant(25), "ops:jdupont", instant(1000));
  REQUIRE(purged);
  CHECK(purged->removed == 4);  // seq 1 … 4
  CHECK(purged->first_kept_seq == 5);
  CHECK(purged->event_seq == 13);
  auto events = s.audit_events({});
  REQUIRE(events.size() == 9);
  CHECK(events.front().seq == 5);
  const auto& record = events.back();
  CHECK(record.kind == calp::audit_purged_kind);
  CHECK(record.actor == "ops:jdupont");
  CHECK(record.at == instant(1000));
  CHECK(record.detail.find(R"("removed":4)") != std::string::npos);
  CHECK(record.detail.find(R"("before":"2026-01-01T00:00:25Z")") != std::string::npos);
  const auto v = calp::verify_audit_trail(s, *key);
  CHECK_MESSAGE(v.intact, v.problem);
  CHECK(v.first_seq == 5);
  CHECK(v.last_seq == 13);

  SUBCASE("the anchor is itself chained: editing it breaks the trail") {
    tampered t(s, [](auto& ev) {
      auto& p = ev.back();
      p.detail.replace(p.detail.find(R"("removed":4)"), 11, R"("removed":3)");
    });
    const auto broken = calp::verify_audit_trail(t, *key);
    CHECK_FALSE(broken.intact);
    CHECK(broken.broken_at == 13);
  }
  SUBCASE("more removed than the purge recorded") {
    tampered t(s, [](auto& ev) { ev.erase(ev.begin()); });
    CHECK_FALSE(calp::verify_audit_trail(t, *key).intact);
  }
  SUBCASE("a second purge, and one that removes nothing") {
    const auto second = calp::purge_audit_trail(s, instant(55), "ops:jdupont", instant(1001));
    REQUIRE(second);
    CHECK(second->removed == 4);  // seq 5 … 8
    CHECK(second->first_kept_seq == 9);
    CHECK(calp::verify_audit_trail(s, *key).intact);
    const auto none = calp::purge_audit_trail(s, instant(55), "ops:jdupont", instant(1002));
    REQUIRE(none);
    CHECK(none->removed == 0);
    const auto after = calp::verify_audit_trail(s, *key);
    CHECK_MESSAGE(after.intact, after.problem);
    CHECK(after.first_seq == 9);
  }
  SUBCASE("everything, the purge events included") {
    const auto all = calp::purge_audit_trail(s, instant(1001), "ops:jdupont", instant(1001));
    REQUIRE(all);
    CHECK(all->removed == 9);
    CHECK(all->first_kept_seq == 14);
    events = s.audit_events({});
    REQUIRE(events.size() == 1);
    CHECK(events.front().seq == 14);
    const auto after = calp::verify_audit_trail(s, *key);
    CHECK_MESSAGE(after.intact, after.problem);
    fill(s, 2);
    CHECK(calp::verify_audit_trail(s, *key).intact);
  }
  SUBCASE("refused: a date after now, no operator named") {
    const auto future = calp::purge_audit_trail(s, instant(2000), "ops:jdupont", instant(1000));
    CHECK(future.error().code == calp::errc::audit_invalid);
    CHECK(calp::purge_audit_trail(s, instant(10), "", instant(1000)).error().code ==
          calp::errc::audit_invalid);
    CHECK(calp::purge_audit_trail(s, instant(10), std::string(257, 'x'), instant(1000))
              .error()
              .code == calp::errc::audit_invalid);
    CHECK(s.audit_events({}).size() == 9);
  }
}

TEST_CASE("R19 queries: the events about a person, the events of an agent") {
  calp::memory_storage s(new_key());
  calp::write_batch b;
  b.append(event(1, "login.succeeded", "p1", "p1"))
      .append(event(2, "delegation.granted", "p1", "p2"))  // by p1, about p2
      .append(event(3, "decision", "agent:a1", "p1"))
      .append(event(4, "decision", "p2", "p1"))  // the conjoint reads p1's dossier
      .append(event(5, "decision", "agent:a2", "p2"))
      .append(event(6, "decision", "agent:a1", "p2"));
  REQUIRE(s.commit(b));

  const auto seqs = [](const std::vector<audit_event>& ev) {
    std::vector<std::uint64_t> out;
    for (const auto& e : ev) out.push_back(e.seq);
    return out;
  };
  const auto p1 = calp::person_id::parse("p1").value();
  const auto p2 = calp::person_id::parse("p2").value();
  CHECK(seqs(calp::audit_events_about(s, p1)) == std::vector<std::uint64_t>{1, 2, 3, 4});
  CHECK(seqs(calp::audit_events_about(s, p2)) == std::vector<std::uint64_t>{2, 4, 5, 6});
  CHECK(seqs(calp::audit_events_about(s, p2, 2, 2)) == std::vector<std::uint64_t>{4, 5});
  CHECK(seqs(calp::audit_events_about(s, p2, 5)) == std::vector<std::uint64_t>{6});
  CHECK(seqs(calp::audit_events_of_agent(s, "a1")) == std::vector<std::uint64_t>{3, 6});
  CHECK(seqs(calp::audit_events_of_agent(s, "a1", 3)) == std::vector<std::uint64_t>{6});
  CHECK(calp::audit_events_of_agent(s, "a3").empty());
}

TEST_CASE("R19 the catalogue lists every kind once, in order") {
  const auto kinds = calp::audit_event_kinds();
  CHECK(std::is_sorted(kinds.begin(), kinds.end()));
  CHECK(std::adjacent_find(kinds.begin(), kinds.end()) == kinds.end());
  CHECK(std::find(kinds.begin(), kinds.end(), calp::audit_purged_kind) != kinds.end());
  CHECK(std::find(kinds.begin(), kinds.end(), "decision") != kinds.end());
}

namespace {

// Refuses every commit while `failing` is set, as a database that went away would.
class flaky : public calp::storage_wrapper {
 public:
  using storage_wrapper::storage_wrapper;
  std::atomic<bool> failing{false};
  std::atomic<int> commits{0};

  calp::result<calp::commit_receipt> commit(const calp::write_batch& b) override {
    if (failing) throw calp::storage_error(calp::errc::storage_unavailable, "database gone");
    ++commits;
    return storage_wrapper::commit(b);
  }
};

}  // namespace

TEST_CASE("R19 the audit writer commits events in groups, all of them, chained") {
  const auto key = new_key();
  calp::memory_storage s(key);
  flaky counted(s);
  {
    calp::audit_writer writer(counted, {.max_batch = 64, .max_delay = std::chrono::milliseconds(5)});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&writer, t] {
        for (int i = 0; i < 500; ++i) {
          REQUIRE(writer.submit(event(i, "decision", "agent:a" + std::to_string(t), "p1")));
        }
      });
    }
    for (auto& th : threads) th.join();
    REQUIRE(writer.flush());
    const auto stats = writer.stats();
    CHECK(stats.committed == 2000);
    CHECK(stats.pending == 0);
    CHECK(stats.commits < 2000);  // grouped
    CHECK(stats.commits >= 2000 / 64);
  }
  calp::audit_query all;
  all.limit = 5000;
  CHECK(s.audit_events(all).size() == 2000);
  CHECK(counted.commits < 2000);
  CHECK(calp::verify_audit_trail(s, *key).intact);
}

TEST_CASE("R19 the audit writer keeps events the storage refuses, and never fails open") {
  calp::memory_storage s(new_key());
  flaky db(s);
  db.failing = true;
  calp::audit_writer writer(db, {.max_batch = 4, .max_delay = std::chrono::milliseconds(1),
                                 .max_pending = 8});
  for (int i = 0; i < 8; ++i) REQUIRE(writer.submit(event(i, "decision", "agent:a1", "p1")));
  const auto flushed = writer.flush();
  REQUIRE_FALSE(flushed);
  CHECK(flushed.error().code == calp::errc::storage_unavailable);
  CHECK(flushed.error().message.find("database gone") != std::string::npos);
  // Full: refused, and the refusal says why.
  const auto refused = writer.submit(event(9, "decision", "agent:a1", "p1"));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == calp::errc::storage_unavailable);
  CHECK(refused.error().message.find("database gone") != std::string::npos);

  SUBCASE("an authorizer through that writer gives no answer") {
    calp::storage_authorizer authz(db, writer);
    const auto a = authz.authorize("p1", calp::dossier_number::parse("1234567").value(),
                                   calp::action::dossier_read, calp::channel::front_desk, "a1",
                                   calp::date{std::chrono::year{2026}, std::chrono::month{1},
                                              std::chrono::day{1}});
    REQUIRE_FALSE(a);
    CHECK(a.error().code == calp::errc::storage_unavailable);
  }
  SUBCASE("once the storage is back, nothing was lost") {
    db.failing = false;
    REQUIRE(writer.flush());
    CHECK(s.audit_events({}).size() == 8);
    CHECK(writer.submit(event(9, "decision", "agent:a1", "p1")));
  }
}

TEST_CASE("R19 the audit writer refuses a malformed event at once, and commits the rest") {
  calp::memory_storage s;
  {
    calp::audit_writer writer(s);
    const auto bad = writer.submit(event(1, std::string(65, 'k'), "p1", "p1"));
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == calp::errc::storage_invalid);
    REQUIRE(writer.submit(event(2, "decision", "p1", "p1")));
    REQUIRE(writer.submit(event(3, "decision", "p1", "p1")));
  }  // the destructor commits what waits
  CHECK(s.audit_events({}).size() == 2);
}

TEST_CASE("R8 R19 the authorizer audits through a writer: the same answers, every event") {
  calp::memory_storage s(new_key());
  const auto h = calp::household::from_json(R"({
    "dossier": "1234567",
    "members": [
      {"id": "p1", "role": "allocataire", "birth_date": "1980-01-01"},
      {"id": "p2", "role": "conjoint", "birth_date": "1981-01-01"}
    ]})");
  REQUIRE(h);
  calp::write_batch b;
  b.put(*h, 0);
  REQUIRE(s.commit(b));
  const auto dossier = calp::dossier_number::parse("1234567").value();
  const calp::date day{std::chrono::year{2026}, std::chrono::month{3}, std::chrono::day{1}};

  calp::storage_authorizer direct(s);
  calp::audit_writer writer(s);
  calp::storage_authorizer queued(s, writer);
  for (const auto a : calp::all_actions) {
    for (const char* who : {"p1", "p2"}) {
      const auto x = direct.authorize(who, dossier, a, calp::channel::front_desk, "a1", day);
      const auto y = queued.authorize(who, dossier, a, calp::channel::front_desk, "a1", day);
      REQUIRE(x);
      REQUIRE(y);
      CHECK(x->allowed == y->allowed);
      CHECK(x->reason == y->reason);
      CHECK(x->audit_seq.has_value());
      CHECK_FALSE(y->audit_seq.has_value());
    }
  }
  REQUIRE(writer.flush());
  const auto events = calp::audit_events_of_agent(s, "a1", 0, 1000);
  CHECK(events.size() == 2 * 2 * calp::all_actions.size());
}
