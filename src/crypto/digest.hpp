#pragma once
// Hashes and random values the services need, so that <sodium.h> stays in src/crypto/.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "calp/error.hpp"
#include "calp/secret.hpp"
#include "calp/verification_code.hpp"

namespace calp::detail {

// The one door to a server key's bytes.
struct code_key_access {
  static const unsigned char* bytes(const code_key& k) noexcept;
};

// Keyed BLAKE2b-256 of `parts`, each framed by its length so that no two lists of parts
// hash alike, under `domain` (a versioned name, so a hash made for one purpose never
// verifies for another). Lower-case hex, 64 characters.
[[nodiscard]] std::string keyed_digest(const code_key& key, std::string_view domain,
                                       std::initializer_list<std::string_view> parts);
// The same under the 32 bytes at `key` (an audit key).
[[nodiscard]] std::string keyed_digest(const unsigned char* key, std::string_view domain,
                                       std::initializer_list<std::string_view> parts);

// The 32 bytes of a server key (code key, audit key), made or read one way for both: new
// from the CSPRNG, from raw bytes, or from 64 hex digits. Errors carry `code` and call
// the key `what` ("a code key"); they never quote the text, which may be a real key.
[[nodiscard]] secret new_key_bytes();
[[nodiscard]] result<secret> key_bytes(std::span<const unsigned char> bytes, errc code,
                                       std::string_view what);
[[nodiscard]] result<secret> key_bytes_from_hex(std::string_view hex, errc code,
                                                std::string_view what);

// Unkeyed BLAKE2b-256 of `data`, hex: enough for values that are themselves 256-bit random
// (session tokens), where a key would add nothing.
[[nodiscard]] std::string digest(std::string_view data);

// `bytes` bytes from libsodium's CSPRNG, as lower-case hex.
[[nodiscard]] secret random_hex(std::size_t bytes);

// `length` characters drawn uniformly from `alphabet` (at most 256 characters).
[[nodiscard]] secret random_text(std::string_view alphabet, std::size_t length);

// A number drawn uniformly in [0, upper) from libsodium's CSPRNG.
[[nodiscard]] std::uint32_t random_below(std::uint32_t upper);

// Zeroes a string's bytes in place (a message that carried a code, say), then clears it.
void wipe(std::string& s) noexcept;

}  // namespace calp::detail
