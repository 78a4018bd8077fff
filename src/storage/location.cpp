#include "storage/location.hpp"

#include <algorithm>

#include "calp/storage/open.hpp"

namespace calp::detail {

namespace {

bool starts_with_ci(std::string_view s, std::string_view prefix) noexcept {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The end of a `password=` value starting at `value`: a libpq quoted value runs to its
// closing quote (backslash escapes included), any other to `&`, a space or `#`.
std::size_t value_end(std::string_view text, std::size_t value) noexcept {
  std::size_t end = value;
  if (end < text.size() && text[end] == '\'') {
    for (++end; end < text.size() && text[end] != '\''; ++end) {
      if (text[end] == '\\') ++end;
    }
    return std::min(end + 1, text.size());
  }
  while (end < text.size() && text[end] != '&' && text[end] != ' ' && text[end] != '#') ++end;
  return end;
}

}  // namespace

std::size_t postgres_scheme_length(std::string_view location) noexcept {
  for (const std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (starts_with_ci(location, scheme)) return scheme.size();
  }
  return 0;
}

std::vector<std::string> location_secrets(std::string_view location) {
  std::vector<std::string> out;
  const auto add = [&](std::string_view s) {
    if (s.empty()) return;
    out.emplace_back(s);
    out.push_back(percent_decoded(s));
  };
  if (const std::size_t start = postgres_scheme_length(location); start != 0) {
    const std::size_t authority_end = std::min(location.find_first_of("/?#", start), location.size());
    for (const std::size_t end : {location.substr(0, authority_end).rfind('@'), location.rfind('@')}) {
      if (end == std::string_view::npos || end < start) continue;
      const std::string_view user_info = location.substr(start, end - start);
      if (const std::size_t colon = user_info.find(':'); colon != std::string_view::npos) {
        add(user_info.substr(colon + 1));
      }
    }
  }
  constexpr std::string_view key = "password=";
  for (std::size_t at = 0; at + key.size() <= location.size(); ++at) {
    if (!starts_with_ci(location.substr(at), key)) continue;
    const std::size_t value = at + key.size();
    add(location.substr(value, value_end(location, value) - value));
  }
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

std::string without_secrets(std::string_view text, std::span<const std::string> secrets) {
  std::string out(text);
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (std::size_t at = out.find(secret); at != std::string::npos; at = out.find(secret, at + 3)) {
      out.replace(at, secret.size(), "***");
    }
  }
  return out;
}

}  // namespace calp::detail

namespace calp {

std::string redacted_location(std::string_view location) {
  return detail::without_secrets(location, detail::location_secrets(location));
}

}  // namespace calp
