#include "calp/notifier.hpp"

namespace calp {

std::string_view to_string(notice_kind kind) noexcept {
  switch (kind) {
    case notice_kind::verification_code: return "verification_code";
    case notice_kind::recovery_code: return "recovery_code";
    case notice_kind::provisional_id_reminder: return "provisional_id_reminder";
    case notice_kind::password_changed: return "password_changed";
    case notice_kind::franceconnect_login: return "franceconnect_login";
    case notice_kind::activation_code: return "activation_code";
    case notice_kind::delegation_granted: return "delegation_granted";
    case notice_kind::delegation_revoked: return "delegation_revoked";
  }
  // Only a value cast from outside the enumeration gets here.
  return "unknown";
}

}  // namespace calp
