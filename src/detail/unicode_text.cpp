#include "detail/unicode_text.hpp"

#include <utf8proc.h>

#include <array>
#include <cstdlib>
#include <memory>

namespace calp::detail {

namespace {

struct free_deleter {
  // utf8proc_map allocates with malloc.
  void operator()(utf8proc_uint8_t* p) const noexcept { std::free(p); }
};

const utf8proc_uint8_t* bytes_of(std::string_view s) noexcept {
  return reinterpret_cast<const utf8proc_uint8_t*>(s.data());
}

// NFC of valid UTF-8 (the caller checked it), or nullopt if utf8proc refuses it anyway.
// The length is passed, not a NUL terminator, so the whole text is read.
std::optional<std::string> nfc(std::string_view text) {
  utf8proc_uint8_t* out = nullptr;
  const auto n = utf8proc_map(bytes_of(text), static_cast<utf8proc_ssize_t>(text.size()), &out,
                              static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  const std::unique_ptr<utf8proc_uint8_t, free_deleter> owned(out);
  if (n < 0) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(owned.get()), static_cast<std::size_t>(n));
}

bool is_white_space(utf8proc_int32_t c) noexcept {
  if (c == '\t' || c == '\n' || c == 0x0B || c == 0x0C || c == '\r' || c == 0x85) return true;
  const auto category = utf8proc_category(c);
  return category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL ||
         category == UTF8PROC_CATEGORY_ZP;
}

void append(std::string& out, utf8proc_int32_t c) {
  std::array<utf8proc_uint8_t, 4> buffer{};
  const auto n = utf8proc_encode_char(c, buffer.data());
  out.append(reinterpret_cast<const char*>(buffer.data()), static_cast<std::size_t>(n));
}

}  // namespace

std::optional<std::string> normalized_upper(std::string_view text) {
  // Validate first, so that malformed input is refused rather than replaced.
  for (std::size_t i = 0; i < text.size();) {
    utf8proc_int32_t c = 0;
    const auto n = utf8proc_iterate(bytes_of(text.substr(i)),
                                    static_cast<utf8proc_ssize_t>(text.size() - i), &c);
    if (n <= 0) return std::nullopt;
    if (utf8proc_category(c) == UTF8PROC_CATEGORY_CC && !is_white_space(c)) return std::nullopt;
    i += static_cast<std::size_t>(n);
  }
  const auto composed = nfc(text);
  if (!composed) return std::nullopt;

  std::string upper;
  upper.reserve(composed->size());
  bool pending_space = false;
  for (std::size_t i = 0; i < composed->size();) {
    utf8proc_int32_t c = 0;
    const auto n = utf8proc_iterate(bytes_of(std::string_view(*composed).substr(i)),
                                    static_cast<utf8proc_ssize_t>(composed->size() - i), &c);
    if (n <= 0) return std::nullopt;
    i += static_cast<std::size_t>(n);
    if (is_white_space(c)) {
      // Only a space between two words survives: none leading, none trailing.
      pending_space = !upper.empty();
      continue;
    }
    if (pending_space) {
      upper.push_back(' ');
      pending_space = false;
    }
    // utf8proc's upper case of ß changed between versions (itself, then U+1E9E); the
    // registers write SS, and one answer whatever the version keeps names comparable.
    if (c == 0x00DF || c == 0x1E9E) {
      upper += "SS";
      continue;
    }
    append(upper, utf8proc_toupper(c));
  }
  // An upper-case letter may compose with a following mark where the lower-case one
  // did not; NFC again gives the one canonical form.
  return nfc(upper);
}

}  // namespace calp::detail
