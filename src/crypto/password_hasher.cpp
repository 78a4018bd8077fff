#include "calp/password_hasher.hpp"

#include <sodium.h>

#include <array>
#include <mutex>
#include <stdexcept>
#include <string>

#include "crypto/sodium.hpp"

namespace calp {

namespace {

// crypto_pwhash_argon2id_* rather than the crypto_pwhash_* defaults: R12 names Argon2id,
// and a future libsodium changing its default algorithm must not change what we store.
constexpr std::uint64_t mib = 1024U * 1024U;
static_assert(crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE >= 2);
static_assert(crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE >= 19 * mib);

// crypto_pwhash_*_str_verify and _needs_rehash read a NUL-terminated string; a
// well-formed one is shorter than this, so anything longer is refused before copying.
constexpr std::size_t max_stored = crypto_pwhash_argon2id_STRBYTES;

bool well_formed_text(std::string_view stored) noexcept {
  return !stored.empty() && stored.size() < max_stored &&
         stored.find('\0') == std::string_view::npos &&
         stored.starts_with(crypto_pwhash_argon2id_STRPREFIX);
}

// A NUL-terminated copy on the stack, so the noexcept paths never allocate.
std::array<char, max_stored> terminated(std::string_view stored) noexcept {
  std::array<char, max_stored> text{};
  stored.copy(text.data(), stored.size());
  return text;
}

// An empty secret has a null data(); libsodium declares its password argument nonnull.
const char* bytes(std::string_view text) noexcept { return text.empty() ? "" : text.data(); }

}  // namespace

password_hash_params password_hash_params::interactive() noexcept {
  return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}

password_hash_params password_hash_params::moderate() noexcept {
  return {crypto_pwhash_argon2id_OPSLIMIT_MODERATE, crypto_pwhash_argon2id_MEMLIMIT_MODERATE};
}

password_hash_params password_hash_params::for_tests() noexcept {
  return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

struct password_hasher::dummy {
  std::once_flag once;
  std::string hash;
};

password_hasher::password_hasher(password_hash_params params)
    : params_(params), dummy_(std::make_shared<dummy>()) {
  if (params.ops_limit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
      params.ops_limit > crypto_pwhash_argon2id_OPSLIMIT_MAX ||
      params.mem_limit < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
      params.mem_limit > crypto_pwhash_argon2id_MEMLIMIT_MAX) {
    throw std::invalid_argument("calp: password hash parameters outside Argon2id's limits");
  }
  detail::ensure_sodium();
}

std::string password_hasher::hash(const secret& password) const {
  std::array<char, crypto_pwhash_argon2id_STRBYTES> out{};
  const auto text = password.view();
  if (crypto_pwhash_argon2id_str(out.data(), bytes(text), text.size(),
                                 static_cast<unsigned long long>(params_.ops_limit),
                                 params_.mem_limit) != 0) {
    throw std::runtime_error("calp: password hashing failed (out of memory)");
  }
  return std::string{out.data()};
}

bool password_hasher::verify(std::string_view stored_hash, const secret& password) const noexcept {
  if (!well_formed_text(stored_hash)) return false;
  const auto stored = terminated(stored_hash);
  const auto text = password.view();
  // Returns -1 for a wrong password and for a hash it cannot parse alike.
  return crypto_pwhash_argon2id_str_verify(stored.data(), bytes(text), text.size()) == 0;
}

bool password_hasher::needs_rehash(std::string_view stored_hash) const noexcept {
  if (!well_formed_text(stored_hash)) return true;
  const auto stored = terminated(stored_hash);
  // 0: same parameters; 1: other parameters; -1: not a valid Argon2id string.
  return crypto_pwhash_argon2id_str_needs_rehash(
             stored.data(), static_cast<unsigned long long>(params_.ops_limit),
             params_.mem_limit) != 0;
}

void password_hasher::verify_nothing(const secret& password) const noexcept {
  try {
    std::call_once(dummy_->once, [this] {
      // A random password nobody knows: the dummy hash must match no real input.
      std::array<unsigned char, 32> unknown{};
      randombytes_buf(unknown.data(), unknown.size());
      const secret s{
          std::string_view{reinterpret_cast<const char*>(unknown.data()), unknown.size()}};
      sodium_memzero(unknown.data(), unknown.size());
      dummy_->hash = hash(s);
    });
  } catch (...) {
    // Out of memory making the dummy: a real verification would have failed the same
    // way, so the caller answers "wrong password" as it would anyway.
    return;
  }
  static_cast<void>(verify(dummy_->hash, password));
}

}  // namespace calp
