#include "calp/date.hpp"

#include <fmt/format.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "detail/input_text.hpp"

namespace calp {
namespace {

constexpr bool is_digit(char c) noexcept { return '0' <= c && c <= '9'; }

// Exactly `DDDD-DD-DD` in ASCII. Comparing bytes (not `std::isdigit`) keeps locales
// and Unicode digits out.
constexpr bool has_iso_shape(std::string_view text) noexcept {
  if (text.size() != 10) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool ok = i == 4 || i == 7 ? text[i] == '-' : is_digit(text[i]);
    if (!ok) return false;
  }
  return true;
}

constexpr int number(std::string_view digits) noexcept {
  int value = 0;
  for (const char c : digits) value = value * 10 + (c - '0');
  return value;
}

}  // namespace

result<date> parse_date(std::string_view text) {
  if (!has_iso_shape(text)) {
    return fail(errc::date_format,
                fmt::format("date must be `YYYY-MM-DD`, got `{}`", detail::echo(text)));
  }
  // From here `text` is 10 ASCII characters: safe to quote as it is.
  const int year = number(text.substr(0, 4));
  if (year < min_year || year > max_year) {
    return fail(errc::date_format, fmt::format("date `{}` is outside the years {} to {}", text,
                                               min_year, max_year));
  }
  const date parsed{std::chrono::year{year},
                    std::chrono::month{static_cast<unsigned>(number(text.substr(5, 2)))},
                    std::chrono::day{static_cast<unsigned>(number(text.substr(8, 2)))}};
  if (!parsed.ok()) {
    return fail(errc::date_format, fmt::format("date `{}` is not a day of the calendar", text));
  }
  return parsed;
}

std::string format_date(date d) {
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(d.year()),
                     static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
}

}  // namespace calp
