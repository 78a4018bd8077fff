#pragma once
/// \file
/// The storage conformance suite: the contract of `calp::storage` (`calp/storage.hpp`)
/// as doctest test cases, written once and run against every implementation — calp's
/// own (memory, SQLite, PostgreSQL) and a host's.
///
/// A host proves its storage with one test file:
///
/// ```cpp
/// #include <calp/testing/storage_conformance.hpp>
///
/// struct my_storage_factory {
///   // A fresh, empty storage for every test case.
///   static std::unique_ptr<calp::storage> make() { return std::make_unique<my_storage>(); }
///   // The same, chaining the audit events it appends with `key`.
///   static std::unique_ptr<calp::storage> make_chained(std::shared_ptr<const calp::audit_key> key) {
///     return std::make_unique<my_storage>(std::move(key));
///   }
/// };
/// TYPE_TO_STRING_AS("my storage", my_storage_factory);  // the name ctest shows
/// CALP_STORAGE_CONFORMANCE(my_storage_factory);
/// ```
///
/// and links `calp::testing` (which brings `calp::calp` and `doctest::doctest`) plus a
/// doctest main (`#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN` in one source file).
/// Include this header in exactly one source file of a test executable. Several
/// factories may be listed in one `CALP_STORAGE_CONFORMANCE(a, b)`, or invoked one per
/// line.
///
/// Every test case name starts with `storage conformance:`, names the rule it proves
/// when there is one (`R14 …`), and ends with `<factory name>`. The multi-threaded cases
/// share the one storage `make()` returned between threads, as the contract allows.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "calp/audit.hpp"
#include "calp/storage.hpp"
#include "calp/time.hpp"

namespace calp::testing::conformance {

// ----- values used by the suite

inline person_id pid(std::string_view s) { return person_id::parse(s).value(); }
inline dossier_number dossier(std::string_view s) { return dossier_number::parse(s).value(); }

inline date day(int y, unsigned m, unsigned d) {
  return date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
}

/// 2026-01-01T00:00:00Z plus `seconds`.
inline timestamp instant(std::int64_t seconds) {
  return timestamp{std::chrono::seconds{1767225600 + seconds}};
}

/// A valid NIR (born January 1985, Paris) whose order field is `order` (1–999).
inline calp::nir test_nir(int order) {
  char body[16];
  std::snprintf(body, sizeof body, "1850175100%03d", order);
  const int key = nir::compute_key(body).value();
  char full[20];
  std::snprintf(full, sizeof full, "%s%02d", body, key);
  return nir::parse(full).value();
}

inline calp::provisional_id test_provisional_id(int n) {
  char text[16];
  std::snprintf(text, sizeof text, "P%08d", n);
  return provisional_id::parse(text).value();
}

/// A person with every optional field set, non-ASCII names included.
inline person_record full_person(std::string_view id, int nir_order, int provisional) {
  return person_record{
      pid(id),
      test_nir(nir_order),
      test_provisional_id(provisional),
      instant(86400),
      calp::civil_status{
          "Łukasiewicz-Éloïse",
          "Zoë 李 Ñandú 😀",
          calp::gender::female,
          day(1985, 3, 2),
          "99134",
          "",
          "Barcelona – Gràcia",
          {parent_names{"García Ñúñez", "José María"}, parent_names{"Łukasiewicz", "Zofia"}},
          "75011",
      },
  };
}

/// A person with no optional field.
inline person_record bare_person(std::string_view id) {
  return person_record{pid(id), std::nullopt, std::nullopt, std::nullopt, std::nullopt};
}

/// A person known by their birth date only (what `find_persons_born_on` reads).
inline person_record person_born(std::string_view id, date birth) {
  person_record r = bare_person(id);
  r.civil_status = calp::civil_status{};
  r.civil_status->family_name = "Martin";
  r.civil_status->given_names = "Camille";
  r.civil_status->gender = calp::gender::male;
  r.civil_status->birth_date = birth;
  r.civil_status->birth_country = "99100";
  r.civil_status->birth_place = "75111";
  return r;
}

inline member adult(std::string_view id, member_role role, std::optional<date> left = {}) {
  return member{pid(id), role, day(1985, 1, 1), {}, left};
}

inline household make_household(std::string_view number, std::vector<member> members,
                                std::optional<calp::delegation> d = std::nullopt) {
  return household::make(dossier(number), std::move(members), std::move(d)).value();
}

/// A household with benefits, a member who left and a revoked délégation.
inline household full_household(std::string_view number) {
  member allocataire = adult("p1", member_role::allocataire);
  allocataire.benefits = {benefit{"AF", day(2020, 1, 1), day(2024, 12, 31)},
                          benefit{"APL", day(2021, 6, 1), std::nullopt}};
  member conjoint = adult("p2", member_role::conjoint);
  conjoint.benefits = {benefit{"AAH", day(2024, 1, 1), std::nullopt}};
  member child = member{pid("p3"), member_role::other, day(2004, 2, 29), {}, day(2026, 9, 1)};
  return make_household(number, {allocataire, conjoint, child},
                        calp::delegation{pid("p2"), day(2026, 1, 15), day(2026, 3, 1)});
}

/// An account with no optional field and no contact.
inline account_record bare_account(std::string_view person) {
  // Every field spelled out: `person_id` has no default, so the record cannot be
  // default-built, and a partial list trips -Wmissing-field-initializers.
  return account_record{pid(person), account_state::awaiting_first_connection, "", "",
                        std::nullopt, std::nullopt, {}, std::nullopt, std::nullopt, false,
                        instant(0), std::nullopt};
}

/// An account with every optional field set.
inline account_record full_account(std::string_view person) {
  account_record a = bare_account(person);
  a.state = account_state::active;
  a.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo";
  a.legacy_password_hash = "legacy$0123456789abcdef";
  a.terms_version = "2026-01";
  a.terms_accepted_at = instant(60);
  a.contacts = {contact_point{contact_kind::mobile, "+33612345678", instant(120)},
                contact_point{contact_kind::email, "zoé.łukasiewicz@exemple.fr", std::nullopt}};
  a.franceconnect_sub = "b6f3c6c0e9a1-sub-é";
  a.delegation_offer_accepted = false;
  a.civil_status_locked = true;
  a.created_at = instant(1);
  a.password_changed_at = instant(180);
  return a;
}

/// An account whose only contact is `email`.
inline account_record account_with_email(std::string_view person, std::string email) {
  account_record a = bare_account(person);
  a.contacts = {contact_point{contact_kind::email, std::move(email), std::nullopt}};
  return a;
}

inline challenge_record make_challenge(std::string key, std::uint32_t issued = 1) {
  challenge_record c;
  c.key = std::move(key);
  c.secret_hash = "hash-of-123456";
  c.issued_at = instant(0);
  c.expires_at = instant(600);
  c.issued_count = issued;
  return c;
}

inline throttle_record make_throttle(std::string key, std::uint32_t failures = 0) {
  throttle_record t;
  t.key = std::move(key);
  t.consecutive_failures = failures;
  for (std::uint32_t n = 0; n < failures; ++n) t.recent_failures.push_back(instant(n));
  return t;
}

inline session_record make_session(std::string token_hash, std::string_view person) {
  return session_record{std::move(token_hash), pid(person), session_kind::full, "password",
                        instant(0), instant(60), instant(3600)};
}

inline audit_event make_event(std::string kind, std::string subject = "p1",
                              std::string actor = "p1") {
  audit_event e;
  e.at = instant(5);
  e.kind = std::move(kind);
  e.actor = std::move(actor);
  e.subject = std::move(subject);
  e.outcome = "ok";
  return e;
}

// ----- commits

/// Commits `b` and fails the test case when the commit fails.
inline commit_receipt must_commit(storage& s, const write_batch& b) {
  auto r = s.commit(b);
  // The error is read only when there is one: doctest may build the message of a
  // passing assertion too (`-s`), and `error()` on a value is a misuse.
  if (!r) FAIL("commit failed: ", r.error().message, " (", r.error().field, ")");
  return *r;
}

/// Commits `b` and checks it fails with `code` (and `field` when not empty).
inline void must_fail(storage& s, const write_batch& b, errc code, std::string_view field = {}) {
  auto r = s.commit(b);
  REQUIRE_MESSAGE(!r.has_value(), "commit succeeded, expected ", to_string(code));
  CHECK_MESSAGE(r.error().code == code, "got ", to_string(r.error().code), ": ",
                r.error().message);
  if (!field.empty()) CHECK(r.error().field == field);
  CHECK(!r.error().message.empty());
}

template <class T>
write_batch put_one(T record, std::uint64_t expected_version) {
  write_batch b;
  b.put(std::move(record), expected_version);
  return b;
}

inline std::vector<std::string> dossiers_of(storage& s, std::string_view person) {
  std::vector<std::string> out;
  for (const auto& d : s.households_of(pid(person))) out.emplace_back(d.str());
  return out;
}

/// `find_households_of(person)` must answer what `households_of` then `find_household`
/// of each dossier answer when nothing is written in between: same households, same
/// order, same versions.
inline void check_households_of_in_one_read(storage& s, std::string_view person) {
  std::vector<versioned<household>> two_reads;
  for (const auto& d : s.households_of(pid(person))) {
    auto h = s.find_household(d);
    REQUIRE_MESSAGE(h, "households_of lists ", d.str(), " but find_household finds nothing");
    two_reads.push_back(std::move(*h));
  }
  const auto one_read = s.find_households_of(pid(person));
  REQUIRE_MESSAGE(one_read.size() == two_reads.size(), "for ", person);
  for (std::size_t i = 0; i < one_read.size(); ++i) {
    CHECK(one_read[i].value.dossier() == two_reads[i].value.dossier());
    CHECK(one_read[i].value == two_reads[i].value);
    CHECK(one_read[i].version == two_reads[i].version);
  }
}

inline std::vector<std::uint64_t> seqs_of(const std::vector<audit_event>& events) {
  std::vector<std::uint64_t> out;
  for (const auto& e : events) out.push_back(e.seq);
  return out;
}

/// Runs `fn(thread_index)` on `n` threads at once.
template <class Fn>
void run_threads(int n, Fn fn) {
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(n));
  for (int t = 0; t < n; ++t) threads.emplace_back(fn, t);
  for (auto& t : threads) t.join();
}

}  // namespace calp::testing::conformance

// Each case is its own template, so ctest lists and runs them one by one.

TEST_CASE_TEMPLATE_DEFINE("storage conformance: a fresh storage answers absent and empty",
                          Factory, calp_storage_conformance_empty) {
  using namespace calp::testing::conformance;
  auto s = Factory::make();
  REQUIRE(s != nullptr);
  CHECK_FALSE(s->find_person(pid("p1")));
  CHECK_FALSE(s->find_person_by_nir(test_nir(1)));
  CHECK_FALSE(s->find_person_by_provisional_id(test_provisional_id(1)));
  CHECK(s->find_persons_born_on(day(1985, 3, 2), 10).empty());
  CHECK_FALSE(s->find_household(dossier("1234567")));
  CHECK(s->households_of(pid("p1")).empty());
  CHECK_FALSE(s->find_account(pid("p1")));
  CHECK_FALSE(s->find_account_by_franceconnect_sub("sub"));
  CHECK_FALSE(s->find_challenge("contact:p1:email"));
  CHECK_FALSE(s->find_throttle("login:x"));
  CHECK_FALSE(s->find_session("token"));
  CHECK(s->sessions_of(pid("p1")).empty());
  CHECK(s->audit_events({}).empty());
  CHECK_FALSE(s->audit_tail());
  // An empty batch is a valid commit that assigns nothing.
  const auto receipt = must_commit(*s, calp::write_batch{});
  CHECK(receipt.audit_seqs.empty());
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: every record kind reads back equal with every optional field set",
    Factory, calp_storage_conformance_round_trip_full) {
  using namespace calp::testing::conformance;
  using calp::write_batch;
  auto s = Factory::make();
  const auto person = full_person("p1", 1, 1);
  const auto house = full_household("1234567");
  const auto account = full_account("p1");
  auto challenge = make_challenge("contact:p1:email", 2);
  challenge.person = pid("p1");
  challenge.failed_attempts = 4;
  challenge.consumed = true;
  challenge.payload = R"({"contact":"zoé@exemple.fr","note":"ü 😀"})";
  auto throttle = make_throttle("login:Zm9v", 7);
  throttle.recent_failures = {instant(60), instant(61), instant(-86400), instant(4102444800)};
  throttle.blocked_until = instant(900);
  auto session = make_session("c2Vzc2lvbg", "p1");
  session.kind = calp::session_kind::first_connection;
  session.method = "franceconnect";
  auto event = make_event("login.failed", "p1", "agent:42");
  event.dossier = "1234567";
  event.outcome = "denied";
  event.detail = R"({"reason":"mot de passe erroné","ip":"192.0.2.1"})";
  event.link = "bGluay0w";
  event.seq = 99;  // ignored: the storage assigns it

  write_batch b;
  b.put(person, 0).put(house, 0).put(account, 0).put(challenge, 0).put(throttle, 0);
  b.put(session, 0).append(event);
  const auto receipt = must_commit(*s, b);
  REQUIRE(receipt.audit_seqs.size() == 1);
  CHECK(receipt.audit_seqs[0] == 1);

  const auto p = s->find_person(pid("p1"));
  REQUIRE(p);
  CHECK(p->value == person);
  CHECK(p->version == 1);
  REQUIRE(s->find_person_by_nir(test_nir(1)));
  CHECK(s->find_person_by_nir(test_nir(1))->value == person);
  REQUIRE(s->find_person_by_provisional_id(test_provisional_id(1)));
  CHECK(s->find_person_by_provisional_id(test_provisional_id(1))->value == person);
  const auto born = s->find_persons_born_on(day(1985, 3, 2), 10);
  REQUIRE(born.size() == 1);
  CHECK(born[0].value == person);
  CHECK(born[0].version == 1);

  const auto h = s->find_household(dossier("1234567"));
  REQUIRE(h);
  CHECK(h->value == house);
  CHECK(h->value.to_json() == house.to_json());
  CHECK(h->version == 1);

  const auto a = s->find_account(pid("p1"));
  REQUIRE(a);
  CHECK(a->value == account);
  CHECK(a->version == 1);
  const auto by_sub = s->find_account_by_franceconnect_sub("b6f3c6c0e9a1-sub-é");
  REQUIRE(by_sub);
  CHECK(by_sub->value == account);

  const auto c = s->find_challenge("contact:p1:email");
  REQUIRE(c);
  CHECK(c->value == challenge);
  CHECK(c->version == 1);
  const auto t = s->find_throttle("login:Zm9v");
  REQUIRE(t);
  CHECK(t->value == throttle);
  CHECK(t->version == 1);
  const auto ss = s->find_session("c2Vzc2lvbg");
  REQUIRE(ss);
  CHECK(ss->value == session);
  CHECK(ss->version == 1);
  const auto of = s->sessions_of(pid("p1"));
  REQUIRE(of.size() == 1);
  CHECK(of[0].value == session);

  auto expected_event = event;
  expected_event.seq = 1;
  const auto events = s->audit_events({});
  REQUIRE(events.size() == 1);
  CHECK(events[0] == expected_event);
  const auto tail = s->audit_tail();
  REQUIRE(tail);
  CHECK(*tail == expected_event);
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: every record kind reads back equal with every optional field unset",
    Factory, calp_storage_conformance_round_trip_bare) {
  using namespace calp::testing::conformance;
  using calp::write_batch;
  auto s = Factory::make();
  const auto person = bare_person("p1");
  const auto house = make_household("7654321", {adult("p1", calp::member_role::allocataire)});
  const auto account = bare_account("p1");
  calp::challenge_record challenge;
  challenge.key = "k";
  calp::throttle_record throttle;
  throttle.key = "t";
  calp::session_record session{"s", pid("p1"), calp::session_kind::full, "", {}, {}, {}};
  calp::audit_event event;
  event.kind = "x";

  write_batch b;
  b.put(person, 0).put(house, 0).put(account, 0).put(challenge, 0).put(throttle, 0);
  b.put(session, 0).append(event);
  must_commit(*s, b);

  REQUIRE(s->find_person(pid("p1")));
  CHECK(s->find_person(pid("p1"))->value == person);
  REQUIRE(s->find_household(dossier("7654321")));
  CHECK(s->find_household(dossier("7654321"))->value == house);
  REQUIRE(s->find_account(pid("p1")));
  CHECK(s->find_account(pid("p1"))->value == account);
  REQUIRE(s->find_challenge("k"));
  CHECK(s->find_challenge("k")->value == challenge);
  REQUIRE(s->find_throttle("t"));
  CHECK(s->find_throttle("t")->value == throttle);
  REQUIRE(s->find_session("s"));
  CHECK(s->find_session("s")->value == session);
  event.seq = 1;
  REQUIRE(s->audit_tail());
  CHECK(*s->audit_tail() == event);
  // A person with no civil status has no birth date to be found by.
  CHECK(s->find_persons_born_on(day(1970, 1, 1), 10).empty());
  CHECK_FALSE(s->find_account_by_franceconnect_sub(""));
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: a record rewritten with fewer fields reads back without them",
    Factory, calp_storage_conformance_round_trip_rewrite) {
  using namespace calp::testing::conformance;
  auto s = Factory::make();
  must_commit(*s, put_one(full_person("p1", 1, 1), 0));
  must_commit(*s, put_one(full_account("p1"), 0));
  auto bare = bare_person("p1");
  must_commit(*s, put_one(bare, 1));
  must_commit(*s, put_one(bare_account("p1"), 1));
  REQUIRE(s->find_person(pid("p1")));
  CHECK(s->find_person(pid("p1"))->value == bare);
  CHECK(s->find_person(pid("p1"))->version == 2);
  CHECK(s->find_account(pid("p1"))->value == bare_account("p1"));
  // The keys the old values held no longer find anything.
  CHECK_FALSE(s->find_person_by_nir(test_nir(1)));
  CHECK_FALSE(s->find_person_by_provisional_id(test_provisional_id(1)));
  CHECK(s->find_persons_born_on(day(1985, 3, 2), 10).empty());
  CHECK_FALSE(s->find_account_by_franceconnect_sub("b6f3c6c0e9a1-sub-é"));
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: creating a record that exists conflicts for every kind", Factory,
    calp_storage_conformance_create_twice) {
  using namespace calp::testing::conformance;
  using calp::errc;
  auto s = Factory::make();
  const auto house = make_household("1234567", {adult("p1", calp::member_role::allocataire)});
  must_commit(*s, put_one(bare_person("p1"), 0));
  must_commit(*s, put_one(house, 0));
  must_commit(*s, put_one(bare_account("p1"), 0));
  must_commit(*s, put_one(make_challenge("c"), 0));
  must_commit(*s, put_one(make_throttle("t"), 0));
  must_commit(*s, put_one(make_session("s", "p1"), 0));

  const char* const conflict = "operations[0]";
  SUBCASE("person") {
    must_fail(*s, put_one(bare_person("p1"), 0), errc::storage_conflict, conflict);
  }
  SUBCASE("household") { must_fail(*s, put_one(house, 0), errc::storage_conflict, conflict); }
  SUBCASE("account") {
    must_fail(*s, put_one(bare_account("p1"), 0), errc::storage_conflict, conflict);
  }
  SUBCASE("challenge") {
    must_fail(*s, put_one(make_challenge("c"), 0), errc::storage_conflict, conflict);
  }
  SUBCASE("throttle") {
    must_fail(*s, put_one(make_throttle("t"), 0), errc::storage_conflict, conflict);
  }
  SUBCASE("session") {
    must_fail(*s, put_one(make_session("s", "p1"), 0), errc::storage_conflict, conflict);
  }
  // Every record is still at version 1.
  CHECK(s->find_person(pid("p1"))->version == 1);
  CHECK(s->find_household(dossier("1234567"))->version == 1);
  CHECK(s->find_account(pid("p1"))->version == 1);
  CHECK(s->find_challenge("c")->version == 1);
  CHECK(s->find_throttle("t")->version == 1);
  CHECK(s->find_session("s")->version == 1);
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: an update names the stored version and a stale one conflicts",
    Factory, calp_storage_conformance_versions) {
  using namespace calp::testing::conformance;
  using calp::errc;
  auto s = Factory::make();
  must_commit(*s, put_one(make_throttle("t", 0), 0));
  for (std::uint32_t v = 1; v <= 3; ++v) must_commit(*s, put_one(make_throttle("t", v), v));
  const auto t = s->find_throttle("t");
  REQUIRE(t);
  CHECK(t->version == 4);
  CHECK(t->value.consecutive_failures == 3);

  // A writer that read version 2 lost the race: its write conflicts and changes nothing.
  calp::write_batch stale;
  stale.put(make_challenge("unrelated"), 0).put(make_throttle("t", 99), 2);
  must_fail(*s, stale, errc::storage_conflict, "operations[1]");
  CHECK(s->find_throttle("t")->value.consecutive_failures == 3);
  CHECK(s->find_throttle("t")->version == 4);
  CHECK_FALSE(s->find_challenge("unrelated"));
  // A version from the future conflicts too.
  must_fail(*s, put_one(make_throttle("t", 99), 5), errc::storage_conflict, "operations[0]");
  // Updating a record that does not exist conflicts, whatever the version.
  must_fail(*s, put_one(make_throttle("absent", 1), 1), errc::storage_conflict, "operations[0]");
  must_fail(*s, put_one(bare_person("p9"), 1), errc::storage_conflict, "operations[0]");
  must_fail(*s, put_one(bare_account("p9"), 3), errc::storage_conflict, "operations[0]");
  must_fail(*s,
            put_one(make_household("1111111", {adult("p9", calp::member_role::allocataire)}), 1),
            errc::storage_conflict, "operations[0]");
  CHECK_FALSE(s->find_throttle("absent"));
  CHECK_FALSE(s->find_person(pid("p9")));
  // Each kind counts its versions the same way.
  must_commit(*s, put_one(bare_person("p1"), 0));
  must_commit(*s, put_one(full_person("p1", 1, 1), 1));
  CHECK(s->find_person(pid("p1"))->version == 2);
  must_commit(*s, put_one(make_session("s", "p1"), 0));
  must_commit(*s, put_one(make_session("s", "p1"), 1));
  CHECK(s->find_session("s")->version == 2);
}

TEST_CASE_TEMPLATE_DEFINE("storage conformance: an erase names the stored version", Factory,
                          calp_storage_conformance_erase) {
  using namespace calp::testing::conformance;
  using calp::errc;
  auto s = Factory::make();
  must_commit(*s, put_one(make_challenge("c"), 0));
  must_commit(*s, put_one(make_challenge("c", 2), 1));
  must_commit(*s, put_one(make_session("s", "p1"), 0));

  calp::write_batch wrong;
  wrong.erase_challenge("c", 1);
  must_fail(*s, wrong, errc::storage_conflict, "operations[0]");
  CHECK(s->find_challenge("c"));
  calp::write_batch absent;
  absent.erase_challenge("nothing", 1);
  must_fail(*s, absent, errc::storage_conflict, "operations[0]");
  // Version 0 names no stored record, whether or not one exists under the key.
  for (const char* key : {"nothing", "c"}) {
    calp::write_batch zero;
    zero.erase_challenge(key, 0);
    must_fail(*s, zero, errc::storage_conflict, "operations[0]");
    calp::write_batch zero_session;
    zero_session.erase_session(key[0] == 'c' ? "s" : key, 0);
    must_fail(*s, zero_session, errc::storage_conflict, "operations[0]");
  }
  CHECK(s->find_challenge("c"));
  CHECK(s->find_session("s"));
  calp::write_batch wrong_session;
  wrong_session.erase_session("s", 2);
  must_fail(*s, wrong_session, errc::storage_conflict, "operations[0]");
  CHECK(s->find_session("s"));

  calp::write_batch right;
  right.erase_challenge("c", 2).erase_session("s", 1);
  must_commit(*s, right);
  CHECK_FALSE(s->find_challenge("c"));
  CHECK_FALSE(s->find_session("s"));
  CHECK(s->sessions_of(pid("p1")).empty());
  // Erasing again conflicts: the version named is no longer stored.
  must_fail(*s, right, errc::storage_conflict, "operations[0]");
  // A record created again starts over at version 1.
  must_commit(*s, put_one(make_challenge("c"), 0));
  CHECK(s->find_challenge("c")->version == 1);
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: a batch whose last operation conflicts applies nothing", Factory,
    calp_storage_conformance_atomic) {
  using namespace calp::testing::conformance;
  using calp::errc;
  auto s = Factory::make();
  must_commit(*s, put_one(full_person("p0", 50, 50), 0));
  must_commit(*s, put_one(make_session("old", "p0"), 0));
  calp::write_batch first;
  first.append(make_event("setup"));
  must_commit(*s, first);
  const auto tail_before = s->audit_tail();
  REQUIRE(tail_before);

  // Five operations that would each succeed, then one that conflicts.
  auto moved = full_person("p0", 51, 51);  // new NIR and provisional id
  moved.civil_status->birth_date = day(1990, 1, 1);
  calp::write_batch b;
  b.put(full_person("p1", 1, 1), 0)
      .put(make_household("1234567", {adult("p1", calp::member_role::allocataire)}), 0)
      .put(full_account("p1"), 0)
      .put(moved, 1)
      .erase_sessions_of(pid("p0"))
      .append(make_event("account.created"))
      .put(make_throttle("never", 1), 7);
  must_fail(*s, b, errc::storage_conflict, "operations[6]");

  CHECK_FALSE(s->find_person(pid("p1")));
  CHECK_FALSE(s->find_person_by_nir(test_nir(1)));
  CHECK_FALSE(s->find_household(dossier("1234567")));
  CHECK(s->households_of(pid("p1")).empty());
  CHECK_FALSE(s->find_account(pid("p1")));
  CHECK_FALSE(s->find_account_by_franceconnect_sub("b6f3c6c0e9a1-sub-é"));
  CHECK_FALSE(s->find_throttle("never"));
  // p0 and its indexes are as they were.
  REQUIRE(s->find_person(pid("p0")));
  CHECK(s->find_person(pid("p0"))->version == 1);
  CHECK(s->find_person(pid("p0"))->value == full_person("p0", 50, 50));
  REQUIRE(s->find_person_by_nir(test_nir(50)));
  CHECK(s->find_person_by_nir(test_nir(50))->value.id == pid("p0"));
  CHECK_FALSE(s->find_person_by_nir(test_nir(51)));
  CHECK_FALSE(s->find_person_by_provisional_id(test_provisional_id(51)));
  CHECK(s->find_persons_born_on(day(1990, 1, 1), 10).empty());
  CHECK(s->find_persons_born_on(day(1985, 3, 2), 10).size() == 1);
  CHECK(s->sessions_of(pid("p0")).size() == 1);
  // The audit event was not appended, and the trail goes on from the tail it had.
  CHECK(s->audit_events({}).size() == 1);
  REQUIRE(s->audit_tail());
  CHECK(*s->audit_tail() == *tail_before);
  calp::write_batch next;
  next.append(make_event("next"), tail_before->seq);
  const auto receipt = must_commit(*s, next);
  REQUIRE(receipt.audit_seqs.size() == 1);
  CHECK(receipt.audit_seqs[0] > tail_before->seq);
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: operations of one batch apply in order and see each other", Factory,
    calp_storage_conformance_in_order) {
  using namespace calp::testing::conformance;
  auto s = Factory::make();
  // Two chained audit events in one batch: the second names the first as the tail.
  calp::write_batch b;
  b.append(make_event("a"), 0).append(make_event("b"), 1);
  // A session put, then every session of its person revoked: it is gone.
  b.put(make_session("s1", "p1"), 0).erase_sessions_of(pid("p1"));
  b.put(make_session("s2", "p2"), 0);
  const auto receipt = must_commit(*s, b);
  CHECK(receipt.audit_seqs == std::vector<std::uint64_t>{1, 2});
  CHECK_FALSE(s->find_session("s1"));
  CHECK(s->find_session("s2"));
  CHECK(s->sessions_of(pid("p1")).empty());
  // A purge removes the events appended before it in the batch, not those after it.
  calp::write_batch purge;
  purge.append(make_event("c")).purge_audit(4).append(make_event("d"));
  CHECK(must_commit(*s, purge).audit_seqs == std::vector<std::uint64_t>{3, 4});
  CHECK(seqs_of(s->audit_events({})) == std::vector<std::uint64_t>{4});
  // A NIR released by one person can be taken by another later in the same batch.
  must_commit(*s, put_one(full_person("p1", 1, 1), 0));
  calp::write_batch move;
  move.put(bare_person("p1"), 1).put(full_person("p2", 1, 1), 0);
  must_commit(*s, move);
  REQUIRE(s->find_person_by_nir(test_nir(1)));
  CHECK(s->find_person_by_nir(test_nir(1))->value.id == pid("p2"));
  REQUIRE(s->find_person_by_provisional_id(test_provisional_id(1)));
  CHECK(s->find_person_by_provisional_id(test_provisional_id(1))->value.id == pid("p2"));
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: a malformed batch is storage_invalid and writes nothing", Factory,
    calp_storage_conformance_invalid) {
  using namespace calp::testing::conformance;
  using calp::errc;
  auto s = Factory::make();
  calp::write_batch b;
  b.put(bare_person("p1"), 0).append(make_event("ok"));
  std::string field;
  SUBCASE("a key over 256 bytes") {
    b.put(make_challenge(std::string(257, 'k')), 0);
    field = "operations[2].key";
  }
  SUBCASE("an empty key") {
    b.put(make_throttle(""), 0);
    field = "operations[2].key";
  }
  SUBCASE("a name that is not UTF-8") {
    auto p = person_born("p2", day(1990, 1, 1));
    p.civil_status->family_name = "Mart\xC3\x28n";
    b.put(p, 0);
    field = "operations[2].civil_status.family_name";
  }
  SUBCASE("a NUL inside a payload") {
    auto c = make_challenge("c");
    c.payload = std::string("a\0b", 3);
    b.put(c, 0);
    field = "operations[2].payload";
  }
  SUBCASE("a payload over 4096 bytes") {
    auto c = make_challenge("c");
    c.payload = std::string(4097, 'x');
    b.put(c, 0);
    field = "operations[2].payload";
  }
  SUBCASE("an event with no kind") {
    b.append(calp::audit_event{});
    field = "operations[2].event.kind";
  }
  SUBCASE("the same record written twice") {
    b.put(make_session("s", "p1"), 0).erase_session("s", 1);
    field = "operations[3]";
  }
  SUBCASE("the same person put twice") {
    b.put(bare_person("p1"), 1);
    field = "operations[2]";
  }
  must_fail(*s, b, errc::storage_invalid, field);
  CHECK_FALSE(s->find_person(pid("p1")));
  CHECK_FALSE(s->find_person(pid("p2")));
  CHECK_FALSE(s->find_challenge("c"));
  CHECK_FALSE(s->find_session("s"));
  CHECK(s->audit_events({}).empty());
  CHECK_FALSE(s->audit_tail());
}

TEST_CASE_TEMPLATE_DEFINE("storage conformance: R3 a NIR belongs to one person", Factory,
                          calp_storage_conformance_unique_nir) {
  using namespace calp::testing::conformance;
  using calp::errc;
  auto s = Factory::make();
  must_commit(*s, put_one(full_person("p1", 1, 1), 0));

  // Another person with the same NIR (and a different provisional id).
  must_fail(*s, put_one(full_person("p2", 1, 2), 0), errc::storage_duplicate, "operations[0].nir");
  CHECK_FALSE(s->find_person(pid("p2")));
  // Two new persons with one NIR in one batch.
  calp::write_batch both;
  both.put(full_person("p3", 3, 3), 0).put(full_person("p4", 3, 4), 0);
  must_fail(*s, both, errc::storage_duplicate);
  CHECK_FALSE(s->find_person(pid("p3")));
  CHECK_FALSE(s->find_person_by_nir(test_nir(3)));
  // Rewriting the holder with its own NIR is no duplicate.
  must_commit(*s, put_one(full_person("p1", 1, 1), 1));
  // Once the holder gives the NIR up, another person may take it.
  must_commit(*s, put_one(full_person("p1", 2, 1), 2));
  CHECK_FALSE(s->find_person_by_nir(test_nir(1)));
  must_commit(*s, put_one(full_person("p2", 1, 2), 0));
  REQUIRE(s->find_person_by_nir(test_nir(1)));
  CHECK(s->find_person_by_nir(test_nir(1))->value.id == pid("p2"));
  REQUIRE(s->find_person_by_nir(test_nir(2)));
  CHECK(s->find_person_by_nir(test_nir(2))->value.id == pid("p1"));
}

TEST_CASE_TEMPLATE_DEFINE("storage conformance: R3 a provisional identifier belongs to one person",
                          Factory, calp_storage_conformance_unique_provisional_id) {
  using namespace calp::testing::conformance;
  using calp::errc;
  auto s = Factory::make();
  must_commit(*s, put_one(full_person("p1", 1, 1), 0));
  must_fail(*s, put_one(full_person("p2", 2, 1), 0), errc::storage_duplicate,
            "operations[0].provisional_id");
  auto only_provisional = bare_person("p3");
  only_provisional.provisional_id = test_provisional_id(7);
  calp::write_batch both;
  both.put(only_provisional, 0);
  only_provisional.id = pid("p4");
  both.put(only_provisional, 0);
  must_fail(*s, both, errc::storage_duplicate, "operations[1].provisional_id");
  CHECK_FALSE(s->find_person(pid("p3")));
  CHECK_FALSE(s->find_person_by_provisional_id(test_provisional_id(7)));
  // A certified NIR replaces the provisional identifier: it is free again.
  must_commit(*s, put_one(full_person("p1", 1, 9), 1));
  must_commit(*s, put_one(full_person("p2", 2, 1), 0));
  REQUIRE(s->find_person_by_provisional_id(test_provisional_id(1)));
  CHECK(s->find_person_by_provisional_id(test_provisional_id(1))->value.id == pid("p2"));
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: R18 a FranceConnect subject belongs to one account", Factory,
    calp_storage_conformance_unique_franceconnect_sub) {
  using namespace calp::testing::conformance;
  using calp::errc;
  auto s = Factory::make();
  auto a1 = bare_account("p1");
  a1.franceconnect_sub = "sub-1";
  must_commit(*s, put_one(a1, 0));
  auto a2 = bare_account("p2");
  a2.franceconnect_sub = "sub-1";
  must_fail(*s, put_one(a2, 0), errc::storage_duplicate, "operations[0].franceconnect_sub");
  CHECK_FALSE(s->find_account(pid("p2")));
  // Subjects are compared exactly: another case is another subject.
  a2.franceconnect_sub = "SUB-1";
  must_commit(*s, put_one(a2, 0));
  calp::write_batch both;
  auto a3 = bare_account("p3");
  a3.franceconnect_sub = "sub-3";
  auto a4 = bare_account("p4");
  a4.franceconnect_sub = "sub-3";
  both.put(a3, 0).put(a4, 0);
  must_fail(*s, both, errc::storage_duplicate, "operations[1].franceconnect_sub");
  CHECK_FALSE(s->find_account_by_franceconnect_sub("sub-3"));
  // Unlinking frees the subject.
  must_commit(*s, put_one(bare_account("p1"), 1));
  CHECK_FALSE(s->find_account_by_franceconnect_sub("sub-1"));
  a3.franceconnect_sub = "sub-1";
  must_commit(*s, put_one(a3, 0));
  REQUIRE(s->find_account_by_franceconnect_sub("sub-1"));
  CHECK(s->find_account_by_franceconnect_sub("sub-1")->value.person == pid("p3"));
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: R14 an e-mail address is not shared by two current members of a "
    "household",
    Factory, calp_storage_conformance_r14) {
  using namespace calp::testing::conformance;
  using calp::errc;
  using calp::member_role;
  auto s = Factory::make();
  const auto house = make_household("1234567", {adult("p1", member_role::allocataire),
                                                adult("p2", member_role::conjoint),
                                                adult("p3", member_role::other)});
  must_commit(*s, put_one(house, 0));
  must_commit(*s, put_one(account_with_email("p1", "Camille.Martin@Example.fr"), 0));

  SUBCASE("the same address in another case is refused") {
    auto a = bare_account("p2");
    a.contacts = {calp::contact_point{calp::contact_kind::mobile, "+33600000000", std::nullopt},
                  calp::contact_point{calp::contact_kind::email, "camille.martin@EXAMPLE.FR",
                                      std::nullopt}};
    must_fail(*s, put_one(a, 0), errc::storage_duplicate, "operations[0].contacts[1]");
    CHECK_FALSE(s->find_account(pid("p2")));
  }
  SUBCASE("an update that adds the address is refused") {
    must_commit(*s, put_one(account_with_email("p3", "p3@example.fr"), 0));
    must_fail(*s, put_one(account_with_email("p3", "camille.martin@example.fr"), 1),
              errc::storage_duplicate, "operations[0].contacts[0]");
    CHECK(s->find_account(pid("p3"))->value.contacts[0].value == "p3@example.fr");
  }
  SUBCASE("only ASCII letters are folded") {
    must_commit(*s, put_one(account_with_email("p2", "élise@example.fr"), 0));
    must_commit(*s, put_one(account_with_email("p3", "Élise@example.fr"), 0));
  }
  SUBCASE("a mobile number may be shared") {
    auto a = bare_account("p2");
    a.contacts = {calp::contact_point{calp::contact_kind::mobile, "+33611111111", std::nullopt}};
    must_commit(*s, put_one(a, 0));
    a.person = pid("p3");
    must_commit(*s, put_one(a, 0));
    // An e-mail address equal to another member's mobile value is not a shared e-mail.
    must_commit(*s, put_one(account_with_email("p1", "+33611111111"), 1));
  }
  SUBCASE("a person may repeat their own address") {
    auto a = account_with_email("p1", "camille.martin@example.fr");
    a.contacts.push_back(
        calp::contact_point{calp::contact_kind::email, "CAMILLE.MARTIN@example.fr", std::nullopt});
    must_commit(*s, put_one(a, 1));
  }
  SUBCASE("two accounts with one address in one batch are refused") {
    calp::write_batch b;
    b.put(account_with_email("p2", "shared@example.fr"), 0)
        .put(account_with_email("p3", "Shared@example.fr"), 0);
    must_fail(*s, b, errc::storage_duplicate);
    CHECK_FALSE(s->find_account(pid("p2")));
    CHECK_FALSE(s->find_account(pid("p3")));
  }
  SUBCASE("a member who left does not count") {
    must_commit(*s, put_one(make_household("1234567", {adult("p1", member_role::allocataire),
                                                       adult("p2", member_role::conjoint,
                                                             day(2026, 2, 1)),
                                                       adult("p3", member_role::other)}),
                            1));
    // The address of one who left does not bar a current member from it…
    must_commit(*s, put_one(account_with_email("p2", "leaver@example.fr"), 0));
    must_commit(*s, put_one(account_with_email("p3", "LEAVER@example.fr"), 0));
    // …nor does a current member's bar the one who left.
    must_commit(*s, put_one(account_with_email("p2", "camille.martin@example.fr"), 1));
    // Coming back (the departure undone) would share the address: refused on the
    // household.
    must_fail(*s, put_one(house, 2), errc::storage_duplicate, "operations[0]");
    CHECK(s->find_household(dossier("1234567"))->version == 2);
    // Fixing the address and the household in one batch is accepted.
    calp::write_batch fix;
    fix.put(account_with_email("p2", "p2@example.fr"), 2).put(house, 2);
    must_commit(*s, fix);
  }
  SUBCASE("a household put that brings two holders of one address together is refused") {
    must_commit(*s, put_one(account_with_email("p7", "camille.martin@example.fr"), 0));
    must_fail(*s,
              put_one(make_household("1234567", {adult("p1", member_role::allocataire),
                                                 adult("p7", member_role::other)}),
                      1),
              errc::storage_duplicate, "operations[0]");
    CHECK(s->households_of(pid("p7")).empty());
    // The same pair in a new household is refused too.
    must_fail(*s,
              put_one(make_household("7654321", {adult("p7", member_role::allocataire),
                                                 adult("p1", member_role::conjoint)}),
                      0),
              errc::storage_duplicate, "operations[0]");
    CHECK_FALSE(s->find_household(dossier("7654321")));
  }
  SUBCASE("members of different households may share an address") {
    must_commit(*s, put_one(make_household("7654321", {adult("p8", member_role::allocataire)}), 0));
    must_commit(*s, put_one(account_with_email("p8", "camille.martin@example.fr"), 0));
    must_commit(*s, put_one(account_with_email("p9", "p9@example.fr"), 0));
    // p3 joins the second household too: each household counts for them.
    must_commit(*s, put_one(account_with_email("p3", "p3@example.fr"), 0));
    must_commit(*s, put_one(make_household("7654321", {adult("p8", member_role::allocataire),
                                                       adult("p3", member_role::other),
                                                       adult("p9", member_role::other)}),
                            1));
    must_fail(*s, put_one(account_with_email("p3", "CAMILLE.martin@example.fr"), 1),
              errc::storage_duplicate, "operations[0].contacts[0]");
    must_fail(*s, put_one(account_with_email("p3", "P9@example.fr"), 1), errc::storage_duplicate,
              "operations[0].contacts[0]");
    // p1 and p8 share an address: p1 may not join p8's household.
    must_fail(*s,
              put_one(make_household("7654321", {adult("p8", member_role::allocataire),
                                                 adult("p1", member_role::other)}),
                      2),
              errc::storage_duplicate, "operations[0]");
  }
  SUBCASE("an address freed in a batch may be taken later in the same batch") {
    calp::write_batch swap;
    swap.put(account_with_email("p1", "other@example.fr"), 1)
        .put(account_with_email("p2", "camille.martin@example.fr"), 0);
    must_commit(*s, swap);
  }
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: households_of lists every dossier naming the person in order",
    Factory, calp_storage_conformance_households_of) {
  using namespace calp::testing::conformance;
  using calp::member_role;
  auto s = Factory::make();
  calp::write_batch b;
  b.put(make_household("7000000", {adult("p1", member_role::allocataire),
                                   adult("p2", member_role::conjoint, day(2025, 5, 1))}),
        0)
      .put(make_household("1000000", {adult("p2", member_role::allocataire),
                                      adult("p3", member_role::other)}),
           0)
      .put(make_household("4000000", {adult("p4", member_role::allocataire),
                                      adult("p2", member_role::conjoint)}),
           0);
  must_commit(*s, b);
  // p2 left 7000000 but is still listed there.
  CHECK(dossiers_of(*s, "p2") == std::vector<std::string>{"1000000", "4000000", "7000000"});
  CHECK(dossiers_of(*s, "p1") == std::vector<std::string>{"7000000"});
  CHECK(dossiers_of(*s, "p3") == std::vector<std::string>{"1000000"});
  CHECK(dossiers_of(*s, "p9").empty());
  // A household put that drops a member removes the dossier from their list.
  must_commit(*s, put_one(make_household("4000000", {adult("p4", member_role::allocataire)}), 1));
  CHECK(dossiers_of(*s, "p2") == std::vector<std::string>{"1000000", "7000000"});
  // And one that adds a member adds it.
  must_commit(*s, put_one(make_household("4000000", {adult("p4", member_role::allocataire),
                                                     adult("p1", member_role::conjoint)}),
                          2));
  CHECK(dossiers_of(*s, "p1") == std::vector<std::string>{"4000000", "7000000"});
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: find_households_of is households_of then find_household in one read",
    Factory, calp_storage_conformance_find_households_of) {
  using namespace calp::testing::conformance;
  using calp::member_role;
  auto s = Factory::make();
  CHECK(s->find_households_of(pid("p2")).empty());
  check_households_of_in_one_read(*s, "p2");

  calp::write_batch b;
  b.put(make_household("7000000", {adult("p1", member_role::allocataire),
                                   adult("p2", member_role::conjoint, day(2025, 5, 1))}),
        0)
      .put(make_household("1000000", {adult("p2", member_role::allocataire),
                                      adult("p3", member_role::other)}),
           0)
      .put(make_household("4000000", {adult("p4", member_role::allocataire)}), 0);
  must_commit(*s, b);
  // A second version of 7000000, so that a storage answering the wrong version (or
  // pairing a body with another row's version) is caught.
  const auto seven = make_household("7000000", {adult("p1", member_role::allocataire),
                                                adult("p2", member_role::conjoint,
                                                      day(2025, 5, 1)),
                                                adult("p6", member_role::other)});
  must_commit(*s, put_one(seven, 1));

  // A person in no household, while others are.
  CHECK(s->find_households_of(pid("p9")).empty());
  check_households_of_in_one_read(*s, "p9");

  // p2 is in two households, and left one of them: both, in dossier order.
  const auto both = s->find_households_of(pid("p2"));
  REQUIRE(both.size() == 2);
  CHECK(both[0].value.dossier() == dossier("1000000"));
  CHECK(both[0].version == 1);
  CHECK(both[1].value == seven);
  CHECK(both[1].version == 2);
  REQUIRE(both[1].value.find("p2"));
  CHECK(both[1].value.find("p2")->left == day(2025, 5, 1));
  for (const char* person : {"p1", "p2", "p3", "p4", "p6"}) {
    check_households_of_in_one_read(*s, person);
  }

  // A household put that removes p2 takes that household out of their answer, and the
  // members who stay read the new body at the new version.
  const auto one = make_household("1000000", {adult("p3", member_role::allocataire)});
  must_commit(*s, put_one(one, 1));
  const auto after = s->find_households_of(pid("p2"));
  REQUIRE(after.size() == 1);
  CHECK(after[0].value == seven);
  CHECK(after[0].version == 2);
  const auto p3 = s->find_households_of(pid("p3"));
  REQUIRE(p3.size() == 1);
  CHECK(p3[0].value == one);
  CHECK(p3[0].version == 2);
  for (const char* person : {"p1", "p2", "p3", "p4", "p6"}) {
    check_households_of_in_one_read(*s, person);
  }
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: R18 find_persons_born_on answers in id order up to the limit",
    Factory, calp_storage_conformance_born_on) {
  using namespace calp::testing::conformance;
  auto s = Factory::make();
  const auto birth = day(1990, 7, 14);
  calp::write_batch b;
  // Ids whose byte order differs from a dictionary order (`Z` sorts before `a`).
  for (const char* id : {"b-2", "Z-1", "a-3", "b-10", "a_1", "a.1"}) {
    b.put(person_born(id, birth), 0);
  }
  b.put(person_born("c-1", day(1990, 7, 15)), 0).put(bare_person("d-1"), 0);
  must_commit(*s, b);
  std::vector<std::string> ids;
  for (const auto& p : s->find_persons_born_on(birth, 100)) ids.emplace_back(p.value.id.str());
  CHECK(ids == std::vector<std::string>{"Z-1", "a-3", "a.1", "a_1", "b-10", "b-2"});
  const auto two = s->find_persons_born_on(birth, 2);
  REQUIRE(two.size() == 2);
  CHECK(two[0].value.id == pid("Z-1"));
  CHECK(two[1].value.id == pid("a-3"));
  CHECK(two[0].version == 1);
  CHECK(s->find_persons_born_on(birth, 0).empty());
  CHECK(s->find_persons_born_on(day(1990, 7, 13), 100).empty());
  // A corrected birth date moves the person.
  must_commit(*s, put_one(person_born("Z-1", day(1990, 7, 15)), 1));
  CHECK(s->find_persons_born_on(birth, 100).size() == 5);
  const auto moved = s->find_persons_born_on(day(1990, 7, 15), 100);
  REQUIRE(moved.size() == 2);
  CHECK(moved[0].value.id == pid("Z-1"));
  CHECK(moved[0].version == 2);
  CHECK(moved[1].value.id == pid("c-1"));
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: sessions_of answers in token hash order and erase_sessions_of "
    "revokes them",
    Factory, calp_storage_conformance_sessions) {
  using namespace calp::testing::conformance;
  auto s = Factory::make();
  calp::write_batch b;
  for (const char* token : {"tok-b", "Tok-c", "tok-a", "tok-B"}) {
    b.put(make_session(token, "p1"), 0);
  }
  b.put(make_session("other", "p2"), 0);
  must_commit(*s, b);
  std::vector<std::string> tokens;
  for (const auto& v : s->sessions_of(pid("p1"))) tokens.push_back(v.value.token_hash);
  CHECK(tokens == std::vector<std::string>{"Tok-c", "tok-B", "tok-a", "tok-b"});
  // A session moved to another person (never done by calp, but a plain rewrite).
  must_commit(*s, put_one(make_session("tok-a", "p2"), 1));
  CHECK(s->sessions_of(pid("p1")).size() == 3);
  CHECK(s->sessions_of(pid("p2")).size() == 2);

  calp::write_batch revoke;
  revoke.erase_sessions_of(pid("p1"));
  must_commit(*s, revoke);
  CHECK(s->sessions_of(pid("p1")).empty());
  CHECK_FALSE(s->find_session("tok-b"));
  CHECK(s->sessions_of(pid("p2")).size() == 2);
  CHECK(s->find_session("other"));
  // Revoking what was already revoked is no conflict.
  must_commit(*s, revoke);
  calp::write_batch nobody;
  nobody.erase_sessions_of(pid("p9"));
  must_commit(*s, nobody);
  CHECK(s->sessions_of(pid("p2")).size() == 2);
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: R19 audit events are numbered 1 2 3 and queried by subject actor "
    "after_seq and limit",
    Factory, calp_storage_conformance_audit_query) {
  using namespace calp::testing::conformance;
  auto s = Factory::make();
  calp::write_batch b1;
  b1.append(make_event("login.ok", "p1", "p1")).append(make_event("login.failed", "p2", "p2"));
  CHECK(must_commit(*s, b1).audit_seqs == std::vector<std::uint64_t>{1, 2});
  calp::write_batch b2;
  b2.append(make_event("front_desk.decision", "p1", "agent:7"))
      .append(make_event("code.sent", "p2", "agent:7"))
      .append(make_event("password.changed", "p1", "p1"));
  CHECK(must_commit(*s, b2).audit_seqs == std::vector<std::uint64_t>{3, 4, 5});

  CHECK(seqs_of(s->audit_events({})) == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
  calp::audit_query q;
  q.subject = "p1";
  CHECK(seqs_of(s->audit_events(q)) == std::vector<std::uint64_t>{1, 3, 5});
  q.actor = "agent:7";
  CHECK(seqs_of(s->audit_events(q)) == std::vector<std::uint64_t>{3});
  q.subject.reset();
  CHECK(seqs_of(s->audit_events(q)) == std::vector<std::uint64_t>{3, 4});
  q.after_seq = 3;
  CHECK(seqs_of(s->audit_events(q)) == std::vector<std::uint64_t>{4});
  calp::audit_query page;
  page.limit = 2;
  CHECK(seqs_of(s->audit_events(page)) == std::vector<std::uint64_t>{1, 2});
  page.after_seq = 2;
  CHECK(seqs_of(s->audit_events(page)) == std::vector<std::uint64_t>{3, 4});
  page.after_seq = 4;
  CHECK(seqs_of(s->audit_events(page)) == std::vector<std::uint64_t>{5});
  page.after_seq = 5;
  CHECK(s->audit_events(page).empty());
  page.after_seq = 0;
  page.limit = 0;
  CHECK(s->audit_events(page).empty());
  calp::audit_query nobody;
  nobody.subject = "p9";
  CHECK(s->audit_events(nobody).empty());
  // An empty filter value matches events with that field empty, not every event.
  calp::audit_query empty_subject;
  empty_subject.subject = "";
  CHECK(s->audit_events(empty_subject).empty());
  const auto tail = s->audit_tail();
  REQUIRE(tail);
  CHECK(tail->seq == 5);
  CHECK(tail->kind == "password.changed");
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: R19 a purge keeps the numbers and the tail", Factory,
    calp_storage_conformance_audit_purge) {
  using namespace calp::testing::conformance;
  auto s = Factory::make();
  for (int i = 0; i < 5; ++i) {
    calp::write_batch b;
    b.append(make_event(std::string("e") + std::to_string(i)));  // not "e" + …: GCC 12 -Wrestrict false alarm at -O3
    must_commit(*s, b);
  }
  calp::write_batch purge;
  purge.purge_audit(3);
  must_commit(*s, purge);
  CHECK(seqs_of(s->audit_events({})) == std::vector<std::uint64_t>{3, 4, 5});
  // Purging everything, the tail included: the tail is still known.
  calp::write_batch all;
  all.purge_audit(1000);
  must_commit(*s, all);
  CHECK(s->audit_events({}).empty());
  const auto tail = s->audit_tail();
  REQUIRE(tail);
  CHECK(tail->seq == 5);
  CHECK(tail->kind == "e4");
  // Numbers are never reused, and a writer chains on the purged tail.
  calp::write_batch next;
  next.append(make_event("after"), 5);
  CHECK(must_commit(*s, next).audit_seqs == std::vector<std::uint64_t>{6});
  CHECK(seqs_of(s->audit_events({})) == std::vector<std::uint64_t>{6});
  // A purge with nothing to remove is no error.
  calp::write_batch none;
  none.purge_audit(0);
  must_commit(*s, none);
  CHECK(s->audit_events({}).size() == 1);
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: R19 an append with after_seq succeeds only after the tail", Factory,
    calp_storage_conformance_audit_after_seq) {
  using namespace calp::testing::conformance;
  using calp::errc;
  auto s = Factory::make();
  calp::write_batch wrong_start;
  wrong_start.append(make_event("x"), 1);
  must_fail(*s, wrong_start, errc::storage_conflict, "operations[0]");
  calp::write_batch start;
  start.append(make_event("first"), 0);
  CHECK(must_commit(*s, start).audit_seqs == std::vector<std::uint64_t>{1});
  // Two writers both read tail 1 and chain on it: exactly one wins.
  calp::write_batch w1;
  w1.put(make_throttle("w1"), 0).append(make_event("w1"), 1);
  calp::write_batch w2;
  w2.put(make_throttle("w2"), 0).append(make_event("w2"), 1);
  must_commit(*s, w1);
  must_fail(*s, w2, errc::storage_conflict, "operations[1]");
  CHECK_FALSE(s->find_throttle("w2"));
  CHECK(s->audit_tail()->kind == "w1");
  // The loser reads the tail again and chains on it.
  calp::write_batch retry;
  retry.append(make_event("w2"), s->audit_tail()->seq);
  CHECK(must_commit(*s, retry).audit_seqs == std::vector<std::uint64_t>{3});
  // An append without after_seq never conflicts.
  calp::write_batch free;
  free.append(make_event("free"));
  must_commit(*s, free);
  CHECK(s->audit_events({}).size() == 4);
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: R7 two writers grant a délégation from one household version and "
    "one wins",
    Factory, calp_storage_conformance_r7_one_delegation) {
  using namespace calp::testing::conformance;
  using calp::errc;
  using calp::member_role;
  auto s = Factory::make();
  const std::vector<calp::member> couple = {adult("p1", member_role::allocataire),
                                            adult("p2", member_role::conjoint)};
  must_commit(*s, put_one(make_household("1234567", couple), 0));
  const auto read_by_first = s->find_household(dossier("1234567"));
  const auto read_by_second = s->find_household(dossier("1234567"));
  REQUIRE(read_by_first);
  REQUIRE(read_by_second);
  const auto granted_by_first = make_household(
      "1234567", couple, calp::delegation{pid("p2"), day(2026, 1, 15), std::nullopt});
  const auto granted_by_second = make_household(
      "1234567", couple, calp::delegation{pid("p2"), day(2026, 2, 1), std::nullopt});
  calp::write_batch first;
  first.put(granted_by_first, read_by_first->version).append(make_event("delegation.granted"));
  calp::write_batch second;
  second.put(granted_by_second, read_by_second->version).append(make_event("delegation.granted"));
  must_commit(*s, first);
  must_fail(*s, second, errc::storage_conflict, "operations[0]");
  const auto now = s->find_household(dossier("1234567"));
  REQUIRE(now);
  CHECK(now->value == granted_by_first);
  CHECK(now->version == 2);
  CHECK(s->audit_events({}).size() == 1);

  // The same race on many threads: every writer reads version 2 then writes.
  std::atomic<int> winners{0};
  std::atomic<int> conflicts{0};
  run_threads(4, [&](int t) {
    const auto h = make_household(
        "1234567", couple,
        calp::delegation{pid("p2"), day(2026, 3, static_cast<unsigned>(t + 1)), std::nullopt});
    const auto r = s->commit(put_one(h, 2));
    if (r) {
      ++winners;
    } else if (r.error().code == errc::storage_conflict) {
      ++conflicts;
    }
  });
  CHECK(winners.load() == 1);
  CHECK(conflicts.load() == 3);
  CHECK(s->find_household(dossier("1234567"))->version == 3);
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: R13 at most 3 codes are issued under one key when writers respect "
    "the count by version",
    Factory, calp_storage_conformance_r13_issue_limit) {
  using namespace calp::testing::conformance;
  using calp::errc;
  auto s = Factory::make();
  const std::string key = "contact:p1:email";
  // What the verification-code service does: read, refuse at 3, else write back the
  // record it read with the count plus one; on a conflict, read again.
  std::atomic<int> unexpected_errors{0};
  auto issue = [&](std::uint64_t& conflicts_seen) {
    for (;;) {
      const auto current = s->find_challenge(key);
      const std::uint32_t issued = current ? current->value.issued_count : 0;
      if (issued >= 3) return false;
      auto next = make_challenge(key, issued + 1);
      next.secret_hash = "hash-" + std::to_string(issued + 1);
      const auto r = s->commit(put_one(next, current ? current->version : 0));
      if (r) return true;
      // No assertion here: it may run on another thread, where a failed REQUIRE would
      // throw out of the thread function.
      if (r.error().code != errc::storage_conflict) {
        ++unexpected_errors;
        return false;
      }
      ++conflicts_seen;
    }
  };
  SUBCASE("one writer") {
    std::uint64_t conflicts = 0;
    int issued = 0;
    for (int i = 0; i < 10; ++i) issued += issue(conflicts) ? 1 : 0;
    CHECK(issued == 3);
    CHECK(conflicts == 0);
  }
  SUBCASE("two writers that read the same version") {
    must_commit(*s, put_one(make_challenge(key, 2), 0));
    const auto seen = s->find_challenge(key);
    REQUIRE(seen);
    must_commit(*s, put_one(make_challenge(key, 3), seen->version));
    // The second writer's count is stale: refused, so the limit holds.
    must_fail(*s, put_one(make_challenge(key, 3), seen->version), errc::storage_conflict,
              "operations[0]");
  }
  SUBCASE("eight threads") {
    std::atomic<int> issued{0};
    std::atomic<std::uint64_t> conflicts{0};
    run_threads(8, [&](int) {
      std::uint64_t mine = 0;
      for (int i = 0; i < 3; ++i) {
        if (issue(mine)) ++issued;
      }
      conflicts += mine;
    });
    CHECK(issued.load() == 3);
  }
  CHECK(unexpected_errors.load() == 0);
  const auto c = s->find_challenge(key);
  REQUIRE(c);
  CHECK(c->value.issued_count == 3);
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: R12b concurrent failure counts on one throttle record lose nothing",
    Factory, calp_storage_conformance_r12b_concurrent_counts) {
  using namespace calp::testing::conformance;
  using calp::errc;
  auto s = Factory::make();
  must_commit(*s, put_one(make_throttle("login:shared", 0), 0));
  constexpr int threads = 4;
  constexpr int attempts = 40;
  std::atomic<int> successes{0};
  std::atomic<int> conflicts{0};
  std::atomic<int> other_errors{0};
  run_threads(threads, [&](int) {
    for (int i = 0; i < attempts; ++i) {
      // One try each: read, add one, write back at the version read.
      const auto t = s->find_throttle("login:shared");
      if (!t) {
        ++other_errors;
        continue;
      }
      auto next = t->value;
      ++next.consecutive_failures;
      next.recent_failures.push_back(instant(next.consecutive_failures));
      const auto r = s->commit(put_one(next, t->version));
      if (r) {
        ++successes;
      } else if (r.error().code == errc::storage_conflict) {
        ++conflicts;
      } else {
        ++other_errors;
      }
    }
  });
  CHECK(other_errors.load() == 0);
  CHECK(successes.load() + conflicts.load() == threads * attempts);
  CHECK(successes.load() >= 1);
  const auto t = s->find_throttle("login:shared");
  REQUIRE(t);
  CHECK(t->value.consecutive_failures == static_cast<std::uint32_t>(successes.load()));
  CHECK(t->value.recent_failures.size() == static_cast<std::size_t>(successes.load()));
  CHECK(t->version == static_cast<std::uint64_t>(successes.load()) + 1);

  // Writers that retry until they succeed: the total is exact.
  must_commit(*s, put_one(make_throttle("login:retry", 0), 0));
  constexpr int per_thread = 25;
  run_threads(threads, [&](int) {
    for (int i = 0; i < per_thread; ++i) {
      for (;;) {
        const auto cur = s->find_throttle("login:retry");
        if (!cur) break;
        auto next = cur->value;
        ++next.consecutive_failures;
        if (s->commit(put_one(next, cur->version))) break;
      }
    }
  });
  const auto total = s->find_throttle("login:retry");
  REQUIRE(total);
  CHECK(total->value.consecutive_failures == static_cast<std::uint32_t>(threads * per_thread));
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: readers never see half a batch while writers commit", Factory,
    calp_storage_conformance_concurrent_visibility) {
  using namespace calp::testing::conformance;
  auto s = Factory::make();
  must_commit(*s, put_one(make_session("s-0", "p1"), 0));
  constexpr int rounds = 150;
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::thread writer([&] {
    // Each batch replaces p1's one session by another and appends two events.
    for (int i = 1; i <= rounds; ++i) {
      calp::write_batch b;
      b.erase_session("s-" + std::to_string(i - 1), 1)
          .put(make_session("s-" + std::to_string(i), "p1"), 0)
          .append(make_event("a"))
          .append(make_event("b"));
      if (!s->commit(b)) ++torn;
    }
    done = true;
  });
  run_threads(3, [&](int) {
    while (!done) {
      if (s->sessions_of(pid("p1")).size() != 1) ++torn;
      if (s->audit_events({}).size() % 2 != 0) ++torn;
      if (const auto tail = s->audit_tail(); tail && tail->kind != "b") ++torn;
    }
  });
  writer.join();
  CHECK(torn.load() == 0);
  CHECK(s->audit_events({}).size() == 2 * rounds);
  CHECK(s->find_session("s-" + std::to_string(rounds)));
}

TEST_CASE_TEMPLATE_DEFINE(
    "storage conformance: R19 a storage given an audit key chains every event it appends",
    Factory, calp_storage_conformance_audit_chain) {
  using namespace calp::testing::conformance;
  const auto key = std::make_shared<const calp::audit_key>(calp::audit_key::generate());
  auto s = Factory::make_chained(key);
  must_commit(*s, put_one(make_session("s-0", "p1"), 0));
  calp::write_batch two;
  two.append(make_event("a")).append(make_event("b", "p2"));
  must_commit(*s, two);
  // A batch that fails appends nothing and leaves the chain's end where it was.
  calp::write_batch failing;
  failing.append(make_event("lost")).put(make_throttle("never", 1), 7);
  CHECK_FALSE(s->commit(failing));
  // A link given by the writer is not the one stored.
  auto forged = make_event("c");
  forged.link = std::string(64, 'f');
  must_commit(*s, [&] {
    calp::write_batch b;
    b.append(forged);
    return b;
  }());
  // Writers at once: the storage orders them, and the chain follows that order.
  run_threads(4, [&](int t) {
    for (int i = 0; i < 10; ++i) {
      calp::write_batch b;
      b.append(make_event(std::string("t") + std::to_string(t))).append(make_event(std::string("u") + std::to_string(t)));
      CHECK(s->commit(b));
    }
  });

  const auto events = s->audit_events({});
  REQUIRE(events.size() == 3 + 80);
  std::string previous;
  for (const auto& e : events) {
    CHECK(e.link == calp::audit_link(*key, previous, e));
    previous = e.link;
  }
  CHECK(events[2].link != forged.link);
  REQUIRE(s->audit_tail());
  CHECK(s->audit_tail()->link == previous);
  auto v = calp::verify_audit_trail(*s, *key);
  CHECK_MESSAGE(v.intact, v.problem);
  CHECK(v.events == 83);

  // Retention keeps the rest verifiable, and the chain goes on after it.
  const auto purged = calp::purge_audit_trail(*s, instant(6), "ops", instant(100));
  REQUIRE(purged);
  CHECK(purged->removed == 83);
  must_commit(*s, [&] {
    calp::write_batch b;
    b.append(make_event("after"));
    return b;
  }());
  v = calp::verify_audit_trail(*s, *key);
  CHECK_MESSAGE(v.intact, v.problem);
  CHECK(v.events == 2);
}

/// Runs every conformance case against each factory listed: each must have
/// `static std::unique_ptr<calp::storage> make();` returning a fresh, empty storage, and
/// `static std::unique_ptr<calp::storage> make_chained(std::shared_ptr<const
/// calp::audit_key>);` returning one that chains the audit events it appends with that
/// key (`calp/audit.hpp`).
#define CALP_STORAGE_CONFORMANCE(...)                                                         \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_empty, __VA_ARGS__);                     \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_round_trip_full, __VA_ARGS__);           \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_round_trip_bare, __VA_ARGS__);           \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_round_trip_rewrite, __VA_ARGS__);        \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_create_twice, __VA_ARGS__);              \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_versions, __VA_ARGS__);                  \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_erase, __VA_ARGS__);                     \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_atomic, __VA_ARGS__);                    \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_in_order, __VA_ARGS__);                  \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_invalid, __VA_ARGS__);                   \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_unique_nir, __VA_ARGS__);                \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_unique_provisional_id, __VA_ARGS__);     \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_unique_franceconnect_sub, __VA_ARGS__);  \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_r14, __VA_ARGS__);                       \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_households_of, __VA_ARGS__);             \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_find_households_of, __VA_ARGS__);        \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_born_on, __VA_ARGS__);                   \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_sessions, __VA_ARGS__);                  \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_audit_query, __VA_ARGS__);               \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_audit_purge, __VA_ARGS__);               \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_audit_after_seq, __VA_ARGS__);           \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_audit_chain, __VA_ARGS__);               \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_r7_one_delegation, __VA_ARGS__);         \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_r13_issue_limit, __VA_ARGS__);           \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_r12b_concurrent_counts, __VA_ARGS__);    \
  TEST_CASE_TEMPLATE_INVOKE(calp_storage_conformance_concurrent_visibility, __VA_ARGS__)
