#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <optional>
#include <string>

#include "calp/storage/memory.hpp"
#include "calp/verification_code.hpp"

using namespace std::chrono;
using calp::code_channel;
using calp::code_outcome;

namespace {

const calp::timestamp t0 = sys_days{2026y / November / 28} + 10h;

const calp::code_key& test_key() {
  static const calp::code_key key =
      calp::code_key::from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
          .value();
  return key;
}

calp::person_id person() { return calp::person_id::parse("p1").value(); }

calp::issued_code issue(const std::optional<calp::challenge_record>& current,
                        code_channel channel = code_channel::sms, calp::timestamp now = t0) {
  auto r = calp::issue_code(current, "contact:p1:mobile", person(), channel, now, test_key());
  REQUIRE(r);
  return std::move(r).value();
}

std::string code_of(const calp::issued_code& c) { return std::string(c.code.view()); }

// A 6-digit text that is not `code`.
std::string other_code(const std::string& code) {
  std::string wrong = code;
  wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
  return wrong;
}

}  // namespace

TEST_CASE("R13 a code has 6 digits and is stored only as a keyed hash") {
  const auto c = issue(std::nullopt);
  const std::string code = code_of(c);
  REQUIRE(code.size() == 6);
  for (const char d : code) CHECK((d >= '0' && d <= '9'));
  CHECK(c.record.key == "contact:p1:mobile");
  CHECK(c.record.person == person());
  CHECK(c.record.issued_count == 1);
  CHECK(c.record.secret_hash.size() == 64);
  CHECK(c.record.secret_hash.find(code) == std::string::npos);
  CHECK(c.record.payload == "sms");
  const auto other = calp::code_key::generate();
  CHECK(calp::check_code(c.record, code, t0, other).outcome == code_outcome::wrong);
}

TEST_CASE("R13 code digits are drawn uniformly over 10k draws") {
  std::array<int, 10> counts{};
  int positions = 0;
  for (int i = 0; i < 10000 / 6 + 1; ++i) {
    const auto c = issue(std::nullopt);
    for (const char d : c.code.view()) {
      ++counts[static_cast<std::size_t>(d - '0')];
      ++positions;
    }
  }
  // A biased draw (modulo bias, a stuck digit) shows far outside these bounds; a fair
  // one leaves them with probability well below 1e-50.
  for (std::size_t d = 0; d < counts.size(); ++d) {
    CAPTURE(d);
    CHECK(counts[d] > positions * 4 / 100);
    CHECK(counts[d] < positions * 16 / 100);
  }
}

TEST_CASE("R13 a code sent by SMS expires after 10 minutes") {
  const auto c = issue(std::nullopt, code_channel::sms);
  CHECK(c.record.expires_at == t0 + 10min);
  const std::string code = code_of(c);
  CHECK(calp::check_code(c.record, code, t0 + 9min + 59s, test_key()).outcome ==
        code_outcome::accepted);
  CHECK(calp::check_code(c.record, code, t0 + 10min, test_key()).outcome == code_outcome::expired);
  const auto late = calp::check_code(c.record, code, t0 + 10min + 1s, test_key());
  CHECK(late.outcome == code_outcome::expired);
  CHECK_FALSE(late.changed);
  CHECK(late.next == c.record);
}

TEST_CASE("R13 a code sent by e-mail expires after 15 minutes") {
  const auto c = issue(std::nullopt, code_channel::email);
  CHECK(c.record.payload == "email");
  const std::string code = code_of(c);
  CHECK(calp::check_code(c.record, code, t0 + 14min + 59s, test_key()).outcome ==
        code_outcome::accepted);
  CHECK(calp::check_code(c.record, code, t0 + 15min, test_key()).outcome == code_outcome::expired);
  CHECK(calp::check_code(c.record, code, t0 + 15min + 1s, test_key()).outcome ==
        code_outcome::expired);
}

TEST_CASE("R13 after the first code, a 4th new code for one contact point is refused with calp.code.limit") {
  auto first = issue(std::nullopt);
  auto second = issue(first.record);
  auto third = issue(second.record);
  auto fourth = issue(third.record);
  CHECK(fourth.record.issued_count == 4);
  const auto fifth = calp::issue_code(fourth.record, "contact:p1:mobile", person(),
                                      code_channel::sms, t0 + 1h, test_key());
  REQUIRE_FALSE(fifth);
  CHECK(fifth.error().code == calp::errc::code_limit);
  CHECK(calp::to_string(fifth.error().code) == "calp.code.limit");
  // Another contact point is another key and starts over.
  CHECK(calp::issue_code(std::nullopt, "contact:p1:email", person(), code_channel::email, t0,
                         test_key()));
}

TEST_CASE("R13 a new code voids the previous one and restarts its attempts") {
  const auto first = issue(std::nullopt);
  auto record = first.record;
  record.failed_attempts = 4;
  const auto second = issue(record, code_channel::email, t0 + 2min);
  CHECK(second.record.failed_attempts == 0);
  CHECK_FALSE(second.record.consumed);
  CHECK(second.record.issued_at == t0 + 2min);
  CHECK(second.record.expires_at == t0 + 17min);
  if (code_of(first) != code_of(second)) {
    CHECK(calp::check_code(second.record, code_of(first), t0 + 3min, test_key()).outcome ==
          code_outcome::wrong);
  }
  CHECK(calp::check_code(second.record, code_of(second), t0 + 3min, test_key()).outcome ==
        code_outcome::accepted);
}

TEST_CASE("R13 after 5 wrong entries a code is void even with the right code") {
  const auto c = issue(std::nullopt);
  const std::string code = code_of(c);
  const std::string wrong = other_code(code);
  auto record = c.record;
  for (std::uint32_t i = 1; i <= 4; ++i) {
    const auto check = calp::check_code(record, wrong, t0 + 1min, test_key());
    CHECK(check.outcome == code_outcome::wrong);
    CHECK(check.changed);
    CHECK(check.next.failed_attempts == i);
    CHECK(check.attempts_left == 5 - i);
    record = check.next;
  }
  const auto fifth = calp::check_code(record, wrong, t0 + 1min, test_key());
  CHECK(fifth.outcome == code_outcome::void_too_many_attempts);
  CHECK(fifth.next.failed_attempts == 5);
  CHECK(fifth.attempts_left == 0);
  const auto right = calp::check_code(fifth.next, code, t0 + 1min, test_key());
  CHECK(right.outcome == code_outcome::void_too_many_attempts);
  CHECK_FALSE(right.changed);
  CHECK_FALSE(right.next.consumed);
}

TEST_CASE("R13 a code is single use") {
  const auto c = issue(std::nullopt);
  const auto first = calp::check_code(c.record, code_of(c), t0 + 1min, test_key());
  REQUIRE(first.outcome == code_outcome::accepted);
  CHECK(first.changed);
  CHECK(first.next.consumed);
  const auto again = calp::check_code(first.next, code_of(c), t0 + 2min, test_key());
  CHECK(again.outcome == code_outcome::already_used);
  CHECK_FALSE(again.changed);
}

TEST_CASE("R13 a typed code is 6 digits once spaces are removed and a malformed entry is no attempt") {
  const auto c = issue(std::nullopt);
  const std::string code = code_of(c);
  const std::string spaced = " " + code.substr(0, 3) + " " + code.substr(3) + " ";
  CHECK(calp::check_code(c.record, spaced, t0, test_key()).outcome == code_outcome::accepted);
  for (const std::string& bad : {std::string{}, code.substr(0, 5), code + "0", code.substr(0, 5) + "a",
                                code.substr(0, 5) + "\xd9\xa3", std::string("12345\t6"),
                                std::string("1234567890"), std::string("      ")}) {
    CAPTURE(bad);
    const auto check = calp::check_code(c.record, bad, t0, test_key());
    CHECK(check.outcome == code_outcome::malformed);
    CHECK_FALSE(check.changed);
    CHECK(check.next.failed_attempts == 0);
  }
}

TEST_CASE("R13 a hash copied under another challenge key does not verify") {
  const auto c = issue(std::nullopt);
  auto moved = c.record;
  moved.key = "contact:p2:mobile";
  CHECK(calp::check_code(moved, code_of(c), t0, test_key()).outcome == code_outcome::wrong);
}

TEST_CASE("R13 a code checked under another server key is wrong") {
  const auto c = issue(std::nullopt);
  const auto other =
      calp::code_key::from_hex("FF0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
  REQUIRE(other);
  CHECK(calp::check_code(c.record, code_of(c), t0, *other).outcome == code_outcome::wrong);
}

TEST_CASE("code keys load from 32 bytes or 64 hex digits and refuse anything else") {
  std::array<unsigned char, 32> raw{};
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<unsigned char>(i);
  const auto from_bytes = calp::code_key::from_bytes(raw);
  REQUIRE(from_bytes);
  // The same key as test_key(): a code issued under one checks under the other.
  const auto c = issue(std::nullopt);
  CHECK(calp::check_code(c.record, code_of(c), t0, *from_bytes).outcome == code_outcome::accepted);

  CHECK(calp::code_key::from_bytes(std::span(raw).first(31)).error().code == calp::errc::code_key);
  const std::string good(64, 'a');
  CHECK(calp::code_key::from_hex(good));
  for (const std::string& bad : {std::string{}, std::string(63, 'a'), std::string(65, 'a'),
                                std::string(62, 'a') + "zz", std::string(62, 'a') + " a"}) {
    CAPTURE(bad.size());
    const auto r = calp::code_key::from_hex(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == calp::errc::code_key);
    CHECK(calp::to_string(r.error().code) == "calp.code.key");
    // The message never quotes what may be a real key with a typo.
    CHECK(r.error().message.find("aaaa") == std::string::npos);
  }
}

TEST_CASE("issue_code refuses an empty key or a record of another key as a bug") {
  CHECK_THROWS_AS((void)calp::issue_code(std::nullopt, "", person(), code_channel::sms, t0,
                                         test_key()),
                  std::invalid_argument);
  const auto c = issue(std::nullopt);
  CHECK_THROWS_AS((void)calp::issue_code(c.record, "contact:p2:mobile", person(),
                                         code_channel::sms, t0, test_key()),
                  std::invalid_argument);
}

TEST_CASE("R13 two servers checking one right code from one read commit only once") {
  calp::memory_storage store;
  const auto c = issue(std::nullopt);
  {
    calp::write_batch batch;
    batch.put(c.record, 0);
    REQUIRE(store.commit(batch));
  }
  const auto read_a = store.find_challenge("contact:p1:mobile");
  const auto read_b = store.find_challenge("contact:p1:mobile");
  REQUIRE(read_a);
  REQUIRE(read_b);
  const auto check_a = calp::check_code(read_a->value, code_of(c), t0 + 1min, test_key());
  const auto check_b = calp::check_code(read_b->value, code_of(c), t0 + 1min, test_key());
  REQUIRE(check_a.outcome == code_outcome::accepted);
  REQUIRE(check_b.outcome == code_outcome::accepted);
  calp::write_batch batch_a;
  batch_a.put(check_a.next, read_a->version);
  calp::write_batch batch_b;
  batch_b.put(check_b.next, read_b->version);
  CHECK(store.commit(batch_a));
  const auto lost = store.commit(batch_b);
  REQUIRE_FALSE(lost);
  CHECK(lost.error().code == calp::errc::storage_conflict);
  // The loser reads again and checks again, as the contract says.
  const auto reread = store.find_challenge("contact:p1:mobile");
  REQUIRE(reread);
  CHECK(calp::check_code(reread->value, code_of(c), t0 + 1min, test_key()).outcome ==
        code_outcome::already_used);
}

TEST_CASE("R13 concurrent wrong entries cannot exceed 5 attempts through the storage") {
  calp::memory_storage store;
  const auto c = issue(std::nullopt);
  {
    calp::write_batch batch;
    batch.put(c.record, 0);
    REQUIRE(store.commit(batch));
  }
  const std::string wrong = other_code(code_of(c));
  // Ten guesses, each pair racing from one read: the loser of each race reads again.
  int counted = 0;
  for (int i = 0; i < 10; ++i) {
    const auto read = store.find_challenge("contact:p1:mobile");
    REQUIRE(read);
    const auto check = calp::check_code(read->value, wrong, t0, test_key());
    if (!check.changed) continue;
    calp::write_batch batch;
    batch.put(check.next, read->version);
    calp::write_batch stale;
    stale.put(check.next, read->version);
    if (store.commit(batch)) ++counted;
    CHECK_FALSE(store.commit(stale));
  }
  CHECK(counted == 5);
  const auto last = store.find_challenge("contact:p1:mobile");
  REQUIRE(last);
  CHECK(last->value.failed_attempts == 5);
  CHECK(calp::check_code(last->value, code_of(c), t0, test_key()).outcome ==
        code_outcome::void_too_many_attempts);
}

TEST_CASE("code outcomes and channels have stable names") {
  CHECK(calp::to_string(code_outcome::accepted) == "accepted");
  CHECK(calp::to_string(code_outcome::wrong) == "wrong");
  CHECK(calp::to_string(code_outcome::expired) == "expired");
  CHECK(calp::to_string(code_outcome::void_too_many_attempts) == "void_too_many_attempts");
  CHECK(calp::to_string(code_outcome::already_used) == "already_used");
  CHECK(calp::to_string(code_outcome::malformed) == "malformed");
  CHECK(calp::to_string(code_channel::sms) == "sms");
  CHECK(calp::to_string(code_channel::email) == "email");
}
