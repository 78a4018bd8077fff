#pragma once
/// \file
/// Household facts (DESIGN.md §3): members with their birth dates, benefits held over
/// date ranges, departures, and the délégation de gestion. Roles are never stored;
/// `calp/roles.hpp` derives them from these facts at a date.
///
/// A `household` can only be built through `household::make` or
/// `household::from_json`, which check every invariant; once built it is immutable and
/// safe to share between threads.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "calp/date.hpp"
#include "calp/error.hpp"
#include "calp/ids.hpp"

namespace calp {

struct standing;

/// The role a member has in the dossier as recorded by the Caf.
enum class member_role { allocataire, conjoint, other };

/// `"allocataire"`, `"conjoint"`, `"other"`.
[[nodiscard]] std::string_view to_string(member_role r) noexcept;
/// Errors: `errc::household_role`.
[[nodiscard]] result<member_role> parse_member_role(std::string_view name);

/// The four benefits that make a conjoint a "conjoint allocataire" (R5 table).
inline constexpr std::string_view personal_benefit_codes[] = {"AJPA", "BAFA", "AAH", "PALA"};

/// A benefit held from `from` to `until` inclusive; no `until` means still held.
struct benefit {
  /// Upper-case code: 1 to 16 characters among `A`–`Z`, `0`–`9` and `_` (`AAH`, `AF`).
  std::string code;
  date from;
  std::optional<date> until;

  [[nodiscard]] bool held_at(date d) const noexcept {
    return from <= d && (!until || d <= *until);
  }
  /// One of `personal_benefit_codes`.
  [[nodiscard]] bool is_personal() const noexcept;

  friend bool operator==(const benefit&, const benefit&) = default;
};

/// A person's membership of the household.
struct member {
  person_id id;
  member_role role;
  date birth_date;
  std::vector<benefit> benefits;
  /// Separation or departure: no longer a member on and after this date.
  std::optional<date> left;

  [[nodiscard]] bool member_at(date d) const noexcept { return !left || d < *left; }

  friend bool operator==(const member&, const member&) = default;
};

/// The délégation de gestion from the allocataire to the conjoint (R7): applies from
/// `granted`, and no longer on and after `revoked`.
struct delegation {
  person_id to;
  date granted;
  std::optional<date> revoked;

  [[nodiscard]] bool active_at(date d) const noexcept {
    return granted <= d && (!revoked || d < *revoked);
  }

  friend bool operator==(const delegation&, const delegation&) = default;
};

/// Bounds on a household JSON document, so a hostile file cannot exhaust memory or the
/// stack. The defaults are generous for any real household.
struct household_limits {
  std::size_t max_bytes = 256 * 1024;
  std::size_t max_depth = 8;
  std::size_t max_members = 64;
  std::size_t max_benefits_per_member = 64;
  std::size_t max_string_length = 256;
};

/// One dossier and its members. Invariants, checked when built: exactly one
/// allocataire, at most one conjoint, unique member ids, benefit and délégation date
/// ranges in order, a délégation only to the conjoint, every benefit code well formed.
class household {
 public:
  /// Checks the invariants above. Errors name the field, with the codes
  /// `errc::household_*`, `errc::json_too_long` (more members or benefits than
  /// `limits` allow), `errc::household_benefit_code`, and `errc::date_format` for a day
  /// that does not exist or lies outside `min_year`..`max_year` (what `to_json` writes
  /// must read back).
  [[nodiscard]] static result<household> make(dossier_number dossier, std::vector<member> members,
                                              std::optional<calp::delegation> delegation,
                                              const household_limits& limits = {});

  /// Reads the interchange format of DESIGN.md §3. Unknown fields, wrong types, missing
  /// fields, invalid dates, strings and arrays over `limits` are errors naming the field
  /// (`members[2].benefits[0].until`); so is any broken invariant of `make`.
  [[nodiscard]] static result<household> from_json(std::string_view json,
                                                   const household_limits& limits = {});

  /// Writes the interchange format; `from_json(to_json())` gives back an equal household.
  [[nodiscard]] std::string to_json() const;

  [[nodiscard]] const dossier_number& dossier() const noexcept { return dossier_; }
  [[nodiscard]] std::span<const member> members() const noexcept { return members_; }
  [[nodiscard]] const std::optional<calp::delegation>& delegation() const noexcept {
    return delegation_;
  }

  /// The member with this id, or null. Linear: households are small.
  [[nodiscard]] const member* find(std::string_view id) const noexcept;
  /// The allocataire (always present).
  [[nodiscard]] const member& allocataire() const noexcept { return members_[allocataire_]; }
  /// The conjoint, if the household has one (even one who has left).
  [[nodiscard]] const member* conjoint() const noexcept;

  friend bool operator==(const household& a, const household& b) {
    return a.dossier_ == b.dossier_ && a.members_ == b.members_ && a.delegation_ == b.delegation_;
  }

 private:
  static constexpr std::size_t no_conjoint = static_cast<std::size_t>(-1);

  household(dossier_number dossier, std::vector<member> members,
            std::optional<calp::delegation> delegation, std::size_t allocataire,
            std::size_t conjoint);

  // What a decision reads, kept inside the object so that deciding on a household that
  // is not in the cache costs one memory round trip instead of one per pointer followed
  // (members, then benefits): see bench/RESULTS.md. Built once from `members_` and
  // `delegation_`, and only for households it can describe exactly (few members, short
  // ids, few personal benefit periods); for the others `count` is 0 and decisions take
  // the general path over `members_`. Days are counts since 1970-01-01.
  static constexpr std::size_t quick_member_capacity = 6;
  static constexpr std::size_t quick_id_capacity = 22;
  static constexpr std::size_t quick_benefit_capacity = 2;
  static constexpr std::uint8_t quick_none = 0xFF;
  struct quick_member {
    std::array<char, quick_id_capacity> id{};
    std::uint8_t id_length = 0;
    member_role role = member_role::other;
    std::int32_t adult_from = 0;  // the 15th birthday (R6)
    std::int32_t left_on = 0;     // no longer a member from this day; never: INT32_MAX
  };
  // The household-wide fields come first and the first member right after them, so
  // deciding for the allocataire or the conjoint usually reads one or two adjacent
  // cache lines.
  struct quick_facts {
    std::uint8_t count = 0;
    std::uint8_t conjoint = quick_none;
    std::uint8_t conjoint_benefit_count = 0;
    std::int32_t delegation_from = 0;   // délégation active on [from, until)
    std::int32_t delegation_until = 0;
    // The conjoint's AJPA, BAFA, AAH, PALA periods, inclusive: {from, until}.
    std::array<std::array<std::int32_t, 2>, quick_benefit_capacity> conjoint_benefits{};
    std::array<quick_member, quick_member_capacity> members{};
  };
  friend standing standing_at(const household& h, std::string_view person, date at) noexcept;

  quick_facts quick_;
  dossier_number dossier_;
  std::vector<member> members_;
  std::optional<calp::delegation> delegation_;
  std::size_t allocataire_;
  std::size_t conjoint_;
};

}  // namespace calp
