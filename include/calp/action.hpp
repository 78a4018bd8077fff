#pragma once
/// \file
/// The actions a person may ask for (DESIGN.md §3), with their stable names.

#include <array>
#include <cstddef>
#include <string_view>

#include "calp/error.hpp"

namespace calp {

enum class action : unsigned char {
  own_data_read,        ///< `own_data.read`: read own personal data
  own_contact_update,   ///< `own_contact.update`: own contact details
  own_password_change,  ///< `own_password.change`: own password
  separation_declare,   ///< `separation.declare`: declare a separation
  dossier_read,         ///< `dossier.read`: the dossier, rights and payments
  changes_declare,      ///< `changes.declare`: declare changes
  benefit_request,      ///< `benefit.request`: request a benefit
  delegation_manage,    ///< `delegation.manage`: grant or revoke the délégation
};

inline constexpr std::size_t action_count = 8;

/// Every action, in the order of the table of DESIGN.md §3.
inline constexpr std::array<action, action_count> all_actions = {
    action::own_data_read,   action::own_contact_update, action::own_password_change,
    action::separation_declare, action::dossier_read,    action::changes_declare,
    action::benefit_request, action::delegation_manage,
};

/// The stable name, e.g. `"dossier.read"`.
[[nodiscard]] std::string_view to_string(action a) noexcept;
/// What the action is, in English as in DESIGN.md §3 ("read own personal data").
[[nodiscard]] std::string_view description(action a) noexcept;
/// What the action is, in French for a front-desk screen ("consulter le dossier…").
[[nodiscard]] std::string_view libelle(action a) noexcept;

/// Errors: `errc::action_unknown` (the name is echoed, bounded).
[[nodiscard]] result<action> parse_action(std::string_view name);

}  // namespace calp
