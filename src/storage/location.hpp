#pragma once
// Finding the password in a storage location, so that no message, log line or error
// ever repeats it: `redacted_location` for showing a location, and the PostgreSQL
// storage for scrubbing what libpq says about a URI it was given.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace calp::detail {

// The length of a leading `postgresql://` or `postgres://` (any case), or 0.
[[nodiscard]] std::size_t postgres_scheme_length(std::string_view location) noexcept;

// Every string in `location` that may be a password, as written and percent-decoded,
// longest first (so that a secret holding a shorter one is hidden whole): the user-info
// part after its first `:` (read both up to the `@` that ends the authority and up to
// the last `@` of the whole string, for a password with an unencoded `/` or `@`), and
// every `password=` value, quoted the libpq way or not. Found without trusting the
// location to be well formed, so that even a message about a malformed URI can be
// scrubbed.
[[nodiscard]] std::vector<std::string> location_secrets(std::string_view location);

// `text` with every occurrence of every secret replaced by `***`.
[[nodiscard]] std::string without_secrets(std::string_view text,
                                          std::span<const std::string> secrets);

}  // namespace calp::detail
