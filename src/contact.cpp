#include "calp/contact.hpp"

#include <algorithm>
#include <cstddef>

#include "detail/input_text.hpp"

namespace calp {

namespace {

constexpr std::size_t max_typed = 320;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_label_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || c == '-';
}

// Mobile numbers of the overseas departments belong to the French national plan
// (0690 12 34 56) but are reached from abroad, and in E.164, through the code of their
// territory, not +33: an SMS sent to +33690123456 goes nowhere.
struct overseas_block {
  std::string_view prefix;        // first 3 digits of the national number
  std::string_view country_code;  // E.164 country code
};
constexpr overseas_block overseas_blocks[] = {
    {"690", "590"}, {"691", "590"},  // Guadeloupe, Saint-Martin, Saint-Barthélemy
    {"694", "594"},                  // Guyane
    {"696", "596"}, {"697", "596"},  // Martinique
    {"692", "262"}, {"693", "262"},  // La Réunion
    {"639", "262"},                  // Mayotte
};

// The E.164 country code of a 9-digit national mobile number.
std::string_view country_code_of(std::string_view national) {
  for (const auto& b : overseas_blocks) {
    if (national.starts_with(b.prefix)) return b.country_code;
  }
  return "33";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

result<std::string> parse_mobile(std::string_view typed) {
  const auto bad = [] {
    return fail(errc::contact_mobile,
                "not a French mobile number: expected 06 or 07 and 8 more digits, or +33 6/7");
  };
  if (typed.size() > max_typed) return bad();
  std::string digits;
  bool plus = false;
  for (std::size_t i = 0; i < typed.size(); ++i) {
    const char c = typed[i];
    if (is_digit(c)) {
      digits.push_back(c);
    } else if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c != ' ' && c != '.' && c != '-') {
      return bad();
    }
  }
  // The country code typed (empty for a national number) and the 9 digits after it.
  std::string_view typed_code;
  std::string_view national;
  const std::string_view d = digits;
  if (plus) {
    if (d.size() < 10) return bad();  // a country code, then 9 digits
    typed_code = d.substr(0, d.size() - 9);
    national = d.substr(typed_code.size());
  } else if (d.size() == 10 && d.front() == '0') {
    national = d.substr(1);
  } else if (d.size() > 11 && d.starts_with("00")) {
    typed_code = d.substr(2, d.size() - 11);
    national = d.substr(2 + typed_code.size());
  } else {
    return bad();
  }
  if (national.front() != '6' && national.front() != '7') return bad();
  const std::string_view code = country_code_of(national);
  // A number of an overseas department typed after +33 is the national number the
  // person knows, with the wrong prefix: it is still theirs, under its own code.
  if (!typed_code.empty() && typed_code != "33" && typed_code != code) return bad();
  std::string out = "+";
  out += code;
  out += national;
  return out;
}

result<std::string> parse_email(std::string_view typed) {
  const auto bad = [](std::string_view why) {
    return fail(errc::contact_email, "not an e-mail address calp sends to: " + std::string(why));
  };
  const std::string_view s = trim(typed);
  if (s.empty()) return bad("empty");
  if (s.size() > 254) return bad("longer than 254 characters");
  const auto at = s.find('@');
  if (at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos) {
    return bad("exactly one @ expected");
  }
  const std::string_view local = s.substr(0, at);
  if (local.empty() || local.size() > 64) return bad("1 to 64 characters expected before the @");
  for (const char c : local) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '(' || c == ')' || c == ',' || c == ':' ||
        c == ';' || c == '<' || c == '>' || c == '[' || c == ']' || c == '\\') {
      return bad("a space, a control character, a quote or a non-ASCII character before the @");
    }
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return bad("misplaced dot before the @");
  }
  std::string domain(s.substr(at + 1));
  std::transform(domain.begin(), domain.end(), domain.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  if (domain.find('.') == std::string::npos) return bad("the domain has no dot");
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= domain.size(); ++i) {
    if (i == domain.size() || domain[i] == '.') {
      const std::size_t n = i - label_start;
      if (n == 0 || n > 63 || domain[label_start] == '-' || domain[i - 1] == '-') {
        return bad("the domain is not a list of dot-separated names");
      }
      label_start = i + 1;
    } else if (!is_label_char(domain[i])) {
      return bad("the domain holds characters other than letters, digits, hyphens and dots");
    }
  }
  return std::string(local) + "@" + domain;
}

result<std::string> parse_contact(contact_kind kind, std::string_view typed) {
  return kind == contact_kind::mobile ? parse_mobile(typed) : parse_email(typed);
}

std::string national_mobile(std::string_view e164) {
  if (!e164.starts_with('+') || e164.size() < 10) return std::string(e164);
  const std::string_view national = e164.substr(e164.size() - 9);
  const std::string_view code = e164.substr(1, e164.size() - 10);
  if (!std::all_of(national.begin(), national.end(), is_digit) ||
      (code != "33" && code != country_code_of(national))) {
    return std::string(e164);
  }
  std::string out = "0";
  out += national[0];
  for (std::size_t i = 1; i < national.size(); i += 2) {
    out += ' ';
    out += national.substr(i, 2);
  }
  return out;
}

std::string masked(const contact_point& c) {
  if (c.kind == contact_kind::mobile) {
    const std::string national = national_mobile(c.value);
    if (national.size() != 14 || national.front() != '0') return "**";
    return national.substr(0, 2) + " ** ** ** " + national.substr(12);
  }
  const auto at = c.value.find('@');
  if (at == std::string::npos || at == 0) return "***";
  // The first character, not the first byte: `é@…` must stay UTF-8.
  const std::size_t first = detail::utf8_sequence_length(c.value);
  if (first == 0 || first > at) return "***" + c.value.substr(at);
  return c.value.substr(0, first) + "***" + c.value.substr(at);
}

}  // namespace calp
