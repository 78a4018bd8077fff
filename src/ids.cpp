#include "calp/ids.hpp"

#include <fmt/format.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "detail/input_text.hpp"

// The messages below say where an identifier goes wrong and quote at most one
// character: someone who types a NIR in the wrong field must not find it whole in a
// message or a log.

namespace calp {
namespace {

constexpr bool is_digit(std::string_view c) noexcept {
  return c.size() == 1 && '0' <= c[0] && c[0] <= '9';
}

constexpr bool is_person_id_char(std::string_view c) noexcept {
  if (c.size() != 1) return false;
  const char x = c[0];
  return ('a' <= x && x <= 'z') || ('A' <= x && x <= 'Z') || ('0' <= x && x <= '9') || x == '_' ||
         x == '-' || x == '.' || x == ':';
}

}  // namespace

result<provisional_id> provisional_id::parse(std::string_view input) {
  constexpr std::size_t length = 9;
  provisional_id id;
  std::size_t count = 0;
  std::size_t bad = length;  // index of the first wrong character, if any
  detail::for_each_identifier_char(input, [&](std::string_view c) {
    if (count < length) {
      const bool ok = count == 0 ? c == "P" || c == "p" : is_digit(c);
      if (ok) id.chars_[count] = count == 0 ? 'P' : c[0];
      if (!ok && bad == length) bad = count;
    }
    ++count;
  });
  if (count != length) {
    return fail(errc::provisional_id_format,
                fmt::format("provisional identifier must be `P` followed by 8 digits, got {} "
                            "characters once spaces, dots and hyphens are removed",
                            count));
  }
  if (bad == 0) {
    return fail(errc::provisional_id_format,
                fmt::format("provisional identifier must start with `P`, got `{}`",
                            detail::escape_char(detail::identifier_char_at(input, 0))));
  }
  if (bad != length) {
    return fail(errc::provisional_id_format,
                fmt::format("provisional identifier character {} is `{}`, expected an ASCII digit",
                            bad + 1, detail::escape_char(detail::identifier_char_at(input, bad))));
  }
  return id;
}

result<dossier_number> dossier_number::parse(std::string_view input) {
  constexpr std::size_t length = 7;
  dossier_number number;
  std::size_t count = 0;
  std::size_t bad = length;
  std::string_view bad_char;
  while (!input.empty()) {
    const std::string_view c = detail::first_char(input);
    input.remove_prefix(c.size());
    if (c == " ") continue;
    if (count < length) {
      if (is_digit(c)) {
        number.chars_[count] = c[0];
      } else if (bad == length) {
        bad = count;
        bad_char = c;
      }
    }
    ++count;
  }
  if (count != length) {
    return fail(errc::dossier_number_format,
                fmt::format("dossier number must have 7 digits once spaces are removed, got {} "
                            "characters",
                            count));
  }
  if (bad != length) {
    return fail(errc::dossier_number_format,
                fmt::format("dossier number character {} is `{}`, expected an ASCII digit", bad + 1,
                            detail::escape_char(bad_char)));
  }
  return number;
}

result<person_id> person_id::parse(std::string_view input) {
  if (input.empty()) return fail(errc::person_id_format, "person id must not be empty");
  // Characters first, so that a long id of non-ASCII characters is not reported with a
  // byte count that reads as a character count.
  std::size_t position = 1;
  for (std::string_view rest = input; !rest.empty(); ++position) {
    const std::string_view c = detail::first_char(rest);
    rest.remove_prefix(c.size());
    if (!is_person_id_char(c)) {
      return fail(errc::person_id_format,
                  fmt::format("person id character {} is `{}`, expected an ASCII letter, a digit, "
                              "`_`, `-`, `.` or `:`",
                              position, detail::escape_char(c)));
    }
  }
  if (input.size() > max_length) {
    return fail(errc::person_id_format,
                fmt::format("person id has {} characters, over the limit of {}", input.size(),
                            max_length));
  }
  person_id id;
  id.value_ = input;
  return id;
}

result<login_identifier> login_identifier::parse(std::string_view input, nir_profile profile) {
  const std::string_view first = detail::identifier_char_at(input, 0);
  if (first == "P" || first == "p") {
    auto id = provisional_id::parse(input);
    if (!id) return unexpected<error>{std::move(id).error()};
    return login_identifier{*id};
  }
  auto id = nir::parse(input, profile);
  if (!id) return unexpected<error>{std::move(id).error()};
  return login_identifier{*id};
}

std::string_view login_identifier::str() const noexcept {
  return is_nir() ? as_nir().str() : as_provisional().str();
}

std::string login_identifier::masked() const {
  return is_nir() ? as_nir().masked() : std::string(as_provisional().str());
}

}  // namespace calp
