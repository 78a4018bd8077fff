#include "calp/login_throttle.hpp"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <stdexcept>
#include <utility>
#include <vector>

namespace calp {

namespace {

// The failures that still count at `now`: those of the last `window`.
std::size_t in_window(const throttle_record& r, timestamp now, const login_throttle_rules& rules) {
  return static_cast<std::size_t>(
      std::count_if(r.recent_failures.begin(), r.recent_failures.end(),
                    [&](timestamp t) { return now < t + rules.window; }));
}

// The stored list is bounded (`max_throttle_instants`), so is the limit. A limit of 0
// counts as 1: an attempt is checked when none counts, as with 1.
std::size_t window_limit(const login_throttle_rules& rules) {
  return std::clamp<std::size_t>(rules.max_failures_per_window, 1, max_throttle_instants);
}

// The delay after the n-th consecutive failure, n >= free_failures: first_delay after the
// last free one (the first failure when none is free), doubled per further failure,
// capped. The loop stops at the cap, so it neither overflows nor runs long; a delay that
// cannot grow (zero) ends it too.
std::chrono::seconds delay_after(std::uint32_t consecutive, const login_throttle_rules& rules) {
  auto delay = rules.first_delay;
  for (std::uint32_t n = std::max(rules.free_failures, std::uint32_t{1});
       n < consecutive && delay > std::chrono::seconds::zero() && delay < rules.max_delay; ++n) {
    delay = delay > rules.max_delay / 2 ? rules.max_delay : delay * 2;
  }
  return std::min(delay, rules.max_delay);
}

}  // namespace

std::optional<timestamp> blocked_until(const throttle_record& r, timestamp now,
                                       const login_throttle_rules& rules) {
  std::optional<timestamp> until;
  if (r.blocked_until && now < *r.blocked_until) until = r.blocked_until;
  const std::size_t counted = in_window(r, now, rules);
  const std::size_t limit = window_limit(rules);
  if (counted >= limit) {
    // The attempt is free again once enough of the oldest failures leave the window for
    // fewer than `limit` to remain: counted - limit + 1 of them, the last to leave being
    // the (counted - limit)-th oldest (0-based). Not read by position in the stored list:
    // servers whose clocks differ may have appended out of order.
    std::vector<timestamp> counting;
    counting.reserve(counted);
    std::copy_if(r.recent_failures.begin(), r.recent_failures.end(), std::back_inserter(counting),
                 [&](timestamp t) { return now < t + rules.window; });
    const auto nth = counting.begin() + static_cast<std::ptrdiff_t>(counted - limit);
    std::nth_element(counting.begin(), nth, counting.end());
    const timestamp frees = *nth + rules.window;
    if (!until || *until < frees) until = frees;
  }
  return until;
}

throttle_reservation reserve_attempt(const std::optional<throttle_record>& current,
                                     std::string key, timestamp now,
                                     const login_throttle_rules& rules) {
  if (current && current->key != key) {
    throw std::invalid_argument("reserve_attempt: the current record is under another key");
  }
  throttle_reservation out;
  if (current) {
    if (auto until = blocked_until(*current, now, rules)) {
      out.blocked_until = until;
      return out;
    }
    out.next = *current;
  } else {
    out.next.key = std::move(key);
  }
  throttle_record& r = out.next;
  std::erase_if(r.recent_failures, [&](timestamp t) { return now >= t + rules.window; });
  // In its sorted place: servers whose clocks differ by a few seconds keep the list
  // oldest first, as storage.hpp promises.
  r.recent_failures.insert(
      std::upper_bound(r.recent_failures.begin(), r.recent_failures.end(), now), now);
  ++r.consecutive_failures;
  r.blocked_until.reset();
  if (r.consecutive_failures >= rules.free_failures) {
    r.blocked_until = now + delay_after(r.consecutive_failures, rules);
  }
  out.allowed = true;
  return out;
}

throttle_record settle_success(throttle_record r, timestamp reserved_at) {
  r.consecutive_failures = 0;
  r.blocked_until.reset();
  const auto it = std::find(r.recent_failures.rbegin(), r.recent_failures.rend(), reserved_at);
  if (it != r.recent_failures.rend()) r.recent_failures.erase(std::next(it).base());
  return r;
}

}  // namespace calp
