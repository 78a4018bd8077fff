#pragma once
// Reading identifiers and dates typed by people, and quoting such input in error
// messages without letting control characters, malformed UTF-8 or unbounded text
// through: messages end up in logs, terminals and Python strings.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace calp::detail {

// Bytes in the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlong
// form, no surrogate, nothing above U+10FFFF), or 0 when `s` is empty or does not start
// with one.
[[nodiscard]] constexpr std::size_t utf8_sequence_length(std::string_view s) noexcept {
  if (s.empty()) return 0;
  const auto lead = static_cast<unsigned char>(s[0]);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  // The second byte has a narrower range for a few lead bytes; that is what rules out
  // overlong forms, surrogates and code points past U+10FFFF.
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead == 0xE0) {
    length = 3;
    second_min = 0xA0;
  } else if (lead == 0xED) {
    length = 3;
    second_max = 0x9F;
  } else if (lead >= 0xE1 && lead <= 0xEF) {
    length = 3;
  } else if (lead == 0xF0) {
    length = 4;
    second_min = 0x90;
  } else if (lead >= 0xF1 && lead <= 0xF3) {
    length = 4;
  } else if (lead == 0xF4) {
    length = 4;
    second_max = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    const unsigned char min = i == 1 ? second_min : 0x80;
    const unsigned char max = i == 1 ? second_max : 0xBF;
    if (b < min || b > max) return 0;
  }
  return length;
}

// The first character of non-empty `s`: a well-formed UTF-8 sequence, else its first
// byte alone, so that malformed input is still read one byte at a time.
[[nodiscard]] constexpr std::string_view first_char(std::string_view s) noexcept {
  const std::size_t length = utf8_sequence_length(s);
  return s.substr(0, length == 0 ? 1 : length);
}

// What people type inside an identifier to group its digits (R1): ASCII space, the
// no-break spaces U+00A0 and U+202F (French number formatting puts the narrow one
// between groups, so a pasted NIR carries it), `.` and `-`. Tabs and the like are not.
[[nodiscard]] constexpr bool is_identifier_separator(std::string_view c) noexcept {
  if (c.size() == 1) return c[0] == ' ' || c[0] == '.' || c[0] == '-';
  return c == "\xC2\xA0" || c == "\xE2\x80\xAF";
}

// Calls `f(c)` for each character of `input` (as `first_char` cuts them) that is not
// an identifier separator.
template <class F>
constexpr void for_each_identifier_char(std::string_view input, F&& f) {
  while (!input.empty()) {
    const std::string_view c = first_char(input);
    input.remove_prefix(c.size());
    if (!is_identifier_separator(c)) f(c);
  }
}

// The character at `index` (from 0) among those `for_each_identifier_char` visits, or
// an empty view when there are not that many.
[[nodiscard]] constexpr std::string_view identifier_char_at(std::string_view input,
                                                            std::size_t index) noexcept {
  while (!input.empty()) {
    const std::string_view c = first_char(input);
    input.remove_prefix(c.size());
    if (is_identifier_separator(c)) continue;
    if (index == 0) return c;
    --index;
  }
  return {};
}

// One character as `first_char` returns it, shown so that any reader can see what it
// is: printable ASCII as itself, another code point as `\u{XXXX}`, a byte that is not
// well-formed UTF-8 as `\xNN`.
[[nodiscard]] inline std::string escape_char(std::string_view c) {
  if (c.empty()) return {};
  const auto lead = static_cast<unsigned char>(c[0]);
  if (lead >= 0x20 && lead < 0x7F) return std::string(1, c[0]);
  const std::size_t length = utf8_sequence_length(c);
  if (length == 0) return fmt::format("\\x{:02X}", lead);
  // Lead-byte payload bits: 7 for one byte, then 5, 4, 3.
  char32_t code_point = length == 1 ? lead : lead & (0xFFu >> (length + 1));
  for (std::size_t i = 1; i < length; ++i) {
    code_point = (code_point << 6) | (static_cast<unsigned char>(c[i]) & 0x3Fu);
  }
  return fmt::format("\\u{{{:04X}}}", static_cast<std::uint32_t>(code_point));
}

// The first `max_chars` characters of `text`, each shown as `escape_char` shows it, then
// `…` when `text` is longer: quoted input stays short and printable whatever it holds.
[[nodiscard]] inline std::string echo(std::string_view text, std::size_t max_chars = 32) {
  std::string shown;
  for (std::size_t count = 0; !text.empty(); ++count) {
    if (count == max_chars) {
      shown += "…";
      break;
    }
    const std::string_view c = first_char(text);
    text.remove_prefix(c.size());
    shown += escape_char(c);
  }
  return shown;
}

}  // namespace calp::detail
