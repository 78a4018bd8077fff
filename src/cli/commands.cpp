#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "calp/calp.hpp"
#include "cli/cli.hpp"
#include "detail/input_text.hpp"
#include "detail/json_input.hpp"

namespace calp::cli {

arguments::arguments(std::span<const std::string_view> args, std::span<const std::string_view> valued,
                     std::span<const std::string_view> flags) {
  const auto declared = [](std::span<const std::string_view> names, std::string_view n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg.size() < 2 || arg.substr(0, 2) != "--") {
      positional_.push_back(arg);
      continue;
    }
    std::string_view name = arg.substr(2);
    std::optional<std::string_view> value;
    if (const auto eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (declared(flags, name)) {
      if (value) throw usage_error{fmt::format("--{} takes no value", name)};
      flags_.push_back(name);
    } else if (declared(valued, name)) {
      if (!value) {
        if (i + 1 >= args.size()) throw usage_error{fmt::format("--{} needs a value", name)};
        value = args[++i];
      }
      if (options_.count(name) != 0) throw usage_error{fmt::format("--{} is given twice", name)};
      options_.emplace(name, *value);
    } else {
      throw usage_error{fmt::format("unknown option `--{}`", detail::echo(name))};
    }
  }
}

std::optional<std::string_view> arguments::option(std::string_view name) const {
  const auto it = options_.find(name);
  if (it == options_.end()) return std::nullopt;
  return it->second;
}

std::string_view arguments::required(std::string_view name) const {
  const auto v = option(name);
  if (!v) throw usage_error{fmt::format("--{} is required", name)};
  return *v;
}

bool arguments::flag(std::string_view name) const {
  return std::find(flags_.begin(), flags_.end(), name) != flags_.end();
}

namespace {

// The file at `path`, or `in` for `-`; `file` holds the opened file.
std::istream& open_input(std::string_view path, std::istream& in, std::ifstream& file) {
  if (path == "-") return in;
  file.open(std::string(path), std::ios::binary);
  if (!file) throw usage_error{fmt::format("cannot read `{}`: {}", path, std::strerror(errno))};
  return file;
}


}  // namespace

// Reads a whole file, or standard input for `-`, stopping one byte past `limit` so that
// the parser, not this reader, reports an oversized document and memory stays bounded.
std::string read_input(std::string_view path, std::size_t limit, std::istream& in) {
  std::ifstream file;
  std::istream& source = open_input(path, in, file);
  std::string text(limit + 1, '\0');
  source.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (source.bad()) throw usage_error{fmt::format("cannot read `{}`", path)};
  text.resize(static_cast<std::size_t>(source.gcount()));
  return text;
}

namespace {

result<policy> read_policy(std::string_view path, std::istream& in) {
  return policy::from_json(read_input(path, policy::max_bytes, in));
}

result<household> read_household(std::string_view path, std::istream& in) {
  const household_limits limits;
  return household::from_json(read_input(path, limits.max_bytes, in), limits);
}

std::string describe(const error& e) { return fmt::format("{}: {}", to_string(e.code), e.message); }

template <class T>
T or_usage_error(result<T> r) {
  if (!r) throw usage_error{describe(r.error())};
  return std::move(r).value();
}


policy load_policy(const arguments& args, std::istream& in) {
  const auto path = args.option("policy");
  if (!path) return policy::caf_default();
  return or_usage_error(read_policy(*path, in));
}

household load_household(std::string_view path, std::istream& in) {
  return or_usage_error(read_household(path, in));
}

std::string decision_json(const decision& d) {
  nlohmann::ordered_json j;
  j["allowed"] = d.allowed;
  j["reason"] = d.reason;
  j["message"] = d.message;
  return j.dump();
}

std::string error_json(const error& e, std::size_t line) {
  nlohmann::ordered_json j;
  j["error"] = {{"code", to_string(e.code)}, {"message", e.message}, {"line", line}};
  if (!e.field.empty()) j["error"]["field"] = e.field;
  return j.dump();
}

// One line of a requests file: {"person": ..., "action": ..., "at": ..., "channel":
// ..., "agent": ...}; `at`, `channel` and `agent` default to the command's options.
struct bulk_defaults {
  date at;
  channel chan;
  std::string_view agent;
};

constexpr std::size_t max_request_line = 4096;

decision decide_line(const policy& p, const household& h, std::string_view line,
                     const bulk_defaults& defaults) {
  auto doc = detail::parse_json(line, {max_request_line, 2, 256});
  if (!doc) throw detail::input_error{std::move(doc).error()};
  detail::object_reader reader(*doc, "", 256);
  const auto person = reader.required_string("person");
  const auto act = parse_action(reader.required_string("action"));
  if (!act) detail::throw_input_error(act.error().code, act.error().message, "action");
  const date at = reader.optional_date("at").value_or(defaults.at);
  channel chan = defaults.chan;
  if (const auto name = reader.optional_string("channel")) {
    const auto parsed = parse_channel(*name);
    if (!parsed) detail::throw_input_error(parsed.error().code, parsed.error().message, "channel");
    chan = *parsed;
  }
  const auto agent = reader.optional_string("agent");
  reader.finish();
  if (chan == channel::front_desk && !agent && defaults.agent.empty()) {
    detail::throw_input_error(errc::request_invalid, "the front-desk channel needs an agent",
                              "agent");
  }
  return calp::decide(p, h, request{person, *act, at, chan, agent ? *agent : defaults.agent});
}

int decide_bulk(const policy& p, const household& h, std::string_view requests_path,
                const bulk_defaults& defaults, const streams& io) {
  std::ifstream file;
  std::istream* source = &open_input(requests_path, io.in, file);
  int status = exit_ok;
  std::string line;
  std::size_t number = 0;
  // getline on an endless line would grow without bound: read in bounded pieces.
  while (true) {
    line.clear();
    bool too_long = false;
    char c;
    while (source->get(c) && c != '\n') {
      if (line.size() <= max_request_line) line.push_back(c);
      else too_long = true;
    }
    if (!*source && line.empty() && !too_long) break;
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos && !too_long) continue;
    if (too_long) {
      io.out << error_json({errc::json_too_large,
                            fmt::format("request line is over {} bytes", max_request_line)},
                           number)
             << '\n';
      status = exit_bad_input;
      continue;
    }
    try {
      io.out << decision_json(decide_line(p, h, line, defaults)) << '\n';
    } catch (const detail::input_error& e) {
      io.out << error_json(e.error, number) << '\n';
      status = exit_bad_input;
    }
  }
  return status;
}

}  // namespace

date local_today() {
  // The local calendar day: a Caf host runs with TZ=Europe/Paris.
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  return date{std::chrono::year{local.tm_year + 1900},
              std::chrono::month{static_cast<unsigned>(local.tm_mon + 1)},
              std::chrono::day{static_cast<unsigned>(local.tm_mday)}};
}

int nir_check(std::span<const std::string_view> raw, const streams& io) {
  constexpr std::string_view flags[] = {"lenient"};
  const arguments args(raw, {}, flags);
  if (args.positional().size() != 1) throw usage_error{"nir check takes exactly one VALUE"};
  const auto parsed =
      nir::parse(args.positional()[0], args.flag("lenient") ? nir_profile::lenient : nir_profile::strict);
  if (!parsed) {
    io.err << describe(parsed.error()) << '\n';
    return exit_no;
  }
  io.out << parsed->str() << '\n';
  return exit_ok;
}

int decide(std::span<const std::string_view> raw, const streams& io) {
  constexpr std::string_view valued[] = {"household", "person", "action", "at",       "channel",
                                         "agent",     "policy", "requests", "db",     "dossier"};
  const arguments args(raw, valued, {});
  if (!args.positional().empty()) {
    throw usage_error{fmt::format("unexpected argument `{}`", detail::echo(args.positional()[0]))};
  }
  const auto household_path = args.option("household");
  const auto requests_path = args.option("requests");
  if (household_path && (args.option("db") || args.option("dossier"))) {
    throw usage_error{"give either --household FILE or --db with --dossier, not both"};
  }
  if (household_path == "-" && requests_path == "-") {
    throw usage_error{"--household and --requests cannot both read standard input"};
  }
  const date at = args.option("at") ? or_usage_error(parse_date(*args.option("at"))) : local_today();
  const channel chan =
      args.option("channel") ? or_usage_error(parse_channel(*args.option("channel"))) : channel::online;
  const std::string_view agent = args.option("agent").value_or("");
  if (args.option("agent") && agent.empty()) throw usage_error{"--agent must not be empty"};

  const policy p = load_policy(args, io.in);
  // The household comes from its file, or from the database at the moment of the
  // decision: nothing is cached between two runs (R10).
  const household h = household_path ? load_household(*household_path, io.in)
                                     : load_stored_household(*open_database(args, open_mode::must_exist),
                                                             args.required("dossier"));

  if (requests_path) {
    if (args.option("person") || args.option("action")) {
      throw usage_error{"--person and --action come from the requests file with --requests"};
    }
    return decide_bulk(p, h, *requests_path, {at, chan, agent}, io);
  }
  if (chan == channel::front_desk && agent.empty()) {
    throw usage_error{"--channel front-desk needs --agent: every front-desk decision names its agent"};
  }
  const auto person = args.required("person");
  const action act = or_usage_error(parse_action(args.required("action")));
  const decision d = calp::decide(p, h, request{person, act, at, chan, agent});
  io.out << decision_json(d) << '\n';
  return d.allowed ? exit_ok : exit_no;
}

int policy_table(std::span<const std::string_view> raw, const streams& io) {
  constexpr std::string_view valued[] = {"policy"};
  const arguments args(raw, valued, {});
  if (!args.positional().empty()) throw usage_error{"policy table takes no VALUE"};
  io.out << load_policy(args, io.in).table();
  return exit_ok;
}

int policy_check(std::span<const std::string_view> raw, const streams& io) {
  const arguments args(raw, {}, {});
  if (args.positional().size() != 1) throw usage_error{"policy check takes exactly one FILE"};
  const auto loaded = read_policy(args.positional()[0], io.in);
  if (!loaded) {
    io.err << describe(loaded.error())
           << (loaded.error().field.empty() ? "" : fmt::format(" (at {})", loaded.error().field))
           << '\n';
    return exit_no;
  }
  io.out << fmt::format("policy `{}` is valid\n", loaded->id());
  return exit_ok;
}

int policy_default(std::span<const std::string_view> raw, const streams& io) {
  const arguments args(raw, {}, {});
  if (!args.positional().empty()) throw usage_error{"policy default takes no VALUE"};
  io.out << policy::caf_default_json();
  return exit_ok;
}

int household_check(std::span<const std::string_view> raw, const streams& io) {
  const arguments args(raw, {}, {});
  if (args.positional().size() != 1) throw usage_error{"household check takes exactly one FILE"};
  const auto loaded = read_household(args.positional()[0], io.in);
  if (!loaded) {
    io.err << describe(loaded.error()) << '\n';
    return exit_no;
  }
  io.out << loaded->to_json() << '\n';
  return exit_ok;
}

}  // namespace calp::cli
