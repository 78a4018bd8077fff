#pragma once
// The authorizer over storage (issue 6; R5–R10, R19) as doctest cases written once and
// run on every storage: include this header in one source file per storage and invoke
// CALP_STORAGE_AUTHORIZER_TESTS(factory), the factory having
// `static std::unique_ptr<calp::storage> make()`.
//
// The proof of equivalence has two halves: the foundation's decision corpus
// (tests/corpus/decisions) through `storage_authorizer`, and a differential test of
// random households (bench/household_generator.hpp, seeded) through the pure core and
// through the storage, which must never differ.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "../../bench/household_generator.hpp"
#include "calp/calp.hpp"
#include "calp/storage_authorizer.hpp"
#include "calp/testing/manual_clock.hpp"
#include "unit/test_support.hpp"

namespace calp_authz_test {

inline calp::date day(int y, unsigned m, unsigned d) {
  return calp::date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
}

inline calp::dossier_number dossier(std::string_view text) {
  return calp::dossier_number::parse(text).value();
}

// Stores `h`, creating it or replacing what is there.
inline void store_household(calp::storage& s, const calp::household& h) {
  const auto existing = s.find_household(h.dossier());
  calp::write_batch b;
  b.put(h, existing ? existing->version : 0);
  const auto committed = s.commit(b);
  REQUIRE_MESSAGE(committed.has_value(), (committed ? "" : committed.error().message));
}

inline calp::household parse_household(const std::string& json) {
  auto h = calp::household::from_json(json);
  REQUIRE_MESSAGE(h.has_value(), (h ? "" : h.error().message));
  return std::move(h).value();
}

inline std::vector<std::filesystem::path> corpus_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(calp::testing::test_data_dir / "corpus/decisions")) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The household of the seed's screens, with or without a délégation to the conjoint.
inline calp::household couple(std::optional<calp::date> revoked = std::nullopt, bool delegation = true) {
  std::string json = R"({"dossier": "1234567", "members": [
    {"id": "p1", "role": "allocataire", "birth_date": "1985-03-02"},
    {"id": "p2", "role": "conjoint", "birth_date": "1987-11-20"},
    {"id": "p3", "role": "other", "birth_date": "2008-06-01"}])";
  if (delegation) {
    json += R"(, "delegation": {"to": "p2", "granted": "2026-01-15", "revoked": )";
    json += revoked ? "\"" + calp::format_date(*revoked) + "\"" : std::string("null");
    json += "}";
  }
  json += "}";
  return parse_household(json);
}

// Forwards everything, but writes only one audit-only commit in `keep_every` and
// answers the others with a receipt of its own: the differential test asks tens of
// thousands of questions, and an audited commit costs a disk flush on SQLite and a
// round trip on PostgreSQL. Reads, and so the decisions, are the storage's own; the
// audit writes are proven by the other cases and by the commits kept here.
class sampled_audit_storage final : public calp::storage_wrapper {
 public:
  sampled_audit_storage(calp::storage& target, std::size_t keep_every)
      : storage_wrapper(target), keep_every_(keep_every) {}

  calp::result<calp::commit_receipt> commit(const calp::write_batch& batch) override {
    const auto ops = batch.operations();
    const bool audit_only = !ops.empty() && std::all_of(ops.begin(), ops.end(), [](const auto& op) {
      return std::holds_alternative<calp::write_batch::append_audit_op>(op);
    });
    if (!audit_only) return target().commit(batch);
    if (appended_++ % keep_every_ == 0) {
      ++kept_;
      return target().commit(batch);
    }
    calp::commit_receipt receipt;
    for (std::size_t i = 0; i < ops.size(); ++i) receipt.audit_seqs.push_back(1'000'000'000 + appended_);
    return receipt;
  }
  [[nodiscard]] std::size_t appended() const noexcept { return appended_; }
  [[nodiscard]] std::size_t kept() const noexcept { return kept_; }

 private:
  std::size_t keep_every_;
  std::size_t appended_ = 0;
  std::size_t kept_ = 0;
};

inline std::vector<calp::audit_event> all_events(calp::storage& s) {
  calp::audit_query q;
  q.limit = 100000;
  return s.audit_events(q);
}

}  // namespace calp_authz_test

TEST_CASE_TEMPLATE_DEFINE("authorizer: R5-R10 every case of the decision corpus decides through the "
                          "storage as written, and as the pure core",
                          F, calp_authz_corpus) {
  using namespace calp_authz_test;
  const auto store = F::make();
  calp::storage_authorizer authz(*store);
  std::size_t cases = 0;
  for (const auto& file : corpus_files()) {
    INFO(file.filename().string());
    const auto doc = nlohmann::json::parse(calp::testing::read_file(file));
    const calp::household h = parse_household(doc.at("household").dump());
    store_household(*store, h);
    for (const auto& c : doc.at("cases")) {
      INFO(c.at("name").get<std::string>());
      const std::string person = c.at("person");
      const auto act = calp::parse_action(c.at("action").get<std::string>()).value();
      const auto at = calp::parse_date(c.at("at").get<std::string>()).value();
      const auto chan = calp::parse_channel(c.value("channel", std::string("online"))).value();
      const std::string agent = c.value("agent", std::string());
      const calp::decision pure = calp::decide(h, {person, act, at, chan, agent});
      const auto stored = authz.authorize(person, h.dossier(), act, chan, agent, at);
      REQUIRE(stored.has_value());
      CHECK(stored->allowed == c.at("allowed").get<bool>());
      CHECK(stored->reason == c.at("reason").get<std::string>());
      CHECK(stored->allowed == pure.allowed);
      CHECK(stored->reason == pure.reason);
      CHECK(stored->message == pure.message);
      CHECK(stored->role == pure.role);
      CHECK(stored->dossier_found);
      CHECK(stored->audit_seq.has_value() == calp::storage_authorizer::audited(act, chan));
      ++cases;
    }
  }
  CHECK(cases >= 40);
}

TEST_CASE_TEMPLATE_DEFINE("authorizer: random households decide the same through the pure core "
                          "and through the storage (differential)",
                          F, calp_authz_differential) {
  using namespace calp_authz_test;
  const auto real_store = F::make();
  sampled_audit_storage sampled(*real_store, 97);
  calp::storage* store = &sampled;
  calp::storage_authorizer authz(sampled);
  calp_bench::rng_type rng(20261128);
  constexpr std::uint64_t household_count = 200;
  std::vector<calp::household> households;
  households.reserve(household_count);
  calp::write_batch batch;
  for (std::uint64_t i = 0; i < household_count; ++i) {
    households.push_back(parse_household(calp_bench::household_json(rng, 3'000'000 + i)));
    batch.put(households.back(), 0);
  }
  REQUIRE(store->commit(batch).has_value());

  std::size_t compared = 0;
  std::size_t allowed = 0;
  std::size_t audited = 0;
  for (const auto& h : households) {
    // A day before most facts, the corpus day, one far ahead, and one drawn at random
    // inside the generator's range of benefit and délégation dates.
    const std::vector<calp::date> dates = {day(2019, 6, 1), day(2026, 11, 28), day(2031, 3, 1),
                                           calp_bench::day_between(rng, day(2015, 1, 1), day(2032, 12, 31))};
    std::vector<std::string> people;
    for (const auto& m : h.members()) people.emplace_back(m.id.str());
    people.emplace_back("stranger");
    for (const auto& person : people) {
      for (const calp::date at : dates) {
        for (const calp::action a : calp::all_actions) {
          for (const calp::channel c : {calp::channel::online, calp::channel::front_desk}) {
            // Every fourth front-desk question forgets its agent.
            const std::string agent = c == calp::channel::front_desk && compared % 4 != 3 ? "A4521" : "";
            const calp::decision pure = calp::decide(h, {person, a, at, c, agent});
            const auto stored = authz.authorize(person, h.dossier(), a, c, agent, at);
            REQUIRE(stored.has_value());
            const bool same = stored->allowed == pure.allowed && stored->reason == pure.reason &&
                              stored->message == pure.message && stored->role == pure.role;
            if (!same) {
              FAIL_CHECK("difference on " << h.dossier().str() << " " << person << " "
                                          << calp::to_string(a) << " " << calp::to_string(c) << " "
                                          << calp::format_date(at) << ": pure " << pure.reason
                                          << ", storage " << stored->reason);
            }
            allowed += stored->allowed ? 1 : 0;
            audited += stored->audit_seq ? 1 : 0;
            ++compared;
          }
        }
      }
    }
  }
  MESSAGE(compared << " decisions compared, " << allowed << " allowed, " << audited << " audited");
  CHECK(compared > 40000);
  CHECK(allowed > compared / 10);
  CHECK(sampled.appended() == audited);
  CHECK(all_events(*real_store).size() == sampled.kept());
  CHECK(sampled.kept() > 100);
}

TEST_CASE_TEMPLATE_DEFINE("authorizer: R8 R19 front-desk decisions and decisions on the dossier are "
                          "audited, own data online is not",
                          F, calp_authz_audit) {
  using namespace calp_authz_test;
  const auto store = F::make();
  calp::testing::manual_clock clock(calp::timestamp{std::chrono::seconds{1'795'000'000}});
  calp::storage_authorizer authz(*store, calp::policy::caf_default(), clock);
  store_household(*store, couple(std::nullopt, false));
  const auto d = dossier("1234567");
  const auto at = day(2026, 11, 28);

  SUBCASE("own data online: not audited") {
    const auto r = authz.authorize("p2", d, calp::action::own_data_read, calp::channel::online, "", at);
    REQUIRE(r.has_value());
    CHECK(r->allowed);
    CHECK_FALSE(r->audit_seq);
    CHECK(all_events(*store).empty());
  }
  SUBCASE("R7 the conjoint without délégation reading the dossier online: denied and audited") {
    const auto r = authz.authorize("p2", d, calp::action::dossier_read, calp::channel::online, "", at);
    REQUIRE(r.has_value());
    CHECK_FALSE(r->allowed);
    CHECK(r->reason == "conjoint_without_delegation");
    REQUIRE(r->audit_seq);
    const auto events = all_events(*store);
    REQUIRE(events.size() == 1);
    const auto& e = events[0];
    CHECK(e.seq == *r->audit_seq);
    CHECK(e.kind == "decision");
    CHECK(e.actor == "p2");
    CHECK(e.subject == "p1");  // the holder of the dossier
    CHECK(e.dossier == "1234567");
    CHECK(e.outcome == "denied");
    CHECK(e.at == clock.now());
    const auto detail = nlohmann::json::parse(e.detail);
    CHECK(detail.at("action") == "dossier.read");
    CHECK(detail.at("reason") == "conjoint_without_delegation");
    CHECK(detail.at("date") == "2026-11-28");
  }
  SUBCASE("R8 the front desk names the agent, even for own data, and the subject is the person") {
    const auto r = authz.authorize("p3", d, calp::action::own_data_read, calp::channel::front_desk,
                                   "A4521", at);
    REQUIRE(r.has_value());
    CHECK(r->allowed);
    const auto events = all_events(*store);
    REQUIRE(events.size() == 1);
    CHECK(events[0].actor == "agent:A4521");
    CHECK(events[0].subject == "p3");
    CHECK(events[0].outcome == "allowed");
  }
  SUBCASE("R8 a front-desk question without an agent is denied and still audited") {
    const auto r = authz.authorize("p1", d, calp::action::dossier_read, calp::channel::front_desk, "", at);
    REQUIRE(r.has_value());
    CHECK_FALSE(r->allowed);
    CHECK(r->reason == "agent_required");
    const auto events = all_events(*store);
    REQUIRE(events.size() == 1);
    CHECK(events[0].actor == "agent:unnamed");
    CHECK(events[0].outcome == "denied");
  }
  SUBCASE("R7 delegation.manage concerns the conjoint, separation.declare the other partner") {
    REQUIRE(authz.authorize("p1", d, calp::action::delegation_manage, calp::channel::online, "", at));
    REQUIRE(authz.authorize("p2", d, calp::action::separation_declare, calp::channel::online, "", at));
    REQUIRE(authz.authorize("p1", d, calp::action::separation_declare, calp::channel::online, "", at));
    const auto events = all_events(*store);
    REQUIRE(events.size() == 3);
    CHECK(events[0].subject == "p2");
    CHECK(events[0].outcome == "allowed");
    CHECK(events[1].subject == "p1");
    CHECK(events[2].subject == "p2");
  }
  SUBCASE("R19 a NIR typed where the member id goes never reaches the audit trail") {
    const auto r = authz.authorize("185017510008897", d, calp::action::dossier_read,
                                   calp::channel::front_desk, "A4521", at);
    REQUIRE(r.has_value());
    CHECK_FALSE(r->allowed);
    CHECK(r->reason == "not_member");
    const auto events = all_events(*store);
    REQUIRE(events.size() == 1);
    for (const std::string& field : {events[0].actor, events[0].subject, events[0].detail}) {
      CHECK(field.find("185017510008897") == std::string::npos);
      CHECK(field.find("1850175100088") == std::string::npos);
    }
    CHECK(calp::audit_person_text("185017510008897").find("**") != std::string::npos);
    CHECK(calp::audit_person_text(std::string(200, 'x')) == "invalid-person-id");
    CHECK(calp::audit_person_text("p1") == "p1");
  }
}

TEST_CASE_TEMPLATE_DEFINE("authorizer: an unknown dossier denies with its own reason, never an "
                          "exception, never an allow",
                          F, calp_authz_unknown) {
  using namespace calp_authz_test;
  const auto store = F::make();
  calp::storage_authorizer authz(*store);
  for (const calp::action a : calp::all_actions) {
    for (const calp::channel c : {calp::channel::online, calp::channel::front_desk}) {
      const auto r = authz.authorize("p1", dossier("7654321"), a, c, "A4521", day(2026, 11, 28));
      REQUIRE(r.has_value());
      CHECK_FALSE(r->allowed);
      CHECK_FALSE(r->dossier_found);
      CHECK(r->reason == calp::unknown_dossier_reason);
      CHECK(r->message == calp::unknown_dossier_message);
      CHECK(r->role == calp::household_role::not_member);
      CHECK(r->audit_seq.has_value() == calp::storage_authorizer::audited(a, c));
    }
  }
  const auto events = all_events(*store);
  REQUIRE_FALSE(events.empty());
  for (const auto& e : events) {
    CHECK(e.dossier == "7654321");
    CHECK(e.outcome == "denied");
  }
}

TEST_CASE_TEMPLATE_DEFINE("authorizer: R10 a revoked délégation and a separation apply on the very "
                          "next decision",
                          F, calp_authz_fresh) {
  using namespace calp_authz_test;
  const auto store = F::make();
  // A second handle on the same storage would be another process; the authorizer itself
  // keeps nothing between calls, which is what this proves.
  calp::storage_authorizer authz(*store);
  const auto d = dossier("1234567");
  const auto at = day(2026, 11, 28);
  store_household(*store, couple());
  const auto ask = [&] {
    return authz.authorize("p2", d, calp::action::dossier_read, calp::channel::online, "", at).value();
  };
  CHECK(ask().allowed);
  CHECK(ask().reason == "delegation");

  store_household(*store, couple(at));  // revoked on the day of the decision
  CHECK_FALSE(ask().allowed);
  CHECK(ask().reason == "conjoint_without_delegation");

  store_household(*store, couple());  // granted again
  CHECK(ask().allowed);

  // The conjoint leaves the household (separation): no longer a member.
  store_household(*store, parse_household(R"({"dossier": "1234567", "members": [
    {"id": "p1", "role": "allocataire", "birth_date": "1985-03-02"},
    {"id": "p2", "role": "conjoint", "birth_date": "1987-11-20", "left": "2026-11-28"}],
    "delegation": {"to": "p2", "granted": "2026-01-15", "revoked": "2026-11-28"}})"));
  const auto after = ask();
  CHECK_FALSE(after.allowed);
  CHECK(after.reason == "not_member");
}

#define CALP_STORAGE_AUTHORIZER_TESTS(...)                          \
  TEST_CASE_TEMPLATE_INVOKE(calp_authz_corpus, __VA_ARGS__);        \
  TEST_CASE_TEMPLATE_INVOKE(calp_authz_differential, __VA_ARGS__);  \
  TEST_CASE_TEMPLATE_INVOKE(calp_authz_audit, __VA_ARGS__);         \
  TEST_CASE_TEMPLATE_INVOKE(calp_authz_unknown, __VA_ARGS__);       \
  TEST_CASE_TEMPLATE_INVOKE(calp_authz_fresh, __VA_ARGS__)
