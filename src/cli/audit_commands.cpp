// `calp audit …`: the audit trail's key, its verification, its retention and its two
// queries. The work is `calp/audit.hpp`'s; this file parses options and prints.
#include <charconv>
#include <chrono>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "calp/audit.hpp"
#include "calp/clock.hpp"
#include "calp/date.hpp"
#include "calp/ids.hpp"
#include "calp/time.hpp"
#include "cli/cli.hpp"
#include "crypto/digest.hpp"
#include "detail/input_text.hpp"

namespace calp::cli {

namespace {

using json = nlohmann::ordered_json;

std::shared_ptr<const audit_key> required_key(const arguments& args, std::string_view why) {
  auto key = audit_key_of(args);
  if (!key) {
    throw usage_error{fmt::format("no audit key: {}; give --audit-key FILE or set "
                                  "CALP_AUDIT_KEY_FILE",
                                  why)};
  }
  return key;
}

// `YYYY-MM-DD` (00:00 UTC that day) or `YYYY-MM-DDTHH:MM:SSZ`.
timestamp instant_of(std::string_view text) {
  if (auto day = parse_date(text)) return timestamp{std::chrono::sys_days{*day}};
  if (auto t = parse_timestamp(text)) return *t;
  throw usage_error{fmt::format("--before takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, not `{}`",
                                detail::echo(text, 40))};
}

std::uint64_t number_of(const arguments& args, std::string_view name, std::uint64_t fallback,
                        std::uint64_t max) {
  const auto text = args.option(name);
  if (!text) return fallback;
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc{} || end != text->data() + text->size() || n > max) {
    throw usage_error{fmt::format("--{} takes a whole number from 0 to {}", name, max)};
  }
  return n;
}

json event_json(const audit_event& e) {
  json j;
  j["seq"] = e.seq;
  j["at"] = format_timestamp(e.at);
  j["kind"] = e.kind;
  j["actor"] = e.actor;
  j["subject"] = e.subject;
  j["dossier"] = e.dossier;
  j["outcome"] = e.outcome;
  j["detail"] = e.detail.empty() ? json(nullptr) : json::parse(e.detail, nullptr, false);
  if (j["detail"].is_discarded()) j["detail"] = e.detail;
  j["link"] = e.link;
  return j;
}

}  // namespace

int audit_key_new(std::span<const std::string_view> raw, const streams& io) {
  const arguments args(raw, {}, {});
  if (!args.positional().empty()) throw usage_error{"audit key takes no argument"};
  const secret hex = detail::random_hex(audit_key::size);
  io.out << hex.view() << '\n';
  return exit_ok;
}

int audit_verify(std::span<const std::string_view> raw, const streams& io) {
  constexpr std::string_view valued[] = {"db", "audit-key"};
  constexpr std::string_view flags[] = {"json"};
  const arguments args(raw, valued, flags);
  if (!args.positional().empty()) throw usage_error{"audit verify takes no positional argument"};
  const auto key = required_key(args, "the links cannot be checked without it");
  const auto db = open_storage(database_location(args), open_mode::must_exist);
  const audit_verification v = verify_audit_trail(*db, *key);
  if (args.flag("json")) {
    json j;
    j["intact"] = v.intact;
    j["events"] = v.events;
    j["first_seq"] = v.first_seq;
    j["last_seq"] = v.last_seq;
    j["tail_link"] = v.tail_link;
    j["broken_at"] = v.broken_at == 0 ? json(nullptr) : json(v.broken_at);
    j["problem"] = v.problem.empty() ? json(nullptr) : json(v.problem);
    io.out << j.dump() << '\n';
  } else if (v.intact) {
    io.out << fmt::format("audit trail intact: {} events, {} to {}\ntail link {}\n", v.events,
                          v.first_seq, v.last_seq, v.tail_link);
  } else {
    io.out << fmt::format("audit trail BROKEN{}: {}\n",
                          v.broken_at != 0 ? fmt::format(" at event {}", v.broken_at) : "",
                          v.problem);
  }
  return v.intact ? exit_ok : exit_no;
}

int audit_purge(std::span<const std::string_view> raw, const streams& io) {
  constexpr std::string_view valued[] = {"db", "audit-key", "before", "by"};
  const arguments args(raw, valued, {});
  if (!args.positional().empty()) throw usage_error{"audit purge takes no positional argument"};
  const timestamp before = instant_of(args.required("before"));
  const std::string_view by = args.required("by");
  // Without the key the purge's own event would break the chain it re-anchors.
  const auto db = open_storage(database_location(args), open_mode::must_exist,
                               required_key(args, "the purge's own event must be chained"));
  const auto done = purge_audit_trail(*db, before, by, system_clock{}.now());
  if (!done) throw usage_error{fmt::format("{}: {}", to_string(done.error().code), done.error().message)};
  json j;
  j["removed"] = done->removed;
  j["first_kept_seq"] = done->first_kept_seq;
  j["event_seq"] = done->event_seq;
  io.out << j.dump() << '\n';
  return exit_ok;
}

int audit_events(std::span<const std::string_view> raw, const streams& io) {
  constexpr std::string_view valued[] = {"db", "person", "agent", "after", "limit"};
  const arguments args(raw, valued, {});
  if (!args.positional().empty()) throw usage_error{"audit events takes no positional argument"};
  const auto person = args.option("person");
  const auto agent = args.option("agent");
  if (person.has_value() == agent.has_value()) throw usage_error{"give either --person or --agent"};
  const std::uint64_t after =
      number_of(args, "after", 0, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
  const auto limit = static_cast<std::size_t>(number_of(args, "limit", 1000, 100'000));
  const auto db = open_database(args, open_mode::must_exist);
  std::vector<audit_event> events;
  if (person) {
    const auto id = person_id::parse(*person);
    if (!id) throw usage_error{fmt::format("{}: {}", to_string(id.error().code), id.error().message)};
    events = audit_events_about(*db, *id, after, limit);
  } else {
    if (agent->empty()) throw usage_error{"--agent must not be empty"};
    events = audit_events_of_agent(*db, *agent, after, limit);
  }
  for (const auto& e : events) io.out << event_json(e).dump() << '\n';
  return exit_ok;
}

}  // namespace calp::cli
