#pragma once
/// \file
/// Calendar dates as the household facts use them: ISO `YYYY-MM-DD`, no time zone.
/// The core never reads the clock: every date is passed in.

#include <chrono>
#include <string>
#include <string_view>

#include "calp/error.hpp"

namespace calp {

/// A calendar day. Comparisons are chronological.
using date = std::chrono::year_month_day;

/// Earliest and latest years calp accepts in a date; outside them a date is an error,
/// which keeps arithmetic on dates far from overflow.
inline constexpr int min_year = 1850;
inline constexpr int max_year = 2200;

/// Parses exactly `YYYY-MM-DD` (ASCII digits, a real day between `min_year` and
/// `max_year`). Errors: `errc::date_format`.
[[nodiscard]] result<date> parse_date(std::string_view text);

/// `YYYY-MM-DD`.
[[nodiscard]] std::string format_date(date d);

/// The day a person born on `birth` is `years` old. Someone born on 29 February has
/// that birthday on 1 March in a year that is not a leap year (R6).
[[nodiscard]] constexpr date anniversary(date birth, std::chrono::years years) noexcept {
  const date same_day = birth + years;
  if (same_day.ok()) return same_day;
  return date{same_day.year(), std::chrono::March, std::chrono::day{1}};
}

}  // namespace calp
