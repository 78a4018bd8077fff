#include "calp/household.hpp"

#include "calp/roles.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <utility>

#include "detail/input_text.hpp"
#include "detail/json_input.hpp"

namespace calp {

std::string_view to_string(member_role r) noexcept {
  switch (r) {
    case member_role::allocataire: return "allocataire";
    case member_role::conjoint: return "conjoint";
    case member_role::other: return "other";
  }
  return "unknown";
}

result<member_role> parse_member_role(std::string_view name) {
  for (const auto r : {member_role::allocataire, member_role::conjoint, member_role::other}) {
    if (name == to_string(r)) return r;
  }
  return fail(errc::household_role,
              fmt::format("unknown role `{}`, expected `allocataire`, `conjoint` or `other`",
                          detail::echo(name)));
}

bool benefit::is_personal() const noexcept {
  return std::ranges::find(personal_benefit_codes, code) != std::end(personal_benefit_codes);
}

namespace {

using detail::child_path;
using detail::index_path;
using detail::throw_input_error;

constexpr std::size_t max_benefit_code_length = 16;

bool well_formed_code(std::string_view code) noexcept {
  return !code.empty() && code.size() <= max_benefit_code_length &&
         std::ranges::all_of(code, [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
         });
}

// `make` takes dates built in code, not only parsed ones: a day that does not exist or
// lies outside the years `parse_date` accepts would be written by `to_json` and then
// refused by `from_json`, so it is refused here as `parse_date` would.
//
// Paths are built only for an error: `make` also runs every time a storage reads a
// household back, and formatting a path per field was most of its cost.
template <class Path>
void check_date(date d, Path&& path) {
  if (!d.ok() || d.year() < std::chrono::year{min_year} || d.year() > std::chrono::year{max_year}) {
    const std::string where = path();
    throw_input_error(errc::date_format,
                      fmt::format("{} is not a real day between the years {} and {}", where,
                                  min_year, max_year),
                      where);
  }
}

// The path of a field, for messages: `field_of("members", 2, "birth_date")`.
std::string field_of(std::string_view array, std::size_t index, std::string_view key) {
  return child_path(index_path(array, index), key);
}

void check_benefit(const benefit& b, std::size_t member, std::size_t index) {
  const auto path = [&](std::string_view key) {
    return child_path(index_path(field_of("members", member, "benefits"), index), key);
  };
  if (!well_formed_code(b.code)) {
    throw_input_error(errc::household_benefit_code,
                      fmt::format("benefit code `{}` must be 1 to {} characters among `A`-`Z`, "
                                  "`0`-`9` and `_`",
                                  detail::echo(b.code), max_benefit_code_length),
                      path("code"));
  }
  check_date(b.from, [&] { return path("from"); });
  if (b.until) {
    check_date(*b.until, [&] { return path("until"); });
    // Equal dates are a one-day benefit, held on that day (`held_at` is inclusive).
    if (*b.until < b.from) {
      throw_input_error(errc::household_date_order,
                        fmt::format("benefit `{}` ends on `{}`, before it starts on `{}`", b.code,
                                    format_date(*b.until), format_date(b.from)),
                        path("until"));
    }
  }
}

struct role_positions {
  std::size_t allocataire;
  std::optional<std::size_t> conjoint;
};

role_positions check_members(const std::vector<member>& members, const household_limits& limits) {
  if (members.size() > limits.max_members) {
    throw_input_error(errc::json_too_long,
                      fmt::format("members has {} items, over the limit of {}", members.size(),
                                  limits.max_members),
                      "members");
  }
  // This runs each time a storage reads a household back: real households are small,
  // and comparing their ids pairwise costs less than a hash map's allocations; the map
  // keeps the check linear when a host raises `max_members`.
  constexpr std::size_t pairwise_up_to = 16;
  std::unordered_map<std::string_view, std::size_t> first_with_id;
  if (members.size() > pairwise_up_to) first_with_id.reserve(members.size());
  const auto earlier_with_id = [&](std::size_t i) -> std::optional<std::size_t> {
    if (members.size() > pairwise_up_to) {
      const auto [it, inserted] = first_with_id.try_emplace(members[i].id.str(), i);
      return inserted ? std::nullopt : std::optional<std::size_t>(it->second);
    }
    for (std::size_t k = 0; k < i; ++k) {
      if (members[k].id == members[i].id) return k;
    }
    return std::nullopt;
  };
  std::optional<std::size_t> allocataire;
  std::optional<std::size_t> conjoint;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const member& m = members[i];
    if (const auto earlier = earlier_with_id(i)) {
      throw_input_error(errc::household_duplicate_id,
                        fmt::format("member id `{}` is already the id of members[{}]", m.id.str(),
                                    *earlier),
                        field_of("members", i, "id"));
    }
    // The allocataire and the conjoint are each held by one member at most.
    const auto claim = [&](std::optional<std::size_t>& holder, errc code, std::string_view role,
                           std::string_view how_many) {
      if (holder) {
        throw_input_error(code,
                          fmt::format("members[{}] and members[{}] are both {}, a household has {}",
                                      *holder, i, role, how_many),
                          field_of("members", i, "role"));
      }
      holder = i;
    };
    switch (m.role) {
      case member_role::allocataire:
        claim(allocataire, errc::household_allocataire, "allocataire", "exactly one");
        break;
      case member_role::conjoint:
        claim(conjoint, errc::household_conjoint, "conjoint", "at most one");
        break;
      case member_role::other: break;
      default:
        // Only reachable through a cast; `to_json` could not write it back.
        throw_input_error(errc::household_role,
                          fmt::format("role value {} is not a member role",
                                      static_cast<int>(m.role)),
                          field_of("members", i, "role"));
    }
    check_date(m.birth_date, [&] { return field_of("members", i, "birth_date"); });
    if (m.left) check_date(*m.left, [&] { return field_of("members", i, "left"); });
    if (m.benefits.size() > limits.max_benefits_per_member) {
      const auto benefits_path = field_of("members", i, "benefits");
      throw_input_error(errc::json_too_long,
                        fmt::format("{} has {} items, over the limit of {}", benefits_path,
                                    m.benefits.size(), limits.max_benefits_per_member),
                        benefits_path);
    }
    for (std::size_t j = 0; j < m.benefits.size(); ++j) check_benefit(m.benefits[j], i, j);
  }
  if (!allocataire) {
    throw_input_error(errc::household_allocataire,
                      "the household has no allocataire, it needs exactly one", "members");
  }
  return {*allocataire, conjoint};
}

void check_delegation(const delegation& d, const std::vector<member>& members,
                      std::optional<std::size_t> conjoint) {
  if (!conjoint) {
    throw_input_error(errc::household_delegation,
                      fmt::format("delegation to `{}`, but the household has no conjoint",
                                  d.to.str()),
                      "delegation.to");
  }
  if (const auto& conjoint_id = members[*conjoint].id; d.to != conjoint_id) {
    const bool is_member = std::ranges::any_of(members, [&](const member& m) { return m.id == d.to; });
    throw_input_error(errc::household_delegation,
                      fmt::format("delegation to `{}`, who is {}; only the conjoint `{}` can hold it",
                                  d.to.str(), is_member ? "not the conjoint" : "not a member",
                                  conjoint_id.str()),
                      "delegation.to");
  }
  check_date(d.granted, [] { return std::string("delegation.granted"); });
  if (d.revoked) {
    check_date(*d.revoked, [] { return std::string("delegation.revoked"); });
    // Equal dates are a délégation that never applied: `active_at` excludes `revoked`.
    if (*d.revoked < d.granted) {
      throw_input_error(errc::household_date_order,
                        fmt::format("delegation revoked on `{}`, before it was granted on `{}`",
                                    format_date(*d.revoked), format_date(d.granted)),
                        "delegation.revoked");
    }
  }
}

// Turns the error of an identifier or role parser into one that names the field.
template <class T>
T parsed_field(result<T> parsed, const std::string& path) {
  if (!parsed) {
    const auto& e = parsed.error();
    throw_input_error(e.code, fmt::format("{}: {}", path, e.message), path);
  }
  return std::move(parsed).value();
}

benefit read_benefit(const nlohmann::json& j, std::string path, const household_limits& limits) {
  detail::object_reader r(j, std::move(path), limits.max_string_length);
  benefit b{.code = r.required_string("code"),
            .from = r.required_date("from"),
            .until = r.optional_date("until")};
  r.finish();
  return b;
}

member read_member(const nlohmann::json& j, std::string path, const household_limits& limits) {
  detail::object_reader r(j, std::move(path), limits.max_string_length);
  auto id = parsed_field(person_id::parse(r.required_string("id")), r.field_path("id"));
  const auto role = parsed_field(parse_member_role(r.required_string("role")), r.field_path("role"));
  const auto birth_date = r.required_date("birth_date");
  std::vector<benefit> benefits;
  if (const auto* list = r.optional_array("benefits", limits.max_benefits_per_member)) {
    benefits.reserve(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
      benefits.push_back(read_benefit((*list)[i], index_path(r.field_path("benefits"), i), limits));
    }
  }
  const auto left = r.optional_date("left");
  r.finish();
  return member{.id = std::move(id),
                .role = role,
                .birth_date = birth_date,
                .benefits = std::move(benefits),
                .left = left};
}

delegation read_delegation(const nlohmann::json& j, const household_limits& limits) {
  detail::object_reader r(j, "delegation", limits.max_string_length);
  auto to = parsed_field(person_id::parse(r.required_string("to")), r.field_path("to"));
  const auto granted = r.required_date("granted");
  const auto revoked = r.optional_date("revoked");
  r.finish();
  return delegation{.to = std::move(to), .granted = granted, .revoked = revoked};
}

household read_household(const nlohmann::json& j, const household_limits& limits) {
  detail::object_reader r(j, "", limits.max_string_length);
  const auto dossier = parsed_field(dossier_number::parse(r.required_string("dossier")),
                                    r.field_path("dossier"));
  const auto& list = r.required_array("members", limits.max_members);
  std::vector<member> members;
  members.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    members.push_back(read_member(list[i], index_path("members", i), limits));
  }
  std::optional<delegation> deleg;
  if (const auto* d = r.optional("delegation")) deleg = read_delegation(*d, limits);
  r.finish();
  auto made = household::make(dossier, std::move(members), std::move(deleg), limits);
  if (!made) throw detail::input_error{std::move(made).error()};
  return std::move(made).value();
}

nlohmann::ordered_json date_or_null(const std::optional<date>& d) {
  return d ? nlohmann::ordered_json(format_date(*d)) : nlohmann::ordered_json(nullptr);
}

}  // namespace

result<household> household::make(dossier_number dossier, std::vector<member> members,
                                  std::optional<calp::delegation> delegation,
                                  const household_limits& limits) {
  return detail::read_document([&] {
    const auto roles = check_members(members, limits);
    if (delegation) check_delegation(*delegation, members, roles.conjoint);
    return household(dossier, std::move(members), std::move(delegation), roles.allocataire,
                     roles.conjoint.value_or(no_conjoint));
  });
}

result<household> household::from_json(std::string_view json, const household_limits& limits) {
  auto parsed = detail::parse_json(
      json, {.max_bytes = limits.max_bytes,
             .max_depth = limits.max_depth,
             .max_string_length = limits.max_string_length});
  if (!parsed) return unexpected<calp::error>(std::move(parsed).error());
  return detail::read_document([&] { return read_household(*parsed, limits); });
}

std::string household::to_json() const {
  // Fields in a fixed order and absent values written as null (only `left` is omitted
  // when absent, as in DESIGN.md): equal households give identical text.
  using json = nlohmann::ordered_json;
  json members_json = json::array();
  for (const member& m : members_) {
    json benefits_json = json::array();
    for (const benefit& b : m.benefits) {
      json b_json;
      b_json["code"] = b.code;
      b_json["from"] = format_date(b.from);
      b_json["until"] = date_or_null(b.until);
      benefits_json.push_back(std::move(b_json));
    }
    json m_json;
    m_json["id"] = std::string(m.id.str());
    m_json["role"] = std::string(to_string(m.role));
    m_json["birth_date"] = format_date(m.birth_date);
    m_json["benefits"] = std::move(benefits_json);
    if (m.left) m_json["left"] = format_date(*m.left);
    members_json.push_back(std::move(m_json));
  }
  json doc;
  doc["dossier"] = std::string(dossier_.str());
  doc["members"] = std::move(members_json);
  if (delegation_) {
    json d_json;
    d_json["to"] = std::string(delegation_->to.str());
    d_json["granted"] = format_date(delegation_->granted);
    d_json["revoked"] = date_or_null(delegation_->revoked);
    doc["delegation"] = std::move(d_json);
  } else {
    doc["delegation"] = nullptr;
  }
  return doc.dump(2);
}

namespace {

std::int32_t day_number(date d) noexcept {
  return static_cast<std::int32_t>(std::chrono::sys_days{d}.time_since_epoch().count());
}

constexpr std::int32_t never = std::numeric_limits<std::int32_t>::max();

}  // namespace

household::household(dossier_number dossier, std::vector<member> members,
                     std::optional<calp::delegation> delegation, std::size_t allocataire,
                     std::size_t conjoint)
    : dossier_(dossier),
      members_(std::move(members)),
      delegation_(std::move(delegation)),
      allocataire_(allocataire),
      conjoint_(conjoint) {
  // Anything the quick facts cannot hold exactly leaves `quick_.count` at 0.
  if (members_.size() > quick_member_capacity) return;
  quick_facts q;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    const member& m = members_[i];
    const auto id = m.id.str();
    if (id.size() > quick_id_capacity) return;
    quick_member& k = q.members[i];
    std::copy(id.begin(), id.end(), k.id.begin());
    k.id_length = static_cast<std::uint8_t>(id.size());
    k.role = m.role;
    k.adult_from = day_number(anniversary(m.birth_date, account_age));
    k.left_on = m.left ? day_number(*m.left) : never;
  }
  if (conjoint_ != no_conjoint) {
    q.conjoint = static_cast<std::uint8_t>(conjoint_);
    for (const benefit& b : members_[conjoint_].benefits) {
      if (!b.is_personal()) continue;
      if (q.conjoint_benefit_count == quick_benefit_capacity) return;
      q.conjoint_benefits[q.conjoint_benefit_count++] = {day_number(b.from),
                                                         b.until ? day_number(*b.until) : never};
    }
    if (delegation_) {
      q.delegation_from = day_number(delegation_->granted);
      q.delegation_until = delegation_->revoked ? day_number(*delegation_->revoked) : never;
    }
  }
  q.count = static_cast<std::uint8_t>(members_.size());
  quick_ = q;
}

const member* household::find(std::string_view id) const noexcept {
  const auto it = std::ranges::find_if(members_, [&](const member& m) { return m.id == id; });
  return it == members_.end() ? nullptr : &*it;
}

const member* household::conjoint() const noexcept {
  return conjoint_ == no_conjoint ? nullptr : &members_[conjoint_];
}

}  // namespace calp
