#pragma once
/// \file
/// The policy: which role may do which action, and the French explanation of each
/// outcome (R5, R9). A policy is data: a JSON document, validated whole when loaded and
/// compiled into a table so that a decision is one lookup. The Caf's default policy
/// ships with the library (`policy::caf_default()`, and installed as
/// `share/calp/policy/caf-default.json`); a host can load a reviewed variant.
///
/// Document shape (`calp.policy.v1`):
/// ```json
/// {
///   "format": "calp.policy.v1",
///   "id": "caf-default",
///   "reasons": {"allocataire": "L'allocataire est le responsable du dossier.", ...},
///   "rules": {
///     "dossier.read": {
///       "allocataire": {"effect": "allow", "reason": "allocataire"},
///       "conjoint": {"effect": "deny", "reason": "conjoint_without_delegation"}, ...
///     },
///     "delegation.manage": {
///       "allocataire": {"effect": "allow", "when": "in_couple", "reason": "allocataire",
///                       "otherwise": "not_in_couple"}, ...
///     }, ...
///   }
/// }
/// ```
/// Subjects are the columns of DESIGN.md §3: `allocataire`, `conjoint`,
/// `conjoint_delegation`, `conjoint_allocataire`, `other`. A conjoint who has both a
/// délégation and a benefit of their own is matched against `conjoint_allocataire`,
/// then `conjoint_delegation`, then `conjoint`: the first cell that allows decides,
/// else the first cell present gives the denial. A missing cell denies with the reason
/// `not_allowed`. The reasons `not_allowed`, `under_15`, `not_member` and
/// `agent_required` must be defined: the engine uses them itself.
///
/// A message is one or more short French sentences an agent can read out, in the
/// conventions of tests/unit/french_messages_test.cpp: straight apostrophe `'` as in the
/// seed, a no-break space (U+00A0, `\u00a0` in JSON) before `: ; ! ?` and inside `« »`,
/// a capital first letter, a final period.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "calp/action.hpp"
#include "calp/error.hpp"
#include "calp/roles.hpp"

namespace calp {

/// A column of the role table.
enum class subject : unsigned char {
  allocataire,
  conjoint,
  conjoint_delegation,
  conjoint_allocataire,
  other,
};

inline constexpr std::size_t subject_count = 5;

/// `"allocataire"`, `"conjoint"`, `"conjoint_delegation"`, `"conjoint_allocataire"`,
/// `"other"`.
[[nodiscard]] std::string_view to_string(subject s) noexcept;

/// Reason codes the engine itself gives, whatever the rules say.
namespace reasons {
inline constexpr std::string_view not_allowed = "not_allowed";
inline constexpr std::string_view under_15 = "under_15";
inline constexpr std::string_view not_member = "not_member";
inline constexpr std::string_view agent_required = "agent_required";
}  // namespace reasons

/// A loaded, validated and compiled policy. Immutable: safe to share between threads.
/// Decisions refer to its strings, so it must outlive them.
class policy {
 public:
  /// Limits of a policy document.
  static constexpr std::size_t max_bytes = 256 * 1024;
  static constexpr std::size_t max_reasons = 256;
  static constexpr std::size_t max_message_length = 1024;

  /// Loads a `calp.policy.v1` document. Any fault (malformed JSON, unknown field,
  /// action, subject, effect, condition or reason, an undefined engine reason, a
  /// `when` without `otherwise`) fails the whole load: the error's `field` names the
  /// place (`rules.dossier.read.conjoint.effect`) and nothing is half-loaded.
  /// Errors: `errc::json_*`, `errc::policy_invalid`, `errc::action_unknown`.
  [[nodiscard]] static result<policy> from_json(std::string_view json);

  /// The Caf's default policy, embedded in the library (DESIGN.md §3). Built once,
  /// immutable, thread-safe.
  [[nodiscard]] static const policy& caf_default();

  /// The embedded text of the default policy, e.g. to start a reviewed variant.
  [[nodiscard]] static std::string_view caf_default_json() noexcept;

  [[nodiscard]] std::string_view id() const noexcept { return id_; }

  /// The role × action table in the Markdown form of DESIGN.md §3, computed from the
  /// compiled decisions (so it shows what the engine does, not what the file says).
  [[nodiscard]] std::string table() const;

  /// One compiled outcome: allowed or not, and an index into the reasons.
  struct outcome {
    bool allowed = false;
    std::uint16_t reason = 0;
  };

  /// The compiled outcome for a standing. Allocation-free.
  [[nodiscard]] outcome evaluate(action a, const standing& s) const noexcept {
    return table_[slot(a, s)];
  }
  /// The denial with an engine reason (`reasons::under_15`, ...); any other code gives
  /// the `reasons::not_allowed` denial.
  [[nodiscard]] outcome engine_outcome(std::string_view engine_reason) const noexcept;

  [[nodiscard]] std::string_view reason_code(std::uint16_t index) const noexcept {
    return reasons_[index].code;
  }
  [[nodiscard]] std::string_view reason_message(std::uint16_t index) const noexcept {
    return reasons_[index].message;
  }

 private:
  struct reason_text {
    std::string code;
    std::string message;
  };
  // (action, role, délégation, couple): every standing a person can have.
  static constexpr std::size_t slot_count = action_count * household_role_count * 2 * 2;
  [[nodiscard]] static std::size_t slot(action a, const standing& s) noexcept {
    return ((static_cast<std::size_t>(a) * household_role_count + static_cast<std::size_t>(s.role)) *
                2 + static_cast<std::size_t>(s.has_delegation)) * 2 +
           static_cast<std::size_t>(s.in_couple);
  }

  policy() = default;
  friend class policy_compiler;

  std::string id_;
  std::vector<reason_text> reasons_;
  std::array<outcome, slot_count> table_{};
  std::uint16_t not_allowed_ = 0;
  std::uint16_t under_15_ = 0;
  std::uint16_t not_member_ = 0;
  std::uint16_t agent_required_ = 0;
};

}  // namespace calp
