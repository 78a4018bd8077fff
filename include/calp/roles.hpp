#pragma once
/// \file
/// Roles derived from household facts at a date (DESIGN.md §3, R5–R7). Nothing here is
/// stored: the same facts at another date can give another role.

#include <string_view>

#include "calp/date.hpp"
#include "calp/household.hpp"

namespace calp {

/// A person's role in a household at a date.
enum class household_role : unsigned char {
  allocataire,           ///< holder of the dossier
  conjoint,              ///< the allocataire's spouse or partner, no benefit of their own
  conjoint_allocataire,  ///< a conjoint holding AJPA, BAFA, AAH or PALA at that date
  other,                 ///< any other member aged 15 or more
  under_15,              ///< a member under 15: no account, every action denied (R6)
  not_member,            ///< absent from the household, or left on or before that date
};

inline constexpr std::size_t household_role_count = 6;

/// The age from which a member has a personal account (R6).
inline constexpr std::chrono::years account_age{15};

/// `"allocataire"`, `"conjoint"`, `"conjoint_allocataire"`, `"other"`, `"under_15"`,
/// `"not_member"`.
[[nodiscard]] std::string_view to_string(household_role r) noexcept;
/// The role in French for a front-desk screen (`"conjoint allocataire"`).
[[nodiscard]] std::string_view libelle(household_role r) noexcept;

/// Everything the policy needs to know about one person at one date.
struct standing {
  household_role role = household_role::not_member;
  /// The person is the conjoint and the délégation applies at that date (R7).
  bool has_delegation = false;
  /// The household has a conjoint who is a member at that date.
  bool in_couple = false;

  friend bool operator==(const standing&, const standing&) = default;
};

/// Derives the standing of `person` in `h` at `at`. Pure, allocation-free, and for usual
/// households it reads only the household object itself; an unknown id gives
/// `household_role::not_member`. Age is checked before the recorded role: an
/// allocataire under 15 cannot occur in real files, but would get no rights either.
[[nodiscard]] standing standing_at(const household& h, std::string_view person, date at) noexcept;

/// Same as `standing_at` for a member already found.
[[nodiscard]] standing standing_at(const household& h, const member& m, date at) noexcept;

/// Shorthand for `standing_at(h, person, at).role`.
[[nodiscard]] inline household_role role_at(const household& h, std::string_view person,
                                            date at) noexcept {
  return standing_at(h, person, at).role;
}

}  // namespace calp
