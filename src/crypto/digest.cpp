#include "crypto/digest.hpp"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <stdexcept>

#include "crypto/sodium.hpp"

namespace calp::detail {

namespace {

constexpr std::size_t digest_bytes = crypto_generichash_BYTES;  // 32
constexpr std::size_t key_size = crypto_generichash_KEYBYTES;  // 32
static_assert(code_key::size == key_size);

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  std::string hex(2 * n + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, n);
  hex.pop_back();
  return hex;
}

void update(crypto_generichash_state& state, std::string_view part) {
  std::array<unsigned char, 8> length{};
  auto n = static_cast<std::uint64_t>(part.size());
  for (auto& b : length) {
    b = static_cast<unsigned char>(n & 0xffU);
    n >>= 8U;
  }
  crypto_generichash_update(&state, length.data(), length.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(part.data()),
                            part.size());
}

}  // namespace

std::string keyed_digest(const code_key& key, std::string_view domain,
                         std::initializer_list<std::string_view> parts) {
  return keyed_digest(code_key_access::bytes(key), domain, parts);
}

std::string keyed_digest(const unsigned char* key, std::string_view domain,
                         std::initializer_list<std::string_view> parts) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, key, key_size, digest_bytes);
  update(state, domain);
  for (const auto part : parts) update(state, part);
  std::array<unsigned char, digest_bytes> out{};
  crypto_generichash_final(&state, out.data(), out.size());
  sodium_memzero(&state, sizeof state);
  return to_hex(out.data(), out.size());
}

std::string digest(std::string_view data) {
  std::array<unsigned char, digest_bytes> out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()),
                     data.size(), nullptr, 0);
  return to_hex(out.data(), out.size());
}

secret new_key_bytes() {
  ensure_sodium();
  std::array<unsigned char, key_size> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  secret out(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  sodium_memzero(bytes.data(), bytes.size());
  return out;
}

result<secret> key_bytes(std::span<const unsigned char> bytes, errc code, std::string_view what) {
  if (bytes.size() != key_size) {
    return fail(code, std::string(what) + " has " + std::to_string(key_size) + " bytes, got " +
                          std::to_string(bytes.size()));
  }
  ensure_sodium();
  return secret(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

result<secret> key_bytes_from_hex(std::string_view hex, errc code, std::string_view what) {
  if (hex.size() != 2 * key_size) {
    return fail(code, std::string(what) + " has " + std::to_string(2 * key_size) +
                          " hex digits, got " + std::to_string(hex.size()) + " characters");
  }
  ensure_sodium();
  std::array<unsigned char, key_size> bytes{};
  std::size_t written = 0;
  const char* end = nullptr;
  const bool ok = sodium_hex2bin(bytes.data(), bytes.size(), hex.data(), hex.size(), nullptr,
                                 &written, &end) == 0 &&
                  written == key_size && end == hex.data() + hex.size();
  if (!ok) return fail(code, std::string(what) + " holds only hex digits");
  secret out(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  sodium_memzero(bytes.data(), bytes.size());
  return out;
}

secret random_hex(std::size_t bytes) {
  ensure_sodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex = to_hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  wipe(raw);
  return secret::take(hex);
}

secret random_text(std::string_view alphabet, std::size_t length) {
  if (alphabet.empty() || alphabet.size() > 256) {
    throw std::invalid_argument("random_text: an alphabet has 1 to 256 characters");
  }
  ensure_sodium();
  std::string out(length, '\0');
  for (auto& c : out) {
    c = alphabet[randombytes_uniform(static_cast<std::uint32_t>(alphabet.size()))];
  }
  return secret::take(out);
}

std::uint32_t random_below(std::uint32_t upper) {
  ensure_sodium();
  return randombytes_uniform(upper);
}

void wipe(std::string& s) noexcept {
  sodium_memzero(s.data(), s.size());
  s.clear();
}

}  // namespace calp::detail
