#pragma once
/// \file
/// Instants, as the account records and the audit trail use them. The core never reads
/// the clock: an instant is always passed in (services get it from a `calp::clock` the
/// host provides).

#include <chrono>
#include <string>
#include <string_view>

#include "calp/date.hpp"
#include "calp/error.hpp"

namespace calp {

/// An instant in UTC, to the second: code expiry (R13), throttling (R12b), sessions and
/// audit events need no finer grain.
using timestamp = std::chrono::sys_seconds;

/// `YYYY-MM-DDTHH:MM:SSZ`.
[[nodiscard]] std::string format_timestamp(timestamp t);

/// Parses exactly `YYYY-MM-DDTHH:MM:SSZ` (UTC, a real day between `min_year` and
/// `max_year`). Errors: `errc::date_format`.
[[nodiscard]] result<timestamp> parse_timestamp(std::string_view text);

}  // namespace calp
