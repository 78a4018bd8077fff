// `calp gdpr export`: everything calp holds about one person, as JSON (GDPR Art. 15).
// The document is `calp::gdpr_export`'s; this file only parses the options and prints.
#include <fmt/format.h>

#include "calp/clock.hpp"
#include "calp/gdpr.hpp"
#include "calp/ids.hpp"
#include "calp/storage.hpp"
#include "calp/storage/open.hpp"
#include "cli/cli.hpp"

namespace calp::cli {

int gdpr_export(std::span<const std::string_view> raw, const streams& io) {
  constexpr std::string_view valued[] = {"db", "person"};
  const arguments args(raw, valued, {});
  if (!args.positional().empty()) throw usage_error{"gdpr export takes no positional argument"};
  const auto person = person_id::parse(args.required("person"));
  if (!person) {
    throw usage_error{fmt::format("{}: {}", to_string(person.error().code), person.error().message)};
  }
  const auto db = open_database(args, open_mode::must_exist);
  const auto doc = calp::gdpr_export(*db, *person, system_clock{}.now());
  if (!doc) throw usage_error{fmt::format("no person `{}` in the database", person->str())};
  io.out << *doc << '\n';
  return exit_ok;
}

}  // namespace calp::cli
