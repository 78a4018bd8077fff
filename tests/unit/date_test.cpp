// Dates of the household facts (DESIGN §3 "Dates", interchange format) and the
// 29 February birthday (R6).

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>

#include "calp/date.hpp"

using calp::date;
using calp::parse_date;
using namespace std::chrono_literals;

namespace {

// "ok", or the stable id of the error: doctest prints strings when a check fails.
std::string outcome(const calp::result<date>& r) {
  return r ? std::string("ok") : std::string(calp::to_string(r.error().code));
}

std::string message_of(std::string_view text) {
  const auto r = parse_date(text);
  REQUIRE_FALSE(r.has_value());
  return r.error().message;
}

// Printable ASCII, apart from the `…` that marks a cut echo.
bool printable(std::string message) {
  for (std::size_t at; (at = message.find("…")) != std::string::npos;) message.erase(at, 3);
  for (const char c : message) {
    if (c < 0x20 || c >= 0x7F) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("§3 a date is YYYY-MM-DD and round-trips through format_date") {
  const auto d = parse_date("2024-02-01");
  REQUIRE(d.has_value());
  CHECK(*d == date{2024y, std::chrono::February, 1d});
  CHECK(calp::format_date(*d) == "2024-02-01");
  CHECK(calp::format_date(date{1850y, std::chrono::January, 1d}) == "1850-01-01");
  CHECK(calp::format_date(parse_date("2200-12-31").value()) == "2200-12-31");
}

TEST_CASE("§3 29 February exists only in leap years") {
  CHECK(outcome(parse_date("2024-02-29")) == "ok");
  CHECK(outcome(parse_date("2000-02-29")) == "ok");
  CHECK(outcome(parse_date("2023-02-29")) == "calp.date.format");
  CHECK(outcome(parse_date("1900-02-29")) == "calp.date.format");
  CHECK(message_of("2023-02-29") == "date `2023-02-29` is not a day of the calendar");
}

TEST_CASE("§3 a date must be a real day") {
  for (const std::string_view text :
       {"2024-00-10", "2024-13-01", "2024-01-00", "2024-01-32", "2024-04-31", "2024-99-99"}) {
    CAPTURE(text);
    CHECK(outcome(parse_date(text)) == "calp.date.format");
  }
  CHECK(outcome(parse_date("2024-12-31")) == "ok");
}

TEST_CASE("§3 a date must be exactly YYYY-MM-DD in ASCII digits") {
  for (const std::string_view text :
       {"", "2024-2-01", "2024-02-1", "24-02-01", "02024-02-01", "2024-02-01T00:00",
        " 2024-02-01", "2024-02-01 ", "2024/02/01", "20240201", "2024-02-01Z", "+024-02-01",
        "2024_02_01", "2024-0a-01", "2024--2-01"}) {
    CAPTURE(text);
    CHECK(outcome(parse_date(text)) == "calp.date.format");
  }
  CHECK(message_of("2024-2-01") == "date must be `YYYY-MM-DD`, got `2024-2-01`");
  CHECK(message_of("2024-02-01T00:00") == "date must be `YYYY-MM-DD`, got `2024-02-01T00:00`");
  CHECK(message_of("") == "date must be `YYYY-MM-DD`, got ``");
}

TEST_CASE("§3 Unicode digits are not date digits") {
  // Fullwidth year, and a 10-byte text whose last digit is an Arabic-Indic one.
  const std::string fullwidth = "\xEF\xBC\x92\xEF\xBC\x90\xEF\xBC\x92\xEF\xBC\x94-02-01";
  CHECK(outcome(parse_date(fullwidth)) == "calp.date.format");
  CHECK(message_of(fullwidth) ==
        "date must be `YYYY-MM-DD`, got `\\u{FF12}\\u{FF10}\\u{FF12}\\u{FF14}-02-01`");
  const std::string arabic = "2024-02-\xD9\xA1";
  REQUIRE(arabic.size() == 10);
  CHECK(outcome(parse_date(arabic)) == "calp.date.format");
}

TEST_CASE("§3 a year outside 1850 to 2200 is refused") {
  CHECK(outcome(parse_date("1850-01-01")) == "ok");
  CHECK(outcome(parse_date("2200-12-31")) == "ok");
  for (const std::string_view text : {"1849-12-31", "2201-01-01", "0000-01-01", "9999-12-31"}) {
    CAPTURE(text);
    CHECK(outcome(parse_date(text)) == "calp.date.format");
  }
  CHECK(message_of("1849-12-31") == "date `1849-12-31` is outside the years 1850 to 2200");
}

TEST_CASE("§7 a bad date echoes at most 32 characters, printable, and never crashes") {
  const std::string huge(1'000'000, '9');
  const std::string message = message_of(huge);
  CHECK(message == "date must be `YYYY-MM-DD`, got `" + std::string(32, '9') + "…`");

  std::string with_nul = "2024-02-01";
  with_nul[5] = '\0';
  CHECK(message_of(with_nul) == "date must be `YYYY-MM-DD`, got `2024-\\u{0000}2-01`");
  CHECK(outcome(parse_date(std::string("2024-02-01\0", 11))) == "calp.date.format");

  for (const std::string_view text :
       {"2024-02-0\xFF", "\xC0\xB2" "024-02-01", "\xED\xA0\x80-02-01", "2024-02-01\n\x1B[31m",
        "\xE2\x80\xAE" "10-20-4202"}) {
    CAPTURE(text);
    CHECK(outcome(parse_date(text)) == "calp.date.format");
    CHECK(printable(message_of(text)));
  }
  CHECK(message_of("2024-02-0\xFF") == "date must be `YYYY-MM-DD`, got `2024-02-0\\xFF`");
}

TEST_CASE("R6 someone born on 29 February turns 15 on 1 March in a non-leap year") {
  const date birth{2008y, std::chrono::February, 29d};
  CHECK(calp::anniversary(birth, std::chrono::years{15}) == date{2023y, std::chrono::March, 1d});
  CHECK(calp::anniversary(birth, std::chrono::years{16}) == date{2024y, std::chrono::February, 29d});
  CHECK(calp::anniversary(parse_date("2008-02-29").value(), std::chrono::years{15}) ==
        parse_date("2023-03-01").value());
}

TEST_CASE("R6 other birthdays fall on the same day") {
  CHECK(calp::anniversary(date{2010y, std::chrono::June, 1d}, std::chrono::years{15}) ==
        date{2025y, std::chrono::June, 1d});
  CHECK(calp::anniversary(date{2008y, std::chrono::February, 28d}, std::chrono::years{15}) ==
        date{2023y, std::chrono::February, 28d});
  CHECK(calp::anniversary(date{2008y, std::chrono::March, 1d}, std::chrono::years{15}) ==
        date{2023y, std::chrono::March, 1d});
}

TEST_CASE("§3 the date error code has a stable string id") {
  CHECK(calp::to_string(calp::errc::date_format) == "calp.date.format");
}
