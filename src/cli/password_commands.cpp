// `calp password check`: the R12 rules of calp/password_policy.hpp, for scripts and
// for trying a password policy out. The password comes on standard input, never in the
// arguments, where the process list and shell history would show it.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "calp/password_policy.hpp"
#include "cli/cli.hpp"
#include "detail/input_text.hpp"

namespace calp::cli {

namespace {

// Two lines of at most 24 code points fit many times over; more is not a password.
constexpr std::size_t max_password_input = 4096;

// The line at the start of `text` without its '\n' (nor a '\r' before it, so input from
// a Windows pipe works), and advances `text` past it.
std::string_view take_line(std::string_view& text) {
  const std::size_t end = text.find('\n');
  std::string_view line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool is_utf8(std::string_view text) {
  while (!text.empty()) {
    const std::size_t n = detail::utf8_sequence_length(text);
    if (n == 0) return false;
    text.remove_prefix(n);
  }
  return true;
}

std::vector<std::string> split_names(std::string_view list) {
  std::vector<std::string> names;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!name.empty()) names.emplace_back(name);
  }
  return names;
}

}  // namespace

int password_check(std::span<const std::string_view> raw, const streams& io) {
  constexpr std::string_view valued[] = {"nir", "birth-date", "name"};
  const arguments args(raw, valued, {});
  if (!args.positional().empty()) {
    // The password itself, most likely: say where it goes, without repeating it.
    throw usage_error{"password check takes no VALUE: give the password on standard input"};
  }

  password_personal_data personal;
  if (const auto text = args.option("nir")) {
    // Lenient: a person being registered has a NIR with sex digit 3, 4, 7 or 8, and it
    // must stay out of the password all the same.
    auto parsed = nir::parse(*text, nir_profile::lenient);
    if (!parsed) {
      throw usage_error{fmt::format("--nir: {}: {}", to_string(parsed.error().code), parsed.error().message)};
    }
    personal.nir = *parsed;
  }
  if (const auto text = args.option("birth-date")) {
    auto parsed = parse_date(*text);
    if (!parsed) {
      throw usage_error{
          fmt::format("--birth-date: {}: {}", to_string(parsed.error().code), parsed.error().message)};
    }
    personal.birth_date = *parsed;
  }
  if (const auto names = args.option("name")) {
    if (!is_utf8(*names)) throw usage_error{"--name is not UTF-8"};
    personal.names = split_names(*names);
  }

  std::string raw_input = read_input("-", max_password_input, io.in);
  const secret input = secret::take(raw_input);
  if (input.size() > max_password_input) {
    throw usage_error{fmt::format("standard input is over {} bytes", max_password_input)};
  }
  if (input.empty()) throw usage_error{"no password on standard input"};
  std::string_view rest = input.view();
  const secret password{take_line(rest)};
  // No second line: the password is checked as if typed twice the same.
  const bool confirmed = !rest.empty();
  const secret confirmation{confirmed ? take_line(rest) : password.view()};
  if (!rest.empty()) throw usage_error{"standard input has more than two lines"};

  const calp::password_check check = check_password(password_policy{}, password, confirmation, personal);
  const bool personal_data = check.refused(password_refusal::contains_nir) ||
                             check.refused(password_refusal::contains_birth_date) ||
                             check.refused(password_refusal::contains_name);
  nlohmann::ordered_json j;
  j["valid"] = check.valid;
  j["rules"] = {
      {"length", check.length},
      {"digit", check.digit},
      {"lower", check.lower},
      {"upper", check.upper},
      {"confirmation", check.confirmation},
      {"not_common", !check.refused(password_refusal::common)},
      {"no_personal_data", !personal_data},
      {"valid_utf8", !check.refused(password_refusal::invalid_utf8)},
      {"no_control_characters", !check.refused(password_refusal::control_character)},
  };
  j["refusals"] = nlohmann::ordered_json::array();
  for (const auto r : check.refusals) {
    j["refusals"].push_back({{"code", to_string(r)}, {"message", french_message(r)}});
  }
  io.out << j.dump() << '\n';
  return check.valid ? exit_ok : exit_no;
}

}  // namespace calp::cli
