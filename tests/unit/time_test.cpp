#include <doctest/doctest.h>

#include <chrono>

#include "calp/time.hpp"

using namespace std::chrono;

TEST_CASE("timestamps read and write as YYYY-MM-DDTHH:MM:SSZ") {
  const calp::timestamp t = sys_days{2026y / November / 28} + 9h + 59min + 7s;
  CHECK(calp::format_timestamp(t) == "2026-11-28T09:59:07Z");
  CHECK(calp::parse_timestamp("2026-11-28T09:59:07Z").value() == t);
  CHECK(calp::format_timestamp(sys_days{1970y / January / 1}) == "1970-01-01T00:00:00Z");
  const calp::timestamp early = sys_days{1900y / March / 1} + 23h + 59min + 59s;
  CHECK(calp::parse_timestamp(calp::format_timestamp(early)).value() == early);
}

TEST_CASE("timestamps refuse anything but the one UTC form, with errc date_format") {
  for (const char* bad : {"", "2026-11-28", "2026-11-28 09:59:07Z", "2026-11-28T09:59:07",
                          "2026-11-28T09:59:07+01:00", "2026-11-28T24:00:00Z", "2026-11-28T09:60:00Z",
                          "2026-11-28T09:59:60Z", "2026-02-30T00:00:00Z", "2026-11-28T0a:00:00Z",
                          "1849-12-31T00:00:00Z", "2026-11-28T09:59:07Z\n"}) {
    CAPTURE(bad);
    const auto r = calp::parse_timestamp(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == calp::errc::date_format);
  }
}
