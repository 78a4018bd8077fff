#include "calp/roles.hpp"

#include <algorithm>

namespace calp {

std::string_view to_string(household_role r) noexcept {
  switch (r) {
    case household_role::allocataire: return "allocataire";
    case household_role::conjoint: return "conjoint";
    case household_role::conjoint_allocataire: return "conjoint_allocataire";
    case household_role::other: return "other";
    case household_role::under_15: return "under_15";
    case household_role::not_member: return "not_member";
  }
  return "not_member";
}

std::string_view libelle(household_role r) noexcept {
  switch (r) {
    case household_role::allocataire: return "allocataire";
    case household_role::conjoint: return "conjoint";
    case household_role::conjoint_allocataire: return "conjoint allocataire";
    case household_role::other: return "autre membre du foyer de 15 ans ou plus";
    case household_role::under_15: return "membre du foyer de moins de 15 ans";
    case household_role::not_member: return "pas membre du foyer à cette date";
  }
  return "pas membre du foyer à cette date";
}

namespace {

bool holds_personal_benefit(const member& m, date at) noexcept {
  return std::any_of(m.benefits.begin(), m.benefits.end(),
                     [at](const benefit& b) { return b.is_personal() && b.held_at(at); });
}

}  // namespace

standing standing_at(const household& h, const member& m, date at) noexcept {
  standing s;
  if (!m.member_at(at)) return s;
  const member* conjoint = h.conjoint();
  s.in_couple = conjoint != nullptr && conjoint->member_at(at);
  if (at < anniversary(m.birth_date, account_age)) {
    s.role = household_role::under_15;
    return s;
  }
  switch (m.role) {
    case member_role::allocataire:
      s.role = household_role::allocataire;
      break;
    case member_role::conjoint:
      s.role = holds_personal_benefit(m, at) ? household_role::conjoint_allocataire
                                             : household_role::conjoint;
      // The délégation is recorded with its holder; the household guarantees that
      // holder is the conjoint, and membership was checked above (R7: a separation
      // ends it).
      s.has_delegation = h.delegation() && h.delegation()->to == m.id &&
                         h.delegation()->active_at(at);
      break;
    case member_role::other:
      s.role = household_role::other;
      break;
  }
  return s;
}

standing standing_at(const household& h, std::string_view person, date at) noexcept {
  const household::quick_facts& q = h.quick_;
  // The quick facts hold day numbers; a date that is not a real day has none, and the
  // general path compares it field by field as before.
  if (q.count == 0 || !at.ok()) {
    const member* m = h.find(person);
    return m == nullptr ? standing{} : standing_at(h, *m, at);
  }
  std::size_t i = 0;
  while (i < q.count && !(q.members[i].id_length == person.size() &&
                          std::equal(person.begin(), person.end(), q.members[i].id.begin()))) {
    ++i;
  }
  standing s;
  if (i == q.count) return s;
  const household::quick_member& m = q.members[i];
  const auto day = static_cast<std::int32_t>(std::chrono::sys_days{at}.time_since_epoch().count());
  if (day >= m.left_on) return s;
  s.in_couple = q.conjoint != household::quick_none && day < q.members[q.conjoint].left_on;
  if (day < m.adult_from) {
    s.role = household_role::under_15;
    return s;
  }
  switch (m.role) {
    case member_role::allocataire: s.role = household_role::allocataire; break;
    case member_role::other: s.role = household_role::other; break;
    case member_role::conjoint: {
      bool personal_benefit = false;
      for (std::size_t b = 0; b < q.conjoint_benefit_count; ++b) {
        personal_benefit |= q.conjoint_benefits[b][0] <= day && day <= q.conjoint_benefits[b][1];
      }
      s.role = personal_benefit ? household_role::conjoint_allocataire : household_role::conjoint;
      s.has_delegation = q.delegation_from <= day && day < q.delegation_until;
      break;
    }
  }
  return s;
}

}  // namespace calp
