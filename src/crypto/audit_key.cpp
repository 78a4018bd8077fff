#include "calp/audit_key.hpp"

#include <array>
#include <cstdint>
#include <string>

#include "calp/audit.hpp"
#include "crypto/digest.hpp"

namespace calp {

struct detail::audit_key_access {
  static const unsigned char* bytes(const audit_key& k) noexcept {
    return reinterpret_cast<const unsigned char*>(k.bytes_.view().data());
  }
};

namespace {

// Bumped if the hashed fields ever change, so an old trail never verifies a new way.
constexpr std::string_view link_domain = "calp.audit.link.v1";

std::string_view trimmed(std::string_view s) {
  constexpr std::string_view space = " \t\r\n";
  const auto first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

// Little-endian, so the hashed bytes do not depend on the machine.
std::array<char, 8> le64(std::uint64_t v) {
  std::array<char, 8> out{};
  for (auto& b : out) {
    b = static_cast<char>(v & 0xffU);
    v >>= 8U;
  }
  return out;
}

}  // namespace

audit_key audit_key::generate() { return audit_key(detail::new_key_bytes()); }

result<audit_key> audit_key::from_bytes(std::span<const unsigned char> bytes) {
  auto key = detail::key_bytes(bytes, errc::audit_key, "an audit key");
  if (!key) return unexpected(std::move(key).error());
  return audit_key(std::move(*key));
}

result<audit_key> audit_key::from_hex(std::string_view hex) {
  auto key = detail::key_bytes_from_hex(trimmed(hex), errc::audit_key, "an audit key");
  if (!key) return unexpected(std::move(key).error());
  return audit_key(std::move(*key));
}

std::string audit_link(const audit_key& key, std::string_view previous, const audit_event& e) {
  const auto seq = le64(e.seq);
  const auto at = le64(static_cast<std::uint64_t>(e.at.time_since_epoch().count()));
  return detail::keyed_digest(detail::audit_key_access::bytes(key), link_domain,
                              {previous, {seq.data(), seq.size()}, {at.data(), at.size()}, e.kind,
                               e.actor, e.subject, e.dossier, e.outcome, e.detail});
}

}  // namespace calp
