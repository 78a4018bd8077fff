#include "calp/nir.hpp"

#include <fmt/format.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "detail/input_text.hpp"

namespace calp {
namespace {

constexpr std::size_t full_length = 15;
constexpr std::size_t body_length = 13;
constexpr std::size_t none = static_cast<std::size_t>(-1);

// Stands for a character outside ASCII once normalised: it is neither a digit nor a
// letter, so the character check rejects it, and the message then quotes the original
// character from the input.
constexpr char not_ascii = static_cast<char>(0x80);

constexpr bool is_digit(char c) noexcept { return '0' <= c && c <= '9'; }

constexpr int digit(char c) noexcept { return c - '0'; }

template <std::size_t N>
constexpr int two_digits(const std::array<char, N>& chars, std::size_t at) noexcept {
  return digit(chars[at]) * 10 + digit(chars[at + 1]);
}

// Only `a` and `b` can be valid in lower case (`2a`, `2b`); other letters stay as they
// are so that the error quotes what was typed.
constexpr char upper_corsica(char c) noexcept {
  return c == 'a' || c == 'b' ? static_cast<char>(c - 'a' + 'A') : c;
}

// The first `N` characters of an input once separators are removed, and how many
// characters there are in all, so that a length error can say it. Works on the stack:
// parsing a valid NIR allocates nothing but its result.
template <std::size_t N>
struct normalised {
  std::array<char, N> chars{};
  std::size_t length = 0;
};

template <std::size_t N>
constexpr normalised<N> normalise(std::string_view input) noexcept {
  normalised<N> out;
  detail::for_each_identifier_char(input, [&out](std::string_view c) {
    if (out.length < N) out.chars[out.length] = c.size() == 1 ? upper_corsica(c[0]) : not_ascii;
    ++out.length;
  });
  return out;
}

// Index of the first character that is neither an ASCII digit nor the `A`/`B` of a
// `2A`/`2B` department at positions 6–7, or `none`.
template <std::size_t N>
constexpr std::size_t first_bad_character(const std::array<char, N>& chars) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (is_digit(chars[i])) continue;
    if (i == 6 && chars[5] == '2' && (chars[6] == 'A' || chars[6] == 'B')) continue;
    return i;
  }
  return none;
}

// 97 - (body mod 97) by Horner's rule, which stays far from overflow and needs no big
// integer. `2A` counts as 19 and `2B` as 18, at positions 6–7 only: the character check
// already refused letters anywhere else.
template <std::size_t N>
constexpr int key_of(const std::array<char, N>& chars) noexcept {
  static_assert(N >= body_length);
  const bool corsica = chars[6] == 'A' || chars[6] == 'B';
  int rest = 0;
  for (std::size_t i = 0; i < body_length; ++i) {
    int d = digit(chars[i]);
    if (corsica && i == 5) d = 1;
    if (corsica && i == 6) d = chars[6] == 'A' ? 9 : 8;
    rest = (rest * 10 + d) % 97;
  }
  return 97 - rest;
}

// `2 84 05 2A 321 025 52`; hidden, the birth place and order number become `*`.
std::string grouped(const std::array<char, full_length>& chars, bool hide) {
  std::string out;
  out.reserve(full_length + 6);
  for (std::size_t i = 0; i < full_length; ++i) {
    // A group starts at the year, month, department, commune, order and key.
    if (i == 1 || i == 3 || i == 5 || i == 7 || i == 10 || i == 13) out += ' ';
    out += hide && i >= 5 && i < body_length ? '*' : chars[i];
  }
  return out;
}

unexpected<error> character_error(std::string_view input, std::size_t index) {
  // Quote the character as typed (before upper-casing or the non-ASCII placeholder).
  // It cannot be part of a valid NIR, so showing it reveals nothing sensitive.
  const std::string_view c = detail::identifier_char_at(input, index);
  const bool letter = c.size() == 1 && (('A' <= c[0] && c[0] <= 'Z') || ('a' <= c[0] && c[0] <= 'z'));
  if (letter) {
    return fail(errc::nir_character,
                fmt::format("nir character {} is the letter `{}`; letters are allowed only as "
                            "`2A` or `2B` at positions 6 and 7",
                            index + 1, c));
  }
  return fail(errc::nir_character, fmt::format("nir character {} is `{}`, expected an ASCII digit",
                                               index + 1, detail::escape_char(c)));
}

constexpr bool sex_allowed(char s, nir_profile profile) noexcept {
  if (s == '1' || s == '2') return true;
  return profile == nir_profile::lenient && (s == '3' || s == '4' || s == '7' || s == '8');
}

unexpected<error> sex_error(char s, nir_profile profile) {
  if (profile == nir_profile::lenient) {
    return fail(errc::nir_sex, fmt::format("nir sex digit is `{}`, expected 1, 2, 3, 4, 7 or 8", s));
  }
  const bool provisional = s == '3' || s == '4' || s == '7' || s == '8';
  return fail(errc::nir_sex, fmt::format("nir sex digit is `{}`, expected 1 or 2{}", s,
                                         provisional ? " (3, 4, 7 and 8 only in the lenient profile)"
                                                     : ""));
}

// R2 and research §1.2.3: a superset of the INSEE readings, because a false rejection
// locks a real person out while the key still catches typing errors.
constexpr bool month_allowed(int month) noexcept {
  return (month >= 1 && month <= 12) || (month >= 20 && month <= 42) || month >= 50;
}

}  // namespace

result<nir> nir::parse(std::string_view input, nir_profile profile) {
  const auto in = normalise<full_length>(input);
  if (in.length != full_length) {
    return fail(errc::nir_length,
                fmt::format("nir must have 15 characters once spaces, dots and hyphens are removed, got {}",
                            in.length));
  }
  if (const std::size_t bad = first_bad_character(in.chars); bad != none) {
    return character_error(input, bad);
  }
  const auto& c = in.chars;
  if (!sex_allowed(c[0], profile)) return sex_error(c[0], profile);
  if (!month_allowed(two_digits(c, 3))) {
    return fail(errc::nir_month,
                fmt::format("nir month is `{}{}`, expected 01 to 12, 20 to 42 or 50 to 99", c[3], c[4]));
  }
  // The department is never checked against today's list: the code is the one in force
  // at birth (R2). Digits and `2A`/`2B` passed the character check; only `00` is left.
  if (c[5] == '0' && c[6] == '0') {
    return fail(errc::nir_department, "nir department is `00`, expected 01 to 99, 2A or 2B");
  }
  if (c[10] == '0' && c[11] == '0' && c[12] == '0') {
    return fail(errc::nir_order, "nir order number is `000`, expected 001 to 999");
  }
  if (const int expected = key_of(c); two_digits(c, 13) != expected) {
    return fail(errc::nir_key, fmt::format("nir key is {}{}, expected {:02} (`{}`)", c[13], c[14],
                                           expected, grouped(c, true)));
  }
  nir parsed;
  parsed.chars_ = c;
  return parsed;
}

result<int> nir::compute_key(std::string_view body13) {
  const auto in = normalise<body_length>(body13);
  if (in.length != body_length) {
    return fail(errc::nir_length,
                fmt::format("nir body must have 13 characters once spaces, dots and hyphens are "
                            "removed, got {}",
                            in.length));
  }
  if (const std::size_t bad = first_bad_character(in.chars); bad != none) {
    return character_error(body13, bad);
  }
  return key_of(in.chars);
}

std::string nir::formatted() const { return grouped(chars_, false); }

std::string nir::masked() const { return grouped(chars_, true); }

int nir::year_of_birth() const noexcept { return two_digits(chars_, 1); }

int nir::month_field() const noexcept { return two_digits(chars_, 3); }

nir_month_kind nir::month_kind() const noexcept {
  const int month = month_field();
  if (month <= 12) return nir_month_kind::calendar;
  if (month >= 31 && month <= 42) return nir_month_kind::pseudo_fictitious;
  return nir_month_kind::unknown;
}

int nir::birth_month() const noexcept {
  switch (month_kind()) {
    case nir_month_kind::calendar: return month_field();
    case nir_month_kind::pseudo_fictitious: return month_field() - 30;
    case nir_month_kind::unknown: return 0;
  }
  return 0;
}

int nir::order() const noexcept {
  return digit(chars_[10]) * 100 + two_digits(chars_, 11);
}

int nir::key() const noexcept { return two_digits(chars_, 13); }

}  // namespace calp
