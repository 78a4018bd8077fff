#include "calp/verification_code.hpp"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "crypto/digest.hpp"
#include "crypto/sodium.hpp"

namespace calp {

const unsigned char* detail::code_key_access::bytes(const code_key& k) noexcept {
  return reinterpret_cast<const unsigned char*>(k.bytes_.view().data());
}

namespace {

constexpr std::size_t code_digits = 6;
constexpr std::size_t max_challenge_key_bytes = 256;
// Bumped if the hash input ever changes, so an old hash can never verify a new way.
constexpr std::string_view hash_domain = "calp.verification_code.v1";

using digits = std::array<unsigned char, code_digits>;

/// Wipes a stack buffer on every path out of a scope.
template <class T>
class wipe_on_exit {
 public:
  explicit wipe_on_exit(T& v) noexcept : v_(&v) {}
  ~wipe_on_exit() { sodium_memzero(v_, sizeof(T)); }
  wipe_on_exit(const wipe_on_exit&) = delete;
  wipe_on_exit& operator=(const wipe_on_exit&) = delete;

 private:
  T* v_;
};

std::string code_hash(const code_key& server_key, std::string_view challenge_key,
                      const digits& code) {
  return detail::keyed_digest(
      server_key, hash_domain,
      {challenge_key, std::string_view(reinterpret_cast<const char*>(code.data()), code.size())});
}

std::optional<digits> read_typed(std::string_view typed) {
  digits out{};
  std::size_t n = 0;
  for (const char c : typed) {
    if (c == ' ') continue;
    if (c < '0' || c > '9' || n == code_digits) {
      sodium_memzero(out.data(), out.size());
      return std::nullopt;
    }
    out[n++] = static_cast<unsigned char>(c);
  }
  if (n != code_digits) {
    sodium_memzero(out.data(), out.size());
    return std::nullopt;
  }
  return out;
}

std::uint32_t left(std::uint32_t failed, const verification_code_rules& rules) noexcept {
  return failed >= rules.max_failed_attempts ? 0 : rules.max_failed_attempts - failed;
}

}  // namespace

std::string_view to_string(code_channel c) noexcept {
  switch (c) {
    case code_channel::sms: return "sms";
    case code_channel::email: return "email";
  }
  return "unknown";
}

std::string_view to_string(code_outcome o) noexcept {
  switch (o) {
    case code_outcome::accepted: return "accepted";
    case code_outcome::wrong: return "wrong";
    case code_outcome::expired: return "expired";
    case code_outcome::void_too_many_attempts: return "void_too_many_attempts";
    case code_outcome::already_used: return "already_used";
    case code_outcome::malformed: return "malformed";
  }
  return "unknown";
}

code_key code_key::generate() { return code_key(detail::new_key_bytes()); }

result<code_key> code_key::from_bytes(std::span<const unsigned char> bytes) {
  auto key = detail::key_bytes(bytes, errc::code_key, "a code key");
  if (!key) return unexpected(std::move(key).error());
  return code_key(std::move(*key));
}

result<code_key> code_key::from_hex(std::string_view hex) {
  auto key = detail::key_bytes_from_hex(hex, errc::code_key, "a code key");
  if (!key) return unexpected(std::move(key).error());
  return code_key(std::move(*key));
}

result<issued_code> issue_code(const std::optional<challenge_record>& current, std::string key,
                               std::optional<person_id> person, code_channel channel,
                               timestamp now, const code_key& server_key,
                               const verification_code_rules& rules) {
  if (key.empty() || key.size() > max_challenge_key_bytes) {
    throw std::invalid_argument("issue_code: a challenge key has 1 to 256 bytes");
  }
  if (current && current->key != key) {
    throw std::invalid_argument("issue_code: the current record is under another key");
  }
  const std::uint32_t issued = current ? current->issued_count : 0;
  if (issued > rules.max_new_codes) {
    return fail(errc::code_limit, "the " + std::to_string(rules.max_new_codes) +
                                      " new codes allowed for this contact point were all sent");
  }
  detail::ensure_sodium();
  digits code{};
  const wipe_on_exit wipe_code(code);
  // One draw for the six digits: each randombytes call is a system call.
  std::uint32_t draw = randombytes_uniform(1'000'000);
  for (auto d = code.rbegin(); d != code.rend(); ++d) {
    *d = static_cast<unsigned char>('0' + draw % 10);
    draw /= 10;
  }

  issued_code out{challenge_record{},
                  secret(std::string_view(reinterpret_cast<const char*>(code.data()), code.size()))};
  challenge_record& r = out.record;
  r.secret_hash = code_hash(server_key, key, code);
  r.key = std::move(key);
  r.person = std::move(person);
  r.issued_at = now;
  r.expires_at = now + rules.validity(channel);
  r.issued_count = issued + 1;
  r.failed_attempts = 0;
  r.consumed = false;
  r.payload = std::string(to_string(channel));
  return out;
}

code_check check_code(const challenge_record& current, std::string_view typed, timestamp now,
                      const code_key& server_key, const verification_code_rules& rules) {
  code_check out{code_outcome::malformed, current, false,
                 left(current.failed_attempts, rules)};
  if (current.consumed) {
    out.outcome = code_outcome::already_used;
    return out;
  }
  if (current.failed_attempts >= rules.max_failed_attempts) {
    out.outcome = code_outcome::void_too_many_attempts;
    return out;
  }
  if (now >= current.expires_at) {
    out.outcome = code_outcome::expired;
    return out;
  }
  auto code = read_typed(typed);
  if (!code) {
    out.outcome = code_outcome::malformed;
    return out;
  }
  const wipe_on_exit wipe_code(*code);
  detail::ensure_sodium();
  const std::string expected = code_hash(server_key, current.key, *code);
  out.changed = true;
  if (constant_time_equal(expected, current.secret_hash)) {
    out.outcome = code_outcome::accepted;
    out.next.consumed = true;
    return out;
  }
  ++out.next.failed_attempts;
  out.attempts_left = left(out.next.failed_attempts, rules);
  out.outcome = out.attempts_left == 0 ? code_outcome::void_too_many_attempts : code_outcome::wrong;
  return out;
}

}  // namespace calp
