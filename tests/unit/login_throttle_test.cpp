#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "calp/login_throttle.hpp"

using namespace std::chrono;
using calp::login_throttle_rules;
using calp::throttle_record;
using calp::timestamp;

namespace {

const timestamp t0 = sys_days{2026y / November / 28} + 10h;
const std::string key = "login:P50575506";

// What the account service does with one storage: read, reserve, commit, check, settle.
struct identifier {
  std::optional<throttle_record> stored;
  login_throttle_rules rules{};

  // One attempt at `now`; true when it was checked (and so counted until it proves right).
  bool attempt(timestamp now, bool right = false) {
    auto r = calp::reserve_attempt(stored, key, now, rules);
    if (!r.allowed) {
      REQUIRE(r.blocked_until.has_value());
      CHECK(*r.blocked_until > now);
      return false;
    }
    CHECK_FALSE(r.blocked_until.has_value());
    REQUIRE_FALSE(r.next.recent_failures.empty());
    CHECK(r.next.recent_failures.back() == now);
    stored = r.next;
    if (right) stored = calp::settle_success(*stored, now);
    return true;
  }

  [[nodiscard]] std::optional<timestamp> until(timestamp now) const {
    REQUIRE(stored.has_value());
    return calp::blocked_until(*stored, now, rules);
  }

  [[nodiscard]] const std::vector<timestamp>& recent() const {
    REQUIRE(stored.has_value());
    return stored->recent_failures;
  }
};

// The most failures in any span [t, t + span): the worst spans start at a failure.
std::size_t worst_span(std::vector<timestamp> failures, seconds span) {
  std::sort(failures.begin(), failures.end());
  std::size_t worst = 0;
  for (auto it = failures.begin(); it != failures.end(); ++it) {
    const auto last = std::lower_bound(it, failures.end(), *it + span);
    worst = std::max(worst, static_cast<std::size_t>(last - it));
  }
  return worst;
}

// The failures of `all` that still count at `now` under a window of `window`.
std::vector<timestamp> counted_at(const std::vector<timestamp>& all, timestamp now,
                                  seconds window) {
  std::vector<timestamp> out;
  for (const timestamp t : all) {
    if (now < t + window) out.push_back(t);
  }
  return out;
}

}  // namespace

TEST_CASE("R12b the first 4 failures follow one another freely") {
  identifier id;
  for (std::uint32_t n = 1; n <= 4; ++n) {
    const auto r = calp::reserve_attempt(id.stored, key, t0, id.rules);
    REQUIRE(r.allowed);
    CHECK(r.next.key == key);
    CHECK(r.next.consecutive_failures == n);
    CHECK(r.next.recent_failures == std::vector<timestamp>(n, t0));
    CHECK_FALSE(r.next.blocked_until.has_value());
    id.stored = r.next;
    CHECK_FALSE(id.until(t0).has_value());
  }
}

TEST_CASE("R12b the 5th consecutive failure blocks for 2 minutes, beyond 1 minute") {
  identifier id;
  for (int n = 0; n < 4; ++n) REQUIRE(id.attempt(t0));
  const auto r = calp::reserve_attempt(id.stored, key, t0, id.rules);
  REQUIRE(r.allowed);
  CHECK(r.next.consecutive_failures == 5);
  CHECK(r.next.recent_failures.size() == 5);
  REQUIRE(r.next.blocked_until.has_value());
  CHECK(*r.next.blocked_until == t0 + 2min);
  CHECK(*r.next.blocked_until - t0 > 1min);
  id.stored = r.next;
  CHECK(id.until(t0) == t0 + 2min);

  // The 6th at once is not checked, and there is nothing to commit.
  const auto sixth = calp::reserve_attempt(id.stored, key, t0 + 30s, id.rules);
  CHECK_FALSE(sixth.allowed);
  CHECK(sixth.blocked_until == t0 + 2min);
}

TEST_CASE("R12b each further failure doubles the delay, up to 1 hour") {
  identifier id;
  for (int n = 0; n < 5; ++n) REQUIRE(id.attempt(t0));
  const std::vector<minutes> expected{2min, 4min, 8min, 16min, 32min, 60min, 60min, 60min, 60min};
  std::vector<timestamp> failures(5, t0);
  timestamp now = t0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    const auto until = id.until(now);
    REQUIRE(until.has_value());
    CHECK(*until - now == expected[i]);
    now = *until;
    if (i + 1 < expected.size()) {
      REQUIRE(id.attempt(now));
      failures.push_back(now);
      CHECK(id.stored->consecutive_failures == 6 + i);
    }
  }
  CHECK(id.recent().size() == 13);
  CHECK(id.recent() == failures);  // every instant, oldest first
}

TEST_CASE("R12b a block holds at its last second and is over at its end") {
  identifier id;
  for (int n = 0; n < 5; ++n) REQUIRE(id.attempt(t0));
  const timestamp until = t0 + 2min;
  CHECK(id.until(until - 1s) == until);
  CHECK_FALSE(id.until(until).has_value());

  const auto before = calp::reserve_attempt(id.stored, key, until - 1s, id.rules);
  CHECK_FALSE(before.allowed);
  CHECK(before.blocked_until == until);

  const auto at = calp::reserve_attempt(id.stored, key, until, id.rules);
  REQUIRE(at.allowed);
  CHECK(at.next.consecutive_failures == 6);
  CHECK(at.next.blocked_until == until + 4min);
  CHECK(at.next.recent_failures.size() == 6);
  CHECK(at.next.recent_failures.back() == until);
}

TEST_CASE("R12b a right password clears the consecutive count and the delay, not the window") {
  identifier id;
  for (int n = 0; n < 4; ++n) REQUIRE(id.attempt(t0));

  // The 5th attempt is reserved as a failure (and would block) before it is checked...
  const auto r = calp::reserve_attempt(id.stored, key, t0 + 1s, id.rules);
  REQUIRE(r.allowed);
  CHECK(r.next.consecutive_failures == 5);
  CHECK(r.next.recent_failures == std::vector<timestamp>{t0, t0, t0, t0, t0 + 1s});
  CHECK(r.next.blocked_until.has_value());

  // ...and given back when it proves right: that instant only.
  const auto settled = calp::settle_success(r.next, t0 + 1s);
  CHECK(settled.key == key);
  CHECK(settled.consecutive_failures == 0);
  CHECK_FALSE(settled.blocked_until.has_value());
  CHECK(settled.recent_failures == std::vector<timestamp>(4, t0));
  CHECK_FALSE(calp::blocked_until(settled, t0 + 1s).has_value());
  id.stored = settled;

  // The next failures are free again, and the window goes on counting.
  for (int n = 0; n < 4; ++n) REQUIRE(id.attempt(t0 + 2s));
  CHECK(id.stored->consecutive_failures == 4);
  CHECK(id.recent().size() == 8);
  CHECK(id.recent().front() == t0);
  CHECK(id.recent().back() == t0 + 2s);
  CHECK_FALSE(id.until(t0 + 2s).has_value());
}

TEST_CASE("R12b a right password after a block clears the delay") {
  identifier id;
  for (int n = 0; n < 6; ++n) REQUIRE(id.attempt(t0 + (n == 5 ? 2min : 0s)));
  CHECK(id.until(t0 + 2min) == t0 + 6min);
  REQUIRE(id.attempt(t0 + 6min, true));
  CHECK(id.stored->consecutive_failures == 0);
  CHECK(id.recent() == std::vector<timestamp>{t0, t0, t0, t0, t0, t0 + 2min});
  CHECK_FALSE(id.until(t0 + 6min).has_value());
}

TEST_CASE("R12b a right password during a block is not checked") {
  identifier id;
  for (int n = 0; n < 5; ++n) REQUIRE(id.attempt(t0));
  const auto before = *id.stored;
  CHECK_FALSE(id.attempt(t0 + 1min, true));
  CHECK(id.stored->consecutive_failures == 5);
  CHECK(*id.stored == before);  // nothing committed
}

TEST_CASE("R12b 25 failures in 24 hours block until the oldest leaves, successes interleaved") {
  identifier id;
  timestamp now = t0;
  std::vector<timestamp> failures;
  while (failures.size() < 25) {
    // 4 wrong guesses, then the person logs in: never 5 in a row, never a delay.
    for (int n = 0; n < 4 && failures.size() < 25; ++n) {
      REQUIRE(id.attempt(now));
      failures.push_back(now);
      CHECK_FALSE(id.stored->blocked_until.has_value());
      now += 10min;
    }
    if (failures.size() < 25) {
      REQUIRE(id.attempt(now, true));
      now += 10min;
    }
  }
  CHECK(id.recent() == failures);  // the successes left no instant behind
  CHECK(failures.front() == t0);
  CHECK(failures.back() == t0 + 5h);
  CHECK(id.stored->consecutive_failures == 1);  // the 25th came after a success

  const timestamp frees = t0 + 24h;  // the oldest failure leaves the window
  CHECK(id.until(now) == frees);
  // Even the right password is not checked until then.
  const auto right = calp::reserve_attempt(id.stored, key, now, id.rules);
  CHECK_FALSE(right.allowed);
  CHECK(right.blocked_until == frees);
  CHECK_FALSE(id.attempt(frees - 1s, true));
  CHECK(calp::reserve_attempt(id.stored, key, frees - 1s, id.rules).blocked_until == frees);

  // Then one attempt, not a whole new window: the other 24 still count.
  const auto next = calp::reserve_attempt(id.stored, key, frees, id.rules);
  REQUIRE(next.allowed);
  REQUIRE(next.next.recent_failures.size() == 25);
  CHECK(next.next.recent_failures.front() == t0 + 10min);
  CHECK(next.next.recent_failures.back() == frees);
  CHECK(calp::blocked_until(next.next, frees, id.rules) == t0 + 10min + 24h);
}

TEST_CASE("R12b a right password at the 25th attempt is given back to the window") {
  identifier id;
  timestamp now = t0;
  for (int n = 0; n < 24; ++n) {
    REQUIRE(id.attempt(now));
    if (n % 4 == 3) REQUIRE(id.attempt(now, true));  // same instant as a failure: one goes
    now += 1min;
  }
  CHECK(id.recent().size() == 24);
  CHECK(id.recent().front() == t0);
  CHECK(id.recent().back() == t0 + 23min);
  CHECK(id.stored->consecutive_failures == 0);

  REQUIRE(id.attempt(now, true));
  CHECK(id.recent().size() == 24);
  CHECK_FALSE(id.until(now).has_value());

  REQUIRE(id.attempt(now));
  CHECK(id.recent().size() == 25);
  CHECK(id.until(now) == t0 + 24h);
}

TEST_CASE("R12b a failure leaves the window exactly 24 hours after it happened") {
  identifier id;
  for (int n = 0; n < 3; ++n) REQUIRE(id.attempt(t0 + n * 1h));
  CHECK(id.recent() == std::vector<timestamp>{t0, t0 + 1h, t0 + 2h});

  // At its last second the first failure still counts...
  REQUIRE(id.attempt(t0 + 24h - 1s));
  CHECK(id.recent() == std::vector<timestamp>{t0, t0 + 1h, t0 + 2h, t0 + 24h - 1s});

  // ...and it is gone at 24 hours; the others stay. The consecutive count does not
  // depend on the window: this is the 5th in a row.
  REQUIRE(id.attempt(t0 + 24h));
  CHECK(id.recent() == std::vector<timestamp>{t0 + 1h, t0 + 2h, t0 + 24h - 1s, t0 + 24h});
  CHECK(id.stored->consecutive_failures == 5);
  CHECK(id.stored->blocked_until == t0 + 24h + 2min);

  // Each one leaves on its own anniversary.
  REQUIRE(id.attempt(t0 + 25h));
  CHECK(id.recent() == std::vector<timestamp>{t0 + 2h, t0 + 24h - 1s, t0 + 24h, t0 + 25h});
}

TEST_CASE("R12b the end of a full window: the oldest counted failure plus 24 hours") {
  // 25 failures at distinct instants, a success after every 4th so no delay ever applies.
  identifier id;
  std::vector<timestamp> failures;
  timestamp now = t0;
  for (int n = 0; n < 25; ++n) {
    REQUIRE(id.attempt(now));
    failures.push_back(now);
    now += 7min;
    if (n % 4 == 3) {
      REQUIRE(id.attempt(now, true));
      now += 7min;
    }
  }
  REQUIRE(id.recent() == failures);
  const timestamp last = failures.back();

  // Blocked until the oldest failure is 24 hours old, to the second.
  CHECK(id.until(last) == failures[0] + 24h);
  CHECK(id.until(failures[0] + 24h - 1s) == failures[0] + 24h);
  CHECK_FALSE(id.until(failures[0] + 24h).has_value());
  CHECK_FALSE(id.attempt(failures[0] + 24h - 1s));

  // One more attempt then, and the window is full again until the next oldest leaves.
  REQUIRE(id.attempt(failures[0] + 24h));
  CHECK(id.recent().size() == 25);
  CHECK(id.recent().front() == failures[1]);
  CHECK(id.until(failures[0] + 24h) == failures[1] + 24h);
  CHECK_FALSE(id.attempt(failures[1] + 24h - 1s));
  CHECK(id.until(failures[1] + 24h - 1s) == failures[1] + 24h);
  REQUIRE(id.attempt(failures[1] + 24h));
  CHECK(id.recent().front() == failures[2]);
  CHECK(id.until(failures[1] + 24h) == failures[2] + 24h);

  // Failures at one instant leave together, but only the ones needed free the attempt:
  // with 25 counted at one instant, the next attempt waits for that instant + 24 hours.
  identifier burst;
  for (int n = 0; n < 25; ++n) {
    REQUIRE(burst.attempt(t0));
    if (n % 4 == 3) REQUIRE(burst.attempt(t0, true));
  }
  CHECK(burst.recent() == std::vector<timestamp>(25, t0));
  CHECK(burst.until(t0 + 1h) == t0 + 24h);
  REQUIRE(burst.attempt(t0 + 24h));
  CHECK(burst.recent() == std::vector<timestamp>{t0 + 24h});
}

TEST_CASE("R12b blocked_until when more failures count than the limit, behind stale ones") {
  // A record as read long after it was written: 2 instants that have left the window
  // since (not erased until the next reservation) in front of 30 that count, more than
  // the 25 allowed (the rules were lowered, say). The attempt is free once 6 of the 30
  // have left.
  throttle_record r;
  r.key = key;
  const timestamp now = t0 + 48h;
  r.recent_failures.push_back(now - 30h);
  r.recent_failures.push_back(now - 24h);  // leaves exactly now
  for (int n = 0; n < 30; ++n) r.recent_failures.push_back(now - 23h + n * 10min);
  CHECK(calp::blocked_until(r, now) == now - 23h + 50min + 24h);  // the 6th counted

  const auto refused = calp::reserve_attempt(r, key, now);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.blocked_until == now + 1h + 50min);

  const auto allowed = calp::reserve_attempt(r, key, now + 1h + 50min);
  REQUIRE(allowed.allowed);
  // The stale and the departed are erased on the way: 24 left, and this one.
  CHECK(allowed.next.recent_failures.size() == 25);
  CHECK(allowed.next.recent_failures.front() == now - 23h + 60min);
  CHECK(allowed.next.recent_failures.back() == now + 1h + 50min);

  // A delay still running past the window's end is the later of the two.
  r.blocked_until = now + 3h;
  CHECK(calp::blocked_until(r, now) == now + 3h);
  r.blocked_until = now + 1h;
  CHECK(calp::blocked_until(r, now) == now + 1h + 50min);
}

TEST_CASE("R12b blocked_until does not rely on the order of the instants") {
  // A server whose clock is 5 s behind appended t0 - 5s after t0: at t0 + 24h - 2s the
  // first stored instant still counts and the second does not.
  throttle_record r;
  r.key = key;
  r.recent_failures = {t0, t0 - 5s};
  for (int n = 1; n <= 24; ++n) r.recent_failures.push_back(t0 + n * 10min);
  const timestamp now = t0 + 24h - 2s;
  // 25 count (t0 and the 24 after it): blocked until t0 leaves, not at an instant past.
  const auto until = calp::blocked_until(r, now);
  REQUIRE(until.has_value());
  CHECK(*until == t0 + 24h);
  const auto refused = calp::reserve_attempt(r, key, now);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.blocked_until == t0 + 24h);
  CHECK(calp::reserve_attempt(r, key, t0 + 24h).allowed);

  // Reversed, the same: the instants themselves decide.
  std::reverse(r.recent_failures.begin(), r.recent_failures.end());
  CHECK(calp::blocked_until(r, now) == t0 + 24h);
  // Earlier all 26 count: the two oldest must leave, t0 - 5s then t0.
  CHECK(calp::blocked_until(r, t0 + 1h) == t0 + 24h);
}

TEST_CASE("R12b a window limit of 0 counts as 1") {
  identifier id;
  id.rules.max_failures_per_window = 0;
  id.rules.free_failures = std::numeric_limits<std::uint32_t>::max();
  REQUIRE(id.attempt(t0));
  CHECK(id.until(t0) == t0 + 24h);
  CHECK_FALSE(id.attempt(t0 + 24h - 1s));
  REQUIRE(id.attempt(t0 + 24h));
  CHECK(id.recent() == std::vector<timestamp>{t0 + 24h});
}

TEST_CASE("R12b settle_success gives back only the reservation it is given") {
  // Two servers reserve an attempt each: A at t1, B at t2 on the record A committed.
  identifier id;
  REQUIRE(id.attempt(t0));
  REQUIRE(id.attempt(t0 + 1min));
  const timestamp t1 = t0 + 2min;
  const timestamp t2 = t0 + 2min + 5s;
  const auto a = calp::reserve_attempt(id.stored, key, t1, id.rules);
  REQUIRE(a.allowed);
  const auto b = calp::reserve_attempt(a.next, key, t2, id.rules);
  REQUIRE(b.allowed);
  CHECK(b.next.recent_failures == std::vector<timestamp>{t0, t0 + 1min, t1, t2});
  CHECK(b.next.consecutive_failures == 4);

  // A's password was right; A settles on the record as read now (with B's reservation).
  const auto after_a = calp::settle_success(b.next, t1);
  CHECK(after_a.recent_failures == std::vector<timestamp>{t0, t0 + 1min, t2});
  CHECK(after_a.consecutive_failures == 0);
  CHECK_FALSE(after_a.blocked_until.has_value());

  // B's was wrong: its failure stays. Had it been right, only t2 would go.
  const auto after_b = calp::settle_success(after_a, t2);
  CHECK(after_b.recent_failures == std::vector<timestamp>{t0, t0 + 1min});

  // Two reservations at the same instant: one success gives back one of them.
  const auto c = calp::reserve_attempt(after_a, key, t2, id.rules);
  REQUIRE(c.allowed);
  CHECK(c.next.recent_failures == std::vector<timestamp>{t0, t0 + 1min, t2, t2});
  CHECK(calp::settle_success(c.next, t2).recent_failures ==
        std::vector<timestamp>{t0, t0 + 1min, t2});

  // An instant no longer there (erased by a later reservation once out of the window,
  // or already given back) removes nothing, and still clears the count and the delay.
  throttle_record blocked = c.next;
  blocked.consecutive_failures = 7;
  blocked.blocked_until = t2 + 1h;
  const auto unknown = calp::settle_success(blocked, t0 + 30s);
  CHECK(unknown.recent_failures == blocked.recent_failures);
  CHECK(unknown.consecutive_failures == 0);
  CHECK_FALSE(unknown.blocked_until.has_value());
  CHECK(unknown.key == key);
}

TEST_CASE("R12b an attacker retrying as soon as allowed never gets more than 25 failures in 24 hours") {
  identifier id;
  std::vector<timestamp> failures;
  timestamp now = t0;
  const timestamp end = t0 + 24h * 7;
  while (now < end) {
    if (id.attempt(now)) {
      failures.push_back(now);
      CHECK(id.recent() == counted_at(failures, now, 24h));
    } else {
      now = *calp::reserve_attempt(id.stored, key, now, id.rules).blocked_until;
    }
  }

  // The first day, computed by hand: 5 at once, then after 2, 4, 8, 16, 32 minutes, then
  // hourly; the 25th at 16 h 02, and nothing more until the first ones leave the window.
  REQUIRE(failures.size() > 26);
  for (std::size_t i = 0; i < 5; ++i) CHECK(failures[i] == t0);
  CHECK(failures[5] == t0 + 2min);
  CHECK(failures[9] == t0 + 62min);
  CHECK(failures[10] == t0 + 122min);
  CHECK(failures[24] == t0 + 16h + 2min);
  CHECK(failures[25] == t0 + 24h);
  CHECK(failures[26] == t0 + 25h);

  CHECK(worst_span(failures, 24h) == 25);
  // After the first day the delay stays at its cap: one guess an hour.
  CHECK(failures.size() == 25 + 6 * 24);
}

TEST_CASE("R12b a patient attacker cannot get 50 guesses across a window's turn") {
  // The attack that broke a fixed window: one failure at t0 opens it, 24 more just before
  // it closes, 25 more just after. Here the attacker fails once, waits 23 h 53, then
  // retries as soon as allowed for 7 days; in the second run the owner logs in right
  // after each guess, so the consecutive count never grows and only the window limits.
  for (const bool owner : {false, true}) {
    CAPTURE(owner);
    identifier id;
    std::vector<timestamp> failures;
    std::size_t owner_logins = 0;
    const timestamp end = t0 + 24h * 7;

    REQUIRE(id.attempt(t0));
    failures.push_back(t0);
    timestamp now = t0 + 23h + 53min;
    while (now < end) {
      if (id.attempt(now)) {
        failures.push_back(now);
        CHECK(id.recent() == counted_at(failures, now, 24h));
        if (owner) {
          // The owner's right password a second later, settled at the instant it was
          // reserved; the attacker's next guess a second after that.
          now += 1s;
          if (id.attempt(now, true)) {
            ++owner_logins;
            CHECK(id.stored->consecutive_failures == 0);
            CHECK_FALSE(id.stored->blocked_until.has_value());
            CHECK(id.recent() == counted_at(failures, now, 24h));
          }
          now += 1s;
        }
      } else {
        const auto until = id.until(now);
        REQUIRE(until.has_value());
        REQUIRE(*until > now);
        now = *until;
      }
      REQUIRE(id.recent().size() <= 25);
    }

    CAPTURE(failures.size());
    CHECK(worst_span(failures, 24h) <= 25);
    if (owner) {
      CHECK(owner_logins > 0);
      // The window is full at once: 24 guesses at 23 h 53 (with the one at t0, 25), then
      // one when t0 leaves, then nothing until the 23 h 53 ones leave, one by one.
      REQUIRE(failures.size() > 27);
      CHECK(failures[24] == t0 + 23h + 53min + 46s);
      CHECK(failures[25] == t0 + 24h);
      CHECK(failures[26] == failures[1] + 24h);
      CHECK(worst_span(failures, 24h) == 25);
      // Across the turn of the first day, 25 at most, where a fixed window allowed 49.
      const timestamp turn = t0 + 24h + 7min;
      CHECK(std::count_if(failures.begin(), failures.end(), [&](timestamp t) {
              return t <= turn && turn < t + 24h;
            }) == 25);
    } else {
      // Without the owner's help the delays pace the guesses: 4 at 23 h 53, then
      // 2, 4, 8... minutes apart, and one an hour once the delay is at its cap.
      CHECK(failures[1] == t0 + 23h + 53min);
      CHECK(failures[4] == t0 + 23h + 53min);
      CHECK(failures[5] == t0 + 23h + 55min);
      CHECK(failures[6] == t0 + 23h + 59min);
    }
  }
}

TEST_CASE("R12b a record under another key is refused") {
  identifier id;
  REQUIRE(id.attempt(t0));
  CHECK_THROWS_AS((void)calp::reserve_attempt(id.stored, "login:other", t0, id.rules),
                  std::invalid_argument);
  // No record yet: the key is the one given.
  const auto fresh = calp::reserve_attempt(std::nullopt, "login:other", t0);
  REQUIRE(fresh.allowed);
  CHECK(fresh.next.key == "login:other");
  CHECK(fresh.next.recent_failures == std::vector<timestamp>{t0});
}

TEST_CASE("R12b custom rules") {
  identifier id;
  id.rules.free_failures = 3;
  id.rules.first_delay = 30s;
  id.rules.max_delay = 5min;
  id.rules.max_failures_per_window = 10;
  id.rules.window = 1h;

  REQUIRE(id.attempt(t0));
  REQUIRE(id.attempt(t0));
  CHECK_FALSE(id.until(t0).has_value());
  REQUIRE(id.attempt(t0));
  CHECK(id.until(t0) == t0 + 30s);

  const std::vector<seconds> expected{30s, 60s, 120s, 240s, 300s, 300s, 300s};
  timestamp now = t0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    const auto until = id.until(now);
    REQUIRE(until.has_value());
    CHECK(*until - now == expected[i]);
    now = *until;
    REQUIRE(id.attempt(now));
  }
  // The 10th failure fills the window of 1 hour: blocked until the oldest (3 at t0) leave.
  CHECK(id.recent().size() == 10);
  CHECK(id.recent().front() == t0);
  CHECK(id.recent().back() == now);
  CHECK(id.until(now) == t0 + 1h);
  CHECK(id.until(t0 + 1h - 1s) == t0 + 1h);
  CHECK_FALSE(id.until(t0 + 1h).has_value());
  REQUIRE(id.attempt(t0 + 1h));
  CHECK(id.recent().size() == 8);  // the 3 of t0 left, this one came
  CHECK(id.recent().front() == t0 + 30s);
}

TEST_CASE("R12b custom rules without free failures delay the very first one") {
  login_throttle_rules rules;
  rules.free_failures = 0;
  const auto r = calp::reserve_attempt(std::nullopt, key, t0, rules);
  REQUIRE(r.allowed);
  CHECK(r.next.blocked_until == t0 + 2min);
  CHECK(r.next.recent_failures == std::vector<timestamp>{t0});
}

TEST_CASE("R12b the delay stays capped whatever the consecutive count") {
  throttle_record r;
  r.key = key;
  r.consecutive_failures = std::numeric_limits<std::uint32_t>::max() - 1;
  login_throttle_rules rules;
  rules.max_failures_per_window = std::numeric_limits<std::uint32_t>::max();
  const auto next = calp::reserve_attempt(r, key, t0, rules);
  REQUIRE(next.allowed);
  CHECK(next.next.blocked_until == t0 + 1h);
}

TEST_CASE("R12b a window limit above max_throttle_instants counts as that") {
  // No delay ever, so only the window limits: one guess a second, as soon as allowed.
  for (const std::uint32_t limit :
       {std::uint32_t{1025}, std::uint32_t{5000}, std::numeric_limits<std::uint32_t>::max()}) {
    CAPTURE(limit);
    identifier id;
    id.rules.free_failures = std::numeric_limits<std::uint32_t>::max();
    id.rules.max_failures_per_window = limit;
    identifier capped;
    capped.rules = id.rules;
    capped.rules.max_failures_per_window = static_cast<std::uint32_t>(calp::max_throttle_instants);

    std::vector<timestamp> failures;
    timestamp now = t0;
    std::size_t refused = 0;
    const timestamp end = t0 + 24h * 3;
    while (now < end) {
      const bool allowed = id.attempt(now);
      REQUIRE(capped.attempt(now) == allowed);
      REQUIRE(*id.stored == *capped.stored);  // the same as a limit of exactly 1024
      REQUIRE(id.recent().size() <= calp::max_throttle_instants);
      if (allowed) {
        failures.push_back(now);
        if (failures.size() == calp::max_throttle_instants) {
          // Full: the 1025th is refused until the first is 24 hours old.
          CHECK(id.until(now) == t0 + 24h);
          CHECK_FALSE(id.attempt(now + 1s));
        }
        now += 1s;
      } else {
        ++refused;
        now = *id.until(now);
      }
    }
    CHECK(refused > 0);
    CHECK(id.recent().size() == calp::max_throttle_instants);
    CHECK(worst_span(failures, 24h) == calp::max_throttle_instants);
  }
}
