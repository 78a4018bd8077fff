#pragma once
/// \file
/// `calp::secret`, the one type that holds a password, a verification code or a token
/// in memory, and `constant_time_equal` to compare such values.

#include <cstddef>
#include <string>
#include <string_view>

namespace calp {

/// The bytes of a password, a code or a token. Move-only, so a secret is never
/// silently duplicated; its bytes are zeroed before their memory is released (destructor,
/// assignment, `wipe`), so they do not linger in freed memory. Deliberately not
/// printable: no `operator<<`, no formatter, no implicit conversion; `view()` is the
/// only way to the bytes. Compare with `constant_time_equal`, never with `==`.
class secret {
 public:
  /// An empty secret.
  secret() noexcept = default;

  /// Copies `text`; the caller remains responsible for its own copy (see `take`).
  explicit secret(std::string_view text);

  /// Copies `text` into a secret, then zeroes and clears `text`: for a password that
  /// arrived in a `std::string` (a form field, a request body).
  [[nodiscard]] static secret take(std::string& text);

  secret(const secret&) = delete;
  secret& operator=(const secret&) = delete;

  /// Takes over `other`'s bytes; `other` is left empty.
  secret(secret&& other) noexcept;

  /// Wipes this secret's bytes, then takes over `other`'s; `other` is left empty.
  secret& operator=(secret&& other) noexcept;

  /// Wipes the bytes.
  ~secret();

  /// The bytes, valid until this secret is wiped, assigned, moved from or destroyed.
  /// Never log, print or store them.
  [[nodiscard]] std::string_view view() const noexcept { return {data_, size_}; }

  /// The number of bytes (not of code points).
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  /// True when there are no bytes (also after a move or `wipe`).
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  /// Zeroes and releases the bytes now, rather than at destruction; the secret is then
  /// empty.
  void wipe() noexcept;

 private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
};

/// True when `a` and `b` hold the same bytes. When the lengths are equal the time taken
/// does not depend on where they differ (libsodium `sodium_memcmp`), so a guess cannot be
/// refined byte by byte. Different lengths give false at once: the lengths compared here
/// (keyed hashes, fixed-size codes) are public.
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace calp
