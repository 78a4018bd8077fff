#include "calp/time.hpp"

#include "calp/clock.hpp"

#include <fmt/format.h>

#include "detail/input_text.hpp"

namespace calp {

std::string format_timestamp(timestamp t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::hh_mm_ss<std::chrono::seconds> time{t - day};
  return fmt::format("{}T{:02}:{:02}:{:02}Z", format_date(date{day}), time.hours().count(),
                     time.minutes().count(), time.seconds().count());
}

result<timestamp> parse_timestamp(std::string_view text) {
  const auto bad = [&] {
    return fail(errc::date_format,
                fmt::format("{} is not an instant YYYY-MM-DDTHH:MM:SSZ", detail::echo(text)));
  };
  if (text.size() != 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
      text[19] != 'Z') {
    return bad();
  }
  const auto day = parse_date(text.substr(0, 10));
  if (!day) return bad();
  int fields[3] = {};
  for (int i = 0; i < 3; ++i) {
    const char hi = text[11 + 3 * i];
    const char lo = text[12 + 3 * i];
    if (hi < '0' || hi > '9' || lo < '0' || lo > '9') return bad();
    fields[i] = (hi - '0') * 10 + (lo - '0');
  }
  if (fields[0] > 23 || fields[1] > 59 || fields[2] > 59) return bad();
  return std::chrono::sys_days{*day} + std::chrono::hours{fields[0]} +
         std::chrono::minutes{fields[1]} + std::chrono::seconds{fields[2]};
}

timestamp system_clock::now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace calp
