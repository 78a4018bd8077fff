// The record codec the SQL storages share (src/storage/codec.hpp): every record reads
// back equal to what was written, and damaged bytes are `storage_corrupt`, never a
// record and never undefined behaviour.

#include "storage/codec.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using calp::errc;
namespace detail = calp::detail;

calp::person_id pid(std::string_view id) { return calp::person_id::parse(id).value(); }
calp::date day(std::string_view d) { return calp::parse_date(d).value(); }
calp::timestamp at(std::int64_t s) { return calp::timestamp{std::chrono::seconds{s}}; }

calp::household full_household() {
  std::vector<calp::member> members{
      {pid("p1"), calp::member_role::allocataire, day("1985-03-02"),
       {{"AF", day("2020-01-01"), std::nullopt}}, std::nullopt},
      {pid("p2"), calp::member_role::conjoint, day("1987-11-20"),
       {{"AAH", day("2024-01-01"), std::nullopt}, {"BAFA", day("2019-05-01"), day("2021-04-30")}},
       day("2027-06-30")},
      {pid("p3-0123456789abcdef:x.y_z"), calp::member_role::other, day("2010-06-01"), {}, std::nullopt},
      {pid("p4"), calp::member_role::other, day("1850-01-01"), {}, day("2200-12-31")},
  };
  return calp::household::make(calp::dossier_number::parse("1234567").value(), std::move(members),
                               calp::delegation{pid("p2"), day("2026-01-15"), day("2026-09-01")})
      .value();
}

template <class F>
errc thrown_code(F&& f) {
  try {
    (void)f();
  } catch (const calp::storage_error& e) {
    return e.code();
  }
  FAIL("no storage_error was thrown");
  return errc::storage_failure;
}

TEST_CASE("codec households round trip with benefits, departures and a revoked délégation") {
  const calp::household h = full_household();
  const std::string bytes = detail::encode_household(h);
  CHECK(detail::decode_household(bytes) == h);

  const calp::household small =
      calp::household::make(calp::dossier_number::parse("0000001").value(),
                            {{pid("a"), calp::member_role::allocataire, day("2000-02-29"), {}, {}}},
                            std::nullopt)
          .value();
  CHECK(detail::decode_household(detail::encode_household(small)) == small);
  CHECK(detail::encode_household(small).size() < 32);
}

TEST_CASE("codec a truncated household is storage_corrupt at every length") {
  const std::string bytes = detail::encode_household(full_household());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    CAPTURE(n);
    CHECK(thrown_code([&] { return detail::decode_household(bytes.substr(0, n)); }) ==
          errc::storage_corrupt);
  }
  CHECK(thrown_code([&] { return detail::decode_household(bytes + '\0'); }) ==
        errc::storage_corrupt);
}

TEST_CASE("codec a household with another format byte is storage_corrupt") {
  std::string bytes = detail::encode_household(full_household());
  bytes[0] = 2;
  CHECK(thrown_code([&] { return detail::decode_household(bytes); }) == errc::storage_corrupt);
}

TEST_CASE("codec households with flipped bytes or random bytes never decode into garbage") {
  const calp::household h = full_household();
  const std::string bytes = detail::encode_household(h);
  std::mt19937 rng(20240611);
  // Every byte, every bit: either corrupt, or a valid household (a flipped date bit may
  // still be a real date), never a crash.
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      try {
        const calp::household d = detail::decode_household(damaged);
        CHECK(detail::decode_household(detail::encode_household(d)) == d);
      } catch (const calp::storage_error& e) {
        CHECK(e.code() == errc::storage_corrupt);
      }
    }
  }
  for (int round = 0; round < 20000; ++round) {
    std::string noise(rng() % 96, '\0');
    for (char& c : noise) c = static_cast<char>(rng());
    if (!noise.empty() && rng() % 2 == 0) noise[0] = 1;  // get past the format byte
    try {
      (void)detail::decode_household(noise);
    } catch (const calp::storage_error& e) {
      CHECK(e.code() == errc::storage_corrupt);
    }
  }
}

TEST_CASE("codec a household whose invariants are broken is storage_corrupt") {
  // Hand-built: two allocataires.
  std::string bytes;
  bytes += '\x01';
  bytes += "1234567";
  bytes += '\x02';
  for (const char* id : {"a", "b"}) {
    bytes += '\x01';
    bytes += id;
    bytes += '\x00';                       // allocataire
    bytes += std::string("\x10\x27\x00\x00", 4);  // day 10000
    bytes += '\x00';                       // no left
    bytes += '\x00';                       // no benefit
  }
  bytes += '\x00';  // no délégation
  CHECK(thrown_code([&] { return detail::decode_household(bytes); }) == errc::storage_corrupt);
  bytes[20] = '\x02';  // the second is "other": now valid
  CHECK(detail::decode_household(bytes).members().size() == 2);
}

calp::person_record full_person() {
  calp::civil_status cs;
  cs.family_name = "Müller-Ødegård";
  cs.given_names = "Zoé Ana-Maria 雅子";
  cs.gender = calp::gender::male;
  cs.birth_date = day("1984-05-31");
  cs.birth_country = "99109";
  cs.birth_city = "Köln";
  cs.parents = {{"Müller", "Hans"}, {"Ødegård", "Åse"}};
  cs.postal_code = "75011";
  return {.id = pid("person-1"),
          .nir = calp::nir::parse("284058832102532", calp::nir_profile::lenient).value(),
          .provisional_id = calp::provisional_id::parse("P33392250").value(),
          .provisional_valid_until = at(1'800'000'000),
          .civil_status = cs};
}

TEST_CASE("codec persons round trip with and without optional fields") {
  const calp::person_record p = full_person();
  CHECK(detail::decode_person(detail::encode_person(p)) == p);
  calp::person_record bare{.id = pid("x"), .nir = {}, .provisional_id = {},
                           .provisional_valid_until = {}, .civil_status = {}};
  CHECK(detail::decode_person(detail::encode_person(bare)) == bare);
  // A NIR of a person being registered (lenient profile: sex digit 7).
  bare.nir = calp::nir::parse("7 84 05 88 321 025 73", calp::nir_profile::lenient).value();
  CHECK(detail::decode_person(detail::encode_person(bare)) == bare);
}

TEST_CASE("codec accounts round trip with every optional field") {
  calp::account_record a{.person = pid("p1"),
                         .state = calp::account_state::active,
                         .password_hash = "$argon2id$v=19$m=65536,t=2,p=1$abc$def",
                         .legacy_password_hash = "legacy",
                         .terms_version = "2024-06",
                         .terms_accepted_at = at(1'700'000'000),
                         .contacts = {{calp::contact_kind::email, "Zoé@Example.fr", at(1'700'000'100)},
                                      {calp::contact_kind::mobile, "+33612345678", std::nullopt}},
                         .franceconnect_sub = "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1",
                         .delegation_offer_accepted = false,
                         .civil_status_locked = true,
                         .created_at = at(-86400),
                         .password_changed_at = at(1'700'000'200)};
  CHECK(detail::decode_account(detail::encode_account(a)) == a);
  for (auto state : {calp::account_state::awaiting_first_connection,
                     calp::account_state::first_connection, calp::account_state::disabled}) {
    calp::account_record b{.person = pid("p2"), .state = state, .password_hash = {},
                           .legacy_password_hash = {}, .terms_version = {},
                           .terms_accepted_at = {}, .contacts = {}, .franceconnect_sub = {},
                           .delegation_offer_accepted = {}, .civil_status_locked = false,
                           .created_at = {}, .password_changed_at = {}};
    CHECK(detail::decode_account(detail::encode_account(b)) == b);
  }
}

TEST_CASE("codec challenges, throttles and sessions round trip") {
  calp::challenge_record c{.key = "contact:p1:email", .person = pid("p1"), .secret_hash = "h",
                           .issued_at = at(100), .expires_at = at(700), .issued_count = 3,
                           .failed_attempts = 4294967295u, .consumed = true,
                           .payload = R"({"to":"zoé@example.fr"})"};
  CHECK(detail::decode_challenge(detail::encode_challenge(c)) == c);
  c.person.reset();
  c.payload.clear();
  CHECK(detail::decode_challenge(detail::encode_challenge(c)) == c);

  calp::throttle_record t{.key = "login:abc", .consecutive_failures = 5, .recent_failures = {at(1000), at(1030)},
                          .blocked_until = at(1060)};
  CHECK(detail::decode_throttle(detail::encode_throttle(t)) == t);
  t.blocked_until.reset();
  CHECK(detail::decode_throttle(detail::encode_throttle(t)) == t);

  for (auto kind : {calp::session_kind::first_connection, calp::session_kind::full}) {
    calp::session_record s{.token_hash = "tok", .person = pid("p1"), .kind = kind,
                           .method = "franceconnect", .created_at = at(1), .last_seen_at = at(2),
                           .expires_at = at(3)};
    CHECK(detail::decode_session(detail::encode_session(s)) == s);
  }
}

TEST_CASE("codec JSON records of the wrong shape are storage_corrupt") {
  const std::string person = detail::encode_person(full_person());
  for (std::string_view bad : {
           "", "null", "[]", "{", "42", R"({"id":"p1","extra":1})", R"({"id":""})",
           R"({"id":"p1","nir":"284058832102533"})", R"({"id":"p1","nir":12})",
           R"({"id":"p1","provisional_id":"X1"})", R"({"id":"p1","provisional_valid_until":"soon"})",
           R"({"id":"p1","provisional_valid_until":18446744073709551615})",
           R"({"id":"p1","civil_status":[]})", R"({"id":"p1","civil_status":{}})"}) {
    CAPTURE(bad);
    CHECK(thrown_code([&] { return detail::decode_person(bad); }) == errc::storage_corrupt);
  }
  for (std::size_t n = 0; n < person.size(); ++n) {
    CHECK(thrown_code([&] { return detail::decode_person(person.substr(0, n)); }) ==
          errc::storage_corrupt);
  }
  CHECK(thrown_code([&] {
          return detail::decode_challenge(
              R"({"key":"k","secret_hash":"","issued_at":0,"expires_at":0,"issued_count":-1,)"
              R"("failed_attempts":0,"consumed":false,"payload":""})");
        }) == errc::storage_corrupt);
  CHECK(thrown_code([&] {
          return detail::decode_challenge(
              R"({"key":"k","secret_hash":"","issued_at":0,"expires_at":0,"issued_count":4294967296,)"
              R"("failed_attempts":0,"consumed":false,"payload":""})");
        }) == errc::storage_corrupt);
  CHECK(thrown_code([&] {
          return detail::decode_session(
              R"({"token_hash":"t","person":"p","kind":"half","method":"","created_at":0,)"
              R"("last_seen_at":0,"expires_at":0})");
        }) == errc::storage_corrupt);
  CHECK(thrown_code([&] {
          return detail::decode_account(R"({"person":"p","state":"active"})");
        }) == errc::storage_corrupt);
  CHECK(thrown_code([&] { return detail::decode_throttle(R"({"key":"k"})"); }) ==
        errc::storage_corrupt);
}

TEST_CASE("codec a corrupt NIR is reported without the NIR in the message") {
  try {
    (void)detail::decode_person(R"({"id":"p1","nir":"284058832102533"})");
    FAIL("decoded");
  } catch (const calp::storage_error& e) {
    CHECK(std::string(e.what()).find("284058832102533") == std::string::npos);
  }
}

TEST_CASE("R14 codec email_key lower-cases ASCII letters only") {
  CHECK(detail::email_key("Zoé.MARTIN@Example.FR") == "zoé.martin@example.fr");
  CHECK(detail::email_key("ÉLISE@x.fr") == "Élise@x.fr");
  CHECK(detail::email_key("") == "");
}

}  // namespace
